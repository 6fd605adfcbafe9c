/*
 * carp_vip.c: carpd's kernel shell for links and addresses, through
 * libnl-route-3 (the only project file that includes libnl).
 *
 * Two netlink sockets: `sk` carries synchronous requests, each waiting for
 * the kernel's ack so every error is reported where it happens; `mon` is
 * non-blocking, subscribed to RTNLGRP_LINK and read from the event loop.
 * Links are looked up from the kernel on every call (rtnl_link_get_kernel)
 * or from a cache allocated for one call and freed: a long-lived cache
 * would go stale between monitor events.
 */
#include <sys/socket.h>
#include <net/if.h>		/* before <linux/if.h>, which then skips */
				/* what glibc already defined (libc-compat) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if.h>		/* IFF_LOWER_UP */
#include <linux/ip.h>		/* IPV4_DEVCONF_* */

#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/macvlan.h>

#include "carp_vip.h"
#include "log.h"

/*
 * Monitor receive buffer. A burst of link events (a switch reboot flapping
 * many VLANs) must not overrun it; keepalived forces its netlink buffers up
 * for the same reason. SO_RCVBUF is capped by net.core.rmem_max, so the
 * forced variant (CAP_NET_ADMIN) is tried as well.
 */
#define CARP_NL_RCVBUF		(1024 * 1024)
/* Datagrams read per carp_nl_monitor_read() call before yielding to the
 * event loop; the fd stays readable, so the rest comes next round. */
#define CARP_NL_READ_BURST	64

/* OpenBSD carp_set_vhe_enaddr: 00:00:5e:00:01:VHID (carp-protocol.md 1.3) */
static const uint8_t carp_vmac_prefix[5] = { 0x00, 0x00, 0x5e, 0x00, 0x01 };

struct carp_nl {
	struct nl_sock	*sk;		/* requests, acked one by one */
	struct nl_sock	*mon;		/* RTNLGRP_LINK, non-blocking */
	int		 resync;	/* events were lost: replay all links */
	void		(*cb)(void *, int, int);
	void		*cb_arg;
};

static void
nlwarn(const char *what, const char *obj, int err)
{
	log_warnx("carp_nl: %s %s: %s", what, obj, nl_geterror(err));
}

/* The kernel answers ENODEV (libnl: NLE_NODEV or NLE_OBJ_NOTFOUND) for a
 * link that does not exist. */
static int
nl_is_nodev(int err)
{
	return err == -NLE_NODEV || err == -NLE_OBJ_NOTFOUND;
}

static int
link_is_up(struct rtnl_link *l)
{
	unsigned int flags = rtnl_link_get_flags(l);

	/* IFF_LOWER_UP is the kernel's netif_carrier_ok(), set only while
	 * the link runs; both together mean frames can flow. */
	return (flags & IFF_UP) && (flags & IFF_LOWER_UP);
}

/*
 * Fresh lookup by ifindex (> 0) or by name. 1 and *out set (caller puts
 * it), 0 if there is no such link, -1 on error (logged).
 */
static int
link_get(struct carp_nl *nl, int ifindex, const char *name,
    struct rtnl_link **out)
{
	char	 idbuf[32];
	int	 err;

	*out = NULL;
	if (name != NULL && strlen(name) >= IFNAMSIZ) {
		log_warnx("carp_nl: interface name too long: %s", name);
		return -1;
	}
	err = rtnl_link_get_kernel(nl->sk, name ? 0 : ifindex, name, out);
	if (err == 0)
		return 1;
	if (nl_is_nodev(err))
		return 0;
	if (name == NULL) {
		snprintf(idbuf, sizeof(idbuf), "ifindex %d", ifindex);
		name = idbuf;
	}
	nlwarn("look up", name, err);
	return -1;
}

/* Like link_get, but a missing link is an error too. */
static int
link_need(struct carp_nl *nl, int ifindex, struct rtnl_link **out)
{
	int	 r;

	if ((r = link_get(nl, ifindex, NULL, out)) == 0)
		log_warnx("carp_nl: no link with ifindex %d", ifindex);
	return r == 1 ? 0 : -1;
}

/* Send `changes` for the link at ifindex; only the attributes and flag
 * bits set in `changes` are touched (ifi_change masks the flags). */
