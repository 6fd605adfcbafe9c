/*
 * test_sync_bulk.c: the bulk-request state machine (sync_bulk.h). One
 * table row per (state, event) pair and variant (master, demoted, early
 * or due timer), with the state, demotion, tries, deadline and actions
 * expected; a check that the table covers every pair; pfsync's timeline
 * (12 requests 2 s apart, then give up); the stuck-bulk case of OPNsense
 * core#10858; and a random walk proving every demotion is released
 * exactly once and none is held in DONE.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sync_bulk.h"

#define T0	100000000ULL		/* 100 s */
#define RETRY	SYNC_BULK_RETRY_US
#define XFER	SYNC_BULK_XFER_US

#define NONE	SYNC_BULK_NONE
#define SENT	SYNC_BULK_SENT
#define RECV	SYNC_BULK_RECV
#define DONE	SYNC_BULK_DONE
#define START	SYNC_BULK_EV_START
#define TIMER	SYNC_BULK_EV_TIMER
#define BSTART	SYNC_BULK_EV_BUS_START
#define BEND	SYNC_BULK_EV_BUS_END
#define MASTER	SYNC_BULK_EV_CARP_MASTER
#define A_REQ	SYNC_BULK_A_SEND_REQ
#define A_DEM	SYNC_BULK_A_DEMOTE
#define A_UNDEM	SYNC_BULK_A_UNDEMOTE
#define A_PUSH	SYNC_BULK_A_PUSH
#define A_GIVE	SYNC_BULK_A_LOG_GIVEUP

struct row {
	const char		*name;
	struct sync_bulk	 in;		/* state, tries, demoted, deadline */
	enum sync_bulk_ev	 ev;
	int			 master;
	uint64_t		 now;
	struct sync_bulk	 out;
	int			 nacts;
	enum sync_bulk_act	 acts[4];
};

#define B(s, tr, dem, dl)	{ (s), (tr), (dem), (dl) }

