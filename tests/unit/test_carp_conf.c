/*
 * test_carp_conf.c: carpd's config parser (carpd/carp_conf.c).
 *
 * Golden tests, as OpenBSD's regress/usr.sbin/bgpd/config does them: every
 * directory tests/conf/NAME holds a carpd.conf (and the vhost files it
 * includes). tests/conf/NAME.ok is the expected carp_conf_print output of a
 * valid config; tests/conf/NAME.err the exact diagnostics (errors of an
 * invalid config, or the warnings of a valid one; no .err means none).
 * The fixtures are found through $CONF_DIR (default "tests/conf", relative
 * to the repository root where make runs the tests); the golden files name
 * paths as "tests/conf/...", whatever CONF_DIR is. UPDATE_GOLDEN=1 rewrites
 * the golden files from the actual output (review the diff!).
 *
 * Each valid config is also printed, split back into a global file and one
 * vhost file per block in a temporary directory, parsed again and compared
 * field by field: the printed form must describe the config completely.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "carp_conf.h"

#define GOLDEN_PREFIX	"tests/conf"

/* Every fixture directory; test_fixture_list checks none is missing. */
static const char *const fixtures[] = {
	"defaults", "full", "groups", "ipv6", "multi-carpdev", "no-vhosts",
	"pass-truncated", "quoting", "socket-max", "tiebreak",
	"err-address", "err-args", "err-auth", "err-carppeer", "err-dup-vhid",
	"err-duplicate", "err-group", "err-include", "err-include-order",
	"err-lex", "err-missing", "err-pass", "err-range", "err-socket-long",
	"err-unknown", "err-values", "err-tiebreak",
	"err-unknown", "err-values",
	"track", "err-track",
	"balance", "err-balance",
};
#define NFIXTURES	(sizeof(fixtures) / sizeof(fixtures[0]))

static const char *
conf_dir(void)
{
	const char *d = getenv("CONF_DIR");

	return d != NULL && *d != '\0' ? d : GOLDEN_PREFIX;
}

static char *
xasprintf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	return s;
}

/* The whole file, or NULL if it does not exist. */
static char *
read_text(const char *path)
{
	FILE	*fp;
	char	*s;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		assert_int_equal(errno, ENOENT);
		return NULL;
	}
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true((n = ftell(fp)) >= 0);
	rewind(fp);
	assert_non_null(s = malloc(n + 1));
	assert_int_equal(fread(s, 1, n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static void
write_text(const char *path, const char *text)
{
	FILE	*fp;

	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* s with every "from" replaced by "to"; malloc'd. */
static char *
replace_all(const char *s, const char *from, const char *to)
{
	char	*out, *q;
	const char *p, *hit;
	size_t	 n = 0, fl = strlen(from), tl = strlen(to);

	for (p = s; (hit = strstr(p, from)) != NULL; p = hit + fl)
		n++;
	assert_non_null(out = malloc(strlen(s) + n * tl + 1));
	for (p = s, q = out; (hit = strstr(p, from)) != NULL; p = hit + fl) {
		memcpy(q, p, hit - p);
		q += hit - p;
		memcpy(q, to, tl);
		q += tl;
	}
	strcpy(q, p);
	return out;
}

/* Output as it would read with CONF_DIR=tests/conf. */
static char *
normalise(const char *s)
{
	char	*from, *to, *out;

	if (strcmp(conf_dir(), GOLDEN_PREFIX) == 0)
		return strdup(s);
	from = xasprintf("%s/", conf_dir());
	to = xasprintf("%s/", GOLDEN_PREFIX);
	out = replace_all(s, from, to);
	free(from);
	free(to);
	return out;
}

static char *
print_conf(const struct carpd_conf *c)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&s, &len));
	carp_conf_print(fp, c);
	assert_int_equal(fclose(fp), 0);
	return s;
}

/* Next line of s (without its newline) into buf; NULL at the end. */
static const char *
next_line(const char *s, char *buf, size_t len)
{
	size_t	 n;

	if (s == NULL || *s == '\0')
		return NULL;
	n = strcspn(s, "\n");
	snprintf(buf, len, "%.*s", (int)n, s);
	return s[n] == '\n' ? s + n + 1 : s + n;
}

/* A line diff, good enough to see what moved: '-' expected, '+' actual. */
static void
print_diff(const char *what, const char *want, const char *got)
{
	char	 a[4200], b[4200];
	const char *p = want, *q = got, *np, *nq;

	print_error("--- %s (expected)\n+++ actual\n", what);
	for (;;) {
		np = next_line(p, a, sizeof(a));
		nq = next_line(q, b, sizeof(b));
		if (np == NULL && nq == NULL)
			break;
		if (np != NULL && nq != NULL && strcmp(a, b) == 0)
			print_error(" %s\n", a);
		else {
			if (np != NULL)
				print_error("-%s\n", a);
			if (nq != NULL)
				print_error("+%s\n", b);
		}
		p = np;
		q = nq;
	}
}

/* Compare with a golden file (NULL want: the file must not exist). */
static int
golden_check(const char *file, const char *want, const char *got)
{
	if (getenv("UPDATE_GOLDEN") != NULL) {
		if (got != NULL && *got != '\0')
			write_text(file, got);
		else
			unlink(file);
		return 0;
	}
	if (want == NULL && (got == NULL || *got == '\0'))
		return 0;
	if (want != NULL && got != NULL && strcmp(want, got) == 0)
		return 0;
	print_diff(file, want ? want : "", got ? got : "");
	return 1;
}

static void
test_golden(void **state)
{
	const char		*name = *state;
	struct conf_diag	 d;
	struct carpd_conf	*c;
	char			*path, *okf, *errf, *want_ok, *want_err;
	char			*got_ok = NULL, *got_err, *raw;
	int			 bad = 0;

	path = xasprintf("%s/%s/carpd.conf", conf_dir(), name);
	okf = xasprintf("%s/%s.ok", conf_dir(), name);
	errf = xasprintf("%s/%s.err", conf_dir(), name);
	want_ok = read_text(okf);
	want_err = read_text(errf);

	conf_diag_init(&d);
	c = carp_conf_parse(path, &d);
	/* NULL exactly when there was an error */
	assert_int_equal(c == NULL, d.nerrors > 0);
	if (c != NULL) {
		raw = print_conf(c);
		got_ok = normalise(raw);
		free(raw);
	}
	got_err = normalise(d.text ? d.text : "");
	bad += golden_check(okf, want_ok, got_ok);
	bad += golden_check(errf, want_err, got_err);
	if (strncmp(name, "err-", 4) == 0 && getenv("UPDATE_GOLDEN") == NULL)
		assert_null(c);		/* an err- fixture must fail */
	assert_int_equal(bad, 0);

	carp_conf_free(c);
	conf_diag_free(&d);
	free(path); free(okf); free(errf); free(want_ok); free(want_err);
	free(got_ok); free(got_err);
}

