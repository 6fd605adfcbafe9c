/*
 * carp_health.c: the I/O shell of health tracks, notify hooks and the
 * notify-fifo (carpd.conf(5) TRACKING, HOOKS). The bookkeeping is pure in
 * carp_track.c; processes are started by carp_spawn.c and reaped here
 * from a SIGCHLD event of the daemon's one loop, so nothing ever waits.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "carp_spawn.h"
#include "carp_vip.h"
#include "carpd.h"
#include "log.h"

#define USEC_PER_SEC	1000000ULL
#define SPAWN_PATH	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What CARP_IFNAME says: the interface holding the VIPs, as status shows. */
static const char *
vhost_ifname(const struct vhost *vh)
{
	return vh->conf.lladdr == CARP_LLADDR_REAL || vh->bg != NULL ?
	    vh->conf.carpdev :
	    vh->conf.ifname;
}

static void
arm(struct event *ev, uint64_t deadline)
{
	uint64_t	 now = carpd_now_us(), d;
	struct timeval	 tv;

	if (deadline == 0) {
		evtimer_del(ev);
		return;
	}
	d = deadline > now ? deadline - now : 0;
	tv.tv_sec = (time_t)(d / USEC_PER_SEC);
	tv.tv_usec = (suseconds_t)(d % USEC_PER_SEC);
	evtimer_add(ev, &tv);
}

/* ---- demotion ------------------------------------------------------ */

int
carpd_health_vhost_demote(const struct vhost *vh)
{
	return vh->track_vhost;
}

/* Apply a track's delta where the vhost's track-scope puts it. */
static void
track_apply(struct vhost *vh, int delta, const char *reason)
{
	if (delta == 0)
		return;
	if (vh->conf.track_scope == CARP_SCOPE_GROUP) {
		vh->track_groups += delta;
		carpd_vhost_hold(vh, delta, reason);
		return;
	}
	vh->track_vhost += delta;
	log_notice("vhid %u: own demotion %d -> %d (%s)", vh->conf.vhid,
	    vh->track_vhost - delta, vh->track_vhost, reason);
	carpd_demote_changed(vh->env, reason);
}

static void
track_changed(struct vhost *vh, struct carp_track *t, int delta,
    const char *why)
{
	char	 reason[CTL_NAMELEN];

	if (delta == 0)
		return;
	log_notice("vhid %u: track %s \"%s\" %s (%s): weight %d %s",
	    vh->conf.vhid, t->conf.kind == CARP_TRACK_IFACE ? "interface" :
	    "script", t->conf.name, t->up ? "up" : "down", why, t->conf.weight,
	    delta > 0 ? "held" : "given back");
	snprintf(reason, sizeof(reason), "track %s", t->up ? "up" : "down");
	track_apply(vh, delta, reason);
}

/* ---- track-interface ---------------------------------------------- */

static int
iface_up(struct carpd *env, const char *name)
{
	int	 idx = carp_nl_ifindex(env->nl, name);

	return idx > 0 && carp_nl_carrier(env->nl, idx) == 1;
}

static void
vhost_links(struct vhost *vh)
{
	struct carp_track	*t;
	int			 i, up, d;

	for (i = 0; i < vh->tracks.n; i++) {
		t = &vh->tracks.t[i];
		if (t->conf.kind != CARP_TRACK_IFACE)
			continue;
		up = iface_up(vh->env, t->conf.name);
		if (up == t->up)
			continue;
		d = carp_track_result(t, up ? CARP_TRACK_OK : CARP_TRACK_FAIL,
		    carpd_now_us());
		track_changed(vh, t, d, up ? "carrier" : "missing, down or "
		    "no carrier");
	}
}

void
carpd_health_links(struct carpd *env)
{
	int	 i;

	for (i = 0; i < env->nvh; i++)
		vhost_links(env->vh[i]);
}

/* ---- track-script --------------------------------------------------- */