static const struct row rows[] = {
	{ "NONE START backup: demote, request", B(NONE, 0, 0, 0), START, 0,
	    T0, B(SENT, 1, 1, T0 + RETRY), 2, { A_DEM, A_REQ } },
	{ "NONE START master: push, request, no demotion", B(NONE, 0, 0, 0),
	    START, 1, T0, B(SENT, 1, 0, T0 + RETRY), 2, { A_PUSH, A_REQ } },
	{ "NONE TIMER", B(NONE, 0, 0, 0), TIMER, 0, T0, B(NONE, 0, 0, 0), 0,
	    { 0 } },
	{ "NONE BUS_START (unrequested push)", B(NONE, 0, 0, 0), BSTART, 0,
	    T0, B(NONE, 0, 0, 0), 0, { 0 } },
	{ "NONE BUS_END", B(NONE, 0, 0, 0), BEND, 0, T0, B(NONE, 0, 0, 0), 0,
	    { 0 } },
	{ "NONE CARP_MASTER", B(NONE, 0, 0, 0), MASTER, 0, T0,
	    B(NONE, 0, 0, 0), 0, { 0 } },

	{ "SENT START backup: no restart", B(SENT, 3, 1, T0), START, 0, T0,
	    B(SENT, 3, 1, T0), 0, { 0 } },
	{ "SENT START master: no restart", B(SENT, 3, 1, T0), START, 1, T0,
	    B(SENT, 3, 1, T0), 0, { 0 } },
	{ "SENT TIMER early: nothing", B(SENT, 3, 1, T0), TIMER, 0, T0 - 1,
	    B(SENT, 3, 1, T0), 0, { 0 } },
	{ "SENT TIMER: resend", B(SENT, 3, 1, T0), TIMER, 0, T0,
	    B(SENT, 4, 1, T0 + RETRY), 1, { A_REQ } },
	{ "SENT TIMER 11th: the 12th request", B(SENT, 11, 1, T0), TIMER, 0,
	    T0 + 5, B(SENT, 12, 1, T0 + 5 + RETRY), 1, { A_REQ } },
	{ "SENT TIMER after 12: give up, undemote", B(SENT, 12, 1, T0), TIMER,
	    0, T0, B(DONE, 12, 0, 0), 2, { A_UNDEM, A_GIVE } },
	{ "SENT TIMER after 12, not demoted: give up", B(SENT, 12, 0, T0),
	    TIMER, 1, T0, B(DONE, 12, 0, 0), 1, { A_GIVE } },
	{ "SENT BUS_START: receiving", B(SENT, 2, 1, T0), BSTART, 0, T0 + 7,
	    B(RECV, 2, 1, T0 + 7 + XFER), 0, { 0 } },
	{ "SENT BUS_END (start lost): done, undemote", B(SENT, 2, 1, T0), BEND,
	    0, T0, B(DONE, 2, 0, 0), 1, { A_UNDEM } },
	{ "SENT BUS_END not demoted: done", B(SENT, 2, 0, T0), BEND, 0, T0,
	    B(DONE, 2, 0, 0), 0, { 0 } },
	{ "SENT CARP_MASTER demoted: undemote, keep waiting",
	    B(SENT, 2, 1, T0), MASTER, 1, T0 - 9, B(SENT, 2, 0, T0), 1,
	    { A_UNDEM } },
	{ "SENT CARP_MASTER not demoted", B(SENT, 2, 0, T0), MASTER, 1, T0,
	    B(SENT, 2, 0, T0), 0, { 0 } },

	{ "RECV START: no restart", B(RECV, 2, 1, T0), START, 0, T0 - 5,
	    B(RECV, 2, 1, T0), 0, { 0 } },
	{ "RECV TIMER early: nothing", B(RECV, 2, 1, T0), TIMER, 0, T0 - 1,
	    B(RECV, 2, 1, T0), 0, { 0 } },
	{ "RECV TIMER due: stuck bulk ends, undemote", B(RECV, 2, 1, T0),
	    TIMER, 0, T0, B(DONE, 2, 0, 0), 1, { A_UNDEM } },
	{ "RECV TIMER due, not demoted", B(RECV, 2, 0, T0), TIMER, 0, T0 + 1,
	    B(DONE, 2, 0, 0), 0, { 0 } },
	{ "RECV BUS_START again: deadline kept", B(RECV, 2, 1, T0), BSTART, 0,
	    T0 - 1, B(RECV, 2, 1, T0), 0, { 0 } },
	{ "RECV BUS_END: done, undemote", B(RECV, 2, 1, T0), BEND, 0, T0 - 1,
	    B(DONE, 2, 0, 0), 1, { A_UNDEM } },
	{ "RECV BUS_END not demoted", B(RECV, 2, 0, T0), BEND, 0, T0 - 1,
	    B(DONE, 2, 0, 0), 0, { 0 } },
	{ "RECV CARP_MASTER demoted: undemote, keep receiving",
	    B(RECV, 2, 1, T0), MASTER, 1, T0 - 1, B(RECV, 2, 0, T0), 1,
	    { A_UNDEM } },
	{ "RECV CARP_MASTER not demoted", B(RECV, 2, 0, T0), MASTER, 1, T0,
	    B(RECV, 2, 0, T0), 0, { 0 } },

	{ "DONE START backup (peer appeared): demote, request",
	    B(DONE, 12, 0, 0), START, 0, T0, B(SENT, 1, 1, T0 + RETRY), 2,
	    { A_DEM, A_REQ } },
	{ "DONE START master: push, request", B(DONE, 5, 0, 0), START, 1, T0,
	    B(SENT, 1, 0, T0 + RETRY), 2, { A_PUSH, A_REQ } },
	{ "DONE TIMER", B(DONE, 5, 0, 0), TIMER, 0, T0, B(DONE, 5, 0, 0), 0,
	    { 0 } },
	{ "DONE BUS_START (unrequested push)", B(DONE, 5, 0, 0), BSTART, 0,
	    T0, B(DONE, 5, 0, 0), 0, { 0 } },
	{ "DONE BUS_END", B(DONE, 5, 0, 0), BEND, 0, T0, B(DONE, 5, 0, 0), 0,
	    { 0 } },
	{ "DONE CARP_MASTER", B(DONE, 5, 0, 0), MASTER, 1, T0,
	    B(DONE, 5, 0, 0), 0, { 0 } },
};

