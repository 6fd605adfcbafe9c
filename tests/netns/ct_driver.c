/*
 * ct_driver.c: a command-line front to syncd/ct_kernel.c so that
 * tests/netns/test_ct_kernel.sh can drive it against a real kernel inside a
 * network namespace, and the load and clocks of tests/bench/bench_sync.sh
 * (count-wait, churn, paced, stamp). Results on stdout, ct_kernel.c's log
 * lines on stderr.
 * Exit 0 on success, 1 when the function failed, 2 on a usage error.
 *
 * A state is one line of key=value words (the order is free on input;
 * `dump` prints them in this order):
 *
 *   family=ipv4|ipv6 proto=tcp|udp|icmp|icmpv6|NUM
 *   src=ADDR dst=ADDR sport=N dport=N          original tuple
 *   rsrc=ADDR rdst=ADDR rsport=N rdport=N      reply tuple
 *   zone=N mark=N status=0xHEX|NAME|NAME... timeout=SECONDS
 *   state=ESTABLISHED|NUM wscale=O,R flags=0xO,0xR labels=HEX32|0
 *
 * ICMP keeps the id in sport and type << 8 | code in dport (id=, type=,
 * code= are accepted too). On input family follows from src, and a reply
 * key left out takes the inverse of the original (no NAT), so
 * "proto=tcp src=A dst=B sport=1 dport=2 rdst=C" is a source NAT to C.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ct_kernel.h"
#include "log.h"
#include "sync_wire.h"

#define DRV_RCVBUF	(8 << 20)

struct cmd {
	const char	*name;
	int		 nargs;		/* minimum */
	int		 maxargs;
	const char	*usage;
	int		(*fn)(char **, int);
};

static const char *const tcp_states[] = {
	[TCP_CONNTRACK_NONE] = "NONE",
	[TCP_CONNTRACK_SYN_SENT] = "SYN_SENT",
	[TCP_CONNTRACK_SYN_RECV] = "SYN_RECV",
	[TCP_CONNTRACK_ESTABLISHED] = "ESTABLISHED",
	[TCP_CONNTRACK_FIN_WAIT] = "FIN_WAIT",
	[TCP_CONNTRACK_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_CONNTRACK_LAST_ACK] = "LAST_ACK",
	[TCP_CONNTRACK_TIME_WAIT] = "TIME_WAIT",
	[TCP_CONNTRACK_CLOSE] = "CLOSE",
	[TCP_CONNTRACK_SYN_SENT2] = "SYN_SENT2",
};
#define NSTATES	(int)(sizeof(tcp_states) / sizeof(tcp_states[0]))

static const struct {
	const char	*name;
	uint32_t	 bit;
} status_names[] = {
	{ "EXPECTED", IPS_EXPECTED }, { "SEEN_REPLY", IPS_SEEN_REPLY },
	{ "ASSURED", IPS_ASSURED }, { "CONFIRMED", IPS_CONFIRMED },
	{ "SRC_NAT", IPS_SRC_NAT }, { "DST_NAT", IPS_DST_NAT },
	{ "SRC_NAT_DONE", IPS_SRC_NAT_DONE },
	{ "DST_NAT_DONE", IPS_DST_NAT_DONE },
	{ "FIXED_TIMEOUT", IPS_FIXED_TIMEOUT },
};

static const struct {
	const char	*name;
	int		 proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
	{ "sctp", IPPROTO_SCTP }, { "udplite", IPPROTO_UDPLITE },
	{ "dccp", IPPROTO_DCCP }, { "gre", IPPROTO_GRE },
};

/* --- printing ------------------------------------------------------------ */

static const char *
proto_name(int proto, char *buf, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (protos[i].proto == proto)
			return protos[i].name;
	snprintf(buf, len, "%d", proto);
	return buf;
}

static void
fmt_tuple(char *buf, size_t len, int af, const struct sync_tuple *t,
    const char *p)
{
	char	s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

	inet_ntop(af, t->src, s, sizeof(s));
	inet_ntop(af, t->dst, d, sizeof(d));
	snprintf(buf, len, "%ssrc=%s %sdst=%s %ssport=%u %sdport=%u", p, s, p,
	    d, p, t->sport, p, t->dport);
}

