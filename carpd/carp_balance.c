/*
 * carp_balance.c: the pure core of active/active balancing (issue 6):
 * the shared MAC, the kernel's jhash and nft's bucket choice, the netdev
 * table carpd owns as nft text, its counters' listing, and the ARP
 * replies for the shared address. See carp_balance.h for the data path.
 */
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include "buf.h"
#include "carp_balance.h"

const char *const carp_balance_mode_names[CARP_BAL__MAX] = {
	[CARP_BAL_NONE]		= "none",
	[CARP_BAL_IP]		= "ip",
	[CARP_BAL_IP_STEALTH]	= "ip-stealth",
	[CARP_BAL_IP_UNICAST]	= "ip-unicast",
};

const char *const carp_arp_verdict_names[CARP_ARP__MAX] = {
	[CARP_ARP_REPLY]	= "reply",
	[CARP_ARP_SHORT]	= "short",
	[CARP_ARP_NOT_ARP]	= "not-arp",
	[CARP_ARP_BAD_HTYPE]	= "bad-htype",
	[CARP_ARP_BAD_PTYPE]	= "bad-ptype",
	[CARP_ARP_BAD_HLEN]	= "bad-hlen",
	[CARP_ARP_BAD_PLEN]	= "bad-plen",
	[CARP_ARP_NOT_REQUEST]	= "not-request",
	[CARP_ARP_NOT_FOR_US]	= "not-for-us",
	[CARP_ARP_NOT_OURS]	= "not-ours",
	[CARP_ARP_BAD_SHA]	= "bad-sha",
	[CARP_ARP_BAD_SPA]	= "bad-spa",
	[CARP_ARP_LOOP]		= "loop",
	[CARP_ARP_CONFLICT]	= "conflict",
	[CARP_ARP_NOT_MASTER]	= "not-master",
	[CARP_ARP_NOT_BALANCED]	= "not-balanced",
	[CARP_ARP_NO_ROOM]	= "no-room",
};

/*
 * OpenBSD ip_carp.c carp_set_vhe_enaddr: 00:00:5e:00:01:VHID, with bit 0
 * of the first byte set (a multicast address) for the leader in
 * `balancing ip`, so that switches flood it to every node.
 */
void
carp_balance_mac(enum carp_balancing mode, uint8_t leader_vhid,
    uint8_t mac[6])
{
	mac[0] = mode == CARP_BAL_IP ? 0x01 : 0x00;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = 0x00;
	mac[4] = 0x01;
	mac[5] = leader_vhid;
}

/* --- jhash (lookup3) ------------------------------------------------- */

struct jh {
	uint32_t	a, b, c;
};

/* s is always 4..25 here, never 0 or 32. */
static uint32_t
rol32(uint32_t w, unsigned s)
{
	return (w << s) | (w >> (32 - s));
}

/* lookup3 mix(): mixes three words reversibly, one 12-byte block. */
static void
jh_mix(struct jh *h)
{
	h->a -= h->c; h->a ^= rol32(h->c, 4); h->c += h->b;
	h->b -= h->a; h->b ^= rol32(h->a, 6); h->a += h->c;
	h->c -= h->b; h->c ^= rol32(h->b, 8); h->b += h->a;
	h->a -= h->c; h->a ^= rol32(h->c, 16); h->c += h->b;
	h->b -= h->a; h->b ^= rol32(h->a, 19); h->a += h->c;
	h->c -= h->b; h->c ^= rol32(h->b, 4); h->b += h->a;
}

/* lookup3 final(): the last mixing into c. */
static void
jh_final(struct jh *h)
{
	h->c ^= h->b; h->c -= rol32(h->b, 14);
	h->a ^= h->c; h->a -= rol32(h->c, 11);
	h->b ^= h->a; h->b -= rol32(h->a, 25);
	h->c ^= h->b; h->c -= rol32(h->b, 16);
	h->a ^= h->c; h->a -= rol32(h->c, 4);
	h->b ^= h->a; h->b -= rol32(h->a, 14);
	h->c ^= h->b; h->c -= rol32(h->b, 24);
}

