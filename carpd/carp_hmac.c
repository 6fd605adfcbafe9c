/*
 * carp_hmac.c: CARP's HMAC-SHA1 as OpenBSD computes it (ip_carp.c
 * carp_hmac_prepare_ctx, carp_hmac_generate, carp_hmac_verify;
 * carp-protocol.md 1.4). OpenBSD builds HMAC by hand from a 64-byte pad
 * holding the 20-byte key; that is textbook RFC 2104 HMAC, so OpenSSL's
 * HMAC() with the 20 key bytes (zero padded either way) gives the same
 * digest. Pure: OpenSSL is used for computation only.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "carp_conf.h"
#include "carp_hmac.h"
#include "carp_wire.h"

#define CARP_HMAC_MSG_MAX	(3 + CARP_MAX_ADDRS * 16 + 8)

static int
cmp_v4(const void *a, const void *b)
{
	return memcmp(a, b, 4);	/* network order: memcmp == numeric order */
}

static int
cmp_v6(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/*
 * OpenBSD IN6_IS_SCOPE_EMBED: link-local unicast fe80::/10, and
 * link-local or interface-local multicast (scope nibble 2 or 1).
 */
static int
v6_scope_embed(const uint8_t a[16])
{
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return 1;
	return a[0] == 0xff && ((a[1] & 0x0f) == 0x01 ||
	    (a[1] & 0x0f) == 0x02);
}

/* Sort n entries of size sz and drop duplicates; returns the new count. */
static size_t
sort_unique(uint8_t *v, size_t n, size_t sz,
    int (*cmp)(const void *, const void *))
{
	size_t	 i, out;

	if (n == 0)
		return 0;
	qsort(v, n, sz, cmp);
	for (i = 1, out = 1; i < n; i++) {
		if (cmp(v + (out - 1) * sz, v + i * sz) != 0)
			memmove(v + out++ * sz, v + i * sz, sz);
	}
	return out;
}

/*
 * OpenBSD selects addresses with "strictly greater than the last, strictly
 * less than the all-ones start value" loops seeded with zeros, so the
 * all-zeros and all-ones addresses can never enter M. Mirror that.
 */
static int
all_bytes(const uint8_t *a, size_t n, uint8_t v)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (a[i] != v)
			return 0;
	return 1;
}

/* Append the sorted, unique IPv4 VIPs (network order) to m. */
static size_t
put_v4(uint8_t *m, const struct carp_addr *addrs, int naddrs)
{
	uint8_t	 v[CARP_MAX_ADDRS][4];
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < naddrs; i++) {
		if (addrs[i].af != AF_INET ||
		    all_bytes(addrs[i].addr, 4, 0x00) ||
		    all_bytes(addrs[i].addr, 4, 0xff))
			continue;
		memcpy(v[n++], addrs[i].addr, 4);
	}
	n = sort_unique(&v[0][0], n, 4, cmp_v4);
	memcpy(m, v, n * 4);
	return n * 4;
}

/*
 * Append the sorted, unique IPv6 VIPs to m. NOV6LL skips scope-embedded
 * addresses; ORIG includes them with the embedded scope bytes (2 and 3)
 * cleared, which is their plain wire form (OpenBSD s6_addr16[1] = 0).
 */
static size_t
put_v6(uint8_t *m, const struct carp_addr *addrs, int naddrs,
    enum carp_hmac_variant var)
{
	uint8_t	 v[CARP_MAX_ADDRS][16];
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < naddrs; i++) {
		if (addrs[i].af != AF_INET6)
			continue;
		if (v6_scope_embed(addrs[i].addr)) {
			if (var == CARP_HMAC_NOV6LL)
				continue;
			memcpy(v[n], addrs[i].addr, 16);
			v[n][2] = v[n][3] = 0;
		} else
			memcpy(v[n], addrs[i].addr, 16);
		if (all_bytes(v[n], 16, 0x00) || all_bytes(v[n], 16, 0xff))
			continue;
		n++;
	}
	n = sort_unique(&v[0][0], n, 16, cmp_v6);
	memcpy(m, v, n * 16);
	return n * 16;
}

