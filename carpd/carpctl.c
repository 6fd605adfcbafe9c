/*
 * carpctl: the operator's CLI for carpd and syncd over their control
 * sockets. Needs no libevent: one request, then replies until CTL_END.
 *
 *   carpctl [-s SOCKET] [-j] status
 *   carpctl [-s SOCKET] demote GROUP [-]N
 *   carpctl [-s SOCKET] state VHID master|backup
 *   carpctl [-s SOCKET] [-j] sync status	(syncd's socket by default)
 *   carpctl [-s SOCKET] sync dump FILE [-c COUNT] [-t SECONDS]
 *   carpctl [-s SOCKET] [-S SYNCSOCKET] metrics
 *   carpctl [-s SOCKET] [-S SYNCSOCKET] watch [-i SECONDS] [-n COUNT]
 *
 * Options come before the verb, so "-N" after the verb is an argument.
 */
#include <sys/signalfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carp_balance.h"
#include "ctl_client.h"
#include "ctl_msg.h"
#include "ctl_proto.h"
#include "metrics.h"
#include "pcap_out.h"
#include "sync_pkt.h"

#define DEFAULT_SOCKET	"/run/carpsync/carpd.sock"
#define SYNC_SOCKET	"/run/carpsync/syncd.sock"	/* issue 3 item 7 */
#define SYNC_MAX_PEERS	64
#define TIMEOUT_MS	5000

static const char *const state_names[] = { "INIT", "BACKUP", "MASTER" };

struct ctl_session {
	int		fd;
	uint32_t	seq;
	int		json;
};

static void
usage(void)
{
	fprintf(stderr,
	    "usage: carpctl [-s SOCKET] [-j] status\n"
	    "       carpctl [-s SOCKET] demote GROUP [-]N\n"
	    "       carpctl [-s SOCKET] state VHID master|backup\n"
	    "       carpctl [-s SOCKET] [-j] sync status\n"
	    "       carpctl [-s SOCKET] sync dump FILE [-c COUNT] "
	    "[-t SECONDS]\n"
	    "       carpctl [-s SOCKET] [-S SYNCSOCKET] metrics\n"
	    "       carpctl [-s SOCKET] [-S SYNCSOCKET] watch [-i SECONDS] "
	    "[-n COUNT]\n");
	exit(1);
}

static const char *
state_name(uint8_t s)
{
	return s < 3 ? state_names[s] : "UNKNOWN";
}

static void
request(struct ctl_session *s, uint32_t type, const void *p, size_t len)
{
	if (ctl_client_send(s->fd, type, ++s->seq, p, len) == -1) {
		fprintf(stderr, "carpctl: send: %s\n", strerror(errno));
		exit(1);
	}
}

/* Next reply of the current request; exits on error replies. */
static int
reply(struct ctl_session *s, struct ctl_hdr *h, void *payload)
{
	const char *why = "connection closed";
	struct ctl_error e;
	int rc;

	rc = ctl_client_recv(s->fd, h, payload, TIMEOUT_MS, &why);
	if (rc != 1) {
		fprintf(stderr, "carpctl: %s\n", why);
		exit(1);
	}
	if (h->type == CTL_ERROR) {
		memcpy(&e, payload, sizeof(e));
		fprintf(stderr, "carpctl: %s\n", e.text);
		exit(1);
	}
	return h->type != CTL_END;
}

static void
json_counters(const struct ctl_counters *c)
{
	printf("{\"ipackets\":%" PRIu64 ",\"ipackets6\":%" PRIu64
	    ",\"badif\":%" PRIu64 ",\"badttl\":%" PRIu64 ",\"hdrops\":%" PRIu64
	    ",\"badsum\":%" PRIu64 ",\"badver\":%" PRIu64 ",\"badlen\":%" PRIu64
	    ",\"badauth\":%" PRIu64 ",\"badvhid\":%" PRIu64
	    ",\"opackets\":%" PRIu64 ",\"opackets6\":%" PRIu64
	    ",\"onomem\":%" PRIu64 ",\"loop\":%" PRIu64
	    ",\"authvalid\":%" PRIu64 ",\"unauthenticated\":%" PRIu64
	    ",\"authmissing\":%" PRIu64 ",\"authmalformed\":%" PRIu64
	    ",\"authforged\":%" PRIu64 ",\"authreplay\":%" PRIu64 "}",
	    c->ipackets, c->ipackets6, c->badif, c->badttl, c->hdrops,
	    c->badsum, c->badver, c->badlen, c->badauth, c->badvhid,
	    c->opackets, c->opackets6, c->onomem, c->loop, c->authvalid,
	    c->unauthenticated, c->authmissing, c->authmalformed,
	    c->authforged, c->authreplay);
}

/* The announcement counters, apart from the packet counters. */
static void
json_announce(const struct ctl_counters *c)
{
	printf(",\"announce\":{\"garp\":%" PRIu64 ",\"na\":%" PRIu64
	    ",\"takeover\":%" PRIu64 ",\"won\":%" PRIu64
	    ",\"refresh\":%" PRIu64 ",\"errors\":%" PRIu64 "}", c->garp,
	    c->na, c->ann_takeover, c->ann_won, c->ann_refresh,
	    c->ann_errors);
}

static void
text_announce(const char *what, const struct ctl_counters *c)
{
	if (c->ann_takeover + c->ann_won + c->ann_refresh + c->ann_errors == 0)
		return;
	printf("%s: announce: garp %" PRIu64 " na %" PRIu64 " rounds: "
	    "takeover %" PRIu64 " won %" PRIu64 " refresh %" PRIu64
	    " errors %" PRIu64 "\n", what, c->garp, c->na, c->ann_takeover,
	    c->ann_won, c->ann_refresh, c->ann_errors);
}

/* Names are NUL-terminated and come from interface and group names, which
 * cannot hold quotes or control characters; escape them anyway. */
static void
json_string(const char *str)
{
	putchar('"');
	for (; *str != '\0'; str++) {
		if (*str == '"' || *str == '\\')
			printf("\\%c", *str);
		else if ((unsigned char)*str < 0x20)
			printf("\\u%04x", (unsigned char)*str);
		else
			putchar(*str);
	}
	putchar('"');
}

static const char *
auth_name(uint8_t auth)
{
	static const char *const names[] = { "off", "compat", "strict" };

	return auth < sizeof(names) / sizeof(names[0]) ? names[auth] : "?";
}

