/*
 * metrics.h: both daemons' control replies (ctl_proto.h structs) in the
 * Prometheus text exposition format 0.0.4. Pure: structs in, text out into
 * the caller's buffer; no I/O, no allocation. Used by `carpctl metrics`
 * (replies read over the control sockets) and by the daemons' own
 * metrics-listen endpoint (the same structs filled in place).
 *
 * A counter added to a ctl struct later is one line in a table in
 * metrics.c (name, help, offset).
 */
#ifndef CARPSYNC_METRICS_H
#define CARPSYNC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ctl_proto.h"

/* Text sink: like snprintf, `off` counts what the whole text needs even
 * past `cap`; the text is complete (and NUL-terminated) iff off < cap. */
struct metrics_out {
	char	*p;
	size_t	 cap;
	size_t	 off;
};

/* carpd's CTL_STATUS reply. cs may be NULL (an older daemon). */
struct metrics_carpd {
	const struct ctl_vhost		*v;
	int				 nv;
	const struct ctl_group		*g;
	int				 ng;
	const struct ctl_counters	*total;	/* CTL_COUNTERS, daemon-wide */
	const struct ctl_conn_stats	*cs;
	/* carpd.conf(5) TRACKING and HOOKS; NULL / 0 if the reply had none */
	const struct ctl_track		*t;
	int				 nt;
	const struct ctl_vhost_hooks	*h;
	int				 nh;
	const struct ctl_hook_stats	*hs;
	/* carpd.conf(5) BALANCING: one per balanced vhost, or NULL / 0 */
	const struct ctl_balance	*b;
	int				 nb;
};

/* syncd's CTL_SYNC_STATUS reply. cs may be NULL. */
struct metrics_syncd {
	const struct ctl_sync_info	*info;
	const struct ctl_sync_peer	*p;
	int				 np;
	const struct ctl_conn_stats	*cs;
};

void	metrics_out_init(struct metrics_out *, char *buf, size_t cap);

/*
 * Append carpd's (syncd's) families, prefixed carpsync_carpd_
 * (carpsync_syncd_), with carpsync_*_up: 1, or only `up 0` if the
 * snapshot is NULL (the daemon did not answer).
 */
/* Record one delay of us microseconds (pure; the daemons' side). */
void	metrics_latency_add(struct ctl_sync_latency *, uint64_t us);

void	metrics_carpd(struct metrics_out *, const struct metrics_carpd *);
void	metrics_syncd(struct metrics_out *, const struct metrics_syncd *);

#endif
