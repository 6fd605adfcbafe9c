/*
 * test_ctl_msg.c: common/ctl_msg.c: build/decode/check round trips for
 * every message type, every rejection (short, oversize, unknown type,
 * wrong payload size, unterminated string), names, ctl_strlcpy, and a
 * byte stream of several messages reassembled from split reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ctl_msg.h"

#define HDRLEN	sizeof(struct ctl_hdr)
#define NSTR	2

struct strfield {
	size_t	off;
	size_t	len;
};

/* The test's own statement of the protocol, independent of ctl_msg.c. */
struct type_case {
	uint32_t	 type;
	const char	*name;
	size_t		 size;
	size_t		 nstr;
	struct strfield	 str[NSTR];
};

#define F(st, m)	{ offsetof(struct st, m), sizeof(((struct st *)0)->m) }

static const struct type_case types[] = {
	{ CTL_HELLO, "HELLO", sizeof(struct ctl_hello), 1,
	    { F(ctl_hello, name) } },
	{ CTL_END, "END", 0, 0, { { 0, 0 } } },
	{ CTL_ERROR, "ERROR", sizeof(struct ctl_error), 1,
	    { F(ctl_error, text) } },
	{ CTL_STATUS, "STATUS", 0, 0, { { 0, 0 } } },
	{ CTL_VHOST, "VHOST", sizeof(struct ctl_vhost), 2,
	    { F(ctl_vhost, ifname), F(ctl_vhost, carpdev) } },
	{ CTL_GROUP, "GROUP", sizeof(struct ctl_group), 1,
	    { F(ctl_group, name) } },
	{ CTL_DEMOTE, "DEMOTE", sizeof(struct ctl_demote), 2,
	    { F(ctl_demote, group), F(ctl_demote, reason) } },
	{ CTL_DEMOTE_HOLD, "DEMOTE_HOLD", sizeof(struct ctl_demote), 2,
	    { F(ctl_demote, group), F(ctl_demote, reason) } },
	{ CTL_SET_STATE, "SET_STATE", sizeof(struct ctl_set_state), 0,
	    { { 0, 0 } } },
	{ CTL_SUBSCRIBE, "SUBSCRIBE", 0, 0, { { 0, 0 } } },
	{ CTL_EV_STATE, "EV_STATE", sizeof(struct ctl_ev_state), 2,
	    { F(ctl_ev_state, ifname), F(ctl_ev_state, reason) } },
	{ CTL_RELOAD, "RELOAD", 0, 0, { { 0, 0 } } },
	{ CTL_COUNTERS, "COUNTERS", sizeof(struct ctl_counters), 0,
	    { { 0, 0 } } },
	{ CTL_SYNC_STATUS, "SYNC_STATUS", 0, 0, { { 0, 0 } } },
	{ CTL_SYNC_INFO, "SYNC_INFO", sizeof(struct ctl_sync_info), 1,
	    { F(ctl_sync_info, bulk) } },
	{ CTL_SYNC_PEER, "SYNC_PEER", sizeof(struct ctl_sync_peer), 0,
	    { { 0, 0 } } },
	{ CTL_SYNC_WATCH, "SYNC_WATCH", 0, 0, { { 0, 0 } } },
	/* the fixed part; fill_payload makes caplen 0 (test_sync_frame) */
	{ CTL_SYNC_FRAME, "SYNC_FRAME", sizeof(struct ctl_sync_frame), 0,
	    { { 0, 0 } } },
	{ CTL_CONN_STATS, "CONN_STATS", sizeof(struct ctl_conn_stats), 0,
	    { { 0, 0 } } },
	{ CTL_TRACK, "TRACK", sizeof(struct ctl_track), 1,
	    { F(ctl_track, name) } },
	{ CTL_VHOST_HOOKS, "VHOST_HOOKS", sizeof(struct ctl_vhost_hooks), 0,
	    { { 0, 0 } } },
	{ CTL_HOOK_STATS, "HOOK_STATS", sizeof(struct ctl_hook_stats), 0,
	    { { 0, 0 } } },
	{ CTL_VHOST_BALANCE, "VHOST_BALANCE", sizeof(struct ctl_balance), 0,
	    { { 0, 0 } } },
	{ CTL_SYNC_CAPS, "SYNC_CAPS", sizeof(struct ctl_sync_caps), 0,
	    { { 0, 0 } } },
};
#define NTYPES	(sizeof(types) / sizeof(types[0]))

