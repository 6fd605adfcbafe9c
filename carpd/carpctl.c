/*
 * carpctl: the operator's CLI for carpd and syncd over their control
 * sockets. Needs no libevent: one request, then replies until CTL_END.
 *
 *   carpctl [-s SOCKET] [-j] status
 *   carpctl [-s SOCKET] demote GROUP [-]N
 *   carpctl [-s SOCKET] state VHID master|backup
 *   carpctl [-s SOCKET] [-j] sync status	(syncd's socket by default)
 *
 * Options come before the verb, so "-N" after the verb is an argument.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_msg.h"
#include "ctl_proto.h"

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
	    "       carpctl [-s SOCKET] [-j] sync status\n");
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
	    ",\"onomem\":%" PRIu64 ",\"loop\":%" PRIu64 "}",
	    c->ipackets, c->ipackets6, c->badif, c->badttl, c->hdrops,
	    c->badsum, c->badver, c->badlen, c->badauth, c->badvhid,
	    c->opackets, c->opackets6, c->onomem, c->loop);
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

static void
json_vhost(const struct ctl_vhost *v, int first)
{
	printf("%s{\"vhid\":%u,\"ifname\":", first ? "" : ",", v->vhid);
	json_string(v->ifname);
	printf(",\"carpdev\":");
	json_string(v->carpdev);
	printf(",\"state\":\"%s\",\"advbase\":%u,\"advskew\":%u,\"demote\":%u,"
	    "\"lladdr\":\"%s\",\"transitions\":%u,\"counters\":",
	    state_name(v->state), v->advbase, v->advskew, v->demote,
	    v->lladdr_real ? "real" : "virtual", v->transitions);
	json_counters(&v->counters);
	putchar('}');
}

static void
text_vhost(const struct ctl_vhost *v, int first)
{
	if (first)
		printf("%-5s %-15s %-15s %-7s %7s %7s %6s %11s\n", "VHID",
		    "IFNAME", "CARPDEV", "STATE", "ADVBASE", "ADVSKEW",
		    "DEMOTE", "TRANSITIONS");
	printf("%-5u %-15s %-15s %-7s %7u %7u %6u %11u\n", v->vhid, v->ifname,
	    v->carpdev, state_name(v->state), v->advbase, v->advskew,
	    v->demote, v->transitions);
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
}

static int
cmd_status(struct ctl_session *s)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	struct ctl_vhost v[256];
	struct ctl_group g[64];
	struct ctl_counters total;
	int nv = 0, ng = 0, i;

	memset(&total, 0, sizeof(total));
	request(s, CTL_STATUS, NULL, 0);
	while (reply(s, &h, p)) {
		if (h.type == CTL_VHOST && nv < 256)
			memcpy(&v[nv++], p, sizeof(v[0]));
		else if (h.type == CTL_GROUP && ng < 64)
			memcpy(&g[ng++], p, sizeof(g[0]));
		else if (h.type == CTL_COUNTERS)
			memcpy(&total, p, sizeof(total));
	}
	if (s->json) {
		printf("{\"version\":1,\"vhosts\":[");
		for (i = 0; i < nv; i++)
			json_vhost(&v[i], i == 0);
		printf("],\"groups\":[");
		for (i = 0; i < ng; i++) {
			printf("%s{\"name\":", i ? "," : "");
			json_string(g[i].name);
			printf(",\"demote\":%u}", g[i].demote);
		}
		printf("],\"counters\":");
		json_counters(&total);
		printf("}\n");
		return 0;
	}
	for (i = 0; i < nv; i++)
		text_vhost(&v[i], i == 0);
	if (nv == 0)
		printf("no vhosts\n");
	printf("\nGROUP                            DEMOTE\n");
	for (i = 0; i < ng; i++)
		printf("%-32s %6u\n", g[i].name, g[i].demote);
	printf("\n");
	for (i = 0; i < nv; i++) {
		char what[32];
		snprintf(what, sizeof(what), "vhid %u", v[i].vhid);
		text_counters(what, &v[i].counters);
	}
	text_counters("all", &total);
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
    int np)
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
	printf(",\"peers\":[");
	for (d = 0; d < np; d++)
		printf("%s{\"node_id\":%u,\"epoch\":%u,\"seq\":%u,"
		    "\"frames\":%" PRIu64 ",\"gaps\":%" PRIu64 "}",
		    d ? "," : "", p[d].node_id, p[d].epoch, p[d].seq,
		    p[d].frames, p[d].gaps);
	printf("]}\n");
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
	printf("\nPEER       EPOCH      SEQ        FRAMES     GAPS\n");
	for (d = 0; d < np; d++)
		printf("%-10u %-10u %-10u %-10" PRIu64 " %" PRIu64 "\n",
		    p[d].node_id, p[d].epoch, p[d].seq, p[d].frames,
		    p[d].gaps);
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
}

static int
cmd_sync_status(struct ctl_session *s)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	struct ctl_sync_info info;
	struct ctl_sync_peer peers[SYNC_MAX_PEERS];
	int np = 0, got = 0;

	request(s, CTL_SYNC_STATUS, NULL, 0);
	while (reply(s, &h, p)) {
		if (h.type == CTL_SYNC_INFO) {
			memcpy(&info, p, sizeof(info));
			got = 1;
		} else if (h.type == CTL_SYNC_PEER && np < SYNC_MAX_PEERS)
			memcpy(&peers[np++], p, sizeof(peers[0]));
	}
	if (!got) {
		fprintf(stderr, "carpctl: no sync status in the reply "
		    "(is this syncd's socket?)\n");
		return 1;
	}
	if (s->json)
		json_sync(&info, peers, np);
	else
		text_sync(&info, peers, np);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct ctl_session s = { .fd = -1 };
	const char *path = NULL;
	int ch;

	/* '+': stop at the verb, so "demote carp -5" keeps -5 an argument */
	while ((ch = getopt(argc, argv, "+js:")) != -1) {
		switch (ch) {
		case 'j':
			s.json = 1;
			break;
		case 's':
			path = optarg;
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
	usage();
	return 1;
}
