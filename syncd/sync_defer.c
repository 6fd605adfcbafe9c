/*
 * sync_defer.c: the hold of first packets (sync_defer.h). At most 128
 * packets for at most 20 ms: a linear search for an ack is cheaper than
 * any index would be.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "sync_defer.h"

const char *const sync_defer_release_names[SYNC_DEFER__MAX] = {
	[SYNC_DEFER_ACKED] = "acked",
	[SYNC_DEFER_TIMEOUT] = "timeout",
	[SYNC_DEFER_EVICTED] = "evicted",
	[SYNC_DEFER_FLUSHED] = "flushed",
};

const char *const sync_defer_key_names[SYNC_DEFER_KEY__MAX] = {
	[SYNC_DEFER_KEY_OK] = "ok",
	[SYNC_DEFER_KEY_SHORT] = "short",
	[SYNC_DEFER_KEY_VERSION] = "version",
	[SYNC_DEFER_KEY_FRAGMENT] = "fragment",
	[SYNC_DEFER_KEY_PROTO] = "proto",
};

void
sync_defer_init(struct sync_defer *d, uint64_t hold_us)
{
	memset(d, 0, sizeof(*d));
	d->hold_us = hold_us;
}

static struct sync_defer_slot *
slot_at(struct sync_defer *d, unsigned k)
{
	return &d->slot[(d->head + k) % SYNC_DEFER_MAX];
}

/* Drop released holes from the front, so head is the oldest held. */
static void
trim(struct sync_defer *d)
{
	while (d->n > 0 && !d->slot[d->head].used) {
		d->head = (d->head + 1) % SYNC_DEFER_MAX;
		d->n--;
	}
}

static void
release(struct sync_defer *d, struct sync_defer_slot *s,
    enum sync_defer_release why, struct sync_defer_out *out)
{
	out->packet_id = s->packet_id;
	out->queue = s->queue;
	s->used = 0;
	d->held--;
	d->stats.released[why]++;
}

int
sync_defer_hold(struct sync_defer *d, uint32_t creator, uint64_t state_id,
    uint32_t packet_id,
    uint16_t queue, uint64_t now, struct sync_defer_out *evicted)
{
	struct sync_defer_slot *s;
	int out = 0;

	trim(d);
	if (d->n == SYNC_DEFER_MAX) {
		/* full of live ones after the trim: the oldest goes first */
		release(d, &d->slot[d->head], SYNC_DEFER_EVICTED, evicted);
		trim(d);
		out = 1;
	}
	s = slot_at(d, d->n);
	s->state_id = state_id;
	s->creator = creator;
	s->packet_id = packet_id;
	s->queue = queue;
	s->since = now;
	s->used = 1;
	d->n++;
	d->held++;
	d->stats.held++;
	return out;
}

unsigned
sync_defer_ack(struct sync_defer *d, uint32_t creator, uint64_t state_id,
    uint64_t now,
    struct sync_defer_out *out, unsigned max)
{
	struct sync_defer_slot *s;
	uint64_t waited;
	unsigned k, got = 0;

	for (k = 0; k < d->n && got < max; k++) {
		s = slot_at(d, k);
		if (!s->used || s->state_id != state_id || s->creator != creator)
			continue;
		waited = now > s->since ? now - s->since : 0;
		d->stats.ack_us_sum += waited;
		if (waited > d->stats.ack_us_max)
			d->stats.ack_us_max = waited;
		release(d, s, SYNC_DEFER_ACKED, &out[got++]);
	}
	trim(d);
	return got;
}

unsigned
sync_defer_expire(struct sync_defer *d, uint64_t now,
    struct sync_defer_out *out, unsigned max)
{
	struct sync_defer_slot *s;
	unsigned got = 0;

	trim(d);
	while (d->n > 0 && got < max) {
		s = &d->slot[d->head];
		if (s->since + d->hold_us > now)
			break;
		release(d, s, SYNC_DEFER_TIMEOUT, &out[got++]);
		trim(d);
	}
	return got;
}

unsigned
sync_defer_flush(struct sync_defer *d, struct sync_defer_out *out,
    unsigned max)
{
	unsigned got = 0;

	trim(d);
	while (d->n > 0 && got < max) {
		release(d, &d->slot[d->head], SYNC_DEFER_FLUSHED, &out[got++]);
		trim(d);
	}
	return got;
}

