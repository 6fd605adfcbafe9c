/*
 * test_carp_wire.c: the CARP header codec and receive checks. Packets are
 * tables of hex bytes built from the known-answer headers of
 * carp-protocol.md 1.7 (K1, K2), each with the drop reason expected.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "carp_wire.h"

/* K1: secret, vhid 1, advskew 0, 192.0.2.50 + 192.0.2.100. */
#define K1	"210100070001fd2f0123456789abcdef" \
		"b94c3072c42eb1c168610240d7d8c4968b805160"
/* K1 cut to 35 bytes. */
#define K1_35	"210100070001fd2f0123456789abcdef" \
		"b94c3072c42eb1c168610240d7d8c4968b8051"
/* K1 with the last md byte changed: the checksum no longer matches. */
#define K1_BAD	"210100070001fd2f0123456789abcdef" \
		"b94c3072c42eb1c168610240d7d8c4968b805161"
/* K2: secret, vhid 7, advskew 100, 2001:db8::10 (an IPv6 advert). */
#define K2	"210764070001529f0123456789abcdef" \
		"31151b00026d474cbfb48a17195acc4abfcd051e"
#define K2_BAD	"210764070001529e0123456789abcdef" \
		"31151b00026d474cbfb48a17195acc4abfcd051e"

/* IPv4 header: IHL 5, TOS 0x10, DF, 192.0.2.1 -> 224.0.0.18. */
#define IP4(totlen, ttl, proto) \
	"4510" totlen "00004000" ttl proto "0000" "c0000201" "e0000012"

/* Hex to bytes; blanks are skipped. Returns the length. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t		 n = 0;
	unsigned int	 b;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

struct v4_case {
	const char	*name;
	const char	*hex;
	enum carp_drop	 expect;
	size_t		 carpoff;	/* on CARP_OK: CARP bytes offset */
	size_t		 carplen;	/* on CARP_OK */
};

static const struct v4_case v4_cases[] = {
	{ "good advert", IP4("0038", "ff", "70") K1, CARP_OK, 20, 36 },
	{ "ttl 254", IP4("0038", "fe", "70") K1, CARP_DROP_BADTTL, 0, 0 },
	{ "ttl 64 and truncated: ttl first",
	    IP4("0038", "40", "70") K1_35, CARP_DROP_BADTTL, 0, 0 },
	{ "ttl 254 and bad sum: ttl first",
	    IP4("0038", "fe", "70") K1_BAD, CARP_DROP_BADTTL, 0, 0 },
	{ "35 carp bytes", IP4("0038", "ff", "70") K1_35,
	    CARP_DROP_HDROPS, 0, 0 },
	{ "35 carp bytes, ip_len agrees", IP4("0037", "ff", "70") K1_35,
	    CARP_DROP_HDROPS, 0, 0 },
	{ "only 8 carp bytes",
	    IP4("0038", "ff", "70") "210100070001fd2e",
	    CARP_DROP_HDROPS, 0, 0 },
	{ "ip_len larger than received", IP4("003c", "ff", "70") K1,
	    CARP_DROP_BADLEN, 0, 0 },
	{ "ip_len one more than received", IP4("0039", "ff", "70") K1,
	    CARP_DROP_BADLEN, 0, 0 },
	{ "ip_len too small for 20 + 36", IP4("0037", "ff", "70") K1,
	    CARP_DROP_BADLEN, 0, 0 },
	{ "ip_len zero", IP4("0000", "ff", "70") K1, CARP_DROP_BADLEN, 0, 0 },
	{ "bad checksum", IP4("0038", "ff", "70") K1_BAD,
	    CARP_DROP_BADSUM, 0, 0 },
	{ "extra carp bytes inside ip_len", IP4("003c", "ff", "70") K1
	    "deadbeef", CARP_OK, 20, 40 },
	{ "link padding after ip_len", IP4("0038", "ff", "70") K1 "0000",
	    CARP_OK, 20, 36 },
	{ "ip options, IHL 6", "4610003c00004000ff700000c0000201e0000012"
	    "94040000" K1, CARP_OK, 24, 36 },
	{ "IHL 6, 35 carp bytes", "4610003c00004000ff700000c0000201e0000012"
	    "94040000" K1_35, CARP_DROP_HDROPS, 0, 0 },
	{ "protocol 17", IP4("0038", "ff", "11") K1, CARP_DROP_HDROPS, 0, 0 },
	{ "ip version 6", "6510003800004000ff700000c0000201e0000012" K1,
	    CARP_DROP_HDROPS, 0, 0 },
	{ "IHL 4", "4410003800004000ff700000c0000201e0000012" K1,
	    CARP_DROP_HDROPS, 0, 0 },
	{ "19 bytes", "4510003800004000ff700000c0000201e00000",
	    CARP_DROP_HDROPS, 0, 0 },
	{ "empty", "", CARP_DROP_HDROPS, 0, 0 },
};

