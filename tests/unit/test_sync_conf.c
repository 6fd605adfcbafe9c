/*
 * test_sync_conf.c: syncd's config parser (syncd/sync_conf.c).
 *
 * Golden tests in the scheme of tests/conf (test_carp_conf.c): every
 * directory tests/syncconf/NAME holds a syncd.conf and the keyfile it
 * names. NAME.ok is the expected sync_conf_print output of a valid config,
 * NAME.err the exact diagnostics (errors of an invalid config, warnings of
 * a valid one; no .err means none). An err- fixture must fail, any other
 * must parse.
 *
 * git keeps no file modes or owners, and a keyfile must be 0600 and ours:
 * so each fixture is copied into a mkdtemp directory first, files ending
 * in ".key" with mode 0600 and every other file with 0644, and parsed
 * there with key_owner_uid = our uid. Paths in the output are turned back
 * into "tests/syncconf/..." before the comparison. $SYNCCONF_DIR (default
 * "tests/syncconf", relative to the repository root where make runs the
 * tests) says where the fixtures are; UPDATE_GOLDEN=1 rewrites the golden
 * files from the actual output (review the diff!).
 *
 * Each valid config is also printed, parsed again next to a copy of its
 * key and compared field by field, then printed again: the printed form
 * describes the config completely. Keyfile contents, modes, kinds and
 * owners, value normalisation and the filter semantics are table tests.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "sync_conf.h"

#define GOLDEN_PREFIX	"tests/syncconf"
#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* The key whose bytes are 0x00, 0x01, ... 0x1f, in three spellings. */
#define KEY_LOWER \
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_UPPER \
	"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
#define KEY_MIXED \
	"000102030405060708090a0B0c0D0e0F101112131415161718191A1b1C1d1E1f"

/* The required keywords; table tests append to it (so from line 4). */
#define BASE	"syncdev eth2\nkeyfile k.key\nnode-id 1\n"

/* Every fixture directory; test_fixture_list checks none is missing. */
static const char *const fixtures[] = {
	"defaults", "filters-warn", "full", "peer-v4", "quoting",
	"err-args", "err-cross", "err-cross2", "err-duplicate", "err-filter",
	"err-filter-many", "err-keyfile-dir", "err-keyfile-missing",
	"err-keyfile-mode", "err-keyfile-short", "err-lex", "err-missing",
	"err-missing-node-id", "err-range", "err-range2", "err-unknown",
	"err-values", "err-values2",
};

/* ---- helpers ------------------------------------------------------ */

