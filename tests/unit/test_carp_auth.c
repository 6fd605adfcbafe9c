/*
 * test_carp_auth.c: carpsync's auth trailer (carp_auth.h): a known-answer
 * vector computed independently (Python's hmac/hashlib, the recipe in
 * carp_auth.h), checksum neutrality, every header byte covered, the
 * replay table, the per-mode decision, and the `auth`/`authkeyfile`
 * keywords with a real keyfile.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "carp_auth.h"
#include "carp_conf.h"
#include "carp_wire.h"

/* KA1: vhid 7, advskew 100, advbase 1, demote 0, OpenBSD counter
 * 10..17, md 40..53; key 00..1f; source 192.0.2.1 (or 2001:db8::1);
 * counter epoch 5, sequence 7. */
#define KA1_HDR	"21076407000151b91011121314151617" \
		"404142434445464748494a4b4c4d4e4f50515253"
#define KA1_T4	"43534131010c768f0000000500000007" \
		"b08ced56cb04cd9e78ee5dd813f4c921300e96ca370998d8834d904968b3066b"
#define KA1_T6	"43534131010c46f20000000500000007" \
		"d9dac067dcb2f9d18b568f7b430fb73e8e83c093af7f740a63f55b287a720158"
#define KA1_CTR	0x0000000500000007ULL

