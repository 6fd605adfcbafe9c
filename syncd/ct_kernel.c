/*
 * ct_kernel.c: the Linux conntrack table through libnetfilter_conntrack
 * (object <-> attributes) and libmnl (sockets, batches). The only file that
 * includes their headers (ct_kernel.h).
 *
 * Two netlink sockets. The event socket is bound to the NEW, UPDATE and
 * DESTROY groups with a large receive buffer and without
 * NETLINK_NO_ENOBUFS, so every overrun surfaces as ENOBUFS
 * (../shared/docs/pfsync-conntrack.md 5.5: with NO_ENOBUFS the loss is
 * silent). The request socket carries the writes; the kernel stamps its
 * port id into the events our writes cause (5.2), which is how syncd
 * recognises its own imports and never echoes them; a socket filter on the
 * event socket drops those events in the kernel already (ct_own_filter),
 * so an import burst on a backup neither costs a read and a parse per
 * entry nor fills the event buffer until it overruns. A dump opens a
 * third, short-lived socket, so that its callback may queue writes.
 *
 * Writes are batched: up to CT_BATCH_MAX requests per sendmsg, followed by
 * an NLMSG_NOOP with NLM_F_ACK whose answer marks the end of the kernel's
 * replies (netlink_rcv_skb answers every request in order, so once the
 * NOOP's ACK is read every error before it has been read too). By default
 * the requests themselves do not ask for an ACK: the kernel still reports
 * each error with the request's sequence number, so the information is the
 * same without an answer per success (5.6: 178-355 k/s errors-only against
 * 127-195 k/s with every request ACKed; here 100 000 SNAT creates take
 * 0.3-0.6 s against 0.7-0.95 s). Build with -DCT_ACK_EVERY=1 to ACK every
 * request instead.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <arpa/inet.h>
#include <linux/filter.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include "ct_kernel.h"
#include "log.h"

#ifndef CT_ACK_EVERY
#define CT_ACK_EVERY	0
#endif

#define CT_BATCH_MAX	256		/* requests per sendmsg (5.6) */
#define CT_MSG_MAX	512		/* largest request we build is ~360 B */
#define CT_BATCH_BYTES	(CT_BATCH_MAX * CT_MSG_MAX)
#define CT_RX_BYTES	65536		/* > the kernel's 32 KiB dump skbs */
/* Answers to a full batch: 257 skbs of ~1 KiB truesize each, with room. */
#define CT_REQ_RCVBUF	(4 << 20)
#define CT_REQ_SNDBUF	(1 << 20)	/* one batch per sendmsg */
#define CT_ANSWER_WAIT_S 5		/* the kernel answers synchronously */
#define CT_DISCARD_MAX	(1L << 20)	/* datagrams dropped after ENOBUFS */

/*
 * Status bits a write carries. The library ORs in IPS_CONFIRMED (without
 * it the kernel answers EBUSY, 4). NAT bits are useless in CTA_STATUS (the
 * kernel ignores them, 5.3: NAT must come as CTA_NAT_*); EXPECTED and DYING
 * cannot change (EBUSY); the rest are the kernel's own.
 */
#define CT_STATUS_SENT	(IPS_SEEN_REPLY | IPS_ASSURED | IPS_FIXED_TIMEOUT)

/*
 * TCP flags a write carries, in both directions' flags and masks. The
 * others (DATA_UNACKNOWLEDGED, MAXACK_SET, ...) describe window data that
 * ctnetlink cannot export or import. BE_LIBERAL is always set: the peer
 * cannot send the sequence windows, and without it fast flows stall after
 * a failover (5.4: 5/7 iperf3 runs stalled, 5/5 survived with it).
 */
#define CT_TCP_FLAGS_SENT (IP_CT_TCP_FLAG_WINDOW_SCALE | \
	    IP_CT_TCP_FLAG_SACK_PERM | IP_CT_TCP_FLAG_CLOSE_INIT | \
	    IP_CT_TCP_FLAG_BE_LIBERAL)

enum ct_op {
	CT_OP_CREATE,
	CT_OP_UPDATE,
	CT_OP_DELETE,
};

enum ct_verdict {
	CT_V_OK,
	CT_V_FAIL,
	CT_V_RETRY,
};

/* One request in the batch, kept until its answer is known. */
struct ct_req {
	struct sync_state st;
	uint8_t		op;		/* enum ct_op: what was sent */
	uint8_t		origin;		/* enum ct_op: what the caller asked */
	uint8_t		pass;		/* 0 first try, 1 retry (final) */
	uint8_t		nolabels;	/* create without CTA_LABELS */
	int		err;		/* errno from the kernel, 0 done */
};

struct ct_kernel {
	struct mnl_socket	*ev;
	struct mnl_socket	*rq;
	struct mnl_socket	*q;		/* lookups (ct_get_by_reply) */
	uint32_t		 qseq;
	uint32_t		 portid;	/* of rq: marks our events */
	uint32_t		 seq0;		/* sequence number of reqs[0] */
	struct mnl_nlmsg_batch	*batch;
	int			 nreqs;
	int			 carry;		/* failures of automatic flushes */
	struct ct_stats		 stats;
	struct ct_req		 reqs[CT_BATCH_MAX];
	struct ct_req		 retry[CT_BATCH_MAX];
	char			 tx[CT_BATCH_BYTES + 2 * CT_MSG_MAX];
	char			 rx[CT_RX_BYTES];
};

