/*
 * test_carp_fsm.c: the CARP state machine against OpenBSD ip_carp.c 1.370
 * semantics (carp-protocol.md 2.1-2.3, acceptance tests 7.3-7.5).
 * Action lists are rendered to one string with the test's own name tables
 * (independent of the module's), so a failure shows both lists in full:
 * types in order, STATE old>new:reason, DEMOTE_ADJ delta:reason.
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "carp_fsm.h"

#define SEC	1000000ULL
#define T0	(10 * SEC)		/* when the setup events run */
#define NOW	(T0 + SEC / 2)		/* event time: no timer due */

/* ------------------------------------------------------------------ */
/* helpers                                                            */
/* ------------------------------------------------------------------ */

static const char *
tname(enum carp_act_type t)
{
	static const char *const n[] = {
		[CARP_A_SEND_ADV] = "SEND_ADV",
		[CARP_A_SEND_BOWOUT] = "SEND_BOWOUT",
		[CARP_A_VIP_UP] = "VIP_UP",
		[CARP_A_VIP_DOWN] = "VIP_DOWN",
		[CARP_A_GARP] = "GARP",
		[CARP_A_STATE] = "STATE",
		[CARP_A_DEMOTE_ADJ] = "DEMOTE_ADJ",
	};

	if ((unsigned int)t >= sizeof(n) / sizeof(n[0]) || n[t] == NULL)
		return ("?");
	return (n[t]);
}

static const char *
sname(enum carp_state s)
{
	static const char *const n[] = { "INIT", "BACKUP", "MASTER" };

	if ((unsigned int)s >= sizeof(n) / sizeof(n[0]))
		return ("?");
	return (n[s]);
}

/* "STATE(BACKUP>MASTER:master down) VIP_UP GARP SEND_ADV"; a GARP of a
 * won contest or of garp-refresh shows as GARP(won) / GARP(refresh). */
static void
fmt_acts(const struct carp_actions *acts, char *buf, size_t len)
{
	const struct carp_action	*a;
	size_t				 off = 0;
	int				 i, r;

	buf[0] = '\0';
	for (i = 0; i < acts->n && i < CARP_MAX_ACTIONS && off < len; i++) {
		a = &acts->a[i];
		if (a->type == CARP_A_STATE)
			r = snprintf(buf + off, len - off, "%sSTATE(%s>%s:%s)",
			    i ? " " : "", sname(a->old_state),
			    sname(a->new_state),
			    a->reason ? a->reason : "NULL");
		else if (a->type == CARP_A_DEMOTE_ADJ)
			r = snprintf(buf + off, len - off,
			    "%sDEMOTE_ADJ(%+d:%s)", i ? " " : "", a->delta,
			    a->reason ? a->reason : "NULL");
		else if (a->type == CARP_A_GARP &&
		    (a->announce == CARP_ANN_WON ||
		    a->announce == CARP_ANN_REFRESH))
			r = snprintf(buf + off, len - off, "%sGARP(%s)",
			    i ? " " : "", a->announce == CARP_ANN_WON ?
			    "won" : "refresh");
		else
			r = snprintf(buf + off, len - off, "%s%s",
			    i ? " " : "", tname(a->type));
		if (r < 0)
			break;
		off += (size_t)r;
	}
}

static void
assert_acts(const struct carp_actions *acts, const char *want)
{
	char	buf[512];

	assert_true(acts->n >= 0 && acts->n <= CARP_MAX_ACTIONS);
	fmt_acts(acts, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void
step(struct carp_fsm *fsm, const struct carp_event *ev, uint64_t now,
    struct carp_actions *acts)
{
	carp_fsm_step(fsm, ev, now, acts);
}

static void
step_type(struct carp_fsm *fsm, enum carp_ev type, uint64_t now,
    struct carp_actions *acts)
{
	struct carp_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	step(fsm, &ev, now, acts);
}

static void
step_start(struct carp_fsm *fsm, enum carp_start how, uint64_t now,
    struct carp_actions *acts)
{
	struct carp_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CARP_EV_START;
	ev.start = how;
	step(fsm, &ev, now, acts);
}

static void
step_adv(struct carp_fsm *fsm, uint8_t advbase, uint8_t advskew,
    uint8_t demote, uint64_t now, struct carp_actions *acts)
{
	struct carp_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CARP_EV_ADV_RX;
	ev.advbase = advbase;
	ev.advskew = advskew;
	ev.demote = demote;
	step(fsm, &ev, now, acts);
}

static void
step_demote(struct carp_fsm *fsm, uint8_t demote, uint64_t now,
    struct carp_actions *acts)
{
	struct carp_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CARP_EV_DEMOTE;
	ev.old_demote = fsm->demote;
	fsm->demote = demote;
	step(fsm, &ev, now, acts);
}

/* An fsm in `state` since T0, reached through real events. */
static void
setup_state(struct carp_fsm *fsm, enum carp_state state, uint8_t advbase,
    uint8_t advskew, int preempt)
{
	struct carp_actions	acts;

	carp_fsm_init(fsm, advbase, advskew, preempt);
	if (state == CARP_S_BACKUP)
		step_start(fsm, CARP_START_BACKUP, T0, &acts);
	else if (state == CARP_S_MASTER)
		step_start(fsm, CARP_START_MASTER, T0, &acts);
	assert_int_equal(fsm->state, state);
}

/* ------------------------------------------------------------------ */
/* interval arithmetic (carp-protocol.md 2.1, OpenBSD carp_setrun)     */
/* ------------------------------------------------------------------ */

static void
test_interval(void **state)
{
	static const struct {
		uint8_t		base, skew;
		uint64_t	adv, md;
	} c[] = {
		{ 1,   0,   1000000,   3000000 },
		{ 0,   64,  250000,    750000 },
		{ 1,   100, 1390625,   4171875 },
		{ 0,   0,   3906,      11718 },	/* 0 -> 1/256 s */
		{ 0,   1,   3906,      11718 },	/* 1e6/256 truncated */
		/* 30e6/256 = 117187.5 truncates to 117187 first, then x3,
		 * exactly as OpenBSD's `3 * usec`. */
		{ 0,   30,  117187,    351561 },
		{ 0,   255, 996093,    2988279 },
		{ 3,   0,   3000000,   9000000 },
		{ 255, 255, 255996093, 767988279 },
	};
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(carp_interval_us(c[i].base, c[i].skew),
		    c[i].adv);
		assert_int_equal(carp_master_down_us(c[i].base, c[i].skew),
		    c[i].md);
	}
}

/* ------------------------------------------------------------------ */
/* names, init, deadlines, robustness                                  */
/* ------------------------------------------------------------------ */

static void
test_names(void **state)
{
	static const char *const st[] = { "INIT", "BACKUP", "MASTER" };
	static const char *const ev[] = { "START", "ADV_RX", "TIMER",
	    "LINK_DOWN", "LINK_UP", "FORCE_MASTER", "FORCE_BACKUP",
	    "SHUTDOWN", "DEMOTE", "NAT_HOLD", "NAT_RELEASE" };
	static const char *const ac[] = { "SEND_ADV", "SEND_BOWOUT",
	    "VIP_UP", "VIP_DOWN", "GARP", "STATE", "DEMOTE_ADJ" };
	int	i;

	(void)state;
	assert_int_equal(CARP_S__MAX, 3);
	assert_int_equal(CARP_EV__MAX, 11);
	assert_int_equal(CARP_A__MAX, 7);
	for (i = 0; i < CARP_S__MAX; i++)
		assert_string_equal(carp_state_names[i], st[i]);
	for (i = 0; i < CARP_EV__MAX; i++)
		assert_string_equal(carp_ev_names[i], ev[i]);
	for (i = 0; i < CARP_A__MAX; i++)
		assert_string_equal(carp_act_names[i], ac[i]);
}

static void
test_init(void **state)
{
	struct carp_fsm	fsm;

	(void)state;
	memset(&fsm, 0xa5, sizeof(fsm));
	carp_fsm_init(&fsm, 2, 77, 1);
	assert_int_equal(fsm.state, CARP_S_INIT);
	assert_int_equal(fsm.advbase, 2);
	assert_int_equal(fsm.advskew, 77);
	assert_int_equal(fsm.preempt, 1);
	assert_int_equal(fsm.demote, 0);
	assert_int_equal(fsm.link_down, 0);
	assert_int_equal(fsm.delayed_garp, 0);
	assert_int_equal(fsm.ad_deadline, 0);
	assert_int_equal(fsm.md_deadline, 0);
	assert_int_equal(carp_fsm_next_deadline(&fsm), 0);
}

static void
test_next_deadline(void **state)
{
	static const struct {
		uint64_t	ad, md, want;
	} c[] = {
		{ 0, 0, 0 }, { 5, 0, 5 }, { 0, 7, 7 }, { 5, 7, 5 },
		{ 9, 7, 7 }, { 7, 7, 7 },
	};
	struct carp_fsm	fsm;
	size_t		i;

	(void)state;
	carp_fsm_init(&fsm, 1, 0, 0);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		fsm.ad_deadline = c[i].ad;
		fsm.md_deadline = c[i].md;
		assert_int_equal(carp_fsm_next_deadline(&fsm), c[i].want);
	}
}

