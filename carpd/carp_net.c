/*
 * carp_net.c: raw protocol-112 sockets and the AF_PACKET socket (shell).
 * See carp_net.h for the why of each option.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "carp_net.h"
#include "carp_wire.h"
#include "log.h"

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND		78
#endif

static int
setopt_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == -1) {
		log_warn("carp_net: setsockopt %s", what);
		return -1;
	}
	return 0;
}

/*
 * A raw socket gets a copy of every packet of its protocol. The send
 * sockets are never read: a filter that accepts nothing keeps the kernel
 * from queueing (and then dropping, once their buffer is full) a copy of
 * every advert, and of every packet of a flood, for nobody.
 */
static int
tx_deaf(int fd)
{
	struct sock_filter drop_all = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = { 1, &drop_all };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1) {
		log_warn("carp_net: setsockopt SO_ATTACH_FILTER");
		return -1;
	}
	return 0;
}

static int
tx4_open(void)
{
	int fd;

	fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    CARP_PROTO);
	if (fd == -1) {
		log_warn("carp_net: socket(AF_INET, SOCK_RAW, 112)");
		return -1;
	}
	/* TTL 255 both ways, TOS lowdelay as OpenBSD carp_send_ad; FREEBIND
	 * because the source (the parent's address) is not on the macvlan
	 * the advert leaves through. */
	if (setopt_int(fd, IPPROTO_IP, IP_TTL, CARP_TTL, "IP_TTL") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, CARP_TTL,
	    "IP_MULTICAST_TTL") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_TOS, IPTOS_LOWDELAY, "IP_TOS") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0,
	    "IP_MULTICAST_LOOP") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_FREEBIND, 1, "IP_FREEBIND") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO,
	    "IP_MTU_DISCOVER") == -1 || tx_deaf(fd) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
tx6_open(void)
{
	int fd;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    CARP_PROTO);
	if (fd == -1) {
		log_warn("carp_net: socket(AF_INET6, SOCK_RAW, 112)");
		return -1;
	}
	/* No IPV6_CHECKSUM: the CARP checksum has no pseudo-header
	 * (carp-protocol.md 1.1); carp_wire computes it. */
	if (setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, CARP_TTL,
	    "IPV6_MULTICAST_HOPS") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, CARP_TTL,
	    "IPV6_UNICAST_HOPS") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0,
	    "IPV6_MULTICAST_LOOP") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_FREEBIND, 1,
	    "IPV6_FREEBIND") == -1 || tx_deaf(fd) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
carp_net_open(struct carp_net *n)
{
	n->tx4 = n->tx6 = n->pkt = -1;
	if ((n->tx4 = tx4_open()) == -1)
		goto fail;
	/* IPv6 may be disabled on the host: then only IPv4 VIPs work. */
	n->tx6 = tx6_open();
	n->pkt = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->pkt == -1) {
		log_warn("carp_net: socket(AF_PACKET)");
		goto fail;
	}
	return 0;
fail:
	carp_net_close(n);
	return -1;
}

void
carp_net_close(struct carp_net *n)
{
	if (n->tx4 != -1)
		close(n->tx4);
	if (n->tx6 != -1)
		close(n->tx6);
	if (n->pkt != -1)
		close(n->pkt);
	n->tx4 = n->tx6 = n->pkt = -1;
}

static int
rx_bind(int fd, const char *ifname)
{
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    strlen(ifname) + 1) == -1) {
		log_warn("carp_net: SO_BINDTODEVICE %s", ifname);
		return -1;
	}
	return 0;
}

static int
rx4_setup(int fd, int ifindex)
{
	struct ip_mreqn mr;

	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET, CARP_GROUP_V4, &mr.imr_multiaddr);
	mr.imr_ifindex = ifindex;
	/* Without MULTICAST_ALL=0 a raw socket gets every group joined by
	 * any socket on the host. */
	if (setopt_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0,
	    "IP_MULTICAST_ALL") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO") == -1)
		return -1;
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) == -1) {
		log_warn("carp_net: IP_ADD_MEMBERSHIP %s", CARP_GROUP_V4);
		return -1;
	}
	return 0;
}

static int
rx6_setup(int fd, int ifindex)
{
	struct ipv6_mreq mr;

	memset(&mr, 0, sizeof(mr));
	inet_pton(AF_INET6, CARP_GROUP_V6, &mr.ipv6mr_multiaddr);
	mr.ipv6mr_interface = ifindex;
	if (setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0,
	    "IPV6_MULTICAST_ALL") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1,
	    "IPV6_RECVHOPLIMIT") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1,
	    "IPV6_RECVPKTINFO") == -1)
		return -1;
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
	    sizeof(mr)) == -1) {
		log_warn("carp_net: IPV6_JOIN_GROUP %s", CARP_GROUP_V6);
		return -1;
	}
	return 0;
}

