/*
 * carp_conf.c: carpd's configuration. The global file (carpd -f) holds the
 * daemon-wide keywords and `include "GLOB"`; every file an include matches
 * is one virtual host (redundancy group) whose keywords are named after
 * ifconfig(8)'s carp options. Pure apart from reading the config files and
 * passfiles: interface names are checked for form only, the shell resolves
 * them later (house style R14). Every error is collected, none is fatal.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "carp_conf.h"
#include "keyfile.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

enum gkw {
	GKW_CONTROL_SOCKET, GKW_INCLUDE, GKW_LOG_LEVEL, GKW_PREEMPT,
	GKW_STARTUP_DEMOTE, GKW_USER, GKW_GARP_REFRESH,
	GKW_PREEMPT_DELAY, GKW_NOTIFY_FIFO, GKW_METRICS_LISTEN,
	GKW_BALANCE_SEED, GKW__MAX
};

enum vkw {
	VKW_ADDRESS, VKW_ADVBASE, VKW_ADVSKEW, VKW_AUTH, VKW_AUTHKEYFILE,
	VKW_CARPDEV, VKW_CARPPEER,
	VKW_GROUP, VKW_IFNAME, VKW_LLADDR, VKW_PASS, VKW_PASSFILE, VKW_STATE,
	VKW_VHID, VKW_GARP_REFRESH, VKW_TIEBREAK,
	VKW_TRACK_INTERFACE, VKW_TRACK_SCRIPT, VKW_TRACK_SCOPE,
	VKW_PREEMPT_DELAY, VKW_NOTIFY,
	VKW_CARPNODES, VKW_BALANCING, VKW_BALANCE_SIDE, VKW_BALANCE_NAT,
	VKW__MAX
};

/* A vhost while it is parsed, with the line where each keyword was first
 * given (0: not given), for duplicate and cross-file messages. */
struct vhost_work {
	struct carp_vhost_conf	 v;
	char			*path;		/* untruncated v.file */
	int			 seen[VKW__MAX];
	uint8_t			 skews[CARP_MAX_NODES];	/* v.node_vhids' */
	int			 none_line;	/* `balancing none` given */
};

struct parse_ctx {
	struct carpd_conf	*conf;
	struct conf_diag	*diag;
	struct stat		 global_st;	/* the global file itself */
	int			 have_global_st;
	int			 gseen[GKW__MAX];
	struct vhost_work	*work;
	int			 nwork;
	int			 capwork;
	int			 too_many;	/* "too many vhosts" reported */
	int			 ninst;		/* CARP instances: the nodes */
	unsigned		 key_owner_uid;	/* besides root, for keyfiles */
};

/* Both keyword tables start with the name, sorted for bsearch (R14). */
struct gkeyword {
	const char	*name;
	enum gkw	 id;
	int		 min, max;	/* argument count */
	int		 multi;		/* may be repeated */
	void		(*fn)(struct parse_ctx *, const struct conf_line *);
};

struct vkeyword {
	const char	*name;
	enum vkw	 id;
	int		 min, max;
	int		 multi;
	void		(*fn)(struct parse_ctx *, struct vhost_work *,
			    const struct conf_line *);
};

static void	parse_vhost_file(struct parse_ctx *, const char *);

static int
valid_group(const char *s)
{
	const unsigned char *p;

	if (*s == '\0' || strlen(s) >= CARP_GROUP_NAMELEN)
		return 0;
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		if (!isgraph(*p))
			return 0;
	return 1;
}

/* ---- global keywords ---------------------------------------------- */

static void
g_preempt(struct parse_ctx *px, const struct conf_line *l)
{
	conf_yesno(l, 1, &px->conf->preempt, px->diag);
}

static void
g_control_socket(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_abs_path(l, 1, px->conf->control_socket,
	    sizeof(px->conf->control_socket), px->diag);
}

static void
g_metrics_listen(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_addrport(l, 1, px->conf->metrics_listen,
	    sizeof(px->conf->metrics_listen), px->diag);
}

static void
g_log_level(struct parse_ctx *px, const struct conf_line *l)
{
	conf_log_level(l, 1, &px->conf->log_level, px->diag);
}

static void
g_startup_demote(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	if (conf_uint(l, 1, 0, 255, &n, px->diag) == 0)
		px->conf->startup_demote = (int)n;
}

/* The user carpd runs as after start-up (carpd(8) SECURITY). */
static void
g_user(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_username(l, 1, px->conf->user, px->diag);
}

/* `garp-refresh S|off`, in either file: 1..3600 s, or off (0). */
static void
garp_refresh(struct conf_diag *diag, const struct conf_line *l, int *out)
{
	uint64_t	 n;

	if (strcmp(l->words[1], "off") == 0) {
		*out = 0;
		return;
	}
	if (l->words[1][0] < '0' || l->words[1][0] > '9') {
		conf_error(diag, l->file, l->line, "%s: '%s' is not off or a "
		    "number of seconds (1-%d)", l->words[0], l->words[1],
		    CARP_GARP_REFRESH_MAX);
		return;
	}
	if (conf_uint(l, 1, 1, CARP_GARP_REFRESH_MAX, &n, diag) == 0)
		*out = (int)n;
}

static void
g_garp_refresh(struct parse_ctx *px, const struct conf_line *l)
{
	garp_refresh(px->diag, l, &px->conf->garp_refresh);
}

/* A glob like "*.conf" next to carpd.conf would pull the file in again. */
static int
is_global_file(struct parse_ctx *px, const char *path)
{
	struct stat	 st;

	return px->have_global_st && stat(path, &st) == 0 &&
	    st.st_dev == px->global_st.st_dev &&
	    st.st_ino == px->global_st.st_ino;
}

static void
g_include(struct parse_ctx *px, const struct conf_line *l)
{
	char	**paths;
	size_t	  n, i;

	if (conf_glob(l->file, l->line, l->words[1], &paths, &n,
	    px->diag) == -1)
		return;
	for (i = 0; i < n; i++) {
		if (is_global_file(px, paths[i])) {
			conf_error(px->diag, l->file, l->line, "include: %s is "
			    "the global file itself", paths[i]);
			continue;
		}
		if (px->nwork == CARP_MAX_VHOSTS) {
			if (!px->too_many++)
				conf_error(px->diag, l->file, l->line,
				    "include: too many vhost files (max %d)",
				    CARP_MAX_VHOSTS);
			break;
		}
		parse_vhost_file(px, paths[i]);
	}
	conf_glob_free(paths, n);
}

/* The longest preempt-delay, interval or timeout: a day. */
#define CONF_MAX_SECONDS	86400

static void
g_preempt_delay(struct parse_ctx *px, const struct conf_line *l)
{
	uint64_t	 n;

	if (conf_uint(l, 1, 0, CONF_MAX_SECONDS, &n, px->diag) == 0)
		px->conf->preempt_delay = (int)n;
}

/* Created at start if missing (carpd.conf(5) notify-fifo). */
static void
g_notify_fifo(struct parse_ctx *px, const struct conf_line *l)
{
	(void)conf_abs_path(l, 1, px->conf->notify_fifo,
	    sizeof(px->conf->notify_fifo), px->diag);
}

