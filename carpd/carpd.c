/*
 * carpd.c: main(), the daemon's life cycle (start-up clean-up, vhosts
 * created from the config, signals, reload, shutdown) and the glue between
 * the netlink monitor and the state machine.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "carp_nat.h"
#include "carp_vip.h"
#include "carpd.h"
#include "epoch.h"
#include "log.h"
#include "metrics_http.h"
#include "nft_shell.h"
#include "notify.h"

static void
usage(void)
{
	fprintf(stderr, "usage: carpd -f FILE [-d] [-n] [-v]\n");
	exit(1);
}

struct vhost *
carpd_vhost(struct carpd *env, uint8_t vhid)
{
	int i;

	for (i = 0; i < env->nvh; i++)
		if (env->vh[i]->conf.vhid == vhid)
			return env->vh[i];
	return NULL;
}

static uint8_t
vhost_demote(struct carpd *env, const struct vhost *vh)
{
	int d = carp_demote_count(&env->demote,
	    (const char (*)[CARP_DEMOTE_NAMELEN])vh->conf.groups,
	    vh->conf.ngroups);

	/* track-scope vhost: its own part, on top of its groups' */
	d += carpd_health_vhost_demote(vh);
	return d > 255 ? 255 : (uint8_t)d;
}

/* One notice per group whose value changed: a test or an operator can
 * count demotions (syncd's bulk: 0 -> 32, then 32 -> 0) from the log. */
static void
log_group_changes(struct carpd *env, const char *reason)
{
	int i, old;

	for (i = 0; (i = carp_demote_changed(&env->demote, i, &old)) != -1;
	    i++)
		log_notice("group %s: demotion %d -> %d (%s)",
		    env->demote.g[i].name, old,
		    carp_demote_total(&env->demote.g[i]), reason);
}

void
carpd_demote_changed(struct carpd *env, const char *reason)
{
	struct carp_event ev = { .type = CARP_EV_DEMOTE };
	struct vhost *vh;
	uint8_t d;
	int i;

	log_group_changes(env, reason);
	for (i = 0; i < env->nvh; i++) {
		vh = env->vh[i];
		d = vhost_demote(env, vh);
		if (d == vh->fsm.demote)
			continue;
		ev.old_demote = vh->fsm.demote;
		vh->fsm.demote = d;
		carpd_event(vh, &ev);
	}
}

static int
read_sysctl_int(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf);
}

/* ------------------------------------------------------------------ */
/* carpdevs: receive sockets shared by the vhosts on one parent        */

static void
carpdev_source(struct carpd *env, struct carpdev *dev)
{
	if (carp_nl_source_addr(env->nl, dev->ifindex, AF_INET, dev->src4)
	    == -1)
		memset(dev->src4, 0, sizeof(dev->src4));
	if (carp_nl_source_addr(env->nl, dev->ifindex, AF_INET6, dev->src6)
	    == -1)
		memset(dev->src6, 0, sizeof(dev->src6));
}

static int
carpdev_rx(struct carpd *env, struct carpdev *dev, int af, int *fd,
    struct event **ev)
{
	*fd = carp_net_rx_open(af, dev->name, dev->ifindex);
	if (*fd == -1)
		return af == AF_INET ? -1 : 0;	/* IPv6 may be disabled */
	*ev = event_new(env->base, *fd, EV_READ | EV_PERSIST, carpd_rx_cb,
	    dev);
	return event_add(*ev, NULL);
}

static struct carpdev *
carpdev_get(struct carpd *env, const char *name)
{
	struct carpdev *dev;
	int i, ifindex;

	for (i = 0; i < env->ndevs; i++)
		if (strcmp(env->devs[i]->name, name) == 0) {
			env->devs[i]->refs++;
			return env->devs[i];
		}
	if (env->ndevs == CARPD_MAX_DEVS)
		return NULL;
	if ((ifindex = carp_nl_ifindex(env->nl, name)) <= 0) {
		log_warnx("carpdev %s: no such interface", name);
		return NULL;
	}
	if ((dev = calloc(1, sizeof(*dev))) == NULL)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	dev->ifindex = ifindex;
	dev->env = env;
	dev->refs = 1;
	dev->rx4 = dev->rx6 = -1;
	dev->arp_fd = -1;
	carp_nl_parent_sysctls(env->nl, ifindex);
	carpdev_source(env, dev);
	if (carpdev_rx(env, dev, AF_INET, &dev->rx4, &dev->ev4) == -1 ||
	    carpdev_rx(env, dev, AF_INET6, &dev->rx6, &dev->ev6) == -1) {
		log_warnx("carpdev %s: cannot open receive sockets", name);
		free(dev);
		return NULL;
	}
	env->devs[env->ndevs++] = dev;
	return dev;
}

