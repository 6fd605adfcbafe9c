/*
 * ctl_proto.h: the control protocol spoken by carpd, syncd and carpctl over
 * an AF_UNIX stream socket. Local only, so fields are in host byte order.
 *
 * Every message is a 16-byte header followed by a payload whose size is fixed
 * per type (checked by ctl_msg_check() before use); the one exception,
 * CTL_SYNC_FRAME, is a fixed part followed by as many bytes as its caplen
 * field says, checked the same way. A request is answered by zero or more
 * typed replies ending in CTL_END, or by one CTL_ERROR.
 * Enum values are numbered explicitly and only ever appended.
 */
#ifndef CARPSYNC_CTL_PROTO_H
#define CARPSYNC_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_VERSION		1
#define CTL_MAX_MSG		16384	/* header + payload (a SYNC_FRAME fits) */
#define CTL_NAMELEN		32	/* NUL-terminated names (groups, interfaces) */
#define CTL_TEXTLEN		128

enum ctl_type {
	CTL_HELLO		= 1,	/* both ways: struct ctl_hello */
	CTL_END			= 2,	/* reply: end of a reply stream, no payload */
	CTL_ERROR		= 3,	/* reply: struct ctl_error */
	CTL_STATUS		= 4,	/* request, no payload -> VHOST*, GROUP*, COUNTERS, END */
	CTL_VHOST		= 5,	/* reply: struct ctl_vhost */
	CTL_GROUP		= 6,	/* reply: struct ctl_group */
	CTL_DEMOTE		= 7,	/* request: struct ctl_demote, persistent (carpdemote) */
	CTL_DEMOTE_HOLD		= 8,	/* request: struct ctl_demote, held by this connection */
	CTL_SET_STATE		= 9,	/* request: struct ctl_set_state */
	CTL_SUBSCRIBE		= 10,	/* request, no payload -> END, then EV_STATE as they happen */
	CTL_EV_STATE		= 11,	/* event: struct ctl_ev_state */
	CTL_RELOAD		= 12,	/* request, no payload -> END or ERROR */
	CTL_COUNTERS		= 13,	/* reply: struct ctl_counters, daemon-wide
					 * (packets not tied to a vhost, e.g. badvhid) */
	CTL_SYNC_STATUS		= 14,	/* request to syncd, no payload
					 * -> SYNC_INFO, SYNC_PEER*, END */
	CTL_SYNC_INFO		= 15,	/* reply: struct ctl_sync_info */
	CTL_SYNC_PEER		= 16,	/* reply: struct ctl_sync_peer */
	CTL_SYNC_WATCH		= 17,	/* request to syncd, no payload -> END,
					 * then SYNC_FRAME as frames pass */
	CTL_SYNC_FRAME		= 18,	/* event: struct ctl_sync_frame, then
					 * caplen bytes of the frame */
	CTL_CONN_STATS		= 19,	/* reply: struct ctl_conn_stats, before
					 * the END of STATUS and SYNC_STATUS */
	CTL_TRACK		= 20,	/* reply: struct ctl_track, after its
					 * vhost's CTL_VHOST (STATUS) */
	CTL_VHOST_HOOKS		= 21,	/* reply: struct ctl_vhost_hooks, after
					 * its vhost's CTL_VHOST (STATUS) */
	CTL_HOOK_STATS		= 22,	/* reply: struct ctl_hook_stats, before
					 * the END of STATUS */
	CTL_VHOST_BALANCE	= 23,	/* reply: struct ctl_balance, after a
					 * balanced vhost's CTL_VHOST (STATUS) */
	CTL_SYNC_CAPS		= 24,	/* syncd -> carpd after HELLO, no reply:
					 * struct ctl_sync_caps */
	CTL_TYPE__MAX
};

