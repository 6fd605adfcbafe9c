/*
 * carp_fsm.c: the pure CARP state machine, OpenBSD semantics (ip_carp.c
 * 1.370 carp_proto_input_c, carp_setrun, carp_master_down, carp_send_ad;
 * carp-protocol.md 2.1-2.3). Each event handler decides, updates the
 * deadlines in struct carp_fsm and appends actions; the I/O shell does the
 * rest. No clock, no sockets, no allocation.
 */
#include <sys/socket.h>

#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "carp_fsm.h"

#define USEC_PER_SEC	1000000ULL
/* OpenBSD carp_master_down: sc_delayed_arp = 2, a second GARP two adverts
 * after takeover "to deal w/ some L3 switches". */
#define CARP_GARP_DELAY	2

const char *const carp_state_names[CARP_S__MAX] = {
	[CARP_S_INIT]		= "INIT",
	[CARP_S_BACKUP]		= "BACKUP",
	[CARP_S_MASTER]		= "MASTER",
};

const char *const carp_ev_names[CARP_EV__MAX] = {
	[CARP_EV_START]		= "START",
	[CARP_EV_ADV_RX]	= "ADV_RX",
	[CARP_EV_TIMER]		= "TIMER",
	[CARP_EV_LINK_DOWN]	= "LINK_DOWN",
	[CARP_EV_LINK_UP]	= "LINK_UP",
	[CARP_EV_FORCE_MASTER]	= "FORCE_MASTER",
	[CARP_EV_FORCE_BACKUP]	= "FORCE_BACKUP",
	[CARP_EV_SHUTDOWN]	= "SHUTDOWN",
	[CARP_EV_DEMOTE]	= "DEMOTE",
	[CARP_EV_NAT_HOLD]	= "NAT_HOLD",
	[CARP_EV_NAT_RELEASE]	= "NAT_RELEASE",
};

const char *const carp_act_names[CARP_A__MAX] = {
	[CARP_A_SEND_ADV]	= "SEND_ADV",
	[CARP_A_SEND_BOWOUT]	= "SEND_BOWOUT",
	[CARP_A_VIP_UP]		= "VIP_UP",
	[CARP_A_VIP_DOWN]	= "VIP_DOWN",
	[CARP_A_GARP]		= "GARP",
	[CARP_A_STATE]		= "STATE",
	[CARP_A_DEMOTE_ADJ]	= "DEMOTE_ADJ",
};

/* advbase s + advskew/256 s, truncated to us exactly as OpenBSD does. */
static uint64_t
interval_raw(uint8_t advbase, uint8_t advskew)
{
	return (uint64_t)advbase * USEC_PER_SEC +
	    (uint64_t)advskew * USEC_PER_SEC / 256;
}

uint64_t
carp_interval_us(uint8_t advbase, uint8_t advskew)
{
	uint64_t	usec = interval_raw(advbase, advskew);

	/* OpenBSD carp_setrun: a zero interval becomes 1/256 s. */
	return (usec == 0 ? USEC_PER_SEC / 256 : usec);
}

uint64_t
carp_master_down_us(uint8_t advbase, uint8_t advskew)
{
	/* OpenBSD 1.370 carp_setrun: 3 * usec with the backup's own values. */
	return (3 * carp_interval_us(advbase, advskew));
}

void
carp_fsm_init(struct carp_fsm *fsm, uint8_t advbase, uint8_t advskew,
    int preempt)
{
	memset(fsm, 0, sizeof(*fsm));
	fsm->state = CARP_S_INIT;
	fsm->advbase = advbase;
	fsm->advskew = advskew;
	fsm->preempt = preempt;
}

/* The earlier of two deadlines, 0 meaning unset. */
static uint64_t
earliest(uint64_t a, uint64_t b)
{
	if (a == 0)
		return (b);
	if (b == 0 || a < b)
		return (a);
	return (b);
}