/* A whole word as the kernel's get_unaligned_cpu32 reads it: host order. */
static uint32_t
word_cpu(const uint8_t *p)
{
	uint32_t	 w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Bytes [i, i+4) of the tail, little-endian (the kernel's explicit shifts). */
static uint32_t
tail_word(const uint8_t *k, uint32_t len, uint32_t i)
{
	uint32_t	 w = 0, j;

	for (j = 0; j < 4 && i + j < len; j++)
		w += (uint32_t)k[i + j] << (8 * j);
	return w;
}

/*
 * include/linux/jhash.h jhash(): a = b = c = 0xdeadbeef + len + initval;
 * every 12-byte block but the last is added and mixed; the last 1..12
 * bytes are added and finalised; an empty key returns c unmixed.
 */
uint32_t
carp_jhash(const void *key, uint32_t len, uint32_t initval)
{
	const uint8_t	*k = key;
	struct jh	 h;

	h.a = h.b = h.c = 0xdeadbeefU + len + initval;
	for (; len > 12; len -= 12, k += 12) {
		h.a += word_cpu(k);
		h.b += word_cpu(k + 4);
		h.c += word_cpu(k + 8);
		jh_mix(&h);
	}
	if (len == 0)
		return h.c;
	h.a += tail_word(k, len, 0);
	h.b += tail_word(k, len, 4);
	h.c += tail_word(k, len, 8);
	jh_final(&h);
	return h.c;
}

/* include/linux/kernel.h reciprocal_scale(): [0, 2^32) onto [0, n). */
static unsigned
reciprocal_scale(uint32_t h, uint32_t n)
{
	return (unsigned)(((uint64_t)h * n) >> 32);
}

/* The modulus the table hashes with: nft_hash refuses mod < 2. */
static unsigned
nft_modulus(unsigned n)
{
	return n < 2 ? 2 : n;
}

unsigned
carp_balance_bucket(int af, const uint8_t *src, const uint8_t *dst,
    enum carp_balance_side side, uint32_t seed, unsigned n)
{
	uint8_t		 key[32];
	const uint8_t	*first, *second;
	size_t		 alen;

	if (n < 1 || n > CARP_MAX_NODES)
		return n;
	if (af == AF_INET)
		alen = 4;
	else if (af == AF_INET6)
		alen = 16;
	else
		return n;
	first = side == CARP_BAL_WAN ? dst : src;
	second = side == CARP_BAL_WAN ? src : dst;
	memcpy(key, first, alen);
	memcpy(key + alen, second, alen);
	/* mod 2 for one node: both buckets map to node 0 */
	return reciprocal_scale(carp_jhash(key, (uint32_t)(2 * alen), seed),
	    nft_modulus(n)) % n;
}

uint32_t
carp_balance_owned(const int *is_master, unsigned n)
{
	uint32_t	 m = 0;
	unsigned	 i;

	for (i = 0; i < n && i < CARP_MAX_NODES; i++)
		if (is_master[i])
			m |= UINT32_C(1) << i;
	return m;
}

/* --- validation ------------------------------------------------------ */

int
carp_balance_devname_ok(const char *dev)
{
	size_t	 i, len;

	if (dev == NULL)
		return -1;
	len = strnlen(dev, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ || strcmp(dev, ".") == 0 ||
	    strcmp(dev, "..") == 0)
		return -1;
	/* nft text: only characters that need no quoting or escaping */
	for (i = 0; i < len; i++) {
		unsigned char	 ch = (unsigned char)dev[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' ||
		    ch == '-'))
			return -1;
	}
	return 0;
}

static int
vhids_ok(const struct carp_balance_set *s)
{
	unsigned	 i;

	for (i = 0; i < s->n; i++)
		if (s->vhids[i] == 0 || (i > 0 && s->vhids[i] <= s->vhids[i - 1]))
			return -1;
	return 0;
}

static int
vips_ok(const struct carp_balance_set *s)
{
	unsigned	 i;

	if (s->nvips < 1 || s->nvips > CARP_BAL_MAX_VIPS)
		return -1;
	for (i = 0; i < s->nvips; i++)
		if (s->vips[i].af != AF_INET && s->vips[i].af != AF_INET6)
			return -1;
	return 0;
}

int
carp_balance_set_check(const struct carp_balance_set *s)
{
	if (s == NULL || carp_balance_devname_ok(s->carpdev) != 0)
		return -1;
	if (s->mode <= CARP_BAL_NONE || s->mode >= CARP_BAL__MAX)
		return -1;
	if (s->side != CARP_BAL_LAN && s->side != CARP_BAL_WAN)
		return -1;
	if (s->n < 1 || s->n > CARP_MAX_NODES || vhids_ok(s) != 0)
		return -1;
	if (s->n < CARP_MAX_NODES && (s->owned >> s->n) != 0)
		return -1;
	return vips_ok(s);
}

/* --- nft text -------------------------------------------------------- */

/* An append-only text buffer; err is sticky, like buf_writer's. */
struct text {
	char	*buf;
	size_t	 cap;
	size_t	 off;
	int	 err;
};

static void
text_init(struct text *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->off = 0;
	t->err = buf == NULL || cap == 0;
	if (!t->err)
		buf[0] = '\0';
}

static void text_add(struct text *, const char *, ...)
    __attribute__((__format__(printf, 2, 3)));

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (t->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->off, t->cap - t->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->off) {
		t->err = 1;
		return;
	}
	t->off += (size_t)n;
}

/* The length written, or -1 with buf emptied. */
static int
text_end(struct text *t)
{
	if (t->err || t->off > INT32_MAX) {
		if (t->buf != NULL && t->cap > 0)
			t->buf[0] = '\0';
		return -1;
	}
	return (int)t->off;
}

