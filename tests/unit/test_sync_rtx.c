/*
 * test_sync_rtx.c: the sender's memory of its frames. A rebuilt frame
 * carries the same messages in the same order, each state with its
 * current content, a state gone since left out, NACKs never; an old frame
 * is GONE once its slot or its references were reused; one retransmission
 * per hold-off; a frame that no longer fits is GONE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync_rtx.h"
#include "sync_wire.h"

static const uint8_t key[SYNC_KEY_LEN] = { 1, 2, 3 };

/* The "table": states 1..8 of creator 9, mark = 100 * id; gone[id]. */
struct fake {
	int		gone[16];
	uint32_t	mark_bias;
	unsigned	calls;
};

static int
current(void *arg, struct sync_msg *m)
{
	struct fake	*f = arg;
	uint64_t	 id = m->action == SYNC_A_UPD_C ? m->u.upd_c.id :
	    m->u.st.id;

	f->calls++;
	if (id >= 16 || f->gone[id])
		return -1;
	if (m->action == SYNC_A_UPD_C)
		m->u.upd_c.mark = (uint32_t)id * 100 + f->mark_bias;
	else {
		m->u.st.af = 2;
		m->u.st.proto = 6;
		m->u.st.mark = (uint32_t)id * 100 + f->mark_bias;
	}
	return 0;
}

static size_t
frame(uint8_t *buf, size_t cap, uint32_t seq, uint8_t flags,
    const struct sync_msg *m, size_t n)
{
	struct sync_hdr	h = { 0, flags, 0, 9, 1, seq };
	struct sync_fb	fb;
	size_t		i;

	sync_fb_init(&fb, buf, cap, &h);
	for (i = 0; i < n; i++)
		assert_int_equal(sync_fb_add(&fb, &m[i]), 0);
	return sync_fb_finish(&fb, key);
}

struct got {
	struct sync_msg	m[32];
	size_t		n;
};

static int
collect(void *arg, const struct sync_msg *m)
{
	struct got	*g = arg;

	if (g->n < 32)
		g->m[g->n++] = *m;
	return 0;
}

static struct sync_msg
st_msg(enum sync_action a, uint64_t id)
{
	struct sync_msg	m;

	memset(&m, 0, sizeof(m));
	m.action = a;
	if (a == SYNC_A_UPD_C) {
		m.u.upd_c.id = id;
		m.u.upd_c.creatorid = 9;
	} else if (a == SYNC_A_INS || a == SYNC_A_UPD) {
		m.u.st.id = id;
		m.u.st.creatorid = 9;
		m.u.st.af = 2;
		m.u.st.proto = 6;
		m.u.st.mark = 1;		/* old content */
	} else {
		m.u.ref.id = id;
		m.u.ref.creatorid = 9;
	}
	return m;
}

