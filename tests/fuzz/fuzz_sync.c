/*
 * fuzz_sync.c: libFuzzer target for the state-sync receive path
 * (sync_wire.c). The input is checked twice with a fixed key:
 *
 *   as received, which exercises the length, version and HMAC checks
 *   (random bytes almost never carry a good HMAC);
 *   re-signed: its len field is set to the input's size and its last 32
 *   bytes are replaced by the right HMAC, so the section walk and value
 *   checks see arbitrary sections. A seed that is a valid frame stays the
 *   same frame.
 *
 * A frame that passes is walked, every message re-encoded with the
 * builder, and the rebuilt frame must pass, walk to the same messages and
 * re-encode to the same bytes (decode and encode agree). Nothing here logs.
 *
 * Seeds (tests/fuzz/corpus/fuzz_sync) are valid frames signed with this
 * key, written by `build/tests/sync_pcap -r DIR` (tests/netns/sync_pcap.c
 * uses the same key: bytes 0x00..0x1f).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sync_wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const uint8_t fuzz_key[SYNC_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

/* Re-encodes what the walk hands out. */
struct rebuild {
	struct sync_fb	 fb;
	unsigned	 n;
};

static int
rebuild_cb(void *arg, const struct sync_msg *m)
{
	struct rebuild	*rb = arg;

	/* Known messages never grow and sections only merge: it fits. */
	if (sync_fb_add(&rb->fb, m) != 0)
		__builtin_trap();
	rb->n++;
	return 0;
}

/* Walk a good frame into a new one; returns the new frame's size. */
static size_t
rebuild(const uint8_t *f, size_t n, const struct sync_hdr *h, uint8_t *out,
    unsigned *nmsgs)
{
	struct rebuild	 rb;
	unsigned	 skipped;

	sync_fb_init(&rb.fb, out, SYNC_MAX_FRAME, h);
	rb.n = 0;
	sync_frame_walk(f, n, rebuild_cb, &rb, &skipped);
	if (rb.n != rb.fb.nmsgs)
		__builtin_trap();
	*nmsgs = rb.n;
	return sync_fb_finish(&rb.fb, fuzz_key);
}

static void
fuzz_frame(const uint8_t *f, size_t n)
{
	static uint8_t	 a[SYNC_MAX_FRAME], b[SYNC_MAX_FRAME];
	struct sync_hdr	 h, h2;
	size_t		 na, nb;
	unsigned	 ma, mb;

	if (sync_frame_check(f, n, fuzz_key, &h) != SYNC_OK)
		return;
	if (h.len > n || h.version != SYNC_VERSION)
		__builtin_trap();
	na = rebuild(f, n, &h, a, &ma);
	if (na == 0 || sync_frame_check(a, na, fuzz_key, &h2) != SYNC_OK)
		__builtin_trap();
	if (h2.node_id != h.node_id || h2.epoch != h.epoch ||
	    h2.seq != h.seq || h2.flags != h.flags || na > h.len)
		__builtin_trap();
	nb = rebuild(a, na, &h2, b, &mb);
	if (nb != na || mb != ma || memcmp(a, b, na) != 0)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t	 buf[SYNC_MAX_FRAME];
	struct sync_fb	 fb;
	struct sync_hdr	 h;
	size_t		 body;

	fuzz_frame(data, size);

	/* Re-sign: the first size - 32 bytes become header + sections. */
	if (size < SYNC_HDR_LEN + SYNC_MAC_LEN || size > SYNC_MAX_FRAME)
		return 0;
	body = size - SYNC_MAC_LEN;
	memcpy(buf, data, body);
	/* The builder writes len and the HMAC; the bytes are the input's. */
	memset(&h, 0, sizeof(h));
	sync_fb_init(&fb, buf, sizeof(buf), &h);
	memcpy(buf, data, body);
	fb.len = body;
	if (sync_fb_finish(&fb, fuzz_key) != size)
		__builtin_trap();
	fuzz_frame(buf, size);
	return 0;
}