enum ctl_err {
	CTL_E_OK		= 0,
	CTL_E_BADMSG		= 1,	/* malformed request */
	CTL_E_NOENT		= 2,	/* no such vhid or group */
	CTL_E_RANGE		= 3,	/* demotion result outside 0..255, bad state */
	CTL_E_PERM		= 4,	/* peer not allowed to change state */
	CTL_E_INTERNAL		= 5,
	CTL_E_UNSUPPORTED	= 6,	/* unknown request type */
};

struct ctl_hdr {
	uint32_t	type;		/* enum ctl_type */
	uint32_t	len;		/* header + payload, <= CTL_MAX_MSG */
	uint32_t	seq;		/* chosen by the requester, echoed in replies */
	uint32_t	flags;		/* reserved: zero on send, ignored on receive */
};
_Static_assert(sizeof(struct ctl_hdr) == 16, "ctl_hdr size");

struct ctl_hello {
	uint32_t	version;	/* CTL_VERSION */
	uint32_t	pid;
	char		name[CTL_NAMELEN];	/* "carpd", "syncd", "carpctl" */
};
_Static_assert(sizeof(struct ctl_hello) == 40, "ctl_hello size");

struct ctl_error {
	uint32_t	code;		/* enum ctl_err */
	char		text[CTL_TEXTLEN];
};
_Static_assert(sizeof(struct ctl_error) == 132, "ctl_error size");

/* Counter names follow OpenBSD's struct carpstats, plus `loop`. */
struct ctl_counters {
	uint64_t	ipackets;	/* IPv4 adverts received */
	uint64_t	ipackets6;	/* IPv6 adverts received */
	uint64_t	badif;		/* arrived on the wrong interface */
	uint64_t	badttl;		/* TTL / hop limit != 255 */
	uint64_t	hdrops;		/* shorter than the CARP header */
	uint64_t	badsum;		/* bad checksum */
	uint64_t	badver;		/* version != 2 */
	uint64_t	badlen;		/* IP length inconsistent */
	uint64_t	badauth;	/* HMAC mismatch */
	uint64_t	badvhid;	/* no such vhid on this carpdev */
	uint64_t	opackets;	/* IPv4 adverts sent */
	uint64_t	opackets6;	/* IPv6 adverts sent */
	uint64_t	onomem;		/* send failed */
	uint64_t	loop;		/* our own cookie came back */
	/* carpsync's auth trailer (carpd.conf(5) auth) */
	uint64_t	authvalid;	/* trailer verified, counter fresh */
	uint64_t	unauthenticated; /* compat: accepted without trailer */
	uint64_t	authmissing;	/* strict: no trailer */
	uint64_t	authmalformed;	/* our magic, wrong version/length */
	uint64_t	authforged;	/* trailer HMAC mismatch */
	uint64_t	authreplay;	/* counter not above the last accepted */
	uint64_t	ctl_refused;	/* control connections refused by their
					 * peer credentials (daemon-wide only) */
	/* announcements (GARP / unsolicited NA rounds, carpd.conf(5)) */
	uint64_t	garp;		/* gratuitous ARP frames sent */
	uint64_t	na;		/* unsolicited NA frames sent */
	uint64_t	ann_takeover;	/* rounds on becoming MASTER (and the
					 * delayed second one) */
	uint64_t	ann_won;	/* rounds after a won contest */
	uint64_t	ann_refresh;	/* rounds of garp-refresh */
	uint64_t	ann_errors;	/* frames that could not be sent */
};
#define CTL_COUNTERS_N	(21 + 6)
_Static_assert(sizeof(struct ctl_counters) == CTL_COUNTERS_N * 8,
    "ctl_counters size");

