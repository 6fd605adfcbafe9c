/*
 * test_carp_demote.c: demotion counters (OpenBSD carp_group_demote_adj,
 * carp_group_demote_count, if_setgroupattribs; carp-protocol.md 2.3).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "carp_demote.h"

static int
total_of(struct carp_demote *d, const char *name)
{
	struct carp_demote_group	*g = carp_demote_find(d, name);

	assert_non_null(g);
	return (carp_demote_total(g));
}

static void
test_init_has_carp(void **state)
{
	struct carp_demote	 d;
	struct carp_demote_group *g;

	(void)state;
	memset(&d, 0xa5, sizeof(d));
	carp_demote_init(&d);
	assert_int_equal(d.ng, 1);
	g = carp_demote_find(&d, "carp");
	assert_non_null(g);
	assert_string_equal(g->name, "carp");
	assert_int_equal(g->persistent, 0);
	assert_int_equal(g->held, 0);
	assert_int_equal(carp_demote_count(&d, NULL, 0), 0);
}

static void
test_group_find_create(void **state)
{
	struct carp_demote		 d;
	struct carp_demote_group	*g, *g2;
	char				 name[64];

	(void)state;
	carp_demote_init(&d);
	assert_null(carp_demote_find(&d, "lan"));
	assert_null(carp_demote_find(&d, NULL));
	g = carp_demote_group(&d, "lan");
	assert_non_null(g);
	assert_int_equal(d.ng, 2);
	assert_int_equal(g->persistent + g->held, 0);
	g2 = carp_demote_group(&d, "lan");		/* found, not added */
	assert_ptr_equal(g, g2);
	assert_int_equal(d.ng, 2);
	assert_ptr_equal(carp_demote_find(&d, "lan"), g);
	assert_null(carp_demote_find(&d, "la"));	/* no prefix match */
	assert_null(carp_demote_find(&d, "lan0"));

	/* 31 characters fit, 32 do not */
	memset(name, 'x', sizeof(name));
	name[CARP_DEMOTE_NAMELEN - 1] = '\0';
	assert_non_null(carp_demote_group(&d, name));
	name[CARP_DEMOTE_NAMELEN - 1] = 'x';
	name[CARP_DEMOTE_NAMELEN] = '\0';
	assert_null(carp_demote_group(&d, name));
	assert_null(carp_demote_group(&d, ""));
	assert_null(carp_demote_group(&d, NULL));
	assert_int_equal(d.ng, 3);
}

/* carpdemote: the result must stay in 0..255 or nothing changes. */
static void
test_adjust_range(void **state)
{
	static const struct {
		int		delta;
		int		rc;
		int		after;		/* persistent of "carp" */
	} c[] = {
		{ 128, 0, 128 },	/* the rc boot interlock */
		{ -128, 0, 0 },
		{ -1, -1, 0 },		/* below 0 */
		{ 255, 0, 255 },
		{ 1, -1, 255 },		/* above 255 */
		{ -255, 0, 0 },
		{ 0, 0, 0 },
		{ 256, -1, 0 },
		{ 10, 0, 10 },
		{ -11, -1, 10 },
		{ -10, 0, 0 },
	};
	struct carp_demote	 d;
	const char		*why;
	size_t			 i;

	(void)state;
	carp_demote_init(&d);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		why = NULL;
		assert_int_equal(carp_demote_adjust(&d, "carp", c[i].delta,
		    &why), c[i].rc);
		if (c[i].rc == 0)
			assert_null(why);
		else
			assert_non_null(why);
		assert_int_equal(carp_demote_find(&d, "carp")->persistent,
		    c[i].after);
	}
	/* why may be NULL */
	assert_int_equal(carp_demote_adjust(&d, "carp", -1, NULL), -1);
}

/* The limit is on the group's total: held parts count against 255, and
 * the persistent part can never cancel a held one. */
static void
test_adjust_with_held(void **state)
{
	struct carp_demote	 d;
	const char		*why = NULL;

	(void)state;
	carp_demote_init(&d);
	assert_int_equal(carp_demote_hold(&d, "carp", 5), 0);
	assert_int_equal(carp_demote_adjust(&d, "carp", 251, &why), -1);
	assert_non_null(why);
	assert_int_equal(total_of(&d, "carp"), 5);
	assert_int_equal(carp_demote_adjust(&d, "carp", 250, &why), 0);
	assert_int_equal(total_of(&d, "carp"), 255);
	assert_int_equal(carp_demote_adjust(&d, "carp", -250, &why), 0);
	/* total 5, but only the persistent 0 is ours to remove */
	assert_int_equal(carp_demote_adjust(&d, "carp", -1, &why), -1);
	assert_int_equal(total_of(&d, "carp"), 5);
}

