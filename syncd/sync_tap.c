/*
 * sync_tap.c: the watch tap (shell), the only syncd file using libnl. See
 * sync_net.h. OpenBSD shows state changes by "tcpdump on the pfsync
 * interface" (issue 3 item 8); Linux has no pfsync interface, so syncd
 * makes a `dummy` link and transmits a copy of every frame on it through
 * an AF_PACKET socket: capture taps see the copy on its way out, the dummy
 * frees it, and nothing is ever received by the stack (a TUN device would
 * hand each copy to the kernel as input). A kernel built without the dummy
 * driver gets an ifb instead, which behaves the same for this.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>		/* before <linux/if.h>, which then skips */
				/* what glibc already defined (libc-compat) */
#include <arpa/inet.h>
#include <netinet/ip.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>

#include "buf.h"
#include "log.h"
#include "sync_net.h"
#include "sync_wire.h"

/* Large enough for any frame we build (SYNC_MAX_FRAME) plus its IPv4
 * header; a packet socket refuses what exceeds the link's MTU. */
#define TAP_MTU		65535
#define TAP_TXQLEN	1000
#define TAP_HDR_LEN	(ETH_HLEN + 20)
#define TAP_MAX_FRAME	(65535 - 20)	/* IPv4 total length is 16 bits */

struct sync_tap {
	int		fd;		/* AF_PACKET, bound to the dummy */
	int		ifindex;
	uint8_t		mac[ETH_ALEN];	/* the dummy's, as source */
	uint16_t	ip_id;
	int		warned;		/* one log line for failing copies */
	char		name[IFNAMSIZ];
};

/* 224.0.0.240 mapped to Ethernet (RFC 1112 6.4), as a pfsync packet. */
static const uint8_t tap_group_mac[ETH_ALEN] = {
	0x01, 0x00, 0x5e, 0x00, 0x00, 0xf0
};

static void
tap_nlwarn(const char *what, const char *name, int err)
{
	log_warnx("sync_tap: %s %s: %s", what, name, nl_geterror(err));
}