static int
link_change(struct carp_nl *nl, int ifindex, struct rtnl_link *changes,
    const char *what)
{
	struct rtnl_link	*orig;
	char			 idbuf[32];
	int			 err;

	if ((orig = rtnl_link_alloc()) == NULL) {
		log_warnx("carp_nl: %s: out of memory", what);
		return -1;
	}
	rtnl_link_set_ifindex(orig, ifindex);
	err = rtnl_link_change(nl->sk, orig, changes, 0);
	rtnl_link_put(orig);
	if (err < 0) {
		snprintf(idbuf, sizeof(idbuf), "on ifindex %d", ifindex);
		nlwarn(what, idbuf, err);
		return -1;
	}
	return 0;
}

/* 1 deleted, 0 already gone, -1 error (logged). */
static int
link_delete(struct carp_nl *nl, int ifindex)
{
	struct rtnl_link	*l;
	char			 idbuf[32];
	int			 err;

	if ((l = rtnl_link_alloc()) == NULL) {
		log_warnx("carp_nl: delete link: out of memory");
		return -1;
	}
	rtnl_link_set_ifindex(l, ifindex);
	err = rtnl_link_delete(nl->sk, l);
	rtnl_link_put(l);
	if (nl_is_nodev(err))
		return 0;
	if (err < 0) {
		snprintf(idbuf, sizeof(idbuf), "ifindex %d", ifindex);
		nlwarn("delete link", idbuf, err);
		return -1;
	}
	return 1;
}

static int
mac_equal(struct nl_addr *a, const uint8_t mac[6])
{
	return a != NULL && nl_addr_get_len(a) == 6 &&
	    memcmp(nl_addr_get_binary_addr(a), mac, 6) == 0;
}

/* The vhid if the link is a macvlan with a CARP virtual MAC, else -1. */
static int
macvlan_vhid(struct rtnl_link *l)
{
	struct nl_addr	*a;
	const uint8_t	*b;

	if (!rtnl_link_is_macvlan(l))
		return -1;
	a = rtnl_link_get_addr(l);
	if (a == NULL || nl_addr_get_len(a) != 6)
		return -1;
	b = nl_addr_get_binary_addr(a);
	if (memcmp(b, carp_vmac_prefix, sizeof(carp_vmac_prefix)) != 0)
		return -1;
	return b[5];
}

/* nl_msg_parse() callback: one parsed link object. */
static void
monitor_link(struct nl_object *o, void *arg)
{
	struct carp_nl		*nl = arg;
	struct rtnl_link	*l = (struct rtnl_link *)o;
	int			 up;

	if (strcmp(nl_object_get_type(o), "route/link") != 0)
		return;
	up = nl_object_get_msgtype(o) == RTM_DELLINK ? 0 : link_is_up(l);
	nl->cb(nl->cb_arg, rtnl_link_get_ifindex(l), up);
}

static int
monitor_valid(struct nl_msg *msg, void *arg)
{
	int	 type = nlmsg_hdr(msg)->nlmsg_type;

	if (type == RTM_NEWLINK || type == RTM_DELLINK)
		(void)nl_msg_parse(msg, monitor_link, arg);
	return NL_OK;
}

/*
 * Events were dropped (ENOBUFS), so the state we were told last may be
 * wrong for any link: report every link's current carrier, as if each
 * had sent an event. The daemon treats a repeated state as a no-op.
 */
static void
monitor_replay(struct carp_nl *nl)
{
	struct nl_cache		*cache;
	struct nl_object	*o;
	struct rtnl_link	*l;
	int			 err;

	if ((err = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache)) < 0) {
		nlwarn("resync", "links", err);
		return;			/* nl->resync stays set: retry */
	}
	nl->resync = 0;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		l = (struct rtnl_link *)o;
		nl->cb(nl->cb_arg, rtnl_link_get_ifindex(l), link_is_up(l));
	}
	nl_cache_free(cache);
}

