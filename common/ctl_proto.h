/*
 * ctl_proto.h: the control protocol spoken by carpd, syncd and carpctl over
 * an AF_UNIX stream socket. Local only, so fields are in host byte order.
 *
 * Every message is a 16-byte header followed by a payload whose size is fixed
 * per type (checked by ctl_msg_check() before use). A request is answered by
 * zero or more typed replies ending in CTL_END, or by one CTL_ERROR.
 * Enum values are numbered explicitly and only ever appended.
 */
#ifndef CARPSYNC_CTL_PROTO_H
#define CARPSYNC_CTL_PROTO_H

#include <stddef.h>
#include <stdint.h>

#define CTL_VERSION		1
#define CTL_MAX_MSG		4096	/* header + payload */
#define CTL_NAMELEN		32	/* NUL-terminated names (groups, interfaces) */
#define CTL_TEXTLEN		128

enum ctl_type {
	CTL_HELLO		= 1,	/* both ways: struct ctl_hello */
	CTL_END			= 2,	/* reply: end of a reply stream, no payload */
	CTL_ERROR		= 3,	/* reply: struct ctl_error */
	CTL_STATUS		= 4,	/* request, no payload -> VHOST*, GROUP*, COUNTERS, END */
	CTL_VHOST		= 5,	/* reply: struct ctl_vhost */
	CTL_GROUP		= 6,	/* reply: struct ctl_group */
	CTL_DEMOTE		= 7,	/* request: struct ctl_demote, persistent (carpdemote) */
	CTL_DEMOTE_HOLD		= 8,	/* request: struct ctl_demote, held by this connection */
	CTL_SET_STATE		= 9,	/* request: struct ctl_set_state */
	CTL_SUBSCRIBE		= 10,	/* request, no payload -> END, then EV_STATE as they happen */
	CTL_EV_STATE		= 11,	/* event: struct ctl_ev_state */
	CTL_RELOAD		= 12,	/* request, no payload -> END or ERROR */
	CTL_COUNTERS		= 13,	/* reply: struct ctl_counters, daemon-wide
					 * (packets not tied to a vhost, e.g. badvhid) */
	CTL_TYPE__MAX
};

enum ctl_err {
	CTL_E_OK		= 0,
	CTL_E_BADMSG		= 1,	/* malformed request */
	CTL_E_NOENT		= 2,	/* no such vhid or group */
	CTL_E_RANGE		= 3,	/* demotion result outside 0..255, bad state */
	CTL_E_PERM		= 4,	/* peer not allowed to change state */
	CTL_E_INTERNAL		= 5,
	CTL_E_UNSUPPORTED	= 6,	/* unknown request type */
};

struct ctl_hdr {
	uint32_t	type;		/* enum ctl_type */
	uint32_t	len;		/* header + payload, <= CTL_MAX_MSG */
	uint32_t	seq;		/* chosen by the requester, echoed in replies */
	uint32_t	flags;		/* reserved: zero on send, ignored on receive */
};
_Static_assert(sizeof(struct ctl_hdr) == 16, "ctl_hdr size");

struct ctl_hello {
	uint32_t	version;	/* CTL_VERSION */
	uint32_t	pid;
	char		name[CTL_NAMELEN];	/* "carpd", "syncd", "carpctl" */
};
_Static_assert(sizeof(struct ctl_hello) == 40, "ctl_hello size");

struct ctl_error {
	uint32_t	code;		/* enum ctl_err */
	char		text[CTL_TEXTLEN];
};
_Static_assert(sizeof(struct ctl_error) == 132, "ctl_error size");

/* Counter names follow OpenBSD's struct carpstats, plus `loop`. */
struct ctl_counters {
	uint64_t	ipackets;	/* IPv4 adverts received */
	uint64_t	ipackets6;	/* IPv6 adverts received */
	uint64_t	badif;		/* arrived on the wrong interface */
	uint64_t	badttl;		/* TTL / hop limit != 255 */
	uint64_t	hdrops;		/* shorter than the CARP header */
	uint64_t	badsum;		/* bad checksum */
	uint64_t	badver;		/* version != 2 */
	uint64_t	badlen;		/* IP length inconsistent */
	uint64_t	badauth;	/* HMAC mismatch */
	uint64_t	badvhid;	/* no such vhid on this carpdev */
	uint64_t	opackets;	/* IPv4 adverts sent */
	uint64_t	opackets6;	/* IPv6 adverts sent */
	uint64_t	onomem;		/* send failed */
	uint64_t	loop;		/* our own cookie came back */
};
_Static_assert(sizeof(struct ctl_counters) == 14 * 8, "ctl_counters size");

struct ctl_vhost {
	uint8_t		vhid;
	uint8_t		state;		/* enum carp_state: 0 INIT, 1 BACKUP, 2 MASTER */
	uint8_t		advbase;
	uint8_t		advskew;
	uint8_t		demote;		/* demote count this vhost advertises */
	uint8_t		lladdr_real;	/* 1: `lladdr real` */
	uint8_t		naddrs;
	uint8_t		pad;
	char		ifname[CTL_NAMELEN];
	char		carpdev[CTL_NAMELEN];
	uint32_t	transitions;
	uint32_t	pad2;
	struct ctl_counters counters;
};
_Static_assert(sizeof(struct ctl_vhost) == 8 + 2 * CTL_NAMELEN + 8 + 14 * 8,
    "ctl_vhost size");

struct ctl_group {
	char		name[CTL_NAMELEN];
	uint32_t	demote;
	uint32_t	pad;
};
_Static_assert(sizeof(struct ctl_group) == 40, "ctl_group size");

struct ctl_demote {
	char		group[CTL_NAMELEN];
	int32_t		value;		/* DEMOTE: signed delta; DEMOTE_HOLD: absolute held value >= 0 */
	char		reason[CTL_NAMELEN];
};
_Static_assert(sizeof(struct ctl_demote) == 2 * CTL_NAMELEN + 4, "ctl_demote size");

enum ctl_force_state {
	CTL_FORCE_BACKUP	= 1,
	CTL_FORCE_MASTER	= 2,
};

struct ctl_set_state {
	uint32_t	vhid;
	uint32_t	state;		/* enum ctl_force_state */
};
_Static_assert(sizeof(struct ctl_set_state) == 8, "ctl_set_state size");

struct ctl_ev_state {
	uint8_t		vhid;
	uint8_t		old_state;
	uint8_t		new_state;
	uint8_t		pad;
	char		ifname[CTL_NAMELEN];
	char		reason[CTL_NAMELEN];
};
_Static_assert(sizeof(struct ctl_ev_state) == 4 + 2 * CTL_NAMELEN, "ctl_ev_state size");

#endif
