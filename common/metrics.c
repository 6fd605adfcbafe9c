/*
 * metrics.c: the Prometheus text exposition format 0.0.4 of the control
 * replies (metrics.h). Every number is read through a table of
 * (family, reason, help, offset, width): a field added to a ctl struct is
 * exported by adding one MF() line to the table of that struct. Entries of
 * one family (same name, different `reason` label) are adjacent, so each
 * family gets its HELP and TYPE once, followed by all its samples, as the
 * format requires.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

enum mtype { M_GAUGE, M_COUNTER };

struct mfield {
	const char	*name;		/* family, after the prefix */
	const char	*reason;	/* value of a reason label, or NULL */
	const char	*help;
	uint16_t	 off;		/* in the struct the table describes */
	uint8_t		 width;		/* 1, 2, 4 or 8 bytes */
	uint8_t		 type;		/* enum mtype */
	uint16_t	 div;		/* > 1: exported as value / div (ms -> s) */
};

#define MFX(st, fld, name, reason, type, div, help)			\
	{ name, reason, help, offsetof(st, fld), sizeof(((st *)0)->fld),\
	  type, div }
#define MF(st, fld, name, reason, type, help)				\
	MFX(st, fld, name, reason, type, 0, help)
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* --- carpd ---------------------------------------------------------------- */

#define CC(fld, name, reason, help)					\
	MF(struct ctl_counters, fld, name, reason, M_COUNTER, help)
/* struct ctl_counters, per vhost and daemon-wide (ctl_refused: below) */
static const struct mfield carp_counters[] = {
	CC(ipackets, "ipackets_total", NULL, "IPv4 adverts received"),
	CC(ipackets6, "ipackets6_total", NULL, "IPv6 adverts received"),
	CC(opackets, "opackets_total", NULL, "IPv4 adverts sent"),
	CC(opackets6, "opackets6_total", NULL, "IPv6 adverts sent"),
	CC(onomem, "send_errors_total", NULL, "Adverts whose send failed"),
	CC(authvalid, "auth_valid_total", NULL,
	    "Adverts whose auth trailer verified"),
	CC(unauthenticated, "auth_unauthenticated_total", NULL,
	    "Adverts accepted without trailer (auth compat)"),
	CC(badif, "drops_total", "badif", "Adverts dropped, by reason"),
	CC(badttl, "drops_total", "badttl", NULL),
	CC(hdrops, "drops_total", "hdrops", NULL),
	CC(badsum, "drops_total", "badsum", NULL),
	CC(badver, "drops_total", "badver", NULL),
	CC(badlen, "drops_total", "badlen", NULL),
	CC(badauth, "drops_total", "badauth", NULL),
	CC(badvhid, "drops_total", "badvhid", NULL),
	CC(loop, "drops_total", "loop", NULL),
	CC(authmissing, "drops_total", "authmissing", NULL),
	CC(authmalformed, "drops_total", "authmalformed", NULL),
	CC(authforged, "drops_total", "authforged", NULL),
	CC(authreplay, "drops_total", "authreplay", NULL),
	CC(garp, "announce_frames_total", "garp",
	    "Announcement frames sent (gratuitous ARP, unsolicited NA)"),
	CC(na, "announce_frames_total", "na", NULL),
	CC(ann_takeover, "announce_rounds_total", "takeover",
	    "Announcement rounds, by cause"),
	CC(ann_won, "announce_rounds_total", "won", NULL),
	CC(ann_refresh, "announce_rounds_total", "refresh", NULL),
	CC(ann_errors, "announce_errors_total", NULL,
	    "Announcement frames that could not be sent"),
};

#define VG(fld, name, help)						\
	MF(struct ctl_vhost, fld, name, NULL, M_GAUGE, help)
static const struct mfield carp_vhost[] = {
	MF(struct ctl_vhost, transitions, "transitions_total", NULL,
	    M_COUNTER, "State changes of the vhost"),
	VG(demote, "demote", "Demotion count the vhost advertises"),
	VG(advbase, "advbase", "Advertisement base interval, seconds"),
	VG(advskew, "advskew", "Advertisement skew, 1/256 s"),
	VG(naddrs, "addresses", "Virtual addresses of the vhost"),
	VG(tiebreak, "tiebreak_lower_address",
	    "1 if exact ties go to the lower address (tiebreak lower-address)"),
	VG(garp_refresh, "garp_refresh_seconds",
	    "Re-announcement period while MASTER, 0 when off"),
};

