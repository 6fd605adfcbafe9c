/*
 * sync_bulk.c: the bulk-request state machine of a node coming up, as
 * OpenBSD pfsync's requester (if_pfsync.c pfsync_bulk_req_evt;
 * ../shared/docs/pfsync-conntrack.md 1.8): UPD_REQ(0, 0) every 2 s up to
 * 12 times, a carp demotion of 32 held while the table is incomplete.
 * Pure: (state, event, now) -> new state + actions; a table of handlers
 * names every (state, event) pair, the ignored ones too.
 *
 * Decisions beyond pfsync, each for one failure seen in the field:
 * - the demotion is held only while no local vhid is MASTER. A node that
 *   becomes MASTER while demoted lost its peer (the peer would otherwise
 *   win with its lower demotion): the demotion is released at once and the
 *   bulk is still awaited. Holding it would only delay a node that is
 *   carrying the traffic anyway.
 * - the transfer deadline (BUS START -> END) is not extended by another
 *   BUS START: a bulk restarted over and over never keeps a node demoted
 *   (OPNsense core#10858: 29 minutes demoted by a restarted bulk).
 * - every demotion is released exactly once: `demoted` is the only proof
 *   that one is held, and only release() clears it.
 */
#include <stdint.h>
#include <string.h>

#include "sync_bulk.h"

const char *const sync_bulk_state_names[SYNC_BULK__MAX] = {
	[SYNC_BULK_NONE] = "NONE",
	[SYNC_BULK_SENT] = "SENT",
	[SYNC_BULK_RECV] = "RECV",
	[SYNC_BULK_DONE] = "DONE",
};

const char *const sync_bulk_ev_names[SYNC_BULK__EV_MAX] = {
	[SYNC_BULK_EV_START] = "START",
	[SYNC_BULK_EV_TIMER] = "TIMER",
	[SYNC_BULK_EV_BUS_START] = "BUS_START",
	[SYNC_BULK_EV_BUS_END] = "BUS_END",
	[SYNC_BULK_EV_CARP_MASTER] = "CARP_MASTER",
};

void
sync_bulk_init(struct sync_bulk *b)
{
	memset(b, 0, sizeof(*b));
	b->state = SYNC_BULK_NONE;
}

static void
act(struct sync_bulk_acts *acts, enum sync_bulk_act a)
{
	if (acts->n < (int)(sizeof(acts->a) / sizeof(acts->a[0])))
		acts->a[acts->n++] = a;
}

/* Give the demotion back if we hold it: the one place that does. */
static void
release(struct sync_bulk *b, struct sync_bulk_acts *acts)
{
	if (b->demoted) {
		b->demoted = 0;
		act(acts, SYNC_BULK_A_UNDEMOTE);
	}
}

static void
finish(struct sync_bulk *b, struct sync_bulk_acts *acts)
{
	release(b, acts);
	b->state = SYNC_BULK_DONE;
	b->deadline = 0;
}

/* Expected event, nothing to do (e.g. a push from a peer we did not ask). */
static void
ev_ignore(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	(void)b;
	(void)master;
	(void)now;
	(void)acts;
}

/*
 * NONE or DONE: ask for the peer's table. A BACKUP node demotes so it
 * does not take over with an empty table (pfsync "pfsync start", +32); a
 * MASTER does not (that would hand mastership to a peer whose table is
 * older than ours) and pushes its own table instead.
 */
static void
ev_start(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	if (master)
		act(acts, SYNC_BULK_A_PUSH);
	else if (!b->demoted) {
		b->demoted = 1;
		act(acts, SYNC_BULK_A_DEMOTE);
	}
	act(acts, SYNC_BULK_A_SEND_REQ);
	b->state = SYNC_BULK_SENT;
	b->tries = 1;
	b->deadline = now + SYNC_BULK_RETRY_US;
}

