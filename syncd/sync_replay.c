/*
 * sync_replay.c: the per-sender receive window over (epoch, seq), checked
 * after the frame's HMAC verified (sync_replay.h). Instead of IPsec's
 * fixed bitmap of the last 64 seqs (RFC 4303 3.4.3), it keeps the highest
 * seq and the missing seqs below it as sorted ranges: each seq is accepted
 * at most once however late it comes, which lets a sender answer a NACK
 * with the lost frame's own seq (issue 3 item 5: a gap triggers a NACK and
 * a retransmission), and a bulk of 100,000 frames can be checked for
 * completeness. The ranges are bounded (SYNC_REPLAY_GAPS); beyond that the
 * oldest is given up (lost), and so is a range NACKed SYNC_REPLAY_NACKS
 * times without an answer: the caller then resynchronises.
 *
 * Sequence numbers compare as plain unsigned integers, not in serial
 * arithmetic: a sender raises its epoch before its sequence would wrap, so
 * within one epoch seq only grows. A seq that went back to 0 is therefore
 * a replay, and once top is 2^32-1 only a higher epoch is heard again.
 */
#include <stdint.h>
#include <string.h>

#include "sync_replay.h"

static void
replay_reset(struct sync_replay *rp, uint32_t epoch, uint32_t seq)
{
	uint64_t	lost = rp->lost;
	int		lost_new = rp->lost_new;

	memset(rp, 0, sizeof(*rp));
	rp->seen = 1;
	rp->epoch = epoch;
	rp->top = seq;
	rp->lost = lost;
	rp->lost_new = lost_new;
}

static void
gap_remove(struct sync_replay *rp, unsigned i)
{
	memmove(&rp->gap[i], &rp->gap[i + 1],
	    (rp->ngaps - i - 1) * sizeof(rp->gap[0]));
	rp->ngaps--;
}

/* Give up seqs from..to of range i (all of it, or its lower part). */
static void
gap_give_up(struct sync_replay *rp, unsigned i, uint32_t to)
{
	struct sync_replay_gap	*g = &rp->gap[i];

	rp->lost += (uint64_t)to - g->from + 1;
	rp->lost_new = 1;
	if (to >= g->to)
		gap_remove(rp, i);
	else
		g->from = to + 1;
}

/* seq is above top: the seqs in between are missing. */
static enum sync_replay_verdict
replay_ahead(struct sync_replay *rp, uint32_t seq, uint64_t now,
    uint32_t *gap_from, uint32_t *gap_to)
{
	struct sync_replay_gap	*g;
	uint32_t		 from = rp->top + 1;

	rp->top = seq;
	if (seq == from)
		return SYNC_REPLAY_NEW;
	if (gap_from != NULL)
		*gap_from = from;
	if (gap_to != NULL)
		*gap_to = seq - 1;
	if (rp->ngaps == SYNC_REPLAY_GAPS)
		gap_give_up(rp, 0, rp->gap[0].to);	/* the oldest */
	g = &rp->gap[rp->ngaps++];
	g->from = from;
	g->to = seq - 1;
	g->next_nack = now;
	g->nacks = 0;
	return SYNC_REPLAY_GAP;
}

/* Index of the range holding seq, or -1 (binary search). */
static int
gap_find(const struct sync_replay *rp, uint32_t seq)
{
	unsigned	lo = 0, hi = rp->ngaps, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (rp->gap[mid].to < seq)
			lo = mid + 1;
		else if (rp->gap[mid].from > seq)
			hi = mid;
		else
			return (int)mid;
	}
	return -1;
}

/* seq of range i arrived: shrink or split the range. With no room for a
 * split, the part below seq is given up rather than the oldest range. */
static void
gap_fill(struct sync_replay *rp, unsigned i, uint32_t seq)
{
	struct sync_replay_gap	*g = &rp->gap[i];

	if (g->from == seq && g->to == seq)
		gap_remove(rp, i);
	else if (g->from == seq)
		g->from++;
	else if (g->to == seq)
		g->to--;
	else if (rp->ngaps == SYNC_REPLAY_GAPS) {
		gap_give_up(rp, i, seq - 1);
		rp->gap[i].from = seq + 1;
	} else {
		memmove(&rp->gap[i + 1], &rp->gap[i],
		    (rp->ngaps - i) * sizeof(rp->gap[0]));
		rp->ngaps++;
		rp->gap[i].to = seq - 1;
		rp->gap[i + 1].from = seq + 1;
	}
}

enum sync_replay_verdict
sync_replay_check(struct sync_replay *rp, uint32_t epoch, uint32_t seq,
    uint64_t now, uint32_t *gap_from, uint32_t *gap_to)
{
	int	i;

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
		return replay_ahead(rp, seq, now, gap_from, gap_to);
	if ((i = gap_find(rp, seq)) == -1)
		return SYNC_REPLAY_DUP;
	gap_fill(rp, (unsigned)i, seq);
	return SYNC_REPLAY_LATE;
}

int
sync_replay_missing(const struct sync_replay *rp, uint32_t from, uint32_t to)
{
	unsigned	i;

	for (i = 0; i < rp->ngaps; i++)
		if (rp->gap[i].from <= to && rp->gap[i].to >= from)
			return 1;
	return 0;
}

unsigned
sync_replay_nacks(struct sync_replay *rp, uint64_t now,
    struct sync_replay_gap *out, unsigned max)
{
	struct sync_replay_gap	*g;
	unsigned		 i = 0, n = 0;

	while (i < rp->ngaps && n < max) {
		g = &rp->gap[i];
		if (g->next_nack > now) {
			i++;
			continue;
		}
		if (g->nacks >= SYNC_REPLAY_NACKS) {
			gap_give_up(rp, i, g->to);	/* removes g */
			continue;
		}
		g->nacks++;
		g->next_nack = now + SYNC_REPLAY_NACK_US;
		out[n++] = *g;
		i++;
	}
	return n;
}

uint64_t
sync_replay_deadline(const struct sync_replay *rp)
{
	uint64_t	d = 0;
	unsigned	i;

	for (i = 0; i < rp->ngaps; i++)
		if (d == 0 || rp->gap[i].next_nack < d)
			d = rp->gap[i].next_nack;
	return d == 0 && rp->ngaps > 0 ? 1 : d;
}

int
sync_replay_take_lost(struct sync_replay *rp)
{
	int	v = rp->lost_new;

	rp->lost_new = 0;
	return v;
}
