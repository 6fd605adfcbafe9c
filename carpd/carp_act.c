/*
 * carp_act.c: where the state machine's decisions become I/O. Runs
 * carp_fsm_step() for an event and carries out the returned actions
 * (adverts, VIPs, announcements, demotion), re-arms the vhost's timer, and
 * feeds received adverts through validation in OpenBSD's order.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <event2/event.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "carp_garp.h"
#include "carp_vip.h"
#include "carpd.h"
#include "log.h"

#define DROP_LOG_INTERVAL_US	(10ULL * 1000000)	/* one line per reason per 10 s */

uint64_t
carpd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/*
 * OpenBSD carp_send_ad: after CARP_SENDAD_MAX_ERRORS consecutive failed
 * sends a vhost demotes its groups by 1, and undoes it after as many
 * consecutive successes, so a node that cannot advertise hands over.
 */
#define SENDAD_MAX_ERRORS	3

static void
send_result(struct vhost *vh, int ok)
{
	if (ok) {
		vh->send_errors = 0;
		if (vh->send_demoted && ++vh->send_ok >= SENDAD_MAX_ERRORS) {
			vh->send_demoted = 0;
			carpd_vhost_hold(vh, -1, "adverts sent again");
		}
		return;
	}
	vh->send_ok = 0;
	if (!vh->send_demoted && ++vh->send_errors >= SENDAD_MAX_ERRORS) {
		vh->send_demoted = 1;
		carpd_vhost_hold(vh, 1, "advert send errors");
	}
}

/* A failed send: counted (carpstats onomem) and logged once per 10 s. */
static void
count_send_error(struct vhost *vh, const char *af)
{
	uint64_t now = carpd_now_us();

	vh->counters.onomem++;
	vh->env->counters.onomem++;
	send_result(vh, 0);
	if (vh->send_err_logged != 0 &&
	    now - vh->send_err_logged < DROP_LOG_INTERVAL_US)
		return;
	vh->send_err_logged = now;
	log_warn("vhid %u: sending %s advert", vh->conf.vhid, af);
}

/* The next auth counter; a new epoch when the sequence runs out (2^32
 * adverts: months at advbase 0, centuries at advbase 1). */
static uint64_t
auth_counter(struct carpd *env)
{
	uint64_t counter;

	if ((counter = carp_auth_next_counter(env->auth_epoch,
	    &env->auth_seq)) != 0)
		return counter;
	if (carpd_auth_epoch_raise(env) == 0)
		return carp_auth_next_counter(env->auth_epoch, &env->auth_seq);
	/* peers will drop these as replays: loud, as the log says */
	return (uint64_t)env->auth_epoch << 32 | UINT32_MAX;
}

/* The trailer after the 36 bytes for a send from src: the bytes to send. */
static size_t
auth_append(const struct vhost *vh, uint8_t *pkt, int af, const uint8_t *src,
    uint64_t counter)
{
	if (vh->conf.auth == CARP_AUTH_OFF)
		return CARP_HDR_LEN;
	carp_auth_encode(vh->conf.authkey, pkt, af, src, counter,
	    pkt + CARP_HDR_LEN);
	return CARP_HDR_LEN + CARP_AUTH_LEN;
}

