/*
 * sync_net.h: syncd's transport (shell): raw IP protocol 240 sockets on
 * `syncdev`, as pfsync (pfsync-conntrack.md 1.1): TTL 255 out and required
 * in (a GTSM-style guard), multicast 224.0.0.240 joined on syncdev with
 * IP_MULTICAST_ALL off and loop off, or unicast to `syncpeer` (IPv4 or
 * IPv6; IPv6 hop limit 255, multicast not used for IPv6); frames that
 * arrive on another interface or with another TTL are reported so the
 * caller counts them (badif, badttl). The watch tap and syncdev's carrier
 * and addresses are sync_link.h's.
 */
#ifndef SYNCD_SYNC_NET_H
#define SYNCD_SYNC_NET_H

#include <stddef.h>
#include <stdint.h>

struct sync_net;

/*
 * Open on syncdev; peer_af 0 = multicast 224.0.0.240, else unicast to peer
 * (AF_INET or AF_INET6). Returns NULL with the reason logged.
 */
struct sync_net *sync_net_open(const char *syncdev, int peer_af,
	    const uint8_t peer[16]);
void	sync_net_close(struct sync_net *);
/* Receive fds to watch (IPv4 always, IPv6 when the peer is IPv6; -1 if not). */
int	sync_net_fd4(const struct sync_net *);
int	sync_net_fd6(const struct sync_net *);
/*
 * The largest frame that leaves syncdev unfragmented: its MTU now less the
 * IP header (20, or 40 for an IPv6 peer), at most SYNC_MAX_FRAME. IPv4 is
 * sent with DF, so a larger frame fails with EMSGSIZE.
 */
size_t	sync_net_max_frame(const struct sync_net *);

enum sync_rx_verdict {
	SYNC_RX_OK,
	SYNC_RX_NONE,		/* nothing to read */
	SYNC_RX_BADIF,		/* arrived on another interface */
	SYNC_RX_BADTTL,		/* TTL / hop limit != 255 */
	SYNC_RX_SHORT,		/* not even an IP header */
	SYNC_RX_ERROR,		/* read error (logged) */
};

struct sync_rx {
	const uint8_t	*frame;	/* the sync frame, after the IP header */
	size_t		 len;
	int		 af;
	uint8_t		 src[16];
};

/* Read one datagram from fd into buf (cap bytes). */
enum sync_rx_verdict sync_net_recv(struct sync_net *, int fd, uint8_t *buf,
	    size_t cap, struct sync_rx *);
/* Send one frame to the peer or the group. 0 or -1 (errno set). */
int	sync_net_send(struct sync_net *, const uint8_t *frame, size_t len);

#endif