/* carpd.conf(5) TRACKING: one series per track */
#define TR(fld, name, type, help)					\
	MF(struct ctl_track, fld, name, NULL, type, help)
static const struct mfield carp_track[] = {
	TR(up, "track_up", M_GAUGE, "1 while the track is healthy"),
	TR(weight, "track_weight", M_GAUGE,
	    "Demotion the track adds while it fails"),
	TR(runs, "track_runs_total", M_COUNTER, "Track script runs ended"),
	TR(failures, "track_failures_total", M_COUNTER,
	    "Results not healthy (interfaces: downs)"),
	TR(timeouts, "track_timeouts_total", M_COUNTER,
	    "Track script runs killed at their timeout"),
};

/* carpd.conf(5) HOOKS, per vhost */
#define VH(fld, name, type, help)					\
	MF(struct ctl_vhost_hooks, fld, name, NULL, type, help)
static const struct mfield carp_vhost_hooks[] = {
	VH(track_vhost, "track_demote", M_GAUGE,
	    "Demotion its track-scope vhost tracks add"),
	VH(preempt_delay, "preempt_delay_seconds", M_GAUGE,
	    "No preemption this long after carpd's start"),
	VH(queued, "hook_queued", M_GAUGE, "Transitions waiting for the hook"),
	VH(running, "hook_running", M_GAUGE, "1 while a notify hook runs"),
	VH(run, "hook_runs_total", M_COUNTER, "Notify hooks started"),
	VH(failed, "hook_failures_total", M_COUNTER,
	    "Notify hooks that ended other than with exit status 0"),
	VH(killed, "hook_killed_total", M_COUNTER,
	    "Notify hooks killed at their timeout"),
	VH(dropped, "hook_dropped_total", M_COUNTER,
	    "Transitions lost to a full hook queue"),
};

/* carpd.conf(5) BALANCING, per balanced vhost (one bucket each) */
#define BL(fld, name, reason, type, help)				\
	MF(struct ctl_balance, fld, name, reason, type, help)
static const struct mfield carp_balance[] = {
	BL(owned_here, "balance_bucket_owned", NULL, M_GAUGE,
	    "1 while this node is MASTER of the vhid and takes its bucket"),
	BL(nodes, "balance_nodes", NULL, M_GAUGE,
	    "Nodes (buckets) of the vhid's carpnodes group"),
	BL(accepted, "balance_packets_total", "accepted", M_COUNTER,
	    "Frames to the shared MAC hashed to the vhid's bucket, by verdict"),
	BL(ignored, "balance_packets_total", "ignored", M_COUNTER, NULL),
	BL(arp_replies, "balance_arp_total", "reply", M_COUNTER,
	    "ARP requests for the group's VIPs, by verdict (per group)"),
	BL(arp_dropped, "balance_arp_total", "dropped", M_COUNTER, NULL),
	BL(nd_replies, "balance_nd_total", "reply", M_COUNTER,
	    "Neighbour solicitations for the group's IPv6 VIPs, by verdict "
	    "(per group)"),
	BL(nd_dropped, "balance_nd_total", "dropped", M_COUNTER, NULL),
	BL(held, "balance_nat_held", NULL, M_GAUGE,
	    "1 while balance-nat keeps the node in INIT (no syncd with defer)"),
};

/* daemon-wide hook, notify-fifo and track-script counters */
#define HS(fld, name, reason, help)					\
	MF(struct ctl_hook_stats, fld, name, reason, M_COUNTER, help)
static const struct mfield carp_hook_stats[] = {
	HS(hooks_run, "hook_runs_total", NULL, "Notify hooks started"),
	HS(hooks_failed, "hook_failures_total", NULL,
	    "Notify hooks that ended other than with exit status 0"),
	HS(hooks_killed, "hook_killed_total", NULL,
	    "Notify hooks killed at their timeout"),
	HS(hooks_dropped, "hook_dropped_total", NULL,
	    "Transitions lost to a full hook queue"),
	HS(fifo_written, "fifo_lines_total", "written",
	    "notify-fifo lines, written or dropped (no reader, pipe full)"),
	HS(fifo_dropped, "fifo_lines_total", "dropped", NULL),
	HS(script_runs, "script_runs_total", NULL, "Track script runs ended"),
	HS(script_failures, "script_failures_total", NULL,
	    "Track script runs not healthy"),
	HS(script_timeouts, "script_timeouts_total", NULL,
	    "Track script runs killed at their timeout"),
};