/* A valid payload for tc: pattern bytes, every string field terminated. */
static void
fill_payload(const struct type_case *tc, uint8_t *p)
{
	size_t	i;

	for (i = 0; i < tc->size; i++)
		p[i] = (uint8_t)(0x41 + i % 26);
	for (i = 0; i < tc->nstr; i++)
		assert_int_equal(ctl_strlcpy((char *)p + tc->str[i].off,
		    "em0", tc->str[i].len), 0);
	if (tc->type == CTL_SYNC_FRAME)
		memset(p + offsetof(struct ctl_sync_frame, caplen), 0, 4);
}

/* Build a header as raw bytes the way a peer would (host order). */
static void
raw_hdr(uint8_t *raw, uint32_t type, uint32_t len, uint32_t seq,
    uint32_t flags)
{
	struct ctl_hdr	h = { .type = type, .len = len, .seq = seq,
			    .flags = flags };

	memcpy(raw, &h, sizeof(h));
}

/* Every type must be covered by the table above. */
static void
test_table_complete(void **state)
{
	(void)state;
	assert_int_equal(NTYPES, CTL_TYPE__MAX - 1);
}

/*
 * Build every type at an odd offset (unaligned on purpose), decode and
 * check it, and get back exactly what was sent.
 */
static void
test_round_trip(void **state)
{
	uint8_t			 buf[1 + CTL_MAX_MSG], pl[CTL_MAX_MSG];
	struct ctl_hdr		 h;
	const char		*why;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		memset(buf, 0xee, sizeof(buf));
		fill_payload(&types[i], pl);
		n = ctl_msg_build(buf + 1, sizeof(buf) - 1, types[i].type,
		    1000 + i, pl, types[i].size);
		assert_int_equal(n, HDRLEN + types[i].size);
		assert_int_equal(buf[1 + n], 0xee);	/* nothing beyond */
		why = NULL;
		if (ctl_hdr_decode(buf + 1, &h, &why) != 0)
			fail_msg("%s: decode: %s", types[i].name, why);
		assert_int_equal(h.type, types[i].type);
		assert_int_equal(h.len, n);
		assert_int_equal(h.seq, 1000 + i);
		assert_int_equal(h.flags, 0);
		if (ctl_msg_check(&h, buf + 1 + HDRLEN, &why) != 0)
			fail_msg("%s: check: %s", types[i].name, why);
		assert_memory_equal(buf + 1 + HDRLEN, pl, types[i].size);
		assert_string_equal(ctl_type_name(h.type), types[i].name);
	}
}

/* Headers are host byte order: the struct is copied as is. */
static void
test_host_order(void **state)
{
	uint8_t		buf[HDRLEN];
	struct ctl_hdr	h;

	(void)state;
	assert_int_equal(ctl_msg_build(buf, sizeof(buf), CTL_END, 0x01020304,
	    NULL, 0), HDRLEN);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.type, CTL_END);
	assert_int_equal(h.len, HDRLEN);
	assert_int_equal(h.seq, 0x01020304);
}

static void
test_build_limits(void **state)
{
	static uint8_t	pl[CTL_MAX_MSG];
	uint8_t		buf[CTL_MAX_MSG + 8];
	size_t		maxpl = CTL_MAX_MSG - HDRLEN;

	(void)state;
	/* Exactly CTL_MAX_MSG fits; one more byte does not. */
	assert_int_equal(ctl_msg_build(buf, sizeof(buf), CTL_HELLO, 1, pl,
	    maxpl), CTL_MAX_MSG);
	assert_int_equal(ctl_msg_build(buf, sizeof(buf), CTL_HELLO, 1, pl,
	    maxpl + 1), 0);
	assert_int_equal(ctl_msg_build(buf, sizeof(buf), CTL_HELLO, 1, pl,
	    SIZE_MAX), 0);
	/* Capacity: one byte short fails and writes nothing. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(ctl_msg_build(buf, HDRLEN + 7, CTL_HELLO, 1, pl, 8),
	    0);
	assert_int_equal(buf[0], 0xee);
	assert_int_equal(ctl_msg_build(buf, HDRLEN - 1, CTL_END, 1, NULL, 0),
	    0);
	assert_int_equal(ctl_msg_build(buf, HDRLEN, CTL_END, 1, NULL, 0),
	    HDRLEN);
	/* A length without data is a caller bug, not a message. */
	assert_int_equal(ctl_msg_build(buf, sizeof(buf), CTL_HELLO, 1, NULL,
	    4), 0);
}

