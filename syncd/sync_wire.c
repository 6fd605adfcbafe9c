/*
 * sync_wire.c: build, check and walk carpsync state-sync frames (pfsync v6
 * framing, ../shared/docs/pfsync-conntrack.md 1.2-1.3, with our own version
 * byte, header and records; man/carpsync-sync.7 is the format's reference).
 * Pure: every byte goes through common/buf.c, big-endian; OpenSSL is used
 * for HMAC-SHA256 only. Nothing here logs: the shell counts the returned
 * drop reason (names as pfsyncstats, pfsync-conntrack.md 1.11).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "sync_wire.h"

/* Address family numbers as on the wire, not the host's AF_* macros. */
#define SYNC_AF_INET	2
#define SYNC_AF_INET6	10

/* Offsets the man page documents; the golden tests check the bytes. */
_Static_assert(offsetof(struct sync_state_wire, af) == 12, "state af");
_Static_assert(offsetof(struct sync_state_wire, zone) == 16, "state zone");
_Static_assert(offsetof(struct sync_state_wire, status) == 20, "status");
_Static_assert(offsetof(struct sync_state_wire, tcp_flags) == 32, "flags");
_Static_assert(offsetof(struct sync_state_wire, orig) == 36, "state orig");
_Static_assert(offsetof(struct sync_state_wire, reply) == 72, "reply");
_Static_assert(offsetof(struct sync_state_wire, labels) == 108, "labels");
_Static_assert(offsetof(struct sync_upd_c_wire, tcp_state) == 24, "upd_c");
_Static_assert(offsetof(struct sync_bus_wire, status) == 8, "bus status");

const char *const sync_drop_names[SYNC_DROP__MAX] = {
	[SYNC_OK] = "ok",
	[SYNC_DROP_BADIF] = "badif",
	[SYNC_DROP_BADTTL] = "badttl",
	[SYNC_DROP_HDROPS] = "hdrops",
	[SYNC_DROP_BADVER] = "badver",
	[SYNC_DROP_BADLEN] = "badlen",
	[SYNC_DROP_BADAUTH] = "badauth",
	[SYNC_DROP_REPLAY] = "replay",
	[SYNC_DROP_BADACT] = "badact",
	[SYNC_DROP_BADVAL] = "badval",
};

/* One section as found in a frame: subheader plus its message bytes. */
struct sync_sect {
	uint8_t		 action;
	size_t		 msglen;	/* bytes per message (len * 4) */
	uint16_t	 count;
	const uint8_t	*data;		/* count * msglen bytes */
};

/* Bytes of a known action's message as we write it; 0 if unknown. */
static size_t
msg_size(unsigned action)
{
	switch (action) {
	case SYNC_A_CLR:
		return sizeof(struct sync_clr_wire);
	case SYNC_A_INS_ACK:
	case SYNC_A_UPD_REQ:
	case SYNC_A_DEL_C:
		return sizeof(struct sync_ref_wire);
	case SYNC_A_UPD_C:
		return sizeof(struct sync_upd_c_wire);
	case SYNC_A_BUS:
		return sizeof(struct sync_bus_wire);
	case SYNC_A_INS:
	case SYNC_A_UPD:
		return sizeof(struct sync_state_wire);
	case SYNC_A_NACK:
		return sizeof(struct sync_nack_wire);
	case SYNC_A_ACK:
		return sizeof(struct sync_ack_wire);
	default:
		return 0;
	}
}

const char *
sync_action_name(unsigned action)
{
	switch (action) {
	case SYNC_A_CLR:	return "CLR";
	case SYNC_A_INS_ACK:	return "INS_ACK";
	case SYNC_A_UPD_C:	return "UPD_C";
	case SYNC_A_UPD_REQ:	return "UPD_REQ";
	case SYNC_A_DEL_C:	return "DEL_C";
	case SYNC_A_BUS:	return "BUS";
	case SYNC_A_INS:	return "INS";
	case SYNC_A_UPD:	return "UPD";
	case SYNC_A_NACK:	return "NACK";
	case SYNC_A_ACK:	return "ACK";
	default:		return "UNKNOWN";
	}
}

/* ---- encoding -------------------------------------------------------- */

static void
put_tuple(struct buf_writer *w, const struct sync_tuple *t)
{
	bw_bytes(w, t->src, sizeof(t->src));
	bw_bytes(w, t->dst, sizeof(t->dst));
	bw_u16be(w, t->sport);
	bw_u16be(w, t->dport);
}

