/*
 * carpd.h: the daemon context (struct carpd) and the runtime vhost. The
 * only mutable state of the daemon lives here and is passed explicitly.
 */
#ifndef CARPD_CARPD_H
#define CARPD_CARPD_H

#include <stdint.h>

#include "carp_auth.h"
#include "carp_balance.h"
#include "carp_conf.h"
#include "carp_demote.h"
#include "carp_fsm.h"
#include "carp_hmac.h"
#include "carp_nd.h"
#include "carp_net.h"
#include "carp_track.h"
#include "carp_wire.h"
#include "ctl_proto.h"
#include "priv.h"

struct event;
struct event_base;
struct carpd;
struct control;
struct nft_shell;
struct vhost;
struct carpdev;

#define CARPD_MAX_BALGROUPS	32	/* balanced groups per carpdev */

/* One balanced vhost file (carpnodes) at run time (balancer.c). */
struct balgroup {
	struct carp_balance_set	 set;	/* .owned: the mask in the table now */
	struct carpdev		*dev;
	struct vhost		*node[CARP_MAX_NODES];	/* by node_index */
	/* the group's VIPs as configured (prefixes included): a change of
	 * them re-creates the group on reload (carpd.c balance_same) */
	struct carp_addr	 addrs[CARP_MAX_ADDRS];
	int			 naddrs;
	int			 vips_up;	/* VIPs on the carpdev */
	uint64_t		 arp[CARP_ARP__MAX];	/* verdicts of requests */
	uint64_t		 arp_send_errors;
	uint64_t		 nd[CARP_ND__MAX];	/* verdicts of solicitations */
	uint64_t		 nd_send_errors;
	/* the table's counters as last read (carpd_balance_counters) */
	uint64_t		 accepted[CARP_MAX_NODES];
	uint64_t		 ignored[CARP_MAX_NODES];
};

/* A carpdev with its receive sockets, shared by its vhosts. */
struct carpdev {
	char		 name[IFNAMSIZ];
	int		 ifindex;
	int		 rx4, rx6;		/* -1 if not open */
	struct event	*ev4, *ev6;
	uint8_t		 src4[16];		/* advert sources (IPv4 in 4 bytes) */
	uint8_t		 src6[16];
	int		 refs;
	struct carpd	*env;
	/* balancer.c: the groups balanced here and their ARP responder */
	struct balgroup	*bg[CARPD_MAX_BALGROUPS];
	int		 nbg;
	int		 arp_fd;		/* -1 if not open */
	struct event	*arp_ev;
	uint8_t		 real_mac[6];
	uint64_t	 arp_other;		/* requests for other hosts */
	uint64_t	 nd_other;		/* solicitations for other hosts */
};

struct vhost {
	struct carp_vhost_conf	 conf;
	struct carp_fsm		 fsm;
	struct carp_hmac	 hmac;
	/* OpenBSD 1.370: a random cookie sent unchanged in every advert; an
	 * advert carrying it is our own, looped back (carp-protocol.md 1.5). */
	uint8_t			 cookie[8];
	struct carp_auth_replay	 auth_replay;	/* `auth`: senders' counters */
	uint8_t			 vmac[6];
	struct carpdev		*dev;
	int			 vif;		/* ifindex holding the VIPs */
	int			 has_v4, has_v6;
	uint32_t		 transitions;
	struct ctl_counters	 counters;
	uint64_t		 drop_logged[CARP_DROP__MAX];	/* last log, us */
	uint64_t		 send_err_logged;
	int			 send_errors;	/* consecutive failed sends */
	int			 send_ok;	/* consecutive good sends while demoted */
	int			 send_demoted;	/* holds +1 for send errors */
	struct event		*timer;
	struct carpd		*env;
	/* carp_health.c: tracks and notify hooks (carpd.conf(5)) */
	struct carp_tracks	 tracks;
	int			 track_groups;	/* weight held on the groups */
	int			 track_vhost;	/* track-scope vhost: own part */
	struct carp_hookq	 hooks;
	struct event		*track_timer, *hook_timer;
	struct balgroup		*bg;		/* balancer.c; NULL: not balanced */
};

#define CARPD_MAX_DEVS	64

