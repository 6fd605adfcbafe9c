/*
 * sync_conf.c: syncd's configuration file (syncd.conf(5)). One file, no
 * include; the keywords are the fixed operator interface of issue 3 item 7.
 * Pure apart from reading the file and the keyfile it names: interface
 * names are checked for form only, the shell resolves them later (house
 * style R14). Every error is collected, none is fatal.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "keyfile.h"
#include "sync_conf.h"
#include "sync_defer.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))


enum skw {
	SKW_ACCEPT, SKW_CARPD_SOCKET, SKW_CONTROL_SOCKET, SKW_DEFER,
	SKW_IGNORE, SKW_KEYFILE, SKW_LOG_LEVEL, SKW_MAXUPD, SKW_NODE_ID,
	SKW_PCAP_FILE, SKW_PFSYNC_IF, SKW_REFRESH, SKW_SEND_DELAY,
	SKW_SYNCDEV, SKW_SYNCPEER, SKW_USER, SKW_METRICS_LISTEN, SKW_DEFER_QUEUE,
	SKW__MAX
};

struct parse_ctx {
	struct syncd_conf	*conf;
	const char		*path;		/* untruncated conf->file */
	struct conf_diag	*diag;
	unsigned		 key_owner_uid;
	int			 seen[SKW__MAX];	/* first line or 0 */
	int			 too_many;	/* "too many" reported */
};

/* Sorted by name for bsearch (R14); the name comes first (kw_cmp). */
struct keyword {
	const char	*name;
	enum skw	 id;
	int		 min, max;	/* argument count */
	int		 multi;		/* may be repeated */
	void		(*fn)(struct parse_ctx *, const struct conf_line *);
};

/*
 * Protocol names of `ignore|accept protocol`, as in /etc/protocols but
 * fixed here: the parser must not depend on the host's files. The first
 * name of a number is the one printed.
 */
static const struct {
	const char	*name;
	uint8_t		 proto;
} proto_names[] = {
	{ "icmp",	IPPROTO_ICMP },
	{ "tcp",	IPPROTO_TCP },
	{ "udp",	IPPROTO_UDP },
	{ "dccp",	IPPROTO_DCCP },
	{ "gre",	IPPROTO_GRE },
	{ "esp",	IPPROTO_ESP },
	{ "ah",		IPPROTO_AH },
	{ "ipv6-icmp",	IPPROTO_ICMPV6 },
	{ "icmpv6",	IPPROTO_ICMPV6 },
	{ "sctp",	IPPROTO_SCTP },
	{ "udplite",	IPPROTO_UDPLITE },
};

#define PROTO_CARP	112	/* never synced: carpd's own adverts */
#define PROTO_SYNC	240	/* never synced: our frames (pfsync NOSYNC) */

/* "ADDR[/LEN]" into af, addr, plen (LEN 1-3 digits); -1 if malformed. */
static int
prefix_parse(const char *s, int *af, uint8_t addr[16], uint8_t *plen)
{
	const char	*slash = strchr(s, '/'), *p;
	size_t		 alen = slash ? (size_t)(slash - s) : strlen(s);
	char		 tmp[INET6_ADDRSTRLEN];
	int		 max, n = 0;

	memset(addr, 0, 16);
	if (alen == 0 || alen >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET, tmp, addr) == 1) {
		*af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, tmp, addr) == 1) {
		*af = AF_INET6;
		max = 128;
	} else
		return -1;
	if (slash == NULL) {
		*plen = (uint8_t)max;
		return 0;
	}
	for (p = slash + 1; *p >= '0' && *p <= '9' && p - slash <= 3; p++)
		n = n * 10 + (*p - '0');
	if (p == slash + 1 || *p != '\0' || n > max)
		return -1;
	*plen = (uint8_t)n;
	return 0;
}