static void
script_start(struct vhost *vh, struct carp_track *t, uint64_t now)
{
	char	 vhid[32], ifn[64];
	char	*envp[] = { SPAWN_PATH, vhid, ifn, NULL };
	int	 pid, d;

	snprintf(vhid, sizeof(vhid), "CARP_VHID=%u", vh->conf.vhid);
	snprintf(ifn, sizeof(ifn), "CARP_IFNAME=%s", vhost_ifname(vh));
	if ((pid = carp_spawn(t->conf.name, envp)) == -1) {
		log_warn("vhid %u: track-script \"%s\": cannot start",
		    vh->conf.vhid, t->conf.name);
		carp_track_started(t, -1, now);
		vh->env->hstats.script_runs++;
		vh->env->hstats.script_failures++;
		d = carp_track_result(t, CARP_TRACK_FAIL, now);
		track_changed(vh, t, d, "cannot start");
		return;
	}
	carp_track_started(t, pid, now);
	log_debug("vhid %u: track-script \"%s\": pid %d", vh->conf.vhid,
	    t->conf.name, pid);
}

static void
track_timer_cb(int fd, short what, void *arg)
{
	struct vhost		*vh = arg;
	struct carp_track	*t;
	uint64_t		 now = carpd_now_us();
	int			 i;

	(void)fd;
	(void)what;
	for (i = 0; i < vh->tracks.n; i++) {
		t = &vh->tracks.t[i];
		if (carp_track_overdue(t, now)) {
			carp_spawn_kill(t->pid);
			t->killed = 1;
			log_warnx("vhid %u: track-script \"%s\": pid %d still "
			    "running after %us, killed", vh->conf.vhid,
			    t->conf.name, t->pid, t->conf.timeout_s);
		} else if (carp_track_due(t, now))
			script_start(vh, t, now);
	}
	arm(vh->track_timer, carp_tracks_next_deadline(&vh->tracks));
}

static void
script_done(struct vhost *vh, struct carp_track *t, int status)
{
	struct ctl_hook_stats	*hs = &vh->env->hstats;
	enum carp_track_result	 r;
	char			 st[32];
	int			 d;

	if (t->killed)
		r = CARP_TRACK_TIMEOUT;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		r = CARP_TRACK_OK;
	else
		r = CARP_TRACK_FAIL;
	hs->script_runs++;
	hs->script_failures += r != CARP_TRACK_OK;
	hs->script_timeouts += r == CARP_TRACK_TIMEOUT;
	carp_spawn_status(status, st, sizeof(st));
	log_debug("vhid %u: track-script \"%s\": pid %d ended, %s",
	    vh->conf.vhid, t->conf.name, t->pid, st);
	d = carp_track_result(t, r, carpd_now_us());
	track_changed(vh, t, d, r == CARP_TRACK_TIMEOUT ? "timeout" : st);
	arm(vh->track_timer, carp_tracks_next_deadline(&vh->tracks));
}

/* ---- notify hooks -------------------------------------------------- */

static void
hook_try(struct vhost *vh)
{
	struct carp_hook_ev	 ev;
	char			 vhid[32], ifn[64], o[32], n[32], r[64];
	char			*envp[] = { SPAWN_PATH, vhid, ifn, o, n, r, NULL };
	uint64_t		 now;
	int			 pid;

	while (vh->conf.notify[0] != '\0' && carp_hookq_next(&vh->hooks, &ev)) {
		snprintf(vhid, sizeof(vhid), "CARP_VHID=%u", vh->conf.vhid);
		snprintf(ifn, sizeof(ifn), "CARP_IFNAME=%s", vhost_ifname(vh));
		snprintf(o, sizeof(o), "CARP_OLD=%s",
		    carp_state_names[ev.old_state]);
		snprintf(n, sizeof(n), "CARP_NEW=%s",
		    carp_state_names[ev.new_state]);
		snprintf(r, sizeof(r), "CARP_REASON=%s", ev.reason);
		now = carpd_now_us();
		if ((pid = carp_spawn(vh->conf.notify, envp)) == -1) {
			log_warn("vhid %u: notify hook: cannot start",
			    vh->conf.vhid);
			vh->hooks.run++;
			vh->hooks.failed++;
			vh->env->hstats.hooks_run++;
			vh->env->hstats.hooks_failed++;
			continue;
		}
		carp_hookq_started(&vh->hooks, pid, now);
		vh->env->hstats.hooks_run++;
		arm(vh->hook_timer, vh->hooks.kill_us);
		return;
	}
}