static void
check_row(const struct row *r)
{
	struct sync_bulk	 b = r->in;
	struct sync_bulk_acts	 acts;
	int			 i;

	memset(&acts, 0xa5, sizeof(acts));
	sync_bulk_step(&b, r->ev, r->master, r->now, &acts);
	if (b.state != r->out.state || b.demoted != r->out.demoted ||
	    b.tries != r->out.tries || b.deadline != r->out.deadline ||
	    acts.n != r->nacts || (r->nacts > 0 && memcmp(acts.a, r->acts,
	    r->nacts * sizeof(acts.a[0])) != 0))
		print_message("row failed: %s\n", r->name);
	assert_string_equal(sync_bulk_state_names[b.state],
	    sync_bulk_state_names[r->out.state]);
	assert_int_equal(b.demoted, r->out.demoted);
	assert_int_equal(b.tries, r->out.tries);
	assert_int_equal(b.deadline, r->out.deadline);
	assert_int_equal(acts.n, r->nacts);
	for (i = 0; i < r->nacts; i++)
		assert_int_equal(acts.a[i], r->acts[i]);
}

static void
test_table(void **state)
{
	int	seen[SYNC_BULK__MAX][SYNC_BULK__EV_MAX];
	size_t	i;
	int	s, e;

	(void)state;
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		check_row(&rows[i]);
		seen[rows[i].in.state][rows[i].ev] = 1;
	}
	/* every (state, event) pair has at least one row */
	for (s = 0; s < SYNC_BULK__MAX; s++)
		for (e = 0; e < SYNC_BULK__EV_MAX; e++) {
			if (!seen[s][e])
				fail_msg("no row for %s/%s",
				    sync_bulk_state_names[s],
				    sync_bulk_ev_names[e]);
		}
}

static int
count_act(const struct sync_bulk_acts *acts, enum sync_bulk_act a)
{
	int	i, n = 0;

	for (i = 0; i < acts->n; i++)
		n += acts->a[i] == a;
	return n;
}

/* pfsync: 12 requests 2 s apart, then give up, undemoted once. */
static void
test_giveup_timeline(void **state)
{
	struct sync_bulk	 b;
	struct sync_bulk_acts	 acts;
	int			 reqs = 0, undem = 0, give = 0;
	uint64_t		 now = 5;

	(void)state;
	sync_bulk_init(&b);
	assert_int_equal(b.state, NONE);
	sync_bulk_step(&b, START, 0, now, &acts);
	assert_int_equal(count_act(&acts, A_DEM), 1);
	reqs += count_act(&acts, A_REQ);
	while (b.state == SENT) {
		/* a timer that fires early changes nothing */
		sync_bulk_step(&b, TIMER, 0, b.deadline - 1, &acts);
		assert_int_equal(acts.n, 0);
		now = b.deadline;
		sync_bulk_step(&b, TIMER, 0, now, &acts);
		reqs += count_act(&acts, A_REQ);
		undem += count_act(&acts, A_UNDEM);
		give += count_act(&acts, A_GIVE);
	}
	assert_int_equal(reqs, SYNC_BULK_MAX_TRIES);
	assert_int_equal(undem, 1);
	assert_int_equal(give, 1);
	assert_int_equal(b.state, DONE);
	assert_int_equal(now, 5 + SYNC_BULK_MAX_TRIES * RETRY);
	sync_bulk_step(&b, TIMER, 0, now + RETRY, &acts);
	assert_int_equal(acts.n, 0);
}

/* OPNsense core#10858: a bulk restarted again and again must not keep
 * the node demoted past the transfer deadline of the first BUS START. */
