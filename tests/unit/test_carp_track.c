/*
 * test_carp_track.c: health tracks (weights held and given back exactly,
 * script scheduling and timeouts, reload carry-over) and the notify-hook
 * queue (bounded, drops counted) and fifo line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "carp_track.h"

#define S	1000000ULL

static struct carp_track_conf
tconf(enum carp_track_kind kind, const char *name, int weight, int interval,
    int timeout)
{
	struct carp_track_conf	 c;

	memset(&c, 0, sizeof(c));
	c.kind = kind;
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.weight = (uint8_t)weight;
	c.interval_s = (uint32_t)interval;
	c.timeout_s = (uint32_t)timeout;
	return c;
}

static void
test_iface_weight_exact(void **state)
{
	struct carp_track_conf	 c[2];
	struct carp_tracks	 ts;

	(void)state;
	c[0] = tconf(CARP_TRACK_IFACE, "eth1", 50, 0, 0);
	c[1] = tconf(CARP_TRACK_IFACE, "eth2", 1, 0, 0);
	carp_tracks_init(&ts, c, 2, 0);
	assert_int_equal(ts.n, 2);
	assert_int_equal(ts.t[0].up, 1);
	assert_int_equal(carp_tracks_held(&ts), 0);
	/* repeated reports of the same state change nothing */
	assert_int_equal(carp_track_result(&ts.t[0], CARP_TRACK_OK, 1), 0);
	assert_int_equal(ts.t[0].consec, 1);
	assert_int_equal(carp_track_result(&ts.t[0], CARP_TRACK_FAIL, 2), 50);
	assert_int_equal(carp_track_result(&ts.t[0], CARP_TRACK_FAIL, 3), 0);
	assert_int_equal(ts.t[0].consec, 2);
	assert_int_equal(carp_track_result(&ts.t[1], CARP_TRACK_FAIL, 3), 1);
	assert_int_equal(carp_tracks_held(&ts), 51);
	assert_int_equal(carp_track_result(&ts.t[0], CARP_TRACK_OK, 4), -50);
	assert_int_equal(carp_track_result(&ts.t[1], CARP_TRACK_OK, 4), -1);
	assert_int_equal(carp_tracks_held(&ts), 0);
	assert_int_equal(ts.t[0].failures, 2);
	assert_int_equal(ts.t[0].runs, 0);	/* interfaces do not run */
	/* interfaces never need the timer */
	assert_int_equal(carp_tracks_next_deadline(&ts), 0);
}

static void
test_script_schedule(void **state)
{
	struct carp_track_conf	 c = tconf(CARP_TRACK_SCRIPT, "true", 5, 2, 1);
	struct carp_tracks	 ts;
	struct carp_track	*t = &ts.t[0];

	(void)state;
	carp_tracks_init(&ts, &c, 1, 100 * S);
	assert_true(carp_track_due(t, 100 * S));
	assert_int_equal(carp_tracks_next_deadline(&ts), 100 * S);
	carp_track_started(t, 4242, 100 * S);
	assert_false(carp_track_due(t, 200 * S));	/* never two at once */
	assert_ptr_equal(carp_tracks_by_pid(&ts, 4242), t);
	assert_null(carp_tracks_by_pid(&ts, 4243));
	assert_null(carp_tracks_by_pid(&ts, 0));
	assert_int_equal(carp_tracks_next_deadline(&ts), 101 * S);	/* kill */
	assert_false(carp_track_overdue(t, 101 * S - 1));
	assert_true(carp_track_overdue(t, 101 * S));
	/* a quick failure: down by its weight, next run one interval after
	 * the start */
	assert_int_equal(carp_track_result(t, CARP_TRACK_FAIL, 100 * S + 10),
	    5);
	assert_int_equal(t->pid, 0);
	assert_int_equal(carp_tracks_next_deadline(&ts), 102 * S);
	assert_false(carp_track_due(t, 102 * S - 1));
	assert_true(carp_track_due(t, 102 * S));
	carp_track_started(t, 4243, 102 * S);
	assert_int_equal(carp_track_result(t, CARP_TRACK_OK, 102 * S + 5), -5);
	assert_int_equal(t->runs, 2);
	assert_int_equal(t->failures, 1);
	assert_int_equal(t->timeouts, 0);
}

static void
test_script_timeout(void **state)
{
	struct carp_track_conf	 c = tconf(CARP_TRACK_SCRIPT, "sleep 1000", 7,
				    1, 3);
	struct carp_tracks	 ts;
	struct carp_track	*t = &ts.t[0];

	(void)state;
	carp_tracks_init(&ts, &c, 1, 0);
	carp_track_started(t, 99, 10 * S);
	assert_true(carp_track_overdue(t, 13 * S));
	t->killed = 1;			/* the shell sent SIGKILL */
	assert_false(carp_track_overdue(t, 14 * S));
	assert_int_equal(carp_tracks_next_deadline(&ts), 0);	/* reap first */
	/* the run ended late: the next one starts at once, not in the past */
	assert_int_equal(carp_track_result(t, CARP_TRACK_TIMEOUT, 13 * S + 2),
	    7);
	assert_int_equal(t->timeouts, 1);
	assert_int_equal(t->failures, 1);
	assert_int_equal(t->next_us, 13 * S + 2);
	assert_int_equal(t->killed, 0);
	assert_int_equal(carp_tracks_held(&ts), 7);
}