/* step clears a dirty action list; bad event or state values do nothing. */
static void
test_robustness(void **state)
{
	struct carp_fsm		fsm, before;
	struct carp_actions	acts;
	struct carp_event	ev;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	memset(&acts, 0x5a, sizeof(acts));
	acts.n = 7;
	step_type(&fsm, CARP_EV_START, NOW, &acts);	/* a no-op pair */
	assert_int_equal(acts.n, 0);

	memset(&ev, 0, sizeof(ev));
	ev.type = CARP_EV__MAX;
	before = fsm;
	acts.n = 3;
	step(&fsm, &ev, NOW + 100 * SEC, &acts);
	assert_int_equal(acts.n, 0);
	assert_memory_equal(&fsm, &before, sizeof(fsm));

	fsm.state = CARP_S__MAX;
	before = fsm;
	step_type(&fsm, CARP_EV_TIMER, NOW + 100 * SEC, &acts);
	assert_int_equal(acts.n, 0);
	assert_memory_equal(&fsm, &before, sizeof(fsm));
}

/* ------------------------------------------------------------------ */
/* every (state, event) pair                                           */
/* ------------------------------------------------------------------ */

/* Starting points; LINKDOWN is INIT with link_down set (carrier lost
 * while BACKUP). All use advbase 1, advskew 0 (T = 1 s), preempt 0. */
enum setup { SU_INIT, SU_BACKUP, SU_MASTER, SU_LINKDOWN, SU__MAX };

struct pair_case {
	const char	*name;
	enum setup	 setup;
	enum carp_ev	 ev;
	enum carp_start	 start;		/* START */
	uint8_t		 pb, ps, pd;	/* ADV_RX: peer advbase/skew/demote */
	uint8_t		 demote;	/* DEMOTE: new fsm->demote */
	uint8_t		 old_demote;	/* DEMOTE: previous value */
	uint64_t	 now;
	/* expected */
	enum carp_state	 state;
	const char	*acts;
	uint64_t	 ad, md;
	int		 link_down;
	int		 dgarp;
};

#define TAKE(s, why)	"STATE(" s ">MASTER:" why ") VIP_UP GARP SEND_ADV"
#define NOT_DUE		.now = NOW

static const struct pair_case pair_cases[] = {
	/* ---- INIT ---- */
	{ "INIT START backup", SU_INIT, CARP_EV_START, CARP_START_BACKUP,
	  NOT_DUE, .state = CARP_S_BACKUP, .acts = "STATE(INIT>BACKUP:start)",
	  .md = NOW + 3 * SEC },
	{ "INIT START master", SU_INIT, CARP_EV_START, CARP_START_MASTER,
	  NOT_DUE, .state = CARP_S_MASTER,
	  .acts = TAKE("INIT", "configured master"), .ad = NOW + SEC,
	  .dgarp = 2 },
	{ "INIT START init", SU_INIT, CARP_EV_START, CARP_START_INIT,
	  NOT_DUE, .state = CARP_S_INIT, .acts = "" },
	{ "INIT ADV_RX demoted peer", SU_INIT, CARP_EV_ADV_RX, .pb = 1,
	  .pd = 200, NOT_DUE, .state = CARP_S_INIT, .acts = "" },
	{ "INIT TIMER", SU_INIT, CARP_EV_TIMER, .now = NOW + 100 * SEC,
	  .state = CARP_S_INIT, .acts = "" },
	{ "INIT LINK_DOWN", SU_INIT, CARP_EV_LINK_DOWN, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "DEMOTE_ADJ(+1:carrier lost)",
	  .link_down = 1 },
	{ "INIT LINK_UP (carrier was up)", SU_INIT, CARP_EV_LINK_UP, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "" },
	{ "INIT FORCE_MASTER", SU_INIT, CARP_EV_FORCE_MASTER, NOT_DUE,
	  .state = CARP_S_MASTER, .acts = TAKE("INIT", "forced"),
	  .ad = NOW + SEC, .dgarp = 2 },
	{ "INIT FORCE_BACKUP", SU_INIT, CARP_EV_FORCE_BACKUP, NOT_DUE,
	  .state = CARP_S_BACKUP, .acts = "STATE(INIT>BACKUP:forced)",
	  .md = NOW + 3 * SEC },
	{ "INIT SHUTDOWN", SU_INIT, CARP_EV_SHUTDOWN, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "" },
	{ "INIT DEMOTE up", SU_INIT, CARP_EV_DEMOTE, .demote = 5, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "" },
	{ "INIT NAT_HOLD", SU_INIT, CARP_EV_NAT_HOLD, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "" },
	{ "INIT NAT_RELEASE (not held)", SU_INIT, CARP_EV_NAT_RELEASE,
	  CARP_START_BACKUP, NOT_DUE, .state = CARP_S_INIT, .acts = "" },

	/* ---- BACKUP (md = T0 + 3 s) ---- */
	{ "BACKUP START master", SU_BACKUP, CARP_EV_START, CARP_START_MASTER,
	  NOT_DUE, .state = CARP_S_BACKUP, .acts = "", .md = T0 + 3 * SEC },
	{ "BACKUP ADV_RX equal", SU_BACKUP, CARP_EV_ADV_RX, .pb = 1, NOT_DUE,
	  .state = CARP_S_BACKUP, .acts = "", .md = NOW + 3 * SEC },
	{ "BACKUP TIMER 1us early", SU_BACKUP, CARP_EV_TIMER,
	  .now = T0 + 3 * SEC - 1, .state = CARP_S_BACKUP, .acts = "",
	  .md = T0 + 3 * SEC },
	{ "BACKUP TIMER due", SU_BACKUP, CARP_EV_TIMER, .now = T0 + 3 * SEC,
	  .state = CARP_S_MASTER, .acts = TAKE("BACKUP", "master down"),
	  .ad = T0 + 4 * SEC, .dgarp = 2 },
	{ "BACKUP TIMER late", SU_BACKUP, CARP_EV_TIMER, .now = T0 + 5 * SEC,
	  .state = CARP_S_MASTER, .acts = TAKE("BACKUP", "master down"),
	  .ad = T0 + 6 * SEC, .dgarp = 2 },
	{ "BACKUP LINK_DOWN", SU_BACKUP, CARP_EV_LINK_DOWN, NOT_DUE,
	  .state = CARP_S_INIT,
	  .acts = "STATE(BACKUP>INIT:carrier lost) "
	  "DEMOTE_ADJ(+1:carrier lost)", .link_down = 1 },
	{ "BACKUP LINK_UP (carrier was up)", SU_BACKUP, CARP_EV_LINK_UP,
	  NOT_DUE, .state = CARP_S_BACKUP, .acts = "", .md = T0 + 3 * SEC },
	{ "BACKUP FORCE_MASTER", SU_BACKUP, CARP_EV_FORCE_MASTER, NOT_DUE,
	  .state = CARP_S_MASTER, .acts = TAKE("BACKUP", "forced"),
	  .ad = NOW + SEC, .dgarp = 2 },
	{ "BACKUP FORCE_BACKUP re-arms", SU_BACKUP, CARP_EV_FORCE_BACKUP,
	  NOT_DUE, .state = CARP_S_BACKUP, .acts = "", .md = NOW + 3 * SEC },
	{ "BACKUP SHUTDOWN", SU_BACKUP, CARP_EV_SHUTDOWN, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "STATE(BACKUP>INIT:shutdown)" },
	{ "BACKUP DEMOTE up", SU_BACKUP, CARP_EV_DEMOTE, .demote = 5, NOT_DUE,
	  .state = CARP_S_BACKUP, .acts = "", .md = T0 + 3 * SEC },
	{ "BACKUP NAT_HOLD", SU_BACKUP, CARP_EV_NAT_HOLD, NOT_DUE,
	  .state = CARP_S_INIT,
	  .acts = "STATE(BACKUP>INIT:no syncd with defer)" },
	{ "BACKUP NAT_RELEASE (not held)", SU_BACKUP, CARP_EV_NAT_RELEASE,
	  CARP_START_BACKUP, NOT_DUE, .state = CARP_S_BACKUP, .acts = "",
	  .md = T0 + 3 * SEC },

	/* ---- MASTER (ad = T0 + 1 s, delayed GARP 2) ---- */
	{ "MASTER START backup", SU_MASTER, CARP_EV_START, CARP_START_BACKUP,
	  NOT_DUE, .state = CARP_S_MASTER, .acts = "", .ad = T0 + SEC,
	  .dgarp = 2 },
	{ "MASTER ADV_RX equal yields", SU_MASTER, CARP_EV_ADV_RX, .pb = 1,
	  NOT_DUE, .state = CARP_S_BACKUP,
	  .acts = "STATE(MASTER>BACKUP:more frequent advert) VIP_DOWN",
	  .md = NOW + 3 * SEC },
	{ "MASTER TIMER 1us early", SU_MASTER, CARP_EV_TIMER,
	  .now = T0 + SEC - 1, .state = CARP_S_MASTER, .acts = "",
	  .ad = T0 + SEC, .dgarp = 2 },
	{ "MASTER TIMER due", SU_MASTER, CARP_EV_TIMER, .now = T0 + SEC,
	  .state = CARP_S_MASTER, .acts = "SEND_ADV", .ad = T0 + 2 * SEC,
	  .dgarp = 1 },
	{ "MASTER LINK_DOWN", SU_MASTER, CARP_EV_LINK_DOWN, NOT_DUE,
	  .state = CARP_S_INIT,
	  .acts = "VIP_DOWN STATE(MASTER>INIT:carrier lost) "
	  "DEMOTE_ADJ(+1:carrier lost)", .link_down = 1 },
	{ "MASTER LINK_UP (carrier was up)", SU_MASTER, CARP_EV_LINK_UP,
	  NOT_DUE, .state = CARP_S_MASTER, .acts = "", .ad = T0 + SEC,
	  .dgarp = 2 },
	{ "MASTER FORCE_MASTER", SU_MASTER, CARP_EV_FORCE_MASTER, NOT_DUE,
	  .state = CARP_S_MASTER, .acts = "", .ad = T0 + SEC, .dgarp = 2 },
	{ "MASTER FORCE_BACKUP", SU_MASTER, CARP_EV_FORCE_BACKUP, NOT_DUE,
	  .state = CARP_S_BACKUP,
	  .acts = "STATE(MASTER>BACKUP:forced) VIP_DOWN",
	  .md = NOW + 3 * SEC },
	{ "MASTER SHUTDOWN bows out", SU_MASTER, CARP_EV_SHUTDOWN, NOT_DUE,
	  .state = CARP_S_INIT,
	  .acts = "SEND_BOWOUT VIP_DOWN STATE(MASTER>INIT:shutdown)" },
	{ "MASTER DEMOTE up", SU_MASTER, CARP_EV_DEMOTE, .demote = 5,
	  .old_demote = 0, NOT_DUE, .state = CARP_S_MASTER,
	  .acts = "SEND_ADV", .ad = T0 + SEC, .dgarp = 2 },
	{ "MASTER DEMOTE down", SU_MASTER, CARP_EV_DEMOTE, .demote = 2,
	  .old_demote = 5, NOT_DUE, .state = CARP_S_MASTER, .acts = "",
	  .ad = T0 + SEC, .dgarp = 2 },
	{ "MASTER DEMOTE same", SU_MASTER, CARP_EV_DEMOTE, .demote = 5,
	  .old_demote = 5, NOT_DUE, .state = CARP_S_MASTER, .acts = "",
	  .ad = T0 + SEC, .dgarp = 2 },
	{ "MASTER NAT_HOLD bows out", SU_MASTER, CARP_EV_NAT_HOLD, NOT_DUE,
	  .state = CARP_S_INIT,
	  .acts = "SEND_BOWOUT VIP_DOWN STATE(MASTER>INIT:no syncd with "
	  "defer)" },
	{ "MASTER NAT_RELEASE (not held)", SU_MASTER, CARP_EV_NAT_RELEASE,
	  CARP_START_BACKUP, NOT_DUE, .state = CARP_S_MASTER, .acts = "",
	  .ad = T0 + SEC, .dgarp = 2 },

	/* ---- INIT with carrier lost ---- */
	{ "LINKDOWN START backup", SU_LINKDOWN, CARP_EV_START,
	  CARP_START_BACKUP, NOT_DUE, .state = CARP_S_INIT, .acts = "",
	  .link_down = 1 },
	{ "LINKDOWN START master", SU_LINKDOWN, CARP_EV_START,
	  CARP_START_MASTER, NOT_DUE, .state = CARP_S_INIT, .acts = "",
	  .link_down = 1 },
	{ "LINKDOWN ADV_RX demoted peer", SU_LINKDOWN, CARP_EV_ADV_RX,
	  .pb = 255, .ps = 255, .pd = 200, NOT_DUE, .state = CARP_S_INIT,
	  .acts = "", .link_down = 1 },
	{ "LINKDOWN TIMER", SU_LINKDOWN, CARP_EV_TIMER, .now = NOW + 100 * SEC,
	  .state = CARP_S_INIT, .acts = "", .link_down = 1 },
	{ "LINKDOWN LINK_DOWN again: no second +1", SU_LINKDOWN,
	  CARP_EV_LINK_DOWN, NOT_DUE, .state = CARP_S_INIT, .acts = "",
	  .link_down = 1 },
	{ "LINKDOWN LINK_UP", SU_LINKDOWN, CARP_EV_LINK_UP, NOT_DUE,
	  .state = CARP_S_BACKUP,
	  .acts = "DEMOTE_ADJ(-1:carrier restored) "
	  "STATE(INIT>BACKUP:carrier restored)", .md = NOW + 3 * SEC },
	{ "LINKDOWN FORCE_MASTER", SU_LINKDOWN, CARP_EV_FORCE_MASTER, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "", .link_down = 1 },
	{ "LINKDOWN FORCE_BACKUP", SU_LINKDOWN, CARP_EV_FORCE_BACKUP, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "", .link_down = 1 },
	{ "LINKDOWN SHUTDOWN", SU_LINKDOWN, CARP_EV_SHUTDOWN, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "", .link_down = 1 },
	{ "LINKDOWN DEMOTE up", SU_LINKDOWN, CARP_EV_DEMOTE, .demote = 5,
	  NOT_DUE, .state = CARP_S_INIT, .acts = "", .link_down = 1 },
	{ "LINKDOWN NAT_HOLD: no demotion", SU_LINKDOWN, CARP_EV_NAT_HOLD,
	  NOT_DUE, .state = CARP_S_INIT, .acts = "", .link_down = 1 },
	{ "LINKDOWN NAT_RELEASE (not held)", SU_LINKDOWN,
	  CARP_EV_NAT_RELEASE, CARP_START_BACKUP, NOT_DUE,
	  .state = CARP_S_INIT, .acts = "", .link_down = 1 },
};