static void
send_advert(struct vhost *vh, uint8_t advbase, uint8_t advskew)
{
	struct carp_advert ad;
	uint8_t pkt[CARP_HDR_LEN + CARP_AUTH_LEN], dst[16];
	const struct carp_vhost_conf *c = &vh->conf;
	struct carpd *env = vh->env;
	uint64_t counter = 0;
	size_t len;
	int oif;

	memset(&ad, 0, sizeof(ad));
	ad.vhid = c->vhid;
	ad.advbase = advbase;
	ad.advskew = advskew;
	ad.demote = vh->fsm.demote;
	memcpy(ad.counter, vh->cookie, sizeof(ad.counter));
	carp_hmac_generate(&vh->hmac, CARP_HMAC_NOV6LL, ad.counter, ad.md);
	carp_wire_encode(&ad, pkt);
	if (c->auth != CARP_AUTH_OFF)
		counter = auth_counter(env);

	/* Multicast adverts leave through the vhost's macvlan (vMAC source,
	 * as OpenBSD); unicast ones follow the parent (carp-protocol.md 1.2). */
	oif = c->peer.af != 0 ? vh->dev->ifindex : vh->vif;
	if (vh->has_v4 || c->peer.af == AF_INET) {
		if (c->peer.af == AF_INET)
			memcpy(dst, c->peer.addr, 4);
		else
			inet_pton(AF_INET, CARP_GROUP_V4, dst);
		len = auth_append(vh, pkt, AF_INET, vh->dev->src4, counter);
		if (carp_net_send(&env->net, AF_INET, oif, vh->dev->src4, dst,
		    pkt, len) == 0) {
			vh->counters.opackets++;
			env->counters.opackets++;
			send_result(vh, 1);
		} else
			count_send_error(vh, "IPv4");
	}
	if (vh->has_v6 && c->peer.af == 0) {
		inet_pton(AF_INET6, CARP_GROUP_V6, dst);
		len = auth_append(vh, pkt, AF_INET6, vh->dev->src6, counter);
		if (carp_net_send(&env->net, AF_INET6, oif, vh->dev->src6, dst,
		    pkt, len) == 0) {
			vh->counters.opackets6++;
			env->counters.opackets6++;
			send_result(vh, 1);
		} else
			count_send_error(vh, "IPv6");
	}
}

static void
vip_apply(struct vhost *vh, int up)
{
	struct carp_nl *nl = vh->env->nl;
	int i;

	if (vh->bg != NULL) {		/* the group holds the VIPs */
		carpd_balance_follow(vh);
		return;
	}
	/* Up: link first so the addresses' routes come up with it. Down:
	 * addresses first, so the backup never keeps a local route to a VIP. */
	if (up && vh->conf.lladdr == CARP_LLADDR_VIRTUAL)
		carp_nl_link_set_up(nl, vh->vif, 1);
	for (i = 0; i < vh->conf.naddrs; i++) {
		if (up)
			carp_nl_addr_add(nl, vh->vif, &vh->conf.addrs[i]);
		else
			carp_nl_addr_del(nl, vh->vif, &vh->conf.addrs[i]);
	}
	if (!up && vh->conf.lladdr == CARP_LLADDR_VIRTUAL)
		carp_nl_link_set_up(nl, vh->vif, 0);
}

/* Count an announcement round or one frame of it (struct ctl_counters
 * field f), on the vhost and on the daemon. */
#define COUNT_ANN(vh, f)	do {					\
	(vh)->counters.f++;						\
	(vh)->env->counters.f++;					\
} while (0)

static void
announce(struct vhost *vh, enum carp_announce why)
{
	uint8_t frame[128];
	size_t len;
	int i;
	const struct carp_addr *a;

	/* Balanced: clients know the VIP by the shared MAC, which never
	 * moves; gratuitous ARP is only sent with balancing none (OpenBSD
	 * carp_send_arp, carp-protocol.md 2.2). */
	if (vh->bg != NULL)
		return;
	if (why == CARP_ANN_WON)
		COUNT_ANN(vh, ann_won);
	else if (why == CARP_ANN_REFRESH)
		COUNT_ANN(vh, ann_refresh);
	else
		COUNT_ANN(vh, ann_takeover);
	if (why != CARP_ANN_TAKEOVER)
		log_debug("vhid %u: re-announcing (%s)", vh->conf.vhid,
		    why == CARP_ANN_WON ? "won a contest" :
		    why == CARP_ANN_REFRESH ? "garp-refresh" : "delayed");
	for (i = 0; i < vh->conf.naddrs; i++) {
		a = &vh->conf.addrs[i];
		if (a->af == AF_INET)
			len = carp_garp_build_arp(frame, sizeof(frame),
			    vh->vmac, a->addr);
		else
			len = carp_garp_build_na(frame, sizeof(frame),
			    vh->vmac, a->addr, vh->env->ipv6_forwarding);
		if (len == 0)
			continue;
		if (carp_net_send_frame(&vh->env->net, vh->vif, frame,
		    len) == -1)
			COUNT_ANN(vh, ann_errors);
		else if (a->af == AF_INET)
			COUNT_ANN(vh, garp);
		else
			COUNT_ANN(vh, na);
	}
}

