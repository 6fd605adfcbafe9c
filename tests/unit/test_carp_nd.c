/*
 * test_carp_nd.c: neighbour advertisements for a balanced group's IPv6
 * VIPs (carp_nd.h). The known-answer vector is a solicitation Linux 6.18
 * sent and the advertisement it answered with (tcpdump -xx between two
 * namespaces): given the same MAC, carp_nd_answer() must produce the
 * kernel's bytes. Every refusal has its own frame.
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

#include "buf.h"
#include "carp_nd.h"

/* 2001:db8::64 (02:00:00:00:00:0b) asks ff02::1:ff00:1 for 2001:db8::1 */
static const char kernel_ns[] =
    "3333ff000001" "02000000000b" "86dd"
    "6000000000203aff" "20010db8000000000000000000000064"
    "ff0200000000000000000001ff000001"
    "87001bbc00000000" "20010db8000000000000000000000001"
    "0101" "02000000000b";
/* and 2001:db8::1 (02:00:00:00:00:0a) answers: Solicited, Override */
static const char kernel_na[] =
    "02000000000b" "02000000000a" "86dd"
    "6000000000203aff" "20010db8000000000000000000000001"
    "20010db8000000000000000000000064"
    "88008a0860000000" "20010db8000000000000000000000001"
    "0201" "02000000000a";

static const uint8_t real_mac[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t		 n = 0;
	unsigned int	 b;

	for (; *s != '\0'; s += 2) {
		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
	}
	return n;
}

static void
ip6(const char *s, uint8_t a[16])
{
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
}

/* One set, carpnodes 1:0,2:100, VIPs 192.0.2.254 and 2001:db8::1. */
static void
set_of(struct carp_balance_set *s, enum carp_balancing mode, uint32_t owned)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->carpdev, "eth0");
	s->mode = mode;
	s->n = 2;
	s->vhids[0] = 1;
	s->vhids[1] = 2;
	s->owned = owned;
	s->nvips = 2;
	s->vips[0].af = AF_INET;
	assert_int_equal(inet_pton(AF_INET, "192.0.2.254", s->vips[0].addr),
	    1);
	s->vips[1].af = AF_INET6;
	ip6("2001:db8::1", s->vips[1].addr);
}

static void
ctx_of(struct carp_nd_ctx *ctx, enum carp_balancing mode, int router)
{
	struct carp_balance_set	 s;

	set_of(&s, mode, 0x1);
	carp_nd_ctx_from_set(&s, real_mac, router, ctx);
}

/* The ICMPv6 checksum of a frame rewritten by a test. */
static void
fix_cksum(uint8_t *f)
{
	size_t		 plen = (size_t)f[18] << 8 | f[19];
	uint16_t	 c;

	f[56] = f[57] = 0;
	c = icmp6_cksum(f + 22, f + 38, f + 54, plen);
	f[56] = (uint8_t)(c >> 8);
	f[57] = (uint8_t)c;
}

static int
cksum_ok(const uint8_t *f, size_t len)
{
	return len >= 54 && icmp6_cksum(f + 22, f + 38, f + 54, len - 54) == 0;
}

static enum carp_nd_verdict
answer(const uint8_t *f, size_t len, const struct carp_nd_ctx *ctx,
    uint8_t out[128], size_t *outn)
{
	memset(out, 0xee, 128);
	return carp_nd_answer(f, len, ctx, out, 128, outn);
}

/* Given the kernel's MAC as the shared one, our NA is the kernel's. */
static void
test_kernel_vector(void **state)
{
	struct carp_nd_ctx	 ctx;
	uint8_t			 ns[128], want[128], out[128];
	size_t			 n, wn, outn;

	n = unhex(kernel_ns, ns, sizeof(ns));
	wn = unhex(kernel_na, want, sizeof(want));
	assert_int_equal(n, CARP_ND_NS_MIN + 8);
	assert_int_equal(wn, CARP_ND_NA_LEN);
	assert_true(cksum_ok(ns, n));
	ctx_of(&ctx, CARP_BAL_IP_STEALTH, 0);
	memcpy(ctx.shared_mac, real_mac, 6);
	assert_int_equal(answer(ns, n, &ctx, out, &outn), CARP_ND_REPLY);
	assert_int_equal(outn, CARP_ND_NA_LEN);
	assert_memory_equal(out, want, wn);
	assert_int_equal(out[wn], 0xee);	/* nothing written past it */
}