static struct mnl_socket *ct_socket(unsigned int, int);
static void	ct_timeout(struct mnl_socket *);

/* --- nf_conntrack -> sync_state ------------------------------------------ */

static int
ct_alen(int af)
{
	return af == AF_INET ? 4 : 16;
}

static int
ct_is_icmp(int proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

static void
ct_get_addr(const struct nf_conntrack *ct, int af, enum nf_conntrack_attr a4,
    enum nf_conntrack_attr a6, uint8_t *dst)
{
	const void	*p;

	if ((p = nfct_get_attr(ct, af == AF_INET ? a4 : a6)) != NULL)
		memcpy(dst, p, ct_alen(af));
}

/* Ports arrive in network order. */
static uint16_t
ct_get_port(const struct nf_conntrack *ct, enum nf_conntrack_attr a)
{
	if (nfct_attr_is_set(ct, a) <= 0)
		return 0;
	return ntohs(nfct_get_attr_u16(ct, a));
}

static void
ct_get_tuples(const struct nf_conntrack *ct, struct sync_state *st)
{
	int	af = st->af;

	ct_get_addr(ct, af, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC,
	    st->orig.src);
	ct_get_addr(ct, af, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST,
	    st->orig.dst);
	ct_get_addr(ct, af, ATTR_REPL_IPV4_SRC, ATTR_REPL_IPV6_SRC,
	    st->reply.src);
	ct_get_addr(ct, af, ATTR_REPL_IPV4_DST, ATTR_REPL_IPV6_DST,
	    st->reply.dst);
	if (ct_is_icmp(st->proto)) {
		/* ICMP: the id in sport, type << 8 | code in dport */
		st->orig.sport = ct_get_port(ct, ATTR_ICMP_ID);
		st->orig.dport = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE) << 8 |
		    nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
		return;		/* the reply's: ct_reply_icmp */
	}
	st->orig.sport = ct_get_port(ct, ATTR_ORIG_PORT_SRC);
	st->orig.dport = ct_get_port(ct, ATTR_ORIG_PORT_DST);
	st->reply.sport = ct_get_port(ct, ATTR_REPL_PORT_SRC);
	st->reply.dport = ct_get_port(ct, ATTR_REPL_PORT_DST);
}

static void
ct_icmp_attr(const struct nlattr *a, struct sync_tuple *t)
{
	size_t	len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case CTA_PROTO_ICMP_ID:
	case CTA_PROTO_ICMPV6_ID:
		if (len >= 2)
			t->sport = ntohs(mnl_attr_get_u16(a));
		break;
	case CTA_PROTO_ICMP_TYPE:
	case CTA_PROTO_ICMPV6_TYPE:
		if (len >= 1)
			t->dport = (t->dport & 0xff) | mnl_attr_get_u8(a) << 8;
		break;
	case CTA_PROTO_ICMP_CODE:
	case CTA_PROTO_ICMPV6_CODE:
		if (len >= 1)
			t->dport = (t->dport & 0xff00) | mnl_attr_get_u8(a);
		break;
	}
}

/*
 * The library files the reply tuple's ICMP fields under the original's
 * attribute bits, so they cannot be read back through nfct_get_attr; walk
 * CTA_TUPLE_REPLY / CTA_TUPLE_PROTO of the message instead.
 */
static void
ct_reply_icmp(const void *attrs, size_t len, struct sync_tuple *t)
{
	const struct nlattr	*attr, *b, *c;

	mnl_attr_for_each_payload(attrs, len) {
		if (mnl_attr_get_type(attr) != CTA_TUPLE_REPLY)
			continue;
		mnl_attr_for_each_nested(b, attr) {
			if (mnl_attr_get_type(b) != CTA_TUPLE_PROTO)
				continue;
			mnl_attr_for_each_nested(c, b)
				ct_icmp_attr(c, t);
		}
	}
}

/* Labels: bit i of the kernel's bitmap is bit i % 8 of labels[i / 8]. */
static void
ct_get_labels(const struct nf_conntrack *ct, uint8_t labels[16])
{
	const struct nfct_bitmask	*b;
	unsigned int			 i, max;

	if ((b = nfct_get_attr(ct, ATTR_CONNLABELS)) == NULL)
		return;
	max = nfct_bitmask_maxbit(b);
	for (i = 0; i <= max && i < 128; i++)
		if (nfct_bitmask_test_bit(b, i))
			labels[i / 8] |= 1 << (i % 8);
}

/*
 * Fields the message does not carry stay 0: UPDATE events bring TCP
 * protoinfo only when it changed, DESTROY events no timeout.
 */