static void
log_state(const struct vhost *vh, enum carp_state old, enum carp_state new,
    const char *reason)
{
	/* OpenBSD logs BACKUP<->MASTER at LOG_CRIT, INIT transitions lower. */
	int pri = (old == CARP_S_INIT || new == CARP_S_INIT) ?
	    LOG_WARNING : LOG_CRIT;

	if (pri == LOG_CRIT)
		log_crit("vhid %u on %s: %s -> %s (%s)", vh->conf.vhid,
		    vh->conf.carpdev, carp_state_names[old],
		    carp_state_names[new], reason);
	else
		log_warnx("vhid %u on %s: %s -> %s (%s)", vh->conf.vhid,
		    vh->conf.carpdev, carp_state_names[old],
		    carp_state_names[new], reason);
}

void
carpd_vhost_hold(struct vhost *vh, int delta, const char *reason)
{
	int i;

	carp_demote_hold(&vh->env->demote, "carp", delta);
	for (i = 0; i < vh->conf.ngroups; i++)
		if (strcmp(vh->conf.groups[i], "carp") != 0)
			carp_demote_hold(&vh->env->demote, vh->conf.groups[i],
			    delta);
	log_notice("vhid %u: demotion %+d on its groups (%s)", vh->conf.vhid,
	    delta, reason);
	carpd_demote_changed(vh->env, reason);
}

static void
run_action(struct vhost *vh, const struct carp_action *a)
{
	switch (a->type) {
	case CARP_A_SEND_ADV:
		send_advert(vh, vh->fsm.advbase, vh->fsm.advskew);
		break;
	case CARP_A_SEND_BOWOUT:
		send_advert(vh, CARP_BOWOUT, CARP_BOWOUT);
		break;
	case CARP_A_VIP_UP:
		vip_apply(vh, 1);
		break;
	case CARP_A_VIP_DOWN:
		vip_apply(vh, 0);
		break;
	case CARP_A_GARP:
		announce(vh, a->announce);
		break;
	case CARP_A_STATE:
		vh->transitions++;
		log_state(vh, a->old_state, a->new_state, a->reason);
		control_publish_state(vh->env->ctl, vh, a->old_state,
		    a->new_state, a->reason);
		carpd_health_transition(vh, a->old_state, a->new_state,
		    a->reason);
		break;
	case CARP_A_DEMOTE_ADJ:
		carpd_vhost_hold(vh, a->delta, a->reason);
		break;
	case CARP_A__MAX:
		break;
	}
}

static void
arm_timer(struct vhost *vh)
{
	uint64_t deadline, now;
	struct timeval tv;

	deadline = carp_fsm_next_deadline(&vh->fsm);
	if (deadline == 0) {
		evtimer_del(vh->timer);
		return;
	}
	now = carpd_now_us();
	deadline = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(deadline / 1000000);
	tv.tv_usec = (suseconds_t)(deadline % 1000000);
	evtimer_add(vh->timer, &tv);
}

void
carpd_event(struct vhost *vh, const struct carp_event *ev)
{
	struct carp_actions acts;
	int i;

	carp_fsm_step(&vh->fsm, ev, carpd_now_us(), &acts);
	if (ev->type != CARP_EV_TIMER && ev->type != CARP_EV_ADV_RX)
		log_debug("vhid %u: %s in %s: %d actions", vh->conf.vhid,
		    carp_ev_names[ev->type], carp_state_names[vh->fsm.state],
		    acts.n);
	for (i = 0; i < acts.n; i++)
		run_action(vh, &acts.a[i]);
	arm_timer(vh);
}

