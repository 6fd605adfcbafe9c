/*
 * sync_wire.h: the carpsync state-sync frame, pfsync v6 framing with our
 * own version number and records for Linux conntrack
 * (../shared/docs/pfsync-conntrack.md 1.2-1.4, 1.13). Pure: encode and
 * decode bytes only, all integers big-endian, every struct size asserted.
 *
 * Frame (IP protocol 240, TTL 255, after the IP header):
 *
 *   header (16)  version 0x81, flags, len (whole frame incl. trailer),
 *                node id (creator id of the sender), epoch, sequence
 *   sections     subheader {action, len of ONE message in 32-bit words,
 *                count}, then count messages; a receiver skips actions it
 *                does not know (pfsync v6 rule) and may read messages longer
 *                than it knows (fields appended later)
 *   trailer (32) HMAC-SHA256 over header + sections (pfsync has none)
 *
 * (epoch << 32 | sequence) is the per-sender counter: the epoch is raised
 * at every start and persisted; the sequence counts frames in an epoch.
 * The version byte differs from pfsync's 5 (FreeBSD) and 6 (OpenBSD), so a
 * real pfsync peer drops our frames as badver and we drop theirs.
 */
#ifndef SYNCD_SYNC_WIRE_H
#define SYNCD_SYNC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define SYNC_PROTO		240
#define SYNC_TTL		255
#define SYNC_GROUP_V4		"224.0.0.240"
#define SYNC_VERSION		0x81
#define SYNC_HDR_LEN		16
#define SYNC_SUBHDR_LEN		4
#define SYNC_MAC_LEN		32	/* HMAC-SHA256 */
#define SYNC_KEY_LEN		32
#define SYNC_MAX_FRAME		9000	/* what we build and accept */

/* Action codes: OpenBSD's where the meaning maps, private ones >= 16. */
enum sync_action {
	SYNC_A_CLR	= 0,	/* forget every state of a creator */
	SYNC_A_INS_ACK	= 2,	/* answer to an INS with SYNC_SF_ACK (defer) */
	SYNC_A_UPD_C	= 4,	/* compressed update: id + changing fields */
	SYNC_A_UPD_REQ	= 5,	/* send me this state; (0, 0) = bulk */
	SYNC_A_DEL_C	= 7,	/* compressed delete */
	SYNC_A_BUS	= 10,	/* bulk update status: start / end */
	SYNC_A_INS	= 13,	/* new state, full record */
	SYNC_A_UPD	= 14,	/* full record: answers and bulk */
	SYNC_A_NACK	= 16,	/* private: "I missed seq from..to" */
	SYNC_A_ACK	= 17,	/* private: "I hold all your frames up to seq" */
	SYNC_A__MAX	= 32
};

/* On-wire layouts, for size and offset checks only. */
struct sync_hdr_wire {
	uint8_t		version;
	uint8_t		flags;
	uint8_t		len[2];
	uint8_t		node_id[4];
	uint8_t		epoch[4];
	uint8_t		seq[4];
};
_Static_assert(sizeof(struct sync_hdr_wire) == SYNC_HDR_LEN, "sync header");

struct sync_subhdr_wire {
	uint8_t		action;
	uint8_t		len;		/* 32-bit words per message */
	uint8_t		count[2];
};
_Static_assert(sizeof(struct sync_subhdr_wire) == SYNC_SUBHDR_LEN, "subheader");

/* One direction of a connection: the conntrack tuple. */
struct sync_tuple_wire {
	uint8_t		src[16];	/* IPv4 in the first 4 bytes */
	uint8_t		dst[16];
	uint8_t		sport[2];	/* ICMP: id */
	uint8_t		dport[2];	/* ICMP: type << 8 | code */
};
_Static_assert(sizeof(struct sync_tuple_wire) == 36, "tuple");

