/*
 * syncd.c: main(), the event loop and the glue between the conntrack
 * shell (ct_kernel), the pure state table (sync_table), the bulk FSM
 * (sync_bulk), the transport (sync_net) and carpd (sync_carp).
 */
#include <sys/stat.h>
#include <sys/types.h>

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

#include "epoch.h"
#include "log.h"
#include "metrics_http.h"
#include "notify.h"
#include "syncd.h"

#define CT_RCVBUF		(32 * 1024 * 1024)	/* pfsync-conntrack.md 5.5 */
#define EVENTS_PER_TURN		512

uint64_t
syncd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}


static void
usage(void)
{
	fprintf(stderr, "usage: syncd -f FILE [-d] [-n]\n");
	exit(1);
}

/* ------------------------------------------------------------------ */
/* epoch: raised and persisted at every start (carpsync-sync(7))       */

static uint32_t
syncd_epoch_next(uint32_t node_id)
{
	char		 name[64];
	uint32_t	 epoch;

	snprintf(name, sizeof(name), "syncd-%u.epoch", node_id);
	if (epoch_next(EPOCH_DIR, name, 0, &epoch) == -1)
		fatal("%s/%s", EPOCH_DIR, name);
	return epoch;
}

/* ------------------------------------------------------------------ */
/* the table's outputs: kernel writes, immediate sends                 */

void
syncd_run_outs(struct syncd *env)
{
	size_t i;
	int send_now = 0;
	struct sync_out *o;

	for (i = 0; i < env->outs.n; i++) {
		o = &env->outs.v[i];
		/* a peer's state: defer's table holds its first TCP reply */
		if (env->queue != NULL && o->st.creatorid != env->conf->node_id)
			o->st.labels[SYNC_DEFER_LABEL / 8] |=
			    1 << (SYNC_DEFER_LABEL % 8);
		switch (o->type) {
		case SYNC_OUT_CT_CREATE:
			ct_create(env->ct, &o->st);
			break;
		case SYNC_OUT_CT_UPDATE:
			ct_update(env->ct, &o->st);
			break;
		case SYNC_OUT_CT_DELETE:
			ct_delete(env->ct, &o->st);
			break;
		case SYNC_OUT_SEND_NOW:
			send_now = 1;
			break;
		}
	}
	env->outs.n = 0;
	ct_flush(env->ct);
	if (send_now)
		syncd_flush(env);
	else
		syncd_flush_arm(env);
}

/* ------------------------------------------------------------------ */
/* local conntrack events                                              */

/*
 * Never synced: CARP and our own protocol (112, 240), protocols whose
 * conntrack entries cannot be recreated through ctnetlink tuples (IGMP,
 * for one, which the sync link's own multicast join creates), and what
 * the filters exclude.
 */
int
syncd_synced(const struct syncd *env, const struct sync_state *st)
{
	switch (st->proto) {
	case 1: case 6: case 17: case 33: case 47: case 58: case 132: case 136:
		break;		/* ICMP TCP UDP DCCP GRE ICMPv6 SCTP UDPlite */
	default:
		return 0;
	}
	return sync_conf_synced(env->conf, sync_link_local(env->link),
	    st->af == 2 ? AF_INET : AF_INET6, st->orig.src, st->orig.dst,
	    st->proto);
}

/* Whose ends a DESTROY announces (sync_table.h): carpd says whether we
 * carry the traffic; without carpd, only our own states'. */
static int
destroy_ends(const struct syncd *env)
{
	if (!sync_carp_connected(env->carp))
		return SYNC_END_LOCAL;
	return env->master ? SYNC_END_ALL : 0;
}

static void
on_ct_event(void *arg, enum ct_event type, const struct sync_state *st,
    int ours)
{
	struct syncd *env = arg;
	uint64_t now = syncd_now_us();

	/* Our own writes (imported states) are never echoed back. */
	if (ours)
		return;
	if (!syncd_synced(env, st)) {
		env->stats.filtered++;
		return;
	}
	if (type == CT_EV_NEW)
		sync_table_local_new(env->table, st, now, &env->outs);
	else if (type == CT_EV_UPDATE)
		sync_table_local_update(env->table, st, now, &env->outs);
	else
		sync_table_local_destroy(env->table, st, destroy_ends(env), now,
		    &env->outs);
}