static void
json_vhost(const struct ctl_vhost *v, int first)
{
	printf("%s{\"vhid\":%u,\"ifname\":", first ? "" : ",", v->vhid);
	json_string(v->ifname);
	printf(",\"carpdev\":");
	json_string(v->carpdev);
	printf(",\"state\":\"%s\",\"advbase\":%u,\"advskew\":%u,\"demote\":%u,"
	    "\"lladdr\":\"%s\",\"auth\":\"%s\",\"transitions\":%u,"
	    "\"counters\":", state_name(v->state), v->advbase, v->advskew,
	    v->demote, v->lladdr_real ? "real" : "virtual", auth_name(v->auth),
	    v->transitions);
	json_counters(&v->counters);
	printf(",\"tiebreak\":\"%s\",\"garp_refresh\":%u",
	    v->tiebreak ? "lower-address" : "none", v->garp_refresh);
	json_announce(&v->counters);
	/* the caller closes the object after the vhost's tracks and hooks */
}

static void
text_vhost(const struct ctl_vhost *v, int first)
{
	if (first)
		printf("%-5s %-15s %-15s %-7s %7s %7s %6s %11s %s\n",
		    "VHID", "IFNAME", "CARPDEV", "STATE", "ADVBASE", "ADVSKEW",
		    "DEMOTE", "TRANSITIONS", "AUTH");
	printf("%-5u %-15s %-15s %-7s %7u %7u %6u %11u %s\n", v->vhid,
	    v->ifname, v->carpdev, state_name(v->state), v->advbase,
	    v->advskew, v->demote, v->transitions, auth_name(v->auth));
}

static void
text_counters(const char *what, const struct ctl_counters *c)
{
	printf("%s: in %" PRIu64 "/%" PRIu64 " out %" PRIu64 "/%" PRIu64
	    " dropped: badif %" PRIu64 " badttl %" PRIu64 " hdrops %" PRIu64
	    " badsum %" PRIu64 " badver %" PRIu64 " badlen %" PRIu64
	    " badauth %" PRIu64 " badvhid %" PRIu64 " loop %" PRIu64
	    " onomem %" PRIu64 "\n", what, c->ipackets, c->ipackets6,
	    c->opackets, c->opackets6, c->badif, c->badttl, c->hdrops,
	    c->badsum, c->badver, c->badlen, c->badauth, c->badvhid, c->loop,
	    c->onomem);
	/* only where the auth trailer is in use, so plain CARP reads as before */
	if (c->authvalid + c->unauthenticated + c->authmissing +
	    c->authmalformed + c->authforged + c->authreplay == 0)
		return;
	printf("%s: auth: valid %" PRIu64 " unauthenticated %" PRIu64
	    " dropped: authmissing %" PRIu64 " authmalformed %" PRIu64
	    " authforged %" PRIu64 " authreplay %" PRIu64 "\n", what,
	    c->authvalid, c->unauthenticated, c->authmissing,
	    c->authmalformed, c->authforged, c->authreplay);
}

/* The control socket's own counters (CTL_CONN_STATS), if the daemon sent them. */
static void
json_conn_stats(const struct ctl_conn_stats *c, uint64_t refused)
{
	printf(",\"control\":{\"refused\":%" PRIu64, refused);
	if (c != NULL)
		printf(",\"open\":%u,\"accepted\":%" PRIu64
		    ",\"closed_bad\":%" PRIu64 ",\"closed_slow\":%" PRIu64
		    ",\"badmsg\":%" PRIu64, c->open, c->accepted,
		    c->closed_bad, c->closed_slow, c->badmsg);
	printf("}");
}

static void
text_conn_stats(const struct ctl_conn_stats *c, uint64_t refused)
{
	printf("control: refused %" PRIu64, refused);
	if (c != NULL)
		printf(" open %u accepted %" PRIu64 " hung up: bad %" PRIu64
		    " slow %" PRIu64 "; badmsg %" PRIu64, c->open, c->accepted,
		    c->closed_bad, c->closed_slow, c->badmsg);
	printf("\n");
}

/* --- tracks and hooks (carpd.conf(5) TRACKING, HOOKS) --------------------- */

#define MAX_TRACKS	1024

struct health {
	struct ctl_track	 t[MAX_TRACKS];
	int			 nt;
	struct ctl_vhost_hooks	 h[256];
	int			 nh;
	struct ctl_hook_stats	 hs;
	int			 got_hs;
	struct ctl_balance	 b[256];	/* carpd.conf(5) BALANCING */
	int			 nb;
};

static void
health_add(struct health *he, const struct ctl_hdr *h, const uint8_t *p)
{
	if (h->type == CTL_TRACK && he->nt < MAX_TRACKS)
		memcpy(&he->t[he->nt++], p, sizeof(he->t[0]));
	else if (h->type == CTL_VHOST_HOOKS && he->nh < 256)
		memcpy(&he->h[he->nh++], p, sizeof(he->h[0]));
	else if (h->type == CTL_VHOST_BALANCE && he->nb < 256)
		memcpy(&he->b[he->nb++], p, sizeof(he->b[0]));
	else if (h->type == CTL_HOOK_STATS) {
		memcpy(&he->hs, p, sizeof(he->hs));
		he->got_hs = 1;
	}
}

/* the config's keywords (carp_balance.c, pure: linked in) */
static const char *
balance_mode(uint8_t m)
{
	return m < CARP_BAL__MAX ? carp_balance_mode_names[m] : "unknown";
}

/* Why a balance-nat node is kept in INIT: "none", "no-defer". */
static const char *
balance_held(uint8_t held)
{
	static const char *const n[] = {
		[CTL_BAL_HELD_NONE] = "none",
		[CTL_BAL_HELD_NO_DEFER] = "no-defer",
	};

	return held < sizeof(n) / sizeof(n[0]) ? n[held] : "unknown";
}

/* The NAT column: "no", "yes", or "held:WHY" while kept in INIT. */
static const char *
balance_nat_text(const struct ctl_balance *b, char *buf, size_t len)
{
	if (!b->nat)
		return "no";
	if (b->held == CTL_BAL_HELD_NONE)
		return "yes";
	snprintf(buf, len, "held:%s", balance_held(b->held));
	return buf;
}