static void
hook_timer_cb(int fd, short what, void *arg)
{
	struct vhost	*vh = arg;

	(void)fd;
	(void)what;
	if (vh->hooks.pid <= 0 || vh->hooks.killed)
		return;
	carp_spawn_kill(vh->hooks.pid);
	vh->hooks.killed = 1;
	log_warnx("vhid %u: notify hook: pid %d still running after %ds, "
	    "killed", vh->conf.vhid, vh->hooks.pid, CARP_HOOK_TIMEOUT_S);
}

static void
hook_done(struct vhost *vh, int status)
{
	int	 ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	char	 st[32];

	carp_spawn_status(status, st, sizeof(st));
	if (vh->hooks.killed)
		vh->env->hstats.hooks_killed++;
	else if (!ok)
		vh->env->hstats.hooks_failed++;
	if (ok)
		log_info("vhid %u: notify hook: pid %d, %s", vh->conf.vhid,
		    vh->hooks.pid, st);
	else
		log_warnx("vhid %u: notify hook: pid %d, %s%s", vh->conf.vhid,
		    vh->hooks.pid, st, vh->hooks.killed ? " (timeout)" : "");
	carp_hookq_done(&vh->hooks, ok);
	evtimer_del(vh->hook_timer);
	hook_try(vh);
}

/* ---- notify-fifo ---------------------------------------------------- */

/* One line, or none: no reader (ENXIO), a full pipe (EAGAIN) or any
 * error drops it, counted; opened per line so a reader only ever sees
 * transitions from while it reads. */
static void
fifo_write(struct carpd *env, const struct vhost *vh, enum carp_state old,
    enum carp_state new_state, const char *reason)
{
	char	 line[CTL_NAMELEN * 3 + 32];
	size_t	 len;
	ssize_t	 n = -1;
	int	 fd;

	len = carp_notify_line(line, sizeof(line), vh->conf.vhid,
	    vhost_ifname(vh), carp_state_names[old],
	    carp_state_names[new_state], reason);
	fd = open(env->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd != -1 && len > 0)
		n = write(fd, line, len);	/* < PIPE_BUF: all or nothing */
	if (fd != -1)
		close(fd);
	if (n == (ssize_t)len && len > 0) {
		env->hstats.fifo_written++;
		return;
	}
	env->hstats.fifo_dropped++;
	log_debug("notify-fifo %s: line dropped (%s)", env->fifo,
	    fd == -1 ? strerror(errno) : "pipe full");
}

void
carpd_health_transition(struct vhost *vh, enum carp_state old,
    enum carp_state new_state, const char *reason)
{
	struct carp_hook_ev	 ev;

	if (vh->env->fifo[0] != '\0')
		fifo_write(vh->env, vh, old, new_state, reason);
	if (vh->conf.notify[0] == '\0')
		return;
	memset(&ev, 0, sizeof(ev));
	ev.old_state = (uint8_t)old;
	ev.new_state = (uint8_t)new_state;
	snprintf(ev.reason, sizeof(ev.reason), "%s", reason ? reason : "");
	if (carp_hookq_push(&vh->hooks, &ev) == -1) {
		vh->env->hstats.hooks_dropped++;
		log_warnx("vhid %u: notify hook: %d transitions waiting, %s -> "
		    "%s dropped", vh->conf.vhid, CARP_HOOK_QUEUE,
		    carp_state_names[old], carp_state_names[new_state]);
		return;
	}
	hook_try(vh);
}

/* ---- reaping ---------------------------------------------------------- */

static void
reaped(struct carpd *env, int pid, int status)
{
	struct carp_track	*t;
	struct vhost		*vh;
	int			 i;

	for (i = 0; i < env->nvh; i++) {
		vh = env->vh[i];
		if ((t = carp_tracks_by_pid(&vh->tracks, pid)) != NULL) {
			script_done(vh, t, status);
			return;
		}
		if (vh->hooks.pid == pid) {
			hook_done(vh, status);
			return;
		}
	}
	/* a vhost removed meanwhile, or a track a reload removed */
	log_debug("pid %d reaped, no longer tracked", pid);
}

static void
sigchld_cb(int sig, short what, void *arg)
{
	struct carpd	*env = arg;
	int		 pid, status;

	(void)sig;
	(void)what;
	while (carp_spawn_reap(&pid, &status))
		reaped(env, pid, status);
}