static void
fmt_state(char *buf, size_t len, const struct sync_state *st)
{
	char	o[160], r[160], pb[8], lab[33], stn[8];
	int	i;

	fmt_tuple(o, sizeof(o), st->af, &st->orig, "");
	fmt_tuple(r, sizeof(r), st->af, &st->reply, "r");
	for (i = 0; i < 16; i++)
		snprintf(lab + 2 * i, 3, "%02x", st->labels[i]);
	snprintf(stn, sizeof(stn), "%u", st->tcp_state);
	snprintf(buf, len, "family=%s proto=%s %s %s zone=%u mark=%u "
	    "status=0x%x timeout=%u state=%s wscale=%u,%u flags=0x%02x,0x%02x "
	    "labels=%s", st->af == AF_INET ? "ipv4" : "ipv6",
	    proto_name(st->proto, pb, sizeof(pb)), o, r, st->zone, st->mark,
	    st->status, st->timeout,
	    st->tcp_state < NSTATES && tcp_states[st->tcp_state] != NULL ?
	    tcp_states[st->tcp_state] : stn, st->wscale[0], st->wscale[1],
	    st->tcp_flags[0], st->tcp_flags[1], lab);
}

/* --- parsing ------------------------------------------------------------- */

enum { K_RSRC = 1, K_RDST = 2, K_RSPORT = 4, K_RDPORT = 8, K_FAMILY = 16 };

static int
parse_num(const char *s, unsigned long max, unsigned long *v)
{
	char	*end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return (*s == '\0' || *end != '\0' || errno != 0 || *v > max) ? -1 : 0;
}

static int
parse_addr(const char *s, struct sync_state *st, uint8_t *dst)
{
	int	af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;

	if (st->af != 0 && st->af != af)
		return -1;
	st->af = af;
	return inet_pton(af, s, dst) == 1 ? 0 : -1;
}

static int
parse_proto(const char *s, struct sync_state *st)
{
	unsigned long	v;
	size_t		i;

	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (strcmp(s, protos[i].name) == 0) {
			st->proto = protos[i].proto;
			return 0;
		}
	if (parse_num(s, 255, &v) == -1)
		return -1;
	st->proto = v;
	return 0;
}

