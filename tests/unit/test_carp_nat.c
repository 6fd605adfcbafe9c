/*
 * test_carp_nat.c: carp_nat_find() on listings captured from nftables
 * 1.0.6 (`nft list chains` in a fresh namespace, Debian 12), then on what
 * must not be mistaken for one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "carp_nat.h"

/* nft -f: table ip nat { chain postrouting { type nat hook postrouting
 * priority srcnat; } }, the ruleset of tests/netns/test_balance_nat.sh */
static const char ip_nat[] =
	"table ip nat {\n"
	"\tchain postrouting {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t}\n"
	"}\n";

/* table ip6 nat, chain POSTROUTING at priority 100 (printed as srcnat) */
static const char ip6_nat[] =
	"table ip6 nat {\n"
	"\tchain POSTROUTING {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t}\n"
	"}\n";

static const char inet_nat[] =
	"table inet nat {\n"
	"\tchain srcnat {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t}\n"
	"}\n";

/* iptables-nft -t nat -A POSTROUTING -j MASQUERADE; -A FORWARD -j ACCEPT */
static const char iptables_nft[] =
	"table ip nat {\n"
	"\tchain POSTROUTING {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t}\n"
	"}\n"
	"table ip filter {\n"
	"\tchain FORWARD {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t}\n"
	"}\n";

/* filter only, with regular chains named nat, in a table named nat too */
static const char filter_only[] =
	"table inet filter {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t}\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy accept;\n"
	"\t}\n"
	"\tchain nat {\n"
	"\t}\n"
	"}\n"
	"table ip nat {\n"
	"\tchain nat {\n"
	"\t}\n"
	"\tchain jump_target {\n"
	"\t}\n"
	"}\n";

/* several tables: the first nat base chain found is ip6 nat6 post */
static const char mixed[] =
	"table inet fw {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy accept;\n"
	"\t}\n"
	"\tchain nat {\n"
	"\t}\n"
	"}\n"
	"table netdev ing {\n"
	"\tchain c {\n"
	"\t\ttype filter hook ingress device \"lo\" priority filter; "
	"policy accept;\n"
	"\t}\n"
	"}\n"
	"table ip6 nat6 {\n"
	"\tchain post {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t}\n"
	"}\n"
	"table inet mixed {\n"
	"\tchain pre {\n"
	"\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
	"\t}\n"
	"}\n";

static void
expect_hit(const char *text, const char *family, const char *table,
    const char *chain)
{
	struct carp_nat_chain	 hit;

	memset(&hit, 0x55, sizeof(hit));
	assert_int_equal(carp_nat_find(text, &hit), 1);
	assert_string_equal(hit.family, family);
	assert_string_equal(hit.table, table);
	assert_string_equal(hit.chain, chain);
}

static void
test_found(void **state)
{
	(void)state;
	expect_hit(ip_nat, "ip", "nat", "postrouting");
	expect_hit(ip6_nat, "ip6", "nat", "POSTROUTING");
	expect_hit(inet_nat, "inet", "nat", "srcnat");
	expect_hit(iptables_nft, "ip", "nat", "POSTROUTING");
	expect_hit(mixed, "ip6", "nat6", "post");
}

static void
test_none(void **state)
{
	struct carp_nat_chain	 hit;

	(void)state;
	assert_int_equal(carp_nat_find(filter_only, &hit), 0);
	assert_int_equal(carp_nat_find("", &hit), 0);	/* empty ruleset */
	assert_int_equal(carp_nat_find("\n\n", &hit), 0);
	/* no trailing newline */
	assert_int_equal(carp_nat_find("table ip t {\n\tchain c {\n\t}\n}",
	    &hit), 0);
}

/* A listing cut anywhere before its nat chain is never "no NAT". */
static void
test_cut(void **state)
{
	struct carp_nat_chain	 hit;
	char			 buf[sizeof(iptables_nft)];
	size_t			 n, at;
	int			 rc;

	(void)state;
	at = (size_t)(strstr(ip_nat, "type nat") - ip_nat);
	for (n = 1; n < sizeof(ip_nat) - 1; n++) {
		memcpy(buf, ip_nat, n);
		buf[n] = '\0';
		rc = carp_nat_find(buf, &hit);
		if (n < at + strlen("type nat"))
			assert_int_equal(rc, -1);
		else
			assert_int_equal(rc, 1);
	}
	/* filter_only cut after a table or chain opened: -1 */
	for (n = 1; n < sizeof(filter_only) - 2; n++) {
		char	*t = strndup(filter_only, n);

		assert_non_null(t);
		rc = carp_nat_find(t, &hit);
		if (rc != -1 && rc != 0)
			fail_msg("cut at %zu: %d", n, rc);
		/* 0 only right after a table's closing brace */
		if (rc == 0) {
			size_t	 b = t[n - 1] == '\n' ? n - 2 : n - 1;

			assert_true(t[b] == '}' && b > 0 && t[b - 1] == '\n');
		}
		free(t);
	}
}

static void
test_not_a_listing(void **state)
{
	static const char *const bad[] = {
		"Error: No such file or directory\n",
		"}\n",
		"table ip nat\n",
		"chain postrouting {\n}\n",			/* no table */
		"table ip nat {\n\ttype nat hook postrouting priority "
		"srcnat;\n}\n",					/* no chain */
		"table ip nat {\n\tchain a {\n\t\tchain b {\n\t\t}\n\t}\n}\n",
		"table ip nat {\n\tchain a {\n\t}\n}\n}\n",	/* one } too many */
		"table ip nat {\n\tchain a {\n\t}\n",		/* one missing */
		"table ip \"na\"t\" {\n}\n",			/* bad quote */
		"table ip \"\" {\n}\n",				/* empty name */
		"table ip nat {\n\tset s {\n\t}\n}\n",		/* not chains */
	};
	struct carp_nat_chain	 hit;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (carp_nat_find(bad[i], &hit) != -1)
			fail_msg("case %zu accepted", i);
}

/* Names: quotes removed, up to CARP_NAT_NAMELEN - 1 bytes, a line of
 * any length refused rather than read in part. */
static void
test_names(void **state)
{
	struct carp_nat_chain	 hit;
	char			 name[CARP_NAT_NAMELEN + 1], *text;
	int			 n;

	(void)state;
	expect_hit("table ip \"nat\" {\n\tchain \"out\" {\n\t\ttype nat hook "
	    "postrouting priority 100;\n\t}\n}\n", "ip", "nat", "out");
	memset(name, 'a', sizeof(name));
	name[CARP_NAT_NAMELEN - 1] = '\0';		/* the longest name */
	n = asprintf(&text, "table inet %s {\n\tchain %s {\n\t\ttype nat "
	    "hook postrouting priority 100;\n\t}\n}\n", name, name);
	assert_true(n > 0);
	assert_int_equal(carp_nat_find(text, &hit), 1);
	assert_string_equal(hit.table, name);
	assert_string_equal(hit.chain, name);
	free(text);
	name[CARP_NAT_NAMELEN - 1] = 'a';		/* one byte more */
	name[CARP_NAT_NAMELEN] = '\0';
	n = asprintf(&text, "table inet %s {\n}\n", name);
	assert_true(n > 0);
	assert_int_equal(carp_nat_find(text, &hit), -1);
	free(text);
	assert_int_equal(carp_nat_find("table abcdefghijklmnopq t {\n}\n",
	    &hit), -1);					/* family too long */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_none),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_not_a_listing),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