void
carpd_timer_cb(int fd, short what, void *arg)
{
	struct vhost *vh = arg;
	struct carp_event ev = { .type = CARP_EV_TIMER };

	(void)fd;
	(void)what;
	carpd_event(vh, &ev);
}

/* The carpstats counter for a drop reason. */
static uint64_t *
drop_counter(struct ctl_counters *c, enum carp_drop why)
{
	switch (why) {
	case CARP_DROP_BADIF:	return &c->badif;
	case CARP_DROP_BADTTL:	return &c->badttl;
	case CARP_DROP_HDROPS:	return &c->hdrops;
	case CARP_DROP_BADLEN:	return &c->badlen;
	case CARP_DROP_BADSUM:	return &c->badsum;
	case CARP_DROP_BADVHID:	return &c->badvhid;
	case CARP_DROP_BADVER:	return &c->badver;
	case CARP_DROP_BADAUTH:	return &c->badauth;
	case CARP_DROP_LOOP:	return &c->loop;
	case CARP_DROP_AUTHMISSING:	return &c->authmissing;
	case CARP_DROP_AUTHMALFORMED:	return &c->authmalformed;
	case CARP_DROP_AUTHFORGED:	return &c->authforged;
	case CARP_DROP_REPLAY:		return &c->authreplay;
	case CARP_OK:
	case CARP_DROP__MAX:
		break;
	}
	return NULL;
}

/* Count a drop on the daemon and, when known, on the vhost; log it at most
 * once per reason per DROP_LOG_INTERVAL_US (house style R10). */
static void
count_drop(struct carpd *env, struct vhost *vh, enum carp_drop why,
    int af, const uint8_t *src)
{
	char addr[INET6_ADDRSTRLEN];
	uint64_t now, *c;

	if ((c = drop_counter(&env->counters, why)) == NULL)
		return;
	(*c)++;
	if (vh == NULL)
		return;
	(*drop_counter(&vh->counters, why))++;
	now = carpd_now_us();
	if (vh->drop_logged[why] != 0 &&
	    now - vh->drop_logged[why] < DROP_LOG_INTERVAL_US)
		return;
	vh->drop_logged[why] = now;
	inet_ntop(af, src, addr, sizeof(addr));
	log_info("vhid %u on %s: dropped advert from %s: %s", vh->conf.vhid,
	    vh->conf.carpdev, addr, carp_drop_names[why]);
}

/* The vhost on this carpdev with this vhid and the same peer type
 * (multicast or unicast) as the packet, as OpenBSD's lookup. */
static struct vhost *
rx_lookup(struct carpd *env, struct carpdev *dev, uint8_t vhid, int mcast)
{
	int i;
	struct vhost *vh;

	for (i = 0; i < env->nvh; i++) {
		vh = env->vh[i];
		if (vh->dev == dev && vh->conf.vhid == vhid &&
		    (vh->conf.peer.af == 0) == mcast)
			return vh;
	}
	return NULL;
}

/* An accepted advert of an `auth` vhost: verified, or (compat) plain. */
static void
count_auth(struct carpd *env, struct vhost *vh, int unauthenticated)
{
	if (vh->conf.auth == CARP_AUTH_OFF)
		return;
	if (unauthenticated) {
		vh->counters.unauthenticated++;
		env->counters.unauthenticated++;
	} else {
		vh->counters.authvalid++;
		env->counters.authvalid++;
	}
}

