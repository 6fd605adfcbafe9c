/*
 * sync_pkt.h: the IP (and Ethernet) header in front of a sync frame when a
 * copy of it is shown to a capture: the watch tap (sync_tap), the pcap
 * writers (syncd's pcap-file, carpctl sync dump) and the test tool
 * tests/netns/sync_pcap.c all build it here. Pure: bytes in, bytes out.
 *
 * IPv4 as pfsync_up() builds it (pfsync-conntrack.md 1.1): TOS lowdelay,
 * DF, TTL 255, protocol 240, a correct header checksum; IPv6 (an IPv6
 * unicast syncpeer) with hop limit 255 and next header 240. No IP options,
 * no extension headers.
 */
#ifndef SYNCD_SYNC_PKT_H
#define SYNCD_SYNC_PKT_H

#include <stddef.h>
#include <stdint.h>

#define SYNC_PKT_ETH_LEN	14
#define SYNC_PKT_IP4_LEN	20
#define SYNC_PKT_IP6_LEN	40
#define SYNC_PKT_MAX_HDR	(SYNC_PKT_ETH_LEN + SYNC_PKT_IP6_LEN)
/* IPv4's total length and IPv6's payload length are 16 bits */
#define SYNC_PKT_MAX_FRAME	(65535 - SYNC_PKT_IP4_LEN)

/* The two ends of one copy: the sender and the group or unicast peer. */
struct sync_pkt_addr {
	int		af;		/* AF_INET or AF_INET6 */
	uint8_t		src[16];	/* IPv4 in the first 4 bytes */
	uint8_t		dst[16];
};

/*
 * The IP header for a frame of frame_len bytes into out (cap bytes):
 * returns its length (20 or 40), or 0 if it does not fit, the family is
 * neither, or frame_len is beyond what the length field holds. ip_id is
 * the IPv4 identification (ignored for IPv6).
 */
size_t	sync_pkt_ip(uint8_t *out, size_t cap, const struct sync_pkt_addr *,
	    uint16_t ip_id, size_t frame_len);

/*
 * An Ethernet header in front of that IP header: to the MAC a multicast
 * destination maps to (RFC 1112 6.4, RFC 2464 7), else to dst_mac (the
 * tap's own: the copy is for this link alone), from src_mac, with the
 * family's ethertype. Returns 14, or 0 as sync_pkt_ip.
 */
size_t	sync_pkt_eth(uint8_t *out, size_t cap, const struct sync_pkt_addr *,
	    const uint8_t src_mac[6], const uint8_t dst_mac[6]);

/* Both: Ethernet (if src_mac != NULL) then IP. Returns the total or 0. */
size_t	sync_pkt_header(uint8_t *out, size_t cap,
	    const struct sync_pkt_addr *, const uint8_t *src_mac,
	    const uint8_t *dst_mac, uint16_t ip_id, size_t frame_len);

#endif