static void
carpdev_put(struct carpd *env, struct carpdev *dev)
{
	int i;

	if (--dev->refs > 0)
		return;
	if (dev->ev4 != NULL)
		event_free(dev->ev4);
	if (dev->ev6 != NULL)
		event_free(dev->ev6);
	if (dev->rx4 != -1)
		close(dev->rx4);
	if (dev->rx6 != -1)
		close(dev->rx6);
	for (i = 0; i < env->ndevs; i++)
		if (env->devs[i] == dev) {
			env->devs[i] = env->devs[--env->ndevs];
			break;
		}
	free(dev);
}

/* ------------------------------------------------------------------ */
/* vhosts                                                              */

static void
vhost_addr_families(struct vhost *vh)
{
	int i;

	vh->has_v4 = vh->has_v6 = 0;
	for (i = 0; i < vh->conf.naddrs; i++) {
		if (vh->conf.addrs[i].af == AF_INET)
			vh->has_v4 = 1;
		else
			vh->has_v6 = 1;
	}
}

static void
vhost_configure(struct vhost *vh, const struct carp_vhost_conf *c)
{
	int i;

	/* configured groups show in `carpctl status` before any demotion */
	for (i = 0; i < c->ngroups; i++)
		if (carp_demote_group(&vh->env->demote, c->groups[i]) == NULL)
			log_warnx("vhid %u: demotion group table full, %s "
			    "not tracked", c->vhid, c->groups[i]);
	vh->conf = *c;
	vhost_addr_families(vh);
	carp_hmac_init(&vh->hmac, c->key, c->vhid, c->addrs, c->naddrs);
	vh->fsm.advbase = c->advbase;
	vh->fsm.advskew = c->advskew;
	vh->fsm.preempt = vh->env->conf->preempt;
	vh->fsm.tiebreak = c->tiebreak == CARP_TB_LOWER_ADDRESS ?
	    CARP_TIEBREAK_LOWER : CARP_TIEBREAK_NONE;
	vh->fsm.garp_refresh_us = (uint64_t)c->garp_refresh * 1000000;
	/* a dual-stack vhost's ties go by IPv4: its IPv6 advert sources are
	 * link-locals, ordered by MAC rather than as the IPv4 ones */
	vh->fsm.tie_af = vh->has_v4 || c->peer.af == AF_INET ? AF_INET :
	    AF_INET6;
	carpd_health_configure(vh);
}

/* ------------------------------------------------------------------ */
/* auth epoch (carp_auth.h): persisted, raised at every start          */

int
carpd_auth_epoch_raise(struct carpd *env)
{
	uint32_t epoch;

	/* Never below the clock: a lost file must not restart the counters
	 * below what peers accepted before (they would drop us as replays). */
	if (epoch_next(EPOCH_DIR, "carpd.epoch", (uint32_t)time(NULL),
	    &epoch) == -1) {
		log_warn("auth: cannot raise the epoch in %s/carpd.epoch",
		    EPOCH_DIR);
		return -1;
	}
	env->auth_epoch = epoch;
	env->auth_seq = 0;
	/* Raised as root before the drop, it must stay writable for the
	 * user: a reload may bring the first `auth` vhost, and a sequence
	 * may run out (best effort: failing later is logged then). */
	if (geteuid() == 0 && env->user.uid != 0 &&
	    chown(EPOCH_DIR "/carpd.epoch", (uid_t)env->user.uid,
	    (gid_t)env->user.gid) == -1)
		log_warn("auth: chown %s/carpd.epoch", EPOCH_DIR);
	log_info("auth: epoch %u", epoch);
	return 0;
}