int
carp_balance_table_name(const char *dev, char *buf, size_t cap)
{
	struct text	 t;

	text_init(&t, buf, cap);
	if (carp_balance_devname_ok(dev) != 0)
		t.err = 1;
	text_add(&t, "carpsync_%s", dev);
	return text_end(&t);
}

/* "0 : jump accept_3, 1 : jump ignore_4": bucket i to node i's chain. */
static void
text_elements(struct text *t, const struct carp_balance_set *s)
{
	unsigned	 b, mod = nft_modulus(s->n);

	for (b = 0; b < mod; b++) {
		unsigned	 i = b % s->n;

		text_add(t, "%s%u : jump %s_%u", b ? ", " : "", b,
		    (s->owned >> i) & 1 ? "accept" : "ignore", s->vhids[i]);
	}
}

/* accept_V / ignore_V and their counters, for every node of a set. */
static void
text_node_chains(struct text *t, const struct carp_balance_set *s)
{
	unsigned	 i;

	for (i = 0; i < s->n; i++) {
		text_add(t, "\tcounter accepted_%u { }\n", s->vhids[i]);
		text_add(t, "\tcounter ignored_%u { }\n", s->vhids[i]);
	}
	for (i = 0; i < s->n; i++) {
		text_add(t, "\tchain accept_%u {\n\t\tcounter name \"accepted_%u\""
		    " meta pkttype set host accept\n\t}\n", s->vhids[i],
		    s->vhids[i]);
		text_add(t, "\tchain ignore_%u {\n\t\tcounter name \"ignored_%u\""
		    " drop\n\t}\n", s->vhids[i], s->vhids[i]);
	}
}

/*
 * The map of a set. Its key type is that of `numgen ... mod N`, a 32-bit
 * integer like jhash's result: nft 1.0.6 refuses `type mark` for a jhash
 * key (datatype mismatch) and crashes listing a `typeof jhash ...` map.
 */
static void
text_map(struct text *t, const struct carp_balance_set *s)
{
	text_add(t, "\tmap owned_%u {\n\t\ttypeof numgen inc mod %u : verdict\n"
	    "\t\telements = { ", s->vhids[0], nft_modulus(s->n));
	text_elements(t, s);
	text_add(t, " }\n\t}\n");
}

/* Whether the IPv4 VIP at sets[si].vips[vi] appeared before it. */
static int
vip4_seen(const struct carp_balance_set *sets, unsigned si, unsigned vi)
{
	unsigned	 s, v;

	for (s = 0; s <= si; s++) {
		unsigned	 nv = s == si ? vi : sets[s].nvips;

		for (v = 0; v < nv; v++)
			if (sets[s].vips[v].af == AF_INET &&
			    memcmp(sets[s].vips[v].addr, sets[si].vips[vi].addr,
			    4) == 0)
				return 1;
	}
	return 0;
}

/* `arp operation request arp daddr ip { VIPs } drop`, if any IPv4 VIP. */
static void
text_arp_drop(struct text *t, const struct carp_balance_set *sets,
    unsigned nsets)
{
	char		 a[INET_ADDRSTRLEN];
	unsigned	 s, v, n = 0;

	for (s = 0; s < nsets; s++)
		for (v = 0; v < sets[s].nvips; v++) {
			if (sets[s].vips[v].af != AF_INET || vip4_seen(sets, s, v))
				continue;
			inet_ntop(AF_INET, sets[s].vips[v].addr, a, sizeof(a));
			text_add(t, "%s%s", n++ ? ", " : "\t\tarp operation "
			    "request arp daddr ip { ", a);
		}
	if (n > 0)
		text_add(t, " } drop\n");
}

/* Whether the IPv6 VIP at sets[si].vips[vi] appeared before it. */
static int
vip6_seen(const struct carp_balance_set *sets, unsigned si, unsigned vi)
{
	unsigned	 s, v;

	for (s = 0; s <= si; s++) {
		unsigned	 nv = s == si ? vi : sets[s].nvips;

		for (v = 0; v < nv; v++)
			if (sets[s].vips[v].af == AF_INET6 &&
			    memcmp(sets[s].vips[v].addr, sets[si].vips[vi].addr,
			    16) == 0)
				return 1;
	}
	return 0;
}

/*
 * Neighbour solicitations for the IPv6 VIPs stop here, counted: carpd
 * answers them with the shared MAC (carp_nd.h), and the kernel, which
 * holds the VIPs, would answer too, with the real MAC. The target is the
 * 16 bytes after the NS's type, code, checksum and reserved word (RFC
 * 4861 4.3), nft's @th,64,128.
 */