#define CS(fld, name, reason, type, help)				\
	MF(struct ctl_conn_stats, fld, name, reason, type, help)
static const struct mfield conn_stats[] = {
	CS(accepted, "control_accepted_total", NULL, M_COUNTER,
	    "Control connections accepted"),
	CS(closed_bad, "control_closed_total", "bad", M_COUNTER,
	    "Control clients hung up on, by reason"),
	CS(closed_slow, "control_closed_total", "slow", M_COUNTER, NULL),
	CS(badmsg, "control_badmsg_total", NULL, M_COUNTER,
	    "Control requests answered with BADMSG"),
	CS(open, "control_open", NULL, M_GAUGE, "Control connections open"),
};

static const struct mfield carp_refused[] = {
	CC(ctl_refused, "control_refused_total", NULL,
	    "Control connections refused by their peer credentials"),
};

/* --- syncd ---------------------------------------------------------------- */

#define SI(fld, name, type, help)					\
	MF(struct ctl_sync_info, fld, name, NULL, type, help)
#define SIC(fld, name, help)	SI(fld, name, M_COUNTER, help)
#define SIG(fld, name, help)	SI(fld, name, M_GAUGE, help)
/* drops[] and held[] are exported by their name tables (CTL_SYNC_*_NAMES) */
static const struct mfield sync_info[] = {
	SIG(node_id, "node_id", "This node's id"),
	SIG(epoch, "epoch", "This run's epoch"),
	SIG(master, "master", "1 if a local vhid is MASTER (1 without carpd)"),
	SIG(carpd, "carpd_connected", "1 if connected to carpd"),
	SIG(bulk_sending, "bulk_sending", "1 while answering a bulk request"),
	SIG(held_demote, "held_demote_sum",
	    "Demotion syncd holds on carpd's group carp"),
	SIG(local_states, "states_local", "States created by this node"),
	SIG(imported_states, "states_imported", "States received from peers"),
	SIC(ipackets, "frames_in_total", "Sync frames received"),
	SIC(ibytes, "bytes_in_total", "Sync bytes received"),
	SIC(opackets, "frames_out_total", "Sync frames sent"),
	SIC(obytes, "bytes_out_total", "Sync bytes sent"),
	SIC(oerrors, "send_errors_total", "Sync frames whose send failed"),
	SIC(loops, "loops_total", "Frames with our own node id"),
	SIC(skipped, "skipped_total", "Unknown sections skipped"),
	SIC(overruns, "overruns_total", "Conntrack event overruns (resyncs)"),
	SIC(gaps, "gaps_total", "Sequence gaps seen"),
	SIC(filtered, "filtered_total", "Conntrack events not synced"),
	SIC(table.stale, "table_stale_total",
	    "Peer updates for a state held under another owner"),
	SIC(table.loops, "table_loops_total",
	    "Messages about our own creator id"),
	SIC(table.refused, "table_refused_total",
	    "New states beyond the table limit"),
	SIC(table.nomem, "table_nomem_total", "State allocations failed"),
	SIC(table.upd_req_out, "table_upd_req_out_total",
	    "UPD_REQ queued for an unknown UPD_C"),
	SIC(table.upd_req_drop, "table_upd_req_drop_total",
	    "UPD_REQ not queued: request queue full"),
	SIC(table.upd_req_miss, "table_upd_req_miss_total",
	    "UPD_REQ for a state we do not own"),
	SIC(table.del_unknown, "table_del_unknown_total",
	    "DEL_C for a state we do not hold"),
	SIC(table.swept, "table_swept_total",
	    "States deleted by a peer's complete bulk"),
	SIC(table.resync_swept, "table_resync_swept_total",
	    "States gone from the kernel dump (resync)"),
	SIC(table.refreshed, "table_refreshed_total",
	    "States queued by the periodic refresh"),
	SIC(table.bulks, "table_bulks_total", "Bulk sends started"),
	SIC(watch_frames, "watch_frames_total",
	    "Frame events queued to watch subscribers"),
	SIC(watch_drops, "watch_drops_total",
	    "Frame events not queued: subscriber too slow"),
	SIG(watchers, "watchers", "Subscribed control connections"),
	SIC(pcap_frames, "pcap_frames_total", "Frames written to pcap-file"),
	SIC(pcap_errors, "pcap_errors_total", "Frames not written to pcap-file"),
	SIG(pcap_file, "pcap_file_open", "1 if pcap-file is open"),
	SIG(carrier, "syncdev_carrier", "syncdev carrier: 1 yes, 0 no, 2 unknown"),
	SIG(local_prefixes, "syncdev_local_prefixes",
	    "syncdev prefixes never synced"),
	SIC(loss.nacks_out, "nacks_out_total", "Ranges we asked peers for again"),
	SIC(loss.nacks_in, "nacks_in_total", "Ranges peers asked us for"),
	SIC(loss.retx_out, "retransmits_total", "Frames sent again"),
	SIC(loss.retx_lost, "retransmits_lost_total",
	    "Asked-for frames no longer known: sent as LOST"),
	SIC(loss.retx_dup, "retransmits_dup_total",
	    "Retransmissions we had already"),
	SIC(loss.heartbeats, "heartbeats_total",
	    "Empty frames sent after 1 s of silence"),
	SIC(loss.table_reqs, "table_reqs_total", "UPD_REQ(0, 0) sent"),
	SIC(loss.toomany, "toomany_total",
	    "Frames of peers beyond the 8 we keep"),
	SIC(loss.acks_out, "acks_out_total", "ACKs sent (bulk flow control)"),
	SIC(loss.acks_in, "acks_in_total", "ACKs of our frames"),
	SIC(loss.window_waits, "window_waits_total",
	    "Times our bulk waited for a peer's ACK"),
	SIC(ctl_refused, "control_refused_total",
	    "Control connections refused by their peer credentials"),
	SIG(defer.on, "defer_enabled", "1: first packets are held (defer yes)"),
	SIG(defer.held_now, "defer_held", "First packets held at this moment"),
	SIC(defer.held, "defer_held_total", "First packets taken into the hold"),
	SIC(defer.passed, "defer_passed_total",
	    "Queued packets let go at once (known or unsynced state)"),
	SIC(defer.acked, "defer_acked_total",
	    "Held packets released by a peer's INS_ACK"),
	SIC(defer.timeout, "defer_timeout_total",
	    "Held packets released after 20 ms without an INS_ACK"),
	SIC(defer.evicted, "defer_evicted_total",
	    "Held packets released early: 128 were held"),
};