static int
conf_uses_auth(const struct carpd_conf *c)
{
	int i;

	for (i = 0; i < c->nvhosts; i++)
		if (c->vhosts[i].auth != CARP_AUTH_OFF)
			return 1;
	return 0;
}

static int
vhost_link(struct carpd *env, struct vhost *vh)
{
	const struct carp_vhost_conf *c = &vh->conf;
	static const uint8_t vmac_prefix[5] = { 0x00, 0x00, 0x5e, 0x00, 0x01 };

	if ((vh->dev = carpdev_get(env, c->carpdev)) == NULL)
		return -1;
	/* A group's nodes share the carpdev and the shared MAC: never a
	 * macvlan per node (balancer.c). */
	if (c->balancing != CARP_BAL_NONE)
		return carpd_balance_attach(vh);
	if (c->lladdr == CARP_LLADDR_REAL) {
		vh->vif = vh->dev->ifindex;
		return carp_nl_lladdr(env->nl, vh->vif, vh->vmac);
	}
	memcpy(vh->vmac, vmac_prefix, sizeof(vmac_prefix));
	vh->vmac[5] = c->vhid;
	vh->vif = carp_nl_macvlan_create(env->nl, c->carpdev, c->ifname,
	    vh->vmac);
	return vh->vif > 0 ? 0 : -1;
}

static struct vhost *
vhost_new(struct carpd *env, const struct carp_vhost_conf *c)
{
	struct vhost *vh;

	if ((vh = calloc(1, sizeof(*vh))) == NULL)
		return NULL;
	vh->env = env;
	carp_fsm_init(&vh->fsm, c->advbase, c->advskew, env->conf->preempt);
	vhost_configure(vh, c);
	/* the kernel's CSPRNG: OpenSSL stays in carp_hmac.c alone (R5) */
	if (getrandom(vh->cookie, sizeof(vh->cookie), 0) !=
	    (ssize_t)sizeof(vh->cookie) ||
	    vhost_link(env, vh) == -1) {
		log_warnx("vhid %u: cannot set up on %s", c->vhid, c->carpdev);
		if (vh->dev != NULL)
			carpdev_put(env, vh->dev);
		free(vh);
		return NULL;
	}
	vh->timer = evtimer_new(env->base, carpd_timer_cb, vh);
	carpd_health_vhost_start(vh);
	vh->fsm.demote = vhost_demote(env, vh);
	return vh;
}

/* ------------------------------------------------------------------ */
/* balance-nat: no buckets without a syncd that defers first packets   */

/* One event to a node whose hold must change; 1 if it got one. */
static int
nat_guard_vhost(struct vhost *vh, int avail)
{
	struct carp_event ev;
	int want = vh->conf.balance_nat && !avail;

	if (want == vh->fsm.nat_held)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.type = want ? CARP_EV_NAT_HOLD : CARP_EV_NAT_RELEASE;
	ev.start = (enum carp_start)vh->conf.init_state;
	carpd_event(vh, &ev);
	return 1;
}

void
carpd_nat_guard(struct carpd *env)
{
	int i, n = 0, nat = 0, avail = control_defer_available(env->ctl);

	if (env->stopping)
		return;		/* shutdown_all bows out of everything */
	for (i = 0; i < env->nvh; i++) {
		nat += env->vh[i]->conf.balance_nat != 0;
		n += nat_guard_vhost(env->vh[i], avail);
	}
	/* once per change (defer_avail -1 at start: the first run logs) */
	if ((avail != env->defer_avail || n > 0) && nat > 0)
		log_notice("balance-nat: %s: %d node(s) %s", avail ?
		    "a syncd with defer is connected" :
		    "no syncd with defer is connected", nat, avail ?
		    "may take buckets" : "held in INIT (no buckets)");
	env->defer_avail = avail;
}

static void
vhost_start(struct carpd *env, struct vhost *vh)
{
	struct carp_event ev = { .type = CARP_EV_START };
	struct carp_event down = { .type = CARP_EV_LINK_DOWN };

	/* before START, so that a held node never leaves INIT */
	(void)nat_guard_vhost(vh, control_defer_available(env->ctl));
	ev.start = (enum carp_start)vh->conf.init_state;
	if (carp_nl_carrier(env->nl, vh->dev->ifindex) != 1) {
		log_warnx("vhid %u: %s has no carrier", vh->conf.vhid,
		    vh->conf.carpdev);
		carpd_event(vh, &down);
	} else
		carpd_event(vh, &ev);
}

