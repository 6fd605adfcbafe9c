/*
 * buf.h: bounds-checked byte reader and writer with explicit (big-endian)
 * byte order. Pure: no I/O. A read or write past the end sets `err`, returns
 * zero (reads) or does nothing (writes); callers check `err` once at the end.
 */
#ifndef CARPSYNC_BUF_H
#define CARPSYNC_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf_reader {
	const uint8_t	*data;
	size_t		 len;
	size_t		 off;
	int		 err;	/* sticky: set by any out-of-bounds access */
};

struct buf_writer {
	uint8_t		*data;
	size_t		 cap;
	size_t		 off;
	int		 err;
};

void		 br_init(struct buf_reader *, const void *, size_t);
size_t		 br_remaining(const struct buf_reader *);
uint8_t		 br_u8(struct buf_reader *);
uint16_t	 br_u16be(struct buf_reader *);
uint32_t	 br_u32be(struct buf_reader *);
uint64_t	 br_u64be(struct buf_reader *);
/* Copy n bytes out; on underflow `out` is zero-filled and err set. */
void		 br_bytes(struct buf_reader *, void *out, size_t n);
/* Pointer to the next n bytes (no copy), or NULL and err set. */
const uint8_t	*br_ptr(struct buf_reader *, size_t n);
void		 br_skip(struct buf_reader *, size_t n);

void		 bw_init(struct buf_writer *, void *, size_t cap);
size_t		 bw_remaining(const struct buf_writer *);
void		 bw_u8(struct buf_writer *, uint8_t);
void		 bw_u16be(struct buf_writer *, uint16_t);
void		 bw_u32be(struct buf_writer *, uint32_t);
void		 bw_u64be(struct buf_writer *, uint64_t);
void		 bw_bytes(struct buf_writer *, const void *, size_t n);
void		 bw_zero(struct buf_writer *, size_t n);
/* Pointer to the next n bytes, reserved (zeroed) for a later fill, or NULL. */
uint8_t		*bw_reserve(struct buf_writer *, size_t n);

/* RFC 1071 Internet checksum over len bytes (result in network order as a
 * host integer: write it with bw_u16be / store big-endian). */
uint16_t	 in_cksum(const void *, size_t len);
/* The ICMPv6 checksum (RFC 4443 2.3) of len bytes at icmp (its checksum
 * field zero, or as received: a valid message then gives 0), over the
 * RFC 8200 8.1 pseudo-header: src, dst, 32-bit length, next header 58. */
uint16_t	 icmp6_cksum(const uint8_t src[16], const uint8_t dst[16],
		    const void *icmp, size_t len);

#endif
