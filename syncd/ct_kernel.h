/*
 * ct_kernel.h: syncd's view of the Linux conntrack table, through
 * libnetfilter_conntrack and libmnl (ct_kernel.c is the only file that
 * includes them; ../shared/docs/pfsync-conntrack.md 4-5 explains why libnl
 * cannot create usable entries). Two netlink sockets: one subscribed to
 * NEW/UPDATE/DESTROY events with a large receive buffer, where an overrun
 * (ENOBUFS) is reported to the caller, never hidden (no NETLINK_NO_ENOBUFS);
 * one for requests (create, update, delete), whose port id marks the
 * events our own writes cause so they are never echoed to the peer; and a
 * short-lived one per dump, so a dump callback may itself queue writes (a
 * resync does) without dump data and batch answers mixing on one socket.
 */
#ifndef SYNCD_CT_KERNEL_H
#define SYNCD_CT_KERNEL_H

#include <stddef.h>

#include "sync_wire.h"

struct ct_kernel;

enum ct_event {
	CT_EV_NEW	= 1,
	CT_EV_UPDATE	= 2,
	CT_EV_DESTROY	= 3,
};

/*
 * rcvbuf: event socket receive buffer in bytes (SO_RCVBUFFORCE). Events
 * that our own writes caused are filtered out in the kernel; a caller that
 * wants to see them (with ours = 1) calls ct_keep_own_events.
 */
struct ct_kernel *ct_open(size_t rcvbuf);
void	ct_keep_own_events(struct ct_kernel *);
void	ct_close(struct ct_kernel *);
int	ct_event_fd(const struct ct_kernel *);

/*
 * Read up to max pending events without blocking; cb gets each one as a
 * sync_state (id and creatorid zero) and ours = 1 if our own request socket
 * caused it. Returns the number read, 0 if none, or -1 on an overrun
 * (ENOBUFS: events were lost; the caller must resync by ct_dump). On an
 * overrun the events still queued are discarded: they predate the loss,
 * and read after the caller's dump they would undo it.
 */
int	ct_event_read(struct ct_kernel *, int max,
	    void (*cb)(void *arg, enum ct_event, const struct sync_state *,
	    int ours), void *arg);

/*
 * The entry NFQUEUE attaches to a queued packet (NFQA_CT: its ctnetlink
 * attributes, not a whole message; af the packet's family), as a
 * sync_state like an event's. 0, or -1 if it is not usable.
 */
int	ct_parse_attrs(const void *attrs, size_t len, int af,
	    struct sync_state *);

/*
 * Look an entry up by its reply tuple (key: af, proto, reply, zone), as
 * a packet that has been through NAT shows it: its source and
 * destination are the reply's, swapped. 0 with the entry in out, or -1
 * (none, or the request failed). Synchronous, on a socket of its own.
 */
int	ct_get_by_reply(struct ct_kernel *, const struct sync_state *key,
	    struct sync_state *out);
/* The same with key's reply tuple taken as the original tuple: a reply
 * packet after NAT shows the original tuple swapped. */
int	ct_get_by_orig(struct ct_kernel *, const struct sync_state *key,
	    struct sync_state *out);

/* Dump every entry (all zones, IPv4 and IPv6). 0 or -1. */
int	ct_dump(struct ct_kernel *,
	    void (*cb)(void *arg, const struct sync_state *), void *arg);

/*
 * Writes are queued into a batch (many requests per sendmsg) and sent by
 * ct_flush, or when the batch is full. Create: CONFIRMED, NAT as CTA_NAT
 * from orig vs reply, TCP BE_LIBERAL both ways (§5.4); an existing entry is
 * deleted and created again. Update: never NAT, helper or master; on
 * EBUSY or ENOENT, delete and create. Delete by original tuple and zone.
 */
int	ct_create(struct ct_kernel *, const struct sync_state *);
int	ct_update(struct ct_kernel *, const struct sync_state *);
int	ct_delete(struct ct_kernel *, const struct sync_state *);
/* Send what is queued, wait for the kernel's answers, retry per the rules
 * above. Returns the number of requests that finally failed. */
int	ct_flush(struct ct_kernel *);

struct ct_stats {
	unsigned long	created, updated, deleted, failed;
	unsigned long	events, overruns;
};
void	ct_get_stats(const struct ct_kernel *, struct ct_stats *);

#endif