static void
pair_setup(struct carp_fsm *fsm, enum setup su)
{
	struct carp_actions	acts;

	switch (su) {
	case SU_INIT:
		setup_state(fsm, CARP_S_INIT, 1, 0, 0);
		break;
	case SU_BACKUP:
		setup_state(fsm, CARP_S_BACKUP, 1, 0, 0);
		break;
	case SU_MASTER:
		setup_state(fsm, CARP_S_MASTER, 1, 0, 0);
		break;
	case SU_LINKDOWN:
		setup_state(fsm, CARP_S_BACKUP, 1, 0, 0);
		step_type(fsm, CARP_EV_LINK_DOWN, T0, &acts);
		assert_int_equal(fsm->link_down, 1);
		break;
	default:
		fail();
	}
}

static void
run_pair(const struct pair_case *c)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	struct carp_event	ev;
	uint64_t		next;
	char			buf[512];

	pair_setup(&fsm, c->setup);
	memset(&ev, 0, sizeof(ev));
	ev.type = c->ev;
	ev.start = c->start;
	ev.advbase = c->pb;
	ev.advskew = c->ps;
	ev.demote = c->pd;
	if (c->ev == CARP_EV_DEMOTE) {
		fsm.demote = c->demote;
		ev.old_demote = c->old_demote;
	}
	step(&fsm, &ev, c->now, &acts);
	fmt_acts(&acts, buf, sizeof(buf));
	if (fsm.state != c->state || strcmp(buf, c->acts) != 0 ||
	    fsm.ad_deadline != c->ad || fsm.md_deadline != c->md ||
	    fsm.link_down != c->link_down || fsm.delayed_garp != c->dgarp)
		print_message("case \"%s\" fails\n", c->name);

	assert_int_equal(fsm.state, c->state);
	assert_acts(&acts, c->acts);
	assert_int_equal(fsm.ad_deadline, c->ad);
	assert_int_equal(fsm.md_deadline, c->md);
	assert_int_equal(fsm.link_down, c->link_down);
	assert_int_equal(fsm.delayed_garp, c->dgarp);
	/* settings are never touched by the machine */
	assert_int_equal(fsm.advbase, 1);
	assert_int_equal(fsm.advskew, 0);
	assert_int_equal(fsm.preempt, 0);
	assert_int_equal(fsm.demote, c->ev == CARP_EV_DEMOTE ? c->demote : 0);
	/* one timer at most, and it matches the state */
	next = c->ad != 0 ? c->ad : c->md;
	assert_int_equal(carp_fsm_next_deadline(&fsm), next);
	if (fsm.state == CARP_S_INIT)
		assert_int_equal(next, 0);
	else
		assert_true(next > c->now);
}

static void
test_every_pair(void **state)
{
	int	covered[SU__MAX][CARP_EV__MAX];
	size_t	i;
	int	s, e;

	(void)state;
	memset(covered, 0, sizeof(covered));
	for (i = 0; i < sizeof(pair_cases) / sizeof(pair_cases[0]); i++) {
		run_pair(&pair_cases[i]);
		covered[pair_cases[i].setup][pair_cases[i].ev] = 1;
	}
	/* the table itself must cover every pair */
	for (s = 0; s < SU__MAX; s++)
		for (e = 0; e < CARP_EV__MAX; e++) {
			if (!covered[s][e])
				print_message("missing pair %d/%s\n", s,
				    carp_ev_names[e]);
			assert_true(covered[s][e]);
		}
}

