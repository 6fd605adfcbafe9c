/*
 * sync_table.c: syncd's state table (sync_table.h). Rules from
 * ../shared/docs/pfsync-conntrack.md 1.5 (coalescing, maxupd), 1.7 (UPD_C
 * for an unknown state -> UPD_REQ), 1.8 (bulk, mark-and-sweep) and 5.5
 * (refresh: the kernel emits no event when traffic refreshes a timer).
 *
 * Storage. Every state lives in one `struct entry` (160 bytes) in slabs of
 * 4096 slots that never move, named by a 32-bit slot number, so the hash
 * chains and the send queue are slot numbers inside the entries and a
 * table of 1,000,000 states costs ~170 bytes per state with both indexes
 * (no per-state malloc, no pointer per link). Two chained hash indexes
 * over the live states: kernel key (af, proto, zone, orig tuple) and sync
 * key (creatorid, id); bucket arrays double at load 1, moved over a few
 * buckets per insert so no event waits for a rehash. The hash is seeded
 * from the table's address (ASLR), so a flood of crafted tuples cannot
 * aim at one chain from outside; max_states bounds the rest.
 *
 * Ownership. A local state (our kernel created it) has creatorid = our
 * node id and id = id_base + a counter; ids never repeat across restarts
 * since id_base carries the persisted epoch. An imported state belongs to
 * its creator; our kernel's events about it are not announced (the peer
 * owns it), except its DESTROY while we are MASTER.
 *
 * Seeded states. What the kernel holds at start (the seed dump) may be
 * ours or copies of the peer's that a syncd killed or stopped left in
 * the kernel: the kernel keeps no owner. Until that is known a seeded
 * state is local but silent: never announced, refreshed or put in a
 * bulk (announced, a stale copy would come back to life on the peer,
 * which ended it meanwhile). A peer's record for its tuple claims it: it
 * becomes that creator's imported state, under the creator's id (else
 * the creator's DEL_C would never find it). The rest is settled by
 * sync_table_seeded_end: kept as ours, or deleted once the complete
 * table of a peer carrying the traffic does not hold them.
 *
 * Tuple conflicts (both nodes saw the same connection, asymmetric
 * routing): a peer INS/UPD for a tuple we hold wins only if we hold it as
 * an imported state of the same creator (a restarted peer re-announces
 * its states under new ids: the entry is re-keyed); for a tuple we hold
 * as local, or as another creator's, it is ignored and counted `stale`.
 * Each kernel keeps the view of the node that carries the traffic, and the
 * rule needs no clock and cannot ping-pong.
 *
 * Loops. A message about our own creator id is ignored, with one
 * exception: DEL_C. A peer announces the deletion of a state it imported
 * from us only while MASTER (sync_table_local_destroy), i.e. the
 * connection ran through it and is over: we delete our copy (CT_DELETE)
 * without announcing it back (pfsync sets NOSYNC on such states, 1.6).
 *
 * Queue. A local state has at most one pending message (INS, UPD_C, UPD
 * or DEL_C), coalesced as pfsync does (1.5); the queue is one FIFO by
 * first-queue time, so the oldest message bounds the delay. A drain sends
 * everything queued (the frame goes out anyway: filling it is free, as
 * pfsync's timer does). A destroyed state leaves the indexes at once (the
 * tuple may be reused by the next connection) and its slot is freed when
 * its DEL_C leaves. UPD_REQ requests (ours, for unknown UPD_C) wait in a
 * small ring and leave first.
 *
 * Refresh. A cursor walks the slots in proportion to the time elapsed in
 * the refresh period; each drain queues an UPD_C for the live local
 * states it passes, so one period (refresh_us minus one tick) re-announces
 * every state once, spread over 64 ticks. UPD_C lacks wscale, labels and
 * the reply tuple: a state whose full record changed after its INS left
 * is refreshed once as a full UPD, and every 8th pass is all full UPDs,
 * so after loss stops every field converges without a resync.
 *
 * For the shell. SEND_NOW means "drain now"; after UPD_REQ(0, 0) it also
 * means a bulk started: call sync_table_bulk_next (paced) until it returns
 * 0; with no bulk running it returns 0 at once and adds nothing. BUS
 * START/END messages are the table's (mark-and-sweep) and also events for
 * sync_bulk. sync_table_pending() is true while anything is queued (a
 * drain sends all of it) or the refresh is due; next_deadline is never 0
 * when something is pending. An INS_ACK for us and NACKs are the shell's.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync_table.h"
#include "sync_wire.h"

/* Slot 0 is never used, so 0 is "none": bucket arrays come zeroed from
 * calloc, whose fresh pages fault in as they are used, not all at once
 * when an index doubles. */
#define NIL		0U
#define SLAB_SHIFT	12
#define SLAB_SLOTS	(1U << SLAB_SHIFT)
#define SLOT_LIMIT	(UINT32_MAX - SLAB_SLOTS)
#define HASH_MIN	1024U
#define IDX_STEP	8		/* old buckets moved per insert */
#define REQ_MAX		4096U		/* UPD_REQs waiting to leave */
#define REFRESH_TICKS	64		/* a period is walked in this many */
#define REFRESH_FULL	8		/* every 8th pass sends full UPDs */
#define REFRESH_MAX_US	(1ULL << 40)	/* ~12.7 days; keeps the math exact */
#define WIRE_AF_INET	2
#define TIMEOUT_SLACK_S	5		/* refresh period + this: see below */

_Static_assert(sizeof(struct sync_tuple) == 36, "tuple compared by memcmp");

enum q_act { Q_NONE, Q_INS, Q_UPD_C, Q_UPD, Q_DEL_C };

#define F_USED		0x01	/* slot holds a state, live or dead */
#define F_LOCAL		0x02	/* we are its creator */
#define F_DEAD		0x04	/* destroyed; waits for its DEL_C to leave */
#define F_SEEDED	0x08	/* from the seed dump, owner not known yet */
#define F_RESYNC	0x10	/* not seen yet in the resync dump */
#define F_SENT		0x20	/* a message about it has left */
#define F_FULLCHG	0x40	/* full record changed after the INS left */
#define F_REPLIED	0x80	/* imported: our view of its first reply sent */
#define F_UNCONF	0x80	/* local: added by defer, no kernel event yet
				 * (the same bit: F_LOCAL tells which) */
#define UNCONF_MAX	1024U	/* defer adds before the confirm: tracked */
#define IPPROTO_TCP_NUM	6
#define CT_SEEN_REPLY	0x2	/* IPS_SEEN_REPLY */
#define TCP_CT_SYN_SENT	1	/* TCP_CONNTRACK_SYN_SENT */
#define TCP_CT_SYN_SENT2 9	/* TCP_CONNTRACK_SYN_SENT2 */

struct entry {
	struct sync_state st;
	uint32_t	knext;		/* kernel-key chain; free-list link */
	uint32_t	snext;		/* sync-key chain */
	uint32_t	qprev, qnext;	/* send queue */
	uint64_t	qtime;		/* first queued */
	uint16_t	qcount;		/* events coalesced (maxupd) */
	uint8_t		qact;		/* enum q_act */
	uint8_t		flags;
	uint32_t	seen;		/* imported: seq of the creator's last
					 * frame about it (mark-and-sweep) */
	uint32_t	read_s;		/* when st.timeout was true (s) */
};

