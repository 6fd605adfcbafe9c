/*
 * fuzz_carp_conf.c: libFuzzer target for carpd's config parser
 * (carpd/carp_conf.c, common/conf_lex.c): the global file and the vhost
 * files it includes, with their passfiles and authkeyfiles.
 *
 * The input is a set of files (fuzz_conf.h): the main part is carpd.conf,
 * each "%% NAME" part one more file next to it that an `include` or a
 * `passfile` or `authkeyfile` may name (the fuzzer's files are 0600 and
 * its own, so they pass the keyfile checks). Every read stays in the
 * fuzzer's own directory.
 * Inputs with more than MAX_INCLUDES "include" are skipped (speed).
 *
 * Checks: a config comes back exactly when no error was counted; a
 * config's values are in their documented ranges, vhosts sorted by vhid;
 * printed (carp_conf_print), laid out again as a global file and one
 * vhost file per block (as tests/unit/test_carp_conf.c does) and parsed
 * again, it gives the same config without an error or a new warning, and
 * prints the same. Everything the parser allocates is freed (LeakSanitizer).
 *
 * Seeds: tests/fuzz/corpus/fuzz_carp_conf, from tests/conf and conf/ by
 * tests/fuzz/mk_conf_seeds.sh.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carp_conf.h"
#include "conf_lex.h"
#include "fuzz_conf.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAIN		"carpd.conf"
#define VHOST_MARK	"\n\n# vhost from "
/*
 * Each include reads every file it matches again (up to 255 vhosts), so
 * inputs that repeat it grow in the corpus and cost hundreds of parses
 * each: the fuzzer runs 10x slower. Inputs naming it more often are
 * skipped; the 255-vhost limit is left to the unit tests.
 */
#define MAX_INCLUDES	6	/* tests/conf/err-include has 6 */

static const char	*dir;

static struct carpd_conf *
parse(const char *sub, struct conf_diag *d)
{
	struct carpd_conf	*c;
	char			 path[256];

	snprintf(path, sizeof(path), "%s/%s/" MAIN, dir, sub);
	conf_diag_init(d);
	fuzz_conf_guard(1);
	/* our files are ours: root in CI, a developer's uid elsewhere */
	c = carp_conf_parse_as(path, (unsigned)geteuid(), d);
	fuzz_conf_guard(0);
	FUZZ_CHECK((c == NULL) == (d->nerrors > 0));
	FUZZ_CHECK((d->text != NULL) == (d->nerrors + d->nwarnings > 0));
	return c;
}

/* A carpnodes group's node: its place in the group, the group complete. */
static void
check_node(const struct carpd_conf *c, const struct carp_vhost_conf *v)
{
	const struct carp_vhost_conf	*n;
	int				 k;

	FUZZ_CHECK(v->nnodes >= 1 && v->nnodes <= CARP_MAX_NODES);
	FUZZ_CHECK(v->node_index >= 0 && v->node_index < v->nnodes);
	FUZZ_CHECK(v->node_vhids[v->node_index] == v->vhid);
	FUZZ_CHECK(v->leader == v->node_vhids[0]);
	FUZZ_CHECK((v->balancing != CARP_BAL_NONE) == (v->nnodes > 1));
	FUZZ_CHECK(v->balancing <= CARP_BAL_IP_UNICAST &&
	    v->balance_side <= CARP_BAL_WAN);
	FUZZ_CHECK(v->balancing == CARP_BAL_NONE ||
	    v->lladdr == CARP_LLADDR_VIRTUAL);
	for (k = 0; k < v->nnodes; k++) {
		FUZZ_CHECK(k == 0 || v->node_vhids[k - 1] < v->node_vhids[k]);
		FUZZ_CHECK((n = carp_conf_node(c, v, k)) != NULL);
		FUZZ_CHECK(n->node_index == k && n->nnodes == v->nnodes);
		FUZZ_CHECK(strcmp(n->ifname, v->ifname) == 0);
		FUZZ_CHECK(memcmp(n->key, v->key, CARP_KEY_LEN) == 0);
	}
}