/* Hex digits only, 1 to 8 of them: -1 if s is not that. */
static int
parse_hex32(const char *s, uint32_t *out)
{
	uint32_t	 v = 0;
	int		 n, d;

	for (n = 0; s[n] != '\0'; n++) {
		if (n == 8 || !isxdigit((unsigned char)s[n]))
			return -1;
		d = isdigit((unsigned char)s[n]) ? s[n] - '0' :
		    tolower((unsigned char)s[n]) - 'a' + 10;
		v = v << 4 | (uint32_t)d;
	}
	if (n == 0)
		return -1;
	*out = v;
	return 0;
}

/* `balance-seed N|0xHEX`: every node of a group must hash alike. */
static void
g_balance_seed(struct parse_ctx *px, const struct conf_line *l)
{
	const char	*s = l->words[1];
	uint64_t	 n;
	uint32_t	 x;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		if (parse_hex32(s + 2, &x) == 0)
			px->conf->balance_seed = x;
		else
			conf_error(px->diag, l->file, l->line, "balance-seed: "
			    "'%s' is not 1 to 8 hex digits after 0x", s);
		return;
	}
	if (conf_uint(l, 1, 0, UINT32_MAX, &n, px->diag) == 0)
		px->conf->balance_seed = (uint32_t)n;
}

static const struct gkeyword gkeywords[] = {
	{ "balance-seed",	GKW_BALANCE_SEED, 1, 1, 0, g_balance_seed },
	{ "control-socket",	GKW_CONTROL_SOCKET, 1, 1, 0, g_control_socket },
	{ "garp-refresh",	GKW_GARP_REFRESH, 1, 1, 0, g_garp_refresh },
	{ "include",		GKW_INCLUDE,	1, 1, 1, g_include },
	{ "log-level",		GKW_LOG_LEVEL,	1, 1, 0, g_log_level },
	{ "metrics-listen",	GKW_METRICS_LISTEN, 1, 1, 0, g_metrics_listen },
	{ "notify-fifo",	GKW_NOTIFY_FIFO, 1, 1, 0, g_notify_fifo },
	{ "preempt",		GKW_PREEMPT,	1, 1, 0, g_preempt },
	{ "preempt-delay",	GKW_PREEMPT_DELAY, 1, 1, 0, g_preempt_delay },
	{ "startup-demote",	GKW_STARTUP_DEMOTE, 1, 1, 0, g_startup_demote },
	{ "user",		GKW_USER,	1, 1, 0, g_user },
};

/* ---- vhost keywords ----------------------------------------------- */

/* Two keywords that exclude each other; 1 if the other one was given. */
static int
kw_conflict(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l, enum vkw other, const char *other_name)
{
	if (!w->seen[other])
		return 0;
	conf_error(px->diag, l->file, l->line, "%s: conflicts with %s on "
	    "line %d (give only one of them)", l->words[0], other_name,
	    w->seen[other]);
	return 1;
}

static void
v_vhid(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	uint64_t	 n;

	if (kw_conflict(px, w, l, VKW_CARPNODES, "carpnodes"))
		return;
	if (conf_uint(l, 1, 1, 255, &n, px->diag) == 0)
		w->v.vhid = (uint8_t)n;
}

static void
v_carpdev(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	(void)conf_ifname(l, 1, w->v.carpdev, px->diag);
}

static void
v_ifname(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	(void)conf_ifname(l, 1, w->v.ifname, px->diag);
}

static void
v_address(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	struct carp_vhost_conf	*v = &w->v;
	struct carp_addr	 a;
	char			 buf[INET6_ADDRSTRLEN];
	int			 i;

	if (v->naddrs == CARP_MAX_ADDRS) {
		conf_error(px->diag, l->file, l->line, "address: too many "
		    "addresses (max %d)", CARP_MAX_ADDRS);
		return;
	}
	if (carp_addr_parse(l->words[1], &a) == -1) {
		conf_error(px->diag, l->file, l->line, "address: '%s' is not "
		    "an IPv4 or IPv6 address[/prefixlen]", l->words[1]);
		return;
	}
	carp_addr_fmt(&a, 0, buf, sizeof(buf));
	if (!conf_addr_is_unicast(a.af, a.addr)) {
		conf_error(px->diag, l->file, l->line, "address: %s is not a "
		    "unicast address", buf);
		return;
	}
	for (i = 0; i < v->naddrs; i++) {
		if (v->addrs[i].af == a.af &&
		    memcmp(v->addrs[i].addr, a.addr, sizeof(a.addr)) == 0) {
			conf_error(px->diag, l->file, l->line, "address: %s "
			    "is given twice", buf);
			return;
		}
	}
	v->addrs[v->naddrs++] = a;
}

static void
v_adv(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	uint64_t	 n;

	/* a group's advskews are in its carpnodes */
	if (strcmp(l->words[0], "advskew") == 0 &&
	    kw_conflict(px, w, l, VKW_CARPNODES, "carpnodes"))
		return;
	/* ifconfig's range; 255 is kept for the bow-out advert */
	if (conf_uint(l, 1, 0, 254, &n, px->diag) == -1)
		return;
	if (strcmp(l->words[0], "advbase") == 0)
		w->v.advbase = (uint8_t)n;
	else
		w->v.advskew = (uint8_t)n;
}

/* pass and passfile exclude each other; 1 if the other one was given. */
static int
pass_conflict(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l, enum vkw other)
{
	return kw_conflict(px, w, l, other, other == VKW_PASS ? "pass" :
	    "passfile");
}

/* OpenBSD ifconfig setcarp_passwd: strlcpy(key, pass, 20), no hashing. */
static void
set_key(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l,
    const char *phrase)
{
	if (carp_key_from_pass(phrase, w->v.key))
		conf_warn(px->diag, l->file, l->line, "%s: longer than %d "
		    "bytes, truncated to %d as OpenBSD does", l->words[0],
		    CARP_PASS_MAX, CARP_PASS_MAX);
	w->v.has_key = 1;
}

static void
v_pass(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	if (!pass_conflict(px, w, l, VKW_PASSFILE))
		set_key(px, w, l, l->words[1]);
}

/* The phrase is the first line of the file, without its newline. */
static char *
read_passfile(struct parse_ctx *px, const struct conf_line *l)
{
	const char	*name = l->words[1];
	char		*path, *line = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	FILE		*fp;

	if ((path = conf_path_join(l->file, name)) == NULL ||
	    (fp = fopen(path, "r")) == NULL) {
		conf_error(px->diag, l->file, l->line, "passfile: %s: %s",
		    name, path ? strerror(errno) : "out of memory");
		free(path);
		return NULL;
	}
	free(path);
	n = getline(&line, &cap, fp);
	fclose(fp);
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n <= 0 || line[0] == '\0') {
		/* an empty key would silently mean "no authentication" */
		conf_error(px->diag, l->file, l->line, "passfile: %s: no "
		    "passphrase on its first line", name);
		free(line);
		return NULL;
	}
	return line;
}

static void
v_passfile(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	char	*phrase;

	if (pass_conflict(px, w, l, VKW_PASS))
		return;
	if (strlen(l->words[1]) >= sizeof(w->v.passfile)) {
		conf_error(px->diag, l->file, l->line, "passfile: path longer "
		    "than %zu bytes", sizeof(w->v.passfile) - 1);
		return;
	}
	if ((phrase = read_passfile(px, l)) == NULL)
		return;
	set_key(px, w, l, phrase);
	memcpy(w->v.passfile, l->words[1], strlen(l->words[1]) + 1);
	explicit_bzero(phrase, strlen(phrase));
	free(phrase);
}