static void
text_ns_drop(struct text *t, const struct carp_balance_set *sets,
    unsigned nsets)
{
	unsigned	 s, v, i, n = 0;

	for (s = 0; s < nsets; s++)
		for (v = 0; v < sets[s].nvips; v++) {
			if (sets[s].vips[v].af != AF_INET6 ||
			    vip6_seen(sets, s, v))
				continue;
			text_add(t, "%s0x", n++ ? ", " : "\t\ticmpv6 type "
			    "nd-neighbor-solicit @th,64,128 { ");
			for (i = 0; i < 16; i++)
				text_add(t, "%02x", sets[s].vips[v].addr[i]);
		}
	if (n > 0)
		text_add(t, " } counter name \"nd_ns_dropped\" drop\n");
}

/* The set's IPv6 VIPs as an nft set, or 0 if it has none. */
static unsigned
text_vip6_set(struct text *t, const struct carp_balance_set *s,
    const char *before)
{
	char		 a[INET6_ADDRSTRLEN];
	unsigned	 v, n = 0;

	for (v = 0; v < s->nvips; v++) {
		if (s->vips[v].af != AF_INET6)
			continue;
		inet_ntop(AF_INET6, s->vips[v].addr, a, sizeof(a));
		text_add(t, "%s%s", n++ ? ", " : before, a);
	}
	if (n > 0)
		text_add(t, " }");
	return n;
}

static int
has_nd_src(const struct carp_balance_set *s)
{
	static const uint8_t	 none[16];

	return memcmp(s->nd_src, none, 16) != 0;
}

static int
has_vip6(const struct carp_balance_set *s)
{
	unsigned	 v;

	for (v = 0; v < s->nvips; v++)
		if (s->vips[v].af == AF_INET6)
			return 1;
	return 0;
}

/* The counters of the IPv6 rules, if there are such rules. */
static void
text_nd_counters(struct text *t, const struct carp_balance_set *sets,
    unsigned nsets)
{
	unsigned	 s;
	int		 v6 = 0, src = 0;

	for (s = 0; s < nsets; s++) {
		v6 |= has_vip6(&sets[s]);
		src |= has_nd_src(&sets[s]);
	}
	if (v6)
		text_add(t, "\tcounter nd_ns_dropped { }\n");
	if (src)
		text_add(t, "\tcounter nd_ns_resourced { }\n");
}

/*
 * The kernel solicits a neighbour from the source of the packet that
 * needs it when that is one of its addresses (RFC 4861 7.2.2; Linux
 * ndisc_solicit), so a reply from an IPv6 VIP makes it ask "who has
 * CLIENT" from the VIP with the carpdev's real MAC as the source
 * link-layer option, and the client (7.2.3) files the VIP under that MAC:
 * its flows would all go to this node. IPv4 has arp_announce=2 for this
 * (carp_vip.c); IPv6 has no such knob, so at egress the source becomes
 * the carpdev's own address nd_src (7.2.2 allows any of the interface's
 * addresses). nft fixes the ICMPv6 checksum for a pseudo-header field.
 * Rewriting the option to the shared MAC instead would not: nft updates
 * no checksum for a raw payload write (measured).
 */
static void
text_egress(struct text *t, const struct carp_balance_set *sets,
    unsigned nsets)
{
	char		 a[INET6_ADDRSTRLEN];
	unsigned	 s;
	int		 open = 0;

	for (s = 0; s < nsets; s++) {
		if (!has_nd_src(&sets[s]))
			continue;
		if (!open++)
			text_add(t, "\tchain out {\n\t\ttype filter hook "
			    "egress device \"%s\" priority -300; policy "
			    "accept;\n", sets[0].carpdev);
		text_add(t, "\t\ticmpv6 type nd-neighbor-solicit ");
		if (text_vip6_set(t, &sets[s], "ip6 saddr { ") == 0) {
			t->err = 1;	/* has_nd_src without an IPv6 VIP */
			return;
		}
		inet_ntop(AF_INET6, sets[s].nd_src, a, sizeof(a));
		text_add(t, " counter name \"nd_ns_resourced\" ip6 saddr set "
		    "%s\n", a);
	}
	if (open)
		text_add(t, "\t}\n");
}

/*
 * The entry of a set in the ingress chain, the first rules a frame meets.
 * The table's cost is nft's interpreter, 8 to 15 ns an expression here
 * (tests/bench/bench_balance-cost.sh, perf by kernel symbol), so every
 * rule carries its decision in as few expressions as it can: the
 * destination MAC as one raw link-layer load, without the `meta iiftype`
 * test that `ether daddr` adds (carpdev is Ethernet: carpd took its
 * 6-byte address, carp_nl_lladdr).
 */
static void
text_group_jump(struct text *t, const struct carp_balance_set *s)
{
	uint8_t		 m[6];

	carp_balance_mac(s->mode, s->vhids[0], m);
	text_add(t, "\t\t@ll,0,48 0x%02x%02x%02x%02x%02x%02x jump group_%u\n",
	    m[0], m[1], m[2], m[3], m[4], m[5], s->vhids[0]);
}