static int
monitor_setup(struct carp_nl *nl)
{
	int	 fd, err, size = CARP_NL_RCVBUF;

	nl_socket_disable_seq_check(nl->mon);
	nl_socket_modify_cb(nl->mon, NL_CB_VALID, NL_CB_CUSTOM, monitor_valid,
	    nl);
	if ((err = nl_connect(nl->mon, NETLINK_ROUTE)) < 0 ||
	    (err = nl_socket_add_memberships(nl->mon, RTNLGRP_LINK, 0)) < 0 ||
	    (err = nl_socket_set_nonblocking(nl->mon)) < 0 ||
	    (err = nl_socket_set_buffer_size(nl->mon, CARP_NL_RCVBUF, 0)) < 0) {
		nlwarn("set up", "link monitor", err);
		return -1;
	}
	/* Beyond rmem_max if we may; SO_RCVBUF above stays if not. */
	fd = nl_socket_get_fd(nl->mon);
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	return 0;
}

int
carp_nl_monitor_fd(struct carp_nl *nl)
{
	return nl_socket_get_fd(nl->mon);
}

/*
 * Read what the monitor socket holds, up to a burst. On overrun
 * (ENOBUFS, libnl NLE_NOMEM) the socket stays usable: the queued, older
 * events are still read first, then monitor_replay() reports every
 * link's current state so no lost transition is missed.
 */
void
carp_nl_monitor_read(struct carp_nl *nl,
    void (*cb)(void *arg, int ifindex, int carrier_up), void *arg)
{
	struct nl_cb	*ncb;
	int		 i, n;

	nl->cb = cb;
	nl->cb_arg = arg;
	if ((ncb = nl_socket_get_cb(nl->mon)) == NULL)
		return;
	/* While a resync is pending, drain fully (the queue is bounded by
	 * the buffer) so the replay comes after every stale event. */
	for (i = 0; i < CARP_NL_READ_BURST || nl->resync; i++) {
		n = nl_recvmsgs_report(nl->mon, ncb);
		if (n > 0)
			continue;
		if (n == -NLE_NOMEM) {
			log_warnx("carp_nl: link monitor overrun, events lost; "
			    "re-reading every link's carrier");
			nl->resync = 1;
			continue;
		}
		if (n < 0 && n != -NLE_AGAIN)
			log_warnx("carp_nl: link monitor: %s", nl_geterror(n));
		if (nl->resync)
			monitor_replay(nl);
		break;
	}
	nl_cb_put(ncb);
}

struct carp_nl *
carp_nl_open(void)
{
	struct carp_nl	*nl;
	int		 err;

	if ((nl = calloc(1, sizeof(*nl))) == NULL) {
		log_warn("carp_nl: open");
		return NULL;
	}
	if ((nl->sk = nl_socket_alloc()) == NULL ||
	    (nl->mon = nl_socket_alloc()) == NULL) {
		log_warnx("carp_nl: open: out of memory");
		goto fail;
	}
	if ((err = nl_connect(nl->sk, NETLINK_ROUTE)) < 0) {
		nlwarn("connect", "request socket", err);
		goto fail;
	}
	if (monitor_setup(nl) == -1)
		goto fail;
	return nl;
fail:
	carp_nl_close(nl);
	return NULL;
}

void
carp_nl_close(struct carp_nl *nl)
{
	if (nl == NULL)
		return;
	if (nl->sk != NULL)
		nl_socket_free(nl->sk);
	if (nl->mon != NULL)
		nl_socket_free(nl->mon);
	free(nl);
}

int
carp_nl_ifindex(struct carp_nl *nl, const char *ifname)
{
	struct rtnl_link	*l;
	int			 r;

	if ((r = link_get(nl, 0, ifname, &l)) <= 0)
		return r;
	r = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return r;
}

int
carp_nl_carrier(struct carp_nl *nl, int ifindex)
{
	struct rtnl_link	*l;
	int			 up;

	if (link_need(nl, ifindex, &l) == -1)
		return -1;
	up = link_is_up(l);
	rtnl_link_put(l);
	return up;
}

int
carp_nl_lladdr(struct carp_nl *nl, int ifindex, uint8_t mac[6])
{
	struct rtnl_link	*l;
	struct nl_addr		*a;
	int			 rv = -1;

	if (link_need(nl, ifindex, &l) == -1)
		return -1;
	a = rtnl_link_get_addr(l);
	if (a != NULL && nl_addr_get_len(a) == 6) {
		memcpy(mac, nl_addr_get_binary_addr(a), 6);
		rv = 0;
	} else
		log_warnx("carp_nl: ifindex %d has no Ethernet address",
		    ifindex);
	rtnl_link_put(l);
	return rv;
}

