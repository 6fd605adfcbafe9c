/*
 * ctl_msg.c: framing and validation for the control protocol of
 * ctl_proto.h. Pure buffer code: the daemons feed it from an evbuffer,
 * carpctl from blocking reads. Headers are in host byte order because the
 * socket is local only. Buffers may be unaligned, so headers are copied
 * with memcpy, never accessed through a cast pointer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ctl_msg.h"

#define CTL_HDRLEN	sizeof(struct ctl_hdr)
#define CTL_MAXSTR	2	/* most NUL-terminated fields in one payload */

/* A NUL-terminated char array inside a payload. */
struct ctl_strfield {
	size_t		off;
	size_t		len;
};

/*
 * What each message type must carry. Payload sizes are exact, as with
 * OpenBSD imsg_get_data(): a peer built from another ctl_proto.h is
 * refused rather than half-read (house style R11). A type with varmax > 0
 * is its fixed part (size) plus as many bytes as the uint32 at varoff of
 * that part says, at most varmax: exact too, once that count is read.
 */
struct ctl_typeinfo {
	const char		*name;
	const char		*badsize;	/* reason for a size mismatch */
	size_t			 size;
	size_t			 nstr;
	struct ctl_strfield	 str[CTL_MAXSTR];
	size_t			 varoff;
	size_t			 varmax;
};

#define STR(st, m)	{ offsetof(struct st, m), sizeof(((struct st *)0)->m) }
#define TYPE0(t, sz)							\
	[CTL_##t] = { #t, "bad payload size for " #t, (sz), 0, { { 0, 0 } }, \
	    0, 0 }
#define TYPE1(t, st, a)							\
	[CTL_##t] = { #t, "bad payload size for " #t, sizeof(struct st), 1, \
	    { STR(st, a) }, 0, 0 }
#define TYPE2(t, st, a, b)						\
	[CTL_##t] = { #t, "bad payload size for " #t, sizeof(struct st), 2, \
	    { STR(st, a), STR(st, b) }, 0, 0 }
#define TYPEV(t, st, n, max)						\
	[CTL_##t] = { #t, "bad payload size for " #t, sizeof(struct st), 0, \
	    { { 0, 0 } }, offsetof(struct st, n), (max) }

static const struct ctl_typeinfo ctl_types[CTL_TYPE__MAX] = {
	TYPE1(HELLO, ctl_hello, name),
	TYPE0(END, 0),
	TYPE1(ERROR, ctl_error, text),
	TYPE0(STATUS, 0),
	TYPE2(VHOST, ctl_vhost, ifname, carpdev),
	TYPE1(GROUP, ctl_group, name),
	TYPE2(DEMOTE, ctl_demote, group, reason),
	TYPE2(DEMOTE_HOLD, ctl_demote, group, reason),
	TYPE0(SET_STATE, sizeof(struct ctl_set_state)),
	TYPE0(SUBSCRIBE, 0),
	TYPE2(EV_STATE, ctl_ev_state, ifname, reason),
	TYPE0(RELOAD, 0),
	TYPE0(COUNTERS, sizeof(struct ctl_counters)),
	TYPE0(SYNC_STATUS, 0),
	TYPE1(SYNC_INFO, ctl_sync_info, bulk),
	TYPE0(SYNC_PEER, sizeof(struct ctl_sync_peer)),
	TYPE0(SYNC_WATCH, 0),
	TYPEV(SYNC_FRAME, ctl_sync_frame, caplen, CTL_SYNC_FRAME_MAX),
	TYPE0(CONN_STATS, sizeof(struct ctl_conn_stats)),
	TYPE1(TRACK, ctl_track, name),
	TYPE0(VHOST_HOOKS, sizeof(struct ctl_vhost_hooks)),
	TYPE0(HOOK_STATS, sizeof(struct ctl_hook_stats)),
	TYPE0(VHOST_BALANCE, sizeof(struct ctl_balance)),
	TYPE0(SYNC_CAPS, sizeof(struct ctl_sync_caps)),
};

#undef TYPEV
#undef TYPE2
#undef TYPE1
#undef TYPE0
#undef STR