/*
 * The default receive buffer (net.core.rmem_default, 212992 bytes) holds
 * ~300 small packets: a line-rate flood of bad CARP packets fills it
 * between two reads and the kernel drops the real adverts with the rest
 * (/proc/net/raw drops). CARP_RX_RCVBUF (carp_net.h) holds thousands, so
 * carpd reads, counts and drops the flood itself. SO_RCVBUFFORCE passes
 * net.core.rmem_max with CAP_NET_ADMIN, which carpd keeps; without it
 * SO_RCVBUF gets what rmem_max allows. Best effort: a socket with the
 * default buffer still works.
 */
static void
rx_rcvbuf(int fd, const char *ifname)
{
	int val = CARP_RX_RCVBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &val,
	    sizeof(val)) == 0)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val)) == -1)
		log_warn("carp_net: SO_RCVBUF on %s", ifname);
	else
		log_info("carp_net: %s: receive buffer limited by "
		    "net.core.rmem_max (no CAP_NET_ADMIN)", ifname);
}

int
carp_net_rx_open(int af, const char *ifname, int ifindex)
{
	int fd, rc;

	fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, CARP_PROTO);
	if (fd == -1) {
		log_warn("carp_net: rx socket %s on %s",
		    af == AF_INET ? "IPv4" : "IPv6", ifname);
		return -1;
	}
	rc = rx_bind(fd, ifname);
	if (rc == 0)
		rx_rcvbuf(fd, ifname);
	if (rc == 0)
		rc = af == AF_INET ? rx4_setup(fd, ifindex) :
		    rx6_setup(fd, ifindex);
	if (rc == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
rx_cmsgs(struct msghdr *msg, struct carp_rx *rx)
{
	struct cmsghdr *c;
	struct in6_pktinfo pi;
	struct in_pktinfo pi4;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi4))) {
			memcpy(&pi4, CMSG_DATA(c), sizeof(pi4));
			rx->ifindex = pi4.ipi_ifindex;
			continue;
		}
		if (c->cmsg_level != IPPROTO_IPV6)
			continue;
		if (c->cmsg_type == IPV6_HOPLIMIT &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&rx->hoplimit, CMSG_DATA(c), sizeof(int));
		else if (c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memcpy(rx->dst, &pi.ipi6_addr, 16);
			rx->ifindex = (int)pi.ipi6_ifindex;
		}
	}
}