static int
ct_to_state(const struct nf_conntrack *ct, const void *attrs, size_t len,
    struct sync_state *st)
{
	memset(st, 0, sizeof(*st));
	st->af = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	st->proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (st->af != AF_INET && st->af != AF_INET6)
		return -1;
	ct_get_tuples(ct, st);
	if (ct_is_icmp(st->proto))
		ct_reply_icmp(attrs, len, &st->reply);
	st->zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	st->mark = nfct_get_attr_u32(ct, ATTR_MARK);
	st->status = nfct_get_attr_u32(ct, ATTR_STATUS);
	st->timeout = nfct_get_attr_u32(ct, ATTR_TIMEOUT);
	if (st->proto == IPPROTO_TCP) {
		st->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
		st->wscale[0] = nfct_get_attr_u8(ct, ATTR_TCP_WSCALE_ORIG);
		st->wscale[1] = nfct_get_attr_u8(ct, ATTR_TCP_WSCALE_REPL);
		st->tcp_flags[0] = nfct_get_attr_u8(ct, ATTR_TCP_FLAGS_ORIG);
		st->tcp_flags[1] = nfct_get_attr_u8(ct, ATTR_TCP_FLAGS_REPL);
	}
	ct_get_labels(ct, st->labels);
	return 0;
}

/* Parse one ctnetlink message; -1 if it is not a usable conntrack. */
static int
ct_parse(const struct nlmsghdr *nlh, struct sync_state *st)
{
	struct nf_conntrack	*ct;
	int			 rc = -1;

	if ((ct = nfct_new()) == NULL)
		return -1;
	if (nfct_nlmsg_parse(nlh, ct) == 0)
		rc = ct_to_state(ct, mnl_nlmsg_get_payload_offset(nlh,
		    sizeof(struct nfgenmsg)), mnl_nlmsg_get_payload_len(nlh) -
		    sizeof(struct nfgenmsg), st);
	nfct_destroy(ct);
	return rc;
}

int
ct_parse_attrs(const void *attrs, size_t len, int af, struct sync_state *st)
{
	struct nf_conntrack	*ct;
	int			 rc = -1;

	if ((ct = nfct_new()) == NULL)
		return -1;
	if (nfct_payload_parse(attrs, len, (uint16_t)af, ct) == 0)
		rc = ct_to_state(ct, attrs, len, st);
	nfct_destroy(ct);
	return rc;
}

/* --- sync_state -> nf_conntrack ------------------------------------------ */

/* Protocols whose tuples the library can build (build_mnl.c). */
static int
ct_proto_ok(int af, int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
	case IPPROTO_GRE:
		return 1;
	case IPPROTO_ICMP:
		return af == AF_INET;
	case IPPROTO_ICMPV6:
		return af == AF_INET6;
	}
	return 0;
}

/* Protocols whose NAT ranges carry ports (the library's protonat). */
static int
ct_nat_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static void
ct_set_addr(struct nf_conntrack *ct, int af, enum nf_conntrack_attr a4,
    enum nf_conntrack_attr a6, const uint8_t *src)
{
	uint32_t	v4;

	if (af == AF_INET) {
		memcpy(&v4, src, sizeof(v4));	/* src may be unaligned */
		nfct_set_attr_u32(ct, a4, v4);
	} else
		nfct_set_attr(ct, a6, src);
}

/* The original tuple and the zone: all a delete or an update looks up. */
static void
ct_set_orig(struct nf_conntrack *ct, const struct sync_state *st)
{
	nfct_set_attr_u8(ct, ATTR_L3PROTO, st->af);
	nfct_set_attr_u8(ct, ATTR_L4PROTO, st->proto);
	ct_set_addr(ct, st->af, ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV6_SRC,
	    st->orig.src);
	ct_set_addr(ct, st->af, ATTR_ORIG_IPV4_DST, ATTR_ORIG_IPV6_DST,
	    st->orig.dst);
	if (ct_is_icmp(st->proto)) {
		/* after L3PROTO: the type setter fills the reply's type */
		nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, st->orig.dport >> 8);
		nfct_set_attr_u8(ct, ATTR_ICMP_CODE, st->orig.dport & 0xff);
		nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(st->orig.sport));
	} else {
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_SRC, htons(st->orig.sport));
		nfct_set_attr_u16(ct, ATTR_ORIG_PORT_DST, htons(st->orig.dport));
	}
	nfct_set_attr_u16(ct, ATTR_ZONE, st->zone);
}

/*
 * NAT from orig vs reply: the reply's destination is where SNAT put the
 * source, the reply's source where DNAT put the destination. Sent as
 * CTA_NAT_SRC/DST with the reply tuple set up as the plain inverse of the
 * original (NFCT_SOPT_SETUP_REPLY): the kernel then runs its NAT setup,
 * rewrites the reply tuple and sets SRC/DST_NAT(_DONE). A NATed reply tuple
 * sent as such would make the kernel see nothing to do and leave
 * IPS_SRC_NAT clear, so packets would pass untranslated (5.3).
 */
static void
ct_set_nat(struct nf_conntrack *ct, const struct sync_state *st)
{
	int	alen = ct_alen(st->af), ports = ct_nat_ports(st->proto);

	if (memcmp(st->reply.dst, st->orig.src, alen) != 0 ||
	    (ports && st->reply.dport != st->orig.sport)) {
		ct_set_addr(ct, st->af, ATTR_SNAT_IPV4, ATTR_SNAT_IPV6,
		    st->reply.dst);
		if (ports)
			nfct_set_attr_u16(ct, ATTR_SNAT_PORT,
			    htons(st->reply.dport));
	}
	if (memcmp(st->reply.src, st->orig.dst, alen) != 0 ||
	    (ports && st->reply.sport != st->orig.dport)) {
		ct_set_addr(ct, st->af, ATTR_DNAT_IPV4, ATTR_DNAT_IPV6,
		    st->reply.src);
		if (ports)
			nfct_set_attr_u16(ct, ATTR_DNAT_PORT,
			    htons(st->reply.sport));
	}
}

