/*
 * carp_balance.h: active/active load balancing over a set of carpnodes
 * (OpenBSD carp(4) `balancing ip|ip-stealth|ip-unicast` with `carpnodes`,
 * carp-protocol.md 2.4), the Linux way. Pure: text and bytes only; no
 * libnftables, no sockets. The shell feeds the text to libnftables and
 * sends the ARP replies on carpdev's packet socket.
 *
 * The data path per carpdev (issue 6):
 *  - clients learn the VIP with a shared MAC (`ip`: the multicast
 *    01:00:5e:00:01:LEADER, so switches flood it to every node;
 *    `ip-stealth` and `ip-unicast`: 00:00:5e:00:01:LEADER), from ARP
 *    replies carpd builds with carp_arp_answer();
 *  - an nftables netdev ingress table carpd owns (`flags owner`: it goes
 *    away with carpd's netlink socket) drops ARP requests for the VIPs
 *    and neighbour solicitations for them (the kernel holds the VIPs
 *    and would answer with the real MAC; carpd's ETH_P_ALL socket sees
 *    the frame before the ingress hook and answers, carp_nd.h),
 *    lets neighbour solicitations and advertisements sent to the shared
 *    MAC through on every node (a client's NA to a node that solicited it
 *    from an IPv6 VIP goes there, and must reach that node), and hashes
 *    every other IP frame sent to the shared MAC: `jhash` of the address
 *    pair `mod N seed S` picks a bucket, bucket i belongs to the i-th
 *    vhid of the sorted carpnodes, and a verdict map sends the frame to
 *    accept_V (counted, `meta pkttype set host`: Linux drops forwarded
 *    frames whose packet type is multicast or otherhost) if this node is
 *    MASTER of V, else to ignore_V (counted, dropped);
 *  - at egress, the kernel's solicitations from an IPv6 VIP leave from
 *    the carpdev's own address instead (set->nd_src), so that clients
 *    never file the VIP under the real MAC;
 *  - ownership changes rewrite only the map's elements (one transaction:
 *    `flush map` + `add element`), so the named counters survive.
 *
 * The hash is not OpenBSD's (carp_lsdrop: ntohl(src ^ dst) % N): nodes
 * must agree on it and the kernel computes it, so it is nft's jhash with
 * a fixed configured seed (symhash and a seedless jhash are keyed per
 * boot). carp_balance_bucket() computes the same bucket in userspace.
 */
#ifndef CARPD_CARP_BALANCE_H
#define CARPD_CARP_BALANCE_H

#include <stddef.h>
#include <stdint.h>
#include <net/if.h>

#define CARP_MAX_NODES		32	/* carpnodes per set (OpenBSD's limit) */
#define CARP_BAL_MAX_VIPS	32	/* == CARP_MAX_ADDRS (carp_conf.h) */

/* `balancing` in a vhost file. Numbered explicitly: append only. */
enum carp_balancing {
	CARP_BAL_NONE		= 0,	/* one MASTER takes everything */
	CARP_BAL_IP		= 1,	/* multicast shared MAC */
	CARP_BAL_IP_STEALTH	= 2,	/* unicast shared MAC, never a source */
	CARP_BAL_IP_UNICAST	= 3,	/* unicast shared MAC, used as source */
	CARP_BAL__MAX
};
/* "none", "ip", "ip-stealth", "ip-unicast" (the config keywords). */
extern const char *const carp_balance_mode_names[CARP_BAL__MAX];

/*
 * Which side of the firewall a set faces. The pair is hashed as
 * (source, destination) on the LAN side and (destination, source) on the
 * WAN side, so both directions of a flow fall into the same bucket (and
 * hence onto the same node) when no NAT rewrites the addresses.
 */
enum carp_balance_side {
	CARP_BAL_LAN		= 0,
	CARP_BAL_WAN		= 1,
};

/* The shared MAC of a set: 01:00:5e:00:01:LEADER for `ip`,
 * 00:00:5e:00:01:LEADER otherwise (none included). */
void	carp_balance_mac(enum carp_balancing, uint8_t leader_vhid,
	    uint8_t mac[6]);

/*
 * The Linux kernel's jhash() (include/linux/jhash.h: Bob Jenkins'
 * lookup3, hashlittle()): whole 12-byte blocks are read as three 32-bit
 * words in host byte order (get_unaligned_cpu32), the last 1..12 bytes
 * little-endian whatever the host. So a key of 12 bytes or less (IPv4)
 * hashes the same everywhere, a longer one (IPv6) only between hosts of
 * the same byte order: a balanced pair must not mix them.
 */
uint32_t carp_jhash(const void *key, uint32_t len, uint32_t initval);

