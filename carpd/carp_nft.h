/*
 * carp_nft.h: carpd's nftables tables, through libnftables. carp_nft.c is
 * the only file that includes libnftables. The text of every table comes
 * from the pure core (carp_balance.c); this shell only runs it.
 *
 * One libnftables context per daemon, opened as root before the privilege
 * drop (CAP_NET_ADMIN is enough afterwards). The context keeps its
 * netlink socket for its whole life, which is what an nft table with
 * `flags owner` is bound to: the kernel removes such a table when the
 * socket closes, so a crashed carpd leaves no stale ownership behind.
 */
#ifndef CARPD_CARP_NFT_H
#define CARPD_CARP_NFT_H

#include <stddef.h>

struct carp_nft;

/* NULL with the reason in err if libnftables cannot be set up. */
struct carp_nft	*carp_nft_open(char *err, size_t errlen);
void		 carp_nft_close(struct carp_nft *);

/*
 * Run nft commands (nft(8) syntax, several lines). libnftables sends all
 * of them in one netlink batch, which the kernel applies atomically: all
 * or nothing. 0, or -1 with nft's first error line in err.
 */
int	carp_nft_run(struct carp_nft *, const char *cmds, char *err,
	    size_t errlen);

/*
 * Run one listing command (e.g. "list counters table netdev T") and copy
 * its text output into out (NUL-terminated, cut to outlen). Returns the
 * length of the whole output, or -1 with the reason in err.
 */
int	carp_nft_list(struct carp_nft *, const char *cmd, char *out,
	    size_t outlen, char *err, size_t errlen);

#endif
