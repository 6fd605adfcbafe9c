/*
 * carp_vip.h: everything carpd asks of the kernel's links and addresses,
 * through libnl-route-3. carp_vip.c is the only file that includes libnl.
 * Synchronous requests on one socket; a second non-blocking socket
 * subscribed to RTNLGRP_LINK is the carrier monitor, read from the event
 * loop. All functions return 0 (or a positive ifindex where stated) on
 * success, -1 on failure with the reason logged.
 */
#ifndef CARPD_CARP_VIP_H
#define CARPD_CARP_VIP_H

#include <stdint.h>

#include "carp_conf.h"

struct carp_nl;

struct carp_nl	*carp_nl_open(void);
void		 carp_nl_close(struct carp_nl *);

/* ifindex of a link by name, 0 if there is none, -1 on error. */
int	carp_nl_ifindex(struct carp_nl *, const char *ifname);
/* 1 if the link is administratively up and has carrier, 0 if not, -1 error. */
int	carp_nl_carrier(struct carp_nl *, int ifindex);
/* Link's MAC address. */
int	carp_nl_lladdr(struct carp_nl *, int ifindex, uint8_t mac[6]);

/*
 * Create (or reuse if it already matches) a macvlan `name` over `parent`
 * in bridge mode with MAC `mac`, IPv6 address generation off, left
 * administratively down. Sets on it arp_ignore=1, accept_local=1,
 * rp_filter=0 (keepalived's set). Returns its ifindex.
 */
int	carp_nl_macvlan_create(struct carp_nl *, const char *parent,
	    const char *name, const uint8_t mac[6]);
int	carp_nl_link_delete(struct carp_nl *, int ifindex);
int	carp_nl_link_set_up(struct carp_nl *, int ifindex, int up);

/* The parent's sysctls so it never answers ARP for a VIP with its own MAC:
 * arp_ignore=1, arp_filter=1 (set through netlink, IFLA_INET_CONF). */
int	carp_nl_parent_sysctls(struct carp_nl *, int ifindex);

/* Add an address (IPv6 with IFA_F_NODAD); an existing one is success. */
int	carp_nl_addr_add(struct carp_nl *, int ifindex, const struct carp_addr *);
/* Remove an address; an absent one is success. */
int	carp_nl_addr_del(struct carp_nl *, int ifindex, const struct carp_addr *);

/*
 * Source address for adverts: the first IPv4 address (af AF_INET) or the
 * link-local IPv6 address (AF_INET6, else the first global) of a link.
 * 0 and out filled, -1 if it has none.
 */
int	carp_nl_source_addr(struct carp_nl *, int ifindex, int af,
	    uint8_t out[16]);

/*
 * Crash clean-up, before anything else at start: delete every macvlan named
 * like a configured vhost's ifname, or whose MAC is 00:00:5e:00:01:VHID of a
 * configured vhid on that vhost's carpdev; remove the VIPs of `lladdr real`
 * vhosts from their carpdev. Returns the number of objects removed.
 */
int	carp_nl_cleanup(struct carp_nl *, const struct carpd_conf *);

/* Carrier monitor: fd to watch for EV_READ, and a reader that calls cb for
 * every link message (ifindex, 1 = up with carrier, 0 = not). */
int	carp_nl_monitor_fd(struct carp_nl *);
void	carp_nl_monitor_read(struct carp_nl *,
	    void (*cb)(void *arg, int ifindex, int carrier_up), void *arg);

#endif