struct hdr_case {
	uint32_t	 len;
	int		 ok;
	const char	*why;
};

static const struct hdr_case hdr_cases[] = {
	{ 0, 0, "message length below header size" },
	{ HDRLEN - 1, 0, "message length below header size" },
	{ HDRLEN, 1, NULL },
	{ CTL_MAX_MSG, 1, NULL },
	{ CTL_MAX_MSG + 1, 0, "message length above CTL_MAX_MSG" },
	{ UINT32_MAX, 0, "message length above CTL_MAX_MSG" },
};

static void
test_hdr_decode(void **state)
{
	uint8_t		 raw[HDRLEN];
	struct ctl_hdr	 h;
	const char	*why;
	size_t		 i;
	int		 rv;

	(void)state;
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		raw_hdr(raw, CTL_STATUS, hdr_cases[i].len, 7, 0);
		why = NULL;
		rv = ctl_hdr_decode(raw, &h, &why);
		if (hdr_cases[i].ok) {
			assert_int_equal(rv, 0);
			assert_int_equal(h.len, hdr_cases[i].len);
		} else {
			assert_int_equal(rv, -1);
			assert_non_null(why);
			assert_string_equal(why, hdr_cases[i].why);
			/* A NULL why is allowed. */
			assert_int_equal(ctl_hdr_decode(raw, &h, NULL), -1);
		}
	}
}

/* flags: "zero on send, ignored on receive". */
static void
test_flags_ignored(void **state)
{
	uint8_t		 raw[HDRLEN];
	struct ctl_hdr	 h;
	const char	*why = NULL;

	(void)state;
	raw_hdr(raw, CTL_STATUS, HDRLEN, 3, 0xdeadbeef);
	assert_int_equal(ctl_hdr_decode(raw, &h, &why), 0);
	assert_int_equal(ctl_msg_check(&h, raw + HDRLEN, &why), 0);
}

static void
test_unknown_type(void **state)
{
	static const uint32_t	 bad[] = { 0, CTL_TYPE__MAX, 0x7fffffff,
				    UINT32_MAX };
	static const uint8_t	 pl[1];
	struct ctl_hdr		 h;
	const char		*why;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = (struct ctl_hdr){ .type = bad[i], .len = HDRLEN };
		why = NULL;
		assert_int_equal(ctl_msg_check(&h, pl, &why), -1);
		assert_string_equal(why, "unknown message type");
		assert_string_equal(ctl_type_name(bad[i]), "UNKNOWN");
	}
}

/* One byte more and (where possible) one byte less than expected. */
static void
test_bad_size(void **state)
{
	static uint8_t		 pl[CTL_MAX_MSG];
	struct ctl_hdr		 h;
	const char		*why;
	char			 want[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		fill_payload(&types[i], pl);
		snprintf(want, sizeof(want), "bad payload size for %s",
		    types[i].name);
		h = (struct ctl_hdr){ .type = types[i].type,
		    .len = HDRLEN + types[i].size + 1 };
		why = NULL;
		assert_int_equal(ctl_msg_check(&h, pl, &why), -1);
		assert_string_equal(why, want);
		if (types[i].size == 0)
			continue;
		h.len = HDRLEN + types[i].size - 1;
		why = NULL;
		assert_int_equal(ctl_msg_check(&h, pl, &why), -1);
		assert_string_equal(why, want);
	}
}

/* An undecoded header with len below the header size is still refused. */
static void
test_check_short_len(void **state)
{
	static const uint8_t	 pl[1];
	struct ctl_hdr		 h = { .type = CTL_END, .len = 0 };
	const char		*why = NULL;

	(void)state;
	assert_int_equal(ctl_msg_check(&h, pl, &why), -1);
	assert_string_equal(why, "bad payload size for END");
}

/*
 * Each string field in turn filled to the last byte without a NUL (the
 * others valid): refused. A NUL in the last byte alone is accepted.
 */