/* Clear the bits after plen; 1 if any was set. */
static int
prefix_mask(uint8_t addr[16], int alen, int plen)
{
	int	 i, bits, changed = 0;
	uint8_t	 keep;

	for (i = 0; i < alen; i++) {
		bits = plen - i * 8;
		keep = bits >= 8 ? 0xff : bits <= 0 ? 0 :
		    (uint8_t)(0xff << (8 - bits));
		changed |= (addr[i] & ~keep) != 0;
		addr[i] &= keep;
	}
	return changed;
}

/* 1 if the first plen bits of a equal those of the (masked) prefix p. */
static int
prefix_match(const uint8_t *p, int plen, const uint8_t *a)
{
	int	 full = plen / 8, rest = plen % 8;
	uint8_t	 mask;

	if (memcmp(p, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a[full] & mask) == p[full];
}

/* ---- keywords ----------------------------------------------------- */

static void
k_keyfile(struct parse_ctx *px, const struct conf_line *l)
{
	struct syncd_conf	*c = px->conf;
	const char		*w = l->words[1];
	struct keyfile_ref	 ref;
	char			*path;

	if (*w == '\0') {
		conf_error(px->diag, l->file, l->line, "keyfile: empty path");
		return;
	}
	if (strlen(w) >= sizeof(c->keyfile)) {
		conf_error(px->diag, l->file, l->line, "keyfile: path longer "
		    "than %zu bytes", sizeof(c->keyfile) - 1);
		return;
	}
	/* relative to the config file, not to wherever syncd was started */
	if ((path = conf_path_join(l->file, w)) == NULL) {
		conf_error(px->diag, l->file, l->line, "keyfile: out of "
		    "memory");
		return;
	}
	ref.diag = px->diag;
	ref.file = l->file;
	ref.line = l->line;
	ref.keyword = "keyfile";
	ref.owner_uid = px->key_owner_uid;
	if (keyfile_load(&ref, path, c->key) == 0)
		memcpy(c->keyfile, w, strlen(w) + 1);
	free(path);
}

static void
k_syncdev(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_ifname(l, 1, px->conf->syncdev, px->diag);
}

/* pfsync-if NAME|none: the dummy link that mirrors our frames (item 8). */
static void
k_pfsync_if(struct parse_ctx *px, const struct conf_line *l)
{
	if (strcmp(l->words[1], "none") == 0)
		px->conf->pfsync_if[0] = '\0';
	else
		(void)conf_ifname(l, 1, px->conf->pfsync_if, px->diag);
}

static void
k_syncpeer(struct parse_ctx *px, const struct conf_line *l)
{
	struct syncd_conf	*c = px->conf;
	const char		*s = l->words[1];
	uint8_t			 a[16] = { 0 };
	char			 buf[INET6_ADDRSTRLEN];
	int			 af = AF_INET;

	if (inet_pton(AF_INET, s, a) != 1) {
		af = AF_INET6;
		if (inet_pton(AF_INET6, s, a) != 1) {
			conf_error(px->diag, l->file, l->line, "syncpeer: '%s' "
			    "is not an IPv4 or IPv6 address", s);
			return;
		}
	}
	if (!conf_addr_is_unicast(af, a)) {
		inet_ntop(af, a, buf, sizeof(buf));
		conf_error(px->diag, l->file, l->line, "syncpeer: %s is not a "
		    "unicast address (leave syncpeer out for multicast)", buf);
		return;
	}
	c->peer_af = af;
	memcpy(c->peer, a, sizeof(c->peer));
}

/* carpd-socket, control-socket, pcap-file: absolute, bounded by dst. */
static void
k_abs_path(struct parse_ctx *px, const struct conf_line *l, char *dst,
    size_t size)
{
	(void)conf_abs_path(l, 1, dst, size, px->diag);
}

static void
k_carpd_socket(struct parse_ctx *px, const struct conf_line *l)
{
	k_abs_path(px, l, px->conf->carpd_socket,
	    sizeof(px->conf->carpd_socket));
}

static void
k_control_socket(struct parse_ctx *px, const struct conf_line *l)
{
	k_abs_path(px, l, px->conf->control_socket,
	    sizeof(px->conf->control_socket));
}

static void
k_pcap_file(struct parse_ctx *px, const struct conf_line *l)
{
	k_abs_path(px, l, px->conf->pcap_file, sizeof(px->conf->pcap_file));
}

static void
k_node_id(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	/* 0 is no creator id: pfsync's UPD_REQ(0, 0) means "everything" */
	if (conf_uint(l, 1, 1, UINT32_MAX, &n, px->diag) == 0)
		px->conf->node_id = (uint32_t)n;
}

static void
k_maxupd(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	/* pfsync(4) maxupd: 1-255 */
	if (conf_uint(l, 1, 1, 255, &n, px->diag) == 0)
		px->conf->maxupd = (int)n;
}

static void
k_send_delay(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	if (conf_uint(l, 1, 0, 1000, &n, px->diag) == 0)
		px->conf->send_delay_ms = (int)n;
}

static void
k_refresh(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	if (conf_uint(l, 1, 0, 86400, &n, px->diag) == 0)
		px->conf->refresh_s = (int)n;
}

static void
k_defer(struct parse_ctx *px, const struct conf_line *l)
{
	conf_yesno(l, 1, &px->conf->defer, px->diag);
}

/* Another NFQUEUE user (an IDS, say) may have taken the default. */
static void
k_defer_queue(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	if (conf_uint(l, 1, 0, 65535, &n, px->diag) == 0)
		px->conf->defer_queue = (int)n;
}

static void
k_log_level(struct parse_ctx *px, const struct conf_line *l)
{
	conf_log_level(l, 1, &px->conf->log_level, px->diag);
}

/* ---- filters ------------------------------------------------------ */

static int
filter_proto_parse(const char *s, uint8_t *proto)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < NITEMS(proto_names); i++) {
		if (strcmp(s, proto_names[i].name) == 0) {
			*proto = proto_names[i].proto;
			return 0;
		}
	}
	/* 1-3 decimal digits, as conf_uint would take them */
	for (i = 0; s[i] >= '0' && s[i] <= '9' && i < 4; i++)
		n = n * 10 + (s[i] - '0');
	if (i == 0 || i > 3 || s[i] != '\0' || n > 255)
		return -1;
	*proto = (uint8_t)n;
	return 0;
}

