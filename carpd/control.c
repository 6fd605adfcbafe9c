/*
 * control.c: carpd's control socket (common/ctl_proto.h). AF_UNIX stream,
 * one bufferevent per connection, requests answered by typed replies
 * ending in CTL_END or one CTL_ERROR. A connection may hold demotions
 * (CTL_DEMOTE_HOLD, what syncd uses); they are dropped when it closes, so
 * a dead client never leaves carpd demoted. A syncd declares what it does
 * (CTL_SYNC_CAPS); while none that defers first packets is connected, the
 * nodes of `balance-nat yes` groups are held in INIT (carpd_nat_guard).
 *
 * A client whose unread output passes CTL_MAX_OUTPUT (it sends requests
 * or subscribes and does not read) is hung up on, as is one whose header
 * cannot be decoded; both are counted (struct ctl_conn_stats). Dropping
 * its replies instead would cut reply streams short and lose events
 * without a word; a subscriber that reconnects asks for the state again.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "carpd.h"
#include "ctl_msg.h"
#include "log.h"
#include "metrics.h"

#define CTL_MAX_HOLDS		16
#define CTL_MAX_OUTPUT		(256 * 1024)	/* a client that never reads */
#define CTL_PER_TURN		32	/* requests of one client per loop turn */

struct ctl_hold {
	char	group[CTL_NAMELEN];
	int	value;
};

struct ctl_conn {
	struct control		*ctl;
	struct bufferevent	*bev;
	struct event		*more_ev;	/* requests left for the next turn */
	int			 subscribed;
	int			 slow;		/* output over the bound: closing */
	struct ctl_hold		 holds[CTL_MAX_HOLDS];
	int			 nholds;
	struct ctl_hello	 peer;		/* its HELLO; name "" if none */
	uint32_t		 caps;		/* CTL_SYNC_CAP_*, from SYNC_CAPS */
	uint32_t		 defer_ms;
	struct ctl_conn		*next;
};

struct control {
	struct carpd		*env;
	struct evconnlistener	*listener;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct ctl_conn		*conns;
	struct priv_ctl_guard	 guard;		/* peer credential checks */
	struct event		*reap_ev;	/* closes slow connections */
	struct ctl_conn_stats	 stats;
};

static void	conn_free(struct ctl_conn *);

/*
 * Slow connections are closed from an event of their own, never inside
 * a send: the sender may be walking the connection list (publish) or be
 * the connection's own read callback.
 */
static void
reap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct ctl_conn *cc;

	(void)fd;
	(void)what;
	/* from the head each time: closing one may change the list */
	for (;;) {
		for (cc = ctl->conns; cc != NULL && !cc->slow; cc = cc->next)
			;
		if (cc == NULL)
			return;
		log_warnx("control: closing client: %zu bytes of replies "
		    "unread", evbuffer_get_length(bufferevent_get_output(cc->bev)));
		ctl->stats.closed_slow++;
		conn_free(cc);
	}
}

static void
conn_send(struct ctl_conn *cc, uint32_t type, uint32_t seq,
    const void *payload, size_t plen)
{
	uint8_t buf[CTL_MAX_MSG];
	size_t n;
	struct evbuffer *out = bufferevent_get_output(cc->bev);

	if (cc->slow)
		return;
	/* A client that stops reading is hung up on, not kept in memory. */
	if (evbuffer_get_length(out) > CTL_MAX_OUTPUT) {
		cc->slow = 1;
		bufferevent_disable(cc->bev, EV_READ);
		event_active(cc->ctl->reap_ev, 0, 0);
		return;
	}
	if ((n = ctl_msg_build(buf, sizeof(buf), type, seq, payload, plen)) > 0)
		bufferevent_write(cc->bev, buf, n);
}