/* ,"balance":{...} for a balanced vhost */
static void
json_vhost_balance(const struct health *he, uint8_t vhid)
{
	const struct ctl_balance *b;
	int i, k, first = 1;

	for (i = 0; i < he->nb; i++) {
		b = &he->b[i];
		if (b->vhid != vhid)
			continue;
		printf(",\"balance\":{\"mode\":\"%s\",\"side\":\"%s\","
		    "\"group\":%u,\"bucket\":%u,\"nodes\":%u,\"owned_here\":%s,"
		    "\"owned\":[", balance_mode(b->mode), b->side ? "wan" : "lan",
		    b->leader, b->bucket, b->nodes,
		    b->owned_here ? "true" : "false");
		for (k = 0; k < 32; k++)
			if (b->owned & (UINT32_C(1) << k)) {
				printf("%s%d", first ? "" : ",", k);
				first = 0;
			}
		printf("],\"seed\":%u,\"accepted\":%" PRIu64 ",\"ignored\":%"
		    PRIu64 ",\"arp_replies\":%" PRIu64 ",\"arp_dropped\":%"
		    PRIu64 ",\"nd_replies\":%" PRIu64 ",\"nd_dropped\":%"
		    PRIu64 ",\"nat\":%s,\"held\":\"%s\"}", b->seed, b->accepted,
		    b->ignored, b->arp_replies, b->arp_dropped, b->nd_replies,
		    b->nd_dropped, b->nat ? "true" : "false",
		    balance_held(b->held));
		break;
	}
}

/* One line per balanced vhost: which bucket, who takes it. */
static void
text_balance(const struct health *he)
{
	const struct ctl_balance *b;
	char owned[3 * 32 + 1], nat[32];
	int i, k, n;

	if (he->nb > 0)
		printf("\n%-5s %-5s %-6s %-10s %-4s %-5s %-12s %12s %12s %s\n",
		    "VHID", "GROUP", "BUCKET", "BALANCING", "SIDE", "HERE",
		    "OWNED-HERE", "ACCEPTED", "IGNORED", "NAT");
	for (i = 0; i < he->nb; i++) {
		b = &he->b[i];
		owned[0] = '\0';
		for (k = 0, n = 0; k < 32 && k < b->nodes; k++)
			if (b->owned & (UINT32_C(1) << k))
				n += snprintf(owned + n, sizeof(owned) - (size_t)n,
				    "%s%d", n ? "," : "", k);
		printf("%-5u %-5u %u/%-4u %-10s %-4s %-5s %-12s %12" PRIu64
		    " %12" PRIu64 " %s\n", b->vhid, b->leader, b->bucket,
		    b->nodes, balance_mode(b->mode), b->side ? "wan" : "lan",
		    b->owned_here ? "yes" : "no", n ? owned : "-", b->accepted,
		    b->ignored, balance_nat_text(b, nat, sizeof(nat)));
	}
}

static const char *
track_kind(uint8_t kind)
{
	return kind == 0 ? "interface" : "script";
}

/* ,"tracks":[...],"hooks":{...} inside a vhost's object */
static void
json_vhost_health(const struct health *he, uint8_t vhid)
{
	const struct ctl_track *t;
	const struct ctl_vhost_hooks *k;
	int i, first = 1;

	printf(",\"tracks\":[");
	for (i = 0; i < he->nt; i++) {
		t = &he->t[i];
		if (t->vhid != vhid)
			continue;
		printf("%s{\"kind\":\"%s\",\"name\":", first ? "" : ",",
		    track_kind(t->kind));
		json_string(t->name);
		printf(",\"weight\":%u,\"state\":\"%s\",\"scope\":\"%s\","
		    "\"running\":%s,\"runs\":%" PRIu64 ",\"failures\":%" PRIu64
		    ",\"timeouts\":%" PRIu64, t->weight, t->up ? "up" : "down",
		    t->scope ? "vhost" : "group", t->running ? "true" : "false",
		    t->runs, t->failures, t->timeouts);
		if (t->kind != 0)
			printf(",\"interval\":%u,\"timeout\":%u", t->interval_s,
			    t->timeout_s);
		putchar('}');
		first = 0;
	}
	putchar(']');
	for (i = 0; i < he->nh; i++) {
		k = &he->h[i];
		if (k->vhid != vhid)
			continue;
		printf(",\"track_demote\":%u,\"preempt_delay\":%u,"
		    "\"hooks\":{\"notify\":%s,\"running\":%s,\"queued\":%u,"
		    "\"run\":%" PRIu64 ",\"failed\":%" PRIu64 ",\"killed\":%"
		    PRIu64 ",\"dropped\":%" PRIu64 "}", k->track_vhost,
		    k->preempt_delay, k->notify ? "true" : "false",
		    k->running ? "true" : "false", k->queued, k->run, k->failed,
		    k->killed, k->dropped);
		break;
	}
}

static void
json_hook_stats(const struct health *he)
{
	const struct ctl_hook_stats *h = &he->hs;

	if (!he->got_hs)
		return;
	printf(",\"hooks\":{\"run\":%" PRIu64 ",\"failed\":%" PRIu64
	    ",\"killed\":%" PRIu64 ",\"dropped\":%" PRIu64 "},\"fifo\":{"
	    "\"written\":%" PRIu64 ",\"dropped\":%" PRIu64 "},\"scripts\":{"
	    "\"runs\":%" PRIu64 ",\"failures\":%" PRIu64 ",\"timeouts\":%"
	    PRIu64 "}", h->hooks_run, h->hooks_failed, h->hooks_killed,
	    h->hooks_dropped, h->fifo_written, h->fifo_dropped, h->script_runs,
	    h->script_failures, h->script_timeouts);
}

static void
text_health(const struct health *he)
{
	const struct ctl_track *t;
	const struct ctl_vhost_hooks *k;
	const struct ctl_hook_stats *h = &he->hs;
	int i;

	if (he->nt > 0)
		printf("\n%-5s %-9s %-5s %-5s %6s %6s %8s %8s %s\n", "VHID",
		    "TRACK", "STATE", "SCOPE", "WEIGHT", "RUNS", "FAILURES",
		    "TIMEOUTS", "NAME");
	for (i = 0; i < he->nt; i++) {
		t = &he->t[i];
		printf("%-5u %-9s %-5s %-5s %6u %6" PRIu64 " %8" PRIu64 " %8"
		    PRIu64 " %s\n", t->vhid, track_kind(t->kind),
		    t->up ? "up" : "down", t->scope ? "vhost" : "group",
		    t->weight, t->runs, t->failures, t->timeouts, t->name);
	}
	for (i = 0; i < he->nh; i++) {
		k = &he->h[i];
		if (k->notify || k->track_vhost > 0)
			printf("vhid %u: own demotion %u, notify: run %" PRIu64
			    " failed %" PRIu64 " killed %" PRIu64 " dropped %"
			    PRIu64 " queued %u\n", k->vhid, k->track_vhost,
			    k->run, k->failed, k->killed, k->dropped, k->queued);
	}
	if (he->got_hs && h->hooks_run + h->hooks_dropped + h->fifo_written +
	    h->fifo_dropped + h->script_runs > 0)
		printf("hooks: run %" PRIu64 " failed %" PRIu64 " killed %"
		    PRIu64 " dropped %" PRIu64 "; fifo: written %" PRIu64
		    " dropped %" PRIu64 "; scripts: runs %" PRIu64 " failures %"
		    PRIu64 " timeouts %" PRIu64 "\n", h->hooks_run,
		    h->hooks_failed, h->hooks_killed, h->hooks_dropped,
		    h->fifo_written, h->fifo_dropped, h->script_runs,
		    h->script_failures, h->script_timeouts);
}

