/*
 * sync_proto.c: syncd's frames on the wire, the glue between the pure
 * parts (sync_table, sync_peer, sync_rtx, sync_wire) and the transport
 * (sync_net). Sending: the table's queue and bulk, paced per loop turn;
 * every frame is remembered (sync_rtx) so a NACK can be answered under the
 * lost frame's own seq; an empty frame goes out after a second of silence
 * so a receiver notices a lost last frame. Receiving: check, replay
 * window, apply, then what the peer's state says: NACK gaps, sweep after a
 * complete bulk, ask for the table when loss could not be repaired.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>

#include <errno.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "syncd.h"

#define FRAMES_PER_TURN		64	/* bulk pacing: yield to the loop */
#define RX_PER_TURN		64
#define HEARTBEAT_US		1000000ULL
#define RETX_PER_NACK		256	/* frames sent again per NACK message */
#define DROP_LOG_US		(60ULL * 1000000)	/* per source per minute */

static void	retransmit(struct syncd *, uint32_t, uint64_t);

static void
tv_from_us(struct timeval *tv, uint64_t us)
{
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
}

/* Arm ev for the absolute time at (0: disarm). */
static void
arm_at(struct event *ev, uint64_t at)
{
	struct timeval	tv;
	uint64_t	now;

	if (at == 0) {
		evtimer_del(ev);
		return;
	}
	now = syncd_now_us();
	tv_from_us(&tv, at > now ? at - now : 0);
	evtimer_add(ev, &tv);
}

/* ------------------------------------------------------------------ */
/* sending                                                             */

/* A frame header: the next seq, taken when the frame is sent (an empty
 * frame that is never sent must not leave a hole in the sequence). */
static void
fb_start(struct syncd *env, struct sync_fb *fb, uint8_t *buf, size_t cap,
    uint32_t seq, uint8_t flags)
{
	struct sync_hdr h;

	memset(&h, 0, sizeof(h));
	h.node_id = env->conf->node_id;
	h.epoch = env->epoch;
	h.seq = seq;
	h.flags = flags;
	sync_fb_init(fb, buf, cap, &h);
}

static void
fb_next(struct syncd *env, struct sync_fb *fb, uint8_t *buf, size_t cap)
{
	fb_start(env, fb, buf, cap, env->seq + 1, 0);
}

static size_t
frame_cap(const struct syncd *env)
{
	size_t	cap = sync_net_max_frame(env->net);

	return cap > SYNC_MAX_FRAME ? SYNC_MAX_FRAME : cap;
}

static void
wire_send(struct syncd *env, const uint8_t *buf, size_t len)
{
	if (sync_net_send(env->net, buf, len) == 0) {
		env->stats.opackets++;
		env->stats.obytes += len;
	} else {
		env->stats.oerrors++;
		log_debug("send: %s", strerror(errno));
	}
	syncd_watch_frame(env, SYNC_WATCH_OUT, 0, NULL, buf, len);
}

/* A new frame (fb_next): it takes its seq now and is remembered. A send
 * error still consumes the seq: the peer NACKs it and gets it again. */
static void
send_frame(struct syncd *env, uint8_t *buf, struct sync_fb *fb)
{
	size_t len = sync_fb_finish(fb, env->conf->key);

	if (len == 0)
		return;
	env->seq++;
	sync_rtx_record(env->rtx, env->seq, buf, len);
	wire_send(env, buf, len);
	arm_at(env->hb_ev, syncd_now_us() + HEARTBEAT_US);
}

/* Our bulk is within the window of every peer that holds it (sync_peer.h);
 * if not, *wake says when the laggard stops counting. */
static int
bulk_window(struct syncd *env, uint64_t now, uint64_t *wake)
{
	uint64_t w;
	int i, ok = 1;

	*wake = 0;
	for (i = 0; i < env->npeers; i++)
		if (!sync_peer_tx_window(&env->peers[i], env->seq, now, &w)) {
			ok = 0;
			if (*wake == 0 || w < *wake)
				*wake = w;
		}
	return ok;
}

void
syncd_flush_arm(struct syncd *env)
{
	uint64_t d = sync_table_next_deadline(env->table), b, w, now;

	env->bulk_sending = sync_table_bulk_active(env->table);
	if (!env->bulk_sending && sync_rtx_queued(env->rtx) == 0) {
		arm_at(env->flush_ev, d);
		return;
	}
	now = syncd_now_us();
	b = sync_pace_next(&env->pace, now);
	/* window full: the laggard's ACK flushes again, or it goes quiet */
	if (sync_rtx_queued(env->rtx) == 0 && !bulk_window(env, now, &w)) {
		env->stats.window_waits++;
		b = w;
	}
	if (d == 0 || b < d)
		d = b;
	arm_at(env->flush_ev, d);
}