enum { IDX_KERN, IDX_SYNC };

/* A chained index. While it doubles, the old buckets are moved into the
 * new ones a few per insert (no stall: a one-go rehash of 1 M states
 * took 156 ms); an old bucket not moved yet is still the one in use. */
struct hidx {
	uint32_t	*b;		/* mask + 1 buckets */
	uint32_t	 mask;
	uint32_t	*old;		/* being moved into b; NULL if not */
	uint32_t	 oldmask;
	uint32_t	 moved;		/* old buckets below this are in b */
};

enum bulk_phase { BULK_IDLE, BULK_START, BULK_STATES };

/* A local state defer added before the kernel reported it: a packet the
 * kernel drops after our verdict never confirms its entry, and no event
 * would ever remove ours (sync_table_unconfirmed_sweep). */
struct unconf {
	uint32_t	slot;
	uint64_t	id;
	uint64_t	since;
};

/* A short message about a state that leaves before any other: our
 * UPD_REQ for a state we lack, or our INS_ACK of a deferred INS. */
struct ref_out {
	struct sync_ref	ref;
	uint8_t		action;		/* SYNC_A_UPD_REQ or SYNC_A_INS_ACK */
};

struct sync_table {
	struct sync_table_conf	 conf;
	uint64_t		 seed;
	uint64_t		 next_id;
	struct entry		**slabs;
	uint32_t		 nslabs, slabcap;
	uint32_t		 hw;		/* slots ever handed out, + 0 */
	uint32_t		 freel;
	struct hidx		 idx[2];
	size_t			 nlocal, nimported;
	size_t			 nseeded;	/* of nlocal: F_SEEDED */
	uint32_t		 qhead, qtail;
	int			 urgent;	/* SEND_NOW given, not drained */
	uint64_t		 urgent_at;
	struct ref_out		*reqs;		/* ring of REQ_MAX */
	uint32_t		 rq_head, rq_n;
	struct unconf		*unconf;	/* ring of UNCONF_MAX, oldest first */
	uint32_t		 uc_head, uc_n;
	int			 ractive;	/* refresh under way */
	uint32_t		 rcur;
	uint64_t		 rstart, rlast, rpass;
	enum bulk_phase		 bphase;
	int			 bagain;	/* asked for during a bulk */
	uint32_t		 bcur, bend;
	uint64_t		 bstart;
	struct sync_table_stats	 stats;
};

/* ---- slots ------------------------------------------------------------ */

static struct entry *
ent(const struct sync_table *t, uint32_t i)
{
	return &t->slabs[i >> SLAB_SHIFT][i & (SLAB_SLOTS - 1)];
}

static int
slab_add(struct sync_table *t)
{
	struct entry	**v;
	uint32_t	  cap;

	if (t->nslabs == t->slabcap) {
		cap = t->slabcap ? t->slabcap * 2 : 16;
		if ((v = realloc(t->slabs, cap * sizeof(*v))) == NULL)
			return -1;
		t->slabs = v;
		t->slabcap = cap;
	}
	/* malloc, not calloc: slot_alloc initialises each slot it hands out,
	 * so untouched pages of a fresh slab are never faulted in. */
	if ((t->slabs[t->nslabs] = malloc(SLAB_SLOTS *
	    sizeof(struct entry))) == NULL)
		return -1;
	t->nslabs++;
	return 0;
}

static uint32_t
slot_alloc(struct sync_table *t)
{
	struct entry	*e;
	uint32_t	 i;

	if (t->freel != NIL) {
		i = t->freel;
		t->freel = ent(t, i)->knext;
	} else {
		if (t->hw >= SLOT_LIMIT)
			return NIL;
		if ((t->hw >> SLAB_SHIFT) >= t->nslabs && slab_add(t) == -1)
			return NIL;
		if (t->hw == 0) {	/* slot 0: NIL, never live */
			memset(ent(t, 0), 0, sizeof(struct entry));
			t->hw = 1;
		}
		i = t->hw++;
	}
	e = ent(t, i);
	memset(e, 0, sizeof(*e));
	e->knext = e->snext = e->qprev = e->qnext = NIL;
	e->flags = F_USED;
	return i;
}

static void
slot_free(struct sync_table *t, uint32_t i)
{
	struct entry	*e = ent(t, i);

	e->flags = 0;
	e->knext = t->freel;
	t->freel = i;
}

/* A slot holding a live state (not free, not waiting for its DEL_C). */
static int
live(const struct entry *e)
{
	return (e->flags & (F_USED | F_DEAD)) == F_USED;
}

/* ---- hashing ---------------------------------------------------------- */

static uint64_t
hmix(uint64_t h, uint64_t v)
{
	h ^= v * 0x9e3779b97f4a7c15ULL;
	h = (h << 27 | h >> 37) * 0xbf58476d1ce4e5b9ULL;
	return h;
}

static uint64_t
hfinal(uint64_t h)
{
	h ^= h >> 31;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h;
}

static uint64_t
kern_hash(const struct sync_table *t, const struct sync_state *s)
{
	uint64_t	w[4], h;
	int		k;

	memcpy(w, s->orig.src, sizeof(w));	/* src and dst: 32 bytes */
	h = hmix(t->seed, (uint64_t)s->af | (uint64_t)s->proto << 8 |
	    (uint64_t)s->zone << 16 | (uint64_t)s->orig.sport << 32 |
	    (uint64_t)s->orig.dport << 48);
	for (k = 0; k < 4; k++)
		h = hmix(h, w[k]);
	return hfinal(h);
}

static uint64_t
sync_hash(const struct sync_table *t, uint32_t creatorid, uint64_t id)
{
	return hfinal(hmix(hmix(t->seed, id), creatorid));
}

static int
kern_eq(const struct sync_state *a, const struct sync_state *b)
{
	return a->af == b->af && a->proto == b->proto && a->zone == b->zone &&
	    memcmp(&a->orig, &b->orig, sizeof(a->orig)) == 0;
}

static uint32_t *
chain(struct entry *e, int which)
{
	return which == IDX_KERN ? &e->knext : &e->snext;
}

static uint64_t
key_hash(const struct sync_table *t, const struct sync_state *s, int which)
{
	return which == IDX_KERN ? kern_hash(t, s) :
	    sync_hash(t, s->creatorid, s->id);
}

/* The bucket in use for hash h (see struct hidx). */
static uint32_t *
head(const struct sync_table *t, int which, uint64_t h)
{
	const struct hidx	*x = &t->idx[which];

	if (x->old != NULL && ((uint32_t)h & x->oldmask) >= x->moved)
		return &x->old[(uint32_t)h & x->oldmask];
	return &x->b[(uint32_t)h & x->mask];
}

static void
idx_insert(struct sync_table *t, int which, uint32_t i)
{
	struct entry	*e = ent(t, i);
	uint32_t	*hp = head(t, which, key_hash(t, &e->st, which));

	*chain(e, which) = *hp;
	*hp = i;
}

static void
idx_remove(struct sync_table *t, int which, uint32_t i)
{
	struct entry	*e = ent(t, i);
	uint32_t	*pp = head(t, which, key_hash(t, &e->st, which));

	while (*pp != NIL && *pp != i)
		pp = chain(ent(t, *pp), which);
	if (*pp == i)
		*pp = *chain(e, which);
	*chain(e, which) = NIL;
}

