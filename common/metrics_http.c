/*
 * metrics_http.c: a daemon's metrics-listen endpoint, GET /metrics over
 * libevent's evhttp in the daemon's own event loop. The only file that
 * includes event2/http.h. The text is rendered per request by the
 * daemon's callback (metrics.c's formatter over its ctl structs).
 *
 * Bounded so a scraper cannot hurt the daemon: a connection lives at most
 * METRICS_TIMEOUT seconds idle, headers are capped, no body is accepted,
 * and only GET and HEAD are served. (libevent 2.1 has no connection
 * limit; each connection costs one fd and a few KB until its timeout.)
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>

#include "conf_lex.h"
#include "log.h"
#include "metrics_http.h"

#define METRICS_TIMEOUT		5	/* seconds, per connection */
#define METRICS_MAX_HEADERS	8192
#define METRICS_CTYPE		"text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct evhttp		*http;
	metrics_render_fn	*render;
	void			*arg;
	char			*buf;	/* kept between scrapes: it only grows */
	size_t			 cap;
};

/* Render into mh->buf, growing it until the text fits; NULL on ENOMEM. */
static const char *
render(struct metrics_http *mh, size_t *len)
{
	struct metrics_out o;
	char *nb;

	for (;;) {
		if (mh->cap > 0) {
			metrics_out_init(&o, mh->buf, mh->cap);
			mh->render(mh->arg, &o);
			if (o.off < mh->cap) {
				*len = o.off;
				return mh->buf;
			}
		}
		if ((nb = realloc(mh->buf, o.off + 4096)) == NULL)
			return NULL;
		mh->buf = nb;
		mh->cap = o.off + 4096;
	}
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics_http *mh = arg;
	struct evbuffer *b = evhttp_request_get_output_buffer(req);
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	const char *text;
	size_t len = 0;

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evbuffer_add_printf(b, "only /metrics here\n");
		evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", b);
		return;
	}
	mh->cap = mh->cap > 0 ? mh->cap : 65536;
	if (mh->buf == NULL && (mh->buf = malloc(mh->cap)) == NULL)
		mh->cap = 0;
	if ((text = render(mh, &len)) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	evbuffer_add(b, text, len);
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", METRICS_CTYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
}

struct metrics_http *
metrics_http_open(struct event_base *base, const struct sockaddr *sa,
    socklen_t sl, metrics_render_fn *fn, void *arg, const char **why)
{
	struct evconnlistener *l;
	struct metrics_http *mh;

	if ((mh = calloc(1, sizeof(*mh))) == NULL ||
	    (mh->http = evhttp_new(base)) == NULL) {
		free(mh);
		*why = "out of memory";
		return NULL;
	}
	mh->render = fn;
	mh->arg = arg;
	l = evconnlistener_new_bind(base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE |
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 16, sa, (int)sl);
	if (l == NULL || evhttp_bind_listener(mh->http, l) == NULL) {
		if (l != NULL)
			evconnlistener_free(l);
		*why = "cannot listen (address in use or not local?)";
		metrics_http_close(mh);
		return NULL;
	}
	evhttp_set_timeout(mh->http, METRICS_TIMEOUT);
	evhttp_set_max_headers_size(mh->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(mh->http, 0);
	evhttp_set_allowed_methods(mh->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(mh->http, request_cb, mh);
	return mh;
}

void
metrics_http_close(struct metrics_http *mh)
{
	if (mh == NULL)
		return;
	evhttp_free(mh->http);	/* frees the bound listener too */
	free(mh->buf);
	free(mh);
}

struct metrics_http *
metrics_http_listen(struct event_base *base, const char *addrport,
    metrics_render_fn *render_fn, void *arg)
{
	struct sockaddr_storage	 ss;
	struct metrics_http	*m;
	const char		*why = "?";
	socklen_t		 sl;

	if (addrport[0] == '\0')
		return NULL;
	if (conf_parse_addrport(addrport, &ss, &sl, &why) == -1 ||
	    (m = metrics_http_open(base, (struct sockaddr *)&ss, sl, render_fn,
	    arg, &why)) == NULL)
		fatalx("metrics-listen %s: %s", addrport, why);
	log_info("metrics on http://%s/metrics", addrport);
	return m;
}
