/*
 * sync_link.h: syncd's links (shell; sync_link.c, the only syncd file
 * using libnl).
 *
 * The watch tap: a `dummy` link (an `ifb` where the kernel has no dummy
 * driver), pfsync0 by default, on which a copy of every frame sent and
 * accepted is transmitted with a packet socket, so tcpdump -i pfsync0
 * shows the state changes live while the dummy discards them and the
 * stack never sees them.
 *
 * The syncdev monitor: syncdev's carrier (while it has none, syncd holds
 * pfsync's demotion of 1, pfsync-conntrack.md 1.8) and its addresses and
 * connected prefixes (connections over the sync link are never synced),
 * learnt from netlink link and address events.
 */
#ifndef SYNCD_SYNC_LINK_H
#define SYNCD_SYNC_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "sync_conf.h"

struct event_base;
struct syncd;
struct sync_link;
struct sync_pkt_addr;
struct sync_tap;

/*
 * Create (or reuse) a dummy link `name`, bring it up, and open a packet
 * socket on it. tap_copy sends frame as an IP packet (proto 240, TTL 255,
 * the addresses given; sync_pkt.h) inside an Ethernet frame on it. A NULL
 * tap (pfsync-if none, or creation failed) makes tap_copy a no-op.
 */
struct sync_tap *sync_tap_open(const char *name);
void	sync_tap_close(struct sync_tap *, int delete_link);
void	sync_tap_copy(struct sync_tap *, const struct sync_pkt_addr *,
	    const uint8_t *frame, size_t len);

/*
 * Watch syncdev from base's loop. Its addresses are read before this
 * returns; carrier(arg, up) is called when the carrier changes, and once
 * from here if syncdev has none now (a carrier present at start is not
 * reported). NULL (logged) if netlink cannot be used: then nothing is
 * excluded and no carrier is reported.
 */
struct sync_link *sync_link_open(struct event_base *, const char *syncdev,
	    void (*carrier)(struct syncd *, int up), struct syncd *arg);
void	sync_link_close(struct sync_link *);
/* syncdev's prefixes now; NULL for a NULL link. */
const struct sync_local *sync_link_local(const struct sync_link *);
/* 1 carrier, 0 none, -1 unknown (NULL link). */
int	sync_link_carrier(const struct sync_link *);
/*
 * An address of syncdev of family af into out (16 bytes, IPv4 in the
 * first 4), a link-local one if want_ll, else preferably not: the source
 * the kernel gives our frames. 0, or -1 (out zeroed) if it has none.
 */
int	sync_link_source(const struct sync_link *, int af, int want_ll,
	    uint8_t out[16]);

#endif
