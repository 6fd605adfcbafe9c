/*
 * carp_net.h: carpd's packet sockets (the shell around carp_wire):
 * - per carpdev, a raw IPv4 and a raw IPv6 socket for protocol 112, bound to
 *   the device (SO_BINDTODEVICE), IP(V6)_MULTICAST_ALL off, joined to
 *   224.0.0.18 / ff02::12 on it, hop limit and destination from ancillary
 *   data for IPv6;
 * - one send socket per family: TTL / hop limit 255, TOS 0x10 (IPv4, as
 *   OpenBSD), loop off; the output interface and source address are chosen
 *   per packet with IP_PKTINFO / IPV6_PKTINFO, so a MASTER's adverts leave
 *   through its macvlan with the virtual MAC as source, as on OpenBSD,
 *   while the source address is the parent's;
 * - one AF_PACKET socket for gratuitous ARP and neighbour advertisements;
 * - with balancing, per carpdev an AF_PACKET socket for ARP requests.
 */
#ifndef CARPD_CARP_NET_H
#define CARPD_CARP_NET_H

#include <stddef.h>
#include <stdint.h>

/* Receive buffer of the protocol-112 sockets (SO_RCVBUFFORCE; the kernel
 * doubles it for its bookkeeping): 4 MiB, thousands of flood packets
 * rather than the default's ~300 (carp_net.c rx_rcvbuf). */
#define CARP_RX_RCVBUF	(4 * 1024 * 1024)

struct carp_net {
	int	tx4;
	int	tx6;
	int	pkt;		/* AF_PACKET, for GARP / NA */
};

/* A received advert with what the socket told us about it. */
struct carp_rx {
	int		 af;
	const uint8_t	*carp;		/* CARP payload (IPv6) or whole IP packet (IPv4) */
	size_t		 len;
	int		 hoplimit;	/* IPv6 only; -1 if unknown */
	uint8_t		 src[16];
	uint8_t		 dst[16];	/* IPv6 from IPV6_PKTINFO */
	int		 ifindex;	/* arrival interface, 0 if unknown */
};

int	carp_net_open(struct carp_net *);
void	carp_net_close(struct carp_net *);

/* Receive sockets on one carpdev; -1 on error (logged). */
int	carp_net_rx_open(int af, const char *ifname, int ifindex);
/* Read one datagram into buf; 1 got one, 0 nothing (EAGAIN), -1 error. */
int	carp_net_rx_read(int fd, int af, uint8_t *buf, size_t cap,
	    struct carp_rx *);

/*
 * Send a 36-byte advert. oif: output interface; src: source address (IPv4
 * 4 bytes / IPv6 16 bytes, all zero = let the kernel choose); dst: the
 * group or the unicast peer. Returns 0 or -1 (errno set).
 */
int	carp_net_send(struct carp_net *, int af, int oif, const uint8_t *src,
	    const uint8_t *dst, const uint8_t *adv, size_t len);

/*
 * Balancing (carp_balance.h): an AF_PACKET socket on one carpdev that
 * receives only ARP requests and IPv6 neighbour solicitations, seen
 * before the ingress hook; -1 on error.
 */
int	carp_net_arp_open(int ifindex);
/* The most of a solicitation the socket keeps (its read buffer's size). */
#define CARP_NET_RESOLVE_SNAP	256
/* Add (add 1) or drop a shared MAC to the carpdev's address filter, for
 * the life of the socket. */
int	carp_net_arp_member(int fd, int ifindex, const uint8_t mac[6], int add);
/* One received frame (ARP request or NS): 1 got one (len set), 0 none,
 * -1 error. */
int	carp_net_arp_read(int fd, uint8_t *buf, size_t cap, size_t *len);

/* Send a complete Ethernet frame on ifindex. */
int	carp_net_send_frame(struct carp_net *, int ifindex,
	    const uint8_t *frame, size_t len);

#endif
