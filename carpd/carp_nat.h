/*
 * carp_nat.h: is there NAT in the kernel's ruleset? carpd.conf(5)
 * BALANCING: behind NAT the two directions of a flow hash to different
 * nodes (as on OpenBSD), so a group that balances without `balance-nat
 * yes` (which waits for a syncd with defer) must not run next to a nat
 * base chain. Pure: it reads the text of `nft list chains` that the shell
 * (carpd.c, through common/nft_shell.h) gets from libnftables.
 *
 * iptables-nft's nat table is an nftables table too ("table ip nat" with
 * base chains of type nat), so it is found the same way. The legacy
 * iptables backend (x_tables) is not visible to nft and not seen here.
 */
#ifndef CARPD_CARP_NAT_H
#define CARPD_CARP_NAT_H

#include <stddef.h>

#define CARP_NAT_NAMELEN	256	/* NFT_NAME_MAXLEN, NUL included */

/* Where a nat base chain is. Names as nft prints them, quotes removed. */
struct carp_nat_chain {
	char	family[16];		/* "ip", "ip6", "inet", ... */
	char	table[CARP_NAT_NAMELEN];
	char	chain[CARP_NAT_NAMELEN];
};

/*
 * Look through the output of `nft list chains` (nftables 1.0.6:
 * "table FAMILY NAME {", then per chain "chain NAME {", a base chain's
 * "type TYPE hook HOOK ... priority P; policy V;" line, "}", and "}")
 * for the first base chain of type nat. A regular chain (no type line)
 * is never one, whatever its name. Returns 1 with *hit filled, 0 if there
 * is none (an empty ruleset is ""), -1 if the text is not such a listing
 * (a line out of place, unbalanced braces: a cut listing is refused).
 */
int	carp_nat_find(const char *text, struct carp_nat_chain *hit);

#endif