void
syncd_flush(struct syncd *env)
{
	uint8_t buf[SYNC_MAX_FRAME];
	/* one frame per packet on syncdev (IPv4 is sent with DF) */
	size_t cap = frame_cap(env);
	struct sync_fb fb;
	uint64_t now = syncd_now_us();
	unsigned frames = 0, paced;
	uint32_t seq;
	uint64_t wake;

	while (sync_table_pending(env->table, now) && frames < FRAMES_PER_TURN) {
		fb_next(env, &fb, buf, cap);
		if (sync_table_drain(env->table, &fb, now) == 0)
			break;
		send_frame(env, buf, &fb);
		frames++;
	}
	/* retransmissions, then the bulk, at the pace the receivers keep
	 * up with (sync_pace.h) */
	paced = sync_rtx_queued(env->rtx) > 0 ||
	    sync_table_bulk_active(env->table) ?
	    sync_pace_take(&env->pace, now, FRAMES_PER_TURN - frames) : 0;
	for (; paced > 0 && sync_rtx_pop(env->rtx, &seq); paced--)
		retransmit(env, seq, now);
	for (; paced > 0 && sync_table_bulk_active(env->table) &&
	    bulk_window(env, now, &wake); paced--) {
		fb_next(env, &fb, buf, cap);
		sync_table_bulk_next(env->table, &fb, now);
		if (!sync_fb_empty(&fb))
			send_frame(env, buf, &fb);
	}
	syncd_flush_arm(env);
}

static void
flush_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	syncd_flush(arg);
}

/* Nothing sent for a second: an empty frame tells receivers our seq, so
 * a lost last frame is noticed and NACKed (pfsync has no such thing; it
 * waits for the next update). */
static void
heartbeat_cb(int fd, short what, void *arg)
{
	struct syncd *env = arg;
	uint8_t buf[SYNC_HDR_LEN + SYNC_MAC_LEN];
	struct sync_fb fb;

	(void)fd;
	(void)what;
	fb_next(env, &fb, buf, sizeof(buf));
	env->stats.heartbeats++;
	send_frame(env, buf, &fb);
}

void
syncd_request_table(struct syncd *env, const char *why)
{
	uint8_t buf[SYNC_HDR_LEN + SYNC_SUBHDR_LEN + 64 + SYNC_MAC_LEN];
	struct sync_fb fb;
	struct sync_msg m;

	memset(&m, 0, sizeof(m));
	m.action = SYNC_A_UPD_REQ;	/* id 0, creator 0: the whole table */
	fb_next(env, &fb, buf, sizeof(buf));
	if (sync_fb_add(&fb, &m) != 0)
		return;
	log_info("requesting the peers' tables: %s", why);
	env->stats.table_reqs++;
	send_frame(env, buf, &fb);
}

/* ------------------------------------------------------------------ */
/* NACKs: asking, and answering                                        */

static void
send_feedback(struct syncd *env, const struct sync_peer *p,
    const struct sync_peer_acts *a)
{
	uint8_t buf[SYNC_HDR_LEN + SYNC_MAC_LEN + 2 * SYNC_SUBHDR_LEN +
	    (SYNC_PEER_NACKS_MAX + 1) * 16];
	struct sync_fb fb;
	struct sync_msg m;
	unsigned i;

	if (a->nnacks == 0 && !a->ack)
		return;
	fb_next(env, &fb, buf, sizeof(buf));
	if (a->ack) {
		memset(&m, 0, sizeof(m));
		m.action = SYNC_A_ACK;
		m.u.ack.node_id = p->node_id;
		m.u.ack.epoch = p->replay.epoch;
		m.u.ack.seq = a->ack_seq;
		if (sync_fb_add(&fb, &m) == 0)
			env->stats.acks_out++;
	}
	for (i = 0; i < a->nnacks; i++) {
		memset(&m, 0, sizeof(m));
		m.action = SYNC_A_NACK;
		m.u.nack.node_id = p->node_id;
		m.u.nack.epoch = p->replay.epoch;
		m.u.nack.from_seq = a->nack[i].from;
		m.u.nack.to_seq = a->nack[i].to;
		if (sync_fb_add(&fb, &m) != 0)
			break;
		env->stats.nacks_out++;
		log_debug("NACK node %u: %u..%u", p->node_id, m.u.nack.from_seq,
		    m.u.nack.to_seq);
	}
	send_frame(env, buf, &fb);
}

