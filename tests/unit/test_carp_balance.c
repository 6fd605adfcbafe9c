/*
 * test_carp_balance.c: the balancing core. jhash against lookup3's
 * published vectors and vectors of an independent implementation of the
 * algorithm; carp_balance_bucket against buckets the kernel chose (a
 * measured fact, 6.18: nft jhash ip saddr . ip daddr mod 2 seed 0x5eed);
 * the spread over 10000 pairs; the nft text as golden strings (each was
 * loaded by nft 1.0.6 into a namespace); counter listings as nft 1.0.6
 * printed them; ARP replies and rejects byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "carp_balance.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t		 n = 0;
	unsigned int	 b;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

static void
ip4(const char *s, uint8_t a[16])
{
	memset(a, 0, 16);
	assert_int_equal(inet_pton(AF_INET, s, a), 1);
}

static void
ip6(const char *s, uint8_t a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* --- jhash ---------------------------------------------------------- */

/* lookup3.c driver5 (hashlittle): Bob Jenkins' published values. */
static void
test_jhash_published(void **state)
{
	static const char	 four[] = "Four score and seven years ago";

	assert_int_equal(carp_jhash("", 0, 0), 0xdeadbeef);
	assert_int_equal(carp_jhash(four, 30, 0), 0x17770551);
	assert_int_equal(carp_jhash(four, 30, 1), 0xcd628161);
	/* 12 bytes: one block, handled as the tail, not by the loop */
	assert_int_equal(carp_jhash("hello world", 12, 0), 0x14973b58);
	assert_int_equal(carp_jhash("hello world", 12, 1), 0x4746e99f);
}

/*
 * Lengths around the 12-byte block boundary, values from a separate
 * implementation written from the algorithm (Python, little-endian
 * words). Keys are 1, 2, 3, ...; on a big-endian host only keys of up to
 * 12 bytes hash the same (carp_balance.h), so the others are skipped.
 */
static void
test_jhash_lengths(void **state)
{
	static const struct {
		uint32_t	 len, init, want;
	} v[] = {
		{ 13, 7, 0x7f2a0b31 },		/* one block, 1 byte of tail */
		{ 24, 0, 0xa1188176 },		/* one block, 12 bytes of tail */
		{ 25, 0xffffffff, 0x316673ea },	/* two blocks, 1 byte */
	};
	uint8_t		 k[32];
	size_t		 i;

	for (i = 0; i < sizeof(k); i++)
		k[i] = (uint8_t)(i + 1);
	assert_int_equal(carp_jhash("\xab", 1, 0), 0xf261790f);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	for (i = 0; i < NELEM(v); i++)
		assert_int_equal(carp_jhash(k, v[i].len, v[i].init), v[i].want);
#endif
	/* nothing past len is read */
	k[13] = 0xee;
	k[14] = 0xee;
	assert_int_equal(carp_jhash(k, 13, 7), v[0].want);
}

/* --- buckets -------------------------------------------------------- */

/*
 * Measured on Linux 6.18, nft 1.0.6: client 192.0.2.A -> 198.51.100.10,
 * `jhash ip saddr . ip daddr mod 2 seed 0x5eed`, the counters of each
 * bucket's chain. A = 102 hashes to 0x4be7fdf5, an odd number: hash % 2
 * would give bucket 1, the kernel's reciprocal_scale gives 0.
 */
static void
test_bucket_kernel_vector(void **state)
{
	static const struct {
		unsigned	 a, bucket;
	} v[] = {
		{ 100, 1 }, { 101, 1 }, { 102, 0 }, { 103, 1 }, { 104, 0 },
		{ 105, 0 }, { 106, 0 }, { 107, 1 }, { 108, 0 },
	};
	uint8_t		 src[16], dst[16], key[8];
	char		 s[32];
	size_t		 i;

	ip4("198.51.100.10", dst);
	for (i = 0; i < NELEM(v); i++) {
		snprintf(s, sizeof(s), "192.0.2.%u", v[i].a);
		ip4(s, src);
		assert_int_equal(carp_balance_bucket(AF_INET, src, dst,
		    CARP_BAL_LAN, 0x5eed, 2), v[i].bucket);
		/* WAN side: the same flow seen from the other direction */
		assert_int_equal(carp_balance_bucket(AF_INET, dst, src,
		    CARP_BAL_WAN, 0x5eed, 2), v[i].bucket);
	}
	ip4("192.0.2.102", src);
	memcpy(key, src, 4);
	memcpy(key + 4, dst, 4);
	assert_int_equal(carp_jhash(key, 8, 0x5eed), 0x4be7fdf5);
}

/* IPv6: the 32-byte key src . dst (independent implementation's value). */
static void
test_bucket_ipv6(void **state)
{
	uint8_t		 src[16], dst[16];

	ip6("2001:db8::100", src);
	ip6("2001:db8:1::10", dst);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* jhash 0x88630165: 0x88630165 * 3 >> 32 = 1 */
	assert_int_equal(carp_balance_bucket(AF_INET6, src, dst, CARP_BAL_LAN,
	    0x5eed, 3), 1);
#endif
	assert_int_equal(carp_balance_bucket(AF_INET6, src, dst, CARP_BAL_LAN,
	    0x5eed, 3), carp_balance_bucket(AF_INET6, dst, src, CARP_BAL_WAN,
	    0x5eed, 3));
}