uint64_t
carp_fsm_next_deadline(const struct carp_fsm *fsm)
{
	uint64_t	d = earliest(fsm->ad_deadline, fsm->md_deadline);

	return (earliest(d, fsm->refresh_deadline));
}

/* --- actions --------------------------------------------------------- */

static void
act_add(struct carp_actions *acts, enum carp_act_type type,
    enum carp_state old_state, enum carp_state new_state, const char *reason,
    int delta)
{
	struct carp_action	*a;

	/* No path emits more than four; a fifth-plus would be a bug here. */
	assert(acts->n < CARP_MAX_ACTIONS);
	if (acts->n >= CARP_MAX_ACTIONS)
		return;
	a = &acts->a[acts->n++];
	a->type = type;
	a->old_state = old_state;
	a->new_state = new_state;
	a->reason = reason;
	a->delta = delta;
}

static void
act(struct carp_actions *acts, enum carp_act_type type)
{
	act_add(acts, type, CARP_S_INIT, CARP_S_INIT, NULL, 0);
}

/* A GARP/NA round, tagged with why it is sent. */
static void
act_garp(struct carp_actions *acts, enum carp_announce why)
{
	int	n = acts->n;

	act(acts, CARP_A_GARP);
	if (acts->n > n)
		acts->a[n].announce = why;
}

static void
act_demote(struct carp_actions *acts, int delta, const char *reason)
{
	act_add(acts, CARP_A_DEMOTE_ADJ, CARP_S_INIT, CARP_S_INIT, reason,
	    delta);
}

static void
set_state(struct carp_fsm *fsm, enum carp_state to, const char *reason,
    struct carp_actions *acts)
{
	act_add(acts, CARP_A_STATE, fsm->state, to, reason, 0);
	fsm->state = to;
}

/* --- transitions shared by several events ------------------------------ */

static void
arm_master_down(struct carp_fsm *fsm, uint64_t now)
{
	fsm->ad_deadline = 0;
	fsm->refresh_deadline = 0;
	fsm->md_deadline = now +
	    carp_master_down_us(fsm->advbase, fsm->advskew);
}

static void
clear_timers(struct carp_fsm *fsm)
{
	fsm->ad_deadline = 0;
	fsm->md_deadline = 0;
	fsm->delayed_garp = 0;
	fsm->refresh_deadline = 0;
}

/*
 * OpenBSD carp_master_down: state MASTER (link state UP, hence the VIPs),
 * an advert at once, a GARP, and a second GARP two timer adverts later.
 * Unlike OpenBSD the GARP goes out before the advert: a peer may preempt
 * as soon as it hears the advert, and its GARP must not be overtaken by
 * ours, which would point the switches back at the node that just yielded
 * (seen in make bench as ~1 advert interval of outage in 15-25 % of
 * handbacks).
 */
static void
become_master(struct carp_fsm *fsm, uint64_t now, const char *reason,
    struct carp_actions *acts)
{
	set_state(fsm, CARP_S_MASTER, reason, acts);
	act(acts, CARP_A_VIP_UP);
	act_garp(acts, CARP_ANN_TAKEOVER);
	act(acts, CARP_A_SEND_ADV);
	fsm->ad_deadline = now + carp_interval_us(fsm->advbase, fsm->advskew);
	fsm->md_deadline = 0;
	fsm->delayed_garp = CARP_GARP_DELAY;
	fsm->refresh_deadline = fsm->garp_refresh_us != 0 ?
	    now + fsm->garp_refresh_us : 0;
}

/*
 * To BACKUP: stop advertising (no advert before yielding, as OpenBSD),
 * release the VIPs if we held them, and arm master-down. From BACKUP this
 * only re-arms the timer.
 */
static void
become_backup(struct carp_fsm *fsm, uint64_t now, const char *reason,
    struct carp_actions *acts)
{
	enum carp_state	old = fsm->state;

	if (old != CARP_S_BACKUP)
		set_state(fsm, CARP_S_BACKUP, reason, acts);
	if (old == CARP_S_MASTER)
		act(acts, CARP_A_VIP_DOWN);
	fsm->delayed_garp = 0;
	arm_master_down(fsm, now);
}

