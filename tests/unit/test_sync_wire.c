/*
 * test_sync_wire.c: the state-sync frame codec. Expected bytes are written
 * out by hand from the layouts in sync_wire.h / carpsync-sync(7), not
 * produced by the encoder; trailers are checked against an HMAC computed
 * here with OpenSSL and against one known-answer trailer (computed with
 * Python's hmac module). Then round trips, the builder's limits, every
 * drop reason and its precedence, the pfsync skip rule and messages longer
 * than we know.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sync_wire.h"

static const uint8_t key[SYNC_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const uint8_t other_key[SYNC_KEY_LEN] = { 0x01 };

static const struct sync_hdr test_hdr = {
	.flags = 0, .node_id = 0x0a0b0c0d, .epoch = 3, .seq = 7,
};

/* Header of test_hdr with the given len (4 hex digits). */
#define HDR(len)	"81 00 " len " 0a0b0c0d 00000003 00000007 "
#define Z12		"000000000000000000000000"
#define Z32		Z12 Z12 "0000000000000000"

/* The INS of the golden table: IPv4 TCP, SNAT to 203.0.113.1. */
#define INS_V4 \
	"0102030405060708 0a0b0c0d 02 06 03 01 0007 0708 0000019e" \
	" deadbeef 00069780 2332 0000" \
	" c000020a" Z12 " c6336414" Z12 " 9c40 01bb" \
	" c6336414" Z12 " cb007101" Z12 " 01bb ee48" \
	" 00000000000000000000000000000005"
/* The UPD: IPv6 UDP 2001:db8::1.5353 -> 2001:db8:1::2.53, labels set. */
#define UPD_V6 \
	"fedcba9876543210 11223344 0a 11 00 00 0000 0000 0000000e" \
	" 00000000 0000001e 0000 0000" \
	" 20010db8000000000000000000000001" \
	" 20010db8000100000000000000000002 14e9 0035" \
	" 20010db8000100000000000000000002" \
	" 20010db8000000000000000000000001 0035 14e9" \
	" 80000000000000000000000000000001"
#define UPD_C_1 \
	"0000000100000002 0a0b0c0d 0000018e 00c0ffee 00000e10 03 01 2a22"

static const struct sync_msg ins_v4 = {
	.action = SYNC_A_INS,
	.u.st = {
		.id = 0x0102030405060708ULL, .creatorid = 0x0a0b0c0d,
		.af = 2, .proto = 6, .tcp_state = 3, .state_flags = SYNC_SF_ACK,
		.zone = 7, .wscale = { 7, 8 }, .status = 0x19e,
		.mark = 0xdeadbeef, .timeout = 432000,
		.tcp_flags = { 0x23, 0x32 },
		.orig = { { 192, 0, 2, 10 }, { 198, 51, 100, 20 }, 40000, 443 },
		.reply = { { 198, 51, 100, 20 }, { 203, 0, 113, 1 }, 443,
		    61000 },
		.labels = { [15] = 0x05 },
	},
};

