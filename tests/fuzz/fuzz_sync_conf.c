/*
 * fuzz_sync_conf.c: libFuzzer target for syncd's config parser
 * (syncd/sync_conf.c, common/conf_lex.c), keyfile included.
 *
 * The input is a set of files (fuzz_conf.h): the main part is syncd.conf,
 * each "%% NAME" part one more file next to it, which `keyfile` may name
 * (the fuzzer's files are 0600 and its own, so they pass the owner and
 * mode checks and the key text is what gets decoded). Every read stays
 * in the fuzzer's own directory.
 *
 * Checks: a config comes back exactly when no error was counted; its
 * values are in their documented ranges; the filters answer; printed
 * (sync_conf_print) next to a copy of its key and parsed again, it gives
 * the same config (but for line numbers) without an error or a new
 * warning and prints the same. Everything the parser allocates is freed (LeakSanitizer).
 *
 * Seeds: tests/fuzz/corpus/fuzz_sync_conf, from tests/syncconf and conf/
 * by tests/fuzz/mk_conf_seeds.sh.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_lex.h"
#include "fuzz_conf.h"
#include "sync_conf.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MAIN	"syncd.conf"

static const char	*dir;

static struct syncd_conf *
parse(const char *sub, struct conf_diag *d)
{
	struct syncd_conf	*c;
	char			 path[256];

	snprintf(path, sizeof(path), "%s/%s/" MAIN, dir, sub);
	conf_diag_init(d);
	fuzz_conf_guard(1);
	c = sync_conf_parse(path, (unsigned)geteuid(), d);
	fuzz_conf_guard(0);
	FUZZ_CHECK((c == NULL) == (d->nerrors > 0));
	FUZZ_CHECK((d->text != NULL) == (d->nerrors + d->nwarnings > 0));
	return c;
}

/* What sync_conf.h promises of a parsed config. */
static void
check_values(const struct syncd_conf *c, const uint8_t *data, size_t size)
{
	uint8_t		 a[16] = { 0 }, b[16] = { 0 };
	int		 i;

	FUZZ_CHECK(c->syncdev[0] != '\0' && c->keyfile[0] != '\0');
	FUZZ_CHECK(c->node_id != 0);
	FUZZ_CHECK(c->peer_af == 0 || c->peer_af == AF_INET ||
	    c->peer_af == AF_INET6);
	FUZZ_CHECK(c->maxupd >= 1 && c->maxupd <= 255);
	FUZZ_CHECK(c->send_delay_ms >= 0 && c->send_delay_ms <= 1000);
	FUZZ_CHECK(c->refresh_s >= 0 && c->refresh_s <= 86400);
	FUZZ_CHECK(c->carpd_socket[0] == '/' && c->control_socket[0] == '/');
	FUZZ_CHECK(strcmp(c->carpd_socket, c->control_socket) != 0);
	FUZZ_CHECK(strcmp(c->syncdev, c->pfsync_if) != 0);
	FUZZ_CHECK(c->pcap_file[0] == '\0' || c->pcap_file[0] == '/');
	FUZZ_CHECK(c->nfilters >= 0 && c->nfilters <= SYNC_MAX_FILTERS);
	for (i = 0; i < c->nfilters; i++) {
		const struct sync_filter *f = &c->filters[i];

		FUZZ_CHECK(f->kind == SYNC_F_ADDRESS ||
		    f->kind == SYNC_F_PROTOCOL);
		FUZZ_CHECK(f->kind != SYNC_F_ADDRESS ||
		    (f->af == AF_INET && f->plen <= 32) ||
		    (f->af == AF_INET6 && f->plen <= 128));
	}
	/* the filters on addresses taken from the input */
	memcpy(a, data, size < 16 ? size : 16);
	if (size > 16)
		memcpy(b, data + 16, size - 16 < 16 ? size - 16 : 16);
	(void)sync_conf_filter(c, AF_INET, a, b, a[0]);
	(void)sync_conf_filter(c, AF_INET6, b, a, b[0]);
	/* a filter rule matches its own prefix */
	for (i = 0; i < c->nfilters; i++) {
		const struct sync_filter *f = &c->filters[i];

		if (f->kind == SYNC_F_ADDRESS && !f->accept)
			FUZZ_CHECK(sync_conf_filter(c, f->af, f->addr, b,
			    0) == 0);
	}
}

static char *
print_conf(const struct syncd_conf *c)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp;

	FUZZ_CHECK((fp = open_memstream(&text, &len)) != NULL);
	sync_conf_print(fp, c);
	FUZZ_CHECK(fclose(fp) == 0);
	return text;
}

/* The config, but for where it came from and the lines of its filters. */
static void
comparable(const struct syncd_conf *c, struct syncd_conf *out)
{
	int	 i;

	memcpy(out, c, sizeof(*out));
	memset(out->file, 0, sizeof(out->file));
	for (i = 0; i < out->nfilters; i++)
		out->filters[i].line = 0;
}

/* nwarn: the first parse's warnings; those about values stay, those
 * about the way they were written (a duplicate rule, host bits) go. */
static void
roundtrip(const struct syncd_conf *c1, int nwarn)
{
	static struct syncd_conf a, b;
	struct conf_diag	 d;
	struct syncd_conf	*c2;
	struct fuzz_file	 f[2];
	char			 hex[66], *t1, *t2;
	int			 i;

	if (c1->keyfile[0] == '/')
		return;		/* outside our directory: cannot be */
	t1 = print_conf(c1);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", c1->key[i]);
	hex[64] = '\n';
	f[0] = (struct fuzz_file){ MAIN, t1, strlen(t1) };
	f[1] = (struct fuzz_file){ c1->keyfile, hex, 65 };
	FUZZ_CHECK(fuzz_conf_put(FUZZ_RT, f, 2) == 2);

	c2 = parse("rt", &d);
	FUZZ_CHECK(c2 != NULL && d.nerrors == 0 && d.nwarnings <= nwarn);
	comparable(c1, &a);
	comparable(c2, &b);
	FUZZ_CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	t2 = print_conf(c2);
	FUZZ_CHECK(strcmp(t1, t2) == 0);
	explicit_bzero(&a, sizeof(a));
	explicit_bzero(&b, sizeof(b));
	free(t1);
	free(t2);
	sync_conf_free(c2);
	conf_diag_free(&d);
}

/* The parser's opens go through fuzz_conf.c's wrappers. */
static void
self_check(void)
{
	static const char	 probe[] = "keyfile /\n";
	struct conf_diag	 d;
	struct conf_reader	*r;
	unsigned long		 n0 = fuzz_conf_refused();

	conf_diag_init(&d);
	fuzz_conf_guard(1);
	r = conf_open("/", &d);		/* glibc opens a directory */
	fuzz_conf_guard(0);
	FUZZ_CHECK(r == NULL && fuzz_conf_refused() == n0 + 1);
	conf_diag_free(&d);
	fuzz_conf_layout((const uint8_t *)probe, sizeof(probe) - 1, MAIN);
	FUZZ_CHECK(parse("in", &d) == NULL);
	FUZZ_CHECK(fuzz_conf_refused() == n0 + 2);
	FUZZ_CHECK(strstr(d.text, strerror(EACCES)) != NULL);
	conf_diag_free(&d);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_conf_dir("fuzz_sync_conf");
	self_check();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_diag	 d;
	struct syncd_conf	*c;

	fuzz_conf_layout(data, size, MAIN);
	if ((c = parse("in", &d)) != NULL) {
		check_values(c, data, size);
		roundtrip(c, d.nwarnings);
		sync_conf_free(c);
	}
	conf_diag_free(&d);
	return 0;
}