static void
put_state(struct buf_writer *w, const struct sync_state *s)
{
	bw_u64be(w, s->id);
	bw_u32be(w, s->creatorid);
	bw_u8(w, s->af);
	bw_u8(w, s->proto);
	bw_u8(w, s->tcp_state);
	bw_u8(w, s->state_flags);
	bw_u16be(w, s->zone);
	bw_bytes(w, s->wscale, sizeof(s->wscale));
	bw_u32be(w, s->status);
	bw_u32be(w, s->mark);
	bw_u32be(w, s->timeout);
	bw_bytes(w, s->tcp_flags, sizeof(s->tcp_flags));
	bw_zero(w, 2);
	put_tuple(w, &s->orig);
	put_tuple(w, &s->reply);
	bw_bytes(w, s->labels, sizeof(s->labels));
}

static void
put_upd_c(struct buf_writer *w, const struct sync_upd_c *u)
{
	bw_u64be(w, u->id);
	bw_u32be(w, u->creatorid);
	bw_u32be(w, u->status);
	bw_u32be(w, u->mark);
	bw_u32be(w, u->timeout);
	bw_u8(w, u->tcp_state);
	bw_u8(w, u->state_flags);
	bw_bytes(w, u->tcp_flags, sizeof(u->tcp_flags));
}

/* The message body of m; the caller has sized w to msg_size(). */
static void
put_msg(struct buf_writer *w, const struct sync_msg *m)
{
	switch (m->action) {
	case SYNC_A_CLR:
		bw_u32be(w, m->u.clr.creatorid);
		bw_zero(w, 4);
		break;
	case SYNC_A_INS_ACK:
	case SYNC_A_UPD_REQ:
	case SYNC_A_DEL_C:
		bw_u64be(w, m->u.ref.id);
		bw_u32be(w, m->u.ref.creatorid);
		break;
	case SYNC_A_UPD_C:
		put_upd_c(w, &m->u.upd_c);
		break;
	case SYNC_A_BUS:
		bw_u32be(w, m->u.bus.creatorid);
		bw_u32be(w, m->u.bus.endtime);
		bw_u8(w, m->u.bus.status);
		bw_zero(w, 3);
		break;
	case SYNC_A_INS:
	case SYNC_A_UPD:
		put_state(w, &m->u.st);
		break;
	case SYNC_A_NACK:
		bw_u32be(w, m->u.nack.node_id);
		bw_u32be(w, m->u.nack.epoch);
		bw_u32be(w, m->u.nack.from_seq);
		bw_u32be(w, m->u.nack.to_seq);
		break;
	case SYNC_A_ACK:
		bw_u32be(w, m->u.ack.node_id);
		bw_u32be(w, m->u.ack.epoch);
		bw_u32be(w, m->u.ack.seq);
		bw_zero(w, 4);
		break;
	default:
		w->err = 1;
		break;
	}
}

/* ---- decoding -------------------------------------------------------- */

static void
get_tuple(struct buf_reader *r, struct sync_tuple *t)
{
	br_bytes(r, t->src, sizeof(t->src));
	br_bytes(r, t->dst, sizeof(t->dst));
	t->sport = br_u16be(r);
	t->dport = br_u16be(r);
}

static void
get_state(struct buf_reader *r, struct sync_state *s)
{
	s->id = br_u64be(r);
	s->creatorid = br_u32be(r);
	s->af = br_u8(r);
	s->proto = br_u8(r);
	s->tcp_state = br_u8(r);
	s->state_flags = br_u8(r);
	s->zone = br_u16be(r);
	br_bytes(r, s->wscale, sizeof(s->wscale));
	s->status = br_u32be(r);
	s->mark = br_u32be(r);
	s->timeout = br_u32be(r);
	br_bytes(r, s->tcp_flags, sizeof(s->tcp_flags));
	br_skip(r, 2);		/* pad: ignored on receive */
	get_tuple(r, &s->orig);
	get_tuple(r, &s->reply);
	br_bytes(r, s->labels, sizeof(s->labels));
}

static void
get_upd_c(struct buf_reader *r, struct sync_upd_c *u)
{
	u->id = br_u64be(r);
	u->creatorid = br_u32be(r);
	u->status = br_u32be(r);
	u->mark = br_u32be(r);
	u->timeout = br_u32be(r);
	u->tcp_state = br_u8(r);
	u->state_flags = br_u8(r);
	br_bytes(r, u->tcp_flags, sizeof(u->tcp_flags));
}