static void
conn_error(struct ctl_conn *cc, uint32_t seq, enum ctl_err code,
    const char *text)
{
	struct ctl_error e;

	memset(&e, 0, sizeof(e));
	e.code = code;
	snprintf(e.text, sizeof(e.text), "%s", text);
	conn_send(cc, CTL_ERROR, seq, &e, sizeof(e));
}

static void
vhost_to_ctl(const struct vhost *vh, struct ctl_vhost *v)
{
	memset(v, 0, sizeof(*v));
	v->vhid = vh->conf.vhid;
	v->state = (uint8_t)vh->fsm.state;
	v->advbase = vh->fsm.advbase;
	v->advskew = vh->fsm.advskew;
	v->demote = vh->fsm.demote;
	v->lladdr_real = vh->conf.lladdr == CARP_LLADDR_REAL;
	v->naddrs = (uint8_t)vh->conf.naddrs;
	v->auth = (uint8_t)vh->conf.auth;
	ctl_strlcpy(v->ifname, vh->conf.lladdr == CARP_LLADDR_REAL ||
	    vh->bg != NULL ?
	    vh->conf.carpdev : vh->conf.ifname, sizeof(v->ifname));
	ctl_strlcpy(v->carpdev, vh->conf.carpdev, sizeof(v->carpdev));
	v->transitions = vh->transitions;
	v->counters = vh->counters;
	v->tiebreak = (uint8_t)vh->conf.tiebreak;
	v->garp_refresh = (uint16_t)vh->conf.garp_refresh;
}

static void
control_conn_stats(const struct control *ctl, struct ctl_conn_stats *cs)
{
	const struct ctl_conn *cc;

	*cs = ctl->stats;
	cs->open = 0;
	for (cc = ctl->conns; cc != NULL; cc = cc->next)
		cs->open++;
}

/* One track of a vhost as the control protocol carries it. */
static void
track_to_ctl(const struct vhost *vh, const struct carp_track *t,
    struct ctl_track *ct)
{
	memset(ct, 0, sizeof(*ct));
	ct->vhid = vh->conf.vhid;
	ct->kind = (uint8_t)t->conf.kind;
	ct->up = (uint8_t)t->up;
	ct->weight = t->conf.weight;
	ct->scope = (uint8_t)vh->conf.track_scope;
	ct->running = t->pid > 0;
	ct->interval_s = t->conf.interval_s;
	ct->timeout_s = t->conf.timeout_s;
	ct->runs = t->runs;
	ct->failures = t->failures;
	ct->timeouts = t->timeouts;
	/* a command longer than the field is cut, on purpose (ctl_track) */
	snprintf(ct->name, sizeof(ct->name), "%.*s", (int)sizeof(ct->name) - 1,
	    t->conf.name);
}

/* A vhost's notify hook and own demotion (carpd.conf(5) HOOKS). */
static void
hooks_to_ctl(const struct carpd *env, const struct vhost *vh,
    struct ctl_vhost_hooks *hk)
{
	memset(hk, 0, sizeof(*hk));
	hk->vhid = vh->conf.vhid;
	hk->notify = vh->conf.notify[0] != '\0';
	hk->queued = (uint8_t)vh->hooks.n;
	hk->running = vh->hooks.pid > 0;
	hk->track_vhost = (uint32_t)vh->track_vhost;
	hk->preempt_delay = (uint32_t)(vh->conf.preempt_delay >= 0 ?
	    vh->conf.preempt_delay : env->conf->preempt_delay);
	hk->run = vh->hooks.run;
	hk->failed = vh->hooks.failed;
	hk->killed = vh->hooks.killed_n;
	hk->dropped = vh->hooks.dropped;
}

/* A balanced vhost's node and its group (carpd.conf(5) BALANCING); 0 if
 * the vhost is not balanced. Counters as last read from the table. */