struct ctl_vhost {
	uint8_t		vhid;
	uint8_t		state;		/* enum carp_state: 0 INIT, 1 BACKUP, 2 MASTER */
	uint8_t		advbase;
	uint8_t		advskew;
	uint8_t		demote;		/* demote count this vhost advertises */
	uint8_t		lladdr_real;	/* 1: `lladdr real` */
	uint8_t		naddrs;
	uint8_t		auth;		/* enum carp_auth_mode: 0 off, 1 compat, 2 strict */
	char		ifname[CTL_NAMELEN];
	char		carpdev[CTL_NAMELEN];
	uint32_t	transitions;
	uint32_t	pad2;
	struct ctl_counters counters;
	uint8_t		tiebreak;	/* 0 none, 1 lower-address */
	uint8_t		pad3;
	uint16_t	garp_refresh;	/* s, 0 = off */
	uint32_t	pad4;
};
_Static_assert(sizeof(struct ctl_vhost) == 8 + 2 * CTL_NAMELEN + 8 +
    CTL_COUNTERS_N * 8 + 8, "ctl_vhost size");

/* A balanced vhost: one node of a carpnodes group (carpd.conf(5)
 * BALANCING). Its vhid stands for bucket `bucket` of the group. */
struct ctl_balance {
	uint8_t		vhid;
	uint8_t		mode;		/* 1 ip, 2 ip-stealth, 3 ip-unicast */
	uint8_t		side;		/* 0 lan, 1 wan */
	uint8_t		leader;		/* the group's first vhid */
	uint8_t		bucket;		/* 0 .. nodes - 1 */
	uint8_t		nodes;
	uint8_t		owned_here;	/* 1: MASTER here, this node takes the bucket */
	uint8_t		nat;		/* 1: balance-nat yes */
	uint32_t	owned;		/* the group's buckets taken here, bit i */
	uint32_t	seed;		/* balance-seed */
	uint64_t	accepted;	/* frames of the bucket taken here */
	uint64_t	ignored;	/* frames of the bucket left to another node */
	uint64_t	arp_replies;	/* the group's ARP answers (same on each node) */
	uint64_t	arp_dropped;	/* the group's refused requests, any reason */
	uint8_t		held;		/* CTL_BAL_HELD_*: why the node is kept in INIT */
	uint8_t		pad[7];
	uint64_t	nd_replies;	/* the group's neighbour advertisements */
	uint64_t	nd_dropped;	/* the group's refused solicitations */
};
_Static_assert(sizeof(struct ctl_balance) == 16 + 7 * 8, "ctl_balance size");
#define CTL_BAL_HELD_NONE	0
#define CTL_BAL_HELD_NO_DEFER	1	/* balance-nat: no syncd with defer */

/*
 * What the syncd on this connection does, valid while it stays connected.
 * carpd lets a group with `balance-nat yes` take buckets only while a
 * syncd with CTL_SYNC_CAP_DEFER is connected (carpd.conf(5) BALANCING):
 * behind NAT a flow's reply may hash to another node, which must hold
 * the state before the flow's first packet leaves.
 */
#define CTL_SYNC_CAP_DEFER	0x1	/* `defer yes`: first packets held */
struct ctl_sync_caps {
	uint32_t	flags;		/* CTL_SYNC_CAP_* */
	uint32_t	defer_ms;	/* longest hold of a first packet */
};
_Static_assert(sizeof(struct ctl_sync_caps) == 8, "ctl_sync_caps size");

struct ctl_group {
	char		name[CTL_NAMELEN];
	uint32_t	demote;
	uint32_t	pad;
};
_Static_assert(sizeof(struct ctl_group) == 40, "ctl_group size");

struct ctl_demote {
	char		group[CTL_NAMELEN];
	int32_t		value;		/* DEMOTE: signed delta; DEMOTE_HOLD: absolute held value >= 0 */
	char		reason[CTL_NAMELEN];
};
_Static_assert(sizeof(struct ctl_demote) == 2 * CTL_NAMELEN + 4, "ctl_demote size");

enum ctl_force_state {
	CTL_FORCE_BACKUP	= 1,
	CTL_FORCE_MASTER	= 2,
};

struct ctl_set_state {
	uint32_t	vhid;
	uint32_t	state;		/* enum ctl_force_state */
};
_Static_assert(sizeof(struct ctl_set_state) == 8, "ctl_set_state size");