static void
test_unterminated(void **state)
{
	static uint8_t		 pl[CTL_MAX_MSG];
	struct ctl_hdr		 h;
	const struct strfield	*f;
	const char		*why;
	size_t			 i, s;

	(void)state;
	for (i = 0; i < NTYPES; i++) {
		h = (struct ctl_hdr){ .type = types[i].type,
		    .len = HDRLEN + types[i].size };
		for (s = 0; s < types[i].nstr; s++) {
			f = &types[i].str[s];
			fill_payload(&types[i], pl);
			memset(pl + f->off, 'x', f->len);
			why = NULL;
			if (ctl_msg_check(&h, pl, &why) != -1)
				fail_msg("%s field %zu: accepted",
				    types[i].name, s);
			assert_string_equal(why, "unterminated string");
			pl[f->off + f->len - 1] = '\0';
			if (ctl_msg_check(&h, pl, &why) != 0)
				fail_msg("%s field %zu: %s", types[i].name,
				    s, why);
		}
	}
}

/*
 * The drop-reason names clients print must cover exactly the reasons
 * enum ctl_sync_drop defines, at their values.
 */
static void
test_sync_drop_names(void **state)
{
	static const char *const names[] = CTL_SYNC_DROP_NAMES;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), CTL_SYNC_DROP__MAX);
	assert_string_equal(names[CTL_SYNC_DROP_BADIF], "badif");
	assert_string_equal(names[CTL_SYNC_DROP_BADAUTH], "badauth");
	assert_string_equal(names[CTL_SYNC_DROP_REPLAY], "replay");
	assert_string_equal(names[CTL_SYNC_DROP__MAX - 1], "badval");
	assert_true(HDRLEN + sizeof(struct ctl_sync_info) <= CTL_MAX_MSG);
}

/* SYNC_FRAME with caplen bytes of frame: payload = fixed part + caplen. */
static int
frame_check(uint32_t caplen, size_t extra, int delta, const char **why)
{
	static uint8_t		 pl[CTL_MAX_MSG];
	struct ctl_sync_frame	 f;
	struct ctl_hdr		 h;

	memset(&f, 0, sizeof(f));
	f.caplen = caplen;
	f.len = caplen;
	memcpy(pl, &f, sizeof(f));
	memset(pl + sizeof(f), 0xab, sizeof(pl) - sizeof(f));
	h = (struct ctl_hdr){ .type = CTL_SYNC_FRAME,
	    .len = (uint32_t)(HDRLEN + sizeof(f) + extra + (size_t)delta) };
	*why = NULL;
	return ctl_msg_check(&h, pl, why);
}

static void
test_sync_frame(void **state)
{
	uint8_t			 buf[CTL_MAX_MSG], pl[CTL_MAX_MSG];
	struct ctl_sync_frame	 f;
	struct ctl_hdr		 h;
	const char		*why;
	size_t			 n;

	(void)state;
	assert_int_equal(frame_check(0, 0, 0, &why), 0);
	assert_int_equal(frame_check(1480, 1480, 0, &why), 0);
	assert_int_equal(frame_check(CTL_SYNC_FRAME_MAX, CTL_SYNC_FRAME_MAX,
	    0, &why), 0);
	/* one byte more or less than caplen says */
	assert_int_equal(frame_check(1480, 1480, 1, &why), -1);
	assert_string_equal(why, "bad payload size for SYNC_FRAME");
	assert_int_equal(frame_check(1480, 1480, -1, &why), -1);
	assert_string_equal(why, "bad payload size for SYNC_FRAME");
	/* beyond the bound, even when the bytes are there */
	assert_int_equal(frame_check(CTL_SYNC_FRAME_MAX + 1,
	    CTL_SYNC_FRAME_MAX + 1, 0, &why), -1);
	assert_string_equal(why, "bad payload size for SYNC_FRAME");
	/* a count that would wrap a size_t sum is just wrong */
	assert_int_equal(frame_check(UINT32_MAX, 100, 0, &why), -1);
	/* shorter than the fixed part: caplen is not even read */
	assert_int_equal(frame_check(0, 0, -1, &why), -1);
	/* built and checked as carpctl and syncd do */
	memset(&f, 0, sizeof(f));
	f.dir = CTL_SYNC_DIR_OUT;
	f.ipver = 4;
	f.len = f.caplen = 300;
	memcpy(pl, &f, sizeof(f));
	memset(pl + sizeof(f), 0x5a, 300);
	n = ctl_msg_build(buf, sizeof(buf), CTL_SYNC_FRAME, 9, pl,
	    sizeof(f) + 300);
	assert_int_equal(n, HDRLEN + sizeof(f) + 300);
	assert_int_equal(ctl_hdr_decode(buf, &h, &why), 0);
	assert_int_equal(ctl_msg_check(&h, buf + HDRLEN, &why), 0);
	assert_true(HDRLEN + sizeof(f) + CTL_SYNC_FRAME_MAX <= CTL_MAX_MSG);
}