static int
balance_to_ctl(const struct vhost *vh, struct ctl_balance *b)
{
	const struct balgroup *bg = vh->bg;
	unsigned i = vh->conf.node_index;
	int v;

	memset(b, 0, sizeof(*b));
	if (bg == NULL)
		return 0;
	b->vhid = vh->conf.vhid;
	b->mode = (uint8_t)bg->set.mode;
	b->side = (uint8_t)bg->set.side;
	b->leader = bg->set.vhids[0];
	b->bucket = (uint8_t)i;
	b->nodes = (uint8_t)bg->set.n;
	b->owned_here = (bg->set.owned >> i) & 1;
	b->owned = bg->set.owned;
	b->seed = bg->set.seed;
	b->accepted = bg->accepted[i];
	b->ignored = bg->ignored[i];
	b->arp_replies = bg->arp[CARP_ARP_REPLY];
	b->nat = vh->conf.balance_nat != 0;
	b->held = vh->fsm.nat_held ? CTL_BAL_HELD_NO_DEFER : CTL_BAL_HELD_NONE;
	for (v = 0; v < CARP_ARP__MAX; v++)
		if (v != CARP_ARP_REPLY && v != CARP_ARP_NOT_OURS)
			b->arp_dropped += bg->arp[v];
	b->nd_replies = bg->nd[CARP_ND_REPLY];
	for (v = 0; v < CARP_ND__MAX; v++)
		if (v != CARP_ND_REPLY && v != CARP_ND_NOT_OURS)
			b->nd_dropped += bg->nd[v];
	return 1;
}

/*
 * Fresh table counters for every carpdev that balances, at most once per
 * BAL_READ_INTERVAL_US: each read is a netlink round trip per carpdev, and
 * status requests and scrapes come as fast as clients send them, so a
 * storm of them must not turn into as many nftables dumps on the loop.
 * Within the interval every caller sees the last read.
 */
#define BAL_READ_INTERVAL_US	1000000ULL

static void
balance_refresh(struct carpd *env)
{
	uint64_t now = carpd_now_us();
	int i;

	if (env->bal_read_us != 0 &&
	    now - env->bal_read_us < BAL_READ_INTERVAL_US)
		return;
	env->bal_read_us = now;
	for (i = 0; i < env->ndevs; i++)
		carpd_balance_counters(env->devs[i]);
}

/* A vhost's tracks and hook, after its CTL_VHOST. */
static void
status_health(struct ctl_conn *cc, uint32_t seq, const struct vhost *vh)
{
	struct ctl_vhost_hooks	 hk;
	struct ctl_track	 ct;
	struct ctl_balance	 b;
	int			 i;

	for (i = 0; i < vh->tracks.n; i++) {
		track_to_ctl(vh, &vh->tracks.t[i], &ct);
		conn_send(cc, CTL_TRACK, seq, &ct, sizeof(ct));
	}
	hooks_to_ctl(cc->ctl->env, vh, &hk);
	conn_send(cc, CTL_VHOST_HOOKS, seq, &hk, sizeof(hk));
	if (balance_to_ctl(vh, &b))
		conn_send(cc, CTL_VHOST_BALANCE, seq, &b, sizeof(b));
}

static void
do_status(struct ctl_conn *cc, uint32_t seq)
{
	struct carpd *env = cc->ctl->env;
	struct ctl_conn_stats cs;
	struct ctl_vhost v;
	struct ctl_group g;
	int i;

	balance_refresh(env);
	for (i = 0; i < env->nvh; i++) {
		vhost_to_ctl(env->vh[i], &v);
		conn_send(cc, CTL_VHOST, seq, &v, sizeof(v));
		status_health(cc, seq, env->vh[i]);
	}
	for (i = 0; i < env->demote.ng; i++) {
		memset(&g, 0, sizeof(g));
		ctl_strlcpy(g.name, env->demote.g[i].name, sizeof(g.name));
		g.demote = (uint32_t)carp_demote_total(&env->demote.g[i]);
		conn_send(cc, CTL_GROUP, seq, &g, sizeof(g));
	}
	env->counters.ctl_refused = cc->ctl->guard.refused;
	conn_send(cc, CTL_COUNTERS, seq, &env->counters, sizeof(env->counters));
	control_conn_stats(cc->ctl, &cs);
	conn_send(cc, CTL_CONN_STATS, seq, &cs, sizeof(cs));
	conn_send(cc, CTL_HOOK_STATS, seq, &env->hstats, sizeof(env->hstats));
	conn_send(cc, CTL_END, seq, NULL, 0);
}