static const char *
fixture_dir(void)
{
	const char *d = getenv("SYNCCONF_DIR");

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

/* A new file of exactly these bytes and this mode, whatever the umask. */
static void
write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int	 fd;

	/* an old 0400 file is not writable by a user; start afresh */
	assert_true(unlink(path) == 0 || errno == ENOENT);
	assert_true((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void
write_text(const char *path, const char *text)
{
	write_file(path, text, strlen(text), 0644);
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

static char *
print_conf(const struct syncd_conf *c)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*fp;

	assert_non_null(fp = open_memstream(&s, &len));
	sync_conf_print(fp, c);
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

/* ---- temporary trees ---------------------------------------------- */

static char *
make_tmpdir(void)
{
	char	 dir[] = "/tmp/test_sync_conf.XXXXXX";

	assert_non_null(mkdtemp(dir));
	return strdup(dir);
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static void
rm_tree(char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Copy a fixture: "*.key" files 0600, other files 0644, dirs 0700. */
static void
copy_tree(const char *src, const char *dst)
{
	struct dirent	*e;
	struct stat	 st;
	DIR		*dp;
	char		*s, *d, *data;

	assert_true(mkdir(dst, 0700) == 0);
	assert_non_null(dp = opendir(src));
	while ((e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		s = xasprintf("%s/%s", src, e->d_name);
		d = xasprintf("%s/%s", dst, e->d_name);
		assert_int_equal(lstat(s, &st), 0);
		if (S_ISDIR(st.st_mode))
			copy_tree(s, d);
		else {
			assert_non_null(data = read_text(s));
			write_file(d, data, (size_t)st.st_size,
			    ends_with(e->d_name, ".key") ? 0600 : 0644);
			free(data);
		}
		free(s);
		free(d);
	}
	closedir(dp);
}

/* A fixture copied into a fresh tmp directory, and its syncd.conf there. */
struct fixture {
	char	*tmp;
	char	*conf;
};

static void
fixture_copy(struct fixture *fx, const char *name)
{
	char	*src, *dst;

	fx->tmp = make_tmpdir();
	src = xasprintf("%s/%s", fixture_dir(), name);
	dst = xasprintf("%s/%s", fx->tmp, name);
	copy_tree(src, dst);
	fx->conf = xasprintf("%s/syncd.conf", dst);
	free(src);
	free(dst);
}

static void
fixture_free(struct fixture *fx)
{
	rm_tree(fx->tmp);
	free(fx->conf);
}

/* Output as it would read had the fixture been parsed in place. */
static char *
normalise(const char *s, const char *tmp)
{
	char	*from = xasprintf("%s/", tmp), *out;

	out = replace_all(s, from, GOLDEN_PREFIX "/");
	free(from);
	return out;
}

static struct syncd_conf *
parse_as_me(const char *path, struct conf_diag *d)
{
	return sync_conf_parse(path, (unsigned)geteuid(), d);
}

/* dir/syncd.conf holding text, and a good dir/k.key; the conf path. */
static char *
write_conf(const char *dir, const char *text)
{
	char	*path = xasprintf("%s/k.key", dir);

	write_file(path, KEY_LOWER "\n", 65, 0600);
	free(path);
	path = xasprintf("%s/syncd.conf", dir);
	write_text(path, text);
	return path;
}

/* ---- golden ------------------------------------------------------- */

static void
test_golden(void **state)
{
	const char		*name = *state;
	struct conf_diag	 d;
	struct syncd_conf	*c;
	struct fixture		 fx;
	char			*okf, *errf, *want_ok, *want_err;
	char			*got_ok = NULL, *got_err, *raw;
	int			 bad = 0;

	okf = xasprintf("%s/%s.ok", fixture_dir(), name);
	errf = xasprintf("%s/%s.err", fixture_dir(), name);
	want_ok = read_text(okf);
	want_err = read_text(errf);
	fixture_copy(&fx, name);

	conf_diag_init(&d);
	c = parse_as_me(fx.conf, &d);
	/* NULL exactly when there was an error */
	assert_int_equal(c == NULL, d.nerrors > 0);
	if (c != NULL) {
		raw = print_conf(c);
		got_ok = normalise(raw, fx.tmp);
		free(raw);
	}
	got_err = normalise(d.text ? d.text : "", fx.tmp);
	bad += golden_check(okf, want_ok, got_ok);
	bad += golden_check(errf, want_err, got_err);
	if (getenv("UPDATE_GOLDEN") == NULL) {
		if (strncmp(name, "err-", 4) == 0)
			assert_null(c);
		else
			assert_non_null(c);
	}
	assert_int_equal(bad, 0);

	sync_conf_free(c);
	conf_diag_free(&d);
	fixture_free(&fx);
	free(okf); free(errf); free(want_ok); free(want_err);
	free(got_ok); free(got_err);
}

/* ---- round trip --------------------------------------------------- */

static void
mkdir_parents(char *path)
{
	char	*p;

	for (p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		assert_true(mkdir(path, 0700) == 0 || errno == EEXIST);
		*p = '/';
	}
}

/* The key of c written back as hex where c's keyfile is, under dir. */
static void
write_key_of(const char *dir, const struct syncd_conf *c)
{
	char	 hex[66];
	char	*path;
	int	 i;

	assert_true(c->keyfile[0] != '/');	/* fixtures stay relative */
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", c->key[i]);
	hex[64] = '\n';
	path = xasprintf("%s/%s", dir, c->keyfile);
	mkdir_parents(path);
	write_file(path, hex, 65, 0600);
	free(path);
}

/* Every field but where it was read from (file, filter lines). */
static void
conf_equal(const struct syncd_conf *a, const struct syncd_conf *b)
{
	int	 i;

	assert_string_equal(a->syncdev, b->syncdev);
	assert_int_equal(a->peer_af, b->peer_af);
	assert_memory_equal(a->peer, b->peer, sizeof(a->peer));
	assert_string_equal(a->keyfile, b->keyfile);
	assert_memory_equal(a->key, b->key, sizeof(a->key));
	assert_int_equal(a->node_id, b->node_id);
	assert_string_equal(a->carpd_socket, b->carpd_socket);
	assert_string_equal(a->control_socket, b->control_socket);
	assert_int_equal(a->maxupd, b->maxupd);
	assert_int_equal(a->send_delay_ms, b->send_delay_ms);
	assert_int_equal(a->refresh_s, b->refresh_s);
	assert_string_equal(a->pfsync_if, b->pfsync_if);
	assert_string_equal(a->pcap_file, b->pcap_file);
	assert_int_equal(a->defer, b->defer);
	assert_int_equal(a->log_level, b->log_level);
	assert_string_equal(a->user, b->user);
	assert_int_equal(a->nfilters, b->nfilters);
	for (i = 0; i < a->nfilters; i++) {
		assert_int_equal(a->filters[i].accept, b->filters[i].accept);
		assert_int_equal(a->filters[i].kind, b->filters[i].kind);
		assert_int_equal(a->filters[i].af, b->filters[i].af);
		assert_memory_equal(a->filters[i].addr, b->filters[i].addr,
		    sizeof(a->filters[i].addr));
		assert_int_equal(a->filters[i].plen, b->filters[i].plen);
		assert_int_equal(a->filters[i].proto, b->filters[i].proto);
	}
}

/*
 * The printed form parses without errors; its only warnings are the ones
 * a printed rule cannot avoid (a rule on protocol 112 or 240 is kept).
 */
static void
check_reparse_diag(const struct conf_diag *d)
{
	char		 line[4200];
	const char	*p = d->text;

	assert_int_equal(d->nerrors, 0);
	while ((p = next_line(p, line, sizeof(line))) != NULL)
		if (strstr(line, "is never synced") == NULL)
			fail_msg("unexpected on re-parse: %s", line);
}

static void
test_roundtrip(void **state)
{
	const char		*name = *state;
	struct conf_diag	 d;
	struct syncd_conf	*c1, *c2;
	struct fixture		 fx;
	char			*dir, *path, *t1, *t2;

	fixture_copy(&fx, name);
	conf_diag_init(&d);
	assert_non_null(c1 = parse_as_me(fx.conf, &d));
	conf_diag_free(&d);
	t1 = print_conf(c1);

	dir = make_tmpdir();
	path = xasprintf("%s/syncd.conf", dir);
	write_text(path, t1);
	write_key_of(dir, c1);
	c2 = parse_as_me(path, &d);
	check_reparse_diag(&d);
	assert_non_null(c2);
	conf_equal(c1, c2);
	t2 = print_conf(c2);
	if (strcmp(t1, t2) != 0)
		print_diff("printed twice", t1, t2);
	assert_string_equal(t1, t2);

	rm_tree(dir);
	fixture_free(&fx);
	free(path); free(t1); free(t2);
	sync_conf_free(c1);
	sync_conf_free(c2);
	conf_diag_free(&d);
}

/* ---- fixtures and structs ----------------------------------------- */

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

	for (i = 0; i < NITEMS(fixtures); i++) {
		p = xasprintf("%s/%s/syncd.conf", fixture_dir(), fixtures[i]);
		if (stat(p, &st) != 0)
			fail_msg("fixture %s is missing", p);
		free(p);
	}
	assert_true((n = scandir(fixture_dir(), &ents, NULL, alphasort)) > 0);
	for (j = 0; j < n; j++) {
		p = xasprintf("%s/%s/syncd.conf", fixture_dir(),
		    ents[j]->d_name);
		found = 0;
		for (k = 0; k < NITEMS(fixtures); k++)
			found |= strcmp(fixtures[k], ents[j]->d_name) == 0;
		if (stat(p, &st) == 0 && !found)
			fail_msg("%s is not in fixtures[]", p);
		free(p);
		free(ents[j]);
	}
	free(ents);
}

static void
assert_key_is_0_to_31(const uint8_t *key)
{
	int	 i;

	for (i = 0; i < 32; i++)
		assert_int_equal(key[i], i);
}

/* What the golden output cannot show: every default in the struct. */
static void
test_defaults_struct(void **state)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	struct fixture		 fx;
	(void)state;

	fixture_copy(&fx, "defaults");
	conf_diag_init(&d);
	assert_non_null(c = parse_as_me(fx.conf, &d));
	assert_null(d.text);
	assert_string_equal(c->file, fx.conf);
	assert_string_equal(c->syncdev, "eth2");
	assert_int_equal(c->peer_af, 0);		/* multicast */
	assert_string_equal(c->keyfile, "sync.key");
	assert_key_is_0_to_31(c->key);
	assert_int_equal(c->node_id, 1);
	assert_string_equal(c->carpd_socket, "/run/carpsync/carpd.sock");
	assert_string_equal(c->control_socket, "/run/carpsync/syncd.sock");
	assert_int_equal(c->maxupd, 128);
	assert_int_equal(c->send_delay_ms, 10);
	assert_true(c->send_delay_ms <= 20);		/* issue 3 item 4 */
	assert_int_equal(c->refresh_s, 30);
	assert_string_equal(c->pfsync_if, "pfsync0");
	assert_string_equal(c->pcap_file, "");
	assert_int_equal(c->defer, 0);
	assert_int_equal(c->log_level, LOG_INFO);
	assert_string_equal(c->user, "syncd");
	assert_int_equal(c->nfilters, 0);
	sync_conf_free(c);
	conf_diag_free(&d);
	fixture_free(&fx);
}

static void
test_full_struct(void **state)
{
	static const uint8_t key[32] = {
		0xc0, 0xff, 0xee, 0x00, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
		0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
		0xf0, 0x0d, 0xba, 0xbe, 0x99, 0x88, 0x77, 0x66,
	};
	const struct sync_filter *f;
	struct conf_diag	 d;
	struct syncd_conf	*c;
	struct fixture		 fx;
	uint8_t			 peer[16];
	(void)state;

	fixture_copy(&fx, "full");
	conf_diag_init(&d);
	assert_non_null(c = parse_as_me(fx.conf, &d));
	assert_null(d.text);
	assert_memory_equal(c->key, key, 32);
	assert_int_equal(c->node_id, UINT32_MAX);
	assert_int_equal(c->peer_af, AF_INET6);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff::2", peer), 1);
	assert_memory_equal(c->peer, peer, 16);
	assert_string_equal(c->pfsync_if, "");		/* none */
	assert_int_equal(c->refresh_s, 0);
	assert_int_equal(c->send_delay_ms, 0);
	assert_int_equal(c->log_level, LOG_DEBUG);
	assert_int_equal(c->defer, 1);
	assert_string_equal(c->user, "_syncd.test-1");
	assert_int_equal(c->nfilters, 10);
	f = &c->filters[0];
	assert_int_equal(f->accept, 0);
	assert_int_equal(f->kind, SYNC_F_ADDRESS);
	assert_int_equal(f->af, AF_INET);
	assert_int_equal(f->plen, 32);
	assert_int_equal(f->line, 17);
	f = &c->filters[4];
	assert_int_equal(f->accept, 0);
	assert_int_equal(f->kind, SYNC_F_PROTOCOL);
	assert_int_equal(f->proto, IPPROTO_ICMPV6);
	assert_int_equal(c->filters[9].proto, 0);
	sync_conf_free(c);
	conf_diag_free(&d);
	fixture_free(&fx);
}

/* The key never appears in the printed config, in either case. */
static void
test_key_never_printed(void **state)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	struct fixture		 fx;
	char			*text;
	(void)state;

	fixture_copy(&fx, "full");
	conf_diag_init(&d);
	assert_non_null(c = parse_as_me(fx.conf, &d));
	text = print_conf(c);
	assert_non_null(strstr(text, "\nkeyfile keys/sync.key\n"));
	assert_null(strcasestr(text, "c0ffee"));
	assert_null(strcasestr(text, "f00dbabe"));
	free(text);
	sync_conf_free(c);
	conf_diag_free(&d);
	fixture_free(&fx);
}

static void
test_missing_file(void **state)
{
	struct conf_diag	 d;
	(void)state;

	conf_diag_init(&d);
	assert_null(sync_conf_parse("/nonexistent-carpsync/syncd.conf", 0,
	    &d));
	assert_string_equal(d.text, "/nonexistent-carpsync/syncd.conf: No "
	    "such file or directory\n");
	assert_int_equal(d.nerrors, 1);
	conf_diag_free(&d);
}

/* Errors already in diag belong to the caller; only new ones count. */
static void
test_diag_not_reset(void **state)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*dir = make_tmpdir(), *path;
	(void)state;

	conf_diag_init(&d);
	conf_error(&d, "earlier", 1, "an older error");
	path = write_conf(dir, BASE);
	assert_non_null(c = parse_as_me(path, &d));
	assert_int_equal(d.nerrors, 1);
	sync_conf_free(c);
	free(path);
	path = write_conf(dir, BASE "frobnicate\n");
	assert_null(parse_as_me(path, &d));
	assert_int_equal(d.nerrors, 2);
	assert_memory_equal(d.text, "earlier:1: an older error\n", 26);
	sync_conf_free(NULL);
	conf_diag_free(&d);
	free(path);
	rm_tree(dir);
}

/* ---- values ------------------------------------------------------- */

#define S10	"ssssssssss"
#define SOCK107	"/run/carpsync/" S10 S10 S10 S10 S10 S10 S10 S10 "sssssssss.sck"
#define SOCK108	"/run/carpsync/" S10 S10 S10 S10 S10 S10 S10 S10 S10 ".sck"

/*
 * One line after BASE (so on line 4): either it parses and the printed
 * config holds `print` as a line, or the only diagnostic is
 * "FILE:4: err". `warn`: a warning, on a config that still parses.
 */
static const struct value_case {
	const char	*line, *print, *err, *warn;
} value_cases[] = {
	{ "syncpeer 192.0.2.2", "syncpeer 192.0.2.2", NULL, NULL },
	{ "syncpeer 2001:DB8:0::02", "syncpeer 2001:db8::2", NULL, NULL },
	{ "syncpeer fe80::2", "syncpeer fe80::2", NULL, NULL },
	{ "syncpeer ::ffff:192.0.2.2", "syncpeer ::ffff:192.0.2.2", NULL,
	  NULL },
	{ "syncpeer 224.0.0.240", NULL, "syncpeer: 224.0.0.240 is not a "
	  "unicast address (leave syncpeer out for multicast)", NULL },
	{ "syncpeer 239.255.255.255", NULL, "syncpeer: 239.255.255.255 is not "
	  "a unicast address (leave syncpeer out for multicast)", NULL },
	{ "syncpeer FF02::1", NULL, "syncpeer: ff02::1 is not a unicast "
	  "address (leave syncpeer out for multicast)", NULL },
	{ "syncpeer 0.0.0.0", NULL, "syncpeer: 0.0.0.0 is not a unicast "
	  "address (leave syncpeer out for multicast)", NULL },
	{ "syncpeer ::", NULL, "syncpeer: :: is not a unicast address (leave "
	  "syncpeer out for multicast)", NULL },
	{ "syncpeer 255.255.255.255", NULL, "syncpeer: 255.255.255.255 is not "
	  "a unicast address (leave syncpeer out for multicast)", NULL },
	{ "syncpeer 192.0.2.2/32", NULL, "syncpeer: '192.0.2.2/32' is not an "
	  "IPv4 or IPv6 address", NULL },
	{ "syncpeer peer.example", NULL, "syncpeer: 'peer.example' is not an "
	  "IPv4 or IPv6 address", NULL },
	{ "syncpeer fe80::2%eth2", NULL, "syncpeer: 'fe80::2%eth2' is not an "
	  "IPv4 or IPv6 address", NULL },
	{ "maxupd 0255", "maxupd 255", NULL, NULL },
	{ "send-delay 20", "send-delay 20", NULL, NULL },
	{ "refresh 0", "refresh 0", NULL, NULL },
	{ "refresh 86400", "refresh 86400", NULL, NULL },
	{ "refresh 86401", NULL, "refresh: 86401 is out of range (0-86400)",
	  NULL },
	{ "pfsync-if none", "pfsync-if none", NULL, NULL },
	{ "pfsync-if pfsync0", "pfsync-if pfsync0", NULL, NULL },
	{ "pfsync-if eth2", NULL, "pfsync-if: 'eth2' is also the syncdev; "
	  "syncd creates that interface itself", NULL },
	{ "pcap-file /tmp/x.pcap", "pcap-file /tmp/x.pcap", NULL, NULL },
	{ "pcap-file x.pcap", NULL, "pcap-file: 'x.pcap' is not an absolute "
	  "path", NULL },
	{ "control-socket /run/carpsync/carpd.sock", NULL, "control-socket: "
	  "'/run/carpsync/carpd.sock' is also the carpd-socket; syncd would "
	  "listen on carpd's socket", NULL },
	/* sun_path holds 107 bytes and the NUL */
	{ "control-socket " SOCK107, "control-socket " SOCK107, NULL, NULL },
	{ "control-socket " SOCK108, NULL, "control-socket: path longer than "
	  "107 bytes", NULL },
	{ "carpd-socket /run/c.sock", "carpd-socket /run/c.sock", NULL, NULL },
	{ "defer yes", "defer yes", NULL, NULL },
	{ "log-level notice", "log-level notice", NULL, NULL },
	{ "accept address 10.0.0.0/08", "accept address 10.0.0.0/8", NULL,
	  NULL },
	{ "accept address 192.0.2.7", "accept address 192.0.2.7/32", NULL,
	  NULL },
	{ "accept address 2001:db8::7", "accept address 2001:db8::7/128",
	  NULL, NULL },
	{ "accept address 0.0.0.0/0", "accept address 0.0.0.0/0", NULL, NULL },
	{ "ignore address ::/0", "ignore address ::/0", NULL, NULL },
	{ "ignore address 2001:db8::3/127", "ignore address 2001:db8::2/127",
	  NULL, "ignore: address 2001:db8::3/127 has bits set after the "
	  "prefix; using 2001:db8::2/127" },
	{ "ignore address 192.0.2.255/25", "ignore address 192.0.2.128/25",
	  NULL, "ignore: address 192.0.2.255/25 has bits set after the "
	  "prefix; using 192.0.2.128/25" },
	{ "accept address 1.2.3.4/0", "accept address 0.0.0.0/0", NULL,
	  "accept: address 1.2.3.4/0 has bits set after the prefix; using "
	  "0.0.0.0/0" },
	{ "accept address 10.0.0.0/", NULL, "accept: address '10.0.0.0/' is "
	  "not an IPv4 or IPv6 address[/prefixlen]", NULL },
	{ "accept protocol 112", "accept protocol 112", NULL, "accept: "
	  "protocol 112 (CARP) is never synced, whatever the filters say" },
	{ "ignore protocol 240", "ignore protocol 240", NULL, "ignore: "
	  "protocol 240 (the sync protocol itself) is never synced, whatever "
	  "the filters say" },
	{ "accept protocol 255", "accept protocol 255", NULL, NULL },
	{ "accept protocol 0006", NULL, "accept: protocol '0006' is not a "
	  "protocol name or a number 0-255", NULL },
	{ "accept protocol Tcp", NULL, "accept: protocol 'Tcp' is not a "
	  "protocol name or a number 0-255", NULL },
	{ "accept port 22", NULL, "accept: 'port' is not address or protocol",
	  NULL },
	{ "keyfile k.key", NULL, "keyfile: duplicate (first given on line 2)",
	  NULL },
};

static void
check_value_case(const char *dir, const struct value_case *vc)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*path, *want, *text, *line;

	text = xasprintf(BASE "%s\n", vc->line);
	path = write_conf(dir, text);
	free(text);
	conf_diag_init(&d);
	c = parse_as_me(path, &d);
	if (vc->err != NULL) {
		want = xasprintf("%s:4: %s\n", path, vc->err);
		assert_null(c);
	} else if (vc->warn != NULL)
		want = xasprintf("%s:4: warning: %s\n", path, vc->warn);
	else
		want = xasprintf("%s", "");
	if (strcmp(want, d.text ? d.text : "") != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", vc->line,
		    d.text ? d.text : "", want);
	if (vc->print != NULL) {
		assert_non_null(c);
		text = print_conf(c);
		line = xasprintf("\n%s\n", vc->print);
		if (strstr(text, line) == NULL)
			fail_msg("%s: no line \"%s\" in:\n%s", vc->line,
			    vc->print, text);
		free(text);
		free(line);
	}
	sync_conf_free(c);
	conf_diag_free(&d);
	free(want);
	free(path);
}

static void
test_values(void **state)
{
	char	*dir = make_tmpdir();
	size_t	 i;
	(void)state;

	for (i = 0; i < NITEMS(value_cases); i++)
		check_value_case(dir, &value_cases[i]);
	rm_tree(dir);
}

/* Every protocol name, its number, and the name printed for it. */
static void
test_protocol_names(void **state)
{
	static const struct {
		const char	*name;
		uint8_t		 proto;
		const char	*printed;
	} cases[] = {
		{ "icmp", 1, "icmp" }, { "tcp", 6, "tcp" },
		{ "udp", 17, "udp" }, { "dccp", 33, "dccp" },
		{ "gre", 47, "gre" }, { "esp", 50, "esp" }, { "ah", 51, "ah" },
		{ "ipv6-icmp", 58, "ipv6-icmp" }, { "icmpv6", 58, "ipv6-icmp" },
		{ "sctp", 132, "sctp" }, { "udplite", 136, "udplite" },
		{ "0", 0, "0" }, { "6", 6, "tcp" }, { "058", 58, "ipv6-icmp" },
		{ "41", 41, "41" },
	};
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*dir = make_tmpdir(), *path, *text, *want;
	size_t			 i;
	(void)state;

	for (i = 0; i < NITEMS(cases); i++) {
		text = xasprintf(BASE "ignore protocol %s\n", cases[i].name);
		path = write_conf(dir, text);
		free(text);
		conf_diag_init(&d);
		assert_non_null(c = parse_as_me(path, &d));
		assert_null(d.text);
		assert_int_equal(c->nfilters, 1);
		assert_int_equal(c->filters[0].kind, SYNC_F_PROTOCOL);
		assert_int_equal(c->filters[0].proto, cases[i].proto);
		text = print_conf(c);
		want = xasprintf("\nignore protocol %s\n", cases[i].printed);
		assert_non_null(strstr(text, want));
		free(want);
		free(text);
		sync_conf_free(c);
		conf_diag_free(&d);
		free(path);
	}
	rm_tree(dir);
}

/* ---- keyfile ------------------------------------------------------ */

/*
 * The diagnostics of parsing BASE with k.key holding key, of this mode and
 * (owner >= 0, root only) this owner; "" if none. Paths read "DIR/...".
 */
static char *
keyfile_diag(const char *dir, const void *key, size_t len, mode_t mode,
    long owner, unsigned owner_uid, struct syncd_conf **out)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*path, *kpath, *text;

	path = write_conf(dir, BASE);
	kpath = xasprintf("%s/k.key", dir);
	write_file(kpath, key, len, mode);
	if (owner >= 0)
		assert_int_equal(chown(kpath, (uid_t)owner, (gid_t)-1), 0);
	conf_diag_init(&d);
	c = sync_conf_parse(path, owner_uid, &d);
	assert_int_equal(c == NULL, d.nerrors > 0);
	text = replace_all(d.text ? d.text : "", dir, "DIR");
	if (out != NULL)
		*out = c;
	else
		sync_conf_free(c);
	conf_diag_free(&d);
	free(kpath);
	free(path);
	return text;
}

#define KEYERR(msg)	"DIR/syncd.conf:2: keyfile DIR/k.key: " msg "\n"
#define NEED64	" hexadecimal digits, need exactly 64 (256 bits; `openssl " \
		"rand -hex 32` makes a key)"

static void
test_keyfile_content(void **state)
{
	static const struct {
		const char	*what;
		const char	*text;
		size_t		 len;		/* 0: strlen(text) */
		const char	*err;		/* NULL: valid, key 0..31 */
	} cases[] = {
		{ "lowercase", KEY_LOWER, 0, NULL },
		{ "lowercase + newline", KEY_LOWER "\n", 0, NULL },
		{ "uppercase + newline", KEY_UPPER "\n", 0, NULL },
		{ "uppercase", KEY_UPPER, 0, NULL },
		{ "mixed case + newline", KEY_MIXED "\n", 0, NULL },
		/* the key without its first digit */
		{ "63 digits", &KEY_LOWER "\n"[1], 0, KEYERR("63" NEED64) },
		{ "63 digits, no newline", &KEY_UPPER[1], 0,
		  KEYERR("63" NEED64) },
		{ "65 digits", "0" KEY_LOWER "\n", 0, KEYERR("65" NEED64) },
		{ "empty", "", 0, KEYERR("0" NEED64) },
		{ "newline only", "\n", 0, KEYERR("0" NEED64) },
		{ "32 digits", "000102030405060708090a0b0c0d0e0f\n", 0,
		  KEYERR("32" NEED64) },
		{ "non-hex digit", "000102030g", 0,
		  KEYERR("byte 10 is not a hexadecimal digit") },
		{ "leading blank", " " KEY_LOWER, 0,
		  KEYERR("byte 1 is not a hexadecimal digit") },
		{ "trailing blank", KEY_LOWER " \n", 0,
		  KEYERR("byte 65 is not a hexadecimal digit") },
		{ "CRLF", KEY_LOWER "\r\n", 0,
		  KEYERR("byte 65 is not a hexadecimal digit") },
		{ "0x prefix", "0x" KEY_LOWER, 0,
		  KEYERR("byte 2 is not a hexadecimal digit") },
		{ "NUL inside", "0001\0" KEY_LOWER, 69,
		  KEYERR("byte 5 is not a hexadecimal digit") },
		{ "two newlines", KEY_LOWER "\n\n", 0,
		  KEYERR("more than one line") },
		{ "second line", KEY_LOWER "\nx", 0,
		  KEYERR("more than one line") },
		{ "two keys", KEY_LOWER "\n" KEY_LOWER "\n", 0,
		  KEYERR("130 bytes, too long for a key of 64 hexadecimal "
		  "digits") },
		{ "128 bytes", KEY_LOWER KEY_LOWER, 0, KEYERR("128" NEED64) },
	};
	struct syncd_conf	*c;
	char			*dir = make_tmpdir(), *got;
	size_t			 i, len;
	(void)state;

	for (i = 0; i < NITEMS(cases); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].text);
		got = keyfile_diag(dir, cases[i].text, len, 0600, -1,
		    geteuid(), &c);
		if (strcmp(got, cases[i].err ? cases[i].err : "") != 0)
			fail_msg("%s: got \"%s\"", cases[i].what, got);
		if (cases[i].err == NULL) {
			assert_non_null(c);
			assert_key_is_0_to_31(c->key);
			assert_string_equal(c->keyfile, "k.key");
		}
		sync_conf_free(c);
		free(got);
	}
	rm_tree(dir);
}

