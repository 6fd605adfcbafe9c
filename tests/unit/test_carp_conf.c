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
	int		 i;

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
		assert_true(i < c->nvhosts);
		write_passfile(vhdir, &c->vhosts[i]);
		p = next;
	}
	assert_int_equal(i, c->nvhosts);
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