static uint32_t
kern_find(const struct sync_table *t, const struct sync_state *s)
{
	uint32_t	i = *head(t, IDX_KERN, kern_hash(t, s));

	while (i != NIL && !kern_eq(&ent(t, i)->st, s))
		i = ent(t, i)->knext;
	return i;
}

static uint32_t
sync_find(const struct sync_table *t, uint32_t creatorid, uint64_t id)
{
	struct entry	*e;
	uint32_t	 i;

	i = *head(t, IDX_SYNC, sync_hash(t, creatorid, id));
	for (; i != NIL; i = e->snext) {
		e = ent(t, i);
		if (e->st.id == id && e->st.creatorid == creatorid)
			return i;
	}
	return i;
}

static uint32_t *
buckets_new(uint32_t n)
{
	return calloc(n, sizeof(uint32_t));	/* all NIL */
}

/* Move up to n old buckets of an index that is doubling. */
static void
idx_migrate(struct sync_table *t, int which, uint32_t n)
{
	struct hidx	*x = &t->idx[which];
	struct entry	*e;
	uint32_t	 i, next, *hp;

	for (; x->old != NULL && n > 0; n--) {
		for (i = x->old[x->moved]; i != NIL; i = next) {
			e = ent(t, i);
			next = *chain(e, which);
			hp = &x->b[(uint32_t)key_hash(t, &e->st, which) &
			    x->mask];
			*chain(e, which) = *hp;
			*hp = i;
		}
		x->old[x->moved] = NIL;
		if (x->moved++ == x->oldmask) {
			free(x->old);
			x->old = NULL;
		}
	}
}

/*
 * Before an insert: move IDX_STEP old buckets, and start doubling once
 * the indexes hold as many states as buckets. A move of n buckets ends
 * within n / IDX_STEP inserts, long before the next doubling is due. If
 * memory is short the chains only get longer.
 */
static void
idx_grow(struct sync_table *t)
{
	uint32_t	n = t->idx[0].mask + 1, *kb, *sb;
	int		w;

	idx_migrate(t, IDX_KERN, IDX_STEP);
	idx_migrate(t, IDX_SYNC, IDX_STEP);
	if (t->idx[0].old != NULL || t->nlocal + t->nimported < n ||
	    n >= (1U << 31))
		return;
	kb = buckets_new(n * 2);
	sb = buckets_new(n * 2);
	if (kb == NULL || sb == NULL) {
		free(kb);
		free(sb);
		return;
	}
	for (w = 0; w < 2; w++) {
		t->idx[w].old = t->idx[w].b;
		t->idx[w].oldmask = t->idx[w].mask;
		t->idx[w].moved = 0;
		t->idx[w].b = w == IDX_KERN ? kb : sb;
		t->idx[w].mask = n * 2 - 1;
	}
}

/* ---- table ------------------------------------------------------------ */

struct sync_table *
sync_table_new(const struct sync_table_conf *conf)
{
	struct sync_table	*t;

	if (conf == NULL || conf->node_id == 0)
		return NULL;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->conf = *conf;
	if (t->conf.maxupd < 1)
		t->conf.maxupd = 1;
	if (t->conf.refresh_us > REFRESH_MAX_US)
		t->conf.refresh_us = REFRESH_MAX_US;
	t->next_id = conf->id_base;
	t->seed = hfinal((uint64_t)(uintptr_t)t ^ conf->id_base ^
	    (uint64_t)conf->node_id << 32);
	t->freel = t->qhead = t->qtail = NIL;
	t->idx[IDX_KERN].b = buckets_new(HASH_MIN);
	t->idx[IDX_SYNC].b = buckets_new(HASH_MIN);
	t->reqs = calloc(REQ_MAX, sizeof(*t->reqs));
	t->unconf = calloc(UNCONF_MAX, sizeof(*t->unconf));
	if (t->idx[IDX_KERN].b == NULL || t->idx[IDX_SYNC].b == NULL ||
	    t->reqs == NULL || t->unconf == NULL) {
		sync_table_free(t);
		return NULL;
	}
	t->idx[IDX_KERN].mask = t->idx[IDX_SYNC].mask = HASH_MIN - 1;
	return t;
}

void
sync_table_free(struct sync_table *t)
{
	uint32_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nslabs; i++)
		free(t->slabs[i]);
	free(t->slabs);
	free(t->idx[IDX_KERN].b);
	free(t->idx[IDX_SYNC].b);
	free(t->idx[IDX_KERN].old);
	free(t->idx[IDX_SYNC].old);
	free(t->reqs);
	free(t->unconf);
	free(t);
}

size_t
sync_table_count(const struct sync_table *t, int local_only)
{
	return local_only ? t->nlocal : t->nlocal + t->nimported;
}

void
sync_table_get_stats(const struct sync_table *t, struct sync_table_stats *s)
{
	*s = t->stats;
}

void
sync_outs_free(struct sync_outs *o)
{
	if (o == NULL)
		return;
	free(o->v);
	o->v = NULL;
	o->n = o->cap = 0;
}

/* Append an out; st may be NULL (SEND_NOW). outs may be NULL. */
static void
out_push(struct sync_table *t, struct sync_outs *o, enum sync_out_type type,
    const struct sync_state *st)
{
	struct sync_out	*v;
	size_t		 cap;

	if (o == NULL)
		return;
	if (o->n == o->cap) {
		cap = o->cap ? o->cap * 2 : 16;
		if ((v = realloc(o->v, cap * sizeof(*v))) == NULL) {
			t->stats.nomem++;
			return;
		}
		o->v = v;
		o->cap = cap;
	}
	v = &o->v[o->n++];
	memset(v, 0, sizeof(*v));
	v->type = type;
	if (st != NULL)
		v->st = *st;
}

/*
 * Copy with the unused bytes of IPv4 addresses zeroed: the indexes
 * compare whole tuples, and the wire carries 16 bytes whatever the family.
 */
static void
st_norm(struct sync_state *d, const struct sync_state *s)
{
	*d = *s;
	if (d->af != WIRE_AF_INET)
		return;
	memset(d->orig.src + 4, 0, 12);
	memset(d->orig.dst + 4, 0, 12);
	memset(d->reply.src + 4, 0, 12);
	memset(d->reply.dst + 4, 0, 12);
}

/* ---- send queue ------------------------------------------------------- */

static void
q_append(struct sync_table *t, uint32_t i, enum q_act a, uint64_t now)
{
	struct entry	*e = ent(t, i);

	e->qact = a;
	e->qtime = now;
	e->qcount = 1;
	e->qnext = NIL;
	e->qprev = t->qtail;
	if (t->qtail != NIL)
		ent(t, t->qtail)->qnext = i;
	else
		t->qhead = i;
	t->qtail = i;
}

static void
q_unlink(struct sync_table *t, uint32_t i)
{
	struct entry	*e = ent(t, i);

	if (e->qact == Q_NONE)
		return;
	if (e->qprev != NIL)
		ent(t, e->qprev)->qnext = e->qnext;
	else
		t->qhead = e->qnext;
	if (e->qnext != NIL)
		ent(t, e->qnext)->qprev = e->qprev;
	else
		t->qtail = e->qprev;
	e->qact = Q_NONE;
	e->qcount = 0;
	e->qprev = e->qnext = NIL;
}

/* Ask the shell to drain now; said once until a drain empties the queue
 * (next_deadline keeps saying it meanwhile). */