/*
 * M without the counter, per variant: 02 01 vhid, IPv4 ascending, IPv6
 * ascending. The OpenBSD lladdr-in-M case (an administrator-set lladdr on
 * the leader vhid) does not exist here: carpd never overrides the vMAC.
 */
void
carp_hmac_init(struct carp_hmac *h, const uint8_t key[CARP_KEY_LEN],
    uint8_t vhid, const struct carp_addr *addrs, int naddrs)
{
	enum carp_hmac_variant	 var;
	size_t			 off;

	memset(h, 0, sizeof(*h));
	memcpy(h->key, key, CARP_KEY_LEN);
	if (addrs == NULL || naddrs < 0)
		naddrs = 0;
	if (naddrs > CARP_MAX_ADDRS)
		naddrs = CARP_MAX_ADDRS;
	for (var = CARP_HMAC_NOV6LL; var <= CARP_HMAC_ORIG; var++) {
		h->msg[var][0] = CARP_VERSION;
		h->msg[var][1] = CARP_TYPE_ADVERT;
		h->msg[var][2] = vhid;
		off = 3;
		off += put_v4(h->msg[var] + off, addrs, naddrs);
		off += put_v6(h->msg[var] + off, addrs, naddrs, var);
		h->msglen[var] = off;
	}
}

/* Returns 0 on success, -1 if OpenSSL failed (md is then zeroed). */
static int
hmac_compute(const struct carp_hmac *h, enum carp_hmac_variant var,
    const uint8_t counter[8], uint8_t md[CARP_MD_LEN])
{
	uint8_t		 m[CARP_HMAC_MSG_MAX];
	unsigned int	 mdlen = 0;
	size_t		 len = h->msglen[var];

	/* The counter goes in as its 8 raw wire bytes (OpenBSD). */
	memcpy(m, h->msg[var], len);
	memcpy(m + len, counter, 8);
	if (HMAC(EVP_sha1(), h->key, CARP_KEY_LEN, m, len + 8, md,
	    &mdlen) == NULL || mdlen != CARP_MD_LEN) {
		memset(md, 0, CARP_MD_LEN);
		return -1;
	}
	return 0;
}

/* A failure leaves md all zeros: such an advert is refused by every peer,
 * which is the safe outcome for a crypto library error. */
void
carp_hmac_generate(const struct carp_hmac *h, enum carp_hmac_variant var,
    const uint8_t counter[8], uint8_t md[CARP_MD_LEN])
{
	if (var != CARP_HMAC_ORIG)
		var = CARP_HMAC_NOV6LL;
	(void)hmac_compute(h, var, counter, md);
}

/*
 * OpenBSD carp_hmac_verify accepts either variant, so a peer that hashes
 * its link-local addresses (older OpenBSD, FreeBSD with an LL on the vhid)
 * still authenticates. Both are always computed and compared in constant
 * time; a computation failure never verifies.
 */
int
carp_hmac_verify(const struct carp_hmac *h, const uint8_t counter[8],
    const uint8_t md[CARP_MD_LEN])
{
	uint8_t			 mine[CARP_MD_LEN];
	enum carp_hmac_variant	 var;
	int			 ok = 0;

	for (var = CARP_HMAC_NOV6LL; var <= CARP_HMAC_ORIG; var++) {
		if (hmac_compute(h, var, counter, mine) != 0)
			continue;
		if (CRYPTO_memcmp(mine, md, CARP_MD_LEN) == 0)
			ok = 1;
	}
	OPENSSL_cleanse(mine, sizeof(mine));
	return ok;
}

void
carp_hmac_sha256(const uint8_t *key, size_t keylen, const uint8_t *msg,
    size_t len, uint8_t out[CARP_SHA256_LEN])
{
	unsigned int	 outlen = CARP_SHA256_LEN;

	HMAC(EVP_sha256(), key, (int)keylen, msg, len, out, &outlen);
}

int
carp_hmac_sha256_equal(uint8_t mine[CARP_SHA256_LEN], const uint8_t *theirs)
{
	int	 ok = CRYPTO_memcmp(mine, theirs, CARP_SHA256_LEN) == 0;

	OPENSSL_cleanse(mine, CARP_SHA256_LEN);
	return ok;
}