/* OpenBSD carppeer: one IPv4 unicast destination instead of 224.0.0.18. */
static void
v_carppeer(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	const char	*s = l->words[1];
	struct carp_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, a.addr) != 1) {
		if (inet_pton(AF_INET6, s, a.addr) == 1)
			conf_error(px->diag, l->file, l->line, "carppeer: %s: "
			    "IPv6 peers are not supported (OpenBSD carppeer "
			    "is IPv4 only)", s);
		else
			conf_error(px->diag, l->file, l->line, "carppeer: '%s' "
			    "is not an IPv4 address", s);
		return;
	}
	if (!conf_addr_is_unicast(AF_INET, a.addr)) {
		conf_error(px->diag, l->file, l->line, "carppeer: %s is not a "
		    "unicast address", s);
		return;
	}
	a.af = AF_INET;
	a.plen = 32;
	w->v.peer = a;
}

static void
v_group(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	struct carp_vhost_conf	*v = &w->v;
	const char		*g = l->words[1];
	int			 i;

	if (!valid_group(g)) {
		conf_error(px->diag, l->file, l->line, "group: '%s' is not a "
		    "valid group name (1-%d printable bytes, no blanks)", g,
		    CARP_GROUP_NAMELEN - 1);
		return;
	}
	/* every vhost is in "carp" (OpenBSD ifgroup); naming it is harmless */
	if (strcmp(g, "carp") == 0)
		return;
	for (i = 0; i < v->ngroups; i++)
		if (strcmp(v->groups[i], g) == 0)
			return;
	if (v->ngroups == CARP_MAX_GROUPS) {
		conf_error(px->diag, l->file, l->line, "group: too many groups "
		    "(max %d besides 'carp')", CARP_MAX_GROUPS);
		return;
	}
	memcpy(v->groups[v->ngroups++], g, strlen(g) + 1);
}

static void
v_lladdr(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	const char	*s = l->words[1];

	if (strcmp(s, "virtual") == 0)
		w->v.lladdr = CARP_LLADDR_VIRTUAL;
	else if (strcmp(s, "real") == 0)
		w->v.lladdr = CARP_LLADDR_REAL;
	else
		conf_error(px->diag, l->file, l->line, "lladdr: '%s' is not "
		    "virtual or real", s);
}

static const char *const init_state_names[] = {
	[CARP_INIT_BACKUP] = "backup",
	[CARP_INIT_INIT] = "init",
	[CARP_INIT_MASTER] = "master",
};

static void
v_state(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	const char	*s = l->words[1];

	if (strcmp(s, "init") == 0)
		w->v.init_state = CARP_INIT_INIT;
	else if (strcmp(s, "backup") == 0)
		w->v.init_state = CARP_INIT_BACKUP;
	else if (strcmp(s, "master") == 0)
		w->v.init_state = CARP_INIT_MASTER;
	else
		conf_error(px->diag, l->file, l->line, "state: '%s' is not "
		    "init, backup or master", s);
}

static const char *const auth_mode_names[] = {
	[CARP_AUTH_OFF] = "off",
	[CARP_AUTH_COMPAT] = "compat",
	[CARP_AUTH_STRICT] = "strict",
};

static void
v_auth(struct parse_ctx *px, struct vhost_work *w, const struct conf_line *l)
{
	size_t	 i;

	for (i = 0; i < NITEMS(auth_mode_names); i++)
		if (strcmp(l->words[1], auth_mode_names[i]) == 0) {
			w->v.auth = (enum carp_auth_mode)i;
			return;
		}
	conf_error(px->diag, l->file, l->line, "auth: '%s' is not strict, "
	    "compat or off", l->words[1]);
}

/* The format of syncd's keyfile, checked by the same code (keyfile.c). */
static void
v_authkeyfile(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	const char		*name = l->words[1];
	struct keyfile_ref	 ref = { px->diag, l->file, l->line,
				     "authkeyfile", px->key_owner_uid };
	char			*path;

	if (*name == '\0' || strlen(name) >= sizeof(w->v.authkeyfile)) {
		conf_error(px->diag, l->file, l->line, "authkeyfile: path "
		    "empty or longer than %zu bytes",
		    sizeof(w->v.authkeyfile) - 1);
		return;
	}
	if ((path = conf_path_join(l->file, name)) == NULL) {
		conf_error(px->diag, l->file, l->line, "authkeyfile: out of "
		    "memory");
		return;
	}
	if (keyfile_load(&ref, path, w->v.authkey) == 0)
		memcpy(w->v.authkeyfile, name, strlen(name) + 1);
	free(path);
}

static void
v_garp_refresh(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	garp_refresh(px->diag, l, &w->v.garp_refresh);
}

static const char *const tiebreak_names[] = {
	[CARP_TB_NONE] = "none",
	[CARP_TB_LOWER_ADDRESS] = "lower-address",
};

static void
v_tiebreak(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	size_t	 i;

	for (i = 0; i < NITEMS(tiebreak_names); i++)
		if (strcmp(l->words[1], tiebreak_names[i]) == 0) {
			w->v.tiebreak = (enum carp_tiebreak_conf)i;
			return;
		}
	conf_error(px->diag, l->file, l->line, "tiebreak: '%s' is not none "
	    "or lower-address", l->words[1]);
}

/* ---- tracking and hooks (carpd.conf(5) TRACKING, HOOKS) ----------- */

/* A new track for l, or NULL (reported) if the vhost has too many. */
static struct carp_track_conf *
track_new(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l, enum carp_track_kind kind)
{
	struct carp_track_conf	*t;

	if (w->v.ntracks == CARP_MAX_TRACKS) {
		conf_error(px->diag, l->file, l->line, "%s: too many tracks "
		    "(max %d per vhost)", l->words[0], CARP_MAX_TRACKS);
		return NULL;
	}
	t = &w->v.tracks[w->v.ntracks];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->weight = 1;
	t->line = l->line;
	return t;
}

static int
track_dup(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l, enum carp_track_kind kind, const char *name)
{
	int	 i;

	for (i = 0; i < w->v.ntracks; i++)
		if (w->v.tracks[i].kind == kind &&
		    strcmp(w->v.tracks[i].name, name) == 0) {
			conf_error(px->diag, l->file, l->line, "%s: '%s' is "
			    "already tracked on line %d", l->words[0], name,
			    w->v.tracks[i].line);
			return 1;
		}
	return 0;
}

/* "weight N" / "interval S" / "timeout S" pairs from word i on. */
static int
track_options(struct parse_ctx *px, const struct conf_line *l, int i,
    struct carp_track_conf *t, int *seen_interval, int *seen_timeout)
{
	uint64_t	 n;
	const char	*k;
	int		 script = t->kind == CARP_TRACK_SCRIPT;

	for (; i < l->nwords; i += 2) {
		k = l->words[i];
		if (strcmp(k, "weight") != 0 && (!script ||
		    (strcmp(k, "interval") != 0 && strcmp(k, "timeout") != 0))) {
			conf_error(px->diag, l->file, l->line, "%s: unknown "
			    "option '%s' (%s)", l->words[0], k, script ?
			    "weight, interval or timeout" : "weight");
			return -1;
		}
		if (i + 1 >= l->nwords) {
			conf_error(px->diag, l->file, l->line, "%s: %s needs a "
			    "value", l->words[0], k);
			return -1;
		}
		if (strcmp(k, "weight") == 0) {
			if (conf_uint(l, i + 1, 1, 255, &n, px->diag) == -1)
				return -1;
			t->weight = (uint8_t)n;
			continue;
		}
		if (conf_uint(l, i + 1, 1, CONF_MAX_SECONDS, &n, px->diag) == -1)
			return -1;
		if (strcmp(k, "interval") == 0) {
			t->interval_s = (uint32_t)n;
			*seen_interval = 1;
		} else {
			t->timeout_s = (uint32_t)n;
			*seen_timeout = 1;
		}
	}
	return 0;
}

