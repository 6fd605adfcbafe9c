/*
 * test_buf.c: common/buf.c: big-endian accessors, every overflow and
 * underflow (sticky err, zero reads, no writes), br_ptr, bw_reserve, and
 * RFC 1071 checksum known answers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

static const uint8_t be_bytes[] = {
	0x01,
	0x02, 0x03,
	0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0xfe, 0xdc, 0xba,
};

static void
test_reader_be(void **state)
{
	struct buf_reader	r;
	uint8_t			tail[3];

	(void)state;
	br_init(&r, be_bytes, sizeof(be_bytes));
	assert_int_equal(br_remaining(&r), sizeof(be_bytes));
	assert_int_equal(br_u8(&r), 0x01);
	assert_int_equal(br_u16be(&r), 0x0203);
	assert_int_equal(br_u32be(&r), 0x04050607);
	assert_true(br_u64be(&r) == 0x08090a0b0c0d0e0fULL);
	assert_int_equal(br_remaining(&r), 3);
	br_bytes(&r, tail, sizeof(tail));
	assert_memory_equal(tail, "\xfe\xdc\xba", 3);
	assert_int_equal(br_remaining(&r), 0);
	assert_int_equal(r.err, 0);
}

/* High bits must not sign-extend or be lost. */
static void
test_reader_high_bits(void **state)
{
	static const uint8_t	ff[8] = { 0xff, 0xff, 0xff, 0xff,
				    0xff, 0xff, 0xff, 0xfe };
	struct buf_reader	r;

	(void)state;
	br_init(&r, ff, 8);
	assert_true(br_u64be(&r) == 0xfffffffffffffffeULL);
	br_init(&r, ff, 8);
	assert_true(br_u32be(&r) == 0xffffffffU);
	assert_int_equal(br_u16be(&r), 0xffff);
	assert_int_equal(br_u8(&r), 0xff);
	assert_int_equal(r.err, 0);
}

static void
test_writer_be(void **state)
{
	struct buf_writer	w;
	uint8_t			out[sizeof(be_bytes)];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	bw_init(&w, out, sizeof(out));
	assert_int_equal(bw_remaining(&w), sizeof(out));
	bw_u8(&w, 0x01);
	bw_u16be(&w, 0x0203);
	bw_u32be(&w, 0x04050607);
	bw_u64be(&w, 0x08090a0b0c0d0e0fULL);
	bw_bytes(&w, "\xfe\xdc\xba", 3);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.off, sizeof(out));
	assert_int_equal(bw_remaining(&w), 0);
	assert_memory_equal(out, be_bytes, sizeof(be_bytes));
}

static void
test_writer_zero(void **state)
{
	struct buf_writer	w;
	uint8_t			out[6];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	bw_init(&w, out, sizeof(out));
	bw_u8(&w, 0x11);
	bw_zero(&w, 4);
	bw_u8(&w, 0x22);
	assert_int_equal(w.err, 0);
	assert_memory_equal(out, "\x11\x00\x00\x00\x00\x22", 6);
}

/*
 * Each reader accessor on a buffer one byte too short: returns 0, sets
 * err, does not advance.
 */
struct rd_case {
	const char	*name;
	size_t		 len;		/* buffer length: one short */
	uint64_t	 (*read)(struct buf_reader *);
};

static uint64_t rd_u8(struct buf_reader *r) { return (br_u8(r)); }
static uint64_t rd_u16(struct buf_reader *r) { return (br_u16be(r)); }
static uint64_t rd_u32(struct buf_reader *r) { return (br_u32be(r)); }
static uint64_t rd_u64(struct buf_reader *r) { return (br_u64be(r)); }

static uint64_t
rd_bytes(struct buf_reader *r)
{
	uint8_t	out[4];

	memset(out, 0xaa, sizeof(out));
	br_bytes(r, out, sizeof(out));
	/* Underflow zero-fills the output. */
	return (out[0] | out[1] | out[2] | out[3]);
}

