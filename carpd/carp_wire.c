/*
 * carp_wire.c: encode, decode and validate the 36-byte CARP v2 header
 * (OpenBSD ip_carp.h struct carp_header) and the IP packets carrying it.
 * Pure: no I/O, no logging, no state.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "carp_wire.h"

#define IPV4_MIN_HLEN	20
#define IPV4_OFF_TOTLEN	2
#define IPV4_OFF_TTL	8
#define IPV4_OFF_PROTO	9
#define IPV4_OFF_SRC	12
#define IPV4_OFF_DST	16

const char *const carp_drop_names[CARP_DROP__MAX] = {
	[CARP_OK]		= "ok",
	[CARP_DROP_BADIF]	= "badif",
	[CARP_DROP_BADTTL]	= "badttl",
	[CARP_DROP_HDROPS]	= "hdrops",
	[CARP_DROP_BADLEN]	= "badlen",
	[CARP_DROP_BADSUM]	= "badsum",
	[CARP_DROP_BADVHID]	= "badvhid",
	[CARP_DROP_BADVER]	= "badver",
	[CARP_DROP_BADAUTH]	= "badauth",
	[CARP_DROP_LOOP]	= "loop",
	[CARP_DROP_AUTHMISSING]	= "authmissing",
	[CARP_DROP_AUTHMALFORMED] = "authmalformed",
	[CARP_DROP_AUTHFORGED]	= "authforged",
	[CARP_DROP_REPLAY]	= "authreplay",
};

/*
 * The checksum field is zeroed, the Internet checksum taken over the 36
 * bytes only (no pseudo-header, for IPv6 too: OpenBSD ip_carp.c
 * carp_prepare_ad / carp6_proto_input_if) and stored big-endian.
 */
void
carp_wire_encode(const struct carp_advert *adv, uint8_t out[CARP_HDR_LEN])
{
	struct buf_writer	 w, cw;
	uint8_t			*ck;

	bw_init(&w, out, CARP_HDR_LEN);
	bw_u8(&w, CARP_VERSION << 4 | CARP_TYPE_ADVERT);
	bw_u8(&w, adv->vhid);
	bw_u8(&w, adv->advskew);
	bw_u8(&w, CARP_AUTHLEN);	/* OpenBSD sends a literal 7 */
	bw_u8(&w, adv->demote);
	bw_u8(&w, adv->advbase);
	ck = bw_reserve(&w, 2);		/* zero while summing */
	bw_bytes(&w, adv->counter, sizeof(adv->counter));
	bw_bytes(&w, adv->md, sizeof(adv->md));

	bw_init(&cw, ck, 2);
	bw_u16be(&cw, in_cksum(out, CARP_HDR_LEN));
}

int
carp_wire_decode(const uint8_t *p, size_t len, struct carp_advert *adv)
{
	struct buf_reader	 r;
	uint8_t			 vt;

	if (len < CARP_HDR_LEN)
		return -1;
	br_init(&r, p, CARP_HDR_LEN);
	vt = br_u8(&r);
	adv->version = vt >> 4;
	adv->type = vt & 0x0f;
	adv->vhid = br_u8(&r);
	adv->advskew = br_u8(&r);
	adv->authlen = br_u8(&r);
	adv->demote = br_u8(&r);
	adv->advbase = br_u8(&r);
	adv->cksum = br_u16be(&r);
	br_bytes(&r, adv->counter, sizeof(adv->counter));
	br_bytes(&r, adv->md, sizeof(adv->md));
	return r.err ? -1 : 0;
}

/* Summing the 36 bytes including a correct checksum gives 0xffff, i.e. a
 * complemented result of 0 (RFC 1071), as OpenBSD's in_cksum() test. */
int
carp_wire_cksum_ok(const uint8_t *p, size_t len)
{
	if (len < CARP_HDR_LEN)
		return 0;
	return in_cksum(p, CARP_HDR_LEN) == 0;
}

