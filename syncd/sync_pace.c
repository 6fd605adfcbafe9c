/*
 * sync_pace.c: the bulk's token bucket (sync_pace.h). Credit is kept in
 * frames x 10^6 so that a refill of rate x microseconds is exact.
 */
#include <stdint.h>
#include <string.h>

#include "sync_pace.h"

#define US	1000000ULL

void
sync_pace_init(struct sync_pace *p, uint64_t now)
{
	memset(p, 0, sizeof(*p));
	p->rate = SYNC_PACE_START;
	p->last = p->changed = now;
}

/* Grow by an eighth per quiet SYNC_PACE_GROW_US (AIMD's probe). */
static void
grow(struct sync_pace *p, uint64_t now)
{
	uint64_t	r = p->rate;

	while (now - p->changed >= SYNC_PACE_GROW_US && r < SYNC_PACE_MAX) {
		r += r / 8;
		p->changed += SYNC_PACE_GROW_US;
	}
	if (r >= SYNC_PACE_MAX) {
		r = SYNC_PACE_MAX;
		p->changed = now;
	}
	p->rate = (uint32_t)r;
}

static void
refill(struct sync_pace *p, uint64_t now)
{
	uint64_t	cap;

	if (now <= p->last)
		return;
	grow(p, now);
	p->credit += (uint64_t)p->rate * (now - p->last);
	cap = (uint64_t)p->rate * SYNC_PACE_BURST_US;
	if (cap < US)
		cap = US;			/* at least one frame */
	if (p->credit > cap)
		p->credit = cap;
	p->last = now;
}

unsigned
sync_pace_take(struct sync_pace *p, uint64_t now, unsigned want)
{
	uint64_t	have;

	refill(p, now);
	have = p->credit / US;
	if (have > want)
		have = want;
	p->credit -= have * US;
	return (unsigned)have;
}

uint64_t
sync_pace_next(const struct sync_pace *p, uint64_t now)
{
	uint64_t	need;

	if (p->credit >= US)
		return now;
	need = US - p->credit;
	return now + (need + p->rate - 1) / p->rate;
}

void
sync_pace_congested(struct sync_pace *p, uint64_t now)
{
	if (now - p->changed < SYNC_PACE_GROW_US && p->cuts > 0)
		return;			/* one cut per round of NACKs */
	refill(p, now);
	p->rate /= 2;
	if (p->rate < SYNC_PACE_MIN)
		p->rate = SYNC_PACE_MIN;
	p->changed = now;
	p->cuts++;
}
