/*
 * sync_ctl.c: syncd's control socket (common/ctl_proto.h), what `carpctl
 * sync ...` talks to. AF_UNIX stream, one bufferevent per connection;
 * read-only requests: HELLO, SYNC_STATUS (-> SYNC_INFO, one SYNC_PEER
 * per sender heard, END) and SYNC_WATCH (-> END, then one SYNC_FRAME per
 * frame sent or accepted, for `carpctl sync dump`). Anything else gets
 * CTL_ERROR UNSUPPORTED.
 *
 * A subscriber that reads slower than frames pass must never hold syncd
 * up: its frames are dropped while its output is over SYNC_CTL_WATCH_MAX,
 * counted (watch_drops), and the next frame it gets says how many it
 * missed. A client whose replies pile up unread beyond
 * SYNC_CTL_MAX_OUTPUT (it asks and does not read) is hung up on, as is
 * one whose header cannot be decoded; both are counted (struct
 * ctl_conn_stats, in the SYNC_STATUS reply).
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

#include "ctl_msg.h"
#include "log.h"
#include "metrics.h"
#include "sync_queue.h"
#include "syncd.h"

#define SYNC_CTL_MAX_OUTPUT	(64 * 1024)	/* a client that never reads */
#define SYNC_CTL_WATCH_MAX	(256 * 1024)	/* ... a subscriber's frames */

_Static_assert(SYNC_MAX_FRAME <= CTL_SYNC_FRAME_MAX, "frame events");
_Static_assert((int)SYNC_HOLD__MAX <= (int)CTL_SYNC_HOLD__MAX &&
    (int)SYNC_HOLD_BULK == (int)CTL_SYNC_HOLD_BULK &&
    (int)SYNC_HOLD_LINK == (int)CTL_SYNC_HOLD_LINK, "hold reason values");
_Static_assert((int)SYNC_WATCH_IN == (int)CTL_SYNC_DIR_IN &&
    (int)SYNC_WATCH_OUT == (int)CTL_SYNC_DIR_OUT, "frame directions");

/* ctl_sync_info.drops[] is indexed by syncd's own enum. */
#define SAME_DROP(x)	((int)SYNC_DROP_##x == (int)CTL_SYNC_DROP_##x)
_Static_assert((int)SYNC_DROP__MAX == (int)CTL_SYNC_DROP__MAX, "drop reasons");
_Static_assert(SAME_DROP(BADIF) && SAME_DROP(BADTTL) && SAME_DROP(HDROPS) &&
    SAME_DROP(BADVER) && SAME_DROP(BADLEN) && SAME_DROP(BADAUTH) &&
    SAME_DROP(REPLAY) && SAME_DROP(BADACT) && SAME_DROP(BADVAL),
    "drop reason values");
#undef SAME_DROP

struct sync_ctl_conn {
	struct sync_ctl		*ctl;
	struct bufferevent	*bev;
	struct sync_ctl_conn	*next;
	int			 watching;	/* sent SYNC_WATCH */
	uint32_t		 watch_seq;	/* its seq, echoed in events */
	uint32_t		 missed;	/* drops not yet told */
	int			 slow;		/* replies over the bound: closing */
};

struct sync_ctl {
	struct syncd		*env;
	struct evconnlistener	*listener;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sync_ctl_conn	*conns;
	uint32_t		 watchers;
	uint64_t		 watch_frames, watch_drops;
	struct priv_ctl_guard	 guard;		/* peer credential checks */
	struct ctl_conn_stats	 stats;
};

static void
conn_send(struct sync_ctl_conn *cc, uint32_t type, uint32_t seq,
    const void *payload, size_t plen)
{
	uint8_t buf[CTL_MAX_MSG];
	size_t n;

	if (cc->slow)
		return;
	/* it does not read: conn_read_cb hangs up once the request is done */
	if (evbuffer_get_length(bufferevent_get_output(cc->bev)) >
	    SYNC_CTL_MAX_OUTPUT) {
		cc->slow = 1;
		return;
	}
	if ((n = ctl_msg_build(buf, sizeof(buf), type, seq, payload, plen)) > 0)
		bufferevent_write(cc->bev, buf, n);
}

static void
conn_error(struct sync_ctl_conn *cc, uint32_t seq, enum ctl_err code,
    const char *text)
{
	struct ctl_error e;

	memset(&e, 0, sizeof(e));
	e.code = code;
	snprintf(e.text, sizeof(e.text), "%s", text);
	conn_send(cc, CTL_ERROR, seq, &e, sizeof(e));
}

