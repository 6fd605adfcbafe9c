/*
 * carp_wire.h: the 36-byte CARP v2 advertisement (OpenBSD ip_carp.h
 * struct carp_header), its checksum, and receive validation in OpenBSD's
 * order (ip_carp.c carp_proto_input_if / carp_proto_input_c). Pure.
 */
#ifndef CARPD_CARP_WIRE_H
#define CARPD_CARP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define CARP_PROTO		112
#define CARP_VERSION		2
#define CARP_TYPE_ADVERT	1
#define CARP_AUTHLEN		7	/* counter + md in 32-bit words */
#define CARP_TTL		255
#define CARP_HDR_LEN		36
#define CARP_BOWOUT		255	/* advbase = advskew = 255: bow-out */
#define CARP_GROUP_V4		"224.0.0.18"
#define CARP_GROUP_V6		"ff02::12"

/* On-wire layout, for size and offset checks only: never cast onto a buffer. */
struct carp_hdr_wire {
	uint8_t		ver_type;	/* version << 4 | type */
	uint8_t		vhid;
	uint8_t		advskew;
	uint8_t		authlen;
	uint8_t		demote;		/* OpenBSD; pad1 in FreeBSD/ucarp */
	uint8_t		advbase;
	uint8_t		cksum[2];	/* over the 36 bytes, no pseudo-header */
	uint8_t		counter[8];
	uint8_t		md[20];		/* HMAC-SHA1 */
};
_Static_assert(sizeof(struct carp_hdr_wire) == CARP_HDR_LEN, "carp header size");
_Static_assert(__builtin_offsetof(struct carp_hdr_wire, counter) == 8, "counter offset");
_Static_assert(__builtin_offsetof(struct carp_hdr_wire, md) == 16, "md offset");

/* Host-side view of an advertisement. */
struct carp_advert {
	uint8_t		version;
	uint8_t		type;
	uint8_t		vhid;
	uint8_t		advskew;
	uint8_t		authlen;
	uint8_t		demote;
	uint8_t		advbase;
	uint16_t	cksum;		/* as received */
	uint8_t		counter[8];	/* raw wire bytes */
	uint8_t		md[20];
};

/* Encode: fills authlen = 7, version/type, computes the checksum. `out`
 * must hold CARP_HDR_LEN bytes. The md and counter are copied as given. */
void	carp_wire_encode(const struct carp_advert *, uint8_t out[CARP_HDR_LEN]);

/* Decode the first 36 bytes (len >= 36; extra bytes are ignored).
 * Returns 0, or -1 if len < 36. Does not validate. */
int	carp_wire_decode(const uint8_t *, size_t len, struct carp_advert *);

/* 1 if the Internet checksum over the 36 bytes is good. */
int	carp_wire_cksum_ok(const uint8_t *, size_t len);

/*
 * Drop reasons, one per carpstats counter. The order of checks in
 * carp_rx_check() is OpenBSD's: TTL, length, checksum, (vhid lookup and
 * version, HMAC and loop are checked by the caller with the vhost known).
 */
enum carp_drop {
	CARP_OK = 0,
	CARP_DROP_BADIF,	/* wrong interface */
	CARP_DROP_BADTTL,	/* TTL / hop limit != 255 */
	CARP_DROP_HDROPS,	/* shorter than IP header + 36 */
	CARP_DROP_BADLEN,	/* IP total length inconsistent */
	CARP_DROP_BADSUM,
	CARP_DROP_BADVHID,
	CARP_DROP_BADVER,
	CARP_DROP_BADAUTH,
	CARP_DROP_LOOP,		/* counter == our own cookie */
	/* carpsync's auth trailer (carp_auth.h), checked last */
	CARP_DROP_AUTHMISSING,	/* strict: no trailer */
	CARP_DROP_AUTHMALFORMED, /* our magic, wrong version or length */
	CARP_DROP_AUTHFORGED,	/* trailer HMAC mismatch */
	CARP_DROP_REPLAY,	/* counter not above the sender's last */
	CARP_DROP__MAX
};
extern const char *const carp_drop_names[CARP_DROP__MAX];	/* "badttl", ... */

/*
 * Parse an IPv4 packet as delivered by a raw socket (IP header included).
 * On success returns CARP_OK with *carp / *carplen pointing at the CARP
 * payload and src/dst/ttl filled. Checks: header length, total length
 * against bytes received (BADLEN), protocol 112, TTL 255 (BADTTL), at
 * least 36 CARP bytes (HDROPS), checksum (BADSUM).
 */
enum carp_drop carp_rx_ipv4(const uint8_t *pkt, size_t len,
	    uint8_t src[4], uint8_t dst[4], const uint8_t **carp, size_t *carplen);

/*
 * Checks for an IPv6 advert: the raw socket strips the IPv6 header, so the
 * hop limit comes from ancillary data. TTL, length, checksum.
 */
enum carp_drop carp_rx_ipv6(const uint8_t *payload, size_t len, int hoplimit);

/*
 * After the vhid lookup succeeded: version (BADVER). Kept separate so the
 * caller can count BADVHID first, as OpenBSD does.
 */
enum carp_drop carp_rx_version(const struct carp_advert *);

#endif