/* What carp_conf.h promises of a parsed config. */
static void
check_values(const struct carpd_conf *c)
{
	const struct carp_vhost_conf	*v;
	int				 i;

	FUZZ_CHECK(c->nvhosts >= 0 && c->nvhosts <= CARP_MAX_VHOSTS);
	FUZZ_CHECK(c->startup_demote >= 0 && c->startup_demote <= 255);
	FUZZ_CHECK(c->control_socket[0] == '/');
	for (i = 0; i < c->nvhosts; i++) {
		v = &c->vhosts[i];
		FUZZ_CHECK(v->vhid >= 1);
		FUZZ_CHECK(i == 0 || v[-1].vhid <= v->vhid);
		FUZZ_CHECK(v->carpdev[0] != '\0' && v->ifname[0] != '\0');
		FUZZ_CHECK(v->naddrs >= 1 && v->naddrs <= CARP_MAX_ADDRS);
		FUZZ_CHECK(v->advbase <= 254 && v->advskew <= 254);
		FUZZ_CHECK(v->ngroups >= 0 && v->ngroups <= CARP_MAX_GROUPS);
		FUZZ_CHECK(v->key[CARP_KEY_LEN - 1] == 0);
		FUZZ_CHECK(v->peer.af == 0 || v->peer.af == AF_INET);
		FUZZ_CHECK(v->auth == CARP_AUTH_OFF ||
		    v->auth == CARP_AUTH_COMPAT || v->auth == CARP_AUTH_STRICT);
		/* an authkeyfile with auth off is only a warning */
		FUZZ_CHECK(v->auth == CARP_AUTH_OFF ||
		    v->authkeyfile[0] != '\0');
		FUZZ_CHECK(carp_conf_vhost(c, v->vhid) != NULL);
		check_node(c, v);
	}
}

static char *
print_conf(const struct carpd_conf *c)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;

	FUZZ_CHECK((fp = open_memstream(&text, &len)) != NULL);
	carp_conf_print(fp, c);
	FUZZ_CHECK(fclose(fp) == 0);
	return text;
}

/* The text without its "# vhost from FILE" lines (they name the file). */
static void
strip_origin(char *text)
{
	char	*p, *eol;

	while ((p = strstr(text, "# vhost from ")) != NULL) {
		eol = strchr(p, '\n');
		FUZZ_CHECK(eol != NULL);
		memmove(p, eol + 1, strlen(eol + 1) + 1);
	}
}

/* A relative path without "." and empty components, into out. */
static void
normalise(const char *s, char *out, size_t cap)
{
	size_t	 n, o = 0;

	out[0] = '\0';
	while (*s != '\0') {
		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (n > 0 && !(n == 1 && s[0] == '.') && o + n + 2 < cap) {
			if (o > 0)
				out[o++] = '/';
			memcpy(out + o, s, n);
			o += n;
			out[o] = '\0';
		}
		s += n;
	}
}

/* The files of the new layout: names and contents stay valid until put. */
struct layout {
	struct fuzz_file	 f[1 + 3 * CARP_MAX_VHOSTS];
	size_t			 n;
	char			 names[3 * CARP_MAX_VHOSTS][280];
	char			 texts[2 * CARP_MAX_VHOSTS][2 * CARP_AUTHKEY_LEN + 2];
	size_t			 nkeys;		/* key files so far */
};

static void
add(struct layout *lo, const char *name, const void *p, size_t n)
{
	lo->f[lo->n++] = (struct fuzz_file){ name, p, n };
}

/*
 * A passfile or authkeyfile of the printed config, written again next to
 * the new vhost files with text (the phrase, the key in hex). 0, or -1
 * when the layout cannot hold it (an absolute path, a name the include
 * would read as a vhost, one name for two texts): no round trip then.
 */
static int
add_keyfile(struct layout *lo, size_t nblocks, const char *file,
    const char *text)
{
	char		 norm[256];
	size_t		 len, j, k;

	if (file[0] == '/')
		return -1;
	normalise(file, norm, sizeof(norm));
	len = strlen(norm);
	if (len == 0 || (len >= 5 && strcmp(norm + len - 5, ".conf") == 0))
		return -1;
	for (j = 0; j < lo->nkeys; j++) {
		k = nblocks + j;
		if (strcmp(lo->names[k] + 3, norm) == 0)
			return strcmp(lo->texts[j], text) == 0 ? 0 : -1;
	}
	k = nblocks + lo->nkeys;
	snprintf(lo->names[k], sizeof(lo->names[k]), "vh/%s", norm);
	snprintf(lo->texts[lo->nkeys], sizeof(lo->texts[0]), "%s", text);
	add(lo, lo->names[k], lo->texts[lo->nkeys],
	    strlen(lo->texts[lo->nkeys]));
	lo->nkeys++;
	return 0;
}

