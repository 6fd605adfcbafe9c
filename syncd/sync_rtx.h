/*
 * sync_rtx.h: the sender's memory of its recent frames, to answer a NACK
 * (pure). For each frame it keeps which states it carried (action, creator
 * id, id), not its bytes: a retransmission goes out under the lost frame's
 * own seq (so the receiver's window fills the hole) and carries each
 * state's CURRENT content, as conntrackd's FTFW resends objects rather than
 * packets (pfsync-conntrack.md 3.3): a late copy never takes a state back
 * in time, and a state gone since is left out (its DEL_C has a frame of its
 * own). A frame too old to be remembered is answered with SYNC_HF_LOST so
 * the receiver resynchronises instead of waiting.
 */
#ifndef SYNCD_SYNC_RTX_H
#define SYNCD_SYNC_RTX_H

#include <stddef.h>
#include <stdint.h>

#include "sync_wire.h"

#define SYNC_RTX_FRAMES		16384	/* frames remembered */
#define SYNC_RTX_REFS		262144	/* messages remembered */
#define SYNC_RTX_HOLDOFF_US	90000	/* a frame again at most once per
					 * NACK round (100 ms): more copies
					 * only fill the receiver's queue */
#define SYNC_RTX_QUEUE		16384	/* NACKed frames waiting to go */

struct sync_rtx;

enum sync_rtx_result {
	SYNC_RTX_OK,		/* fb holds the frame again */
	SYNC_RTX_GONE,		/* not remembered: send it empty with LOST */
	SYNC_RTX_RECENT,	/* retransmitted just now: skip */
};

/* Fill m (action, creator id and id set) with the state's current
 * content; -1 if the state is gone. */
typedef int (*sync_rtx_current_fn)(void *arg, struct sync_msg *m);

struct sync_rtx *sync_rtx_new(uint32_t frames, uint32_t refs);
void	sync_rtx_free(struct sync_rtx *);
/* Remember what a finished frame with this seq carried. */
void	sync_rtx_record(struct sync_rtx *, uint32_t seq, const uint8_t *frame,
	    size_t len);
/* Rebuild frame seq into fb (initialised by the caller with that seq and
 * SYNC_HF_RETX). On GONE fb may hold part of it: start it again. */
enum sync_rtx_result sync_rtx_rebuild(struct sync_rtx *, uint32_t seq,
	    uint64_t now, sync_rtx_current_fn, void *arg, struct sync_fb *);
/* Forget everything (a new epoch). */
void	sync_rtx_reset(struct sync_rtx *);

/*
 * NACKed frames wait in a queue and leave at the bulk's pace (a NACK of a
 * large range answered at once floods a receiver that is already losing
 * frames). request: queue seq unless it is queued already or was sent
 * again within the hold-off (0), or the queue is full (-1). pop: the
 * next queued seq, 0 if none.
 */
int	sync_rtx_request(struct sync_rtx *, uint32_t seq, uint64_t now);
int	sync_rtx_pop(struct sync_rtx *, uint32_t *seq);
unsigned sync_rtx_queued(const struct sync_rtx *);

#endif
