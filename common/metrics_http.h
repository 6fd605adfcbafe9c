/*
 * metrics_http.h: GET /metrics (Prometheus text 0.0.4) on a daemon's
 * metrics-listen address, served in the daemon's event loop.
 */
#ifndef CARPSYNC_METRICS_HTTP_H
#define CARPSYNC_METRICS_HTTP_H

#include <sys/socket.h>

#include "metrics.h"

struct event_base;
struct metrics_http;

/* Append the daemon's metrics (metrics_carpd() or metrics_syncd()) to o. */
typedef void metrics_render_fn(void *arg, struct metrics_out *o);

/* Listen on sa; NULL with *why set if it cannot. */
struct metrics_http	*metrics_http_open(struct event_base *,
			    const struct sockaddr *, socklen_t,
			    metrics_render_fn *, void *arg, const char **why);
/* metrics-listen ADDR:PORT (conf_parse_addrport): NULL if addrport is "";
 * fatal if it cannot listen (called at start, before the privilege drop,
 * so any port works). */
struct metrics_http	*metrics_http_listen(struct event_base *,
			    const char *addrport, metrics_render_fn *,
			    void *arg);
void			 metrics_http_close(struct metrics_http *);

#endif