/*
 * The hash rule of one family. On the LAN side the pair (source,
 * destination) is contiguous in the header, so one raw network-header
 * load puts the same bytes in the same registers as `ip saddr . ip
 * daddr` would (8 bytes from offset 12 in IPv4, 32 from offset 8 in
 * IPv6) with one expression instead of two: the same key, the same
 * jhash, the same bucket (test_balance_hash checks the kernel against
 * carp_balance_bucket). The WAN order (destination, source) is not.
 */
static void
text_hash_rule(struct text *t, const struct carp_balance_set *s, int v6)
{
	const char	*fam = v6 ? "ip6" : "ip";

	if (s->side == CARP_BAL_LAN)
		text_add(t, "\t\tmeta protocol %s jhash %s", fam,
		    v6 ? "@nh,64,256" : "@nh,96,64");
	else
		text_add(t, "\t\tjhash %s daddr . %s saddr", fam, fam);
	text_add(t, " mod %u seed 0x%x vmap @owned_%u\n", nft_modulus(s->n),
	    s->seed, s->vhids[0]);
}

/*
 * The chain of a set, only frames to its shared MAC. IPv4's hash rule
 * first: it is the common case, and the rules match disjoint frames
 * (each map covers every bucket, so a hash rule that matches is final).
 * A solicitation for one of the IPv6 VIPs (of any group) sent to the
 * shared MAC (a client checking its entry, RFC 4861 7.3.1) stops here as
 * it does in the ingress chain (carpd answers it). Other neighbour solicitations and
 * advertisements pass on every node, unhashed: they are the nodes' own
 * control traffic, not a flow (a client answers a node's NS with an NA
 * to the address that asked, whichever node that was; hashed, it reached
 * one node in N).
 */
static void
text_group_chain(struct text *t, const struct carp_balance_set *sets,
    unsigned nsets, const struct carp_balance_set *s)
{
	text_add(t, "\tchain group_%u {\n", s->vhids[0]);
	text_hash_rule(t, s, 0);
	text_ns_drop(t, sets, nsets);	/* any group's VIP: none for the kernel */
	text_add(t, "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert }"
	    " meta pkttype set host accept\n");
	text_hash_rule(t, s, 1);
	text_add(t, "\t}\n");
}

/* 0 if every set is valid, on one carpdev, with no vhid twice. */
static int
sets_ok(const struct carp_balance_set *sets, unsigned nsets)
{
	uint8_t		 seen[256];
	unsigned	 s, i;

	if (sets == NULL || nsets == 0)
		return -1;
	memset(seen, 0, sizeof(seen));
	for (s = 0; s < nsets; s++) {
		if (carp_balance_set_check(&sets[s]) != 0 ||
		    strcmp(sets[s].carpdev, sets[0].carpdev) != 0)
			return -1;
		for (i = 0; i < sets[s].n; i++)
			if (seen[sets[s].vhids[i]]++)
				return -1;
	}
	return 0;
}

/*
 * `table X` + `delete table X` first makes the replacement work whether
 * the table exists or not, in one transaction. An owner table refuses
 * `table X` without `flags owner` (EOPNOTSUPP), hence the flag there too.
 * Order inside: counters and node chains before the maps that jump to
 * them, maps before the group chains that look them up, group chains
 * before the ingress chain that jumps to them.
 */
int
carp_balance_nft_create(const struct carp_balance_set *sets, unsigned nsets,
    unsigned flags, char *buf, size_t cap)
{
	struct text	 t;
	const char	*dev;
	unsigned	 s;
	int		 owner = !(flags & CARP_BAL_NFT_NO_OWNER);

	text_init(&t, buf, cap);
	if (sets_ok(sets, nsets) != 0) {
		t.err = 1;
		return text_end(&t);
	}
	dev = sets[0].carpdev;
	text_add(&t, "table netdev carpsync_%s%s\n", dev,
	    owner ? " { flags owner; }" : "");
	text_add(&t, "delete table netdev carpsync_%s\n", dev);
	text_add(&t, "table netdev carpsync_%s {\n", dev);
	if (owner)
		text_add(&t, "\tflags owner\n");
	for (s = 0; s < nsets; s++)
		text_node_chains(&t, &sets[s]);
	text_nd_counters(&t, sets, nsets);
	for (s = 0; s < nsets; s++)
		text_map(&t, &sets[s]);
	for (s = 0; s < nsets; s++)
		text_group_chain(&t, sets, nsets, &sets[s]);
	text_add(&t, "\tchain in {\n\t\ttype filter hook ingress device \"%s\""
	    " priority -300; policy accept;\n", dev);
	/* the jumps first: a balanced frame meets one rule here; an ARP
	 * request or NS to a shared MAC comes back from its group chain */
	for (s = 0; s < nsets; s++)
		text_group_jump(&t, &sets[s]);
	text_arp_drop(&t, sets, nsets);
	text_ns_drop(&t, sets, nsets);
	text_add(&t, "\t}\n");
	text_egress(&t, sets, nsets);
	text_add(&t, "}\n");
	return text_end(&t);
}

