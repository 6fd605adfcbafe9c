/*
 * sync_defer.h: syncd's `defer` (pure): the first packets of new
 * connections held until a peer acknowledges their state (pfsync(4)
 * defer, ../shared/docs/pfsync-conntrack.md 1.9). Active/active
 * firewalls need it: behind NAT, or with asymmetric routes, the reply of
 * a connection may come back through another firewall, which must hold
 * the state (with its NAT binding) before the first packet leaves.
 *
 * The shell (sync_hold.c) takes the packet from the NFQUEUE the table of
 * sync_defer_nft_text sends it to, finds its conntrack entry, has its INS
 * or UPD with SYNC_SF_ACK leave at once (sync_table.c), and holds the
 * packet here. The entry, in one of two ways:
 *  - SYNC_DEFER_PRIO_ATTACHED: the kernel attaches it to the queued
 *    packet (NFQA_CT, CONFIG_NETFILTER_NETLINK_GLUE_CT; not on the
 *    kernel these tests run on, so this way is not exercised here);
 *    queued after source NAT, so it carries its NAT binding, not
 *    confirmed yet.
 *  - SYNC_DEFER_PRIO_LAST, where the kernel cannot: queued at the last
 *    priority, and looked up by the packet's headers (sync_defer_key,
 *    then by reply tuple). That finds it only where the queue runs after
 *    the conntrack confirm, which the kernel orders by registration:
 *    measured on 6.18, a chain at 2147483647 registered before the
 *    netns's conntrack hooks runs after the confirm, one registered
 *    after them before it. Lookups that fail are counted and let go. A packet is released when a peer's INS_ACK
 * for its state arrives, when it has waited SYNC_DEFER_HOLD_US (pfsync's
 * 20 ms), or, oldest first, when SYNC_DEFER_MAX packets are held
 * (pfsync's PFSYNC_DEFER_LIMIT). Released always means accepted: defer
 * delays a connection, never drops it. Time is an input.
 */
#ifndef SYNCD_SYNC_DEFER_H
#define SYNCD_SYNC_DEFER_H

#include <stddef.h>
#include <stdint.h>

#include "sync_wire.h"

#define SYNC_DEFER_MAX		128
#define SYNC_DEFER_HOLD_US	20000ULL
/* A state added for a held packet whose entry the kernel never confirmed
 * (the packet was dropped after the hold) is forgotten after this. */
#define SYNC_DEFER_CONFIRM_US	2000000ULL
#define SYNC_DEFER_QUEUE	240	/* default NFQUEUE number: the protocol's */
#define SYNC_DEFER_TABLE	"carpsync_syncd"
#define SYNC_DEFER_PRIO_ATTACHED 200		/* after srcnat (100) */
#define SYNC_DEFER_PRIO_LAST	2147483647	/* NF_IP_PRI_LAST */
/* The conntrack label syncd puts on the peers' states it writes, so the
 * table knows them: their first TCP reply is held too (sync_table.h). */
#define SYNC_DEFER_LABEL	127

/* Why a packet left the hold (counted). */
enum sync_defer_release {
	SYNC_DEFER_ACKED,	/* a peer's INS_ACK */
	SYNC_DEFER_TIMEOUT,	/* SYNC_DEFER_HOLD_US without one */
	SYNC_DEFER_EVICTED,	/* the oldest, when SYNC_DEFER_MAX are held */
	SYNC_DEFER_FLUSHED,	/* syncd stops: everything held goes */
	SYNC_DEFER__MAX
};
extern const char *const sync_defer_release_names[SYNC_DEFER__MAX];

/* Why a queued packet gave no lookup key (counted; it is let go). */
enum sync_defer_bad {
	SYNC_DEFER_KEY_OK,
	SYNC_DEFER_KEY_SHORT,		/* headers cut short */
	SYNC_DEFER_KEY_VERSION,		/* not the queue's family */
	SYNC_DEFER_KEY_FRAGMENT,	/* a later fragment: no ports */
	SYNC_DEFER_KEY_PROTO,		/* not a port protocol, or an IPv6
					 * extension header first */
	SYNC_DEFER_KEY__MAX
};
extern const char *const sync_defer_key_names[SYNC_DEFER_KEY__MAX];

