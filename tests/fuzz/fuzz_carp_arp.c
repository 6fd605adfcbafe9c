/*
 * fuzz_carp_arp.c: libFuzzer target for carp_arp_answer(), the decoder
 * of every ARP frame carpdev's packet socket delivers to a balancing
 * carpd. The first input byte picks the mode, the owned mask and whether
 * the frame's own target address is made a VIP (so the reply path is
 * reached as often as the rejects); the rest is the frame. A reply must
 * be a well-formed answer to the frame: 42 bytes, to the requester's
 * sha, from a unicast MAC, sha = the shared MAC, spa = the asked VIP,
 * tha/tpa = the requester. A refusal writes nothing. The same bytes
 * also go, NUL-terminated, through carp_balance_parse_counters (nft's
 * listing, the other text carpd reads). Nothing here logs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "carp_balance.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t real_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };

static void
fuzz_ctx(uint8_t sel, const uint8_t *frame, size_t len,
    struct carp_arp_ctx *ctx)
{
	static const uint8_t	 vip[4] = { 192, 0, 2, 254 };

	memset(ctx, 0, sizeof(*ctx));
	ctx->mode = (enum carp_balancing)(sel & 3);
	memcpy(ctx->real_mac, real_mac, 6);
	carp_balance_mac(ctx->mode, (uint8_t)(sel >> 2), ctx->shared_mac);
	ctx->owned = (sel & 0x40) ? 0 : 0x1;
	memcpy(ctx->vips[ctx->nvips++], vip, 4);
	if ((sel & 0x80) && len >= CARP_ARP_FRAME_LEN)
		memcpy(ctx->vips[ctx->nvips++], frame + 38, 4);
}

/* What every reply must be, given the request it answers. */
static void
check_reply(const uint8_t *req, const struct carp_arp_ctx *ctx,
    const uint8_t *out)
{
	if (memcmp(out, req + 22, 6) != 0 ||		/* to the sha */
	    (out[6] & 0x01) ||				/* a unicast source */
	    memcmp(out + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x02",
	    10) != 0 ||
	    memcmp(out + 22, ctx->shared_mac, 6) != 0 ||
	    memcmp(out + 28, req + 38, 4) != 0 ||	/* spa = the VIP */
	    memcmp(out + 32, req + 22, 6) != 0 ||
	    memcmp(out + 38, req + 28, 4) != 0)
		__builtin_trap();
	if (ctx->mode != CARP_BAL_IP_UNICAST &&
	    memcmp(out + 6, ctx->real_mac, 6) != 0)
		__builtin_trap();
}

static void
fuzz_arp(const uint8_t *data, size_t size)
{
	struct carp_arp_ctx	 ctx;
	enum carp_arp_verdict	 v;
	uint8_t			 out[64];
	const uint8_t		*frame;
	size_t			 len, outn;

	if (size < 1)
		return;
	frame = data + 1;
	len = size - 1;
	fuzz_ctx(data[0], frame, len, &ctx);
	memset(out, 0xee, sizeof(out));
	v = carp_arp_answer(frame, len, &ctx, out, sizeof(out), &outn);
	if (v >= CARP_ARP__MAX || carp_arp_verdict_names[v] == NULL)
		__builtin_trap();
	if (v != CARP_ARP_REPLY) {
		if (outn != 0 || out[0] != 0xee)
			__builtin_trap();
		return;
	}
	if (outn != CARP_ARP_FRAME_LEN || out[CARP_ARP_FRAME_LEN] != 0xee)
		__builtin_trap();
	check_reply(frame, &ctx, out);
}

static void
fuzz_counters(const uint8_t *data, size_t size)
{
	struct carp_bal_count	 c[8];
	char			*text;
	int			 n;

	if ((text = malloc(size + 1)) == NULL)
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	n = carp_balance_parse_counters(text, c, 8);
	if (n < -1 || n > 8)
		__builtin_trap();
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_arp(data, size);
	fuzz_counters(data, size);
	return 0;
}