#define SP(fld, name, type, help)					\
	MF(struct ctl_sync_peer, fld, name, NULL, type, help)
static const struct mfield sync_peer[] = {
	SP(epoch, "peer_epoch", M_GAUGE, "The peer's current epoch"),
	SP(seq, "peer_seq", M_GAUGE, "Highest sequence accepted from the peer"),
	SP(frames, "peer_frames_total", M_COUNTER, "Frames accepted"),
	SP(gaps, "peer_gaps_total", M_COUNTER, "Sequence gaps seen"),
	SP(missing, "peer_missing", M_GAUGE, "Its sequences missing now"),
	SP(lost, "peer_lost_total", M_COUNTER,
	    "Its sequences given up, and LOST answers"),
	SP(late, "peer_late_total", M_COUNTER,
	    "Missing frames that came later (retransmitted)"),
	SP(nacks, "peer_nacks_total", M_COUNTER, "Ranges we NACKed"),
	SP(table_reqs, "peer_table_reqs_total", M_COUNTER,
	    "Its table asked for"),
	SP(bulks, "peer_bulks_total", M_COUNTER, "Its complete bulks"),
	MFX(struct ctl_sync_peer, heard_ms, "peer_heard_seconds", NULL,
	    M_GAUGE, 1000, "Seconds since its last frame"),
};

/* --- output --------------------------------------------------------------- */