/*
 * TCP state 0 (NONE, never the state of a confirmed entry) means the
 * protoinfo is unknown, as in an UPDATE event that did not carry it: then
 * only BE_LIBERAL is sent, and the entry's state, flags and window scale
 * are left as they are.
 */
static void
ct_set_tcp(struct nf_conntrack *ct, const struct sync_state *st)
{
	uint8_t	mask = CT_TCP_FLAGS_SENT;

	if (st->tcp_state == TCP_CONNTRACK_NONE)
		mask = IP_CT_TCP_FLAG_BE_LIBERAL;
	else
		nfct_set_attr_u8(ct, ATTR_TCP_STATE, st->tcp_state);
	nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG,
	    (st->tcp_flags[0] & mask) | IP_CT_TCP_FLAG_BE_LIBERAL);
	nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL,
	    (st->tcp_flags[1] & mask) | IP_CT_TCP_FLAG_BE_LIBERAL);
	nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, mask);
	nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, mask);
	if (st->tcp_state == TCP_CONNTRACK_NONE)
		return;
	nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_ORIG, st->wscale[0]);
	nfct_set_attr_u8(ct, ATTR_TCP_WSCALE_REPL, st->wscale[1]);
}

static int
ct_labels_set(const uint8_t labels[16])
{
	int	i;

	for (i = 0; i < 16; i++)
		if (labels[i] != 0)
			return 1;
	return 0;
}

/*
 * Labels only when some are set: the kernel answers ENOSPC to CTA_LABELS
 * unless its ruleset uses labels (no label extension on the entry).
 */
static void
ct_set_labels(struct nf_conntrack *ct, const uint8_t labels[16])
{
	struct nfct_bitmask	*b;
	unsigned int		 i;

	if (!ct_labels_set(labels) || (b = nfct_bitmask_new(127)) == NULL)
		return;
	for (i = 0; i < 128; i++)
		if (labels[i / 8] & (1 << (i % 8)))
			nfct_bitmask_set_bit(b, i);
	nfct_set_attr(ct, ATTR_CONNLABELS, b);	/* ct owns b now */
}

/* The object for one request; NULL if it cannot be expressed. */
static struct nf_conntrack *
ct_build_obj(const struct ct_req *r)
{
	const struct sync_state	*st = &r->st;
	struct nf_conntrack	*ct;

	if ((ct = nfct_new()) == NULL)
		return NULL;
	ct_set_orig(ct, st);
	if (r->op == CT_OP_DELETE)
		return ct;
	if (r->op == CT_OP_CREATE) {
		/* the kernel needs both tuples to create */
		nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
		ct_set_nat(ct, st);
	}
	nfct_set_attr_u32(ct, ATTR_STATUS, st->status & CT_STATUS_SENT);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, st->timeout);
	nfct_set_attr_u32(ct, ATTR_MARK, st->mark);
	if (st->proto == IPPROTO_TCP)
		ct_set_tcp(ct, st);
	if (!r->nolabels)
		ct_set_labels(ct, st->labels);
	return ct;
}

/* --- the batch ----------------------------------------------------------- */

static void
ct_batch_reset(struct ct_kernel *k)
{
	k->seq0 += k->nreqs + 1;	/* + the NOOP that ended the batch */
	k->nreqs = 0;
	mnl_nlmsg_batch_reset(k->batch);
}

/* Room for n more requests in this batch. */
static int
ct_room(struct ct_kernel *k, int n)
{
	return k->nreqs + n <= CT_BATCH_MAX &&
	    mnl_nlmsg_batch_size(k->batch) + n * CT_MSG_MAX <= CT_BATCH_BYTES;
}

