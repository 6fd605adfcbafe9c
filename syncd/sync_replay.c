/*
 * sync_replay.c: the per-sender replay window over (epoch, seq), checked
 * after the frame's HMAC verified. A sliding bitmap of the last
 * SYNC_REPLAY_WINDOW sequence numbers, as IPsec ESP keeps (RFC 4303
 * 3.4.3), plus an epoch that the sender persists and raises at every start
 * (issue 3 item 1), so a restarted peer is heard at once instead of being
 * dropped until its sequence passes the old one.
 *
 * Sequence numbers compare as plain unsigned integers, not in serial
 * arithmetic: a sender raises its epoch before its sequence would wrap, so
 * within one epoch seq only grows. A seq that goes backwards by the window
 * or more, including a wrap from 2^32-1 to 0, is therefore a replay (DUP),
 * and once top is 2^32-1 only a higher epoch is heard again.
 */
#include <stdint.h>
#include <string.h>

#include "sync_replay.h"

_Static_assert(SYNC_REPLAY_WINDOW == 64, "the bitmap is one uint64_t");

/* Start a window at (epoch, seq) with only seq seen. */
static void
replay_reset(struct sync_replay *rp, uint32_t epoch, uint32_t seq)
{
	rp->seen = 1;
	rp->epoch = epoch;
	rp->top = seq;
	rp->bitmap = 1;
}

/* seq is above top: slide the window up and record seq. */
static enum sync_replay_verdict
replay_ahead(struct sync_replay *rp, uint32_t seq, uint32_t *gap_from,
    uint32_t *gap_to)
{
	uint32_t			 shift = seq - rp->top;
	enum sync_replay_verdict	 v = SYNC_REPLAY_NEW;

	if (shift > 1) {
		v = SYNC_REPLAY_GAP;
		if (gap_from != NULL)
			*gap_from = rp->top + 1;
		if (gap_to != NULL)
			*gap_to = seq - 1;
	}
	/* Shifting a uint64_t by 64 or more is undefined: clear instead. */
	rp->bitmap = shift >= SYNC_REPLAY_WINDOW ? 0 : rp->bitmap << shift;
	rp->bitmap |= 1;
	rp->top = seq;
	return v;
}

enum sync_replay_verdict
sync_replay_check(struct sync_replay *rp, uint32_t epoch, uint32_t seq,
    uint32_t *gap_from, uint32_t *gap_to)
{
	uint32_t	 back;
	uint64_t	 bit;

	if (!rp->seen) {
		replay_reset(rp, epoch, seq);
		return SYNC_REPLAY_NEW;
	}
	if (epoch < rp->epoch)
		return SYNC_REPLAY_OLD_EPOCH;
	if (epoch > rp->epoch) {
		replay_reset(rp, epoch, seq);
		return SYNC_REPLAY_EPOCH;
	}
	if (seq > rp->top)
		return replay_ahead(rp, seq, gap_from, gap_to);
	back = rp->top - seq;
	if (back >= SYNC_REPLAY_WINDOW)
		return SYNC_REPLAY_DUP;
	bit = (uint64_t)1 << back;
	if (rp->bitmap & bit)
		return SYNC_REPLAY_DUP;
	rp->bitmap |= bit;
	return SYNC_REPLAY_LATE;
}
