/*
 * carp_auth.h: carpsync's authenticated-priority extension to CARP
 * (carpd.conf(5) `auth`). OpenBSD's HMAC-SHA1 covers neither advskew,
 * advbase nor demote, and nobody checks replays (carp-protocol.md 1.5, 6):
 * a trailer after the 36-byte header carries a counter and an HMAC-SHA256
 * over the whole header as sent, so a forged or replayed priority is
 * dropped by a carpsync peer.
 *
 * Receivers that know nothing of it read 36 bytes: OpenBSD and FreeBSD
 * checksum and read only those (ip_carp.c carp_proto_input_if,
 * carp6_proto_input_if) and accept longer payloads. A receiver that
 * checksums the whole payload is also content, because the trailer's
 * own 16-bit ones' complement sum is made zero by its `adjust` word.
 *
 * Trailer (48 bytes, network order, right after the 36 bytes):
 *   0  magic    "CSA1"
 *   4  version  1
 *   5  words    12 (trailer length in 32-bit words)
 *   6  adjust   makes the trailer checksum-neutral (not authenticated:
 *               it depends on the HMAC; a wrong one only spoils the sum)
 *   8  counter  epoch (32 bits, persisted, raised at every start) <<
 *               32 | sequence (32 bits, per vhost, from 1)
 *  16  hmac     HMAC-SHA256(key, "carpsync-auth-1" || af || source
 *               address (4 or 16 bytes) || the 36-byte header || trailer
 *               bytes 0..15 with adjust zero)
 * The source address is covered so that an advert replayed from another
 * address is not a "new source" to the replay check.
 *
 * Pure: OpenSSL computes, nothing else is touched.
 */
#ifndef CARPD_CARP_AUTH_H
#define CARPD_CARP_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "carp_conf.h"
#include "carp_wire.h"

#define CARP_AUTH_LEN		48
#define CARP_AUTH_VERSION	1
#define CARP_AUTH_KEY_LEN	32
#define CARP_AUTH_MAC_LEN	32
#define CARP_AUTH_SOURCES	8	/* remembered senders per vhost */

/* On-wire layout, for size and offset checks only. */
struct carp_auth_wire {
	uint8_t		magic[4];
	uint8_t		version;
	uint8_t		words;
	uint8_t		adjust[2];
	uint8_t		counter[8];
	uint8_t		hmac[CARP_AUTH_MAC_LEN];
};
_Static_assert(sizeof(struct carp_auth_wire) == CARP_AUTH_LEN, "auth trailer size");
_Static_assert(__builtin_offsetof(struct carp_auth_wire, counter) == 8, "counter offset");
_Static_assert(__builtin_offsetof(struct carp_auth_wire, hmac) == 16, "hmac offset");
_Static_assert(CARP_AUTH_LEN % 4 == 0, "trailer length in words");

/* enum carp_auth_mode (the `auth` keyword) is in carp_conf.h. */
_Static_assert(CARP_AUTH_KEY_LEN == CARP_AUTHKEY_LEN, "auth key size");
_Static_assert(CARP_AUTH_MAC_LEN == 32, "HMAC-SHA256 size (carp_hmac.h)");

/*
 * Fill out[CARP_AUTH_LEN], the trailer for the 36-byte header hdr as it
 * is sent from src (4 bytes for AF_INET, 16 for AF_INET6).
 */
void	carp_auth_encode(const uint8_t key[CARP_AUTH_KEY_LEN],
	    const uint8_t hdr[CARP_HDR_LEN], int af, const uint8_t *src,
	    uint64_t counter, uint8_t out[CARP_AUTH_LEN]);

/* What the bytes after the 36-byte header are. */
enum carp_auth_verdict {
	CARP_AUTH_ABSENT,	/* no trailer (nothing, or not our magic) */
	CARP_AUTH_VALID,	/* trailer whose HMAC verifies */
	CARP_AUTH_MALFORMED,	/* our magic, but version/length wrong */
	CARP_AUTH_FORGED,	/* HMAC mismatch */
};

/*
 * Read and verify the trailer of the CARP payload carp[0..len) (len >=
 * 36) received from src. *counter is set on CARP_AUTH_VALID.
 */
enum carp_auth_verdict carp_auth_verify(const uint8_t key[CARP_AUTH_KEY_LEN],
	    const uint8_t *carp, size_t len, int af, const uint8_t *src,
	    uint64_t *counter);

/*
 * The last counter accepted from each sender of a vhost. Entries are made
 * only for adverts whose HMAC verified, so a flood of forged sources
 * cannot push out a real peer; when full, the least recently accepted
 * sender makes room.
 */
struct carp_auth_source {
	int		 af;		/* 0: free */
	uint8_t		 addr[16];
	uint64_t	 last;		/* counter last accepted */
	uint64_t	 used;		/* table tick of that acceptance */
};

struct carp_auth_replay {
	struct carp_auth_source	 src[CARP_AUTH_SOURCES];
	uint64_t		 tick;
};

/*
 * 1 and the counter recorded if counter is above the last one accepted
 * from (af, addr), or the sender is new; 0 (a replay) otherwise. A
 * restarted peer has a higher epoch, so it is heard at once.
 */
int	carp_auth_replay_accept(struct carp_auth_replay *, int af,
	    const uint8_t *addr, uint64_t counter);

/*
 * The whole receive decision for a vhost in mode m, after OpenBSD's
 * checks passed: CARP_OK, or the drop reason (AUTHMISSING,
 * AUTHMALFORMED, AUTHFORGED, REPLAY). *unauthenticated is set to 1 when a
 * trailer-less advert is accepted (compat).
 */
enum carp_drop carp_auth_check(enum carp_auth_mode m,
	    const uint8_t key[CARP_AUTH_KEY_LEN], struct carp_auth_replay *,
	    const uint8_t *carp, size_t len, int af, const uint8_t *src,
	    int *unauthenticated);

/* The counter for the next advert: epoch << 32 | ++*seq; 0 when the
 * sequence is exhausted (the caller raises the epoch and resets seq). */
uint64_t carp_auth_next_counter(uint32_t epoch, uint32_t *seq);

#endif