static void
table_to_ctl(const struct sync_table *t, struct ctl_sync_table *c)
{
	struct sync_table_stats s;

	sync_table_get_stats(t, &s);
	c->stale = s.stale;
	c->loops = s.loops;
	c->refused = s.refused;
	c->nomem = s.nomem;
	c->upd_req_out = s.upd_req_out;
	c->upd_req_drop = s.upd_req_drop;
	c->upd_req_miss = s.upd_req_miss;
	c->del_unknown = s.del_unknown;
	c->swept = s.swept;
	c->resync_swept = s.resync_swept;
	c->refreshed = s.refreshed;
	c->bulks = s.bulks;
}

/* What is held on carpd, by reason (sync_carp.c), and syncdev's view. */
static void
info_fill_link(const struct sync_ctl *ctl, struct ctl_sync_info *i)
{
	const struct syncd *env = ctl->env;
	const struct sync_local *l = sync_link_local(env->link);
	int by[SYNC_HOLD__MAX], r, carrier = sync_link_carrier(env->link);

	i->held_demote = (uint32_t)sync_carp_held(env->carp, by);
	for (r = 0; r < SYNC_HOLD__MAX; r++)
		i->held[r] = (uint32_t)by[r];
	i->carrier = carrier == -1 ? 2 : (uint8_t)carrier;
	i->local_prefixes = l != NULL ? (uint16_t)l->n : 0;
	i->watchers = ctl->watchers;
	i->watch_frames = ctl->watch_frames;
	i->watch_drops = ctl->watch_drops;
	i->ctl_refused = ctl->guard.refused;
	i->pcap_file = sync_watch_pcap(env->watch, &i->pcap_frames,
	    &i->pcap_errors) != 0;
}

static void
loss_fill(const struct syncd_stats *st, struct ctl_sync_loss *l)
{
	l->nacks_out = st->nacks_out;
	l->nacks_in = st->nacks_in;
	l->retx_out = st->retx_out;
	l->retx_lost = st->retx_lost;
	l->retx_dup = st->retx_dup;
	l->heartbeats = st->heartbeats;
	l->table_reqs = st->table_reqs;
	l->toomany = st->toomany;
	l->acks_out = st->acks_out;
	l->acks_in = st->acks_in;
	l->window_waits = st->window_waits;
}

static void
peer_fill(const struct sync_peer *sp, struct ctl_sync_peer *p)
{
	const struct sync_replay *r = &sp->replay;
	uint64_t now = syncd_now_us();
	unsigned g;

	memset(p, 0, sizeof(*p));
	p->node_id = sp->node_id;
	p->epoch = r->epoch;
	p->seq = r->top;
	p->frames = sp->frames;
	p->gaps = sp->gaps;
	for (g = 0; g < r->ngaps; g++)
		p->missing += (uint64_t)r->gap[g].to - r->gap[g].from + 1;
	p->lost = r->lost + sp->lost_frames;
	p->late = sp->late;
	p->nacks = sp->nacks;
	p->table_reqs = sp->table_reqs;
	p->bulks = sp->bulks;
	p->heard_ms = now > sp->last_heard ? (now - sp->last_heard) / 1000 : 0;
}

static void
defer_fill(const struct syncd *env, struct ctl_sync_defer *d)
{
	const struct sync_defer_stats *s = &env->defer.stats;
	struct sync_queue_stats q;
	int k;

	memset(d, 0, sizeof(*d));
	if (env->queue == NULL)
		return;
	sync_queue_get_stats(env->queue, &q);
	d->on = 1;
	d->xt = env->defer_xt != 0;
	d->attached = env->defer_attached != 0;
	d->queue = (uint16_t)env->conf->defer_queue;
	d->held_now = env->defer.held;
	d->held = s->held;
	d->passed = s->passed;
	d->acked = s->released[SYNC_DEFER_ACKED];
	d->timeout = s->released[SYNC_DEFER_TIMEOUT];
	d->evicted = s->released[SYNC_DEFER_EVICTED];
	d->ack_us_sum = s->ack_us_sum;
	d->ack_us_max = s->ack_us_max;
	d->queue_errors = q.errors;
	for (k = 1; k < SYNC_DEFER_KEY__MAX; k++)
		d->no_key += s->bad[k];
	d->lookup_failed = s->lookup_failed;
}

