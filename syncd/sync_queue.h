/*
 * sync_queue.h: the NFQUEUE of syncd's `defer` (sync_defer.h), through
 * libnetfilter_queue and libmnl; sync_queue.c is the only file that
 * includes libnetfilter_queue. Packets come with their conntrack entry
 * where the kernel can attach it (CONFIG_NETFILTER_NETLINK_GLUE_CT: the
 * queue is then `attached`), and with their first SYNC_QUEUE_COPY bytes,
 * the IP and transport headers, by which syncd finds the entry where it
 * cannot (the kernel these tests run on).
 * The queue is fail-open (NFQA_CFG_F_FAIL_OPEN): when it is full, or
 * syncd too slow to read, the kernel accepts rather than drops.
 */
#ifndef SYNCD_SYNC_QUEUE_H
#define SYNCD_SYNC_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct sync_queue;

#define SYNC_QUEUE_COPY	128	/* IPv6 + extension-free TCP header fit */

struct sync_queue_stats {
	uint64_t	packets;	/* read from the queue */
	uint64_t	verdicts;	/* accepted */
	uint64_t	errors;		/* verdicts the kernel refused, bad
					 * messages, receive errors */
};

/* Bind queue number `queue`; NULL with the reason in err. *attached: 1
 * if queued packets bring their conntrack entry. */
struct sync_queue *sync_queue_open(uint16_t queue, int *attached, char *err,
	    size_t errlen);
void	sync_queue_close(struct sync_queue *);
int	sync_queue_fd(const struct sync_queue *);

/*
 * Read up to max queued packets without blocking. cb gets each packet's
 * id, its family (AF_INET, AF_INET6), its first bytes (pkt may be NULL)
 * and its conntrack entry as ctnetlink attributes (ct NULL if not
 * attached; ct_kernel.h ct_parse_attrs reads them); every packet must be
 * given a verdict. Returns the number of receives, or -1 on a receive
 * error (counted).
 */
struct sync_queued {
	uint32_t	 packet_id;
	int		 af;
	const uint8_t	*pkt;
	size_t		 len;
	const void	*ct;
	size_t		 ctlen;
};
typedef void (*sync_queue_cb)(void *arg, const struct sync_queued *);
int	sync_queue_read(struct sync_queue *, int max, sync_queue_cb, void *arg);

/* Let a packet go on (NF_ACCEPT). 0 or -1 (counted). */
int	sync_queue_accept(struct sync_queue *, uint32_t packet_id);

void	sync_queue_get_stats(const struct sync_queue *,
	    struct sync_queue_stats *);

#endif