static int
parse_status(const char *s, uint32_t *status)
{
	char		 buf[256], *w, *save = NULL;
	unsigned long	 v;
	size_t		 i;

	if (parse_num(s, UINT32_MAX, &v) == 0) {
		*status = v;
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", s);
	*status = 0;
	for (w = strtok_r(buf, "|,", &save); w != NULL;
	    w = strtok_r(NULL, "|,", &save)) {
		for (i = 0; i < sizeof(status_names) / sizeof(status_names[0]);
		    i++)
			if (strcmp(w, status_names[i].name) == 0)
				break;
		if (i == sizeof(status_names) / sizeof(status_names[0]))
			return -1;
		*status |= status_names[i].bit;
	}
	return 0;
}

static int
parse_tcp_state(const char *s, uint8_t *state)
{
	unsigned long	v;
	int		i;

	for (i = 0; i < NSTATES; i++)
		if (tcp_states[i] != NULL && strcmp(s, tcp_states[i]) == 0) {
			*state = i;
			return 0;
		}
	if (parse_num(s, 255, &v) == -1)
		return -1;
	*state = v;
	return 0;
}

/* "A,B" into two bytes */
static int
parse_pair(const char *s, uint8_t out[2])
{
	char		 buf[64], *comma;
	unsigned long	 a, b;

	snprintf(buf, sizeof(buf), "%s", s);
	if ((comma = strchr(buf, ',')) == NULL)
		return -1;
	*comma = '\0';
	if (parse_num(buf, 255, &a) == -1 || parse_num(comma + 1, 255, &b) == -1)
		return -1;
	out[0] = a;
	out[1] = b;
	return 0;
}

static int
parse_labels(const char *s, uint8_t labels[16])
{
	unsigned int	v;
	int		i;

	memset(labels, 0, 16);
	if (strcmp(s, "0") == 0)
		return 0;
	if (strlen(s) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		labels[i] = v;
	}
	return 0;
}

static int
parse_u16(const char *s, uint16_t *out)
{
	unsigned long	v;

	if (parse_num(s, 65535, &v) == -1)
		return -1;
	*out = v;
	return 0;
}

static int
parse_u32(const char *s, uint32_t *out)
{
	unsigned long	v;

	if (parse_num(s, UINT32_MAX, &v) == -1)
		return -1;
	*out = v;
	return 0;
}

/* ICMP aliases: id, type, code. */
static int
parse_icmp_kv(const char *k, const char *v, struct sync_state *st)
{
	unsigned long	n;

	if (parse_num(v, strcmp(k, "id") == 0 ? 65535 : 255, &n) == -1)
		return -1;
	if (strcmp(k, "id") == 0)
		st->orig.sport = n;
	else if (strcmp(k, "type") == 0)
		st->orig.dport = (st->orig.dport & 0xff) | n << 8;
	else
		st->orig.dport = (st->orig.dport & 0xff00) | n;
	return 0;
}

static int
parse_tuple_kv(const char *k, const char *v, struct sync_state *st,
    int *given)
{
	int	r = k[0] == 'r';
	struct sync_tuple *t = r ? &st->reply : &st->orig;

	k += r;
	if (strcmp(k, "src") == 0) {
		*given |= r ? K_RSRC : 0;
		return parse_addr(v, st, t->src);
	}
	if (strcmp(k, "dst") == 0) {
		*given |= r ? K_RDST : 0;
		return parse_addr(v, st, t->dst);
	}
	if (strcmp(k, "sport") == 0) {
		*given |= r ? K_RSPORT : 0;
		return parse_u16(v, &t->sport);
	}
	if (strcmp(k, "dport") == 0) {
		*given |= r ? K_RDPORT : 0;
		return parse_u16(v, &t->dport);
	}
	return 1;	/* not a tuple key */
}

static int
parse_kv(const char *k, const char *v, struct sync_state *st, int *given)
{
	int	rc;

	if ((rc = parse_tuple_kv(k, v, st, given)) != 1)
		return rc;
	if (strcmp(k, "family") == 0) {
		*given |= K_FAMILY;
		st->af = strcmp(v, "ipv6") == 0 ? AF_INET6 : AF_INET;
		return strcmp(v, "ipv4") == 0 || strcmp(v, "ipv6") == 0 ? 0 : -1;
	}
	if (strcmp(k, "proto") == 0)
		return parse_proto(v, st);
	if (strcmp(k, "zone") == 0)
		return parse_u16(v, &st->zone);
	if (strcmp(k, "mark") == 0)
		return parse_u32(v, &st->mark);
	if (strcmp(k, "status") == 0)
		return parse_status(v, &st->status);
	if (strcmp(k, "timeout") == 0)
		return parse_u32(v, &st->timeout);
	if (strcmp(k, "state") == 0)
		return parse_tcp_state(v, &st->tcp_state);
	if (strcmp(k, "wscale") == 0)
		return parse_pair(v, st->wscale);
	if (strcmp(k, "flags") == 0)
		return parse_pair(v, st->tcp_flags);
	if (strcmp(k, "labels") == 0)
		return parse_labels(v, st->labels);
	if (strcmp(k, "id") == 0 || strcmp(k, "type") == 0 ||
	    strcmp(k, "code") == 0)
		return parse_icmp_kv(k, v, st);
	return -1;
}

/* Reply keys left out: the inverse of the original tuple. */
static void
default_reply(struct sync_state *st, int given)
{
	int	icmp = st->proto == IPPROTO_ICMP || st->proto == IPPROTO_ICMPV6;
	int	type = st->orig.dport >> 8;

	if (!(given & K_RSRC))
		memcpy(st->reply.src, st->orig.dst, 16);
	if (!(given & K_RDST))
		memcpy(st->reply.dst, st->orig.src, 16);
	if (!(given & K_RSPORT))
		st->reply.sport = icmp ? st->orig.sport : st->orig.dport;
	if (given & K_RDPORT)
		return;
	if (!icmp)
		st->reply.dport = st->orig.sport;
	else	/* echo request <-> reply, v4 8/0 and v6 128/129 */
		st->reply.dport = (type == 8 ? 0 : type == 128 ? 129 : type) << 8 |
		    (st->orig.dport & 0xff);
}

static int
parse_state(const char *text, struct sync_state *st)
{
	char	buf[1024], *w, *eq, *save = NULL;
	int	given = 0, fam;

	memset(st, 0, sizeof(*st));
	snprintf(buf, sizeof(buf), "%s", text);
	for (w = strtok_r(buf, " \t\n", &save); w != NULL;
	    w = strtok_r(NULL, " \t\n", &save)) {
		if ((eq = strchr(w, '=')) == NULL)
			goto bad;
		*eq = '\0';
		fam = st->af;
		if (parse_kv(w, eq + 1, st, &given) == -1 ||
		    (fam != 0 && st->af != fam))
			goto bad;
	}
	if (st->af == 0 || st->proto == 0)
		goto bad;
	default_reply(st, given);
	return 0;
bad:
	fprintf(stderr, "ct_driver: bad state near \"%s\"\n", w ? w : text);
	return -1;
}

/* --- commands ------------------------------------------------------------ */

static void
print_stats(struct ct_kernel *k)
{
	struct ct_stats	s;

	ct_get_stats(k, &s);
	fprintf(stderr, "ct_driver: created=%lu updated=%lu deleted=%lu "
	    "failed=%lu events=%lu overruns=%lu\n", s.created, s.updated,
	    s.deleted, s.failed, s.events, s.overruns);
}

static void
dump_print(void *arg, const struct sync_state *st)
{
	char	line[512];

	(void)arg;
	fmt_state(line, sizeof(line), st);
	printf("%s\n", line);
}

static int
cmd_dump(char **av, int ac)
{
	struct ct_kernel	*k;
	int			 rc;

	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	rc = ct_dump(k, dump_print, NULL);
	ct_close(k);
	return rc == 0 ? 0 : 1;
}

struct dump_delete {
	struct ct_kernel	*k;
	unsigned long		 n;
};

static void
dump_delete_cb(void *arg, const struct sync_state *st)
{
	struct dump_delete	*d = arg;

	if (ct_delete(d->k, st) == 0)
		d->n++;
}

/* Delete every entry from inside the dump's callback, as a resync would. */
static int
cmd_dump_delete(char **av, int ac)
{
	struct dump_delete	d = { NULL, 0 };
	int			rc, bad;

	if ((d.k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	rc = ct_dump(d.k, dump_delete_cb, &d);
	bad = ct_flush(d.k);
	printf("dump-delete: %lu queued, %d failed\n", d.n, bad);
	print_stats(d.k);
	ct_close(d.k);
	return rc == 0 && bad == 0 ? 0 : 1;
}

static int
write_states(struct ct_kernel *k, int (*fn)(struct ct_kernel *,
    const struct sync_state *), char **av, int ac)
{
	struct sync_state	st;
	int			i, bad = 0;

	for (i = 0; i < ac; i++) {
		if (parse_state(av[i], &st) == -1)
			return 2;
		if (fn(k, &st) == -1)
			bad++;
	}
	bad += ct_flush(k);
	print_stats(k);
	return bad == 0 ? 0 : 1;
}

static int
cmd_write(int (*fn)(struct ct_kernel *, const struct sync_state *),
    char **av, int ac)
{
	struct ct_kernel	*k;
	int			 rc;

	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	rc = write_states(k, fn, av, ac);
	ct_close(k);
	return rc;
}

static int
cmd_create(char **av, int ac)
{
	return cmd_write(ct_create, av, ac);
}

static int
cmd_update(char **av, int ac)
{
	return cmd_write(ct_update, av, ac);
}

static int
cmd_delete(char **av, int ac)
{
	return cmd_write(ct_delete, av, ac);
}

/* get-reply STATE: look the entry up by STATE's reply tuple (defer) */
static int
cmd_get_reply(char **av, int ac)
{
	struct ct_kernel	*k;
	struct sync_state	 key, got;
	char			 line[512];
	int			 rc = 1;

	(void)ac;
	if (parse_state(av[0], &key) == -1)
		return 2;
	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	if (ct_get_by_reply(k, &key, &got) == 0) {
		fmt_state(line, sizeof(line), &got);
		printf("%s\n", line);
		rc = 0;
	} else
		fprintf(stderr, "get-reply: %s\n", strerror(errno));
	ct_close(k);
	return rc;
}

static const char *const ev_names[] = {
	[CT_EV_NEW] = "NEW", [CT_EV_UPDATE] = "UPDATE",
	[CT_EV_DESTROY] = "DESTROY",
};

static void
event_print(void *arg, enum ct_event ev, const struct sync_state *st,
    int ours)
{
	char	line[512];

	(void)arg;
	fmt_state(line, sizeof(line), st);
	printf("%s ours=%d %s\n", ev_names[ev], ours, line);
}

static long long
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Print events for ms milliseconds; returns the overruns seen. */
static unsigned long
listen_for(struct ct_kernel *k, long long ms,
    void (*cb)(void *, enum ct_event, const struct sync_state *, int),
    void *arg)
{
	struct pollfd	pfd = { ct_event_fd(k), POLLIN, 0 };
	long long	end = now_ms() + ms, left;
	unsigned long	overruns = 0;

	while ((left = end - now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			break;
		if (!(pfd.revents & POLLIN))
			continue;
		while (ct_event_read(k, 64, cb, arg) == -1) {
			overruns++;
			if (cb == event_print)
				printf("OVERRUN n=%lu\n", overruns);
		}
	}
	return overruns;
}

static int
seconds_arg(const char *s, long long *ms)
{
	double	v;
	char	*end;

	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || v < 0 || v > 3600) {
		fprintf(stderr, "ct_driver: bad seconds %s\n", s);
		return -1;
	}
	*ms = (long long)(v * 1000);
	return 0;
}

static int
cmd_events(char **av, int ac)
{
	struct ct_kernel	*k;
	unsigned long		 rcvbuf = DRV_RCVBUF, o;
	long long		 ms;

	if (seconds_arg(av[0], &ms) == -1 ||
	    (ac > 1 && parse_num(av[1], 1UL << 30, &rcvbuf) == -1))
		return 2;
	if ((k = ct_open(rcvbuf)) == NULL)
		return 1;
	printf("LISTENING\n");
	o = listen_for(k, ms, event_print, NULL);
	printf("END overruns=%lu\n", o);
	print_stats(k);
	ct_close(k);
	return 0;
}

/*
 * Create through this process's request socket, then print the events:
 * with keep, our own are delivered too (ours=1); without, the kernel
 * filters them out (ct_open's default, what syncd runs with).
 */
static int
create_listen(char **av, int ac, int keep)
{
	struct ct_kernel	*k;
	long long		 ms;
	int			 rc;

	if (seconds_arg(av[0], &ms) == -1)
		return 2;
	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	if (keep)
		ct_keep_own_events(k);
	rc = write_states(k, ct_create, av + 1, ac - 1);
	listen_for(k, ms, event_print, NULL);
	ct_close(k);
	return rc;
}

static int
cmd_create_listen(char **av, int ac)
{
	return create_listen(av, ac, 1);
}

static int
cmd_create_filtered(char **av, int ac)
{
	return create_listen(av, ac, 0);
}

/* Indices synth_state keeps distinct (reply address 203.0.113.1-254). */
#define SYNTH_MAX	15000000UL

/*
 * Synthetic entry i: TCP ESTABLISHED 192.0.2.x:p -> 198.51.100.1:80 with
 * SNAT to 203.0.113.y:q, every reply tuple distinct.
 */
static void
synth_state(unsigned long i, struct sync_state *st)
{
	memset(st, 0, sizeof(*st));
	st->af = AF_INET;
	st->proto = IPPROTO_TCP;
	st->orig.src[0] = 192, st->orig.src[2] = 2;
	st->orig.src[3] = 1 + i % 250;
	st->orig.sport = 1024 + i / 250;
	st->orig.dst[0] = 198, st->orig.dst[1] = 51, st->orig.dst[2] = 100;
	st->orig.dst[3] = 1;
	st->orig.dport = 80;
	memcpy(st->reply.src, st->orig.dst, 4);
	st->reply.sport = 80;
	st->reply.dst[0] = 203, st->reply.dst[2] = 113;
	st->reply.dst[3] = 1 + i / 60000;
	st->reply.dport = 1024 + i % 60000;
	st->tcp_state = TCP_CONNTRACK_ESTABLISHED;
	st->status = IPS_SEEN_REPLY | IPS_ASSURED;
	st->timeout = 600;
	st->wscale[0] = st->wscale[1] = 7;
	st->tcp_flags[0] = st->tcp_flags[1] =
	    IP_CT_TCP_FLAG_WINDOW_SCALE | IP_CT_TCP_FLAG_SACK_PERM;
}

static int
bulk(struct ct_kernel *k, unsigned long n, unsigned long off, int del)
{
	struct sync_state	st;
	unsigned long		i;
	int			bad = 0;

	for (i = off; i < off + n; i++) {
		synth_state(i, &st);
		if ((del ? ct_delete(k, &st) : ct_create(k, &st)) == -1)
			bad++;
	}
	return bad + ct_flush(k);
}

static int
cmd_bulk(char **av, int ac, int del)
{
	struct ct_kernel	*k;
	unsigned long		 n, off = 0;
	long long		 t0, t1;
	int			 bad;

	if (parse_num(av[0], 1000000, &n) == -1 ||
	    (ac > 1 && parse_num(av[1], 1000000, &off) == -1))
		return 2;
	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	t0 = now_ms();
	bad = bulk(k, n, off, del);
	t1 = now_ms();
	printf("bulk-%s: %lu entries, %d failed, %.3f s (%.0f/s)\n",
	    del ? "delete" : "create", n, bad, (t1 - t0) / 1000.0,
	    t1 > t0 ? n * 1000.0 / (t1 - t0) : 0.0);
	ct_close(k);
	return bad == 0 ? 0 : 1;
}

static int
cmd_bulk_create(char **av, int ac)
{
	return cmd_bulk(av, ac, 0);
}

static int
cmd_bulk_delete(char **av, int ac)
{
	return cmd_bulk(av, ac, 1);
}

struct marker {
	struct sync_state	st;
	int			seen;
	unsigned long		events;
};

static void
marker_cb(void *arg, enum ct_event ev, const struct sync_state *st, int ours)
{
	struct marker	*m = arg;

	m->events++;
	if (ev == CT_EV_NEW && ours && st->proto == m->st.proto &&
	    memcmp(&st->orig, &m->st.orig, sizeof(st->orig)) == 0)
		m->seen = 1;
}

/*
 * A listener with the smallest receive buffer, not reading while another
 * process creates n entries: the kernel must report ENOBUFS. Then the
 * socket must deliver again: our own next create is seen as ours.
 */
static int
cmd_overrun(char **av, int ac)
{
	struct ct_kernel	*k;
	static const char	*mtext = "proto=udp src=192.0.2.250 "
	    "dst=198.51.100.250 sport=9 dport=9 timeout=60";
	struct marker		 m = { .seen = 0 };
	unsigned long		 n, o;
	pid_t			 pid;
	int			 status;

	if (parse_num(av[0], 1000000, &n) == -1)
		return 2;
	if ((k = ct_open(1)) == NULL)
		return 1;
	ct_keep_own_events(k);		/* the marker is our own create */
	if ((pid = fork()) == 0) {
		struct ct_kernel	*c = ct_open(DRV_RCVBUF);

		_exit(c != NULL && bulk(c, n, 0, 0) == 0 ? 0 : 1);
	}
	if (pid == -1 || waitpid(pid, &status, 0) == -1 ||
	    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "ct_driver: bulk creator failed\n");
		return 1;
	}
	o = listen_for(k, 200, marker_cb, &m);		/* drain */
	if (parse_state(mtext, &m.st) == -1 ||
	    write_states(k, ct_create, (char **)&mtext, 1) != 0)
		return 1;
	o += listen_for(k, 1000, marker_cb, &m);
	printf("overrun: overruns=%lu events=%lu marker=%s\n", o, m.events,
	    m.seen ? "seen" : "missed");
	print_stats(k);
	ct_close(k);
	return o > 0 && m.seen ? 0 : 1;
}

/* --- bench subcommands (tests/bench/bench_sync.sh) ----------------------- */

/* CLOCK_REALTIME in seconds, as bash's $EPOCHREALTIME and ping -D print it:
 * every namespace shares it, so times taken in fw1 and fw2 subtract. */
static double
now_real(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
sleep_us(long us)
{
	struct timespec	ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* This namespace's entry count (what conntrack -C prints); -1 on error. */
static long
ct_count(int fd)
{
	char	buf[32];
	ssize_t	n;

	if ((n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Poll nf_conntrack_count every millisecond until it reaches TARGET: the
 * moment a bulk or a commit is complete, to 1 ms, without the cost of a
 * conntrack(8) process per poll. Prints "first T" when the count first
 * rises above where it was and "reached T COUNT" (or "timeout COUNT").
 */
static int
cmd_count_wait(char **av, int ac)
{
	unsigned long	 target;
	long long	 ms;
	long		 c, c0;
	double		 end;
	int		 fd, first = 1;

	(void)ac;
	if (parse_num(av[0], 1UL << 30, &target) == -1 ||
	    seconds_arg(av[1], &ms) == -1)
		return 2;
	if ((fd = open("/proc/sys/net/netfilter/nf_conntrack_count",
	    O_RDONLY | O_CLOEXEC)) == -1 || (c0 = ct_count(fd)) == -1) {
		perror("ct_driver: nf_conntrack_count");
		return 1;
	}
	printf("start %.6f %ld\n", now_real(), c0);
	end = now_real() + ms / 1000.0;
	while ((c = ct_count(fd)) < (long)target && now_real() < end) {
		if (first && c > c0) {
			printf("first %.6f %ld\n", now_real(), c);
			first = 0;
		}
		sleep_us(1000);
	}
	printf("%s %.6f %ld\n", c >= (long)target ? "reached" : "timeout",
	    now_real(), c);
	close(fd);
	return c >= (long)target ? 0 : 1;
}

/* Synthetic entry back to its index (synth_state's inverse); -1 if the
 * state is not one of them. */
static long
synth_index(const struct sync_state *st)
{
	static const uint8_t	dst[4] = { 198, 51, 100, 1 };

	if (st->af != AF_INET || st->proto != IPPROTO_TCP ||
	    st->orig.dport != 80 || memcmp(st->orig.dst, dst, 4) != 0 ||
	    st->orig.src[0] != 192 || st->orig.src[3] == 0 ||
	    st->orig.src[3] > 250 || st->orig.sport < 1024)
		return -1;
	return (long)(st->orig.sport - 1024) * 250 + st->orig.src[3] - 1;
}

struct churn {
	struct ct_kernel	*k;
	unsigned long		 first, next, oldest, window;
	unsigned long		 ops, bad;
};

/* One state change: create the next entry, or delete the oldest once
 * WINDOW are live. */
static void
churn_op(struct churn *c)
{
	struct sync_state	st;

	if (c->next - c->oldest >= c->window) {
		synth_state(c->oldest++, &st);
		c->bad += ct_delete(c->k, &st) == -1;
	} else {
		synth_state(c->next++, &st);
		c->bad += ct_create(c->k, &st) == -1;
	}
	c->ops++;
}

static int
churn_args(char **av, struct churn *c, unsigned long *rate, long long *ms)
{
	if (parse_num(av[0], 10000000, rate) == -1 || *rate == 0 ||
	    seconds_arg(av[1], ms) == -1 ||
	    parse_num(av[2], SYNTH_MAX, &c->first) == -1 ||
	    parse_num(av[3], 1000000, &c->window) == -1 || c->window == 0)
		return -1;
	c->next = c->oldest = c->first;
	return 0;
}

/*
 * Steady churn: RATE state changes per second (creates, and once WINDOW
 * entries are live as many deletes of the oldest) for SECONDS, paced on a
 * 1 ms grid and sent in batches; the WINDOW newest stay. Prints what was
 * achieved: the pacing falls behind when the kernel (or the CPU) cannot
 * keep up, and the bench must know.
 */
static int
cmd_churn(char **av, int ac)
{
	struct churn	 c;
	unsigned long	 rate;
	long long	 ms;
	double		 t0, t, dur;

	(void)ac;
	memset(&c, 0, sizeof(c));
	if (churn_args(av, &c, &rate, &ms) == -1)
		return 2;
	if ((c.k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	t0 = now_real();
	while ((t = now_real() - t0) < ms / 1000.0) {
		while (c.ops < (unsigned long)(t * rate))
			churn_op(&c);
		c.bad += ct_flush(c.k);
		sleep_us(1000);
	}
	c.bad += ct_flush(c.k);
	dur = now_real() - t0;
	printf("churn: target %lu/s achieved %.0f/s ops %lu failed %lu "
	    "live %lu..%lu\n", rate, c.ops / dur, c.ops, c.bad, c.oldest,
	    c.next - 1);
	ct_close(c.k);
	return c.bad == 0 ? 0 : 1;
}

/*
 * N entries from FIRST on, RATE per second, each sent on its own and
 * stamped ("INDEX TIME") once the kernel answered, i.e. once the entry
 * and its NEW event exist.
 */
static int
cmd_paced(char **av, int ac)
{
	struct ct_kernel	*k;
	struct sync_state	 st;
	unsigned long		 rate, n, first, i;
	double			 t0, due;
	int			 bad = 0;

	(void)ac;
	if (parse_num(av[0], 100000, &rate) == -1 || rate == 0 ||
	    parse_num(av[1], 1000000, &n) == -1 ||
	    parse_num(av[2], SYNTH_MAX - n, &first) == -1)
		return 2;
	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);	/* no write per entry */
	t0 = now_real();
	for (i = 0; i < n; i++) {
		due = t0 + (double)i / rate;
		if (due > now_real())
			sleep_us((long)((due - now_real()) * 1e6));
		synth_state(first + i, &st);
		bad += ct_create(k, &st) == -1;
		bad += ct_flush(k);
		printf("%lu %.6f\n", first + i, now_real());
	}
	fflush(stdout);
	ct_close(k);
	return bad == 0 ? 0 : 1;
}

struct stamp {
	unsigned long	want, seen;
};

static void
stamp_cb(void *arg, enum ct_event ev, const struct sync_state *st, int ours)
{
	struct stamp	*s = arg;
	long		 i;

	(void)ours;
	if (ev != CT_EV_NEW || (i = synth_index(st)) < 0)
		return;
	printf("%ld %.6f\n", i, now_real());
	s->seen++;
}

/*
 * Stamp the arrival of synthetic entries ("INDEX TIME" per NEW event)
 * until N were seen or SECONDS passed. "LISTENING" once subscribed;
 * overruns are reported (a missed stamp is then a lost sample, not a
 * late one).
 */
static int
cmd_stamp(char **av, int ac)
{
	struct ct_kernel	*k;
	struct stamp		 s = { 0, 0 };
	struct pollfd		 pfd;
	long long		 ms;
	unsigned long		 o = 0;
	double			 end;

	(void)ac;
	if (seconds_arg(av[0], &ms) == -1 ||
	    parse_num(av[1], 10000000, &s.want) == -1)
		return 2;
	if ((k = ct_open(DRV_RCVBUF)) == NULL)
		return 1;
	pfd.fd = ct_event_fd(k);
	pfd.events = POLLIN;
	printf("LISTENING\n");
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	end = now_real() + ms / 1000.0;
	while (s.seen < s.want && now_real() < end) {
		if (poll(&pfd, 1, 20) == -1 && errno != EINTR)
			break;
		if ((pfd.revents & POLLIN) &&
		    ct_event_read(k, 256, stamp_cb, &s) == -1)
			o++;
	}
	printf("END seen=%lu overruns=%lu\n", s.seen, o);
	fflush(stdout);
	ct_close(k);
	return 0;
}

static const struct cmd cmds[] = {
	{ "dump", 0, 0, "", cmd_dump },
	{ "dump-delete", 0, 0, "", cmd_dump_delete },
	{ "create", 1, 4096, "STATE...", cmd_create },
	{ "update", 1, 4096, "STATE...", cmd_update },
	{ "delete", 1, 4096, "STATE...", cmd_delete },
	{ "get-reply", 1, 1, "STATE", cmd_get_reply },
	{ "events", 1, 2, "SECONDS [RCVBUF]", cmd_events },
	{ "create-and-listen", 2, 4096, "SECONDS STATE...", cmd_create_listen },
	{ "create-filtered", 2, 4096, "SECONDS STATE...", cmd_create_filtered },
	{ "bulk-create", 1, 2, "N [FIRST]", cmd_bulk_create },
	{ "bulk-delete", 1, 2, "N [FIRST]", cmd_bulk_delete },
	{ "overrun", 1, 1, "N", cmd_overrun },
	{ "count-wait", 2, 2, "TARGET SECONDS", cmd_count_wait },
	{ "churn", 4, 4, "RATE SECONDS FIRST WINDOW", cmd_churn },
	{ "paced", 3, 3, "RATE N FIRST", cmd_paced },
	{ "stamp", 2, 2, "SECONDS N", cmd_stamp },
};

static int
usage(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(stderr, "usage: ct_driver %s %s\n", cmds[i].name,
		    cmds[i].usage);
	return 2;
}

int
main(int argc, char **argv)
{
	const struct cmd	*c = NULL;
	size_t			 i;
	int			 nargs = argc - 2;

	log_init("ct_driver", 1, LOG_DAEMON);
	log_setlevel(getenv("CT_DRIVER_DEBUG") ? LOG_DEBUG : LOG_INFO);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc >= 2 && i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			c = &cmds[i];
	if (c == NULL || nargs < c->nargs || nargs > c->maxargs)
		return usage();
	return c->fn(argv + 2, nargs);
}
