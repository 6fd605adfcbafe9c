/*
 * test_carp_hmac.c: the known-answer vectors K1-K7 of carp-protocol.md
 * 1.7 (key derivation, the message M, the digest and, through
 * carp_wire_encode, the full 36-byte header), the HMAC_ORIG/NOV6LL
 * variants, and negative cases that must not verify.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "carp_conf.h"
#include "carp_hmac.h"
#include "carp_wire.h"

#define CTR	"0123456789abcdef"
#define K1_MD	"b94c3072c42eb1c168610240d7d8c4968b805160"
#define K2_MD	"31151b00026d474cbfb48a17195acc4abfcd051e"
#define K2_M	"02010720010db8000000000000000000000010" CTR
#define K3_MD	"cabe3a08a536219175fd88fff7b4ffb116ab130c"

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

/* Parse with inet_pton, independent of carp_conf's address parser. */
static int
mkaddrs(struct carp_addr *a, const char *const *list)
{
	int	 n;

	for (n = 0; list[n] != NULL; n++) {
		memset(&a[n], 0, sizeof(a[n]));
		a[n].af = strchr(list[n], ':') != NULL ? AF_INET6 : AF_INET;
		a[n].plen = a[n].af == AF_INET ? 32 : 128;
		assert_int_equal(inet_pton(a[n].af, list[n], a[n].addr), 1);
	}
	return n;
}

/* Set up a vhost: key from the phrase, vhid, a NULL-terminated VIP list. */
static void
mkhmac(struct carp_hmac *h, const char *pass, uint8_t vhid,
    const char *const *vips)
{
	struct carp_addr	 a[CARP_MAX_ADDRS];
	uint8_t			 key[CARP_KEY_LEN];

	carp_key_from_pass(pass, key);
	carp_hmac_init(h, key, vhid, a, mkaddrs(a, vips));
}

/* M = the precomputed prefix of a variant followed by the counter. */
static void
assert_m(const struct carp_hmac *h, enum carp_hmac_variant v,
    const char *mhex)
{
	uint8_t	 want[CARP_MAX_ADDRS * 16 + 16];
	size_t	 n;

	n = unhex(mhex, want, sizeof(want));
	assert_int_equal(h->msglen[v] + 8, n);
	assert_memory_equal(h->msg[v], want, h->msglen[v]);
}

static void
assert_md(const struct carp_hmac *h, enum carp_hmac_variant v,
    const char *ctrhex, const char *mdhex)
{
	uint8_t	 ctr[8], want[CARP_MD_LEN], got[CARP_MD_LEN];

	unhex(ctrhex, ctr, sizeof(ctr));
	unhex(mdhex, want, sizeof(want));
	carp_hmac_generate(h, v, ctr, got);
	assert_memory_equal(got, want, CARP_MD_LEN);
	assert_true(carp_hmac_verify(h, ctr, want));
}

/* Build the advert as the sender does (NOV6LL) and compare all 36 bytes
 * (or the first `cmp` bytes when the document gives only a prefix). */
static void
assert_header(const struct carp_hmac *h, uint8_t vhid, uint8_t advskew,
    uint8_t demote, uint8_t advbase, const char *ctrhex, const char *hdrhex)
{
	struct carp_advert	 a;
	uint8_t			 want[CARP_HDR_LEN], got[CARP_HDR_LEN];
	size_t			 n;

	memset(&a, 0, sizeof(a));
	a.vhid = vhid;
	a.advskew = advskew;
	a.demote = demote;
	a.advbase = advbase;
	unhex(ctrhex, a.counter, sizeof(a.counter));
	carp_hmac_generate(h, CARP_HMAC_NOV6LL, a.counter, a.md);
	carp_wire_encode(&a, got);
	n = unhex(hdrhex, want, sizeof(want));
	assert_memory_equal(got, want, n);
}

#define K1_HDR	"210100070001fd2f" CTR K1_MD

static void
test_k1_both_orders(void **state)
{
	static const char *const ab[] = { "192.0.2.100", "192.0.2.50", NULL };
	static const char *const ba[] = { "192.0.2.50", "192.0.2.100", NULL };
	static const char *const dup[] = { "192.0.2.50", "192.0.2.100",
	    "192.0.2.50", "192.0.2.100", NULL };
	const char *const	*sets[] = { ab, ba, dup };
	struct carp_hmac	 h;
	size_t			 i;

	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		mkhmac(&h, "secret", 1, sets[i]);
		assert_m(&h, CARP_HMAC_NOV6LL,
		    "020101c0000232c0000264" CTR);
		assert_m(&h, CARP_HMAC_ORIG, "020101c0000232c0000264" CTR);
		assert_md(&h, CARP_HMAC_NOV6LL, CTR, K1_MD);
		assert_header(&h, 1, 0, 0, 1, CTR, K1_HDR);
	}
}