static void
q_urgent(struct sync_table *t, uint64_t now, struct sync_outs *o)
{
	if (t->urgent)
		return;
	t->urgent = 1;
	t->urgent_at = now;
	out_push(t, o, SYNC_OUT_SEND_NOW, NULL);
}

/* ---- entries ---------------------------------------------------------- */

/* A new live state (local: gets our creator id and the next id). */
static uint32_t
entry_add(struct sync_table *t, const struct sync_state *st, int local,
    uint64_t now)
{
	struct entry	*e;
	uint32_t	 i;

	if (t->conf.max_states != 0 &&
	    t->nlocal + t->nimported >= t->conf.max_states) {
		t->stats.refused++;
		return NIL;
	}
	idx_grow(t);
	if ((i = slot_alloc(t)) == NIL) {
		t->stats.nomem++;
		return NIL;
	}
	e = ent(t, i);
	e->st = *st;
	e->read_s = (uint32_t)(now / 1000000);
	if (local) {
		e->st.creatorid = t->conf.node_id;
		e->st.id = t->next_id++;
		e->flags |= F_LOCAL;
		t->nlocal++;
	} else
		t->nimported++;
	idx_insert(t, IDX_KERN, i);
	idx_insert(t, IDX_SYNC, i);
	return i;
}

static void
entry_unindex(struct sync_table *t, uint32_t i)
{
	struct entry	*e = ent(t, i);

	idx_remove(t, IDX_KERN, i);
	idx_remove(t, IDX_SYNC, i);
	if (e->flags & F_SEEDED)
		t->nseeded--;
	if (e->flags & F_LOCAL)
		t->nlocal--;
	else
		t->nimported--;
}

/* Gone without a word to the peer. */
static void
entry_forget(struct sync_table *t, uint32_t i)
{
	if (live(ent(t, i)))
		entry_unindex(t, i);
	q_unlink(t, i);
	slot_free(t, i);
}

/* Gone, and the peer must hear it: DEL_C replaces what was pending and
 * keeps its place in the queue. */
static void
entry_kill(struct sync_table *t, uint32_t i, uint64_t now)
{
	struct entry	*e = ent(t, i);

	entry_unindex(t, i);
	e->flags |= F_DEAD;
	if (e->qact == Q_NONE)
		q_append(t, i, Q_DEL_C, now);
	else
		e->qact = Q_DEL_C;
}

/* A local state is gone: an INS that never left is dropped with it
 * ("pretend it never happened", 1.5), as is a seeded state, which was
 * never announced; anything else becomes DEL_C. */
static void
local_gone(struct sync_table *t, uint32_t i, uint64_t now)
{
	struct entry	*e = ent(t, i);

	if ((e->qact == Q_INS && !(e->flags & F_SENT)) ||
	    (e->flags & F_SEEDED))
		entry_forget(t, i);
	else
		entry_kill(t, i, now);
}

/* ---- local kernel events ---------------------------------------------- */

/* Fields only a full record (INS/UPD) carries; the key fields are equal. */
static int
full_differs(const struct sync_state *a, const struct sync_state *b)
{
	return memcmp(a->wscale, b->wscale, sizeof(a->wscale)) != 0 ||
	    memcmp(&a->reply, &b->reply, sizeof(a->reply)) != 0 ||
	    memcmp(a->labels, b->labels, sizeof(a->labels)) != 0;
}

/* Fields of UPD_C, except the timeout, which moves every second. */
static int
upd_c_differs(const struct sync_state *a, const struct sync_state *b)
{
	return a->status != b->status || a->mark != b->mark ||
	    a->tcp_state != b->tcp_state ||
	    a->state_flags != b->state_flags ||
	    memcmp(a->tcp_flags, b->tcp_flags, sizeof(a->tcp_flags)) != 0;
}

/* Queue an update of local state i (coalesced, 1.5); maxupd -> SEND_NOW. */
static void
local_queue(struct sync_table *t, uint32_t i, int full, uint64_t now,
    struct sync_outs *o)
{
	struct entry	*e = ent(t, i);

	switch (e->qact) {
	case Q_NONE:
		q_append(t, i, full ? Q_UPD : Q_UPD_C, now);
		break;
	case Q_UPD_C:
		if (full)
			e->qact = Q_UPD;
		/* FALLTHROUGH */
	case Q_UPD:
		if (e->qcount < UINT16_MAX)
			e->qcount++;
		break;
	default:
		return;		/* INS pending: it carries the newest content */
	}
	if (e->qcount >= t->conf.maxupd)
		q_urgent(t, now, o);
}

/*
 * Our kernel reports a state we hold. Imported: the peer owns it, only
 * the resync mark goes. Local: keep the newest content and queue an
 * update if an event said so or (dump) something but the timeout changed.
 */
static void
local_seen(struct sync_table *t, uint32_t i, const struct sync_state *st,
    int event, uint64_t now, struct sync_outs *o)
{
	struct entry	*e = ent(t, i);
	uint64_t	 id = e->st.id;
	int		 full, cheap;

	e->flags &= ~F_RESYNC;
	if (!(e->flags & F_LOCAL))
		return;
	e->flags &= (uint8_t)~F_UNCONF;		/* the kernel has it */
	full = full_differs(&e->st, st);
	cheap = upd_c_differs(&e->st, st);
	e->st = *st;
	e->st.id = id;
	e->st.creatorid = t->conf.node_id;
	e->read_s = (uint32_t)(now / 1000000);
	if (e->flags & F_SEEDED)
		return;		/* the newest content, silent until settled */
	if (full && e->qact != Q_INS)
		e->flags |= F_FULLCHG;
	if (event || full || cheap)
		local_queue(t, i, full, now, o);
}

static uint32_t
local_add(struct sync_table *t, const struct sync_state *st, int queue,
    uint64_t now)
{
	uint32_t	i;

	if ((i = entry_add(t, st, 1, now)) == NIL)
		return NIL;
	if (queue)
		q_append(t, i, Q_INS, now);
	if (!t->ractive && t->conf.refresh_us != 0) {
		t->ractive = 1;
		t->rcur = 0;
		t->rstart = t->rlast = now;
	}
	return i;
}

void
sync_table_local_new(struct sync_table *t, const struct sync_state *in,
    uint64_t now, struct sync_outs *o)
{
	struct sync_state	st;
	uint32_t		i;

	st_norm(&st, in);
	if ((i = kern_find(t, &st)) != NIL)
		local_seen(t, i, &st, 0, now, o);
	else
		local_add(t, &st, 1, now);
}

static void
unconf_push(struct sync_table *t, uint32_t i, uint64_t now)
{
	struct unconf	*u;

	if (t->uc_n == UNCONF_MAX) {		/* the oldest goes untracked */
		t->uc_head = (t->uc_head + 1) % UNCONF_MAX;
		t->uc_n--;
		t->stats.unconf_untracked++;
	}
	u = &t->unconf[(t->uc_head + t->uc_n++) % UNCONF_MAX];
	u->slot = i;
	u->id = ent(t, i)->st.id;
	u->since = now;
	ent(t, i)->flags |= F_UNCONF;
}