/* ---- round trip --------------------------------------------------- */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static void
mkdir_p(const char *dir)
{
	char	*s = strdup(dir), *p;

	assert_non_null(s);
	for (p = s + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		assert_true(mkdir(s, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
	assert_true(mkdir(s, 0700) == 0 || errno == EEXIST);
	free(s);
}

/* Recreate a vhost's passfile next to its new vhost file. */
static void
write_passfile(const char *vhdir, const struct carp_vhost_conf *v)
{
	char	*path, *slash, key[CARP_KEY_LEN + 2];

	if (v->passfile[0] == '\0')
		return;
	assert_true(v->passfile[0] != '/');	/* fixtures stay relative */
	path = xasprintf("%s/%s", vhdir, v->passfile);
	slash = strrchr(path, '/');
	*slash = '\0';
	mkdir_p(path);
	*slash = '/';
	snprintf(key, sizeof(key), "%.*s\n", CARP_KEY_LEN, (char *)v->key);
	write_text(path, key);
	free(path);
}

/*
 * Lay the printed config out again: DIR/carpd.conf holds the global part
 * plus an include of all .conf files in DIR/vh, and DIR/vh/NNN.conf one
 * printed vhost block each.
 */
static void
write_layout(const char *dir, const char *text, const struct carpd_conf *c)
{
	const char	*mark = "\n\n# vhost from ", *p, *next;
	char		*global, *vhdir, *f, *block;
	int		 i, k = 0;

	p = strstr(text, mark);
	global = xasprintf("%.*sinclude \"vh/*.conf\"\n",
	    p ? (int)(p - text) + 1 : (int)strlen(text), text);
	f = xasprintf("%s/carpd.conf", dir);
	write_text(f, global);
	free(f);
	free(global);
	vhdir = xasprintf("%s/vh", dir);
	mkdir_p(vhdir);
	for (i = 0; p != NULL; i++) {
		p += 2;		/* to the "# vhost from" line */
		next = strstr(p, mark);
		block = xasprintf("%.*s", next ? (int)(next - p) + 1 :
		    (int)strlen(p), p);
		f = xasprintf("%s/%03d.conf", vhdir, i);
		write_text(f, block);
		free(f);
		free(block);
		/* a block per vhost file: a group prints once, its leader */
		while (k < c->nvhosts && c->vhosts[k].node_index != 0)
			k++;
		assert_true(k < c->nvhosts);
		write_passfile(vhdir, &c->vhosts[k++]);
		p = next;
	}
	while (k < c->nvhosts && c->vhosts[k].node_index != 0)
		k++;
	assert_int_equal(k, c->nvhosts);
	free(vhdir);
}

static void
addr_equal(const struct carp_addr *a, const struct carp_addr *b)
{
	assert_int_equal(a->af, b->af);
	assert_memory_equal(a->addr, b->addr, sizeof(a->addr));
	assert_int_equal(a->plen, b->plen);
}

/* Every field but where it was defined (file, line). */
static void
vhost_equal(const struct carp_vhost_conf *a, const struct carp_vhost_conf *b)
{
	int	 i;

	assert_int_equal(a->vhid, b->vhid);
	assert_string_equal(a->carpdev, b->carpdev);
	assert_string_equal(a->ifname, b->ifname);
	assert_int_equal(a->naddrs, b->naddrs);
	for (i = 0; i < a->naddrs; i++)
		addr_equal(&a->addrs[i], &b->addrs[i]);
	assert_int_equal(a->advbase, b->advbase);
	assert_int_equal(a->advskew, b->advskew);
	assert_int_equal(a->has_key, b->has_key);
	assert_memory_equal(a->key, b->key, CARP_KEY_LEN);
	assert_string_equal(a->passfile, b->passfile);
	addr_equal(&a->peer, &b->peer);
	assert_int_equal(a->ngroups, b->ngroups);
	for (i = 0; i < a->ngroups; i++)
		assert_string_equal(a->groups[i], b->groups[i]);
	assert_int_equal(a->lladdr, b->lladdr);
	assert_int_equal(a->init_state, b->init_state);
	assert_int_equal(a->tiebreak, b->tiebreak);
	assert_int_equal(a->garp_refresh, b->garp_refresh);
	assert_int_equal(a->balancing, b->balancing);
	assert_int_equal(a->balance_side, b->balance_side);
	assert_int_equal(a->leader, b->leader);
	assert_int_equal(a->node_index, b->node_index);
	assert_int_equal(a->nnodes, b->nnodes);
	assert_memory_equal(a->node_vhids, b->node_vhids, CARP_MAX_NODES);
	assert_int_equal(a->balance_nat, b->balance_nat);
}

static void
conf_equal(const struct carpd_conf *a, const struct carpd_conf *b)
{
	int	 i;

	assert_int_equal(a->preempt, b->preempt);
	assert_string_equal(a->control_socket, b->control_socket);
	assert_int_equal(a->log_level, b->log_level);
	assert_int_equal(a->startup_demote, b->startup_demote);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->garp_refresh, b->garp_refresh);
	assert_int_equal(a->balance_seed, b->balance_seed);
	assert_int_equal(a->nvhosts, b->nvhosts);
	for (i = 0; i < a->nvhosts; i++)
		vhost_equal(&a->vhosts[i], &b->vhosts[i]);
}

/* The printed text without its "# vhost from FILE" lines. */
static char *
strip_origin(const char *text)
{
	char	*out = strdup(text), *p, *eol;

	assert_non_null(out);
	while ((p = strstr(out, "# vhost from ")) != NULL) {
		eol = strchr(p, '\n');
		memmove(p, eol + 1, strlen(eol + 1) + 1);
	}
	return out;
}

static void
test_roundtrip(void **state)
{
	const char		*name = *state;
	struct conf_diag	 d;
	struct carpd_conf	*c1, *c2;
	char			 dir[] = "/tmp/test_carp_conf.XXXXXX";
	char			*path, *t1, *t2, *s1, *s2;

	conf_diag_init(&d);
	path = xasprintf("%s/%s/carpd.conf", conf_dir(), name);
	assert_non_null(c1 = carp_conf_parse(path, &d));
	free(path);
	conf_diag_free(&d);
	t1 = print_conf(c1);

	assert_non_null(mkdtemp(dir));
	write_layout(dir, t1, c1);
	path = xasprintf("%s/carpd.conf", dir);
	c2 = carp_conf_parse(path, &d);
	if (d.text != NULL)
		print_error("%s", d.text);
	assert_null(d.text);		/* not even a warning */
	assert_non_null(c2);
	conf_equal(c1, c2);
	t2 = print_conf(c2);
	s1 = strip_origin(t1);
	s2 = strip_origin(t2);
	if (strcmp(s1, s2) != 0)
		print_diff("printed twice", s1, s2);
	assert_string_equal(s1, s2);

	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(path); free(t1); free(t2); free(s1); free(s2);
	carp_conf_free(c1);
	carp_conf_free(c2);
	conf_diag_free(&d);
}

/* ---- fixed checks ------------------------------------------------- */

/* Every fixture directory is listed, and every listed one exists. */
static void
test_fixture_list(void **state)
{
	struct dirent	**ents;
	struct stat	  st;
	char		 *p;
	size_t		  i, k;
	int		  n, j, found;
	(void)state;

	for (i = 0; i < NFIXTURES; i++) {
		p = xasprintf("%s/%s/carpd.conf", conf_dir(), fixtures[i]);
		if (stat(p, &st) != 0)
			fail_msg("fixture %s is missing", p);
		free(p);
	}
	assert_true((n = scandir(conf_dir(), &ents, NULL, alphasort)) > 0);
	for (j = 0; j < n; j++) {
		p = xasprintf("%s/%s/carpd.conf", conf_dir(), ents[j]->d_name);
		found = 0;
		for (k = 0; k < NFIXTURES; k++)
			found |= strcmp(fixtures[k], ents[j]->d_name) == 0;
		if (stat(p, &st) == 0 && !found)
			fail_msg("%s is not in fixtures[]", p);
		free(p);
		free(ents[j]);
	}
	free(ents);
}

static struct carpd_conf *
parse_fixture(const char *name, struct conf_diag *d)
{
	struct carpd_conf	*c;
	char			*path;

	path = xasprintf("%s/%s/carpd.conf", conf_dir(), name);
	c = carp_conf_parse(path, d);
	free(path);
	return c;
}

/* What the golden output cannot show: the key read from a passfile. */
static void
test_full_struct(void **state)
{
	static const uint8_t dbkey[CARP_KEY_LEN] = "db-key-from-file";
	static const uint8_t webkey[CARP_KEY_LEN] = "web secret";
	const struct carp_vhost_conf *v;
	struct conf_diag	 d;
	struct carpd_conf	*c;
	(void)state;

	conf_diag_init(&d);
	assert_non_null(c = parse_fixture("full", &d));
	assert_null(d.text);
	assert_int_equal(c->nvhosts, 2);
	assert_int_equal(c->vhosts[0].vhid, 7);		/* sorted by vhid */
	assert_int_equal(c->vhosts[1].vhid, 20);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->preempt, 1);
	assert_int_equal(c->startup_demote, 128);
	assert_string_equal(c->user, "_carpd.test-1");

	assert_non_null(v = carp_conf_vhost(c, 7));
	assert_ptr_equal(v, &c->vhosts[0]);
	assert_int_equal(v->has_key, 1);
	assert_memory_equal(v->key, dbkey, CARP_KEY_LEN);
	assert_string_equal(v->passfile, "keys/db.key");
	assert_int_equal(v->init_state, CARP_INIT_INIT);
	assert_int_equal(v->peer.af, 0);		/* multicast */
	assert_int_equal(v->line, 1);
	assert_string_equal(v->ifname, "carp7");

	assert_non_null(v = carp_conf_vhost(c, 20));
	assert_memory_equal(v->key, webkey, CARP_KEY_LEN);
	assert_int_equal(v->peer.af, AF_INET);
	assert_int_equal(v->ngroups, 2);		/* "carp" not stored */
	assert_int_equal(v->lladdr, CARP_LLADDR_REAL);
	assert_int_equal(v->line, 2);
	assert_null(carp_conf_vhost(c, 1));
	carp_conf_free(c);
	conf_diag_free(&d);
}

/* tiebreak and garp-refresh: values, defaults, the global default. */
static void
test_tiebreak_struct(void **state)
{
	struct conf_diag	 d;
	struct carpd_conf	*c;
	(void)state;

	conf_diag_init(&d);
	assert_non_null(c = parse_fixture("tiebreak", &d));
	assert_null(d.text);
	assert_int_equal(c->garp_refresh, 30);
	assert_int_equal(c->nvhosts, 3);
	assert_int_equal(carp_conf_vhost(c, 1)->tiebreak, CARP_TB_LOWER_ADDRESS);
	assert_int_equal(carp_conf_vhost(c, 1)->garp_refresh, 30);
	assert_int_equal(carp_conf_vhost(c, 2)->tiebreak, CARP_TB_LOWER_ADDRESS);
	assert_int_equal(carp_conf_vhost(c, 2)->garp_refresh, 0);
	assert_int_equal(carp_conf_vhost(c, 3)->tiebreak, CARP_TB_NONE);
	assert_int_equal(carp_conf_vhost(c, 3)->garp_refresh, 3600);
	carp_conf_free(c);
	/* defaults: none, off */
	assert_non_null(c = parse_fixture("defaults", &d));
	assert_int_equal(c->garp_refresh, 0);
	assert_int_equal(c->vhosts[0].tiebreak, CARP_TB_NONE);
	assert_int_equal(c->vhosts[0].garp_refresh, 0);
	carp_conf_free(c);
	conf_diag_free(&d);
}

/* ---- carpnodes and balancing ------------------------------------- */

/* What a node of the balance fixture must be. */
struct node_want {
	int		 vhid;
	const char	*carpdev;
	int		 advskew, leader, node_index, nnodes;
	enum carp_balancing balancing;
	enum carp_balance_side side;
	const char	*ifname;
	int		 line;
};

/* Expansion: one vhost per node, sorted by vhid (then carpdev) with the
 * ordinary ones; every node shares the group's file, line and settings. */
static void
test_balance_struct(void **state)
{
	static const struct node_want want[] = {
		{ 1, "eth2", 0, 1, 0, 2, CARP_BAL_IP_UNICAST, CARP_BAL_LAN,
		  "carp1", 2 },
		{ 2, "eth2", 0, 1, 1, 2, CARP_BAL_IP_UNICAST, CARP_BAL_LAN,
		  "carp1", 2 },
		{ 3, "eth0", 0, 3, 0, 3, CARP_BAL_IP_STEALTH, CARP_BAL_WAN,
		  "carp3", 2 },
		{ 4, "eth0", 50, 3, 1, 3, CARP_BAL_IP_STEALTH, CARP_BAL_WAN,
		  "carp3", 2 },
		{ 4, "eth1", 20, 4, 0, 1, CARP_BAL_NONE, CARP_BAL_LAN,
		  "carp4b", 2 },
		{ 5, "eth0", 100, 3, 2, 3, CARP_BAL_IP_STEALTH, CARP_BAL_WAN,
		  "carp3", 2 },
		{ 10, "eth1", 0, 10, 0, 2, CARP_BAL_IP, CARP_BAL_LAN,
		  "wan0", 2 },
		{ 11, "eth1", 100, 10, 1, 2, CARP_BAL_IP, CARP_BAL_LAN,
		  "wan0", 2 },
		{ 20, "eth0", 7, 20, 0, 1, CARP_BAL_NONE, CARP_BAL_LAN,
		  "carp20", 2 },
	};
	static const uint8_t lan3[] = { 3, 4, 5 };
	static const uint8_t lankey[CARP_KEY_LEN] = "lan secret";
	const struct carp_vhost_conf *v, *lead;
	struct conf_diag	 d;
	struct carpd_conf	*c;
	size_t			 i;
	int			 k;
	(void)state;

	conf_diag_init(&d);
	assert_non_null(c = parse_fixture("balance", &d));
	assert_null(d.text);
	assert_int_equal(c->balance_seed, 0x1234abcd);
	assert_int_equal(c->nvhosts, (int)(sizeof(want) / sizeof(want[0])));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		v = &c->vhosts[i];
		assert_int_equal(v->vhid, want[i].vhid);
		assert_string_equal(v->carpdev, want[i].carpdev);
		assert_int_equal(v->advskew, want[i].advskew);
		assert_int_equal(v->leader, want[i].leader);
		assert_int_equal(v->node_index, want[i].node_index);
		assert_int_equal(v->nnodes, want[i].nnodes);
		assert_int_equal(v->balancing, want[i].balancing);
		assert_int_equal(v->balance_side, want[i].side);
		assert_string_equal(v->ifname, want[i].ifname);
		assert_int_equal(v->line, want[i].line);
		assert_int_equal(v->node_vhids[v->node_index], v->vhid);
		/* each node finds every node of its group, itself too */
		for (k = 0; k < v->nnodes; k++) {
			assert_non_null(lead = carp_conf_node(c, v, k));
			assert_int_equal(lead->vhid, v->node_vhids[k]);
			assert_int_equal(lead->leader, v->leader);
			assert_string_equal(lead->carpdev, v->carpdev);
		}
		assert_ptr_equal(carp_conf_node(c, v, v->node_index), v);
		assert_null(carp_conf_node(c, v, v->nnodes));
		assert_null(carp_conf_node(c, v, -1));
	}
	/* the group's settings are in every node */
	for (i = 2; i <= 5; i++) {
		v = &c->vhosts[i];
		if (v->leader != 3)
			continue;
		assert_memory_equal(v->node_vhids, lan3, sizeof(lan3));
		assert_memory_equal(v->key, lankey, CARP_KEY_LEN);
		assert_int_equal(v->naddrs, 2);
		assert_int_equal(v->advbase, 2);
		assert_int_equal(v->ngroups, 1);
		assert_string_equal(v->groups[0], "lan");
		assert_non_null(strstr(v->file, "/balance/vh/a-lan.conf"));
	}
	assert_int_equal(c->vhosts[0].peer.af, AF_INET);
	assert_int_equal(c->vhosts[1].peer.af, AF_INET);
	/* the first vhid 4 found is the eth0 node (sorted by carpdev) */
	assert_ptr_equal(carp_conf_vhost(c, 4), &c->vhosts[3]);
	assert_string_equal(carp_balancing_name(CARP_BAL_IP_STEALTH),
	    "ip-stealth");
	assert_string_equal(carp_balancing_name((enum carp_balancing)9), "?");
	assert_string_equal(carp_balance_side_name(CARP_BAL_WAN), "wan");
	assert_string_equal(carp_balance_side_name((enum carp_balance_side)7),
	    "?");
	carp_conf_free(c);
	/* an ordinary vhost is a group of one; the seed has its default */
	assert_non_null(c = parse_fixture("defaults", &d));
	v = &c->vhosts[0];
	assert_int_equal(v->nnodes, 1);
	assert_int_equal(v->leader, v->vhid);
	assert_int_equal(v->node_vhids[0], v->vhid);
	assert_int_equal(v->node_index, 0);
	assert_int_equal(v->balancing, CARP_BAL_NONE);
	assert_int_equal(v->balance_side, CARP_BAL_LAN);
	assert_int_equal(c->balance_seed, CARP_BALANCE_SEED_DEFAULT);
	assert_ptr_equal(carp_conf_node(c, v, 0), v);
	carp_conf_free(c);
	conf_diag_free(&d);
}