static struct nl_sock *
tap_nl_open(void)
{
	struct nl_sock	*sk;
	int		 err;

	if ((sk = nl_socket_alloc()) == NULL) {
		log_warnx("sync_tap: netlink socket: out of memory");
		return NULL;
	}
	if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		tap_nlwarn("connect", "NETLINK_ROUTE", err);
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

/*
 * The existing link `name`: 1 and *out if it is a dummy (reused), 0 if
 * there is none, -1 if it is another kind of link: a config typo
 * (pfsync-if eth0) must never turn a real interface into our tap.
 */
static int
tap_existing(struct nl_sock *sk, const char *name, struct rtnl_link **out)
{
	const char	*kind;
	int		 err;

	*out = NULL;
	err = rtnl_link_get_kernel(sk, 0, name, out);
	if (err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND)
		return 0;
	if (err < 0) {
		tap_nlwarn("look up", name, err);
		return -1;
	}
	kind = rtnl_link_get_type(*out);
	if (kind != NULL && (strcmp(kind, "dummy") == 0 ||
	    strcmp(kind, "ifb") == 0))
		return 1;
	log_warnx("sync_tap: %s exists and is not a dummy link (%s), "
	    "not using it", name, kind ? kind : "no kind");
	rtnl_link_put(*out);
	*out = NULL;
	return -1;
}

/* RTM_NEWLINK of that kind: 0 (EEXIST from a racing creator is fine) or
 * the libnl error. */
static int
tap_add(struct nl_sock *sk, const char *name, const char *kind)
{
	struct rtnl_link	*l;
	int			 err;

	if ((l = rtnl_link_alloc()) == NULL)
		return -NLE_NOMEM;
	rtnl_link_set_name(l, name);
	if ((err = rtnl_link_set_type(l, kind)) == 0)
		err = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	return err == -NLE_EXIST ? 0 : err;
}

/*
 * A dummy; on a kernel built without the dummy driver (EOPNOTSUPP), an
 * ifb, which serves the same: it drops what is sent on it unless tc
 * redirected it there, after the capture taps have seen it.
 */
static int
tap_create(struct nl_sock *sk, const char *name)
{
	int	 err;

	if ((err = tap_add(sk, name, "dummy")) == -NLE_OPNOTSUPP) {
		log_notice("sync_tap: the kernel has no dummy links, "
		    "making %s an ifb", name);
		err = tap_add(sk, name, "ifb");
	}
	if (err < 0) {
		tap_nlwarn("create dummy", name, err);
		return -1;
	}
	return 0;
}

static int
tap_change(struct nl_sock *sk, int ifindex, struct rtnl_link *ch,
    const char *what, const char *name)
{
	struct rtnl_link	*orig;
	int			 err;

	if ((orig = rtnl_link_alloc()) == NULL) {
		log_warnx("sync_tap: %s %s: out of memory", what, name);
		return -NLE_NOMEM;
	}
	rtnl_link_set_ifindex(orig, ifindex);
	err = rtnl_link_change(sk, orig, ch, 0);
	rtnl_link_put(orig);
	return err;
}

/*
 * No IPv6 address generation, so the link never gets a link-local and
 * sends no DAD or router solicitation: a capture on it shows our copies
 * only. Sent before IFF_UP, on its own: the kernel refuses IFLA_INET6 at
 * creation, and on a host without IPv6 it fails (EAFNOSUPPORT) while no
 * link-local can appear anyway.
 */
static int
tap_configure(struct nl_sock *sk, struct rtnl_link *cur, const char *name)
{
	struct rtnl_link	*ch;
	int			 idx = rtnl_link_get_ifindex(cur), err;

	if ((ch = rtnl_link_alloc()) == NULL) {
		log_warnx("sync_tap: configure %s: out of memory", name);
		return -1;
	}
	err = rtnl_link_inet6_set_addr_gen_mode(ch, IN6_ADDR_GEN_MODE_NONE);
	if (err == 0)
		err = tap_change(sk, idx, ch, "configure", name);
	rtnl_link_put(ch);
	if (err < 0 && err != -NLE_AF_NOSUPPORT)
		tap_nlwarn("disable IPv6 addresses on", name, err);
	if ((ch = rtnl_link_alloc()) == NULL) {
		log_warnx("sync_tap: configure %s: out of memory", name);
		return -1;
	}
	if (rtnl_link_get_mtu(cur) < TAP_MTU)
		rtnl_link_set_mtu(ch, TAP_MTU);
	/* an ifb queues (32 by default): room for a burst of copies */
	if (rtnl_link_get_txqlen(cur) < TAP_TXQLEN)
		rtnl_link_set_txqlen(ch, TAP_TXQLEN);
	rtnl_link_set_flags(ch, IFF_UP);
	err = tap_change(sk, idx, ch, "set up", name);
	rtnl_link_put(ch);
	if (err < 0) {
		tap_nlwarn("set up", name, err);
		return -1;
	}
	return 0;
}

/* Find or make the dummy, configure it, note its ifindex and MAC. */
static int
tap_link(struct nl_sock *sk, struct sync_tap *t, int *created)
{
	struct rtnl_link	*l;
	struct nl_addr		*a;
	int			 r;

	*created = 0;
	if ((r = tap_existing(sk, t->name, &l)) == -1)
		return -1;
	if (r == 0) {
		if (tap_create(sk, t->name) == -1 ||
		    tap_existing(sk, t->name, &l) != 1)
			return -1;
		*created = 1;
		log_info("sync_tap: created %s link %s",
		    rtnl_link_get_type(l), t->name);
	}
	t->ifindex = rtnl_link_get_ifindex(l);
	a = rtnl_link_get_addr(l);
	if (a != NULL && nl_addr_get_len(a) == ETH_ALEN)
		memcpy(t->mac, nl_addr_get_binary_addr(a), ETH_ALEN);
	r = tap_configure(sk, l, t->name);
	rtnl_link_put(l);
	return r;
}

static int
tap_link_delete(struct nl_sock *sk, int ifindex, const char *name)
{
	struct rtnl_link	*l;
	int			 err;

	if ((l = rtnl_link_alloc()) == NULL) {
		log_warnx("sync_tap: delete %s: out of memory", name);
		return -1;
	}
	rtnl_link_set_ifindex(l, ifindex);
	err = rtnl_link_delete(sk, l);
	rtnl_link_put(l);
	if (err < 0 && err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND) {
		tap_nlwarn("delete", name, err);
		return -1;
	}
	return 0;
}

/*
 * Protocol 0: the socket is bound to the dummy for sending and takes no
 * frames in, so nothing queues up on it.
 */
static int
tap_socket(const struct sync_tap *t)
{
	struct sockaddr_ll	 ll;
	int			 fd;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("sync_tap: socket(AF_PACKET)");
		return -1;
	}
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_ifindex = t->ifindex;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) == -1) {
		log_warn("sync_tap: bind packet socket to %s", t->name);
		close(fd);
		return -1;
	}
	return fd;
}