static void
test_hold_names(void **state)
{
	static const char *const names[] = CTL_SYNC_HOLD_NAMES;

	(void)state;
	assert_int_equal(sizeof(names) / sizeof(names[0]), CTL_SYNC_HOLD__MAX);
	assert_string_equal(names[CTL_SYNC_HOLD_BULK], "bulk");
	assert_string_equal(names[CTL_SYNC_HOLD_LINK], "link");
}

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(ctl_err_name(CTL_E_OK), "OK");
	assert_string_equal(ctl_err_name(CTL_E_BADMSG), "BADMSG");
	assert_string_equal(ctl_err_name(CTL_E_NOENT), "NOENT");
	assert_string_equal(ctl_err_name(CTL_E_RANGE), "RANGE");
	assert_string_equal(ctl_err_name(CTL_E_PERM), "PERM");
	assert_string_equal(ctl_err_name(CTL_E_INTERNAL), "INTERNAL");
	assert_string_equal(ctl_err_name(CTL_E_UNSUPPORTED), "UNSUPPORTED");
	assert_string_equal(ctl_err_name(CTL_E_UNSUPPORTED + 1), "UNKNOWN");
	assert_string_equal(ctl_err_name(UINT32_MAX), "UNKNOWN");
}

static void
test_strlcpy(void **state)
{
	char	dst[8];
	size_t	i;

	(void)state;
	/* Fits: copied and the whole rest of the field is zeroed. */
	memset(dst, 'z', sizeof(dst));
	assert_int_equal(ctl_strlcpy(dst, "em0", sizeof(dst)), 0);
	assert_memory_equal(dst, "em0\0\0\0\0\0", 8);
	/* Longest that fits: size - 1 characters. */
	memset(dst, 'z', sizeof(dst));
	assert_int_equal(ctl_strlcpy(dst, "1234567", sizeof(dst)), 0);
	assert_memory_equal(dst, "1234567\0", 8);
	/* Empty string: all zero. */
	memset(dst, 'z', sizeof(dst));
	assert_int_equal(ctl_strlcpy(dst, "", sizeof(dst)), 0);
	for (i = 0; i < sizeof(dst); i++)
		assert_int_equal(dst[i], 0);
	/* Too long by one and by many: refused, left empty, not truncated. */
	memset(dst, 'z', sizeof(dst));
	assert_int_equal(ctl_strlcpy(dst, "12345678", sizeof(dst)), -1);
	for (i = 0; i < sizeof(dst); i++)
		assert_int_equal(dst[i], 0);
	assert_int_equal(ctl_strlcpy(dst, "a much longer string", sizeof(dst)),
	    -1);
	assert_int_equal(dst[0], 0);
	/* Size 0: nothing written. */
	dst[0] = 'z';
	assert_int_equal(ctl_strlcpy(dst, "", 0), -1);
	assert_int_equal(dst[0], 'z');
	/* Size 1 holds only the empty string. */
	assert_int_equal(ctl_strlcpy(dst, "", 1), 0);
	assert_int_equal(dst[0], 0);
	assert_int_equal(ctl_strlcpy(dst, "a", 1), -1);
}

/*
 * Reassembly as a daemon or carpctl does it: append whatever a read
 * returned, then take out every complete message at the front.
 */
struct reasm {
	uint8_t		buf[2 * CTL_MAX_MSG];
	size_t		have;
	struct ctl_hdr	got[4];
	size_t		ngot;
};

