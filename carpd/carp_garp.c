/*
 * carp_garp.c: the Ethernet frames a vhost sends on becoming MASTER
 * (OpenBSD ip_carp.c carp_master_down / carp_if_linkstate): a gratuitous
 * ARP request per IPv4 VIP and an unsolicited neighbour advertisement per
 * IPv6 VIP. Pure builders; carp_net.c transmits them.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "carp_garp.h"

#define ETHERTYPE_ARP_	0x0806
#define ETHERTYPE_IP_	0x0800
#define ETHERTYPE_IPV6_	0x86dd
#define ARPHRD_ETHER_	1
#define ARPOP_REQUEST_	1
#define IPPROTO_ICMPV6_	58
#define ND_NA_TYPE	136
#define ND_NA_FLAG_R	0x80
#define ND_NA_FLAG_O	0x20
#define ND_OPT_TLLA	2
#define NA_ICMP_LEN	32	/* 24-byte NA + 8-byte TLLA option */
#define NA_OFF_ICMP	(14 + 40)

static const uint8_t eth_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
/* ff02::1 and its multicast MAC 33:33 + low 32 bits (RFC 2464 7). */
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };

static void
put_eth(struct buf_writer *w, const uint8_t dst[6], const uint8_t src[6],
    uint16_t type)
{
	bw_bytes(w, dst, 6);
	bw_bytes(w, src, 6);
	bw_u16be(w, type);
}

/*
 * OpenBSD if_ether.c arprequest(ifp, &vip, &vip, vmac): a request to the
 * broadcast address with sha = the vMAC, spa = tpa = VIP and tha all zeros
 * (ucarp puts its MAC in tha; zeros is what OpenBSD sends).
 */
size_t
carp_garp_build_arp(uint8_t *out, size_t cap, const uint8_t mac[6],
    const uint8_t ip[4])
{
	struct buf_writer	 w;

	if (out == NULL || cap < CARP_GARP_FRAME_LEN)
		return 0;
	bw_init(&w, out, cap);
	put_eth(&w, eth_bcast, mac, ETHERTYPE_ARP_);
	bw_u16be(&w, ARPHRD_ETHER_);
	bw_u16be(&w, ETHERTYPE_IP_);
	bw_u8(&w, 6);
	bw_u8(&w, 4);
	bw_u16be(&w, ARPOP_REQUEST_);
	bw_bytes(&w, mac, 6);
	bw_bytes(&w, ip, 4);
	bw_zero(&w, 6);
	bw_bytes(&w, ip, 4);
	return w.err ? 0 : w.off;
}

/*
 * Unsolicited NA (RFC 4861 4.4, 7.2.6) as OpenBSD sends for each IPv6 VIP:
 * from the VIP to ff02::1, hop limit 255, Override set, Router set when
 * forwarding, Solicited clear, and a target link-layer address option
 * carrying the MAC.
 */
size_t
carp_garp_build_na(uint8_t *out, size_t cap, const uint8_t mac[6],
    const uint8_t ip6[16], int router)
{
	struct buf_writer	 w, cw;
	uint8_t			*ck;

	if (out == NULL || cap < CARP_NA_FRAME_LEN)
		return 0;
	bw_init(&w, out, cap);
	put_eth(&w, all_nodes_mac, mac, ETHERTYPE_IPV6_);
	bw_u32be(&w, 6U << 28);		/* version 6, class 0, flow 0 */
	bw_u16be(&w, NA_ICMP_LEN);
	bw_u8(&w, IPPROTO_ICMPV6_);
	bw_u8(&w, 255);			/* RFC 4861 7.1.2 requires 255 */
	bw_bytes(&w, ip6, 16);
	bw_bytes(&w, all_nodes, 16);

	bw_u8(&w, ND_NA_TYPE);
	bw_u8(&w, 0);
	ck = bw_reserve(&w, 2);
	bw_u8(&w, ND_NA_FLAG_O | (router ? ND_NA_FLAG_R : 0));
	bw_zero(&w, 3);
	bw_bytes(&w, ip6, 16);
	bw_u8(&w, ND_OPT_TLLA);
	bw_u8(&w, 1);			/* option length in units of 8 bytes */
	bw_bytes(&w, mac, 6);
	if (w.err)
		return 0;

	bw_init(&cw, ck, 2);
	bw_u16be(&cw, icmp6_cksum(ip6, all_nodes, out + NA_OFF_ICMP,
	    NA_ICMP_LEN));
	return w.off;
}
