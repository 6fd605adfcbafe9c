/*
 * buf.c: bounds-checked byte reader and writer, big-endian accessors and
 * the Internet checksum. Pure: no I/O, no allocation.
 *
 * The err flag is sticky in both directions: once an access has failed,
 * every later access fails too (reads return zero, writes do nothing).
 * A decoder that runs past the end therefore never resumes at a shifted
 * offset, and callers need to test err only once, at the end.
 */
#include <string.h>

#include "buf.h"

void
br_init(struct buf_reader *r, const void *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

size_t
br_remaining(const struct buf_reader *r)
{
	return (r->len - r->off);
}

/*
 * Claim the next n bytes: returns a pointer to them and advances, or sets
 * err and returns NULL. `n > len - off` cannot overflow, unlike off + n.
 */
static const uint8_t *
br_take(struct buf_reader *r, size_t n)
{
	const uint8_t	*p;

	if (r->err || n > r->len - r->off) {
		r->err = 1;
		return (NULL);
	}
	if (r->data == NULL)	/* only with a zero size: no NULL + 0 */
		return (NULL);
	p = r->data + r->off;
	r->off += n;
	return (p);
}

uint8_t
br_u8(struct buf_reader *r)
{
	const uint8_t	*p = br_take(r, 1);

	return (p == NULL ? 0 : p[0]);
}

uint16_t
br_u16be(struct buf_reader *r)
{
	const uint8_t	*p = br_take(r, 2);

	if (p == NULL)
		return (0);
	return ((uint16_t)(p[0] << 8 | p[1]));
}

uint32_t
br_u32be(struct buf_reader *r)
{
	const uint8_t	*p = br_take(r, 4);

	if (p == NULL)
		return (0);
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3]);
}

uint64_t
br_u64be(struct buf_reader *r)
{
	const uint8_t	*p = br_take(r, 8);
	uint64_t	 v = 0;
	size_t		 i;

	if (p == NULL)
		return (0);
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

void
br_bytes(struct buf_reader *r, void *out, size_t n)
{
	const uint8_t	*p = br_take(r, n);

	if (n == 0)
		return;
	if (p == NULL)
		memset(out, 0, n);
	else
		memcpy(out, p, n);
}

const uint8_t *
br_ptr(struct buf_reader *r, size_t n)
{
	return (br_take(r, n));
}

void
br_skip(struct buf_reader *r, size_t n)
{
	(void)br_take(r, n);
}

void
bw_init(struct buf_writer *w, void *data, size_t cap)
{
	w->data = data;
	w->cap = cap;
	w->off = 0;
	w->err = 0;
}

size_t
bw_remaining(const struct buf_writer *w)
{
	return (w->cap - w->off);
}

/* Writer counterpart of br_take(). */
static uint8_t *
bw_take(struct buf_writer *w, size_t n)
{
	uint8_t	*p;

	if (w->err || n > w->cap - w->off) {
		w->err = 1;
		return (NULL);
	}
	if (w->data == NULL)	/* only with a zero size: no NULL + 0 */
		return (NULL);
	p = w->data + w->off;
	w->off += n;
	return (p);
}

void
bw_u8(struct buf_writer *w, uint8_t v)
{
	uint8_t	*p = bw_take(w, 1);

	if (p != NULL)
		p[0] = v;
}

void
bw_u16be(struct buf_writer *w, uint16_t v)
{
	uint8_t	*p = bw_take(w, 2);

	if (p == NULL)
		return;
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void
bw_u32be(struct buf_writer *w, uint32_t v)
{
	uint8_t	*p = bw_take(w, 4);

	if (p == NULL)
		return;
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

void
bw_u64be(struct buf_writer *w, uint64_t v)
{
	uint8_t	*p = bw_take(w, 8);
	int	 i;

	if (p == NULL)
		return;
	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

void
bw_bytes(struct buf_writer *w, const void *src, size_t n)
{
	uint8_t	*p = bw_take(w, n);

	if (p != NULL && n > 0)
		memcpy(p, src, n);
}

void
bw_zero(struct buf_writer *w, size_t n)
{
	(void)bw_reserve(w, n);
}

uint8_t *
bw_reserve(struct buf_writer *w, size_t n)
{
	uint8_t	*p = bw_take(w, n);

	if (p != NULL && n > 0)
		memset(p, 0, n);
	return (p);
}

/*
 * RFC 1071 Internet checksum: the one's complement of the one's complement
 * sum of the data taken as big-endian 16-bit words; an odd trailing byte
 * is the high half of a final word padded with zero (RFC 1071 4.1). The
 * result is a host integer meant to be stored big-endian, so a buffer
 * that already holds its correct checksum sums to 0.
 */
/* The one's complement sum of len bytes as 16-bit big-endian words (an
 * odd last byte padded with zero). A 64-bit accumulator cannot overflow
 * below 2^48 bytes of input. */
static uint64_t
sum16(const uint8_t *p, size_t len)
{
	uint64_t	 sum = 0;
	size_t		 i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ((uint16_t)~sum);
}

uint16_t
in_cksum(const void *data, size_t len)
{
	return fold(sum16(data, len));
}

uint16_t
icmp6_cksum(const uint8_t src[16], const uint8_t dst[16], const void *icmp,
    size_t len)
{
	uint64_t	 sum;

	sum = sum16(src, 16) + sum16(dst, 16);
	sum += (uint64_t)(len >> 16 & 0xffff) + (len & 0xffff);
	sum += 58;		/* IPPROTO_ICMPV6 */
	return fold(sum + sum16(icmp, len));
}