static void
test_bucket_limits(void **state)
{
	uint8_t		 src[16], dst[16];
	unsigned	 i;

	ip4("192.0.2.1", src);
	ip4("198.51.100.1", dst);
	assert_int_equal(carp_balance_bucket(AF_INET, src, dst, CARP_BAL_LAN,
	    1, 1), 0);
	assert_int_equal(carp_balance_bucket(AF_INET, src, dst, CARP_BAL_LAN,
	    1, 0), 0);		/* n: no bucket */
	assert_int_equal(carp_balance_bucket(AF_INET, src, dst, CARP_BAL_LAN,
	    1, CARP_MAX_NODES + 1), CARP_MAX_NODES + 1);
	assert_int_equal(carp_balance_bucket(AF_UNIX, src, dst, CARP_BAL_LAN,
	    1, 4), 4);
	for (i = 1; i <= CARP_MAX_NODES; i++)
		assert_true(carp_balance_bucket(AF_INET, src, dst, CARP_BAL_LAN,
		    0xffffffff, i) < i);
}

/* The share of bucket 0 in 10000 pairs per family, in per mille. */
static unsigned
share0(int af, unsigned n, uint32_t seed)
{
	uint8_t		 src[16], dst[16];
	unsigned	 i, zero = 0;

	for (i = 0; i < 10000; i++) {
		memset(src, 0, sizeof(src));
		memset(dst, 0, sizeof(dst));
		if (af == AF_INET) {
			/* 250 clients of 192.0.2.0/24 x 40 servers */
			src[0] = 192; src[1] = 0; src[2] = 2;
			src[3] = (uint8_t)(i % 250);
			dst[0] = 198; dst[1] = 51; dst[2] = 100;
			dst[3] = (uint8_t)(i / 250);
		} else {
			ip6("2001:db8::", src);
			src[14] = (uint8_t)(i >> 8);
			src[15] = (uint8_t)i;
			ip6("2001:db8:1::10", dst);
		}
		if (carp_balance_bucket(af, src, dst, CARP_BAL_LAN, seed, n) == 0)
			zero++;
	}
	return zero / 10;
}

/* 10000 pairs: each of two nodes gets 48-52 %; one of three 30-37 %. */
static void
test_bucket_spread(void **state)
{
	static const uint32_t	 seeds[] = { 0x5eed, 0, 0xffffffff, 12345 };
	size_t			 i;

	for (i = 0; i < NELEM(seeds); i++) {
		unsigned	 s = share0(AF_INET, 2, seeds[i]);


		print_message("seed 0x%x: IPv4 bucket 0 of 2: %u.%u %%\n",
		    seeds[i], s / 10, s % 10);
		assert_in_range(s, 480, 520);
		s = share0(AF_INET6, 2, seeds[i]);
		print_message("seed 0x%x: IPv6 bucket 0 of 2: %u.%u %%\n",
		    seeds[i], s / 10, s % 10);
		assert_in_range(s, 480, 520);
		assert_in_range(share0(AF_INET, 3, seeds[i]), 300, 367);
		assert_in_range(share0(AF_INET6, 3, seeds[i]), 300, 367);
	}
}

static void
test_owned(void **state)
{
	int	 m[CARP_MAX_NODES] = { 1, 0, 1, 0 };

	assert_int_equal(carp_balance_owned(m, 4), 0x5);
	assert_int_equal(carp_balance_owned(m, 1), 0x1);
	assert_int_equal(carp_balance_owned(m, 0), 0);
	memset(m, 0, sizeof(m));
	m[31] = 7;
	assert_int_equal(carp_balance_owned(m, 32), 0x80000000u);
	assert_int_equal(carp_balance_owned(m, 31), 0);
}

static void
test_mac(void **state)
{
	uint8_t	 mac[6];

	carp_balance_mac(CARP_BAL_IP, 3, mac);
	assert_memory_equal(mac, "\x01\x00\x5e\x00\x01\x03", 6);
	carp_balance_mac(CARP_BAL_IP_STEALTH, 255, mac);
	assert_memory_equal(mac, "\x00\x00\x5e\x00\x01\xff", 6);
	carp_balance_mac(CARP_BAL_IP_UNICAST, 1, mac);
	assert_memory_equal(mac, "\x00\x00\x5e\x00\x01\x01", 6);
	carp_balance_mac(CARP_BAL_NONE, 9, mac);
	assert_memory_equal(mac, "\x00\x00\x5e\x00\x01\x09", 6);
	assert_string_equal(carp_balance_mode_names[CARP_BAL_IP_STEALTH],
	    "ip-stealth");
}

/* --- nft text ------------------------------------------------------- */

/* eth0, ip, LAN, seed 0x5eed, carpnodes 3 and 4, MASTER of 3 here. */
static void
small_set(struct carp_balance_set *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->carpdev, "eth0");
	s->mode = CARP_BAL_IP;
	s->side = CARP_BAL_LAN;
	s->seed = 0x5eed;
	s->n = 2;
	s->vhids[0] = 3;
	s->vhids[1] = 4;
	s->nvips = 2;
	s->vips[0].af = AF_INET;
	ip4("192.0.2.254", s->vips[0].addr);
	s->vips[1].af = AF_INET6;
	ip6("2001:db8::fe", s->vips[1].addr);
	s->owned = 0x1;
}