/*
 * Decode the known prefix of one message (p holds at least msg_size()
 * bytes; what follows was appended by a newer sender and is not ours to
 * read, the pfsync v6 forward-compatibility rule, pfsync-conntrack.md 1.2).
 */
static void
get_msg(const uint8_t *p, unsigned action, struct sync_msg *m)
{
	struct buf_reader	 r;

	memset(m, 0, sizeof(*m));
	m->action = action;
	br_init(&r, p, msg_size(action));
	switch (action) {
	case SYNC_A_CLR:
		m->u.clr.creatorid = br_u32be(&r);
		break;
	case SYNC_A_INS_ACK:
	case SYNC_A_UPD_REQ:
	case SYNC_A_DEL_C:
		m->u.ref.id = br_u64be(&r);
		m->u.ref.creatorid = br_u32be(&r);
		break;
	case SYNC_A_UPD_C:
		get_upd_c(&r, &m->u.upd_c);
		break;
	case SYNC_A_BUS:
		m->u.bus.creatorid = br_u32be(&r);
		m->u.bus.endtime = br_u32be(&r);
		m->u.bus.status = br_u8(&r);
		break;
	case SYNC_A_INS:
	case SYNC_A_UPD:
		get_state(&r, &m->u.st);
		break;
	case SYNC_A_NACK:
		m->u.nack.node_id = br_u32be(&r);
		m->u.nack.epoch = br_u32be(&r);
		m->u.nack.from_seq = br_u32be(&r);
		m->u.nack.to_seq = br_u32be(&r);
		break;
	case SYNC_A_ACK:
		m->u.ack.node_id = br_u32be(&r);
		m->u.ack.epoch = br_u32be(&r);
		m->u.ack.seq = br_u32be(&r);
		break;
	}
}

/*
 * Values a receiver must refuse: an address family we cannot rebuild, a
 * bus status that is neither start nor end, and creator id 0, which no
 * node has (node-id is 1..2^32-1; OpenBSD pf_state_import refuses it too,
 * pfsync-conntrack.md 1.4) except in UPD_REQ(0, 0), the bulk request.
 */
static enum sync_drop
msg_check(const struct sync_msg *m)
{
	const struct sync_ref	*ref = &m->u.ref;

	switch (m->action) {
	case SYNC_A_INS:
	case SYNC_A_UPD:
		if (m->u.st.af != SYNC_AF_INET && m->u.st.af != SYNC_AF_INET6)
			return SYNC_DROP_BADVAL;
		return m->u.st.creatorid == 0 ? SYNC_DROP_BADVAL : SYNC_OK;
	case SYNC_A_UPD_C:
		return m->u.upd_c.creatorid == 0 ? SYNC_DROP_BADVAL : SYNC_OK;
	case SYNC_A_UPD_REQ:
		if (ref->id == 0 && ref->creatorid == 0)
			return SYNC_OK;
		return ref->creatorid == 0 ? SYNC_DROP_BADVAL : SYNC_OK;
	case SYNC_A_INS_ACK:
	case SYNC_A_DEL_C:
		return ref->creatorid == 0 ? SYNC_DROP_BADVAL : SYNC_OK;
	case SYNC_A_BUS:
		if (m->u.bus.status != SYNC_BUS_START &&
		    m->u.bus.status != SYNC_BUS_END)
			return SYNC_DROP_BADVAL;
		return SYNC_OK;
	case SYNC_A_NACK:
		if (m->u.nack.node_id == 0 || m->u.nack.to_seq == 0 ||
		    m->u.nack.from_seq == 0 ||
		    m->u.nack.from_seq > m->u.nack.to_seq)
			return SYNC_DROP_BADVAL;
		return SYNC_OK;
	case SYNC_A_ACK:
		return m->u.ack.node_id == 0 ? SYNC_DROP_BADVAL : SYNC_OK;
	default:
		return SYNC_OK;
	}
}

/* ---- frame structure ------------------------------------------------- */

/*
 * Read the header and bound the frame: at least header + trailer
 * (hdrops), our version (badver), len within the datagram and within what
 * we build (badlen). Bytes after len are ignored, as pfsync_input trims
 * them (pfsync-conntrack.md 1.1).
 */