/* ------------------------------------------------------------------ */
/* master/backup decision table (carp-protocol.md 2.2, test 7.5)      */
/* ------------------------------------------------------------------ */

/* Ours: advbase 1, advskew 100, demote D = 10. Peers chosen so that the
 * order is lexicographic, not by skew alone: slower (2,0), equal (1,100),
 * faster (0,255). d is D-5, D or D+5. */
enum speed { SLOWER, EQUAL, FASTER };
enum outcome {
	STAY,		/* MASTER stays, re-announces (won contest) */
	YIELD_FREQ,	/* MASTER -> BACKUP "more frequent advert" */
	YIELD_DEM,	/* MASTER -> BACKUP "peer less demoted" */
	TAKE_PREEMPT,	/* BACKUP -> MASTER "preempt" */
	TAKE_DEMOTED,	/* BACKUP -> MASTER "peer demoted" */
	REARM,		/* BACKUP stays, master-down re-armed */
};

struct dec_case {
	enum carp_state	from;
	enum speed	speed;
	int		drel;		/* sign of d - D */
	int		preempt;
	enum outcome	out;
};

#define M	CARP_S_MASTER
#define B	CARP_S_BACKUP
static const struct dec_case dec_cases[] = {
	/* MASTER: yield iff (my >= ch && d <= D) || d < D; preempt moot */
	{ M, SLOWER, -1, 0, YIELD_DEM },   { M, SLOWER, -1, 1, YIELD_DEM },
	{ M, SLOWER,  0, 0, STAY },        { M, SLOWER,  0, 1, STAY },
	{ M, SLOWER,  1, 0, STAY },        { M, SLOWER,  1, 1, STAY },
	{ M, EQUAL,  -1, 0, YIELD_DEM },   { M, EQUAL,  -1, 1, YIELD_DEM },
	{ M, EQUAL,   0, 0, YIELD_FREQ },  { M, EQUAL,   0, 1, YIELD_FREQ },
	{ M, EQUAL,   1, 0, STAY },        { M, EQUAL,   1, 1, STAY },
	{ M, FASTER, -1, 0, YIELD_DEM },   { M, FASTER, -1, 1, YIELD_DEM },
	{ M, FASTER,  0, 0, YIELD_FREQ },  { M, FASTER,  0, 1, YIELD_FREQ },
	{ M, FASTER,  1, 0, STAY },        { M, FASTER,  1, 1, STAY },
	/* BACKUP: preempt && my < ch && d >= D; d > D; else re-arm (none
	 * of these peers is slower than 3*advbase = 3 s) */
	{ B, SLOWER, -1, 0, REARM },       { B, SLOWER, -1, 1, REARM },
	{ B, SLOWER,  0, 0, REARM },       { B, SLOWER,  0, 1, TAKE_PREEMPT },
	{ B, SLOWER,  1, 0, TAKE_DEMOTED }, { B, SLOWER,  1, 1, TAKE_PREEMPT },
	{ B, EQUAL,  -1, 0, REARM },       { B, EQUAL,  -1, 1, REARM },
	{ B, EQUAL,   0, 0, REARM },       { B, EQUAL,   0, 1, REARM },
	{ B, EQUAL,   1, 0, TAKE_DEMOTED }, { B, EQUAL,   1, 1, TAKE_DEMOTED },
	{ B, FASTER, -1, 0, REARM },       { B, FASTER, -1, 1, REARM },
	{ B, FASTER,  0, 0, REARM },       { B, FASTER,  0, 1, REARM },
	{ B, FASTER,  1, 0, TAKE_DEMOTED }, { B, FASTER,  1, 1, TAKE_DEMOTED },
};
#undef M
#undef B

static void
check_outcome(const struct carp_fsm *fsm, const struct carp_actions *acts,
    enum outcome out, uint64_t t)
{
	static const char *const want[] = {
		[STAY] = "GARP(won)",
		[YIELD_FREQ] =
		    "STATE(MASTER>BACKUP:more frequent advert) VIP_DOWN",
		[YIELD_DEM] = "STATE(MASTER>BACKUP:peer less demoted) VIP_DOWN",
		[TAKE_PREEMPT] = TAKE("BACKUP", "preempt"),
		[TAKE_DEMOTED] = TAKE("BACKUP", "peer demoted"),
		[REARM] = "",
	};

	assert_acts(acts, want[out]);
	switch (out) {
	case STAY:
		assert_int_equal(fsm->state, CARP_S_MASTER);
		assert_int_equal(fsm->ad_deadline, T0 + t);	/* untouched */
		assert_int_equal(fsm->md_deadline, 0);
		break;
	case YIELD_FREQ:
	case YIELD_DEM:
	case REARM:
		assert_int_equal(fsm->state, CARP_S_BACKUP);
		assert_int_equal(fsm->ad_deadline, 0);
		assert_int_equal(fsm->md_deadline, NOW + 3 * t);
		break;
	case TAKE_PREEMPT:
	case TAKE_DEMOTED:
		assert_int_equal(fsm->state, CARP_S_MASTER);
		assert_int_equal(fsm->ad_deadline, NOW + t);
		assert_int_equal(fsm->md_deadline, 0);
		assert_int_equal(fsm->delayed_garp, 2);
		break;
	}
}

static void
test_decision_table(void **state)
{
	static const uint8_t	peer[3][2] = {
		[SLOWER] = { 2, 0 }, [EQUAL] = { 1, 100 }, [FASTER] = { 0, 255 }
	};
	const struct dec_case	*c;
	struct carp_fsm		 fsm;
	struct carp_actions	 acts;
	uint64_t		 t = carp_interval_us(1, 100);
	size_t			 i;

	(void)state;
	assert_int_equal(sizeof(dec_cases) / sizeof(dec_cases[0]), 36);
	assert_int_equal(t, 1390625);
	for (i = 0; i < sizeof(dec_cases) / sizeof(dec_cases[0]); i++) {
		c = &dec_cases[i];
		setup_state(&fsm, c->from, 1, 100, c->preempt);
		fsm.demote = 10;
		step_adv(&fsm, peer[c->speed][0], peer[c->speed][1],
		    (uint8_t)(10 + 5 * c->drel), NOW, &acts);
		if (acts.n != (c->out == REARM ? 0 : c->out == STAY ? 1 :
		    c->out == YIELD_FREQ || c->out == YIELD_DEM ? 2 : 4))
			print_message("row %zu (%s speed %d d-D %d preempt %d)"
			    " fails\n", i, sname(c->from), c->speed, c->drel,
			    c->preempt);
		check_outcome(&fsm, &acts, c->out, t);
	}
}

/* Same advbase: advskew alone decides, by one step. */
static void
test_decision_skew_only(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_BACKUP, 1, 100, 1);
	step_adv(&fsm, 1, 99, 0, NOW, &acts);
	assert_acts(&acts, "");
	step_adv(&fsm, 1, 101, 0, NOW, &acts);
	assert_acts(&acts, TAKE("BACKUP", "preempt"));

	setup_state(&fsm, CARP_S_MASTER, 1, 100, 0);
	step_adv(&fsm, 1, 101, 0, NOW, &acts);
	assert_acts(&acts, "GARP(won)");
	step_adv(&fsm, 1, 99, 0, NOW, &acts);
	assert_acts(&acts, "STATE(MASTER>BACKUP:more frequent advert) "
	    "VIP_DOWN");
}

/* preempt-delay: no preemption before preempt_after, at once after it;
 * a demoted or dead master is taken over whatever the delay. */
static void
test_preempt_delay(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_BACKUP, 1, 0, 1);
	fsm.preempt_after = NOW + 5 * SEC;
	step_adv(&fsm, 1, 100, 0, NOW, &acts);		/* slower master */
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_BACKUP);
	step_adv(&fsm, 1, 100, 0, NOW + 5 * SEC - 1, &acts);
	assert_acts(&acts, "");
	step_adv(&fsm, 1, 100, 0, NOW + 5 * SEC, &acts);
	assert_acts(&acts, TAKE("BACKUP", "preempt"));

	setup_state(&fsm, CARP_S_BACKUP, 1, 0, 1);
	fsm.preempt_after = NOW + 5 * SEC;
	step_adv(&fsm, 1, 100, 1, NOW, &acts);		/* more demoted */
	assert_acts(&acts, TAKE("BACKUP", "peer demoted"));
}

/* ------------------------------------------------------------------ */
/* bow-out and the 3*advbase shortcut                                   */
/* ------------------------------------------------------------------ */

