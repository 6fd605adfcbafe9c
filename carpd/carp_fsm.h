/*
 * carp_fsm.h: the CARP state machine with OpenBSD semantics (ip_carp.c
 * carp_proto_input_c, carp_setrun, carp_master_down; ../shared/docs/
 * carp-protocol.md 2.1-2.3). Pure: time is an input (microseconds on a
 * monotonic clock), timers are deadlines stored here, and every decision
 * comes back as a list of actions that the I/O shell (carp_act in carpd.c)
 * carries out. Nothing here sends, sleeps or reads a clock.
 */
#ifndef CARPD_CARP_FSM_H
#define CARPD_CARP_FSM_H

#include <stdint.h>

enum carp_state {
	CARP_S_INIT	= 0,
	CARP_S_BACKUP	= 1,
	CARP_S_MASTER	= 2,
	CARP_S__MAX
};

enum carp_ev {
	CARP_EV_START,		/* configured; ev.init says where to go */
	CARP_EV_ADV_RX,		/* an advert that passed every check */
	CARP_EV_TIMER,		/* now >= carp_fsm_next_deadline() */
	CARP_EV_LINK_DOWN,	/* carpdev lost carrier */
	CARP_EV_LINK_UP,	/* carpdev carrier back */
	CARP_EV_FORCE_MASTER,	/* carpctl state VHID master */
	CARP_EV_FORCE_BACKUP,	/* carpctl state VHID backup */
	CARP_EV_SHUTDOWN,	/* SIGTERM, or vhost removed by a reload */
	CARP_EV_DEMOTE,		/* fsm->demote changed (set it before) */
	CARP_EV_NAT_HOLD,	/* balance-nat: no syncd defers first packets */
	CARP_EV_NAT_RELEASE,	/* balance-nat: one does again; ev.start */
	CARP_EV__MAX
};

/* `tiebreak`: what decides an exact tie (same advbase, advskew, demote). */
enum carp_tiebreak {
	CARP_TIEBREAK_NONE	= 0,	/* OpenBSD: a MASTER yields, so both do */
	CARP_TIEBREAK_LOWER	= 1,	/* lower-address: the lower source stays */
};

/* Why a CARP_A_GARP is sent (counted apart in carpctl status). */
enum carp_announce {
	CARP_ANN_TAKEOVER	= 0,	/* became MASTER */
	CARP_ANN_DELAYED	= 1,	/* the second one, two adverts later */
	CARP_ANN_WON		= 2,	/* MASTER heard a less preferred node */
	CARP_ANN_REFRESH	= 3,	/* `garp-refresh` period */
};

enum carp_start {		/* the `state` keyword */
	CARP_START_BACKUP	= 0,
	CARP_START_INIT		= 1,
	CARP_START_MASTER	= 2,
};

struct carp_event {
	enum carp_ev	type;
	/* CARP_EV_ADV_RX: the received advert's fields */
	uint8_t		advbase;
	uint8_t		advskew;
	uint8_t		demote;
	/* CARP_EV_START, CARP_EV_NAT_RELEASE */
	enum carp_start	start;
	/* CARP_EV_DEMOTE: previous value of fsm->demote */
	uint8_t		old_demote;
	/* CARP_EV_ADV_RX, for `tiebreak lower-address`: the family the advert
	 * came in (AF_INET, AF_INET6; 0 = unknown: no tie-break), its source
	 * and our own advert source on that carpdev in that family, network
	 * order, IPv4 in the first 4 bytes; all zero = unknown. */
	int		af;
	uint8_t		src[16];
	uint8_t		self[16];
};

enum carp_act_type {
	CARP_A_SEND_ADV,	/* send an advert (advbase, advskew, fsm->demote) */
	CARP_A_SEND_BOWOUT,	/* send one advert with advbase = advskew = 255 */
	CARP_A_VIP_UP,		/* take the VIPs and vMAC (macvlan up) */
	CARP_A_VIP_DOWN,	/* release the VIPs (macvlan down) */
	CARP_A_GARP,		/* gratuitous ARP + unsolicited NA per VIP */
	CARP_A_STATE,		/* state changed: old, new, reason */
	CARP_A_DEMOTE_ADJ,	/* adjust this vhost's groups by delta */
	CARP_A__MAX
};

struct carp_action {
	enum carp_act_type	 type;
	enum carp_state		 old_state;	/* CARP_A_STATE */
	enum carp_state		 new_state;	/* CARP_A_STATE */
	const char		*reason;	/* CARP_A_STATE, CARP_A_DEMOTE_ADJ: static string */
	int			 delta;		/* CARP_A_DEMOTE_ADJ */
	enum carp_announce	 announce;	/* CARP_A_GARP: why */
};

#define CARP_MAX_ACTIONS	8

struct carp_actions {
	int			n;
	struct carp_action	a[CARP_MAX_ACTIONS];
};

struct carp_fsm {
	enum carp_state	state;
	uint8_t		advbase;	/* own settings */
	uint8_t		advskew;
	int		preempt;	/* global `preempt` */
	uint8_t		demote;		/* own group demote count, capped 255 */
	int		link_down;	/* carrier lost: in INIT, +1 held on groups */
	/* `balance-nat yes` and no syncd with defer connected: kept in INIT
	 * as by link_down, but a MASTER bows out first (its peers take the
	 * buckets at once) and no group is demoted (the link is fine). */
	int		nat_held;
	int		delayed_garp;	/* adverts left before the second GARP */
	uint64_t	ad_deadline;	/* MASTER: next advert (us); 0 = unset */
	uint64_t	md_deadline;	/* BACKUP: master down (us); 0 = unset */
	enum carp_tiebreak tiebreak;	/* `tiebreak`, default NONE */
	int		tie_af;		/* the family whose sources decide a tie
					 * (AF_INET if the vhost advertises over
					 * IPv4 too); 0: the advert's own */
	uint64_t	garp_refresh_us; /* `garp-refresh` period; 0 = off */
	uint64_t	refresh_deadline; /* MASTER: next refresh (us); 0 = unset */
	uint64_t	won_garp_at;	/* last CARP_ANN_WON (us); 0 = never */
	/* `preempt-delay`: no preemption of a slower master before this time
	 * (us; 0: none). A dead master is still taken over at once. */
	uint64_t	preempt_after;
};

extern const char *const carp_state_names[CARP_S__MAX];	/* "INIT", ... */
extern const char *const carp_ev_names[CARP_EV__MAX];
extern const char *const carp_act_names[CARP_A__MAX];

/* Advertisement interval in microseconds: advbase s + advskew/256 s;
 * 0 becomes 1/256 s (3906 us) as in OpenBSD carp_setrun. */
uint64_t	carp_interval_us(uint8_t advbase, uint8_t advskew);

/* Master-down timeout: 3 x the backup's own interval (OpenBSD 1.370). */
uint64_t	carp_master_down_us(uint8_t advbase, uint8_t advskew);

void		carp_fsm_init(struct carp_fsm *, uint8_t advbase,
		    uint8_t advskew, int preempt);

/* Run one event at time now (us). acts is cleared, then filled. */
void		carp_fsm_step(struct carp_fsm *, const struct carp_event *,
		    uint64_t now, struct carp_actions *acts);

/* The earliest armed deadline, or 0 if none is armed. */
uint64_t	carp_fsm_next_deadline(const struct carp_fsm *);

#endif
