/*
 * sync_replay.h: per-sender replay protection for sync frames. The counter
 * is (epoch << 32 | seq): the epoch is persisted and raised at every start
 * of the sender, seq counts its frames. A frame is accepted once its HMAC
 * verified if its counter is above the highest seen, or inside the window
 * below it and not seen yet (reordering); a higher epoch resets the window,
 * so a restarted peer is heard at once. Pure.
 */
#ifndef SYNCD_SYNC_REPLAY_H
#define SYNCD_SYNC_REPLAY_H

#include <stdint.h>

#define SYNC_REPLAY_WINDOW	64

struct sync_replay {
	int		seen;		/* 0 until the first frame */
	uint32_t	epoch;
	uint32_t	top;		/* highest seq accepted in this epoch */
	uint64_t	bitmap;		/* bit i: top - i was accepted */
};

enum sync_replay_verdict {
	SYNC_REPLAY_NEW = 0,	/* accept; first frame or next in order */
	SYNC_REPLAY_GAP,	/* accept; seq jumped: frames top+1..seq-1 missing */
	SYNC_REPLAY_LATE,	/* accept; inside the window, not seen before */
	SYNC_REPLAY_EPOCH,	/* accept; the sender restarted (higher epoch) */
	SYNC_REPLAY_DUP,	/* drop: seen already, or older than the window */
	SYNC_REPLAY_OLD_EPOCH,	/* drop: an epoch below the current one */
};

/* Decide and, if accepted, record. *gap_from, *gap_to give the missing
 * range for SYNC_REPLAY_GAP (may be NULL). */
enum sync_replay_verdict sync_replay_check(struct sync_replay *,
	    uint32_t epoch, uint32_t seq, uint32_t *gap_from, uint32_t *gap_to);

#endif