static const char *const ctl_err_names[] = {
	[CTL_E_OK] = "OK",
	[CTL_E_BADMSG] = "BADMSG",
	[CTL_E_NOENT] = "NOENT",
	[CTL_E_RANGE] = "RANGE",
	[CTL_E_PERM] = "PERM",
	[CTL_E_INTERNAL] = "INTERNAL",
	[CTL_E_UNSUPPORTED] = "UNSUPPORTED",
};

static int
ctl_fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return (-1);
}

/* The table entry for type, or NULL if the type is not known. */
static const struct ctl_typeinfo *
ctl_typeinfo(uint32_t type)
{
	if (type >= CTL_TYPE__MAX || ctl_types[type].name == NULL)
		return (NULL);
	return (&ctl_types[type]);
}

/*
 * The variable part a payload of plen bytes announces (0 for fixed
 * types); more than varmax announces a size that never matches.
 */
static size_t
ctl_varlen(const struct ctl_typeinfo *ti, size_t plen, const uint8_t *p)
{
	uint32_t	n;

	if (ti->varmax == 0 || plen < ti->size)
		return (0);
	memcpy(&n, p + ti->varoff, sizeof(n));
	return (n > ti->varmax ? SIZE_MAX - ti->size : n);
}

size_t
ctl_msg_build(void *out, size_t cap, uint32_t type, uint32_t seq,
    const void *payload, size_t plen)
{
	struct ctl_hdr	 hdr;
	uint8_t		*p = out;

	if (plen > CTL_MAX_MSG - CTL_HDRLEN || CTL_HDRLEN + plen > cap)
		return (0);
	if (plen > 0 && payload == NULL)
		return (0);
	memset(&hdr, 0, sizeof(hdr));	/* flags: zero on send */
	hdr.type = type;
	hdr.len = CTL_HDRLEN + plen;
	hdr.seq = seq;
	memcpy(p, &hdr, CTL_HDRLEN);
	if (plen > 0)
		memcpy(p + CTL_HDRLEN, payload, plen);
	return (CTL_HDRLEN + plen);
}

/*
 * hdr is filled even on failure so the caller can log what it got. The
 * caller must drop the connection then: without a sane length the stream
 * cannot be resynchronised.
 */
int
ctl_hdr_decode(const void *raw, struct ctl_hdr *hdr, const char **why)
{
	memcpy(hdr, raw, CTL_HDRLEN);
	if (hdr->len < CTL_HDRLEN)
		return (ctl_fail(why, "message length below header size"));
	if (hdr->len > CTL_MAX_MSG)
		return (ctl_fail(why, "message length above CTL_MAX_MSG"));
	return (0);
}

int
ctl_msg_check(const struct ctl_hdr *hdr, const void *payload,
    const char **why)
{
	const struct ctl_typeinfo	*ti;
	const uint8_t			*p = payload;
	size_t				 i;

	if ((ti = ctl_typeinfo(hdr->type)) == NULL)
		return (ctl_fail(why, "unknown message type"));
	if (hdr->len < CTL_HDRLEN || hdr->len - CTL_HDRLEN != ti->size +
	    ctl_varlen(ti, hdr->len - CTL_HDRLEN, p))
		return (ctl_fail(why, ti->badsize));
	for (i = 0; i < ti->nstr; i++) {
		if (memchr(p + ti->str[i].off, '\0', ti->str[i].len) == NULL)
			return (ctl_fail(why, "unterminated string"));
	}
	return (0);
}

const char *
ctl_type_name(uint32_t type)
{
	const struct ctl_typeinfo	*ti = ctl_typeinfo(type);

	return (ti == NULL ? "UNKNOWN" : ti->name);
}

const char *
ctl_err_name(uint32_t code)
{
	if (code >= sizeof(ctl_err_names) / sizeof(ctl_err_names[0]) ||
	    ctl_err_names[code] == NULL)
		return ("UNKNOWN");
	return (ctl_err_names[code]);
}

/*
 * Unlike strlcpy(), a source that does not fit is refused, not truncated:
 * a truncated group or interface name could name something else. On
 * failure dst is left all zero, an empty but terminated name.
 */
int
ctl_strlcpy(char *dst, const char *src, size_t size)
{
	size_t	len;

	if (size == 0)
		return (-1);
	memset(dst, 0, size);
	len = strnlen(src, size);
	if (len == size)
		return (-1);
	memcpy(dst, src, len);
	return (0);
}
