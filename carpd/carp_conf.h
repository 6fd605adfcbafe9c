/*
 * carp_conf.h: carpd's configuration: one global file plus one file per
 * virtual host (redundancy group), pulled in by `include "GLOB"` from the
 * global file. Keywords follow ifconfig(8)'s carp options. Pure: parsing
 * reads only the files themselves; interface names are resolved later.
 */
#ifndef CARPD_CARP_CONF_H
#define CARPD_CARP_CONF_H

#include <stdint.h>
#include <stdio.h>
#include <net/if.h>

#include "carp_balance.h"
#include "carp_track.h"
#include "conf_lex.h"

#define CARP_MAX_ADDRS		32
#define CARP_MAX_GROUPS		8
#define CARP_MAX_VHOSTS		255
#define CARP_GROUP_NAMELEN	32	/* == CTL_NAMELEN */
#define CARP_KEY_LEN		20
#define CARP_PASS_MAX		19	/* OpenBSD strlcpy(key, pass, 20) */
#define CARP_DEFAULT_SOCKET	"/run/carpsync/carpd.sock"
#define CARP_DEFAULT_USER	"carpd"

#define CARP_AUTHKEY_LEN	32	/* authkeyfile: 256 bits (keyfile.h) */

/* `auth`: carpsync's authenticated-priority trailer (carp_auth.h). */
enum carp_auth_mode {
	CARP_AUTH_OFF		= 0,	/* plain CARP: none sent, none read */
	CARP_AUTH_COMPAT	= 1,	/* sent; checked when present */
	CARP_AUTH_STRICT	= 2,	/* sent and required */
};

struct carp_addr {
	int		af;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network order; IPv4 in the first 4 bytes */
	uint8_t		plen;		/* prefix length */
};

enum carp_lladdr {
	CARP_LLADDR_VIRTUAL	= 0,	/* macvlan with 00:00:5e:00:01:VHID */
	CARP_LLADDR_REAL	= 1,	/* VIPs on carpdev with its own MAC */
};

enum carp_init_state {			/* `state` keyword, applied at start */
	CARP_INIT_BACKUP	= 0,	/* default: INIT -> BACKUP as OpenBSD */
	CARP_INIT_INIT		= 1,	/* stay in INIT until carpctl state */
	CARP_INIT_MASTER	= 2,	/* become MASTER at once */
};

/* `tiebreak`: the values of carp_fsm.h enum carp_tiebreak. */
enum carp_tiebreak_conf {
	CARP_TB_NONE		= 0,	/* default: OpenBSD, both yield on a tie */
	CARP_TB_LOWER_ADDRESS	= 1,	/* the lower advert source stays MASTER */
};

#define CARP_GARP_REFRESH_MAX	3600	/* garp-refresh S: 1..3600 s, 0 off */

/*
 * Active/active (carpd.conf(5) BALANCING): `carpnodes VHID:ADVSKEW,...`
 * makes one vhost file a group of CARP instances sharing the addresses,
 * the key and advbase, as OpenBSD's carpnodes. The modes, sides and
 * CARP_MAX_NODES come from carp_balance.h (the data path).
 */
/* `balance-seed`: the flow hash's seed, the same on every node ("carp") */
#define CARP_BALANCE_SEED_DEFAULT 0x63617270u

_Static_assert(CARP_BAL_MAX_VIPS == CARP_MAX_ADDRS,
    "a balanced set holds every address of its vhost file");