/* The same structs as do_status, formatted for metrics-listen. */
void
control_metrics(void *arg, struct metrics_out *o)
{
	struct carpd *env = arg;
	struct ctl_group g[CARP_DEMOTE_MAX_GROUPS];
	struct ctl_conn_stats cs;
	struct metrics_carpd m;
	struct ctl_vhost *v;
	struct ctl_vhost_hooks *hk;
	struct ctl_track *t;
	struct ctl_balance *b;
	int i, j, nt = 0, ntracks = 0, nb = 0;

	for (i = 0; i < env->nvh; i++)
		ntracks += env->vh[i]->tracks.n;
	/* on the heap: 256 vhosts would be 60 KB of stack */
	v = calloc((size_t)env->nvh + 1, sizeof(*v));
	hk = calloc((size_t)env->nvh + 1, sizeof(*hk));
	t = calloc((size_t)ntracks + 1, sizeof(*t));
	b = calloc((size_t)env->nvh + 1, sizeof(*b));
	if (v == NULL || hk == NULL || t == NULL || b == NULL)
		goto out;	/* the scraper gets an empty page, not a crash */
	balance_refresh(env);
	for (i = 0; i < env->nvh; i++) {
		vhost_to_ctl(env->vh[i], &v[i]);
		hooks_to_ctl(env, env->vh[i], &hk[i]);
		nb += balance_to_ctl(env->vh[i], &b[nb]);
		for (j = 0; j < env->vh[i]->tracks.n; j++)
			track_to_ctl(env->vh[i], &env->vh[i]->tracks.t[j],
			    &t[nt++]);
	}
	for (i = 0; i < env->demote.ng && i < CARP_DEMOTE_MAX_GROUPS; i++) {
		memset(&g[i], 0, sizeof(g[i]));
		ctl_strlcpy(g[i].name, env->demote.g[i].name, sizeof(g[i].name));
		g[i].demote = (uint32_t)carp_demote_total(&env->demote.g[i]);
	}
	env->counters.ctl_refused = env->ctl->guard.refused;
	control_conn_stats(env->ctl, &cs);
	m = (struct metrics_carpd){ .v = v, .nv = env->nvh, .g = g, .ng = i,
	    .total = &env->counters, .cs = &cs, .t = t, .nt = nt, .h = hk,
	    .nh = env->nvh, .hs = &env->hstats, .b = b, .nb = nb };
	metrics_carpd(o, &m);
out:
	free(b);
	free(t);
	free(hk);
	free(v);
}

static void
do_demote(struct ctl_conn *cc, uint32_t seq, const struct ctl_demote *d)
{
	struct carpd *env = cc->ctl->env;
	const char *why;

	if (carp_demote_adjust(&env->demote, d->group, d->value, &why) == -1) {
		conn_error(cc, seq, CTL_E_RANGE, why);
		return;
	}
	log_notice("group %s demoted by %+d (%s)", d->group, (int)d->value,
	    d->reason[0] ? d->reason : "carpctl");
	carpd_demote_changed(env, d->reason[0] ? d->reason : "carpctl");
	conn_send(cc, CTL_END, seq, NULL, 0);
}

static struct ctl_hold *
hold_find(struct ctl_conn *cc, const char *group)
{
	int i;

	for (i = 0; i < cc->nholds; i++)
		if (strcmp(cc->holds[i].group, group) == 0)
			return &cc->holds[i];
	if (cc->nholds == CTL_MAX_HOLDS)
		return NULL;
	memset(&cc->holds[cc->nholds], 0, sizeof(cc->holds[0]));
	ctl_strlcpy(cc->holds[cc->nholds].group, group, CTL_NAMELEN);
	return &cc->holds[cc->nholds++];
}