static uint64_t
rd_ptr(struct buf_reader *r)
{
	return (br_ptr(r, 4) == NULL ? 0 : 1);
}

static uint64_t
rd_skip(struct buf_reader *r)
{
	br_skip(r, 4);
	return (0);
}

static const struct rd_case rd_cases[] = {
	{ "u8", 0, rd_u8 },
	{ "u16be", 1, rd_u16 },
	{ "u32be", 3, rd_u32 },
	{ "u64be", 7, rd_u64 },
	{ "bytes", 3, rd_bytes },
	{ "ptr", 3, rd_ptr },
	{ "skip", 3, rd_skip },
};

static void
test_reader_underflow(void **state)
{
	static const uint8_t	src[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct buf_reader	r;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(rd_cases) / sizeof(rd_cases[0]); i++) {
		br_init(&r, src, rd_cases[i].len);
		if (rd_cases[i].read(&r) != 0 || r.err != 1 || r.off != 0)
			fail_msg("reader %s: no underflow", rd_cases[i].name);
	}
}

/* Once err is set, even reads that would fit fail: no resync at a shift. */
static void
test_reader_sticky(void **state)
{
	static const uint8_t	src[3] = { 0x11, 0x22, 0x33 };
	struct buf_reader	r;
	uint8_t			out[1] = { 0xaa };

	(void)state;
	br_init(&r, src, sizeof(src));
	assert_int_equal(br_u32be(&r), 0);
	assert_int_equal(r.err, 1);
	assert_int_equal(br_u8(&r), 0);
	assert_int_equal(br_u16be(&r), 0);
	assert_null(br_ptr(&r, 1));
	br_bytes(&r, out, 1);
	assert_int_equal(out[0], 0);
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 0);
	assert_int_equal(br_remaining(&r), 3);
}

