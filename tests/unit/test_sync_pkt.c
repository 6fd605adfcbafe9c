/*
 * test_sync_pkt.c: syncd/sync_pkt.c, the headers in front of captured
 * sync frames: golden bytes of the IPv4 header (as pfsync_up() builds it)
 * and of the IPv6 one, checksums, the Ethernet multicast mappings, and
 * every refusal (capacity, family, length).
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "sync_pkt.h"

static const struct sync_pkt_addr v4 = { AF_INET, { 203, 0, 113, 1 },
	{ 224, 0, 0, 240 } };
static const struct sync_pkt_addr v4u = { AF_INET, { 203, 0, 113, 1 },
	{ 203, 0, 113, 2 } };
static const struct sync_pkt_addr v6 = { AF_INET6,
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } };
static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static void
test_ip4_golden(void **state)
{
	static const uint8_t want[20] = {
		0x45, 0x10, 0x00, 0x78,	/* v4, 5 words, lowdelay, 20 + 100 */
		0x12, 0x34, 0x40, 0x00,	/* id, DF */
		0xff, 0xf0, 0x4b, 0x5f,	/* TTL 255, proto 240, cksum by hand */
		203, 0, 113, 1,
		224, 0, 0, 240,
	};
	uint8_t b[20];

	(void)state;
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &v4, 0x1234, 100), 20);
	assert_memory_equal(b, want, 20);
	/* a correct header sums to zero with its checksum in place */
	assert_int_equal(in_cksum(b, 20), 0);
}

static void
test_ip6_golden(void **state)
{
	uint8_t b[40];
	static const uint8_t want_head[8] = {
		0x61, 0x00, 0x00, 0x00,	/* v6, traffic class 0x10, flow 0 */
		0x05, 0xdc, 0xf0, 0xff,	/* 1500 bytes, next 240, hops 255 */
	};

	(void)state;
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &v6, 0x1234, 1500), 40);
	assert_memory_equal(b, want_head, 8);
	assert_memory_equal(b + 8, v6.src, 16);
	assert_memory_equal(b + 24, v6.dst, 16);
}

static void
test_eth(void **state)
{
	static const uint8_t grp4[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xf0 };
	struct sync_pkt_addr m6 = v6;
	uint8_t b[SYNC_PKT_MAX_HDR];

	(void)state;
	/* 224.0.0.240 -> 01:00:5e:00:00:f0, ethertype IPv4 */
	assert_int_equal(sync_pkt_eth(b, sizeof(b), &v4, mac_a, mac_b), 14);
	assert_memory_equal(b, grp4, 6);
	assert_memory_equal(b + 6, mac_a, 6);
	assert_int_equal(b[12], 0x08);
	assert_int_equal(b[13], 0x00);
	/* unicast: to the MAC given */
	assert_int_equal(sync_pkt_eth(b, sizeof(b), &v4u, mac_a, mac_b), 14);
	assert_memory_equal(b, mac_b, 6);
	/* IPv6: ethertype 86dd; ff02::1:2 -> 33:33:00:01:00:02 */
	assert_int_equal(sync_pkt_eth(b, sizeof(b), &v6, mac_a, mac_b), 14);
	assert_memory_equal(b, mac_b, 6);
	assert_int_equal(b[12], 0x86);
	assert_int_equal(b[13], 0xdd);
	memset(m6.dst, 0, 16);
	m6.dst[0] = 0xff;
	m6.dst[1] = 0x02;
	m6.dst[13] = 0x01;
	m6.dst[15] = 0x02;
	assert_int_equal(sync_pkt_eth(b, sizeof(b), &m6, mac_a, NULL), 14);
	assert_memory_equal(b, ((const uint8_t[6]){ 0x33, 0x33, 0, 1, 0, 2 }),
	    6);
}

static void
test_header(void **state)
{
	uint8_t b[SYNC_PKT_MAX_HDR], ip[20];

	(void)state;
	/* Ethernet then IP, the IP part identical to sync_pkt_ip's */
	assert_int_equal(sync_pkt_header(b, sizeof(b), &v4, mac_a, NULL, 7,
	    64), 34);
	assert_int_equal(sync_pkt_ip(ip, sizeof(ip), &v4, 7, 64), 20);
	assert_memory_equal(b + 14, ip, 20);
	/* without a MAC: IP alone (link type RAW) */
	assert_int_equal(sync_pkt_header(b, sizeof(b), &v6, NULL, NULL, 7,
	    64), 40);
	assert_int_equal(sync_pkt_header(b, sizeof(b), &v6, mac_a, NULL, 7,
	    64), 54);
	assert_int_equal(SYNC_PKT_MAX_HDR, 54);
}

static void
test_refusals(void **state)
{
	struct sync_pkt_addr bad = v4;
	uint8_t b[SYNC_PKT_MAX_HDR];

	(void)state;
	assert_int_equal(sync_pkt_ip(b, 19, &v4, 0, 10), 0);
	assert_int_equal(sync_pkt_ip(b, 39, &v6, 0, 10), 0);
	assert_int_equal(sync_pkt_eth(b, 13, &v4, mac_a, NULL), 0);
	assert_int_equal(sync_pkt_header(b, 33, &v4, mac_a, NULL, 0, 10), 0);
	/* the 16-bit length fields */
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &v4, 0, 65535 - 20), 20);
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &v4, 0, 65535 - 19), 0);
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &v6, 0, 65535), 40);
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &v6, 0, 65536), 0);
	bad.af = AF_UNIX;
	assert_int_equal(sync_pkt_ip(b, sizeof(b), &bad, 0, 10), 0);
	assert_int_equal(sync_pkt_eth(b, sizeof(b), &bad, mac_a, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_golden),
		cmocka_unit_test(test_ip6_golden),
		cmocka_unit_test(test_eth),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