static const uint8_t src4[4] = { 192, 0, 2, 1 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t other4[4] = { 192, 0, 2, 2 };

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

static void
ka1_key(uint8_t key[CARP_AUTH_KEY_LEN])
{
	int	 i;

	for (i = 0; i < CARP_AUTH_KEY_LEN; i++)
		key[i] = (uint8_t)i;
}

/* The KA1 header, built by our encoder (and checked against the hex). */
static void
ka1_header(uint8_t hdr[CARP_HDR_LEN])
{
	struct carp_advert	 ad;
	uint8_t			 want[CARP_HDR_LEN];
	int			 i;

	memset(&ad, 0, sizeof(ad));
	ad.vhid = 7;
	ad.advskew = 100;
	ad.advbase = 1;
	for (i = 0; i < 8; i++)
		ad.counter[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < 20; i++)
		ad.md[i] = (uint8_t)(0x40 + i);
	carp_wire_encode(&ad, hdr);
	assert_int_equal(unhex(KA1_HDR, want, sizeof(want)), CARP_HDR_LEN);
	assert_memory_equal(hdr, want, CARP_HDR_LEN);
}

/* A whole KA1 advert with its IPv4 trailer in pkt[84]. */
static void
ka1_packet(uint8_t pkt[CARP_HDR_LEN + CARP_AUTH_LEN])
{
	uint8_t	 key[CARP_AUTH_KEY_LEN];

	ka1_key(key);
	ka1_header(pkt);
	carp_auth_encode(key, pkt, AF_INET, src4, KA1_CTR, pkt + CARP_HDR_LEN);
}

static void
test_known_answer(void **state)
{
	uint8_t	 key[CARP_AUTH_KEY_LEN], hdr[CARP_HDR_LEN];
	uint8_t	 t[CARP_AUTH_LEN], want[CARP_AUTH_LEN];
	(void)state;

	ka1_key(key);
	ka1_header(hdr);
	carp_auth_encode(key, hdr, AF_INET, src4, KA1_CTR, t);
	assert_int_equal(unhex(KA1_T4, want, sizeof(want)), CARP_AUTH_LEN);
	assert_memory_equal(t, want, CARP_AUTH_LEN);
	carp_auth_encode(key, hdr, AF_INET6, src6, KA1_CTR, t);
	assert_int_equal(unhex(KA1_T6, want, sizeof(want)), CARP_AUTH_LEN);
	assert_memory_equal(t, want, CARP_AUTH_LEN);
}

/* Summed alone or with the trailer, the payload checks out: receivers
 * that sum 36 bytes and receivers that sum everything agree. */
static void
test_checksum_neutral(void **state)
{
	uint8_t	 pkt[CARP_HDR_LEN + CARP_AUTH_LEN], key[CARP_AUTH_KEY_LEN];
	uint64_t c;
	(void)state;

	ka1_key(key);
	ka1_header(pkt);
	for (c = 1; c < 2000; c += 7) {
		carp_auth_encode(key, pkt, AF_INET, src4, c, pkt + CARP_HDR_LEN);
		assert_int_equal(in_cksum(pkt, CARP_HDR_LEN), 0);
		assert_int_equal(in_cksum(pkt, sizeof(pkt)), 0);
		assert_true(carp_wire_cksum_ok(pkt, sizeof(pkt)));
	}
}

static void
test_verify(void **state)
{
	uint8_t	 pkt[CARP_HDR_LEN + CARP_AUTH_LEN], key[CARP_AUTH_KEY_LEN];
	uint64_t c = 0;
	(void)state;

	ka1_key(key);
	ka1_packet(pkt);
	assert_int_equal(carp_auth_verify(key, pkt, sizeof(pkt), AF_INET, src4,
	    &c), CARP_AUTH_VALID);
	assert_true(c == KA1_CTR);
	/* from another address, or read as IPv6: not this sender's */
	assert_int_equal(carp_auth_verify(key, pkt, sizeof(pkt), AF_INET,
	    other4, &c), CARP_AUTH_FORGED);
	assert_int_equal(carp_auth_verify(key, pkt, sizeof(pkt), AF_INET6,
	    src6, &c), CARP_AUTH_FORGED);
	key[31] ^= 1;
	assert_int_equal(carp_auth_verify(key, pkt, sizeof(pkt), AF_INET, src4,
	    &c), CARP_AUTH_FORGED);
}

/* advskew, advbase, demote and every other header byte are covered; in
 * the trailer every byte but adjust is (adjust only spoils the sum). */
static void
test_every_byte_covered(void **state)
{
	uint8_t	 pkt[CARP_HDR_LEN + CARP_AUTH_LEN], key[CARP_AUTH_KEY_LEN];
	uint64_t c;
	size_t	 i;
	enum carp_auth_verdict v, want;
	(void)state;

	ka1_key(key);
	for (i = 0; i < sizeof(pkt); i++) {
		ka1_packet(pkt);
		pkt[i] ^= 0x01;
		v = carp_auth_verify(key, pkt, sizeof(pkt), AF_INET, src4, &c);
		if (i >= CARP_HDR_LEN && i < CARP_HDR_LEN + 4)
			want = CARP_AUTH_ABSENT;	/* magic */
		else if (i == CARP_HDR_LEN + 4 || i == CARP_HDR_LEN + 5)
			want = CARP_AUTH_MALFORMED;	/* version, words */
		else if (i == CARP_HDR_LEN + 6 || i == CARP_HDR_LEN + 7)
			want = CARP_AUTH_VALID;		/* adjust */
		else
			want = CARP_AUTH_FORGED;
		if (v != want)
			fail_msg("byte %zu flipped: verdict %d, want %d", i, v,
			    want);
	}
}

static void
test_lengths(void **state)
{
	uint8_t	 pkt[CARP_HDR_LEN + CARP_AUTH_LEN + 4], key[CARP_AUTH_KEY_LEN];
	uint64_t c;
	size_t	 n;
	(void)state;

	ka1_key(key);
	ka1_packet(pkt);
	memset(pkt + CARP_HDR_LEN + CARP_AUTH_LEN, 0, 4);
	/* a plain advert, with or without link padding: no trailer */
	assert_int_equal(carp_auth_verify(key, pkt, CARP_HDR_LEN, AF_INET,
	    src4, &c), CARP_AUTH_ABSENT);
	assert_int_equal(carp_auth_verify(key, pkt, CARP_HDR_LEN + 3, AF_INET,
	    src4, &c), CARP_AUTH_ABSENT);
	/* our magic but cut short, or followed by bytes nobody signed */
	for (n = CARP_HDR_LEN + 4; n < CARP_HDR_LEN + CARP_AUTH_LEN; n++)
		assert_int_equal(carp_auth_verify(key, pkt, n, AF_INET, src4,
		    &c), CARP_AUTH_MALFORMED);
	assert_int_equal(carp_auth_verify(key, pkt, sizeof(pkt), AF_INET, src4,
	    &c), CARP_AUTH_MALFORMED);
}

static void
test_replay_table(void **state)
{
	struct carp_auth_replay	 rp;
	uint8_t			 a[4] = { 198, 51, 100, 0 };
	int			 i;
	(void)state;

	memset(&rp, 0, sizeof(rp));
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4, 10), 1);
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4, 10), 0);
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4, 9), 0);
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4, 11), 1);
	/* a restarted sender: higher epoch, sequence from 1 */
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4,
	    (uint64_t)2 << 32 | 1), 1);
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4, 12), 0);
	/* senders are told apart by family and address */
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, other4, 1), 1);
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET6, src6, 1), 1);

	/* full: src4 (refreshed now) stays, the least recent goes */
	for (i = 0; i < CARP_AUTH_SOURCES; i++) {
		a[3] = (uint8_t)(1 + i);
		assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4,
		    ((uint64_t)3 << 32) + (uint64_t)i), 1);
		assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, a, 5), 1);
	}
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, src4, 12), 0);
	/* 198.51.100.1 was pushed out long ago: heard as new */
	a[3] = 1;
	assert_int_equal(carp_auth_replay_accept(&rp, AF_INET, a, 5), 1);
}