static const char *
filter_proto_name(uint8_t proto)
{
	size_t	 i;

	for (i = 0; i < NITEMS(proto_names); i++)
		if (proto_names[i].proto == proto)
			return proto_names[i].name;
	return NULL;
}

/* The value word of `ignore|accept address|protocol VALUE` into f. */
static int
filter_value(struct parse_ctx *px, const struct conf_line *l,
    struct sync_filter *f)
{
	const char	*k = l->words[0], *v = l->words[2];
	char		 buf[INET6_ADDRSTRLEN];

	if (f->kind == SYNC_F_PROTOCOL) {
		if (filter_proto_parse(v, &f->proto) == 0)
			return 0;
		conf_error(px->diag, l->file, l->line, "%s: protocol '%s' is "
		    "not a protocol name or a number 0-255", k, v);
		return -1;
	}
	if (prefix_parse(v, &f->af, f->addr, &f->plen) == -1) {
		conf_error(px->diag, l->file, l->line, "%s: address '%s' is "
		    "not an IPv4 or IPv6 address[/prefixlen]", k, v);
		return -1;
	}
	if (prefix_mask(f->addr, f->af == AF_INET ? 4 : 16, f->plen)) {
		inet_ntop(f->af, f->addr, buf, sizeof(buf));
		conf_warn(px->diag, l->file, l->line, "%s: address %s has "
		    "bits set after the prefix; using %s/%u", k, v, buf,
		    (unsigned)f->plen);
	}
	return 0;
}