/* Each vhost's passfile (its key as the phrase) and authkeyfile. */
static int
add_keyfiles(struct layout *lo, const struct carpd_conf *c, size_t nblocks)
{
	char	 text[2 * CARP_AUTHKEY_LEN + 2];
	int	 i, k;

	for (i = 0; i < c->nvhosts; i++) {
		const struct carp_vhost_conf *v = &c->vhosts[i];

		if (v->passfile[0] != '\0') {
			snprintf(text, sizeof(text), "%.*s\n", CARP_KEY_LEN,
			    (const char *)v->key);
			if (add_keyfile(lo, nblocks, v->passfile, text) == -1)
				return -1;
		}
		if (v->authkeyfile[0] != '\0') {
			for (k = 0; k < CARP_AUTHKEY_LEN; k++)
				snprintf(text + 2 * k, 3, "%02x", v->authkey[k]);
			text[2 * CARP_AUTHKEY_LEN] = '\n';
			text[2 * CARP_AUTHKEY_LEN + 1] = '\0';
			if (add_keyfile(lo, nblocks, v->authkeyfile, text) == -1)
				return -1;
		}
	}
	return 0;
}

/* The printed blocks: one per group (its leader), ordinary ones too. */
static int
count_blocks(const struct carpd_conf *c)
{
	int	 i, n = 0;

	for (i = 0; i < c->nvhosts; i++)
		n += c->vhosts[i].node_index == 0;
	return n;
}

/* DIR/rt/carpd.conf: the global part and an include of DIR/rt/vh/. */
static int
write_layout(const char *text, const struct carpd_conf *c)
{
	static struct layout	 lo;
	const char		*p, *next;
	char			*global;
	size_t			 glen, i;
	int			 rv = -1;

	lo.n = 0;
	lo.nkeys = 0;
	p = strstr(text, VHOST_MARK);
	glen = p != NULL ? (size_t)(p - text) + 1 : strlen(text);
	FUZZ_CHECK(asprintf(&global, "%.*sinclude \"vh/*.conf\"\n", (int)glen,
	    text) > 0);
	add(&lo, MAIN, global, strlen(global));
	for (i = 0; p != NULL; i++, p = next) {
		p += 2;		/* to the "# vhost from" line */
		next = strstr(p, VHOST_MARK);
		FUZZ_CHECK(i < CARP_MAX_VHOSTS);
		snprintf(lo.names[i], sizeof(lo.names[i]), "vh/%03zu.conf", i);
		add(&lo, lo.names[i], p, next != NULL ? (size_t)(next - p) + 1 :
		    strlen(p));
	}
	FUZZ_CHECK(i == (size_t)count_blocks(c));
	if (add_keyfiles(&lo, c, i) == 0 &&
	    fuzz_conf_put(FUZZ_RT, lo.f, lo.n) == (int)lo.n)
		rv = 0;
	free(global);
	return rv;
}

static void
addr_equal(const struct carp_addr *a, const struct carp_addr *b)
{
	FUZZ_CHECK(a->af == b->af && a->plen == b->plen &&
	    memcmp(a->addr, b->addr, sizeof(a->addr)) == 0);
}