static void
test_rx_ipv4_table(void **state)
{
	static const uint8_t	 src_want[4] = { 192, 0, 2, 1 };
	static const uint8_t	 dst_want[4] = { 224, 0, 0, 18 };
	uint8_t			 pkt[128], src[4], dst[4];
	const uint8_t		*carp;
	size_t			 i, len, carplen;
	enum carp_drop		 got;

	for (i = 0; i < sizeof(v4_cases) / sizeof(v4_cases[0]); i++) {
		const struct v4_case *c = &v4_cases[i];

		len = unhex(c->hex, pkt, sizeof(pkt));
		carp = (const uint8_t *)1;
		carplen = 99;
		got = carp_rx_ipv4(pkt, len, src, dst, &carp, &carplen);
		if (got != c->expect)
			fail_msg("%s: got %s, want %s", c->name,
			    carp_drop_names[got], carp_drop_names[c->expect]);
		if (got != CARP_OK) {
			assert_null(carp);
			assert_int_equal(carplen, 0);
			continue;
		}
		assert_ptr_equal(carp, pkt + c->carpoff);
		assert_int_equal(carplen, c->carplen);
		assert_memory_equal(src, src_want, 4);
		assert_memory_equal(dst, dst_want, 4);
	}
}

/* NULL outputs are allowed (the fuzz target relies on it). */
static void
test_rx_ipv4_null_outputs(void **state)
{
	uint8_t	 pkt[64];
	size_t	 len;

	len = unhex(IP4("0038", "ff", "70") K1, pkt, sizeof(pkt));
	assert_int_equal(carp_rx_ipv4(pkt, len, NULL, NULL, NULL, NULL),
	    CARP_OK);
	assert_int_equal(carp_rx_ipv4(NULL, 0, NULL, NULL, NULL, NULL),
	    CARP_DROP_HDROPS);
}

struct v6_case {
	const char	*name;
	const char	*hex;
	int		 hoplimit;
	enum carp_drop	 expect;
};

static const struct v6_case v6_cases[] = {
	{ "good advert", K2, 255, CARP_OK },
	{ "hop limit 254", K2, 254, CARP_DROP_BADTTL },
	{ "hop limit unknown", K2, -1, CARP_DROP_BADTTL },
	{ "hop limit 254 and short: hop limit first",
	    "210764070001529f", 254, CARP_DROP_BADTTL },
	{ "35 bytes", "210764070001529f0123456789abcdef"
	    "31151b00026d474cbfb48a17195acc4abfcd05", 255, CARP_DROP_HDROPS },
	{ "empty", "", 255, CARP_DROP_HDROPS },
	{ "bad checksum", K2_BAD, 255, CARP_DROP_BADSUM },
	{ "extra trailing bytes", K2 "00112233", 255, CARP_OK },
	/* No pseudo-header for IPv6: the IPv4 advert K1 verifies as is. */
	{ "K1 payload over IPv6", K1, 255, CARP_OK },
};