struct sync_defer_stats {
	uint64_t	held;			/* packets taken into the hold */
	uint64_t	passed;			/* queued but not held: unsynced
						 * or unknown state, no key */
	uint64_t	bad[SYNC_DEFER_KEY__MAX];	/* no key, by reason */
	uint64_t	lookup_failed;		/* no conntrack entry found */
	uint64_t	released[SYNC_DEFER__MAX];
	uint64_t	ack_us_sum;		/* hold time of acked packets */
	uint64_t	ack_us_max;
};

/* One held packet: the kernel's packet id, the state's sync identity. */
struct sync_defer_slot {
	uint64_t	state_id;
	uint32_t	creator;
	uint64_t	since;
	uint32_t	packet_id;
	uint16_t	queue;
	uint8_t		used;
};

/* A FIFO in arrival order, so deadlines are in order too. */
struct sync_defer {
	struct sync_defer_slot	slot[SYNC_DEFER_MAX];
	unsigned		head, n;	/* n counts released holes too */
	unsigned		held;		/* live ones */
	uint64_t		hold_us;
	struct sync_defer_stats	stats;
};

/* A released packet: the shell gives its verdict (accept). */
struct sync_defer_out {
	uint32_t	packet_id;
	uint16_t	queue;
};

void	sync_defer_init(struct sync_defer *, uint64_t hold_us);

/*
 * Hold packet_id for the state (creator, state_id). If SYNC_DEFER_MAX are
 * held already, the oldest is released into *evicted and 1 is returned;
 * otherwise 0.
 */
int	sync_defer_hold(struct sync_defer *, uint32_t creator, uint64_t state_id,
	    uint32_t packet_id, uint16_t queue, uint64_t now,
	    struct sync_defer_out *evicted);

/* A peer acknowledged (creator, state_id): its packets go into out (at
 * most max). Returns how many. */
unsigned sync_defer_ack(struct sync_defer *, uint32_t creator,
	    uint64_t state_id, uint64_t now,
	    struct sync_defer_out *out, unsigned max);

/* Packets whose hold ran out by now, oldest first (at most max). */
unsigned sync_defer_expire(struct sync_defer *, uint64_t now,
	    struct sync_defer_out *out, unsigned max);

/* Everything held (syncd stops). */
unsigned sync_defer_flush(struct sync_defer *, struct sync_defer_out *out,
	    unsigned max);

/* When the oldest held packet times out; 0 if none is held. */
uint64_t sync_defer_next_deadline(const struct sync_defer *);

/* A queued packet that is not held (counted). */
void	sync_defer_pass(struct sync_defer *);

/*
 * The lookup key of a first packet seen after NAT (af AF_INET or
 * AF_INET6, pkt its first bytes): af, proto and the reply tuple of its
 * conntrack entry (zone 0), which is the packet's source and
 * destination swapped. Port protocols only: TCP, UDP, DCCP, SCTP,
 * UDP-Lite (the table queues nothing else).
 */
enum sync_defer_bad sync_defer_key(int af, const uint8_t *pkt, size_t len,
	    struct sync_state *key);

/*
 * The nftables table (nft(8) text, one transaction) that sends the first
 * packet of every new connection to NFQUEUE `queue`: inet family, hook
 * postrouting at `priority` (SYNC_DEFER_PRIO_*); and the TCP replies of
 * peers' states (label SYNC_DEFER_LABEL) until their handshake ends
 * (ASSURED). All selection is done by `accept` rules before the last
 * one, which only queues, so that sync_xt.c can stand in for it. `bypass` lets packets through while no syncd listens, so a
 * table a killed syncd left behind delays nothing (no `flags owner`: see
 * sync_hold.c). Queued: TCP, UDP, DCCP, SCTP and UDP-Lite only, so never
 * CARP or the sync protocol (syncd's own INS would wait for itself);
 * never loopback, multicast or broadcast (pfsync does not defer them). Returns the length, or -1 if buf
 * is too small.
 */
int	sync_defer_nft_text(char *buf, size_t len, uint16_t queue,
	    int priority);

#endif
