/*
 * carpctl: the operator's CLI for carpd (and later syncd) over the control
 * socket. Needs no libevent: one request, then replies until CTL_END.
 *
 *   carpctl [-s SOCKET] [-j] status
 *   carpctl [-s SOCKET] demote GROUP [-]N
 *   carpctl [-s SOCKET] state VHID master|backup
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
	    "       carpctl [-s SOCKET] state VHID master|backup\n");
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

int
main(int argc, char *argv[])
{
	struct ctl_session s = { .fd = -1 };
	const char *path = DEFAULT_SOCKET;
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
	usage();
	return 1;
}