static void
test_keyfile_mode(void **state)
{
	static const struct {
		mode_t		 mode;
		int		 ok;
	} cases[] = {
		{ 0600, 1 }, { 0400, 1 }, { 0700, 1 }, { 04600, 1 },
		{ 0644, 0 }, { 0640, 0 }, { 0604, 0 }, { 0660, 0 },
		{ 0610, 0 }, { 0601, 0 }, { 0602, 0 }, { 0620, 0 },
		{ 0666, 0 }, { 0777, 0 }, { 0440, 0 },
	};
	char	*dir = make_tmpdir(), *got, *want;
	size_t	 i;
	(void)state;

	for (i = 0; i < NITEMS(cases); i++) {
		got = keyfile_diag(dir, KEY_LOWER "\n", 65, cases[i].mode,
		    -1, geteuid(), NULL);
		want = cases[i].ok ? xasprintf("%s", "") :
		    xasprintf(KEYERR("mode %04o allows group or others; "
		    "chmod 600 it"), (unsigned)cases[i].mode);
		if (strcmp(got, want) != 0)
			fail_msg("mode %04o: got \"%s\"",
			    (unsigned)cases[i].mode, got);
		free(got);
		free(want);
	}
	rm_tree(dir);
}

/* Each bad keyfile line on its own: the one error it gives. */
static void
keyfile_errors_one_by_one(const char *dir, const char *longname)
{
	static const struct {
		const char	*word, *err;
	} cases[] = {
		{ "dir.key", "keyfile DIR/dir.key: not a regular file" },
		{ "fifo.key", "keyfile DIR/fifo.key: not a regular file" },
		{ "nothing.key", "keyfile DIR/nothing.key: No such file or "
		  "directory" },
		{ "dangling.key", "keyfile DIR/dangling.key: No such file or "
		  "directory" },
		{ "\"\"", "keyfile: empty path" },
		{ NULL, "keyfile: path longer than 255 bytes" },
	};
	struct conf_diag	 d;
	char			*text, *conf, *got, *want;
	size_t			 i;

	for (i = 0; i < NITEMS(cases); i++) {
		text = xasprintf("syncdev eth2\nnode-id 1\nkeyfile %s\n",
		    cases[i].word ? cases[i].word : longname);
		conf = write_conf(dir, text);
		conf_diag_init(&d);
		assert_null(parse_as_me(conf, &d));
		got = replace_all(d.text, dir, "DIR");
		want = xasprintf("DIR/syncd.conf:3: %s\n", cases[i].err);
		assert_string_equal(got, want);
		free(want);
		free(got);
		conf_diag_free(&d);
		free(text);
		free(conf);
	}
}