/* The shared MAC is the target's address; the frame source per mode. */
static void
test_modes(void **state)
{
	static const enum carp_balancing modes[3] = { CARP_BAL_IP,
	    CARP_BAL_IP_STEALTH, CARP_BAL_IP_UNICAST };
	struct carp_nd_ctx	 ctx;
	uint8_t			 ns[128], out[128];
	size_t			 n, outn;
	unsigned		 i;

	n = unhex(kernel_ns, ns, sizeof(ns));
	for (i = 0; i < 3; i++) {
		ctx_of(&ctx, modes[i], 0);
		assert_int_equal(answer(ns, n, &ctx, out, &outn),
		    CARP_ND_REPLY);
		assert_memory_equal(out, client_mac, 6);	/* the SLLA */
		assert_memory_equal(out + 6, modes[i] == CARP_BAL_IP_UNICAST ?
		    ctx.shared_mac : real_mac, 6);
		assert_memory_equal(out + 80, ctx.shared_mac, 6);
		assert_int_equal(out[78], 2);			/* TLLA */
		assert_int_equal(out[58], 0x60);		/* S, O */
		assert_true(cksum_ok(out, outn));
	}
	assert_int_equal(ctx.shared_mac[5], 1);		/* the leader's */
	ctx_of(&ctx, CARP_BAL_IP, 0);
	assert_int_equal(ctx.shared_mac[0], 0x01);	/* multicast for ip */
}

static void
test_router_flag(void **state)
{
	struct carp_nd_ctx	 ctx;
	uint8_t			 ns[128], out[128];
	size_t			 n, outn;

	n = unhex(kernel_ns, ns, sizeof(ns));
	ctx_of(&ctx, CARP_BAL_IP, 1);
	assert_int_equal(answer(ns, n, &ctx, out, &outn), CARP_ND_REPLY);
	assert_int_equal(out[58], 0xe0);		/* R, S, O */
	assert_true(cksum_ok(out, outn));
}

/* Duplicate address detection of a VIP: to all nodes, S clear. */
static void
test_dad(void **state)
{
	struct carp_nd_ctx	 ctx;
	uint8_t			 ns[128], out[128];
	size_t			 n, outn;

	n = unhex(kernel_ns, ns, sizeof(ns)) - 8;	/* no SLLA */
	memset(ns + 22, 0, 16);				/* from :: */
	ns[19] = 24;
	fix_cksum(ns);
	ctx_of(&ctx, CARP_BAL_IP, 0);
	assert_int_equal(answer(ns, n, &ctx, out, &outn), CARP_ND_REPLY);
	assert_memory_equal(out, "\x33\x33\x00\x00\x00\x01", 6);
	assert_memory_equal(out + 38, "\xff\x02\0\0\0\0\0\0\0\0\0\0\0\0\0\x01",
	    16);
	assert_int_equal(out[58], 0x20);		/* O only */
	assert_true(cksum_ok(out, outn));

	/* :: with a source link-layer option is invalid (RFC 4861 7.1.1) */
	n = unhex(kernel_ns, ns, sizeof(ns));
	memset(ns + 22, 0, 16);
	fix_cksum(ns);
	assert_int_equal(answer(ns, n, &ctx, out, &outn), CARP_ND_BAD_SOURCE);
	assert_int_equal(outn, 0);
	assert_int_equal(out[0], 0xee);
}

/* Unicast NUD: to the VIP at the shared MAC, no SLLA: back to the
 * frame's source. Ethernet padding after the payload is ignored. */
static void
test_unicast_nud(void **state)
{
	struct carp_nd_ctx	 ctx;
	uint8_t			 ns[128], out[128];
	size_t			 n, outn;

	ctx_of(&ctx, CARP_BAL_IP_STEALTH, 0);
	n = unhex(kernel_ns, ns, sizeof(ns)) - 8;
	memcpy(ns, ctx.shared_mac, 6);
	memcpy(ns + 38, ns + 62, 16);			/* dst = target */
	ns[19] = 24;
	fix_cksum(ns);
	memset(ns + n, 0, 8);				/* padding */
	assert_int_equal(answer(ns, n + 8, &ctx, out, &outn), CARP_ND_REPLY);
	assert_memory_equal(out, client_mac, 6);
	assert_memory_equal(out + 38, ns + 22, 16);	/* to the solicitor */
	assert_true(cksum_ok(out, outn));
	/* ... and to our real MAC */
	memcpy(ns, real_mac, 6);
	assert_int_equal(answer(ns, n, &ctx, out, &outn), CARP_ND_REPLY);
}

/* Build the kernel's NS, let `edit` spoil it, expect verdict v. */
#define REFUSE(v, fix, edit) do {					\
	n = unhex(kernel_ns, ns, sizeof(ns));				\
	edit;								\
	if (fix)							\
		fix_cksum(ns);						\
	assert_int_equal(answer(ns, n, &ctx, out, &outn), v);		\
	assert_int_equal(outn, 0);					\
	assert_int_equal(out[0], 0xee);					\
} while (0)

