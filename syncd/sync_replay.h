/*
 * sync_replay.h: a receiver's window over one sender's frames: replay
 * protection and loss tracking. The counter is (epoch << 32 | seq): the
 * epoch is persisted and raised at every start of the sender, seq counts
 * its frames. A frame is accepted once its HMAC verified if its seq is above
 * the highest seen (a jump leaves the seqs in between missing), or if it is
 * one of the missing seqs (late, or retransmitted after a NACK); anything
 * else is a replay. A higher epoch resets the window, so a restarted peer is
 * heard at once. The missing seqs are kept as ranges, and the window says
 * when to NACK each (again) and when to give up on it: a seq given up is
 * "lost" and only a resync repairs it. Pure: time is an input.
 */
#ifndef SYNCD_SYNC_REPLAY_H
#define SYNCD_SYNC_REPLAY_H

#include <stdint.h>

#define SYNC_REPLAY_GAPS	256		/* missing ranges kept per sender */
#define SYNC_REPLAY_NACK_US	100000ULL	/* ask again after 100 ms */
#define SYNC_REPLAY_NACKS	50		/* then give up (5 s) */

struct sync_replay_gap {
	uint32_t	from, to;	/* missing seqs, inclusive */
	uint64_t	next_nack;	/* when to ask (again) */
	uint16_t	nacks;		/* asked this many times */
};

struct sync_replay {
	int		seen;		/* 0 until the first frame */
	uint32_t	epoch;
	uint32_t	top;		/* highest seq accepted in this epoch */
	unsigned	ngaps;
	struct sync_replay_gap gap[SYNC_REPLAY_GAPS];	/* sorted, disjoint */
	uint64_t	lost;		/* seqs given up, ever */
	int		lost_new;	/* some were given up since take_lost */
};

enum sync_replay_verdict {
	SYNC_REPLAY_NEW = 0,	/* accept; first frame or next in order */
	SYNC_REPLAY_GAP,	/* accept; seq jumped: frames top+1..seq-1 missing */
	SYNC_REPLAY_LATE,	/* accept; one of the missing seqs */
	SYNC_REPLAY_EPOCH,	/* accept; the sender restarted (higher epoch) */
	SYNC_REPLAY_DUP,	/* drop: seen already (or given up) */
	SYNC_REPLAY_OLD_EPOCH,	/* drop: an epoch below the current one */
};

/* Decide and, if accepted, record. *gap_from, *gap_to give the missing
 * range for SYNC_REPLAY_GAP (may be NULL). A new missing range is NACKed
 * first at `now`. */
enum sync_replay_verdict sync_replay_check(struct sync_replay *,
	    uint32_t epoch, uint32_t seq, uint64_t now, uint32_t *gap_from,
	    uint32_t *gap_to);

/* 1 if any seq in [from, to] is missing. */
int	sync_replay_missing(const struct sync_replay *, uint32_t from,
	    uint32_t to);

/*
 * The ranges to NACK at `now` (at most max into out), each then due again
 * SYNC_REPLAY_NACK_US later; a range asked SYNC_REPLAY_NACKS times is given
 * up instead (lost). Returns how many were written.
 */
unsigned sync_replay_nacks(struct sync_replay *, uint64_t now,
	    struct sync_replay_gap *out, unsigned max);
/* The earliest next_nack, 0 if nothing is missing. */
uint64_t sync_replay_deadline(const struct sync_replay *);
/* 1 if seqs were given up since the last call (overflow or no answer). */
int	sync_replay_take_lost(struct sync_replay *);

#endif