/* To INIT: release the VIPs first, then report; every timer stops. */
static void
become_init(struct carp_fsm *fsm, const char *reason,
    struct carp_actions *acts)
{
	if (fsm->state == CARP_S_MASTER)
		act(acts, CARP_A_VIP_DOWN);
	if (fsm->state != CARP_S_INIT)
		set_state(fsm, CARP_S_INIT, reason, acts);
	clear_timers(fsm);
}

/* --- CARP_EV_START ------------------------------------------------------ */

/* why: the reason of the transition; NULL: the start's own ones. */
static void
start_from_init(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, const char *why, struct carp_actions *acts)
{
	switch (ev->start) {
	case CARP_START_BACKUP:
		/* OpenBSD carp_setrun: INIT -> BACKUP, master-down armed. */
		set_state(fsm, CARP_S_BACKUP, why ? why : "start", acts);
		arm_master_down(fsm, now);
		break;
	case CARP_START_MASTER:
		become_master(fsm, now, why ? why : "configured master", acts);
		break;
	case CARP_START_INIT:
		break;		/* stays in INIT until carpctl moves it */
	}
}

static void
ev_start(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	if (fsm->link_down || fsm->nat_held)
		return;		/* LINK_UP or NAT_RELEASE will start it */
	switch (fsm->state) {
	case CARP_S_INIT:
		start_from_init(fsm, ev, now, NULL, acts);
		break;
	case CARP_S_BACKUP:
	case CARP_S_MASTER:
		break;		/* already running */
	default:
		break;		/* NOTREACHED: carp_fsm_step checks state */
	}
}

/* --- CARP_EV_ADV_RX ----------------------------------------------------- */

/* Lexicographic (advbase, advskew): the same order as OpenBSD's timeval
 * compare, since advskew/256 s stays below one second. */
static int
adv_cmp(const struct carp_fsm *fsm, const struct carp_event *ev)
{
	if (fsm->advbase != ev->advbase)
		return (fsm->advbase < ev->advbase ? -1 : 1);
	if (fsm->advskew != ev->advskew)
		return (fsm->advskew < ev->advskew ? -1 : 1);
	return (0);
}

