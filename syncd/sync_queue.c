/*
 * sync_queue.c: the NFQUEUE shell (sync_queue.h). One netlink socket,
 * non-blocking; verdicts go out one message each, as acks or timeouts
 * release packets in no particular order (a batch verdict would release
 * every lower id too).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "sync_queue.h"

#define QUEUE_MAXLEN	4096		/* packets the kernel queues for us */
#define QUEUE_RCVBUF	(4 << 20)	/* bytes; meta-only messages are small */
#define QUEUE_MSGBUF	65536		/* one recv: several packet messages */

struct sync_queue {
	struct mnl_socket	*nl;
	uint16_t		 queue;
	uint32_t		 portid;
	struct sync_queue_stats	 stats;
	char			 buf[QUEUE_MSGBUF];
};

/* Send one config message and wait for its ack. */
static int
config_send(struct sync_queue *q, struct nlmsghdr *nlh)
{
	char ans[8192];
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) == -1)
		return -1;
	if ((n = mnl_socket_recvfrom(q->nl, ans, sizeof(ans))) == -1)
		return -1;
	return mnl_cb_run(ans, (size_t)n, nlh->nlmsg_seq, q->portid,
	    NULL, NULL) == -1 ? -1 : 0;
}

static int
config_bind(struct sync_queue *q)
{
	char buf[8192];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
	nlh->nlmsg_seq = 1;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	return config_send(q, nlh);
}

static int
config_params(struct sync_queue *q, uint32_t flags)
{
	char buf[8192];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, q->queue);
	nlh->nlmsg_seq = 2;
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, SYNC_QUEUE_COPY);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, QUEUE_MAXLEN);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	return config_send(q, nlh);
}

/* Conntrack entries with the packets if the kernel can (EOPNOTSUPP
 * without NETLINK_GLUE_CT), else the headers alone. */
static int
config(struct sync_queue *q, int *attached)
{
	if (config_bind(q) == -1)
		return -1;
	*attached = 1;
	if (config_params(q, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_CONNTRACK) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return -1;
	*attached = 0;
	return config_params(q, NFQA_CFG_F_FAIL_OPEN);
}

struct sync_queue *
sync_queue_open(uint16_t queue, int *attached, char *err, size_t errlen)
{
	struct sync_queue *q;
	int size = QUEUE_RCVBUF, on = 1;

	if ((q = calloc(1, sizeof(*q))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->queue = queue;
	if ((q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		goto fail;
	}
	q->portid = mnl_socket_get_portid(q->nl);
	(void)setsockopt(mnl_socket_get_fd(q->nl), SOL_SOCKET, SO_RCVBUFFORCE,
	    &size, sizeof(size));
	/* an ENOBUFS is not worth reporting: the queue is fail-open */
	(void)mnl_socket_setsockopt(q->nl, NETLINK_NO_ENOBUFS, &on,
	    sizeof(on));
	/* the kernel handles a config message inside sendmsg: its ack is
	 * there to read at once, non-blocking socket or not */
	if (config(q, attached) == -1) {
		snprintf(err, errlen, "NFQUEUE %u: %s", (unsigned)queue,
		    strerror(errno));
		goto fail;
	}
	return q;
fail:
	sync_queue_close(q);
	return NULL;
}

void
sync_queue_close(struct sync_queue *q)
{
	if (q == NULL)
		return;
	if (q->nl != NULL)
		mnl_socket_close(q->nl);	/* the kernel unbinds the queue */
	free(q);
}

int
sync_queue_fd(const struct sync_queue *q)
{
	return mnl_socket_get_fd(q->nl);
}

struct read_ctx {
	struct sync_queue	*q;
	sync_queue_cb		 cb;
	void			*arg;
};

static int
packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct read_ctx *rc = data;
	struct nlattr *attr[NFQA_MAX + 1];
	const struct nfqnl_msg_packet_hdr *ph;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);
	struct sync_queued qd;

	memset(attr, 0, sizeof(attr));
	if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph)) {
		rc->q->stats.errors++;
		return MNL_CB_OK;	/* no id: nothing to give a verdict to */
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	rc->q->stats.packets++;
	memset(&qd, 0, sizeof(qd));
	qd.packet_id = ntohl(ph->packet_id);
	qd.af = nfg->nfgen_family;
	if (attr[NFQA_PAYLOAD] != NULL) {
		qd.pkt = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		qd.len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	if (attr[NFQA_CT] != NULL) {
		qd.ct = mnl_attr_get_payload(attr[NFQA_CT]);
		qd.ctlen = mnl_attr_get_payload_len(attr[NFQA_CT]);
	}
	rc->cb(rc->arg, &qd);
	return MNL_CB_OK;
}

int
sync_queue_read(struct sync_queue *q, int max, sync_queue_cb cb, void *arg)
{
	struct read_ctx rc = { q, cb, arg };
	ssize_t n;
	int got = 0;

	while (got < max) {
		n = mnl_socket_recvfrom(q->nl, q->buf, sizeof(q->buf));
		if (n == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ENOBUFS)
				break;
			q->stats.errors++;
			return -1;
		}
		/* seq 0 and our port: the kernel's packet messages */
		if (mnl_cb_run(q->buf, (size_t)n, 0, q->portid, packet_cb,
		    &rc) == -1)
			q->stats.errors++;
		got++;
	}
	return got;
}

int
sync_queue_accept(struct sync_queue *q, uint32_t packet_id)
{
	char buf[MNL_NLMSG_HDRLEN + 64];
	struct nlmsghdr *nlh;

	memset(buf, 0, sizeof(buf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, q->queue);
	nfq_nlmsg_verdict_put(nlh, (int)packet_id, NF_ACCEPT);
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) == -1) {
		q->stats.errors++;
		return -1;
	}
	q->stats.verdicts++;
	return 0;
}

void
sync_queue_get_stats(const struct sync_queue *q, struct sync_queue_stats *s)
{
	*s = q->stats;
}
