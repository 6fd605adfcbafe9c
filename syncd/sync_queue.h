/*
 * sync_queue.h: the NFQUEUE of syncd's `defer` (sync_defer.h), through
 * libnetfilter_queue and libmnl; sync_queue.c is the only file that
 * includes libnetfilter_queue. Packets come with their conntrack entry
 * (NFQA_CFG_F_CONNTRACK), not yet confirmed, and without their payload
 * (NFQNL_COPY_META): syncd needs the state, not the bytes. The queue is
 * fail-open (NFQA_CFG_F_FAIL_OPEN): when it is full, or syncd too slow to
 * read, the kernel accepts rather than drops.
 */
#ifndef SYNCD_SYNC_QUEUE_H
#define SYNCD_SYNC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "sync_wire.h"

struct sync_queue;

struct sync_queue_stats {
	uint64_t	packets;	/* read from the queue */
	uint64_t	no_state;	/* without a usable conntrack entry */
	uint64_t	verdicts;	/* accepted */
	uint64_t	errors;		/* verdicts the kernel refused, bad
					 * messages, receive errors */
};

/* Bind queue number `queue`; NULL with the reason in err. */
struct sync_queue *sync_queue_open(uint16_t queue, char *err, size_t errlen);
void	sync_queue_close(struct sync_queue *);
int	sync_queue_fd(const struct sync_queue *);

/*
 * Read up to max queued packets without blocking. cb gets each packet's
 * id and its state (NULL if the kernel attached none that syncd can
 * sync: the packet must still be given a verdict). Returns the number
 * read, or -1 on a receive error (counted).
 */
int	sync_queue_read(struct sync_queue *, int max,
	    void (*cb)(void *arg, uint32_t packet_id,
	    const struct sync_state *st), void *arg);

/* Let a packet go on (NF_ACCEPT). 0 or -1 (counted). */
int	sync_queue_accept(struct sync_queue *, uint32_t packet_id);

void	sync_queue_get_stats(const struct sync_queue *,
	    struct sync_queue_stats *);

#endif