/*
 * An existing link `name`: its ifindex if it is already the macvlan we
 * want, 0 if there was none or a differing macvlan was deleted, -1 if it
 * is some other kind of link. We never delete a non-macvlan: a config typo
 * (ifname eth1) must not take a real interface away.
 */
static int
macvlan_existing(struct carp_nl *nl, int pidx, const char *name,
    const uint8_t mac[6])
{
	struct rtnl_link	*l;
	int			 r, idx;

	if ((r = link_get(nl, 0, name, &l)) <= 0)
		return r;
	idx = rtnl_link_get_ifindex(l);
	if (!rtnl_link_is_macvlan(l)) {
		log_warnx("carp_nl: %s exists and is not a macvlan, "
		    "not replacing it", name);
		idx = -1;
	} else if (rtnl_link_get_link(l) != pidx ||
	    rtnl_link_macvlan_get_mode(l) != MACVLAN_MODE_BRIDGE ||
	    !mac_equal(rtnl_link_get_addr(l), mac)) {
		log_notice("carp_nl: macvlan %s differs (parent, MAC or "
		    "mode), recreating it", name);
		idx = link_delete(nl, idx) == -1 ? -1 : 0;
	}
	rtnl_link_put(l);
	return idx;
}

/*
 * RTM_NEWLINK for the macvlan, left down (no IFF_UP in ifi_flags). Bridge
 * mode, not keepalived's private mode: in private mode frames whose source
 * is our own vMAC (the peer's adverts) never reach us (carp-protocol.md
 * 4.2). Returns the new ifindex.
 */
static int
macvlan_add(struct carp_nl *nl, int pidx, const char *name,
    const uint8_t mac[6])
{
	struct rtnl_link	*l;
	struct nl_addr		*a;
	int			 err;

	l = rtnl_link_macvlan_alloc();
	a = nl_addr_build(AF_LLC, mac, 6);
	if (l == NULL || a == NULL) {
		log_warnx("carp_nl: create %s: out of memory", name);
		err = -NLE_NOMEM;
		goto done;
	}
	rtnl_link_macvlan_set_mode(l, MACVLAN_MODE_BRIDGE);
	rtnl_link_set_link(l, pidx);
	rtnl_link_set_addr(l, a);
	rtnl_link_set_name(l, name);
	if ((err = rtnl_link_add(nl->sk, l, NLM_F_CREATE | NLM_F_EXCL)) < 0)
		nlwarn("create macvlan", name, err);
done:
	nl_addr_put(a);
	rtnl_link_put(l);
	if (err < 0)
		return -1;
	return carp_nl_ifindex(nl, name);
}

/*
 * keepalived's vmac set (vrrp_if_config.c, carp-protocol.md 4.1) through
 * IFLA_AF_SPEC, not /proc: arp_ignore=1 so only the VIPs' owner answers
 * ARP, accept_local=1 and rp_filter=0 so packets sourced from our own
 * addresses (the parent's) are accepted on the macvlan. And IPv6 address
 * generation off: no EUI-64 link-local from the shared vMAC, which both
 * nodes would own (RFC 5798 7.4). The kernel refuses IFLA_INET6 in the
 * create request (EAFNOSUPPORT: the link has no inet6_dev yet), so it is
 * sent here, before the link is ever brought up.
 */
static int
macvlan_configure(struct carp_nl *nl, int ifindex)
{
	struct rtnl_link	*ch;
	int			 rv = -1;

	if ((ch = rtnl_link_alloc()) == NULL) {
		log_warnx("carp_nl: configure macvlan: out of memory");
		return -1;
	}
	if (rtnl_link_inet6_set_addr_gen_mode(ch, IN6_ADDR_GEN_MODE_NONE) < 0 ||
	    rtnl_link_inet_set_conf(ch, IPV4_DEVCONF_ARP_IGNORE, 1) < 0 ||
	    rtnl_link_inet_set_conf(ch, IPV4_DEVCONF_ACCEPT_LOCAL, 1) < 0 ||
	    rtnl_link_inet_set_conf(ch, IPV4_DEVCONF_RP_FILTER, 0) < 0)
		log_warnx("carp_nl: configure macvlan: out of memory");
	else
		rv = link_change(nl, ifindex, ch, "configure macvlan");
	rtnl_link_put(ch);
	return rv;
}

