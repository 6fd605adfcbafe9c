/*
 * sync_link.c: syncd's links, through libnl-route (the only syncd file
 * that includes libnl). See sync_link.h. Two concerns, one library:
 *
 * The watch tap. OpenBSD shows state changes by "tcpdump on the pfsync
 * interface" (issue 3 item 8); Linux has no pfsync interface, so syncd
 * makes a `dummy` link and transmits a copy of every frame on it through
 * an AF_PACKET socket: capture taps see the copy on its way out, the dummy
 * frees it, and nothing is ever received by the stack (a TUN device would
 * hand each copy to the kernel as input). A kernel built without the dummy
 * driver gets an ifb instead, which behaves the same for this.
 *
 * syncdev's carrier and addresses. A monitor socket subscribed to link and
 * address events; after each burst of events about syncdev (or an
 * overrun, which may have lost any of them) the link and its addresses are
 * read again from the kernel, so what we hold is never an accumulation of
 * deltas that a lost event could have made wrong. Never sysfs polling.
 */
#include <sys/socket.h>
#include <sys/uio.h>
#include <net/if.h>		/* before <linux/if.h>, which then skips */
				/* what glibc already defined (libc-compat) */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <linux/rtnetlink.h>

#include <event2/event.h>

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>

#include "log.h"
#include "sync_link.h"
#include "sync_pkt.h"

/* Large enough for any frame we build (SYNC_MAX_FRAME) plus its IP
 * header; a packet socket refuses what exceeds the link's MTU. */
#define TAP_MTU		65535
#define TAP_TXQLEN	1000