size_t
sync_table_unconfirmed_sweep(struct sync_table *t, uint64_t now,
    uint64_t max_age_us, struct sync_outs *o)
{
	struct unconf	*u;
	struct entry	*e;
	size_t		 gone = 0;

	while (t->uc_n > 0) {
		u = &t->unconf[t->uc_head];
		if (u->since + max_age_us > now)
			break;
		t->uc_head = (t->uc_head + 1) % UNCONF_MAX;
		t->uc_n--;
		e = ent(t, u->slot);
		/* the slot may hold another state by now: the id says */
		if (!live(e) || !(e->flags & F_LOCAL) || e->st.id != u->id ||
		    !(e->flags & F_UNCONF))
			continue;
		local_gone(t, u->slot, now);
		t->stats.unconf_gone++;
		gone++;
	}
	if (gone > 0)
		q_urgent(t, now, o);
	return gone;
}

uint64_t
sync_table_unconfirmed_next(const struct sync_table *t, uint64_t max_age_us)
{
	return t->uc_n > 0 ? t->unconf[t->uc_head].since + max_age_us : 0;
}

/* Our local state, held first packet: its INS or a full UPD asks. */
static void
defer_local(struct sync_table *t, uint32_t i, const struct sync_state *st,
    uint64_t now, struct sync_outs *o)
{
	struct entry	*e = ent(t, i);

	local_seen(t, i, st, 0, now, o);
	e->st.state_flags |= SYNC_SF_ACK;
	/* a queued INS carries the flag; otherwise a full UPD, which
	 * creates the state where it is missing, asks for the ack */
	if (e->qact == Q_NONE)
		q_append(t, i, Q_UPD, now);
	else if (e->qact == Q_UPD_C)
		e->qact = Q_UPD;
}

/*
 * A peer's state, whose first TCP reply came through us: its creator saw
 * the SYN but not the SYN-ACK, and Linux conntrack would take the
 * client's next segment there for invalid. Our view of the handshake goes
 * to the creator in a full UPD with the flag, once per state.
 */
static int
defer_reply(struct sync_table *t, uint32_t i, const struct sync_state *st,
    uint64_t now)
{
	struct entry	*e = ent(t, i);

	if (e->flags & F_REPLIED)
		return 0;
	e->flags |= F_REPLIED;
	e->st.tcp_state = st->tcp_state;
	e->st.status |= st->status & CT_SEEN_REPLY;
	memcpy(e->st.tcp_flags, st->tcp_flags, sizeof(e->st.tcp_flags));
	e->st.state_flags |= SYNC_SF_ACK;
	if (e->qact == Q_NONE)
		q_append(t, i, Q_UPD, now);
	else
		e->qact = Q_UPD;
	t->stats.replies_out++;
	return 1;
}

int
sync_table_local_defer(struct sync_table *t, const struct sync_state *in,
    uint64_t now, struct sync_outs *o, struct sync_ref *ref)
{
	struct sync_state	 st;
	struct entry		*e;
	uint32_t		 i;

	st_norm(&st, in);
	if ((i = kern_find(t, &st)) == NIL) {
		/* its NEW event is still on the way: it will find this one */
		st.state_flags |= SYNC_SF_ACK;
		if ((i = local_add(t, &st, 1, now)) == NIL)
			return 0;
		unconf_push(t, i, now);
	} else {
		e = ent(t, i);
		if (e->flags & F_SEEDED)
			return 0;	/* not ours to announce yet */
		if (e->flags & F_LOCAL)
			defer_local(t, i, &st, now, o);
		else if (st.proto != IPPROTO_TCP_NUM ||
		    !defer_reply(t, i, &st, now))
			return 0;
	}
	q_urgent(t, now, o);
	ref->id = ent(t, i)->st.id;
	ref->creatorid = ent(t, i)->st.creatorid;
	return 1;
}

void
sync_table_local_seed(struct sync_table *t, const struct sync_state *in,
    uint64_t now)
{
	struct sync_state	st;
	uint32_t		i;

	st_norm(&st, in);
	if (kern_find(t, &st) != NIL)
		return;
	if ((i = local_add(t, &st, 0, now)) != NIL) {
		ent(t, i)->flags |= F_SEEDED;
		t->nseeded++;
	}
}

size_t
sync_table_seeded(const struct sync_table *t)
{
	return t->nseeded;
}

size_t
sync_table_seeded_end(struct sync_table *t, int keep, struct sync_outs *o)
{
	struct entry	*e;
	uint32_t	 i;
	size_t		 n = 0;

	for (i = 0; t->nseeded > 0 && i < t->hw; i++) {
		e = ent(t, i);
		if (!live(e) || !(e->flags & F_SEEDED))
			continue;
		n++;
		if (keep) {
			e->flags &= ~F_SEEDED;
			t->nseeded--;
			continue;
		}
		out_push(t, o, SYNC_OUT_CT_DELETE, &e->st);
		entry_forget(t, i);
		t->stats.swept++;
	}
	return n;
}

void
sync_table_local_update(struct sync_table *t, const struct sync_state *in,
    uint64_t now, struct sync_outs *o)
{
	struct sync_state	st;
	uint32_t		i;

	st_norm(&st, in);
	if ((i = kern_find(t, &st)) != NIL)
		local_seen(t, i, &st, 1, now, o);
	else
		local_add(t, &st, 1, now);	/* its NEW was lost */
}

void
sync_table_local_destroy(struct sync_table *t, const struct sync_state *in,
    int ends, uint64_t now, struct sync_outs *o)
{
	struct sync_state	st;
	uint32_t		i;
	int			local;

	(void)o;
	st_norm(&st, in);
	if ((i = kern_find(t, &st)) == NIL)
		return;
	/*
	 * Only the node carrying the traffic announces an end. A former
	 * master's own states time out on it after a failover while the new
	 * master still carries those flows: a DEL_C would kill them there;
	 * and a copy that timed out where no traffic passed says nothing of
	 * the flow on its creator.
	 */
	local = (ent(t, i)->flags & F_LOCAL) != 0;
	if (!(ends & (local ? SYNC_END_LOCAL : SYNC_END_IMPORTED)))
		entry_forget(t, i);
	else if (local)
		local_gone(t, i, now);
	else
		entry_kill(t, i, now);	/* DEL_C with the creator's id */
}

void
sync_table_resync_begin(struct sync_table *t)
{
	uint32_t	i;

	for (i = 0; i < t->hw; i++)
		if (live(ent(t, i)))
			ent(t, i)->flags |= F_RESYNC;
}

/* Local states missing from the dump are announced gone; imported ones
 * are forgotten (their kernel entry timed out, as a lost DESTROY). */
void
sync_table_resync_end(struct sync_table *t, uint64_t now,
    struct sync_outs *o)
{
	struct entry	*e;
	uint32_t	 i;

	(void)o;
	for (i = 0; i < t->hw; i++) {
		e = ent(t, i);
		if (!live(e) || !(e->flags & F_RESYNC))
			continue;
		e->flags &= ~F_RESYNC;
		t->stats.resync_swept++;
		if (e->flags & F_LOCAL)
			local_gone(t, i, now);
		else
			entry_forget(t, i);
	}
}

/* ---- peer messages ---------------------------------------------------- */

/* NAT cannot be changed by an update (ct_update): a new reply tuple needs
 * the entry created again. */