static void
test_rebuild_current_content(void **state)
{
	struct sync_rtx		*x = sync_rtx_new(8, 64);
	struct fake		 f = { { 0 }, 0, 0 };
	struct sync_msg		 m[7];
	struct sync_hdr		 h = { 0, SYNC_HF_RETX, 0, 9, 1, 5 }, hh;
	struct sync_fb		 fb;
	struct got		 g = { .n = 0 };
	uint8_t			 buf[1500], out[1500];
	size_t			 len;

	(void)state;
	m[0] = st_msg(SYNC_A_INS, 1);
	m[1] = st_msg(SYNC_A_INS, 2);			/* gone since */
	m[2] = st_msg(SYNC_A_UPD_C, 3);
	m[3] = st_msg(SYNC_A_DEL_C, 4);
	memset(&m[4], 0, sizeof(m[4]));
	m[4].action = SYNC_A_BUS;
	m[4].u.bus = (struct sync_bus){ 9, 0, SYNC_BUS_START };
	memset(&m[5], 0, sizeof(m[5]));
	m[5].action = SYNC_A_NACK;			/* never again */
	m[5].u.nack = (struct sync_nack){ 3, 1, 10, 12 };
	m[6] = st_msg(SYNC_A_UPD_REQ, 0);
	m[6].u.ref.creatorid = 0;
	len = frame(buf, sizeof(buf), 5, 0, m, 7);
	sync_rtx_record(x, 5, buf, len);
	f.gone[2] = 1;
	f.mark_bias = 7;
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 5, 1000, current, &f, &fb),
	    SYNC_RTX_OK);
	len = sync_fb_finish(&fb, key);
	assert_int_equal(sync_frame_check(out, len, key, &hh), SYNC_OK);
	assert_int_equal(hh.seq, 5);
	assert_int_equal(hh.flags, SYNC_HF_RETX);
	sync_frame_walk(out, len, collect, &g, NULL);
	assert_int_equal(g.n, 5);
	assert_int_equal(g.m[0].action, SYNC_A_INS);
	assert_int_equal(g.m[0].u.st.id, 1);
	assert_int_equal(g.m[0].u.st.mark, 107);	/* current */
	assert_int_equal(g.m[1].action, SYNC_A_UPD_C);
	assert_int_equal(g.m[1].u.upd_c.mark, 307);
	assert_int_equal(g.m[2].action, SYNC_A_DEL_C);
	assert_int_equal(g.m[2].u.ref.id, 4);
	assert_int_equal(g.m[3].action, SYNC_A_BUS);
	assert_int_equal(g.m[3].u.bus.status, SYNC_BUS_START);
	assert_int_equal(g.m[3].u.bus.creatorid, 9);
	assert_int_equal(g.m[4].action, SYNC_A_UPD_REQ);
	assert_int_equal(g.m[4].u.ref.id, 0);
	/* again within the hold-off: skipped; after it: sent */
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 5, 1000 + SYNC_RTX_HOLDOFF_US - 1,
	    current, &f, &fb), SYNC_RTX_RECENT);
	assert_int_equal(sync_rtx_rebuild(x, 5, 1000 + SYNC_RTX_HOLDOFF_US,
	    current, &f, &fb), SYNC_RTX_OK);
	/* never sent: GONE */
	assert_int_equal(sync_rtx_rebuild(x, 6, 0, current, &f, &fb),
	    SYNC_RTX_GONE);
	sync_rtx_free(x);
}

/* 8 frame slots, 16 references: a frame is forgotten when its slot is
 * reused (seq + 8) or its references are overwritten. */
static void
test_ring_forgets(void **state)
{
	struct sync_rtx		*x = sync_rtx_new(8, 16);
	struct fake		 f = { { 0 }, 0, 0 };
	struct sync_msg		 m[4];
	struct sync_hdr		 h = { 0, SYNC_HF_RETX, 0, 9, 1, 0 };
	struct sync_fb		 fb;
	uint8_t			 buf[1500], out[1500];
	size_t			 len;
	uint32_t		 seq;

	(void)state;
	m[0] = st_msg(SYNC_A_DEL_C, 1);
	m[1] = st_msg(SYNC_A_DEL_C, 2);
	m[2] = st_msg(SYNC_A_DEL_C, 3);
	m[3] = st_msg(SYNC_A_DEL_C, 4);
	for (seq = 1; seq <= 4; seq++) {	/* 4 refs each: 16 in all */
		len = frame(buf, sizeof(buf), seq, 0, m, 4);
		sync_rtx_record(x, seq, buf, len);
	}
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 1, 0, current, &f, &fb),
	    SYNC_RTX_OK);
	len = frame(buf, sizeof(buf), 5, 0, m, 1);	/* overwrites 1's first */
	sync_rtx_record(x, 5, buf, len);
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 1, 0, current, &f, &fb),
	    SYNC_RTX_GONE);
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 2, 0, current, &f, &fb),
	    SYNC_RTX_OK);
	for (seq = 6; seq <= 10; seq++) {	/* empty frames: slots only */
		len = frame(buf, sizeof(buf), seq, 0, m, 0);
		sync_rtx_record(x, seq, buf, len);
	}
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 2, 0, current, &f, &fb),
	    SYNC_RTX_GONE);			/* slot 2 is seq 10's now */
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 9, 0, current, &f, &fb),
	    SYNC_RTX_OK);
	assert_true(sync_fb_empty(&fb));
	sync_rtx_reset(x);
	assert_int_equal(sync_rtx_rebuild(x, 9, 0, current, &f, &fb),
	    SYNC_RTX_GONE);
	sync_rtx_free(x);
}

