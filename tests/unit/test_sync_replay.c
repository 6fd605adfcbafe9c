/*
 * test_sync_replay.c: the per-sender receive window. Each scenario is a
 * list of (epoch, seq) arrivals with the verdict and, for a gap, the
 * missing range expected; after a drop the window must be unchanged.
 * Then the missing ranges: splitting, NACK timing, giving up, overflow.
 * Decided here and in sync_replay.c: seq is not serial arithmetic; a
 * sender raises its epoch before seq wraps, so a wrap looks like a replay.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync_replay.h"

#define NEW	SYNC_REPLAY_NEW
#define GAP	SYNC_REPLAY_GAP
#define LATE	SYNC_REPLAY_LATE
#define EPOCH	SYNC_REPLAY_EPOCH
#define DUP	SYNC_REPLAY_DUP
#define OLD	SYNC_REPLAY_OLD_EPOCH
#define MAXSEQ	UINT32_MAX

struct step {
	uint32_t			 epoch, seq;
	enum sync_replay_verdict	 v;
	uint32_t			 from, to;	/* GAP only */
};

struct scenario {
	const char	*name;
	struct step	 steps[16];
	size_t		 n;
};

#define SCEN(name, ...) { name, { __VA_ARGS__ }, \
	sizeof((struct step[]){ __VA_ARGS__ }) / sizeof(struct step) }

static const struct scenario scenarios[] = {
	SCEN("in order from any first counter",
	    { 9, 100, NEW, 0, 0 }, { 9, 101, NEW, 0, 0 },
	    { 9, 102, NEW, 0, 0 }, { 9, 103, NEW, 0, 0 }),
	SCEN("first frame (0, 0)",
	    { 0, 0, NEW, 0, 0 }, { 0, 1, NEW, 0, 0 }, { 0, 0, DUP, 0, 0 }),
	SCEN("below the first frame: never missing, a replay",
	    { 3, 50, NEW, 0, 0 }, { 3, 49, DUP, 0, 0 }, { 3, 1, DUP, 0, 0 }),
	SCEN("gap with its range, then the late ones",
	    { 1, 10, NEW, 0, 0 }, { 1, 15, GAP, 11, 14 },
	    { 1, 16, NEW, 0, 0 }, { 1, 12, LATE, 0, 0 },
	    { 1, 12, DUP, 0, 0 }, { 1, 13, LATE, 0, 0 },
	    { 1, 11, LATE, 0, 0 }, { 1, 14, LATE, 0, 0 },
	    { 1, 14, DUP, 0, 0 }, { 1, 10, DUP, 0, 0 },
	    { 1, 16, DUP, 0, 0 }, { 1, 15, DUP, 0, 0 }),
	SCEN("one frame missing",
	    { 1, 1, NEW, 0, 0 }, { 1, 3, GAP, 2, 2 }, { 1, 2, LATE, 0, 0 }),
	SCEN("duplicate of the newest",
	    { 1, 7, NEW, 0, 0 }, { 1, 7, DUP, 0, 0 }, { 1, 8, NEW, 0, 0 },
	    { 1, 8, DUP, 0, 0 }),
	SCEN("a missing seq is accepted however far back",
	    { 1, 10, NEW, 0, 0 }, { 1, 5000, GAP, 11, 4999 },
	    { 1, 11, LATE, 0, 0 }, { 1, 4999, LATE, 0, 0 },
	    { 1, 2500, LATE, 0, 0 }, { 1, 2500, DUP, 0, 0 },
	    { 1, 9, DUP, 0, 0 }, { 1, 100000, GAP, 5001, 99999 },
	    { 1, 2501, LATE, 0, 0 }, { 1, 5001, LATE, 0, 0 }),
	SCEN("a gap across most of the sequence space",
	    { 1, 1, NEW, 0, 0 }, { 1, MAXSEQ, GAP, 2, MAXSEQ - 1 },
	    { 1, MAXSEQ - 1, LATE, 0, 0 }, { 1, 2, LATE, 0, 0 },
	    { 1, 2, DUP, 0, 0 }),
	SCEN("no wrap within an epoch: back to 0 is a replay",
	    { 1, MAXSEQ - 1, NEW, 0, 0 }, { 1, MAXSEQ, NEW, 0, 0 },
	    { 1, 0, DUP, 0, 0 }, { 1, 5, DUP, 0, 0 },
	    { 1, MAXSEQ, DUP, 0, 0 },
	    { 2, 0, EPOCH, 0, 0 }, { 2, 1, NEW, 0, 0 }),
	SCEN("a higher epoch resets the window",
	    { 5, 100, NEW, 0, 0 }, { 5, 103, GAP, 101, 102 },
	    { 6, 50, EPOCH, 0, 0 }, { 6, 49, DUP, 0, 0 },
	    { 6, 50, DUP, 0, 0 }, { 5, 101, OLD, 0, 0 },
	    { 6, 100, GAP, 51, 99 }, { 6, 90, LATE, 0, 0 }),
	SCEN("a lower epoch is dropped",
	    { 5, 100, NEW, 0, 0 }, { 6, 3, EPOCH, 0, 0 },
	    { 6, 4, NEW, 0, 0 }, { 5, 101, OLD, 0, 0 },
	    { 5, 100, OLD, 0, 0 }, { 6, 3, DUP, 0, 0 },
	    { 6, 5, NEW, 0, 0 }, { 7, 0, EPOCH, 0, 0 },
	    { 6, 6, OLD, 0, 0 }, { 0, 0, OLD, 0, 0 },
	    { 7, 1, NEW, 0, 0 }),
	SCEN("an epoch jump from 0 to 2^32-1",
	    { 0, 7, NEW, 0, 0 }, { MAXSEQ, 7, EPOCH, 0, 0 },
	    { MAXSEQ, 8, NEW, 0, 0 }, { MAXSEQ - 1, 9, OLD, 0, 0 }),
};

