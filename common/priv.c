/*
 * priv.c: least privilege (priv.h). The order of the drop as root:
 * bounding set, ambient set, groups, gid, uid (with PR_SET_KEEPCAPS, so
 * that the permitted set survives the uid change), then permitted =
 * effective = what is kept, no_new_privs; then everything read back from
 * the kernel and checked, fatal if anything did not take.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <sys/capability.h>

#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_lex.h"
#include "ctl_msg.h"
#include "ctl_proto.h"
#include "log.h"
#include "priv.h"

_Static_assert(sizeof(gid_t) == sizeof(unsigned), "gid_t is unsigned int");
_Static_assert(PRIV_NAMELEN == CONF_USERNAMELEN, "user name length");

/* ---- pure --------------------------------------------------------- */

int
priv_conf_user(const char *path, const char *dflt, char *name, size_t len)
{
	struct conf_diag	 diag;
	struct conf_reader	*r;
	struct conf_line	 l;
	const char		*found = dflt;
	char			 buf[CONF_MAX_LINE];
	int			 rv;

	conf_diag_init(&diag);
	if ((r = conf_open(path, &diag)) != NULL) {
		while (conf_next(r, &l))
			if (l.nwords == 2 && strcmp(l.words[0], "user") == 0) {
				snprintf(buf, sizeof(buf), "%s", l.words[1]);
				found = buf;
				break;
			}
		conf_close(r);
	}
	conf_diag_free(&diag);
	rv = snprintf(name, len, "%s", found);
	return rv < 0 || (size_t)rv >= len ? -1 : 0;
}

int
priv_peer_ok(const struct priv_cred *c, unsigned self_uid, unsigned group)
{
	int	 i;

	if (c->uid == 0 || c->uid == self_uid || c->gid == group)
		return 1;
	for (i = 0; i < c->ngroups; i++)
		if (c->groups[i] == group)
			return 1;
	return 0;
}

static int
ids_check(const char *what, unsigned r, unsigned e, unsigned s, unsigned want,
    char *why, size_t len)
{
	if (r == want && e == want && s == want)
		return 0;
	snprintf(why, len, "real/effective/saved %s %u/%u/%u, want %u", what,
	    r, e, s, want);
	return -1;
}

static int
caps_check(const char *what, uint64_t got, uint64_t want, char *why,
    size_t len)
{
	if (got == want)
		return 0;
	snprintf(why, len, "%s capabilities 0x%" PRIx64 ", want 0x%" PRIx64,
	    what, got, want);
	return -1;
}

int
priv_state_check(const struct priv_state *st, const struct priv_want *w,
    char *why, size_t len)
{
	if (ids_check("uid", st->ruid, st->euid, st->suid, w->uid, why,
	    len) == -1 ||
	    ids_check("gid", st->rgid, st->egid, st->sgid, w->gid, why,
	    len) == -1)
		return -1;
	if (w->groups && (st->ngroups != 1 || st->groups[0] != w->gid)) {
		snprintf(why, len, "supplementary groups: %d (-1: too many), "
		    "want only gid %u", st->ngroups, w->gid);
		return -1;
	}
	if (caps_check("permitted", st->prm, w->caps, why, len) == -1 ||
	    caps_check("effective", st->eff, w->caps, why, len) == -1 ||
	    caps_check("inheritable", st->inh, 0, why, len) == -1 ||
	    caps_check("ambient", st->amb, 0, why, len) == -1 ||
	    (w->bounding &&
	    caps_check("bounding", st->bnd, w->caps, why, len) == -1))
		return -1;
	if (st->nnp != 1) {
		snprintf(why, len, "no_new_privs is %d, want 1", st->nnp);
		return -1;
	}
	return 0;
}

int
priv_ratelimit(struct priv_ratelimit *r, uint64_t now_us, uint64_t *held)
{
	if (r->used && now_us - r->last_us < PRIV_LOG_INTERVAL_US) {
		r->held++;
		return 0;
	}
	*held = r->held;
	r->held = 0;
	r->last_us = now_us;
	r->used = 1;
	return 1;
}

/* ---- shell: users and the socket ---------------------------------- */

