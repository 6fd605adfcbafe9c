/*
 * sync_conf.h: syncd's configuration file (syncd.conf(5)). One file; the
 * keywords are a fixed operator interface. Pure, except that it reads the
 * file itself and the keyfile it names (checking the keyfile's owner and
 * mode, as a secret must be: ../shared issue 3 item 7).
 */
#ifndef SYNCD_SYNC_CONF_H
#define SYNCD_SYNC_CONF_H

#include <stdint.h>
#include <stdio.h>
#include <net/if.h>

#include "conf_lex.h"

#define SYNC_MAX_FILTERS	64
#define SYNC_DEFAULT_CARPD_SOCKET	"/run/carpsync/carpd.sock"
#define SYNC_DEFAULT_CONTROL_SOCKET	"/run/carpsync/syncd.sock"
#define SYNC_DEFAULT_PFSYNC_IF	"pfsync0"
#define SYNC_DEFAULT_USER	"syncd"

enum sync_filter_kind {
	SYNC_F_ADDRESS	= 1,	/* either end of the original tuple in a prefix */
	SYNC_F_PROTOCOL	= 2,	/* IP protocol number */
};

struct sync_filter {
	int		accept;		/* 1 accept, 0 ignore */
	enum sync_filter_kind kind;
	int		af;		/* SYNC_F_ADDRESS: AF_INET or AF_INET6 */
	uint8_t		addr[16];
	uint8_t		plen;
	uint8_t		proto;		/* SYNC_F_PROTOCOL */
	int		line;
};

struct syncd_conf {
	char		file[256];
	char		syncdev[IFNAMSIZ];	/* required */
	int		peer_af;		/* 0: multicast 224.0.0.240 */
	uint8_t		peer[16];		/* syncpeer (IPv4 or IPv6) */
	char		keyfile[256];		/* required */
	uint8_t		key[32];		/* read from keyfile */
	uint32_t	node_id;		/* 1..2^32-1, required */
	char		carpd_socket[108];
	char		control_socket[108];
	int		maxupd;			/* 1..255, default 128 */
	int		send_delay_ms;		/* 0..1000, default 10 */
	int		refresh_s;		/* 0 (off) or 1..86400, default 30 */
	char		pfsync_if[IFNAMSIZ];	/* "" = none; default pfsync0 */
	char		pcap_file[256];		/* "" = none */
	int		defer;			/* default 0 */
	int		defer_queue;		/* NFQUEUE number, default 240 */
	int		log_level;		/* LOG_*, default LOG_INFO */
	struct sync_filter filters[SYNC_MAX_FILTERS];
	int		nfilters;
	char		user[CONF_USERNAMELEN];	/* default "syncd"; root: no drop */
	char		metrics_listen[64];	/* ADDR:PORT, "" off (syncd.conf(5)) */
};

/*
 * Parse; NULL with every error in diag ("FILE:LINE: reason"). Required:
 * syncdev, keyfile, node-id. The keyfile must hold exactly 64 hex digits
 * (either case), optionally followed by one newline, be a regular file
 * owned by root or by `key_owner_uid` (the daemon's user, whose name
 * priv_conf_user() reads before this parse; pass 0 if none) with no group
 * or other permissions.
 */
struct syncd_conf *sync_conf_parse(const char *path, unsigned key_owner_uid,
	    struct conf_diag *);
void	sync_conf_free(struct syncd_conf *);
/* Normalised form (syncd -nv); the key itself is never printed. */
void	sync_conf_print(FILE *, const struct syncd_conf *);

/*
 * Filters: 1 if a state with this original tuple is synced. A state is
 * ignored if any `ignore` rule matches; else, if there are `accept` rules
 * of a kind, at least one of that kind must match. Pure.
 */
int	sync_conf_filter(const struct syncd_conf *, int af, const uint8_t *src,
	    const uint8_t *dst, uint8_t proto);

/*
 * syncdev's own addresses and connected prefixes, as the shell learns
 * them from netlink (sync_link.c): the states of connections to or from
 * them (an ssh between the two firewalls over the sync link) belong to
 * one node and are never synced (issue 3 item 3). Pure.
 */
#define SYNC_MAX_LOCAL		64

struct sync_prefix {
	int		af;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* masked to plen */
	uint8_t		plen;
};

struct sync_local {
	int			n;
	int			full;		/* an add did not fit */
	struct sync_prefix	p[SYNC_MAX_LOCAL];
};

void	sync_local_clear(struct sync_local *);
/*
 * Add addr/plen (an address of syncdev and its prefix length). A
 * link-local address (169.254/16, fe80::/10) is added as a host route
 * only: every interface has that prefix, and the connections of another
 * link must stay synced. Duplicates are added once. 0, or -1 if the list
 * is full (full set) or the arguments are not an address.
 */
int	sync_local_add(struct sync_local *, int af, const uint8_t *addr,
	    int plen);
/* 1 if src or dst is in one of the prefixes. A NULL list matches nothing. */
int	sync_local_match(const struct sync_local *, int af, const uint8_t *src,
	    const uint8_t *dst);
/*
 * The whole decision for a state's original tuple: not local (above), not
 * excluded by the filters (sync_conf_filter). 1 if synced.
 */
int	sync_conf_synced(const struct syncd_conf *, const struct sync_local *,
	    int af, const uint8_t *src, const uint8_t *dst, uint8_t proto);

#endif
