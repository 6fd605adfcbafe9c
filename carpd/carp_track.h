/*
 * carp_track.h: health tracks (track-interface, track-script) and the
 * notify-hook queue of a vhost (carpd.conf(5) TRACKING and HOOKS). Pure:
 * time is an input, a process is only a pid number here; the shell
 * (carp_health.c with carp_spawn.c) runs the scripts, reaps them and
 * applies the demotion deltas these functions return.
 *
 * A track is up (healthy) or down. A down track holds its weight on the
 * vhost's demotion (its groups, or the vhost alone with `track-scope
 * vhost`); every change returns the exact delta to apply, so the sum the
 * shell holds is always carp_tracks_held().
 */
#ifndef CARPD_CARP_TRACK_H
#define CARPD_CARP_TRACK_H

#include <stdint.h>

#define CARP_MAX_TRACKS		16	/* per vhost */
#define CARP_TRACK_CMDLEN	256	/* command or interface name + NUL */
#define CARP_HOOK_QUEUE		4	/* transitions waiting for a hook */
#define CARP_HOOK_REASONLEN	32	/* == CTL_NAMELEN */
#define CARP_HOOK_TIMEOUT_S	10	/* a notify hook is killed after it */

enum carp_track_kind {
	CARP_TRACK_IFACE	= 0,	/* track-interface */
	CARP_TRACK_SCRIPT	= 1,	/* track-script */
};

enum carp_track_scope {
	CARP_SCOPE_GROUP	= 0,	/* default: every group of the file */
	CARP_SCOPE_VHOST	= 1,	/* this vhost's advertised demote only */
};

struct carp_track_conf {
	enum carp_track_kind kind;
	char		 name[CARP_TRACK_CMDLEN];	/* IFACE or CMD */
	uint8_t		 weight;	/* 1..255, default 1 */
	uint32_t	 interval_s;	/* scripts: 1..86400 */
	uint32_t	 timeout_s;	/* scripts: 1..86400, default interval */
	int		 line;		/* where it was given */
};

enum carp_track_result {
	CARP_TRACK_OK		= 0,	/* exit status 0 / link up */
	CARP_TRACK_FAIL		= 1,	/* any other end */
	CARP_TRACK_TIMEOUT	= 2,	/* killed at its timeout */
};

struct carp_track {
	struct carp_track_conf conf;
	int		 up;		/* 1 healthy; tracks start up */
	int		 held;		/* weight held now: 0 or conf.weight */
	uint32_t	 consec;	/* results in a row agreeing with up */
	uint64_t	 runs, failures, timeouts;
	/* scripts */
	int		 pid;		/* > 0 while a run is going */
	int		 killed;	/* that run got SIGKILL at its timeout */
	uint64_t	 started_us;
	uint64_t	 next_us;	/* next run due (not before the last ends) */
	uint64_t	 kill_us;	/* running: timeout deadline */
};

struct carp_tracks {
	struct carp_track t[CARP_MAX_TRACKS];
	int		 n;
};

/* Tracks from their config, all up; scripts due at now. */
void	carp_tracks_init(struct carp_tracks *, const struct carp_track_conf *,
	    int n, uint64_t now);

/* Record one result (an interface's state, or a script's end at now):
 * counters, consecutive results, the script's next run. Returns the
 * demotion delta: +weight when it went down, -weight when it came up,
 * else 0. */
int	carp_track_result(struct carp_track *, enum carp_track_result,
	    uint64_t now);

/* A script that should start now (none running, its time has come). */
int	carp_track_due(const struct carp_track *, uint64_t now);
/* A run started as pid at now: next run one interval later. */
void	carp_track_started(struct carp_track *, int pid, uint64_t now);
/* A running script past its timeout and not yet killed. */
int	carp_track_overdue(const struct carp_track *, uint64_t now);

/* Earliest time something must happen (a run due, a kill); 0: none. */
uint64_t carp_tracks_next_deadline(const struct carp_tracks *);
/* Sum of the weights held (what the shell must have applied). */
int	carp_tracks_held(const struct carp_tracks *);
/* The script track running as pid, or NULL. */
struct carp_track *carp_tracks_by_pid(struct carp_tracks *, int pid);

/*
 * Reload: nt is fresh from carp_tracks_init(); every track of old with
 * the same kind and name carries its state, counters and running pid
 * over, and holds the (possibly new) weight if it is down. The pids of
 * old running scripts that nt lacks go to orphans (up to max; their
 * number is returned): the shell kills them, the reap finds no track.
 */
int	carp_tracks_carry(struct carp_tracks *nt, const struct carp_tracks *old,
	    int *orphans, int max);

/* ---- notify hooks ------------------------------------------------- */

struct carp_hook_ev {
	uint8_t		 old_state, new_state;	/* enum carp_state */
	char		 reason[CARP_HOOK_REASONLEN];
};

/*
 * One hook runs at a time per vhost; transitions meanwhile wait in a FIFO
 * of CARP_HOOK_QUEUE; beyond that the newest is dropped and counted.
 */
struct carp_hookq {
	struct carp_hook_ev q[CARP_HOOK_QUEUE];
	int		 head, n;
	int		 pid;		/* running hook, 0 if none */
	int		 killed;
	uint64_t	 kill_us;
	uint64_t	 run, failed, killed_n, dropped;
};

/* Queue a transition: 0, or -1 if the queue was full (dropped, counted). */
int	carp_hookq_push(struct carp_hookq *, const struct carp_hook_ev *);
/* The next transition to run a hook for, if none is running: 1, else 0. */
int	carp_hookq_next(struct carp_hookq *, struct carp_hook_ev *);
void	carp_hookq_started(struct carp_hookq *, int pid, uint64_t now);
/* The hook ended: ok (exit 0), or killed at its timeout. */
void	carp_hookq_done(struct carp_hookq *, int ok);

/*
 * The notify-fifo line: "VHID IFNAME OLD NEW REASON\n" (REASON is the
 * rest of the line and may hold blanks). Returns its length, or 0 if it
 * does not fit in len.
 */
size_t	carp_notify_line(char *buf, size_t len, unsigned vhid,
	    const char *ifname, const char *old_state, const char *new_state,
	    const char *reason);

#endif