int
carp_nl_macvlan_create(struct carp_nl *nl, const char *parent,
    const char *name, const uint8_t mac[6])
{
	int	 pidx, idx, created = 0;

	if ((pidx = carp_nl_ifindex(nl, parent)) <= 0) {
		if (pidx == 0)
			log_warnx("carp_nl: create %s: no parent link %s",
			    name, parent);
		return -1;
	}
	if ((idx = macvlan_existing(nl, pidx, name, mac)) == -1)
		return -1;
	if (idx == 0) {
		if ((idx = macvlan_add(nl, pidx, name, mac)) <= 0)
			return -1;
		created = 1;
	}
	/* Also on reuse: settings may have been changed behind our back.
	 * A reused link keeps its admin state, so a reload does not take
	 * a MASTER's VIPs down. */
	if (macvlan_configure(nl, idx) == -1) {
		if (created)
			link_delete(nl, idx);
		return -1;
	}
	return idx;
}

int
carp_nl_link_delete(struct carp_nl *nl, int ifindex)
{
	return link_delete(nl, ifindex) == -1 ? -1 : 0;
}

int
carp_nl_link_set_up(struct carp_nl *nl, int ifindex, int up)
{
	struct rtnl_link	*ch;
	int			 rv;

	if ((ch = rtnl_link_alloc()) == NULL) {
		log_warnx("carp_nl: set link state: out of memory");
		return -1;
	}
	if (up)
		rtnl_link_set_flags(ch, IFF_UP);
	else
		rtnl_link_unset_flags(ch, IFF_UP);
	rv = link_change(nl, ifindex, ch, up ? "set up" : "set down");
	rtnl_link_put(ch);
	return rv;
}

/*
 * keepalived's parent set (carp-protocol.md 4.1): the parent must not
 * answer ARP for the VIPs on the macvlan with its own MAC. And
 * arp_announce=2: a reply sent from a VIP leaves through the parent (its
 * connected route comes first), and without it the parent would ask
 * "who-has CLIENT tell VIP" with its own MAC, teaching the LAN that the VIP
 * lives at the parent's MAC (found by the demo).
 */
int
carp_nl_parent_sysctls(struct carp_nl *nl, int ifindex)
{
	struct rtnl_link	*ch;
	int			 rv = -1;

	if ((ch = rtnl_link_alloc()) == NULL) {
		log_warnx("carp_nl: parent sysctls: out of memory");
		return -1;
	}
	if (rtnl_link_inet_set_conf(ch, IPV4_DEVCONF_ARP_IGNORE, 1) < 0 ||
	    rtnl_link_inet_set_conf(ch, IPV4_DEVCONF_ARPFILTER, 1) < 0 ||
	    rtnl_link_inet_set_conf(ch, IPV4_DEVCONF_ARP_ANNOUNCE, 2) < 0)
		log_warnx("carp_nl: parent sysctls: out of memory");
	else
		rv = link_change(nl, ifindex, ch, "set parent sysctls");
	rtnl_link_put(ch);
	return rv;
}

/*
 * An rtnl_addr for a VIP. IPv6 gets IFA_F_NODAD: the address is usable at
 * once instead of tentative for a DAD round, and DAD would see the other
 * node's copy of the VIP as a duplicate (keepalived vrrp_ipaddress.c).
 */
static struct rtnl_addr *
addr_build(int ifindex, const struct carp_addr *a)
{
	struct rtnl_addr	*ra;
	struct nl_addr		*local;
	size_t			 alen;

	if (a->af != AF_INET && a->af != AF_INET6) {
		log_warnx("carp_nl: address family %d not supported", a->af);
		return NULL;
	}
	alen = a->af == AF_INET ? 4 : 16;
	local = nl_addr_build(a->af, a->addr, alen);
	ra = rtnl_addr_alloc();
	if (local == NULL || ra == NULL) {
		log_warnx("carp_nl: address: out of memory");
		goto fail;
	}
	nl_addr_set_prefixlen(local, a->plen);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, a->af);
	if (rtnl_addr_set_local(ra, local) < 0) {
		log_warnx("carp_nl: address: cannot set local address");
		goto fail;
	}
	rtnl_addr_set_prefixlen(ra, a->plen);
	if (a->af == AF_INET6)
		rtnl_addr_set_flags(ra, IFA_F_NODAD);
	nl_addr_put(local);
	return ra;