static void
test_adjust_missing_group(void **state)
{
	struct carp_demote	 d;
	const char		*why = NULL;

	(void)state;
	carp_demote_init(&d);
	/* negative (or zero) on a missing group fails and creates nothing */
	assert_int_equal(carp_demote_adjust(&d, "wan", -1, &why), -1);
	assert_non_null(why);
	assert_int_equal(carp_demote_adjust(&d, "wan", 0, NULL), -1);
	assert_null(carp_demote_find(&d, "wan"));
	assert_int_equal(d.ng, 1);
	/* positive creates it, so carpctl can demote a group early */
	why = NULL;
	assert_int_equal(carp_demote_adjust(&d, "wan", 50, &why), 0);
	assert_null(why);
	assert_int_equal(total_of(&d, "wan"), 50);
	assert_int_equal(d.ng, 2);
	/* a positive delta out of range on a new group: refused */
	assert_int_equal(carp_demote_adjust(&d, "dmz", 300, &why), -1);
	assert_non_null(why);
	/* a name that cannot be stored */
	why = NULL;
	assert_int_equal(carp_demote_adjust(&d,
	    "0123456789012345678901234567890123", 1, &why), -1);
	assert_non_null(why);
}

static void
test_hold(void **state)
{
	struct carp_demote		 d;
	struct carp_demote_group	*g;

	(void)state;
	carp_demote_init(&d);
	assert_int_equal(carp_demote_hold(&d, "sync", 32), 0);	/* creates */
	g = carp_demote_find(&d, "sync");
	assert_non_null(g);
	assert_int_equal(g->held, 32);
	assert_int_equal(g->persistent, 0);
	assert_int_equal(carp_demote_hold(&d, "sync", 1), 0);
	assert_int_equal(g->held, 33);
	assert_int_equal(carp_demote_hold(&d, "sync", -32), 0);
	assert_int_equal(g->held, 1);
	assert_int_equal(carp_demote_hold(&d, "sync", -5), 0);	/* clamp */
	assert_int_equal(g->held, 0);
	assert_int_equal(carp_demote_hold(&d, "sync", 2), 0);
	assert_int_equal(g->held, 2);			/* no hidden debt */
	/* held and persistent are separate; total adds them uncapped */
	assert_int_equal(carp_demote_adjust(&d, "sync", 200, NULL), 0);
	assert_int_equal(carp_demote_hold(&d, "sync", 100), 0);
	assert_int_equal(carp_demote_total(g), 302);
	assert_int_equal(g->persistent, 200);
	assert_int_equal(carp_demote_hold(&d, "sync", -1000), 0);
	assert_int_equal(g->held, 0);
	assert_int_equal(g->persistent, 200);
	/* a negative hold on a missing group creates it at 0 */
	assert_int_equal(carp_demote_hold(&d, "new", -1), 0);
	assert_int_equal(total_of(&d, "new"), 0);
	assert_int_equal(carp_demote_hold(&d, NULL, 1), -1);
}

static void
test_count(void **state)
{
	static const char	groups[][CARP_DEMOTE_NAMELEN] = {
		"lan", "wan", "carp", "lan", "nosuch",
	};
	struct carp_demote	d;

	(void)state;
	carp_demote_init(&d);
	assert_int_equal(carp_demote_adjust(&d, "carp", 1, NULL), 0);
	assert_int_equal(carp_demote_adjust(&d, "lan", 2, NULL), 0);
	assert_int_equal(carp_demote_hold(&d, "wan", 4), 0);
	assert_int_equal(carp_demote_hold(&d, "other", 64), 0);

	/* "carp" is implicit */
	assert_int_equal(carp_demote_count(&d, NULL, 0), 1);
	assert_int_equal(carp_demote_count(&d, groups, 0), 1);
	assert_int_equal(carp_demote_count(&d, groups, 1), 3);
	assert_int_equal(carp_demote_count(&d, groups, 2), 7);
	/* a listed "carp" and a repeated group count once; an unknown
	 * group adds nothing; a group we are not in is not summed */
	assert_int_equal(carp_demote_count(&d, groups, 3), 7);
	assert_int_equal(carp_demote_count(&d, groups, 4), 7);
	assert_int_equal(carp_demote_count(&d, groups, 5), 7);
	assert_null(carp_demote_find(&d, "nosuch"));
	assert_int_equal(carp_demote_count(&d, groups + 1, 1), 5);
	/* both parts of a group count */
	assert_int_equal(carp_demote_hold(&d, "lan", 8), 0);
	assert_int_equal(carp_demote_count(&d, groups, 2), 15);
}