static void
run_scenario(void **state)
{
	const struct scenario	*sc = *state;
	struct sync_replay	 rp, before;
	enum sync_replay_verdict v;
	uint32_t		 from, to;
	size_t			 i;

	memset(&rp, 0, sizeof(rp));
	for (i = 0; i < sc->n; i++) {
		const struct step *s = &sc->steps[i];

		before = rp;
		from = to = 0xdeadbeef;
		v = sync_replay_check(&rp, s->epoch, s->seq, 0, &from, &to);
		if (v != s->v)
			fail_msg("%s: step %zu (%u, %u): verdict %d, want %d",
			    sc->name, i, s->epoch, s->seq, v, s->v);
		if (v == GAP) {
			assert_int_equal(from, s->from);
			assert_int_equal(to, s->to);
		} else {
			assert_int_equal(from, 0xdeadbeef);
			assert_int_equal(to, 0xdeadbeef);
		}
		if (v == DUP || v == OLD) {
			/* a drop changes nothing at all */
			assert_memory_equal(&rp, &before, sizeof(rp));
		} else {
			/* accepted: it is now the current epoch */
			assert_int_equal(rp.epoch, s->epoch);
			assert_true(rp.seen);
		}
	}
}

/* The gap pointers are optional. */
static void
test_gap_null(void **state)
{
	struct sync_replay	 rp;

	memset(&rp, 0, sizeof(rp));
	assert_int_equal(sync_replay_check(&rp, 1, 1, 0, NULL, NULL), NEW);
	assert_int_equal(sync_replay_check(&rp, 1, 9, 0, NULL, NULL), GAP);
	assert_int_equal(sync_replay_check(&rp, 1, 5, 0, NULL, NULL), LATE);
	assert_int_equal(sync_replay_check(&rp, 1, 5, 0, NULL, NULL), DUP);
}