fail:
	nl_addr_put(local);
	if (ra != NULL)
		rtnl_addr_put(ra);
	return NULL;
}

static void
addr_warn(const char *what, int ifindex, const struct carp_addr *a, int err)
{
	char	 buf[INET6_ADDRSTRLEN + 8];

	log_warnx("carp_nl: %s %s on ifindex %d: %s", what,
	    carp_addr_fmt(a, 1, buf, sizeof(buf)), ifindex, nl_geterror(err));
}

int
carp_nl_addr_add(struct carp_nl *nl, int ifindex, const struct carp_addr *a)
{
	struct rtnl_addr	*ra;
	int			 err;

	if ((ra = addr_build(ifindex, a)) == NULL)
		return -1;
	err = rtnl_addr_add(nl->sk, ra, 0);
	rtnl_addr_put(ra);
	if (err == -NLE_EXIST)
		return 0;
	if (err < 0) {
		addr_warn("add", ifindex, a, err);
		return -1;
	}
	return 0;
}

/* 1 removed, 0 it was not there (or the link is gone), -1 error. */
static int
addr_remove(struct carp_nl *nl, int ifindex, const struct carp_addr *a)
{
	struct rtnl_addr	*ra;
	int			 err;

	if ((ra = addr_build(ifindex, a)) == NULL)
		return -1;
	err = rtnl_addr_delete(nl->sk, ra, 0);
	rtnl_addr_put(ra);
	/* EADDRNOTAVAIL (NLE_NOADDR): no such address; ENODEV: no link */
	if (err == -NLE_NOADDR || nl_is_nodev(err))
		return 0;
	if (err < 0) {
		addr_warn("delete", ifindex, a, err);
		return -1;
	}
	return 1;
}

int
carp_nl_addr_del(struct carp_nl *nl, int ifindex, const struct carp_addr *a)
{
	return addr_remove(nl, ifindex, a) == -1 ? -1 : 0;
}

/*
 * Rank an address as advert source: 2 IPv6 link-local (best), 1 usable,
 * 0 unusable. Tentative or DAD-failed addresses cannot be bound yet; IPv4
 * secondaries are skipped so the primary is used as OpenBSD does.
 */
static int
source_rank(struct rtnl_addr *ra, int af)
{
	struct nl_addr	*local = rtnl_addr_get_local(ra);
	unsigned int	 flags = rtnl_addr_get_flags(ra);
	const uint8_t	*b;

	if (local == NULL || nl_addr_get_family(local) != af)
		return 0;
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;
	if (af == AF_INET)
		return (flags & IFA_F_SECONDARY) ? 0 : 1;
	b = nl_addr_get_binary_addr(local);
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)
		return 2;
	return rtnl_addr_get_scope(ra) == RT_SCOPE_UNIVERSE ? 1 : 0;
}

int
carp_nl_source_addr(struct carp_nl *nl, int ifindex, int af, uint8_t out[16])
{
	struct nl_cache		*cache;
	struct nl_object	*o;
	struct rtnl_addr	*best = NULL;
	int			 err, rank, best_rank = 0;

	if ((err = rtnl_addr_alloc_cache(nl->sk, &cache)) < 0) {
		nlwarn("list", "addresses", err);
		return -1;
	}
	for (o = nl_cache_get_first(cache); o != NULL && best_rank < 2;
	    o = nl_cache_get_next(o)) {
		if (rtnl_addr_get_ifindex((struct rtnl_addr *)o) != ifindex)
			continue;
		rank = source_rank((struct rtnl_addr *)o, af);
		if (rank > best_rank) {
			best = (struct rtnl_addr *)o;
			best_rank = (af == AF_INET) ? 2 : rank;
		}
	}
	if (best != NULL) {
		memset(out, 0, 16);
		memcpy(out, nl_addr_get_binary_addr(rtnl_addr_get_local(best)),
		    af == AF_INET ? 4 : 16);
	}
	nl_cache_free(cache);
	return best != NULL ? 0 : -1;
}