int
carp_balance_nft_update(const struct carp_balance_set *s, char *buf,
    size_t cap)
{
	struct text	 t;

	text_init(&t, buf, cap);
	if (carp_balance_set_check(s) != 0) {
		t.err = 1;
		return text_end(&t);
	}
	text_add(&t, "flush map netdev carpsync_%s owned_%u\n", s->carpdev,
	    s->vhids[0]);
	text_add(&t, "add element netdev carpsync_%s owned_%u { ", s->carpdev,
	    s->vhids[0]);
	text_elements(&t, s);
	text_add(&t, " }\n");
	return text_end(&t);
}

/* --- counters -------------------------------------------------------- */

/* A word of nft's listing: up to 63 bytes, '#' comments skipped. */
struct words {
	const char	*p;
	char		 w[64];
};

/* The next word into ws->w; 0, or -1 at the end (or on a longer word),
 * with ws->w emptied: a failed read never leaves a word to match. */
static int
next_word(struct words *ws)
{
	size_t	 n = 0;

	ws->w[0] = '\0';
	for (;;) {
		while (*ws->p == ' ' || *ws->p == '\t' || *ws->p == '\n' ||
		    *ws->p == '\r')
			ws->p++;
		if (*ws->p != '#')
			break;
		while (*ws->p != '\0' && *ws->p != '\n')
			ws->p++;
	}
	if (*ws->p == '\0')
		return -1;
	while (*ws->p != '\0' && *ws->p != ' ' && *ws->p != '\t' &&
	    *ws->p != '\n' && *ws->p != '\r') {
		if (n + 1 >= sizeof(ws->w)) {
			ws->w[0] = '\0';
			return -1;
		}
		ws->w[n++] = *ws->p++;
	}
	ws->w[n] = '\0';
	return 0;
}

/* A decimal number of at most 20 digits into *v; 0 or -1. */
static int
parse_u64(const char *s, uint64_t *v)
{
	char			*end;
	unsigned long long	 x;

	if (*s < '0' || *s > '9' || strlen(s) > 20)
		return -1;
	x = strtoull(s, &end, 10);
	if (*end != '\0' || x == ULLONG_MAX)
		return -1;
	*v = x;
	return 0;
}

/* "accepted_V" -> 1, "ignored_V" -> 0, with *vhid = V (1..255); else -1. */
static int
counter_kind(const char *name, uint8_t *vhid)
{
	const char	*num;
	uint64_t	 v;
	int		 acc;

	if (strncmp(name, "accepted_", 9) == 0) {
		num = name + 9;
		acc = 1;
	} else if (strncmp(name, "ignored_", 8) == 0) {
		num = name + 8;
		acc = 0;
	} else
		return -1;
	if (num[0] == '0' || parse_u64(num, &v) != 0 || v < 1 || v > 255)
		return -1;
	*vhid = (uint8_t)v;
	return acc;
}

/* The entry of vhid in out[0..*n), appended if new; NULL when full. */
static struct carp_bal_count *
count_slot(struct carp_bal_count *out, unsigned *n, unsigned max,
    uint8_t vhid)
{
	unsigned	 i;

	for (i = 0; i < *n; i++)
		if (out[i].vhid == vhid)
			return &out[i];
	if (*n >= max)
		return NULL;
	memset(&out[*n], 0, sizeof(out[*n]));
	out[*n].vhid = vhid;
	return &out[(*n)++];
}

/* "counter" already read: "NAME {" ... "packets P bytes B" ... "}". */
static int
parse_counter(struct words *ws, char *name, size_t namecap, uint64_t *pkts)
{
	uint64_t	 bytes;
	int		 got = 0;

	if (next_word(ws) != 0 || strlen(ws->w) >= namecap)
		return -1;
	memcpy(name, ws->w, strlen(ws->w) + 1);
	if (next_word(ws) != 0 || strcmp(ws->w, "{") != 0)
		return -1;
	while (next_word(ws) == 0 && strcmp(ws->w, "}") != 0) {
		if (strcmp(ws->w, "packets") == 0) {
			if (next_word(ws) != 0 || parse_u64(ws->w, pkts) != 0)
				return -1;
			got |= 1;
		} else if (strcmp(ws->w, "bytes") == 0) {
			if (next_word(ws) != 0 || parse_u64(ws->w, &bytes) != 0)
				return -1;
			got |= 2;
		} else
			return -1;
	}
	return strcmp(ws->w, "}") == 0 && got == 3 ? 0 : -1;
}

/* "table netdev NAME {": the listing's first line. */
static int
parse_table_head(struct words *ws)
{
	if (next_word(ws) != 0 || strcmp(ws->w, "table") != 0 ||
	    next_word(ws) != 0 || strcmp(ws->w, "netdev") != 0 ||
	    next_word(ws) != 0 || next_word(ws) != 0 || strcmp(ws->w, "{") != 0)
		return -1;
	return 0;
}

