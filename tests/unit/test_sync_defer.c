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

#include <sys/socket.h>

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

	assert_int_equal(sync_defer_hold(&d, 1, id, pkt, 240, now, &ev), 0);
}

static void
test_ack_releases_only_its_state(void **state)
{
	struct sync_defer_out out[4];

	(void)state;
	hold(10, 1, 0);
	hold(11, 2, 1 * MS);
	assert_int_equal(sync_defer_ack(&d, 1, 99, 2 * MS, out, 4), 0);
	/* another creator's state of the same id is another state */
	assert_int_equal(sync_defer_ack(&d, 2, 11, 3 * MS, out, 4), 0);
	assert_int_equal(sync_defer_ack(&d, 1, 11, 3 * MS, out, 4), 1);
	assert_int_equal(out[0].packet_id, 2);
	assert_int_equal(out[0].queue, 240);
	/* the same ack again finds nothing: one verdict per packet */
	assert_int_equal(sync_defer_ack(&d, 1, 11, 3 * MS, out, 4), 0);
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
	assert_int_equal(sync_defer_ack(&d, 1, 1, 1 * MS, out, 4), 1);
	assert_int_equal(sync_defer_next_deadline(&d), 25 * MS);
	assert_int_equal(sync_defer_ack(&d, 1, 2, 1 * MS, out, 4), 1);
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
	assert_int_equal(sync_defer_hold(&d, 1, 500, 5000, 240, 200, &ev), 1);
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
			assert_int_equal(sync_defer_ack(&d, 1, i - 3, i, out, 2), 1);
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
	    "postrouting priority 2147483647; policy accept; }\n"
	    "add rule inet carpsync_syncd defer meta l4proto != "
	    "{ 6, 17, 33, 132, 136 } accept\n"
	    "add rule inet carpsync_syncd defer oif lo accept\n"
	    "add rule inet carpsync_syncd defer ip daddr "
	    "{ 224.0.0.0/4, 255.255.255.255 } accept\n"
	    "add rule inet carpsync_syncd defer ip6 daddr ff00::/8 accept\n"
	    "add rule inet carpsync_syncd defer ct state invalid,untracked "
	    "accept\n"
	    "add rule inet carpsync_syncd defer ct direction original "
	    "ct state != new accept\n"
	    "add rule inet carpsync_syncd defer ct direction reply "
	    "meta l4proto != tcp accept\n"
	    "add rule inet carpsync_syncd defer ct direction reply "
	    "ct status & assured == assured accept\n"
	    "add rule inet carpsync_syncd defer ct direction reply "
	    "ct label != 127 accept\n"
	    "add rule inet carpsync_syncd defer queue num 7 bypass\n";

	(void)state;
	assert_int_equal(sync_defer_nft_text(buf, sizeof(buf), 7,
	    SYNC_DEFER_PRIO_LAST),
	    (int)strlen(want));
	assert_string_equal(buf, want);
	assert_int_equal(sync_defer_nft_text(buf, 100, 7, 200), -1);
	assert_true(sync_defer_nft_text(buf, sizeof(buf), 7,
	    SYNC_DEFER_PRIO_ATTACHED) > 0);
	assert_non_null(strstr(buf, "postrouting priority 200;"));
}

/* A UDP datagram 198.51.100.254:40001 -> 198.51.100.100:7001 after SNAT
 * (IPv4, IHL 5; bytes as tcpdump -xx shows such a packet). */
static const uint8_t udp4[] = {
	0x45, 0x00, 0x00, 0x22, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
	198, 51, 100, 254, 198, 51, 100, 100,
	0x9c, 0x41, 0x1b, 0x59, 0x00, 0x0e, 0x00, 0x00,
};

static void
test_key_ipv4(void **state)
{
	struct sync_state k;
	uint8_t p[sizeof(udp4) + 4];

	(void)state;
	assert_int_equal(sync_defer_key(AF_INET, udp4, sizeof(udp4), &k),
	    SYNC_DEFER_KEY_OK);
	assert_int_equal(k.af, AF_INET);
	assert_int_equal(k.proto, 17);
	/* the reply: from the server to the translated source */
	assert_memory_equal(k.reply.src, ((uint8_t[]){ 198, 51, 100, 100 }), 4);
	assert_memory_equal(k.reply.dst, ((uint8_t[]){ 198, 51, 100, 254 }), 4);
	assert_int_equal(k.reply.sport, 7001);
	assert_int_equal(k.reply.dport, 40001);
	/* an IP option (IHL 6) moves the ports */
	memcpy(p, udp4, 20);
	p[0] = 0x46;
	memset(p + 20, 1, 4);
	memcpy(p + 24, udp4 + 20, 8);
	assert_int_equal(sync_defer_key(AF_INET, p, 32, &k), SYNC_DEFER_KEY_OK);
	assert_int_equal(k.reply.sport, 7001);
	assert_int_equal(sync_defer_key(AF_INET, p, 27, &k),
	    SYNC_DEFER_KEY_SHORT);
	memcpy(p, udp4, sizeof(udp4));
	p[7] = 0x01;			/* fragment offset 1 */
	assert_int_equal(sync_defer_key(AF_INET, p, sizeof(udp4), &k),
	    SYNC_DEFER_KEY_FRAGMENT);
	memcpy(p, udp4, sizeof(udp4));
	p[9] = 1;			/* ICMP */
	assert_int_equal(sync_defer_key(AF_INET, p, sizeof(udp4), &k),
	    SYNC_DEFER_KEY_PROTO);
	assert_int_equal(sync_defer_key(AF_INET6, udp4, sizeof(udp4), &k),
	    SYNC_DEFER_KEY_VERSION);
	assert_int_equal(sync_defer_key(AF_INET, udp4, 10, &k),
	    SYNC_DEFER_KEY_SHORT);
	assert_int_equal(sync_defer_key(AF_INET, NULL, 0, &k),
	    SYNC_DEFER_KEY_SHORT);
	p[0] = 0x44;			/* IHL 4: impossible */
	assert_int_equal(sync_defer_key(AF_INET, p, sizeof(udp4), &k),
	    SYNC_DEFER_KEY_SHORT);
}

static void
test_key_ipv6(void **state)
{
	struct sync_state k;
	uint8_t p[48];

	(void)state;
	memset(p, 0, sizeof(p));
	p[0] = 0x60;
	p[6] = 6;			/* TCP */
	p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 1;
	p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8; p[39] = 2;
	p[40] = 0x30; p[41] = 0x39;	/* 12345 */
	p[42] = 0x00; p[43] = 0x50;	/* 80 */
	assert_int_equal(sync_defer_key(AF_INET6, p, sizeof(p), &k),
	    SYNC_DEFER_KEY_OK);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.reply.src[15], 2);
	assert_int_equal(k.reply.dst[15], 1);
	assert_int_equal(k.reply.sport, 80);
	assert_int_equal(k.reply.dport, 12345);
	assert_int_equal(sync_defer_key(AF_INET6, p, 43, &k),
	    SYNC_DEFER_KEY_SHORT);
	p[6] = 0;			/* hop-by-hop first: not walked */
	assert_int_equal(sync_defer_key(AF_INET6, p, sizeof(p), &k),
	    SYNC_DEFER_KEY_PROTO);
	assert_int_equal(sync_defer_key(AF_INET, p, sizeof(p), &k),
	    SYNC_DEFER_KEY_VERSION);
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
	for (i = 0; i < SYNC_DEFER_KEY__MAX; i++)
		assert_non_null(sync_defer_key_names[i]);
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
		cmocka_unit_test(test_key_ipv4),
		cmocka_unit_test(test_key_ipv6),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