struct current_ctx {
	const struct sync_table	*t;
	uint64_t		 now;
};

static int
current_cb(void *arg, struct sync_msg *m)
{
	const struct current_ctx *c = arg;

	return sync_table_current(c->t, m, c->now);
}

/* Send frame seq again: its states as they are now, or, if we no longer
 * know what it carried, empty and flagged LOST so the peer resyncs. */
static void
retransmit(struct syncd *env, uint32_t seq, uint64_t now)
{
	uint8_t buf[SYNC_MAX_FRAME];
	size_t cap = frame_cap(env), len;
	struct sync_fb fb;
	struct current_ctx cur = { env->table, now };

	fb_start(env, &fb, buf, cap, seq, SYNC_HF_RETX);
	switch (sync_rtx_rebuild(env->rtx, seq, now, current_cb, &cur, &fb)) {
	case SYNC_RTX_RECENT:
		return;
	case SYNC_RTX_GONE:
		fb_start(env, &fb, buf, cap, seq, SYNC_HF_RETX | SYNC_HF_LOST);
		env->stats.retx_lost++;
		break;
	case SYNC_RTX_OK:
		break;
	}
	if ((len = sync_fb_finish(&fb, env->conf->key)) == 0)
		return;
	env->stats.retx_out++;
	wire_send(env, buf, len);
}

/* A NACK for us: only seqs of this epoch that we did send. */
static void
on_nack(struct syncd *env, const struct sync_nack *n)
{
	uint64_t now = syncd_now_us();
	uint32_t seq, to = n->to_seq, k = 0;

	if (n->node_id != env->conf->node_id || n->epoch != env->epoch)
		return;
	env->stats.nacks_in++;
	/* a receiver is losing frames: slow down what we pace */
	sync_pace_congested(&env->pace, now);
	if (to > env->seq)
		to = env->seq;
	for (seq = n->from_seq; seq <= to && k < RETX_PER_NACK; seq++, k++) {
		if (sync_rtx_request(env->rtx, seq, now) == -1)
			break;	/* full: the receiver asks again */
		if (seq == UINT32_MAX)
			break;
	}
	syncd_flush_arm(env);
}

/* ------------------------------------------------------------------ */
/* receiving                                                           */

static struct sync_peer *
peer_get(struct syncd *env, uint32_t node_id)
{
	int i;

	for (i = 0; i < env->npeers; i++)
		if (env->peers[i].node_id == node_id)
			return &env->peers[i];
	if (env->npeers == SYNCD_MAX_PEERS)
		return NULL;
	sync_peer_init(&env->peers[env->npeers], node_id);
	return &env->peers[env->npeers++];
}

/* The log slot of a source: its own, or the least recently used one. */
static struct syncd_drop_log *
drop_log_of(struct syncd *env, const struct sync_rx *rx)
{
	struct syncd_drop_log *l, *old = &env->drop_log[0];
	size_t alen = rx->af == AF_INET ? 4 : 16;
	int i;

	for (i = 0; i < SYNCD_DROP_LOG_SRCS; i++) {
		l = &env->drop_log[i];
		if (l->used != 0 && l->af == rx->af &&
		    memcmp(l->src, rx->src, alen) == 0)
			return l;
		if (l->used < old->used)
			old = l;
	}
	memset(old, 0, sizeof(*old));
	old->af = rx->af;
	memcpy(old->src, rx->src, alen);
	return old;
}

/* Count every drop; log it once per source and reason a minute, so a
 * flood does not flood the log and one bad peer does not hide another. */
void
syncd_count_drop(struct syncd *env, enum sync_drop why,
    const struct sync_rx *rx)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	uint64_t now = syncd_now_us();
	struct syncd_drop_log *l;

	env->stats.drops[why]++;
	l = drop_log_of(env, rx);
	l->used = now;
	if (l->at[why] != 0 && now - l->at[why] < DROP_LOG_US)
		return;
	l->at[why] = now;
	inet_ntop(rx->af, rx->src, addr, sizeof(addr));
	log_warnx("dropped frame from %s: %s (%llu so far; logged once a "
	    "minute)", addr, sync_drop_names[why],
	    (unsigned long long)env->stats.drops[why]);
}