/* INS / UPD: everything Linux needs to rebuild the entry. */
struct sync_state_wire {
	uint8_t		id[8];
	uint8_t		creatorid[4];
	uint8_t		af;		/* 2 AF_INET, 10 AF_INET6 */
	uint8_t		proto;		/* IPPROTO_* */
	uint8_t		tcp_state;	/* enum tcp_conntrack, 0 if not TCP */
	uint8_t		state_flags;	/* SYNC_SF_* */
	uint8_t		zone[2];
	uint8_t		wscale[2];	/* TCP window scale orig, reply */
	uint8_t		status[4];	/* IPS_* bits */
	uint8_t		mark[4];
	uint8_t		timeout[4];	/* seconds left */
	uint8_t		tcp_flags[2];	/* IP_CT_TCP_FLAG_* orig, reply */
	uint8_t		pad[2];
	struct sync_tuple_wire orig;
	struct sync_tuple_wire reply;	/* NAT follows from orig vs reply */
	uint8_t		labels[16];	/* conntrack labels, zero if unset */
};
_Static_assert(sizeof(struct sync_state_wire) == 124, "state record");
_Static_assert(sizeof(struct sync_state_wire) % 4 == 0, "state record dwords");

/* UPD_C: what changes during a connection's life. */
struct sync_upd_c_wire {
	uint8_t		id[8];
	uint8_t		creatorid[4];
	uint8_t		status[4];
	uint8_t		mark[4];
	uint8_t		timeout[4];
	uint8_t		tcp_state;
	uint8_t		state_flags;
	uint8_t		tcp_flags[2];
};
_Static_assert(sizeof(struct sync_upd_c_wire) == 28, "upd_c");

/* DEL_C, UPD_REQ, INS_ACK */
struct sync_ref_wire {
	uint8_t		id[8];
	uint8_t		creatorid[4];
};
_Static_assert(sizeof(struct sync_ref_wire) == 12, "state reference");

struct sync_bus_wire {
	uint8_t		creatorid[4];
	uint8_t		endtime[4];	/* seconds since the request */
	uint8_t		status;		/* 1 START, 2 END */
	uint8_t		pad[3];
};
_Static_assert(sizeof(struct sync_bus_wire) == 12, "bus");

struct sync_clr_wire {
	uint8_t		creatorid[4];
	uint8_t		pad[4];
};
_Static_assert(sizeof(struct sync_clr_wire) == 8, "clr");

/* NACK: "I missed your frames from..to"; node_id names the sender asked
 * (with several peers on one group every node sees every NACK). */
struct sync_nack_wire {
	uint8_t		node_id[4];
	uint8_t		epoch[4];
	uint8_t		from_seq[4];
	uint8_t		to_seq[4];
};
_Static_assert(sizeof(struct sync_nack_wire) == 16, "nack");

/* ACK: how far a receiver holds node_id's frames without a hole; a bulk
 * sender keeps its frames in flight within a window of it. */
struct sync_ack_wire {
	uint8_t		node_id[4];
	uint8_t		epoch[4];
	uint8_t		seq[4];
	uint8_t		pad[4];
};
_Static_assert(sizeof(struct sync_ack_wire) == 16, "ack");

#define SYNC_SF_ACK	0x01	/* INS: acknowledge with INS_ACK (defer) */
/* Header flags (covered by the HMAC). */
#define SYNC_HF_RETX	0x01	/* a retransmission: the seq of an earlier frame,
				 * its states with their current content */
#define SYNC_HF_LOST	0x02	/* with RETX: that frame's content is no longer
				 * known to the sender; resynchronise */
#define SYNC_BUS_START	1
#define SYNC_BUS_END	2

/* Host-side views. */
struct sync_tuple {
	uint8_t		src[16];
	uint8_t		dst[16];
	uint16_t	sport;
	uint16_t	dport;
};

struct sync_state {
	uint64_t	id;
	uint32_t	creatorid;
	uint8_t		af;
	uint8_t		proto;
	uint8_t		tcp_state;
	uint8_t		state_flags;
	uint16_t	zone;
	uint8_t		wscale[2];
	uint32_t	status;
	uint32_t	mark;
	uint32_t	timeout;
	uint8_t		tcp_flags[2];
	struct sync_tuple orig;
	struct sync_tuple reply;
	uint8_t		labels[16];
};

struct sync_upd_c {
	uint64_t	id;
	uint32_t	creatorid;
	uint32_t	status;
	uint32_t	mark;
	uint32_t	timeout;
	uint8_t		tcp_state;
	uint8_t		state_flags;
	uint8_t		tcp_flags[2];
};