static struct nlmsghdr *
ct_put_header(void *buf, uint16_t type, uint16_t flags, uint32_t seq,
    uint8_t af)
{
	struct nlmsghdr	*nlh;
	struct nfgenmsg	*nfg;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = af;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

/* Append one request; the caller made sure there is room. */
static int
ct_put(struct ct_kernel *k, const struct ct_req *r)
{
	static const uint16_t	 flags[] = {
		[CT_OP_CREATE] = NLM_F_CREATE | NLM_F_EXCL,
		[CT_OP_UPDATE] = 0,
		[CT_OP_DELETE] = 0,
	};
	struct nf_conntrack	*ct;
	struct nlmsghdr		*nlh;
	int			 rc;

	if (!ct_proto_ok(r->st.af, r->st.proto)) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	if ((ct = ct_build_obj(r)) == NULL)
		return -1;
	nlh = ct_put_header(mnl_nlmsg_batch_current(k->batch),
	    r->op == CT_OP_DELETE ? IPCTNL_MSG_CT_DELETE : IPCTNL_MSG_CT_NEW,
	    flags[r->op] | (CT_ACK_EVERY ? NLM_F_ACK : 0),
	    k->seq0 + k->nreqs, r->st.af);
	rc = nfct_nlmsg_build(nlh, ct);
	nfct_destroy(ct);
	if (rc == -1 || nlh->nlmsg_len > CT_MSG_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	mnl_nlmsg_batch_next(k->batch);
	k->reqs[k->nreqs] = *r;
	k->reqs[k->nreqs].err = 0;
	k->nreqs++;
	return 0;
}

/* The answers were lost (or never came): every request counts as failed. */
static void
ct_answers_lost(struct ct_kernel *k, int err)
{
	int	i;

	log_warnx("ct: answers to %d requests lost: %s", k->nreqs,
	    strerror(err));
	for (i = 0; i < k->nreqs; i++)
		if (k->reqs[i].err == 0)
			k->reqs[i].err = err;
}

/* One datagram of answers; returns 1 once the closing NOOP's ACK is seen. */
static int
ct_answers(struct ct_kernel *k, int len)
{
	const struct nlmsghdr	*nlh = (const struct nlmsghdr *)k->rx;
	const struct nlmsgerr	*e;
	uint32_t		 i;
	int			 end = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type != NLMSG_ERROR ||
		    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
			continue;
		e = mnl_nlmsg_get_payload(nlh);
		i = nlh->nlmsg_seq - k->seq0;	/* stale answers fall out */
		if (i < (uint32_t)k->nreqs)
			k->reqs[i].err = -e->error;
		else if (i == (uint32_t)k->nreqs)
			end = 1;
	}
	return end;
}

/*
 * Send the batch and the closing NOOP, then read answers until the NOOP's
 * ACK. The kernel processes a sendmsg synchronously, so the answers are
 * queued by the time sendto returns; SO_RCVTIMEO only guards against an
 * answer lost to a full receive buffer.
 */
static void
ct_xmit(struct ct_kernel *k)
{
	int	fd = mnl_socket_get_fd(k->rq);
	ssize_t	n;

	ct_put_header(mnl_nlmsg_batch_current(k->batch), 0, NLM_F_ACK,
	    k->seq0 + k->nreqs, AF_UNSPEC)->nlmsg_type = NLMSG_NOOP;
	mnl_nlmsg_batch_next(k->batch);
	if (mnl_socket_sendto(k->rq, mnl_nlmsg_batch_head(k->batch),
	    mnl_nlmsg_batch_size(k->batch)) == -1) {
		ct_answers_lost(k, errno);
		return;
	}
	for (;;) {
		n = recv(fd, k->rx, sizeof(k->rx), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			ct_answers_lost(k, errno);
			return;
		}
		if (ct_answers(k, n))
			return;
	}
}

static const char *
ct_op_name(int op)
{
	return op == CT_OP_CREATE ? "create" :
	    op == CT_OP_UPDATE ? "update" : "delete";
}

static int
ct_retryable(const struct ct_req *r)
{
	switch (r->op) {
	case CT_OP_CREATE:
		return r->err == EEXIST ||
		    (r->err == ENOSPC && ct_labels_set(r->st.labels));
	case CT_OP_UPDATE:
		/* ENOSPC: the entry has no room for labels; a new one has */
		return r->err == EBUSY || r->err == ENOENT ||
		    (r->err == ENOSPC && ct_labels_set(r->st.labels));
	}
	return 0;
}

/* Account for one answered request. */
static enum ct_verdict
ct_verdict(struct ct_kernel *k, const struct ct_req *r)
{
	int	err = r->err;

	if (r->op == CT_OP_DELETE && err == ENOENT)
		err = 0;			/* already gone: done */
	if (r->pass == 1 && r->op == CT_OP_DELETE)
		return CT_V_OK;			/* only cleared the way */
	if (err == 0) {
		if (r->origin == CT_OP_CREATE)
			k->stats.created++;
		else if (r->origin == CT_OP_UPDATE)
			k->stats.updated++;
		else
			k->stats.deleted++;
		return CT_V_OK;
	}
	if (r->pass == 0 && ct_retryable(r))
		return CT_V_RETRY;
	k->stats.failed++;
	log_debug("ct: %s (asked %s) failed: %s", ct_op_name(r->op),
	    ct_op_name(r->origin), strerror(err));
	return CT_V_FAIL;
}

/* Send a batch of final (pass 1) requests; returns how many failed. */
static int
ct_xmit_final(struct ct_kernel *k)
{
	int	i, failed = 0;

	if (k->nreqs == 0)
		return 0;
	ct_xmit(k);
	for (i = 0; i < k->nreqs; i++)
		if (ct_verdict(k, &k->reqs[i]) == CT_V_FAIL)
			failed++;
	ct_batch_reset(k);
	return failed;
}

/*
 * The retry for a failed first try: an existing entry (EEXIST), or one the
 * update cannot change (EBUSY: status bits that only the kernel may set or
 * clear; ENOSPC: no label extension), is deleted and created again; a
 * missing one (ENOENT) is created; a create refused for its labels
 * (ENOSPC) is made without them.
 */
static int
ct_put_retry(struct ct_kernel *k, const struct ct_req *r)
{
	struct ct_req	d = *r, c = *r;

	d.pass = c.pass = 1;
	c.op = CT_OP_CREATE;
	d.op = CT_OP_DELETE;
	if (r->op == CT_OP_CREATE && r->err == ENOSPC)
		c.nolabels = 1;
	else if (r->err != ENOENT && ct_put(k, &d) == -1)
		return -1;
	return ct_put(k, &c);
}

static int
ct_retry(struct ct_kernel *k, int n)
{
	int	i, failed = 0;

	for (i = 0; i < n; i++) {
		if (!ct_room(k, 2))
			failed += ct_xmit_final(k);
		if (ct_put_retry(k, &k->retry[i]) == -1) {
			k->stats.failed++;
			failed++;
		}
	}
	return failed + ct_xmit_final(k);
}

int
ct_flush(struct ct_kernel *k)
{
	int	i, nretry = 0, failed = k->carry;

	k->carry = 0;
	if (k->nreqs == 0)
		return failed;
	ct_xmit(k);
	for (i = 0; i < k->nreqs; i++) {
		switch (ct_verdict(k, &k->reqs[i])) {
		case CT_V_OK:
			break;
		case CT_V_FAIL:
			failed++;
			break;
		case CT_V_RETRY:
			k->retry[nretry++] = k->reqs[i];
			break;
		}
	}
	ct_batch_reset(k);
	failed += ct_retry(k, nretry);
	if (failed > 0)
		log_info("ct: %d conntrack requests failed", failed);
	return failed;
}

static int
ct_queue(struct ct_kernel *k, enum ct_op op, const struct sync_state *st)
{
	struct ct_req	r;

	memset(&r, 0, sizeof(r));
	r.st = *st;
	r.op = r.origin = op;
	if (!ct_room(k, 1))
		k->carry += ct_flush(k);
	if (ct_put(k, &r) == -1) {
		log_debug("ct: cannot %s af %d proto %d: %s", ct_op_name(op),
		    st->af, st->proto, strerror(errno));
		k->stats.failed++;
		return -1;
	}
	return 0;
}

int
ct_create(struct ct_kernel *k, const struct sync_state *st)
{
	return ct_queue(k, CT_OP_CREATE, st);
}

int
ct_update(struct ct_kernel *k, const struct sync_state *st)
{
	return ct_queue(k, CT_OP_UPDATE, st);
}

int
ct_delete(struct ct_kernel *k, const struct sync_state *st)
{
	return ct_queue(k, CT_OP_DELETE, st);
}

/* --- dump and events ----------------------------------------------------- */

/* One datagram of a dump: 1 at its end, -1 on error, 0 for more. */
static int
ct_dump_part(const char *buf, int len, uint32_t seq,
    void (*cb)(void *, const struct sync_state *), void *arg)
{
	const struct nlmsghdr	*nlh = (const struct nlmsghdr *)buf;
	const struct nlmsgerr	*e;
	struct sync_state	 st;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_seq != seq)
			continue;
		if (nlh->nlmsg_type == NLMSG_DONE)
			return 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			e = mnl_nlmsg_get_payload(nlh);
			errno = -e->error;
			return -1;
		}
		if (ct_parse(nlh, &st) == 0)
			cb(arg, &st);
	}
	return 0;
}