struct ctl_ev_state {
	uint8_t		vhid;
	uint8_t		old_state;
	uint8_t		new_state;
	uint8_t		pad;
	char		ifname[CTL_NAMELEN];
	char		reason[CTL_NAMELEN];
};
_Static_assert(sizeof(struct ctl_ev_state) == 4 + 2 * CTL_NAMELEN, "ctl_ev_state size");

/*
 * syncd's drop reasons, indexing ctl_sync_info.drops[]. The values are
 * those of syncd's enum sync_drop (sync_wire.h), static-asserted in
 * syncd/sync_ctl.c; slot 0 (accepted) stays zero. Append only.
 */
enum ctl_sync_drop {
	CTL_SYNC_DROP_BADIF	= 1,	/* arrived on another interface */
	CTL_SYNC_DROP_BADTTL	= 2,	/* TTL != 255 */
	CTL_SYNC_DROP_HDROPS	= 3,	/* shorter than header + trailer */
	CTL_SYNC_DROP_BADVER	= 4,	/* another version (a real pfsync) */
	CTL_SYNC_DROP_BADLEN	= 5,	/* inconsistent lengths */
	CTL_SYNC_DROP_BADAUTH	= 6,	/* HMAC mismatch */
	CTL_SYNC_DROP_REPLAY	= 7,	/* counter not above the window */
	CTL_SYNC_DROP_BADACT	= 8,	/* message shorter than its action */
	CTL_SYNC_DROP_BADVAL	= 9,	/* field out of range */
	CTL_SYNC_DROP__MAX
};
/* Names by value, for clients: `static const char *const n[] = ...;` */
#define CTL_SYNC_DROP_NAMES	{ "ok", "badif", "badttl", "hdrops", \
	"badver", "badlen", "badauth", "replay", "badact", "badval" }
#define CTL_SYNC_MAX_DROPS	16	/* room to append reasons */
_Static_assert(CTL_SYNC_DROP__MAX <= CTL_SYNC_MAX_DROPS, "ctl_sync_drop");

/*
 * The reasons of the demotion syncd holds on carpd's group carp, indexing
 * ctl_sync_info.held[]; the values are syncd's enum sync_hold (syncd.h),
 * static-asserted in syncd/sync_ctl.c. Append only.
 */
enum ctl_sync_hold {
	CTL_SYNC_HOLD_BULK	= 0,	/* 32 while the bulk is under way */
	CTL_SYNC_HOLD_LINK	= 1,	/* 1 while syncdev has no carrier */
	CTL_SYNC_HOLD__MAX
};
#define CTL_SYNC_HOLD_NAMES	{ "bulk", "link" }
#define CTL_SYNC_MAX_HOLDS	4	/* room to append reasons */
_Static_assert(CTL_SYNC_HOLD__MAX <= CTL_SYNC_MAX_HOLDS, "ctl_sync_hold");

/* syncd's state-table counters (syncd/sync_table.h struct sync_table_stats). */
struct ctl_sync_table {
	uint64_t	stale;		/* peer INS/UPD for a tuple held under another owner */
	uint64_t	loops;		/* messages about our own creator id */
	uint64_t	refused;	/* new state beyond the table limit */
	uint64_t	nomem;		/* allocation failed */
	uint64_t	upd_req_out;	/* UPD_REQ queued for an unknown UPD_C */
	uint64_t	upd_req_drop;	/* ... not queued: request queue full */
	uint64_t	upd_req_miss;	/* UPD_REQ for a state we do not own */
	uint64_t	del_unknown;	/* DEL_C for a state we do not hold */
	uint64_t	swept;		/* deleted by a peer's bulk (BUS END) */
	uint64_t	resync_swept;	/* gone from the kernel dump (resync) */
	uint64_t	refreshed;	/* states queued by the periodic refresh */
	uint64_t	bulks;		/* bulk sends started */
};
_Static_assert(sizeof(struct ctl_sync_table) == 12 * 8, "ctl_sync_table size");

