/*
 * carp_nd.c: neighbour advertisements for the IPv6 VIPs of a balanced
 * group (carp_nd.h). Pure.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "carp_nd.h"

#define ETHERTYPE_IPV6_	0x86dd
#define IPPROTO_ICMPV6_	58
#define ND_NS_TYPE	135
#define ND_NA_TYPE	136
#define ND_NA_FLAG_R	0x80
#define ND_NA_FLAG_S	0x40
#define ND_NA_FLAG_O	0x20
#define ND_OPT_SLLA	1
#define ND_OPT_TLLA	2
#define ND_HOPLIMIT	255	/* RFC 4861 7.1.1: only the link sends 255 */
#define OFF_IP6		14
#define OFF_ICMP	(14 + 40)
#define NS_LEN		24	/* type, code, cksum, reserved, target */
#define NA_ICMP_LEN	32	/* NA 24 + TLLA option 8 */

_Static_assert(OFF_ICMP + NA_ICMP_LEN == CARP_ND_NA_LEN, "NA frame size");
_Static_assert(OFF_ICMP + NS_LEN == CARP_ND_NS_MIN, "NS minimum size");

const char *const carp_nd_verdict_names[CARP_ND__MAX] = {
	[CARP_ND_REPLY]		= "reply",
	[CARP_ND_SHORT]		= "short",
	[CARP_ND_NOT_IPV6]	= "not-ipv6",
	[CARP_ND_NOT_NS]	= "not-ns",
	[CARP_ND_BAD_HOPLIMIT]	= "bad-hoplimit",
	[CARP_ND_BAD_CODE]	= "bad-code",
	[CARP_ND_BAD_CKSUM]	= "bad-cksum",
	[CARP_ND_BAD_OPTION]	= "bad-option",
	[CARP_ND_BAD_TARGET]	= "bad-target",
	[CARP_ND_BAD_DST]	= "bad-dst",
	[CARP_ND_BAD_SOURCE]	= "bad-source",
	[CARP_ND_NOT_FOR_US]	= "not-for-us",
	[CARP_ND_NOT_OURS]	= "not-ours",
	[CARP_ND_LOOP]		= "loop",
	[CARP_ND_CONFLICT]	= "conflict",
	[CARP_ND_NOT_MASTER]	= "not-master",
	[CARP_ND_NOT_BALANCED]	= "not-balanced",
	[CARP_ND_NO_ROOM]	= "no-room",
};

/* ff02::1 and its MAC (RFC 2464 7: 33:33 + the low 32 bits). */
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
static const uint8_t unspecified[16];

void
carp_nd_ctx_from_set(const struct carp_balance_set *s,
    const uint8_t real_mac[6], int router, struct carp_nd_ctx *ctx)
{
	unsigned	 i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->mode = s->mode;
	memcpy(ctx->real_mac, real_mac, 6);
	carp_balance_mac(s->mode, s->vhids[0], ctx->shared_mac);
	ctx->owned = s->owned;
	ctx->router = router != 0;
	for (i = 0; i < s->nvips && i < CARP_BAL_MAX_VIPS; i++)
		if (s->vips[i].af == AF_INET6)
			memcpy(ctx->vips[ctx->nvips++], s->vips[i].addr, 16);
}

/* A solicitation as decoded; pointers into the frame. */
struct ns_req {
	const uint8_t	*eth_dst, *eth_src;
	const uint8_t	*src, *dst;		/* IPv6 addresses */
	const uint8_t	*icmp;			/* the ICMPv6 message */
	size_t		 icmp_len;		/* from the IPv6 payload length */
	const uint8_t	*target;
	const uint8_t	*slla;			/* NULL: no such option */
};

