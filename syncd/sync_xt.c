/*
 * sync_xt.c: the xt NFQUEUE rule through libnftnl (sync_xt.h). One batch
 * with one rule, on a socket of its own that lives for this call only.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>

#include "sync_xt.h"

static struct nftnl_expr *
nfqueue_target(uint16_t queue)
{
	struct nftnl_expr *e;
	struct xt_NFQ_info_v3 *info;

	if ((e = nftnl_expr_alloc("target")) == NULL)
		return NULL;
	/* libnftnl keeps (and later frees) the info pointer: no copy */
	if ((info = calloc(1, sizeof(*info))) == NULL) {
		nftnl_expr_free(e);
		return NULL;
	}
	info->queuenum = queue;
	info->queues_total = 1;
	info->flags = NFQ_FLAG_BYPASS;
	nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE");
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, 3);
	nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, sizeof(*info));
	return e;
}

/* queue num Q bypass: the rules before it chose the packet */
static struct nftnl_rule *
queue_rule(const char *table, const char *chain, uint16_t queue)
{
	struct nftnl_rule *r;
	struct nftnl_expr *e;

	if ((r = nftnl_rule_alloc()) == NULL)
		return NULL;
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	if ((e = nfqueue_target(queue)) == NULL) {
		nftnl_rule_free(r);
		return NULL;
	}
	nftnl_rule_add_expr(r, e);	/* the rule owns it now */
	return r;
}

/* begin, NEWRULE, end: the kernel takes a rule only inside a batch. */
static size_t
build_batch(char *buf, size_t len, struct nftnl_rule *r, uint32_t seq)
{
	struct mnl_nlmsg_batch *b;
	struct nlmsghdr *nlh;
	size_t out;

	b = mnl_nlmsg_batch_start(buf, len);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), seq++);
	mnl_nlmsg_batch_next(b);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    NFT_MSG_NEWRULE, NFPROTO_INET,
	    NLM_F_APPEND | NLM_F_CREATE | NLM_F_ACK, seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	mnl_nlmsg_batch_next(b);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), seq);
	mnl_nlmsg_batch_next(b);
	out = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	return out;
}

static int
send_batch(const char *buf, size_t len, uint32_t seq, char *err,
    size_t errlen)
{
	struct mnl_socket *nl;
	char ans[8192];
	ssize_t n;
	int rv = -1;

	if ((nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "netlink: %s", strerror(errno));
		goto out;
	}
	if (mnl_socket_sendto(nl, buf, len) == -1) {
		snprintf(err, errlen, "netlink send: %s", strerror(errno));
		goto out;
	}
	/* the ack (or error) of the rule, whose seq is seq + 1 */
	n = mnl_socket_recvfrom(nl, ans, sizeof(ans));
	if (n == -1 || mnl_cb_run(ans, (size_t)n, seq + 1,
	    mnl_socket_get_portid(nl), NULL, NULL) == -1) {
		snprintf(err, errlen, "xt NFQUEUE rule refused: %s",
		    strerror(errno));
		goto out;
	}
	rv = 0;
out:
	if (nl != NULL)
		mnl_socket_close(nl);
	return rv;
}

int
sync_xt_queue_rule(const char *table, const char *chain, uint16_t queue,
    char *err, size_t errlen)
{
	struct nftnl_rule *r;
	char buf[8192];
	uint32_t seq = (uint32_t)time(NULL);
	size_t len;
	int rv;

	if ((r = queue_rule(table, chain, queue)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memset(buf, 0, sizeof(buf));	/* the batch's padding goes out too */
	len = build_batch(buf, sizeof(buf), r, seq);
	nftnl_rule_free(r);
	rv = send_batch(buf, len, seq, err, errlen);
	return rv;
}