/* syncd as a whole (`carpctl sync status`). */
/* Loss and its repair (carpsync-sync(7) "Replay protection and loss"). */
struct ctl_sync_loss {
	uint64_t	nacks_out;	/* ranges we asked peers for again */
	uint64_t	nacks_in;	/* ranges peers asked us for */
	uint64_t	retx_out;	/* frames sent again */
	uint64_t	retx_lost;	/* ... no longer known: sent as LOST */
	uint64_t	retx_dup;	/* retransmissions we had already */
	uint64_t	heartbeats;	/* empty frames sent after 1 s of silence */
	uint64_t	table_reqs;	/* UPD_REQ(0, 0) sent */
	uint64_t	toomany;	/* frames of peers beyond the 8 we keep */
	uint64_t	acks_out;	/* ACKs we sent (bulk flow control) */
	uint64_t	acks_in;	/* ACKs of our frames */
	uint64_t	window_waits;	/* our bulk waited for a peer's ACK */
};
_Static_assert(sizeof(struct ctl_sync_loss) == 88, "ctl_sync_loss size");

/*
 * A delay distribution (ctl_sync_info.rx_apply): count, sum, maximum and
 * last value in microseconds, and counts by upper bound
 * CTL_SYNC_LAT_BOUNDS_US, the last bucket unbounded (not cumulative).
 */
#define CTL_SYNC_LAT_BUCKETS	8
#define CTL_SYNC_LAT_BOUNDS_US	{ 100, 250, 1000, 2500, 10000, 25000, \
	100000 }
struct ctl_sync_latency {
	uint64_t	count;
	uint64_t	sum_us;
	uint64_t	max_us;
	uint64_t	last_us;
	uint64_t	buckets[CTL_SYNC_LAT_BUCKETS];
};
_Static_assert(sizeof(struct ctl_sync_latency) == (4 + CTL_SYNC_LAT_BUCKETS) * 8,
    "ctl_sync_latency size");

/* defer (syncd.conf(5)): first packets held until a peer has the state */
struct ctl_sync_defer {
	uint8_t		on;		/* defer yes, queue bound */
	uint8_t		xt;		/* the queue rule is xt NFQUEUE */
	uint16_t	queue;		/* NFQUEUE number */
	uint8_t		attached;	/* entries come with the packets */
	uint8_t		pad[3];
	uint32_t	held_now;	/* packets held at this moment */
	uint64_t	held;		/* packets taken into the hold */
	uint64_t	passed;		/* queued but let go at once */
	uint64_t	acked;		/* released by a peer's INS_ACK */
	uint64_t	timeout;	/* released after 20 ms without one */
	uint64_t	evicted;	/* released early: 128 held */
	uint64_t	ack_us_sum;	/* hold time of the acked ones */
	uint64_t	ack_us_max;
	uint64_t	queue_errors;	/* verdicts refused, bad messages */
	uint64_t	no_key;		/* headers that give no lookup key */
	uint64_t	lookup_failed;	/* no conntrack entry found for them */
};
_Static_assert(sizeof(struct ctl_sync_defer) == 16 + 10 * 8,
    "ctl_sync_defer size");