/* Set this connection's held demotion of a group to an absolute value. */
static void
do_demote_hold(struct ctl_conn *cc, uint32_t seq, const struct ctl_demote *d)
{
	struct carpd *env = cc->ctl->env;
	struct ctl_hold *h;

	if (d->value < 0 || d->value > 255) {
		conn_error(cc, seq, CTL_E_RANGE, "held demotion must be 0..255");
		return;
	}
	if ((h = hold_find(cc, d->group)) == NULL ||
	    carp_demote_hold(&env->demote, d->group, d->value - h->value)
	    == -1) {
		conn_error(cc, seq, CTL_E_RANGE, "too many demotion groups");
		return;
	}
	log_notice("group %s: connection-held demotion %d -> %d (%s)",
	    d->group, h->value, (int)d->value,
	    d->reason[0] ? d->reason : "held");
	h->value = d->value;
	carpd_demote_changed(env, d->reason[0] ? d->reason : "held");
	conn_send(cc, CTL_END, seq, NULL, 0);
}

static void
do_set_state(struct ctl_conn *cc, uint32_t seq, const struct ctl_set_state *s)
{
	struct carpd *env = cc->ctl->env;
	struct carp_event ev;
	struct vhost *vh;
	int i;

	memset(&ev, 0, sizeof(ev));
	if (s->vhid < 1 || s->vhid > 255 ||
	    carpd_vhost(env, (uint8_t)s->vhid) == NULL) {
		conn_error(cc, seq, CTL_E_NOENT, "no such vhid");
		return;
	}
	if (s->state == CTL_FORCE_MASTER)
		ev.type = CARP_EV_FORCE_MASTER;
	else if (s->state == CTL_FORCE_BACKUP)
		ev.type = CARP_EV_FORCE_BACKUP;
	else {
		conn_error(cc, seq, CTL_E_RANGE, "state must be master or backup");
		return;
	}
	/* The same vhid on several carpdevs: each of them (the operator
	 * named the vhid, not one of its interfaces). */
	for (i = 0; i < env->nvh; i++) {
		vh = env->vh[i];
		if (vh->conf.vhid != s->vhid)
			continue;
		log_notice("vhid %u on %s: %s requested by carpctl%s",
		    vh->conf.vhid, vh->conf.carpdev, carp_ev_names[ev.type],
		    vh->fsm.nat_held ? " (ignored: balance-nat, no syncd "
		    "with defer)" : "");
		carpd_event(vh, &ev);
	}
	conn_send(cc, CTL_END, seq, NULL, 0);
}

static void
do_reload(struct ctl_conn *cc, uint32_t seq)
{
	char err[CTL_TEXTLEN];

	if (carpd_reload(cc->ctl->env, err, sizeof(err)) == -1)
		conn_error(cc, seq, CTL_E_INTERNAL, err);
	else
		conn_send(cc, CTL_END, seq, NULL, 0);
}

/* What the syncd on this connection does; no reply (ctl_proto.h). A
 * change of the defer capability re-runs the balance-nat guard. */
static void
do_sync_caps(struct ctl_conn *cc, const struct ctl_sync_caps *c)
{
	uint32_t old = cc->caps;

	cc->caps = c->flags;
	cc->defer_ms = c->defer_ms;
	log_info("control: %s pid %u: capabilities 0x%x (defer %s, %u ms)",
	    cc->peer.name[0] ? cc->peer.name : "client", cc->peer.pid,
	    c->flags, c->flags & CTL_SYNC_CAP_DEFER ? "yes" : "no",
	    c->defer_ms);
	if ((old ^ cc->caps) & CTL_SYNC_CAP_DEFER)
		carpd_nat_guard(cc->ctl->env);
}