static const struct sync_msg upd_v6 = {
	.action = SYNC_A_UPD,
	.u.st = {
		.id = 0xfedcba9876543210ULL, .creatorid = 0x11223344,
		.af = 10, .proto = 17, .status = 0xe, .timeout = 30,
		.orig = {
			{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
			{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }, 5353, 53 },
		.reply = {
			{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 },
			{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 53, 5353 },
		.labels = { [0] = 0x80, [15] = 0x01 },
	},
};

static const struct sync_msg upd_c_1 = {
	.action = SYNC_A_UPD_C,
	.u.upd_c = {
		.id = 0x0000000100000002ULL, .creatorid = 0x0a0b0c0d,
		.status = 0x18e, .mark = 0x00c0ffee, .timeout = 3600,
		.tcp_state = 3, .state_flags = 1, .tcp_flags = { 0x2a, 0x22 },
	},
};

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

/* HMAC-SHA256 of n bytes, written to out (independent of the encoder). */
static void
mac(const uint8_t *k, const uint8_t *p, size_t n, uint8_t *out)
{
	unsigned int	 olen = 0;

	assert_non_null(HMAC(EVP_sha256(), k, SYNC_KEY_LEN, p, n, out, &olen));
	assert_int_equal(olen, SYNC_MAC_LEN);
}

/* Patch len to n + trailer and append the HMAC; returns the frame size. */
static size_t
sign(uint8_t *buf, size_t n, const uint8_t *k)
{
	buf[2] = (uint8_t)((n + SYNC_MAC_LEN) >> 8);
	buf[3] = (uint8_t)(n + SYNC_MAC_LEN);
	mac(k, buf, n, buf + n);
	return n + SYNC_MAC_LEN;
}

/* Collects what sync_frame_walk hands out. */
struct coll {
	struct sync_msg	 m[128];
	unsigned	 n;
	unsigned	 stop_at;	/* return -1 at this many; 0 never */
};

static int
collect(void *arg, const struct sync_msg *m)
{
	struct coll	*c = arg;

	assert_true(c->n < sizeof(c->m) / sizeof(c->m[0]));
	memcpy(&c->m[c->n++], m, sizeof(*m));	/* padding too */
	return c->stop_at != 0 && c->n == c->stop_at ? -1 : 0;
}

/* Check (must be OK) and walk a frame into c; returns the skip count. */
static unsigned
check_walk(const uint8_t *f, size_t n, struct coll *c)
{
	struct sync_hdr	 h;
	unsigned	 skipped = 99;

	assert_int_equal(sync_frame_check(f, n, key, &h), SYNC_OK);
	memset(c, 0, sizeof(*c));
	sync_frame_walk(f, n, collect, c, &skipped);
	return skipped;
}

/* Decoded messages compare equal, padding included (both are zeroed). */
static void
assert_msg_equal(const struct sync_msg *a, const struct sync_msg *b)
{
	assert_int_equal(a->action, b->action);
	assert_memory_equal(a, b, sizeof(*a));
}

/* ---- golden bytes ---------------------------------------------------- */

struct golden {
	const char	*name;
	struct sync_msg	 msg;
	const char	*hex;		/* the frame without its trailer */
};

static const struct golden goldens[] = {
	{ "CLR", { .action = SYNC_A_CLR, .u.clr = { 0x0a0b0c0d } },
	    HDR("003c") "00 02 0001 0a0b0c0d 00000000" },
	{ "INS_ACK", { .action = SYNC_A_INS_ACK,
	    .u.ref = { 0x1122334455667788ULL, 0x99aabbcc } },
	    HDR("0040") "02 03 0001 1122334455667788 99aabbcc" },
	{ "UPD_C", { 0 }, HDR("0050") "04 07 0001 " UPD_C_1 },
	{ "UPD_REQ", { .action = SYNC_A_UPD_REQ,
	    .u.ref = { 0x0102030405060708ULL, 0x01020304 } },
	    HDR("0040") "05 03 0001 0102030405060708 01020304" },
	{ "UPD_REQ bulk", { .action = SYNC_A_UPD_REQ },
	    HDR("0040") "05 03 0001 0000000000000000 00000000" },
	{ "DEL_C", { .action = SYNC_A_DEL_C,
	    .u.ref = { 0xfffffffffffffffeULL, 0xffffffff } },
	    HDR("0040") "07 03 0001 fffffffffffffffe ffffffff" },
	{ "BUS end", { .action = SYNC_A_BUS,
	    .u.bus = { 0x0a0b0c0d, 300, SYNC_BUS_END } },
	    HDR("0040") "0a 03 0001 0a0b0c0d 0000012c 02 000000" },
	{ "INS", { 0 }, HDR("00b0") "0d 1f 0001 " INS_V4 },
	{ "UPD", { 0 }, HDR("00b0") "0e 1f 0001 " UPD_V6 },
	{ "NACK", { .action = SYNC_A_NACK,
	    .u.nack = { 0x01020304, 3, 0x100, 0x104 } },
	    HDR("0044") "10 04 0001 01020304 00000003 00000100 00000104" },
	{ "ACK", { .action = SYNC_A_ACK, .u.ack = { 0x01020304, 3, 0x1234 } },
	    HDR("0044") "11 04 0001 01020304 00000003 00001234 00000000" },
};

/* The three big records are declared once above; fill them in. */
static const struct sync_msg *
golden_msg(const struct golden *g)
{
	if (strcmp(g->name, "UPD_C") == 0)
		return &upd_c_1;
	if (strcmp(g->name, "INS") == 0)
		return &ins_v4;
	if (strcmp(g->name, "UPD") == 0)
		return &upd_v6;
	return &g->msg;
}

static void
test_golden(void **state)
{
	uint8_t		 buf[512], want[512], tr[SYNC_MAC_LEN];
	struct sync_fb	 fb;
	struct coll	 c;
	size_t		 i, n, wn;

	for (i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
		const struct sync_msg *m = golden_msg(&goldens[i]);

		print_message("golden %s\n", goldens[i].name);
		wn = unhex(goldens[i].hex, want, sizeof(want));
		sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
		assert_int_equal(sync_fb_add(&fb, m), 0);
		n = sync_fb_finish(&fb, key);
		assert_int_equal(n, wn + SYNC_MAC_LEN);
		assert_memory_equal(buf, want, wn);
		mac(key, want, wn, tr);
		assert_memory_equal(buf + wn, tr, SYNC_MAC_LEN);
		/* and back */
		assert_int_equal(check_walk(buf, n, &c), 0);
		assert_int_equal(c.n, 1);
		assert_msg_equal(&c.m[0], m);
	}
}

/* Known answer: HMAC-SHA256 with key 00..1f over the BUS golden frame. */
static void
test_hmac_known_answer(void **state)
{
	uint8_t		 buf[128], want[SYNC_MAC_LEN];
	struct sync_fb	 fb;
	struct sync_msg	 m = { .action = SYNC_A_BUS,
	    .u.bus = { 0x0a0b0c0d, 300, SYNC_BUS_END } };

	sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
	assert_int_equal(sync_fb_add(&fb, &m), 0);
	assert_int_equal(sync_fb_finish(&fb, key), 64);
	unhex("27d02ef256b937d817bf896edaad03f6"
	    "50eb512709336abdfb936d28b9b0fe6b", want, sizeof(want));
	assert_memory_equal(buf + 32, want, SYNC_MAC_LEN);
}

/* ---- builder --------------------------------------------------------- */

/* Built in place: a struct returned by value need not keep its padding. */
static void
ref_msg(struct sync_msg *m, enum sync_action a, uint64_t id)
{
	memset(m, 0, sizeof(*m));
	m->action = a;
	m->u.ref.id = id;
	m->u.ref.creatorid = 0x0a0b0c0d;
}

/* One section per run of an action: A A B A is three sections. */
static void
test_fb_sections(void **state)
{
	uint8_t		 buf[512], want[512];
	struct sync_fb	 fb;
	struct sync_msg	 d1, d2, d3;
	size_t		 wn;

	ref_msg(&d1, SYNC_A_DEL_C, 1);
	ref_msg(&d2, SYNC_A_DEL_C, 2);
	ref_msg(&d3, SYNC_A_DEL_C, 3);
	sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
	assert_true(sync_fb_empty(&fb));
	assert_int_equal(sync_fb_add(&fb, &d1), 0);
	assert_false(sync_fb_empty(&fb));
	assert_int_equal(sync_fb_add(&fb, &d2), 0);
	assert_int_equal(sync_fb_add(&fb, &ins_v4), 0);
	assert_int_equal(sync_fb_add(&fb, &d3), 0);
	assert_int_equal(fb.nmsgs, 4);
	assert_int_equal(sync_fb_finish(&fb, key), 16 + 4 + 24 + 4 + 124 +
	    4 + 12 + 32);
	wn = unhex(HDR("00dc")
	    "07 03 0002 0000000000000001 0a0b0c0d 0000000000000002 0a0b0c0d"
	    " 0d 1f 0001 " INS_V4
	    " 07 03 0001 0000000000000003 0a0b0c0d", want, sizeof(want));
	assert_memory_equal(buf, want, wn);
}

/* The header: our version whatever hdr->version says, flags as given. */
static void
test_fb_header(void **state)
{
	uint8_t		 buf[64], want[64];
	struct sync_hdr	 h = { .version = 6, .flags = 0x5a,
	    .node_id = 0xffffffff, .epoch = 0x80000001, .seq = 0xfffffffe };
	struct sync_hdr	 got;
	struct sync_fb	 fb;

	sync_fb_init(&fb, buf, sizeof(buf), &h);
	assert_int_equal(sync_fb_finish(&fb, key), 48);
	unhex("81 5a 0030 ffffffff 80000001 fffffffe", want, sizeof(want));
	assert_memory_equal(buf, want, 16);
	/* an empty frame is valid (nothing to apply) */
	assert_int_equal(sync_frame_check(buf, 48, key, &got), SYNC_OK);
	assert_int_equal(got.version, SYNC_VERSION);
	assert_int_equal(got.flags, 0x5a);
	assert_int_equal(got.len, 48);
	assert_int_equal(got.node_id, 0xffffffff);
	assert_int_equal(got.epoch, 0x80000001);
	assert_int_equal(got.seq, 0xfffffffe);
}

/* An add that does not fit returns -1 and leaves buffer and builder. */
static void
assert_add_fails(struct sync_fb *fb, const struct sync_msg *m)
{
	uint8_t		 before[256];
	struct sync_fb	 b = *fb;

	assert_true(fb->cap <= sizeof(before));
	memcpy(before, fb->buf, fb->cap);
	assert_int_equal(sync_fb_add(fb, m), -1);
	assert_memory_equal(fb->buf, before, fb->cap);
	assert_ptr_equal(fb->buf, b.buf);
	assert_int_equal(fb->cap, b.cap);
	assert_int_equal(fb->len, b.len);
	assert_int_equal(fb->sect, b.sect);
	assert_int_equal(fb->sect_action, b.sect_action);
	assert_int_equal(fb->sect_count, b.sect_count);
	assert_int_equal(fb->nmsgs, b.nmsgs);
}

static void
test_fb_full(void **state)
{
	uint8_t		 buf[256];
	struct sync_fb	 fb;
	struct sync_msg	 r1, r2, bus;

	ref_msg(&r1, SYNC_A_DEL_C, 1);
	ref_msg(&r2, SYNC_A_DEL_C, 2);
	memset(&bus, 0, sizeof(bus));
	bus.action = SYNC_A_BUS;
	bus.u.bus.creatorid = 1;
	bus.u.bus.status = SYNC_BUS_START;
	/* 16 + 4 + 12 + 32: exactly one reference */
	sync_fb_init(&fb, buf, 64, &test_hdr);
	assert_int_equal(sync_fb_add(&fb, &r1), 0);
	assert_add_fails(&fb, &r2);
	assert_int_equal(sync_fb_finish(&fb, key), 64);

	sync_fb_init(&fb, buf, 63, &test_hdr);
	assert_add_fails(&fb, &r1);
	assert_true(sync_fb_empty(&fb));
	assert_int_equal(sync_fb_finish(&fb, key), 48);

	/* 12 bytes left: another DEL_C fits, a BUS needs a subheader too */
	sync_fb_init(&fb, buf, 76, &test_hdr);
	assert_int_equal(sync_fb_add(&fb, &r1), 0);
	assert_add_fails(&fb, &bus);
	assert_int_equal(sync_fb_add(&fb, &r2), 0);
	assert_int_equal(fb.nmsgs, 2);
	assert_int_equal(sync_fb_finish(&fb, key), 76);
}

/* Frames never grow beyond SYNC_MAX_FRAME, whatever the buffer. */
static void
test_fb_max_frame(void **state)
{
	static uint8_t	 buf[20000];
	struct sync_fb	 fb;
	struct coll	 c;
	size_t		 n;
	unsigned	 k = 0;

	sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
	while (sync_fb_add(&fb, &ins_v4) == 0)
		k++;
	/* (9000 - 16 - 4 - 32) / 124 */
	assert_int_equal(k, 72);
	n = sync_fb_finish(&fb, key);
	assert_int_equal(n, 16 + 4 + 72 * 124 + 32);
	assert_int_equal(buf[20 - 2], 0);
	assert_int_equal(buf[20 - 1], 72);
	assert_int_equal(check_walk(buf, n, &c), 0);
	assert_int_equal(c.n, 72);
}

static void
test_fb_refuses(void **state)
{
	uint8_t		 buf[256];
	struct sync_fb	 fb;
	struct sync_msg	 m;
	const unsigned	 bad[] = { 1, 3, 6, 8, 9, 11, 12, 15, 18, 31, 255 };
	size_t		 i;

	sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.action = bad[i];
		m.u.ref.creatorid = 1;
		assert_add_fails(&fb, &m);
	}
	assert_true(sync_fb_empty(&fb));

	/* a buffer that cannot hold an empty frame */
	sync_fb_init(&fb, buf, 47, &test_hdr);
	ref_msg(&m, SYNC_A_DEL_C, 1);
	assert_int_equal(sync_fb_add(&fb, &m), -1);
	assert_int_equal(sync_fb_finish(&fb, key), 0);
}

/* Finishing twice gives the same frame; adding afterwards is covered. */
static void
test_fb_finish_again(void **state)
{
	uint8_t		 buf[256], first[256];
	struct sync_fb	 fb;
	struct sync_msg	 r1, r2;
	struct coll	 c;
	size_t		 n;

	ref_msg(&r1, SYNC_A_INS_ACK, 1);
	ref_msg(&r2, SYNC_A_INS_ACK, 2);
	sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
	assert_int_equal(sync_fb_add(&fb, &r1), 0);
	n = sync_fb_finish(&fb, key);
	memcpy(first, buf, n);
	assert_int_equal(sync_fb_finish(&fb, key), n);
	assert_memory_equal(buf, first, n);
	assert_int_equal(sync_fb_add(&fb, &r2), 0);
	n = sync_fb_finish(&fb, key);
	assert_int_equal(n, 16 + 4 + 24 + 32);
	check_walk(buf, n, &c);
	assert_int_equal(c.n, 2);
	assert_msg_equal(&c.m[1], &r2);
}

/* ---- round trips ----------------------------------------------------- */

/* Deterministic pseudo-random numbers (no wall clock, no libc rand). */
static uint32_t
lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8 ^ *s << 13;
}