/*
 * A config written to a temporary directory: "global" is carpd.conf
 * (an include of vh/ *.conf is added), each vhost a vh/NN.conf. The
 * diagnostics come back with the directory written as "T".
 */
struct tmpconf {
	char			 dir[32];
	struct conf_diag	 d;
	struct carpd_conf	*c;
	char			*diag;		/* normalised d.text, or "" */
};

static void
tmpconf_parse(struct tmpconf *t, const char *global, const char *const *vh,
    int nvh)
{
	char	*f, *text, *from;
	int	 i;

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_carp_conf.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	f = xasprintf("%s/vh", t->dir);
	mkdir_p(f);
	free(f);
	for (i = 0; i < nvh; i++) {
		f = xasprintf("%s/vh/%02d.conf", t->dir, i);
		write_text(f, vh[i]);
		free(f);
	}
	f = xasprintf("%s/carpd.conf", t->dir);
	text = xasprintf("%sinclude \"vh/*.conf\"\n", global);
	write_text(f, text);
	free(text);
	conf_diag_init(&t->d);
	t->c = carp_conf_parse(f, &t->d);
	free(f);
	from = xasprintf("%s/", t->dir);
	t->diag = replace_all(t->d.text ? t->d.text : "", from, "T/");
	free(from);
}

static void
tmpconf_free(struct tmpconf *t)
{
	nftw(t->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	carp_conf_free(t->c);
	conf_diag_free(&t->d);
	free(t->diag);
}

#define VH_TAIL		"carpdev eth0\naddress 192.0.2.1/24\n"

/* Every carpnodes, balancing and balance-seed message, with FILE:LINE. */
static void
test_balance_errors(void **state)
{
	static const struct {
		const char	*global, *vhost, *want;
	} cases[] = {
		{ "", "carpnodes 1\n", "T/vh/00.conf:1: carpnodes: '1' is not "
		  "VHID:ADVSKEW\n" },
		{ "", "carpnodes 1:\n", "T/vh/00.conf:1: carpnodes: '1:' is not "
		  "VHID:ADVSKEW\n" },
		{ "", "carpnodes :1\n", "T/vh/00.conf:1: carpnodes: ':1' is not "
		  "VHID:ADVSKEW\n" },
		{ "", "carpnodes a:1\n", "T/vh/00.conf:1: carpnodes: 'a:1' is "
		  "not VHID:ADVSKEW\n" },
		{ "", "carpnodes 1:0:0\n", "T/vh/00.conf:1: carpnodes: '1:0:0' "
		  "is not VHID:ADVSKEW\n" },
		{ "", "carpnodes +1:0\n", "T/vh/00.conf:1: carpnodes: '+1:0' is "
		  "not VHID:ADVSKEW\n" },
		{ "", "carpnodes 1:-1\n", "T/vh/00.conf:1: carpnodes: '1:-1' is "
		  "not VHID:ADVSKEW\n" },
		{ "", "carpnodes 1:0,,2:0\n", "T/vh/00.conf:1: carpnodes: '' is "
		  "not VHID:ADVSKEW\n" },
		{ "", "carpnodes 1:0,\n", "T/vh/00.conf:1: carpnodes: '' is not "
		  "VHID:ADVSKEW\n" },
		{ "", "carpnodes ,1:0\n", "T/vh/00.conf:1: carpnodes: '' is not "
		  "VHID:ADVSKEW\n" },
		{ "", "carpnodes 0:0\n", "T/vh/00.conf:1: carpnodes: vhid 0 is "
		  "out of range (1-255)\n" },
		{ "", "carpnodes 1:0,256:0\n", "T/vh/00.conf:1: carpnodes: vhid "
		  "256 is out of range (1-255)\n" },
		{ "", "carpnodes 99999999999999999999:0\n", "T/vh/00.conf:1: "
		  "carpnodes: vhid 99999999999999999999 is out of range "
		  "(1-255)\n" },
		{ "", "carpnodes 1:255\n", "T/vh/00.conf:1: carpnodes: advskew "
		  "255 is out of range (0-254)\n" },
		{ "", "carpnodes 1:0,2:0,1:5\n", "T/vh/00.conf:1: carpnodes: "
		  "vhid 1 is given twice\n" },
		{ "", "carpnodes 1:0 2:0\n", "T/vh/00.conf:1: carpnodes: "
		  "expected 1 argument, got 2\n" },
		{ "", "carpnodes\n", "T/vh/00.conf:1: carpnodes: expected 1 "
		  "argument, got 0\n" },
		{ "", "carpnodes 1:0,2:0\ncarpnodes 3:0,4:0\n",
		  "T/vh/00.conf:2: carpnodes: duplicate (first given on line "
		  "1)\n" },
		{ "", "advskew 5\ncarpnodes 1:0,2:0\n", "T/vh/00.conf:2: "
		  "carpnodes: conflicts with advskew on line 1 (give only one "
		  "of them)\n" },
		{ "", "carpnodes 1:0,2:0\nbalancing none\n", "T/vh/00.conf:2: "
		  "balancing none: not possible with 2 carpnodes (use ip, "
		  "ip-stealth or ip-unicast)\n" },
		{ "", "carpnodes 1:0\nbalancing ip-stealth\n",
		  "T/vh/00.conf:2: balancing ip-stealth: needs carpnodes with "
		  "at least 2 nodes\n" },
		{ "", "vhid 1\nbalancing ip\n", "T/vh/00.conf:2: balancing ip: "
		  "needs carpnodes with at least 2 nodes\n" },
		{ "", "carpnodes 1:0,2:0\nbalancing ip-unicast\nlladdr real\n",
		  "T/vh/00.conf:3: lladdr real: not possible with balancing "
		  "ip-unicast (every node must receive the frames of the "
		  "shared addresses)\n" },
		{ "", "carpnodes 1:0,2:0\nbalancing IP\n", "T/vh/00.conf:2: "
		  "balancing: 'IP' is not none, ip, ip-stealth or "
		  "ip-unicast\n" },
		{ "", "carpnodes 1:0,2:0\nbalance-side both\n",
		  "T/vh/00.conf:2: balance-side: 'both' is not lan or wan\n" },
		{ "", "balance-seed 1\nvhid 1\n", "T/vh/00.conf:1: "
		  "balance-seed: not allowed in a vhost file (it belongs in "
		  "the global file)\n" },
		{ "carpnodes 1:0,2:0\n", "vhid 1\n", "T/carpd.conf:1: "
		  "carpnodes: not allowed in the global file (it belongs in a "
		  "vhost file)\n" },
		{ "balance-seed 0x\n", "vhid 1\n", "T/carpd.conf:1: "
		  "balance-seed: '0x' is not 1 to 8 hex digits after 0x\n" },
		{ "balance-seed 0x123456789\n", "vhid 1\n", "T/carpd.conf:1: "
		  "balance-seed: '0x123456789' is not 1 to 8 hex digits after "
		  "0x\n" },
		{ "balance-seed 0xfg\n", "vhid 1\n", "T/carpd.conf:1: "
		  "balance-seed: '0xfg' is not 1 to 8 hex digits after 0x\n" },
		{ "balance-seed -1\n", "vhid 1\n", "T/carpd.conf:1: "
		  "balance-seed: '-1' is not a number\n" },
		{ "balance-seed 4294967296\n", "vhid 1\n", "T/carpd.conf:1: "
		  "balance-seed: 4294967296 is out of range (0-4294967295)\n" },
		{ "balance-seed\n", "vhid 1\n", "T/carpd.conf:1: balance-seed: "
		  "expected 1 argument, got 0\n" },
		{ "balance-seed 1\nbalance-seed 2\n", "vhid 1\n",
		  "T/carpd.conf:2: balance-seed: duplicate (first given on "
		  "line 1)\n" },
		{ "", "vhid 1\nbalance-nat yes\n", "T/vh/00.conf:2: "
		  "balance-nat yes: needs balancing (carpnodes with at least 2 "
		  "nodes)\n" },
		{ "", "carpnodes 1:0\nbalance-nat yes\n", "T/vh/00.conf:2: "
		  "balance-nat yes: needs balancing (carpnodes with at least 2 "
		  "nodes)\n" },
		{ "", "carpnodes 1:0,2:0\nbalance-nat maybe\n",
		  "T/vh/00.conf:2: balance-nat: 'maybe' is not yes or no\n" },
		{ "", "carpnodes 1:0,2:0\nbalance-nat yes\nbalance-nat no\n",
		  "T/vh/00.conf:3: balance-nat: duplicate (first given on "
		  "line 2)\n" },
		{ "", "carpnodes 1:0,2:0\nbalance-nat\n", "T/vh/00.conf:2: "
		  "balance-nat: expected 1 argument, got 0\n" },
		{ "balance-nat yes\n", "vhid 1\n", "T/carpd.conf:1: "
		  "balance-nat: not allowed in the global file (it belongs in "
		  "a vhost file)\n" },
	};
	struct tmpconf	 t;
	const char	*vh[1];
	char		*text;
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = xasprintf("%s" VH_TAIL, cases[i].vhost);
		vh[0] = text;
		tmpconf_parse(&t, cases[i].global, vh, 1);
		if (strcmp(t.diag, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, t.diag,
			    cases[i].want);
		assert_null(t.c);
		tmpconf_free(&t);
		free(text);
	}
}

/* The other side of the limits: what is accepted, and how it reads. */
static void
test_balance_accepts(void **state)
{
	static const struct {
		const char	*global, *vhost;
		uint32_t	 seed;
		int		 nnodes, leader;
		enum carp_balancing bal;
		const char	*warn;		/* "" if none */
	} cases[] = {
		{ "balance-seed 0\n", "vhid 9\n", 0, 1, 9, CARP_BAL_NONE, "" },
		{ "balance-seed 4294967295\n", "vhid 9\n", 0xffffffff, 1, 9,
		  CARP_BAL_NONE, "" },
		{ "balance-seed 0xFFFFFFFF\n", "vhid 9\n", 0xffffffff, 1, 9,
		  CARP_BAL_NONE, "" },
		{ "balance-seed 0XdeadBEEF\n", "vhid 9\n", 0xdeadbeef, 1, 9,
		  CARP_BAL_NONE, "" },
		{ "balance-seed 00012\n", "vhid 9\n", 12, 1, 9, CARP_BAL_NONE,
		  "" },
		{ "", "carpnodes 9:0\n", CARP_BALANCE_SEED_DEFAULT, 1, 9,
		  CARP_BAL_NONE, "" },
		{ "", "carpnodes 9:0\nbalancing none\n",
		  CARP_BALANCE_SEED_DEFAULT, 1, 9, CARP_BAL_NONE, "" },
		{ "", "vhid 9\nbalancing none\n", CARP_BALANCE_SEED_DEFAULT, 1,
		  9, CARP_BAL_NONE, "" },
		{ "", "carpnodes 255:254,1:0\n", CARP_BALANCE_SEED_DEFAULT, 2,
		  1, CARP_BAL_IP, "" },
		{ "", "carpnodes 2:0,1:0\nbalancing ip\n",
		  CARP_BALANCE_SEED_DEFAULT, 2, 1, CARP_BAL_IP, "" },
		{ "", "carpnodes 7:0\nbalance-side wan\n",
		  CARP_BALANCE_SEED_DEFAULT, 1, 7, CARP_BAL_NONE,
		  "T/vh/00.conf:2: warning: balance-side: unused while "
		  "balancing is none\n" },
		{ "", "carpnodes 001:000,002:100\n", CARP_BALANCE_SEED_DEFAULT,
		  2, 1, CARP_BAL_IP, "" },
	};
	struct tmpconf	 t;
	const char	*vh[1];
	char		*text;
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = xasprintf("%s" VH_TAIL, cases[i].vhost);
		vh[0] = text;
		tmpconf_parse(&t, cases[i].global, vh, 1);
		if (t.c == NULL || strcmp(t.diag, cases[i].warn) != 0)
			fail_msg("case %zu: %s", i, t.diag);
		assert_int_equal(t.c->balance_seed, cases[i].seed);
		assert_int_equal(t.c->nvhosts, cases[i].nnodes);
		assert_int_equal(t.c->vhosts[0].nnodes, cases[i].nnodes);
		assert_int_equal(t.c->vhosts[0].leader, cases[i].leader);
		assert_int_equal(t.c->vhosts[0].vhid, cases[i].leader);
		assert_int_equal(t.c->vhosts[0].balancing, cases[i].bal);
		tmpconf_free(&t);
		free(text);
	}
}