/* Every counter of a long run arrives twice: the second copy is a DUP. */
static void
test_every_replay_caught(void **state)
{
	struct sync_replay	 rp;
	uint32_t		 seq;

	memset(&rp, 0, sizeof(rp));
	for (seq = 1; seq < 1000; seq++) {
		assert_int_equal(sync_replay_check(&rp, 3, seq, 0, NULL, NULL),
		    NEW);
		assert_int_equal(sync_replay_check(&rp, 3, seq, 0, NULL, NULL),
		    DUP);
		if (seq > 64)
			assert_int_equal(sync_replay_check(&rp, 3, seq - 64,
			    0, NULL, NULL), DUP);
	}
	assert_int_equal(rp.ngaps, 0);
}

/* Reordered delivery: everything accepted once, nothing missing after. */
static void
test_reorder_window(void **state)
{
	struct sync_replay	 rp;
	uint32_t		 seq, i;

	memset(&rp, 0, sizeof(rp));
	assert_int_equal(sync_replay_check(&rp, 1, 0, 0, NULL, NULL), NEW);
	/* 200 arrives first, then 199..1 in reverse */
	assert_int_equal(sync_replay_check(&rp, 1, 200, 0, NULL, NULL), GAP);
	for (seq = 199; seq >= 1; seq--)
		assert_int_equal(sync_replay_check(&rp, 1, seq, 0, NULL,
		    NULL), LATE);
	for (i = 0; i <= 200; i++)
		assert_int_equal(sync_replay_check(&rp, 1, i, 0, NULL, NULL),
		    DUP);
	assert_int_equal(rp.top, 200);
	assert_int_equal(rp.ngaps, 0);
	assert_int_equal(sync_replay_deadline(&rp), 0);
}

static void
test_split_and_missing(void **state)
{
	struct sync_replay	 rp;

	memset(&rp, 0, sizeof(rp));
	sync_replay_check(&rp, 1, 10, 0, NULL, NULL);
	sync_replay_check(&rp, 1, 21, 0, NULL, NULL);	/* 11..20 */
	sync_replay_check(&rp, 1, 15, 0, NULL, NULL);	/* 11..14 16..20 */
	sync_replay_check(&rp, 1, 30, 0, NULL, NULL);	/* + 22..29 */
	assert_int_equal(rp.ngaps, 3);
	assert_int_equal(rp.gap[0].from, 11);
	assert_int_equal(rp.gap[0].to, 14);
	assert_int_equal(rp.gap[1].from, 16);
	assert_int_equal(rp.gap[1].to, 20);
	assert_int_equal(rp.gap[2].from, 22);
	assert_int_equal(rp.gap[2].to, 29);
	assert_true(sync_replay_missing(&rp, 1, 11));
	assert_false(sync_replay_missing(&rp, 15, 15));
	assert_false(sync_replay_missing(&rp, 21, 21));
	assert_true(sync_replay_missing(&rp, 21, 22));
	assert_true(sync_replay_missing(&rp, 29, 100));
	assert_false(sync_replay_missing(&rp, 30, 100));
	assert_false(sync_replay_missing(&rp, 1, 10));
}

/* NACKed at once, again every 100 ms, given up after 20 tries: then
 * lost, reported once, and a late copy is a replay. */