static void
rand_bytes(uint32_t *s, uint8_t *p, size_t n)
{
	while (n-- > 0)
		*p++ = (uint8_t)lcg(s);
}

static void
rand_tuple(uint32_t *s, struct sync_tuple *t)
{
	rand_bytes(s, t->src, sizeof(t->src));
	rand_bytes(s, t->dst, sizeof(t->dst));
	t->sport = (uint16_t)lcg(s);
	t->dport = (uint16_t)lcg(s);
}

/* Field by field, so the struct's padding stays zero. */
static void
rand_state(uint32_t *s, struct sync_state *st)
{
	st->id = (uint64_t)lcg(s) << 32 | lcg(s);
	st->creatorid = lcg(s) | 1;
	st->af = lcg(s) & 1 ? 2 : 10;
	st->proto = (uint8_t)lcg(s);
	st->tcp_state = (uint8_t)lcg(s);
	st->state_flags = (uint8_t)lcg(s);
	st->zone = (uint16_t)lcg(s);
	rand_bytes(s, st->wscale, sizeof(st->wscale));
	st->status = lcg(s);
	st->mark = lcg(s);
	st->timeout = lcg(s);
	rand_bytes(s, st->tcp_flags, sizeof(st->tcp_flags));
	rand_tuple(s, &st->orig);
	rand_tuple(s, &st->reply);
	rand_bytes(s, st->labels, sizeof(st->labels));
}