static int
filter_same(const struct sync_filter *a, const struct sync_filter *b)
{
	return a->accept == b->accept && a->kind == b->kind &&
	    a->af == b->af && a->plen == b->plen && a->proto == b->proto &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* Harmless but surely not meant: warn, and keep the config unchanged. */
static int
filter_pointless(struct parse_ctx *px, const struct conf_line *l,
    const struct sync_filter *f)
{
	const struct syncd_conf	*c = px->conf;
	int			 i;

	for (i = 0; i < c->nfilters; i++) {
		if (filter_same(&c->filters[i], f)) {
			conf_warn(px->diag, l->file, l->line, "%s: same rule "
			    "as on line %d; ignored", l->words[0],
			    c->filters[i].line);
			return 1;
		}
	}
	if (f->kind == SYNC_F_PROTOCOL &&
	    (f->proto == PROTO_CARP || f->proto == PROTO_SYNC))
		conf_warn(px->diag, l->file, l->line, "%s: protocol %u (%s) is "
		    "never synced, whatever the filters say", l->words[0],
		    (unsigned)f->proto, f->proto == PROTO_CARP ? "CARP" :
		    "the sync protocol itself");
	return 0;
}

static void
k_filter(struct parse_ctx *px, const struct conf_line *l)
{
	struct syncd_conf	*c = px->conf;
	struct sync_filter	 f;
	const char		*what = l->words[1];

	memset(&f, 0, sizeof(f));
	f.accept = strcmp(l->words[0], "accept") == 0;
	f.line = l->line;
	if (strcmp(what, "address") == 0)
		f.kind = SYNC_F_ADDRESS;
	else if (strcmp(what, "protocol") == 0)
		f.kind = SYNC_F_PROTOCOL;
	else {
		conf_error(px->diag, l->file, l->line, "%s: '%s' is not "
		    "address or protocol", l->words[0], what);
		return;
	}
	if (filter_value(px, l, &f) == -1 || filter_pointless(px, l, &f))
		return;
	if (c->nfilters == SYNC_MAX_FILTERS) {
		if (!px->too_many++)
			conf_error(px->diag, l->file, l->line, "%s: too many "
			    "filters (max %d)", l->words[0], SYNC_MAX_FILTERS);
		return;
	}
	c->filters[c->nfilters++] = f;
}

/* The user syncd runs as after start-up (syncd(8) SECURITY). */
static void
k_metrics_listen(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_addrport(l, 1, px->conf->metrics_listen,
	    sizeof(px->conf->metrics_listen), px->diag);
}

static void
k_user(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_username(l, 1, px->conf->user, px->diag);
}

static const struct keyword keywords[] = {
	{ "accept",		SKW_ACCEPT,	2, 2, 1, k_filter },
	{ "carpd-socket",	SKW_CARPD_SOCKET, 1, 1, 0, k_carpd_socket },
	{ "control-socket",	SKW_CONTROL_SOCKET, 1, 1, 0, k_control_socket },
	{ "defer",		SKW_DEFER,	1, 1, 0, k_defer },
	{ "defer-queue",	SKW_DEFER_QUEUE, 1, 1, 0, k_defer_queue },
	{ "ignore",		SKW_IGNORE,	2, 2, 1, k_filter },
	{ "keyfile",		SKW_KEYFILE,	1, 1, 0, k_keyfile },
	{ "log-level",		SKW_LOG_LEVEL,	1, 1, 0, k_log_level },
	{ "maxupd",		SKW_MAXUPD,	1, 1, 0, k_maxupd },
	{ "metrics-listen",	SKW_METRICS_LISTEN, 1, 1, 0, k_metrics_listen },
	{ "node-id",		SKW_NODE_ID,	1, 1, 0, k_node_id },
	{ "pcap-file",		SKW_PCAP_FILE,	1, 1, 0, k_pcap_file },
	{ "pfsync-if",		SKW_PFSYNC_IF,	1, 1, 0, k_pfsync_if },
	{ "refresh",		SKW_REFRESH,	1, 1, 0, k_refresh },
	{ "send-delay",		SKW_SEND_DELAY,	1, 1, 0, k_send_delay },
	{ "syncdev",		SKW_SYNCDEV,	1, 1, 0, k_syncdev },
	{ "syncpeer",		SKW_SYNCPEER,	1, 1, 0, k_syncpeer },
	{ "user",		SKW_USER,	1, 1, 0, k_user },
};

static int
kw_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyword *)elem)->name);
}

