/*
 * test_carp_garp.c: the gratuitous ARP and unsolicited NA frames, byte for
 * byte (expected frames computed independently and checked with tshark),
 * field by field, and the ICMPv6 checksum recomputed here over the
 * pseudo-header with the test's own summing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "carp_garp.h"

static const uint8_t vmac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x01, 0x07 };
static const uint8_t vip4[4] = { 192, 0, 2, 100 };
static const uint8_t vip6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 };

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t		 n = 0;
	unsigned int	 b;

	for (; *s != '\0'; s += 2) {
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
	}
	return n;
}

/* OpenBSD arprequest: broadcast, sha = vMAC, spa = tpa = VIP, tha = 0. */
static void
test_arp_bytes(void **state)
{
	uint8_t	 want[64], got[64];
	size_t	 n;

	n = unhex("ffffffffffff" "00005e000107" "0806"
	    "0001" "0800" "06" "04" "0001"
	    "00005e000107" "c0000264" "000000000000" "c0000264",
	    want, sizeof(want));
	assert_int_equal(n, CARP_GARP_FRAME_LEN);
	memset(got, 0xee, sizeof(got));
	assert_int_equal(carp_garp_build_arp(got, sizeof(got), vmac, vip4),
	    CARP_GARP_FRAME_LEN);
	assert_memory_equal(got, want, n);
	assert_int_equal(got[n], 0xee);		/* nothing written past it */
}

static void
test_arp_short_buffer(void **state)
{
	uint8_t	 b[CARP_GARP_FRAME_LEN];

	memset(b, 0xee, sizeof(b));
	assert_int_equal(carp_garp_build_arp(b, sizeof(b) - 1, vmac, vip4), 0);
	assert_int_equal(b[0], 0xee);
	assert_int_equal(carp_garp_build_arp(NULL, 100, vmac, vip4), 0);
	assert_int_equal(carp_garp_build_arp(b, sizeof(b), vmac, vip4),
	    CARP_GARP_FRAME_LEN);
}

static const struct {
	int		 router;
	const char	*hex;
} na_cases[] = {
	/* Ethernet | IPv6 header | src | dst | NA | target | TLLA option */
	{ 0, "33330000000100005e00010786dd" "6000000000203aff"
	    "20010db8000000000000000000000010"
	    "ff020000000000000000000000000001" "88009c0620000000"
	    "20010db8000000000000000000000010" "020100005e000107" },
	{ 1, "33330000000100005e00010786dd" "6000000000203aff"
	    "20010db8000000000000000000000010"
	    "ff020000000000000000000000000001" "88001c06a0000000"
	    "20010db8000000000000000000000010" "020100005e000107" },
};

static void
test_na_bytes(void **state)
{
	uint8_t	 want[128], got[128];
	size_t	 i, n;

	for (i = 0; i < sizeof(na_cases) / sizeof(na_cases[0]); i++) {
		n = unhex(na_cases[i].hex, want, sizeof(want));
		assert_int_equal(n, CARP_NA_FRAME_LEN);
		memset(got, 0xee, sizeof(got));
		assert_int_equal(carp_garp_build_na(got, sizeof(got), vmac,
		    vip6, na_cases[i].router), CARP_NA_FRAME_LEN);
		assert_memory_equal(got, want, n);
		assert_int_equal(got[n], 0xee);
	}
}

/* The test's own one's-complement sum, independent of common/buf.c. */
static uint32_t
sum16(uint32_t s, const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

/* Summing pseudo-header + message including the checksum gives 0xffff. */
static int
icmp6_cksum_ok(const uint8_t *ip6, const uint8_t *icmp, size_t len)
{
	uint8_t		 tail[8] = { 0 };
	uint32_t	 s;

	tail[0] = (uint8_t)(len >> 24);
	tail[1] = (uint8_t)(len >> 16);
	tail[2] = (uint8_t)(len >> 8);
	tail[3] = (uint8_t)len;
	tail[7] = 58;
	s = sum16(0, ip6 + 8, 32);		/* source, destination */
	s = sum16(s, tail, sizeof(tail));
	s = sum16(s, icmp, len);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s == 0xffff;
}

/* Field by field (RFC 4861 4.4), for a few VIPs and both R settings. */
static void
test_na_fields(void **state)
{
	static const uint8_t	 ff02_1[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t	 vips[][16] = {
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 0x10 },
		{ 0xfd, 0x00, [14] = 0xab, [15] = 0xcd },
		{ 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	uint8_t		 f[CARP_NA_FRAME_LEN];
	const uint8_t	*ip6 = f + 14, *icmp = f + 54;
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(vips) / sizeof(vips[0]); i++) {
		for (r = 0; r <= 1; r++) {
			assert_int_equal(carp_garp_build_na(f, sizeof(f), vmac,
			    vips[i], r), CARP_NA_FRAME_LEN);
			assert_memory_equal(f, "\x33\x33\0\0\0\x01", 6);
			assert_memory_equal(f + 6, vmac, 6);
			assert_int_equal(f[12] << 8 | f[13], 0x86dd);
			assert_int_equal(ip6[0], 0x60);
			assert_int_equal(ip6[4] << 8 | ip6[5], 32);
			assert_int_equal(ip6[6], 58);
			assert_int_equal(ip6[7], 255);
			assert_memory_equal(ip6 + 8, vips[i], 16);
			assert_memory_equal(ip6 + 24, ff02_1, 16);
			assert_int_equal(icmp[0], 136);
			assert_int_equal(icmp[1], 0);
			assert_int_equal(icmp[4], r ? 0xa0 : 0x20);
			assert_memory_equal(icmp + 8, vips[i], 16);
			assert_int_equal(icmp[24], 2);	/* target LLA */
			assert_int_equal(icmp[25], 1);
			assert_memory_equal(icmp + 26, vmac, 6);
			assert_true(icmp6_cksum_ok(ip6, icmp, 32));
			f[54 + 8] ^= 1;	/* a changed target is caught */
			assert_false(icmp6_cksum_ok(ip6, icmp, 32));
		}
	}
}

static void
test_na_short_buffer(void **state)
{
	uint8_t	 b[CARP_NA_FRAME_LEN];

	memset(b, 0xee, sizeof(b));
	assert_int_equal(carp_garp_build_na(b, sizeof(b) - 1, vmac, vip6, 0),
	    0);
	assert_int_equal(b[0], 0xee);
	assert_int_equal(carp_garp_build_na(NULL, 200, vmac, vip6, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arp_bytes),
		cmocka_unit_test(test_arp_short_buffer),
		cmocka_unit_test(test_na_bytes),
		cmocka_unit_test(test_na_fields),
		cmocka_unit_test(test_na_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