/* Where a keyfile is looked for: relative to the config, or absolute. */
static void
test_keyfile_paths(void **state)
{
	static const char *const words[] = {
		"sub/s.key",		/* relative to the config's directory */
		"%s/sub/s.key",		/* absolute */
		"link.key",		/* followed; its target is checked */
		"./sub/../sub/s.key",
	};
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*dir = make_tmpdir(), *p, *word, *text, *conf;
	size_t			 i;
	(void)state;

	p = xasprintf("%s/sub", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/sub/s.key", dir);
	write_file(p, KEY_UPPER, 64, 0600);
	free(p);
	p = xasprintf("%s/link.key", dir);
	assert_int_equal(symlink("sub/s.key", p), 0);
	free(p);
	for (i = 0; i < NITEMS(words); i++) {
		word = xasprintf(words[i], dir);
		text = xasprintf("syncdev eth2\nkeyfile %s\nnode-id 1\n", word);
		conf = write_conf(dir, text);
		conf_diag_init(&d);
		assert_non_null(c = parse_as_me(conf, &d));
		assert_null(d.text);
		assert_key_is_0_to_31(c->key);
		assert_string_equal(c->keyfile, word);	/* as given */
		sync_conf_free(c);
		conf_diag_free(&d);
		free(conf);
		free(text);
		free(word);
	}
	rm_tree(dir);
}

/* What a keyfile may not be: each case is the one error of its config. */
static void
test_keyfile_kinds(void **state)
{
	char	*dir = make_tmpdir(), *p;
	char	 longname[300];
	(void)state;

	p = xasprintf("%s/dir.key", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	free(p);
	p = xasprintf("%s/fifo.key", dir);
	assert_int_equal(mkfifo(p, 0600), 0);	/* must not block */
	free(p);
	p = xasprintf("%s/dangling.key", dir);
	assert_int_equal(symlink("nothing-here", p), 0);
	free(p);
	memset(longname, 'k', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	keyfile_errors_one_by_one(dir, longname);
	rm_tree(dir);
}

/*
 * Owner: root or key_owner_uid. Runs as root (CI) and as a user: each
 * arranges the owners it can. A root-owned keyfile cannot be made without
 * root, so a user checks only its own file against other uids.
 */
static void
test_keyfile_owner(void **state)
{
	unsigned	 me = geteuid(), other;
	long		 owner = -1;		/* keep the file as created */
	char		*dir = make_tmpdir(), *got, *want;
	(void)state;

	if (me == 0) {
		/* root-owned: accepted whatever the daemon's user is */
		got = keyfile_diag(dir, KEY_LOWER, 64, 0600, -1, 0, NULL);
		assert_string_equal(got, "");
		free(got);
		got = keyfile_diag(dir, KEY_LOWER, 64, 0600, -1, 4242, NULL);
		assert_string_equal(got, "");
		free(got);
		/* then a file of uid 4242 stands for the user's own */
		me = 4242;
		owner = 4242;
	} else
		print_message("  (not root: a root-owned keyfile cannot be "
		    "made; that case is skipped)\n");
	other = me + 1;

	/* owned by `me`: fine for me, refused for anyone else and root */
	got = keyfile_diag(dir, KEY_LOWER, 64, 0600, owner, me, NULL);
	assert_string_equal(got, "");
	free(got);
	got = keyfile_diag(dir, KEY_LOWER, 64, 0600, owner, other, NULL);
	want = xasprintf(KEYERR("owned by uid %u, not by root or uid %u; "
	    "chown root it"), me, other);
	assert_string_equal(got, want);
	free(got);
	free(want);
	got = keyfile_diag(dir, KEY_LOWER, 64, 0600, owner, 0, NULL);
	want = xasprintf(KEYERR("owned by uid %u, not by root; chown root "
	    "it"), me);
	assert_string_equal(got, want);
	free(got);
	free(want);

	/* wrong owner and wrong mode: both reported */
	got = keyfile_diag(dir, KEY_LOWER, 64, 0640, owner, other, NULL);
	want = xasprintf(KEYERR("owned by uid %u, not by root or uid %u; "
	    "chown root it") KEYERR("mode 0640 allows group or others; "
	    "chmod 600 it"), me, other);
	assert_string_equal(got, want);
	free(got);
	free(want);
	rm_tree(dir);
}

/* ---- filters ------------------------------------------------------ */

struct probe {
	const char	*src, *dst;
	uint8_t		 proto;
	int		 want;
};

static const struct filter_case {
	const char	*rules;
	struct probe	 probes[8];
} filter_cases[] = {
	{ "", {
		{ "192.0.2.1", "198.51.100.1", 6, 1 },
		{ "2001:db8::1", "2001:db8::2", 17, 1 },
		{ "10.0.0.1", "10.0.0.2", 0, 1 } } },
	{ "ignore address 10.0.0.0/8\n", {
		{ "10.1.2.3", "192.0.2.1", 6, 0 },	/* either end */
		{ "192.0.2.1", "10.255.255.255", 6, 0 },
		{ "192.0.2.1", "198.51.100.1", 6, 1 },
		{ "11.0.0.1", "9.255.255.255", 6, 1 },
		{ "2001:db8::1", "2001:db8::2", 6, 1 } } },
	{ "accept address 192.0.2.0/24\n", {
		{ "192.0.2.5", "203.0.113.1", 6, 1 },
		{ "203.0.113.1", "192.0.2.255", 17, 1 },
		{ "198.51.100.1", "203.0.113.1", 6, 0 },
		/* an IPv6 state matches no IPv4 accept rule */
		{ "2001:db8::1", "2001:db8::2", 6, 0 } } },
	{ "accept address 192.0.2.0/24\naccept address 2001:db8::/32\n", {
		{ "2001:db8:ffff::1", "2001:db9::1", 6, 1 },
		{ "2001:db9::1", "2001:db9::2", 6, 0 },
		{ "192.0.2.9", "192.0.2.10", 6, 1 },
		{ "192.0.3.1", "192.0.1.1", 6, 0 } } },
	{ "accept protocol tcp\naccept protocol udp\n", {
		{ "192.0.2.1", "192.0.2.2", 6, 1 },
		{ "192.0.2.1", "192.0.2.2", 17, 1 },
		{ "192.0.2.1", "192.0.2.2", 1, 0 },
		{ "2001:db8::1", "2001:db8::2", 58, 0 } } },
	/* both kinds: one of each must match */
	{ "accept address 192.0.2.0/24\naccept protocol tcp\n", {
		{ "192.0.2.1", "198.51.100.1", 6, 1 },
		{ "192.0.2.1", "198.51.100.1", 17, 0 },
		{ "198.51.100.1", "198.51.100.2", 6, 0 } } },
	/* ignore wins over accept */
	{ "accept address 192.0.2.0/24\nignore address 192.0.2.128/25\n", {
		{ "192.0.2.5", "198.51.100.1", 6, 1 },
		{ "192.0.2.200", "198.51.100.1", 6, 0 },
		{ "192.0.2.5", "192.0.2.129", 6, 0 } } },
	{ "ignore protocol icmp\naccept protocol icmp\naccept protocol tcp\n", {
		{ "192.0.2.1", "192.0.2.2", 1, 0 },
		{ "192.0.2.1", "192.0.2.2", 6, 1 } } },
	{ "accept protocol tcp\nignore address 192.0.2.1\n", {
		{ "192.0.2.1", "192.0.2.2", 6, 0 },
		{ "192.0.2.3", "192.0.2.2", 6, 1 },
		{ "192.0.2.3", "192.0.2.2", 132, 0 } } },
	/* prefix edges, including lengths that are not whole bytes */
	{ "accept address 192.0.2.0/23\n", {
		{ "192.0.3.255", "10.0.0.1", 6, 1 },
		{ "192.0.2.0", "10.0.0.1", 6, 1 },
		{ "192.0.4.0", "10.0.0.1", 6, 0 },
		{ "192.0.1.255", "10.0.0.1", 6, 0 } } },
	{ "ignore address 2001:db8::/127\n", {
		{ "2001:db8::1", "2001:db9::1", 6, 0 },
		{ "2001:db8::", "2001:db9::1", 6, 0 },
		{ "2001:db8::2", "2001:db9::1", 6, 1 } } },
	{ "accept address 0.0.0.0/0\n", {
		{ "192.0.2.1", "192.0.2.2", 6, 1 },
		{ "2001:db8::1", "2001:db8::2", 6, 0 } } },
	{ "ignore address ::/0\n", {
		{ "192.0.2.1", "192.0.2.2", 6, 1 },
		{ "::1", "2001:db8::2", 6, 0 } } },
	{ "ignore address 10.0.0.1\n", {
		{ "10.0.0.1", "192.0.2.1", 6, 0 },
		{ "10.0.0.2", "192.0.2.1", 6, 1 },
		{ "10.0.0.0", "192.0.2.1", 6, 1 } } },
	/* an IPv4 rule never matches IPv6 bytes that look the same */
	{ "ignore address 10.0.0.0/8\n", {
		{ "a00::1", "a00::2", 6, 1 },
		{ "::ffff:10.0.0.1", "::ffff:10.0.0.2", 6, 1 } } },
	{ "accept protocol 0\n", {
		{ "10.0.0.1", "10.0.0.2", 0, 1 },
		{ "10.0.0.1", "10.0.0.2", 255, 0 } } },
};

/* An address in a buffer of exactly its size, so ASan sees overreads. */
static uint8_t *
probe_addr(const char *s, int *af)
{
	uint8_t	 tmp[16], *p;
	size_t	 n;

	*af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;
	assert_int_equal(inet_pton(*af, s, tmp), 1);
	n = *af == AF_INET ? 4 : 16;
	assert_non_null(p = malloc(n));
	memcpy(p, tmp, n);
	return p;
}

static void
test_filter(void **state)
{
	const struct probe	*pr;
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*dir = make_tmpdir(), *text, *path;
	uint8_t			*src, *dst;
	size_t			 i, j;
	int			 af, af2;
	(void)state;

	for (i = 0; i < NITEMS(filter_cases); i++) {
		text = xasprintf(BASE "%s", filter_cases[i].rules);
		path = write_conf(dir, text);
		conf_diag_init(&d);
		assert_non_null(c = parse_as_me(path, &d));
		assert_null(d.text);
		for (j = 0; j < NITEMS(filter_cases[i].probes); j++) {
			pr = &filter_cases[i].probes[j];
			if (pr->src == NULL)
				break;
			src = probe_addr(pr->src, &af);
			dst = probe_addr(pr->dst, &af2);
			assert_int_equal(af, af2);
			if (sync_conf_filter(c, af, src, dst, pr->proto) !=
			    pr->want)
				fail_msg("rules \"%s\": %s -> %s proto %u: "
				    "want %d", filter_cases[i].rules, pr->src,
				    pr->dst, pr->proto, pr->want);
			free(src);
			free(dst);
		}
		sync_conf_free(c);
		conf_diag_free(&d);
		free(path);
		free(text);
	}
	rm_tree(dir);
}

/* ---- syncdev's own prefixes (sync_local_*, sync_conf_synced) -------- */

static void
local_add(struct sync_local *l, const char *s, int plen, int want)
{
	uint8_t	*a;
	int	 af;

	a = probe_addr(s, &af);
	if (sync_local_add(l, af, a, plen) != want)
		fail_msg("add %s/%d: want %d", s, plen, want);
	free(a);
}

static int
local_match(const struct sync_local *l, const char *s, const char *d)
{
	uint8_t	*src, *dst;
	int	 af, af2, m;

	src = probe_addr(s, &af);
	dst = probe_addr(d, &af2);
	assert_int_equal(af, af2);
	m = sync_local_match(l, af, src, dst);
	free(src);
	free(dst);
	return m;
}

static void
test_local(void **state)
{
	struct sync_local	 l;
	(void)state;

	sync_local_clear(&l);
	assert_int_equal(local_match(&l, "203.0.113.1", "203.0.113.2"), 0);
	local_add(&l, "203.0.113.1", 24, 0);
	local_add(&l, "2001:db8:5::1", 64, 0);
	local_add(&l, "fe80::1:2", 64, 0);
	local_add(&l, "169.254.7.7", 16, 0);
	local_add(&l, "203.0.113.9", 24, 0);	/* the same prefix: once */
	assert_int_equal(l.n, 4);
	/* an ssh between the firewalls, and any host on the sync link */
	assert_int_equal(local_match(&l, "203.0.113.1", "203.0.113.2"), 1);
	assert_int_equal(local_match(&l, "198.51.100.7", "203.0.113.200"), 1);
	assert_int_equal(local_match(&l, "203.0.113.77", "192.0.2.1"), 1);
	assert_int_equal(local_match(&l, "2001:db8:5::99", "2001:db8:9::1"), 1);
	/* through the firewall: synced */
	assert_int_equal(local_match(&l, "192.0.2.10", "198.51.100.10"), 0);
	assert_int_equal(local_match(&l, "203.0.112.255", "203.0.114.0"), 0);
	assert_int_equal(local_match(&l, "2001:db8:6::1", "2001:db8:9::1"), 0);
	/* link-local: our own address only, not every link's prefix */
	assert_int_equal(local_match(&l, "fe80::1:2", "fe80::9"), 1);
	assert_int_equal(local_match(&l, "fe80::5", "fe80::9"), 0);
	assert_int_equal(local_match(&l, "169.254.7.7", "192.0.2.1"), 1);
	assert_int_equal(local_match(&l, "169.254.7.8", "192.0.2.1"), 0);
	/* an IPv4 prefix never matches an IPv6 state, nor the reverse */
	assert_int_equal(local_match(&l, "::ffff:203.0.113.1", "::1"), 0);
	assert_int_equal(sync_local_match(NULL, AF_INET,
	    (const uint8_t[4]){ 203, 0, 113, 1 },
	    (const uint8_t[4]){ 203, 0, 113, 2 }), 0);
	sync_local_clear(&l);
	assert_int_equal(l.n, 0);
	assert_int_equal(local_match(&l, "203.0.113.1", "203.0.113.2"), 0);
}

static void
test_local_limits(void **state)
{
	struct sync_local	 l;
	char			 a[32];
	int			 i;
	(void)state;

	sync_local_clear(&l);
	for (i = 0; i < SYNC_MAX_LOCAL; i++) {
		snprintf(a, sizeof(a), "198.51.100.%d", i);
		local_add(&l, a, 32, 0);
	}
	assert_int_equal(l.full, 0);
	local_add(&l, "198.51.100.200", 32, -1);
	assert_int_equal(l.full, 1);
	assert_int_equal(l.n, SYNC_MAX_LOCAL);
	local_add(&l, "198.51.100.3", 32, 0);	/* a duplicate still fits */
	sync_local_clear(&l);
	local_add(&l, "203.0.113.1", 33, -1);
	local_add(&l, "2001:db8::1", 129, -1);
	local_add(&l, "203.0.113.1", -1, -1);
	assert_int_equal(sync_local_add(&l, AF_UNIX,
	    (const uint8_t[4]){ 1, 2, 3, 4 }, 8), -1);
	assert_int_equal(sync_local_add(&l, AF_INET, NULL, 8), -1);
	assert_int_equal(l.n, 0);
	assert_int_equal(l.full, 0);
}

/* The local prefixes first, then the filters. */
static void
test_synced(void **state)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	struct sync_local	 l;
	char			*dir = make_tmpdir(), *path;
	static const uint8_t	 fw1[4] = { 203, 0, 113, 1 },
				 fw2[4] = { 203, 0, 113, 2 },
				 cl[4] = { 192, 0, 2, 10 },
				 srv[4] = { 198, 51, 100, 10 };
	(void)state;

	path = write_conf(dir, BASE "ignore protocol udp\n");
	conf_diag_init(&d);
	assert_non_null(c = parse_as_me(path, &d));
	sync_local_clear(&l);
	local_add(&l, "203.0.113.1", 24, 0);
	assert_int_equal(sync_conf_synced(c, &l, AF_INET, fw1, fw2, 6), 0);
	assert_int_equal(sync_conf_synced(c, &l, AF_INET, cl, srv, 6), 1);
	assert_int_equal(sync_conf_synced(c, &l, AF_INET, cl, srv, 17), 0);
	/* without a list (netlink unusable) only the filters decide */
	assert_int_equal(sync_conf_synced(c, NULL, AF_INET, fw1, fw2, 6), 1);
	sync_conf_free(c);
	conf_diag_free(&d);
	free(path);
	rm_tree(dir);
}

/* ---- conf/syncd.conf.example ---------------------------------------- */

/* The example, as shipped and with every commented keyword line enabled. */
static void
test_example(void **state)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;
	char			*src, *text, *dir = make_tmpdir(), *path, *p;
	int			 pass;
	(void)state;

	/* conf/ is a sibling of tests/ */
	src = xasprintf("%s/../../conf/syncd.conf.example", fixture_dir());
	assert_non_null(text = read_text(src));
	p = xasprintf("%s/syncd.key", dir);
	write_file(p, KEY_LOWER "\n", 65, 0600);
	free(p);
	path = xasprintf("%s/syncd.conf", dir);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1)		/* "#keyword ..." lines switched on */
			for (p = text; (p = strstr(p, "\n#")) != NULL; p++)
				if (p[2] >= 'a' && p[2] <= 'z')
					p[1] = ' ';
		write_text(path, text);
		conf_diag_init(&d);
		c = parse_as_me(path, &d);
		if (d.text != NULL)
			fail_msg("pass %d: %s", pass, d.text);
		assert_non_null(c);
		assert_int_equal(c->node_id, 1);
		assert_int_equal(c->peer_af, pass ? AF_INET : 0);
		assert_int_equal(c->nfilters, pass ? 8 : 0);
		sync_conf_free(c);
		conf_diag_free(&d);
	}
	free(path);
	free(text);
	free(src);
	rm_tree(dir);
}