/*
 * The bucket (0..n-1) nft's `jhash <pair> mod n seed seed` gives a packet
 * from src to dst (net/netfilter/nft_hash.c: reciprocal_scale(jhash(key,
 * len, seed), n), the high 32 bits of hash * n, not hash % n). The key is
 * the pair as nft concatenates it in its registers: 8 bytes for IPv4
 * (AF_INET, 4-byte addresses), 32 for IPv6 (AF_INET6, 16 bytes each),
 * source first on the LAN side, destination first on the WAN side.
 * n == 1 gives 0 (the table hashes mod 2 then, both buckets to node 0).
 * Returns n (no bucket) for an unknown af or n outside 1..CARP_MAX_NODES.
 */
unsigned carp_balance_bucket(int af, const uint8_t *src, const uint8_t *dst,
	    enum carp_balance_side, uint32_t seed, unsigned n);

/* Bit i set iff is_master[i] != 0 (node i is MASTER here), i < n <= 32. */
uint32_t carp_balance_owned(const int *is_master, unsigned n);

struct carp_bal_vip {
	int		af;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; IPv4 in the first 4 */
};

/*
 * One balanced vhost file: its carpnodes share carpdev, the addresses,
 * the mode and the seed. vhids[] is sorted ascending, so vhids[0] is the
 * leader whose number the shared MAC carries.
 */
struct carp_balance_set {
	char			carpdev[IFNAMSIZ];
	enum carp_balancing	mode;		/* not CARP_BAL_NONE */
	enum carp_balance_side	side;
	uint32_t		seed;
	unsigned		n;		/* 1..CARP_MAX_NODES */
	uint8_t			vhids[CARP_MAX_NODES];	/* ascending, 1..255 */
	unsigned		nvips;		/* 1..CARP_BAL_MAX_VIPS */
	struct carp_bal_vip	vips[CARP_BAL_MAX_VIPS];
	uint32_t		owned;		/* bit i: MASTER of vhids[i] here */
	/* The carpdev's own IPv6 address (its link-local) that replaces an
	 * IPv6 VIP as the source of the kernel's neighbour solicitations
	 * (carp_balance_nft_create); all zero: none, no rewrite. */
	uint8_t			nd_src[16];
};

/* 0 if a set is usable (every field within its range, vhids ascending,
 * owned only below n, carpdev a valid name), else -1. */
int	carp_balance_set_check(const struct carp_balance_set *);

/* 0 if `dev` may be interpolated into nft text: 1..IFNAMSIZ-1 bytes of
 * [A-Za-z0-9_.-], not "." or "..". Else -1. */
int	carp_balance_devname_ok(const char *dev);

/* "carpsync_<dev>" into buf; its length, or -1 (bad name, no room). */
int	carp_balance_table_name(const char *dev, char *buf, size_t cap);

/* carp_balance_nft_create() flags */
#define CARP_BAL_NFT_NO_OWNER	0x1	/* omit `flags owner` (tests, nft -f) */

/*
 * The whole netdev table for one carpdev as one `nft -f` text: an atomic
 * `table ...; delete table ...; table ... { ... }` replacement, so it
 * works whether or not the table exists. All sets must name the same
 * carpdev and no vhid may appear twice. The maps hold the current owned
 * masks. Returns the length written (NUL not counted), or -1 if a set is
 * invalid or the text does not fit in cap bytes (buf then holds "").
 */
int	carp_balance_nft_create(const struct carp_balance_set *sets,
	    unsigned nsets, unsigned flags, char *buf, size_t cap);

/*
 * The transaction that moves one set's buckets to set->owned: `flush map`
 * and `add element` with every bucket, in one `nft -f` text (applied
 * atomically; the counters are untouched). Length or -1 as above.
 */
int	carp_balance_nft_update(const struct carp_balance_set *set, char *buf,
	    size_t cap);

/* Packets counted per vhid by the table's named counters. */
struct carp_bal_count {
	uint8_t		vhid;
	uint64_t	accepted;	/* counter accepted_<vhid> */
	uint64_t	ignored;	/* counter ignored_<vhid> */
};

/*
 * Parse the output of `nft list counters table netdev carpsync_<dev>`
 * (nftables 1.0.6: "counter NAME {" then "packets P bytes B" then "}").
 * Each accepted_V / ignored_V counter fills the entry of vhid V in out[]
 * (created in order of appearance, up to max); other counters are
 * skipped. Returns the number of entries, or -1 on text that is not
 * such a listing or holds more than max vhids.
 */
int	carp_balance_parse_counters(const char *text, struct carp_bal_count *out,
	    unsigned max);

/* --- ARP for the shared address --------------------------------------- */