static void
test_carry(void **state)
{
	struct carp_track_conf	 oc[3], nc[3];
	struct carp_tracks	 old, nt;
	int			 orphans[4], n;

	(void)state;
	oc[0] = tconf(CARP_TRACK_IFACE, "eth1", 10, 0, 0);
	oc[1] = tconf(CARP_TRACK_SCRIPT, "check-a", 20, 5, 5);
	oc[2] = tconf(CARP_TRACK_SCRIPT, "check-b", 30, 5, 5);
	carp_tracks_init(&old, oc, 3, 0);
	assert_int_equal(carp_track_result(&old.t[0], CARP_TRACK_FAIL, 1), 10);
	carp_track_started(&old.t[1], 501, 1 * S);
	carp_track_started(&old.t[2], 502, 1 * S);
	assert_int_equal(carp_track_result(&old.t[2], CARP_TRACK_FAIL, 2 * S),
	    30);
	carp_track_started(&old.t[2], 503, 6 * S);
	assert_int_equal(carp_tracks_held(&old), 40);

	/* eth1 unchanged but heavier, check-a gone (running), check-b kept,
	 * a new one */
	nc[0] = tconf(CARP_TRACK_IFACE, "eth1", 15, 0, 0);
	nc[1] = tconf(CARP_TRACK_SCRIPT, "check-b", 30, 5, 5);
	nc[2] = tconf(CARP_TRACK_SCRIPT, "check-c", 1, 5, 5);
	carp_tracks_init(&nt, nc, 3, 7 * S);
	n = carp_tracks_carry(&nt, &old, orphans, 4);
	assert_int_equal(n, 1);
	assert_int_equal(orphans[0], 501);
	assert_int_equal(nt.t[0].up, 0);
	assert_int_equal(nt.t[0].held, 15);	/* the new weight */
	assert_int_equal(nt.t[1].held, 30);
	assert_int_equal(nt.t[1].pid, 503);
	assert_int_equal(nt.t[1].runs, 1);
	assert_int_equal(nt.t[2].up, 1);
	assert_int_equal(nt.t[2].pid, 0);
	assert_int_equal(carp_tracks_held(&nt), 45);
	/* what the shell does: take back the old sum, add the new one */
	assert_int_equal(carp_tracks_held(&old) - 40, 0);
	/* the kept run's reap reaches the new table */
	assert_int_equal(carp_track_result(carp_tracks_by_pid(&nt, 503),
	    CARP_TRACK_OK, 8 * S), -30);
	assert_int_equal(carp_tracks_held(&nt), 15);
}

static void
test_hookq(void **state)
{
	struct carp_hookq	 q;
	struct carp_hook_ev	 ev, got;
	int			 i;

	(void)state;
	memset(&q, 0, sizeof(q));
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(carp_hookq_next(&q, &got), 0);
	for (i = 0; i < CARP_HOOK_QUEUE; i++) {
		ev.new_state = (uint8_t)i;
		assert_int_equal(carp_hookq_push(&q, &ev), 0);
	}
	assert_int_equal(carp_hookq_push(&q, &ev), -1);
	assert_int_equal(q.dropped, 1);
	assert_int_equal(carp_hookq_next(&q, &got), 1);
	assert_int_equal(got.new_state, 0);
	carp_hookq_started(&q, 77, 5 * S);
	assert_int_equal(q.kill_us, 5 * S + CARP_HOOK_TIMEOUT_S * S);
	/* one at a time */
	assert_int_equal(carp_hookq_next(&q, &got), 0);
	assert_int_equal(carp_hookq_push(&q, &ev), 0);	/* room again */
	carp_hookq_done(&q, 0);
	assert_int_equal(q.failed, 1);
	assert_int_equal(carp_hookq_next(&q, &got), 1);
	assert_int_equal(got.new_state, 1);		/* FIFO order */
	carp_hookq_started(&q, 78, 6 * S);
	q.killed = 1;
	carp_hookq_done(&q, 0);
	assert_int_equal(q.killed_n, 1);
	assert_int_equal(q.failed, 1);	/* killed is not also failed */
	assert_int_equal(q.run, 2);
	assert_int_equal(q.n, 3);
}

static void
test_notify_line(void **state)
{
	char	 buf[64];

	(void)state;
	assert_int_equal(carp_notify_line(buf, sizeof(buf), 7, "carp7",
	    "BACKUP", "MASTER", "master down"), 34);
	assert_string_equal(buf, "7 carp7 BACKUP MASTER master down\n");
	assert_int_equal(carp_notify_line(buf, 10, 7, "carp7", "BACKUP",
	    "MASTER", "master down"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iface_weight_exact),
		cmocka_unit_test(test_script_schedule),
		cmocka_unit_test(test_script_timeout),
		cmocka_unit_test(test_carry),
		cmocka_unit_test(test_hookq),
		cmocka_unit_test(test_notify_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