static int
cmd_status(struct ctl_session *s)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	struct ctl_vhost v[256];
	struct ctl_group g[64];
	struct ctl_counters total;
	struct ctl_conn_stats cs;
	int nv = 0, ng = 0, i, got_cs = 0;
	static struct health he;

	memset(&total, 0, sizeof(total));
	request(s, CTL_STATUS, NULL, 0);
	while (reply(s, &h, p)) {
		if (h.type == CTL_VHOST && nv < 256)
			memcpy(&v[nv++], p, sizeof(v[0]));
		else if (h.type == CTL_GROUP && ng < 64)
			memcpy(&g[ng++], p, sizeof(g[0]));
		else if (h.type == CTL_COUNTERS)
			memcpy(&total, p, sizeof(total));
		else if (h.type == CTL_CONN_STATS) {
			memcpy(&cs, p, sizeof(cs));
			got_cs = 1;
		} else
			health_add(&he, &h, p);
	}
	if (s->json) {
		printf("{\"version\":1,\"vhosts\":[");
		for (i = 0; i < nv; i++) {
			json_vhost(&v[i], i == 0);
			json_vhost_health(&he, v[i].vhid);
			json_vhost_balance(&he, v[i].vhid);
			putchar('}');
		}
		printf("],\"groups\":[");
		for (i = 0; i < ng; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_string(g[i].name);
			printf(",\"demote\":%u}", g[i].demote);
		}
		printf("],\"counters\":");
		json_counters(&total);
		json_announce(&total);
		json_conn_stats(got_cs ? &cs : NULL, total.ctl_refused);
		json_hook_stats(&he);
		printf("}\n");
		return 0;
	}
	for (i = 0; i < nv; i++)
		text_vhost(&v[i], i == 0);
	if (nv == 0)
		printf("no vhosts\n");
	text_health(&he);
	text_balance(&he);
	printf("\nGROUP                            DEMOTE\n");
	for (i = 0; i < ng; i++)
		printf("%-32s %6u\n", g[i].name, g[i].demote);
	printf("\n");
	for (i = 0; i < nv; i++) {
		char what[32];
		snprintf(what, sizeof(what), "vhid %u", v[i].vhid);
		text_counters(what, &v[i].counters);
		text_announce(what, &v[i].counters);
	}
	text_counters("all", &total);
	text_announce("all", &total);
	text_conn_stats(got_cs ? &cs : NULL, total.ctl_refused);
	return 0;
}

static long
parse_long(const char *str, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(str, &end, 10);
	if (errno != 0 || end == str || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "carpctl: %s: '%s' must be a number in "
		    "%ld..%ld\n", what, str, min, max);
		exit(1);
	}
	return v;
}

static int
cmd_demote(struct ctl_session *s, const char *group, const char *n)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_demote d;
	struct ctl_hdr h;

	memset(&d, 0, sizeof(d));
	if (ctl_strlcpy(d.group, group, sizeof(d.group)) == -1) {
		fprintf(stderr, "carpctl: group name too long\n");
		return 1;
	}
	d.value = (int32_t)parse_long(n, -255, 255, "demote");
	ctl_strlcpy(d.reason, "carpctl", sizeof(d.reason));
	request(s, CTL_DEMOTE, &d, sizeof(d));
	while (reply(s, &h, p))
		;
	return 0;
}

static int
cmd_state(struct ctl_session *s, const char *vhid, const char *state)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_set_state st;
	struct ctl_hdr h;

	memset(&st, 0, sizeof(st));
	st.vhid = (uint32_t)parse_long(vhid, 1, 255, "vhid");
	if (strcmp(state, "master") == 0)
		st.state = CTL_FORCE_MASTER;
	else if (strcmp(state, "backup") == 0)
		st.state = CTL_FORCE_BACKUP;
	else
		usage();
	request(s, CTL_SET_STATE, &st, sizeof(st));
	while (reply(s, &h, p))
		;
	return 0;
}

/* --- syncd: `sync status` ------------------------------------------------ */

static const char *const sync_drop_names[] = CTL_SYNC_DROP_NAMES;
static const char *const sync_hold_names[] = CTL_SYNC_HOLD_NAMES;
static const char *const carrier_json[] = { "false", "true", "null" };
static const char *const carrier_text[] = { "no", "yes", "unknown" };