static void
v_track_interface(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	struct carp_track_conf	*t;
	char			 name[IFNAMSIZ];
	int			 si = 0, st = 0;

	if (conf_ifname(l, 1, name, px->diag) == -1 ||
	    track_dup(px, w, l, CARP_TRACK_IFACE, name) ||
	    (t = track_new(px, w, l, CARP_TRACK_IFACE)) == NULL)
		return;
	memcpy(t->name, name, strlen(name) + 1);
	if (track_options(px, l, 2, t, &si, &st) == 0)
		w->v.ntracks++;
}

static void
v_track_script(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	struct carp_track_conf	*t;
	const char		*cmd = l->words[1];
	int			 si = 0, st = 0;

	if (*cmd == '\0' || strlen(cmd) >= CARP_TRACK_CMDLEN) {
		conf_error(px->diag, l->file, l->line, "track-script: command "
		    "empty or longer than %d bytes", CARP_TRACK_CMDLEN - 1);
		return;
	}
	if (track_dup(px, w, l, CARP_TRACK_SCRIPT, cmd) ||
	    (t = track_new(px, w, l, CARP_TRACK_SCRIPT)) == NULL)
		return;
	memcpy(t->name, cmd, strlen(cmd) + 1);
	if (track_options(px, l, 2, t, &si, &st) == -1)
		return;
	if (!si) {
		conf_error(px->diag, l->file, l->line, "track-script: missing "
		    "'interval S' (required)");
		return;
	}
	if (!st)
		t->timeout_s = t->interval_s;
	w->v.ntracks++;
}

static void
v_track_scope(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	if (strcmp(l->words[1], "group") == 0)
		w->v.track_scope = CARP_SCOPE_GROUP;
	else if (strcmp(l->words[1], "vhost") == 0)
		w->v.track_scope = CARP_SCOPE_VHOST;
	else
		conf_error(px->diag, l->file, l->line, "track-scope: '%s' is "
		    "not group or vhost", l->words[1]);
}

static void
v_preempt_delay(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	uint64_t	 n;

	if (conf_uint(l, 1, 0, CONF_MAX_SECONDS, &n, px->diag) == 0)
		w->v.preempt_delay = (int)n;
}

static void
v_notify(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	const char	*cmd = l->words[1];

	if (*cmd == '\0' || strlen(cmd) >= sizeof(w->v.notify))
		conf_error(px->diag, l->file, l->line, "notify: command empty "
		    "or longer than %zu bytes", sizeof(w->v.notify) - 1);
	else
		memcpy(w->v.notify, cmd, strlen(cmd) + 1);
}

/* ---- carpnodes and balancing (carpd.conf(5) BALANCING) ----------- */

/* Decimal digits of s[0..len) into *out, capped above 999; -1 if none
 * or anything else. */
static int
node_number(const char *s, size_t len, unsigned *out)
{
	unsigned	 v = 0;
	size_t		 i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v < 1000)
			v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* One "VHID:ADVSKEW" of s[0..len): 0, or -1 with the reason reported. */
static int
node_parse(struct parse_ctx *px, const struct conf_line *l, const char *s,
    size_t len, unsigned *vhid, unsigned *skew)
{
	const char	*colon = memchr(s, ':', len);
	size_t		 vlen = colon ? (size_t)(colon - s) : len;

	if (colon == NULL || node_number(s, vlen, vhid) == -1 ||
	    node_number(colon + 1, len - vlen - 1, skew) == -1) {
		conf_error(px->diag, l->file, l->line, "carpnodes: '%.*s' is "
		    "not VHID:ADVSKEW", (int)len, s);
		return -1;
	}
	if (*vhid < 1 || *vhid > 255) {
		conf_error(px->diag, l->file, l->line, "carpnodes: vhid %.*s is "
		    "out of range (1-255)", (int)vlen, s);
		return -1;
	}
	if (*skew > 254) {	/* 255 is the bow-out advert's */
		conf_error(px->diag, l->file, l->line, "carpnodes: advskew %.*s "
		    "is out of range (0-254)", (int)(len - vlen - 1), colon + 1);
		return -1;
	}
	return 0;
}

/* Insert (vhid, skew) into the sorted lists of n nodes; -1 if present. */
static int
node_insert(uint8_t *vhids, uint8_t *skews, int n, unsigned vhid,
    unsigned skew)
{
	int	 i;

	for (i = n; i > 0 && vhids[i - 1] >= vhid; i--) {
		if (vhids[i - 1] == vhid)
			return -1;
	}
	memmove(vhids + i + 1, vhids + i, (size_t)(n - i));
	memmove(skews + i + 1, skews + i, (size_t)(n - i));
	vhids[i] = (uint8_t)vhid;
	skews[i] = (uint8_t)skew;
	return 0;
}

/* `carpnodes VHID:ADVSKEW,...`: OpenBSD's syntax; the nodes sorted by
 * vhid, the first (lowest) being the leader, whatever the order given. */
static void
v_carpnodes(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	uint8_t		 vhids[CARP_MAX_NODES], skews[CARP_MAX_NODES];
	const char	*p = l->words[1], *comma;
	unsigned	 vhid, skew;
	size_t		 len;
	int		 n = 0;

	if (kw_conflict(px, w, l, VKW_VHID, "vhid") ||
	    kw_conflict(px, w, l, VKW_ADVSKEW, "advskew"))
		return;
	for (;; p = comma + 1) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (node_parse(px, l, p, len, &vhid, &skew) == -1)
			return;
		if (n == CARP_MAX_NODES) {
			conf_error(px->diag, l->file, l->line, "carpnodes: more "
			    "than %d nodes", CARP_MAX_NODES);
			return;
		}
		if (node_insert(vhids, skews, n, vhid, skew) == -1) {
			conf_error(px->diag, l->file, l->line, "carpnodes: vhid "
			    "%u is given twice", vhid);
			return;
		}
		n++;
		if (comma == NULL)
			break;
	}
	memcpy(w->v.node_vhids, vhids, (size_t)n);
	memcpy(w->skews, skews, (size_t)n);
	w->v.nnodes = n;
}

static const char *const balance_side_names[] = {
	[CARP_BAL_LAN] = "lan",
	[CARP_BAL_WAN] = "wan",
};

static void
v_balancing(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	size_t	 i;

	/* the keywords are the data path's names (carp_balance.c) */
	for (i = 0; i < CARP_BAL__MAX; i++)
		if (strcmp(l->words[1], carp_balance_mode_names[i]) == 0) {
			w->v.balancing = (enum carp_balancing)i;
			if (i == CARP_BAL_NONE)
				w->none_line = l->line;
			return;
		}
	conf_error(px->diag, l->file, l->line, "balancing: '%s' is not none, "
	    "ip, ip-stealth or ip-unicast", l->words[1]);
}