struct sync_tap {
	int		fd;		/* AF_PACKET, bound to the dummy */
	int		ifindex;
	uint8_t		mac[ETH_ALEN];	/* the dummy's, as source */
	uint16_t	ip_id;
	int		warned;		/* one log line for failing copies */
	char		name[IFNAMSIZ];
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
 * Ethernet, then IP as pfsync_up() builds it (sync_pkt.c): to the group's
 * MAC for 224.0.0.240, to the dummy's own for a unicast peer.
 */
void
sync_tap_copy(struct sync_tap *t, const struct sync_pkt_addr *a,
    const uint8_t *frame, size_t len)
{
	uint8_t			 hdr[SYNC_PKT_MAX_HDR];
	struct iovec		 iov[2];
	struct sockaddr_ll	 ll;
	struct msghdr		 msg;
	size_t			 hlen;

	if (t == NULL || frame == NULL || len == 0 ||
	    len > SYNC_PKT_MAX_FRAME ||
	    (hlen = sync_pkt_header(hdr, sizeof(hdr), a, t->mac, t->mac,
	    t->ip_id++, len)) == 0)
		return;
	iov[0].iov_base = hdr;
	iov[0].iov_len = hlen;
	iov[1].iov_base = (void *)frame;
	iov[1].iov_len = len;
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(a->af == AF_INET ? ETH_P_IP : ETH_P_IPV6);
	ll.sll_ifindex = t->ifindex;
	ll.sll_halen = ETH_ALEN;
	memcpy(ll.sll_addr, hdr, ETH_ALEN);
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

/* ------------------------------------------------------------------ */
/* syncdev: carrier and addresses                                      */

/* Monitor buffer: a burst of address events (a DHCP renewal on many
 * links) must not overrun it; an overrun is repaired by a full re-read. */
#define LINK_RCVBUF		(256 * 1024)
#define LINK_READ_BURST		64
#define LINK_MAX_ADDRS		16	/* kept for the source of copies */

struct link_addr {
	int		af;
	int		ll;		/* link-local */
	uint8_t		a[16];
};

struct sync_link {
	struct nl_sock		*sk;		/* requests */
	struct nl_sock		*mon;		/* link + address events */
	struct event		*ev;
	char			 dev[IFNAMSIZ];
	int			 ifindex;	/* 0 while syncdev is missing */
	int			 carrier;	/* last reported */
	int			 dirty_link, dirty_addr;
	void			(*carrier_cb)(struct syncd *, int);
	struct syncd		*arg;
	struct sync_local	 local;
	struct link_addr	 addrs[LINK_MAX_ADDRS];
	int			 naddrs;
};

static int
link_running(struct rtnl_link *l)
{
	unsigned int	 flags = rtnl_link_get_flags(l);

	/* IFF_LOWER_UP is the kernel's netif_carrier_ok(); a link that is
	 * administratively down passes nothing either. */
	return (flags & IFF_UP) && (flags & IFF_LOWER_UP);
}

/* Read syncdev again; a missing syncdev has no carrier. */
static void
link_reread(struct sync_link *sl)
{
	struct rtnl_link	*l = NULL;
	int			 err, up = 0, idx = 0;

	err = rtnl_link_get_kernel(sl->sk, 0, sl->dev, &l);
	if (err == 0) {
		idx = rtnl_link_get_ifindex(l);
		up = link_running(l);
		rtnl_link_put(l);
	} else if (err != -NLE_NODEV && err != -NLE_OBJ_NOTFOUND) {
		log_warnx("syncdev %s: look up: %s", sl->dev,
		    nl_geterror(err));
		return;			/* keep what we knew */
	}
	if (idx != sl->ifindex)
		sl->dirty_addr = 1;	/* a new syncdev: other addresses */
	sl->ifindex = idx;
	if (up != sl->carrier) {
		sl->carrier = up;
		log_notice("syncdev %s: carrier %s", sl->dev,
		    up ? "up" : "lost");
		if (sl->carrier_cb != NULL)
			sl->carrier_cb(sl->arg, up);
	}
}

static void
addr_note(struct sync_link *sl, struct rtnl_addr *ra)
{
	struct nl_addr		*a = rtnl_addr_get_local(ra), *peer;
	int			 af = rtnl_addr_get_family(ra);
	size_t			 alen = af == AF_INET ? 4 : 16;
	struct link_addr	*la;

	if ((af != AF_INET && af != AF_INET6) || a == NULL ||
	    nl_addr_get_len(a) != alen)
		return;
	if (sync_local_add(&sl->local, af, nl_addr_get_binary_addr(a),
	    rtnl_addr_get_prefixlen(ra)) == -1 && sl->local.full)
		log_warnx("syncdev %s: more than %d prefixes; the rest of "
		    "its connections may be synced", sl->dev, SYNC_MAX_LOCAL);
	/* point-to-point: the far end's prefix is on the link too */
	peer = rtnl_addr_get_peer(ra);
	if (peer != NULL && nl_addr_get_len(peer) == alen)
		(void)sync_local_add(&sl->local, af,
		    nl_addr_get_binary_addr(peer), nl_addr_get_prefixlen(peer));
	if (sl->naddrs == LINK_MAX_ADDRS)
		return;
	la = &sl->addrs[sl->naddrs++];
	memset(la, 0, sizeof(*la));
	la->af = af;
	memcpy(la->a, nl_addr_get_binary_addr(a), alen);
	la->ll = rtnl_addr_get_scope(ra) == RT_SCOPE_LINK;
}

/* Read syncdev's addresses again (the cache lives for this call only). */
static void
addr_reread(struct sync_link *sl)
{
	struct nl_cache		*cache;
	struct nl_object	*o;
	int			 err;

	if ((err = rtnl_addr_alloc_cache(sl->sk, &cache)) < 0) {
		log_warnx("syncdev %s: read addresses: %s", sl->dev,
		    nl_geterror(err));
		return;			/* dirty stays set: retried next time */
	}
	sl->dirty_addr = 0;
	sync_local_clear(&sl->local);
	sl->naddrs = 0;
	for (o = nl_cache_get_first(cache); o != NULL;
	    o = nl_cache_get_next(o))
		if (sl->ifindex != 0 &&
		    rtnl_addr_get_ifindex((struct rtnl_addr *)o) == sl->ifindex)
			addr_note(sl, (struct rtnl_addr *)o);
	nl_cache_free(cache);
	log_info("syncdev %s: %d addresses, %d prefixes not synced", sl->dev,
	    sl->naddrs, sl->local.n);
}

/* Mark what an event is about; the re-read comes after the burst. */
static int
link_msg(struct nl_msg *msg, void *arg)
{
	struct sync_link	*sl = arg;
	struct nlmsghdr		*h = nlmsg_hdr(msg);
	struct ifaddrmsg	*ifa;

	switch (h->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		sl->dirty_link = 1;	/* by name: syncdev may be new */
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
			break;
		ifa = nlmsg_data(h);
		if ((int)ifa->ifa_index == sl->ifindex)
			sl->dirty_addr = 1;
		break;
	default:
		break;
	}
	return NL_OK;
}

static void
link_refresh(struct sync_link *sl)
{
	if (sl->dirty_link) {
		sl->dirty_link = 0;
		link_reread(sl);
	}
	if (sl->dirty_addr)
		addr_reread(sl);
}

static void
link_read_cb(int fd, short what, void *arg)
{
	struct sync_link	*sl = arg;
	struct nl_cb		*cb;
	int			 i, n;

	(void)fd;
	(void)what;
	if ((cb = nl_socket_get_cb(sl->mon)) == NULL)
		return;
	for (i = 0; i < LINK_READ_BURST; i++) {
		/* > 0 messages read, 0 nothing left (EAGAIN) */
		if ((n = nl_recvmsgs_report(sl->mon, cb)) > 0)
			continue;
		if (n == -NLE_NOMEM) {
			/* ENOBUFS: events were lost, any of them ours */
			log_warnx("syncdev %s: link monitor overrun; "
			    "reading the link again", sl->dev);
			sl->dirty_link = sl->dirty_addr = 1;
			continue;
		}
		if (n < 0 && n != -NLE_AGAIN)
			log_warnx("syncdev %s: link monitor: %s", sl->dev,
			    nl_geterror(n));
		break;
	}
	nl_cb_put(cb);
	link_refresh(sl);
}

static int
link_monitor(struct sync_link *sl)
{
	int	 err, size = LINK_RCVBUF;

	nl_socket_disable_seq_check(sl->mon);
	nl_socket_modify_cb(sl->mon, NL_CB_VALID, NL_CB_CUSTOM, link_msg, sl);
	if ((err = nl_connect(sl->mon, NETLINK_ROUTE)) < 0 ||
	    (err = nl_socket_add_memberships(sl->mon, RTNLGRP_LINK,
	    RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0)) < 0 ||
	    (err = nl_socket_set_nonblocking(sl->mon)) < 0 ||
	    (err = nl_socket_set_buffer_size(sl->mon, LINK_RCVBUF, 0)) < 0) {
		log_warnx("syncdev %s: monitor: %s", sl->dev,
		    nl_geterror(err));
		return -1;
	}
	/* beyond rmem_max if we may; SO_RCVBUF above stays if not */
	(void)setsockopt(nl_socket_get_fd(sl->mon), SOL_SOCKET,
	    SO_RCVBUFFORCE, &size, sizeof(size));
	return 0;
}

struct sync_link *
sync_link_open(struct event_base *base, const char *syncdev,
    void (*carrier)(struct syncd *, int), struct syncd *arg)
{
	struct sync_link	*sl;

	if ((sl = calloc(1, sizeof(*sl))) == NULL) {
		log_warn("sync_link: open");
		return NULL;
	}
	snprintf(sl->dev, sizeof(sl->dev), "%s", syncdev);
	sl->carrier = 1;	/* so that only a missing carrier is reported */
	if ((sl->sk = tap_nl_open()) == NULL ||
	    (sl->mon = nl_socket_alloc()) == NULL || link_monitor(sl) == -1 ||
	    (sl->ev = event_new(base, nl_socket_get_fd(sl->mon),
	    EV_READ | EV_PERSIST, link_read_cb, sl)) == NULL) {
		log_warnx("syncdev %s: not monitored: its carrier is not "
		    "followed and its connections are not told apart", syncdev);
		sync_link_close(sl);
		return NULL;
	}
	event_add(sl->ev, NULL);
	/* subscribed first, then read: no change falls in between */
	sl->dirty_link = sl->dirty_addr = 1;
	link_refresh(sl);
	sl->carrier_cb = carrier;
	sl->arg = arg;
	if (!sl->carrier && carrier != NULL)
		carrier(arg, 0);
	return sl;
}

void
sync_link_close(struct sync_link *sl)
{
	if (sl == NULL)
		return;
	if (sl->ev != NULL)
		event_free(sl->ev);
	if (sl->mon != NULL)
		nl_socket_free(sl->mon);
	if (sl->sk != NULL)
		nl_socket_free(sl->sk);
	free(sl);
}

const struct sync_local *
sync_link_local(const struct sync_link *sl)
{
	return sl != NULL ? &sl->local : NULL;
}

int
sync_link_carrier(const struct sync_link *sl)
{
	return sl != NULL ? sl->carrier : -1;
}

int
sync_link_source(const struct sync_link *sl, int af, int want_ll,
    uint8_t out[16])
{
	int	 i, best = -1;

	memset(out, 0, 16);
	for (i = 0; sl != NULL && i < sl->naddrs; i++) {
		if (sl->addrs[i].af != af)
			continue;
		if (best == -1 || (sl->addrs[i].ll == want_ll &&
		    sl->addrs[best].ll != want_ll))
			best = i;
	}
	if (best == -1)
		return -1;
	memcpy(out, sl->addrs[best].a, af == AF_INET ? 4 : 16);
	return 0;
}
