/*
 * test_sync_pace.c: the bulk's token bucket: the start rate over a second,
 * the burst cap, growth while quiet, one halving per round of NACKs, the
 * floor and the ceiling, and when the next frame may go.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync_pace.h"

#define MS	1000ULL

/* Frames allowed over `us` taken every ms (with growth frozen by a cut
 * each 50 ms if `congested`). */
static unsigned long
run(struct sync_pace *p, uint64_t *t, uint64_t us, int congested)
{
	unsigned long	n = 0;
	uint64_t	end = *t + us;

	while (*t < end) {
		*t += MS;
		if (congested && *t % (50 * MS) == 0)
			sync_pace_congested(p, *t);
		n += sync_pace_take(p, *t, 100000);
	}
	return n;
}

static void
test_start_rate_and_burst(void **state)
{
	struct sync_pace	p;
	uint64_t		t = 0;
	unsigned long		n;

	(void)state;
	sync_pace_init(&p, 0);
	assert_int_equal(sync_pace_take(&p, 0, 10), 0);	/* no credit yet */
	/* 100 ms at the start rate before any growth */
	n = run(&p, &t, SYNC_PACE_GROW_US - MS, 0);
	assert_true(n >= SYNC_PACE_START / 10 - SYNC_PACE_START / 1000 - 1);
	assert_true(n <= SYNC_PACE_START / 10);
	/* idle for a second: at most 10 ms worth at once */
	sync_pace_congested(&p, t);			/* freeze the rate */
	t += 1000 * MS;
	n = sync_pace_take(&p, t, 1000000);
	assert_true(n <= (unsigned long)p.rate / 100 + 1);
}

static void
test_grows_while_quiet(void **state)
{
	struct sync_pace	p;
	uint64_t		t = 0;

	(void)state;
	sync_pace_init(&p, 0);
	run(&p, &t, 10 * SYNC_PACE_GROW_US, 0);
	/* ten eighths: 1.125^10 = 3.25 */
	assert_true(p.rate > 3 * SYNC_PACE_START);
	run(&p, &t, 100 * SYNC_PACE_GROW_US, 0);
	assert_int_equal(p.rate, SYNC_PACE_MAX);
}

static void
test_halves_once_per_round(void **state)
{
	struct sync_pace	p;

	(void)state;
	sync_pace_init(&p, 0);
	sync_pace_congested(&p, 1 * MS);
	assert_int_equal(p.rate, SYNC_PACE_START / 2);
	sync_pace_congested(&p, 2 * MS);		/* same round */
	assert_int_equal(p.rate, SYNC_PACE_START / 2);
	/* a round later: the quiet round's eighth, then the halving */
	sync_pace_congested(&p, 1 * MS + SYNC_PACE_GROW_US);
	assert_int_equal(p.rate,
	    (SYNC_PACE_START / 2 + SYNC_PACE_START / 16) / 2);
	assert_int_equal(p.cuts, 2);
}

static void
test_floor_and_next(void **state)
{
	struct sync_pace	p;
	uint64_t		t = 0, nx;
	int			k;

	(void)state;
	sync_pace_init(&p, 0);
	for (k = 0; k < 40; k++) {
		t += SYNC_PACE_GROW_US;
		sync_pace_congested(&p, t);
	}
	assert_int_equal(p.rate, SYNC_PACE_MIN);
	sync_pace_take(&p, t, 100000);		/* spend what there is */
	nx = sync_pace_next(&p, t);
	assert_true(nx > t && nx <= t + 1000000 / SYNC_PACE_MIN);
	assert_int_equal(sync_pace_take(&p, nx, 5), 1);
	/* congested all the time: it stays at the floor */
	run(&p, &t, 2000 * MS, 1);
	assert_int_equal(p.rate, SYNC_PACE_MIN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_start_rate_and_burst),
		cmocka_unit_test(test_grows_while_quiet),
		cmocka_unit_test(test_halves_once_per_round),
		cmocka_unit_test(test_floor_and_next),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