int
control_defer_available(const struct control *ctl)
{
	const struct ctl_conn *cc;

	if (ctl == NULL)
		return 0;
	for (cc = ctl->conns; cc != NULL; cc = cc->next)
		if (cc->caps & CTL_SYNC_CAP_DEFER)
			return 1;
	return 0;
}

static void
dispatch(struct ctl_conn *cc, const struct ctl_hdr *h, const uint8_t *p)
{
	struct ctl_hello hello;

	switch (h->type) {
	case CTL_HELLO:
		/* who it is, for the log (ctl_msg_check: name terminated) */
		memcpy(&cc->peer, p, sizeof(cc->peer));
		memset(&hello, 0, sizeof(hello));
		hello.version = CTL_VERSION;
		hello.pid = (uint32_t)getpid();
		ctl_strlcpy(hello.name, "carpd", sizeof(hello.name));
		conn_send(cc, CTL_HELLO, h->seq, &hello, sizeof(hello));
		break;
	case CTL_STATUS:
		do_status(cc, h->seq);
		break;
	case CTL_DEMOTE:
		do_demote(cc, h->seq, (const struct ctl_demote *)p);
		break;
	case CTL_DEMOTE_HOLD:
		do_demote_hold(cc, h->seq, (const struct ctl_demote *)p);
		break;
	case CTL_SET_STATE:
		do_set_state(cc, h->seq, (const struct ctl_set_state *)p);
		break;
	case CTL_SUBSCRIBE:
		cc->subscribed = 1;
		conn_send(cc, CTL_END, h->seq, NULL, 0);
		break;
	case CTL_RELOAD:
		do_reload(cc, h->seq);
		break;
	case CTL_SYNC_CAPS:
		do_sync_caps(cc, (const struct ctl_sync_caps *)p);
		break;
	default:
		conn_error(cc, h->seq, CTL_E_UNSUPPORTED,
		    "request not supported by carpd");
		break;
	}
}

static void
conn_free(struct ctl_conn *cc)
{
	struct control *ctl = cc->ctl;
	struct ctl_conn **pp;
	int i, released = 0, deferred = cc->caps & CTL_SYNC_CAP_DEFER;

	for (i = 0; i < cc->nholds; i++)
		if (cc->holds[i].value != 0) {
			carp_demote_hold(&ctl->env->demote, cc->holds[i].group,
			    -cc->holds[i].value);
			log_notice("group %s: held demotion %d released "
			    "(connection closed)", cc->holds[i].group,
			    cc->holds[i].value);
			released = 1;
		}
	for (pp = &ctl->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	bufferevent_free(cc->bev);
	event_free(cc->more_ev);
	free(cc);
	if (released)
		carpd_demote_changed(ctl->env, "connection closed");
	if (deferred)		/* it may have been the last one */
		carpd_nat_guard(ctl->env);
}

/*
 * At most CTL_PER_TURN requests, then the rest on the next loop turn
 * (more_ev, a zero timer): a client that floods requests delays the
 * others by one turn's worth, not by its whole input.
 */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct ctl_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	_Alignas(8) uint8_t raw[CTL_MAX_MSG];	/* payload structs read in place */
	struct ctl_hdr h;
	const char *why;
	const struct timeval now = { 0, 0 };
	int n;

	for (n = 0; evbuffer_get_length(in) >= sizeof(h); n++) {
		if (n == CTL_PER_TURN) {
			evtimer_add(cc->more_ev, &now);
			return;
		}
		evbuffer_copyout(in, raw, sizeof(h));
		if (ctl_hdr_decode(raw, &h, &why) == -1) {
			log_warnx("control: closing client: %s", why);
			cc->ctl->stats.closed_bad++;
			conn_free(cc);
			return;
		}
		if (evbuffer_get_length(in) < h.len)
			return;
		evbuffer_remove(in, raw, h.len);
		if (ctl_msg_check(&h, raw + sizeof(h), &why) == -1) {
			log_warnx("control: bad %s request: %s",
			    ctl_type_name(h.type), why);
			cc->ctl->stats.badmsg++;
			conn_error(cc, h.seq, CTL_E_BADMSG, why);
		} else
			dispatch(cc, &h, raw + sizeof(h));
		if (cc->slow)
			return;		/* reap_cb closes it */
	}
}