/* Every field but where it was defined (file, line). */
static void
vhost_equal(const struct carp_vhost_conf *a, const struct carp_vhost_conf *b)
{
	int	 i;

	FUZZ_CHECK(a->vhid == b->vhid);
	FUZZ_CHECK(strcmp(a->carpdev, b->carpdev) == 0);
	FUZZ_CHECK(strcmp(a->ifname, b->ifname) == 0);
	FUZZ_CHECK(a->naddrs == b->naddrs);
	for (i = 0; i < a->naddrs; i++)
		addr_equal(&a->addrs[i], &b->addrs[i]);
	FUZZ_CHECK(a->advbase == b->advbase && a->advskew == b->advskew);
	FUZZ_CHECK(a->has_key == b->has_key);
	FUZZ_CHECK(memcmp(a->key, b->key, CARP_KEY_LEN) == 0);
	FUZZ_CHECK(strcmp(a->passfile, b->passfile) == 0);
	addr_equal(&a->peer, &b->peer);
	FUZZ_CHECK(a->ngroups == b->ngroups);
	for (i = 0; i < a->ngroups; i++)
		FUZZ_CHECK(strcmp(a->groups[i], b->groups[i]) == 0);
	FUZZ_CHECK(a->lladdr == b->lladdr && a->init_state == b->init_state);
	FUZZ_CHECK(a->auth == b->auth);
	FUZZ_CHECK(memcmp(a->authkey, b->authkey, CARP_AUTHKEY_LEN) == 0);
	FUZZ_CHECK(strcmp(a->authkeyfile, b->authkeyfile) == 0);
	FUZZ_CHECK(a->balancing == b->balancing &&
	    a->balance_side == b->balance_side && a->leader == b->leader &&
	    a->node_index == b->node_index && a->nnodes == b->nnodes &&
	    memcmp(a->node_vhids, b->node_vhids, CARP_MAX_NODES) == 0);
}

/* nwarn: the first parse's warnings; those about values stay (an
 * unused authkeyfile), those about the way they were written go. */
static void
roundtrip(const struct carpd_conf *c1, int nwarn)
{
	struct conf_diag	 d;
	struct carpd_conf	*c2;
	char			*t1, *t2;
	int			 i;

	t1 = print_conf(c1);
	if (write_layout(t1, c1) == 0) {
		c2 = parse("rt", &d);
		FUZZ_CHECK(c2 != NULL && d.nerrors == 0 &&
		    d.nwarnings <= nwarn);
		FUZZ_CHECK(c1->preempt == c2->preempt &&
		    c1->log_level == c2->log_level &&
		    c1->startup_demote == c2->startup_demote &&
		    c1->balance_seed == c2->balance_seed &&
		    strcmp(c1->control_socket, c2->control_socket) == 0);
		FUZZ_CHECK(c1->nvhosts == c2->nvhosts);
		for (i = 0; i < c1->nvhosts; i++)
			vhost_equal(&c1->vhosts[i], &c2->vhosts[i]);
		t2 = print_conf(c2);
		strip_origin(t1);
		strip_origin(t2);
		FUZZ_CHECK(strcmp(t1, t2) == 0);
		free(t2);
		carp_conf_free(c2);
		conf_diag_free(&d);
	}
	free(t1);
}

/* The parser's opens and globs go through fuzz_conf.c's wrappers. */
static void
self_check(void)
{
	static const char	 probe[] = "include \"v.conf\"\n"
	    "include \"/*\"\n%% v.conf\npassfile /\n";
	struct conf_diag	 d;
	struct conf_reader	*r;
	unsigned long		 n0 = fuzz_conf_refused();

	conf_diag_init(&d);
	fuzz_conf_guard(1);
	r = conf_open("/", &d);		/* glibc opens a directory */
	fuzz_conf_guard(0);
	FUZZ_CHECK(r == NULL && fuzz_conf_refused() == n0 + 1);
	FUZZ_CHECK(strstr(d.text, strerror(EACCES)) != NULL);
	conf_diag_free(&d);
	/* the include glob and the passfile: two more refusals */
	fuzz_conf_layout((const uint8_t *)probe, sizeof(probe) - 1, MAIN);
	FUZZ_CHECK(parse("in", &d) == NULL);
	FUZZ_CHECK(fuzz_conf_refused() == n0 + 3);
	conf_diag_free(&d);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_conf_dir("fuzz_carp_conf");
	self_check();
	return 0;
}

static int
too_many_includes(const uint8_t *data, size_t size)
{
	const uint8_t	*p = data, *hit;
	int		 n = 0;

	while ((hit = memmem(p, size - (size_t)(p - data), "include", 7)) !=
	    NULL) {
		if (++n > MAX_INCLUDES)
			return 1;
		p = hit + 7;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag	 d;
	struct carpd_conf	*c;

	if (too_many_includes(data, size))
		return 0;
	fuzz_conf_layout(data, size, MAIN);
	if ((c = parse("in", &d)) != NULL) {
		check_values(c);
		roundtrip(c, d.nwarnings);
		carp_conf_free(c);
	}
	conf_diag_free(&d);
	return 0;
}