static void
info_fill(const struct sync_ctl *ctl, struct ctl_sync_info *i)
{
	const struct syncd *env = ctl->env;
	const struct syncd_stats *st = &env->stats;
	size_t all = sync_table_count(env->table, 0);
	int d;

	memset(i, 0, sizeof(*i));
	i->node_id = env->conf->node_id;
	i->epoch = env->epoch;
	info_fill_link(ctl, i);
	loss_fill(st, &i->loss);
	i->master = env->master != 0;
	i->carpd = sync_carp_connected(env->carp) != 0;
	i->bulk_sending = env->bulk_sending != 0;
	ctl_strlcpy(i->bulk, env->bulk.state < SYNC_BULK__MAX ?
	    sync_bulk_state_names[env->bulk.state] : "?", sizeof(i->bulk));
	i->local_states = sync_table_count(env->table, 1);
	i->imported_states = all - i->local_states;
	i->ipackets = st->ipackets;
	i->ibytes = st->ibytes;
	i->opackets = st->opackets;
	i->obytes = st->obytes;
	i->oerrors = st->oerrors;
	for (d = 0; d < SYNC_DROP__MAX; d++)
		i->drops[d] = st->drops[d];
	i->loops = st->loops;
	i->skipped = st->skipped;
	i->overruns = st->overruns;
	i->gaps = st->gaps;
	i->filtered = st->filtered;
	table_to_ctl(env->table, &i->table);
	i->rx_apply = st->rx_apply;
	defer_fill(env, &i->defer);
}

static void
conn_stats_fill(const struct sync_ctl *ctl, struct ctl_conn_stats *cs)
{
	const struct sync_ctl_conn *c;

	*cs = ctl->stats;
	for (c = ctl->conns; c != NULL; c = c->next)
		cs->open++;
}

/* The same structs as do_sync_status, formatted for metrics-listen. */
void
sync_ctl_metrics(void *arg, struct metrics_out *o)
{
	const struct syncd *env = arg;
	struct ctl_sync_peer p[SYNCD_MAX_PEERS];
	struct ctl_sync_info info;
	struct ctl_conn_stats cs;
	struct metrics_syncd m;
	int i;

	if (env->ctl == NULL)
		return;
	info_fill(env->ctl, &info);
	for (i = 0; i < env->npeers && i < SYNCD_MAX_PEERS; i++)
		peer_fill(&env->peers[i], &p[i]);
	conn_stats_fill(env->ctl, &cs);
	m = (struct metrics_syncd){ &info, p, i, &cs };
	metrics_syncd(o, &m);
}

static void
do_sync_status(struct sync_ctl_conn *cc, uint32_t seq)
{
	const struct syncd *env = cc->ctl->env;
	const struct sync_ctl_conn *c;
	struct ctl_sync_info info;
	struct ctl_conn_stats cs;
	struct ctl_sync_peer p;
	int i;

	info_fill(cc->ctl, &info);
	conn_send(cc, CTL_SYNC_INFO, seq, &info, sizeof(info));
	for (i = 0; i < env->npeers; i++) {
		peer_fill(&env->peers[i], &p);
		conn_send(cc, CTL_SYNC_PEER, seq, &p, sizeof(p));
	}
	cs = cc->ctl->stats;
	for (c = cc->ctl->conns; c != NULL; c = c->next)
		cs.open++;
	conn_send(cc, CTL_CONN_STATS, seq, &cs, sizeof(cs));
	conn_send(cc, CTL_END, seq, NULL, 0);
}

static void
dispatch(struct sync_ctl_conn *cc, const struct ctl_hdr *h)
{
	struct ctl_hello hello;

	switch (h->type) {
	case CTL_HELLO:
		memset(&hello, 0, sizeof(hello));
		hello.version = CTL_VERSION;
		hello.pid = (uint32_t)getpid();
		ctl_strlcpy(hello.name, "syncd", sizeof(hello.name));
		conn_send(cc, CTL_HELLO, h->seq, &hello, sizeof(hello));
		break;
	case CTL_SYNC_STATUS:
		do_sync_status(cc, h->seq);
		break;
	case CTL_SYNC_WATCH:
		conn_send(cc, CTL_END, h->seq, NULL, 0);
		if (!cc->watching)
			cc->ctl->watchers++;
		cc->watching = 1;
		cc->watch_seq = h->seq;
		break;
	default:
		conn_error(cc, h->seq, CTL_E_UNSUPPORTED,
		    "request not supported by syncd");
		break;
	}
}