static void
v_balance_side(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	if (strcmp(l->words[1], "lan") == 0)
		w->v.balance_side = CARP_BAL_LAN;
	else if (strcmp(l->words[1], "wan") == 0)
		w->v.balance_side = CARP_BAL_WAN;
	else
		conf_error(px->diag, l->file, l->line, "balance-side: '%s' is "
		    "not lan or wan", l->words[1]);
}

/* `balance-nat yes|no` */
static void
v_balance_nat(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	if (strcmp(l->words[1], "yes") == 0)
		w->v.balance_nat = 1;
	else if (strcmp(l->words[1], "no") == 0)
		w->v.balance_nat = 0;
	else
		conf_error(px->diag, l->file, l->line, "balance-nat: '%s' is "
		    "not yes or no", l->words[1]);
}

static const struct vkeyword vkeywords[] = {
	{ "address",	VKW_ADDRESS,	1, 1, 1, v_address },
	{ "advbase",	VKW_ADVBASE,	1, 1, 0, v_adv },
	{ "advskew",	VKW_ADVSKEW,	1, 1, 0, v_adv },
	{ "auth",	VKW_AUTH,	1, 1, 0, v_auth },
	{ "authkeyfile", VKW_AUTHKEYFILE, 1, 1, 0, v_authkeyfile },
	{ "balance-nat", VKW_BALANCE_NAT, 1, 1, 0, v_balance_nat },
	{ "balance-side", VKW_BALANCE_SIDE, 1, 1, 0, v_balance_side },
	{ "balancing",	VKW_BALANCING,	1, 1, 0, v_balancing },
	{ "carpdev",	VKW_CARPDEV,	1, 1, 0, v_carpdev },
	{ "carpnodes",	VKW_CARPNODES,	1, 1, 0, v_carpnodes },
	{ "carppeer",	VKW_CARPPEER,	1, 1, 0, v_carppeer },
	{ "garp-refresh", VKW_GARP_REFRESH, 1, 1, 0, v_garp_refresh },
	{ "group",	VKW_GROUP,	1, 1, 1, v_group },
	{ "ifname",	VKW_IFNAME,	1, 1, 0, v_ifname },
	{ "lladdr",	VKW_LLADDR,	1, 1, 0, v_lladdr },
	{ "notify",	VKW_NOTIFY,	1, 1, 0, v_notify },
	{ "pass",	VKW_PASS,	1, 1, 0, v_pass },
	{ "passfile",	VKW_PASSFILE,	1, 1, 0, v_passfile },
	{ "preempt-delay", VKW_PREEMPT_DELAY, 1, 1, 0, v_preempt_delay },
	{ "state",	VKW_STATE,	1, 1, 0, v_state },
	{ "tiebreak",	VKW_TIEBREAK,	1, 1, 0, v_tiebreak },
	{ "track-interface", VKW_TRACK_INTERFACE, 1, 3, 1, v_track_interface },
	{ "track-scope", VKW_TRACK_SCOPE, 1, 1, 0, v_track_scope },
	{ "track-script", VKW_TRACK_SCRIPT, 3, 7, 1, v_track_script },
	{ "vhid",	VKW_VHID,	1, 1, 0, v_vhid },
};


static int
kw_cmp(const void *key, const void *elem)
{
	/* both tables begin with `const char *name` */
	return strcmp(key, *(const char *const *)elem);
}

static const struct gkeyword *
gkw_find(const char *word)
{
	return bsearch(word, gkeywords, NITEMS(gkeywords), sizeof(gkeywords[0]),
	    kw_cmp);
}

static const struct vkeyword *
vkw_find(const char *word)
{
	return bsearch(word, vkeywords, NITEMS(vkeywords), sizeof(vkeywords[0]),
	    kw_cmp);
}

/* ---- files -------------------------------------------------------- */

/* 1 if the keyword may be used here: first time, or repeatable. */
static int
once_check(struct parse_ctx *px, const struct conf_line *l, int *seen,
    int multi)
{
	if (*seen && !multi) {
		conf_error(px->diag, l->file, l->line, "%s: duplicate (first "
		    "given on line %d)", l->words[0], *seen);
		return 0;
	}
	if (!*seen)
		*seen = l->line;
	return 1;
}

static void
global_line(struct parse_ctx *px, const struct conf_line *l)
{
	const struct gkeyword	*kw;

	if ((kw = gkw_find(l->words[0])) == NULL) {
		if (vkw_find(l->words[0]) != NULL)
			conf_error(px->diag, l->file, l->line, "%s: not allowed "
			    "in the global file (it belongs in a vhost file)",
			    l->words[0]);
		else
			conf_error(px->diag, l->file, l->line,
			    "unknown keyword '%s'", l->words[0]);
		return;
	}
	if (!once_check(px, l, &px->gseen[kw->id], kw->multi) ||
	    conf_want_words(l, kw->min, kw->max, px->diag) == -1)
		return;
	kw->fn(px, l);
}

static void
vhost_line(struct parse_ctx *px, struct vhost_work *w,
    const struct conf_line *l)
{
	const struct vkeyword	*kw;
	const char		*k = l->words[0];

	if ((kw = vkw_find(k)) == NULL) {
		if (strcmp(k, "include") == 0)
			conf_error(px->diag, l->file, l->line, "include: not "
			    "allowed in a vhost file (only the global file "
			    "includes)");
		else if (gkw_find(k) != NULL)
			conf_error(px->diag, l->file, l->line, "%s: not allowed "
			    "in a vhost file (it belongs in the global file)", k);
		else
			conf_error(px->diag, l->file, l->line,
			    "unknown keyword '%s'", k);
		return;
	}
	if (!once_check(px, l, &w->seen[kw->id], kw->multi) ||
	    conf_want_words(l, kw->min, kw->max, px->diag) == -1)
		return;
	kw->fn(px, w, l);
}

/* A new vhost with every default set, or NULL (error reported). */
static struct vhost_work *
work_new(struct parse_ctx *px, const char *path)
{
	struct vhost_work	*w;
	int			 ncap;

	if (px->nwork == px->capwork) {
		ncap = px->capwork ? px->capwork * 2 : 8;
		if ((w = reallocarray(px->work, ncap, sizeof(*w))) == NULL) {
			conf_error(px->diag, path, 0, "out of memory");
			return NULL;
		}
		px->work = w;
		px->capwork = ncap;
	}
	w = &px->work[px->nwork];
	memset(w, 0, sizeof(*w));
	if ((w->path = strdup(path)) == NULL) {
		conf_error(px->diag, path, 0, "out of memory");
		return NULL;
	}
	snprintf(w->v.file, sizeof(w->v.file), "%s", path);
	w->v.advbase = 1;		/* CARP_DFLTINTV */
	w->v.lladdr = CARP_LLADDR_VIRTUAL;
	w->v.init_state = CARP_INIT_BACKUP;
	w->v.preempt_delay = -1;
	px->nwork++;
	return w;
}

/* The line that gives the vhid: `vhid` or `carpnodes` (0: neither). */
static int
vhid_line(const struct vhost_work *w)
{
	return w->seen[VKW_VHID] ? w->seen[VKW_VHID] : w->seen[VKW_CARPNODES];
}

/*
 * The nodes of the file: a carpnodes list, or the vhid and advskew as a
 * group of one. v.vhid and v.advskew become the leader's until
 * take_vhosts() gives each node its own.
 */