static void
test_rx_ipv6_table(void **state)
{
	uint8_t		 pkt[64];
	size_t		 i, len;
	enum carp_drop	 got;

	for (i = 0; i < sizeof(v6_cases) / sizeof(v6_cases[0]); i++) {
		const struct v6_case *c = &v6_cases[i];

		len = unhex(c->hex, pkt, sizeof(pkt));
		got = carp_rx_ipv6(pkt, len, c->hoplimit);
		if (got != c->expect)
			fail_msg("%s: got %s, want %s", c->name,
			    carp_drop_names[got], carp_drop_names[c->expect]);
	}
}

static void
test_rx_version(void **state)
{
	static const struct {
		uint8_t		version, type;
		enum carp_drop	expect;
	} cases[] = {
		{ 2, 1, CARP_OK },
		{ 3, 1, CARP_DROP_BADVER },	/* FreeBSD VRRPv3 mode */
		{ 1, 1, CARP_DROP_BADVER },
		{ 0, 0, CARP_DROP_BADVER },
		{ 2, 5, CARP_OK },		/* OpenBSD ignores the type */
	};
	struct carp_advert	 adv;
	size_t			 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&adv, 0, sizeof(adv));
		adv.version = cases[i].version;
		adv.type = cases[i].type;
		assert_int_equal(carp_rx_version(&adv), cases[i].expect);
	}
}

/* Decoding a version-3 header from bytes and checking it: BADVER. */
static void
test_rx_version_from_bytes(void **state)
{
	struct carp_advert	 adv;
	uint8_t			 b[36];

	unhex(K1, b, sizeof(b));
	b[0] = 0x31;
	assert_int_equal(carp_wire_decode(b, sizeof(b), &adv), 0);
	assert_int_equal(adv.version, 3);
	assert_int_equal(carp_rx_version(&adv), CARP_DROP_BADVER);
}

static void
k_advert(struct carp_advert *a, uint8_t vhid, uint8_t advskew,
    uint8_t demote, uint8_t advbase, const char *ctr, const char *md)
{
	memset(a, 0, sizeof(*a));
	a->vhid = vhid;
	a->advskew = advskew;
	a->demote = demote;
	a->advbase = advbase;
	assert_int_equal(unhex(ctr, a->counter, 8), 8);
	assert_int_equal(unhex(md, a->md, 20), 20);
}

/* Encode fills version, type, authlen and the checksum: K1, K2, K5, K6. */
static void
test_encode_known(void **state)
{
	static const struct {
		uint8_t		 vhid, skew, demote, base;
		const char	*ctr, *md, *hdr;
	} k[] = {
		{ 1, 0, 0, 1, "0123456789abcdef",
		    "b94c3072c42eb1c168610240d7d8c4968b805160", K1 },
		{ 7, 100, 0, 1, "0123456789abcdef",
		    "31151b00026d474cbfb48a17195acc4abfcd051e", K2 },
		{ 42, 0, 0, 1, "0000000000000001",
		    "bed06b842dc2fcede38f5139bf18d984f1276796",
		    "212a0007000163a20000000000000001"
		    "bed06b842dc2fcede38f5139bf18d984f1276796" },
		{ 3, 0, 32, 1, "0123456789abcdef",
		    "f3a17509d70ba6500726d4facd4dff5ad0957484",
		    "2103000720014ce30123456789abcdef"
		    "f3a17509d70ba6500726d4facd4dff5ad0957484" },
	};
	struct carp_advert	 a;
	uint8_t			 want[36], got[36];
	size_t			 i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		k_advert(&a, k[i].vhid, k[i].skew, k[i].demote, k[i].base,
		    k[i].ctr, k[i].md);
		a.version = 3;		/* ignored: encode always sends v2 */
		a.authlen = 0;		/* ignored: always 7 */
		a.cksum = 0x1234;	/* ignored: computed */
		unhex(k[i].hdr, want, sizeof(want));
		memset(got, 0xaa, sizeof(got));
		carp_wire_encode(&a, got);
		assert_memory_equal(got, want, 36);
	}
}

