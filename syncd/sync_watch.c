/*
 * sync_watch.c: every frame syncd sends or accepts, shown to whoever
 * watches (issue 3 item 8): the pfsync-if tap (sync_link.c), the
 * pcap-file (common/pcap_out.c) and the control connections that sent
 * SYNC_WATCH (sync_ctl.c, for `carpctl sync dump`). All three get the
 * frame behind the IP header it had, or would have had, on the wire
 * (sync_pkt.c): from the sender to 224.0.0.240 or to the unicast peer,
 * IPv6 for an IPv6 peer.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl_proto.h"
#include "log.h"
#include "pcap_out.h"
#include "sync_pkt.h"
#include "syncd.h"

/* A reader of pcap-file (tshark -r, tail) sees a record this soon. */
#define WATCH_FLUSH_US		100000
/* What rx_cb reads at most: a frame plus bytes after its len. */
#define WATCH_MAX_FRAME		(SYNC_MAX_FRAME + 128)

struct sync_watch {
	struct syncd		*env;
	struct pcap_out		*pcap;
	struct event		*flush_ev;
	uint16_t		 ip_id;
	uint64_t		 frames, errors;
};

static uint64_t
watch_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int
is_link_local6(int af, const uint8_t *a)
{
	return af == AF_INET6 && a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/*
 * The copy's two ends. Ours is the address the kernel gives our frames on
 * syncdev (a link-local one to a link-local peer); a frame we accepted
 * came to the group, or to us.
 */
static void
watch_addrs(const struct syncd *env, enum sync_watch_dir dir, int af,
    const uint8_t *src, struct sync_pkt_addr *a)
{
	const struct syncd_conf *c = env->conf;
	static const uint8_t group[4] = { 224, 0, 0, 240 };

	memset(a, 0, sizeof(*a));
	if (dir == SYNC_WATCH_OUT) {
		a->af = c->peer_af != 0 ? c->peer_af : AF_INET;
		(void)sync_link_source(env->link, a->af,
		    is_link_local6(a->af, c->peer), a->src);
		memcpy(a->dst, c->peer_af != 0 ? c->peer : group,
		    a->af == AF_INET ? 4 : 16);
		return;
	}
	a->af = af;
	memcpy(a->src, src, af == AF_INET ? 4 : 16);
	if (c->peer_af == 0 && af == AF_INET)
		memcpy(a->dst, group, 4);
	else
		(void)sync_link_source(env->link, af, is_link_local6(af, src),
		    a->dst);
}

static void
watch_flush_cb(int fd, short what, void *arg)
{
	struct sync_watch *w = arg;

	(void)fd;
	(void)what;
	if (pcap_out_flush(w->pcap) == -1 && w->errors++ == 0)
		log_warn("pcap-file %s: flush (further errors not logged)",
		    w->env->conf->pcap_file);
}

static void
watch_pcap(struct sync_watch *w, const struct sync_pkt_addr *a,
    uint64_t now, const uint8_t *frame, size_t len)
{
	uint8_t pkt[SYNC_PKT_IP6_LEN + WATCH_MAX_FRAME];
	size_t hlen;
	struct timeval tv = { 0, WATCH_FLUSH_US };

	if (w->pcap == NULL)
		return;
	hlen = len <= WATCH_MAX_FRAME ?
	    sync_pkt_ip(pkt, sizeof(pkt), a, w->ip_id++, len) : 0;
	if (hlen > 0)
		memcpy(pkt + hlen, frame, len);
	if (hlen == 0 ||
	    pcap_out_write(w->pcap, now, pkt, hlen + len, hlen + len) == -1) {
		if (w->errors++ == 0)
			log_warnx("pcap-file %s: a frame was not written "
			    "(further errors not logged)",
			    w->env->conf->pcap_file);
		return;
	}
	w->frames++;
	if (!evtimer_pending(w->flush_ev, NULL))
		evtimer_add(w->flush_ev, &tv);
}

static void
watch_ctl(struct syncd *env, enum sync_watch_dir dir,
    const struct sync_pkt_addr *a, uint64_t now, const uint8_t *frame,
    size_t len)
{
	struct ctl_sync_frame f;

	memset(&f, 0, sizeof(f));
	f.dir = (uint8_t)dir;
	f.ipver = a->af == AF_INET ? 4 : 6;
	f.len = (uint32_t)len;
	f.caplen = (uint32_t)(len < CTL_SYNC_FRAME_MAX ? len :
	    CTL_SYNC_FRAME_MAX);
	f.time_us = now;
	memcpy(f.src, a->src, sizeof(f.src));
	memcpy(f.dst, a->dst, sizeof(f.dst));
	sync_ctl_frame(env->ctl, &f, frame);
}

void
syncd_watch_frame(struct syncd *env, enum sync_watch_dir dir, int af,
    const uint8_t *src, const uint8_t *frame, size_t len)
{
	struct sync_pkt_addr a;
	uint64_t now;

	if (frame == NULL || len == 0 || (dir == SYNC_WATCH_IN &&
	    ((af != AF_INET && af != AF_INET6) || src == NULL)))
		return;
	watch_addrs(env, dir, af, src, &a);
	sync_tap_copy(env->tap, &a, frame, len);
	if ((env->watch == NULL || env->watch->pcap == NULL) &&
	    env->ctl == NULL)
		return;
	now = watch_realtime_us();
	if (env->watch != NULL)
		watch_pcap(env->watch, &a, now, frame, len);
	watch_ctl(env, dir, &a, now, frame, len);
}

/* pcap-file is not fatal: syncd syncs without it (logged). */
struct sync_watch *
sync_watch_open(struct syncd *env)
{
	struct sync_watch *w;
	const char *path = env->conf->pcap_file, *why = "?";

	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->flush_ev = evtimer_new(env->base, watch_flush_cb, w)) == NULL) {
		log_warn("sync_watch");
		free(w);
		return NULL;
	}
	w->env = env;
	if (path[0] != '\0') {
		if ((w->pcap = pcap_out_open(path, &why)) == NULL)
			log_warnx("pcap-file %s: %s; frames are not written",
			    path, why);
		else
			log_info("pcap-file %s: writing every frame", path);
	}
	return w;
}

void
sync_watch_close(struct sync_watch *w)
{
	if (w == NULL)
		return;
	if (pcap_out_close(w->pcap) == -1)
		log_warnx("pcap-file %s: not everything was written",
		    w->env->conf->pcap_file);
	event_free(w->flush_ev);
	free(w);
}

int
sync_watch_pcap(const struct sync_watch *w, uint64_t *frames,
    uint64_t *errors)
{
	*frames = w != NULL ? w->frames : 0;
	*errors = w != NULL ? w->errors : 0;
	return w != NULL && w->pcap != NULL;
}