static void
nodes_finish(struct vhost_work *w)
{
	struct carp_vhost_conf	*v = &w->v;

	if (v->nnodes == 0) {	/* no carpnodes, or a bad one (reported) */
		v->nnodes = 1;
		v->node_vhids[0] = v->vhid;
		w->skews[0] = v->advskew;
	}
	v->vhid = v->leader = v->node_vhids[0];
	v->advskew = w->skews[0];
	/* OpenBSD carp_vhids_ioctl: ip when several nodes ask for none */
	if (v->balancing == CARP_BAL_NONE && !w->none_line && v->nnodes > 1)
		v->balancing = CARP_BAL_IP;
}

/* What a group can be on Linux (carpd.conf(5) BALANCING). */
static void
balancing_finish(struct parse_ctx *px, struct vhost_work *w)
{
	struct carp_vhost_conf	*v = &w->v;
	const char		*mode = carp_balancing_name(v->balancing);
	/* a bad or conflicting vhid or carpnodes is reported already */
	int			 nodes_ok = v->vhid != 0 &&
				    !(w->seen[VKW_VHID] && w->seen[VKW_CARPNODES]);

	/* OpenBSD has no use for it either: it picks ip instead */
	if (nodes_ok && w->none_line && v->nnodes > 1)
		conf_error(px->diag, w->path, w->none_line,
		    "balancing none: not possible with %d carpnodes (use ip, "
		    "ip-stealth or ip-unicast)", v->nnodes);
	/* OpenBSD silently turns it off for one node */
	if (nodes_ok && v->balancing != CARP_BAL_NONE && v->nnodes < 2)
		conf_error(px->diag, w->path, w->seen[VKW_BALANCING],
		    "balancing %s: needs carpnodes with at least 2 nodes",
		    mode);
	if (v->balancing != CARP_BAL_NONE && v->lladdr == CARP_LLADDR_REAL)
		conf_error(px->diag, w->path, w->seen[VKW_LLADDR], "lladdr "
		    "real: not possible with balancing %s (every node must "
		    "receive the frames of the shared addresses)", mode);
	if (v->balancing == CARP_BAL_NONE && w->seen[VKW_BALANCE_SIDE])
		conf_warn(px->diag, w->path, w->seen[VKW_BALANCE_SIDE],
		    "balance-side: unused while balancing is none");
	/* an error, not a warning: the operator expects a NAT guard */
	if (v->balancing == CARP_BAL_NONE && v->balance_nat)
		conf_error(px->diag, w->path, w->seen[VKW_BALANCE_NAT],
		    "balance-nat yes: needs balancing (carpnodes with at "
		    "least 2 nodes)");
	v->balance_line = w->seen[VKW_BALANCING] ? w->seen[VKW_BALANCING] :
	    vhid_line(w);
}

/* Every node is a CARP instance; carpd holds CARP_MAX_VHOSTS of them. */
static void
count_instances(struct parse_ctx *px, const struct vhost_work *w)
{
	px->ninst += w->v.nnodes;
	if (px->ninst > CARP_MAX_VHOSTS && !px->too_many++)
		conf_error(px->diag, w->path, vhid_line(w), "too many vhosts "
		    "(max %d, each of the carpnodes counting as one)",
		    CARP_MAX_VHOSTS);
}

static void
vhost_finish(struct parse_ctx *px, struct vhost_work *w)
{
	static const struct {
		enum vkw	 kw;
		const char	*msg;
	} required[] = {
		{ VKW_CARPDEV,	"missing 'carpdev' (required)" },
		{ VKW_ADDRESS,	"missing 'address' (at least one is required)" },
	};
	size_t	 i;

	if (!vhid_line(w))
		conf_error(px->diag, w->path, 0, "missing 'vhid' or "
		    "'carpnodes' (one is required)");
	for (i = 0; i < NITEMS(required); i++)
		if (!w->seen[required[i].kw])
			conf_error(px->diag, w->path, 0, "%s", required[i].msg);
	nodes_finish(w);
	balancing_finish(px, w);
	count_instances(px, w);
	if (w->v.auth != CARP_AUTH_OFF && !w->seen[VKW_AUTHKEYFILE])
		conf_error(px->diag, w->path, w->seen[VKW_AUTH], "auth %s: "
		    "needs authkeyfile", auth_mode_names[w->v.auth]);
	if (w->v.auth == CARP_AUTH_OFF && w->seen[VKW_AUTHKEYFILE])
		conf_warn(px->diag, w->path, w->seen[VKW_AUTHKEYFILE],
		    "authkeyfile: unused while auth is off");
	/* a group's nodes share one name: carp<leader> */
	if (!w->seen[VKW_IFNAME] && w->v.vhid != 0)
		snprintf(w->v.ifname, sizeof(w->v.ifname), "carp%u",
		    (unsigned)w->v.leader);
	w->v.line = vhid_line(w);
}

static void
parse_vhost_file(struct parse_ctx *px, const char *path)
{
	struct conf_reader	*r;
	struct conf_line	 l;
	struct vhost_work	*w;

	if ((r = conf_open(path, px->diag)) == NULL)
		return;
	if ((w = work_new(px, path)) == NULL) {
		conf_close(r);
		return;
	}
	while (conf_next(r, &l))
		vhost_line(px, w, &l);
	conf_close(r);
	vhost_finish(px, w);
}

/* ---- cross-file checks -------------------------------------------- */

/* Where the earlier vhost b defines what clashes: "FILE:LINE". */
static int
ifname_line(const struct vhost_work *w)
{
	return w->seen[VKW_IFNAME] ? w->seen[VKW_IFNAME] : vhid_line(w);
}

/* 1 if b's nodes hold vhid. */
static int
has_node(const struct vhost_work *b, uint8_t vhid)
{
	int	 i;

	for (i = 0; i < b->v.nnodes; i++)
		if (b->v.node_vhids[i] == vhid)
			return 1;
	return 0;
}

/* Every node's vhid against every earlier file's nodes on the carpdev. */
static int
check_dup_vhid(struct parse_ctx *px, const struct vhost_work *a)
{
	const struct vhost_work	*b;
	uint8_t			 vhid;
	int			 i;

	if (a->v.vhid == 0 || a->v.carpdev[0] == '\0')
		return 0;
	for (b = px->work; b < a; b++) {
		if (b->v.vhid == 0 || strcmp(b->v.carpdev, a->v.carpdev) != 0)
			continue;
		for (i = 0; i < a->v.nnodes; i++) {
			vhid = a->v.node_vhids[i];
			if (!has_node(b, vhid))
				continue;
			conf_error(px->diag, a->path, vhid_line(a),
			    "vhid %u on %s: already defined in %s:%d",
			    (unsigned)vhid, a->v.carpdev, b->path,
			    vhid_line(b));
			return 1;
		}
	}
	return 0;
}

static void
check_dup_ifname(struct parse_ctx *px, const struct vhost_work *a)
{
	const struct vhost_work	*b;

	if (a->v.ifname[0] == '\0')
		return;
	for (b = px->work; b < a; b++) {
		if (strcmp(b->v.ifname, a->v.ifname) != 0)
			continue;
		if (a->seen[VKW_IFNAME])
			conf_error(px->diag, a->path, a->seen[VKW_IFNAME],
			    "ifname: '%s' is already used by the vhost in "
			    "%s:%d", a->v.ifname, b->path, ifname_line(b));
		else
			conf_error(px->diag, a->path, vhid_line(a),
			    "ifname: the default '%s' is already used by the "
			    "vhost in %s:%d (set ifname)", a->v.ifname,
			    b->path, ifname_line(b));
		return;
	}
}