/* ---- the file ----------------------------------------------------- */

static void
parse_line(struct parse_ctx *px, const struct conf_line *l)
{
	const struct keyword	*kw;
	int			*seen;

	kw = bsearch(l->words[0], keywords, NITEMS(keywords),
	    sizeof(keywords[0]), kw_cmp);
	if (kw == NULL) {
		conf_error(px->diag, l->file, l->line, "unknown keyword '%s'",
		    l->words[0]);
		return;
	}
	seen = &px->seen[kw->id];
	if (*seen && !kw->multi) {
		conf_error(px->diag, l->file, l->line, "%s: duplicate (first "
		    "given on line %d)", l->words[0], *seen);
		return;
	}
	if (!*seen)
		*seen = l->line;
	if (conf_want_words(l, kw->min, kw->max, px->diag) == -1)
		return;
	kw->fn(px, l);
}

static const char *
kw_name(enum skw id)
{
	size_t	 i;

	for (i = 0; i < NITEMS(keywords); i++)
		if (keywords[i].id == id)
			return keywords[i].name;
	return "?";
}

/*
 * Two settings that must differ (both non-empty and equal is an error),
 * reported on the line of whichever was given later.
 */
static void
check_differ(struct parse_ctx *px, enum skw a, const char *va, enum skw b,
    const char *vb, const char *why)
{
	enum skw	 later, other;

	if (*va == '\0' || strcmp(va, vb) != 0)
		return;
	later = px->seen[a] >= px->seen[b] ? a : b;
	other = later == a ? b : a;
	conf_error(px->diag, px->path, px->seen[later], "%s: '%s' is also the "
	    "%s; %s", kw_name(later), va, kw_name(other), why);
}

static void
parse_finish(struct parse_ctx *px)
{
	static const struct {
		enum skw	 kw;
		const char	*msg;
	} required[] = {
		{ SKW_SYNCDEV,	"missing 'syncdev' (required)" },
		{ SKW_KEYFILE,	"missing 'keyfile' (required)" },
		{ SKW_NODE_ID,	"missing 'node-id' (required, different on "
				"each peer)" },
	};
	struct syncd_conf	*c = px->conf;
	size_t			 i;

	for (i = 0; i < NITEMS(required); i++)
		if (!px->seen[required[i].kw])
			conf_error(px->diag, px->path, 0, "%s",
			    required[i].msg);
	/* syncd creates pfsync-if as a dummy link: it cannot be syncdev */
	check_differ(px, SKW_SYNCDEV, c->syncdev, SKW_PFSYNC_IF, c->pfsync_if,
	    "syncd creates that interface itself");
	check_differ(px, SKW_CARPD_SOCKET, c->carpd_socket,
	    SKW_CONTROL_SOCKET, c->control_socket,
	    "syncd would listen on carpd's socket");
}

static void
set_defaults(struct syncd_conf *c, const char *path)
{
	snprintf(c->file, sizeof(c->file), "%s", path);
	memcpy(c->carpd_socket, SYNC_DEFAULT_CARPD_SOCKET,
	    sizeof(SYNC_DEFAULT_CARPD_SOCKET));
	memcpy(c->control_socket, SYNC_DEFAULT_CONTROL_SOCKET,
	    sizeof(SYNC_DEFAULT_CONTROL_SOCKET));
	memcpy(c->pfsync_if, SYNC_DEFAULT_PFSYNC_IF,
	    sizeof(SYNC_DEFAULT_PFSYNC_IF));
	c->maxupd = 128;		/* pfsync(4) default */
	c->send_delay_ms = 10;		/* issue 3 item 4: <= 20 ms */
	c->refresh_s = 30;
	c->defer_queue = SYNC_DEFER_QUEUE;
	c->log_level = LOG_INFO;
	memcpy(c->user, SYNC_DEFAULT_USER, sizeof(SYNC_DEFAULT_USER));
}