int
carp_net_rx_read(int fd, int af, uint8_t *buf, size_t cap, struct carp_rx *rx)
{
	struct sockaddr_storage from;
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[256];
	} cbuf;
	struct iovec iov = { buf, cap };
	struct msghdr msg;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	if ((n = recvmsg(fd, &msg, 0)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return 0;
		log_warn("carp_net: recvmsg");
		return -1;
	}
	memset(rx, 0, sizeof(*rx));
	rx->af = af;
	rx->carp = buf;
	rx->len = (size_t)n;
	rx->hoplimit = -1;
	if (af == AF_INET6)
		memcpy(rx->src, &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
	rx_cmsgs(&msg, rx);
	return 1;
}

/* sendmsg with one packet-info control message choosing the output
 * interface and source address. */
static int
send_pktinfo(int fd, const void *to, socklen_t tolen, int level, int type,
    const void *pi, size_t pilen, const uint8_t *adv, size_t len)
{
	union {
		struct cmsghdr	hdr;
		uint8_t		buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov = { (void *)adv, len };
	struct msghdr msg;
	struct cmsghdr *c;

	memset(&cbuf, 0, sizeof(cbuf));	/* cmsg padding goes to the kernel */
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = (void *)to;
	msg.msg_namelen = tolen;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = CMSG_SPACE(pilen);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(pilen);
	memcpy(CMSG_DATA(c), pi, pilen);
	return sendmsg(fd, &msg, 0) == (ssize_t)len ? 0 : -1;
}

static int
send4(struct carp_net *n, int oif, const uint8_t *src, const uint8_t *dst,
    const uint8_t *adv, size_t len)
{
	struct sockaddr_in to;
	struct in_pktinfo pi;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	memcpy(&to.sin_addr, dst, 4);
	memset(&pi, 0, sizeof(pi));
	pi.ipi_ifindex = oif;
	memcpy(&pi.ipi_spec_dst, src, 4);
	return send_pktinfo(n->tx4, &to, sizeof(to), IPPROTO_IP, IP_PKTINFO,
	    &pi, sizeof(pi), adv, len);
}

static int
send6(struct carp_net *n, int oif, const uint8_t *src, const uint8_t *dst,
    const uint8_t *adv, size_t len)
{
	struct sockaddr_in6 to;
	struct in6_pktinfo pi;

	if (n->tx6 == -1) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	memcpy(&to.sin6_addr, dst, 16);
	to.sin6_scope_id = (uint32_t)oif;
	memset(&pi, 0, sizeof(pi));
	pi.ipi6_ifindex = (unsigned)oif;
	memcpy(&pi.ipi6_addr, src, 16);
	return send_pktinfo(n->tx6, &to, sizeof(to), IPPROTO_IPV6,
	    IPV6_PKTINFO, &pi, sizeof(pi), adv, len);
}

int
carp_net_send(struct carp_net *n, int af, int oif, const uint8_t *src,
    const uint8_t *dst, const uint8_t *adv, size_t len)
{
	if (af == AF_INET)
		return send4(n, oif, src, dst, adv, len);
	return send6(n, oif, src, dst, adv, len);
}

int
carp_net_send_frame(struct carp_net *n, int ifindex, const uint8_t *frame,
    size_t len)
{
	struct sockaddr_ll ll;

	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_ifindex = ifindex;
	ll.sll_halen = ETH_ALEN;
	memcpy(ll.sll_addr, frame, ETH_ALEN);
	if (sendto(n->pkt, frame, len, 0, (struct sockaddr *)&ll,
	    sizeof(ll)) != (ssize_t)len) {
		log_warn("carp_net: send frame on ifindex %d", ifindex);
		return -1;
	}
	return 0;
}

/*
 * The balancing ARP and ND responder (carp_balance.h, carp_nd.h).
 * ETH_P_ALL, because such a tap sees a frame before the netdev ingress
 * hook, where carpd's table drops ARP requests and neighbour
 * solicitations for the VIPs so that the kernel (which holds them) does
 * not answer with the real MAC. The filter is attached before the bind
 * gives the socket a protocol, so that no other frame is ever queued.
 */
int
carp_net_arp_open(int ifindex)
{
	/*
	 * ether proto 0x0806 and ARP opcode 1 (request): 64 bytes suffice;
	 * or ether proto 0x86dd, next header 58 and ICMPv6 type 135 (an NS
	 * right after the IPv6 header): 256 bytes hold its options.
	 */
	static const struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 0, 3),
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 7),
		BPF_STMT(BPF_RET | BPF_K, 64),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV6, 0, 5),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 20),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_ICMPV6, 0, 3),
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 54),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 135, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, CARP_NET_RESOLVE_SNAP),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {
		.len = sizeof(code) / sizeof(code[0]),
		.filter = (struct sock_filter *)code,
	};
	struct sockaddr_ll ll;
	int fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("carp_net: socket(AF_PACKET) for ARP");
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog)) == -1) {
		log_warn("carp_net: ARP filter");
		goto fail;
	}
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) == -1) {
		log_warn("carp_net: bind ARP socket to ifindex %d", ifindex);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * Make the carpdev's filter accept frames for a shared MAC (dev_mc_add or
 * dev_uc_add in the kernel, as `ip maddr add` does for a multicast one).
 * Bound to the socket: the kernel takes it back when the socket closes,
 * also when carpd dies.
 */
int
carp_net_arp_member(int fd, int ifindex, const uint8_t mac[6], int add)
{
	struct packet_mreq mr;

	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = ifindex;
	mr.mr_type = (mac[0] & 1) ? PACKET_MR_MULTICAST : PACKET_MR_UNICAST;
	mr.mr_alen = ETH_ALEN;
	memcpy(mr.mr_address, mac, ETH_ALEN);
	if (setsockopt(fd, SOL_PACKET,
	    add ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP,
	    &mr, sizeof(mr)) == -1) {
		log_warn("carp_net: %s %02x:%02x:%02x:%02x:%02x:%02x on "
		    "ifindex %d", add ? "add" : "drop", mac[0], mac[1], mac[2],
		    mac[3], mac[4], mac[5], ifindex);
		return -1;
	}
	return 0;
}

int
carp_net_arp_read(int fd, uint8_t *buf, size_t cap, size_t *len)
{
	struct sockaddr_ll from;
	socklen_t fromlen = sizeof(from);
	ssize_t n;

	for (;;) {
		n = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			log_warn("carp_net: ARP socket read");
			return -1;
		}
		/* a tap also sees what this host sends, our answers too */
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		*len = (size_t)n;
		return 1;
	}
}
