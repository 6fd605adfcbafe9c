/*
 * test_sync_defer.c: the hold of first packets (syncd defer): release on
 * the ack of the right state only, the 20 ms timeout in arrival order,
 * the 128-packet limit evicting the oldest, holes left by acks, the
 * flush at stop, the deadline, the counters, and the queue table's text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync_defer.h"

#define MS	1000ULL

static struct sync_defer d;

static int
setup(void **state)
{
	(void)state;
	sync_defer_init(&d, SYNC_DEFER_HOLD_US);
	return 0;
}

static void
hold(uint64_t id, uint32_t pkt, uint64_t now)
{
	struct sync_defer_out ev;

	assert_int_equal(sync_defer_hold(&d, id, pkt, 240, now, &ev), 0);
}

static void
test_ack_releases_only_its_state(void **state)
{
	struct sync_defer_out out[4];

	(void)state;
	hold(10, 1, 0);
	hold(11, 2, 1 * MS);
	assert_int_equal(sync_defer_ack(&d, 99, 2 * MS, out, 4), 0);
	assert_int_equal(sync_defer_ack(&d, 11, 3 * MS, out, 4), 1);
	assert_int_equal(out[0].packet_id, 2);
	assert_int_equal(out[0].queue, 240);
	/* the same ack again finds nothing: one verdict per packet */
	assert_int_equal(sync_defer_ack(&d, 11, 3 * MS, out, 4), 0);
	assert_int_equal(d.held, 1);
	assert_int_equal(d.stats.released[SYNC_DEFER_ACKED], 1);
	assert_int_equal(d.stats.ack_us_sum, 2 * MS);
	assert_int_equal(d.stats.ack_us_max, 2 * MS);
}

static void
test_timeout_in_order(void **state)
{
	struct sync_defer_out out[4];

	(void)state;
	hold(1, 1, 0);
	hold(2, 2, 5 * MS);
	hold(3, 3, 10 * MS);
	assert_int_equal(sync_defer_next_deadline(&d), 20 * MS);
	assert_int_equal(sync_defer_expire(&d, 20 * MS - 1, out, 4), 0);
	assert_int_equal(sync_defer_expire(&d, 25 * MS, out, 4), 2);
	assert_int_equal(out[0].packet_id, 1);
	assert_int_equal(out[1].packet_id, 2);
	assert_int_equal(sync_defer_next_deadline(&d), 30 * MS);
	assert_int_equal(d.stats.released[SYNC_DEFER_TIMEOUT], 2);
}

/* An ack in the middle leaves a hole the deadline and expiry skip. */
static void
test_holes_are_skipped(void **state)
{
	struct sync_defer_out out[4];

	(void)state;
	hold(1, 1, 0);
	hold(2, 2, 5 * MS);
	hold(3, 3, 10 * MS);
	assert_int_equal(sync_defer_ack(&d, 1, 1 * MS, out, 4), 1);
	assert_int_equal(sync_defer_next_deadline(&d), 25 * MS);
	assert_int_equal(sync_defer_ack(&d, 2, 1 * MS, out, 4), 1);
	assert_int_equal(sync_defer_next_deadline(&d), 30 * MS);
	assert_int_equal(sync_defer_expire(&d, 31 * MS, out, 4), 1);
	assert_int_equal(out[0].packet_id, 3);
	assert_int_equal(sync_defer_next_deadline(&d), 0);
	assert_int_equal(d.held, 0);
}

/* pfsync's limit: the 129th packet pushes the oldest out at once. */
static void
test_limit_evicts_oldest(void **state)
{
	struct sync_defer_out ev;
	uint32_t i;

	(void)state;
	for (i = 0; i < SYNC_DEFER_MAX; i++)
		hold(i, 1000 + i, i);
	assert_int_equal(sync_defer_hold(&d, 500, 5000, 240, 200, &ev), 1);
	assert_int_equal(ev.packet_id, 1000);
	assert_int_equal(d.held, SYNC_DEFER_MAX);
	assert_int_equal(d.stats.released[SYNC_DEFER_EVICTED], 1);
	assert_int_equal(sync_defer_next_deadline(&d), 1 + SYNC_DEFER_HOLD_US);
}

/* Wrapping: many rounds of hold and ack never lose a slot. */
static void
test_ring_wraps(void **state)
{
	struct sync_defer_out out[2];
	uint64_t i;

	(void)state;
	for (i = 0; i < 10 * SYNC_DEFER_MAX; i++) {
		hold(i, (uint32_t)i, i);
		if (i >= 3) {
			assert_int_equal(sync_defer_ack(&d, i - 3, i, out, 2), 1);
			assert_int_equal(out[0].packet_id, (uint32_t)(i - 3));
		}
	}
	assert_int_equal(d.held, 3);
	assert_int_equal(d.stats.released[SYNC_DEFER_EVICTED], 0);
}

static void
test_flush_releases_all(void **state)
{
	struct sync_defer_out out[SYNC_DEFER_MAX];

	(void)state;
	hold(1, 1, 0);
	hold(2, 2, 0);
	assert_int_equal(sync_defer_flush(&d, out, SYNC_DEFER_MAX), 2);
	assert_int_equal(d.held, 0);
	assert_int_equal(d.stats.released[SYNC_DEFER_FLUSHED], 2);
	assert_int_equal(sync_defer_next_deadline(&d), 0);
	sync_defer_pass(&d);
	assert_int_equal(d.stats.passed, 1);
	assert_int_equal(d.stats.held, 2);
}

/* The whole text, so that a change is seen; nft 1.0.6 loads it (the
 * netns test test_sync_defer proves the kernel side). */
static void
test_nft_text(void **state)
{
	char buf[2048];
	const char *want =
	    "add table inet carpsync_syncd\n"
	    "delete table inet carpsync_syncd\n"
	    "add table inet carpsync_syncd\n"
	    "add chain inet carpsync_syncd defer { type filter hook "
	    "postrouting priority 200; policy accept; }\n"
	    "add rule inet carpsync_syncd defer meta l4proto { 112, 240 } "
	    "accept\n"
	    "add rule inet carpsync_syncd defer oif lo accept\n"
	    "add rule inet carpsync_syncd defer ip daddr "
	    "{ 224.0.0.0/4, 255.255.255.255 } accept\n"
	    "add rule inet carpsync_syncd defer ip6 daddr ff00::/8 accept\n"
	    "add rule inet carpsync_syncd defer ct state new ct direction "
	    "original queue num 7 bypass\n";

	(void)state;
	assert_int_equal(sync_defer_nft_text(buf, sizeof(buf), 7),
	    (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(sync_defer_nft_text(buf, 100, 7), -1);
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < SYNC_DEFER__MAX; i++)
		assert_non_null(sync_defer_release_names[i]);
	assert_string_equal(sync_defer_release_names[SYNC_DEFER_ACKED],
	    "acked");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_ack_releases_only_its_state, setup),
		cmocka_unit_test_setup(test_timeout_in_order, setup),
		cmocka_unit_test_setup(test_holes_are_skipped, setup),
		cmocka_unit_test_setup(test_limit_evicts_oldest, setup),
		cmocka_unit_test_setup(test_ring_wraps, setup),
		cmocka_unit_test_setup(test_flush_releases_all, setup),
		cmocka_unit_test(test_nft_text),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