/* "held":{...},"syncdev":{...},"watch":{...},"pcap_file":{...} */
static void
json_sync_more(const struct ctl_sync_info *i)
{
	int r;

	printf(",\"held\":{");
	for (r = 0; r < CTL_SYNC_HOLD__MAX; r++)
		printf("%s\"%s\":%u", r ? "," : "", sync_hold_names[r],
		    i->held[r]);
	printf("},\"syncdev\":{\"carrier\":%s,\"local_prefixes\":%u}",
	    carrier_json[i->carrier < 2 ? i->carrier : 2], i->local_prefixes);
	printf(",\"watch\":{\"subscribers\":%u,\"frames\":%" PRIu64
	    ",\"drops\":%" PRIu64 "}", i->watchers, i->watch_frames,
	    i->watch_drops);
	printf(",\"pcap_file\":{\"open\":%s,\"frames\":%" PRIu64
	    ",\"errors\":%" PRIu64 "}", i->pcap_file ? "true" : "false",
	    i->pcap_frames, i->pcap_errors);
	printf(",\"defer\":{\"on\":%s,\"rule\":\"%s\",\"queue\":%u,"
	    "\"entries\":\"%s\","
	    "\"held_now\":%u,\"held\":%" PRIu64 ",\"passed\":%" PRIu64
	    ",\"acked\":%" PRIu64 ",\"timeout\":%" PRIu64 ",\"evicted\":%"
	    PRIu64 ",\"ack_us_sum\":%" PRIu64 ",\"ack_us_max\":%" PRIu64
	    ",\"queue_errors\":%" PRIu64 ",\"no_key\":%" PRIu64
	    ",\"lookup_failed\":%" PRIu64 "}", i->defer.on ? "true" : "false",
	    !i->defer.on ? "none" : i->defer.xt ? "xt" : "nft",
	    i->defer.queue, !i->defer.on ? "none" : i->defer.attached ?
	    "attached" : "lookup", i->defer.held_now, i->defer.held,
	    i->defer.passed, i->defer.acked, i->defer.timeout,
	    i->defer.evicted, i->defer.ack_us_sum, i->defer.ack_us_max,
	    i->defer.queue_errors, i->defer.no_key, i->defer.lookup_failed);
	printf(",\"loss\":{\"nacks_out\":%" PRIu64 ",\"nacks_in\":%" PRIu64
	    ",\"retx_out\":%" PRIu64 ",\"retx_lost\":%" PRIu64
	    ",\"retx_dup\":%" PRIu64 ",\"heartbeats\":%" PRIu64
	    ",\"table_reqs\":%" PRIu64 ",\"toomany\":%" PRIu64
	    ",\"acks_out\":%" PRIu64 ",\"acks_in\":%" PRIu64
	    ",\"window_waits\":%" PRIu64 "}",
	    i->loss.nacks_out, i->loss.nacks_in, i->loss.retx_out,
	    i->loss.retx_lost, i->loss.retx_dup, i->loss.heartbeats,
	    i->loss.table_reqs, i->loss.toomany, i->loss.acks_out,
	    i->loss.acks_in, i->loss.window_waits);
}

static void
text_sync_more(const struct ctl_sync_info *i)
{
	const char *sep = "";
	int r;

	printf("demotion held on carpd: %u", i->held_demote);
	for (r = 0; r < CTL_SYNC_HOLD__MAX; r++)
		if (i->held[r] > 0) {
			printf("%s%s %u", *sep ? sep : " (", sync_hold_names[r],
			    i->held[r]);
			sep = ", ";
		}
	printf("%s\nsyncdev: carrier %s, %u prefixes not synced\n",
	    *sep ? ")" : "", carrier_text[i->carrier < 2 ? i->carrier : 2],
	    i->local_prefixes);
	printf("watch: subscribers %u frames %" PRIu64 " drops %" PRIu64
	    "; pcap-file %s frames %" PRIu64 " errors %" PRIu64 "\n",
	    i->watchers, i->watch_frames, i->watch_drops,
	    i->pcap_file ? "open" : "none", i->pcap_frames, i->pcap_errors);
	printf("loss: nacks_out %" PRIu64 " nacks_in %" PRIu64 " retx_out %"
	    PRIu64 " retx_lost %" PRIu64 " retx_dup %" PRIu64 " heartbeats %"
	    PRIu64 " table_reqs %" PRIu64 " toomany %" PRIu64 " acks_out %"
	    PRIu64 " acks_in %" PRIu64 " window_waits %" PRIu64 "\n",
	    i->loss.nacks_out, i->loss.nacks_in, i->loss.retx_out,
	    i->loss.retx_lost, i->loss.retx_dup, i->loss.heartbeats,
	    i->loss.table_reqs, i->loss.toomany, i->loss.acks_out,
	    i->loss.acks_in, i->loss.window_waits);
}

static void
json_sync_table(const struct ctl_sync_table *t)
{
	printf("{\"stale\":%" PRIu64 ",\"loops\":%" PRIu64
	    ",\"refused\":%" PRIu64 ",\"nomem\":%" PRIu64
	    ",\"upd_req_out\":%" PRIu64 ",\"upd_req_drop\":%" PRIu64
	    ",\"upd_req_miss\":%" PRIu64 ",\"del_unknown\":%" PRIu64
	    ",\"swept\":%" PRIu64 ",\"resync_swept\":%" PRIu64
	    ",\"refreshed\":%" PRIu64 ",\"bulks\":%" PRIu64 "}",
	    t->stale, t->loops, t->refused, t->nomem, t->upd_req_out,
	    t->upd_req_drop, t->upd_req_miss, t->del_unknown, t->swept,
	    t->resync_swept, t->refreshed, t->bulks);
}

static void
json_sync(const struct ctl_sync_info *i, const struct ctl_sync_peer *p,
    int np, const struct ctl_conn_stats *cs)
{
	int d;

	printf("{\"version\":1,\"node_id\":%u,\"epoch\":%u,\"master\":%s,"
	    "\"carpd\":%s,\"bulk\":", i->node_id, i->epoch,
	    i->master ? "true" : "false", i->carpd ? "true" : "false");
	json_string(i->bulk);
	printf(",\"bulk_sending\":%s,\"held_demote\":%u,"
	    "\"states\":{\"local\":%" PRIu64 ",\"imported\":%" PRIu64 "},"
	    "\"frames_in\":%" PRIu64 ",\"bytes_in\":%" PRIu64
	    ",\"frames_out\":%" PRIu64 ",\"bytes_out\":%" PRIu64
	    ",\"oerrors\":%" PRIu64 ",\"drops\":{",
	    i->bulk_sending ? "true" : "false", i->held_demote,
	    i->local_states, i->imported_states, i->ipackets, i->ibytes,
	    i->opackets, i->obytes, i->oerrors);
	for (d = 1; d < CTL_SYNC_DROP__MAX; d++)
		printf("%s\"%s\":%" PRIu64, d > 1 ? "," : "",
		    sync_drop_names[d], i->drops[d]);
	printf("},\"loops\":%" PRIu64 ",\"skipped\":%" PRIu64
	    ",\"overruns\":%" PRIu64 ",\"gaps\":%" PRIu64
	    ",\"filtered\":%" PRIu64 ",\"table\":", i->loops, i->skipped,
	    i->overruns, i->gaps, i->filtered);
	json_sync_table(&i->table);
	json_sync_more(i);
	printf(",\"peers\":[");
	for (d = 0; d < np; d++)
		printf("%s{\"node_id\":%u,\"epoch\":%u,\"seq\":%u,"
		    "\"frames\":%" PRIu64 ",\"gaps\":%" PRIu64
		    ",\"missing\":%" PRIu64 ",\"lost\":%" PRIu64
		    ",\"late\":%" PRIu64 ",\"nacks\":%" PRIu64
		    ",\"table_reqs\":%" PRIu64 ",\"bulks\":%" PRIu64
		    ",\"heard_ms\":%" PRIu64 "}",
		    d ? "," : "", p[d].node_id, p[d].epoch, p[d].seq,
		    p[d].frames, p[d].gaps, p[d].missing, p[d].lost, p[d].late,
		    p[d].nacks, p[d].table_reqs, p[d].bulks, p[d].heard_ms);
	printf("]");
	json_conn_stats(cs, i->ctl_refused);
	printf("}\n");
}