static void
test_bowout_takeover(void **state)
{
	static const struct {
		uint8_t		base, skew;	/* ours */
		int		preempt;
		uint8_t		pb, ps, pd;	/* the advert; D = 0 */
		const char	*acts;
	} c[] = {
		/* a 255/255 bow-out: take over at once, even without
		 * preempt */
		{ 1, 0, 0, 255, 255, 0,
		  TAKE("BACKUP", "peer slower than 3*advbase") },
		{ 1, 200, 0, 255, 255, 0,
		  TAKE("BACKUP", "peer slower than 3*advbase") },
		/* the limit is 3*advbase s, strictly */
		{ 1, 0, 0, 3, 0, 0, "" },
		{ 1, 0, 0, 3, 1, 0,
		  TAKE("BACKUP", "peer slower than 3*advbase") },
		/* 85 s*3 = 255 s < 255.996 s; 86*3 = 258 s is not */
		{ 85, 0, 0, 255, 255, 0,
		  TAKE("BACKUP", "peer slower than 3*advbase") },
		{ 86, 0, 0, 255, 255, 0, "" },
		/* advbase 0 skips the shortcut ... */
		{ 0, 100, 0, 255, 255, 0, "" },
		/* ... unless another rule applies */
		{ 0, 100, 1, 255, 255, 0, TAKE("BACKUP", "preempt") },
		{ 0, 100, 0, 255, 255, 1, TAKE("BACKUP", "peer demoted") },
	};
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		setup_state(&fsm, CARP_S_BACKUP, c[i].base, c[i].skew,
		    c[i].preempt);
		step_adv(&fsm, c[i].pb, c[i].ps, c[i].pd, NOW, &acts);
		if (acts.n != (c[i].acts[0] == '\0' ? 0 : 4))
			print_message("bow-out row %zu fails\n", i);
		assert_acts(&acts, c[i].acts);
		if (c[i].acts[0] == '\0') {
			assert_int_equal(fsm.state, CARP_S_BACKUP);
			assert_int_equal(fsm.md_deadline, NOW +
			    carp_master_down_us(c[i].base, c[i].skew));
		} else
			assert_int_equal(fsm.state, CARP_S_MASTER);
	}
}

/* A bow-out reaching a MASTER is just a slower advert: stay (and
 * re-announce, as for any less preferred node heard). */
static void
test_bowout_seen_by_master(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 1);
	step_adv(&fsm, 255, 255, 0, NOW, &acts);
	assert_acts(&acts, "GARP(won)");
	assert_int_equal(fsm.state, CARP_S_MASTER);
	assert_int_equal(fsm.ad_deadline, T0 + SEC);
}

/* End to end: our MASTER's SHUTDOWN bows out; the peer BACKUP takes over
 * on the advert that action stands for. */
static void
test_bowout_pair(void **state)
{
	struct carp_fsm		a, b;
	struct carp_actions	acts;

	(void)state;
	setup_state(&a, CARP_S_MASTER, 1, 0, 0);
	setup_state(&b, CARP_S_BACKUP, 1, 50, 0);
	step_type(&a, CARP_EV_SHUTDOWN, NOW, &acts);
	assert_int_equal(acts.n, 3);
	assert_int_equal(acts.a[0].type, CARP_A_SEND_BOWOUT);
	step_adv(&b, 255, 255, a.demote, NOW + 100, &acts);
	assert_int_equal(b.state, CARP_S_MASTER);
	assert_acts(&acts, TAKE("BACKUP", "peer slower than 3*advbase"));
}

/* ------------------------------------------------------------------ */
/* timers                                                              */
/* ------------------------------------------------------------------ */

/* Master-down uses the backup's own 3*T, and each advert pushes it. */
static void
test_master_down_own_interval(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_BACKUP, 0, 30, 0);
	assert_int_equal(fsm.md_deadline, T0 + 351561);
	step_adv(&fsm, 1, 0, 0, T0 + 100000, &acts);	/* slow master */
	assert_acts(&acts, "");
	assert_int_equal(fsm.md_deadline, T0 + 100000 + 351561);
	step_type(&fsm, CARP_EV_TIMER, T0 + 351561, &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_BACKUP);
	step_type(&fsm, CARP_EV_TIMER, T0 + 100000 + 351561, &acts);
	assert_acts(&acts, TAKE("BACKUP", "master down"));
	assert_int_equal(fsm.ad_deadline, T0 + 100000 + 351561 + 117187);
}

/* The advert deadline advances by exactly T from the previous deadline,
 * however late (< T) the timer fires, so there is no drift. */
static void
test_timer_no_drift(void **state)
{
	static const uint8_t	cfg[][2] = { { 1, 0 }, { 0, 64 }, { 1, 100 } };
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	uint64_t		t, due, late, seed = 12345;
	size_t			k;
	int			i;

	(void)state;
	for (k = 0; k < sizeof(cfg) / sizeof(cfg[0]); k++) {
		setup_state(&fsm, CARP_S_MASTER, cfg[k][0], cfg[k][1], 0);
		t = carp_interval_us(cfg[k][0], cfg[k][1]);
		for (i = 1; i <= 1000; i++) {
			due = T0 + (uint64_t)i * t;
			assert_int_equal(fsm.ad_deadline, due);
			seed = seed * 6364136223846793005ULL +
			    1442695040888963407ULL;
			late = (seed >> 33) % t;	/* 0 .. t-1 */
			if (i == 1)
				late = t - 1;		/* the worst case */
			step_type(&fsm, CARP_EV_TIMER, due + late, &acts);
			assert_int_equal(acts.a[acts.n - 1].type, CARP_A_SEND_ADV);
		}
		assert_int_equal(fsm.ad_deadline, T0 + 1001 * t);
	}
}

/* Asleep for more than T: restart from now, one advert, no burst. */
static void
test_timer_overslept(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	uint64_t		now;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	now = T0 + SEC + SEC + 5;		/* deadline + T + 5 */
	step_type(&fsm, CARP_EV_TIMER, now, &acts);
	assert_acts(&acts, "SEND_ADV");
	assert_int_equal(fsm.ad_deadline, now + SEC);
	/* exactly one T late: old + T is not in the future either (this
	 * is the 2nd timer advert, so the delayed GARP rides along) */
	now = fsm.ad_deadline + SEC;
	step_type(&fsm, CARP_EV_TIMER, now, &acts);
	assert_acts(&acts, "GARP SEND_ADV");
	assert_int_equal(fsm.ad_deadline, now + SEC);
	/* and a second timer at the same instant sends nothing */
	step_type(&fsm, CARP_EV_TIMER, now, &acts);
	assert_acts(&acts, "");
}

/* A GARP on takeover, a second one with the 2nd timer advert, then no
 * more (OpenBSD sc_delayed_arp = 2). */
static void
test_delayed_garp(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	uint64_t		now;
	int			i, garps = 0;

	(void)state;
	setup_state(&fsm, CARP_S_BACKUP, 1, 0, 0);
	now = T0 + 3 * SEC;
	step_type(&fsm, CARP_EV_TIMER, now, &acts);
	assert_acts(&acts, TAKE("BACKUP", "master down"));
	/* a demotion advert in between does not count */
	step_demote(&fsm, 3, now + 10, &acts);
	assert_acts(&acts, "SEND_ADV");
	assert_int_equal(fsm.delayed_garp, 2);
	step_type(&fsm, CARP_EV_TIMER, now + SEC, &acts);
	assert_acts(&acts, "SEND_ADV");
	step_type(&fsm, CARP_EV_TIMER, now + 2 * SEC, &acts);
	assert_acts(&acts, "GARP SEND_ADV");
	for (i = 3; i < 50; i++) {
		step_type(&fsm, CARP_EV_TIMER, now + (uint64_t)i * SEC, &acts);
		assert_acts(&acts, "SEND_ADV");
		garps += acts.a[0].type == CARP_A_GARP;
	}
	assert_int_equal(garps, 0);
	assert_int_equal(fsm.delayed_garp, 0);
}

/* Yielding cancels a pending delayed GARP; a new takeover re-arms it. */
static void
test_delayed_garp_reset(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	uint64_t		now = T0;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	step_type(&fsm, CARP_EV_TIMER, now + SEC, &acts);
	assert_acts(&acts, "SEND_ADV");
	assert_int_equal(fsm.delayed_garp, 1);
	step_adv(&fsm, 1, 0, 0, now + SEC + 10, &acts);		/* yield */
	assert_int_equal(fsm.state, CARP_S_BACKUP);
	assert_int_equal(fsm.delayed_garp, 0);
	now = fsm.md_deadline;
	step_type(&fsm, CARP_EV_TIMER, now, &acts);
	assert_acts(&acts, TAKE("BACKUP", "master down"));
	step_type(&fsm, CARP_EV_TIMER, now + SEC, &acts);
	assert_acts(&acts, "SEND_ADV");
	step_type(&fsm, CARP_EV_TIMER, now + 2 * SEC, &acts);
	assert_acts(&acts, "GARP SEND_ADV");
}

/* ------------------------------------------------------------------ */
/* link and demotion                                                   */
/* ------------------------------------------------------------------ */

static int
delta_sum(const struct carp_actions *acts)
{
	int	i, sum = 0;

	for (i = 0; i < acts->n; i++)
		if (acts->a[i].type == CARP_A_DEMOTE_ADJ)
			sum += acts->a[i].delta;
	return (sum);
}

/* +1 once however often the carrier drops, -1 once when it returns; a
 * MASTER comes back as BACKUP, never straight to MASTER. */