int
priv_lookup(const char *prog, const char *conf, const char *name,
    struct priv_user *u, char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	memset(u, 0, sizeof(*u));
	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		snprintf(err, errlen, "user %s (`user` in %s) does not exist%s%s"
		    ": create it with `systemd-sysusers` (carpsync.sysusers, "
		    "installed in /usr/lib/sysusers.d), or set `user root` to "
		    "run %s as root (debugging only)", name, conf,
		    errno != 0 ? " or cannot be looked up: " : "",
		    errno != 0 ? strerror(errno) : "", prog);
		return -1;
	}
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	u->uid = (unsigned)pw->pw_uid;
	u->gid = (unsigned)pw->pw_gid;
	if ((gr = getgrgid(pw->pw_gid)) != NULL)
		snprintf(u->group, sizeof(u->group), "%s", gr->gr_name);
	else
		snprintf(u->group, sizeof(u->group), "%u", u->gid);
	return 0;
}

int
priv_socket_dir(const struct priv_user *u, const char *path)
{
	char	 dir[PATH_MAX];
	char	*slash;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == -1) {
		if (errno == EEXIST)
			return 0;
		log_warn("control: mkdir %s", dir);
		return -1;
	}
	/* sticky: neither daemon can remove the other's socket */
	if (chown(dir, (uid_t)-1, (gid_t)u->gid) == -1 ||
	    chmod(dir, 01770) == -1) {
		log_warn("control: %s: mode 1770, group %s", dir, u->group);
		return -1;
	}
	return 0;
}

int
priv_own_socket(const struct priv_user *u, const char *path)
{
	struct stat	 st;
	uid_t		 owner = geteuid() == 0 ? (uid_t)u->uid : (uid_t)-1;

	if (stat(path, &st) == -1) {
		log_warn("control: %s", path);
		return -1;
	}
	if ((owner != (uid_t)-1 && st.st_uid != owner) ||
	    st.st_gid != (gid_t)u->gid) {
		if (chown(path, owner, (gid_t)u->gid) == -1) {
			log_warn("control: chown %s to %s:%s", path, u->name,
			    u->group);
			return -1;
		}
	}
	if (chmod(path, 0660) == -1) {
		log_warn("control: chmod 0660 %s", path);
		return -1;
	}
	return 0;
}

/* ---- shell: capabilities ------------------------------------------ */

static int
cap_count(void)
{
	cap_value_t	 n = cap_max_bits();

	return n > 64 ? 64 : (int)n;	/* PRIV_CAP() bits */
}

static void
state_read(struct priv_state *st)
{
	uid_t		 r, e, s;
	gid_t		 rg, eg, sg;
	cap_t		 c;
	cap_flag_value_t v;
	int		 i, n = cap_count();

	memset(st, 0, sizeof(*st));
	if (getresuid(&r, &e, &s) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("priv: getresuid");
	st->ruid = r, st->euid = e, st->suid = s;
	st->rgid = rg, st->egid = eg, st->sgid = sg;
	st->ngroups = getgroups(PRIV_MAX_GROUPS, (gid_t *)st->groups);
	if (st->ngroups == -1 && errno != EINVAL)
		fatal("priv: getgroups");
	if ((c = cap_get_proc()) == NULL)
		fatal("priv: cap_get_proc");
	for (i = 0; i < n; i++) {
		if (cap_get_flag(c, i, CAP_EFFECTIVE, &v) == 0 && v)
			st->eff |= PRIV_CAP(i);
		if (cap_get_flag(c, i, CAP_PERMITTED, &v) == 0 && v)
			st->prm |= PRIV_CAP(i);
		if (cap_get_flag(c, i, CAP_INHERITABLE, &v) == 0 && v)
			st->inh |= PRIV_CAP(i);
		if (cap_get_ambient(i) == 1)
			st->amb |= PRIV_CAP(i);
		if (cap_get_bound(i) == 1)
			st->bnd |= PRIV_CAP(i);
	}
	cap_free(c);
	st->nnp = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

/* Permitted = effective = keep; inheritable empty. */
static void
caps_set(uint64_t keep)
{
	cap_t		 c;
	cap_value_t	 v;
	int		 i, n = cap_count();

	if ((c = cap_init()) == NULL)
		fatal("priv: cap_init");
	for (i = 0; i < n; i++) {
		if (!(keep & PRIV_CAP(i)))
			continue;
		v = i;
		if (cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_SET) == -1 ||
		    cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_SET) == -1)
			fatal("priv: cap_set_flag");
	}
	if (cap_set_proc(c) == -1)
		fatal("priv: cap_set_proc");
	cap_free(c);
}

