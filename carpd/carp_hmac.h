/*
 * carp_hmac.h: CARP's HMAC-SHA1 exactly as OpenBSD computes it
 * (ip_carp.c carp_hmac_prepare_ctx / carp_hmac_generate / carp_hmac_verify;
 * ../shared/docs/carp-protocol.md 1.4): key = passphrase truncated to 19
 * bytes, zero-padded to 20; M = 02 01 vhid, IPv4 VIPs ascending, IPv6 VIPs
 * ascending (memcmp), counter. Sent with link-local IPv6 excluded
 * (HMAC_NOV6LL); receive accepts that or the variant including them
 * (HMAC_ORIG). Pure (OpenSSL used for computation only).
 */
#ifndef CARPD_CARP_HMAC_H
#define CARPD_CARP_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "carp_conf.h"

#define CARP_MD_LEN	20

enum carp_hmac_variant {
	CARP_HMAC_NOV6LL = 0,	/* sent: link-local IPv6 excluded */
	CARP_HMAC_ORIG	= 1,	/* also accepted: link-locals included */
};

struct carp_hmac {
	uint8_t		key[CARP_KEY_LEN];
	/* The address part of M for each variant, precomputed sorted. */
	uint8_t		msg[2][3 + CARP_MAX_ADDRS * 16];
	size_t		msglen[2];
};

/* The key comes from carp_key_from_pass() (carp_conf.h), as ifconfig
 * derives it on OpenBSD. */

/* Prepare for a vhid and its addresses (any order; duplicates once). */
void	carp_hmac_init(struct carp_hmac *, const uint8_t key[CARP_KEY_LEN],
	    uint8_t vhid, const struct carp_addr *addrs, int naddrs);

void	carp_hmac_generate(const struct carp_hmac *, enum carp_hmac_variant,
	    const uint8_t counter[8], uint8_t md[CARP_MD_LEN]);

/* 1 if md matches either variant (constant-time compare), else 0. */
int	carp_hmac_verify(const struct carp_hmac *, const uint8_t counter[8],
	    const uint8_t md[CARP_MD_LEN]);

/*
 * HMAC-SHA256 of msg (carp_auth.c's trailer) and a constant-time check
 * of a received one against it, which wipes what it computed: OpenSSL
 * stays in this file (house style R5).
 */
#define CARP_SHA256_LEN	32
void	carp_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg,
	    size_t len, uint8_t out[CARP_SHA256_LEN]);
int	carp_hmac_sha256_equal(uint8_t mine[CARP_SHA256_LEN],
	    const uint8_t *theirs);

#endif