/* Errors name the later definition, in include order. */
static void
check_unique(struct parse_ctx *px)
{
	int	 i;

	for (i = 1; i < px->nwork; i++)
		if (!check_dup_vhid(px, &px->work[i]))
			check_dup_ifname(px, &px->work[i]);
}

static int
vhost_cmp(const void *pa, const void *pb)
{
	const struct carp_vhost_conf *a = pa, *b = pb;

	if (a->vhid != b->vhid)
		return a->vhid < b->vhid ? -1 : 1;
	return strcmp(a->carpdev, b->carpdev);
}

/* Global defaults for the vhosts that do not set their own: after the
 * whole global file, so its order (before or after include) is free. */
static void
apply_defaults(struct parse_ctx *px)
{
	int	 i;

	for (i = 0; i < px->nwork; i++)
		if (!px->work[i].seen[VKW_GARP_REFRESH])
			px->work[i].v.garp_refresh = px->conf->garp_refresh;
}

/* One vhost per node: a carpnodes file's become separate instances. */
static int
take_vhosts(struct parse_ctx *px)
{
	struct carpd_conf	*c = px->conf;
	struct carp_vhost_conf	*v;
	const struct vhost_work	*w;
	int			 i, k;

	if (px->ninst == 0)
		return 0;
	if ((c->vhosts = calloc(px->ninst, sizeof(*c->vhosts))) == NULL) {
		conf_error(px->diag, c->file, 0, "out of memory");
		return -1;
	}
	for (i = 0; i < px->nwork; i++) {
		w = &px->work[i];
		for (k = 0; k < w->v.nnodes; k++) {
			v = &c->vhosts[c->nvhosts++];
			*v = w->v;
			v->vhid = w->v.node_vhids[k];
			v->advskew = w->skews[k];
			v->node_index = k;
		}
	}
	qsort(c->vhosts, c->nvhosts, sizeof(*c->vhosts), vhost_cmp);
	return 0;
}

static void
work_free(struct parse_ctx *px)
{
	int	 i;

	for (i = 0; i < px->nwork; i++)
		free(px->work[i].path);
	/* the work copies hold keys too */
	if (px->work != NULL)
		explicit_bzero(px->work, px->capwork * sizeof(*px->work));
	free(px->work);
}

struct carpd_conf *
carp_conf_parse(const char *path, struct conf_diag *diag)
{
	return carp_conf_parse_as(path, 0, diag);
}

struct carpd_conf *
carp_conf_parse_as(const char *path, unsigned key_owner_uid,
    struct conf_diag *diag)
{
	struct parse_ctx	 px;
	struct conf_reader	*r;
	struct conf_line	 l;
	int			 nerr0 = diag->nerrors;

	memset(&px, 0, sizeof(px));
	px.diag = diag;
	px.key_owner_uid = key_owner_uid;
	if ((px.conf = calloc(1, sizeof(*px.conf))) == NULL) {
		conf_error(diag, path, 0, "out of memory");
		return NULL;
	}
	snprintf(px.conf->file, sizeof(px.conf->file), "%s", path);
	memcpy(px.conf->control_socket, CARP_DEFAULT_SOCKET,
	    sizeof(CARP_DEFAULT_SOCKET));
	px.conf->log_level = LOG_INFO;
	memcpy(px.conf->user, CARP_DEFAULT_USER, sizeof(CARP_DEFAULT_USER));
	px.conf->balance_seed = CARP_BALANCE_SEED_DEFAULT;
	if ((r = conf_open(path, diag)) != NULL) {
		px.have_global_st = stat(path, &px.global_st) == 0;
		while (conf_next(r, &l))
			global_line(&px, &l);
		conf_close(r);
		check_unique(&px);
		apply_defaults(&px);
		if (diag->nerrors == nerr0)
			take_vhosts(&px);
	}
	work_free(&px);
	if (diag->nerrors != nerr0) {
		carp_conf_free(px.conf);
		return NULL;
	}
	return px.conf;
}

void
carp_conf_free(struct carpd_conf *c)
{
	if (c == NULL)
		return;
	if (c->vhosts != NULL)
		explicit_bzero(c->vhosts, c->nvhosts * sizeof(*c->vhosts));
	free(c->vhosts);
	free(c);
}

/* ---- printing ----------------------------------------------------- */

static void
print_key(FILE *fp, const struct carp_vhost_conf *v)
{
	char	 phrase[CARP_KEY_LEN + 1];

	if (v->passfile[0] != '\0') {
		fputs("passfile ", fp);
		conf_print_word(fp, v->passfile, 0);
		fputc('\n', fp);
	} else if (v->has_key) {
		/* the key is the phrase itself (<= 19 bytes, then zeros) */
		memcpy(phrase, v->key, CARP_KEY_LEN);
		phrase[CARP_KEY_LEN] = '\0';
		fputs("pass ", fp);
		conf_print_word(fp, phrase, 1);
		fputc('\n', fp);
		explicit_bzero(phrase, sizeof(phrase));
	}
}

/* Only what is set, so configs without these print as before. */
static void
print_tracking(FILE *fp, const struct carp_vhost_conf *v)
{
	const struct carp_track_conf	*t;
	int				 i;

	for (i = 0; i < v->ntracks; i++) {
		t = &v->tracks[i];
		fputs(t->kind == CARP_TRACK_IFACE ? "track-interface " :
		    "track-script ", fp);
		conf_print_word(fp, t->name, t->kind == CARP_TRACK_SCRIPT);
		if (t->kind == CARP_TRACK_SCRIPT)
			fprintf(fp, " interval %u timeout %u", t->interval_s,
			    t->timeout_s);
		fprintf(fp, " weight %u\n", (unsigned)t->weight);
	}
	if (v->track_scope == CARP_SCOPE_VHOST)
		fputs("track-scope vhost\n", fp);
	if (v->preempt_delay >= 0)
		fprintf(fp, "preempt-delay %d\n", v->preempt_delay);
	if (v->notify[0] != '\0') {
		fputs("notify ", fp);
		conf_print_word(fp, v->notify, 1);
		fputc('\n', fp);
	}
}

/* A group as its file gave it: "carpnodes V:S,..." and its balancing. */
static void
print_nodes(FILE *fp, const struct carpd_conf *c,
    const struct carp_vhost_conf *v)
{
	const struct carp_vhost_conf	*n;
	int				 i;

	fputs("carpnodes ", fp);
	for (i = 0; i < v->nnodes; i++) {
		n = carp_conf_node(c, v, i);
		fprintf(fp, "%s%u:%u", i ? "," : "", (unsigned)v->node_vhids[i],
		    n != NULL ? (unsigned)n->advskew : 0);
	}
	fprintf(fp, "\nbalancing %s\nbalance-side %s\n",
	    carp_balancing_name(v->balancing),
	    carp_balance_side_name(v->balance_side));
	/* only when set, so configs without it print as before */
	if (v->balance_nat)
		fputs("balance-nat yes\n", fp);
}

/* gdefault: the global garp-refresh, which an unset one would inherit.
 * v is a group's leader, printed for the group; an ordinary vhost (a
 * group of one) with vhid and advskew, as before carpnodes. */