static void
test_stuck_bulk(void **state)
{
	struct sync_bulk	 b;
	struct sync_bulk_acts	 acts;
	uint64_t		 t;

	(void)state;
	sync_bulk_init(&b);
	sync_bulk_step(&b, START, 0, 0, &acts);
	sync_bulk_step(&b, BSTART, 0, 1000000, &acts);
	assert_int_equal(b.state, RECV);
	for (t = 2000000; t < 1000000 + XFER; t += 5000000) {
		sync_bulk_step(&b, BSTART, 0, t, &acts);
		sync_bulk_step(&b, TIMER, 0, t, &acts);
		assert_int_equal(b.state, RECV);
		assert_int_equal(b.demoted, 1);
	}
	sync_bulk_step(&b, TIMER, 0, 1000000 + XFER, &acts);
	assert_int_equal(b.state, DONE);
	assert_int_equal(acts.n, 1);
	assert_int_equal(acts.a[0], A_UNDEM);
	assert_int_equal(b.demoted, 0);
}

/* Random events and times: DEMOTE and UNDEMOTE alternate, start with a
 * DEMOTE, `demoted` always equals what is held, nothing is held in DONE. */
static void
test_demotion_balance(void **state)
{
	struct sync_bulk	 b;
	struct sync_bulk_acts	 acts;
	unsigned		 seed = 12345, i;
	int			 held = 0, k, demotions = 0, pairs[4][4];
	uint64_t		 now = 0;

	(void)state;
	memset(pairs, 0, sizeof(pairs));
	sync_bulk_init(&b);
	for (i = 0; i < 200000; i++) {
		pairs[b.state][b.demoted]++;
		seed = seed * 1103515245 + 12345;
		now += (seed >> 8) % 3000000;
		sync_bulk_step(&b, (seed >> 4) % SYNC_BULK__EV_MAX,
		    (seed >> 20) & 1, now, &acts);
		assert_true(acts.n >= 0 && acts.n <= 4);
		for (k = 0; k < acts.n; k++) {
			if (acts.a[k] == A_DEM) {
				assert_int_equal(held, 0);
				held = 1;
				demotions++;
			} else if (acts.a[k] == A_UNDEM) {
				assert_int_equal(held, 1);
				held = 0;
			}
		}
		assert_int_equal(held, b.demoted);
		if (b.state == DONE || b.state == NONE)
			assert_int_equal(b.demoted, 0);
		if (b.state == SENT)
			assert_true(b.tries >= 1 &&
			    b.tries <= SYNC_BULK_MAX_TRIES);
	}
	/* the walk went everywhere that matters */
	assert_true(demotions > 1000);
	assert_true(pairs[SENT][1] > 0 && pairs[SENT][0] > 0);
	assert_true(pairs[RECV][1] > 0 && pairs[RECV][0] > 0);
	assert_true(pairs[DONE][0] > 0);
}

static void
test_names_and_bad_input(void **state)
{
	struct sync_bulk	 b;
	struct sync_bulk_acts	 acts;
	int			 i, j;

	(void)state;
	for (i = 0; i < SYNC_BULK__MAX; i++) {
		assert_non_null(sync_bulk_state_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(sync_bulk_state_names[i],
			    sync_bulk_state_names[j]);
	}
	for (i = 0; i < SYNC_BULK__EV_MAX; i++) {
		assert_non_null(sync_bulk_ev_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(sync_bulk_ev_names[i],
			    sync_bulk_ev_names[j]);
	}
	sync_bulk_init(&b);
	acts.n = 3;
	sync_bulk_step(&b, SYNC_BULK__EV_MAX, 0, 1, &acts);
	assert_int_equal(acts.n, 0);
	assert_int_equal(b.state, NONE);
	b.state = SYNC_BULK__MAX;
	sync_bulk_step(&b, START, 0, 1, &acts);
	assert_int_equal(acts.n, 0);
	assert_int_equal(b.state, SYNC_BULK__MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_giveup_timeline),
		cmocka_unit_test(test_stuck_bulk),
		cmocka_unit_test(test_demotion_balance),
		cmocka_unit_test(test_names_and_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
