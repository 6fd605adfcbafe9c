/*
 * sync_net.c: syncd's raw IP protocol 240 sockets (shell). See sync_net.h.
 *
 * One raw socket per family both sends and receives: bound to syncdev
 * (SO_BINDTODEVICE), so the kernel hands us only what arrived there and
 * routes what we send out of it, as pfsync's imo_ifidx = syncdev
 * (pfsync-conntrack.md 1.1). The IPv4 socket always exists; the IPv6 one
 * only for an IPv6 syncpeer (pfsync has no IPv6 group).
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sync_net.h"
#include "sync_wire.h"

/*
 * The receive buffer of each raw socket. The default (rmem_default,
 * ~208 KiB, some 90 full frames) overflows when a peer answers a bulk
 * request or a burst of new connections: the kernel then drops frames
 * silently (/proc/net/raw "drops"), the receiver sees a gap and asks
 * for them again. 32 MiB holds a 100,000-state bulk (some 9,000 frames of
 * ~2.3 KiB each in socket memory) should the receiver fall behind.
 */
#define SYNC_NET_RCVBUF		(32 * 1024 * 1024)

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif

struct sync_net {
	int		fd4;
	int		fd6;		/* -1 unless the peer is IPv6 */
	int		ifindex;	/* syncdev */
	int		peer_af;	/* 0 = the IPv4 group */
	uint8_t		peer[16];
	char		dev[IFNAMSIZ];
};

static int
setopt_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)) == -1) {
		log_warn("sync_net: setsockopt %s", what);
		return -1;
	}
	return 0;
}

static int
raw_open(struct sync_net *n, int af)
{
	int	 fd;

	fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, SYNC_PROTO);
	if (fd == -1) {
		log_warn("sync_net: socket(%s, SOCK_RAW, %d)",
		    af == AF_INET ? "AF_INET" : "AF_INET6", SYNC_PROTO);
		return -1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, n->dev,
	    strlen(n->dev) + 1) == -1) {
		log_warn("sync_net: SO_BINDTODEVICE %s", n->dev);
		close(fd);
		return -1;
	}
	/* SO_RCVBUFFORCE (CAP_NET_ADMIN) goes past rmem_max; else what it
	 * allows. A smaller buffer is no reason not to run. */
	if (setopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, SYNC_NET_RCVBUF,
	    "SO_RCVBUFFORCE") == -1)
		setopt_int(fd, SOL_SOCKET, SO_RCVBUF, SYNC_NET_RCVBUF,
		    "SO_RCVBUF");
	return fd;
}

/*
 * pfsync_up()'s IP template: TTL 255 unicast and multicast (the receiver
 * requires it: a GTSM-style guard), TOS IPTOS_LOWDELAY, DF, loop off.
 * IP_PKTINFO gives the arrival interface for the badif check.
 */
static int
v4_options(struct sync_net *n, int fd)
{
	struct ip_mreqn	 mr;

	if (setopt_int(fd, IPPROTO_IP, IP_TTL, SYNC_TTL, "IP_TTL") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, SYNC_TTL,
	    "IP_MULTICAST_TTL") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_TOS, IPTOS_LOWDELAY, "IP_TOS") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO,
	    "IP_MTU_DISCOVER") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0,
	    "IP_MULTICAST_LOOP") == -1 ||
	    setopt_int(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO") == -1)
		return -1;
	/* Without MULTICAST_ALL=0 a raw socket gets every group any socket
	 * on the host joined (carpd's 224.0.0.18 included). */
	if (setopt_int(fd, IPPROTO_IP, IP_MULTICAST_ALL, 0,
	    "IP_MULTICAST_ALL") == -1)
		return -1;
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = n->ifindex;
	if (setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
	    sizeof(mr)) == -1) {
		log_warn("sync_net: IP_MULTICAST_IF %s", n->dev);
		return -1;
	}
	if (n->peer_af != 0)
		return 0;	/* syncpeer: unicast only, no group (pfsync) */
	inet_pton(AF_INET, SYNC_GROUP_V4, &mr.imr_multiaddr);
	if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) == -1) {
		log_warn("sync_net: join %s on %s", SYNC_GROUP_V4, n->dev);
		return -1;
	}
	return 0;
}

/*
 * The IPv6 analogue. No IPV6_DONTFRAG: a frame too large for the link is
 * fragmented by this host rather than lost. The hop limit and the arrival
 * interface come as ancillary data (no IP header on IPv6 raw sockets).
 */