struct ctl_sync_info {
	uint32_t	node_id;
	uint32_t	epoch;		/* this run's epoch */
	uint32_t	held_demote;	/* demotion syncd holds on carpd's group carp */
	uint8_t		master;		/* a local vhid is MASTER (1 without carpd) */
	uint8_t		carpd;		/* connected to carpd */
	uint8_t		bulk_sending;	/* answering a bulk request */
	uint8_t		pad;
	char		bulk[CTL_NAMELEN];	/* bulk-request FSM: NONE, SENT, RECV, DONE */
	uint64_t	local_states;	/* created by this node's kernel */
	uint64_t	imported_states;	/* received from peers */
	uint64_t	ipackets, ibytes;	/* frames and bytes in */
	uint64_t	opackets, obytes;	/* frames and bytes out */
	uint64_t	oerrors;	/* send failed */
	uint64_t	drops[CTL_SYNC_MAX_DROPS];	/* by enum ctl_sync_drop */
	uint64_t	loops;		/* our own node id came back */
	uint64_t	skipped;	/* unknown sections skipped */
	uint64_t	overruns;	/* conntrack event overruns (resyncs) */
	uint64_t	gaps;		/* sequence gaps seen */
	uint64_t	filtered;	/* events not synced (filters, 112/240, syncdev) */
	struct ctl_sync_table table;
	uint32_t	held[CTL_SYNC_MAX_HOLDS];	/* held_demote by reason */
	uint64_t	watch_frames;	/* SYNC_FRAME events queued to subscribers */
	uint64_t	watch_drops;	/* ... not queued: subscriber too slow */
	uint64_t	pcap_frames;	/* frames written to pcap-file */
	uint64_t	pcap_errors;	/* ... not written */
	uint32_t	watchers;	/* subscribed control connections */
	uint8_t		carrier;	/* syncdev: 1 carrier, 0 none, 2 unknown */
	uint8_t		pcap_file;	/* pcap-file open */
	uint16_t	local_prefixes;	/* syncdev prefixes never synced */
	struct ctl_sync_loss loss;
	uint64_t	ctl_refused;	/* control connections refused by their
					 * peer credentials */
	struct ctl_sync_latency rx_apply;	/* a burst of peer frames read ->
					 * its conntrack writes handed to the kernel */
	struct ctl_sync_defer defer;
};
_Static_assert(sizeof(struct ctl_sync_info) == 16 + CTL_NAMELEN +
    (7 + CTL_SYNC_MAX_DROPS + 5 + 12) * 8 + CTL_SYNC_MAX_HOLDS * 4 + 4 * 8 + 8 +
    sizeof(struct ctl_sync_loss) + 8 + sizeof(struct ctl_sync_latency) +
    sizeof(struct ctl_sync_defer), "ctl_sync_info size");

/* One sender heard by syncd. */
struct ctl_sync_peer {
	uint32_t	node_id;
	uint32_t	epoch;		/* its current epoch */
	uint32_t	seq;		/* highest sequence accepted in it */
	uint32_t	pad;
	uint64_t	frames;		/* frames accepted */
	uint64_t	gaps;		/* sequence gaps seen */
	uint64_t	missing;	/* its seqs missing now */
	uint64_t	lost;		/* its seqs given up, and LOST answers */
	uint64_t	late;		/* missing ones that came (retransmitted) */
	uint64_t	nacks;		/* ranges we NACKed */
	uint64_t	table_reqs;	/* its table asked for */
	uint64_t	bulks;		/* its complete bulks (swept) */
	uint64_t	heard_ms;	/* ms since its last frame */
};
_Static_assert(sizeof(struct ctl_sync_peer) == 32 + 7 * 8, "ctl_sync_peer size");

/*
 * One frame syncd sent or accepted (CTL_SYNC_FRAME, after CTL_SYNC_WATCH),
 * with what a capture needs to put an IP header in front of it: the two
 * addresses and the IP version. The frame's bytes follow the fixed part;
 * payload = sizeof(struct ctl_sync_frame) + caplen exactly.
 */
#define CTL_SYNC_FRAME_MAX	9216	/* >= syncd's SYNC_MAX_FRAME */

enum ctl_sync_dir {
	CTL_SYNC_DIR_IN		= 1,	/* accepted from a peer */
	CTL_SYNC_DIR_OUT	= 2,	/* sent */
};

struct ctl_sync_frame {
	uint8_t		dir;		/* enum ctl_sync_dir */
	uint8_t		ipver;		/* 4 or 6 */
	uint16_t	pad;
	uint32_t	len;		/* the frame's length */
	uint32_t	caplen;		/* bytes that follow, <= len and FRAME_MAX */
	uint32_t	dropped;	/* events this subscriber missed just before */
	uint64_t	time_us;	/* CLOCK_REALTIME, microseconds */
	uint8_t		src[16];	/* sender; IPv4 in the first 4 bytes */
	uint8_t		dst[16];	/* 224.0.0.240 or the unicast receiver */
};
_Static_assert(sizeof(struct ctl_sync_frame) == 56, "ctl_sync_frame size");
_Static_assert(offsetof(struct ctl_sync_frame, caplen) == 8,
    "ctl_sync_frame caplen");