#define CARP_ARP_FRAME_LEN	42	/* Ethernet 14 + ARP 28 */

/* On-wire layout, for size and offset checks only: never cast onto a buffer. */
struct carp_arp_wire {
	uint8_t		eth_dst[6];
	uint8_t		eth_src[6];
	uint8_t		eth_type[2];	/* 0x0806 */
	uint8_t		htype[2];	/* 1: Ethernet */
	uint8_t		ptype[2];	/* 0x0800: IPv4 */
	uint8_t		hlen;		/* 6 */
	uint8_t		plen;		/* 4 */
	uint8_t		op[2];		/* 1 request, 2 reply */
	uint8_t		sha[6];
	uint8_t		spa[4];
	uint8_t		tha[6];
	uint8_t		tpa[4];
};
_Static_assert(sizeof(struct carp_arp_wire) == CARP_ARP_FRAME_LEN,
    "Ethernet + ARP size");
_Static_assert(__builtin_offsetof(struct carp_arp_wire, htype) == 14,
    "ARP header offset");
_Static_assert(__builtin_offsetof(struct carp_arp_wire, tpa) == 38,
    "tpa offset");

/* What carp_arp_answer() needs to know about one set on one node. */
struct carp_arp_ctx {
	enum carp_balancing	mode;
	uint8_t			real_mac[6];	/* carpdev's own address */
	uint8_t			shared_mac[6];	/* carp_balance_mac() */
	uint32_t		owned;		/* 0: MASTER of nothing, silent */
	unsigned		nvips;
	uint8_t			vips[CARP_BAL_MAX_VIPS][4];	/* IPv4 only */
};

/* The context of a set: its IPv4 VIPs, shared MAC, mode and owned mask. */
void	carp_arp_ctx_from_set(const struct carp_balance_set *,
	    const uint8_t real_mac[6], struct carp_arp_ctx *);

/* Verdicts, one counter each. Numbered explicitly: append only. */
enum carp_arp_verdict {
	CARP_ARP_REPLY		= 0,	/* answered: out holds the reply */
	CARP_ARP_SHORT		= 1,	/* fewer than 42 bytes */
	CARP_ARP_NOT_ARP	= 2,	/* EtherType not 0x0806 (VLAN too) */
	CARP_ARP_BAD_HTYPE	= 3,	/* hardware type not Ethernet */
	CARP_ARP_BAD_PTYPE	= 4,	/* protocol type not IPv4 */
	CARP_ARP_BAD_HLEN	= 5,	/* hardware length not 6 */
	CARP_ARP_BAD_PLEN	= 6,	/* protocol length not 4 */
	CARP_ARP_NOT_REQUEST	= 7,	/* a reply, RARP, ... */
	CARP_ARP_NOT_FOR_US	= 8,	/* unicast to a MAC not ours */
	CARP_ARP_NOT_OURS	= 9,	/* target is not one of the VIPs */
	CARP_ARP_BAD_SHA	= 10,	/* sender MAC zero or multicast */
	CARP_ARP_BAD_SPA	= 11,	/* sender IP multicast, class E, loopback */
	CARP_ARP_LOOP		= 12,	/* sender MAC is ours (our own frame) */
	CARP_ARP_CONFLICT	= 13,	/* sender claims one of the VIPs */
	CARP_ARP_NOT_MASTER	= 14,	/* this node owns no bucket */
	CARP_ARP_NOT_BALANCED	= 15,	/* ctx mode is none */
	CARP_ARP_NO_ROOM	= 16,	/* outlen < 42 */
	CARP_ARP__MAX
};
/* "reply", "short", "not-arp", ... for logs and metrics. */
extern const char *const carp_arp_verdict_names[CARP_ARP__MAX];

/*
 * Decode an Ethernet + ARP frame as carpdev's packet socket delivers it
 * and, for a request for one of the VIPs, build the reply (RFC 826) in
 * out: Ethernet destination = the requester's sha, source = our real MAC
 * (ip, ip-stealth: the shared MAC must never be a frame source) or the
 * shared MAC (ip-unicast); ARP op 2, sha = shared MAC, spa = the VIP,
 * tha = the requester's sha, tpa = its spa. *outn = 42 on a reply, else
 * 0. A probe (RFC 5227 2.1.1: spa 0.0.0.0) is answered the same way,
 * unicast, tpa 0.0.0.0 (see carp_balance.c). Frames shorter than 42
 * bytes are refused; padding after 42 bytes is ignored.
 */
enum carp_arp_verdict carp_arp_answer(const uint8_t *frame, size_t len,
	    const struct carp_arp_ctx *ctx, uint8_t *out, size_t outlen,
	    size_t *outn);

#endif