static int
v6_options(int fd)
{
	if (setopt_int(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, SYNC_TTL,
	    "IPV6_UNICAST_HOPS") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, SYNC_TTL,
	    "IPV6_MULTICAST_HOPS") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_TCLASS, IPTOS_LOWDELAY,
	    "IPV6_TCLASS") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0,
	    "IPV6_MULTICAST_LOOP") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0,
	    "IPV6_MULTICAST_ALL") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1,
	    "IPV6_RECVHOPLIMIT") == -1 ||
	    setopt_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1,
	    "IPV6_RECVPKTINFO") == -1)
		return -1;
	return 0;
}

struct sync_net *
sync_net_open(const char *syncdev, int peer_af, const uint8_t peer[16])
{
	struct sync_net	*n;

	if (peer_af != 0 && peer_af != AF_INET && peer_af != AF_INET6) {
		log_warnx("sync_net: address family %d not supported", peer_af);
		return NULL;
	}
	if (strlen(syncdev) >= IFNAMSIZ) {
		log_warnx("sync_net: interface name too long: %s", syncdev);
		return NULL;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		log_warn("sync_net: open");
		return NULL;
	}
	n->fd4 = n->fd6 = -1;
	n->peer_af = peer_af;
	if (peer_af != 0)
		memcpy(n->peer, peer, peer_af == AF_INET ? 4 : 16);
	memcpy(n->dev, syncdev, strlen(syncdev) + 1);
	if ((n->ifindex = (int)if_nametoindex(syncdev)) == 0) {
		log_warn("sync_net: syncdev %s", syncdev);
		goto fail;
	}
	if ((n->fd4 = raw_open(n, AF_INET)) == -1 || v4_options(n, n->fd4) == -1)
		goto fail;
	if (peer_af == AF_INET6 && ((n->fd6 = raw_open(n, AF_INET6)) == -1 ||
	    v6_options(n->fd6) == -1))
		goto fail;
	return n;
fail:
	sync_net_close(n);
	return NULL;
}

void
sync_net_close(struct sync_net *n)
{
	if (n == NULL)
		return;
	if (n->fd4 != -1)
		close(n->fd4);
	if (n->fd6 != -1)
		close(n->fd6);
	free(n);
}

int
sync_net_fd4(const struct sync_net *n)
{
	return n->fd4;
}

int
sync_net_fd6(const struct sync_net *n)
{
	return n->fd6;
}

size_t
sync_net_max_frame(const struct sync_net *n)
{
	struct ifreq	 ifr;
	size_t		 iphdr = n->peer_af == AF_INET6 ? 40 : 20;
	size_t		 mtu;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, n->dev, sizeof(ifr.ifr_name));
	if (ioctl(n->fd4, SIOCGIFMTU, &ifr) == -1 || ifr.ifr_mtu <= 0) {
		log_warn("sync_net: MTU of %s", n->dev);
		mtu = 1280;	/* the IPv6 minimum: fits anywhere */
	} else
		mtu = (size_t)ifr.ifr_mtu;
	if (mtu > 65535)
		mtu = 65535;
	mtu = mtu > iphdr + SYNC_HDR_LEN + SYNC_MAC_LEN ? mtu - iphdr :
	    SYNC_HDR_LEN + SYNC_MAC_LEN;
	return mtu < SYNC_MAX_FRAME ? mtu : SYNC_MAX_FRAME;
}

/* ---- receive -------------------------------------------------------- */

struct rx_meta {
	int	ifindex;	/* 0: the kernel did not say */
	int	hoplimit;	/* IPv6; -1: the kernel did not say */
};

static void
rx_cmsgs(struct msghdr *msg, struct rx_meta *m)
{
	struct cmsghdr		*c;
	struct in_pktinfo	 pi4;
	struct in6_pktinfo	 pi6;

	m->ifindex = 0;
	m->hoplimit = -1;
	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi4))) {
			memcpy(&pi4, CMSG_DATA(c), sizeof(pi4));
			m->ifindex = pi4.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			m->ifindex = (int)pi6.ipi6_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_HOPLIMIT &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&m->hoplimit, CMSG_DATA(c), sizeof(int));
	}
}