struct sync_tap *
sync_tap_open(const char *name)
{
	struct sync_tap	*t;
	struct nl_sock	*sk;
	int		 created = 0, ok;

	if (name == NULL || name[0] == '\0' || strlen(name) >= IFNAMSIZ) {
		log_warnx("sync_tap: bad interface name \"%s\"",
		    name ? name : "");
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL) {
		log_warn("sync_tap: open");
		return NULL;
	}
	t->fd = -1;
	memcpy(t->name, name, strlen(name) + 1);
	if ((sk = tap_nl_open()) == NULL) {
		free(t);
		return NULL;
	}
	ok = tap_link(sk, t, &created) == 0 && (t->fd = tap_socket(t)) != -1;
	if (!ok && created)
		tap_link_delete(sk, t->ifindex, t->name);
	nl_socket_free(sk);
	if (!ok) {
		log_warnx("sync_tap: no watch tap on %s", name);
		free(t);
		return NULL;
	}
	return t;
}

void
sync_tap_close(struct sync_tap *t, int delete_link)
{
	struct nl_sock	*sk;

	if (t == NULL)
		return;
	close(t->fd);
	if (delete_link && (sk = tap_nl_open()) != NULL) {
		tap_link_delete(sk, t->ifindex, t->name);
		nl_socket_free(sk);
	}
	free(t);
}

/*
 * Ethernet to the group MAC, then IPv4 as pfsync_up() builds it: TOS
 * lowdelay, DF, TTL 255, protocol 240, a correct header checksum (byte by
 * byte: struct iphdr's bitfields depend on the host's byte order).
 */
static void
tap_header(struct sync_tap *t, uint8_t hdr[TAP_HDR_LEN], const uint8_t src4[4],
    const uint8_t dst4[4], size_t len)
{
	static const uint8_t	 none[4];
	struct buf_writer	 w;

	bw_init(&w, hdr, TAP_HDR_LEN);
	bw_bytes(&w, tap_group_mac, ETH_ALEN);
	bw_bytes(&w, t->mac, ETH_ALEN);
	bw_u16be(&w, ETH_P_IP);
	bw_u8(&w, 0x45);			/* version 4, 5 words */
	bw_u8(&w, IPTOS_LOWDELAY);
	bw_u16be(&w, (uint16_t)(20 + len));
	bw_u16be(&w, t->ip_id++);
	bw_u16be(&w, IP_DF);
	bw_u8(&w, SYNC_TTL);
	bw_u8(&w, SYNC_PROTO);
	bw_u16be(&w, 0);			/* checksum, below */
	bw_bytes(&w, src4 != NULL ? src4 : none, 4);
	bw_bytes(&w, dst4 != NULL ? dst4 : none, 4);
	w.off = ETH_HLEN + 10;
	bw_u16be(&w, in_cksum(hdr + ETH_HLEN, 20));
}

void
sync_tap_copy(struct sync_tap *t, const uint8_t src4[4], const uint8_t dst4[4],
    const uint8_t *frame, size_t len)
{
	uint8_t			 hdr[TAP_HDR_LEN];
	struct iovec		 iov[2];
	struct sockaddr_ll	 ll;
	struct msghdr		 msg;

	if (t == NULL || frame == NULL || len == 0 || len > TAP_MAX_FRAME)
		return;
	tap_header(t, hdr, src4, dst4, len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)frame;
	iov[1].iov_len = len;
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_ifindex = t->ifindex;
	ll.sll_halen = ETH_ALEN;
	memcpy(ll.sll_addr, tap_group_mac, ETH_ALEN);
	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &ll;
	msg.msg_namelen = sizeof(ll);
	msg.msg_iov = iov;
	msg.msg_iovlen = 2;
	/* Best effort: a lost copy costs the watcher one line, never a
	 * frame; say so once rather than per frame. */
	if (sendmsg(t->fd, &msg, 0) == -1 && !t->warned) {
		log_warn("sync_tap: copy to %s (further failures not logged)",
		    t->name);
		t->warned = 1;
	}
}