/* Ethernet, IPv6 and the fixed part of the NS; lengths from the header. */
static enum carp_nd_verdict
ns_decode(const uint8_t *f, size_t len, struct ns_req *r)
{
	struct buf_reader	 b;
	uint16_t		 plen;

	br_init(&b, f, len);
	r->eth_dst = br_ptr(&b, 6);
	r->eth_src = br_ptr(&b, 6);
	if (br_u16be(&b) != ETHERTYPE_IPV6_ || (br_u8(&b) >> 4) != 6)
		return CARP_ND_NOT_IPV6;
	br_skip(&b, 3);				/* class, flow label */
	plen = br_u16be(&b);
	if (br_u8(&b) != IPPROTO_ICMPV6_)
		return CARP_ND_NOT_NS;
	if (br_u8(&b) != ND_HOPLIMIT)
		return CARP_ND_BAD_HOPLIMIT;
	r->src = br_ptr(&b, 16);
	r->dst = br_ptr(&b, 16);
	if (b.err || plen < NS_LEN || plen > br_remaining(&b))
		return CARP_ND_SHORT;
	r->icmp = f + OFF_ICMP;
	r->icmp_len = plen;
	if (r->icmp[0] != ND_NS_TYPE)
		return CARP_ND_NOT_NS;
	if (r->icmp[1] != 0)
		return CARP_ND_BAD_CODE;
	if (icmp6_cksum(r->src, r->dst, r->icmp, r->icmp_len) != 0)
		return CARP_ND_BAD_CKSUM;
	r->target = r->icmp + 8;
	return CARP_ND_REPLY;
}

/* The options after the target (RFC 4861 4.6): each at least 8 bytes,
 * within the message; the first source link-layer address is kept. */
static enum carp_nd_verdict
ns_options(struct ns_req *r)
{
	size_t		 off = NS_LEN, olen;

	r->slla = NULL;
	while (off < r->icmp_len) {
		if (r->icmp_len - off < 2)
			return CARP_ND_BAD_OPTION;
		olen = (size_t)r->icmp[off + 1] * 8;
		if (olen == 0 || olen > r->icmp_len - off)
			return CARP_ND_BAD_OPTION;
		if (r->icmp[off] == ND_OPT_SLLA && olen == 8 && r->slla == NULL)
			r->slla = r->icmp + off + 2;
		off += olen;
	}
	return CARP_ND_REPLY;
}

static int
is_vip6(const struct carp_nd_ctx *ctx, const uint8_t a[16])
{
	unsigned	 i;

	for (i = 0; i < ctx->nvips && i < CARP_BAL_MAX_VIPS; i++)
		if (memcmp(ctx->vips[i], a, 16) == 0)
			return 1;
	return 0;
}

/* ff02::1:ffXX:XXXX, the solicited-node group of a (RFC 4291 2.7.1). */
static int
is_solicited_node(const uint8_t g[16], const uint8_t a[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 0x01,
	    [12] = 0xff };

	return memcmp(g, prefix, 13) == 0 && memcmp(g + 13, a + 13, 3) == 0;
}

/* The MAC of an IPv6 multicast group (RFC 2464 7). */
static int
is_group_mac(const uint8_t mac[6], const uint8_t g[16])
{
	return mac[0] == 0x33 && mac[1] == 0x33 && memcmp(mac + 2, g + 12,
	    4) == 0;
}

/* RFC 4861 7.1.1's validity checks on the addresses, then ours. */
static enum carp_nd_verdict
ns_check_parties(const struct ns_req *r, const struct carp_nd_ctx *ctx)
{
	int	 dad = memcmp(r->src, unspecified, 16) == 0;

	if (r->target[0] == 0xff)
		return CARP_ND_BAD_TARGET;
	/* the target before the rest: the shell asks each group of the
	 * carpdev in turn until one says the VIP is its own, so a
	 * solicitation to another group's MAC must not stop at this one */
	if (!is_vip6(ctx, r->target))
		return CARP_ND_NOT_OURS;
	if (memcmp(r->dst, r->target, 16) != 0 &&
	    !is_solicited_node(r->dst, r->target))
		return CARP_ND_BAD_DST;
	if (r->src[0] == 0xff || (dad && r->slla != NULL))
		return CARP_ND_BAD_SOURCE;
	if (memcmp(r->eth_dst, ctx->shared_mac, 6) != 0 &&
	    memcmp(r->eth_dst, ctx->real_mac, 6) != 0 &&
	    !(r->dst[0] == 0xff && is_group_mac(r->eth_dst, r->dst)))
		return CARP_ND_NOT_FOR_US;
	/* our own (or a peer's) solicitation, or our frame looped back */
	if (memcmp(r->eth_src, ctx->real_mac, 6) == 0 ||
	    memcmp(r->eth_src, ctx->shared_mac, 6) == 0 ||
	    (r->slla != NULL && (memcmp(r->slla, ctx->real_mac, 6) == 0 ||
	    memcmp(r->slla, ctx->shared_mac, 6) == 0)))
		return CARP_ND_LOOP;
	/* someone else uses a VIP: not for us to answer */
	if (is_vip6(ctx, r->src))
		return CARP_ND_CONFLICT;
	return CARP_ND_REPLY;
}

