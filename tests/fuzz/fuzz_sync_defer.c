/*
 * fuzz_sync_defer.c: libFuzzer target for sync_defer_key(), the decoder
 * of the headers of every first packet syncd's defer queue delivers
 * (syncd/sync_defer.h). The first input byte picks the family (even:
 * IPv4, odd: IPv6); the rest is the packet. A key must only come from a
 * packet long enough to hold the headers it was read from, of the
 * right version and a port protocol, and must be the packet swapped:
 * its reply source is the packet's destination. The hold itself is
 * driven by the same bytes as a script of holds, acks and expiries, and
 * must never hold more than SYNC_DEFER_MAX packets or release one twice.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sync_defer.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
port_proto(uint8_t p)
{
	return p == 6 || p == 17 || p == 33 || p == 132 || p == 136;
}

static void
fuzz_key(int af, const uint8_t *p, size_t len)
{
	struct sync_state k;
	size_t hl;

	if (sync_defer_key(af, p, len, &k) != SYNC_DEFER_KEY_OK)
		return;
	if (af == AF_INET) {
		hl = (size_t)(p[0] & 0x0f) * 4;
		if (p[0] >> 4 != 4 || hl < 20 || len < hl + 4 ||
		    !port_proto(p[9]) || k.proto != p[9] ||
		    memcmp(k.reply.src, p + 16, 4) != 0 ||
		    memcmp(k.reply.dst, p + 12, 4) != 0 ||
		    k.reply.sport != (uint16_t)(p[hl + 2] << 8 | p[hl + 3]))
			__builtin_trap();
		return;
	}
	if (p[0] >> 4 != 6 || len < 44 || !port_proto(p[6]) ||
	    memcmp(k.reply.src, p + 24, 16) != 0 ||
	    memcmp(k.reply.dst, p + 8, 16) != 0)
		__builtin_trap();
}

/* Each byte: 2 bits of op, 6 bits of argument; time moves 1 ms a step. */
static void
fuzz_hold(const uint8_t *data, size_t size)
{
	static struct sync_defer d;
	struct sync_defer_out out[SYNC_DEFER_MAX], ev;
	static uint8_t released[256];
	uint64_t now = 0;
	unsigned n, i;
	size_t k;

	sync_defer_init(&d, SYNC_DEFER_HOLD_US);
	memset(released, 0, sizeof(released));
	for (k = 0; k < size && k < 256; k++) {
		now += 1000;
		n = 0;
		switch (data[k] >> 6) {
		case 0:
		case 1:
			if (sync_defer_hold(&d, 1, data[k] & 0x3f, (uint32_t)k, 0,
			    now, &ev)) {
				out[0] = ev;
				n = 1;
			}
			break;
		case 2:
			n = sync_defer_ack(&d, 1, data[k] & 0x3f, now, out,
			    SYNC_DEFER_MAX);
			break;
		default:
			now += (uint64_t)(data[k] & 0x3f) * 1000;
			n = sync_defer_expire(&d, now, out, SYNC_DEFER_MAX);
			break;
		}
		for (i = 0; i < n; i++) {
			if (out[i].packet_id >= 256 ||
			    released[out[i].packet_id]++)
				__builtin_trap();
		}
		if (d.held > SYNC_DEFER_MAX)
			__builtin_trap();
	}
	n = sync_defer_flush(&d, out, SYNC_DEFER_MAX);
	for (i = 0; i < n; i++)
		if (released[out[i].packet_id]++)
			__builtin_trap();
	if (d.held != 0 || sync_defer_next_deadline(&d) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	fuzz_key(data[0] & 1 ? AF_INET6 : AF_INET, data + 1, size - 1);
	fuzz_hold(data + 1, size - 1);
	return 0;
}