static void
on_dump(void *arg, const struct sync_state *st)
{
	on_ct_event(arg, CT_EV_UPDATE, st, 0);
}

static void
on_seed(void *arg, const struct sync_state *st)
{
	struct syncd *env = arg;

	if (syncd_synced(env, st))
		sync_table_local_seed(env->table, st, syncd_now_us());
	else
		env->stats.filtered++;
}

/* Events were lost: rebuild our view of the kernel by dump and sweep
 * what is gone (mark-and-sweep of our own states). */
static void
resync_kernel(struct syncd *env)
{
	env->stats.overruns++;
	log_warnx("conntrack events lost (overrun): resyncing by dump");
	sync_table_resync_begin(env->table);
	if (ct_dump(env->ct, on_dump, env) == -1)
		log_warnx("conntrack dump failed");
	sync_table_resync_end(env->table, syncd_now_us(), &env->outs);
}

static void
ct_cb(int fd, short what, void *arg)
{
	struct syncd *env = arg;
	int n;

	(void)fd;
	(void)what;
	n = ct_event_read(env->ct, EVENTS_PER_TURN, on_ct_event, env);
	if (n == -1)
		resync_kernel(env);
	syncd_run_outs(env);
}

/* ------------------------------------------------------------------ */
/* bulk request FSM                                                    */

static void
arm_bulk(struct syncd *env)
{
	uint64_t now = syncd_now_us(), d = env->bulk.deadline;
	struct timeval tv;

	if (d == 0) {
		evtimer_del(env->bulk_ev);
		return;
	}
	d = d > now ? d - now : 0;
	tv.tv_sec = (time_t)(d / 1000000);
	tv.tv_usec = (suseconds_t)(d % 1000000);
	evtimer_add(env->bulk_ev, &tv);
}

/* Our own request reaches every peer: none needs asking again soon. */
static void
bulk_request_sent(struct syncd *env)
{
	uint64_t now = syncd_now_us();
	int i;

	for (i = 0; i < env->npeers; i++)
		sync_peer_table_sent(&env->peers[i], now);
}

/*
 * Whose are the states our start-up dump found (sync_table.h)? Ours if we
 * carry the traffic (a MASTER, or no carpd: our table is the reference;
 * before a push, which must carry them) or if our bulk ended without a
 * complete table from the peer. Else the peer's complete table decides:
 * it claimed its own states as they came, and the others are copies of
 * its states that ended while we were down.
 */
void
syncd_seeded_end(struct syncd *env, int peer_table)
{
	int carries = env->master || !sync_carp_connected(env->carp);
	int keep = carries || !peer_table;
	size_t n;

	if (sync_table_seeded(env->table) == 0 ||
	    (!peer_table && !carries && env->bulk.state != SYNC_BULK_DONE))
		return;
	n = sync_table_seeded_end(env->table, keep, &env->outs);
	if (keep)
		log_info("start-up dump: %zu states settled as ours (%s)", n,
		    carries ? "we carry the traffic" :
		    "no complete table from the peer");
	else
		log_notice("start-up dump: %zu states deleted: not in the "
		    "peer's table, they ended there while syncd was down", n);
}