/* The demote byte caps at 255 however large the sum. */
static void
test_count_cap(void **state)
{
	static const char	groups[][CARP_DEMOTE_NAMELEN] = { "a", "b" };
	struct carp_demote	d;

	(void)state;
	carp_demote_init(&d);
	assert_int_equal(carp_demote_adjust(&d, "carp", 200, NULL), 0);
	assert_int_equal(carp_demote_count(&d, groups, 2), 200);
	assert_int_equal(carp_demote_adjust(&d, "a", 55, NULL), 0);
	assert_int_equal(carp_demote_count(&d, groups, 2), 255);
	assert_int_equal(carp_demote_adjust(&d, "b", 1, NULL), 0);
	assert_int_equal(carp_demote_count(&d, groups, 2), 255);
	assert_int_equal(carp_demote_hold(&d, "b", 1000000), 0);
	assert_int_equal(carp_demote_count(&d, groups, 2), 255);
	assert_int_equal(carp_demote_hold(&d, "carp", 2000000000), 0);
	assert_int_equal(carp_demote_hold(&d, "carp", 2000000000), 0);
	assert_int_equal(carp_demote_count(&d, groups, 2), 255);
	assert_true(total_of(&d, "carp") > 0);		/* no overflow */
}

static void
test_table_full(void **state)
{
	static const char	 last[][CARP_DEMOTE_NAMELEN] = { "g63" };
	struct carp_demote	 d;
	const char		*why = NULL;
	char			 name[CARP_DEMOTE_NAMELEN];
	int			 i;

	(void)state;
	carp_demote_init(&d);
	for (i = 1; i < CARP_DEMOTE_MAX_GROUPS; i++) {
		snprintf(name, sizeof(name), "g%d", i);
		assert_non_null(carp_demote_group(&d, name));
	}
	assert_int_equal(d.ng, CARP_DEMOTE_MAX_GROUPS);
	assert_null(carp_demote_group(&d, "onemore"));
	assert_int_equal(carp_demote_hold(&d, "onemore", 1), -1);
	assert_int_equal(carp_demote_adjust(&d, "onemore", 1, &why), -1);
	assert_non_null(why);
	assert_int_equal(d.ng, CARP_DEMOTE_MAX_GROUPS);
	/* existing groups still work */
	assert_non_null(carp_demote_group(&d, "g63"));
	assert_int_equal(carp_demote_hold(&d, "g63", 1), 0);
	assert_int_equal(carp_demote_adjust(&d, "g1", 1, NULL), 0);
	assert_int_equal(carp_demote_count(&d, last, 1), 1);
}

/* Every change of a group's total is reported once, old -> new, in table
 * order, whichever part (persistent, held) changed; no change, no report. */
static void
test_changed(void **state)
{
	struct carp_demote	 d;
	int			 old = -1;

	(void)state;
	carp_demote_init(&d);
	assert_int_equal(carp_demote_changed(&d, 0, &old), -1);
	assert_int_equal(carp_demote_hold(&d, "carp", 32), 0);
	assert_int_equal(carp_demote_changed(&d, 0, &old), 0);
	assert_int_equal(old, 0);
	assert_int_equal(d.g[0].reported, 32);
	assert_int_equal(carp_demote_changed(&d, 0, &old), -1);	/* once */

	/* two groups changed: both, in order; a later start skips */
	assert_int_equal(carp_demote_adjust(&d, "wan", 5, NULL), 0);
	assert_int_equal(carp_demote_hold(&d, "carp", -32), 0);
	assert_int_equal(carp_demote_changed(&d, 0, &old), 0);
	assert_int_equal(old, 32);
	assert_int_equal(carp_demote_changed(&d, 1, &old), 1);
	assert_int_equal(old, 0);
	assert_int_equal(d.g[1].reported, 5);
	assert_int_equal(carp_demote_changed(&d, 2, &old), -1);
	assert_int_equal(carp_demote_changed(&d, -3, &old), -1);

	/* up and back down before anyone looked: no change to report */
	assert_int_equal(carp_demote_hold(&d, "carp", 1), 0);
	assert_int_equal(carp_demote_hold(&d, "carp", -1), 0);
	assert_int_equal(carp_demote_changed(&d, 0, &old), -1);

	/* a group created by a hold starts at 0 reported */
	assert_int_equal(carp_demote_hold(&d, "lan", 0), 0);
	assert_int_equal(carp_demote_changed(&d, 0, &old), -1);
	assert_int_equal(carp_demote_hold(&d, "lan", 2), 0);
	assert_int_equal(carp_demote_changed(&d, 0, &old), 2);
	assert_int_equal(old, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_has_carp),
		cmocka_unit_test(test_group_find_create),
		cmocka_unit_test(test_adjust_range),
		cmocka_unit_test(test_adjust_with_held),
		cmocka_unit_test(test_adjust_missing_group),
		cmocka_unit_test(test_hold),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_count_cap),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_changed),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