static void
test_nack_schedule(void **state)
{
	struct sync_replay	 rp;
	struct sync_replay_gap	 g[4];
	uint64_t		 t = 1000;
	int			 k;

	memset(&rp, 0, sizeof(rp));
	sync_replay_check(&rp, 1, 1, t, NULL, NULL);
	sync_replay_check(&rp, 1, 5, t, NULL, NULL);	/* 2..4 */
	assert_int_equal(sync_replay_deadline(&rp), t);
	assert_int_equal(sync_replay_nacks(&rp, t, g, 4), 1);
	assert_int_equal(g[0].from, 2);
	assert_int_equal(g[0].to, 4);
	assert_int_equal(sync_replay_nacks(&rp, t, g, 4), 0);	/* not yet */
	assert_int_equal(sync_replay_deadline(&rp), t + SYNC_REPLAY_NACK_US);
	sync_replay_check(&rp, 1, 3, t + 10, NULL, NULL);	/* 2, 4 */
	for (k = 1; k < SYNC_REPLAY_NACKS; k++) {
		t += SYNC_REPLAY_NACK_US;
		assert_int_equal(sync_replay_nacks(&rp, t, g, 4), 2);
	}
	assert_false(sync_replay_take_lost(&rp));
	t += SYNC_REPLAY_NACK_US;
	assert_int_equal(sync_replay_nacks(&rp, t, g, 4), 0);
	assert_int_equal(rp.ngaps, 0);
	assert_int_equal(rp.lost, 2);
	assert_true(sync_replay_take_lost(&rp));
	assert_false(sync_replay_take_lost(&rp));
	assert_int_equal(sync_replay_check(&rp, 1, 2, t, NULL, NULL), DUP);
	assert_int_equal(sync_replay_deadline(&rp), 0);
}

/* More holes than ranges: the oldest is given up, the rest kept. */
static void
test_range_overflow(void **state)
{
	struct sync_replay	 rp;
	uint32_t		 k;

	memset(&rp, 0, sizeof(rp));
	sync_replay_check(&rp, 1, 1, 0, NULL, NULL);
	for (k = 1; k <= SYNC_REPLAY_GAPS + 1; k++)
		sync_replay_check(&rp, 1, 1 + 2 * k, 0, NULL, NULL);
	/* holes 2, 4, ..., 2 * (GAPS + 1): the first is gone */
	assert_int_equal(rp.ngaps, SYNC_REPLAY_GAPS);
	assert_int_equal(rp.lost, 1);
	assert_true(sync_replay_take_lost(&rp));
	assert_int_equal(sync_replay_check(&rp, 1, 2, 0, NULL, NULL), DUP);
	assert_int_equal(sync_replay_check(&rp, 1, 4, 0, NULL, NULL), LATE);
}

/* A split with no room left gives up the part below the arrival. */
static void
test_split_when_full(void **state)
{
	struct sync_replay	 rp;
	uint32_t		 k;

	memset(&rp, 0, sizeof(rp));
	sync_replay_check(&rp, 1, 1, 0, NULL, NULL);
	sync_replay_check(&rp, 1, 100, 0, NULL, NULL);	/* 2..99 */
	for (k = 1; k < SYNC_REPLAY_GAPS; k++)
		sync_replay_check(&rp, 1, 100 + 2 * k, 0, NULL, NULL);
	assert_int_equal(rp.ngaps, SYNC_REPLAY_GAPS);
	assert_int_equal(sync_replay_check(&rp, 1, 50, 0, NULL, NULL), LATE);
	assert_int_equal(rp.ngaps, SYNC_REPLAY_GAPS);
	assert_int_equal(rp.lost, 48);			/* 2..49 */
	assert_int_equal(rp.gap[0].from, 51);
	assert_int_equal(rp.gap[0].to, 99);
	assert_int_equal(sync_replay_check(&rp, 1, 49, 0, NULL, NULL), DUP);
	assert_int_equal(sync_replay_check(&rp, 1, 51, 0, NULL, NULL), LATE);
}

int
main(void)
{
	struct CMUnitTest	 tests[sizeof(scenarios) / sizeof(scenarios[0])
	    + 7];
	size_t			 i, n = 0;

	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		struct CMUnitTest t = cmocka_unit_test_prestate(run_scenario,
		    (void *)&scenarios[i]);

		t.name = scenarios[i].name;
		tests[n++] = t;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_gap_null);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(
	    test_every_replay_caught);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reorder_window);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_split_and_missing);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_nack_schedule);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_range_overflow);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_split_when_full);
	/* n == the array size: every slot is filled above */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