void
syncd_bulk_event(struct syncd *env, enum sync_bulk_ev ev)
{
	struct sync_bulk_acts acts;
	int i;

	syncd_seeded_end(env, 0);
	sync_bulk_step(&env->bulk, ev, env->master, syncd_now_us(), &acts);
	for (i = 0; i < acts.n; i++) {
		switch (acts.a[i]) {
		case SYNC_BULK_A_SEND_REQ:
			bulk_request_sent(env);
			syncd_request_table(env, "starting");
			break;
		case SYNC_BULK_A_DEMOTE:
			sync_carp_hold(env->carp, SYNC_BULK_DEMOTE,
			    "syncd bulk");
			break;
		case SYNC_BULK_A_UNDEMOTE:
			sync_carp_hold(env->carp, 0, "syncd bulk done");
			break;
		case SYNC_BULK_A_PUSH:
			/* a peer not heard yet asks for our table when it
			 * hears us (sync_peer.c): a push would come twice */
			if (env->npeers == 0)
				break;
			sync_table_bulk_start(env->table, syncd_now_us());
			syncd_flush(env);
			break;
		case SYNC_BULK_A_LOG_GIVEUP:
			log_warnx("bulk request unanswered after %d tries; "
			    "going on without the peer's table",
			    SYNC_BULK_MAX_TRIES);
			break;
		}
	}
	log_debug("bulk: %s", sync_bulk_state_names[env->bulk.state]);
	syncd_seeded_end(env, 0);
	arm_bulk(env);
}

static void
bulk_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	syncd_bulk_event(arg, SYNC_BULK_EV_TIMER);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

static void
sig_cb(int sig, short what, void *arg)
{
	struct syncd *env = arg;

	(void)what;
	if (sig == SIGHUP) {
		/* no reload yet: say so instead of dying of the default action */
		log_warnx("SIGHUP: reload is not supported; restart syncd to "
		    "apply a new configuration");
		return;
	}
	log_notice("signal %d: exiting", sig);
	notify_stopping();
	event_base_loopbreak(env->base);
}

struct event *
syncd_watch_fd(struct syncd *env, int fd, event_callback_fn cb)
{
	struct event *ev;

	if (fd == -1)
		return NULL;
	ev = event_new(env->base, fd, EV_READ | EV_PERSIST, cb, env);
	event_add(ev, NULL);
	return ev;
}