static void
rand_upd_c(uint32_t *s, struct sync_upd_c *u)
{
	u->id = (uint64_t)lcg(s) << 32 | lcg(s);
	u->creatorid = lcg(s) | 1;
	u->status = lcg(s);
	u->mark = lcg(s);
	u->timeout = lcg(s);
	u->tcp_state = (uint8_t)lcg(s);
	u->state_flags = (uint8_t)lcg(s);
	rand_bytes(s, u->tcp_flags, sizeof(u->tcp_flags));
}

/* A random but valid message of a known action; runs are likely. */
static void
rand_msg(uint32_t *s, struct sync_msg *m, enum sync_action prev)
{
	static const enum sync_action acts[] = { SYNC_A_CLR, SYNC_A_INS_ACK,
	    SYNC_A_UPD_C, SYNC_A_UPD_REQ, SYNC_A_DEL_C, SYNC_A_BUS,
	    SYNC_A_INS, SYNC_A_UPD, SYNC_A_NACK, SYNC_A_ACK };

	memset(m, 0, sizeof(*m));
	m->action = lcg(s) % 3 == 0 ? prev : acts[lcg(s) % 10];
	switch (m->action) {
	case SYNC_A_INS:
	case SYNC_A_UPD:
		rand_state(s, &m->u.st);
		break;
	case SYNC_A_UPD_C:
		rand_upd_c(s, &m->u.upd_c);
		break;
	case SYNC_A_BUS:
		m->u.bus.creatorid = lcg(s);
		m->u.bus.endtime = lcg(s);
		m->u.bus.status = lcg(s) & 1 ? SYNC_BUS_START : SYNC_BUS_END;
		break;
	case SYNC_A_CLR:
		m->u.clr.creatorid = lcg(s);
		break;
	case SYNC_A_ACK:
		m->u.ack.node_id = lcg(s) | 1;
		m->u.ack.epoch = lcg(s);
		m->u.ack.seq = lcg(s);
		break;
	case SYNC_A_NACK:
		m->u.nack.node_id = lcg(s) | 1;
		m->u.nack.epoch = lcg(s);
		m->u.nack.from_seq = (lcg(s) >> 1) | 1;
		m->u.nack.to_seq = m->u.nack.from_seq + (lcg(s) & 0xff);
		break;
	default:	/* INS_ACK, UPD_REQ, DEL_C */
		m->u.ref.id = (uint64_t)lcg(s) << 32 | lcg(s);
		m->u.ref.creatorid = lcg(s) | 1;
		break;
	}
}

