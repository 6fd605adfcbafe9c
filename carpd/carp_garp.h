/*
 * carp_garp.h: announcements when a vhost becomes MASTER: a gratuitous ARP
 * request per IPv4 VIP (broadcast, sha = the vMAC, spa = tpa = VIP, tha = 0,
 * as OpenBSD if_ether.c arprequest) on an AF_PACKET socket, and an
 * unsolicited neighbour advertisement per IPv6 VIP to ff02::1 with the
 * Override flag (and Router flag when forwarding) and a target link-layer
 * address option. Pure: this file only builds the frames (unit-tested);
 * carp_net.c sends them on its AF_PACKET socket.
 */
#ifndef CARPD_CARP_GARP_H
#define CARPD_CARP_GARP_H

#include <stddef.h>
#include <stdint.h>

#define CARP_GARP_FRAME_LEN	42	/* 14 + 28 */
#define CARP_NA_FRAME_LEN	86	/* 14 + 40 + 24 + 8 */

/* Pure: Ethernet frame of a gratuitous ARP request. Returns its length. */
size_t	carp_garp_build_arp(uint8_t *out, size_t cap, const uint8_t mac[6],
	    const uint8_t ip[4]);
/* Pure: Ethernet frame of an unsolicited NA for `ip6`, source address
 * `src6` (the VIP itself), ICMPv6 checksum filled. router: set R flag. */
size_t	carp_garp_build_na(uint8_t *out, size_t cap, const uint8_t mac[6],
	    const uint8_t ip6[16], int router);

#endif