static void
test_modes(void **state)
{
	struct carp_auth_replay	 rp;
	uint8_t	 pkt[CARP_HDR_LEN + CARP_AUTH_LEN], key[CARP_AUTH_KEY_LEN];
	uint8_t	 bad[sizeof(pkt)];
	int	 un;
	(void)state;

	ka1_key(key);
	ka1_packet(pkt);
	memcpy(bad, pkt, sizeof(bad));
	bad[2] = 0;		/* advskew 100 -> 0, as a forger would */
	memset(&rp, 0, sizeof(rp));

	/* off: whatever follows the 36 bytes is not looked at */
	assert_int_equal(carp_auth_check(CARP_AUTH_OFF, key, &rp, bad,
	    sizeof(bad), AF_INET, src4, &un), CARP_OK);
	assert_int_equal(un, 0);

	/* compat: a plain advert passes, counted as unauthenticated */
	assert_int_equal(carp_auth_check(CARP_AUTH_COMPAT, key, &rp, pkt,
	    CARP_HDR_LEN, AF_INET, src4, &un), CARP_OK);
	assert_int_equal(un, 1);
	assert_int_equal(carp_auth_check(CARP_AUTH_COMPAT, key, &rp, bad,
	    sizeof(bad), AF_INET, src4, &un), CARP_DROP_AUTHFORGED);
	assert_int_equal(carp_auth_check(CARP_AUTH_COMPAT, key, &rp, pkt,
	    sizeof(pkt), AF_INET, src4, &un), CARP_OK);
	assert_int_equal(un, 0);
	assert_int_equal(carp_auth_check(CARP_AUTH_COMPAT, key, &rp, pkt,
	    sizeof(pkt), AF_INET, src4, &un), CARP_DROP_REPLAY);

	/* strict */
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(carp_auth_check(CARP_AUTH_STRICT, key, &rp, pkt,
	    CARP_HDR_LEN, AF_INET, src4, &un), CARP_DROP_AUTHMISSING);
	assert_int_equal(carp_auth_check(CARP_AUTH_STRICT, key, &rp, bad,
	    sizeof(bad), AF_INET, src4, &un), CARP_DROP_AUTHFORGED);
	assert_int_equal(carp_auth_check(CARP_AUTH_STRICT, key, &rp, pkt,
	    sizeof(pkt) - 1, AF_INET, src4, &un), CARP_DROP_AUTHMALFORMED);
	assert_int_equal(carp_auth_check(CARP_AUTH_STRICT, key, &rp, pkt,
	    sizeof(pkt), AF_INET, src4, &un), CARP_OK);
	assert_int_equal(carp_auth_check(CARP_AUTH_STRICT, key, &rp, pkt,
	    sizeof(pkt), AF_INET, src4, &un), CARP_DROP_REPLAY);
	/* a forged advert leaves no trace in the replay table */
	memset(&rp, 0, sizeof(rp));
	(void)carp_auth_check(CARP_AUTH_STRICT, key, &rp, bad, sizeof(bad),
	    AF_INET, src4, &un);
	assert_int_equal(rp.src[0].af, 0);
}

