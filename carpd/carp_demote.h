/*
 * carp_demote.h: demotion counters per interface group (OpenBSD
 * carp_group_demote_adj / carp_group_demote_count; carp-protocol.md 2.3).
 * Every vhost is in group "carp" plus its configured groups. A group's
 * count is the sum of a persistent part (carpctl demote, carpdemote
 * semantics, clamped to 0..255) and held parts (link loss, connection-held
 * demotions from syncd) that their owner adds and removes exactly. Pure.
 */
#ifndef CARPD_CARP_DEMOTE_H
#define CARPD_CARP_DEMOTE_H

#include <stdint.h>

#define CARP_DEMOTE_MAX_GROUPS	64
#define CARP_DEMOTE_NAMELEN	32

struct carp_demote_group {
	char		name[CARP_DEMOTE_NAMELEN];
	int		persistent;	/* 0..255, carpctl demote */
	int		held;		/* >= 0: link loss, held demotions */
	int		reported;	/* total when carp_demote_changed last saw it */
};

struct carp_demote {
	struct carp_demote_group g[CARP_DEMOTE_MAX_GROUPS];
	int		ng;
};

void	carp_demote_init(struct carp_demote *);	/* creates group "carp" */

/* Find or create a group; NULL if the table is full or name too long. */
struct carp_demote_group *carp_demote_group(struct carp_demote *,
	    const char *name);
/* Find only; NULL if absent. */
struct carp_demote_group *carp_demote_find(struct carp_demote *,
	    const char *name);

/*
 * carpdemote semantics: persistent += delta. Returns 0, or -1 with *why if
 * the group's total would leave 0..255 (OpenBSD returns EINVAL) or the group
 * does not exist.
 */
int	carp_demote_adjust(struct carp_demote *, const char *name, int delta,
	    const char **why);

/* Held part: held += delta (may be negative; never below 0). Creates the
 * group if needed. Returns 0 or -1 if the table is full. */
int	carp_demote_hold(struct carp_demote *, const char *name, int delta);

/* A group's total (persistent + held), not capped. */
int	carp_demote_total(const struct carp_demote_group *);

/*
 * The first group from index `from` on whose total differs from the one
 * last reported: its index, with that old total in *old; the new total
 * becomes the reported one. -1 when there is none. So the shell logs
 * every change of a group's value once (old -> new), whatever changed it.
 */
int	carp_demote_changed(struct carp_demote *, int from, int *old);

/*
 * The demote count a vhost advertises: the sum over "carp" and its groups,
 * capped at 255 (OpenBSD carp_group_demote_count).
 */
uint8_t	carp_demote_count(const struct carp_demote *,
	    const char (*groups)[CARP_DEMOTE_NAMELEN], int ngroups);

#endif
