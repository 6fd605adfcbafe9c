/*
 * syncd.h: the daemon context (struct syncd). The only mutable state of
 * syncd lives here and is passed explicitly.
 */
#ifndef SYNCD_SYNCD_H
#define SYNCD_SYNCD_H

#include <stdint.h>

#include "ct_kernel.h"
#include "ctl_proto.h"
#include "priv.h"
#include "sync_bulk.h"
#include "sync_conf.h"
#include "sync_defer.h"
#include "sync_link.h"
#include "sync_net.h"
#include "sync_pace.h"
#include "sync_peer.h"
#include "sync_rtx.h"
#include "sync_table.h"
#include "sync_wire.h"

struct event;
struct event_base;
struct nft_shell;
struct sync_queue;
struct ctl_sync_frame;
struct sync_carp;
struct sync_ctl;
struct sync_watch;

#define SYNCD_MAX_PEERS		8
#define SYNCD_DROP_LOG_SRCS	16	/* sources whose drops are logged */

/* When drops from one source were last logged, per reason. */
struct syncd_drop_log {
	int		af;
	uint8_t		src[16];
	uint64_t	at[SYNC_DROP__MAX];
	uint64_t	used;		/* LRU */
};

struct syncd_stats {
	uint64_t	ipackets, ibytes, opackets, obytes, oerrors;
	uint64_t	drops[SYNC_DROP__MAX];
	uint64_t	loops;		/* our own node id came back */
	uint64_t	skipped;	/* unknown sections skipped */
	uint64_t	overruns;	/* conntrack event overruns (resyncs) */
	uint64_t	gaps;		/* sequence gaps seen */
	uint64_t	filtered;	/* events not synced (filters, 112/240) */
	uint64_t	toomany;	/* frames of a peer beyond SYNCD_MAX_PEERS */
	uint64_t	nacks_out;	/* NACK ranges we sent */
	uint64_t	nacks_in;	/* NACK ranges addressed to us */
	uint64_t	retx_out;	/* frames sent again on a NACK */
	uint64_t	retx_lost;	/* ... no longer known: sent as LOST */
	uint64_t	retx_dup;	/* retransmissions we had already */
	uint64_t	heartbeats;	/* empty frames sent when idle */
	uint64_t	table_reqs;	/* UPD_REQ(0, 0) sent */
	uint64_t	acks_out, acks_in;	/* ACKs (bulk flow control) */
	uint64_t	window_waits;	/* bulk held for a peer's ACK */
	struct ctl_sync_latency rx_apply;	/* frames read -> kernel writes */
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
	struct sync_rtx		*rtx;		/* what recent frames carried */
	struct sync_pace	 pace;		/* of bulk sends */
	struct event		*flush_ev;	/* send-delay / refresh deadline */
	struct event		*bulk_ev;	/* bulk retry / timeout */
	struct event		*peer_ev;	/* NACK retries, table requests */
	struct event		*hb_ev;		/* heartbeat when idle */
	struct sync_peer	 peers[SYNCD_MAX_PEERS];
	int			 npeers;
	struct sync_carp	*carp;		/* connection to carpd */
	struct sync_ctl		*ctl;		/* our control socket */
	struct sync_link	*link;		/* syncdev carrier, addresses */
	struct sync_watch	*watch;		/* pcap-file */
	int			 master;	/* a local vhid is MASTER; 1 without carpd */
	int			 bulk_sending;	/* a bulk send is under way */
	struct syncd_stats	 stats;
	struct syncd_drop_log	 drop_log[SYNCD_DROP_LOG_SRCS];
	struct event		*sig_term, *sig_int, *sig_hup;
	struct priv_user	 user;		/* runs as after setup (`user`) */
	struct metrics_http	*metrics;	/* metrics-listen, or NULL */
	/* defer (sync_hold.c): first packets held until a peer has the state */
	struct sync_defer	 defer;
	struct sync_queue	*queue;		/* NULL without defer */
	struct nft_shell	*nft;		/* owns the queue table */
	struct event		*queue_ev, *defer_ev;
	int			 defer_xt;	/* the queue rule is xt NFQUEUE */
	int			 defer_attached; /* packets bring their entry */
	int			 defer_warned;	/* lookups failed: said once */
};

uint64_t syncd_now_us(void);
/* Whether a state is synced at all (protocols, filters). */
int	syncd_synced(const struct syncd *, const struct sync_state *);