/*
 * IPv4 receive checks. The raw IPPROTO_CARP socket hands us the IP header
 * with ip_len in network order (Linux does not convert it as BSD does).
 * Order follows OpenBSD carp_proto_input_if: TTL, length, checksum; the
 * structural checks come first because the TTL cannot be found otherwise.
 *
 *  HDROPS  no parseable IPv4 header (fewer than 20 bytes, version != 4,
 *          IHL < 5), protocol != 112 (the socket only delivers 112, so
 *          anything else is not a CARP packet at all; no separate
 *          counter), or fewer than IHL*4 + 36 bytes received.
 *  BADTTL  TTL != 255 (checked for unicast carppeer adverts too).
 *  BADLEN  ip_len disagrees with what arrived: smaller than IHL*4 + 36,
 *          or larger than the bytes received. Bytes after ip_len (link
 *          padding) and CARP bytes after the first 36 are tolerated.
 *  BADSUM  CARP checksum over the 36 bytes.
 *
 * src and dst are filled as soon as a header was parsed (so a caller can
 * name the sender of a dropped packet); carp/carplen only on CARP_OK,
 * where carplen = ip_len - IHL*4 (>= 36). Any output may be NULL.
 */
enum carp_drop
carp_rx_ipv4(const uint8_t *pkt, size_t len, uint8_t src[4], uint8_t dst[4],
    const uint8_t **carp, size_t *carplen)
{
	size_t	 hlen, totlen;

	if (carp != NULL)
		*carp = NULL;
	if (carplen != NULL)
		*carplen = 0;
	if (pkt == NULL || len < IPV4_MIN_HLEN || pkt[0] >> 4 != 4)
		return CARP_DROP_HDROPS;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HLEN)
		return CARP_DROP_HDROPS;
	if (src != NULL)
		memcpy(src, pkt + IPV4_OFF_SRC, 4);
	if (dst != NULL)
		memcpy(dst, pkt + IPV4_OFF_DST, 4);
	if (pkt[IPV4_OFF_PROTO] != CARP_PROTO)
		return CARP_DROP_HDROPS;

	if (pkt[IPV4_OFF_TTL] != CARP_TTL)
		return CARP_DROP_BADTTL;
	if (len < hlen + CARP_HDR_LEN)
		return CARP_DROP_HDROPS;
	totlen = (size_t)pkt[IPV4_OFF_TOTLEN] << 8 | pkt[IPV4_OFF_TOTLEN + 1];
	if (totlen < hlen + CARP_HDR_LEN || totlen > len)
		return CARP_DROP_BADLEN;
	if (!carp_wire_cksum_ok(pkt + hlen, len - hlen))
		return CARP_DROP_BADSUM;

	if (carp != NULL)
		*carp = pkt + hlen;
	if (carplen != NULL)
		*carplen = totlen - hlen;
	return CARP_OK;
}

/*
 * IPv6: the kernel strips the header and has checked the payload length,
 * so there is no BADLEN case. hoplimit is from IPV6_HOPLIMIT ancillary
 * data (-1 when it was missing: dropped as BADTTL). OpenBSD
 * carp6_proto_input_if: hop limit, length, checksum over the 36 bytes.
 */
enum carp_drop
carp_rx_ipv6(const uint8_t *payload, size_t len, int hoplimit)
{
	if (hoplimit != CARP_TTL)
		return CARP_DROP_BADTTL;
	if (payload == NULL || len < CARP_HDR_LEN)
		return CARP_DROP_HDROPS;
	if (!carp_wire_cksum_ok(payload, len))
		return CARP_DROP_BADSUM;
	return CARP_OK;
}

/* OpenBSD carp_proto_input_c checks the version only; the type is not
 * checked (only CARP_TYPE_ADVERT exists). */
enum carp_drop
carp_rx_version(const struct carp_advert *adv)
{
	if (adv->version != CARP_VERSION)
		return CARP_DROP_BADVER;
	return CARP_OK;
}