static void
print_vhost(FILE *fp, const struct carpd_conf *c,
    const struct carp_vhost_conf *v, int gdefault)
{
	char	 buf[INET6_ADDRSTRLEN + 8];
	int	 i;

	fprintf(fp, "# vhost from %s\n", v->file);
	if (v->nnodes > 1)
		print_nodes(fp, c, v);
	else
		fprintf(fp, "vhid %u\n", (unsigned)v->vhid);
	fputs("carpdev ", fp);
	conf_print_word(fp, v->carpdev, 0);
	fputs("\nifname ", fp);
	conf_print_word(fp, v->ifname, 0);
	fputc('\n', fp);
	for (i = 0; i < v->naddrs; i++)
		fprintf(fp, "address %s\n",
		    carp_addr_fmt(&v->addrs[i], 1, buf, sizeof(buf)));
	fprintf(fp, "advbase %u\n", (unsigned)v->advbase);
	if (v->nnodes <= 1)
		fprintf(fp, "advskew %u\n", (unsigned)v->advskew);
	print_key(fp, v);
	if (v->peer.af != 0)
		fprintf(fp, "carppeer %s\n",
		    carp_addr_fmt(&v->peer, 0, buf, sizeof(buf)));
	for (i = 0; i < v->ngroups; i++) {
		fputs("group ", fp);
		conf_print_word(fp, v->groups[i], 0);
		fputc('\n', fp);
	}
	fprintf(fp, "lladdr %s\n", v->lladdr == CARP_LLADDR_REAL ?
	    "real" : "virtual");
	fprintf(fp, "state %s\n", (unsigned)v->init_state <
	    NITEMS(init_state_names) ? init_state_names[v->init_state] : "?");
	fprintf(fp, "auth %s\n", (unsigned)v->auth < NITEMS(auth_mode_names) ?
	    auth_mode_names[v->auth] : "?");
	if (v->authkeyfile[0] != '\0') {
		fputs("authkeyfile ", fp);
		conf_print_word(fp, v->authkeyfile, 0);
		fputc('\n', fp);
	}
	/* only when set, so configs that do not use them print as before */
	if (v->tiebreak != CARP_TB_NONE)
		fprintf(fp, "tiebreak %s\n", (unsigned)v->tiebreak <
		    NITEMS(tiebreak_names) ? tiebreak_names[v->tiebreak] : "?");
	if (v->garp_refresh != 0)
		fprintf(fp, "garp-refresh %d\n", v->garp_refresh);
	else if (gdefault != 0)
		fputs("garp-refresh off\n", fp);
	print_tracking(fp, v);
}

void
carp_conf_print(FILE *fp, const struct carpd_conf *c)
{
	int	 i, bal;

	fprintf(fp, "preempt %s\n", c->preempt ? "yes" : "no");
	fputs("control-socket ", fp);
	conf_print_word(fp, c->control_socket, 0);
	fprintf(fp, "\nlog-level %s\n", conf_log_level_name(c->log_level));
	fprintf(fp, "startup-demote %d\n", c->startup_demote);
	fprintf(fp, "user %s\n", c->user);
	if (c->garp_refresh != 0)
		fprintf(fp, "garp-refresh %d\n", c->garp_refresh);
	if (c->preempt_delay > 0)
		fprintf(fp, "preempt-delay %d\n", c->preempt_delay);
	if (c->notify_fifo[0] != '\0') {
		fputs("notify-fifo ", fp);
		conf_print_word(fp, c->notify_fifo, 0);
		fputc('\n', fp);
	}
	if (c->metrics_listen[0] != '\0')
		fprintf(fp, "metrics-listen %s\n", c->metrics_listen);
	/* the seed matters where a group balances, or once it is set */
	for (i = 0, bal = 0; i < c->nvhosts; i++)
		bal |= c->vhosts[i].balancing != CARP_BAL_NONE;
	if (bal || c->balance_seed != CARP_BALANCE_SEED_DEFAULT)
		fprintf(fp, "balance-seed 0x%08" PRIx32 "\n", c->balance_seed);
	for (i = 0; i < c->nvhosts; i++) {
		if (c->vhosts[i].node_index != 0)
			continue;	/* printed with its leader */
		fputc('\n', fp);
		print_vhost(fp, c, &c->vhosts[i], c->garp_refresh);
	}
}

const struct carp_vhost_conf *
carp_conf_vhost(const struct carpd_conf *c, uint8_t vhid)
{
	int	 i;

	for (i = 0; i < c->nvhosts; i++)
		if (c->vhosts[i].vhid == vhid)
			return &c->vhosts[i];
	return NULL;
}

const struct carp_vhost_conf *
carp_conf_node(const struct carpd_conf *c, const struct carp_vhost_conf *v,
    int i)
{
	const struct carp_vhost_conf	*u;
	int				 k;

	if (i < 0 || i >= v->nnodes)
		return NULL;
	for (k = 0; k < c->nvhosts; k++) {
		u = &c->vhosts[k];
		if (u->vhid == v->node_vhids[i] && u->leader == v->leader &&
		    strcmp(u->carpdev, v->carpdev) == 0)
			return u;
	}
	return NULL;
}

const char *
carp_balancing_name(enum carp_balancing b)
{
	return (unsigned)b < CARP_BAL__MAX ? carp_balance_mode_names[b] : "?";
}

const char *
carp_balance_side_name(enum carp_balance_side s)
{
	return (unsigned)s < NITEMS(balance_side_names) ?
	    balance_side_names[s] : "?";
}

int
carp_key_from_pass(const char *pass, uint8_t key[CARP_KEY_LEN])
{
	size_t	 n = strlen(pass);

	/* ifconfig 1.476: bzero first, so no old key bytes survive */
	memset(key, 0, CARP_KEY_LEN);
	memcpy(key, pass, n > CARP_PASS_MAX ? CARP_PASS_MAX : n);
	return n > CARP_PASS_MAX;
}

const char *
carp_addr_fmt(const struct carp_addr *a, int with_plen, char *buf,
    size_t len)
{
	char	 tmp[INET6_ADDRSTRLEN];

	if ((a->af != AF_INET && a->af != AF_INET6) ||
	    inet_ntop(a->af, a->addr, tmp, sizeof(tmp)) == NULL)
		snprintf(buf, len, "?");
	else if (with_plen)
		snprintf(buf, len, "%s/%u", tmp, (unsigned)a->plen);
	else
		snprintf(buf, len, "%s", tmp);
	return buf;
}

/* "/LEN": 1 to 3 decimal digits, at most max; -1 if not. */
static int
parse_plen(const char *s, int max)
{
	int	 n = 0, digits = 0;

	for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
		n = n * 10 + (*s - '0');
	if (digits == 0 || digits > 3 || *s != '\0' || n > max)
		return -1;
	return n;
}

int
carp_addr_parse(const char *s, struct carp_addr *a)
{
	const char	*slash = strchr(s, '/');
	size_t		 alen = slash ? (size_t)(slash - s) : strlen(s);
	char		 tmp[INET6_ADDRSTRLEN];
	int		 max, plen;

	memset(a, 0, sizeof(*a));
	if (alen == 0 || alen >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, alen);
	tmp[alen] = '\0';
	if (inet_pton(AF_INET, tmp, a->addr) == 1) {
		a->af = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, tmp, a->addr) == 1) {
		a->af = AF_INET6;
		max = 128;
	} else
		return -1;
	plen = slash ? parse_plen(slash + 1, max) : max;
	if (plen < 0) {
		memset(a, 0, sizeof(*a));
		return -1;
	}
	a->plen = (uint8_t)plen;
	return 0;
}