static enum sync_drop
frame_header(const uint8_t *frame, size_t len, struct sync_hdr *h)
{
	struct buf_reader	 r;

	if (frame == NULL || len < SYNC_HDR_LEN + SYNC_MAC_LEN)
		return SYNC_DROP_HDROPS;
	br_init(&r, frame, len);
	h->version = br_u8(&r);
	h->flags = br_u8(&r);
	h->len = br_u16be(&r);
	h->node_id = br_u32be(&r);
	h->epoch = br_u32be(&r);
	h->seq = br_u32be(&r);
	if (h->version != SYNC_VERSION)
		return SYNC_DROP_BADVER;
	if (h->len > len || h->len > SYNC_MAX_FRAME ||
	    h->len < SYNC_HDR_LEN + SYNC_MAC_LEN)
		return SYNC_DROP_BADLEN;
	return SYNC_OK;
}

/*
 * Next section from r (positioned on a subheader, bounded to the
 * sections): 1 and *s filled, 0 at the end, -1 with *why on a bad one.
 * The pfsync v6 receiver rule (pfsync-conntrack.md 1.2, OpenBSD
 * pfsync_input): an unknown action is skipped only if len and count are
 * both non-zero; unlike pfsync a known action shorter than ours is badact,
 * not skipped, since only a broken sender of this format writes one.
 */
static int
sect_next(struct buf_reader *r, struct sync_sect *s, enum sync_drop *why)
{
	size_t	 known, total;
	uint8_t	 words;

	if (br_remaining(r) == 0)
		return 0;
	s->action = br_u8(r);
	words = br_u8(r);
	s->count = br_u16be(r);
	s->msglen = (size_t)words * 4;
	total = s->msglen * s->count;	/* at most 1020 * 65535: no overflow */
	s->data = br_ptr(r, total);
	if (r->err) {
		*why = SYNC_DROP_BADLEN;
		return -1;
	}
	known = msg_size(s->action);
	if (known != 0 ? s->msglen < known : (words == 0 || s->count == 0)) {
		*why = SYNC_DROP_BADACT;
		return -1;
	}
	return 1;
}

/* HMAC-SHA256 with the 32-byte key; -1 if OpenSSL fails. */
static int
frame_mac(const uint8_t *data, size_t n, const uint8_t key[SYNC_KEY_LEN],
    uint8_t out[SYNC_MAC_LEN])
{
	unsigned int	 olen = 0;

	if (HMAC(EVP_sha256(), key, SYNC_KEY_LEN, data, n, out, &olen) ==
	    NULL || olen != SYNC_MAC_LEN)
		return -1;
	return 0;
}

/* Check every section and every known message in the body. */
static enum sync_drop
body_check(const uint8_t *body, size_t len)
{
	struct buf_reader	 r;
	struct sync_sect	 s;
	struct sync_msg		 m;
	enum sync_drop		 why = SYNC_OK;
	unsigned		 i;
	int			 rc;

	br_init(&r, body, len);
	while ((rc = sect_next(&r, &s, &why)) == 1) {
		if (msg_size(s.action) == 0)
			continue;
		for (i = 0; i < s.count; i++) {
			get_msg(s.data + i * s.msglen, s.action, &m);
			if ((why = msg_check(&m)) != SYNC_OK)
				return why;
		}
	}
	return rc == 0 ? SYNC_OK : why;
}

enum sync_drop
sync_frame_check(const uint8_t *frame, size_t len,
    const uint8_t key[SYNC_KEY_LEN], struct sync_hdr *hdr)
{
	struct sync_hdr	 h;
	uint8_t		 mac[SYNC_MAC_LEN];
	enum sync_drop	 why;
	size_t		 end;

	if ((why = frame_header(frame, len, &h)) != SYNC_OK)
		return why;
	end = h.len - SYNC_MAC_LEN;
	/* Authenticate before looking at the body (R9 order). */
	if (frame_mac(frame, end, key, mac) != 0 ||
	    CRYPTO_memcmp(mac, frame + end, SYNC_MAC_LEN) != 0)
		return SYNC_DROP_BADAUTH;
	why = body_check(frame + SYNC_HDR_LEN, end - SYNC_HDR_LEN);
	if (why == SYNC_OK && hdr != NULL)
		*hdr = h;
	return why;
}

/* Hand each message of a known section to cb; 0, or -1 if cb stopped. */
static int
sect_walk(const struct sync_sect *s,
    int (*cb)(void *, const struct sync_msg *), void *arg)
{
	struct sync_msg	 m;
	unsigned	 i;

	for (i = 0; i < s->count; i++) {
		get_msg(s->data + i * s->msglen, s->action, &m);
		if (cb(arg, &m) == -1)
			return -1;
	}
	return 0;
}