_Static_assert(sizeof(struct ctl_hdr) + sizeof(struct ctl_sync_frame) +
    CTL_SYNC_FRAME_MAX <= CTL_MAX_MSG, "a SYNC_FRAME fits in a message");

/*
 * A daemon's control socket itself (CTL_CONN_STATS): connections, and the
 * clients it hung up on, by reason. A client is hung up on when its next
 * header is unusable (the stream cannot be resynchronised) or when the
 * replies it asked for pile up unread beyond the daemon's bound (it does
 * not read; dropping replies instead would cut reply streams short).
 */
struct ctl_conn_stats {
	uint64_t	accepted;	/* connections accepted */
	uint64_t	closed_bad;	/* hung up on: bad header (garbage, length
					 * out of range) */
	uint64_t	closed_slow;	/* hung up on: replies unread */
	uint64_t	badmsg;		/* requests answered with BADMSG */
	uint32_t	open;		/* connections open now */
	uint32_t	pad;
};
_Static_assert(sizeof(struct ctl_conn_stats) == 4 * 8 + 8, "ctl_conn_stats size");

/* One health track of a vhost (carpd.conf(5) TRACKING). */
struct ctl_track {
	uint8_t		vhid;
	uint8_t		kind;		/* 0 interface, 1 script */
	uint8_t		up;		/* 1 healthy */
	uint8_t		weight;
	uint8_t		scope;		/* 0 group, 1 vhost */
	uint8_t		running;	/* a script run is going */
	uint16_t	pad;
	uint32_t	interval_s;	/* scripts */
	uint32_t	timeout_s;
	uint64_t	runs;		/* script runs ended */
	uint64_t	failures;	/* results not healthy (interfaces: downs) */
	uint64_t	timeouts;	/* runs killed at their timeout */
	char		name[CTL_TEXTLEN];	/* IFACE, or CMD (cut at 127 bytes) */
};
_Static_assert(sizeof(struct ctl_track) == 16 + 3 * 8 + CTL_TEXTLEN,
    "ctl_track size");

/* A vhost's notify hook and its own (track-scope vhost) demotion. */
struct ctl_vhost_hooks {
	uint8_t		vhid;
	uint8_t		notify;		/* a notify hook is configured */
	uint8_t		queued;		/* transitions waiting for it */
	uint8_t		running;	/* a hook is running */
	uint32_t	track_vhost;	/* demotion its track-scope vhost tracks add */
	uint32_t	preempt_delay;	/* seconds after start */
	uint32_t	pad;
	uint64_t	run, failed, killed, dropped;
};
_Static_assert(sizeof(struct ctl_vhost_hooks) == 16 + 4 * 8,
    "ctl_vhost_hooks size");

/* Daemon-wide hook, notify-fifo and track-script counters. */
struct ctl_hook_stats {
	uint64_t	hooks_run;	/* notify hooks started */
	uint64_t	hooks_failed;	/* ... ended other than exit 0 (or not started) */
	uint64_t	hooks_killed;	/* ... killed at their timeout */
	uint64_t	hooks_dropped;	/* transitions not run: queue full */
	uint64_t	fifo_written;	/* notify-fifo lines written */
	uint64_t	fifo_dropped;	/* ... not: no reader, pipe full, error */
	uint64_t	script_runs;	/* track-script runs ended */
	uint64_t	script_failures; /* ... not healthy */
	uint64_t	script_timeouts; /* ... killed at their timeout */
};
_Static_assert(sizeof(struct ctl_hook_stats) == 9 * 8, "ctl_hook_stats size");

#endif