struct carpd {
	struct event_base	*base;
	const char		*conf_path;
	struct carpd_conf	*conf;
	int			 debug;
	int			 verbose;
	int			 ipv6_forwarding;	/* R flag in NAs */
	struct vhost		*vh[CARP_MAX_VHOSTS];
	int			 nvh;
	struct carpdev		*devs[CARPD_MAX_DEVS];
	int			 ndevs;
	struct carp_demote	 demote;
	struct carp_net		 net;
	struct carp_nl		*nl;
	struct event		*nl_ev;
	struct control		*ctl;
	struct ctl_counters	 counters;	/* daemon-wide */
	/* `auth` trailer counters: one sequence for every vhost, so that a
	 * vhost re-created by a reload never repeats a counter; 0: unset */
	uint32_t		 auth_epoch;
	uint32_t		 auth_seq;
	struct event		*sig_term, *sig_int, *sig_hup;
	int			 stopping;
	struct priv_user	 user;		/* runs as after setup (`user`) */
	/* carp_health.c */
	uint64_t		 start_us;	/* preempt-delay counts from it */
	struct event		*sig_chld;
	struct ctl_hook_stats	 hstats;	/* daemon-wide hook/fifo/script */
	char			 fifo[256];	/* notify-fifo as at start */
	struct metrics_http	*metrics;	/* metrics-listen, or NULL */
	/* balancer.c */
	struct nft_shell		*nft;		/* NULL until a group needs it */
	uint64_t		 bal_nft_errors;
	/* control.c: carpd_now_us() of the last read of the tables'
	 * counters (balance_refresh, at most once a second); 0: never */
	uint64_t		 bal_read_us;
	/* balance-nat: a syncd with defer was connected at the last guard
	 * run (carpd_nat_guard), to log each change once */
	int			 defer_avail;
};

/* carp_act.c: events in, actions out */
uint64_t	 carpd_now_us(void);
void		 carpd_event(struct vhost *, const struct carp_event *);
void		 carpd_timer_cb(int, short, void *);
void		 carpd_rx_cb(int, short, void *);
/* Add delta to the held demotion of every group of the vhost. */
void		 carpd_vhost_hold(struct vhost *, int delta, const char *reason);

/* carpd.c */
struct vhost	*carpd_vhost(struct carpd *, uint8_t vhid);
/* A group's demotion changed (reason for the log): log each group's
 * old -> new value, recompute every vhost's count. */
void		 carpd_demote_changed(struct carpd *, const char *reason);
int		 carpd_reload(struct carpd *, char *err, size_t errlen);
/* balance-nat (carpd.conf(5) BALANCING): hold the nodes of balance-nat
 * groups in INIT while no syncd with defer is connected, release them
 * when one is. Run whenever that or the config changes. */
void		 carpd_nat_guard(struct carpd *);
/* Raise the persisted auth epoch (carpd.conf(5) auth); -1 if it failed. */
int		 carpd_auth_epoch_raise(struct carpd *);

/* carp_health.c: tracks, notify hooks, notify-fifo */
void		 carpd_health_setup(struct carpd *);	/* as root, before the drop */
void		 carpd_health_teardown(struct carpd *);
void		 carpd_health_configure(struct vhost *);	/* preempt-delay */
void		 carpd_health_vhost_start(struct vhost *);
void		 carpd_health_vhost_stop(struct vhost *);
/* Reload: give back what the tracks hold (before the new conf is in
 * vh->conf), then carry them over to it and hold again (after). */
void		 carpd_health_release(struct vhost *);
void		 carpd_health_reload(struct vhost *, const struct carp_tracks *old);
void		 carpd_health_links(struct carpd *);	/* a link changed */
void		 carpd_health_transition(struct vhost *, enum carp_state old,
		    enum carp_state new_state, const char *reason);
/* The part of a vhost's advertised demotion its own tracks hold. */
int		 carpd_health_vhost_demote(const struct vhost *);

/* balancer.c: carpd.conf(5) BALANCING */
int		 carpd_conf_balances(const struct carpd_conf *);
int		 carpd_balance_setup(struct carpd *);	/* as root */
void		 carpd_balance_teardown(struct carpd *);
/* Join the vhost to its group on its carpdev (vif, vmac set); -1 fails. */
int		 carpd_balance_attach(struct vhost *);
void		 carpd_balance_detach(struct vhost *);
/* A node's state changed: the group's buckets and VIPs follow. */
void		 carpd_balance_follow(struct vhost *);
/* Read the carpdev's table counters into its groups. */
void		 carpd_balance_counters(struct carpdev *);

/* control.c */
struct control	*control_open(struct carpd *, const char *path);
void		 control_close(struct control *);
/* 1 if a connected client declared CTL_SYNC_CAP_DEFER (CTL_SYNC_CAPS). */
int		 control_defer_available(const struct control *);
/* metrics-listen's text (metrics_http.h metrics_render_fn; arg: carpd) */
struct metrics_out;
void		 control_metrics(void *env, struct metrics_out *);
void		 control_publish_state(struct control *, const struct vhost *,
		    enum carp_state old, enum carp_state new_state,
		    const char *reason);

#endif
