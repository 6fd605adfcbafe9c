/*
 * nft_shell.h: the daemons' nftables tables, through libnftables.
 * nft_shell.c is the only file that includes libnftables. The text of
 * every table comes from a pure core (carpd/carp_balance.c, syncd's
 * defer table); this shell only runs it.
 *
 * One libnftables context per daemon, opened as root before the privilege
 * drop (CAP_NET_ADMIN is enough afterwards). The context keeps its
 * netlink socket for its whole life, which is what an nft table with
 * `flags owner` is bound to: the kernel removes such a table when the
 * socket closes, so a crashed daemon leaves no stale ownership behind.
 */
#ifndef CARPSYNC_NFT_SHELL_H
#define CARPSYNC_NFT_SHELL_H

#include <stddef.h>

struct nft_shell;

/* NULL with the reason in err if libnftables cannot be set up. */
struct nft_shell	*nft_shell_open(char *err, size_t errlen);
void		 nft_shell_close(struct nft_shell *);

/*
 * Run nft commands (nft(8) syntax, several lines). libnftables sends all
 * of them in one netlink batch, which the kernel applies atomically: all
 * or nothing. 0, or -1 with nft's first error line in err.
 */
int	nft_shell_run(struct nft_shell *, const char *cmds, char *err,
	    size_t errlen);

/*
 * Run one listing command (e.g. "list counters table netdev T") and copy
 * its text output into out (NUL-terminated, cut to outlen). Returns the
 * length of the whole output, or -1 with the reason in err.
 */
int	nft_shell_list(struct nft_shell *, const char *cmd, char *out,
	    size_t outlen, char *err, size_t errlen);

#endif
