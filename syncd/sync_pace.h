/*
 * sync_pace.h: the pace of a bulk send (pure). A bulk of 1,000,000 states
 * is some 90,000 frames; sent as fast as the sender builds them it
 * overruns the receiver's socket (measured: 880,000 frames dropped, the
 * repair by NACK adding to the flood), whereas pfsync's one frame per
 * 20 ms is 250 states/s (pfsync-conntrack.md 1.8). So a token bucket
 * whose rate follows the receivers: it starts at SYNC_PACE_START frames/s,
 * grows by an eighth every SYNC_PACE_GROW_US without a NACK, and halves
 * (at most once per SYNC_PACE_GROW_US) when a peer NACKs during the bulk,
 * between SYNC_PACE_MIN and SYNC_PACE_MAX. Time is an input.
 */
#ifndef SYNCD_SYNC_PACE_H
#define SYNCD_SYNC_PACE_H

#include <stdint.h>

#define SYNC_PACE_START		20000	/* frames/s: ~220,000 states/s */
#define SYNC_PACE_MIN		500
#define SYNC_PACE_MAX		100000
#define SYNC_PACE_GROW_US	100000ULL
#define SYNC_PACE_BURST_US	10000ULL	/* at most 10 ms worth at once */

struct sync_pace {
	uint32_t	rate;		/* frames per second */
	uint64_t	credit;		/* frames * 1e6 */
	uint64_t	last;		/* last refill */
	uint64_t	changed;	/* last rate change */
	uint64_t	cuts;		/* times halved */
};

void	sync_pace_init(struct sync_pace *, uint64_t now);
/* How many of `want` frames may go now (they are taken). */
unsigned sync_pace_take(struct sync_pace *, uint64_t now, unsigned want);
/* When the next frame may go (after a take that gave less than wanted). */
uint64_t sync_pace_next(const struct sync_pace *, uint64_t now);
/* A peer NACKed while the bulk runs: it is losing frames. */
void	sync_pace_congested(struct sync_pace *, uint64_t now);

#endif