/* An exact fit is not an underflow; the next byte is. */
static void
test_reader_exact_end(void **state)
{
	static const uint8_t	src[2] = { 0xab, 0xcd };
	struct buf_reader	r;

	(void)state;
	br_init(&r, src, sizeof(src));
	assert_int_equal(br_u16be(&r), 0xabcd);
	assert_int_equal(r.err, 0);
	br_skip(&r, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(br_u8(&r), 0);
	assert_int_equal(r.err, 1);
}

/* A huge n must not wrap off + n around and pass the bounds check. */
static void
test_reader_huge(void **state)
{
	static const uint8_t	src[4] = { 0 };
	struct buf_reader	r;

	(void)state;
	br_init(&r, src, sizeof(src));
	br_u8(&r);
	assert_null(br_ptr(&r, SIZE_MAX));
	assert_int_equal(r.err, 1);
	br_init(&r, src, sizeof(src));
	br_skip(&r, SIZE_MAX - 1);
	assert_int_equal(r.err, 1);
	assert_int_equal(r.off, 0);
}

static void
test_br_ptr(void **state)
{
	static const uint8_t	 src[6] = { 1, 2, 3, 4, 5, 6 };
	struct buf_reader	 r;
	const uint8_t		*p;

	(void)state;
	br_init(&r, src, sizeof(src));
	br_skip(&r, 1);
	p = br_ptr(&r, 3);
	assert_ptr_equal(p, src + 1);	/* no copy */
	assert_int_equal(r.off, 4);
	assert_int_equal(br_u8(&r), 5);
	assert_null(br_ptr(&r, 2));
	assert_int_equal(r.err, 1);
}

/* Each writer on a buffer one byte too short: nothing written, err set. */
struct wr_case {
	const char	*name;
	size_t		 cap;
	void		 (*write)(struct buf_writer *);
};

static void wr_u8(struct buf_writer *w) { bw_u8(w, 0x55); }
static void wr_u16(struct buf_writer *w) { bw_u16be(w, 0x5555); }
static void wr_u32(struct buf_writer *w) { bw_u32be(w, 0x55555555); }
static void wr_u64(struct buf_writer *w) { bw_u64be(w, 0x5555555555555555ULL); }
static void wr_bytes(struct buf_writer *w) { bw_bytes(w, "\x55\x55\x55\x55", 4); }
static void wr_zero(struct buf_writer *w) { bw_zero(w, 4); }

static void
wr_reserve(struct buf_writer *w)
{
	if (bw_reserve(w, 4) != NULL)
		fail_msg("bw_reserve returned a pointer past the end");
}

static const struct wr_case wr_cases[] = {
	{ "u8", 0, wr_u8 },
	{ "u16be", 1, wr_u16 },
	{ "u32be", 3, wr_u32 },
	{ "u64be", 7, wr_u64 },
	{ "bytes", 3, wr_bytes },
	{ "zero", 3, wr_zero },
	{ "reserve", 3, wr_reserve },
};

static void
test_writer_overflow(void **state)
{
	struct buf_writer	w;
	uint8_t			out[8];
	size_t			i, j;

	(void)state;
	for (i = 0; i < sizeof(wr_cases) / sizeof(wr_cases[0]); i++) {
		memset(out, 0xaa, sizeof(out));
		bw_init(&w, out, wr_cases[i].cap);
		wr_cases[i].write(&w);
		if (w.err != 1 || w.off != 0)
			fail_msg("writer %s: no overflow", wr_cases[i].name);
		for (j = 0; j < sizeof(out); j++)
			if (out[j] != 0xaa)
				fail_msg("writer %s: wrote byte %zu",
				    wr_cases[i].name, j);
	}
}

static void
test_writer_sticky(void **state)
{
	struct buf_writer	w;
	uint8_t			out[3];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	bw_init(&w, out, sizeof(out));
	bw_u32be(&w, 0x01020304);
	assert_int_equal(w.err, 1);
	bw_u8(&w, 0x01);		/* would fit, but err is sticky */
	assert_null(bw_reserve(&w, 1));
	assert_int_equal(w.off, 0);
	assert_memory_equal(out, "\xaa\xaa\xaa", 3);
	assert_int_equal(bw_remaining(&w), 3);
}

static void
test_bw_reserve(void **state)
{
	struct buf_writer	 w;
	uint8_t			 out[6];
	uint8_t			*p;

	(void)state;
	memset(out, 0xaa, sizeof(out));
	bw_init(&w, out, sizeof(out));
	bw_u8(&w, 0x45);
	p = bw_reserve(&w, 2);
	assert_ptr_equal(p, out + 1);
	assert_memory_equal(out + 1, "\x00\x00", 2);	/* zeroed */
	bw_u8(&w, 0x99);
	assert_int_equal(w.off, 4);
	/* Fill the hole later, as a checksum field is. */
	p[0] = 0x12;
	p[1] = 0x34;
	assert_memory_equal(out, "\x45\x12\x34\x99\xaa\xaa", 6);
	assert_null(bw_reserve(&w, 3));
	assert_int_equal(w.err, 1);
	assert_int_equal(w.off, 4);
}

/* A zero-length reader/writer with no storage is valid and empty. */
static void
test_empty_null(void **state)
{
	struct buf_reader	r;
	struct buf_writer	w;

	(void)state;
	br_init(&r, NULL, 0);
	assert_int_equal(br_remaining(&r), 0);
	br_skip(&r, 0);
	assert_int_equal(r.err, 0);
	assert_int_equal(br_u8(&r), 0);
	assert_int_equal(r.err, 1);
	bw_init(&w, NULL, 0);
	bw_bytes(&w, NULL, 0);
	assert_int_equal(w.err, 0);
	bw_u8(&w, 1);
	assert_int_equal(w.err, 1);
}

/* CARP advert (36 bytes) with a correct checksum 0xfd2f at offset 6. */
static const uint8_t carp_hdr[36] = {
	0x21, 0x01, 0x00, 0x07, 0x00, 0x01, 0xfd, 0x2f,
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	0xb9, 0x4c, 0x30, 0x72, 0xc4, 0x2e, 0xb1, 0xc1,
	0x68, 0x61, 0x02, 0x40, 0xd7, 0xd8, 0xc4, 0x96,
	0x8b, 0x80, 0x51, 0x60,
};

struct ck_case {
	const char	*name;
	const uint8_t	*data;
	size_t		 len;
	uint16_t	 want;
};

static const struct ck_case ck_cases[] = {
	/* RFC 1071 section 3: sum 0xddf2, checksum ~0xddf2 */
	{ "rfc1071", (const uint8_t *)"\x00\x01\xf2\x03\xf4\xf5\xf6\xf7", 8,
	    0x220d },
	{ "empty", (const uint8_t *)"", 0, 0xffff },
	/* odd length: the last byte is the high half of a word */
	{ "odd1", (const uint8_t *)"\x01", 1, 0xfeff },
	{ "odd3", (const uint8_t *)"\x00\x01\xf2", 3, 0x0dfe },
	/* end-around carry: 0xffff + 0x0002 = 0x10001 -> 0x0002 */
	{ "carry", (const uint8_t *)"\xff\xff\x00\x02", 4, 0xfffd },
	{ "carp-with-sum", carp_hdr, sizeof(carp_hdr), 0x0000 },
};

static void
test_in_cksum_vectors(void **state)
{
	size_t		i;
	uint16_t	got;

	(void)state;
	for (i = 0; i < sizeof(ck_cases) / sizeof(ck_cases[0]); i++) {
		got = in_cksum(ck_cases[i].data, ck_cases[i].len);
		if (got != ck_cases[i].want)
			fail_msg("cksum %s: got 0x%04x want 0x%04x",
			    ck_cases[i].name, got, ck_cases[i].want);
	}
}

/* Zero the field, recompute, store big-endian: the original comes back. */
static void
test_in_cksum_carp(void **state)
{
	uint8_t			pkt[sizeof(carp_hdr)];
	struct buf_writer	w;
	uint16_t		sum;

	(void)state;
	memcpy(pkt, carp_hdr, sizeof(pkt));
	pkt[6] = pkt[7] = 0;
	sum = in_cksum(pkt, sizeof(pkt));
	assert_int_equal(sum, 0xfd2f);
	bw_init(&w, pkt + 6, 2);
	bw_u16be(&w, sum);
	assert_memory_equal(pkt, carp_hdr, sizeof(pkt));
	assert_int_equal(in_cksum(pkt, sizeof(pkt)), 0);
	pkt[20] ^= 0x01;		/* any flipped bit is detected */
	assert_int_not_equal(in_cksum(pkt, sizeof(pkt)), 0);
}

/* Unaligned start: the sum is over bytes, not host-aligned words. */
static void
test_in_cksum_unaligned(void **state)
{
	uint8_t	buf[sizeof(carp_hdr) + 1];

	(void)state;
	memcpy(buf + 1, carp_hdr, sizeof(carp_hdr));
	assert_int_equal(in_cksum(buf + 1, sizeof(carp_hdr)), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader_be),
		cmocka_unit_test(test_reader_high_bits),
		cmocka_unit_test(test_writer_be),
		cmocka_unit_test(test_writer_zero),
		cmocka_unit_test(test_reader_underflow),
		cmocka_unit_test(test_reader_sticky),
		cmocka_unit_test(test_reader_exact_end),
		cmocka_unit_test(test_reader_huge),
		cmocka_unit_test(test_br_ptr),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_sticky),
		cmocka_unit_test(test_bw_reserve),
		cmocka_unit_test(test_empty_null),
		cmocka_unit_test(test_in_cksum_vectors),
		cmocka_unit_test(test_in_cksum_carp),
		cmocka_unit_test(test_in_cksum_unaligned),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