static void
reasm_feed(struct reasm *ra, const uint8_t *data, size_t n)
{
	struct ctl_hdr	 h;
	const char	*why = NULL;

	assert_true(ra->have + n <= sizeof(ra->buf));
	memcpy(ra->buf + ra->have, data, n);
	ra->have += n;
	while (ra->have >= HDRLEN) {
		if (ctl_hdr_decode(ra->buf, &h, &why) != 0)
			fail_msg("stream decode: %s", why);
		if (ra->have < h.len)
			break;
		if (ctl_msg_check(&h, ra->buf + HDRLEN, &why) != 0)
			fail_msg("stream check: %s", why);
		assert_true(ra->ngot < 4);
		ra->got[ra->ngot++] = h;
		memmove(ra->buf, ra->buf + h.len, ra->have - h.len);
		ra->have -= h.len;
	}
}

/* Three messages back to back, read in every chunk size from 1 to all. */
/* struct ctl_balance: balance-nat in the old pad byte, the hold reason
 * appended after the counters, then the ND counters (carpctl(8) reads
 * them at these places). */
static void
test_balance_layout(void **state)
{
	uint8_t		 p[sizeof(struct ctl_balance)];
	struct ctl_hdr	 h = { .type = CTL_VHOST_BALANCE,
			    .len = sizeof(struct ctl_hdr) + sizeof(p) };
	const char	*why;

	(void)state;
	assert_int_equal(sizeof(struct ctl_balance), 72);
	assert_int_equal(offsetof(struct ctl_balance, nat), 7);
	assert_int_equal(offsetof(struct ctl_balance, owned), 8);
	assert_int_equal(offsetof(struct ctl_balance, held), 48);
	assert_int_equal(offsetof(struct ctl_balance, nd_replies), 56);
	assert_int_equal(offsetof(struct ctl_balance, nd_dropped), 64);
	memset(p, 0, sizeof(p));
	assert_int_equal(ctl_msg_check(&h, p, &why), 0);
	/* the 56-byte struct of before is refused, not misread */
	h.len -= 16;
	assert_int_equal(ctl_msg_check(&h, p, &why), -1);
}

static void
test_stream_split(void **state)
{
	static const uint32_t	 want_type[3] = { CTL_VHOST, CTL_GROUP,
				    CTL_END };
	uint8_t			 stream[3 * CTL_MAX_MSG];
	struct ctl_vhost	 vh;
	struct ctl_group	 gr;
	struct reasm		 ra;
	size_t			 total = 0, chunk, off, n, i;

	(void)state;
	memset(&vh, 0, sizeof(vh));
	vh.vhid = 7;
	assert_int_equal(ctl_strlcpy(vh.ifname, "carp0", CTL_NAMELEN), 0);
	assert_int_equal(ctl_strlcpy(vh.carpdev, "eth0", CTL_NAMELEN), 0);
	memset(&gr, 0, sizeof(gr));
	assert_int_equal(ctl_strlcpy(gr.name, "carp", CTL_NAMELEN), 0);
	gr.demote = 3;
	total += ctl_msg_build(stream + total, sizeof(stream) - total,
	    CTL_VHOST, 41, &vh, sizeof(vh));
	total += ctl_msg_build(stream + total, sizeof(stream) - total,
	    CTL_GROUP, 42, &gr, sizeof(gr));
	total += ctl_msg_build(stream + total, sizeof(stream) - total,
	    CTL_END, 43, NULL, 0);
	assert_int_equal(total, 3 * HDRLEN + sizeof(vh) + sizeof(gr));

	for (chunk = 1; chunk <= total; chunk++) {
		memset(&ra, 0, sizeof(ra));
		for (off = 0; off < total; off += n) {
			n = total - off < chunk ? total - off : chunk;
			reasm_feed(&ra, stream + off, n);
		}
		if (ra.ngot != 3 || ra.have != 0)
			fail_msg("chunk %zu: %zu messages, %zu bytes left",
			    chunk, ra.ngot, ra.have);
		for (i = 0; i < 3; i++) {
			assert_int_equal(ra.got[i].type, want_type[i]);
			assert_int_equal(ra.got[i].seq, 41 + i);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_complete),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_host_order),
		cmocka_unit_test(test_build_limits),
		cmocka_unit_test(test_hdr_decode),
		cmocka_unit_test(test_flags_ignored),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_bad_size),
		cmocka_unit_test(test_check_short_len),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_sync_drop_names),
		cmocka_unit_test(test_sync_frame),
		cmocka_unit_test(test_hold_names),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_strlcpy),
		cmocka_unit_test(test_stream_split),
		cmocka_unit_test(test_balance_layout),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