/* Bow out (if MASTER), release the VIPs and the macvlan, free. */
static void
vhost_destroy(struct carpd *env, struct vhost *vh)
{
	struct carp_event ev = { .type = CARP_EV_SHUTDOWN };
	int i;

	carpd_event(vh, &ev);
	/* give back the +1 a lost carrier or send errors hold on its groups */
	if (vh->fsm.link_down)
		carpd_vhost_hold(vh, -1, "vhost removed");
	if (vh->send_demoted)
		carpd_vhost_hold(vh, -1, "vhost removed");
	carpd_health_vhost_stop(vh);
	if (vh->bg != NULL)
		carpd_balance_detach(vh);	/* vif is the carpdev itself */
	else if (vh->conf.lladdr == CARP_LLADDR_VIRTUAL)
		carp_nl_link_delete(env->nl, vh->vif);
	else
		for (i = 0; i < vh->conf.naddrs; i++)
			carp_nl_addr_del(env->nl, vh->vif, &vh->conf.addrs[i]);
	event_free(vh->timer);
	carpdev_put(env, vh->dev);
	free(vh);
}

static void
link_cb(void *arg, int ifindex, int carrier)
{
	struct carpd *env = arg;
	struct carp_event ev;
	struct vhost *vh;
	int i;

	for (i = 0; i < env->nvh; i++) {
		vh = env->vh[i];
		if (vh->dev->ifindex != ifindex)
			continue;
		memset(&ev, 0, sizeof(ev));
		if (carrier && vh->fsm.link_down)
			ev.type = CARP_EV_LINK_UP;
		else if (!carrier && !vh->fsm.link_down)
			ev.type = CARP_EV_LINK_DOWN;
		else
			continue;
		if (carrier)
			carpdev_source(env, vh->dev);
		carpd_event(vh, &ev);
	}
	carpd_health_links(env);
}

static void
nl_cb(int fd, short what, void *arg)
{
	struct carpd *env = arg;

	(void)fd;
	(void)what;
	carp_nl_monitor_read(env->nl, link_cb, env);
}

/* ------------------------------------------------------------------ */
/* reload                                                              */

/* A balanced node is re-created when anything its group shares changes
 * (the group's table, MAC and VIPs are built once, balancer.c). */
static int
balance_same(const struct carp_vhost_conf *a, const struct carp_vhost_conf *b)
{
	int i;

	if (a->balancing != b->balancing)
		return 0;
	if (a->balancing == CARP_BAL_NONE)
		return 1;
	if (a->balance_side != b->balance_side || a->leader != b->leader ||
	    a->nnodes != b->nnodes || a->node_index != b->node_index ||
	    memcmp(a->node_vhids, b->node_vhids, sizeof(a->node_vhids)) != 0 ||
	    a->naddrs != b->naddrs)
		return 0;
	for (i = 0; i < a->naddrs; i++)
		if (memcmp(&a->addrs[i], &b->addrs[i], sizeof(a->addrs[i])) != 0)
			return 0;
	return 1;
}

/* A vhost survives a reload in place if its identity is unchanged. */
static int
vhost_same_identity(const struct carp_vhost_conf *a,
    const struct carp_vhost_conf *b)
{
	return a->vhid == b->vhid && strcmp(a->carpdev, b->carpdev) == 0 &&
	    strcmp(a->ifname, b->ifname) == 0 && a->lladdr == b->lladdr &&
	    balance_same(a, b);
}

static int
addr_in(const struct carp_addr *a, const struct carp_vhost_conf *c)
{
	int i;

	for (i = 0; i < c->naddrs; i++)
		if (c->addrs[i].af == a->af && c->addrs[i].plen == a->plen &&
		    memcmp(c->addrs[i].addr, a->addr, 16) == 0)
			return 1;
	return 0;
}

/* Apply a changed config to a running vhost, keeping its state. A MASTER
 * only touches the addresses that changed, so the others never blink. */
