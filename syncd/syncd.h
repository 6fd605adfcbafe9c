/*
 * syncd.h: the daemon context (struct syncd). The only mutable state of
 * syncd lives here and is passed explicitly.
 */
#ifndef SYNCD_SYNCD_H
#define SYNCD_SYNCD_H

#include <stdint.h>

#include "ct_kernel.h"
#include "sync_bulk.h"
#include "sync_conf.h"
#include "sync_net.h"
#include "sync_replay.h"
#include "sync_table.h"
#include "sync_wire.h"

struct event;
struct event_base;
struct sync_carp;
struct sync_ctl;

#define SYNCD_MAX_PEERS		8

/* Per-sender receive state: replay window and loss bookkeeping. */
struct sync_peer {
	uint32_t		node_id;
	struct sync_replay	replay;
	uint64_t		frames, gaps;
	uint64_t		last_resync_us;	/* rate limit for gap resyncs */
};

struct syncd_stats {
	uint64_t	ipackets, ibytes, opackets, obytes, oerrors;
	uint64_t	drops[SYNC_DROP__MAX];
	uint64_t	loops;		/* our own node id came back */
	uint64_t	skipped;	/* unknown sections skipped */
	uint64_t	overruns;	/* conntrack event overruns (resyncs) */
	uint64_t	gaps;		/* sequence gaps seen */
	uint64_t	filtered;	/* events not synced (filters, 112/240) */
};

struct syncd {
	struct event_base	*base;
	const char		*conf_path;
	struct syncd_conf	*conf;
	int			 debug;
	uint32_t		 epoch;		/* raised and persisted at start */
	uint32_t		 seq;
	struct ct_kernel	*ct;
	struct event		*ct_ev;
	struct sync_net		*net;
	struct event		*rx4_ev, *rx6_ev;
	struct sync_tap		*tap;
	struct sync_table	*table;
	struct sync_outs	 outs;
	struct sync_bulk	 bulk;
	struct event		*flush_ev;	/* send-delay / refresh deadline */
	struct event		*bulk_ev;	/* bulk retry / timeout */
	struct sync_peer	 peers[SYNCD_MAX_PEERS];
	int			 npeers;
	struct sync_carp	*carp;		/* connection to carpd */
	struct sync_ctl		*ctl;		/* our control socket */
	int			 master;	/* a local vhid is MASTER; 1 without carpd */
	int			 bulk_sending;	/* answering a bulk request */
	struct syncd_stats	 stats;
	uint64_t		 drop_logged_us[SYNC_DROP__MAX];
	struct event		*sig_term, *sig_int, *sig_hup;
};

uint64_t syncd_now_us(void);
/* Send what the table has queued (and the bulk in progress). */
void	syncd_flush(struct syncd *);
/* Run the bulk FSM and carry out its actions. */
void	syncd_bulk_event(struct syncd *, enum sync_bulk_ev);

/* sync_carp.c: the carpd control-socket client */
struct sync_carp *sync_carp_new(struct syncd *, const char *path);
void	sync_carp_free(struct sync_carp *);
int	sync_carp_connected(const struct sync_carp *);
/* Set the connection-held demotion of group carp (re-sent on reconnect). */
void	sync_carp_hold(struct sync_carp *, int value, const char *reason);

/* sync_ctl.c: syncd's control socket (`carpctl sync ...`); NULL on failure */
struct sync_ctl *sync_ctl_open(struct syncd *, const char *path);
void	sync_ctl_close(struct sync_ctl *);

#endif