struct sync_ref {
	uint64_t	id;
	uint32_t	creatorid;
};

struct sync_bus {
	uint32_t	creatorid;
	uint32_t	endtime;
	uint8_t		status;
};

struct sync_nack {
	uint32_t	node_id;
	uint32_t	epoch;
	uint32_t	from_seq;
	uint32_t	to_seq;
};

struct sync_ack {
	uint32_t	node_id;
	uint32_t	epoch;
	uint32_t	seq;
};

struct sync_hdr {
	uint8_t		version;
	uint8_t		flags;
	uint16_t	len;
	uint32_t	node_id;
	uint32_t	epoch;
	uint32_t	seq;
};

struct sync_clr {
	uint32_t	creatorid;
};

/* One decoded message. */
struct sync_msg {
	enum sync_action	action;
	union {
		struct sync_state	st;	/* INS, UPD */
		struct sync_upd_c	upd_c;
		struct sync_ref		ref;	/* DEL_C, UPD_REQ, INS_ACK */
		struct sync_bus		bus;
		struct sync_clr		clr;
		struct sync_nack	nack;
		struct sync_ack		ack;
	} u;
};

/* Why a frame was dropped; one counter each (pfsyncstats names). */
enum sync_drop {
	SYNC_OK = 0,
	SYNC_DROP_BADIF,	/* arrived on another interface than syncdev */
	SYNC_DROP_BADTTL,	/* TTL != 255 */
	SYNC_DROP_HDROPS,	/* shorter than header + trailer */
	SYNC_DROP_BADVER,	/* version != SYNC_VERSION (e.g. a real pfsync) */
	SYNC_DROP_BADLEN,	/* header len disagrees with the datagram, or a
				 * section overruns the frame */
	SYNC_DROP_BADAUTH,	/* HMAC mismatch */
	SYNC_DROP_REPLAY,	/* counter not above the window (sync_replay) */
	SYNC_DROP_BADACT,	/* message shorter than its action needs */
	SYNC_DROP_BADVAL,	/* a field out of range (af, proto, bus status) */
	SYNC_DROP__MAX
};
extern const char *const sync_drop_names[SYNC_DROP__MAX];

/*
 * Frame builder. sync_fb_init writes the header; each add appends one
 * message, opening a new section when the action changes; an add that does
 * not fit (in cap, and leaving room for the trailer) returns -1 and leaves
 * the frame as it was, so the caller sends it and starts another.
 * sync_fb_finish writes len and the HMAC and returns the frame's length.
 */
struct sync_fb {
	uint8_t		*buf;
	size_t		 cap;
	size_t		 len;
	size_t		 sect;		/* offset of the open subheader; 0 none */
	uint8_t		 sect_action;
	uint16_t	 sect_count;
	unsigned	 nmsgs;
};

void	sync_fb_init(struct sync_fb *, uint8_t *buf, size_t cap,
	    const struct sync_hdr *);
int	sync_fb_add(struct sync_fb *, const struct sync_msg *);
size_t	sync_fb_finish(struct sync_fb *, const uint8_t key[SYNC_KEY_LEN]);
/* 1 if nothing was added since init. */
int	sync_fb_empty(const struct sync_fb *);

/*
 * Check a received frame (after the IP header): length, version, header
 * len against the datagram (extra bytes are ignored, as pfsync), HMAC, and
 * every section's bounds and every message's values, so that nothing is
 * applied from a frame that is bad anywhere. On SYNC_OK hdr is filled.
 */
enum sync_drop sync_frame_check(const uint8_t *frame, size_t len,
	    const uint8_t key[SYNC_KEY_LEN], struct sync_hdr *hdr);

/*
 * Walk a frame that passed sync_frame_check: cb gets each message of a
 * known action in order; sections of unknown actions are skipped and
 * counted in *skipped. cb returning -1 stops the walk.
 */
void	sync_frame_walk(const uint8_t *frame, size_t len,
	    int (*cb)(void *arg, const struct sync_msg *), void *arg,
	    unsigned *skipped);

/* Name of an action for logs and the dissector ("INS"), or "UNKNOWN". */
const char *sync_action_name(unsigned action);

#endif
