/*
 * test_priv.c: the pure parts of common/priv.c: the `user` prescan of a
 * config file, the control-socket peer decision, the check of the state
 * read back after a drop, and the rate limit of refusal log lines. The
 * drop itself needs root and runs in tests/netns/test_priv.sh.
 */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "priv.h"

/* ---- priv_conf_user ----------------------------------------------- */

static char	tmpdir[64];

static int
setup_dir(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_priv.XXXXXX");
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path);
}

static int
teardown_dir(void **state)
{
	(void)state;
	return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const char *
write_conf(const char *text)
{
	static char	 path[128];
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/x.conf", tmpdir);
	assert_non_null(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void
test_conf_user(void **state)
{
	static const struct {
		const char	*text;
		const char	*want;
	} cases[] = {
		{ "", "dflt" },
		{ "preempt yes\n", "dflt" },
		{ "user carpd\n", "carpd" },
		{ "# comment\nuser  \"root\"   # debugging\n", "root" },
		{ "user a\nuser b\n", "a" },		/* the parse reports b */
		{ "user\nuser two words\nuser c\n", "c" },
		{ "user x234567890123456789012345678901\n",
		  "x234567890123456789012345678901" },
		{ "users carpd\nuser_x y\n", "dflt" },
		{ "syncdev eth0\n\\\nuser \\\n  syncd\n", "syncd" },
	};
	char	 name[PRIV_NAMELEN];
	size_t	 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(priv_conf_user(write_conf(cases[i].text),
		    "dflt", name, sizeof(name)), 0);
		assert_string_equal(name, cases[i].want);
	}
	/* no file: the default (the parse then reports the file) */
	assert_int_equal(priv_conf_user("/nonexistent/x.conf", "carpd", name,
	    sizeof(name)), 0);
	assert_string_equal(name, "carpd");
	/* longer than the buffer: -1 (the parse rejects the name) */
	assert_int_equal(priv_conf_user(write_conf("user "
	    "x2345678901234567890123456789012\n"), "dflt", name,
	    sizeof(name)), -1);
}

/* ---- priv_peer_ok ------------------------------------------------- */

static void
test_peer_ok(void **state)
{
	static const unsigned none[1], other[] = { 4, 5, 100 },
	    member[] = { 4, 995, 100 };
	static const struct {
		const char	*what;
		struct priv_cred c;
		int		 ok;
	} cases[] = {
		{ "root", { 1, 0, 0, none, 0 }, 1 },
		{ "root in another group", { 1, 0, 65534, other, 3 }, 1 },
		{ "the daemon's own uid", { 2, 994, 994, none, 0 }, 1 },
		{ "primary group carpsync", { 3, 65534, 995, none, 0 }, 1 },
		{ "supplementary group carpsync", { 4, 1000, 1000, member, 3 },
		  1 },
		{ "nobody:nogroup", { 5, 65534, 65534, none, 0 }, 0 },
		{ "other groups only", { 6, 1000, 1000, other, 3 }, 0 },
		{ "groups not read (old kernel)", { 7, 1000, 1000, member, 0 },
		  0 },
		{ "unknown peer (-1)", { 0, (unsigned)-1, (unsigned)-1, none, 0 },
		  0 },
	};
	size_t	 i;
	(void)state;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (priv_peer_ok(&cases[i].c, 994, 995) != cases[i].ok)
			fail_msg("%s: want %d", cases[i].what, cases[i].ok);
	/* `user root`: uid 0 and group 0 */
	assert_int_equal(priv_peer_ok(&cases[5].c, 0, 0), 0);
}

/* ---- priv_state_check --------------------------------------------- */

#define KEEP	(PRIV_CAP(CAP_NET_ADMIN) | PRIV_CAP(CAP_NET_RAW))

static struct priv_state
good_state(void)
{
	struct priv_state st;

	memset(&st, 0, sizeof(st));
	st.ruid = st.euid = st.suid = 994;
	st.rgid = st.egid = st.sgid = 995;
	st.ngroups = 1;
	st.groups[0] = 995;
	st.eff = st.prm = st.bnd = KEEP;
	st.nnp = 1;
	return st;
}

static void
test_state_check(void **state)
{
	const struct priv_want	 w = { 994, 995, KEEP, 1, 1 };
	struct priv_want	 w2;
	struct priv_state	 st;
	char			 why[256];
	(void)state;

	st = good_state();
	assert_int_equal(priv_state_check(&st, &w, why, sizeof(why)), 0);
	assert_int_equal(KEEP, 0x3000);		/* CapEff as /proc shows it */

#define BAD(field, value, msg) do {					\
	st = good_state();						\
	st.field = value;						\
	assert_int_equal(priv_state_check(&st, &w, why, sizeof(why)), -1); \
	assert_string_equal(why, msg);					\
} while (0)
	BAD(suid, 0, "real/effective/saved uid 994/994/0, want 994");
	BAD(ruid, 0, "real/effective/saved uid 0/994/994, want 994");
	BAD(egid, 0, "real/effective/saved gid 995/0/995, want 995");
	BAD(ngroups, 2, "supplementary groups: 2 (-1: too many), want only "
	    "gid 995");
	BAD(ngroups, -1, "supplementary groups: -1 (-1: too many), want only "
	    "gid 995");
	BAD(groups[0], 0, "supplementary groups: 1 (-1: too many), want only "
	    "gid 995");
	BAD(prm, KEEP | PRIV_CAP(CAP_SYS_ADMIN), "permitted capabilities "
	    "0x203000, want 0x3000");
	BAD(eff, PRIV_CAP(CAP_NET_ADMIN), "effective capabilities 0x1000, "
	    "want 0x3000");
	BAD(inh, PRIV_CAP(CAP_NET_RAW), "inheritable capabilities 0x2000, "
	    "want 0x0");
	BAD(amb, PRIV_CAP(CAP_NET_RAW), "ambient capabilities 0x2000, want "
	    "0x0");
	BAD(bnd, ~UINT64_C(0) >> 23, "bounding capabilities 0x1ffffffffff, "
	    "want 0x3000");
	BAD(nnp, 0, "no_new_privs is 0, want 1");
#undef BAD

	/* started unprivileged: groups and the bounding set not checked */
	w2 = w;
	w2.groups = w2.bounding = 0;
	st = good_state();
	st.ngroups = 3;
	st.bnd = ~UINT64_C(0) >> 23;
	assert_int_equal(priv_state_check(&st, &w2, why, sizeof(why)), 0);
	st.amb = KEEP;		/* but ambient still is */
	assert_int_equal(priv_state_check(&st, &w2, why, sizeof(why)), -1);

	/* syncd keeps CAP_NET_ADMIN alone: CAP_NET_RAW left over is wrong */
	w2 = w;
	w2.caps = PRIV_CAP(CAP_NET_ADMIN);
	st = good_state();
	assert_int_equal(priv_state_check(&st, &w2, why, sizeof(why)), -1);
	assert_string_equal(why, "permitted capabilities 0x3000, want 0x1000");
}

/* ---- priv_ratelimit ----------------------------------------------- */

static void
test_ratelimit(void **state)
{
	struct priv_ratelimit	 r;
	uint64_t		 held = 99, t0 = 5000000;
	int			 i;
	(void)state;

	memset(&r, 0, sizeof(r));
	assert_int_equal(priv_ratelimit(&r, 0, &held), 1);	/* even at 0 */
	assert_int_equal(held, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(priv_ratelimit(&r, (uint64_t)i * 1000, &held),
		    0);
	assert_int_equal(priv_ratelimit(&r, PRIV_LOG_INTERVAL_US - 1, &held),
	    0);
	assert_int_equal(priv_ratelimit(&r, PRIV_LOG_INTERVAL_US, &held), 1);
	assert_int_equal(held, 1001);
	assert_int_equal(priv_ratelimit(&r, PRIV_LOG_INTERVAL_US + 1, &held),
	    0);
	/* a long silence: the next line comes at once, with one held */
	assert_int_equal(priv_ratelimit(&r, t0 + 100 * PRIV_LOG_INTERVAL_US,
	    &held), 1);
	assert_int_equal(held, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_conf_user, setup_dir,
		    teardown_dir),
		cmocka_unit_test(test_peer_ok),
		cmocka_unit_test(test_state_check),
		cmocka_unit_test(test_ratelimit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
