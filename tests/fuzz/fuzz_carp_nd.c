/*
 * fuzz_carp_nd.c: libFuzzer target for carp_nd_answer(), the decoder of
 * every IPv6 neighbour solicitation carpdev's packet socket delivers to a
 * balancing carpd. The first input byte picks the mode, the owned mask,
 * the Router flag and whether the frame's own target address is made a
 * VIP (so the reply path is reached as often as the refusals); the rest
 * is the frame. A reply must be a well-formed answer: 86 bytes, hop limit
 * 255, from the target, type 136 with a target link-layer option holding
 * the shared MAC, a valid ICMPv6 checksum, a unicast frame source. A
 * refusal writes nothing. Nothing here logs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "carp_nd.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t real_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void
fuzz_ctx(uint8_t sel, const uint8_t *frame, size_t len,
    struct carp_nd_ctx *ctx)
{
	static const uint8_t	 vip[16] = { 0x20, 0x01, 0x0d, 0xb8,
	    [15] = 0xfe };

	memset(ctx, 0, sizeof(*ctx));
	ctx->mode = (enum carp_balancing)(sel & 3);
	memcpy(ctx->real_mac, real_mac, 6);
	carp_balance_mac(ctx->mode, (uint8_t)((sel >> 2) & 7), ctx->shared_mac);
	ctx->owned = (sel & 0x20) ? 0 : 0x1;
	ctx->router = (sel & 0x40) != 0;
	memcpy(ctx->vips[ctx->nvips++], vip, 16);
	if ((sel & 0x80) && len >= CARP_ND_NS_MIN)
		memcpy(ctx->vips[ctx->nvips++], frame + 62, 16);
}

static void
check_reply(const uint8_t *req, const struct carp_nd_ctx *ctx,
    const uint8_t *out)
{
	if ((out[6] & 0x01) ||				/* a unicast source */
	    out[12] != 0x86 || out[13] != 0xdd || (out[14] >> 4) != 6 ||
	    out[18] != 0 || out[19] != 32 || out[20] != 58 ||
	    out[21] != 255 ||
	    memcmp(out + 22, req + 62, 16) != 0 ||	/* from the target */
	    out[54] != 136 || out[55] != 0 ||
	    memcmp(out + 62, req + 62, 16) != 0 ||
	    out[78] != 2 || out[79] != 1 ||
	    memcmp(out + 80, ctx->shared_mac, 6) != 0 ||
	    icmp6_cksum(out + 22, out + 38, out + 54, 32) != 0)
		__builtin_trap();
	if (ctx->mode != CARP_BAL_IP_UNICAST &&
	    memcmp(out + 6, ctx->real_mac, 6) != 0)
		__builtin_trap();
	if (((out[58] & 0x80) != 0) != ctx->router)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct carp_nd_ctx	 ctx;
	enum carp_nd_verdict	 v;
	uint8_t			 out[128];
	const uint8_t		*frame;
	size_t			 len, outn;

	if (size < 1)
		return 0;
	frame = data + 1;
	len = size - 1;
	fuzz_ctx(data[0], frame, len, &ctx);
	memset(out, 0xee, sizeof(out));
	v = carp_nd_answer(frame, len, &ctx, out, sizeof(out), &outn);
	if (v >= CARP_ND__MAX || carp_nd_verdict_names[v] == NULL)
		__builtin_trap();
	if (v != CARP_ND_REPLY) {
		if (outn != 0 || out[0] != 0xee)
			__builtin_trap();
		return 0;
	}
	if (outn != CARP_ND_NA_LEN || out[CARP_ND_NA_LEN] != 0xee)
		__builtin_trap();
	check_reply(frame, &ctx, out);
	return 0;
}