/* 0.0.0.0 and 255.255.255.255 can never enter OpenBSD's M (its selection
 * loop starts from all-zeros and all-ones bounds). */
static void
test_k1_bounds_excluded(void **state)
{
	static const char *const v[] = { "255.255.255.255", "192.0.2.100",
	    "0.0.0.0", "192.0.2.50", NULL };
	struct carp_hmac	 h;

	mkhmac(&h, "secret", 1, v);
	assert_m(&h, CARP_HMAC_NOV6LL, "020101c0000232c0000264" CTR);
	assert_md(&h, CARP_HMAC_NOV6LL, CTR, K1_MD);
}

static void
test_k2_ipv6(void **state)
{
	static const char *const v[] = { "2001:db8::10", NULL };
	struct carp_hmac	 h;

	mkhmac(&h, "secret", 7, v);
	assert_m(&h, CARP_HMAC_NOV6LL, K2_M);
	assert_md(&h, CARP_HMAC_NOV6LL, CTR, K2_MD);
	assert_header(&h, 7, 100, 0, 1, CTR, "210764070001529f" CTR K2_MD);
}

/*
 * K3: the sender hashes without its link-local (= K2's digest); a peer
 * hashing the link-local too (HMAC_ORIG) must still be accepted.
 */
static void
test_k3_orig_accepted(void **state)
{
	static const char *const v[] = { "fe80::200:5eff:fe00:107",
	    "2001:db8::10", NULL };
	struct carp_hmac	 h;
	uint8_t			 ctr[8], md[CARP_MD_LEN];

	mkhmac(&h, "secret", 7, v);
	assert_m(&h, CARP_HMAC_NOV6LL, K2_M);
	assert_m(&h, CARP_HMAC_ORIG, "02010720010db8000000000000000000000010"
	    "fe8000000000000002005efffe000107" CTR);
	assert_md(&h, CARP_HMAC_ORIG, CTR, K3_MD);
	assert_md(&h, CARP_HMAC_NOV6LL, CTR, K2_MD);
	assert_header(&h, 7, 100, 0, 1, CTR, "210764070001529f" CTR K2_MD);

	unhex(CTR, ctr, sizeof(ctr));
	unhex(K3_MD, md, sizeof(md));
	assert_true(carp_hmac_verify(&h, ctr, md));
}

/* Without the link-local configured, the ORIG digest of K3 is refused. */
static void
test_k3_needs_the_ll(void **state)
{
	static const char *const v[] = { "2001:db8::10", NULL };
	struct carp_hmac	 h;
	uint8_t			 ctr[8], md[CARP_MD_LEN];

	mkhmac(&h, "secret", 7, v);
	unhex(CTR, ctr, sizeof(ctr));
	unhex(K3_MD, md, sizeof(md));
	assert_false(carp_hmac_verify(&h, ctr, md));
}

/* K4: a 25-character phrase is cut to 19 bytes; its prefix gives the same
 * key and digest. */
static void
test_k4_truncation(void **state)
{
	static const char *const v[] = { "192.0.2.100", NULL };
	static const char	 longp[] = "abcdefghijklmnopqrstuvwxy";
	static const char	 shortp[] = "abcdefghijklmnopqrs";
	uint8_t			 k1[CARP_KEY_LEN], k2[CARP_KEY_LEN];
	uint8_t			 want[CARP_KEY_LEN] = { 0 };
	struct carp_hmac	 h;

	assert_int_equal(strlen(longp), 25);
	assert_int_equal(strlen(shortp), 19);
	memcpy(want, shortp, 19);
	assert_int_equal(carp_key_from_pass(longp, k1), 1);
	assert_int_equal(carp_key_from_pass(shortp, k2), 0);
	assert_memory_equal(k1, want, CARP_KEY_LEN);
	assert_memory_equal(k2, want, CARP_KEY_LEN);

	mkhmac(&h, longp, 1, v);
	assert_m(&h, CARP_HMAC_NOV6LL, "020101c0000264" CTR);
	assert_md(&h, CARP_HMAC_NOV6LL, CTR,
	    "78c952043f7c4382ed163ab5f0b0159490084f6f");
	mkhmac(&h, shortp, 1, v);
	assert_md(&h, CARP_HMAC_NOV6LL, CTR,
	    "78c952043f7c4382ed163ab5f0b0159490084f6f");
}