/*
 * An IPv4 raw socket returns the IP header too: the TTL is read from it
 * (pfsync_input). A datagram longer than cap is cut to cap: the frame's
 * own len then exceeds what we pass on and sync_frame_check drops it as
 * badlen, so truncation is counted, not hidden.
 */
static enum sync_rx_verdict
rx_v4(const struct sync_net *n, uint8_t *buf, size_t got,
    const struct rx_meta *m, struct sync_rx *rx)
{
	size_t	 hl, tot;

	if (got < 20 || (buf[0] >> 4) != 4)
		return SYNC_RX_SHORT;
	hl = (size_t)(buf[0] & 0x0f) * 4;
	tot = (size_t)buf[2] << 8 | buf[3];
	if (hl < 20 || hl > got || tot < hl)
		return SYNC_RX_SHORT;
	memcpy(rx->src, buf + 12, 4);
	if (tot < got)
		got = tot;	/* link-layer padding is not ours */
	rx->frame = buf + hl;
	rx->len = got - hl;
	if (m->ifindex != n->ifindex)
		return SYNC_RX_BADIF;
	return buf[8] == SYNC_TTL ? SYNC_RX_OK : SYNC_RX_BADTTL;
}

static enum sync_rx_verdict
rx_v6(const struct sync_net *n, uint8_t *buf, size_t got,
    const struct sockaddr_in6 *from, const struct rx_meta *m,
    struct sync_rx *rx)
{
	memcpy(rx->src, &from->sin6_addr, 16);
	rx->frame = buf;
	rx->len = got;
	if (m->ifindex != n->ifindex)
		return SYNC_RX_BADIF;
	return m->hoplimit == SYNC_TTL ? SYNC_RX_OK : SYNC_RX_BADTTL;
}

/*
 * recvmsg errors. EAGAIN: nothing there. ICMP errors (a unicast peer
 * whose syncd is down answers "protocol unreachable") never show up
 * here: the kernel reports them on a raw socket only if it is connected
 * or has IP_RECVERR, and ours has neither.
 */
static enum sync_rx_verdict
rx_errno(const struct sync_net *n)
{
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return SYNC_RX_NONE;
	log_warn("sync_net: recvmsg on %s", n->dev);
	return SYNC_RX_ERROR;
}

enum sync_rx_verdict
sync_net_recv(struct sync_net *n, int fd, uint8_t *buf, size_t cap,
    struct sync_rx *rx)
{
	struct sockaddr_in6	 from;
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
				    CMSG_SPACE(sizeof(int)) + 64];
	} cbuf;
	struct iovec		 iov = { buf, cap };
	struct msghdr		 msg;
	struct rx_meta		 m;
	ssize_t			 got;

	memset(rx, 0, sizeof(*rx));
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &from;
	msg.msg_namelen = sizeof(from);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cbuf.buf;
	msg.msg_controllen = sizeof(cbuf.buf);
	if ((got = recvmsg(fd, &msg, 0)) == -1)
		return rx_errno(n);
	rx_cmsgs(&msg, &m);
	if (fd == n->fd6) {
		rx->af = AF_INET6;
		return rx_v6(n, buf, (size_t)got, &from, &m, rx);
	}
	rx->af = AF_INET;
	return rx_v4(n, buf, (size_t)got, &m, rx);
}

/* ---- send ----------------------------------------------------------- */

int
sync_net_send(struct sync_net *n, const uint8_t *frame, size_t len)
{
	struct sockaddr_in	 to4;
	struct sockaddr_in6	 to6;
	ssize_t			 sent;

	if (n->peer_af == AF_INET6) {
		memset(&to6, 0, sizeof(to6));
		to6.sin6_family = AF_INET6;
		memcpy(&to6.sin6_addr, n->peer, 16);
		/* used by the kernel only for a link-local peer */
		to6.sin6_scope_id = (uint32_t)n->ifindex;
		sent = sendto(n->fd6, frame, len, 0, (struct sockaddr *)&to6,
		    sizeof(to6));
	} else {
		memset(&to4, 0, sizeof(to4));
		to4.sin_family = AF_INET;
		if (n->peer_af == AF_INET)
			memcpy(&to4.sin_addr, n->peer, 4);
		else
			inet_pton(AF_INET, SYNC_GROUP_V4, &to4.sin_addr);
		sent = sendto(n->fd4, frame, len, 0, (struct sockaddr *)&to4,
		    sizeof(to4));
	}
	if (sent == -1)
		return -1;
	if ((size_t)sent != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}