/*
 * balance-nat: every node of the group holds it, balance_line names the
 * `balancing` line (else carpnodes'), -nv prints it only when yes, and the
 * printed group parses back to the same.
 */
static void
test_balance_nat(void **state)
{
	static const struct {
		const char	*vhost;
		int		 nat, line, printed;
	} cases[] = {
		{ "carpnodes 1:0,2:0\nbalance-nat yes\n", 1, 1, 1 },
		{ "address 192.0.2.9/24\ncarpnodes 1:0,2:0,3:0\nbalancing "
		  "ip-stealth\nbalance-nat yes\n", 1, 3, 1 },
		{ "carpnodes 1:0,2:0\nbalance-nat no\n", 0, 1, 0 },
		{ "carpnodes 1:0,2:0\n", 0, 1, 0 },
		{ "vhid 1\nbalance-nat no\n", 0, 1, 0 },
	};
	struct tmpconf	 t, back;
	const char	*vh[1];
	char		*text, *out, *body;
	size_t		 i;
	int		 k;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		text = xasprintf("%s" VH_TAIL, cases[i].vhost);
		vh[0] = text;
		tmpconf_parse(&t, "", vh, 1);
		if (t.c == NULL || strcmp(t.diag, "") != 0)
			fail_msg("case %zu: %s", i, t.diag);
		for (k = 0; k < t.c->nvhosts; k++) {
			assert_int_equal(t.c->vhosts[k].balance_nat,
			    cases[i].nat);
			assert_int_equal(t.c->vhosts[k].balance_line,
			    cases[i].line);
		}
		out = print_conf(t.c);
		assert_int_equal(strstr(out, "balance-nat yes\n") != NULL,
		    cases[i].printed);
		assert_null(strstr(out, "balance-nat no"));
		/* the vhost block alone, parsed again */
		assert_non_null(body = strstr(out, "# vhost from"));
		vh[0] = body;
		tmpconf_parse(&back, "", vh, 1);
		if (back.c == NULL)
			fail_msg("case %zu: reparse: %s", i, back.diag);
		assert_int_equal(back.c->nvhosts, t.c->nvhosts);
		for (k = 0; k < t.c->nvhosts; k++)
			assert_int_equal(back.c->vhosts[k].balance_nat,
			    cases[i].nat);
		tmpconf_free(&back);
		free(out);
		tmpconf_free(&t);
		free(text);
	}
}