int
main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_fixture_list),
		cmocka_unit_test(test_defaults_struct),
		cmocka_unit_test(test_full_struct),
		cmocka_unit_test(test_key_never_printed),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_diag_not_reset),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_protocol_names),
		cmocka_unit_test(test_keyfile_content),
		cmocka_unit_test(test_keyfile_mode),
		cmocka_unit_test(test_keyfile_paths),
		cmocka_unit_test(test_keyfile_kinds),
		cmocka_unit_test(test_keyfile_owner),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_local),
		cmocka_unit_test(test_local_limits),
		cmocka_unit_test(test_synced),
		cmocka_unit_test(test_example),
	};
	struct CMUnitTest	 tests[NITEMS(fixtures) * 2 + NITEMS(fixed)];
	char			*names[NITEMS(fixtures) * 2];
	size_t			 i, n = 0, nn = 0;
	int			 rv;

	for (i = 0; i < NITEMS(fixed); i++)
		tests[n++] = fixed[i];
	for (i = 0; i < NITEMS(fixtures); i++) {
		names[nn] = xasprintf("golden/%s", fixtures[i]);
		tests[n++] = (struct CMUnitTest){ names[nn++], test_golden,
		    NULL, NULL, (void *)fixtures[i] };
		if (strncmp(fixtures[i], "err-", 4) == 0)
			continue;
		names[nn] = xasprintf("roundtrip/%s", fixtures[i]);
		tests[n++] = (struct CMUnitTest){ names[nn++], test_roundtrip,
		    NULL, NULL, (void *)fixtures[i] };
	}
	rv = _cmocka_run_group_tests("test_sync_conf", tests, n, NULL, NULL);
	for (i = 0; i < nn; i++)
		free(names[i]);
	return rv;
}
