/*
 * sync_rtx.c: the retransmission memory (sync_rtx.h). Two rings: one slot
 * per frame (by seq modulo the ring), and one arena of message references
 * written in order; a frame is remembered while its slot still holds its
 * seq and its references have not been overwritten.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync_rtx.h"

struct rtx_ref {
	uint64_t	id;
	uint32_t	creatorid;
	uint8_t		action;
	uint8_t		status;		/* BUS */
	uint8_t		pad[2];
};
_Static_assert(sizeof(struct rtx_ref) == 16, "rtx ref");

struct rtx_frame {
	uint64_t	first;		/* its first reference in the arena */
	uint64_t	last_retx;	/* when it was last sent again; 0 never */
	uint32_t	seq;
	uint32_t	nrefs;
	uint8_t		used;
	uint8_t		queued;		/* waits in the request queue */
};

struct sync_rtx {
	struct rtx_frame	*frames;
	uint32_t		 nframes;
	struct rtx_ref		*refs;
	uint32_t		 nrefs;
	uint64_t		 head;		/* references ever written */
	uint32_t		 q[SYNC_RTX_QUEUE];	/* requested seqs */
	uint32_t		 qhead, qn;
};

struct sync_rtx *
sync_rtx_new(uint32_t frames, uint32_t refs)
{
	struct sync_rtx	*x;

	if (frames == 0 || refs == 0 || (x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->frames = calloc(frames, sizeof(*x->frames));
	x->refs = calloc(refs, sizeof(*x->refs));
	if (x->frames == NULL || x->refs == NULL) {
		sync_rtx_free(x);
		return NULL;
	}
	x->nframes = frames;
	x->nrefs = refs;
	return x;
}

void
sync_rtx_free(struct sync_rtx *x)
{
	if (x == NULL)
		return;
	free(x->frames);
	free(x->refs);
	free(x);
}

void
sync_rtx_reset(struct sync_rtx *x)
{
	memset(x->frames, 0, x->nframes * sizeof(*x->frames));
	x->head = 0;
	x->qhead = x->qn = 0;
}

/* The reference a message names; 0 if it is not retransmitted (NACK). */
static int
ref_of(const struct sync_msg *m, struct rtx_ref *r)
{
	memset(r, 0, sizeof(*r));
	r->action = (uint8_t)m->action;
	switch (m->action) {
	case SYNC_A_INS:
	case SYNC_A_UPD:
		r->id = m->u.st.id;
		r->creatorid = m->u.st.creatorid;
		return 1;
	case SYNC_A_UPD_C:
		r->id = m->u.upd_c.id;
		r->creatorid = m->u.upd_c.creatorid;
		return 1;
	case SYNC_A_DEL_C:
	case SYNC_A_UPD_REQ:
	case SYNC_A_INS_ACK:
		r->id = m->u.ref.id;
		r->creatorid = m->u.ref.creatorid;
		return 1;
	case SYNC_A_BUS:
		r->creatorid = m->u.bus.creatorid;
		r->status = m->u.bus.status;
		return 1;
	case SYNC_A_CLR:
		r->creatorid = m->u.clr.creatorid;
		return 1;
	default:
		return 0;
	}
}

static int
record_msg(void *arg, const struct sync_msg *m)
{
	struct sync_rtx	*x = arg;
	struct rtx_ref	 r;

	if (ref_of(m, &r)) {
		x->refs[x->head % x->nrefs] = r;
		x->head++;
	}
	return 0;
}

void
sync_rtx_record(struct sync_rtx *x, uint32_t seq, const uint8_t *frame,
    size_t len)
{
	struct rtx_frame	*f = &x->frames[seq % x->nframes];

	f->used = 1;
	f->seq = seq;
	f->first = x->head;
	f->last_retx = 0;
	f->queued = 0;
	sync_frame_walk(frame, len, record_msg, x, NULL);
	f->nrefs = (uint32_t)(x->head - f->first);
}

/* Still remembered: the slot is this seq's and no reference overwritten. */
static struct rtx_frame *
frame_find(struct sync_rtx *x, uint32_t seq)
{
	struct rtx_frame	*f = &x->frames[seq % x->nframes];

	if (!f->used || f->seq != seq || x->head - f->first > x->nrefs)
		return NULL;
	return f;
}

/* The message to send again for r; 0 to leave it out (state gone). */
static int
msg_again(const struct rtx_ref *r, sync_rtx_current_fn current, void *arg,
    struct sync_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->action = r->action;
	switch (r->action) {
	case SYNC_A_INS:
	case SYNC_A_UPD:
		m->u.st.id = r->id;
		m->u.st.creatorid = r->creatorid;
		return current(arg, m) == 0;
	case SYNC_A_UPD_C:
		m->u.upd_c.id = r->id;
		m->u.upd_c.creatorid = r->creatorid;
		return current(arg, m) == 0;
	case SYNC_A_BUS:
		m->u.bus.creatorid = r->creatorid;
		m->u.bus.status = r->status;
		return 1;
	case SYNC_A_CLR:
		m->u.clr.creatorid = r->creatorid;
		return 1;
	default:	/* DEL_C, UPD_REQ, INS_ACK: as they were */
		m->u.ref.id = r->id;
		m->u.ref.creatorid = r->creatorid;
		return 1;
	}
}

int
sync_rtx_request(struct sync_rtx *x, uint32_t seq, uint64_t now)
{
	struct rtx_frame	*f = frame_find(x, seq);

	if (f != NULL && (f->queued || (f->last_retx != 0 &&
	    now - f->last_retx < SYNC_RTX_HOLDOFF_US)))
		return 0;
	if (x->qn == SYNC_RTX_QUEUE)
		return -1;
	x->q[(x->qhead + x->qn++) % SYNC_RTX_QUEUE] = seq;
	if (f != NULL)
		f->queued = 1;
	return 0;
}

int
sync_rtx_pop(struct sync_rtx *x, uint32_t *seq)
{
	struct rtx_frame	*f;

	if (x->qn == 0)
		return 0;
	*seq = x->q[x->qhead];
	x->qhead = (x->qhead + 1) % SYNC_RTX_QUEUE;
	x->qn--;
	if ((f = frame_find(x, *seq)) != NULL)
		f->queued = 0;
	return 1;
}

unsigned
sync_rtx_queued(const struct sync_rtx *x)
{
	return x->qn;
}

enum sync_rtx_result
sync_rtx_rebuild(struct sync_rtx *x, uint32_t seq, uint64_t now,
    sync_rtx_current_fn current, void *arg, struct sync_fb *fb)
{
	struct rtx_frame	*f;
	struct sync_msg		 m;
	uint32_t		 i;

	if ((f = frame_find(x, seq)) == NULL)
		return SYNC_RTX_GONE;
	if (f->last_retx != 0 && now - f->last_retx < SYNC_RTX_HOLDOFF_US)
		return SYNC_RTX_RECENT;
	for (i = 0; i < f->nrefs; i++) {
		if (!msg_again(&x->refs[(f->first + i) % x->nrefs], current,
		    arg, &m))
			continue;
		/* The same messages fit the same frame unless the MTU
		 * shrank since: then say the content is lost. */
		if (sync_fb_add(fb, &m) == -1)
			return SYNC_RTX_GONE;
	}
	f->last_retx = now ? now : 1;
	return SYNC_RTX_OK;
}