/* What execve() could ever grant again: only keep (needs CAP_SETPCAP). */
static void
bounding_reduce(uint64_t keep)
{
	int	 i, n = cap_count();

	for (i = 0; i < n; i++)
		if (!(keep & PRIV_CAP(i)) && cap_get_bound(i) == 1 &&
		    cap_drop_bound(i) == -1)
			fatal("priv: drop capability %d from the bounding set",
			    i);
}

static void
drop_root(const struct priv_user *u, uint64_t keep)
{
	gid_t	 gid = (gid_t)u->gid;

	bounding_reduce(keep);
	if (cap_reset_ambient() == -1)
		fatal("priv: clear the ambient capabilities");
	/* the primary group only: nothing here needs another group's files */
	if (setgroups(1, &gid) == -1)
		fatal("priv: setgroups %u", u->gid);
	if (setresgid(gid, gid, gid) == -1)
		fatal("priv: setresgid %u", u->gid);
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1)
		fatal("priv: PR_SET_KEEPCAPS");
	if (setresuid((uid_t)u->uid, (uid_t)u->uid, (uid_t)u->uid) == -1)
		fatal("priv: setresuid %u", u->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1)
		fatal("priv: PR_SET_KEEPCAPS");
	caps_set(keep);
}

void
priv_start_check(const struct priv_user *u)
{
	uid_t	 r, e, s;
	gid_t	 rg, eg, sg;

	if (getresuid(&r, &e, &s) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("priv: getresuid");
	if (e == 0)
		return;
	if (r != u->uid || e != u->uid || s != u->uid || rg != u->gid ||
	    eg != u->gid || sg != u->gid)
		fatalx("priv: started as uid %u gid %u, not as user %s (uid %u) "
		    "and group %s (gid %u): start it as root, or as that user "
		    "and group (systemd User=%s Group=%s)", (unsigned)e,
		    (unsigned)eg, u->name, u->uid, u->group, u->gid, u->name,
		    u->group);
}

static void
drop_unprivileged(const struct priv_user *u, uint64_t keep)
{
	struct priv_state	 st;

	priv_start_check(u);
	state_read(&st);
	if ((st.prm & keep) != keep)
		fatalx("priv: started as %s without the capabilities it needs "
		    "(permitted 0x%" PRIx64 ", needs 0x%" PRIx64 "): systemd "
		    "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW", u->name,
		    st.prm, keep);
	if (cap_reset_ambient() == -1)
		fatal("priv: clear the ambient capabilities");
	caps_set(keep);
	/* what setuid() does to a process dropping root (priv_drop) */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("priv: PR_SET_DUMPABLE");
}

static void
caps_names(uint64_t keep, char *buf, size_t len)
{
	char	*name;
	size_t	 off = 0;
	int	 i, n = cap_count();

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (!(keep & PRIV_CAP(i)) || (name = cap_to_name(i)) == NULL)
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    off ? " " : "", name);
		cap_free(name);
	}
	if (buf[0] == '\0')
		snprintf(buf, len, "none");
}