static void
test_next_counter(void **state)
{
	uint32_t seq = 0;
	(void)state;

	assert_true(carp_auth_next_counter(9, &seq) == ((uint64_t)9 << 32 | 1));
	assert_true(carp_auth_next_counter(9, &seq) == ((uint64_t)9 << 32 | 2));
	seq = UINT32_MAX - 1;
	assert_true(carp_auth_next_counter(9, &seq) ==
	    ((uint64_t)9 << 32 | UINT32_MAX));
	assert_true(carp_auth_next_counter(9, &seq) == 0);	/* exhausted */
	assert_int_equal(seq, UINT32_MAX);
}

/* ---- the keywords, with a keyfile in a private directory ---------- */

static char tmpdir[] = "/tmp/test_carp_auth.XXXXXX";

static void
write_file(const char *name, const char *text, mode_t mode)
{
	char	 path[256];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

static struct carpd_conf *
parse_tmp(struct conf_diag *d)
{
	char	 path[256];

	snprintf(path, sizeof(path), "%s/carpd.conf", tmpdir);
	/* as root (CI) or as a user: our own files are the daemon's */
	return carp_conf_parse_as(path, (unsigned)getuid(), d);
}

static int
setup_dir(void **state)
{
	(void)state;
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	write_file("carpd.conf", "include \"vh.conf\"\n", 0644);
	return 0;
}

static int
teardown_dir(void **state)
{
	static const char *const names[] = { "carpd.conf", "vh.conf",
	    "auth.key" };
	char	 path[256];
	size_t	 i;
	(void)state;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

static void
test_conf_keywords(void **state)
{
	struct conf_diag	 d;
	struct carpd_conf	*c;
	uint8_t			 key[CARP_AUTH_KEY_LEN];
	char			*out = NULL;
	size_t			 outlen = 0;
	FILE			*fp;
	(void)state;

	ka1_key(key);
	write_file("auth.key", "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191A1B1C1D1E1F\n", 0600);
	write_file("vh.conf", "vhid 1\ncarpdev eth0\naddress 192.0.2.1\n"
	    "auth strict\nauthkeyfile auth.key\n", 0644);
	conf_diag_init(&d);
	assert_non_null(c = parse_tmp(&d));
	assert_null(d.text);
	assert_int_equal(c->vhosts[0].auth, CARP_AUTH_STRICT);
	assert_memory_equal(c->vhosts[0].authkey, key, sizeof(key));
	assert_string_equal(c->vhosts[0].authkeyfile, "auth.key");
	/* printed for carpd -nv, the key itself never */
	assert_non_null(fp = open_memstream(&out, &outlen));
	carp_conf_print(fp, c);
	fclose(fp);
	assert_non_null(strstr(out, "\nauth strict\nauthkeyfile auth.key\n"));
	assert_null(strstr(out, "0001020304"));
	free(out);
	carp_conf_free(c);
	conf_diag_free(&d);

	/* a keyfile others can read is refused, in keyfile.c's words */
	write_file("auth.key", "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", 0640);
	conf_diag_init(&d);
	assert_null(parse_tmp(&d));
	assert_non_null(strstr(d.text, "vh.conf:5: authkeyfile "));
	assert_non_null(strstr(d.text, "mode 0640 allows group or others"));
	conf_diag_free(&d);

	/* a key file with auth off: a warning, not an error */
	write_file("auth.key", "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\n", 0600);
	write_file("vh.conf", "vhid 1\ncarpdev eth0\naddress 192.0.2.1\n"
	    "authkeyfile auth.key\n", 0644);
	conf_diag_init(&d);
	assert_non_null(c = parse_tmp(&d));
	assert_int_equal(c->vhosts[0].auth, CARP_AUTH_OFF);
	assert_non_null(strstr(d.text, "vh.conf:4: warning: authkeyfile: "
	    "unused while auth is off"));
	carp_conf_free(c);
	conf_diag_free(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_checksum_neutral),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_every_byte_covered),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_replay_table),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_next_counter),
		cmocka_unit_test_setup_teardown(test_conf_keywords, setup_dir,
		    teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