static void
test_link_demotion(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	int			sum = 0;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	step_type(&fsm, CARP_EV_LINK_DOWN, NOW, &acts);
	assert_acts(&acts, "VIP_DOWN STATE(MASTER>INIT:carrier lost) "
	    "DEMOTE_ADJ(+1:carrier lost)");
	sum += delta_sum(&acts);
	step_type(&fsm, CARP_EV_LINK_DOWN, NOW + 1, &acts);
	assert_acts(&acts, "");
	sum += delta_sum(&acts);
	assert_int_equal(sum, 1);
	/* nothing can start it meanwhile */
	step_start(&fsm, CARP_START_MASTER, NOW + 2, &acts);
	step_type(&fsm, CARP_EV_FORCE_MASTER, NOW + 3, &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_INIT);

	step_type(&fsm, CARP_EV_LINK_UP, NOW + 4, &acts);
	assert_acts(&acts, "DEMOTE_ADJ(-1:carrier restored) "
	    "STATE(INIT>BACKUP:carrier restored)");
	sum += delta_sum(&acts);
	step_type(&fsm, CARP_EV_LINK_UP, NOW + 5, &acts);
	assert_acts(&acts, "");
	sum += delta_sum(&acts);
	assert_int_equal(sum, 0);
	assert_int_equal(fsm.state, CARP_S_BACKUP);
	assert_int_equal(fsm.link_down, 0);
	assert_int_equal(fsm.md_deadline, NOW + 4 + 3 * SEC);

	/* and a second outage demotes again */
	step_type(&fsm, CARP_EV_LINK_DOWN, NOW + 6, &acts);
	assert_int_equal(delta_sum(&acts), 1);
}

/* A raised demotion makes a MASTER advertise at once, keeping its advert
 * schedule; a lowered one does not. */
static void
test_demote_event(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	step_demote(&fsm, 3, NOW, &acts);
	assert_acts(&acts, "SEND_ADV");
	assert_int_equal(fsm.ad_deadline, T0 + SEC);
	step_demote(&fsm, 4, NOW + 1, &acts);
	assert_acts(&acts, "SEND_ADV");
	step_demote(&fsm, 1, NOW + 2, &acts);
	assert_acts(&acts, "");
	step_demote(&fsm, 1, NOW + 3, &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_MASTER);
	assert_int_equal(fsm.ad_deadline, T0 + SEC);
	step_type(&fsm, CARP_EV_TIMER, T0 + SEC, &acts);
	assert_acts(&acts, "SEND_ADV");

	setup_state(&fsm, CARP_S_BACKUP, 1, 0, 0);
	step_demote(&fsm, 50, NOW, &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.md_deadline, T0 + 3 * SEC);
}

/* Our own demotion feeds the decisions: a demoted MASTER yields to an
 * undemoted slower peer (test 7.9 from the other side). */
static void
test_demoted_master_yields(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	step_demote(&fsm, 1, NOW, &acts);
	step_adv(&fsm, 5, 200, 0, NOW + 1, &acts);
	assert_acts(&acts, "STATE(MASTER>BACKUP:peer less demoted) VIP_DOWN");
	assert_int_equal(fsm.md_deadline, NOW + 1 + 3 * SEC);
}

/* ------------------------------------------------------------------ */
/* tiebreak lower-address, won contests, garp-refresh                  */
/* ------------------------------------------------------------------ */

/* An advert from src (af's length), ours being self. */
static void
step_adv_from(struct carp_fsm *fsm, uint8_t advbase, uint8_t advskew,
    uint8_t demote, int af, const char *src, const char *self, uint64_t now,
    struct carp_actions *acts)
{
	struct carp_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CARP_EV_ADV_RX;
	ev.advbase = advbase;
	ev.advskew = advskew;
	ev.demote = demote;
	ev.af = af;
	if (af != 0) {
		assert_int_equal(inet_pton(af, src, ev.src), 1);
		assert_int_equal(inet_pton(af, self, ev.self), 1);
	}
	step(fsm, &ev, now, acts);
}

static void
setup_tb(struct carp_fsm *fsm, enum carp_state st, enum carp_tiebreak tb,
    int preempt)
{
	setup_state(fsm, st, 1, 100, preempt);
	fsm->tiebreak = tb;
	fsm->demote = 3;
}

#define YIELD_TIE	"SEND_ADV STATE(MASTER>BACKUP:tie, lower peer address) " \
			"VIP_DOWN"
#define YIELD_OBSD	"STATE(MASTER>BACKUP:more frequent advert) VIP_DOWN"

/* Exact tie, tiebreak none: OpenBSD, a MASTER yields whatever the
 * addresses say. */
static void
test_tie_none_yields(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_NONE, 0);
	step_adv_from(&fsm, 1, 100, 3, AF_INET, "192.0.2.2", "192.0.2.1",
	    NOW, &acts);
	assert_acts(&acts, YIELD_OBSD);
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_NONE, 0);
	step_adv_from(&fsm, 1, 100, 3, AF_INET6, "2001:db8::2", "2001:db8::1",
	    NOW, &acts);
	assert_acts(&acts, YIELD_OBSD);
}

struct tie_case {
	int		 af;
	const char	*self, *src;
	const char	*want;		/* MASTER's actions */
};

/* Exact tie, tiebreak lower-address: the lower source stays (and
 * re-announces), the higher yields; same or unknown address: OpenBSD. */
static void
test_tie_lower_address(void **state)
{
	static const struct tie_case cases[] = {
		{ AF_INET, "192.0.2.1", "192.0.2.2", "GARP(won)" },
		{ AF_INET, "192.0.2.2", "192.0.2.1", YIELD_TIE },
		{ AF_INET, "192.0.2.1", "192.0.2.1", YIELD_OBSD },
		/* network order: 10.0.1.2 < 10.0.2.1 on every host (a
		 * host-order compare on little endian says the opposite) */
		{ AF_INET, "10.0.1.2", "10.0.2.1", "GARP(won)" },
		{ AF_INET, "10.0.2.1", "10.0.1.2", YIELD_TIE },
		{ AF_INET, "0.0.0.0", "192.0.2.2", YIELD_OBSD },
		{ AF_INET6, "2001:db8::1", "2001:db8::2", "GARP(won)" },
		{ AF_INET6, "2001:db8::2", "2001:db8::1", YIELD_TIE },
		{ AF_INET6, "2001:db8::1", "2001:db8::1", YIELD_OBSD },
		{ AF_INET6, "2001:db8::ff", "2001:db8:1::1", "GARP(won)" },
		{ AF_INET6, "fe80::2", "fe80::1", YIELD_TIE },
		{ AF_INET6, "::", "2001:db8::2", YIELD_OBSD },
		{ 0, NULL, NULL, YIELD_OBSD },	/* family unknown */
	};
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
		step_adv_from(&fsm, 1, 100, 3, cases[i].af, cases[i].src,
		    cases[i].self, NOW, &acts);
		if (strcmp(cases[i].want, "GARP(won)") == 0) {
			assert_acts(&acts, cases[i].want);
			assert_int_equal(fsm.state, CARP_S_MASTER);
			assert_int_equal(fsm.ad_deadline,
			    T0 + carp_interval_us(1, 100));	/* untouched */
		} else {
			assert_acts(&acts, cases[i].want);
			assert_int_equal(fsm.state, CARP_S_BACKUP);
			assert_int_equal(fsm.md_deadline,
			    NOW + carp_master_down_us(1, 100));
		}
	}
}

/* Not a tie: the addresses never matter, whichever is lower. */
static void
test_tie_non_tie_unaffected(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	/* faster peer with a higher address: yield */
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	step_adv_from(&fsm, 1, 99, 3, AF_INET, "192.0.2.2", "192.0.2.1", NOW,
	    &acts);
	assert_acts(&acts, YIELD_OBSD);
	/* less demoted peer with a higher address: yield */
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	step_adv_from(&fsm, 1, 100, 2, AF_INET6, "2001:db8::2", "2001:db8::1",
	    NOW, &acts);
	assert_acts(&acts, "STATE(MASTER>BACKUP:peer less demoted) VIP_DOWN");
	/* slower or more demoted peer with a lower address: stay */
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	step_adv_from(&fsm, 1, 101, 3, AF_INET, "192.0.2.1", "192.0.2.2", NOW,
	    &acts);
	assert_acts(&acts, "GARP(won)");
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	step_adv_from(&fsm, 1, 100, 4, AF_INET, "192.0.2.1", "192.0.2.2", NOW,
	    &acts);
	assert_acts(&acts, "GARP(won)");
	/* a BACKUP's non-tie decisions as OpenBSD: a faster master with a
	 * higher address is followed even with preempt */
	setup_tb(&fsm, CARP_S_BACKUP, CARP_TIEBREAK_LOWER, 1);
	step_adv_from(&fsm, 1, 99, 3, AF_INET, "192.0.2.2", "192.0.2.1", NOW,
	    &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_BACKUP);
}

/* BACKUP on an exact tie: without preempt it follows the master, lower
 * address or not (no failover for a tie); with preempt the lower address
 * takes over, as a faster node would. */