void
priv_drop(const struct priv_user *u, uint64_t keep, const char *why)
{
	struct priv_want	 w = { .uid = u->uid, .gid = u->gid, .caps = keep };
	struct priv_state	 st;
	char			 err[256], names[128];
	int			 root = geteuid() == 0;

	if (root && u->uid == 0) {
		log_warnx("user root: running as root with every capability "
		    "(for debugging only)");
		return;
	}
	if (root) {
		drop_root(u, keep);
		w.groups = w.bounding = 1;
	} else
		drop_unprivileged(u, keep);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("priv: PR_SET_NO_NEW_PRIVS");
	state_read(&st);
	if (priv_state_check(&st, &w, err, sizeof(err)) == -1)
		fatalx("priv: dropping privileges did not take: %s", err);
	/* no uid is 0 any more (checked above); the kernel must agree */
	if (root && setuid(0) != -1)
		fatalx("priv: root could be regained after the drop");
	/*
	 * The process is undumpable now (no core holding a key, no ptrace by
	 * the user's other processes), sanitizer builds too: LeakSanitizer
	 * makes itself dumpable while it stops the world at exit
	 * (compiler-rt StopTheWorldScope), so it needs nothing here.
	 */
	caps_names(keep, names, sizeof(names));
	log_info("running as %s:%s (uid %u, gid %u)%s with %s (%s)", u->name,
	    u->group, u->uid, u->gid, root ? "" : ", started unprivileged",
	    names, why);
}

/* ---- shell: control connections ----------------------------------- */

/* SO_PEERGROUPS into buf, or a malloc'd array if it does not fit. */
static gid_t *
peer_groups(int fd, gid_t *buf, int cap, int *n)
{
	socklen_t	 len = (socklen_t)(cap * sizeof(gid_t));
	gid_t		*g = buf;

	*n = 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
		if (errno != ERANGE || (g = malloc(len)) == NULL ||
		    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, g, &len) == -1) {
			if (g != buf)
				free(g);
			return buf;	/* only the primary gid counts */
		}
	}
	*n = (int)(len / sizeof(gid_t));
	return g;
}

static void
refuse(int fd, const struct priv_user *self, const struct ucred *uc,
    struct priv_ctl_guard *g, uint64_t now_us)
{
	uint8_t		 msg[sizeof(struct ctl_hdr) + sizeof(struct ctl_error)];
	struct ctl_error e;
	uint64_t	 held;
	size_t		 n;

	g->refused++;
	if (priv_ratelimit(&g->rl, now_us, &held))
		log_warnx("control: refused a connection from uid %u gid %u "
		    "(pid %d): not root, %s or group %s (%" PRIu64 " more "
		    "refused before this one, not logged)", (unsigned)uc->uid,
		    (unsigned)uc->gid, (int)uc->pid, self->name, self->group,
		    held);
	memset(&e, 0, sizeof(e));
	e.code = CTL_E_PERM;
	snprintf(e.text, sizeof(e.text), "permission denied: uid %u is not "
	    "root, %s or in group %s", (unsigned)uc->uid, self->name,
	    self->group);
	/* a fresh connection's buffer takes it; if not, the close tells */
	if ((n = ctl_msg_build(msg, sizeof(msg), CTL_ERROR, 0, &e,
	    sizeof(e))) > 0)
		(void)send(fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	close(fd);
}

int
priv_ctl_admit(int fd, const struct priv_user *self,
    struct priv_ctl_guard *g, uint64_t now_us)
{
	struct ucred	 uc;
	socklen_t	 len = sizeof(uc);
	gid_t		 buf[64], *groups;
	struct priv_cred c;
	int		 ok;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		uc.pid = 0;
		uc.uid = (uid_t)-1;
		uc.gid = (gid_t)-1;
		refuse(fd, self, &uc, g, now_us);
		return 0;
	}
	groups = peer_groups(fd, buf, (int)(sizeof(buf) / sizeof(buf[0])),
	    &c.ngroups);
	c.pid = uc.pid;
	c.uid = (unsigned)uc.uid;
	c.gid = (unsigned)uc.gid;
	c.groups = (const unsigned *)groups;
	ok = priv_peer_ok(&c, self->uid, self->gid);
	if (groups != buf)
		free(groups);
	if (ok)
		return 1;
	refuse(fd, self, &uc, g, now_us);
	return 0;
}

int
priv_child_drop(void)
{
	cap_t	 c;
	int	 rv;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    cap_reset_ambient() == -1 || (c = cap_init()) == NULL)
		return -1;
	rv = cap_set_proc(c);
	cap_free(c);
	return rv;
}