static void
import_apply(struct sync_table *t, uint32_t i, const struct sync_state *st,
    uint32_t seen, uint64_t now, struct sync_outs *o)
{
	struct entry		*e = ent(t, i);
	enum sync_out_type	 type = SYNC_OUT_CT_UPDATE;

	if (memcmp(&e->st.reply, &st->reply, sizeof(st->reply)) != 0)
		type = SYNC_OUT_CT_CREATE;
	if (e->st.id != st->id) {		/* re-keyed: restarted peer */
		idx_remove(t, IDX_SYNC, i);
		e->st = *st;
		idx_insert(t, IDX_SYNC, i);
	} else
		e->st = *st;
	e->read_s = (uint32_t)(now / 1000000);
	if (seen > e->seen)	/* a late frame must not age it */
		e->seen = seen;
	out_push(t, o, type, &e->st);
}

/*
 * A message about one of our own states of this run is a loop. One about
 * an id of an earlier run (id >> 32 is the epoch it was made in) is a state
 * we created before a restart and the peer kept: import it like any other.
 */
static int
own_current(const struct sync_table *t, uint32_t creatorid, uint64_t id)
{
	return creatorid == t->conf.node_id &&
	    (id >> 32) == (t->conf.id_base >> 32);
}

/* A peer's record for the tuple of seeded state i: the state is the
 * record's creator's (ours from an earlier run included, as in
 * own_current), under its id, from now on. */
static void
seeded_claim(struct sync_table *t, uint32_t i, const struct sync_state *st)
{
	struct entry	*e = ent(t, i);

	idx_remove(t, IDX_SYNC, i);
	e->st.creatorid = st->creatorid;
	e->st.id = st->id;
	idx_insert(t, IDX_SYNC, i);
	e->flags &= ~(F_SEEDED | F_LOCAL | F_FULLCHG);
	t->nseeded--;
	t->nlocal--;
	t->nimported++;
}

static void	ack_push(struct sync_table *, const struct sync_state *,
		    uint64_t, struct sync_outs *);

/*
 * A peer saw the first reply of one of our states (defer_reply there):
 * where our kernel still waits for it (SYN_SENT), take the peer's
 * handshake state and the reply's mark into our entry, so that the
 * client's next segment, which comes through us, is valid. Then ack.
 */
static void
own_reply(struct sync_table *t, const struct sync_state *st, uint64_t now,
    struct sync_outs *o)
{
	struct entry	*e;
	uint32_t	 i;

	if ((i = sync_find(t, st->creatorid, st->id)) == NIL ||
	    !live(e = ent(t, i)) || !(e->flags & F_LOCAL)) {
		t->stats.loops++;
		return;
	}
	if (e->st.proto == IPPROTO_TCP_NUM &&
	    (e->st.tcp_state == TCP_CT_SYN_SENT ||
	    e->st.tcp_state == TCP_CT_SYN_SENT2)) {
		e->st.tcp_state = st->tcp_state;
		e->st.status |= st->status & CT_SEEN_REPLY;
		out_push(t, o, SYNC_OUT_CT_UPDATE, &e->st);
		t->stats.replies_in++;
	}
	ack_push(t, st, now, o);
}

/* INS or UPD: a full record. The tuple conflict rule is at the top.
 * seen: the frame's seq if it came from the state's creator, else 0. */
static void
peer_state(struct sync_table *t, const struct sync_state *in, uint32_t seen,
    uint64_t now, struct sync_outs *o)
{
	struct sync_state	 st;
	struct entry		*e;
	uint32_t		 s, k;
	int			 ack;

	st_norm(&st, in);
	/* the flag asks us, it is not part of the state */
	ack = (st.state_flags & SYNC_SF_ACK) != 0;
	st.state_flags &= (uint8_t)~SYNC_SF_ACK;
	if (own_current(t, st.creatorid, st.id)) {
		if (ack)
			own_reply(t, &st, now, o);
		else
			t->stats.loops++;
		return;
	}
	s = sync_find(t, st.creatorid, st.id);
	k = kern_find(t, &st);
	if (s != NIL && s != k) {	/* the id moved to another tuple */
		out_push(t, o, SYNC_OUT_CT_DELETE, &ent(t, s)->st);
		entry_forget(t, s);
		s = NIL;
	}
	if (k == NIL) {
		if ((k = entry_add(t, &st, 0, now)) != NIL) {
			ent(t, k)->seen = seen;
			out_push(t, o, SYNC_OUT_CT_CREATE, &ent(t, k)->st);
			if (ack)
				ack_push(t, &st, now, o);
		}
		return;
	}
	e = ent(t, k);
	if (s == NIL && (e->flags & F_SEEDED))
		seeded_claim(t, k, &st);
	else if (s == NIL && ((e->flags & F_LOCAL) ||
	    e->st.creatorid != st.creatorid)) {
		t->stats.stale++;
		return;
	}
	import_apply(t, k, &st, seen, now, o);
	if (ack)
		ack_push(t, &st, now, o);
}

/* Queue a short message; 0, or -1 when the ring is full. */
static int
ref_push(struct sync_table *t, uint8_t action, uint64_t id,
    uint32_t creatorid, uint64_t now, struct sync_outs *o)
{
	struct ref_out	*r;

	if (t->rq_n == REQ_MAX)
		return -1;
	r = &t->reqs[(t->rq_head + t->rq_n++) % REQ_MAX];
	r->action = action;
	r->ref.id = id;
	r->ref.creatorid = creatorid;
	q_urgent(t, now, o);
	return 0;
}

/* Our request for a state we do not hold (pfsync 1.7); leaves first. */
static void
req_push(struct sync_table *t, uint64_t id, uint32_t creatorid,
    uint64_t now, struct sync_outs *o)
{
	if (ref_push(t, SYNC_A_UPD_REQ, id, creatorid, now, o) == -1)
		t->stats.upd_req_drop++;	/* the next UPD_C asks again */
	else
		t->stats.upd_req_out++;
}

/* The creator of st holds a first packet until we hold st (1.9): tell it
 * at once. Without room the packet waits out its 20 ms. */
static void
ack_push(struct sync_table *t, const struct sync_state *st, uint64_t now,
    struct sync_outs *o)
{
	if (ref_push(t, SYNC_A_INS_ACK, st->id, st->creatorid, now, o) == -1)
		t->stats.ins_ack_drop++;
	else
		t->stats.ins_ack_out++;
}

static void
peer_upd_c(struct sync_table *t, const struct sync_upd_c *u, uint32_t seen,
    uint64_t now, struct sync_outs *o)
{
	struct entry	*e;
	uint32_t	 i;

	if (own_current(t, u->creatorid, u->id)) {
		t->stats.loops++;
		return;
	}
	if ((i = sync_find(t, u->creatorid, u->id)) == NIL) {
		req_push(t, u->id, u->creatorid, now, o);
		return;
	}
	e = ent(t, i);
	e->st.status = u->status;
	e->st.mark = u->mark;
	e->st.timeout = u->timeout;
	e->read_s = (uint32_t)(now / 1000000);
	e->st.tcp_state = u->tcp_state;
	e->st.state_flags = u->state_flags;
	memcpy(e->st.tcp_flags, u->tcp_flags, sizeof(e->st.tcp_flags));
	if (seen > e->seen)	/* a late frame must not age it */
		e->seen = seen;
	out_push(t, o, SYNC_OUT_CT_UPDATE, &e->st);
}

/* DEL_C, ours included (see the top of the file). */
static void
peer_del_c(struct sync_table *t, const struct sync_ref *r,
    struct sync_outs *o)
{
	uint32_t	i;

