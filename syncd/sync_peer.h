/*
 * sync_peer.h: what a receiver keeps about one sender, and the decisions
 * it takes from it (pure: frame headers and time in, actions out).
 *
 * - Replay and loss: the receive window (sync_replay.h). A gap is NACKed at
 *   once and again every 100 ms; the sender answers with the lost frames'
 *   own seqs (carrying their states' current content). What cannot be
 *   repaired that way (given up, or the sender no longer knows the frame:
 *   SYNC_HF_LOST) is repaired by asking the sender for its whole table.
 * - The sender's bulk (mark-and-sweep, pfsync-conntrack.md 1.8): its BUS
 *   START and BUS END are recorded by seq, and the bulk counts as complete
 *   only when every frame between them has arrived, however late: only
 *   then are the sender's states that no frame since BUS START mentioned
 *   swept. A bulk with a frame given up inside is not swept (it would
 *   delete live states) and the table is asked for again.
 * - Table requests (new peer, restart, loss): at most one per
 *   SYNC_PEER_TABLE_US per peer, deferred rather than dropped.
 * - Flow control of bulks. A receiver ACKs how far it holds the sender's
 *   frames without a hole, every SYNC_PEER_ACK_EVERY frames, and within
 *   SYNC_PEER_ACK_US while the sender's bulk runs. The sender keeps its
 *   bulk within SYNC_PEER_WINDOW frames of every peer that asked for a
 *   table or ACKed within SYNC_PEER_WINDOW_US, so a slow receiver's
 *   socket never overflows (a 1,000,000-state bulk at full speed lost
 *   880,000 frames there), and a dead one does not stall it.
 */
#ifndef SYNCD_SYNC_PEER_H
#define SYNCD_SYNC_PEER_H

#include <stdint.h>

#include "sync_replay.h"
#include "sync_wire.h"

#define SYNC_PEER_TABLE_US	5000000ULL	/* table requests: one per 5 s */
#define SYNC_PEER_NACKS_MAX	8		/* ranges per run */
#define SYNC_PEER_ACK_EVERY	256		/* frames between ACKs */
#define SYNC_PEER_ACK_US	20000ULL	/* ACK delay during its bulk */
#define SYNC_PEER_WINDOW	2048		/* our bulk frames in flight */
#define SYNC_PEER_WINDOW_US	1000000ULL	/* a peer silent this long no
						 * longer holds the window */

enum sync_peer_verdict {
	SYNC_PEER_ACCEPT,	/* apply the frame */
	SYNC_PEER_NEW,		/* apply; the sender's first frame */
	SYNC_PEER_RESTARTED,	/* apply; a higher epoch: forget its marks */
	SYNC_PEER_REPLAY,	/* drop and count: seen already, old epoch */
	SYNC_PEER_DUP_RETX,	/* drop quietly: a retransmission we had */
};

struct sync_peer {
	uint32_t		node_id;
	struct sync_replay	replay;
	uint32_t		bus_start;	/* seq of its BUS START; 0 none */
	uint32_t		bus_end;	/* seq of its BUS END; 0 none */
	int			bus_tainted;	/* lost a frame since BUS START */
	int			want_table;
	const char		*table_why;
	uint64_t		table_at;	/* next request allowed */
	uint64_t		last_heard;
	uint32_t		ack_sent;	/* its frames we ACKed up to */
	uint64_t		ack_at;		/* ACK due then; 0 none */
	uint32_t		tx_acked;	/* our frames it holds up to */
	uint64_t		tx_acked_at;	/* when it said so; 0 never */
	/* counters for `carpctl sync status` */
	uint64_t		frames, gaps, late, retx, retx_dup, lost_frames;
	uint64_t		nacks, table_reqs, bulks;
};

/* What to do after a frame or at the peer's deadline. */
struct sync_peer_acts {
	int			sweep;		/* its bulk is complete: */
	uint32_t		sweep_before;	/* sweep its states seen before */
	int			request_table;	/* send UPD_REQ(0, 0) */
	const char		*why;		/* why the table is wanted */
	unsigned		nnacks;
	struct sync_replay_gap	nack[SYNC_PEER_NACKS_MAX];
	int			ack;		/* send ACK(ack_seq) */
	uint32_t		ack_seq;
};

void	sync_peer_init(struct sync_peer *, uint32_t node_id);
/* A frame from this peer passed the HMAC: accept or drop it. */
enum sync_peer_verdict sync_peer_rx(struct sync_peer *,
	    const struct sync_hdr *, uint64_t now);
/* A BUS message of this peer's own bulk, in the frame with seq. */
void	sync_peer_bus(struct sync_peer *, uint32_t seq, uint8_t status);
/* After an accepted frame, and at sync_peer_deadline: what to do now. */
void	sync_peer_run(struct sync_peer *, uint64_t now,
	    struct sync_peer_acts *);
/* Earliest time sync_peer_run has something to do; 0 if nothing. */
uint64_t sync_peer_deadline(const struct sync_peer *);
/* The caller asks the table now (its own start, or another reason). */
void	sync_peer_table_sent(struct sync_peer *, uint64_t now);

/* Sending side: the peer ACKed our frames up to seq (of our epoch), or
 * asked for our table when we had sent up to seq (nothing in flight). */
void	sync_peer_tx_acked(struct sync_peer *, uint32_t seq, uint64_t now);
/* 1 if our bulk may send frame our_seq + 1 as far as this peer goes;
 * else 0 and *wake says when it stops counting (if it stays silent). */
int	sync_peer_tx_window(const struct sync_peer *, uint32_t our_seq,
	    uint64_t now, uint64_t *wake);

#endif