static void
test_refusals(void **state)
{
	struct carp_nd_ctx	 ctx;
	uint8_t			 ns[128], out[128];
	size_t			 n, outn;

	ctx_of(&ctx, CARP_BAL_IP, 0);
	REFUSE(CARP_ND_SHORT, 0, n = CARP_ND_NS_MIN - 1);
	REFUSE(CARP_ND_SHORT, 0, n -= 1);		/* payload cut */
	REFUSE(CARP_ND_SHORT, 1, ns[19] = 16);		/* < 24 bytes */
	REFUSE(CARP_ND_NOT_IPV6, 0, ns[12] = 0x08; ns[13] = 0x00);
	REFUSE(CARP_ND_NOT_IPV6, 0, ns[14] = 0x40);
	REFUSE(CARP_ND_NOT_NS, 0, ns[20] = 0);		/* hop-by-hop */
	REFUSE(CARP_ND_NOT_NS, 1, ns[54] = 136);
	REFUSE(CARP_ND_BAD_HOPLIMIT, 0, ns[21] = 254);
	REFUSE(CARP_ND_BAD_CODE, 1, ns[55] = 1);
	REFUSE(CARP_ND_BAD_CKSUM, 0, ns[57] ^= 1);
	REFUSE(CARP_ND_BAD_OPTION, 1, ns[79] = 0);	/* length 0 */
	REFUSE(CARP_ND_BAD_OPTION, 1, ns[79] = 2);	/* past the end */
	REFUSE(CARP_ND_BAD_TARGET, 1, ns[62] = 0xff);
	REFUSE(CARP_ND_BAD_DST, 1, ns[53] = 0x02);	/* another group */
	REFUSE(CARP_ND_BAD_SOURCE, 1, ns[22] = 0xff);
	REFUSE(CARP_ND_NOT_FOR_US, 0, ns[0] = 0x02);	/* a unicast MAC */
	REFUSE(CARP_ND_NOT_FOR_US, 0, ns[5] = 0x02);	/* another group's */
	REFUSE(CARP_ND_NOT_OURS, 1, ns[77] = 2; ns[53] = 2; ns[5] = 2);
	REFUSE(CARP_ND_LOOP, 0, memcpy(ns + 6, real_mac, 6));
	REFUSE(CARP_ND_LOOP, 1, memcpy(ns + 80, ctx.shared_mac, 6));
	REFUSE(CARP_ND_CONFLICT, 1, memcpy(ns + 22, ns + 62, 16));
	ctx.owned = 0;
	REFUSE(CARP_ND_NOT_MASTER, 0, (void)0);
	ctx.owned = 1;
	ctx.mode = CARP_BAL_NONE;
	REFUSE(CARP_ND_NOT_BALANCED, 0, (void)0);
	ctx.mode = CARP_BAL_IP;
	n = unhex(kernel_ns, ns, sizeof(ns));
	assert_int_equal(carp_nd_answer(ns, n, &ctx, out, CARP_ND_NA_LEN - 1,
	    &outn), CARP_ND_NO_ROOM);
	assert_int_equal(carp_nd_answer(NULL, 0, &ctx, out, 128, &outn),
	    CARP_ND_SHORT);
	assert_int_equal(outn, 0);
}

/* Two groups on one carpdev (see test_carp_balance's test_arp_two_groups):
 * a solicitation to the second group's MAC for its VIP is "not ours" to
 * the first, which lets the shell ask the second. */
static void
test_two_groups(void **state)
{
	struct carp_nd_ctx	 a, b;
	uint8_t			 ns[128], out[128];
	size_t			 n, outn;

	ctx_of(&a, CARP_BAL_IP, 0);
	ctx_of(&b, CARP_BAL_IP, 0);
	ip6("2001:db8::2", b.vips[0]);
	b.shared_mac[5] = 0x05;
	n = unhex(kernel_ns, ns, sizeof(ns)) - 8;
	memcpy(ns, b.shared_mac, 6);			/* unicast NUD */
	memcpy(ns + 38, b.vips[0], 16);
	memcpy(ns + 62, b.vips[0], 16);
	ns[19] = 24;
	fix_cksum(ns);
	assert_int_equal(answer(ns, n, &a, out, &outn), CARP_ND_NOT_OURS);
	assert_int_equal(answer(ns, n, &b, out, &outn), CARP_ND_REPLY);
	assert_memory_equal(out + 80, b.shared_mac, 6);
}

/* Only the IPv6 VIPs; names for every verdict. */
static void
test_ctx_and_names(void **state)
{
	struct carp_balance_set	 s;
	struct carp_nd_ctx	 ctx;
	unsigned		 v;

	set_of(&s, CARP_BAL_IP_UNICAST, 0x2);
	carp_nd_ctx_from_set(&s, real_mac, 7, &ctx);
	assert_int_equal(ctx.nvips, 1);
	assert_memory_equal(ctx.vips[0], s.vips[1].addr, 16);
	assert_int_equal(ctx.owned, 0x2);
	assert_int_equal(ctx.router, 1);
	assert_memory_equal(ctx.shared_mac, "\x00\x00\x5e\x00\x01\x01", 6);
	for (v = 0; v < CARP_ND__MAX; v++)
		assert_non_null(carp_nd_verdict_names[v]);
	assert_string_equal(carp_nd_verdict_names[CARP_ND_REPLY], "reply");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_vector),
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_router_flag),
		cmocka_unit_test(test_dad),
		cmocka_unit_test(test_unicast_nud),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_two_groups),
		cmocka_unit_test(test_ctx_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