static void
setup(struct syncd *env)
{
	const struct syncd_conf *c = env->conf;
	struct sync_table_conf tc;

	env->epoch = syncd_epoch_next(c->node_id);
	if ((env->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((env->ct = ct_open(CT_RCVBUF)) == NULL)
		fatalx("cannot open conntrack netlink (need CAP_NET_ADMIN)");
	if ((env->net = sync_net_open(c->syncdev, c->peer_af, c->peer)) ==
	    NULL)
		fatalx("cannot open the sync transport on %s", c->syncdev);
	if (c->pfsync_if[0] != '\0')
		env->tap = sync_tap_open(c->pfsync_if);
	memset(&tc, 0, sizeof(tc));
	tc.node_id = c->node_id;
	tc.id_base = (uint64_t)env->epoch << 32;
	tc.maxupd = c->maxupd;
	tc.send_delay_us = (uint64_t)c->send_delay_ms * 1000;
	tc.refresh_us = (uint64_t)c->refresh_s * 1000000;
	tc.max_states = 4 * 1024 * 1024;
	if ((env->table = sync_table_new(&tc)) == NULL)
		fatalx("out of memory");
	env->ct_ev = syncd_watch_fd(env, ct_event_fd(env->ct), ct_cb);
	syncd_proto_open(env);
	/* before carpd hears our caps (sync_carp_new connects at once) */
	syncd_defer_open(env);
	env->bulk_ev = evtimer_new(env->base, bulk_cb, env);
	env->sig_term = evsignal_new(env->base, SIGTERM, sig_cb, env);
	env->sig_int = evsignal_new(env->base, SIGINT, sig_cb, env);
	env->sig_hup = evsignal_new(env->base, SIGHUP, sig_cb, env);
	evsignal_add(env->sig_term, NULL);
	evsignal_add(env->sig_int, NULL);
	evsignal_add(env->sig_hup, NULL);
	signal(SIGPIPE, SIG_IGN);
	env->carp = sync_carp_new(env, c->carpd_socket);
	env->ctl = sync_ctl_open(env, c->control_socket);
	if (env->ctl != NULL &&
	    priv_own_socket(&env->user, c->control_socket) == -1)
		fatalx("cannot give control socket %s to %s:%s",
		    c->control_socket, env->user.name, env->user.group);
	/* before the privilege drop: any port */
	env->metrics = metrics_http_listen(env->base,
	    env->conf->metrics_listen, sync_ctl_metrics, env);
	env->watch = sync_watch_open(env);
	env->link = sync_link_open(env->base, c->syncdev,
	    syncd_syncdev_carrier, env);
	sync_bulk_init(&env->bulk);
	/*
	 * Everything is open (the raw and packet sockets, conntrack, netlink,
	 * the epoch written): drop to the user. Only CAP_NET_ADMIN is still
	 * needed: the kernel checks every conntrack create, update, delete
	 * and resync dump against the sender's capabilities when it is sent
	 * (nfnetlink), not only when the socket was opened. No raw or packet
	 * socket is opened after this point, so CAP_NET_RAW goes.
	 */
	priv_drop(&env->user, PRIV_CAP(CAP_NET_ADMIN),
	    "NET_ADMIN: conntrack writes and dumps");
}

/* The local table first (a dump), then ask the peer for its table. */
static void
start(struct syncd *env)
{
	if (ct_dump(env->ct, on_seed, env) == -1)
		log_warnx("initial conntrack dump failed");
	/* With carpd, its first status answer starts the bulk (sync_carp.c);
	 * without it, act as a standalone owner now. */
	if (!sync_carp_connected(env->carp)) {
		env->master = 1;
		syncd_bulk_event(env, SYNC_BULK_EV_START);
	}
}

static void
teardown(struct syncd *env)
{
	struct event *evs[] = { env->ct_ev, env->bulk_ev, env->sig_term,
	    env->sig_int, env->sig_hup };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	syncd_defer_close(env);		/* releases what it holds, first */
	syncd_proto_close(env);
	sync_link_close(env->link);
	sync_watch_close(env->watch);
	metrics_http_close(env->metrics);
	sync_ctl_close(env->ctl);
	sync_carp_free(env->carp);
	sync_table_free(env->table);
	sync_outs_free(&env->outs);
	sync_tap_close(env->tap, 0);
	sync_net_close(env->net);
	ct_close(env->ct);
	event_base_free(env->base);
	sync_conf_free(env->conf);
}

int
main(int argc, char *argv[])
{
	struct syncd env;
	struct conf_diag diag;
	char user[PRIV_NAMELEN], err[512];
	int ch, noaction = 0, have_user;

	memset(&env, 0, sizeof(env));
	env.conf_path = "/etc/carpsync/syncd.conf";
	while ((ch = getopt(argc, argv, "df:n")) != -1) {
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
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	/* The user first: the keyfile may belong to it (priv.h). */
	have_user = priv_conf_user(env.conf_path, SYNC_DEFAULT_USER, user,
	    sizeof(user)) == 0 && priv_lookup("syncd", env.conf_path, user,
	    &env.user, err, sizeof(err)) == 0;
	conf_diag_init(&diag);
	env.conf = sync_conf_parse(env.conf_path, have_user ? env.user.uid :
	    (unsigned)geteuid(), &diag);
	if (diag.len > 0)
		fputs(diag.text, stderr);
	conf_diag_free(&diag);
	if (env.conf == NULL)
		return 1;
	if (strcmp(env.conf->user, user) != 0)
		fatalx("%s: changed while it was read (user %s, then %s)",
		    env.conf_path, user, env.conf->user);
	if (noaction) {
		if (!have_user)
			fprintf(stderr, "%s: warning: %s\n", env.conf_path, err);
		fprintf(stderr, "%s: configuration OK\n", env.conf_path);
		sync_conf_free(env.conf);
		return 0;
	}
	log_init("syncd", env.debug, LOG_DAEMON);
	log_setlevel(env.conf->log_level);
	if (!have_user)
		fatalx("%s", err);
	priv_start_check(&env.user);
	if (!env.debug && daemon(0, 0) == -1)
		fatal("daemon");
	setup(&env);
	notify_ready();
	log_notice("started: node %u, epoch %u, syncdev %s", env.conf->node_id,
	    env.epoch, env.conf->syncdev);
	start(&env);
	event_base_dispatch(env.base);
	teardown(&env);
	return 0;
}
