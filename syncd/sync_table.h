/*
 * sync_table.h: syncd's pure core. It knows every conntrack entry syncd
 * tracks, local ones (created by this node's kernel, creator id = our
 * node id) and imported ones (received from a peer), indexed both by
 * kernel identity (zone + original tuple) and by sync identity (creator
 * id, 64-bit id). It turns kernel events into queued messages for the
 * peer (coalesced per state, flushed by maxupd or send-delay), turns
 * peer messages into kernel actions, answers update requests and bulk
 * requests, sweeps what a bulk did not refresh, and refreshes long-lived
 * states because the kernel emits no event when traffic refreshes a
 * timer (pfsync-conntrack.md 5.5). Time is an input (microseconds,
 * monotonic); nothing here does I/O. ../shared/docs/pfsync-conntrack.md
 * 1.5-1.8 and 3.3 explain the rules it follows.
 */
#ifndef SYNCD_SYNC_TABLE_H
#define SYNCD_SYNC_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "sync_wire.h"

struct sync_table;

struct sync_table_conf {
	uint32_t	node_id;	/* our creator id, != 0 */
	uint64_t	id_base;	/* first local id: (epoch << 32), unique per start */
	int		maxupd;		/* flush a state once this many events are queued */
	uint64_t	send_delay_us;	/* oldest queued message waits at most this */
	uint64_t	refresh_us;	/* re-announce live local states; 0 = off */
	size_t		max_states;	/* hard limit; beyond it new states are refused */
};

/* What the shell must do to the kernel, or send, after an input. */
enum sync_out_type {
	SYNC_OUT_CT_CREATE,	/* create (or replace) st in the kernel */
	SYNC_OUT_CT_UPDATE,	/* update st in the kernel (no NAT change) */
	SYNC_OUT_CT_DELETE,	/* delete st (by orig tuple + zone) */
	SYNC_OUT_SEND_NOW,	/* flush queued messages now (maxupd, UPD_REQ...) */
};

struct sync_out {
	enum sync_out_type	type;
	struct sync_state	st;
};

/* A growable list the caller provides and clears. */
struct sync_outs {
	struct sync_out	*v;
	size_t		 n, cap;
};
void	sync_outs_free(struct sync_outs *);

struct sync_table *sync_table_new(const struct sync_table_conf *);
void	sync_table_free(struct sync_table *);
size_t	sync_table_count(const struct sync_table *, int local_only);

/* --- local kernel events (ct_event_read, ct_dump) ------------------------ */

/* NEW (or first sight in a dump): assign an id, queue INS. */
void	sync_table_local_new(struct sync_table *, const struct sync_state *,
	    uint64_t now, struct sync_outs *);
/*
 * defer (sync_defer.h): the kernel holds a packet of state `in`.
 *  - Our local state (its first packet): its INS (if still queued) or a
 *    full UPD leaves now (SEND_NOW) with SYNC_SF_ACK; a state not known
 *    yet (its NEW event is on the way) is added with its INS.
 *  - A peer's TCP state (its first reply came through us): our view of
 *    the handshake (TCP state, SEEN_REPLY) goes to its creator as a full
 *    UPD with SYNC_SF_ACK, once per state; the creator takes it into its
 *    kernel where that still waits in SYN_SENT, and acks.
 * Returns 1 with the state's identity in *ref: hold the packet until an
 * INS_ACK for it; 0: let it go at once (seeded, refused, or nothing to
 * ask).
 */
int	sync_table_local_defer(struct sync_table *, const struct sync_state *,
	    uint64_t now, struct sync_outs *, struct sync_ref *ref);
/*
 * A state defer added before the kernel reported it is forgotten, with a
 * DEL_C if anything about it left, when no event for it came within
 * max_age_us: its packet was dropped after the hold, its entry never
 * confirmed. Returns how many; _next: when the oldest is due (0: none).
 */
size_t	sync_table_unconfirmed_sweep(struct sync_table *, uint64_t now,
	    uint64_t max_age_us, struct sync_outs *);
uint64_t sync_table_unconfirmed_next(const struct sync_table *,
	    uint64_t max_age_us);

/*
 * At start, what the kernel holds already: local but silent (never
 * announced, refreshed or in a bulk) until its owner is settled. A
 * stopped or killed syncd leaves its peer's states in the kernel, and
 * the kernel keeps no owner: a peer's INS/UPD for the tuple makes it
 * that creator's imported state; sync_table_seeded_end settles the rest.
 */
void	sync_table_local_seed(struct sync_table *, const struct sync_state *,
	    uint64_t now);
/* Seeded states not settled yet. */
size_t	sync_table_seeded(const struct sync_table *);
/*
 * Settle every seeded state: keep != 0, ours (plain local states, which
 * a bulk and the refresh announce from now on): when we carry the
 * traffic, so our table is the reference, or when no peer's table will
 * come. keep == 0, once the complete table of a peer that carries the
 * traffic did not claim them: copies of its states that ended while we
 * were down: CT_DELETE (counted as swept). Returns how many.
 */
size_t	sync_table_seeded_end(struct sync_table *, int keep,
	    struct sync_outs *);
/* UPDATE: queue UPD_C (one per state, counting events; maxupd -> SEND_NOW).
 * An update for an imported state is ignored (the peer owns it). An update
 * for an unknown entry is treated as NEW (events can be lost). */
void	sync_table_local_update(struct sync_table *, const struct sync_state *,
	    uint64_t now, struct sync_outs *);
/*
 * DESTROY: announced with DEL_C (with its creator's id) only if `ends`
 * says so for its kind, local or imported; otherwise forgotten silently:
 * its timer ran out here, but the peer may still use it. The shell passes
 * SYNC_END_ALL on a MASTER (it carries the traffic: what ends here ended),
 * 0 on a BACKUP, and SYNC_END_LOCAL without carpd (nothing says who
 * carries the peer's flows). A state inserted and deleted before any send
 * is dropped from the queue.
 */