/* "carpnodes FIRST:0,...,FIRST+n-1:n-1" on carpdev dev. */
static char *
nodes_file(const char *dev, int first, int n)
{
	char	*list = xasprintf("%d:0", first), *next, *text;
	int	 i;

	for (i = 1; i < n; i++) {
		next = xasprintf("%s,%d:%d", list, first + i, i);
		free(list);
		list = next;
	}
	text = xasprintf("carpnodes %s\ncarpdev %s\naddress 192.0.2.%d/24\n"
	    "ifname g%s.%d\n", list, dev, first, dev, first);
	free(list);
	return text;
}

/* 32 nodes at most per group; 255 CARP instances at most in all, each
 * node counting (carpd's vhost table); 7 x 32 + 31 = 255 fits. */
static void
test_balance_limits(void **state)
{
	struct tmpconf	 t;
	char		*files[8];
	int		 i;
	(void)state;

	files[0] = nodes_file("eth0", 1, 32);
	tmpconf_parse(&t, "", (const char *const *)files, 1);
	assert_non_null(t.c);
	assert_int_equal(t.c->nvhosts, 32);
	assert_int_equal(t.c->vhosts[31].node_index, 31);
	assert_int_equal(t.c->vhosts[31].advskew, 31);
	assert_int_equal(t.c->vhosts[31].leader, 1);
	tmpconf_free(&t);
	free(files[0]);

	files[0] = nodes_file("eth0", 1, 33);
	tmpconf_parse(&t, "", (const char *const *)files, 1);
	assert_null(t.c);
	assert_string_equal(t.diag, "T/vh/00.conf:1: carpnodes: more than 32 "
	    "nodes\n");
	tmpconf_free(&t);
	free(files[0]);

	for (i = 0; i < 7; i++)
		files[i] = nodes_file("eth0", 1 + 32 * i, 32);
	files[7] = nodes_file("eth1", 1, 31);
	tmpconf_parse(&t, "", (const char *const *)files, 8);
	assert_string_equal(t.diag, "");
	assert_non_null(t.c);
	assert_int_equal(t.c->nvhosts, CARP_MAX_VHOSTS);
	tmpconf_free(&t);
	free(files[7]);
	files[7] = nodes_file("eth1", 1, 32);
	tmpconf_parse(&t, "", (const char *const *)files, 8);
	assert_null(t.c);
	assert_string_equal(t.diag, "T/vh/07.conf:1: too many vhosts (max "
	    "255, each of the carpnodes counting as one)\n");
	tmpconf_free(&t);
	for (i = 0; i < 8; i++)
		free(files[i]);
}