static void
more_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl_conn *cc = arg;

	(void)fd;
	(void)what;
	if (!cc->slow)
		conn_read_cb(cc->bev, cc);
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		conn_free(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct control *ctl = arg;
	struct ctl_conn *cc;

	(void)l;
	(void)sa;
	(void)salen;
	/* the file mode is the first gate; the peer's credentials the second */
	if (!priv_ctl_admit(fd, &ctl->env->user, &ctl->guard, carpd_now_us()))
		return;
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		close(fd);
		return;
	}
	cc->ctl = ctl;
	cc->bev = bufferevent_socket_new(ctl->env->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL ||
	    (cc->more_ev = evtimer_new(ctl->env->base, more_cb, cc)) == NULL) {
		if (cc->bev != NULL)
			bufferevent_free(cc->bev);
		else
			close(fd);
		free(cc);
		return;
	}
	bufferevent_setcb(cc->bev, conn_read_cb, NULL, conn_event_cb, cc);
	bufferevent_enable(cc->bev, EV_READ);
	cc->next = ctl->conns;
	ctl->conns = cc;
	ctl->stats.accepted++;
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	(void)l;
	(void)arg;
	log_warn("control: accept");
}

/* Refuse to steal the socket of a live carpd (OpenBSD control_check). */
static int
socket_in_use(const struct sockaddr_un *sun)
{
	int fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(fd);
	return rc;
}

struct control *
control_open(struct carpd *env, const char *path)
{
	struct control *ctl;
	struct sockaddr_un sun;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control: socket path too long: %s", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	/* /run/carpsync normally comes from tmpfiles.d; made when carpd
	 * runs by hand on a system without the entry */
	(void)priv_socket_dir(&env->user, path);
	if (socket_in_use(&sun)) {
		log_warnx("control: %s: another carpd is running", path);
		return NULL;
	}
	unlink(path);
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return NULL;
	ctl->env = env;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	if ((ctl->reap_ev = event_new(env->base, -1, 0, reap_cb, ctl)) == NULL) {
		free(ctl);
		return NULL;
	}
	old = umask(S_IXUSR | S_IXGRP | S_IRWXO);	/* 0660 */
	ctl->listener = evconnlistener_new_bind(env->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ctl->listener == NULL) {
		log_warn("control: bind %s", path);
		event_free(ctl->reap_ev);
		free(ctl);
		return NULL;
	}
	evconnlistener_set_error_cb(ctl->listener, accept_error_cb);
	return ctl;
}

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	while (ctl->conns != NULL) {
		struct ctl_conn *cc = ctl->conns;
		ctl->conns = cc->next;
		bufferevent_free(cc->bev);
		event_free(cc->more_ev);
		free(cc);
	}
	evconnlistener_free(ctl->listener);
	event_free(ctl->reap_ev);
	unlink(ctl->path);
	free(ctl);
}

void
control_publish_state(struct control *ctl, const struct vhost *vh,
    enum carp_state old, enum carp_state new_state, const char *reason)
{
	struct ctl_ev_state ev;
	struct ctl_conn *cc;

	if (ctl == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.vhid = vh->conf.vhid;
	ev.old_state = (uint8_t)old;
	ev.new_state = (uint8_t)new_state;
	ctl_strlcpy(ev.ifname, vh->conf.ifname, sizeof(ev.ifname));
	ctl_strlcpy(ev.reason, reason, sizeof(ev.reason));
	for (cc = ctl->conns; cc != NULL; cc = cc->next)
		if (cc->subscribed)
			conn_send(cc, CTL_EV_STATE, 0, &ev, sizeof(ev));
}