static const char small_create[] =
	"table netdev carpsync_eth0 { flags owner; }\n"
	"delete table netdev carpsync_eth0\n"
	"table netdev carpsync_eth0 {\n"
	"\tflags owner\n"
	"\tcounter accepted_3 { }\n"
	"\tcounter ignored_3 { }\n"
	"\tcounter accepted_4 { }\n"
	"\tcounter ignored_4 { }\n"
	"\tchain accept_3 {\n"
	"\t\tcounter name \"accepted_3\" meta pkttype set host accept\n"
	"\t}\n"
	"\tchain ignore_3 {\n"
	"\t\tcounter name \"ignored_3\" drop\n"
	"\t}\n"
	"\tchain accept_4 {\n"
	"\t\tcounter name \"accepted_4\" meta pkttype set host accept\n"
	"\t}\n"
	"\tchain ignore_4 {\n"
	"\t\tcounter name \"ignored_4\" drop\n"
	"\t}\n"
	"\tcounter nd_ns_dropped { }\n"
	"\tmap owned_3 {\n"
	"\t\ttypeof numgen inc mod 2 : verdict\n"
	"\t\telements = { 0 : jump accept_3, 1 : jump ignore_4 }\n"
	"\t}\n"
	"\tchain group_3 {\n"
	"\t\tmeta protocol ip jhash @nh,96,64 mod 2 seed 0x5eed "
	    "vmap @owned_3\n"
	"\t\ticmpv6 type nd-neighbor-solicit @th,64,128 "
	    "{ 0x20010db80000000000000000000000fe } "
	    "counter name \"nd_ns_dropped\" drop\n"
	"\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } "
	    "meta pkttype set host accept\n"
	"\t\tmeta protocol ip6 jhash @nh,64,256 mod 2 seed 0x5eed "
	    "vmap @owned_3\n"
	"\t}\n"
	"\tchain in {\n"
	"\t\ttype filter hook ingress device \"eth0\" priority -300; "
	    "policy accept;\n"
	"\t\t@ll,0,48 0x01005e000103 jump group_3\n"
	"\t\tarp operation request arp daddr ip { 192.0.2.254 } drop\n"
	"\t\ticmpv6 type nd-neighbor-solicit @th,64,128 "
	    "{ 0x20010db80000000000000000000000fe } "
	    "counter name \"nd_ns_dropped\" drop\n"
	"\t}\n"
	"}\n";

static void
test_nft_create_small(void **state)
{
	struct carp_balance_set	 s;
	char			 buf[4096];
	const char		*no_owner;

	small_set(&s);
	assert_int_equal(carp_balance_nft_create(&s, 1, 0, buf, sizeof(buf)),
	    (int)strlen(small_create));
	assert_string_equal(buf, small_create);

	/* -O: the same without the two owner flags */
	assert_int_equal(carp_balance_nft_create(&s, 1, CARP_BAL_NFT_NO_OWNER,
	    buf, sizeof(buf)), (int)(strlen(small_create) -
	    strlen(" { flags owner; }") - strlen("\tflags owner\n")));
	no_owner = "table netdev carpsync_eth0\n"
	    "delete table netdev carpsync_eth0\n"
	    "table netdev carpsync_eth0 {\n\tcounter accepted_3 { }\n";
	assert_true(strncmp(buf, no_owner, strlen(no_owner)) == 0);
	assert_string_equal(strstr(buf, "\tcounter ignored_3"),
	    strstr(small_create, "\tcounter ignored_3"));
}

/*
 * Two sets on one VLAN device, WAN side: one node (hashed mod 2, both
 * buckets to it: nft refuses mod 1), three nodes with the middle one
 * elsewhere, ip-stealth and ip-unicast MACs, a VIP in both sets listed
 * once in the ARP rule, an IPv6 VIP not in it, seed 0 written.
 */
static const char two_create[] =
	"table netdev carpsync_eth1.100\n"
	"delete table netdev carpsync_eth1.100\n"
	"table netdev carpsync_eth1.100 {\n"
	"\tcounter accepted_10 { }\n"
	"\tcounter ignored_10 { }\n"
	"\tchain accept_10 {\n"
	"\t\tcounter name \"accepted_10\" meta pkttype set host accept\n"
	"\t}\n"
	"\tchain ignore_10 {\n"
	"\t\tcounter name \"ignored_10\" drop\n"
	"\t}\n"
	"\tcounter accepted_20 { }\n"
	"\tcounter ignored_20 { }\n"
	"\tcounter accepted_21 { }\n"
	"\tcounter ignored_21 { }\n"
	"\tcounter accepted_22 { }\n"
	"\tcounter ignored_22 { }\n"
	"\tchain accept_20 {\n"
	"\t\tcounter name \"accepted_20\" meta pkttype set host accept\n"
	"\t}\n"
	"\tchain ignore_20 {\n"
	"\t\tcounter name \"ignored_20\" drop\n"
	"\t}\n"
	"\tchain accept_21 {\n"
	"\t\tcounter name \"accepted_21\" meta pkttype set host accept\n"
	"\t}\n"
	"\tchain ignore_21 {\n"
	"\t\tcounter name \"ignored_21\" drop\n"
	"\t}\n"
	"\tchain accept_22 {\n"
	"\t\tcounter name \"accepted_22\" meta pkttype set host accept\n"
	"\t}\n"
	"\tchain ignore_22 {\n"
	"\t\tcounter name \"ignored_22\" drop\n"
	"\t}\n"
	"\tcounter nd_ns_dropped { }\n"
	"\tcounter nd_ns_resourced { }\n"
	"\tmap owned_10 {\n"
	"\t\ttypeof numgen inc mod 2 : verdict\n"
	"\t\telements = { 0 : jump accept_10, 1 : jump accept_10 }\n"
	"\t}\n"
	"\tmap owned_20 {\n"
	"\t\ttypeof numgen inc mod 3 : verdict\n"
	"\t\telements = { 0 : jump accept_20, 1 : jump ignore_21, "
	    "2 : jump accept_22 }\n"
	"\t}\n"
	"\tchain group_10 {\n"
	"\t\tjhash ip daddr . ip saddr mod 2 seed 0xffffffff vmap @owned_10\n"
	"\t\ticmpv6 type nd-neighbor-solicit @th,64,128 "
	    "{ 0x20010db80001000000000000000000fe } "
	    "counter name \"nd_ns_dropped\" drop\n"
	"\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } "
	    "meta pkttype set host accept\n"
	"\t\tjhash ip6 daddr . ip6 saddr mod 2 seed 0xffffffff "
	    "vmap @owned_10\n"
	"\t}\n"
	"\tchain group_20 {\n"
	"\t\tjhash ip daddr . ip saddr mod 3 seed 0x0 vmap @owned_20\n"
	"\t\ticmpv6 type nd-neighbor-solicit @th,64,128 "
	    "{ 0x20010db80001000000000000000000fe } "
	    "counter name \"nd_ns_dropped\" drop\n"
	"\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } "
	    "meta pkttype set host accept\n"
	"\t\tjhash ip6 daddr . ip6 saddr mod 3 seed 0x0 "
	    "vmap @owned_20\n"
	"\t}\n"
	"\tchain in {\n"
	"\t\ttype filter hook ingress device \"eth1.100\" priority -300; "
	    "policy accept;\n"
	"\t\t@ll,0,48 0x00005e00010a jump group_10\n"
	"\t\t@ll,0,48 0x00005e000114 jump group_20\n"
	"\t\tarp operation request arp daddr ip { 198.51.100.254, "
	    "198.51.100.253 } drop\n"
	"\t\ticmpv6 type nd-neighbor-solicit @th,64,128 "
	    "{ 0x20010db80001000000000000000000fe } "
	    "counter name \"nd_ns_dropped\" drop\n"
	"\t}\n"
	"\tchain out {\n"
	"\t\ttype filter hook egress device \"eth1.100\" priority -300; "
	    "policy accept;\n"
	"\t\ticmpv6 type nd-neighbor-solicit ip6 saddr { 2001:db8:1::fe } "
	    "counter name \"nd_ns_resourced\" ip6 saddr set fe80::1\n"
	"\t}\n"
	"}\n";