int
carp_balance_parse_counters(const char *text, struct carp_bal_count *out,
    unsigned max)
{
	struct words		 ws;
	struct carp_bal_count	*c;
	char			 name[64];
	uint64_t		 pkts;
	unsigned		 n = 0;
	uint8_t			 vhid;

	if (text == NULL || out == NULL)
		return -1;
	ws.p = text;
	if (parse_table_head(&ws) != 0)
		return -1;
	while (next_word(&ws) == 0 && strcmp(ws.w, "counter") == 0) {
		int	 kind;

		pkts = 0;
		if (parse_counter(&ws, name, sizeof(name), &pkts) != 0)
			return -1;
		if ((kind = counter_kind(name, &vhid)) < 0)
			continue;
		if ((c = count_slot(out, &n, max, vhid)) == NULL)
			return -1;
		if (kind)
			c->accepted = pkts;
		else
			c->ignored = pkts;
	}
	/* the table's closing brace, then nothing */
	if (strcmp(ws.w, "}") != 0 || next_word(&ws) == 0)
		return -1;
	return (int)n;
}

/* --- ARP ------------------------------------------------------------- */

#define ETHERTYPE_ARP_	0x0806
#define ETHERTYPE_IP_	0x0800
#define ARPHRD_ETHER_	1
#define ARPOP_REQUEST_	1
#define ARPOP_REPLY_	2

static const uint8_t eth_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mac_zero[6];

void
carp_arp_ctx_from_set(const struct carp_balance_set *s,
    const uint8_t real_mac[6], struct carp_arp_ctx *ctx)
{
	unsigned	 i;

	memset(ctx, 0, sizeof(*ctx));
	ctx->mode = s->mode;
	memcpy(ctx->real_mac, real_mac, 6);
	carp_balance_mac(s->mode, s->vhids[0], ctx->shared_mac);
	ctx->owned = s->owned;
	for (i = 0; i < s->nvips && i < CARP_BAL_MAX_VIPS; i++)
		if (s->vips[i].af == AF_INET)
			memcpy(ctx->vips[ctx->nvips++], s->vips[i].addr, 4);
}

/* A decoded frame, host order. */
struct arp_req {
	uint8_t		eth_dst[6];
	uint8_t		eth_src[6];
	uint16_t	eth_type;
	uint16_t	htype;
	uint16_t	ptype;
	uint8_t		hlen;
	uint8_t		plen;
	uint16_t	op;
	uint8_t		sha[6];
	uint8_t		spa[4];
	uint8_t		tha[6];
	uint8_t		tpa[4];
};

static void
arp_decode(const uint8_t *frame, struct arp_req *r)
{
	struct buf_reader	 br;

	br_init(&br, frame, CARP_ARP_FRAME_LEN);
	br_bytes(&br, r->eth_dst, 6);
	br_bytes(&br, r->eth_src, 6);
	r->eth_type = br_u16be(&br);
	r->htype = br_u16be(&br);
	r->ptype = br_u16be(&br);
	r->hlen = br_u8(&br);
	r->plen = br_u8(&br);
	r->op = br_u16be(&br);
	br_bytes(&br, r->sha, 6);
	br_bytes(&br, r->spa, 4);
	br_bytes(&br, r->tha, 6);
	br_bytes(&br, r->tpa, 4);
}

/* The ARP header: Ethernet/IPv4, 6/4, a request. */
static enum carp_arp_verdict
arp_check_header(const struct arp_req *r)
{
	if (r->eth_type != ETHERTYPE_ARP_)
		return CARP_ARP_NOT_ARP;
	if (r->htype != ARPHRD_ETHER_)
		return CARP_ARP_BAD_HTYPE;
	if (r->ptype != ETHERTYPE_IP_)
		return CARP_ARP_BAD_PTYPE;
	if (r->hlen != 6)
		return CARP_ARP_BAD_HLEN;
	if (r->plen != 4)
		return CARP_ARP_BAD_PLEN;
	if (r->op != ARPOP_REQUEST_)
		return CARP_ARP_NOT_REQUEST;
	return CARP_ARP_REPLY;
}

static int
is_vip(const struct carp_arp_ctx *ctx, const uint8_t ip[4])
{
	unsigned	 i;

	for (i = 0; i < ctx->nvips && i < CARP_BAL_MAX_VIPS; i++)
		if (memcmp(ctx->vips[i], ip, 4) == 0)
			return 1;
	return 0;
}

/*
 * A sender address no host may use: 0.x.x.x other than the probe's
 * 0.0.0.0, 127/8, 224/4 (multicast) and 240/4 (class E, broadcast).
 */