static void
vhost_update(struct vhost *vh, const struct carp_vhost_conf *c)
{
	struct carp_vhost_conf old = vh->conf;
	struct carp_tracks old_tracks = vh->tracks;
	int i, held = vh->fsm.link_down + vh->send_demoted;

	carpd_health_release(vh);	/* from the old groups or scope */

	/* What a lost carrier or send errors hold moves to the new groups. */
	if (held > 0)
		carpd_vhost_hold(vh, -held, "groups changed by reload");
	vhost_configure(vh, c);
	if (held > 0)
		carpd_vhost_hold(vh, held, "groups changed by reload");
	carpd_health_reload(vh, &old_tracks);
	if (vh->fsm.state != CARP_S_MASTER)
		return;
	for (i = 0; i < old.naddrs; i++)
		if (!addr_in(&old.addrs[i], c))
			carp_nl_addr_del(vh->env->nl, vh->vif, &old.addrs[i]);
	for (i = 0; i < c->naddrs; i++)
		if (!addr_in(&c->addrs[i], &old))
			carp_nl_addr_add(vh->env->nl, vh->vif, &c->addrs[i]);
}

/* A vhost is identified by (vhid, carpdev): a vhid is unique per carpdev. */
static const struct carp_vhost_conf *
conf_find(const struct carpd_conf *conf, const struct carp_vhost_conf *like)
{
	int i;

	for (i = 0; i < conf->nvhosts; i++)
		if (conf->vhosts[i].vhid == like->vhid &&
		    strcmp(conf->vhosts[i].carpdev, like->carpdev) == 0)
			return &conf->vhosts[i];
	return NULL;
}

static void
reload_apply(struct carpd *env, struct carpd_conf *nc)
{
	struct vhost *keep[CARP_MAX_VHOSTS], *vh;
	const struct carp_vhost_conf *c;
	int i, nkeep = 0, nold = env->nvh;

	/* First retire vhosts that are gone or changed identity; the live
	 * list is empty meanwhile so no event reaches a freed vhost. */
	env->nvh = 0;
	for (i = 0; i < nold; i++) {
		vh = env->vh[i];
		c = conf_find(nc, &vh->conf);
		if (c != NULL && vhost_same_identity(&vh->conf, c))
			keep[nkeep++] = vh;
		else {
			log_notice("vhid %u: removed by reload", vh->conf.vhid);
			vhost_destroy(env, vh);
		}
	}
	carp_conf_free(env->conf);
	env->conf = nc;
	log_setlevel(nc->log_level);
	for (i = 0; i < nc->nvhosts; i++) {
		c = &nc->vhosts[i];
		vh = NULL;
		for (int k = 0; k < nkeep; k++)
			if (keep[k] != NULL && keep[k]->conf.vhid == c->vhid &&
			    strcmp(keep[k]->conf.carpdev, c->carpdev) == 0) {
				vh = keep[k];
				keep[k] = NULL;
				vhost_update(vh, c);
			}
		if (vh == NULL && (vh = vhost_new(env, c)) != NULL) {
			env->vh[env->nvh++] = vh;
			vhost_start(env, vh);
			continue;
		}
		if (vh != NULL)
			env->vh[env->nvh++] = vh;
	}
	carpd_demote_changed(env, "reload");
	carpd_nat_guard(env);	/* balance-nat may have changed */
}

/* ------------------------------------------------------------------ */
/* NAT in the ruleset (carpd.conf(5) BALANCING, carp_nat.h)            */

#define NAT_LIST_MAX	(64 * 1024 * 1024)	/* chains of a huge ruleset */

/* The first group that balances without balance-nat (its leader), or
 * NULL: only those must not run next to NAT. */
static const struct carp_vhost_conf *
nat_unguarded(const struct carpd_conf *c)
{
	int i;

	for (i = 0; i < c->nvhosts; i++)
		if (c->vhosts[i].balancing != CARP_BAL_NONE &&
		    !c->vhosts[i].balance_nat && c->vhosts[i].node_index == 0)
			return &c->vhosts[i];
	return NULL;
}

/* `nft list chains` into a buffer as large as it needs (free it); NULL
 * with the reason in err. */