uint64_t
sync_defer_next_deadline(const struct sync_defer *d)
{
	unsigned k;
	const struct sync_defer_slot *s;

	for (k = 0; k < d->n; k++) {
		s = &d->slot[(d->head + k) % SYNC_DEFER_MAX];
		if (s->used)
			return s->since + d->hold_us;
	}
	return 0;
}

void
sync_defer_pass(struct sync_defer *d)
{
	d->stats.passed++;
}

static int
port_proto(uint8_t p)
{
	/* TCP, UDP, DCCP, SCTP, UDP-Lite: ports in the first 4 bytes */
	return p == 6 || p == 17 || p == 33 || p == 132 || p == 136;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* From IP and transport offsets: the reply tuple is the packet swapped. */
static void
key_fill(struct sync_state *k, int af, uint8_t proto, const uint8_t *src,
    const uint8_t *dst, size_t alen, const uint8_t *l4)
{
	memset(k, 0, sizeof(*k));
	k->af = (uint8_t)af;
	k->proto = proto;
	memcpy(k->reply.src, dst, alen);
	memcpy(k->reply.dst, src, alen);
	k->reply.sport = be16(l4 + 2);
	k->reply.dport = be16(l4);
}

enum sync_defer_bad
sync_defer_key(int af, const uint8_t *pkt, size_t len, struct sync_state *key)
{
	size_t hl;

	if (pkt == NULL || len < 1)
		return SYNC_DEFER_KEY_SHORT;
	if (af == AF_INET) {
		if (pkt[0] >> 4 != 4)
			return SYNC_DEFER_KEY_VERSION;
		hl = (size_t)(pkt[0] & 0x0f) * 4;
		if (hl < 20 || len < hl + 4)
			return SYNC_DEFER_KEY_SHORT;
		if ((be16(pkt + 6) & 0x1fff) != 0)	/* fragment offset */
			return SYNC_DEFER_KEY_FRAGMENT;
		if (!port_proto(pkt[9]))
			return SYNC_DEFER_KEY_PROTO;
		key_fill(key, af, pkt[9], pkt + 12, pkt + 16, 4, pkt + hl);
		return SYNC_DEFER_KEY_OK;
	}
	if (af != AF_INET6 || pkt[0] >> 4 != 6)
		return SYNC_DEFER_KEY_VERSION;
	if (len < 40 + 4)
		return SYNC_DEFER_KEY_SHORT;
	if (!port_proto(pkt[6]))
		return SYNC_DEFER_KEY_PROTO;
	key_fill(key, af, pkt[6], pkt + 8, pkt + 24, 16, pkt + 40);
	return SYNC_DEFER_KEY_OK;
}

int
sync_defer_nft_text(char *buf, size_t len, uint16_t queue, int priority)
{
	int n;

	/*
	 * "add" before "delete" keeps the delete from failing when there is
	 * no table, and replaces one a killed syncd left. One transaction.
	 */
	n = snprintf(buf, len,
	    "add table inet " SYNC_DEFER_TABLE "\n"
	    "delete table inet " SYNC_DEFER_TABLE "\n"
	    "add table inet " SYNC_DEFER_TABLE "\n"
	    "add chain inet " SYNC_DEFER_TABLE " defer "
	    "{ type filter hook postrouting priority %d; "
	    "policy accept; }\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer meta l4proto != "
	    "{ 6, 17, 33, 132, 136 } accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer oif lo accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer ip daddr "
	    "{ 224.0.0.0/4, 255.255.255.255 } accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer ip6 daddr ff00::/8 "
	    "accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer ct state "
	    "invalid,untracked accept\n"
	    /* a connection's first packet */
	    "add rule inet " SYNC_DEFER_TABLE " defer ct direction original "
	    "ct state != new accept\n"
	    /* a TCP reply, before the handshake ends, of a peer's state */
	    "add rule inet " SYNC_DEFER_TABLE " defer ct direction reply "
	    "meta l4proto != tcp accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer ct direction reply "
	    "ct status & assured == assured accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer ct direction reply "
	    "ct label != %d accept\n"
	    "add rule inet " SYNC_DEFER_TABLE " defer queue num %u bypass\n",
	    priority, SYNC_DEFER_LABEL, (unsigned)queue);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
