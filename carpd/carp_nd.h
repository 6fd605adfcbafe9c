/*
 * carp_nd.h: IPv6 neighbour discovery for the shared address of a
 * balanced group (issue 6; carp_balance.h for the data path). The IPv6
 * counterpart of carp_arp_answer(): a neighbour solicitation (RFC 4861
 * 4.3) for one of the group's IPv6 VIPs gets a neighbour advertisement
 * (4.4) whose target link-layer address is the group's shared MAC, from
 * every node that owns a bucket. The kernel, which holds the VIPs on the
 * carpdev, would answer with the carpdev's real MAC and pull every IPv6
 * client onto one node: carpd's ingress table drops those solicitations
 * (carp_balance_nft_create) after carpd's packet socket has seen them.
 * Pure: bytes in, bytes out; balancer.c reads and sends.
 */
#ifndef CARPD_CARP_ND_H
#define CARPD_CARP_ND_H

#include <stddef.h>
#include <stdint.h>

#include "carp_balance.h"

#define CARP_ND_NS_MIN		78	/* Ethernet 14 + IPv6 40 + NS 24 */
#define CARP_ND_NA_LEN		86	/* 14 + 40 + NA 24 + TLLA option 8 */

/* What carp_nd_answer() needs to know about one set on one node. */
struct carp_nd_ctx {
	enum carp_balancing	mode;
	uint8_t			real_mac[6];	/* carpdev's own address */
	uint8_t			shared_mac[6];	/* carp_balance_mac() */
	uint32_t		owned;		/* 0: MASTER of nothing, silent */
	int			router;		/* R flag: forwarding is on */
	unsigned		nvips;
	uint8_t			vips[CARP_BAL_MAX_VIPS][16];	/* IPv6 only */
};

/* The context of a set: its IPv6 VIPs, shared MAC, mode and owned mask. */
void	carp_nd_ctx_from_set(const struct carp_balance_set *,
	    const uint8_t real_mac[6], int router, struct carp_nd_ctx *);

/* Verdicts, one counter each. Numbered explicitly: append only. */
enum carp_nd_verdict {
	CARP_ND_REPLY		= 0,	/* answered: out holds the NA */
	CARP_ND_SHORT		= 1,	/* < 78 bytes, or < the IPv6 length */
	CARP_ND_NOT_IPV6	= 2,	/* EtherType not 0x86dd, version not 6 */
	CARP_ND_NOT_NS		= 3,	/* not ICMPv6 type 135 right after the
					 * IPv6 header (extension headers are
					 * not followed) */
	CARP_ND_BAD_HOPLIMIT	= 4,	/* not 255: not from the link (7.1.1) */
	CARP_ND_BAD_CODE	= 5,	/* ICMP code not 0 */
	CARP_ND_BAD_CKSUM	= 6,	/* ICMPv6 checksum wrong */
	CARP_ND_BAD_OPTION	= 7,	/* an option of length 0 or past the end */
	CARP_ND_BAD_TARGET	= 8,	/* target multicast */
	CARP_ND_BAD_DST		= 9,	/* IPv6 destination neither the target
					 * nor its solicited-node group */
	CARP_ND_BAD_SOURCE	= 10,	/* source multicast, or unspecified with
					 * a source link-layer option (7.1.1) */
	CARP_ND_NOT_FOR_US	= 11,	/* Ethernet destination not ours */
	CARP_ND_NOT_OURS	= 12,	/* target is not one of the VIPs */
	CARP_ND_LOOP		= 13,	/* sent from our MAC (our own frame) */
	CARP_ND_CONFLICT	= 14,	/* source is one of the VIPs */
	CARP_ND_NOT_MASTER	= 15,	/* this node owns no bucket */
	CARP_ND_NOT_BALANCED	= 16,	/* ctx mode is none */
	CARP_ND_NO_ROOM		= 17,	/* outlen < 86 */
	CARP_ND__MAX
};
/* "reply", "short", "not-ipv6", ... for logs and metrics. */
extern const char *const carp_nd_verdict_names[CARP_ND__MAX];

/*
 * Decode an Ethernet + IPv6 + ICMPv6 frame as carpdev's packet socket
 * delivers it and, for a valid solicitation (RFC 4861 7.1.1) of one of
 * the VIPs, build the advertisement (7.2.4) in out: from the VIP, hop
 * limit 255, Override set, Router set when ctx->router, target
 * link-layer address = the shared MAC; Ethernet source the real MAC (ip,
 * ip-stealth: the shared MAC is never a frame source) or the shared MAC
 * (ip-unicast). To the solicitor (Solicited set; Ethernet destination its
 * source link-layer option, else the frame's source) or, for duplicate
 * address detection (source ::), to ff02::1 with Solicited clear.
 * *outn = 86 on a reply, else 0. Bytes after the IPv6 payload length
 * (Ethernet padding) are ignored.
 */
enum carp_nd_verdict carp_nd_answer(const uint8_t *frame, size_t len,
	    const struct carp_nd_ctx *ctx, uint8_t *out, size_t outlen,
	    size_t *outn);

#endif