/* ---- life cycle -------------------------------------------------------- */

/* The FIFO exists before the drop: its directory may be root's. */
static void
fifo_create(struct carpd *env)
{
	const char	*path = env->conf->notify_fifo;
	struct stat	 st;

	/* fixed for the daemon's life: a reload cannot create another one
	 * once the privileges are gone */
	snprintf(env->fifo, sizeof(env->fifo), "%s", path);
	if (path[0] == '\0')
		return;
	if (lstat(path, &st) == 0) {
		if (!S_ISFIFO(st.st_mode))
			log_warnx("notify-fifo %s: exists and is not a FIFO",
			    path);
		return;
	}
	if (mkfifo(path, 0660) == -1) {
		log_warn("notify-fifo %s: mkfifo", path);
		return;
	}
	/* mkfifo honours the umask: set the mode itself */
	if (chmod(path, 0660) == -1 || (geteuid() == 0 &&
	    chown(path, (uid_t)env->user.uid, (gid_t)env->user.gid) == -1))
		log_warn("notify-fifo %s: chmod/chown", path);
}

void
carpd_health_setup(struct carpd *env)
{
	env->start_us = carpd_now_us();
	env->sig_chld = evsignal_new(env->base, SIGCHLD, sigchld_cb, env);
	evsignal_add(env->sig_chld, NULL);
	fifo_create(env);
}

void
carpd_health_teardown(struct carpd *env)
{
	if (env->sig_chld != NULL)
		event_free(env->sig_chld);
	env->sig_chld = NULL;
}

void
carpd_health_configure(struct vhost *vh)
{
	struct carpd	*env = vh->env;
	int		 delay = vh->conf.preempt_delay >= 0 ?
			    vh->conf.preempt_delay : env->conf->preempt_delay;

	vh->fsm.preempt_after = delay > 0 ?
	    env->start_us + (uint64_t)delay * USEC_PER_SEC : 0;
}

/* Evaluate the interfaces, hold what the down ones weigh, arm the timer. */
static void
tracks_apply_all(struct vhost *vh, const char *reason)
{
	int	 held = carp_tracks_held(&vh->tracks);

	track_apply(vh, held, reason);
	vhost_links(vh);
	arm(vh->track_timer, carp_tracks_next_deadline(&vh->tracks));
}

void
carpd_health_vhost_start(struct vhost *vh)
{
	struct event_base	*base = vh->env->base;

	vh->track_timer = evtimer_new(base, track_timer_cb, vh);
	vh->hook_timer = evtimer_new(base, hook_timer_cb, vh);
	carp_tracks_init(&vh->tracks, vh->conf.tracks, vh->conf.ntracks,
	    carpd_now_us());
	tracks_apply_all(vh, "tracks");
}

void
carpd_health_release(struct vhost *vh)
{
	/* exactly what is held, where it is held */
	if (vh->track_groups > 0) {
		carpd_vhost_hold(vh, -vh->track_groups, "tracks reloaded");
		vh->track_groups = 0;
	}
	if (vh->track_vhost > 0) {
		vh->track_vhost = 0;
		carpd_demote_changed(vh->env, "tracks reloaded");
	}
}

void
carpd_health_reload(struct vhost *vh, const struct carp_tracks *old)
{
	int	 orphans[CARP_MAX_TRACKS], n, i;

	carp_tracks_init(&vh->tracks, vh->conf.tracks, vh->conf.ntracks,
	    carpd_now_us());
	n = carp_tracks_carry(&vh->tracks, old, orphans, CARP_MAX_TRACKS);
	for (i = 0; i < n; i++)
		carp_spawn_kill(orphans[i]);	/* its track is gone */
	tracks_apply_all(vh, "tracks reloaded");
}

void
carpd_health_vhost_stop(struct vhost *vh)
{
	int	 i;

	for (i = 0; i < vh->tracks.n; i++)
		carp_spawn_kill(vh->tracks.t[i].pid);
	carpd_health_release(vh);
	/* a hook still running finishes on its own; its reap is ignored */
	if (vh->track_timer != NULL)
		event_free(vh->track_timer);
	if (vh->hook_timer != NULL)
		event_free(vh->hook_timer);
	vh->track_timer = vh->hook_timer = NULL;
}