static void
conn_free(struct sync_ctl_conn *cc)
{
	struct sync_ctl_conn **pp;

	for (pp = &cc->ctl->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	if (cc->watching)
		cc->ctl->watchers--;
	bufferevent_free(cc->bev);
	free(cc);
}

static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct sync_ctl_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t raw[CTL_MAX_MSG];
	struct ctl_hdr h;
	const char *why;

	while (evbuffer_get_length(in) >= sizeof(h)) {
		evbuffer_copyout(in, raw, sizeof(h));
		/* without a sane length the stream cannot be resynchronised */
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
			cc->ctl->stats.badmsg++;
			conn_error(cc, h.seq, CTL_E_BADMSG, why);
		} else
			dispatch(cc, &h);
		if (cc->slow) {
			log_warnx("control: closing client: %zu bytes of "
			    "replies unread", evbuffer_get_length(
			    bufferevent_get_output(bev)));
			cc->ctl->stats.closed_slow++;
			conn_free(cc);
			return;
		}
	}
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
	struct sync_ctl *ctl = arg;
	struct sync_ctl_conn *cc;

	(void)l;
	(void)sa;
	(void)salen;
	/* the file mode is the first gate; the peer's credentials the second */
	if (!priv_ctl_admit(fd, &ctl->env->user, &ctl->guard, syncd_now_us()))
		return;
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->bev = bufferevent_socket_new(ctl->env->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		free(cc);
		close(fd);
		return;
	}
	cc->ctl = ctl;
	bufferevent_setcb(cc->bev, conn_read_cb, NULL, conn_event_cb, cc);
	bufferevent_enable(cc->bev, EV_READ);
	cc->next = ctl->conns;
	ctl->conns = cc;
	ctl->stats.accepted++;
}

/* One subscriber's copy of a frame, or a count of it as missed. */
static void
watch_send(struct sync_ctl_conn *cc, const struct ctl_sync_frame *f,
    const uint8_t *frame)
{
	uint8_t buf[CTL_MAX_MSG], pl[CTL_MAX_MSG];
	struct ctl_sync_frame ev = *f;
	size_t plen = sizeof(ev) + f->caplen, n;
	struct evbuffer *out = bufferevent_get_output(cc->bev);

	if (evbuffer_get_length(out) + sizeof(struct ctl_hdr) + plen >
	    SYNC_CTL_WATCH_MAX) {
		if (cc->missed < UINT32_MAX)
			cc->missed++;
		cc->ctl->watch_drops++;
		return;
	}
	ev.dropped = cc->missed;
	memcpy(pl, &ev, sizeof(ev));
	memcpy(pl + sizeof(ev), frame, f->caplen);
	n = ctl_msg_build(buf, sizeof(buf), CTL_SYNC_FRAME, cc->watch_seq, pl,
	    plen);
	if (n == 0 || bufferevent_write(cc->bev, buf, n) == -1) {
		cc->ctl->watch_drops++;
		return;
	}
	cc->missed = 0;
	cc->ctl->watch_frames++;
}

void
sync_ctl_frame(struct sync_ctl *ctl, const struct ctl_sync_frame *f,
    const uint8_t *frame)
{
	struct sync_ctl_conn *cc;

	if (ctl == NULL || ctl->watchers == 0 || f->caplen > CTL_SYNC_FRAME_MAX)
		return;
	for (cc = ctl->conns; cc != NULL; cc = cc->next)
		if (cc->watching)
			watch_send(cc, f, frame);
}

/* Refuse to take over the socket of a live syncd. */
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

/*
 * Without a control socket syncd still syncs: failures are logged and
 * NULL returned, never fatal. The parent directory (/run/carpsync) comes
 * from tmpfiles.d; it is made here when syncd runs by hand.
 */
struct sync_ctl *
sync_ctl_open(struct syncd *env, const char *path)
{
	struct sync_ctl *ctl;
	struct sockaddr_un sun;
	mode_t old;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] == '\0' || strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control: bad socket path: %s", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	(void)priv_socket_dir(&env->user, path);
	if (socket_in_use(&sun)) {
		log_warnx("control: %s: another syncd is running", path);
		return NULL;
	}
	unlink(path);
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return NULL;
	ctl->env = env;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	old = umask(S_IXUSR | S_IXGRP | S_IRWXO);	/* 0660 */
	ctl->listener = evconnlistener_new_bind(env->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ctl->listener == NULL) {
		log_warn("control: bind %s", path);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void
sync_ctl_close(struct sync_ctl *ctl)
{
	if (ctl == NULL)
		return;
	while (ctl->conns != NULL)
		conn_free(ctl->conns);
	evconnlistener_free(ctl->listener);
	unlink(ctl->path);
	free(ctl);
}