static void
two_sets(struct carp_balance_set s[2])
{
	memset(s, 0, 2 * sizeof(s[0]));
	strcpy(s[0].carpdev, "eth1.100");
	s[0].mode = CARP_BAL_IP_STEALTH;
	s[0].side = CARP_BAL_WAN;
	s[0].seed = 0xffffffff;
	s[0].n = 1;
	s[0].vhids[0] = 10;
	s[0].owned = 1;
	s[0].nvips = 2;
	s[0].vips[0].af = AF_INET;
	ip4("198.51.100.254", s[0].vips[0].addr);
	s[0].vips[1].af = AF_INET;
	ip4("198.51.100.253", s[0].vips[1].addr);
	strcpy(s[1].carpdev, "eth1.100");
	s[1].mode = CARP_BAL_IP_UNICAST;
	s[1].side = CARP_BAL_WAN;
	s[1].n = 3;
	s[1].vhids[0] = 20;
	s[1].vhids[1] = 21;
	s[1].vhids[2] = 22;
	s[1].owned = 0x5;
	s[1].nvips = 2;
	s[1].vips[0].af = AF_INET;
	ip4("198.51.100.254", s[1].vips[0].addr);
	s[1].vips[1].af = AF_INET6;
	ip6("2001:db8:1::fe", s[1].vips[1].addr);
	ip6("fe80::1", s[1].nd_src);	/* the kernel's NS from the VIP */
}

static void
test_nft_create_two_sets(void **state)
{
	struct carp_balance_set	 s[2];
	char			 buf[4096];

	two_sets(s);
	assert_int_equal(carp_balance_nft_create(s, 2, CARP_BAL_NFT_NO_OWNER,
	    buf, sizeof(buf)), (int)strlen(two_create));
	assert_string_equal(buf, two_create);
}

/* Every cap short of the text fails, leaving "", and never overruns. */
static void
test_nft_create_no_room(void **state)
{
	struct carp_balance_set	 s;
	char			 buf[4096];
	size_t			 cap, len = strlen(small_create);

	small_set(&s);
	for (cap = 1; cap <= len; cap++) {
		memset(buf, 'x', sizeof(buf));
		assert_int_equal(carp_balance_nft_create(&s, 1, 0, buf, cap), -1);
		assert_int_equal(buf[0], '\0');
		assert_int_equal(buf[cap], 'x');
	}
	assert_int_equal(carp_balance_nft_create(&s, 1, 0, buf, len + 1),
	    (int)len);
	assert_int_equal(carp_balance_nft_create(&s, 1, 0, NULL, 100), -1);
	assert_int_equal(carp_balance_nft_create(&s, 1, 0, buf, 0), -1);
}