struct syncd_conf *
sync_conf_parse(const char *path, unsigned key_owner_uid,
    struct conf_diag *diag)
{
	struct parse_ctx	 px;
	struct conf_reader	*r;
	struct conf_line	 l;
	int			 nerr0 = diag->nerrors;

	memset(&px, 0, sizeof(px));
	px.diag = diag;
	px.path = path;
	px.key_owner_uid = key_owner_uid;
	if ((px.conf = calloc(1, sizeof(*px.conf))) == NULL) {
		conf_error(diag, path, 0, "out of memory");
		return NULL;
	}
	set_defaults(px.conf, path);
	if ((r = conf_open(path, diag)) != NULL) {
		while (conf_next(r, &l))
			parse_line(&px, &l);
		conf_close(r);
		parse_finish(&px);
	}
	if (diag->nerrors != nerr0) {
		sync_conf_free(px.conf);
		return NULL;
	}
	return px.conf;
}

void
sync_conf_free(struct syncd_conf *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));		/* the key */
	free(c);
}

/* ---- printing ----------------------------------------------------- */

static void
print_kw_word(FILE *fp, const char *kw, const char *value)
{
	fprintf(fp, "%s ", kw);
	conf_print_word(fp, value, 0);
	fputc('\n', fp);
}

static void
print_filter(FILE *fp, const struct sync_filter *f)
{
	const char	*kw = f->accept ? "accept" : "ignore", *name;
	char		 buf[INET6_ADDRSTRLEN];

	if (f->kind == SYNC_F_PROTOCOL) {
		if ((name = filter_proto_name(f->proto)) != NULL)
			fprintf(fp, "%s protocol %s\n", kw, name);
		else
			fprintf(fp, "%s protocol %u\n", kw, (unsigned)f->proto);
		return;
	}
	if (inet_ntop(f->af, f->addr, buf, sizeof(buf)) == NULL)
		snprintf(buf, sizeof(buf), "?");
	fprintf(fp, "%s address %s/%u\n", kw, buf, (unsigned)f->plen);
}

/* The settings without a keyword for their default are comments. */
void
sync_conf_print(FILE *fp, const struct syncd_conf *c)
{
	char	 buf[INET6_ADDRSTRLEN];
	int	 i;

	print_kw_word(fp, "syncdev", c->syncdev);
	if (c->peer_af == AF_INET || c->peer_af == AF_INET6)
		fprintf(fp, "syncpeer %s\n", inet_ntop(c->peer_af, c->peer,
		    buf, sizeof(buf)) ? buf : "?");
	else
		fputs("# syncpeer not set: multicast to 224.0.0.240 on "
		    "syncdev\n", fp);
	print_kw_word(fp, "keyfile", c->keyfile);
	fprintf(fp, "node-id %u\n", (unsigned)c->node_id);
	print_kw_word(fp, "carpd-socket", c->carpd_socket);
	print_kw_word(fp, "control-socket", c->control_socket);
	fprintf(fp, "maxupd %d\nsend-delay %d\nrefresh %d\n", c->maxupd,
	    c->send_delay_ms, c->refresh_s);
	print_kw_word(fp, "pfsync-if", c->pfsync_if[0] ? c->pfsync_if :
	    "none");
	if (c->pcap_file[0] != '\0')
		print_kw_word(fp, "pcap-file", c->pcap_file);
	else
		fputs("# pcap-file not set\n", fp);
	fprintf(fp, "defer %s\ndefer-queue %d\nlog-level %s\n",
	    c->defer ? "yes" : "no", c->defer_queue,
	    conf_log_level_name(c->log_level));
	print_kw_word(fp, "user", c->user);
	if (c->metrics_listen[0] != '\0')
		fprintf(fp, "metrics-listen %s\n", c->metrics_listen);
	for (i = 0; i < c->nfilters; i++)
		print_filter(fp, &c->filters[i]);
}