struct walk_ctx {
	struct syncd		*env;
	struct sync_peer	*peer;
	uint32_t		 seq;
	uint64_t		 now;
};

static int
on_msg(void *arg, const struct sync_msg *m)
{
	struct walk_ctx *w = arg;
	struct syncd *env = w->env;
	uint32_t from = w->peer->node_id;

	switch (m->action) {
	case SYNC_A_NACK:
		on_nack(env, &m->u.nack);
		return 0;
	case SYNC_A_BUS:
		/* only the sender's own bulk drives mark-and-sweep */
		if (m->u.bus.creatorid != from)
			return 0;
		sync_peer_bus(w->peer, w->seq, m->u.bus.status);
		if (m->u.bus.status == SYNC_BUS_START)
			syncd_bulk_event(env, SYNC_BULK_EV_BUS_START);
		return 0;
	case SYNC_A_ACK:
		if (m->u.ack.node_id == env->conf->node_id &&
		    m->u.ack.epoch == env->epoch) {
			env->stats.acks_in++;
			sync_peer_tx_acked(w->peer, m->u.ack.seq, w->now);
			syncd_flush_arm(env);
		}
		return 0;
	case SYNC_A_INS_ACK:
		/* ours, or a peer's state whose reply we hold: only a
		 * packet held for exactly that state is released */
		syncd_defer_acked(env, m->u.ref.creatorid, m->u.ref.id);
		return 0;
	case SYNC_A_UPD_REQ:
		if (m->u.ref.id == 0 && m->u.ref.creatorid == 0) {
			log_info("bulk request from node %u%s", from,
			    sync_table_bulk_active(env->table) ?
			    " (after the bulk under way)" : "");
			/* it holds the window from now on */
			sync_peer_tx_acked(w->peer, env->seq, w->now);
		}
		break;
	default:
		break;
	}
	sync_table_peer_msg(env->table, from, w->seq, m, w->now, &env->outs);
	return 0;
}

static void arm_peers(struct syncd *);
static void rx_burst(struct syncd *, int);

/* What the peer's state says to do now. */
static void
peer_run(struct syncd *env, struct sync_peer *p, uint64_t now)
{
	struct sync_peer_acts a;
	size_t n;

	sync_peer_run(p, now, &a);
	send_feedback(env, p, &a);
	if (a.sweep) {
		n = sync_table_sweep(env->table, p->node_id, a.sweep_before,
		    &env->outs);
		log_info("node %u: bulk complete; %zu of its states swept",
		    p->node_id, n);
		syncd_seeded_end(env, 1);
		syncd_bulk_event(env, SYNC_BULK_EV_BUS_END);
	}
	if (a.request_table) {
		log_info("node %u: %s", p->node_id, a.why);
		syncd_request_table(env, a.why);
	}
}

/* A peer that appears while our own bulk request is under way has been
 * asked already (the bulk FSM resends it): do not ask twice. */
static void
peer_appeared(struct syncd *env, struct sync_peer *p, uint64_t now)
{
	log_info("node %u: new peer", p->node_id);
	if (env->bulk.state == SYNC_BULK_SENT ||
	    env->bulk.state == SYNC_BULK_RECV)
		sync_peer_table_sent(p, now);
}

static void
rx_frame(struct syncd *env, const struct sync_rx *rx)
{
	struct sync_hdr h;
	struct sync_peer *p;
	struct walk_ctx w;
	enum sync_drop why;
	uint64_t now = syncd_now_us(), gaps;
	unsigned skipped = 0;

	env->stats.ipackets++;
	env->stats.ibytes += rx->len;
	if ((why = sync_frame_check(rx->frame, rx->len, env->conf->key, &h))
	    != SYNC_OK) {
		syncd_count_drop(env, why, rx);
		return;
	}
	if (h.node_id == env->conf->node_id) {
		env->stats.loops++;
		return;
	}
	if ((p = peer_get(env, h.node_id)) == NULL) {
		env->stats.toomany++;
		return;
	}
	gaps = p->gaps;
	switch (sync_peer_rx(p, &h, now)) {
	case SYNC_PEER_REPLAY:
		syncd_count_drop(env, SYNC_DROP_REPLAY, rx);
		return;
	case SYNC_PEER_DUP_RETX:
		env->stats.retx_dup++;
		return;
	case SYNC_PEER_NEW:
		peer_appeared(env, p, now);
		break;
	case SYNC_PEER_RESTARTED:
		log_info("node %u: restarted (epoch %u)", p->node_id, h.epoch);
		sync_table_peer_restarted(env->table, p->node_id);
		break;
	case SYNC_PEER_ACCEPT:
		break;
	}
	env->stats.gaps += p->gaps - gaps;
	w.env = env;
	w.peer = p;
	w.seq = h.seq;
	w.now = now;
	sync_frame_walk(rx->frame, rx->len, on_msg, &w, &skipped);
	env->stats.skipped += skipped;
	syncd_watch_frame(env, SYNC_WATCH_IN, rx->af, rx->src, rx->frame,
	    rx->len);
	peer_run(env, p, now);
}

