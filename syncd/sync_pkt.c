/*
 * sync_pkt.c: the headers in front of a captured sync frame. See
 * sync_pkt.h. Written byte by byte through buf.c: struct iphdr's
 * bitfields depend on the host's byte order.
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "buf.h"
#include "sync_pkt.h"
#include "sync_wire.h"

#define PKT_TOS_LOWDELAY	0x10	/* IPTOS_LOWDELAY, as sync_net sets */
#define PKT_IP_DF		0x4000
#define PKT_ETHERTYPE_IP	0x0800
#define PKT_ETHERTYPE_IPV6	0x86dd

static size_t
pkt_ip4(struct buf_writer *w, const struct sync_pkt_addr *a, uint16_t id,
    size_t frame_len)
{
	uint8_t	*start = w->data + w->off;

	bw_u8(w, 0x45);			/* version 4, 5 words */
	bw_u8(w, PKT_TOS_LOWDELAY);
	bw_u16be(w, (uint16_t)(SYNC_PKT_IP4_LEN + frame_len));
	bw_u16be(w, id);
	bw_u16be(w, PKT_IP_DF);
	bw_u8(w, SYNC_TTL);
	bw_u8(w, SYNC_PROTO);
	bw_u16be(w, 0);			/* checksum, below */
	bw_bytes(w, a->src, 4);
	bw_bytes(w, a->dst, 4);
	if (w->err)
		return 0;
	w->off -= 10;
	bw_u16be(w, in_cksum(start, SYNC_PKT_IP4_LEN));
	w->off += 8;
	return SYNC_PKT_IP4_LEN;
}

static size_t
pkt_ip6(struct buf_writer *w, const struct sync_pkt_addr *a, size_t frame_len)
{
	/* version 6, traffic class lowdelay, flow label 0 */
	bw_u32be(w, 6U << 28 | (uint32_t)PKT_TOS_LOWDELAY << 20);
	bw_u16be(w, (uint16_t)frame_len);
	bw_u8(w, SYNC_PROTO);		/* next header */
	bw_u8(w, SYNC_TTL);		/* hop limit */
	bw_bytes(w, a->src, 16);
	bw_bytes(w, a->dst, 16);
	return w->err ? 0 : SYNC_PKT_IP6_LEN;
}

size_t
sync_pkt_ip(uint8_t *out, size_t cap, const struct sync_pkt_addr *a,
    uint16_t ip_id, size_t frame_len)
{
	struct buf_writer	 w;

	bw_init(&w, out, cap);
	if (a->af == AF_INET && frame_len <= 65535 - SYNC_PKT_IP4_LEN)
		return pkt_ip4(&w, a, ip_id, frame_len);
	if (a->af == AF_INET6 && frame_len <= 65535)
		return pkt_ip6(&w, a, frame_len);
	return 0;
}

/* The multicast MAC of dst, 1 if dst is multicast (RFC 1112, RFC 2464). */
static int
pkt_mcast_mac(const struct sync_pkt_addr *a, uint8_t mac[6])
{
	if (a->af == AF_INET && (a->dst[0] & 0xf0) == 0xe0) {
		mac[0] = 0x01;
		mac[1] = 0x00;
		mac[2] = 0x5e;
		mac[3] = a->dst[1] & 0x7f;
		mac[4] = a->dst[2];
		mac[5] = a->dst[3];
		return 1;
	}
	if (a->af == AF_INET6 && a->dst[0] == 0xff) {
		mac[0] = 0x33;
		mac[1] = 0x33;
		memcpy(mac + 2, a->dst + 12, 4);
		return 1;
	}
	return 0;
}

size_t
sync_pkt_eth(uint8_t *out, size_t cap, const struct sync_pkt_addr *a,
    const uint8_t src_mac[6], const uint8_t dst_mac[6])
{
	static const uint8_t	 zero[6];
	struct buf_writer	 w;
	uint8_t			 mac[6];

	if (a->af != AF_INET && a->af != AF_INET6)
		return 0;
	if (!pkt_mcast_mac(a, mac))
		memcpy(mac, dst_mac != NULL ? dst_mac : zero, 6);
	bw_init(&w, out, cap);
	bw_bytes(&w, mac, 6);
	bw_bytes(&w, src_mac != NULL ? src_mac : zero, 6);
	bw_u16be(&w, a->af == AF_INET ? PKT_ETHERTYPE_IP : PKT_ETHERTYPE_IPV6);
	return w.err ? 0 : SYNC_PKT_ETH_LEN;
}

size_t
sync_pkt_header(uint8_t *out, size_t cap, const struct sync_pkt_addr *a,
    const uint8_t *src_mac, const uint8_t *dst_mac, uint16_t ip_id,
    size_t frame_len)
{
	size_t	 e = 0, n;

	if (src_mac != NULL &&
	    (e = sync_pkt_eth(out, cap, a, src_mac, dst_mac)) == 0)
		return 0;
	if ((n = sync_pkt_ip(out + e, cap - e, a, ip_id, frame_len)) == 0)
		return 0;
	return e + n;
}