static int
all_zero(const uint8_t *p, size_t len)
{
	size_t	i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

/* What `tiebreak` makes of an exact tie. */
enum tie {
	TIE_OPENBSD,	/* nothing to decide by: OpenBSD's rule (yield) */
	TIE_WON,	/* our source address is the lower */
	TIE_LOST,	/* the advert's is */
	TIE_OTHER_AF,	/* another family decides: neither yield nor win */
};

/*
 * `tiebreak lower-address`: compare the advert's source with ours, in
 * network byte order, i.e. the numeric order of the addresses, the same
 * on every host (ucarp compares host-order words: carp-protocol.md 3).
 * Only the family fsm->tie_af decides (IPv4 on a dual-stack vhost: its
 * IPv6 sources are link-locals, whose order need not agree with the IPv4
 * one); a tie heard over the other family is left to it. Unknown family
 * or own address, or the same address: OpenBSD's rule.
 */
static enum tie
tie_decide(const struct carp_fsm *fsm, const struct carp_event *ev)
{
	size_t	len;
	int	c;

	if (fsm->tiebreak != CARP_TIEBREAK_LOWER)
		return (TIE_OPENBSD);
	if (ev->af == AF_INET)
		len = 4;
	else if (ev->af == AF_INET6)
		len = 16;
	else
		return (TIE_OPENBSD);
	if (fsm->tie_af != 0 && ev->af != fsm->tie_af)
		return (TIE_OTHER_AF);
	if (all_zero(ev->self, len) || all_zero(ev->src, len))
		return (TIE_OPENBSD);
	c = memcmp(ev->self, ev->src, len);
	return (c < 0 ? TIE_WON : c > 0 ? TIE_LOST : TIE_OPENBSD);
}

/*
 * A MASTER heard a node it is preferred to, which yields on our next
 * advert: a split brain healing. Re-announce so switches and neighbours
 * that followed the other node come back (keepalived and ucarp do; OpenBSD
 * does not, carp-protocol.md 6.4), at most once per advert interval so a
 * peer that never yields cannot make us flood.
 */
static void
won_contest(struct carp_fsm *fsm, uint64_t now, struct carp_actions *acts)
{
	uint64_t	t = carp_interval_us(fsm->advbase, fsm->advskew);

	if (fsm->won_garp_at != 0 && now < fsm->won_garp_at + t)
		return;
	fsm->won_garp_at = now;
	act_garp(acts, CARP_ANN_WON);
}

/* OpenBSD carp_proto_input_c, MASTER: yield if (my >= ch && d <= D) or
 * d < D; with `tiebreak lower-address` an exact tie is decided by the
 * source addresses instead (the loser advertises once more as it
 * yields). Otherwise stay, and re-announce (won_contest; OpenBSD sends
 * nothing). */
static void
adv_rx_master(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, struct carp_actions *acts)
{
	int		cmp = adv_cmp(fsm, ev);
	enum tie	tie;

	if (ev->demote < fsm->demote)
		become_backup(fsm, now, "peer less demoted", acts);
	else if (ev->demote == fsm->demote && cmp > 0)
		become_backup(fsm, now, "more frequent advert", acts);
	else if (ev->demote != fsm->demote || cmp != 0)
		won_contest(fsm, now, acts);
	else if ((tie = tie_decide(fsm, ev)) == TIE_OPENBSD)
		become_backup(fsm, now, "more frequent advert", acts);
	else if (tie == TIE_LOST) {
		/* One last advert, as ucarp does before it yields: the peer
		 * may not have heard us since the split, and only hearing a
		 * less preferred node makes it re-announce (won_contest). */
		act(acts, CARP_A_SEND_ADV);
		become_backup(fsm, now, "tie, lower peer address", acts);
	} else if (tie == TIE_WON)
		won_contest(fsm, now, acts);
	/* TIE_OTHER_AF: that family's adverts decide */
}

/*
 * OpenBSD carp_proto_input_c, BACKUP, in this order: preempt a slower and
 * not less demoted master; take over from a more demoted one whatever
 * preempt says; take over if the master advertises slower than our
 * master-down shortcut 3*advbase (skipped when advbase is 0), which is
 * how a 255/255 bow-out works; else re-arm master-down.
 */
static void
adv_rx_backup(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, struct carp_actions *acts)
{
	uint64_t	limit = 3 * (uint64_t)fsm->advbase * USEC_PER_SEC;

	if (fsm->preempt && now >= fsm->preempt_after &&
	    adv_cmp(fsm, ev) < 0 && ev->demote >= fsm->demote)
		become_master(fsm, now, "preempt", acts);
	else if (fsm->preempt && adv_cmp(fsm, ev) == 0 &&
	    ev->demote == fsm->demote && tie_decide(fsm, ev) == TIE_WON)
		become_master(fsm, now, "preempt, lower address", acts);
	else if (ev->demote > fsm->demote)
		become_master(fsm, now, "peer demoted", acts);
	else if (fsm->advbase != 0 &&
	    limit < interval_raw(ev->advbase, ev->advskew))
		become_master(fsm, now, "peer slower than 3*advbase", acts);
	else
		arm_master_down(fsm, now);
}

static void
ev_adv_rx(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	switch (fsm->state) {
	case CARP_S_INIT:
		break;		/* OpenBSD ignores adverts in INIT */
	case CARP_S_BACKUP:
		adv_rx_backup(fsm, ev, now, acts);
		break;
	case CARP_S_MASTER:
		adv_rx_master(fsm, ev, now, acts);
		break;
	default:
		break;		/* NOTREACHED */
	}
}

/* --- CARP_EV_TIMER ------------------------------------------------------ */

static void
timer_master(struct carp_fsm *fsm, uint64_t now, struct carp_actions *acts)
{
	uint64_t	t = carp_interval_us(fsm->advbase, fsm->advskew);
	uint64_t	next = fsm->ad_deadline + t;

	if (fsm->ad_deadline == 0 || now < fsm->ad_deadline)
		return;
	/* OpenBSD carp_send_ad: the delayed GARP rides on the second advert
	 * after takeover, then never again. It goes before the advert, for
	 * the reason given at become_master(). */
	if (fsm->delayed_garp > 0 && --fsm->delayed_garp == 0)
		act_garp(acts, CARP_ANN_DELAYED);
	act(acts, CARP_A_SEND_ADV);
	/* Step from the old deadline so a late wakeup does not stretch the
	 * interval (acceptance test 3); restart from now if we overslept a
	 * whole interval rather than sending a burst. */
	fsm->ad_deadline = next > now ? next : now + t;
}

/*
 * `garp-refresh`: re-announce every period while MASTER so switch MAC
 * tables and neighbour caches do not age out. Armed on becoming MASTER;
 * a period set or cleared by a reload takes effect here, at the next
 * advert at the latest. Steps from the old deadline, as timer_master.
 */
static void
timer_refresh(struct carp_fsm *fsm, uint64_t now, struct carp_actions *acts)
{
	uint64_t	p = fsm->garp_refresh_us, next;

	if (p == 0) {
		fsm->refresh_deadline = 0;
		return;
	}
	if (fsm->refresh_deadline == 0) {
		fsm->refresh_deadline = now + p;
		return;
	}
	if (now < fsm->refresh_deadline)
		return;
	act_garp(acts, CARP_ANN_REFRESH);
	next = fsm->refresh_deadline + p;
	fsm->refresh_deadline = next > now ? next : now + p;
}

static void
ev_timer(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	switch (fsm->state) {
	case CARP_S_INIT:
		break;		/* no timer runs in INIT */
	case CARP_S_BACKUP:
		if (fsm->md_deadline != 0 && now >= fsm->md_deadline)
			become_master(fsm, now, "master down", acts);
		break;
	case CARP_S_MASTER:
		timer_refresh(fsm, now, acts);
		timer_master(fsm, now, acts);
		break;
	default:
		break;		/* NOTREACHED */
	}
}

/* --- link, carpctl, shutdown, demotion ---------------------------------- */

/*
 * OpenBSD carp_carpdev_state: carrier lost -> INIT, timers stop, groups
 * demoted by +1 once (sc_suppress). No bow-out: the link is gone.
 */
static void
ev_link_down(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	become_init(fsm, "carrier lost", acts);
	if (!fsm->link_down) {
		fsm->link_down = 1;
		act_demote(acts, +1, "carrier lost");
	}
}

/* Carrier back: drop the +1 and, from INIT, setrun -> BACKUP. */
static void
ev_link_up(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	if (!fsm->link_down)
		return;		/* nothing held, nothing to restart */
	fsm->link_down = 0;
	act_demote(acts, -1, "carrier restored");
	if (fsm->state == CARP_S_INIT && !fsm->nat_held) {
		set_state(fsm, CARP_S_BACKUP, "carrier restored", acts);
		arm_master_down(fsm, now);
	}
}

static void
ev_force_master(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, struct carp_actions *acts)
{
	/* cannot be master without a carrier, nor behind NAT without a
	 * syncd that defers first packets */
	if (fsm->link_down || fsm->nat_held)
		return;
	switch (fsm->state) {
	case CARP_S_INIT:
	case CARP_S_BACKUP:
		become_master(fsm, now, "forced", acts);
		break;
	case CARP_S_MASTER:
		break;		/* already */
	default:
		break;		/* NOTREACHED */
	}
}

/* carpctl state backup: stop advertising, as OpenBSD SIOCSVH does; we take
 * over again after master-down if nobody else advertises. */
static void
ev_force_backup(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, struct carp_actions *acts)
{
	if (fsm->link_down || fsm->nat_held)
		return;
	switch (fsm->state) {
	case CARP_S_INIT:
	case CARP_S_MASTER:
		become_backup(fsm, now, "forced", acts);
		break;
	case CARP_S_BACKUP:
		arm_master_down(fsm, now);
		break;
	default:
		break;		/* NOTREACHED */
	}
}

/* OpenBSD SIOCSIFFLAGS down: a MASTER bows out with one 255/255 advert so
 * the backups take over at once, then everything goes to INIT. */
static void
ev_shutdown(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	switch (fsm->state) {
	case CARP_S_MASTER:
		act(acts, CARP_A_SEND_BOWOUT);
		become_init(fsm, "shutdown", acts);
		break;
	case CARP_S_BACKUP:
		become_init(fsm, "shutdown", acts);
		break;
	case CARP_S_INIT:
		clear_timers(fsm);
		break;
	default:
		break;		/* NOTREACHED */
	}
}

/* OpenBSD carp_ifgattr_ioctl: a demotion increase makes a MASTER advertise
 * at once so peers learn it now; the advert timer is left alone. */
static void
ev_demote(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	switch (fsm->state) {
	case CARP_S_MASTER:
		if (fsm->demote > ev->old_demote)
			act(acts, CARP_A_SEND_ADV);
		break;
	case CARP_S_INIT:
	case CARP_S_BACKUP:
		break;		/* the byte goes out with our next advert */
	default:
		break;		/* NOTREACHED */
	}
}

/*
 * balance-nat (carpd.conf(5) BALANCING): without a syncd that defers first
 * packets the node must take no bucket. A MASTER bows out as on shutdown,
 * so the other hosts of the group take its buckets at once; no demotion,
 * the node is not broken and its other vhosts must stay where they are.
 */
static void
ev_nat_hold(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	if (fsm->nat_held)
		return;
	fsm->nat_held = 1;
	if (fsm->state == CARP_S_MASTER)
		act(acts, CARP_A_SEND_BOWOUT);
	become_init(fsm, "no syncd with defer", acts);
}

/* A deferring syncd again: start as at carpd's start (ev->start), unless
 * the carrier is still gone (LINK_UP starts it then). */
static void
ev_nat_release(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, struct carp_actions *acts)
{
	if (!fsm->nat_held)
		return;
	fsm->nat_held = 0;
	if (!fsm->link_down && fsm->state == CARP_S_INIT)
		start_from_init(fsm, ev, now, "syncd defers", acts);
}

static void (*const ev_handlers[CARP_EV__MAX])(struct carp_fsm *,
    const struct carp_event *, uint64_t, struct carp_actions *) = {
	[CARP_EV_START]		= ev_start,
	[CARP_EV_ADV_RX]	= ev_adv_rx,
	[CARP_EV_TIMER]		= ev_timer,
	[CARP_EV_LINK_DOWN]	= ev_link_down,
	[CARP_EV_LINK_UP]	= ev_link_up,
	[CARP_EV_FORCE_MASTER]	= ev_force_master,
	[CARP_EV_FORCE_BACKUP]	= ev_force_backup,
	[CARP_EV_SHUTDOWN]	= ev_shutdown,
	[CARP_EV_DEMOTE]	= ev_demote,
	[CARP_EV_NAT_HOLD]	= ev_nat_hold,
	[CARP_EV_NAT_RELEASE]	= ev_nat_release,
};

void
carp_fsm_step(struct carp_fsm *fsm, const struct carp_event *ev,
    uint64_t now, struct carp_actions *acts)
{
	memset(acts, 0, sizeof(*acts));
	if ((unsigned int)ev->type >= CARP_EV__MAX ||
	    (unsigned int)fsm->state >= CARP_S__MAX)
		return;		/* corrupt input: do nothing rather than guess */
	assert(ev_handlers[ev->type] != NULL);
	ev_handlers[ev->type](fsm, ev, now, acts);
}
