/*
 * priv.h: least privilege for carpd and syncd (carpd(8), syncd(8)
 * SECURITY). Each daemon sets itself up as root (sockets, netlink,
 * conntrack, the control socket, config and keys), then drops to its own
 * user (`user` in its config; carpd and syncd, primary group carpsync)
 * keeping only the capabilities it still needs, with no_new_privs set.
 * Started unprivileged (systemd User= with AmbientCapabilities=), it only
 * checks that it holds what it needs and gives up the rest.
 *
 * The control sockets belong to that user and group carpsync, mode 0660,
 * and every connection's peer credentials are checked as well
 * (priv_ctl_admit): root, the daemon's own user and members of the group.
 *
 * Pure parts (user prescan, peer decision, state check, rate limit) are
 * unit-tested (tests/unit/test_priv.c); the rest is a thin libcap shell.
 */
#ifndef CARPSYNC_PRIV_H
#define CARPSYNC_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <linux/capability.h>

#define PRIV_NAMELEN		32	/* == CONF_USERNAMELEN */
#define PRIV_GROUP		"carpsync"	/* the users' primary group */
#define PRIV_CAP(c)		(UINT64_C(1) << (c))
#define PRIV_MAX_GROUPS		16	/* what a state check looks at */

/* The user a daemon runs as after setup, and the group of its socket. */
struct priv_user {
	char		name[PRIV_NAMELEN];
	char		group[PRIV_NAMELEN];	/* its primary group's name */
	unsigned	uid;
	unsigned	gid;			/* its primary group */
};

/* ---- pure --------------------------------------------------------- */

/*
 * The `user` named by the config file at path (its first `user` line with
 * one word), or dflt if it has none or cannot be read: what the daemon
 * needs before the real parse, since keyfiles may belong to that user.
 * The real parse checks the line itself. Returns 0, or -1 if the value
 * does not fit in len.
 */
int	priv_conf_user(const char *path, const char *dflt, char *name,
	    size_t len);

/* A control-socket peer as SO_PEERCRED and SO_PEERGROUPS give it. */
struct priv_cred {
	int		 pid;
	unsigned	 uid, gid;
	const unsigned	*groups;	/* supplementary groups */
	int		 ngroups;
};

/* 1 if the peer may talk to the daemon: uid 0, the daemon's own uid, or
 * group (the socket's group) as its gid or among its groups. */
int	priv_peer_ok(const struct priv_cred *, unsigned self_uid,
	    unsigned group);

/* What the kernel says about the process, read back after the drop. */
struct priv_state {
	unsigned	ruid, euid, suid, rgid, egid, sgid;
	int		ngroups;		/* -1: more than PRIV_MAX_GROUPS */
	unsigned	groups[PRIV_MAX_GROUPS];
	uint64_t	eff, prm, inh, amb, bnd;	/* PRIV_CAP() bits */
	int		nnp;			/* PR_GET_NO_NEW_PRIVS */
};

/* What it must say. */
struct priv_want {
	unsigned	uid, gid;
	uint64_t	caps;		/* exactly these permitted and effective */
	int		groups;		/* check the groups are exactly {gid} */
	int		bounding;	/* check the bounding set is caps too */
};

/*
 * 0 if st is what w asks: every uid (real, effective, saved) w->uid,
 * every gid w->gid, the groups exactly {w->gid} (if w->groups),
 * permitted = effective = w->caps, nothing inheritable or ambient, the
 * bounding set w->caps (if w->bounding), and no_new_privs. Otherwise -1
 * and the first difference in why.
 */
int	priv_state_check(const struct priv_state *, const struct priv_want *,
	    char *why, size_t len);

/* At most one log line per interval; how many were held back meanwhile. */
struct priv_ratelimit {
	int		used;		/* a line was logged */
	uint64_t	last_us;	/* ... at this time */
	uint64_t	held;		/* lines held back since */
};
#define PRIV_LOG_INTERVAL_US	(10 * 1000000ULL)

/* 1 if a line may be logged now (*held: lines held back before it). */
int	priv_ratelimit(struct priv_ratelimit *, uint64_t now_us,
	    uint64_t *held);

/* ---- shell -------------------------------------------------------- */

/*
 * Look up the user and its primary group. -1 if there is no such user,
 * with a message for the operator in err naming the user and how to
 * create it (prog: "carpd" or "syncd", conf: the config file).
 */
int	priv_lookup(const char *prog, const char *conf, const char *name,
	    struct priv_user *, char *err, size_t errlen);

/*
 * Before setup: started unprivileged, fatalx unless it runs as the user
 * and its group (systemd User= and Group= matching `user`), before it
 * touches anything. As root, nothing to check.
 */
void	priv_start_check(const struct priv_user *);

/*
 * Make the directory of the control socket at path if it is missing, as
 * tmpfiles.d makes /run/carpsync: mode 1770, group the user's (for a
 * daemon run by hand). -1 (logged) on failure.
 */
int	priv_socket_dir(const struct priv_user *, const char *path);

/*
 * Give the control socket at path to the user and its group, mode 0660
 * (before the drop; started unprivileged, only the group is set, which
 * needs no privilege for a member). -1 (logged) on failure.
 */
int	priv_own_socket(const struct priv_user *, const char *path);

/*
 * Drop to the user keeping exactly the capabilities in keep (PRIV_CAP()
 * bits) permitted and effective, nothing inheritable or ambient, the
 * bounding set reduced to keep, no_new_privs; then read it all back and
 * fatalx if anything did not take. `user root` (uid 0) keeps everything,
 * with a warning. Started unprivileged (systemd User=): fatalx unless it
 * runs as that user and group and holds keep, then the same minus the
 * identity change, the groups and the bounding set (which take
 * privileges it no longer has; the unit sets them). why: what the kept
 * capabilities are for, for the log line.
 */
void	priv_drop(const struct priv_user *, uint64_t keep, const char *why);

/* Guard of a control socket: refused peers and their log lines. */
struct priv_ctl_guard {
	uint64_t		refused;	/* shown in status */
	struct priv_ratelimit	rl;
};

/*
 * Decide on a freshly accepted control connection fd (priv_peer_ok with
 * the socket's group, self's gid). 1: admitted. 0: refused: a CTL_ERROR
 * (CTL_E_PERM) is written if it fits, fd is closed, g->refused counted
 * and a line logged (rate-limited).
 */
int	priv_ctl_admit(int fd, const struct priv_user *self,
	    struct priv_ctl_guard *g, uint64_t now_us);

/*
 * In a forked child about to exec a hook or a track script: no_new_privs,
 * and no capability left (permitted, effective, inheritable, ambient), so
 * that nothing it runs can use the daemon's CAP_NET_ADMIN / CAP_NET_RAW,
 * even under `user root`. 0, or -1 if any part failed.
 */
int	priv_child_drop(void);

#endif