static void
test_tie_backup(void **state)
{
	static const struct {
		enum carp_tiebreak tb;
		int		 preempt;
		const char	*self, *src;
		const char	*want;
	} cases[] = {
		{ CARP_TIEBREAK_LOWER, 0, "192.0.2.1", "192.0.2.2", "" },
		{ CARP_TIEBREAK_LOWER, 0, "192.0.2.2", "192.0.2.1", "" },
		{ CARP_TIEBREAK_LOWER, 1, "192.0.2.1", "192.0.2.2",
		    TAKE("BACKUP", "preempt, lower address") },
		{ CARP_TIEBREAK_LOWER, 1, "192.0.2.2", "192.0.2.1", "" },
		{ CARP_TIEBREAK_LOWER, 1, "192.0.2.1", "192.0.2.1", "" },
		{ CARP_TIEBREAK_NONE, 1, "192.0.2.1", "192.0.2.2", "" },
	};
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setup_tb(&fsm, CARP_S_BACKUP, cases[i].tb, cases[i].preempt);
		step_adv_from(&fsm, 1, 100, 3, AF_INET, cases[i].src,
		    cases[i].self, NOW, &acts);
		assert_acts(&acts, cases[i].want);
		assert_int_equal(fsm.state, cases[i].want[0] == '\0' ?
		    CARP_S_BACKUP : CARP_S_MASTER);
	}
	/* the same for IPv6 */
	setup_tb(&fsm, CARP_S_BACKUP, CARP_TIEBREAK_LOWER, 1);
	step_adv_from(&fsm, 1, 100, 3, AF_INET6, "2001:db8::2", "2001:db8::1",
	    NOW, &acts);
	assert_acts(&acts, TAKE("BACKUP", "preempt, lower address"));
}

/* A dual-stack vhost: IPv4 decides (tie_af); an IPv6 tie is neither won
 * nor lost, whatever its link-locals say; non-ties over IPv6 as ever. */