/* Count sections by reading subheaders by hand. */
static unsigned
count_sections(const uint8_t *f, size_t n)
{
	size_t		 off = SYNC_HDR_LEN, end = n - SYNC_MAC_LEN;
	unsigned	 k = 0;

	while (off < end) {
		off += 4 + (size_t)f[off + 1] * 4 * (f[off + 2] << 8 | f[off + 3]);
		k++;
	}
	assert_int_equal(off, end);
	return k;
}

static void
test_roundtrip_random(void **state)
{
	static uint8_t		 buf[SYNC_MAX_FRAME];
	static struct sync_msg	 sent[128];
	static struct coll	 c;
	struct sync_fb		 fb;
	uint32_t		 s = 12345;
	unsigned		 frame, i, runs;
	size_t			 n;

	for (frame = 0; frame < 50; frame++) {
		sync_fb_init(&fb, buf, 600 + frame * 160, &test_hdr);
		for (i = 0, runs = 0; i < 128; i++) {
			rand_msg(&s, &sent[i],
			    i > 0 ? sent[i - 1].action : SYNC_A_INS);
			if (sync_fb_add(&fb, &sent[i]) != 0)
				break;
			if (i == 0 || sent[i].action != sent[i - 1].action)
				runs++;
		}
		n = sync_fb_finish(&fb, key);
		assert_int_equal(check_walk(buf, n, &c), 0);
		assert_int_equal(c.n, i);
		assert_int_equal(count_sections(buf, n), runs);
		while (i-- > 0)
			assert_msg_equal(&c.m[i], &sent[i]);
	}
}

/* ---- receiving: skip rule, longer messages, extra bytes ------------- */

/* INS, an unknown private section (action 20), DEL_C. */
static void
test_skip_unknown_between(void **state)
{
	uint8_t		 buf[512];
	struct sync_msg	 del;
	struct coll	 c;
	size_t		 n;

	ref_msg(&del, SYNC_A_DEL_C, 9);
	n = unhex(HDR("0000") "0d 1f 0001 " INS_V4
	    " 14 02 0003 aaaaaaaabbbbbbbb ccccccccdddddddd eeeeeeeeffffffff"
	    " 07 03 0001 0000000000000009 0a0b0c0d", buf, sizeof(buf));
	n = sign(buf, n, key);
	assert_int_equal(check_walk(buf, n, &c), 1);
	assert_int_equal(c.n, 2);
	assert_msg_equal(&c.m[0], &ins_v4);
	assert_msg_equal(&c.m[1], &del);
}

/* Codes we do not speak (OpenBSD's DEL 6, OINS, a high private one). */
static void
test_skip_codes(void **state)
{
	const char	*secs[] = { "06 01 0001 00000000",
	    "01 42 0001 " Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12
	    Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12 Z12,
	    "ff 01 0002 0000000000000000" };
	uint8_t		 buf[2048];
	char		 hex[2048];
	struct coll	 c;
	size_t		 i, n;

	/* 0x42 words = 264 bytes: an OpenBSD-sized record, 22 * 12 bytes */
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		snprintf(hex, sizeof(hex), HDR("0000") "%s", secs[i]);
		n = sign(buf, unhex(hex, buf, sizeof(buf)), key);
		assert_int_equal(check_walk(buf, n, &c), 1);
		assert_int_equal(c.n, 0);
	}
}

/* A newer sender's longer INS and UPD_C: read the prefix, skip the rest. */
static void
test_longer_messages(void **state)
{
	uint8_t		 buf[512];
	struct coll	 c;
	size_t		 n;

	n = unhex(HDR("0000") "0d 21 0001 " INS_V4 " eeeeeeee eeeeeeee"
	    " 04 08 0002 " UPD_C_1 " 99999999 " UPD_C_1 " 77777777"
	    " 0e 1f 0001 " UPD_V6, buf, sizeof(buf));
	n = sign(buf, n, key);
	assert_int_equal(check_walk(buf, n, &c), 0);
	assert_int_equal(c.n, 4);
	assert_msg_equal(&c.m[0], &ins_v4);
	assert_msg_equal(&c.m[1], &upd_c_1);
	assert_msg_equal(&c.m[2], &upd_c_1);
	assert_msg_equal(&c.m[3], &upd_v6);
}

/* Datagram bytes after len are ignored (pfsync trims them). */
static void
test_extra_datagram_bytes(void **state)
{
	uint8_t		 buf[512];
	struct coll	 c;
	size_t		 n;

	n = unhex(HDR("0000") "0e 1f 0001 " UPD_V6, buf, sizeof(buf));
	n = sign(buf, n, key);
	memset(buf + n, 0xff, 40);
	assert_int_equal(check_walk(buf, n + 40, &c), 0);
	assert_int_equal(c.n, 1);
	assert_msg_equal(&c.m[0], &upd_v6);
}

/* cb returning -1 ends the walk; no skipped pointer is fine. */
static void
test_walk_stop(void **state)
{
	uint8_t		 buf[512];
	struct coll	 c;
	size_t		 n;

	n = unhex(HDR("0000") "07 03 0002 0000000000000001 0a0b0c0d"
	    " 0000000000000002 0a0b0c0d 0a 03 0001 0a0b0c0d 00000000 01000000",
	    buf, sizeof(buf));
	n = sign(buf, n, key);
	memset(&c, 0, sizeof(c));
	c.stop_at = 1;
	sync_frame_walk(buf, n, collect, &c, NULL);
	assert_int_equal(c.n, 1);
	memset(&c, 0, sizeof(c));
	c.stop_at = 3;
	sync_frame_walk(buf, n, collect, &c, NULL);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.m[2].action, SYNC_A_BUS);
	assert_int_equal(c.m[2].u.bus.status, SYNC_BUS_START);
}