/* What a set may not be: each change alone makes it refused. */
static void
test_nft_create_refused(void **state)
{
	static const char *const bad_names[] = {
		"", ".", "..", "eth0;", "eth0 x", "eth\"0", "eth0}", "a/b",
		"0123456789abcdef", "eth\n0", "é",
	};
	struct carp_balance_set	 s, t[2];
	char			 buf[4096];
	size_t			 i;

	for (i = 0; i < NELEM(bad_names); i++) {
		small_set(&s);
		if (strlen(bad_names[i]) < sizeof(s.carpdev))
			strcpy(s.carpdev, bad_names[i]);
		else	/* too long: a full buffer without a NUL */
			memset(s.carpdev, 'a', sizeof(s.carpdev));
		assert_int_equal(carp_balance_nft_create(&s, 1, 0, buf,
		    sizeof(buf)), -1);
		assert_int_equal(carp_balance_devname_ok(bad_names[i]), -1);
	}
	assert_int_equal(carp_balance_devname_ok("br-lan.10_x"), 0);
	assert_int_equal(carp_balance_devname_ok("0123456789abcde"), 0);
	assert_int_equal(carp_balance_devname_ok(NULL), -1);

#define REFUSED(change) do {						\
	small_set(&s);							\
	change;								\
	assert_int_equal(carp_balance_set_check(&s), -1);		\
	assert_int_equal(carp_balance_nft_create(&s, 1, 0, buf,		\
	    sizeof(buf)), -1);						\
	assert_int_equal(carp_balance_nft_update(&s, buf, sizeof(buf)), -1); \
} while (0)
	REFUSED(s.mode = CARP_BAL_NONE);
	REFUSED(s.mode = CARP_BAL__MAX);
	REFUSED(s.side = (enum carp_balance_side)2);
	REFUSED(s.n = 0);
	REFUSED(s.n = CARP_MAX_NODES + 1);
	REFUSED(s.vhids[1] = 3);		/* not ascending */
	REFUSED(s.vhids[1] = 2);
	REFUSED(s.vhids[0] = 0);
	REFUSED(s.owned = 0x4);			/* a bucket beyond n */
	REFUSED(s.nvips = 0);
	REFUSED(s.nvips = CARP_BAL_MAX_VIPS + 1);
	REFUSED(s.vips[1].af = AF_UNIX);
#undef REFUSED
	small_set(&s);
	assert_int_equal(carp_balance_set_check(&s), 0);
	s.n = CARP_MAX_NODES;
	for (i = 0; i < CARP_MAX_NODES; i++)
		s.vhids[i] = (uint8_t)(i + 1);
	s.owned = 0xffffffff;
	assert_int_equal(carp_balance_set_check(&s), 0);

	/* across sets: one carpdev, no vhid twice */
	two_sets(t);
	strcpy(t[1].carpdev, "eth2");
	assert_int_equal(carp_balance_nft_create(t, 2, 0, buf, sizeof(buf)), -1);
	two_sets(t);
	t[1].vhids[0] = 10;
	assert_int_equal(carp_balance_nft_create(t, 2, 0, buf, sizeof(buf)), -1);
	assert_int_equal(carp_balance_nft_create(t, 0, 0, buf, sizeof(buf)), -1);
	assert_int_equal(carp_balance_nft_create(NULL, 1, 0, buf, sizeof(buf)),
	    -1);
}

static void
test_nft_update(void **state)
{
	struct carp_balance_set	 s, t[2];
	char			 buf[512];
	const char		*want;

	small_set(&s);
	s.owned = 0x3;
	want = "flush map netdev carpsync_eth0 owned_3\n"
	    "add element netdev carpsync_eth0 owned_3 "
	    "{ 0 : jump accept_3, 1 : jump accept_4 }\n";
	assert_int_equal(carp_balance_nft_update(&s, buf, sizeof(buf)),
	    (int)strlen(want));
	assert_string_equal(buf, want);
	s.owned = 0;
	assert_true(carp_balance_nft_update(&s, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "{ 0 : jump ignore_3, 1 : jump ignore_4 }"));
	two_sets(t);
	t[0].owned = 0;
	assert_true(carp_balance_nft_update(&t[0], buf, sizeof(buf)) > 0);
	assert_string_equal(buf,
	    "flush map netdev carpsync_eth1.100 owned_10\n"
	    "add element netdev carpsync_eth1.100 owned_10 "
	    "{ 0 : jump ignore_10, 1 : jump ignore_10 }\n");
	assert_int_equal(carp_balance_nft_update(&s, buf, 40), -1);
	assert_string_equal(buf, "");
}