/* K5: the ucarp README example (ucarp -v 42 -p love -a 10.1.1.252). */
static void
test_k5_ucarp(void **state)
{
	static const char *const v[] = { "10.1.1.252", NULL };
	struct carp_hmac	 h;

	mkhmac(&h, "love", 42, v);
	assert_m(&h, CARP_HMAC_NOV6LL, "02012a0a0101fc0000000000000001");
	assert_md(&h, CARP_HMAC_NOV6LL, "0000000000000001",
	    "bed06b842dc2fcede38f5139bf18d984f1276796");
	assert_header(&h, 42, 0, 0, 1, "0000000000000001",
	    "212a0007000163a20000000000000001"
	    "bed06b842dc2fcede38f5139bf18d984f1276796");
}

/* K6: mixed families, demote 32 (the demote byte is not authenticated).
 * The document's "2001:db8::1, ::2" means 2001:db8::1 and 2001:db8::2, as
 * its M shows. */
static void
test_k6_demote(void **state)
{
	static const char *const v[] = { "2001:db8::2", "198.51.100.1",
	    "2001:db8::1", NULL };
	struct carp_hmac	 h;

	mkhmac(&h, "secret", 3, v);
	assert_m(&h, CARP_HMAC_NOV6LL, "020103c6336401"
	    "20010db8000000000000000000000001"
	    "20010db8000000000000000000000002" CTR);
	assert_md(&h, CARP_HMAC_NOV6LL, CTR,
	    "f3a17509d70ba6500726d4facd4dff5ad0957484");
	assert_header(&h, 3, 0, 32, 1, CTR, "2103000720014ce3" CTR
	    "f3a17509d70ba6500726d4facd4dff5ad0957484");
}

/* K7: bow-out (advbase = advskew = 255): same M and md as K1. */
static void
test_k7_bowout(void **state)
{
	static const char *const v[] = { "192.0.2.100", "192.0.2.50", NULL };
	struct carp_hmac	 h;

	mkhmac(&h, "secret", 1, v);
	assert_header(&h, 1, CARP_BOWOUT, 0, CARP_BOWOUT, CTR,
	    "2101ff0700fffd30" CTR K1_MD);
}

/* What must not verify against K1's digest. */
static void
test_negative(void **state)
{
	static const char *const k1[] = { "192.0.2.100", "192.0.2.50", NULL };
	static const char *const more[] = { "192.0.2.100", "192.0.2.50",
	    "192.0.2.51", NULL };
	static const char *const less[] = { "192.0.2.100", NULL };
	static const char *const other[] = { "192.0.2.100", "192.0.2.51",
	    NULL };
	struct carp_hmac	 h;
	uint8_t			 ctr[8], md[CARP_MD_LEN];
	int			 i;

	unhex(CTR, ctr, sizeof(ctr));
	unhex(K1_MD, md, sizeof(md));
	mkhmac(&h, "Secret", 1, k1);
	assert_false(carp_hmac_verify(&h, ctr, md));
	mkhmac(&h, "secret", 2, k1);
	assert_false(carp_hmac_verify(&h, ctr, md));
	mkhmac(&h, "secret", 1, more);
	assert_false(carp_hmac_verify(&h, ctr, md));
	mkhmac(&h, "secret", 1, less);
	assert_false(carp_hmac_verify(&h, ctr, md));
	mkhmac(&h, "secret", 1, other);
	assert_false(carp_hmac_verify(&h, ctr, md));

	mkhmac(&h, "secret", 1, k1);
	assert_true(carp_hmac_verify(&h, ctr, md));
	for (i = 0; i < 8; i++) {
		ctr[i] ^= 0x01;
		assert_false(carp_hmac_verify(&h, ctr, md));
		ctr[i] ^= 0x01;
	}
	for (i = 0; i < CARP_MD_LEN; i++) {
		md[i] ^= 0x80;
		assert_false(carp_hmac_verify(&h, ctr, md));
		md[i] ^= 0x80;
	}
}