#define SYNC_END_LOCAL		0x1
#define SYNC_END_IMPORTED	0x2
#define SYNC_END_ALL		(SYNC_END_LOCAL | SYNC_END_IMPORTED)
void	sync_table_local_destroy(struct sync_table *, const struct sync_state *,
	    int ends, uint64_t now, struct sync_outs *);

/*
 * Resync after an event overrun: mark everything, feed the whole dump
 * through sync_table_local_new/update (which unmark), then sweep: local
 * states that were not in the dump are deleted (DEL_C queued).
 */
void	sync_table_resync_begin(struct sync_table *);
void	sync_table_resync_end(struct sync_table *, uint64_t now,
	    struct sync_outs *);

/* --- peer messages (after sync_frame_check + replay) --------------------- */

/*
 * Apply one message from peer `from` (its node id), in its frame `seq`:
 * INS/UPD -> CT_CREATE or CT_UPDATE; UPD_C of a known state -> CT_UPDATE,
 * of an unknown one -> queue UPD_REQ for it; DEL_C -> CT_DELETE; CLR ->
 * CT_DELETE of all its states; UPD_REQ(id) -> queue a full UPD of that
 * local state; UPD_REQ(0,0) -> start a bulk send (sync_table_bulk_next;
 * one asked for during a bulk follows it). An imported state remembers
 * the seq of the last frame its creator sent about it, for
 * sync_table_sweep. An INS/UPD with SYNC_SF_ACK (the creator holds a
 * first packet, defer) also queues our INS_ACK, to leave at once, after
 * the CT_CREATE that precedes it in the outs. BUS messages are the
 * shell's (sync_peer.c), as is an INS_ACK addressed to us. A message
 * about one of our own states of this run (our creator id, an id of the
 * current epoch) is ignored (a loop); ours from an earlier run are
 * imported, so a restarted node gets back the flows it created.
 */
void	sync_table_peer_msg(struct sync_table *, uint32_t from, uint32_t seq,
	    const struct sync_msg *, uint64_t now, struct sync_outs *);

/*
 * Mark-and-sweep (pfsync-conntrack.md 1.8) by sequence number: the
 * creator's bulk from its BUS START (seq `before`) to its BUS END arrived
 * complete, so its imported states that no frame of it mentioned since
 * `before` are gone there: CT_DELETE them. Returns how many.
 */
size_t	sync_table_sweep(struct sync_table *, uint32_t creatorid,
	    uint32_t before, struct sync_outs *);
/* The creator restarted (a new epoch, seqs from 1 again). */
void	sync_table_peer_restarted(struct sync_table *, uint32_t creatorid);

/* Fill m (INS, UPD or UPD_C with its creator id and id) with that state's
 * current content for a retransmission (sync_rtx.h); -1 if it is gone. */
int	sync_table_current(const struct sync_table *, struct sync_msg *,
	    uint64_t now);

/* --- output -------------------------------------------------------------- */

/* Earliest time at which sync_table_drain should run (send-delay or
 * refresh); 0 if nothing is pending. */
uint64_t sync_table_next_deadline(const struct sync_table *);
/* Move queued messages into fb (as many as fit). Returns the number moved;
 * the caller sends the frame and calls again while it returns > 0 and
 * sync_table_pending() says more is queued. */
unsigned sync_table_drain(struct sync_table *, struct sync_fb *, uint64_t now);
int	sync_table_pending(const struct sync_table *, uint64_t now);

/* Bulk send (answer to UPD_REQ(0,0), or a push when we are MASTER): BUS
 * START, every state (local and imported) as UPD, BUS END. bulk_next fills fb with the next
 * part and returns 0 when the bulk is complete. */
void	sync_table_bulk_start(struct sync_table *, uint64_t now);
int	sync_table_bulk_next(struct sync_table *, struct sync_fb *, uint64_t now);
int	sync_table_bulk_active(const struct sync_table *);

/* Periodic refresh is driven by sync_table_drain via the deadline. */

/* Counters for `carpctl sync status` (added by the sync_table.c author). */
struct sync_table_stats {
	uint64_t	stale;		/* peer INS/UPD for a tuple we hold under
					 * another owner: ignored */
	uint64_t	loops;		/* messages about our own creator id */
	uint64_t	refused;	/* new state beyond max_states */
	uint64_t	nomem;		/* allocation failed: state or out lost */
	uint64_t	upd_req_out;	/* UPD_REQ queued for an unknown UPD_C */
	uint64_t	upd_req_drop;	/* ... not queued: request queue full */
	uint64_t	upd_req_miss;	/* UPD_REQ for a state we do not own */
	uint64_t	del_unknown;	/* DEL_C for a state we do not hold */
	uint64_t	swept;		/* deleted by a peer's complete bulk */
	uint64_t	resync_swept;	/* gone from the kernel dump (resync) */
	uint64_t	refreshed;	/* states queued by the periodic refresh */
	uint64_t	bulks;		/* bulk sends started */
	uint64_t	ins_ack_out;	/* INS_ACK queued for a peer's deferred INS */
	uint64_t	ins_ack_drop;	/* ... not queued: queue full */
	uint64_t	replies_out;	/* our view of a peer state's first reply */
	uint64_t	replies_in;	/* a peer's view of ours, taken */
	uint64_t	unconf_gone;	/* added by defer, never confirmed */
	uint64_t	unconf_untracked;	/* ... too many to track */
};
void	sync_table_get_stats(const struct sync_table *,
	    struct sync_table_stats *);

#endif