static void
test_table_name(void **state)
{
	char	 buf[32];

	assert_int_equal(carp_balance_table_name("eth0", buf, sizeof(buf)), 13);
	assert_string_equal(buf, "carpsync_eth0");
	assert_int_equal(carp_balance_table_name("eth0", buf, 13), -1);
	assert_int_equal(carp_balance_table_name("eth 0", buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
}

/* --- counters ------------------------------------------------------- */

/* `nft list counters table netdev carpsync_eth0`, nftables 1.0.6, after
 * 192.0.2.100..108 sent one packet each (the kernel vector above). */
static const char listing[] =
	"table netdev carpsync_eth0 {\n"
	"\tcounter accepted_3 {\n"
	"\t\tpackets 5 bytes 145\n"
	"\t}\n"
	"\tcounter ignored_3 {\n"
	"\t\tpackets 0 bytes 0\n"
	"\t}\n"
	"\tcounter accepted_4 {\n"
	"\t\tpackets 0 bytes 0\n"
	"\t}\n"
	"\tcounter ignored_4 {\n"
	"\t\tpackets 4 bytes 116\n"
	"\t}\n"
	"}\n";

static void
test_counters_listing(void **state)
{
	struct carp_bal_count	 c[4];

	memset(c, 0xee, sizeof(c));
	assert_int_equal(carp_balance_parse_counters(listing, c, 4), 2);
	assert_int_equal(c[0].vhid, 3);
	assert_int_equal(c[0].accepted, 5);
	assert_int_equal(c[0].ignored, 0);
	assert_int_equal(c[1].vhid, 4);
	assert_int_equal(c[1].accepted, 0);
	assert_int_equal(c[1].ignored, 4);
	/* room for one vhid only */
	assert_int_equal(carp_balance_parse_counters(listing, c, 1), -1);
}

/* Other counters, comments, a lone ignored_V, big values, no newline. */
static void
test_counters_variants(void **state)
{
	struct carp_bal_count	 c[4];

	assert_int_equal(carp_balance_parse_counters(
	    "table netdev carpsync_eth1.100 { # progname carpd\n"
	    "\tcounter other { packets 9 bytes 9 }\n"
	    "\tcounter ignored_255 {\n\t\tpackets 18446744073709551614 "
	    "bytes 1\n\t}\n"
	    "\tcounter accepted_0 { packets 1 bytes 1 }\n"
	    "\tcounter accepted_007 { packets 1 bytes 1 }\n"
	    "\tcounter accepted_256 { packets 1 bytes 1 }\n"
	    "\tcounter accepted_1 { packets 7 bytes 700 }\n}", c, 4), 2);
	assert_int_equal(c[0].vhid, 255);
	assert_int_equal(c[0].accepted, 0);
	assert_true(c[0].ignored == UINT64_C(18446744073709551614));
	assert_int_equal(c[1].vhid, 1);
	assert_int_equal(c[1].accepted, 7);
	/* a table without counters */
	assert_int_equal(carp_balance_parse_counters(
	    "table netdev carpsync_eth0 {\n}\n", c, 4), 0);
}

static void
test_counters_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"Error: No such file or directory\n",
		"table inet filter {\n}\n",
		"table netdev x\n",
		"table netdev x {\n",
		"table netdev x {\n\tcounter accepted_3 {\n",
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets 5\n\t}\n}\n",
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets -5 bytes 1\n\t}\n}\n",
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets 5x bytes 1\n\t}\n}\n",
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets "
		    "99999999999999999999 bytes 1\n\t}\n}\n",
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets 1 bytes 1 "
		    "quota 3\n\t}\n}\n",
		"table netdev x {\n\tchain in {\n\t}\n}\n",
		"table netdev x {\n}\ntable netdev y {\n}\n",
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets 1 bytes 1\n"
		    "\t}\n}\n}\n",
		/* the table's closing brace missing */
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets 1 bytes 1\n"
		    "\t}\n",
		"table netdev x {\n\tcounter accepted_3 { packets 1 bytes 1 }",
		/* a word longer than any nft prints */
		"table netdev x {\n\tcounter accepted_3 {\n\t\tpackets 1 bytes 1\n"
		    "\t}\n}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxx\n",
		"table netdev x {\n\tcounter "
		    "accepted_3xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    " { packets 1 bytes 1 }\n}\n",
	};
	struct carp_bal_count	 c[4];
	size_t			 i;

	for (i = 0; i < NELEM(bad); i++)
		assert_int_equal(carp_balance_parse_counters(bad[i], c, 4), -1);
	assert_int_equal(carp_balance_parse_counters(NULL, c, 4), -1);
	assert_int_equal(carp_balance_parse_counters(listing, NULL, 4), -1);
}

/* --- ARP ------------------------------------------------------------ */

/*
 * The client 02:00:00:00:00:64 / 192.0.2.100 asks for the VIP
 * 192.0.2.254 (broadcast, padded to 60 bytes as on the wire). This node:
 * real MAC 02:00:00:00:00:01, carpnodes 3 and 4, MASTER of 3.
 */
#define REQ	"ffffffffffff" "020000000064" "0806" \
		"0001" "0800" "06" "04" "0001" \
		"020000000064" "c0000264" "000000000000" "c00002fe" \
		"000000000000000000000000000000000000"
#define OFF_ETH_DST	0
#define OFF_ETH_SRC	6
#define OFF_TYPE	12
#define OFF_HTYPE	14
#define OFF_PTYPE	16
#define OFF_HLEN	18
#define OFF_PLEN	19
#define OFF_OP		20
#define OFF_SHA		22
#define OFF_SPA		28
#define OFF_TPA		38

static const uint8_t real_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void
arp_ctx(struct carp_arp_ctx *ctx, enum carp_balancing mode)
{
	struct carp_balance_set	 s;

	small_set(&s);
	s.mode = mode;
	s.nvips = 3;			/* the IPv6 VIP is left out */
	s.vips[2].af = AF_INET;
	ip4("192.0.2.253", s.vips[2].addr);
	carp_arp_ctx_from_set(&s, real_mac, ctx);
	assert_int_equal(ctx->nvips, 2);
}

static void
test_arp_reply_modes(void **state)
{
	static const struct {
		enum carp_balancing	 mode;
		const char		*reply;
	} v[] = {
		{ CARP_BAL_IP, "020000000064" "020000000001" "0806"
		    "0001" "0800" "06" "04" "0002"
		    "01005e000103" "c00002fe" "020000000064" "c0000264" },
		{ CARP_BAL_IP_STEALTH, "020000000064" "020000000001" "0806"
		    "0001" "0800" "06" "04" "0002"
		    "00005e000103" "c00002fe" "020000000064" "c0000264" },
		{ CARP_BAL_IP_UNICAST, "020000000064" "00005e000103" "0806"
		    "0001" "0800" "06" "04" "0002"
		    "00005e000103" "c00002fe" "020000000064" "c0000264" },
	};
	struct carp_arp_ctx	 ctx;
	uint8_t			 req[64], want[64], out[64];
	size_t			 i, rn, outn;

	rn = unhex(REQ, req, sizeof(req));
	assert_int_equal(rn, 60);
	for (i = 0; i < NELEM(v); i++) {
		size_t	 n = unhex(v[i].reply, want, sizeof(want));

		arp_ctx(&ctx, v[i].mode);
		assert_int_equal(n, CARP_ARP_FRAME_LEN);
		memset(out, 0xee, sizeof(out));
		assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
		    &outn), CARP_ARP_REPLY);
		assert_int_equal(outn, CARP_ARP_FRAME_LEN);
		assert_memory_equal(out, want, n);
		assert_int_equal(out[n], 0xee);
		/* unpadded, exactly 42 bytes, and room for exactly 42 */
		assert_int_equal(carp_arp_answer(req, 42, &ctx, out, 42, &outn),
		    CARP_ARP_REPLY);
		assert_memory_equal(out, want, n);
	}
}