static int
ct_dump_read(struct mnl_socket *nl, uint32_t seq,
    void (*cb)(void *, const struct sync_state *), void *arg)
{
	char	*buf;
	ssize_t	 n;
	int	 rc = 0;

	if ((buf = malloc(CT_RX_BYTES)) == NULL)
		return -1;
	while (rc == 0) {
		n = recv(mnl_socket_get_fd(nl), buf, CT_RX_BYTES, 0);
		if (n == -1 && errno == EINTR)
			continue;
		rc = n == -1 ? -1 : ct_dump_part(buf, n, seq, cb, arg);
	}
	free(buf);
	return rc == 1 ? 0 : -1;
}

/*
 * AF_UNSPEC dumps every family, and a dump without CTA_ZONE every zone.
 * Writes still queued go first, so the dump sees them. The dump runs on a
 * socket of its own, so cb may queue writes (a resync deletes and creates
 * while it walks the table) without their answers and the dump's parts
 * meeting on one socket.
 */
int
ct_dump(struct ct_kernel *k, void (*cb)(void *, const struct sync_state *),
    void *arg)
{
	char			 req[64];
	struct mnl_socket	*nl;
	struct nlmsghdr		*nlh;
	uint32_t		 seq = (uint32_t)time(NULL);
	int			 rc = -1;

	k->carry = ct_flush(k);
	if ((nl = ct_socket(0, SOCK_CLOEXEC)) == NULL)
		return -1;
	ct_timeout(nl);
	nlh = ct_put_header(req, IPCTNL_MSG_CT_GET, NLM_F_DUMP, seq,
	    AF_UNSPEC);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) != -1)
		rc = ct_dump_read(nl, seq, cb, arg);
	if (rc == -1)
		log_warn("ct: dump");
	mnl_socket_close(nl);
	return rc;
}

/*
 * st's reply tuple as the lookup key, under attribute `which` (the
 * reply's or the original's; zone 0 unless st says otherwise),
 * written with libmnl: the library's builder always adds an original
 * tuple, which the kernel would look up instead.
 */
