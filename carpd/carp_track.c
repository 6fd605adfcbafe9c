/*
 * carp_track.c: health-track bookkeeping and the notify-hook queue
 * (carp_track.h). Pure: no clock, no process; the shell brings results.
 */
#include <stdio.h>
#include <string.h>

#include "carp_track.h"

#define USEC_PER_SEC	1000000ULL

void
carp_tracks_init(struct carp_tracks *ts, const struct carp_track_conf *c,
    int n, uint64_t now)
{
	int	 i;

	memset(ts, 0, sizeof(*ts));
	if (n > CARP_MAX_TRACKS)
		n = CARP_MAX_TRACKS;
	for (i = 0; i < n; i++) {
		ts->t[i].conf = c[i];
		ts->t[i].up = 1;
		ts->t[i].next_us = now;
	}
	ts->n = n;
}

/* Up or down from one result; the delta the change implies. */
static int
track_set(struct carp_track *t, int healthy)
{
	int	 delta;

	if (healthy == t->up) {
		t->consec++;
		return 0;
	}
	t->up = healthy;
	t->consec = 1;
	delta = healthy ? -t->held : t->conf.weight;
	t->held = healthy ? 0 : t->conf.weight;
	return delta;
}

int
carp_track_result(struct carp_track *t, enum carp_track_result r,
    uint64_t now)
{
	uint64_t	 next;

	if (t->conf.kind == CARP_TRACK_SCRIPT) {
		t->runs++;
		if (r == CARP_TRACK_TIMEOUT)
			t->timeouts++;
		/* never two runs at once: a slow one pushes the next back */
		next = t->started_us + t->conf.interval_s * USEC_PER_SEC;
		t->next_us = next > now ? next : now;
		t->pid = 0;
		t->killed = 0;
		t->kill_us = 0;
	}
	if (r != CARP_TRACK_OK)
		t->failures++;
	return track_set(t, r == CARP_TRACK_OK);
}

int
carp_track_due(const struct carp_track *t, uint64_t now)
{
	return t->conf.kind == CARP_TRACK_SCRIPT && t->pid == 0 &&
	    now >= t->next_us;
}

void
carp_track_started(struct carp_track *t, int pid, uint64_t now)
{
	t->pid = pid;
	t->killed = 0;
	t->started_us = now;
	t->kill_us = now + t->conf.timeout_s * USEC_PER_SEC;
	t->next_us = now + t->conf.interval_s * USEC_PER_SEC;
}

int
carp_track_overdue(const struct carp_track *t, uint64_t now)
{
	return t->pid > 0 && !t->killed && now >= t->kill_us;
}

uint64_t
carp_tracks_next_deadline(const struct carp_tracks *ts)
{
	const struct carp_track	*t;
	uint64_t		 d, best = 0;
	int			 i;

	for (i = 0; i < ts->n; i++) {
		t = &ts->t[i];
		if (t->conf.kind != CARP_TRACK_SCRIPT)
			continue;
		if (t->pid > 0 && t->killed)
			continue;	/* waiting for the reap */
		d = t->pid > 0 ? t->kill_us : t->next_us;
		if (best == 0 || d < best)
			best = d;
	}
	return best;
}

int
carp_tracks_held(const struct carp_tracks *ts)
{
	int	 i, sum = 0;

	for (i = 0; i < ts->n; i++)
		sum += ts->t[i].held;
	return sum;
}

struct carp_track *
carp_tracks_by_pid(struct carp_tracks *ts, int pid)
{
	int	 i;

	if (pid <= 0)
		return NULL;
	for (i = 0; i < ts->n; i++)
		if (ts->t[i].pid == pid)
			return &ts->t[i];
	return NULL;
}

static const struct carp_track *
track_like(const struct carp_tracks *ts, const struct carp_track_conf *c)
{
	int	 i;

	for (i = 0; i < ts->n; i++)
		if (ts->t[i].conf.kind == c->kind &&
		    strcmp(ts->t[i].conf.name, c->name) == 0)
			return &ts->t[i];
	return NULL;
}

int
carp_tracks_carry(struct carp_tracks *nt, const struct carp_tracks *old,
    int *orphans, int max)
{
	const struct carp_track	*o;
	struct carp_track	*t;
	int			 i, n = 0;

	for (i = 0; i < nt->n; i++) {
		t = &nt->t[i];
		if ((o = track_like(old, &t->conf)) == NULL)
			continue;
		t->up = o->up;
		t->held = o->up ? 0 : t->conf.weight;
		t->consec = o->consec;
		t->runs = o->runs;
		t->failures = o->failures;
		t->timeouts = o->timeouts;
		t->pid = o->pid;
		t->killed = o->killed;
		t->started_us = o->started_us;
		/* the running one keeps its old deadline; a new interval
		 * counts from the last start */
		t->kill_us = o->kill_us;
		t->next_us = o->started_us != 0 ? o->started_us +
		    t->conf.interval_s * USEC_PER_SEC : o->next_us;
	}
	for (i = 0; i < old->n; i++) {
		o = &old->t[i];
		if (o->pid > 0 && track_like(nt, &o->conf) == NULL && n < max)
			orphans[n++] = o->pid;
	}
	return n;
}

/* ---- notify hooks ------------------------------------------------- */

int
carp_hookq_push(struct carp_hookq *q, const struct carp_hook_ev *ev)
{
	if (q->n == CARP_HOOK_QUEUE) {
		q->dropped++;
		return -1;
	}
	q->q[(q->head + q->n) % CARP_HOOK_QUEUE] = *ev;
	q->n++;
	return 0;
}

int
carp_hookq_next(struct carp_hookq *q, struct carp_hook_ev *ev)
{
	if (q->pid > 0 || q->n == 0)
		return 0;
	*ev = q->q[q->head];
	q->head = (q->head + 1) % CARP_HOOK_QUEUE;
	q->n--;
	return 1;
}

void
carp_hookq_started(struct carp_hookq *q, int pid, uint64_t now)
{
	q->pid = pid;
	q->killed = 0;
	q->kill_us = now + CARP_HOOK_TIMEOUT_S * USEC_PER_SEC;
	q->run++;
}

void
carp_hookq_done(struct carp_hookq *q, int ok)
{
	if (q->killed)
		q->killed_n++;
	else if (!ok)
		q->failed++;
	q->pid = 0;
	q->killed = 0;
	q->kill_us = 0;
}

size_t
carp_notify_line(char *buf, size_t len, unsigned vhid, const char *ifname,
    const char *old_state, const char *new_state, const char *reason)
{
	int	 n;

	n = snprintf(buf, len, "%u %s %s %s %s\n", vhid, ifname, old_state,
	    new_state, reason);
	if (n < 0 || (size_t)n >= len)
		return 0;
	return (size_t)n;
}