/* SENT: no BUS START yet. Resend until 12 requests went out, then give
 * up (PFSYNC_MAX_BULKTRIES) and release the demotion. */
static void
ev_sent_timer(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	(void)master;
	if (now < b->deadline)
		return;		/* early or stale timer */
	if (b->tries >= SYNC_BULK_MAX_TRIES) {
		finish(b, acts);
		act(acts, SYNC_BULK_A_LOG_GIVEUP);
		return;
	}
	b->tries++;
	act(acts, SYNC_BULK_A_SEND_REQ);
	b->deadline = now + SYNC_BULK_RETRY_US;
}

static void
ev_sent_bus_start(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	(void)master;
	(void)acts;
	b->state = SYNC_BULK_RECV;
	b->deadline = now + SYNC_BULK_XFER_US;
}

/* BUS END (in SENT too: the BUS START may have been lost). */
static void
ev_bus_end(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	(void)master;
	(void)now;
	finish(b, acts);
}

/* A stuck transfer ends at its deadline; it never keeps us demoted. */
static void
ev_recv_timer(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	(void)master;
	if (now >= b->deadline)
		finish(b, acts);
}

/* We became MASTER while waiting: the peer is gone, stop holding back. */
static void
ev_carp_master(struct sync_bulk *b, int master, uint64_t now,
    struct sync_bulk_acts *acts)
{
	(void)master;
	(void)now;
	release(b, acts);
}

typedef void (*bulk_handler)(struct sync_bulk *, int, uint64_t,
    struct sync_bulk_acts *);

static const bulk_handler bulk_fsm[SYNC_BULK__MAX][SYNC_BULK__EV_MAX] = {
	[SYNC_BULK_NONE] = {
		[SYNC_BULK_EV_START] = ev_start,
		[SYNC_BULK_EV_TIMER] = ev_ignore,
		[SYNC_BULK_EV_BUS_START] = ev_ignore,	/* unrequested push */
		[SYNC_BULK_EV_BUS_END] = ev_ignore,
		[SYNC_BULK_EV_CARP_MASTER] = ev_ignore,	/* nothing held */
	},
	[SYNC_BULK_SENT] = {
		[SYNC_BULK_EV_START] = ev_ignore,	/* under way: no restart */
		[SYNC_BULK_EV_TIMER] = ev_sent_timer,
		[SYNC_BULK_EV_BUS_START] = ev_sent_bus_start,
		[SYNC_BULK_EV_BUS_END] = ev_bus_end,
		[SYNC_BULK_EV_CARP_MASTER] = ev_carp_master,
	},
	[SYNC_BULK_RECV] = {
		[SYNC_BULK_EV_START] = ev_ignore,	/* under way: no restart */
		[SYNC_BULK_EV_TIMER] = ev_recv_timer,
		[SYNC_BULK_EV_BUS_START] = ev_ignore,	/* deadline kept */
		[SYNC_BULK_EV_BUS_END] = ev_bus_end,
		[SYNC_BULK_EV_CARP_MASTER] = ev_carp_master,
	},
	[SYNC_BULK_DONE] = {
		[SYNC_BULK_EV_START] = ev_start,	/* a peer appeared */
		[SYNC_BULK_EV_TIMER] = ev_ignore,
		[SYNC_BULK_EV_BUS_START] = ev_ignore,	/* unrequested push */
		[SYNC_BULK_EV_BUS_END] = ev_ignore,
		[SYNC_BULK_EV_CARP_MASTER] = ev_ignore,	/* nothing held */
	},
};

void
sync_bulk_step(struct sync_bulk *b, enum sync_bulk_ev ev, int master,
    uint64_t now, struct sync_bulk_acts *acts)
{
	acts->n = 0;
	if ((unsigned)b->state >= SYNC_BULK__MAX ||
	    (unsigned)ev >= SYNC_BULK__EV_MAX)
		return;
	bulk_fsm[b->state][ev](b, master, now, acts);
}