static void
test_decode_fields(void **state)
{
	static const uint8_t	 md[20] = {
		0xb9, 0x4c, 0x30, 0x72, 0xc4, 0x2e, 0xb1, 0xc1, 0x68, 0x61,
		0x02, 0x40, 0xd7, 0xd8, 0xc4, 0x96, 0x8b, 0x80, 0x51, 0x60 };
	static const uint8_t	 ctr[8] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	struct carp_advert	 a;
	uint8_t			 b[40];

	unhex("2101ff0700fffd30", b, sizeof(b));	/* K7 bow-out */
	unhex("0123456789abcdefb94c3072c42eb1c168610240d7d8c4968b805160",
	    b + 8, sizeof(b) - 8);
	assert_int_equal(carp_wire_decode(b, 36, &a), 0);
	assert_int_equal(a.version, 2);
	assert_int_equal(a.type, 1);
	assert_int_equal(a.vhid, 1);
	assert_int_equal(a.advskew, CARP_BOWOUT);
	assert_int_equal(a.authlen, 7);
	assert_int_equal(a.demote, 0);
	assert_int_equal(a.advbase, CARP_BOWOUT);
	assert_int_equal(a.cksum, 0xfd30);
	assert_memory_equal(a.counter, ctr, 8);
	assert_memory_equal(a.md, md, 20);
	assert_true(carp_wire_cksum_ok(b, 36));
	/* Extra bytes are ignored; 35 bytes are refused. */
	assert_int_equal(carp_wire_decode(b, 40, &a), 0);
	assert_int_equal(carp_wire_decode(b, 35, &a), -1);
}

static void
test_round_trip(void **state)
{
	struct carp_advert	 a, b;
	uint8_t			 buf[36];
	int			 i;

	for (i = 0; i < 256; i += 17) {
		memset(&a, 0, sizeof(a));
		a.version = CARP_VERSION;
		a.type = CARP_TYPE_ADVERT;
		a.authlen = CARP_AUTHLEN;
		a.vhid = (uint8_t)i;
		a.advskew = (uint8_t)(255 - i);
		a.demote = (uint8_t)(i * 3);
		a.advbase = (uint8_t)(i / 2);
		memset(a.counter, i ^ 0x5a, sizeof(a.counter));
		memset(a.md, i, sizeof(a.md));
		carp_wire_encode(&a, buf);
		assert_true(carp_wire_cksum_ok(buf, sizeof(buf)));
		memset(&b, 0, sizeof(b));	/* padding compares equal */
		assert_int_equal(carp_wire_decode(buf, sizeof(buf), &b), 0);
		a.cksum = (uint16_t)(buf[6] << 8 | buf[7]);
		assert_memory_equal(&a, &b, sizeof(a));
	}
}

/* Any single-bit change anywhere in the 36 bytes breaks the checksum. */
static void
test_cksum_detects_flips(void **state)
{
	uint8_t	 b[36];
	int	 i, bit;

	unhex(K1, b, sizeof(b));
	assert_true(carp_wire_cksum_ok(b, sizeof(b)));
	assert_false(carp_wire_cksum_ok(b, 35));
	for (i = 0; i < 36; i++) {
		for (bit = 0; bit < 8; bit++) {
			b[i] ^= 1 << bit;
			if (carp_wire_cksum_ok(b, sizeof(b)))
				fail_msg("byte %d bit %d undetected", i, bit);
			b[i] ^= 1 << bit;
		}
	}
}

static void
test_drop_names(void **state)
{
	static const char *const want[CARP_DROP__MAX] = {
		"ok", "badif", "badttl", "hdrops", "badlen", "badsum",
		"badvhid", "badver", "badauth", "loop", "authmissing",
		"authmalformed", "authforged", "authreplay" };
	int	 i;

	for (i = 0; i < CARP_DROP__MAX; i++) {
		assert_non_null(carp_drop_names[i]);
		assert_string_equal(carp_drop_names[i], want[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rx_ipv4_table),
		cmocka_unit_test(test_rx_ipv4_null_outputs),
		cmocka_unit_test(test_rx_ipv6_table),
		cmocka_unit_test(test_rx_version),
		cmocka_unit_test(test_rx_version_from_bytes),
		cmocka_unit_test(test_encode_known),
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_cksum_detects_flips),
		cmocka_unit_test(test_drop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
