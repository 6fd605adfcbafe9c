/*
 * carp_auth.c: the authenticated-priority trailer (carp_auth.h). Pure;
 * the HMAC itself is computed by carp_hmac.c.
 */
#include <sys/socket.h>

#include <string.h>

#include "buf.h"
#include "carp_auth.h"
#include "carp_hmac.h"

static const uint8_t auth_magic[4] = { 'C', 'S', 'A', '1' };
static const char auth_label[] = "carpsync-auth-1";	/* no NUL hashed */

#define AUTH_OFF_ADJUST		6
#define AUTH_OFF_COUNTER	8
#define AUTH_OFF_HMAC		16

static size_t
addr_len(int af)
{
	return af == AF_INET6 ? 16 : 4;
}

/* HMAC over label, af, source, header and the trailer head t[0..16)
 * with its adjust word taken as zero. */
static void
auth_mac(const uint8_t key[CARP_AUTH_KEY_LEN], const uint8_t *hdr, int af,
    const uint8_t *src, const uint8_t *t, uint8_t mac[CARP_AUTH_MAC_LEN])
{
	uint8_t		 msg[sizeof(auth_label) - 1 + 1 + 16 + CARP_HDR_LEN +
			     AUTH_OFF_HMAC];
	size_t		 n = 0, alen = addr_len(af);

	memcpy(msg, auth_label, sizeof(auth_label) - 1);
	n += sizeof(auth_label) - 1;
	msg[n++] = af == AF_INET6 ? 6 : 4;
	memcpy(msg + n, src, alen);
	n += alen;
	memcpy(msg + n, hdr, CARP_HDR_LEN);
	n += CARP_HDR_LEN;
	memcpy(msg + n, t, AUTH_OFF_HMAC);
	msg[n + AUTH_OFF_ADJUST] = msg[n + AUTH_OFF_ADJUST + 1] = 0;
	n += AUTH_OFF_HMAC;
	carp_hmac_sha256(key, CARP_AUTH_KEY_LEN, msg, n, mac);
}

void
carp_auth_encode(const uint8_t key[CARP_AUTH_KEY_LEN],
    const uint8_t hdr[CARP_HDR_LEN], int af, const uint8_t *src,
    uint64_t counter, uint8_t out[CARP_AUTH_LEN])
{
	struct buf_writer	 w;
	uint16_t		 adjust;

	bw_init(&w, out, CARP_AUTH_LEN);
	bw_bytes(&w, auth_magic, sizeof(auth_magic));
	bw_u8(&w, CARP_AUTH_VERSION);
	bw_u8(&w, CARP_AUTH_LEN / 4);
	bw_u16be(&w, 0);		/* adjust, set last */
	bw_u64be(&w, counter);
	auth_mac(key, hdr, af, src, out, out + AUTH_OFF_HMAC);
	/* The Internet checksum of the trailer, stored in it, makes the
	 * trailer's sum 0xffff, the ones' complement zero: whoever sums the
	 * whole payload gets the 36 bytes' result (RFC 1071). */
	adjust = in_cksum(out, CARP_AUTH_LEN);
	out[AUTH_OFF_ADJUST] = (uint8_t)(adjust >> 8);
	out[AUTH_OFF_ADJUST + 1] = (uint8_t)adjust;
}

enum carp_auth_verdict
carp_auth_verify(const uint8_t key[CARP_AUTH_KEY_LEN], const uint8_t *carp,
    size_t len, int af, const uint8_t *src, uint64_t *counter)
{
	const uint8_t	*t = carp + CARP_HDR_LEN;
	uint8_t		 mac[CARP_AUTH_MAC_LEN];
	struct buf_reader r;

	if (len < CARP_HDR_LEN + sizeof(auth_magic) ||
	    memcmp(t, auth_magic, sizeof(auth_magic)) != 0)
		return CARP_AUTH_ABSENT;
	/* exactly one trailer: bytes the HMAC does not cover are refused */
	if (len != CARP_HDR_LEN + CARP_AUTH_LEN ||
	    t[4] != CARP_AUTH_VERSION || t[5] != CARP_AUTH_LEN / 4)
		return CARP_AUTH_MALFORMED;
	auth_mac(key, carp, af, src, t, mac);
	if (!carp_hmac_sha256_equal(mac, t + AUTH_OFF_HMAC))
		return CARP_AUTH_FORGED;
	br_init(&r, t + AUTH_OFF_COUNTER, 8);
	*counter = br_u64be(&r);
	return CARP_AUTH_VALID;
}

static struct carp_auth_source *
replay_find(struct carp_auth_replay *rp, int af, const uint8_t *addr)
{
	size_t	 i, alen = addr_len(af);

	for (i = 0; i < CARP_AUTH_SOURCES; i++)
		if (rp->src[i].af == af &&
		    memcmp(rp->src[i].addr, addr, alen) == 0)
			return &rp->src[i];
	return NULL;
}

/* A free entry, else the one accepted least recently. */
static struct carp_auth_source *
replay_slot(struct carp_auth_replay *rp)
{
	struct carp_auth_source	*oldest = &rp->src[0];
	size_t			 i;

	for (i = 0; i < CARP_AUTH_SOURCES; i++) {
		if (rp->src[i].af == 0)
			return &rp->src[i];
		if (rp->src[i].used < oldest->used)
			oldest = &rp->src[i];
	}
	return oldest;
}

int
carp_auth_replay_accept(struct carp_auth_replay *rp, int af,
    const uint8_t *addr, uint64_t counter)
{
	struct carp_auth_source	*s;

	if ((s = replay_find(rp, af, addr)) != NULL) {
		if (counter <= s->last)
			return 0;
	} else {
		s = replay_slot(rp);
		memset(s, 0, sizeof(*s));
		s->af = af;
		memcpy(s->addr, addr, addr_len(af));
	}
	s->last = counter;
	s->used = ++rp->tick;
	return 1;
}

enum carp_drop
carp_auth_check(enum carp_auth_mode m, const uint8_t key[CARP_AUTH_KEY_LEN],
    struct carp_auth_replay *rp, const uint8_t *carp, size_t len, int af,
    const uint8_t *src, int *unauthenticated)
{
	uint64_t	 counter = 0;

	*unauthenticated = 0;
	if (m == CARP_AUTH_OFF)
		return CARP_OK;
	switch (carp_auth_verify(key, carp, len, af, src, &counter)) {
	case CARP_AUTH_ABSENT:
		if (m == CARP_AUTH_STRICT)
			return CARP_DROP_AUTHMISSING;
		*unauthenticated = 1;
		return CARP_OK;
	case CARP_AUTH_MALFORMED:
		return CARP_DROP_AUTHMALFORMED;
	case CARP_AUTH_FORGED:
		return CARP_DROP_AUTHFORGED;
	case CARP_AUTH_VALID:
		break;
	}
	if (!carp_auth_replay_accept(rp, af, src, counter))
		return CARP_DROP_REPLAY;
	return CARP_OK;
}

uint64_t
carp_auth_next_counter(uint32_t epoch, uint32_t *seq)
{
	if (*seq == UINT32_MAX)
		return 0;
	return (uint64_t)epoch << 32 | ++*seq;
}