/* The vhid check sees every node of every file, per carpdev. */
static void
test_balance_dup_vhids(void **state)
{
	static const struct {
		const char	*a, *b, *want;
	} cases[] = {
		{ "carpnodes 1:0,2:0\ncarpdev eth0\n",
		  "vhid 2\ncarpdev eth0\nifname x\n",
		  "T/vh/01.conf:1: vhid 2 on eth0: already defined in "
		  "T/vh/00.conf:1\n" },
		{ "vhid 2\ncarpdev eth0\n", "carpnodes 1:0,2:0\ncarpdev eth0\n",
		  "T/vh/01.conf:1: vhid 2 on eth0: already defined in "
		  "T/vh/00.conf:1\n" },
		{ "carpnodes 3:0,5:0\ncarpdev eth0\n",
		  "carpnodes 4:0,5:0,6:0\ncarpdev eth0\nifname y\n",
		  "T/vh/01.conf:1: vhid 5 on eth0: already defined in "
		  "T/vh/00.conf:1\n" },
		/* one name for a group's nodes, not for two files */
		{ "carpnodes 3:0,5:0\ncarpdev eth0\n", "vhid 3\ncarpdev eth1\n",
		  "T/vh/01.conf:1: ifname: the default 'carp3' is already "
		  "used by the vhost in T/vh/00.conf:1 (set ifname)\n" },
		{ "carpnodes 3:0,5:0\ncarpdev eth0\nifname lan\n",
		  "vhid 3\ncarpdev eth1\nifname lan\n", "T/vh/01.conf:3: "
		  "ifname: 'lan' is already used by the vhost in "
		  "T/vh/00.conf:3\n" },
	};
	struct tmpconf	 t;
	char		*vh[2];
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vh[0] = xasprintf("%saddress 192.0.2.1/24\n", cases[i].a);
		vh[1] = xasprintf("%saddress 192.0.2.2/24\n", cases[i].b);
		tmpconf_parse(&t, "", (const char *const *)vh, 2);
		if (strcmp(t.diag, cases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, t.diag,
			    cases[i].want);
		assert_null(t.c);
		tmpconf_free(&t);
		free(vh[0]);
		free(vh[1]);
	}
	/* the same vhids on two carpdevs are two groups */
	vh[0] = xasprintf("carpnodes 1:0,2:0\n" VH_TAIL);
	vh[1] = xasprintf("carpnodes 1:0,2:0\ncarpdev eth1\nifname b\n"
	    "address 192.0.2.2/24\n");
	tmpconf_parse(&t, "", (const char *const *)vh, 2);
	assert_string_equal(t.diag, "");
	assert_non_null(t.c);
	assert_int_equal(t.c->nvhosts, 4);
	assert_string_equal(t.c->vhosts[0].carpdev, "eth0");
	assert_string_equal(t.c->vhosts[1].carpdev, "eth1");
	assert_ptr_equal(carp_conf_node(t.c, &t.c->vhosts[0], 1),
	    &t.c->vhosts[2]);
	assert_ptr_equal(carp_conf_node(t.c, &t.c->vhosts[1], 1),
	    &t.c->vhosts[3]);
	tmpconf_free(&t);
	free(vh[0]);
	free(vh[1]);
}