/* The MTU shrank: what was sent no longer fits one frame. */
static void
test_no_longer_fits(void **state)
{
	struct sync_rtx		*x = sync_rtx_new(8, 64);
	struct fake		 f = { { 0 }, 0, 0 };
	struct sync_msg		 m[4];
	struct sync_hdr		 h = { 0, SYNC_HF_RETX, 0, 9, 1, 1 };
	struct sync_fb		 fb;
	uint8_t			 buf[1500], out[1500];
	size_t			 len;
	int			 i;

	(void)state;
	for (i = 0; i < 4; i++)
		m[i] = st_msg(SYNC_A_UPD, (uint64_t)i + 1);
	len = frame(buf, sizeof(buf), 1, 0, m, 4);
	sync_rtx_record(x, 1, buf, len);
	sync_fb_init(&fb, out, 300, &h);		/* 2 records fit */
	assert_int_equal(sync_rtx_rebuild(x, 1, 0, current, &f, &fb),
	    SYNC_RTX_GONE);
	assert_null(sync_rtx_new(0, 1));
	sync_rtx_free(NULL);
	sync_rtx_free(x);
}

/* The request queue: a frame once while queued, not again within the
 * hold-off after it went; unknown seqs queued too (answered LOST); a
 * full queue refuses. */
static void
test_request_queue(void **state)
{
	struct sync_rtx		*x = sync_rtx_new(8, 64);
	struct fake		 f = { { 0 }, 0, 0 };
	struct sync_msg		 m = st_msg(SYNC_A_DEL_C, 1);
	struct sync_hdr		 h = { 0, SYNC_HF_RETX, 0, 9, 1, 3 };
	struct sync_fb		 fb;
	uint8_t			 buf[1500], out[1500];
	uint32_t		 seq, k;
	size_t			 len;

	(void)state;
	len = frame(buf, sizeof(buf), 3, 0, &m, 1);
	sync_rtx_record(x, 3, buf, len);
	assert_int_equal(sync_rtx_request(x, 3, 1000), 0);
	assert_int_equal(sync_rtx_request(x, 3, 1000), 0);	/* queued */
	assert_int_equal(sync_rtx_request(x, 99, 1000), 0);	/* unknown */
	assert_int_equal(sync_rtx_queued(x), 2);
	assert_int_equal(sync_rtx_pop(x, &seq), 1);
	assert_int_equal(seq, 3);
	sync_fb_init(&fb, out, sizeof(out), &h);
	assert_int_equal(sync_rtx_rebuild(x, 3, 2000, current, &f, &fb),
	    SYNC_RTX_OK);
	assert_int_equal(sync_rtx_pop(x, &seq), 1);
	assert_int_equal(seq, 99);
	assert_int_equal(sync_rtx_pop(x, &seq), 0);
	/* sent at 2000: not queued again within the hold-off */
	assert_int_equal(sync_rtx_request(x, 3, 2000 + SYNC_RTX_HOLDOFF_US - 1),
	    0);
	assert_int_equal(sync_rtx_queued(x), 0);
	assert_int_equal(sync_rtx_request(x, 3, 2000 + SYNC_RTX_HOLDOFF_US), 0);
	assert_int_equal(sync_rtx_queued(x), 1);
	for (k = 1; k < SYNC_RTX_QUEUE; k++)
		assert_int_equal(sync_rtx_request(x, 1000 + k, 0), 0);
	assert_int_equal(sync_rtx_request(x, 5, 0), -1);	/* full */
	sync_rtx_free(x);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebuild_current_content),
		cmocka_unit_test(test_ring_forgets),
		cmocka_unit_test(test_no_longer_fits),
		cmocka_unit_test(test_request_queue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