static void
ct_put_key(struct nlmsghdr *nlh, const struct sync_state *st, int which)
{
	struct nlattr	*tuple, *nest;
	size_t		 alen = st->af == AF_INET ? 4 : 16;

	tuple = mnl_attr_nest_start(nlh, which);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, st->af == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC,
	    alen, st->reply.src);
	mnl_attr_put(nlh, st->af == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST,
	    alen, st->reply.dst);
	mnl_attr_nest_end(nlh, nest);
	nest = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, st->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(st->reply.sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(st->reply.dport));
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, tuple);
	if (st->zone != 0)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(st->zone));
}

struct ct_get_ctx {
	struct sync_state	*out;
	int			 found;
};

static void
ct_get_one(void *arg, const struct sync_state *st)
{
	struct ct_get_ctx *g = arg;

	*g->out = *st;
	g->found = 1;
}

static int
ct_get(struct ct_kernel *k, const struct sync_state *key, int which,
    struct sync_state *out)
{
	char			 req[CT_MSG_MAX];
	struct nlmsghdr		*nlh;
	struct ct_get_ctx	 g = { out, 0 };
	uint32_t		 seq = ++k->qseq;

	if (key->af != AF_INET && key->af != AF_INET6)
		return -1;
	memset(req, 0, sizeof(req));	/* attribute padding goes out too */
	nlh = ct_put_header(req, IPCTNL_MSG_CT_GET, NLM_F_ACK, seq, key->af);
	ct_put_key(nlh, key, which);
	if (mnl_socket_sendto(k->q, nlh, nlh->nlmsg_len) == -1)
		return -1;
	/* the entry, then the ack; or only an error (ENOENT) */
	if (ct_dump_read(k->q, seq, ct_get_one, &g) == -1 && !g.found)
		return -1;
	return g.found ? 0 : -1;
}

int
ct_get_by_reply(struct ct_kernel *k, const struct sync_state *key,
    struct sync_state *out)
{
	return ct_get(k, key, CTA_TUPLE_REPLY, out);
}

int
ct_get_by_orig(struct ct_kernel *k, const struct sync_state *key,
    struct sync_state *out)
{
	return ct_get(k, key, CTA_TUPLE_ORIG, out);
}

static enum ct_event
ct_event_type(const struct nlmsghdr *nlh)
{
	if (NFNL_MSG_TYPE(nlh->nlmsg_type) == IPCTNL_MSG_CT_DELETE)
		return CT_EV_DESTROY;
	/* the kernel flags NEW (and RELATED) events CREATE|EXCL */
	if (nlh->nlmsg_flags & NLM_F_CREATE)
		return CT_EV_NEW;
	return CT_EV_UPDATE;
}

/* The events of one datagram; returns how many were delivered. */
static int
ct_event_part(struct ct_kernel *k, int len,
    void (*cb)(void *, enum ct_event, const struct sync_state *, int),
    void *arg)
{
	const struct nlmsghdr	*nlh = (const struct nlmsghdr *)k->rx;
	struct sync_state	 st;
	int			 n = 0;

	for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
		if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_CTNETLINK)
			continue;
		if (ct_parse(nlh, &st) == -1)
			continue;
		k->stats.events++;
		n++;
		cb(arg, ct_event_type(nlh), &st, nlh->nlmsg_pid == k->portid);
	}
	return n;
}

/* One datagram from the kernel: its length, 0 if none, -1 on error. */
static ssize_t
ct_event_recv(struct ct_kernel *k)
{
	struct sockaddr_nl	 sa;
	struct iovec		 iov = { k->rx, sizeof(k->rx) };
	struct msghdr		 msg = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t			 n;

	for (;;) {
		n = recvmsg(mnl_socket_get_fd(k->ev), &msg, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ?
			    0 : -1;
		/* only the kernel (port 0) speaks on these groups */
		if (sa.nl_pid == 0 && !(msg.msg_flags & MSG_TRUNC))
			return n;
	}
}

/*
 * After ENOBUFS the socket still holds the events queued before the
 * loss (the error is reported first). They are older than the dump the
 * caller makes next, so applied after it they would bring back entries
 * deleted since, whose DESTROY was among the lost (a 120 000-entry burst
 * left ~50 000 such ghosts on the peer), or old marks: discard them.
 * Bounded, since the kernel may go on queueing while we read.
 */
static void
ct_event_discard(struct ct_kernel *k)
{
	uint8_t	b;
	long	i;

	for (i = 0; i < CT_DISCARD_MAX; i++)
		if (recv(mnl_socket_get_fd(k->ev), &b, sizeof(b),
		    MSG_DONTWAIT | MSG_TRUNC) == -1 && errno != ENOBUFS &&
		    errno != EINTR)
			break;
}

int
ct_event_read(struct ct_kernel *k, int max,
    void (*cb)(void *, enum ct_event, const struct sync_state *, int),
    void *arg)
{
	ssize_t	len;
	int	n = 0;

	while (n < max) {
		if ((len = ct_event_recv(k)) == 0)
			break;
		if (len == -1 && errno == ENOBUFS) {
			/* events were dropped; the socket works on */
			ct_event_discard(k);
			k->stats.overruns++;
			log_info("ct: event overrun (%lu so far)",
			    k->stats.overruns);
			return -1;
		}
		if (len == -1) {
			log_warn("ct: event socket");
			break;
		}
		n += ct_event_part(k, len, cb, arg);
	}
	return n;
}

/* --- open, close, stats -------------------------------------------------- */

/* SO_RCVBUFFORCE (CAP_NET_ADMIN) goes past rmem_max; else what it allows. */
static void
ct_bufsize(struct mnl_socket *nl, int force, int plain, size_t size)
{
	int	fd = mnl_socket_get_fd(nl), v = size > INT32_MAX / 2 ?
	    INT32_MAX / 2 : (int)size;

	if (setsockopt(fd, SOL_SOCKET, force, &v, sizeof(v)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, plain, &v, sizeof(v)) == -1)
		log_warn("ct: socket buffer %d", v);
}

static struct mnl_socket *
ct_socket(unsigned int groups, int flags)
{
	struct mnl_socket	*nl;

	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, flags)) == NULL) {
		log_warn("ct: netlink socket");
		return NULL;
	}
	if (mnl_socket_bind(nl, groups, MNL_SOCKET_AUTOPID) == -1) {
		log_warn("ct: netlink bind");
		mnl_socket_close(nl);
		return NULL;
	}
	return nl;
}