/*
 * Which IPv6 addresses NOV6LL leaves out (OpenBSD IN6_IS_SCOPE_EMBED):
 * with 2001:db8::10 added, the sent digest stays K2's exactly when the
 * extra address is scope-embedded.
 */
static void
test_nov6ll_selection(void **state)
{
	static const struct {
		const char	*addr;
		int		 skipped;
	} c[] = {
		{ "fe80::1", 1 },
		{ "febf:ffff::1", 1 },		/* still fe80::/10 */
		{ "ff02::1", 1 },		/* link-local multicast */
		{ "ff01::1", 1 },		/* interface-local multicast */
		{ "ff12::1", 1 },		/* scope nibble 2 */
		{ "fec0::1", 0 },		/* old site-local: kept */
		{ "ff05::1", 0 },		/* site-local multicast: kept */
		{ "2001:db8::11", 0 },
		{ "fd00::1", 0 },
	};
	const char		*v[3] = { "2001:db8::10", NULL, NULL };
	struct carp_hmac	 h;
	uint8_t			 ctr[8], md[CARP_MD_LEN], k2[CARP_MD_LEN];
	size_t			 i;

	unhex(CTR, ctr, sizeof(ctr));
	unhex(K2_MD, k2, sizeof(k2));
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		v[1] = c[i].addr;
		mkhmac(&h, "secret", 7, v);
		carp_hmac_generate(&h, CARP_HMAC_NOV6LL, ctr, md);
		if ((memcmp(md, k2, sizeof(md)) == 0) != c[i].skipped)
			fail_msg("%s: skipped should be %d", c[i].addr,
			    c[i].skipped);
		/* ORIG always includes it. */
		assert_int_equal(h.msglen[CARP_HMAC_ORIG], 3 + 32);
	}
}

/* ORIG hashes a scope-embedded address with bytes 2-3 cleared (OpenBSD
 * s6_addr16[1] = 0), so fe80:1234::1 enters M as fe80::1, once. */
static void
test_orig_clears_scope_bytes(void **state)
{
	static const char *const v[] = { "fe80:1234::1", "2001:db8::10",
	    "fe80::1", NULL };
	struct carp_hmac	 h;

	mkhmac(&h, "secret", 7, v);
	assert_m(&h, CARP_HMAC_ORIG, "02010720010db8000000000000000000000010"
	    "fe800000000000000000000000000001" CTR);
	assert_m(&h, CARP_HMAC_NOV6LL, K2_M);
}

/* More addresses than CARP_MAX_ADDRS are clamped, never overflow. */
static void
test_too_many_addrs(void **state)
{
	struct carp_addr	 a[CARP_MAX_ADDRS + 8];
	struct carp_hmac	 h;
	uint8_t			 key[CARP_KEY_LEN] = { 's' };
	uint8_t			 ctr[8] = { 0 }, md[CARP_MD_LEN];
	int			 i;

	memset(a, 0, sizeof(a));
	for (i = 0; i < CARP_MAX_ADDRS + 8; i++) {
		a[i].af = AF_INET6;
		a[i].addr[0] = 0x20;
		a[i].addr[15] = (uint8_t)(CARP_MAX_ADDRS + 8 - i);
	}
	carp_hmac_init(&h, key, 9, a, CARP_MAX_ADDRS + 8);
	assert_int_equal(h.msglen[CARP_HMAC_ORIG], 3 + CARP_MAX_ADDRS * 16);
	carp_hmac_generate(&h, CARP_HMAC_NOV6LL, ctr, md);
	assert_true(carp_hmac_verify(&h, ctr, md));

	carp_hmac_init(&h, key, 9, NULL, 5);
	assert_int_equal(h.msglen[CARP_HMAC_NOV6LL], 3);
	carp_hmac_init(&h, key, 9, a, -1);
	assert_int_equal(h.msglen[CARP_HMAC_NOV6LL], 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_k1_both_orders),
		cmocka_unit_test(test_k1_bounds_excluded),
		cmocka_unit_test(test_k2_ipv6),
		cmocka_unit_test(test_k3_orig_accepted),
		cmocka_unit_test(test_k3_needs_the_ll),
		cmocka_unit_test(test_k4_truncation),
		cmocka_unit_test(test_k5_ucarp),
		cmocka_unit_test(test_k6_demote),
		cmocka_unit_test(test_k7_bowout),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_nov6ll_selection),
		cmocka_unit_test(test_orig_clears_scope_bytes),
		cmocka_unit_test(test_too_many_addrs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