struct carp_vhost_conf {
	char		 file[256];	/* where it was defined, for messages */
	int		 line;
	uint8_t		 vhid;		/* 1..255 */
	char		 carpdev[IFNAMSIZ];
	char		 ifname[IFNAMSIZ];	/* default "carp<vhid>" */
	struct carp_addr addrs[CARP_MAX_ADDRS];
	int		 naddrs;
	uint8_t		 advbase;	/* 0..254, default 1 */
	uint8_t		 advskew;	/* 0..254, default 0 */
	uint8_t		 key[CARP_KEY_LEN];	/* pass bytes (<= 19) + zeros */
	int		 has_key;	/* pass or passfile given */
	char		 passfile[256];	/* as configured, for printing */
	struct carp_addr peer;		/* carppeer; af == 0 if multicast */
	char		 groups[CARP_MAX_GROUPS][CARP_GROUP_NAMELEN];
	int		 ngroups;	/* extra groups; "carp" is implicit */
	enum carp_lladdr lladdr;
	enum carp_init_state init_state;
	enum carp_auth_mode auth;
	uint8_t		 authkey[CARP_AUTHKEY_LEN];
	char		 authkeyfile[256];	/* as configured */
	enum carp_tiebreak_conf tiebreak;
	int		 garp_refresh;	/* s, 0 = off; default: the global one */
	/* carpd.conf(5) TRACKING and HOOKS */
	struct carp_track_conf tracks[CARP_MAX_TRACKS];
	int		 ntracks;
	enum carp_track_scope track_scope;
	int		 preempt_delay;	/* seconds; -1: the global one */
	char		 notify[CARP_TRACK_CMDLEN];	/* "" if none */
	/*
	 * carpnodes: a group's file gives one conf per node, each with its
	 * own vhid and advskew and everything else the same. An ordinary
	 * vhost is a group of one: leader == vhid, nnodes 1, balancing none.
	 */
	enum carp_balancing balancing;
	enum carp_balance_side balance_side;
	uint8_t		 leader;	/* the group's lowest vhid */
	int		 node_index;	/* 0..nnodes-1, in vhid order */
	int		 nnodes;	/* 1..CARP_MAX_NODES */
	uint8_t		 node_vhids[CARP_MAX_NODES];	/* sorted, nnodes */
	/*
	 * `balance-nat yes`: NAT rewrites the addresses, so the two sides of
	 * a flow hash to different nodes; the group then takes buckets only
	 * while a syncd that defers first packets is connected (carpd.conf(5)
	 * BALANCING). balance_line: the `balancing` line, else carpnodes',
	 * for the NAT check's FILE:LINE.
	 */
	int		 balance_nat;	/* 0 no (default), 1 yes */
	int		 balance_line;
};

struct carpd_conf {
	char		 file[256];
	int		 preempt;		/* default 0 */
	char		 control_socket[108];	/* sun_path size */
	int		 log_level;		/* LOG_* priority, default LOG_INFO */
	int		 startup_demote;	/* 0..255, default 0 */
	struct carp_vhost_conf *vhosts;		/* sorted by vhid */
	int		 nvhosts;
	char		 user[CONF_USERNAMELEN];	/* default "carpd"; root: no drop */
	int		 garp_refresh;		/* default of the vhosts, 0 = off */
	int		 preempt_delay;		/* seconds after start, default 0 */
	char		 notify_fifo[256];	/* "" if none */
	char		 metrics_listen[64];	/* ADDR:PORT, "" off (carpd.conf(5)) */
	uint32_t	 balance_seed;		/* CARP_BALANCE_SEED_DEFAULT */
};

/*
 * Parse the global file and every vhost file it includes. Returns a new
 * config, or NULL with every error in diag ("FILE:LINE: reason").
 * Warnings (e.g. a truncated pass) are added to diag even on success.
 * Cross-file checks: unique vhid per carpdev (every carpnode's), unique
 * ifname (shared by the nodes of one group only), at least one address
 * per vhost, carpdev given. A carpnodes file gives one vhost per node.
 */
struct carpd_conf *carp_conf_parse(const char *path, struct conf_diag *);
/* The same; an authkeyfile may also be owned by key_owner_uid (the user
 * carpd runs as) besides root. carp_conf_parse() allows root only. */
struct carpd_conf *carp_conf_parse_as(const char *path, unsigned key_owner_uid,
	    struct conf_diag *);
void	carp_conf_free(struct carpd_conf *);

/* Print a config in normalised form, re-parseable (carpd -nv). */
void	carp_conf_print(FILE *, const struct carpd_conf *);

/* Find a vhost by vhid (NULL if none). */
const struct carp_vhost_conf *carp_conf_vhost(const struct carpd_conf *,
	    uint8_t vhid);
/* Node i (0..nnodes-1) of v's group, v itself included (NULL if none). */
const struct carp_vhost_conf *carp_conf_node(const struct carpd_conf *,
	    const struct carp_vhost_conf *v, int i);
/* "none", "ip", "ip-stealth", "ip-unicast"; "lan", "wan". */
const char *carp_balancing_name(enum carp_balancing);
const char *carp_balance_side_name(enum carp_balance_side);

/*
 * Derive the 20-byte key from a passphrase as OpenBSD's ifconfig does
 * (setcarp_passwd: bzero, then strlcpy(key, pass, 20); nothing is hashed).
 * Returns 1 if the phrase was truncated (longer than 19 bytes), else 0.
 */
int	carp_key_from_pass(const char *pass, uint8_t key[CARP_KEY_LEN]);

/* Format an address as "ADDR/LEN" (or "ADDR" when plen < 0) into buf. */
const char *carp_addr_fmt(const struct carp_addr *, int with_plen,
	    char *buf, size_t len);
/* Parse "ADDR[/LEN]" (LEN defaults to 32 / 128); -1 on error. */
int	carp_addr_parse(const char *, struct carp_addr *);

#endif
