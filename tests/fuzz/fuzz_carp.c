/*
 * fuzz_carp.c: libFuzzer target for the CARP receive path. The input is
 * taken as an IPv4 packet (carp_rx_ipv4), as an IPv6 payload
 * (carp_rx_ipv6), and as a CARP header (decode, version, HMAC verify).
 * Bytes after the first 36 also seed a VIP list for carp_hmac_init, so
 * the sort/dedupe code sees arbitrary address sets. The auth trailer
 * (carp_auth.c) is checked in every mode with a replay table that lives
 * across inputs, and a trailer we encode must verify, stay checksum
 * neutral, and be refused once replayed. Nothing here logs.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "carp_auth.h"
#include "carp_conf.h"
#include "carp_hmac.h"
#include "carp_wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 17 input bytes per address: a family selector, then 16 address bytes. */
static int
fuzz_addrs(const uint8_t *p, size_t len, struct carp_addr *a, int max)
{
	int	 n = 0;

	for (; len >= 17 && n < max; p += 17, len -= 17, n++) {
		memset(&a[n], 0, sizeof(a[n]));
		a[n].af = (p[0] & 1) ? AF_INET6 : AF_INET;
		memcpy(a[n].addr, p + 1, a[n].af == AF_INET ? 4 : 16);
		a[n].plen = a[n].af == AF_INET ? 32 : 128;
	}
	return n;
}

static void
fuzz_header(const uint8_t *p, size_t len)
{
	static const uint8_t	 key[CARP_KEY_LEN] = "secret";
	struct carp_addr	 a[CARP_MAX_ADDRS + 2];
	struct carp_advert	 adv;
	struct carp_hmac	 h;
	uint8_t			 out[CARP_HDR_LEN];
	int			 n;

	if (carp_wire_decode(p, len, &adv) != 0)
		return;
	(void)carp_rx_version(&adv);
	(void)carp_wire_cksum_ok(p, len);

	/* Up to two more than the limit: init must clamp. */
	n = fuzz_addrs(p + CARP_HDR_LEN, len - CARP_HDR_LEN, a,
	    CARP_MAX_ADDRS + 2);
	carp_hmac_init(&h, key, adv.vhid, a, n);
	(void)carp_hmac_verify(&h, adv.counter, adv.md);

	/* Re-encoding always yields a header whose checksum verifies. */
	carp_wire_encode(&adv, out);
	if (!carp_wire_cksum_ok(out, sizeof(out)))
		__builtin_trap();
}

static struct carp_auth_replay	 replay;	/* across inputs, on purpose */

static void
fuzz_auth(const uint8_t *p, size_t len)
{
	static const uint8_t	 key[CARP_AUTH_KEY_LEN] = "carpsync fuzz key";
	static const uint8_t	 src[16] = { 192, 0, 2, 1 };
	uint8_t			 pkt[CARP_HDR_LEN + CARP_AUTH_LEN];
	struct carp_auth_replay	 fresh;
	struct buf_reader	 r;
	uint64_t		 counter = 1;
	int			 m, un, af;

	if (len < CARP_HDR_LEN)
		return;
	af = (p[0] & 1) ? AF_INET6 : AF_INET;
	for (m = CARP_AUTH_OFF; m <= CARP_AUTH_STRICT; m++)
		(void)carp_auth_check((enum carp_auth_mode)m, key, &replay, p,
		    len, af, src, &un);
	/* our own trailer on these 36 bytes */
	memcpy(pkt, p, CARP_HDR_LEN);
	if (len >= CARP_HDR_LEN + 8) {
		br_init(&r, p + CARP_HDR_LEN, 8);
		counter = br_u64be(&r);
	}
	counter |= 1;		/* never 0: the first accepted is above 0 */
	carp_auth_encode(key, pkt, af, src, counter, pkt + CARP_HDR_LEN);
	if (in_cksum(pkt + CARP_HDR_LEN, CARP_AUTH_LEN) != 0)
		__builtin_trap();
	memset(&fresh, 0, sizeof(fresh));
	if (carp_auth_check(CARP_AUTH_STRICT, key, &fresh, pkt, sizeof(pkt),
	    af, src, &un) != CARP_OK ||
	    carp_auth_check(CARP_AUTH_STRICT, key, &fresh, pkt, sizeof(pkt),
	    af, src, &un) != CARP_DROP_REPLAY)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		 src[4], dst[4];
	const uint8_t	*carp;
	size_t		 carplen;

	if (carp_rx_ipv4(data, size, src, dst, &carp, &carplen) == CARP_OK) {
		if (carp < data || carplen < CARP_HDR_LEN ||
		    carplen > size - (size_t)(carp - data))
			__builtin_trap();
		fuzz_header(carp, carplen);
		fuzz_auth(carp, carplen);
	}
	(void)carp_rx_ipv6(data, size, size > 0 ? data[0] : 255);
	(void)carp_rx_ipv6(data, size, CARP_TTL);
	fuzz_header(data, size);
	fuzz_auth(data, size);
	return 0;
}