/* sync_hold.c: defer at run time (sync_defer.h) */
void	syncd_defer_open(struct syncd *);	/* fatal if it cannot */
void	syncd_defer_close(struct syncd *);
/* A peer's INS_ACK for state (creator, id): release what waits for it. */
void	syncd_defer_acked(struct syncd *, uint32_t creator, uint64_t id);
/* A persistent read event for fd on the loop; NULL if fd is -1. */
struct event *syncd_watch_fd(struct syncd *, int fd,
	    void (*cb)(int, short, void *));
/* Carry out the table's outputs (kernel writes, sends). */
void	syncd_run_outs(struct syncd *);
/* Run the bulk FSM and carry out its actions. */
void	syncd_bulk_event(struct syncd *, enum sync_bulk_ev);
/* Settle the states of the start-up dump (sync_table_seeded_end) once it
 * is known whose they are; peer_table: a peer's complete table arrived. */
void	syncd_seeded_end(struct syncd *, int peer_table);

/* sync_proto.c: frames on the wire */
void	syncd_proto_open(struct syncd *);
void	syncd_proto_close(struct syncd *);
/* Send what the table has queued (and the bulk in progress) now; or only
 * arm the timer for its next deadline. */
void	syncd_flush(struct syncd *);
void	syncd_flush_arm(struct syncd *);
/* Send UPD_REQ(0, 0): every peer answers with its whole table. */
void	syncd_request_table(struct syncd *, const char *why);
struct sync_rx;
void	syncd_count_drop(struct syncd *, enum sync_drop,
	    const struct sync_rx *);

/* sync_carp.c: the carpd control-socket client */
struct sync_carp *sync_carp_new(struct syncd *, const char *path);
void	sync_carp_free(struct sync_carp *);
int	sync_carp_connected(const struct sync_carp *);
/*
 * The connection-held demotion of group carp (re-sent on reconnect) is the
 * sum of these reasons' values, each set on its own.
 */
enum sync_hold {
	SYNC_HOLD_BULK,		/* SYNC_BULK_DEMOTE while the bulk is under way */
	SYNC_HOLD_LINK,		/* SYNC_LINK_DEMOTE while syncdev has no carrier */
	SYNC_HOLD__MAX
};
#define SYNC_LINK_DEMOTE	1	/* pfsync's "pfsync link" (1.8) */
extern const char *const sync_hold_names[SYNC_HOLD__MAX];
void	sync_carp_hold_set(struct sync_carp *, enum sync_hold, int value);
/* The bulk's share (SYNC_HOLD_BULK); reason goes to the log. */
void	sync_carp_hold(struct sync_carp *, int value, const char *reason);
/* The total held; by_reason (may be NULL) gets each reason's value. */
int	sync_carp_held(const struct sync_carp *, int by_reason[SYNC_HOLD__MAX]);
/*
 * syncdev's carrier changed (sync_link.c): hold or release the link
 * demotion; when it came back, ask the peer for its table again.
 */
void	syncd_syncdev_carrier(struct syncd *, int up);

/* sync_ctl.c: syncd's control socket (`carpctl sync ...`); NULL on failure */
struct sync_ctl *sync_ctl_open(struct syncd *, const char *path);
void	sync_ctl_close(struct sync_ctl *);
/* metrics-listen's text (metrics_http.h metrics_render_fn; arg: syncd) */
struct metrics_out;
void	sync_ctl_metrics(void *env, struct metrics_out *);
/* A frame event to every SYNC_WATCH subscriber (never blocks: drops). */
void	sync_ctl_frame(struct sync_ctl *, const struct ctl_sync_frame *,
	    const uint8_t *frame);

/* sync_watch.c: copies of every frame to the tap, pcap-file, subscribers */
enum sync_watch_dir {
	SYNC_WATCH_IN = 1,	/* accepted from a peer */
	SYNC_WATCH_OUT = 2,	/* sent */
};
/*
 * One frame sent (af and src unused: ours, to the group or syncpeer) or
 * accepted (af and src: the sender's, as received).
 */
void	syncd_watch_frame(struct syncd *, enum sync_watch_dir, int af,
	    const uint8_t *src, const uint8_t *frame, size_t len);
/* Opens pcap-file if set; NULL only when out of memory (logged). */
struct sync_watch *sync_watch_open(struct syncd *);
void	sync_watch_close(struct sync_watch *);
/* 1 if pcap-file is open; frames written and not written. */
int	sync_watch_pcap(const struct sync_watch *, uint64_t *frames,
	    uint64_t *errors);

#endif
