/*
 * sync_bulk.h: the bulk-request state machine of the node coming up, with
 * OpenBSD pfsync's values (if_pfsync.c pfsync_bulk_req_evt;
 * pfsync-conntrack.md 1.8): request a full table with UPD_REQ(0,0), retry
 * every 2 s up to 12 times, then give up; while the bulk is pending, hold a
 * demotion of 32 on carpd's group "carp" so this node does not become
 * MASTER with an empty table, unless a local vhid is already MASTER (then
 * demoting would hand mastership to a peer with an older table: push our
 * table instead). Pure: time in, actions out.
 */
#ifndef SYNCD_SYNC_BULK_H
#define SYNCD_SYNC_BULK_H

#include <stdint.h>

#define SYNC_BULK_RETRY_US	2000000ULL	/* OpenBSD: 2 s */
#define SYNC_BULK_MAX_TRIES	12		/* PFSYNC_MAX_BULKTRIES */
#define SYNC_BULK_DEMOTE	32		/* pfsync's carp demotion */
#define SYNC_BULK_XFER_US	30000000ULL	/* BUS START -> END at most */

enum sync_bulk_state {
	SYNC_BULK_NONE,		/* not started */
	SYNC_BULK_SENT,		/* UPD_REQ(0,0) sent, waiting for BUS START */
	SYNC_BULK_RECV,		/* BUS START seen, receiving */
	SYNC_BULK_DONE,		/* BUS END, or gave up */
	SYNC_BULK__MAX
};

enum sync_bulk_ev {
	SYNC_BULK_EV_START,	/* syncd up (or a peer appeared); ev.master */
	SYNC_BULK_EV_TIMER,
	SYNC_BULK_EV_BUS_START,
	SYNC_BULK_EV_BUS_END,
	SYNC_BULK_EV_CARP_MASTER,	/* a local vhid became MASTER */
	SYNC_BULK__EV_MAX
};

enum sync_bulk_act {
	SYNC_BULK_A_SEND_REQ,	/* send UPD_REQ(0, 0) */
	SYNC_BULK_A_DEMOTE,	/* hold SYNC_BULK_DEMOTE on group carp */
	SYNC_BULK_A_UNDEMOTE,	/* release it */
	SYNC_BULK_A_PUSH,	/* send our whole table (we are MASTER) */
	SYNC_BULK_A_LOG_GIVEUP,	/* no answer after 12 tries */
};

struct sync_bulk {
	enum sync_bulk_state	state;
	int			tries;
	int			demoted;	/* the +32 is held */
	uint64_t		deadline;	/* retry or transfer timeout; 0 none */
};

struct sync_bulk_acts {
	int			n;
	enum sync_bulk_act	a[4];
};

extern const char *const sync_bulk_state_names[SYNC_BULK__MAX];
extern const char *const sync_bulk_ev_names[SYNC_BULK__EV_MAX];

void	sync_bulk_init(struct sync_bulk *);
/* master: a local vhid is MASTER (for EV_START). */
void	sync_bulk_step(struct sync_bulk *, enum sync_bulk_ev, int master,
	    uint64_t now, struct sync_bulk_acts *);

#endif