static void
test_tie_dual_stack(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	fsm.tie_af = AF_INET;
	step_adv_from(&fsm, 1, 100, 3, AF_INET6, "fe80::1", "fe80::2", NOW,
	    &acts);
	assert_acts(&acts, "");
	step_adv_from(&fsm, 1, 100, 3, AF_INET6, "fe80::3", "fe80::2", NOW,
	    &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_MASTER);
	step_adv_from(&fsm, 1, 100, 3, AF_INET, "192.0.2.2", "192.0.2.1",
	    NOW, &acts);
	assert_acts(&acts, "GARP(won)");
	step_adv_from(&fsm, 1, 99, 3, AF_INET6, "fe80::3", "fe80::2", NOW,
	    &acts);
	assert_acts(&acts, YIELD_OBSD);
	/* the IPv4 tie is lost: yield */
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	fsm.tie_af = AF_INET;
	step_adv_from(&fsm, 1, 100, 3, AF_INET, "192.0.2.1", "192.0.2.2",
	    NOW, &acts);
	assert_acts(&acts, YIELD_TIE);
	/* a BACKUP with preempt does not take over on an IPv6 tie */
	setup_tb(&fsm, CARP_S_BACKUP, CARP_TIEBREAK_LOWER, 1);
	fsm.tie_af = AF_INET;
	step_adv_from(&fsm, 1, 100, 3, AF_INET6, "fe80::3", "fe80::2", NOW,
	    &acts);
	assert_acts(&acts, "");
	/* an IPv6-only vhost decides by IPv6 */
	setup_tb(&fsm, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
	fsm.tie_af = AF_INET6;
	step_adv_from(&fsm, 1, 100, 3, AF_INET6, "fe80::3", "fe80::2", NOW,
	    &acts);
	assert_acts(&acts, "GARP(won)");
}

/* Split brain, both MASTER with identical settings, then one hears the
 * other first (either one): with tiebreak lower-address the lower address
 * is the one MASTER left, and it re-announces, because the loser's last
 * advert reaches it. With tiebreak none whoever hears first yields
 * (OpenBSD), silently. */
static void
deliver(struct carp_fsm *to, const char *src, const char *self, uint64_t t,
    struct carp_actions *acts)
{
	step_adv_from(to, 1, 100, 3, AF_INET, src, self, t, acts);
}

static int
sends_adv(const struct carp_actions *acts)
{
	int	i;

	for (i = 0; i < acts->n; i++)
		if (acts->a[i].type == CARP_A_SEND_ADV)
			return (1);
	return (0);
}

static void
test_tie_pair(void **state)
{
	struct carp_fsm		lo, hi;
	struct carp_actions	acts, back;
	int			first_lo;

	(void)state;
	for (first_lo = 0; first_lo < 2; first_lo++) {
		setup_tb(&lo, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
		setup_tb(&hi, CARP_S_MASTER, CARP_TIEBREAK_LOWER, 0);
		if (first_lo) {
			/* lo hears hi: lo stays and re-announces */
			deliver(&lo, "192.0.2.2", "192.0.2.1", NOW, &acts);
			assert_acts(&acts, "GARP(won)");
			/* lo's next advert: hi yields, advertising once */
			deliver(&hi, "192.0.2.1", "192.0.2.2", NOW + 1, &acts);
		} else
			deliver(&hi, "192.0.2.1", "192.0.2.2", NOW, &acts);
		assert_acts(&acts, YIELD_TIE);
		/* that last advert reaches lo, which re-announces (at once,
		 * or already did within this interval) */
		deliver(&lo, "192.0.2.2", "192.0.2.1", NOW + 2, &back);
		assert_acts(&back, first_lo ? "" : "GARP(won)");
		assert_int_equal(lo.state, CARP_S_MASTER);
		assert_int_equal(hi.state, CARP_S_BACKUP);
		/* and hi, BACKUP now, follows lo's adverts */
		deliver(&hi, "192.0.2.1", "192.0.2.2", NOW + SEC, &acts);
		assert_acts(&acts, "");
	}
	/* tiebreak none: the first to hear yields and says nothing more */
	setup_tb(&lo, CARP_S_MASTER, CARP_TIEBREAK_NONE, 0);
	setup_tb(&hi, CARP_S_MASTER, CARP_TIEBREAK_NONE, 0);
	deliver(&lo, "192.0.2.2", "192.0.2.1", NOW, &acts);
	assert_acts(&acts, YIELD_OBSD);
	assert_false(sends_adv(&acts));
	assert_int_equal(hi.state, CARP_S_MASTER);
	/* both yield when both hear (adverts crossing, or a third node) */
	deliver(&hi, "192.0.2.1", "192.0.2.2", NOW, &acts);
	assert_acts(&acts, YIELD_OBSD);
}

/* A peer that never yields (a slower MASTER advertising every 10 ms for
 * 3 s): one re-announcement per own advert interval, no more. */
static void
test_won_rate_limited(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	uint64_t		t, t0 = T0 + SEC / 4;
	int			garps = 0;

	(void)state;
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	for (t = t0; t < t0 + 3 * SEC; t += SEC / 100) {
		step_adv(&fsm, 1, 50, 0, t, &acts);
		if (acts.n == 1 && acts.a[0].type == CARP_A_GARP) {
			assert_int_equal(acts.a[0].announce, CARP_ANN_WON);
			garps++;
		} else
			assert_acts(&acts, "");
	}
	assert_int_equal(garps, 3);
	assert_int_equal(fsm.state, CARP_S_MASTER);
	/* after a quiet interval the next one re-announces at once */
	step_adv(&fsm, 1, 50, 0, t0 + 10 * SEC, &acts);
	assert_acts(&acts, "GARP(won)");
}

/* Every GARP says why: takeover, then the delayed second one. */
static void
test_announce_reasons(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_BACKUP, 1, 0, 0);
	step_type(&fsm, CARP_EV_TIMER, T0 + 3 * SEC, &acts);
	assert_int_equal(acts.a[2].type, CARP_A_GARP);
	assert_int_equal(acts.a[2].announce, CARP_ANN_TAKEOVER);
	step_type(&fsm, CARP_EV_TIMER, T0 + 4 * SEC, &acts);
	step_type(&fsm, CARP_EV_TIMER, T0 + 5 * SEC, &acts);
	assert_acts(&acts, "GARP SEND_ADV");
	assert_int_equal(acts.a[0].announce, CARP_ANN_DELAYED);
}

/* garp-refresh: its own deadline while MASTER, between adverts too;
 * gone in BACKUP; a period set later (reload) starts at the next timer. */
static void
test_garp_refresh(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	uint64_t		t;
	int			refresh = 0, adv = 0, i;

	(void)state;
	/* advbase 5, refresh 1 s: 1 s apart, adverts 5 s apart */
	carp_fsm_init(&fsm, 5, 0, 0);
	fsm.garp_refresh_us = SEC;
	step_start(&fsm, CARP_START_MASTER, T0, &acts);
	assert_int_equal(fsm.refresh_deadline, T0 + SEC);
	assert_int_equal(carp_fsm_next_deadline(&fsm), T0 + SEC);
	for (i = 0; i < 20; i++) {
		t = carp_fsm_next_deadline(&fsm);
		assert_true(t > 0 && t <= T0 + 20 * SEC);
		step_type(&fsm, CARP_EV_TIMER, t, &acts);
		for (int k = 0; k < acts.n; k++) {
			refresh += acts.a[k].type == CARP_A_GARP &&
			    acts.a[k].announce == CARP_ANN_REFRESH;
			adv += acts.a[k].type == CARP_A_SEND_ADV;
		}
		if (t >= T0 + 10 * SEC)
			break;
	}
	assert_int_equal(refresh, 10);		/* T0+1 .. T0+10 */
	assert_int_equal(adv, 2);		/* T0+5, T0+10 */
	/* overslept: one refresh, then back on a 1 s grid from now */
	t = fsm.refresh_deadline + 3 * SEC + SEC / 2;
	step_type(&fsm, CARP_EV_TIMER, t, &acts);
	assert_int_equal(fsm.refresh_deadline, t + SEC);
	/* yield: no refresh in BACKUP */
	step_adv(&fsm, 1, 0, 0, t + 10, &acts);
	assert_int_equal(fsm.state, CARP_S_BACKUP);
	assert_int_equal(fsm.refresh_deadline, 0);
	assert_int_equal(carp_fsm_next_deadline(&fsm), fsm.md_deadline);

	/* off by default; a period given while MASTER starts at the next
	 * advert, a period cleared stops at the next timer */
	setup_state(&fsm, CARP_S_MASTER, 1, 0, 0);
	assert_int_equal(fsm.refresh_deadline, 0);
	step_type(&fsm, CARP_EV_TIMER, T0 + SEC, &acts);
	assert_acts(&acts, "SEND_ADV");
	fsm.garp_refresh_us = 2 * SEC;
	step_type(&fsm, CARP_EV_TIMER, T0 + 2 * SEC, &acts);
	assert_acts(&acts, "GARP SEND_ADV");		/* the delayed one */
	assert_int_equal(fsm.refresh_deadline, T0 + 4 * SEC);
	step_type(&fsm, CARP_EV_TIMER, T0 + 3 * SEC, &acts);
	assert_acts(&acts, "SEND_ADV");
	step_type(&fsm, CARP_EV_TIMER, T0 + 4 * SEC, &acts);
	assert_acts(&acts, "GARP(refresh) SEND_ADV");
	fsm.garp_refresh_us = 0;
	step_type(&fsm, CARP_EV_TIMER, T0 + 5 * SEC, &acts);
	assert_acts(&acts, "SEND_ADV");
	assert_int_equal(fsm.refresh_deadline, 0);
	/* INIT (shutdown) clears it too */
	fsm.garp_refresh_us = SEC;
	step_type(&fsm, CARP_EV_TIMER, T0 + 6 * SEC, &acts);
	assert_true(fsm.refresh_deadline != 0);
	step_type(&fsm, CARP_EV_SHUTDOWN, T0 + 6 * SEC + 1, &acts);
	assert_int_equal(fsm.refresh_deadline, 0);
	assert_int_equal(carp_fsm_next_deadline(&fsm), 0);
}

/* ------------------------------------------------------------------ */
/* balance-nat: held in INIT while no syncd defers first packets       */
/* ------------------------------------------------------------------ */

static void
step_release(struct carp_fsm *fsm, enum carp_start how, uint64_t now,
    struct carp_actions *acts)
{
	struct carp_event	ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = CARP_EV_NAT_RELEASE;
	ev.start = how;
	step(fsm, &ev, now, acts);
}

/* Held: nothing but NAT_RELEASE (or LINK_UP after it) leaves INIT. */
static void
test_nat_hold(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;
	static const enum carp_ev inert[] = { CARP_EV_ADV_RX, CARP_EV_TIMER,
	    CARP_EV_FORCE_MASTER, CARP_EV_FORCE_BACKUP, CARP_EV_NAT_HOLD,
	    CARP_EV_SHUTDOWN, CARP_EV_DEMOTE };
	size_t			i;

	(void)state;
	carp_fsm_init(&fsm, 1, 0, 1);
	step_type(&fsm, CARP_EV_NAT_HOLD, T0, &acts);	/* before START */
	assert_int_equal(fsm.nat_held, 1);
	step_start(&fsm, CARP_START_BACKUP, T0, &acts);
	assert_acts(&acts, "");
	step_start(&fsm, CARP_START_MASTER, T0, &acts);
	assert_acts(&acts, "");
	for (i = 0; i < sizeof(inert) / sizeof(inert[0]); i++) {
		step_type(&fsm, inert[i], NOW + 10 * SEC, &acts);
		assert_acts(&acts, "");
		assert_int_equal(fsm.state, CARP_S_INIT);
		assert_int_equal(carp_fsm_next_deadline(&fsm), 0);
	}
	/* the carrier goes and comes back: its +1 only, still held */
	step_type(&fsm, CARP_EV_LINK_DOWN, NOW, &acts);
	assert_acts(&acts, "DEMOTE_ADJ(+1:carrier lost)");
	step_type(&fsm, CARP_EV_LINK_UP, NOW, &acts);
	assert_acts(&acts, "DEMOTE_ADJ(-1:carrier restored)");
	assert_int_equal(fsm.state, CARP_S_INIT);
	/* released: started as carpd starts it */
	step_release(&fsm, CARP_START_BACKUP, NOW, &acts);
	assert_acts(&acts, "STATE(INIT>BACKUP:syncd defers)");
	assert_int_equal(fsm.nat_held, 0);
	assert_int_equal(fsm.md_deadline, NOW + 3 * SEC);
	/* the ordinary election from there: nobody advertises, MASTER */
	step_type(&fsm, CARP_EV_TIMER, NOW + 3 * SEC, &acts);
	assert_acts(&acts, TAKE("BACKUP", "master down"));
	/* held again: bows out as on shutdown, no demotion */
	step_type(&fsm, CARP_EV_NAT_HOLD, NOW + 4 * SEC, &acts);
	assert_acts(&acts, "SEND_BOWOUT VIP_DOWN STATE(MASTER>INIT:no syncd "
	    "with defer)");
	assert_int_equal(carp_fsm_next_deadline(&fsm), 0);
}

/* Released while the carrier is gone: LINK_UP starts it; the `state`
 * keyword decides as at start. */
static void
test_nat_release(void **state)
{
	struct carp_fsm		fsm;
	struct carp_actions	acts;

	(void)state;
	setup_state(&fsm, CARP_S_BACKUP, 1, 0, 0);
	step_type(&fsm, CARP_EV_NAT_HOLD, T0, &acts);
	step_type(&fsm, CARP_EV_LINK_DOWN, T0, &acts);
	step_release(&fsm, CARP_START_BACKUP, NOW, &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.nat_held, 0);
	assert_int_equal(fsm.state, CARP_S_INIT);
	step_type(&fsm, CARP_EV_LINK_UP, NOW, &acts);
	assert_acts(&acts, "DEMOTE_ADJ(-1:carrier restored) "
	    "STATE(INIT>BACKUP:carrier restored)");

	setup_state(&fsm, CARP_S_INIT, 1, 0, 0);
	step_type(&fsm, CARP_EV_NAT_HOLD, T0, &acts);
	step_release(&fsm, CARP_START_INIT, NOW, &acts);
	assert_acts(&acts, "");
	assert_int_equal(fsm.state, CARP_S_INIT);
	assert_int_equal(fsm.nat_held, 0);

	step_type(&fsm, CARP_EV_NAT_HOLD, T0, &acts);
	step_release(&fsm, CARP_START_MASTER, NOW, &acts);
	assert_acts(&acts, TAKE("INIT", "syncd defers"));
	assert_int_equal(fsm.ad_deadline, NOW + SEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interval),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_next_deadline),
		cmocka_unit_test(test_robustness),
		cmocka_unit_test(test_every_pair),
		cmocka_unit_test(test_decision_table),
		cmocka_unit_test(test_decision_skew_only),
		cmocka_unit_test(test_bowout_takeover),
		cmocka_unit_test(test_bowout_seen_by_master),
		cmocka_unit_test(test_bowout_pair),
		cmocka_unit_test(test_master_down_own_interval),
		cmocka_unit_test(test_timer_no_drift),
		cmocka_unit_test(test_timer_overslept),
		cmocka_unit_test(test_delayed_garp),
		cmocka_unit_test(test_delayed_garp_reset),
		cmocka_unit_test(test_link_demotion),
		cmocka_unit_test(test_demote_event),
		cmocka_unit_test(test_demoted_master_yields),
		cmocka_unit_test(test_tie_none_yields),
		cmocka_unit_test(test_tie_lower_address),
		cmocka_unit_test(test_tie_non_tie_unaffected),
		cmocka_unit_test(test_tie_backup),
		cmocka_unit_test(test_tie_dual_stack),
		cmocka_unit_test(test_tie_pair),
		cmocka_unit_test(test_won_rate_limited),
		cmocka_unit_test(test_announce_reasons),
		cmocka_unit_test(test_garp_refresh),
		cmocka_unit_test(test_preempt_delay),
		cmocka_unit_test(test_nat_hold),
		cmocka_unit_test(test_nat_release),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