/* A walk over a bad buffer stops at the damage instead of reading on. */
static void
test_walk_unchecked(void **state)
{
	uint8_t		 buf[512];
	struct coll	 c;
	unsigned	 skipped = 7;
	size_t		 n;

	/* a good frame handed over with too short a length */
	n = unhex(HDR("0000") "07 03 0001 0000000000000001 0a0b0c0d",
	    buf, sizeof(buf));
	n = sign(buf, n, key);
	memset(&c, 0, sizeof(c));
	sync_frame_walk(buf, n - 1, collect, &c, &skipped);
	assert_int_equal(c.n, 0);
	assert_int_equal(skipped, 0);
	sync_frame_walk(buf, 20, collect, &c, &skipped);
	assert_int_equal(c.n, 0);
	/* the second section claims 5 messages and has 1 */
	n = unhex(HDR("0000") "07 03 0001 0000000000000001 0a0b0c0d"
	    " 07 03 0005 0000000000000002 0a0b0c0d", buf, sizeof(buf));
	n = sign(buf, n, key);
	sync_frame_walk(buf, n, collect, &c, &skipped);
	assert_int_equal(c.n, 1);
}

/* ---- rejections ------------------------------------------------------ */

struct rej {
	const char	*name;
	const char	*hex;	/* header + sections (+ trailer if !sign) */
	int		 sign;	/* patch len, append HMAC with k */
	const uint8_t	*k;	/* signing key; NULL = the test key */
	int		 cut;	/* bytes cut from the end after signing */
	int		 flip;	/* byte to flip: n > 0 offset n-1, n < 0 from end */
	enum sync_drop	 expect;
};

#define BODY_OK		"07 03 0001 0000000000000001 0a0b0c0d"