/*
 * The kernel answers requests synchronously and dumps as we read: a wait
 * this long means an answer was lost (a full receive buffer).
 */
static void
ct_timeout(struct mnl_socket *nl)
{
	struct timeval	tv = { CT_ANSWER_WAIT_S, 0 };

	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)) == -1)
		log_warn("ct: SO_RCVTIMEO");
}

/* The request socket: room for a batch's answers, short answers. */
static void
ct_rq_options(struct ct_kernel *k)
{
	int	fd = mnl_socket_get_fd(k->rq), one = 1;

	ct_bufsize(k->rq, SO_RCVBUFFORCE, SO_RCVBUF, CT_REQ_RCVBUF);
	ct_bufsize(k->rq, SO_SNDBUFFORCE, SO_SNDBUF, CT_REQ_SNDBUF);
	/* errors without a copy of the request: 36 bytes each */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one,
	    sizeof(one)) == -1)
		log_debug("ct: NETLINK_CAP_ACK: %s", strerror(errno));
	ct_timeout(k->rq);
}

/*
 * Classic BPF on the event socket: a message whose nlmsg_pid is our
 * request socket's port id (an event our own write caused, 5.2) is
 * dropped before it is queued. Each event is an skb of its own, so the
 * first header is the only one. BPF_ABS loads are big-endian, hence
 * htonl. Without the filter (an old kernel) the ours flag still works.
 */
static void
ct_own_filter(struct ct_kernel *k)
{
	struct sock_filter	code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct nlmsghdr, nlmsg_pid)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(k->portid), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog	prog = { sizeof(code) / sizeof(code[0]), code };

	if (setsockopt(mnl_socket_get_fd(k->ev), SOL_SOCKET, SO_ATTACH_FILTER,
	    &prog, sizeof(prog)) == -1)
		log_warn("ct: event filter");
}

void
ct_keep_own_events(struct ct_kernel *k)
{
	int	dummy = 0;

	if (setsockopt(mnl_socket_get_fd(k->ev), SOL_SOCKET, SO_DETACH_FILTER,
	    &dummy, sizeof(dummy)) == -1)
		log_warn("ct: detach event filter");
}

struct ct_kernel *
ct_open(size_t rcvbuf)
{
	struct ct_kernel	*k;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		log_warn("ct: calloc");
		return NULL;
	}
	k->ev = ct_socket(NF_NETLINK_CONNTRACK_NEW |
	    NF_NETLINK_CONNTRACK_UPDATE | NF_NETLINK_CONNTRACK_DESTROY,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	k->rq = ct_socket(0, SOCK_CLOEXEC);
	k->q = ct_socket(0, SOCK_CLOEXEC);
	k->batch = mnl_nlmsg_batch_start(k->tx, CT_BATCH_BYTES + CT_MSG_MAX);
	if (k->ev == NULL || k->rq == NULL || k->q == NULL ||
	    k->batch == NULL) {
		ct_close(k);
		return NULL;
	}
	ct_bufsize(k->ev, SO_RCVBUFFORCE, SO_RCVBUF, rcvbuf);
	ct_rq_options(k);
	ct_timeout(k->q);	/* a lookup never blocks the loop for long */
	k->portid = mnl_socket_get_portid(k->rq);
	k->seq0 = (uint32_t)time(NULL);
	ct_own_filter(k);
	return k;
}

void
ct_close(struct ct_kernel *k)
{
	if (k == NULL)
		return;
	if (k->batch != NULL)
		mnl_nlmsg_batch_stop(k->batch);
	if (k->ev != NULL)
		mnl_socket_close(k->ev);
	if (k->rq != NULL)
		mnl_socket_close(k->rq);
	if (k->q != NULL)
		mnl_socket_close(k->q);
	free(k);
}

int
ct_event_fd(const struct ct_kernel *k)
{
	return mnl_socket_get_fd(k->ev);
}

void
ct_get_stats(const struct ct_kernel *k, struct ct_stats *s)
{
	*s = k->stats;
}
