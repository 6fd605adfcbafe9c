/*
 * sync_carp.c: syncd as a client of carpd's control socket. It connects
 * (and reconnects every second) whenever the socket exists, subscribes to
 * state transitions, learns whether a local vhid is MASTER, and holds its
 * demotion as a connection-held one (CTL_DEMOTE_HOLD), so a dead syncd
 * never leaves carpd demoted; after a reconnect the hold is sent again.
 * The connection holds one value, so the held demotion is the sum of its
 * named reasons: pfsync's 32 while the bulk is under way and 1 while
 * syncdev has no carrier (pfsync-conntrack.md 1.8), each set on its own.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_msg.h"
#include "log.h"
#include "syncd.h"

#define RECONNECT_SEC	1

const char *const sync_hold_names[SYNC_HOLD__MAX] = {
	[SYNC_HOLD_BULK] = "bulk",
	[SYNC_HOLD_LINK] = "link",
};

struct sync_carp {
	struct syncd		*env;
	char			 path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct bufferevent	*bev;
	struct event		*retry_ev;
	int			 connected;
	int			 held[SYNC_HOLD__MAX];	/* by reason */
	uint32_t		 seq;
	uint32_t		 status_seq;	/* our STATUS request's seq */
	uint8_t			 masters[256];	/* vhid -> 1 if MASTER */
};

static void	carp_connect(struct sync_carp *);

static void
carp_send(struct sync_carp *c, uint32_t type, const void *p, size_t len)
{
	uint8_t buf[CTL_MAX_MSG];
	size_t n;

	if (!c->connected)
		return;
	if ((n = ctl_msg_build(buf, sizeof(buf), type, ++c->seq, p, len)) > 0)
		bufferevent_write(c->bev, buf, n);
}

/* "syncd bulk+link": the reasons that hold a part, for carpd's log. */
static void
hold_reason(const struct sync_carp *c, char *out, size_t len)
{
	const char	*sep = " ";
	size_t		 n;
	int		 r;

	snprintf(out, len, "syncd");
	for (r = 0; r < SYNC_HOLD__MAX; r++) {
		if (c->held[r] <= 0 || (n = strlen(out)) >= len)
			continue;
		snprintf(out + n, len - n, "%s%s", sep, sync_hold_names[r]);
		sep = "+";
	}
}

static void
carp_send_hold(struct sync_carp *c)
{
	struct ctl_demote d;

	memset(&d, 0, sizeof(d));
	ctl_strlcpy(d.group, "carp", sizeof(d.group));
	d.value = sync_carp_held(c, NULL);
	hold_reason(c, d.reason, sizeof(d.reason));
	carp_send(c, CTL_DEMOTE_HOLD, &d, sizeof(d));
}

int
sync_carp_held(const struct sync_carp *c, int by_reason[SYNC_HOLD__MAX])
{
	int r, sum = 0;

	for (r = 0; r < SYNC_HOLD__MAX; r++) {
		if (by_reason != NULL)
			by_reason[r] = c != NULL ? c->held[r] : 0;
		sum += c != NULL ? c->held[r] : 0;
	}
	return sum;
}

/* Set one reason's part and send the new sum; why is for the log. */
static void
hold_update(struct sync_carp *c, enum sync_hold reason, int value,
    const char *why)
{
	char held[CTL_NAMELEN];

	if (c == NULL || (unsigned)reason >= SYNC_HOLD__MAX || value < 0 ||
	    c->held[reason] == value)
		return;
	c->held[reason] = value;
	hold_reason(c, held, sizeof(held));
	log_notice("carpd demotion held by syncd: %d (%s; %s %d: %s)",
	    sync_carp_held(c, NULL), held, sync_hold_names[reason], value, why);
	/* one absolute value per connection: carpd replaces what it held */
	carp_send_hold(c);
}

void
sync_carp_hold_set(struct sync_carp *c, enum sync_hold reason, int value)
{
	hold_update(c, reason, value, value > 0 ? "held" : "released");
}

/* The bulk FSM's share (syncd.c's bulk glue). */
void
sync_carp_hold(struct sync_carp *c, int value, const char *reason)
{
	hold_update(c, SYNC_HOLD_BULK, value, reason);
}

/*
 * syncdev's carrier (sync_link.c reports changes). While it is gone the
 * peer cannot hear us nor we it: pfsync's "pfsync link" demotion of 1.
 * When it returns after a loss the peer's changes of the meantime are
 * missing, and pfsync asks for a bulk on link up: EV_START restarts the
 * request only from DONE (sync_bulk.c); in NONE carpd's first status
 * answer has yet to say whether a vhid is MASTER (carp_msg starts it
 * then), and in SENT or RECV a request is already under way.
 */
void
syncd_syncdev_carrier(struct syncd *env, int up)
{
	hold_update(env->carp, SYNC_HOLD_LINK, up ? 0 : SYNC_LINK_DEMOTE,
	    up ? "syncdev carrier back" : "syncdev has no carrier");
	if (up && env->bulk.state == SYNC_BULK_DONE) {
		log_info("syncdev carrier back: requesting the peer's table");
		syncd_bulk_event(env, SYNC_BULK_EV_START);
	}
}

static void
carp_update_master(struct sync_carp *c)
{
	int i, any = 0, was = c->env->master;

	for (i = 0; i < 256; i++)
		any |= c->masters[i];
	c->env->master = any;
	if (any && !was)
		syncd_bulk_event(c->env, SYNC_BULK_EV_CARP_MASTER);
}