static void
text_sync(const struct ctl_sync_info *i, const struct ctl_sync_peer *p,
    int np)
{
	const struct ctl_sync_table *t = &i->table;
	int d;

	printf("NODE       EPOCH      ROLE    BULK   DEMOTE  CARPD  "
	    "LOCAL      IMPORTED\n");
	printf("%-10u %-10u %-7s %-6s %6u  %-5s  %-10" PRIu64 " %" PRIu64
	    "\n", i->node_id, i->epoch, i->master ? "master" : "backup",
	    i->bulk, i->held_demote, i->carpd ? "yes" : "no",
	    i->local_states, i->imported_states);
	printf("\nPEER       EPOCH      SEQ        FRAMES     GAPS   MISSING "
	    "LOST   HEARD\n");
	for (d = 0; d < np; d++)
		printf("%-10u %-10u %-10u %-10" PRIu64 " %-6" PRIu64 " %-7"
		    PRIu64 " %-6" PRIu64 " %" PRIu64 " ms ago\n",
		    p[d].node_id, p[d].epoch, p[d].seq, p[d].frames,
		    p[d].gaps, p[d].missing, p[d].lost, p[d].heard_ms);
	printf("\nframes: in %" PRIu64 " (%" PRIu64 " bytes) out %" PRIu64
	    " (%" PRIu64 " bytes) oerrors %" PRIu64 "\n", i->ipackets,
	    i->ibytes, i->opackets, i->obytes, i->oerrors);
	printf("dropped:");
	for (d = 1; d < CTL_SYNC_DROP__MAX; d++)
		printf(" %s %" PRIu64, sync_drop_names[d], i->drops[d]);
	printf("\nother: loops %" PRIu64 " skipped %" PRIu64 " overruns %"
	    PRIu64 " gaps %" PRIu64 " filtered %" PRIu64 "\n", i->loops,
	    i->skipped, i->overruns, i->gaps, i->filtered);
	printf("table: stale %" PRIu64 " loops %" PRIu64 " refused %" PRIu64
	    " nomem %" PRIu64 " upd_req_out %" PRIu64 " upd_req_drop %" PRIu64
	    " upd_req_miss %" PRIu64 " del_unknown %" PRIu64 " swept %" PRIu64
	    " resync_swept %" PRIu64 " refreshed %" PRIu64 " bulks %" PRIu64
	    "\n", t->stale, t->loops, t->refused, t->nomem, t->upd_req_out,
	    t->upd_req_drop, t->upd_req_miss, t->del_unknown, t->swept,
	    t->resync_swept, t->refreshed, t->bulks);
	text_sync_more(i);
}

static int
cmd_sync_status(struct ctl_session *s)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	struct ctl_sync_info info;
	struct ctl_sync_peer peers[SYNC_MAX_PEERS];
	struct ctl_conn_stats cs;
	int np = 0, got = 0, got_cs = 0;

	request(s, CTL_SYNC_STATUS, NULL, 0);
	while (reply(s, &h, p)) {
		if (h.type == CTL_SYNC_INFO) {
			memcpy(&info, p, sizeof(info));
			got = 1;
		} else if (h.type == CTL_SYNC_PEER && np < SYNC_MAX_PEERS)
			memcpy(&peers[np++], p, sizeof(peers[0]));
		else if (h.type == CTL_CONN_STATS) {
			memcpy(&cs, p, sizeof(cs));
			got_cs = 1;
		}
	}
	if (!got) {
		fprintf(stderr, "carpctl: no sync status in the reply "
		    "(is this syncd's socket?)\n");
		return 1;
	}
	if (s->json)
		json_sync(&info, peers, np, got_cs ? &cs : NULL);
	else {
		text_sync(&info, peers, np);
		text_conn_stats(got_cs ? &cs : NULL, info.ctl_refused);
	}
	return 0;
}

/* --- syncd: `sync dump` -------------------------------------------------- */

struct dump {
	struct pcap_out	*out;
	const char	*path;
	uint64_t	 count;		/* stop after this many; 0 no limit */
	long		 seconds;	/* stop after this long; 0 no limit */
	uint64_t	 written;
	uint64_t	 missed;	/* dropped by syncd: read too slowly */
	uint16_t	 ip_id;
};

static void
dump_args(struct dump *d, int argc, char **argv)
{
	int i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			d->count = (uint64_t)parse_long(argv[++i], 1, LONG_MAX,
			    "count");
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			d->seconds = parse_long(argv[++i], 1, 86400 * 365,
			    "seconds");
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			usage();
		else if (d->path == NULL)
			d->path = argv[i];
		else
			usage();
	}
	if (d->path == NULL)
		usage();
}