static char *
nat_listing(struct nft_shell *nft, char *err, size_t errlen)
{
	size_t cap = 64 * 1024;
	char *text;
	int n;

	for (;;) {
		if ((text = malloc(cap)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		n = nft_shell_list(nft, "list chains", text, cap, err, errlen);
		if (n >= 0 && (size_t)n < cap)
			return text;
		free(text);
		if (n < 0)
			return NULL;
		if ((size_t)n + 1 > NAT_LIST_MAX) {
			snprintf(err, errlen, "listing larger than %d bytes",
			    NAT_LIST_MAX);
			return NULL;
		}
		cap = (size_t)n + 1;
	}
}

/*
 * 0 if no group balances without balance-nat next to a nat base chain;
 * else -1 with "FILE:LINE: why" in msg (the group's `balancing` line, or
 * its carpnodes line). nft: carpd's context, or NULL for one of its own
 * (at start, before setup; on a reload that brings the first group).
 */
static int
nat_check(const struct carpd_conf *c, struct nft_shell *nft, char *msg,
    size_t msglen)
{
	const struct carp_vhost_conf *v = nat_unguarded(c);
	struct nft_shell *own = NULL;
	struct carp_nat_chain hit;
	char err[256], *text = NULL;
	int rc = -1;

	if (v == NULL)
		return 0;
	if (nft == NULL)
		nft = own = nft_shell_open(err, sizeof(err));
	if (nft != NULL && (text = nat_listing(nft, err, sizeof(err))) != NULL &&
	    (rc = carp_nat_find(text, &hit)) == -1)
		snprintf(err, sizeof(err), "not an nft listing");
	if (rc == 1)
		snprintf(msg, msglen, "%s:%d: balancing with NAT in the ruleset "
		    "(table %s %s, chain %s): set balance-nat yes and run syncd "
		    "with defer yes", v->file, v->balance_line, hit.family,
		    hit.table, hit.chain);
	else if (rc == -1)	/* unknown is not "no NAT" */
		snprintf(msg, msglen, "%s:%d: balancing: cannot look for NAT "
		    "in the ruleset (nft list chains: %s)", v->file,
		    v->balance_line, err);
	free(text);
	nft_shell_close(own);
	return rc == 0 ? 0 : -1;
}

/* One log line per "FILE:LINE: reason" line. */
static void
log_diag(const char *what, const struct conf_diag *diag)
{
	const char *p = diag->text, *nl;

	while (p != NULL && p < diag->text + diag->len) {
		nl = memchr(p, '\n', (size_t)(diag->text + diag->len - p));
		log_warnx("%s: %.*s", what,
		    (int)(nl != NULL ? nl - p : diag->text + diag->len - p), p);
		p = nl != NULL ? nl + 1 : NULL;
	}
}

int
carpd_reload(struct carpd *env, char *err, size_t errlen)
{
	struct conf_diag diag;
	struct carpd_conf *nc;
	char nat[1024];

	conf_diag_init(&diag);
	nc = carp_conf_parse_as(env->conf_path, env->user.uid, &diag);
	log_diag("reload", &diag);
	if (nc == NULL) {
		snprintf(err, errlen, "%s: config has %d error(s), "
		    "keeping the running one", env->conf_path, diag.nerrors);
		log_warnx("reload: %s", err);
		conf_diag_free(&diag);
		return -1;
	}
	conf_diag_free(&diag);
	if (nat_check(nc, env->nft, nat, sizeof(nat)) == -1) {
		log_warnx("reload: %s; keeping the running config", nat);
		snprintf(err, errlen, "%s", nat);	/* may be cut: the log */
		carp_conf_free(nc);
		return -1;
	}
	/* the first vhost with `auth` may come with a reload */
	if (env->auth_epoch == 0 && conf_uses_auth(nc) &&
	    carpd_auth_epoch_raise(env) == -1) {
		snprintf(err, errlen, "auth: no epoch (see the log), keeping "
		    "the running config");
		carp_conf_free(nc);
		return -1;
	}
	notify_reloading();
	if (strcmp(nc->control_socket, env->conf->control_socket) != 0)
		log_warnx("reload: control-socket change needs a restart");
	if (strcmp(nc->user, env->conf->user) != 0)
		log_warnx("reload: user change needs a restart");
	if (strcmp(nc->notify_fifo, env->conf->notify_fifo) != 0)
		log_warnx("reload: notify-fifo change needs a restart");
	if (strcmp(nc->metrics_listen, env->conf->metrics_listen) != 0)
		log_warnx("reload: metrics-listen change needs a restart");
	reload_apply(env, nc);
	notify_ready();
	log_notice("reloaded %s: %d vhost(s)", env->conf_path, env->nvh);
	return 0;
}

/* ------------------------------------------------------------------ */
/* signals and life cycle                                              */

static void
shutdown_all(struct carpd *env)
{
	/* unlink before destroying: a demotion change walks the live list */
	while (env->nvh > 0)
		vhost_destroy(env, env->vh[--env->nvh]);
}

static void
sig_cb(int sig, short what, void *arg)
{
	struct carpd *env = arg;
	char err[256];

	(void)what;
	if (sig == SIGHUP) {
		carpd_reload(env, err, sizeof(err));
		return;
	}
	log_notice("signal %d: bowing out and exiting", sig);
	notify_stopping();
	env->stopping = 1;
	shutdown_all(env);
	event_base_loopbreak(env->base);
}

static void
signals_setup(struct carpd *env)
{
	signal(SIGPIPE, SIG_IGN);
	env->sig_term = evsignal_new(env->base, SIGTERM, sig_cb, env);
	env->sig_int = evsignal_new(env->base, SIGINT, sig_cb, env);
	env->sig_hup = evsignal_new(env->base, SIGHUP, sig_cb, env);
	evsignal_add(env->sig_term, NULL);
	evsignal_add(env->sig_int, NULL);
	evsignal_add(env->sig_hup, NULL);
}

/* key_owner_uid: the user carpd will run as, who may own authkeyfiles */
static struct carpd_conf *
load_conf(const char *path, int print, unsigned key_owner_uid)
{
	struct conf_diag diag;
	struct carpd_conf *conf;

	conf_diag_init(&diag);
	conf = carp_conf_parse_as(path, key_owner_uid, &diag);
	if (diag.len > 0)
		fputs(diag.text, stderr);
	conf_diag_free(&diag);
	if (conf != NULL && print)
		carp_conf_print(stdout, conf);
	return conf;
}

static struct event_base *
base_new(void)
{
	struct event_config *cfg;
	struct event_base *base;

	/* Microsecond timers (timerfd): adverts at advbase 0 are 3.9 ms
	 * apart, and interval accuracy is a target. */
	cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static void
start_vhosts(struct carpd *env)
{
	const struct carpd_conf *conf = env->conf;
	struct vhost *vh;
	const char *why;
	int i;

	if (conf->startup_demote > 0 &&
	    carp_demote_adjust(&env->demote, "carp", conf->startup_demote,
	    &why) == 0)
		log_notice("startup-demote: group carp demoted by %d until "
		    "`carpctl demote carp -%d`", conf->startup_demote,
		    conf->startup_demote);
	carpd_demote_changed(env, "startup-demote");	/* no vhost yet: the log */
	for (i = 0; i < conf->nvhosts; i++) {
		if ((vh = vhost_new(env, &conf->vhosts[i])) == NULL)
			fatalx("vhid %u: cannot start", conf->vhosts[i].vhid);
		env->vh[env->nvh++] = vh;
	}
	for (i = 0; i < env->nvh; i++)
		vhost_start(env, env->vh[i]);
	env->defer_avail = -1;
	carpd_nat_guard(env);		/* says what vhost_start held */
}


static void
setup(struct carpd *env)
{
	int n;

	if ((env->base = base_new()) == NULL)
		fatalx("event_base_new");
	/* The control socket first: it refuses to start next to a live carpd,
	 * whose links the clean-up below would otherwise destroy. */
	if ((env->ctl = control_open(env, env->conf->control_socket)) == NULL)
		fatalx("cannot open control socket %s",
		    env->conf->control_socket);
	if (priv_own_socket(&env->user, env->conf->control_socket) == -1)
		fatalx("cannot give control socket %s to %s:%s",
		    env->conf->control_socket, env->user.name, env->user.group);
	/* before the privilege drop: any port */
	env->metrics = metrics_http_listen(env->base,
	    env->conf->metrics_listen, control_metrics, env);
	if ((env->nl = carp_nl_open()) == NULL)
		fatalx("cannot open netlink");
	/* Before anything else: what a crashed carpd left behind. */
	if ((n = carp_nl_cleanup(env->nl, env->conf)) > 0)
		log_notice("removed %d stale object(s) of a previous carpd", n);
	if (carp_net_open(&env->net) == -1)
		fatalx("cannot open CARP sockets (need CAP_NET_RAW)");
	env->nl_ev = event_new(env->base, carp_nl_monitor_fd(env->nl),
	    EV_READ | EV_PERSIST, nl_cb, env);
	event_add(env->nl_ev, NULL);
	env->ipv6_forwarding =
	    read_sysctl_int("/proc/sys/net/ipv6/conf/all/forwarding");
	carp_demote_init(&env->demote);
	signals_setup(env);
	carpd_health_setup(env);
	if (carpd_balance_setup(env) == -1)
		fatalx("balancing: cannot open nftables (need CAP_NET_ADMIN)");
	if (conf_uses_auth(env->conf) && carpd_auth_epoch_raise(env) == -1)
		fatalx("auth: no epoch, cannot authenticate adverts");
	start_vhosts(env);
	/*
	 * Everything is open: drop to the user. Both capabilities are still
	 * needed: CAP_NET_ADMIN for every VIP, macvlan and sysctl change
	 * (failover, reload, shutdown), CAP_NET_RAW for the receive sockets
	 * of a carpdev that a reload adds.
	 */
	priv_drop(&env->user, PRIV_CAP(CAP_NET_ADMIN) | PRIV_CAP(CAP_NET_RAW),
	    "NET_ADMIN: addresses and links, NET_RAW: sockets of new vhosts");
}

static void
teardown(struct carpd *env)
{
	shutdown_all(env);
	carpd_balance_teardown(env);
	carpd_health_teardown(env);
	metrics_http_close(env->metrics);
	control_close(env->ctl);
	event_free(env->nl_ev);
	event_free(env->sig_term);
	event_free(env->sig_int);
	event_free(env->sig_hup);
	carp_net_close(&env->net);
	carp_nl_close(env->nl);
	carp_conf_free(env->conf);
	event_base_free(env->base);
}

int
main(int argc, char *argv[])
{
	struct carpd env;
	char user[PRIV_NAMELEN], err[1024];
	int ch, noaction = 0, have_user;

	memset(&env, 0, sizeof(env));
	env.conf_path = "/etc/carpsync/carpd.conf";
	while ((ch = getopt(argc, argv, "df:nv")) != -1) {
		switch (ch) {
		case 'd':
			env.debug = 1;
			break;
		case 'f':
			env.conf_path = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'v':
			env.verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* The user first: key files may belong to it (priv.h). */
	have_user = priv_conf_user(env.conf_path, CARP_DEFAULT_USER, user,
	    sizeof(user)) == 0 && priv_lookup("carpd", env.conf_path, user,
	    &env.user, err, sizeof(err)) == 0;
	if ((env.conf = load_conf(env.conf_path, noaction && env.verbose,
	    have_user ? env.user.uid : 0)) == NULL)
		return 1;
	if (strcmp(env.conf->user, user) != 0)
		fatalx("%s: changed while it was read (user %s, then %s)",
		    env.conf_path, user, env.conf->user);
	/* before the daemon detaches: the operator must see why */
	if (!noaction && nat_check(env.conf, NULL, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		carp_conf_free(env.conf);
		return 1;
	}
	if (noaction) {
		if (!have_user)
			fprintf(stderr, "%s: warning: %s\n", env.conf_path, err);
		fprintf(stderr, "%s: configuration OK\n", env.conf_path);
		carp_conf_free(env.conf);
		return 0;
	}
	log_init("carpd", env.debug, LOG_DAEMON);
	log_setlevel(env.verbose ? LOG_DEBUG : env.conf->log_level);
	if (!have_user)
		fatalx("%s", err);
	priv_start_check(&env.user);
	if (!env.debug && daemon(0, 0) == -1)
		fatal("daemon");
	setup(&env);
	notify_ready();
	log_notice("started with %d vhost(s)", env.nvh);
	event_base_dispatch(env.base);
	teardown(&env);
	log_notice("exiting");
	return 0;
}
