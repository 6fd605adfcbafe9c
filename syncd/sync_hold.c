/*
 * sync_hold.c: `defer yes` at run time (sync_defer.h). The pure hold
 * (sync_defer.c) and the table's deferred INS (sync_table.c), fed by the
 * NFQUEUE (sync_queue.c) that syncd's own nft table fills: the table's
 * text is nft's (common/nft_shell.c); on a kernel without the nft queue
 * expression its one queue rule is the xt NFQUEUE target (sync_xt.c).
 * Each packet's conntrack entry comes with it, or is looked up
 * (sync_defer.h explains the two ways).
 *
 * A packet is held only for a local state syncd syncs; everything else
 * is accepted at once. Every packet read gets exactly
 * one verdict, and it is always accept: defer delays a connection by at
 * most SYNC_DEFER_HOLD_US, it never drops one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "nft_shell.h"
#include "sync_defer.h"
#include "sync_queue.h"
#include "sync_xt.h"
#include "syncd.h"

#define QUEUE_PER_TURN	64
#define NFT_TEXT	2048

static void	arm(struct syncd *);

static void
accept_all(struct syncd *env, const struct sync_defer_out *out, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		(void)sync_queue_accept(env->queue, out[i].packet_id);
}

static void
let_go(struct syncd *env, uint32_t packet_id)
{
	sync_defer_pass(&env->defer);
	(void)sync_queue_accept(env->queue, packet_id);
}

/* Without NETLINK_GLUE_CT: by the headers, after the confirm (sync_defer.h). */
static int
entry_by_headers(struct syncd *env, const struct sync_queued *qd,
    struct sync_state *st)
{
	struct sync_state key;
	enum sync_defer_bad bad;

	if ((bad = sync_defer_key(qd->af, qd->pkt, qd->len, &key)) !=
	    SYNC_DEFER_KEY_OK) {
		env->defer.stats.bad[bad]++;
		return -1;
	}
	/* a first packet shows the reply tuple swapped, a reply (de-NATed)
	 * the original swapped: try both */
	if (ct_get_by_reply(env->ct, &key, st) == 0 ||
	    ct_get_by_orig(env->ct, &key, st) == 0)
		return 0;
	env->defer.stats.lookup_failed++;
	if (!env->defer_warned) {
		env->defer_warned = 1;
		log_warnx("defer: a first packet's conntrack entry is not "
		    "confirmed yet when it is queued (this kernel cannot attach "
		    "it, and the table was loaded after the conntrack hooks): "
		    "such packets are not held (syncd.conf(5) defer)");
	}
	return -1;
}

static void
on_queued(void *arg, const struct sync_queued *qd)
{
	struct syncd *env = arg;
	struct sync_defer_out evicted;
	struct sync_state st;
	struct sync_ref ref;
	uint64_t now = syncd_now_us();
	int got;

	if (env->defer_attached)
		got = qd->ct != NULL &&
		    ct_parse_attrs(qd->ct, qd->ctlen, qd->af, &st) == 0;
	else
		got = entry_by_headers(env, qd, &st) == 0;
	if (!got || !syncd_synced(env, &st) ||
	    !sync_table_local_defer(env->table, &st, now, &env->outs, &ref)) {
		let_go(env, qd->packet_id);
		return;
	}
	if (sync_defer_hold(&env->defer, ref.creatorid, ref.id, qd->packet_id,
	    (uint16_t)env->conf->defer_queue, now, &evicted))
		accept_all(env, &evicted, 1);
}

static void
queue_cb(int fd, short what, void *arg)
{
	struct syncd *env = arg;

	(void)fd;
	(void)what;
	(void)sync_queue_read(env->queue, QUEUE_PER_TURN, on_queued, env);
	syncd_run_outs(env);	/* the INSes leave now (SEND_NOW) */
	arm(env);
}

static void
expire_cb(int fd, short what, void *arg)
{
	struct syncd *env = arg;
	struct sync_defer_out out[SYNC_DEFER_MAX];
	unsigned n;

	(void)fd;
	(void)what;
	n = sync_defer_expire(&env->defer, syncd_now_us(), out, SYNC_DEFER_MAX);
	accept_all(env, out, n);
	if (sync_table_unconfirmed_sweep(env->table, syncd_now_us(),
	    SYNC_DEFER_CONFIRM_US, &env->outs) > 0)
		syncd_run_outs(env);
	arm(env);
}