/* ---- filtering ---------------------------------------------------- */

static int
filter_match(const struct sync_filter *f, int af, const uint8_t *src,
    const uint8_t *dst, uint8_t proto)
{
	if (f->kind == SYNC_F_PROTOCOL)
		return f->proto == proto;
	if (f->kind != SYNC_F_ADDRESS || f->af != af ||
	    (af != AF_INET && af != AF_INET6))
		return 0;
	return prefix_match(f->addr, f->plen, src) ||
	    prefix_match(f->addr, f->plen, dst);
}

/*
 * Any matching `ignore` excludes the state; then every kind that has
 * `accept` rules needs one of them to match (sync_conf.h).
 */
int
sync_conf_filter(const struct syncd_conf *c, int af, const uint8_t *src,
    const uint8_t *dst, uint8_t proto)
{
	int	 want[SYNC_F_PROTOCOL + 1] = { 0 };
	int	 hit[SYNC_F_PROTOCOL + 1] = { 0 };
	int	 i, k, m;

	for (i = 0; i < c->nfilters; i++) {
		k = c->filters[i].kind;
		if (k != SYNC_F_ADDRESS && k != SYNC_F_PROTOCOL)
			continue;
		m = filter_match(&c->filters[i], af, src, dst, proto);
		if (!c->filters[i].accept) {
			if (m)
				return 0;
			continue;
		}
		want[k] = 1;
		hit[k] |= m;
	}
	for (k = SYNC_F_ADDRESS; k <= SYNC_F_PROTOCOL; k++)
		if (want[k] && !hit[k])
			return 0;
	return 1;
}

/* ---- syncdev's own prefixes --------------------------------------- */

void
sync_local_clear(struct sync_local *l)
{
	memset(l, 0, sizeof(*l));
}

/* 169.254.0.0/16 and fe80::/10 exist on every link (RFC 3927, 4291). */
static int
addr_is_link_local(int af, const uint8_t *a)
{
	if (af == AF_INET)
		return a[0] == 169 && a[1] == 254;
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

int
sync_local_add(struct sync_local *l, int af, const uint8_t *addr, int plen)
{
	struct sync_prefix	 p;
	int			 alen = af == AF_INET ? 4 : 16, i;

	if ((af != AF_INET && af != AF_INET6) || addr == NULL || plen < 0 ||
	    plen > alen * 8)
		return -1;
	memset(&p, 0, sizeof(p));
	p.af = af;
	memcpy(p.addr, addr, (size_t)alen);
	p.plen = (uint8_t)(addr_is_link_local(af, addr) ? alen * 8 : plen);
	(void)prefix_mask(p.addr, alen, p.plen);
	for (i = 0; i < l->n; i++)
		if (l->p[i].af == af && l->p[i].plen == p.plen &&
		    memcmp(l->p[i].addr, p.addr, sizeof(p.addr)) == 0)
			return 0;
	if (l->n == SYNC_MAX_LOCAL) {
		l->full = 1;
		return -1;
	}
	l->p[l->n++] = p;
	return 0;
}

int
sync_local_match(const struct sync_local *l, int af, const uint8_t *src,
    const uint8_t *dst)
{
	int	 i;

	if (l == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		if (l->p[i].af != af)
			continue;
		if (prefix_match(l->p[i].addr, l->p[i].plen, src) ||
		    prefix_match(l->p[i].addr, l->p[i].plen, dst))
			return 1;
	}
	return 0;
}

int
sync_conf_synced(const struct syncd_conf *c, const struct sync_local *l,
    int af, const uint8_t *src, const uint8_t *dst, uint8_t proto)
{
	if (sync_local_match(l, af, src, dst))
		return 0;
	return sync_conf_filter(c, af, src, dst, proto);
}