static void
test_missing_global(void **state)
{
	struct conf_diag	 d;
	char			*want;
	(void)state;

	conf_diag_init(&d);
	assert_null(parse_fixture("no-such-fixture", &d));
	want = xasprintf("%s/no-such-fixture/carpd.conf: No such file or "
	    "directory\n", conf_dir());
	assert_string_equal(d.text, want);
	assert_int_equal(d.nerrors, 1);
	free(want);
	conf_diag_free(&d);
}

/* Errors already in diag belong to the caller; only new ones count. */
static void
test_diag_not_reset(void **state)
{
	struct conf_diag	 d;
	struct carpd_conf	*c;
	(void)state;

	conf_diag_init(&d);
	conf_error(&d, "earlier", 1, "an older error");
	assert_non_null(c = parse_fixture("defaults", &d));
	assert_int_equal(d.nerrors, 1);
	carp_conf_free(c);
	assert_null(parse_fixture("err-unknown", &d));
	assert_true(d.nerrors > 1);
	assert_memory_equal(d.text, "earlier:1: an older error\n", 26);
	conf_diag_free(&d);
	carp_conf_free(NULL);
}

static void
test_key_from_pass(void **state)
{
	static const struct {
		const char	*pass;
		int		 truncated;
		size_t		 keep;
	} cases[] = {
		{ "", 0, 0 },
		{ "secret", 0, 6 },
		{ "0123456789abcdefghi", 0, 19 },		/* 19 */
		{ "0123456789abcdefghij", 1, 19 },		/* 20 */
		{ "0123456789abcdefghijklmnopqrstuvwxyz", 1, 19 },
	};
	uint8_t		 key[CARP_KEY_LEN], want[CARP_KEY_LEN];
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(key, 0xaa, sizeof(key));	/* an old, longer key */
		memset(want, 0, sizeof(want));
		memcpy(want, cases[i].pass, cases[i].keep);
		assert_int_equal(carp_key_from_pass(cases[i].pass, key),
		    cases[i].truncated);
		assert_memory_equal(key, want, CARP_KEY_LEN);
		assert_int_equal(key[CARP_KEY_LEN - 1], 0);
	}
}