static int
bad_spa(const uint8_t spa[4])
{
	static const uint8_t	 zero[4];

	if (spa[0] == 0)
		return memcmp(spa, zero, 4) != 0;
	return spa[0] == 127 || spa[0] >= 224;
}

/* Who sent it and to whom: ours, sane, and for one of the VIPs. */
static enum carp_arp_verdict
arp_check_parties(const struct arp_req *r, const struct carp_arp_ctx *ctx)
{
	/* the target first: the shell asks each group of the carpdev in
	 * turn until one says the VIP is its own, so a request to another
	 * group's MAC for that group's VIP must not stop at this one */
	if (!is_vip(ctx, r->tpa))
		return CARP_ARP_NOT_OURS;
	if (memcmp(r->eth_dst, eth_bcast, 6) != 0 &&
	    memcmp(r->eth_dst, ctx->shared_mac, 6) != 0 &&
	    memcmp(r->eth_dst, ctx->real_mac, 6) != 0)
		return CARP_ARP_NOT_FOR_US;
	/* our own (or a peer's) announcement, or our frame looped back */
	if (memcmp(r->sha, ctx->shared_mac, 6) == 0 ||
	    memcmp(r->sha, ctx->real_mac, 6) == 0 ||
	    memcmp(r->eth_src, ctx->real_mac, 6) == 0 ||
	    memcmp(r->eth_src, ctx->shared_mac, 6) == 0)
		return CARP_ARP_LOOP;
	if (memcmp(r->sha, mac_zero, 6) == 0 || (r->sha[0] & 0x01))
		return CARP_ARP_BAD_SHA;
	/* someone else announces or uses a VIP: for the shell to defend
	 * (RFC 5227 2.4), not to answer */
	if (is_vip(ctx, r->spa))
		return CARP_ARP_CONFLICT;
	if (bad_spa(r->spa))
		return CARP_ARP_BAD_SPA;
	return CARP_ARP_REPLY;
}

/*
 * RFC 826 "swap" the request into a reply: to the requester's sha, from
 * the VIP at the shared MAC. A probe (spa 0.0.0.0) gets the same unicast
 * reply with tpa 0.0.0.0, as Linux answers probes (arp_process, sip ==
 * 0): RFC 5227 2.1.1 makes any ARP packet whose spa is the probed
 * address a conflict for the prober, so the unicast reply keeps it off
 * the VIP; RFC 5227 2.6 leaves broadcast replies optional (they only
 * speed up third hosts' detection), and a broadcast would put the shared
 * MAC into every cache on the segment unasked.
 */
static void
arp_build_reply(const struct arp_req *r, const struct carp_arp_ctx *ctx,
    uint8_t *out)
{
	struct buf_writer	 w;
	const uint8_t		*src;

	/* ip, ip-stealth: the shared MAC is never a frame source (a
	 * multicast source is invalid; a stealth MAC must not be learned) */
	src = ctx->mode == CARP_BAL_IP_UNICAST ? ctx->shared_mac :
	    ctx->real_mac;
	bw_init(&w, out, CARP_ARP_FRAME_LEN);
	bw_bytes(&w, r->sha, 6);
	bw_bytes(&w, src, 6);
	bw_u16be(&w, ETHERTYPE_ARP_);
	bw_u16be(&w, ARPHRD_ETHER_);
	bw_u16be(&w, ETHERTYPE_IP_);
	bw_u8(&w, 6);
	bw_u8(&w, 4);
	bw_u16be(&w, ARPOP_REPLY_);
	bw_bytes(&w, ctx->shared_mac, 6);
	bw_bytes(&w, r->tpa, 4);
	bw_bytes(&w, r->sha, 6);
	bw_bytes(&w, r->spa, 4);
}

enum carp_arp_verdict
carp_arp_answer(const uint8_t *frame, size_t len,
    const struct carp_arp_ctx *ctx, uint8_t *out, size_t outlen,
    size_t *outn)
{
	struct arp_req		 r;
	enum carp_arp_verdict	 v;

	*outn = 0;
	if (out == NULL || outlen < CARP_ARP_FRAME_LEN)
		return CARP_ARP_NO_ROOM;
	if (ctx->mode <= CARP_BAL_NONE || ctx->mode >= CARP_BAL__MAX)
		return CARP_ARP_NOT_BALANCED;
	if (frame == NULL || len < CARP_ARP_FRAME_LEN)
		return CARP_ARP_SHORT;
	arp_decode(frame, &r);
	if ((v = arp_check_header(&r)) != CARP_ARP_REPLY)
		return v;
	if ((v = arp_check_parties(&r, ctx)) != CARP_ARP_REPLY)
		return v;
	/* a node MASTER of no vhid is starting, demoted or failing */
	if (ctx->owned == 0)
		return CARP_ARP_NOT_MASTER;
	arp_build_reply(&r, ctx, out);
	*outn = CARP_ARP_FRAME_LEN;
	return CARP_ARP_REPLY;
}