void
metrics_out_init(struct metrics_out *o, char *buf, size_t cap)
{
	o->p = buf;
	o->cap = cap;
	o->off = 0;
	if (cap > 0)
		buf[0] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
out(struct metrics_out *o, const char *fmt, ...)
{
	va_list ap;
	size_t room = o->off < o->cap ? o->cap - o->off : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room > 0 ? o->p + o->off : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

/* A label value: backslash, double quote and newline escaped (0.0.4). */
static void
out_label(struct metrics_out *o, const char *key, const char *v, size_t max,
    int first)
{
	size_t i;

	out(o, "%s%s=\"", first ? "" : ",", key);
	for (i = 0; i < max && v[i] != '\0'; i++) {
		if (v[i] == '\\')
			out(o, "\\\\");
		else if (v[i] == '"')
			out(o, "\\\"");
		else if (v[i] == '\n')
			out(o, "\\n");
		else
			out(o, "%c", v[i]);
	}
	out(o, "\"");
}

static void
out_family(struct metrics_out *o, const char *prefix, const char *name,
    const char *help, int type)
{
	out(o, "# HELP %s%s %s\n# TYPE %s%s %s\n", prefix, name, help,
	    prefix, name, type == M_COUNTER ? "counter" : "gauge");
}

static uint64_t
field(const void *base, const struct mfield *f)
{
	const uint8_t *p = (const uint8_t *)base + f->off;
	uint64_t v64 = 0;
	uint32_t v32;
	uint16_t v16;

	switch (f->width) {
	case 1:
		return *p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

/* The labels of one series (without braces) */
typedef void labels_fn(struct metrics_out *, const void *obj);

struct series {
	const void	*base;		/* first object */
	size_t		 stride;	/* bytes between objects */
	int		 n;
	size_t		 skip;		/* table struct's offset in the object */
	labels_fn	*labels;	/* NULL: no labels */
};

static void
out_sample(struct metrics_out *o, const char *prefix,
    const struct mfield *f, const struct series *s, int i)
{
	const uint8_t *obj = (const uint8_t *)s->base + (size_t)i * s->stride;
	uint64_t v = field(obj + s->skip, f);
	int braces = s->labels != NULL || f->reason != NULL;

	out(o, "%s%s%s", prefix, f->name, braces ? "{" : "");
	if (s->labels != NULL)
		s->labels(o, obj);
	if (f->reason != NULL)
		out_label(o, "reason", f->reason, CTL_NAMELEN,
		    s->labels == NULL);
	if (f->div > 1)
		out(o, "%s %" PRIu64 ".%03" PRIu64 "\n", braces ? "}" : "",
		    v / f->div, (v % f->div) * 1000 / f->div);
	else
		out(o, "%s %" PRIu64 "\n", braces ? "}" : "", v);
}

static void
out_table(struct metrics_out *o, const char *prefix, const struct mfield *t,
    size_t n, const struct series *s)
{
	size_t k;
	int i;

	for (k = 0; k < n; k++) {
		if (k == 0 || strcmp(t[k].name, t[k - 1].name) != 0)
			out_family(o, prefix, t[k].name, t[k].help, t[k].type);
		for (i = 0; i < s->n; i++)
			out_sample(o, prefix, &t[k], s, i);
	}
}

static void
out_up(struct metrics_out *o, const char *prefix, const char *who, int up)
{
	out(o, "# HELP %sup 1 if %s answered on its control socket\n"
	    "# TYPE %sup gauge\n%sup %d\n", prefix, who, prefix, prefix, up);
}

/* --- carpd ---------------------------------------------------------------- */

#define CARPD	"carpsync_carpd_"

static void
vhost_labels(struct metrics_out *o, const void *obj)
{
	const struct ctl_vhost *v = obj;

	out(o, "vhid=\"%u\"", v->vhid);
	out_label(o, "ifname", v->ifname, sizeof(v->ifname), 0);
}

static void
track_labels(struct metrics_out *o, const void *obj)
{
	const struct ctl_track *t = obj;

	out(o, "vhid=\"%u\",kind=\"%s\"", t->vhid,
	    t->kind == 0 ? "interface" : "script");
	out_label(o, "name", t->name, sizeof(t->name), 0);
}

static void
balance_labels(struct metrics_out *o, const void *obj)
{
	const struct ctl_balance *b = obj;

	out(o, "vhid=\"%u\",group=\"%u\",bucket=\"%u\"", b->vhid, b->leader,
	    b->bucket);
}

static void
hooks_labels(struct metrics_out *o, const void *obj)
{
	const struct ctl_vhost_hooks *h = obj;

	out(o, "vhid=\"%u\"", h->vhid);
}

static const char *
auth_name(uint8_t a)
{
	static const char *const n[] = { "off", "compat", "strict" };

	return a < NELEM(n) ? n[a] : "unknown";
}

/* State as a state set: one series per state, 1 for the current one. */
static void
carpd_states(struct metrics_out *o, const struct metrics_carpd *c)
{
	static const char *const names[] = { "init", "backup", "master" };
	size_t s;
	int i;

	out_family(o, CARPD, "vhost_state",
	    "1 for the vhost's current state, 0 for the others", M_GAUGE);
	for (i = 0; i < c->nv; i++)
		for (s = 0; s < NELEM(names); s++) {
			out(o, CARPD "vhost_state{");
			vhost_labels(o, &c->v[i]);
			out(o, ",state=\"%s\"} %d\n", names[s],
			    c->v[i].state == s);
		}
	out_family(o, CARPD, "vhost_info",
	    "Configuration of the vhost (value always 1)", M_GAUGE);
	for (i = 0; i < c->nv; i++) {
		out(o, CARPD "vhost_info{");
		vhost_labels(o, &c->v[i]);
		out_label(o, "carpdev", c->v[i].carpdev,
		    sizeof(c->v[i].carpdev), 0);
		out(o, ",auth=\"%s\",lladdr=\"%s\"} 1\n",
		    auth_name(c->v[i].auth),
		    c->v[i].lladdr_real ? "real" : "virtual");
	}
}

static void
carpd_groups(struct metrics_out *o, const struct metrics_carpd *c)
{
	int i;

	out_family(o, CARPD, "group_demote",
	    "Demotion counter of the group", M_GAUGE);
	for (i = 0; i < c->ng; i++) {
		out(o, CARPD "group_demote{");
		out_label(o, "group", c->g[i].name, sizeof(c->g[i].name), 1);
		out(o, "} %u\n", c->g[i].demote);
	}
}

/* Tracks, per-vhost hooks and the daemon-wide hook counters. */
static void
carpd_health(struct metrics_out *o, const struct metrics_carpd *c)
{
	struct series s;

	if (c->nt > 0) {
		s = (struct series){ c->t, sizeof(*c->t), c->nt, 0,
		    track_labels };
		out_table(o, CARPD, carp_track, NELEM(carp_track), &s);
	}
	if (c->nh > 0) {
		s = (struct series){ c->h, sizeof(*c->h), c->nh, 0,
		    hooks_labels };
		out_table(o, CARPD "vhost_", carp_vhost_hooks,
		    NELEM(carp_vhost_hooks), &s);
	}
	if (c->nb > 0) {
		s = (struct series){ c->b, sizeof(*c->b), c->nb, 0,
		    balance_labels };
		out_table(o, CARPD, carp_balance, NELEM(carp_balance), &s);
	}
	if (c->hs != NULL) {
		s = (struct series){ c->hs, 0, 1, 0, NULL };
		out_table(o, CARPD, carp_hook_stats, NELEM(carp_hook_stats),
		    &s);
	}
}

void
metrics_carpd(struct metrics_out *o, const struct metrics_carpd *c)
{
	struct series s;

	out_up(o, CARPD, "carpd", c != NULL);
	if (c == NULL)
		return;
	carpd_states(o, c);
	s = (struct series){ c->v, sizeof(*c->v), c->nv, 0, vhost_labels };
	out_table(o, CARPD "vhost_", carp_vhost, NELEM(carp_vhost), &s);
	s.skip = offsetof(struct ctl_vhost, counters);
	out_table(o, CARPD "vhost_", carp_counters, NELEM(carp_counters), &s);
	carpd_groups(o, c);
	if (c->total != NULL) {
		s = (struct series){ c->total, 0, 1, 0, NULL };
		out_table(o, CARPD, carp_counters, NELEM(carp_counters), &s);
		out_table(o, CARPD, carp_refused, NELEM(carp_refused), &s);
	}
	if (c->cs != NULL) {
		s = (struct series){ c->cs, 0, 1, 0, NULL };
		out_table(o, CARPD, conn_stats, NELEM(conn_stats), &s);
	}
	carpd_health(o, c);
}

/* --- syncd ---------------------------------------------------------------- */

#define SYNCD	"carpsync_syncd_"

static void
peer_labels(struct metrics_out *o, const void *obj)
{
	const struct ctl_sync_peer *p = obj;

	out(o, "peer=\"%u\"", p->node_id);
}

/* drops[] and held[] by the name tables, so new reasons need no edit here */
static void
syncd_reasons(struct metrics_out *o, const struct ctl_sync_info *i)
{
	static const char *const drops[] = CTL_SYNC_DROP_NAMES;
	static const char *const holds[] = CTL_SYNC_HOLD_NAMES;
	size_t r;

	out_family(o, SYNCD, "drops_total", "Sync frames dropped, by reason",
	    M_COUNTER);
	for (r = 1; r < NELEM(drops) && r < CTL_SYNC_MAX_DROPS; r++)
		out(o, SYNCD "drops_total{reason=\"%s\"} %" PRIu64 "\n",
		    drops[r], i->drops[r]);
	out_family(o, SYNCD, "held_demote",
	    "Demotion syncd holds on carpd's group carp, by reason", M_GAUGE);
	for (r = 0; r < NELEM(holds) && r < CTL_SYNC_MAX_HOLDS; r++)
		out(o, SYNCD "held_demote{reason=\"%s\"} %u\n", holds[r],
		    i->held[r]);
	out_family(o, SYNCD, "bulk_info",
	    "State of the bulk-request FSM (value always 1)", M_GAUGE);
	out(o, SYNCD "bulk_info{");
	out_label(o, "state", i->bulk, sizeof(i->bulk), 1);
	out(o, "} 1\n");
}

static const uint64_t lat_bounds[CTL_SYNC_LAT_BUCKETS - 1] =
    CTL_SYNC_LAT_BOUNDS_US;

void
metrics_latency_add(struct ctl_sync_latency *l, uint64_t us)
{
	size_t b;

	for (b = 0; b < NELEM(lat_bounds) && us > lat_bounds[b]; b++)
		;
	l->buckets[b]++;
	l->count++;
	l->sum_us += us;
	l->last_us = us;
	if (us > l->max_us)
		l->max_us = us;
}

static void
out_seconds(struct metrics_out *o, uint64_t us)
{
	out(o, "%" PRIu64 ".%06" PRIu64, us / 1000000, us % 1000000);
}

/* A histogram (cumulative le buckets, _sum, _count) and its max and last. */
static void
out_latency(struct metrics_out *o, const char *name, const char *help,
    const struct ctl_sync_latency *l)
{
	uint64_t cum = 0;
	size_t b;

	out(o, "# HELP " SYNCD "%s_seconds %s\n# TYPE " SYNCD "%s_seconds "
	    "histogram\n", name, help, name);
	for (b = 0; b < CTL_SYNC_LAT_BUCKETS; b++) {
		cum += l->buckets[b];
		out(o, SYNCD "%s_seconds_bucket{le=\"", name);
		if (b < NELEM(lat_bounds))
			out_seconds(o, lat_bounds[b]);
		else
			out(o, "+Inf");
		out(o, "\"} %" PRIu64 "\n", cum);
	}
	out(o, SYNCD "%s_seconds_sum ", name);
	out_seconds(o, l->sum_us);
	out(o, "\n" SYNCD "%s_seconds_count %" PRIu64 "\n", name, l->count);
	out(o, "# HELP " SYNCD "%s_max_seconds Largest of them\n"
	    "# TYPE " SYNCD "%s_max_seconds gauge\n" SYNCD "%s_max_seconds ",
	    name, name, name);
	out_seconds(o, l->max_us);
	out(o, "\n# HELP " SYNCD "%s_last_seconds The latest of them\n"
	    "# TYPE " SYNCD "%s_last_seconds gauge\n" SYNCD "%s_last_seconds ",
	    name, name, name);
	out_seconds(o, l->last_us);
	out(o, "\n");
}

void
metrics_syncd(struct metrics_out *o, const struct metrics_syncd *y)
{
	struct series s;

	out_up(o, SYNCD, "syncd", y != NULL);
	if (y == NULL)
		return;
	s = (struct series){ y->info, 0, 1, 0, NULL };
	out_table(o, SYNCD, sync_info, NELEM(sync_info), &s);
	syncd_reasons(o, y->info);
	out_latency(o, "rx_apply", "From reading a burst of peer frames to "
	    "its conntrack writes handed to the kernel", &y->info->rx_apply);
	s = (struct series){ y->p, sizeof(*y->p), y->np, 0, peer_labels };
	out_table(o, SYNCD, sync_peer, NELEM(sync_peer), &s);
	if (y->cs != NULL) {
		s = (struct series){ y->cs, 0, 1, 0, NULL };
		out_table(o, SYNCD, conn_stats, NELEM(conn_stats), &s);
	}
}