static void
carp_msg(struct sync_carp *c, const struct ctl_hdr *h, const uint8_t *p)
{
	struct ctl_vhost v;
	struct ctl_ev_state ev;

	switch (h->type) {
	case CTL_VHOST:
		memcpy(&v, p, sizeof(v));
		c->masters[v.vhid] = v.state == 2;
		break;
	case CTL_EV_STATE:
		memcpy(&ev, p, sizeof(ev));
		c->masters[ev.vhid] = ev.new_state == 2;
		log_info("carpd: vhid %u %s", ev.vhid, ev.reason);
		carp_update_master(c);
		break;
	case CTL_END:
		/* carpd ends every answer with END, SUBSCRIBE's too: only the
		 * STATUS answer's END says all vhosts have been listed */
		if (h->seq != c->status_seq)
			break;
		carp_update_master(c);
		/* The first status answer tells whether a vhid is MASTER:
		 * only now can the bulk decide whether to demote. */
		if (c->env->bulk.state == SYNC_BULK_NONE)
			syncd_bulk_event(c->env, SYNC_BULK_EV_START);
		break;
	case CTL_ERROR:
		log_warnx("carpd refused a request from syncd");
		break;
	default:
		break;
	}
}

static void
carp_read_cb(struct bufferevent *bev, void *arg)
{
	struct sync_carp *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	_Alignas(8) uint8_t raw[CTL_MAX_MSG];
	struct ctl_hdr h;
	const char *why;

	while (evbuffer_get_length(in) >= sizeof(h)) {
		evbuffer_copyout(in, raw, sizeof(h));
		if (ctl_hdr_decode(raw, &h, &why) == -1) {
			log_warnx("carpd: bad message: %s", why);
			evbuffer_drain(in, evbuffer_get_length(in));
			return;
		}
		if (evbuffer_get_length(in) < h.len)
			return;
		evbuffer_remove(in, raw, h.len);
		if (ctl_msg_check(&h, raw + sizeof(h), &why) == 0)
			carp_msg(c, &h, raw + sizeof(h));
	}
}

static void
carp_retry_later(struct sync_carp *c)
{
	struct timeval tv = { RECONNECT_SEC, 0 };

	evtimer_add(c->retry_ev, &tv);
}

static void
carp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sync_carp *c = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	if (c->connected)
		log_warnx("carpd: connection lost; retrying every %d s",
		    RECONNECT_SEC);
	c->connected = 0;
	bufferevent_free(c->bev);
	c->bev = NULL;
	memset(c->masters, 0, sizeof(c->masters));
	/* Without carpd nothing says who carries the traffic: act as the
	 * owner (announce deletions), as a standalone pfsync would. */
	c->env->master = 1;
	carp_retry_later(c);
}

/* What carpd may rely on while we stay connected: a group with
 * `balance-nat yes` balances only while a deferring syncd is here. */
static void
carp_send_caps(struct sync_carp *c)
{
	struct ctl_sync_caps caps;

	memset(&caps, 0, sizeof(caps));
	if (c->env->queue != NULL) {
		caps.flags |= CTL_SYNC_CAP_DEFER;
		caps.defer_ms = (uint32_t)(SYNC_DEFER_HOLD_US / 1000);
	}
	carp_send(c, CTL_SYNC_CAPS, &caps, sizeof(caps));
}

/* First messages of a connection: who we are, transitions, the current
 * states, and the demotion we hold (re-sent after every reconnect). */
static void
carp_greet(struct sync_carp *c)
{
	struct ctl_hello hello;

	memset(&hello, 0, sizeof(hello));
	hello.version = CTL_VERSION;
	hello.pid = (uint32_t)getpid();
	ctl_strlcpy(hello.name, "syncd", sizeof(hello.name));
	carp_send(c, CTL_HELLO, &hello, sizeof(hello));
	carp_send_caps(c);
	carp_send(c, CTL_SUBSCRIBE, NULL, 0);
	/* a restarted carpd's vhosts start again: forget what we knew */
	memset(c->masters, 0, sizeof(c->masters));
	carp_send(c, CTL_STATUS, NULL, 0);
	c->status_seq = c->seq;
	if (sync_carp_held(c, NULL) > 0)
		carp_send_hold(c);
}

static void
carp_connect(struct sync_carp *c)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, c->path, strlen(c->path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		if (fd != -1)
			close(fd);
		carp_retry_later(c);
		return;
	}
	evutil_make_socket_nonblocking(fd);
	c->bev = bufferevent_socket_new(c->env->base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, carp_read_cb, NULL, carp_event_cb, c);
	bufferevent_enable(c->bev, EV_READ);
	c->connected = 1;
	log_notice("connected to carpd at %s", c->path);
	carp_greet(c);
}

static void
carp_retry_cb(int fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	carp_connect(arg);
}

struct sync_carp *
sync_carp_new(struct syncd *env, const char *path)
{
	struct sync_carp *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->env = env;
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->retry_ev = evtimer_new(env->base, carp_retry_cb, c);
	carp_connect(c);
	return c;
}

int
sync_carp_connected(const struct sync_carp *c)
{
	return c != NULL && c->connected;
}

void
sync_carp_free(struct sync_carp *c)
{
	if (c == NULL)
		return;
	if (c->bev != NULL)
		bufferevent_free(c->bev);
	event_free(c->retry_ev);
	free(c);
}