	if ((i = sync_find(t, r->creatorid, r->id)) == NIL) {
		t->stats.del_unknown++;
		return;
	}
	out_push(t, o, SYNC_OUT_CT_DELETE, &ent(t, i)->st);
	entry_forget(t, i);
}

/*
 * Delete imported states of creator c: all of them (CLR), or (sweep) those
 * that no frame of c since the seq `before` mentioned. Returns how many.
 */
static size_t
drop_creator(struct sync_table *t, uint32_t c, int sweep, uint32_t before,
    struct sync_outs *o)
{
	struct entry	*e;
	uint32_t	 i;
	size_t		 n = 0;

	for (i = 0; i < t->hw; i++) {
		e = ent(t, i);
		if (!live(e) || (e->flags & F_LOCAL) || e->st.creatorid != c)
			continue;
		if (sweep && e->seen >= before)
			continue;
		out_push(t, o, SYNC_OUT_CT_DELETE, &e->st);
		entry_forget(t, i);
		n++;
	}
	return n;
}

size_t
sync_table_sweep(struct sync_table *t, uint32_t creatorid, uint32_t before,
    struct sync_outs *o)
{
	size_t	n;

	if (creatorid == t->conf.node_id)
		return 0;
	n = drop_creator(t, creatorid, 1, before, o);
	t->stats.swept += n;
	return n;
}

/* Its seqs start again: what we heard of it in the last epoch counts as
 * not heard, so its next complete bulk sweeps what it no longer has. */
void
sync_table_peer_restarted(struct sync_table *t, uint32_t creatorid)
{
	struct entry	*e;
	uint32_t	 i;

	for (i = 0; i < t->hw; i++) {
		e = ent(t, i);
		if (live(e) && !(e->flags & F_LOCAL) &&
		    e->st.creatorid == creatorid)
			e->seen = 0;
	}
}

/* UPD_REQ(0, 0): a bulk; UPD_REQ(id, us): that state in full, now. */
static void
peer_upd_req(struct sync_table *t, const struct sync_ref *r, uint64_t now,
    struct sync_outs *o)
{
	struct entry	*e;
	uint32_t	 i;

	if (r->id == 0 && r->creatorid == 0) {
		/* A request during a bulk gets a bulk of its own afterwards:
		 * its sender missed this one's BUS START (pfsync only notes
		 * it, and the late node's bulk ends incomplete). */
		if (t->bphase != BULK_IDLE)
			t->bagain = 1;
		sync_table_bulk_start(t, now);
		out_push(t, o, SYNC_OUT_SEND_NOW, NULL);
		return;
	}
	if (r->creatorid != t->conf.node_id ||
	    (i = sync_find(t, r->creatorid, r->id)) == NIL) {
		t->stats.upd_req_miss++;
		return;
	}
	e = ent(t, i);
	if (e->qact == Q_NONE)
		q_append(t, i, Q_UPD, now);
	else if (e->qact == Q_UPD_C)
		e->qact = Q_UPD;
	q_urgent(t, now, o);
}

void
sync_table_peer_msg(struct sync_table *t, uint32_t from, uint32_t seq,
    const struct sync_msg *m, uint64_t now, struct sync_outs *o)
{
	if (from == t->conf.node_id) {
		t->stats.loops++;
		return;
	}
	switch (m->action) {
	case SYNC_A_INS:
	case SYNC_A_UPD:
		peer_state(t, &m->u.st, m->u.st.creatorid == from ? seq : 0,
		    now, o);
		break;
	case SYNC_A_UPD_C:
		peer_upd_c(t, &m->u.upd_c, m->u.upd_c.creatorid == from ? seq : 0,
		    now, o);
		break;
	case SYNC_A_DEL_C:
		peer_del_c(t, &m->u.ref, o);
		break;
	case SYNC_A_CLR:
		if (m->u.clr.creatorid == t->conf.node_id)
			t->stats.loops++;
		else
			drop_creator(t, m->u.clr.creatorid, 0, 0, o);
		break;
	case SYNC_A_UPD_REQ:
		peer_upd_req(t, &m->u.ref, now, o);
		break;
	default:
		break;	/* BUS (sync_peer.c), INS_ACK (defer), NACK: the shell's */
	}
}

/* ---- refresh ---------------------------------------------------------- */

static uint64_t
refresh_tick(const struct sync_table *t)
{
	uint64_t	tick = t->conf.refresh_us / REFRESH_TICKS;

	return tick ? tick : 1;
}

/* A pass takes a tick less than refresh_us, so that a state visited on
 * time in one pass and a tick late in the next still waits <= refresh_us. */
static uint64_t
refresh_period(const struct sync_table *t)
{
	uint64_t	p = t->conf.refresh_us - refresh_tick(t);

	return p ? p : 1;
}

static void
refresh_one(struct sync_table *t, uint32_t i, uint64_t now)
{
	struct entry	*e = ent(t, i);
	int		 full;

	full = (e->flags & F_FULLCHG) ||
	    t->rpass % REFRESH_FULL == REFRESH_FULL - 1;
	e->flags &= ~F_FULLCHG;
	if (e->qact == Q_NONE)
		q_append(t, i, full ? Q_UPD : Q_UPD_C, now);
	else if (full && e->qact == Q_UPD_C)
		e->qact = Q_UPD;
	t->stats.refreshed++;
}

/* Walk the slots the elapsed part of the period covers. */
static void
refresh_step(struct sync_table *t, uint64_t now)
{
	uint64_t	 period, el, frac;
	uint32_t	 target;
	struct entry	*e;

	if (!t->ractive)
		return;
	if (t->nlocal == 0) {
		t->ractive = 0;
		return;
	}
	period = refresh_period(t);
	el = now > t->rstart ? now - t->rstart : 0;
	frac = el >= period ? 1U << 16 : (el << 16) / period;
	target = (uint32_t)(((uint64_t)t->hw * frac) >> 16);
	for (; t->rcur < target; t->rcur++) {
		e = ent(t, t->rcur);
		if (live(e) && (e->flags & (F_LOCAL | F_SEEDED)) == F_LOCAL)
			refresh_one(t, t->rcur, now);
	}
	t->rlast = now;
	if (t->rcur >= t->hw) {
		t->rcur = 0;
		t->rpass++;
		/* far behind (no drain for a period): restart from now */
		t->rstart = el >= 2 * period ? now : t->rstart + period;
	}
}

/* ---- output ----------------------------------------------------------- */

/*
 * The timeout as it stands now: what was read, less the time since. The
 * kernel says nothing when traffic renews a timer (pfsync-conntrack.md
 * 5.5), so a flow still in the table may well have more left than that:
 * never send less than one refresh period + TIMEOUT_SLACK_S (or what was
 * read, if less), so that the peer's copy of a live flow outlasts the
 * next refresh, while an idle one still ages there as it does here.
 */
static uint32_t
timeout_now(const struct sync_table *t, const struct entry *e, uint64_t now)
{
	uint32_t	el = (uint32_t)(now / 1000000) - e->read_s;
	uint32_t	left = e->st.timeout > el ? e->st.timeout - el : 0;
	uint64_t	floor = t->conf.refresh_us / 1000000 + TIMEOUT_SLACK_S;

	if (floor > e->st.timeout)
		floor = e->st.timeout;
	return left > floor ? left : (uint32_t)floor;
}