/*
 * RFC 4861 7.2.4. Override is set although several nodes answer: they
 * all give the same shared MAC, so whichever NA a client takes last, its
 * entry is right, and Override replaces a stale real MAC. A duplicate
 * address probe gets the all-nodes answer that makes the prober give up
 * the address (RFC 4862 5.4.4), as Linux sends for its own addresses.
 */
static void
na_build(const struct ns_req *r, const struct carp_nd_ctx *ctx, uint8_t *out)
{
	struct buf_writer	 w, cw;
	const uint8_t		*edst, *esrc, *ipdst;
	uint8_t			*ck, flags;
	int			 dad = memcmp(r->src, unspecified, 16) == 0;

	ipdst = dad ? all_nodes : r->src;
	edst = dad ? all_nodes_mac : r->slla != NULL ? r->slla : r->eth_src;
	esrc = ctx->mode == CARP_BAL_IP_UNICAST ? ctx->shared_mac :
	    ctx->real_mac;
	flags = ND_NA_FLAG_O | (dad ? 0 : ND_NA_FLAG_S) |
	    (ctx->router ? ND_NA_FLAG_R : 0);

	bw_init(&w, out, CARP_ND_NA_LEN);
	bw_bytes(&w, edst, 6);
	bw_bytes(&w, esrc, 6);
	bw_u16be(&w, ETHERTYPE_IPV6_);
	bw_u32be(&w, 6U << 28);		/* version 6, class 0, flow 0 */
	bw_u16be(&w, NA_ICMP_LEN);
	bw_u8(&w, IPPROTO_ICMPV6_);
	bw_u8(&w, ND_HOPLIMIT);
	bw_bytes(&w, r->target, 16);
	bw_bytes(&w, ipdst, 16);
	bw_u8(&w, ND_NA_TYPE);
	bw_u8(&w, 0);
	ck = bw_reserve(&w, 2);
	bw_u8(&w, flags);
	bw_zero(&w, 3);
	bw_bytes(&w, r->target, 16);
	bw_u8(&w, ND_OPT_TLLA);
	bw_u8(&w, 1);			/* in units of 8 bytes */
	bw_bytes(&w, ctx->shared_mac, 6);
	bw_init(&cw, ck, 2);
	bw_u16be(&cw, icmp6_cksum(r->target, ipdst, out + OFF_ICMP,
	    NA_ICMP_LEN));
}

enum carp_nd_verdict
carp_nd_answer(const uint8_t *frame, size_t len,
    const struct carp_nd_ctx *ctx, uint8_t *out, size_t outlen,
    size_t *outn)
{
	struct ns_req		 r;
	enum carp_nd_verdict	 v;

	*outn = 0;
	if (out == NULL || outlen < CARP_ND_NA_LEN)
		return CARP_ND_NO_ROOM;
	if (ctx->mode <= CARP_BAL_NONE || ctx->mode >= CARP_BAL__MAX)
		return CARP_ND_NOT_BALANCED;
	if (frame == NULL || len < CARP_ND_NS_MIN)
		return CARP_ND_SHORT;
	if ((v = ns_decode(frame, len, &r)) != CARP_ND_REPLY ||
	    (v = ns_options(&r)) != CARP_ND_REPLY ||
	    (v = ns_check_parties(&r, ctx)) != CARP_ND_REPLY)
		return v;
	/* a node MASTER of no vhid is starting, demoted or failing */
	if (ctx->owned == 0)
		return CARP_ND_NOT_MASTER;
	na_build(&r, ctx, out);
	*outn = CARP_ND_NA_LEN;
	return CARP_ND_REPLY;
}