static void
arm(struct syncd *env)
{
	uint64_t at = sync_defer_next_deadline(&env->defer), now, d, uc;
	struct timeval tv;

	uc = sync_table_unconfirmed_next(env->table, SYNC_DEFER_CONFIRM_US);
	if (uc != 0 && (at == 0 || uc < at))
		at = uc;
	if (at == 0) {
		evtimer_del(env->defer_ev);
		return;
	}
	now = syncd_now_us();
	d = at > now ? at - now : 0;
	tv.tv_sec = (time_t)(d / 1000000);
	tv.tv_usec = (suseconds_t)(d % 1000000);
	evtimer_add(env->defer_ev, &tv);
}

void
syncd_defer_acked(struct syncd *env, uint32_t creator, uint64_t id)
{
	struct sync_defer_out out[SYNC_DEFER_MAX];
	unsigned n;

	if (env->queue == NULL)
		return;
	n = sync_defer_ack(&env->defer, creator, id, syncd_now_us(), out,
	    SYNC_DEFER_MAX);
	accept_all(env, out, n);
	if (n > 0)
		arm(env);
}

/*
 * The table: nft's queue expression if the kernel has it, else the same
 * table without that rule plus the xt rule. The table has no `flags
 * owner`: the xt rule comes from another socket, which an owner table
 * would refuse. A table left by a killed syncd is harmless (`bypass`
 * accepts while nobody listens) and replaced at the next start.
 */
static int
table_load(struct syncd *env, char *err, size_t errlen)
{
	char text[NFT_TEXT], *queue_rule;
	uint16_t queue = (uint16_t)env->conf->defer_queue;

	if (sync_defer_nft_text(text, sizeof(text), queue,
	    env->defer_attached ? SYNC_DEFER_PRIO_ATTACHED :
	    SYNC_DEFER_PRIO_LAST) == -1) {
		snprintf(err, errlen, "table text too long");
		return -1;
	}
	if (nft_shell_run(env->nft, text, err, errlen) == 0)
		return 0;
	log_info("defer: nft queue refused (%s); using xt NFQUEUE", err);
	if ((queue_rule = strstr(text, "add rule inet " SYNC_DEFER_TABLE
	    " defer queue")) == NULL) {
		snprintf(err, errlen, "no queue rule in the table text");
		return -1;
	}
	*queue_rule = '\0';
	if (nft_shell_run(env->nft, text, err, errlen) == -1 ||
	    sync_xt_queue_rule(SYNC_DEFER_TABLE, "defer", queue, err,
	    errlen) == -1)
		return -1;
	env->defer_xt = 1;
	return 0;
}

void
syncd_defer_open(struct syncd *env)
{
	char err[256];

	sync_defer_init(&env->defer, SYNC_DEFER_HOLD_US);
	if (!env->conf->defer)
		return;
	if ((env->nft = nft_shell_open(err, sizeof(err))) == NULL)
		fatalx("defer: %s", err);
	/* the queue first: the rule starts sending packets at once */
	env->queue = sync_queue_open((uint16_t)env->conf->defer_queue,
	    &env->defer_attached, err, sizeof(err));
	if (env->queue == NULL)
		fatalx("defer: %s", err);
	if (table_load(env, err, sizeof(err)) == -1)
		fatalx("defer: table inet %s: %s", SYNC_DEFER_TABLE, err);
	env->queue_ev = syncd_watch_fd(env, sync_queue_fd(env->queue),
	    queue_cb);
	env->defer_ev = evtimer_new(env->base, expire_cb, env);
	log_notice("defer: first packets of new connections held up to "
	    "%llu ms on queue %d (%s; %s)",
	    (unsigned long long)(SYNC_DEFER_HOLD_US / 1000),
	    env->conf->defer_queue, env->defer_xt ? "xt NFQUEUE" : "nft queue",
	    env->defer_attached ? "entries attached" :
	    "entries looked up after the confirm");
}

void
syncd_defer_close(struct syncd *env)
{
	struct sync_defer_out out[SYNC_DEFER_MAX];
	char err[256];
	unsigned n;

	if (env->queue == NULL)
		return;
	n = sync_defer_flush(&env->defer, out, SYNC_DEFER_MAX);
	accept_all(env, out, n);
	/* the rule goes before the queue closes: nothing left behind */
	if (nft_shell_run(env->nft, "delete table inet " SYNC_DEFER_TABLE "\n",
	    err, sizeof(err)) == -1)
		log_warnx("defer: table inet %s: %s", SYNC_DEFER_TABLE, err);
	if (env->queue_ev != NULL)
		event_free(env->queue_ev);
	if (env->defer_ev != NULL)
		event_free(env->defer_ev);
	sync_queue_close(env->queue);
	nft_shell_close(env->nft);
	env->queue = NULL;
}