/* A request for the second VIP, sent unicast to the shared MAC (a cache
 * refresh) or to the real MAC (a cache from before balancing). */
static void
test_arp_reply_unicast(void **state)
{
	struct carp_arp_ctx	 ctx;
	uint8_t			 req[64], want[64], out[64];
	size_t			 rn, n, outn;

	arp_ctx(&ctx, CARP_BAL_IP);
	rn = unhex(REQ, req, sizeof(req));
	memcpy(req + OFF_ETH_DST, ctx.shared_mac, 6);
	memcpy(req + OFF_TPA, "\xc0\x00\x02\xfd", 4);
	n = unhex("020000000064" "020000000001" "0806" "0001" "0800" "06" "04"
	    "0002" "01005e000103" "c00002fd" "020000000064" "c0000264",
	    want, sizeof(want));
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_REPLY);
	assert_memory_equal(out, want, n);
	memcpy(req + OFF_ETH_DST, real_mac, 6);
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_REPLY);
	assert_memory_equal(out, want, n);
}

/* RFC 5227 probe (spa 0.0.0.0): a unicast reply to the prober, tpa 0. */
static void
test_arp_probe(void **state)
{
	struct carp_arp_ctx	 ctx;
	uint8_t			 req[64], want[64], out[64];
	size_t			 rn, n, outn;

	arp_ctx(&ctx, CARP_BAL_IP_STEALTH);
	rn = unhex(REQ, req, sizeof(req));
	memset(req + OFF_SPA, 0, 4);
	n = unhex("020000000064" "020000000001" "0806" "0001" "0800" "06" "04"
	    "0002" "00005e000103" "c00002fe" "020000000064" "00000000",
	    want, sizeof(want));
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_REPLY);
	assert_int_equal(outn, 42);
	assert_memory_equal(out, want, n);
}

/* One change to the request each, and the reason it is refused for. */
static const struct {
	const char		*name;
	size_t			 off;
	const char		*hex;		/* written at off */
	enum carp_arp_verdict	 want;
} rejects[] = {
	{ "IPv4 EtherType", OFF_TYPE, "0800", CARP_ARP_NOT_ARP },
	{ "VLAN tag", OFF_TYPE, "8100", CARP_ARP_NOT_ARP },
	{ "RARP EtherType", OFF_TYPE, "8035", CARP_ARP_NOT_ARP },
	{ "htype 6 (IEEE 802)", OFF_HTYPE, "0006", CARP_ARP_BAD_HTYPE },
	{ "ptype IPv6", OFF_PTYPE, "86dd", CARP_ARP_BAD_PTYPE },
	{ "hlen 8", OFF_HLEN, "08", CARP_ARP_BAD_HLEN },
	{ "plen 16", OFF_PLEN, "10", CARP_ARP_BAD_PLEN },
	{ "a reply", OFF_OP, "0002", CARP_ARP_NOT_REQUEST },
	{ "RARP request", OFF_OP, "0003", CARP_ARP_NOT_REQUEST },
	{ "op 0", OFF_OP, "0000", CARP_ARP_NOT_REQUEST },
	{ "unicast to another host", OFF_ETH_DST, "020000000099",
	    CARP_ARP_NOT_FOR_US },
	{ "to another multicast MAC", OFF_ETH_DST, "01005e000104",
	    CARP_ARP_NOT_FOR_US },
	{ "another target", OFF_TPA, "c0000201", CARP_ARP_NOT_OURS },
	{ "target 0.0.0.0", OFF_TPA, "00000000", CARP_ARP_NOT_OURS },
	{ "sha our shared MAC", OFF_SHA, "01005e000103", CARP_ARP_LOOP },
	{ "sha our real MAC", OFF_SHA, "020000000001", CARP_ARP_LOOP },
	{ "sent by us", OFF_ETH_SRC, "020000000001", CARP_ARP_LOOP },
	{ "sent from the shared MAC", OFF_ETH_SRC, "01005e000103",
	    CARP_ARP_LOOP },
	{ "sha zero", OFF_SHA, "000000000000", CARP_ARP_BAD_SHA },
	{ "sha multicast", OFF_SHA, "01005e000001", CARP_ARP_BAD_SHA },
	{ "sha broadcast", OFF_SHA, "ffffffffffff", CARP_ARP_BAD_SHA },
	{ "announcement of the VIP", OFF_SPA, "c00002fe", CARP_ARP_CONFLICT },
	{ "sender uses the other VIP", OFF_SPA, "c00002fd", CARP_ARP_CONFLICT },
	{ "spa multicast", OFF_SPA, "e0000001", CARP_ARP_BAD_SPA },
	{ "spa broadcast", OFF_SPA, "ffffffff", CARP_ARP_BAD_SPA },
	{ "spa class E", OFF_SPA, "f0000001", CARP_ARP_BAD_SPA },
	{ "spa loopback", OFF_SPA, "7f000001", CARP_ARP_BAD_SPA },
	{ "spa 0.0.0.1", OFF_SPA, "00000001", CARP_ARP_BAD_SPA },
	{ "spa 223.255.255.255 is fine", OFF_SPA, "dfffffff", CARP_ARP_REPLY },
};