static void
rx_advert(struct carpdev *dev, int af, const uint8_t *carp, size_t len,
    const uint8_t *src, int mcast, enum carp_drop early)
{
	struct carpd *env = dev->env;
	struct carp_advert ad;
	struct vhost *vh = NULL;
	struct carp_event ev = { .type = CARP_EV_ADV_RX };
	enum carp_drop why = early;
	int unauthenticated = 0;

	if (af == AF_INET)
		env->counters.ipackets++;
	else
		env->counters.ipackets6++;
	/* Attribute early drops to the vhost named by the vhid byte if any. */
	if (len >= 2)
		vh = rx_lookup(env, dev, carp[1], mcast);
	if (vh != NULL) {
		if (af == AF_INET)
			vh->counters.ipackets++;
		else
			vh->counters.ipackets6++;
	}
	if (why == CARP_OK && vh == NULL)
		why = CARP_DROP_BADVHID;
	if (why == CARP_OK && carp_wire_decode(carp, len, &ad) == -1)
		why = CARP_DROP_HDROPS;
	if (why == CARP_OK)
		why = carp_rx_version(&ad);
	if (why == CARP_OK && !carp_hmac_verify(&vh->hmac, ad.counter, ad.md))
		why = CARP_DROP_BADAUTH;
	if (why == CARP_OK && memcmp(ad.counter, vh->cookie, 8) == 0)
		why = CARP_DROP_LOOP;
	/* last, so a plain advert is judged exactly as OpenBSD would */
	if (why == CARP_OK)
		why = carp_auth_check(vh->conf.auth, vh->conf.authkey,
		    &vh->auth_replay, carp, len, af, src, &unauthenticated);
	if (why != CARP_OK) {
		count_drop(env, vh, why, af, src);
		return;
	}
	count_auth(env, vh, unauthenticated);
	ev.advbase = ad.advbase;
	ev.advskew = ad.advskew;
	ev.demote = ad.demote;
	/* for `tiebreak lower-address`: the advert's source against ours */
	ev.af = af;
	memcpy(ev.src, src, af == AF_INET ? 4 : 16);
	memcpy(ev.self, af == AF_INET ? dev->src4 : dev->src6,
	    af == AF_INET ? 4 : 16);
	carpd_event(vh, &ev);
}

static int
ipv4_is_mcast(const uint8_t a[4])
{
	return (a[0] & 0xf0) == 0xe0;
}

void
carpd_rx_cb(int fd, short what, void *arg)
{
	struct carpdev *dev = arg;
	uint8_t buf[2048], src[4], dst[4];
	const uint8_t *carp;
	size_t carplen;
	struct carp_rx rx;
	enum carp_drop why;
	int af, n;

	(void)what;
	af = fd == dev->rx4 ? AF_INET : AF_INET6;
	/* Drain a bounded batch so one flooded socket cannot starve the loop. */
	for (n = 0; n < 64; n++) {
		if (carp_net_rx_read(fd, af, buf, sizeof(buf), &rx) != 1)
			return;
		/* SO_BINDTODEVICE should make this impossible; count it if
		 * the kernel ever says otherwise (carpstats badif). */
		if (rx.ifindex != 0 && rx.ifindex != dev->ifindex) {
			count_drop(dev->env, NULL, CARP_DROP_BADIF, af, rx.src);
			continue;
		}
		if (af == AF_INET) {
			memset(src, 0, sizeof(src));
			memset(dst, 0, sizeof(dst));
			why = carp_rx_ipv4(rx.carp, rx.len, src, dst, &carp,
			    &carplen);
			if (why != CARP_OK) {
				carp = rx.len > 20 ? rx.carp + 20 : rx.carp;
				carplen = rx.len > 20 ? rx.len - 20 : 0;
			}
			rx_advert(dev, af, carp, carplen, src,
			    ipv4_is_mcast(dst), why);
		} else {
			why = carp_rx_ipv6(rx.carp, rx.len, rx.hoplimit);
			rx_advert(dev, af, rx.carp, rx.len, rx.src,
			    rx.dst[0] == 0xff, why);
		}
	}
}