/*
 * The caller has checked the frame; the bounds are enforced here again all
 * the same, so a walk over an unchecked buffer stops instead of reading
 * past it. *skipped is set to this frame's count, not added to.
 */
void
sync_frame_walk(const uint8_t *frame, size_t len,
    int (*cb)(void *arg, const struct sync_msg *), void *arg,
    unsigned *skipped)
{
	struct buf_reader	 r;
	struct sync_sect	 s;
	struct sync_hdr		 h;
	enum sync_drop		 why;

	if (skipped != NULL)
		*skipped = 0;
	if (frame_header(frame, len, &h) != SYNC_OK)
		return;
	br_init(&r, frame + SYNC_HDR_LEN, h.len - SYNC_HDR_LEN - SYNC_MAC_LEN);
	while (sect_next(&r, &s, &why) == 1) {
		if (msg_size(s.action) == 0) {
			if (skipped != NULL)
				(*skipped)++;
			continue;
		}
		if (sect_walk(&s, cb, arg) == -1)
			return;
	}
}

/* ---- building -------------------------------------------------------- */

/*
 * The version byte is always ours (hdr->version is ignored); len is
 * written by sync_fb_finish. A buffer too small for even an empty frame
 * gives a builder whose adds fail and whose finish returns 0. cap is
 * clamped to SYNC_MAX_FRAME, the largest frame a receiver accepts.
 */
void
sync_fb_init(struct sync_fb *fb, uint8_t *buf, size_t cap,
    const struct sync_hdr *h)
{
	struct buf_writer	 w;

	memset(fb, 0, sizeof(*fb));
	fb->buf = buf;
	if (buf == NULL || cap < SYNC_HDR_LEN + SYNC_MAC_LEN)
		return;
	fb->cap = cap > SYNC_MAX_FRAME ? SYNC_MAX_FRAME : cap;
	bw_init(&w, buf, fb->cap);
	bw_u8(&w, SYNC_VERSION);
	bw_u8(&w, h->flags);
	bw_u16be(&w, 0);
	bw_u32be(&w, h->node_id);
	bw_u32be(&w, h->epoch);
	bw_u32be(&w, h->seq);
	fb->len = w.off;
}

/* Store the open section's count in its subheader. */
static void
fb_set_count(struct sync_fb *fb)
{
	struct buf_writer	 w;

	bw_init(&w, fb->buf + fb->sect + 2, 2);
	bw_u16be(&w, fb->sect_count);
}

int
sync_fb_add(struct sync_fb *fb, const struct sync_msg *m)
{
	struct buf_writer	 w;
	size_t			 size, need;
	int			 open;

	size = msg_size(m->action);
	if (size == 0 || fb->cap == 0)
		return -1;
	open = fb->sect == 0 || fb->sect_action != m->action;
	if (!open && fb->sect_count == UINT16_MAX)
		return -1;
	need = size + (open ? SYNC_SUBHDR_LEN : 0);
	/* fb->len + SYNC_MAC_LEN <= fb->cap always holds: no underflow. */
	if (need > fb->cap - fb->len - SYNC_MAC_LEN)
		return -1;
	bw_init(&w, fb->buf + fb->len, need);
	if (open) {
		bw_u8(&w, m->action);
		bw_u8(&w, (uint8_t)(size / 4));
		bw_u16be(&w, 0);
	}
	put_msg(&w, m);
	if (w.err || w.off != need)
		return -1;
	if (open) {
		fb->sect = fb->len;
		fb->sect_action = m->action;
		fb->sect_count = 0;
	}
	fb->len += need;
	fb->sect_count++;
	fb_set_count(fb);
	fb->nmsgs++;
	return 0;
}

/*
 * fb->len stays the end of the sections, so finishing twice gives the
 * same frame, and a message added after a finish is covered by the next.
 */
size_t
sync_fb_finish(struct sync_fb *fb, const uint8_t key[SYNC_KEY_LEN])
{
	struct buf_writer	 w;
	size_t			 total;

	if (fb->cap == 0)
		return 0;
	total = fb->len + SYNC_MAC_LEN;
	bw_init(&w, fb->buf + 2, 2);
	bw_u16be(&w, (uint16_t)total);
	if (frame_mac(fb->buf, fb->len, key, fb->buf + fb->len) != 0)
		return 0;
	return total;
}

int
sync_fb_empty(const struct sync_fb *fb)
{
	return fb->nmsgs == 0;
}