/* A burst of frames, then their kernel writes in one batch: one request
 * per state sent to the kernel many at a time, not a round trip per
 * frame (a bulk of 100,000 states is some 9,000 frames). */
static void
rx_cb(int fd, short what, void *arg)
{
	struct syncd *env = arg;
	uint64_t t0 = syncd_now_us();
	size_t i;
	int writes = 0;

	(void)what;
	rx_burst(env, fd);
	for (i = 0; i < env->outs.n && !writes; i++)
		writes = env->outs.v[i].type != SYNC_OUT_SEND_NOW;
	syncd_run_outs(env);
	/* the delay a state waits in syncd before the kernel has it */
	if (writes)
		metrics_latency_add(&env->stats.rx_apply, syncd_now_us() - t0);
	arm_peers(env);
}

static void
rx_burst(struct syncd *env, int fd)
{
	uint8_t buf[SYNC_MAX_FRAME + 128];
	struct sync_rx rx;
	int n;

	for (n = 0; n < RX_PER_TURN; n++) {
		switch (sync_net_recv(env->net, fd, buf, sizeof(buf), &rx)) {
		case SYNC_RX_OK:
			rx_frame(env, &rx);
			break;
		case SYNC_RX_BADIF:
			syncd_count_drop(env, SYNC_DROP_BADIF, &rx);
			break;
		case SYNC_RX_BADTTL:
			syncd_count_drop(env, SYNC_DROP_BADTTL, &rx);
			break;
		case SYNC_RX_SHORT:
			syncd_count_drop(env, SYNC_DROP_HDROPS, &rx);
			break;
		case SYNC_RX_NONE:
		case SYNC_RX_ERROR:
			return;
		}
	}
}

/* ------------------------------------------------------------------ */
/* the peers' timer: NACK retries, deferred table requests             */

static void
arm_peers(struct syncd *env)
{
	uint64_t d = 0, pd;
	int i;

	for (i = 0; i < env->npeers; i++) {
		pd = sync_peer_deadline(&env->peers[i]);
		if (pd != 0 && (d == 0 || pd < d))
			d = pd;
	}
	arm_at(env->peer_ev, d);
}

static void
peers_cb(int fd, short what, void *arg)
{
	struct syncd *env = arg;
	uint64_t now = syncd_now_us(), d;
	int i;

	(void)fd;
	(void)what;
	for (i = 0; i < env->npeers; i++) {
		d = sync_peer_deadline(&env->peers[i]);
		if (d != 0 && d <= now)
			peer_run(env, &env->peers[i], now);
	}
	syncd_run_outs(env);
	arm_peers(env);
}

/* ------------------------------------------------------------------ */

void
syncd_proto_open(struct syncd *env)
{
	if ((env->rtx = sync_rtx_new(SYNC_RTX_FRAMES, SYNC_RTX_REFS)) == NULL)
		fatalx("out of memory");
	sync_pace_init(&env->pace, syncd_now_us());
	env->rx4_ev = syncd_watch_fd(env, sync_net_fd4(env->net), rx_cb);
	env->rx6_ev = syncd_watch_fd(env, sync_net_fd6(env->net), rx_cb);
	env->flush_ev = evtimer_new(env->base, flush_cb, env);
	env->peer_ev = evtimer_new(env->base, peers_cb, env);
	env->hb_ev = evtimer_new(env->base, heartbeat_cb, env);
	if (env->flush_ev == NULL || env->peer_ev == NULL ||
	    env->hb_ev == NULL)
		fatalx("out of memory");
	arm_at(env->hb_ev, syncd_now_us() + HEARTBEAT_US);
}

void
syncd_proto_close(struct syncd *env)
{
	struct event *evs[] = { env->rx4_ev, env->rx6_ev, env->flush_ev,
	    env->peer_ev, env->hb_ev };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	sync_rtx_free(env->rtx);
}