static const struct rej rejs[] = {
	/* length first */
	{ "empty", "", 0, NULL, 0, 0, SYNC_DROP_HDROPS },
	{ "header only", HDR("0010"), 0, NULL, 0, 0, SYNC_DROP_HDROPS },
	{ "47 bytes", HDR("0000"), 1, NULL, 1, 0, SYNC_DROP_HDROPS },
	{ "pfsync v6 header, short", "06 00 0014" "00000000" Z12, 0, NULL,
	    0, 0, SYNC_DROP_HDROPS },
	/* version */
	{ "OpenBSD pfsync version 6", "06 00 0000 0a0b0c0d 00000003 00000007",
	    1, NULL, 0, 0, SYNC_DROP_BADVER },
	{ "FreeBSD pfsync version 5", "05 00 0000 0a0b0c0d 00000003 00000007"
	    BODY_OK, 1, NULL, 0, 0, SYNC_DROP_BADVER },
	{ "version 0x80", "80 00 0000 0a0b0c0d 00000003 00000007", 1, NULL,
	    0, 0, SYNC_DROP_BADVER },
	{ "version 6, bad len and key", "06 00 ffff 0a0b0c0d 00000003 00000007"
	    Z32, 0, NULL, 0, 0, SYNC_DROP_BADVER },
	/* header len */
	{ "len one beyond the datagram", HDR("0000") BODY_OK, 1, NULL, 1, 0,
	    SYNC_DROP_BADLEN },
	{ "truncated in the sections", HDR("0000") "07 03 0003"
	    " 0000000000000001 0a0b0c0d 0000000000000002 0a0b0c0d"
	    " 0000000000000003 0a0b0c0d", 1, NULL, 30, 0, SYNC_DROP_BADLEN },
	{ "len 65535", HDR("ffff") Z32, 0, NULL, 0, 0, SYNC_DROP_BADLEN },
	{ "len 47", HDR("002f") Z32, 0, NULL, 0, 0, SYNC_DROP_BADLEN },
	{ "len 16", HDR("0010") Z32, 0, NULL, 0, 0, SYNC_DROP_BADLEN },
	{ "len 0", HDR("0000") Z32, 0, NULL, 0, 0, SYNC_DROP_BADLEN },
	/* HMAC */
	{ "wrong key", HDR("0000") BODY_OK, 1, other_key, 0, 0,
	    SYNC_DROP_BADAUTH },
	{ "trailer byte flipped", HDR("0000") BODY_OK, 1, NULL, 0, -1,
	    SYNC_DROP_BADAUTH },
	{ "seq flipped (header is covered)", HDR("0000") BODY_OK, 1, NULL, 0,
	    16, SYNC_DROP_BADAUTH },
	{ "flags flipped", HDR("0000") BODY_OK, 1, NULL, 0, 2,
	    SYNC_DROP_BADAUTH },
	{ "id flipped", HDR("0000") BODY_OK, 1, NULL, 0, 25,
	    SYNC_DROP_BADAUTH },
	{ "zero trailer", HDR("0030") Z32, 0, NULL, 0, 0, SYNC_DROP_BADAUTH },
	{ "wrong key and a bad section", HDR("0000") "07 03 0009", 1,
	    other_key, 0, 0, SYNC_DROP_BADAUTH },
	/* sections */
	{ "2 stray bytes", HDR("0000") BODY_OK " 0000", 1, NULL, 0, 0,
	    SYNC_DROP_BADLEN },
	{ "stray subheader byte", HDR("0000") "07", 1, NULL, 0, 0,
	    SYNC_DROP_BADLEN },
	{ "count overruns", HDR("0000") "07 03 0002 0000000000000001 0a0b0c0d",
	    1, NULL, 0, 0, SYNC_DROP_BADLEN },
	{ "unknown section overruns", HDR("0000") "14 02 0005 0000000000000000",
	    1, NULL, 0, 0, SYNC_DROP_BADLEN },
	{ "overrun in the second section", HDR("0000") BODY_OK " 07 04 0001"
	    " 0000000000000001 0a0b0c0d", 1, NULL, 0, 0, SYNC_DROP_BADLEN },
	{ "max len and count", HDR("0000") "0e ff ffff", 1, NULL, 0, 0,
	    SYNC_DROP_BADLEN },
	{ "DEL_C of 2 words", HDR("0000") "07 02 0001 0000000000000001", 1,
	    NULL, 0, 0, SYNC_DROP_BADACT },
	{ "DEL_C of 0 words", HDR("0000") "07 00 0001", 1, NULL, 0, 0,
	    SYNC_DROP_BADACT },
	{ "CLR of 1 word", HDR("0000") "00 01 0001 0a0b0c0d", 1, NULL, 0, 0,
	    SYNC_DROP_BADACT },
	{ "UPD_C of 6 words, count 0", HDR("0000") "04 06 0000", 1, NULL, 0,
	    0, SYNC_DROP_BADACT },
	{ "INS of 30 words", HDR("0000") "0d 1e 0001" Z12 Z12 Z12 Z12 Z12
	    Z12 Z12 Z12 Z12 Z12, 1, NULL, 0, 0, SYNC_DROP_BADACT },
	{ "unknown, len 0, count 1", HDR("0000") "14 00 0001", 1, NULL, 0, 0,
	    SYNC_DROP_BADACT },
	{ "unknown, len 1, count 0", HDR("0000") "14 01 0000", 1, NULL, 0, 0,
	    SYNC_DROP_BADACT },
	{ "unknown, len 0, count 0", HDR("0000") "14 00 0000", 1, NULL, 0, 0,
	    SYNC_DROP_BADACT },
	{ "bad section after a good one", HDR("0000") BODY_OK " 15 00 0001",
	    1, NULL, 0, 0, SYNC_DROP_BADACT },
	/* values */
	{ "BUS status 0", HDR("0000") "0a 03 0001 0a0b0c0d 00000000 00000000",
	    1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "BUS status 3", HDR("0000") "0a 03 0001 0a0b0c0d 00000000 03000000",
	    1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "DEL_C creator 0", HDR("0000") "07 03 0001 0000000000000001 00000000",
	    1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "INS_ACK creator 0", HDR("0000") "02 03 0001 0000000000000001"
	    " 00000000", 1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "UPD_REQ(1, 0)", HDR("0000") "05 03 0001 0000000000000001 00000000",
	    1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "UPD_C creator 0", HDR("0000") "04 07 0001 0000000000000001 00000000"
	    " 00000000 00000000 00000000 00000000", 1, NULL, 0, 0,
	    SYNC_DROP_BADVAL },
	{ "ACK node 0", HDR("0000") "11 04 0001 00000000 00000003 00000001"
	    " 00000000", 1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "NACK node 0", HDR("0000") "10 04 0001 00000000 00000003 00000001"
	    " 00000002", 1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "NACK from > to", HDR("0000") "10 04 0001 00000002 00000003"
	    " 00000009 00000008", 1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "NACK from seq 0", HDR("0000") "10 04 0001 00000002 00000003"
	    " 00000000 00000008", 1, NULL, 0, 0, SYNC_DROP_BADVAL },
	{ "bad value in the 2nd message", HDR("0000") "07 03 0002"
	    " 0000000000000001 0a0b0c0d 0000000000000002 00000000", 1, NULL,
	    0, 0, SYNC_DROP_BADVAL },
	{ "bad value after an unknown section", HDR("0000") "14 01 0001 00000000"
	    " 07 03 0001 0000000000000002 00000000", 1, NULL, 0, 0,
	    SYNC_DROP_BADVAL },
	{ "bad value, then an overrun: first wins", HDR("0000") "0a 03 0001"
	    " 0a0b0c0d 00000000 09000000 07 03 0009", 1, NULL, 0, 0,
	    SYNC_DROP_BADVAL },
	/* accepted */
	{ "no sections", HDR("0000"), 1, NULL, 0, 0, SYNC_OK },
	{ "UPD_REQ(0, 0): bulk request", HDR("0000") "05 03 0001"
	    " 0000000000000000 00000000", 1, NULL, 0, 0, SYNC_OK },
	{ "UPD_REQ(0, 5)", HDR("0000") "05 03 0001 0000000000000000 00000005",
	    1, NULL, 0, 0, SYNC_OK },
	{ "BUS start", HDR("0000") "0a 03 0001 00000000 00000000 01ffffff",
	    1, NULL, 0, 0, SYNC_OK },
	{ "known action, count 0", HDR("0000") "07 03 0000 " BODY_OK, 1, NULL,
	    0, 0, SYNC_OK },
	{ "CLR of creator 0, pad set", HDR("0000") "00 02 0001 00000000"
	    " ffffffff", 1, NULL, 0, 0, SYNC_OK },
};

static size_t
rej_frame(const struct rej *r, uint8_t *buf, size_t cap)
{
	size_t	 n = unhex(r->hex, buf, cap);

	if (r->sign)
		n = sign(buf, n, r->k != NULL ? r->k : key);
	assert_true((size_t)r->cut <= n);
	n -= r->cut;
	if (r->flip > 0)
		buf[r->flip - 1] ^= 0x01;
	else if (r->flip < 0)
		buf[n + r->flip] ^= 0x01;
	return n;
}