/* A macvlan named like the vhost's ifname: left by a carpd that died. */
static int
cleanup_by_name(struct carp_nl *nl, const struct carp_vhost_conf *vh)
{
	struct rtnl_link	*l;
	int			 r, n = 0;

	if ((r = link_get(nl, 0, vh->ifname, &l)) <= 0)
		return 0;
	if (rtnl_link_is_macvlan(l) &&
	    link_delete(nl, rtnl_link_get_ifindex(l)) == 1) {
		log_notice("removed stale macvlan %s left by a previous carpd",
		    vh->ifname);
		n = 1;
	}
	rtnl_link_put(l);
	return n;
}

/* Is this macvlan (vhid from its MAC) a configured vhost's on its carpdev? */
static int
cleanup_match(const struct carpd_conf *conf, struct nl_cache *cache,
    struct rtnl_link *l)
{
	char	 parent[IFNAMSIZ];
	int	 i, vhid;

	if ((vhid = macvlan_vhid(l)) < 0)
		return 0;
	if (rtnl_link_i2name(cache, rtnl_link_get_link(l), parent,
	    sizeof(parent)) == NULL)
		return 0;
	for (i = 0; i < conf->nvhosts; i++)
		if (conf->vhosts[i].vhid == vhid &&
		    strcmp(conf->vhosts[i].carpdev, parent) == 0)
			return 1;
	return 0;
}

/* Macvlans with a configured vhid's vMAC over its carpdev, any name. */
static int
cleanup_by_mac(struct carp_nl *nl, const struct carpd_conf *conf)
{
	struct nl_cache		*cache;
	struct nl_object	*o;
	struct rtnl_link	*l;
	int			 err, n = 0;

	if ((err = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &cache)) < 0) {
		nlwarn("list", "links", err);
		return 0;
	}
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		l = (struct rtnl_link *)o;
		if (!cleanup_match(conf, cache, l) ||
		    link_delete(nl, rtnl_link_get_ifindex(l)) != 1)
			continue;
		log_notice("removed stale macvlan %s (vhid %d) left by a "
		    "previous carpd", rtnl_link_get_name(l), macvlan_vhid(l));
		n++;
	}
	nl_cache_free(cache);
	return n;
}

/* `lladdr real`: the VIPs sat on the carpdev itself. */
static int
cleanup_real(struct carp_nl *nl, const struct carp_vhost_conf *vh)
{
	char	 buf[INET6_ADDRSTRLEN + 8];
	int	 i, idx, n = 0;

	if ((idx = carp_nl_ifindex(nl, vh->carpdev)) <= 0)
		return 0;
	for (i = 0; i < vh->naddrs; i++) {
		if (addr_remove(nl, idx, &vh->addrs[i]) != 1)
			continue;
		log_notice("removed stale address %s from %s left by a "
		    "previous carpd", carp_addr_fmt(&vh->addrs[i], 1, buf,
		    sizeof(buf)), vh->carpdev);
		n++;
	}
	return n;
}

/*
 * Runs at start, before carpd creates anything, so whatever matches was
 * left by a carpd that did not exit cleanly (kill -9, crash: keepalived
 * #159, #2361). Failures are logged and the sweep goes on.
 */
int
carp_nl_cleanup(struct carp_nl *nl, const struct carpd_conf *conf)
{
	int	 i, n = 0;

	for (i = 0; i < conf->nvhosts; i++)
		if (conf->vhosts[i].node_index == 0)	/* a group's one name */
			n += cleanup_by_name(nl, &conf->vhosts[i]);
	n += cleanup_by_mac(nl, conf);
	for (i = 0; i < conf->nvhosts; i++)
		/* balanced groups hold their VIPs on the carpdev too */
		if (conf->vhosts[i].lladdr == CARP_LLADDR_REAL ||
		    conf->vhosts[i].balancing != CARP_BAL_NONE)
			n += cleanup_real(nl, &conf->vhosts[i]);
	return n;
}