static void
state_of(const struct sync_table *t, const struct entry *e, uint64_t now,
    struct sync_state *st)
{
	*st = e->st;
	st->timeout = timeout_now(t, e, now);
}

static void
upd_c_of(const struct sync_state *st, struct sync_upd_c *u)
{
	memset(u, 0, sizeof(*u));
	u->id = st->id;
	u->creatorid = st->creatorid;
	u->status = st->status;
	u->mark = st->mark;
	u->timeout = st->timeout;
	u->tcp_state = st->tcp_state;
	u->state_flags = st->state_flags;
	memcpy(u->tcp_flags, st->tcp_flags, sizeof(u->tcp_flags));
}

static void
msg_of(const struct sync_table *t, const struct entry *e, uint64_t now,
    struct sync_msg *m)
{
	struct sync_state	st;

	memset(m, 0, sizeof(*m));
	switch (e->qact) {
	case Q_INS:
	case Q_UPD:
		m->action = e->qact == Q_INS ? SYNC_A_INS : SYNC_A_UPD;
		state_of(t, e, now, &m->u.st);
		break;
	case Q_UPD_C:
		m->action = SYNC_A_UPD_C;
		state_of(t, e, now, &st);
		upd_c_of(&st, &m->u.upd_c);
		break;
	default:
		m->action = SYNC_A_DEL_C;
		m->u.ref.id = e->st.id;
		m->u.ref.creatorid = e->st.creatorid;
		break;
	}
}

static unsigned
drain_reqs(struct sync_table *t, struct sync_fb *fb)
{
	struct sync_msg	m;
	unsigned	n = 0;

	while (t->rq_n > 0) {
		memset(&m, 0, sizeof(m));
		m.action = t->reqs[t->rq_head].action;
		m.u.ref = t->reqs[t->rq_head].ref;
		if (sync_fb_add(fb, &m) == -1)
			break;
		t->rq_head = (t->rq_head + 1) % REQ_MAX;
		t->rq_n--;
		n++;
	}
	return n;
}

static unsigned
drain_queue(struct sync_table *t, struct sync_fb *fb, uint64_t now)
{
	struct sync_msg	 m;
	struct entry	*e;
	uint32_t	 i;
	unsigned	 n = 0;

	while ((i = t->qhead) != NIL) {
		e = ent(t, i);
		msg_of(t, e, now, &m);
		if (sync_fb_add(fb, &m) == -1)
			break;
		q_unlink(t, i);
		e->flags |= F_SENT;
		/* asked once, in the INS; not in updates, refreshes, bulks */
		e->st.state_flags &= (uint8_t)~SYNC_SF_ACK;
		if (e->flags & F_DEAD)
			slot_free(t, i);	/* its DEL_C has left */
		n++;
	}
	return n;
}

unsigned
sync_table_drain(struct sync_table *t, struct sync_fb *fb, uint64_t now)
{
	unsigned	n;

	refresh_step(t, now);
	n = drain_reqs(t, fb);
	if (t->rq_n == 0)
		n += drain_queue(t, fb, now);
	if (t->rq_n == 0 && t->qhead == NIL)
		t->urgent = 0;
	return n;
}

static int
refresh_due_at(const struct sync_table *t, uint64_t *at)
{
	if (!t->ractive || t->nlocal == 0)
		return 0;
	*at = t->rlast + refresh_tick(t);
	return 1;
}

/* Never 0 when something is pending, even at time 0. */
uint64_t
sync_table_next_deadline(const struct sync_table *t)
{
	uint64_t	d = UINT64_MAX, r;

	if (t->qhead != NIL)
		d = ent(t, t->qhead)->qtime + t->conf.send_delay_us;
	if (t->urgent && t->urgent_at < d)
		d = t->urgent_at;
	if (refresh_due_at(t, &r) && r < d)
		d = r;
	if (d == UINT64_MAX)
		return 0;
	return d ? d : 1;
}

int
sync_table_pending(const struct sync_table *t, uint64_t now)
{
	uint64_t	r;

	if (t->rq_n > 0 || t->qhead != NIL)
		return 1;
	return refresh_due_at(t, &r) && now >= r;
}

/* ---- bulk send -------------------------------------------------------- */

/* A bulk under way is not restarted (pfsync 1.8); states created after
 * the start reach the peer as INS. */
void
sync_table_bulk_start(struct sync_table *t, uint64_t now)
{
	if (t->bphase != BULK_IDLE)
		return;
	t->bphase = BULK_START;
	t->bcur = 0;
	t->bend = t->hw;
	t->bstart = now;
	t->stats.bulks++;
}

static int
bus_add(struct sync_table *t, struct sync_fb *fb, uint8_t status,
    uint64_t now)
{
	struct sync_msg	m;

	memset(&m, 0, sizeof(m));
	m.action = SYNC_A_BUS;
	m.u.bus.creatorid = t->conf.node_id;
	m.u.bus.status = status;
	/* endtime: seconds since the request (0 in START, as OpenBSD) */
	if (status == SYNC_BUS_END && now > t->bstart)
		m.u.bus.endtime = (uint32_t)((now - t->bstart) / 1000000);
	return sync_fb_add(fb, &m);
}

int
sync_table_bulk_next(struct sync_table *t, struct sync_fb *fb, uint64_t now)
{
	struct sync_msg	 m;
	struct entry	*e;

	if (t->bphase == BULK_IDLE)
		return 0;
	if (t->bphase == BULK_START) {
		if (bus_add(t, fb, SYNC_BUS_START, now) == -1)
			return 1;
		t->bphase = BULK_STATES;
	}
	for (; t->bcur < t->bend; t->bcur++) {
		e = ent(t, t->bcur);
		/* Every state, imported ones too, as pfsync: a peer coming
		 * back must learn the flows we took over from it. */
		if (!live(e) || (e->flags & F_SEEDED))
			continue;
		memset(&m, 0, sizeof(m));
		m.action = SYNC_A_UPD;
		state_of(t, e, now, &m.u.st);
		if (sync_fb_add(fb, &m) == -1)
			return 1;
		e->flags |= F_SENT;
	}
	if (bus_add(t, fb, SYNC_BUS_END, now) == -1)
		return 1;
	t->bphase = BULK_IDLE;
	if (t->bagain) {
		t->bagain = 0;
		sync_table_bulk_start(t, now);
		return 1;
	}
	return 0;
}

int
sync_table_bulk_active(const struct sync_table *t)
{
	return t->bphase != BULK_IDLE;
}

/* ---- retransmission --------------------------------------------------- */

int
sync_table_current(const struct sync_table *t, struct sync_msg *m,
    uint64_t now)
{
	struct sync_state	 st;
	const struct entry	*e;
	uint32_t		 i;
	uint64_t		 id;
	uint32_t		 c;

	if (m->action == SYNC_A_UPD_C) {
		id = m->u.upd_c.id;
		c = m->u.upd_c.creatorid;
	} else {
		id = m->u.st.id;
		c = m->u.st.creatorid;
	}
	if ((i = sync_find(t, c, id)) == NIL || !live(e = ent(t, i)))
		return -1;
	state_of(t, e, now, &st);
	if (m->action != SYNC_A_UPD_C)
		m->u.st = st;
	else
		upd_c_of(&st, &m->u.upd_c);
	return 0;
}
