/*
 * carp_demote.c: per-group demotion counters (OpenBSD ip_carp.c
 * carp_group_demote_adj / carp_group_demote_count, if.c
 * if_setgroupattribs; carp-protocol.md 2.3). Pure: a fixed table, no
 * allocation, no I/O.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include "carp_demote.h"

#define CARP_DEMOTE_DEFGROUP	"carp"	/* every carp interface is in it */
#define CARP_DEMOTE_CAP		255	/* the advert's demote byte */
/* Keeps persistent + held inside an int (carp_demote_total). */
#define CARP_DEMOTE_HELD_MAX	(INT_MAX - CARP_DEMOTE_CAP)

void
carp_demote_init(struct carp_demote *d)
{
	memset(d, 0, sizeof(*d));
	(void)carp_demote_group(d, CARP_DEMOTE_DEFGROUP);
}

/* Index of the group named by the first n bytes of name (or up to its
 * NUL), -1 if absent. n lets callers pass unterminated fixed arrays. */
static int
group_index(const struct carp_demote *d, const char *name, size_t n)
{
	int	i;

	for (i = 0; i < d->ng; i++)
		if (strncmp(d->g[i].name, name, n) == 0)
			return (i);
	return (-1);
}

struct carp_demote_group *
carp_demote_find(struct carp_demote *d, const char *name)
{
	int	i;

	if (name == NULL)
		return (NULL);
	i = group_index(d, name, CARP_DEMOTE_NAMELEN);
	return (i == -1 ? NULL : &d->g[i]);
}

struct carp_demote_group *
carp_demote_group(struct carp_demote *d, const char *name)
{
	struct carp_demote_group	*g;
	size_t				 len;

	if (name == NULL)
		return (NULL);
	len = strnlen(name, CARP_DEMOTE_NAMELEN);
	if (len == 0 || len >= CARP_DEMOTE_NAMELEN)
		return (NULL);
	if ((g = carp_demote_find(d, name)) != NULL)
		return (g);
	if (d->ng >= CARP_DEMOTE_MAX_GROUPS)
		return (NULL);
	g = &d->g[d->ng++];
	memset(g, 0, sizeof(*g));
	memcpy(g->name, name, len);
	return (g);
}

static int
adjust_fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return (-1);
}

/*
 * OpenBSD if_setgroupattribs refuses (EINVAL) a change that would take
 * the group's counter out of 0..255. Our persistent part must also stay
 * >= 0, so a -carpdemote cannot cancel a held demotion (link loss, syncd)
 * that its owner will remove later. Unlike OpenBSD, where a group exists
 * only with members, carpctl may demote a group before any vhost joins
 * it, so a positive delta creates the group.
 */
int
carp_demote_adjust(struct carp_demote *d, const char *name, int delta,
    const char **why)
{
	struct carp_demote_group	*g;
	long long			 np;

	if ((g = carp_demote_find(d, name)) == NULL) {
		if (delta <= 0)
			return (adjust_fail(why, "no such group"));
		if ((g = carp_demote_group(d, name)) == NULL)
			return (adjust_fail(why, d->ng >= CARP_DEMOTE_MAX_GROUPS ?
			    "too many groups" : "invalid group name"));
	}
	np = (long long)g->persistent + delta;
	if (np < 0)
		return (adjust_fail(why, "demotion would go below 0"));
	if (delta > 0 && np + g->held > CARP_DEMOTE_CAP)
		return (adjust_fail(why, "demotion would exceed 255"));
	g->persistent = (int)np;
	return (0);
}

int
carp_demote_hold(struct carp_demote *d, const char *name, int delta)
{
	struct carp_demote_group	*g;
	long long			 nh;

	if ((g = carp_demote_group(d, name)) == NULL)
		return (-1);
	/* Clamp at 0 like OpenBSD's counters; the top only guards overflow. */
	nh = (long long)g->held + delta;
	if (nh < 0)
		nh = 0;
	else if (nh > CARP_DEMOTE_HELD_MAX)
		nh = CARP_DEMOTE_HELD_MAX;
	g->held = (int)nh;
	return (0);
}

int
carp_demote_total(const struct carp_demote_group *g)
{
	return (g->persistent + g->held);
}

int
carp_demote_changed(struct carp_demote *d, int from, int *old)
{
	int	i, t;

	for (i = from < 0 ? 0 : from; i < d->ng; i++) {
		if ((t = carp_demote_total(&d->g[i])) == d->g[i].reported)
			continue;
		*old = d->g[i].reported;
		d->g[i].reported = t;
		return (i);
	}
	return (-1);
}

/* Already counted: "carp" itself, or an earlier entry of the list. */
static int
seen_before(const char (*groups)[CARP_DEMOTE_NAMELEN], int i)
{
	int	j;

	if (strncmp(groups[i], CARP_DEMOTE_DEFGROUP, CARP_DEMOTE_NAMELEN) == 0)
		return (1);
	for (j = 0; j < i; j++)
		if (strncmp(groups[j], groups[i], CARP_DEMOTE_NAMELEN) == 0)
			return (1);
	return (0);
}

/*
 * OpenBSD carp_group_demote_count: the sum over every group the interface
 * is in (each once; "carp" always), capped at 255 for the demote byte.
 * A listed group with no counter yet contributes 0.
 */
uint8_t
carp_demote_count(const struct carp_demote *d,
    const char (*groups)[CARP_DEMOTE_NAMELEN], int ngroups)
{
	long long	sum = 0;
	int		i, k;

	if ((k = group_index(d, CARP_DEMOTE_DEFGROUP,
	    CARP_DEMOTE_NAMELEN)) != -1)
		sum += carp_demote_total(&d->g[k]);
	for (i = 0; groups != NULL && i < ngroups; i++) {
		if (seen_before(groups, i))
			continue;
		if ((k = group_index(d, groups[i], CARP_DEMOTE_NAMELEN)) != -1)
			sum += carp_demote_total(&d->g[k]);
	}
	return (sum > CARP_DEMOTE_CAP ? CARP_DEMOTE_CAP : (uint8_t)sum);
}