static void
test_arp_rejects(void **state)
{
	struct carp_arp_ctx	 ctx;
	uint8_t			 req[64], patch[8], out[64];
	size_t			 i, outn;

	arp_ctx(&ctx, CARP_BAL_IP);
	for (i = 0; i < NELEM(rejects); i++) {
		size_t	 rn = unhex(REQ, req, sizeof(req));
		size_t	 pn = unhex(rejects[i].hex, patch, sizeof(patch));


		memcpy(req + rejects[i].off, patch, pn);
		outn = 99;
		memset(out, 0xee, sizeof(out));
		if (carp_arp_answer(req, rn, &ctx, out, sizeof(out), &outn) !=
		    rejects[i].want)
			fail_msg("%s: %s, not %s", rejects[i].name,
			    carp_arp_verdict_names[carp_arp_answer(req, rn,
			    &ctx, out, sizeof(out), &outn)],
			    carp_arp_verdict_names[rejects[i].want]);
		if (rejects[i].want != CARP_ARP_REPLY) {
			assert_int_equal(outn, 0);
			assert_int_equal(out[0], 0xee);
		}
	}
}

/*
 * Two groups on one carpdev: the shell asks each in turn until one owns
 * the target. A unicast request to the second group's MAC for its VIP
 * is "not ours" to the first (not "not for us", which would end the
 * search there) and answered by the second.
 */
static void
test_arp_two_groups(void **state)
{
	struct carp_arp_ctx	 a, b;
	uint8_t			 req[64], out[64];
	size_t			 rn, outn;

	arp_ctx(&a, CARP_BAL_IP);
	arp_ctx(&b, CARP_BAL_IP);
	b.nvips = 1;
	memcpy(b.vips[0], "\xc0\x00\x02\x0a", 4);	/* 192.0.2.10 */
	b.shared_mac[5] = 0x05;
	rn = unhex(REQ, req, sizeof(req));
	memcpy(req + OFF_ETH_DST, b.shared_mac, 6);
	memcpy(req + OFF_TPA, b.vips[0], 4);
	assert_int_equal(carp_arp_answer(req, rn, &a, out, sizeof(out), &outn),
	    CARP_ARP_NOT_OURS);
	assert_int_equal(carp_arp_answer(req, rn, &b, out, sizeof(out), &outn),
	    CARP_ARP_REPLY);
	assert_memory_equal(out + 22, b.shared_mac, 6);
}

/* What is refused before the frame is read, and the short frames. */
static void
test_arp_refused_ctx(void **state)
{
	struct carp_arp_ctx	 ctx;
	uint8_t			 req[64], out[64];
	size_t			 rn, len, outn;

	rn = unhex(REQ, req, sizeof(req));
	arp_ctx(&ctx, CARP_BAL_IP);
	for (len = 0; len < CARP_ARP_FRAME_LEN; len++)
		assert_int_equal(carp_arp_answer(req, len, &ctx, out,
		    sizeof(out), &outn), CARP_ARP_SHORT);
	assert_int_equal(carp_arp_answer(NULL, 60, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_SHORT);
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, 41, &outn),
	    CARP_ARP_NO_ROOM);
	assert_int_equal(carp_arp_answer(req, rn, &ctx, NULL, 64, &outn),
	    CARP_ARP_NO_ROOM);
	ctx.owned = 0;
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_NOT_MASTER);
	ctx.owned = 0x2;	/* MASTER of the other node's vhid only */
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_REPLY);
	ctx.mode = CARP_BAL_NONE;
	assert_int_equal(carp_arp_answer(req, rn, &ctx, out, sizeof(out),
	    &outn), CARP_ARP_NOT_BALANCED);
	assert_int_equal(outn, 0);
}

static void
test_arp_names(void **state)
{
	size_t	 i, j;

	for (i = 0; i < CARP_ARP__MAX; i++) {
		assert_non_null(carp_arp_verdict_names[i]);
		for (j = 0; j < i; j++)
			assert_string_not_equal(carp_arp_verdict_names[i],
			    carp_arp_verdict_names[j]);
	}
	assert_string_equal(carp_arp_verdict_names[CARP_ARP_NOT_OURS],
	    "not-ours");
	for (i = 0; i < CARP_BAL__MAX; i++)
		assert_non_null(carp_balance_mode_names[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jhash_published),
		cmocka_unit_test(test_jhash_lengths),
		cmocka_unit_test(test_bucket_kernel_vector),
		cmocka_unit_test(test_bucket_ipv6),
		cmocka_unit_test(test_bucket_limits),
		cmocka_unit_test(test_bucket_spread),
		cmocka_unit_test(test_owned),
		cmocka_unit_test(test_mac),
		cmocka_unit_test(test_nft_create_small),
		cmocka_unit_test(test_nft_create_two_sets),
		cmocka_unit_test(test_nft_create_no_room),
		cmocka_unit_test(test_nft_create_refused),
		cmocka_unit_test(test_nft_update),
		cmocka_unit_test(test_table_name),
		cmocka_unit_test(test_counters_listing),
		cmocka_unit_test(test_counters_variants),
		cmocka_unit_test(test_counters_bad),
		cmocka_unit_test(test_arp_reply_modes),
		cmocka_unit_test(test_arp_reply_unicast),
		cmocka_unit_test(test_arp_probe),
		cmocka_unit_test(test_arp_rejects),
		cmocka_unit_test(test_arp_two_groups),
		cmocka_unit_test(test_arp_refused_ctx),
		cmocka_unit_test(test_arp_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
