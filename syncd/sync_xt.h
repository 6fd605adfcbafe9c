/*
 * sync_xt.h: the queue rule of syncd's defer table when the kernel has no
 * nft `queue` expression (CONFIG_NFT_QUEUE unset, as on the kernel these
 * tests run on). The kernel's xtables NFQUEUE target still works inside
 * an nftables rule (nft_compat,
 * the way iptables-nft does it), but nft(8) text cannot express it, so
 * this file builds that one rule with libnftnl (the only file including
 * it). Everything else of the table stays nft text (sync_defer.c).
 */
#ifndef SYNCD_SYNC_XT_H
#define SYNCD_SYNC_XT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Append to chain `chain` of the inet table `table` a rule of one xt
 * NFQUEUE target (revision 3) to `queue` with bypass.
 * 0, or -1 with the reason in err.
 */
int	sync_xt_queue_rule(const char *table, const char *chain,
	    uint16_t queue, char *err, size_t errlen);

#endif