static void
test_addr_parse(void **state)
{
	static const struct {
		const char	*in;
		int		 af;		/* 0: must fail */
		const char	*with_plen, *bare;
	} cases[] = {
		{ "192.0.2.1", AF_INET, "192.0.2.1/32", "192.0.2.1" },
		{ "192.0.2.1/24", AF_INET, "192.0.2.1/24", "192.0.2.1" },
		{ "10.0.0.1/0", AF_INET, "10.0.0.1/0", "10.0.0.1" },
		{ "10.0.0.1/08", AF_INET, "10.0.0.1/8", "10.0.0.1" },
		{ "2001:db8::1", AF_INET6, "2001:db8::1/128", "2001:db8::1" },
		{ "2001:DB8:0:0::1/64", AF_INET6, "2001:db8::1/64",
		  "2001:db8::1" },
		{ "fe80::1/64", AF_INET6, "fe80::1/64", "fe80::1" },
		{ "::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1/128",
		  "::ffff:192.0.2.1" },
		{ "", 0, NULL, NULL },
		{ "/24", 0, NULL, NULL },
		{ "10.0.0.1/", 0, NULL, NULL },
		{ "10.0.0.1/33", 0, NULL, NULL },
		{ "10.0.0.1/-1", 0, NULL, NULL },
		{ "10.0.0.1/+8", 0, NULL, NULL },
		{ "10.0.0.1/0008", 0, NULL, NULL },
		{ "10.0.0.1/24/1", 0, NULL, NULL },
		{ "10.0.0.1/ 8", 0, NULL, NULL },
		{ "2001:db8::1/129", 0, NULL, NULL },
		{ "fe80::1%eth0", 0, NULL, NULL },
		{ "10.0.0", 0, NULL, NULL },
		{ "1.2.3.4.5", 0, NULL, NULL },
		{ "010.0.0.1", 0, NULL, NULL },
		{ "host.example", 0, NULL, NULL },
		{ "1111:2222:3333:4444:5555:6666:7777:8888:9999", 0, NULL, NULL },
	};
	struct carp_addr a;
	char		 buf[64];
	size_t		 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&a, 0x55, sizeof(a));
		if (cases[i].af == 0) {
			if (carp_addr_parse(cases[i].in, &a) != -1)
				fail_msg("'%s' parsed", cases[i].in);
			assert_int_equal(a.af, 0);	/* left cleared */
			continue;
		}
		if (carp_addr_parse(cases[i].in, &a) != 0)
			fail_msg("'%s' did not parse", cases[i].in);
		assert_int_equal(a.af, cases[i].af);
		assert_string_equal(carp_addr_fmt(&a, 1, buf, sizeof(buf)),
		    cases[i].with_plen);
		assert_string_equal(carp_addr_fmt(&a, 0, buf, sizeof(buf)),
		    cases[i].bare);
	}
}

static void
test_addr_fmt_edges(void **state)
{
	struct carp_addr a;
	char		 buf[64], small[8];
	(void)state;

	memset(&a, 0, sizeof(a));
	assert_string_equal(carp_addr_fmt(&a, 1, buf, sizeof(buf)), "?");
	assert_int_equal(carp_addr_parse("192.0.2.123/24", &a), 0);
	assert_memory_equal(a.addr, "\xc0\x00\x02\x7b", 4);
	assert_ptr_equal(carp_addr_fmt(&a, 1, small, sizeof(small)), small);
	assert_string_equal(small, "192.0.2");		/* truncated, ended */
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_fixture_list),
		cmocka_unit_test(test_full_struct),
		cmocka_unit_test(test_tiebreak_struct),
		cmocka_unit_test(test_balance_struct),
		cmocka_unit_test(test_balance_errors),
		cmocka_unit_test(test_balance_accepts),
		cmocka_unit_test(test_balance_nat),
		cmocka_unit_test(test_balance_limits),
		cmocka_unit_test(test_balance_dup_vhids),
		cmocka_unit_test(test_missing_global),
		cmocka_unit_test(test_diag_not_reset),
		cmocka_unit_test(test_key_from_pass),
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_fmt_edges),
	};
	struct CMUnitTest	 tests[NFIXTURES * 2 + sizeof(fixed) /
				    sizeof(fixed[0])];
	char			*names[NFIXTURES * 2];
	size_t			 i, n = 0, nn = 0;
	int			 rv;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		tests[n++] = fixed[i];
	for (i = 0; i < NFIXTURES; i++) {
		names[nn] = xasprintf("golden/%s", fixtures[i]);
		tests[n++] = (struct CMUnitTest){ names[nn++], test_golden,
		    NULL, NULL, (void *)fixtures[i] };
		if (strncmp(fixtures[i], "err-", 4) == 0)
			continue;
		names[nn] = xasprintf("roundtrip/%s", fixtures[i]);
		tests[n++] = (struct CMUnitTest){ names[nn++], test_roundtrip,
		    NULL, NULL, (void *)fixtures[i] };
	}
	rv = _cmocka_run_group_tests("test_carp_conf", tests, n, NULL, NULL);
	for (i = 0; i < nn; i++)
		free(names[i]);
	return rv;
}