static void
test_rejects(void **state)
{
	uint8_t		 buf[1024];
	struct sync_hdr	 h, h0;
	enum sync_drop	 got;
	size_t		 i, n;

	memset(&h0, 0x5a, sizeof(h0));
	for (i = 0; i < sizeof(rejs) / sizeof(rejs[0]); i++) {
		n = rej_frame(&rejs[i], buf, sizeof(buf));
		h = h0;
		got = sync_frame_check(buf, n, key, &h);
		if (got != rejs[i].expect)
			fail_msg("%s: got %s, want %s", rejs[i].name,
			    sync_drop_names[got], sync_drop_names[rejs[i].expect]);
		/* a refused frame leaves nothing behind, not even hdr */
		if (got != SYNC_OK)
			assert_memory_equal(&h, &h0, sizeof(h));
		else
			assert_int_equal(h.len, n);
		/* hdr is optional */
		assert_int_equal(sync_frame_check(buf, n, key, NULL), got);
	}
}

/* Values inside INS/UPD records, patched into a built frame. */
static void
test_state_values(void **state)
{
	static const struct {
		size_t		 off;	/* in the record */
		uint8_t		 v[4];
		size_t		 n;
		enum sync_drop	 expect;
	} cases[] = {
		{ 12, { 0 }, 1, SYNC_DROP_BADVAL },	/* af 0 */
		{ 12, { 1 }, 1, SYNC_DROP_BADVAL },	/* AF_UNIX */
		{ 12, { 3 }, 1, SYNC_DROP_BADVAL },
		{ 12, { 28 }, 1, SYNC_DROP_BADVAL },	/* BSD AF_INET6 */
		{ 12, { 10 }, 1, SYNC_OK },
		{ 12, { 2 }, 1, SYNC_OK },
		{ 8, { 0, 0, 0, 0 }, 4, SYNC_DROP_BADVAL },	/* creator */
		{ 8, { 0, 0, 0, 1 }, 4, SYNC_OK },
		{ 13, { 255 }, 1, SYNC_OK },		/* any proto */
		{ 34, { 0xff, 0xff }, 2, SYNC_OK },	/* pad ignored */
	};
	const struct sync_msg	*recs[] = { &ins_v4, &upd_v6 };
	uint8_t			 buf[256];
	struct sync_fb		 fb;
	size_t			 i, j, n;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			sync_fb_init(&fb, buf, sizeof(buf), &test_hdr);
			assert_int_equal(sync_fb_add(&fb, recs[j]), 0);
			memcpy(buf + 20 + cases[i].off, cases[i].v,
			    cases[i].n);
			n = sign(buf, fb.len, key);
			assert_int_equal(sync_frame_check(buf, n, key, NULL),
			    cases[i].expect);
		}
	}
}

/* 9000 bytes are accepted, 9004 are not, even with a good HMAC. */
static void
test_max_frame_check(void **state)
{
	static uint8_t	 buf[9100];
	size_t		 n, words;

	for (words = 2237; words <= 2238; words++) {
		memset(buf, 0, sizeof(buf));
		n = unhex(HDR("0000") "14 01", buf, sizeof(buf));
		buf[n++] = (uint8_t)(words >> 8);
		buf[n++] = (uint8_t)words;
		n = sign(buf, n + words * 4, key);
		assert_int_equal(sync_frame_check(buf, n, key, NULL),
		    n <= SYNC_MAX_FRAME ? SYNC_OK : SYNC_DROP_BADLEN);
	}
	assert_int_equal(n, 9004);
}

/* ---- names ----------------------------------------------------------- */

static void
test_names(void **state)
{
	static const struct {
		unsigned	 code;
		const char	*name;
	} known[] = {
		{ 0, "CLR" }, { 2, "INS_ACK" }, { 4, "UPD_C" },
		{ 5, "UPD_REQ" }, { 7, "DEL_C" }, { 10, "BUS" },
		{ 13, "INS" }, { 14, "UPD" }, { 16, "NACK" }, { 17, "ACK" },
	};
	size_t		 i, j;
	unsigned	 a, unknown = 0;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_string_equal(sync_action_name(known[i].code),
		    known[i].name);
	for (a = 0; a < 300; a++)
		if (strcmp(sync_action_name(a), "UNKNOWN") == 0)
			unknown++;
	assert_int_equal(unknown, 300 - 10);

	assert_string_equal(sync_drop_names[SYNC_DROP_BADAUTH], "badauth");
	assert_string_equal(sync_drop_names[SYNC_DROP_HDROPS], "hdrops");
	for (i = 0; i < SYNC_DROP__MAX; i++) {
		assert_non_null(sync_drop_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(sync_drop_names[i],
			    sync_drop_names[j]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_hmac_known_answer),
		cmocka_unit_test(test_fb_sections),
		cmocka_unit_test(test_fb_header),
		cmocka_unit_test(test_fb_full),
		cmocka_unit_test(test_fb_max_frame),
		cmocka_unit_test(test_fb_refuses),
		cmocka_unit_test(test_fb_finish_again),
		cmocka_unit_test(test_roundtrip_random),
		cmocka_unit_test(test_skip_unknown_between),
		cmocka_unit_test(test_skip_codes),
		cmocka_unit_test(test_longer_messages),
		cmocka_unit_test(test_extra_datagram_bytes),
		cmocka_unit_test(test_walk_stop),
		cmocka_unit_test(test_walk_unchecked),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_state_values),
		cmocka_unit_test(test_max_frame_check),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
