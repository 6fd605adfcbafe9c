/*
 * test_sync_replay.c: the per-sender replay window. Each scenario is a
 * list of (epoch, seq) arrivals with the verdict and, for a gap, the
 * missing range expected; after a drop the window must be unchanged.
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
	SCEN("window edge: 63 back is late, 64 back is too old",
	    { 1, 1000, NEW, 0, 0 }, { 1, 937, LATE, 0, 0 },
	    { 1, 936, DUP, 0, 0 }, { 1, 937, DUP, 0, 0 },
	    { 1, 1001, NEW, 0, 0 }, { 1, 937, DUP, 0, 0 },
	    { 1, 938, LATE, 0, 0 }),
	SCEN("a jump of exactly the window",
	    { 1, 0, NEW, 0, 0 }, { 1, 64, GAP, 1, 63 }, { 1, 0, DUP, 0, 0 },
	    { 1, 1, LATE, 0, 0 }, { 1, 63, LATE, 0, 0 },
	    { 1, 63, DUP, 0, 0 }),
	SCEN("a jump of the window from a full bitmap forgets every bit",
	    { 1, 0, NEW, 0, 0 }, { 1, 1, NEW, 0, 0 }, { 1, 65, GAP, 2, 64 },
	    { 1, 64, LATE, 0, 0 }, { 1, 2, LATE, 0, 0 },
	    { 1, 1, DUP, 0, 0 }),
	SCEN("a jump beyond the window forgets the old bits",
	    { 1, 10, NEW, 0, 0 }, { 1, 200, GAP, 11, 199 },
	    { 1, 10, DUP, 0, 0 }, { 1, 137, LATE, 0, 0 },
	    { 1, 136, DUP, 0, 0 }, { 1, 199, LATE, 0, 0 },
	    { 1, 199, DUP, 0, 0 }),
	SCEN("a jump of 63 keeps the old bit",
	    { 1, 100, NEW, 0, 0 }, { 1, 163, GAP, 101, 162 },
	    { 1, 100, DUP, 0, 0 }, { 1, 101, LATE, 0, 0 }),
	SCEN("a gap across most of the sequence space",
	    { 1, 1, NEW, 0, 0 }, { 1, MAXSEQ, GAP, 2, MAXSEQ - 1 },
	    { 1, MAXSEQ - 63, LATE, 0, 0 }, { 1, MAXSEQ - 64, DUP, 0, 0 }),
	SCEN("no wrap within an epoch: back to 0 is a replay",
	    { 1, MAXSEQ - 1, NEW, 0, 0 }, { 1, MAXSEQ, NEW, 0, 0 },
	    { 1, 0, DUP, 0, 0 }, { 1, 5, DUP, 0, 0 },
	    { 1, MAXSEQ - 2, LATE, 0, 0 }, { 1, MAXSEQ, DUP, 0, 0 },
	    { 2, 0, EPOCH, 0, 0 }, { 2, 1, NEW, 0, 0 }),
	SCEN("a higher epoch resets the window",
	    { 5, 100, NEW, 0, 0 }, { 5, 90, LATE, 0, 0 },
	    { 6, 50, EPOCH, 0, 0 }, { 6, 49, LATE, 0, 0 },
	    { 6, 50, DUP, 0, 0 }, { 6, 100, GAP, 51, 99 },
	    { 6, 90, LATE, 0, 0 }),
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
		v = sync_replay_check(&rp, s->epoch, s->seq, &from, &to);
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
			assert_int_equal(rp.seen, before.seen);
			assert_int_equal(rp.epoch, before.epoch);
			assert_int_equal(rp.top, before.top);
			assert_int_equal(rp.bitmap, before.bitmap);
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
	assert_int_equal(sync_replay_check(&rp, 1, 1, NULL, NULL), NEW);
	assert_int_equal(sync_replay_check(&rp, 1, 9, NULL, NULL), GAP);
	assert_int_equal(sync_replay_check(&rp, 1, 5, NULL, NULL), LATE);
	assert_int_equal(sync_replay_check(&rp, 1, 5, NULL, NULL), DUP);
}

/* Every counter of a long run arrives twice: the second copy is a DUP. */
static void
test_every_replay_caught(void **state)
{
	struct sync_replay	 rp;
	uint32_t		 seq;

	memset(&rp, 0, sizeof(rp));
	for (seq = 1; seq < 1000; seq++) {
		assert_int_equal(sync_replay_check(&rp, 3, seq, NULL, NULL),
		    NEW);
		assert_int_equal(sync_replay_check(&rp, 3, seq, NULL, NULL),
		    DUP);
		if (seq > 64)
			assert_int_equal(sync_replay_check(&rp, 3, seq - 64,
			    NULL, NULL), DUP);
	}
}

/* Reordered delivery within the window: everything accepted once. */
static void
test_reorder_window(void **state)
{
	struct sync_replay	 rp;
	uint32_t		 seq, i;

	memset(&rp, 0, sizeof(rp));
	assert_int_equal(sync_replay_check(&rp, 1, 0, NULL, NULL), NEW);
	/* 64 arrives first, then 63..1 in reverse */
	assert_int_equal(sync_replay_check(&rp, 1, 64, NULL, NULL), GAP);
	for (seq = 63; seq >= 1; seq--)
		assert_int_equal(sync_replay_check(&rp, 1, seq, NULL, NULL),
		    LATE);
	for (i = 0; i <= 64; i++)
		assert_int_equal(sync_replay_check(&rp, 1, i, NULL, NULL),
		    DUP);
	/* top 64 and 63..1 seen: the whole window; 0 fell out of it */
	assert_int_equal(rp.top, 64);
	assert_int_equal(rp.bitmap, UINT64_MAX);
}

int
main(void)
{
	struct CMUnitTest	 tests[sizeof(scenarios) / sizeof(scenarios[0])
	    + 3];
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
	/* n == the array size: every slot is filled above */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