/* One frame event as an IP packet (sync_pkt.c), as syncd's pcap-file. */
static int
dump_frame(struct dump *d, const uint8_t *p)
{
	uint8_t pkt[SYNC_PKT_IP6_LEN + CTL_SYNC_FRAME_MAX];
	struct ctl_sync_frame f;
	struct sync_pkt_addr a;
	size_t hlen;

	memcpy(&f, p, sizeof(f));	/* ctl_msg_check: caplen bytes follow */
	memset(&a, 0, sizeof(a));
	a.af = f.ipver == 6 ? AF_INET6 : AF_INET;
	memcpy(a.src, f.src, sizeof(a.src));
	memcpy(a.dst, f.dst, sizeof(a.dst));
	d->missed += f.dropped;
	if (f.caplen > f.len ||
	    (hlen = sync_pkt_ip(pkt, sizeof(pkt), &a, d->ip_id++, f.len)) == 0)
		return 0;		/* not a frame we can show: skip it */
	memcpy(pkt + hlen, p + sizeof(f), f.caplen);
	if (pcap_out_write(d->out, f.time_us, pkt, hlen + f.caplen,
	    hlen + f.len) == -1)
		return -1;
	d->written++;
	return 0;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * SIGINT and SIGTERM end the dump through a signalfd, polled with the
 * socket: no handler, no global flag, and the file is closed properly.
 */
static int
dump_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (fd = signalfd(-1, &set, SFD_CLOEXEC)) == -1) {
		fprintf(stderr, "carpctl: signalfd: %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

/*
 * Wait for the next event: 1 a message, 0 stop (signal, deadline), -1 the
 * file could not be written. What is written is flushed before waiting,
 * so a reader of the file sees each frame as soon as no other is queued.
 */
static int
dump_wait(struct ctl_session *s, struct dump *d, int sigfd, int64_t end)
{
	struct pollfd pfd[2] = { { s->fd, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
	int64_t left;
	int rv, flushed = 0;

	for (;;) {
		left = end == 0 ? -1 : end - mono_ms();
		if (end != 0 && left <= 0)
			return 0;
		if (!flushed)
			left = 0;	/* first a look without waiting */
		rv = poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (rv == -1 && errno != EINTR) {
			fprintf(stderr, "carpctl: poll: %s\n", strerror(errno));
			exit(1);
		}
		if (rv > 0)
			return (pfd[1].revents & POLLIN) ? 0 : 1;
		if (!flushed && pcap_out_flush(d->out) == -1)
			return -1;
		flushed = 1;
	}
}

/* Frames until COUNT, SECONDS, a signal or syncd's end; -1 on an error. */
static int
dump_loop(struct ctl_session *s, struct dump *d, int sigfd)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	int64_t end = d->seconds > 0 ? mono_ms() + d->seconds * 1000 : 0;
	struct ctl_hdr h;
	const char *why = "?";
	int rc;

	while (d->count == 0 || d->written < d->count) {
		if ((rc = dump_wait(s, d, sigfd, end)) == -1) {
			fprintf(stderr, "carpctl: %s: write failed\n",
			    d->path);
			return -1;
		}
		if (rc == 0)
			break;
		if ((rc = ctl_client_recv(s->fd, &h, p, TIMEOUT_MS, &why)) == 0)
			break;		/* syncd went away: keep what we have */
		if (rc == -1) {
			fprintf(stderr, "carpctl: %s\n", why);
			return -1;
		}
		if (h.type == CTL_SYNC_FRAME && dump_frame(d, p) == -1) {
			fprintf(stderr, "carpctl: %s: write failed\n",
			    d->path);
			return -1;
		}
	}
	return 0;
}

static int
cmd_sync_dump(struct ctl_session *s, int argc, char **argv)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct dump d;
	struct ctl_hdr h;
	const char *why = "?";
	int sigfd, rc;

	memset(&d, 0, sizeof(d));
	dump_args(&d, argc, argv);
	sigfd = dump_signals();
	request(s, CTL_SYNC_WATCH, NULL, 0);
	while (reply(s, &h, p))
		;			/* up to its END: subscribed */
	if ((d.out = pcap_out_open(d.path, &why)) == NULL) {
		fprintf(stderr, "carpctl: %s: %s\n", d.path, why);
		return 1;
	}
	rc = dump_loop(s, &d, sigfd);
	if (pcap_out_close(d.out) == -1 && rc == 0) {
		fprintf(stderr, "carpctl: %s: write failed\n", d.path);
		rc = -1;
	}
	/* the file may be standard output: the count goes to stderr then */
	fprintf(strcmp(d.path, "-") == 0 ? stderr : stdout,
	    "%" PRIu64 " frames written to %s, %" PRIu64 " missed\n",
	    d.written, strcmp(d.path, "-") == 0 ? "standard output" : d.path,
	    d.missed);
	return rc == 0 ? 0 : 1;
}

/* --- both daemons: `metrics` and `watch` ------------------------------------ */

/* One daemon's status reply, read without exiting on errors: either
 * daemon may be down. */
struct snap {
	int			 up;
	struct ctl_vhost	 v[256];
	int			 nv;
	struct ctl_group	 g[64];
	int			 ng;
	struct ctl_counters	 total;
	struct ctl_sync_info	 info;
	struct ctl_sync_peer	 p[SYNC_MAX_PEERS];
	int			 np;
	struct ctl_conn_stats	 cs;
	int			 got_cs, got_total, got_info;
	struct health		 he;	/* carpd: tracks, hooks */
};

static void
snap_take(struct snap *sn, uint32_t type, const uint8_t *p)
{
	if (type == CTL_VHOST && sn->nv < 256)
		memcpy(&sn->v[sn->nv++], p, sizeof(sn->v[0]));
	else if (type == CTL_GROUP && sn->ng < 64)
		memcpy(&sn->g[sn->ng++], p, sizeof(sn->g[0]));
	else if (type == CTL_COUNTERS) {
		memcpy(&sn->total, p, sizeof(sn->total));
		sn->got_total = 1;
	} else if (type == CTL_SYNC_INFO) {
		memcpy(&sn->info, p, sizeof(sn->info));
		sn->got_info = 1;
	} else if (type == CTL_SYNC_PEER && sn->np < SYNC_MAX_PEERS)
		memcpy(&sn->p[sn->np++], p, sizeof(sn->p[0]));
	else if (type == CTL_CONN_STATS) {
		memcpy(&sn->cs, p, sizeof(sn->cs));
		sn->got_cs = 1;
	} else {
		struct ctl_hdr h = { .type = type };

		health_add(&sn->he, &h, p);
	}
}

/* Ask path for `type`; sn->up says whether a complete reply came. */
static void
snap_fetch(struct snap *sn, const char *path, uint32_t type)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	const char *why = "?";
	struct ctl_hdr h;
	int fd, rc;

	memset(sn, 0, sizeof(*sn));
	if ((fd = ctl_client_connect(path)) == -1)
		return;
	if (ctl_client_send(fd, type, 1, NULL, 0) == 0)
		while ((rc = ctl_client_recv(fd, &h, p, TIMEOUT_MS, &why)) == 1 &&
		    h.type != CTL_ERROR) {
			if (h.type == CTL_END) {
				sn->up = 1;
				break;
			}
			snap_take(sn, h.type, p);
		}
	close(fd);
	if (type == CTL_STATUS && !sn->got_total)
		sn->up = 0;
	if (type == CTL_SYNC_STATUS && !sn->got_info)
		sn->up = 0;
}

static int
cmd_metrics(const char *carpd_path, const char *syncd_path)
{
	static struct snap c, y;
	struct metrics_carpd mc;
	struct metrics_syncd my;
	struct metrics_out o;
	size_t cap = 1 << 16;
	char *buf = NULL;

	snap_fetch(&c, carpd_path, CTL_STATUS);
	snap_fetch(&y, syncd_path, CTL_SYNC_STATUS);
	mc = (struct metrics_carpd){ .v = c.v, .nv = c.nv, .g = c.g,
	    .ng = c.ng, .total = &c.total, .cs = c.got_cs ? &c.cs : NULL,
	    .t = c.he.t, .nt = c.he.nt, .h = c.he.h, .nh = c.he.nh,
	    .hs = c.he.got_hs ? &c.he.hs : NULL, .b = c.he.b, .nb = c.he.nb };
	my = (struct metrics_syncd){ &y.info, y.p, y.np,
	    y.got_cs ? &y.cs : NULL };
	for (;;) {			/* grow until the text fits */
		if ((buf = realloc(buf, cap)) == NULL) {
			fprintf(stderr, "carpctl: out of memory\n");
			return 1;
		}
		metrics_out_init(&o, buf, cap);
		metrics_carpd(&o, c.up ? &mc : NULL);
		metrics_syncd(&o, y.up ? &my : NULL);
		if (o.off < cap)
			break;
		cap = o.off + 1;
	}
	fputs(buf, stdout);
	free(buf);
	if (!c.up && !y.up) {
		fprintf(stderr, "carpctl: neither %s nor %s answers\n",
		    carpd_path, syncd_path);
		return 1;
	}
	return 0;
}

static void
watch_carpd(const struct snap *c, const char *path)
{
	int i;

	if (!c->up) {
		printf("carpd: no answer on %s\n", path);
		return;
	}
	printf("%-5s %-15s %-7s %6s %11s %10s %10s\n", "VHID", "IFNAME",
	    "STATE", "DEMOTE", "TRANSITIONS", "IN", "OUT");
	for (i = 0; i < c->nv; i++)
		printf("%-5u %-15s %-7s %6u %11u %10" PRIu64 " %10" PRIu64
		    "\n", c->v[i].vhid, c->v[i].ifname,
		    state_name(c->v[i].state), c->v[i].demote,
		    c->v[i].transitions,
		    c->v[i].counters.ipackets + c->v[i].counters.ipackets6,
		    c->v[i].counters.opackets + c->v[i].counters.opackets6);
	if (c->nv == 0)
		printf("no vhosts\n");
	printf("groups:");
	for (i = 0; i < c->ng; i++)
		printf(" %s=%u", c->g[i].name, c->g[i].demote);
	printf("\n");
}

static void
watch_syncd(const struct snap *y, const char *path)
{
	const struct ctl_sync_info *i = &y->info;
	int d;

	if (!y->up) {
		printf("syncd: no answer on %s\n", path);
		return;
	}
	printf("syncd: node %u %s bulk %s held %u states %" PRIu64
	    " local %" PRIu64 " imported; frames in %" PRIu64 " out %"
	    PRIu64 "\n", i->node_id, i->master ? "master" : "backup",
	    i->bulk, i->held_demote, i->local_states, i->imported_states,
	    i->ipackets, i->opackets);
	if (y->np > 0)
		printf("%-10s %-10s %-10s %-6s %-7s %s\n", "PEER", "EPOCH",
		    "FRAMES", "GAPS", "MISSING", "HEARD");
	for (d = 0; d < y->np; d++)
		printf("%-10u %-10u %-10" PRIu64 " %-6" PRIu64 " %-7" PRIu64
		    " %" PRIu64 " ms ago\n", y->p[d].node_id, y->p[d].epoch,
		    y->p[d].frames, y->p[d].gaps, y->p[d].missing,
		    y->p[d].heard_ms);
}

/*
 * A table of both daemons every SECONDS, COUNT times (0: until a signal).
 * On a tty each table replaces the last (ANSI clear and home); otherwise
 * successive snapshots are separated by a blank line.
 */
static int
cmd_watch(const char *carpd_path, const char *syncd_path, int argc,
    char **argv)
{
	static struct snap c, y;
	long secs = 1, count = 0, n;
	int tty = isatty(STDOUT_FILENO), i;
	struct timespec ts;
	time_t now;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
			secs = parse_long(argv[++i], 1, 3600, "interval");
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			count = parse_long(argv[++i], 1, LONG_MAX, "count");
		else
			usage();
	}
	for (n = 0; count == 0 || n < count; n++) {
		if (n > 0) {
			ts = (struct timespec){ secs, 0 };
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
		}
		snap_fetch(&c, carpd_path, CTL_STATUS);
		snap_fetch(&y, syncd_path, CTL_SYNC_STATUS);
		now = time(NULL);
		printf(tty ? "\033[H\033[2J" : n > 0 ? "\n" : "");
		printf("carpctl watch, every %lds: %s", secs, ctime(&now));
		watch_carpd(&c, carpd_path);
		watch_syncd(&y, syncd_path);
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct ctl_session s = { .fd = -1 };
	const char *path = NULL, *sync_path = SYNC_SOCKET;
	int ch;

	/* '+': stop at the verb, so "demote carp -5" keeps -5 an argument */
	while ((ch = getopt(argc, argv, "+js:S:")) != -1) {
		switch (ch) {
		case 'j':
			s.json = 1;
			break;
		case 's':
			path = optarg;
			break;
		case 'S':		/* metrics, watch: syncd's socket */
			sync_path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	if (path == NULL)
		path = strcmp(argv[0], "sync") == 0 ? SYNC_SOCKET :
		    DEFAULT_SOCKET;
	/* both daemons, either may be down: they open their own sockets */
	if (strcmp(argv[0], "metrics") == 0 && argc == 1)
		return cmd_metrics(path, sync_path);
	if (strcmp(argv[0], "watch") == 0)
		return cmd_watch(path, sync_path, argc - 1, argv + 1);
	if ((s.fd = ctl_client_connect(path)) == -1) {
		fprintf(stderr, "carpctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (strcmp(argv[0], "status") == 0 && argc == 1)
		return cmd_status(&s);
	if (strcmp(argv[0], "demote") == 0 && argc == 3)
		return cmd_demote(&s, argv[1], argv[2]);
	if (strcmp(argv[0], "state") == 0 && argc == 3)
		return cmd_state(&s, argv[1], argv[2]);
	if (strcmp(argv[0], "sync") == 0 && argc == 2 &&
	    strcmp(argv[1], "status") == 0)
		return cmd_sync_status(&s);
	if (strcmp(argv[0], "sync") == 0 && argc >= 3 &&
	    strcmp(argv[1], "dump") == 0)
		return cmd_sync_dump(&s, argc - 2, argv + 2);
	usage();
	return 1;
}
