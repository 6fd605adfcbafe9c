/*
 * sync_peer.c: a receiver's view of one sender (sync_peer.h).
 */
#include <stdint.h>
#include <string.h>

#include "sync_peer.h"

void
sync_peer_init(struct sync_peer *p, uint32_t node_id)
{
	memset(p, 0, sizeof(*p));
	p->node_id = node_id;
}

static void
want_table(struct sync_peer *p, const char *why)
{
	if (!p->want_table)
		p->table_why = why;
	p->want_table = 1;
}

/* Frames lost for good: a bulk under way cannot be trusted for a sweep. */
static void
lost_for_good(struct sync_peer *p, const char *why)
{
	if (p->bus_start != 0)
		p->bus_tainted = 1;
	want_table(p, why);
}

static void
bulk_forget(struct sync_peer *p)
{
	p->bus_start = p->bus_end = 0;
	p->bus_tainted = 0;
}

enum sync_peer_verdict
sync_peer_rx(struct sync_peer *p, const struct sync_hdr *h, uint64_t now)
{
	enum sync_replay_verdict	v;
	int				first = !p->replay.seen;

	v = sync_replay_check(&p->replay, h->epoch, h->seq, now, NULL, NULL);
	switch (v) {
	case SYNC_REPLAY_DUP:
		if (h->flags & SYNC_HF_RETX) {
			p->retx_dup++;
			return SYNC_PEER_DUP_RETX;
		}
		return SYNC_PEER_REPLAY;
	case SYNC_REPLAY_OLD_EPOCH:
		return SYNC_PEER_REPLAY;
	case SYNC_REPLAY_GAP:
		p->gaps++;
		break;
	case SYNC_REPLAY_LATE:
		p->late++;
		break;
	default:
		break;
	}
	p->frames++;
	p->last_heard = now;
	if (h->flags & SYNC_HF_RETX)
		p->retx++;
	if ((h->flags & (SYNC_HF_RETX | SYNC_HF_LOST)) ==
	    (SYNC_HF_RETX | SYNC_HF_LOST)) {
		/* the sender no longer knows what that frame carried */
		p->lost_frames++;
		lost_for_good(p, "the sender lost a frame we missed");
	}
	if (first) {
		want_table(p, "new peer");
		return SYNC_PEER_NEW;
	}
	if (v == SYNC_REPLAY_EPOCH) {
		bulk_forget(p);
		p->ack_sent = 0;
		p->ack_at = 0;
		want_table(p, "restarted (new epoch)");
		return SYNC_PEER_RESTARTED;
	}
	return SYNC_PEER_ACCEPT;
}

/*
 * A BUS START newer than the one recorded opens a bulk; an older one (a
 * retransmission of an earlier bulk's frame) changes nothing. BUS END
 * closes the open bulk if it comes with or after its start (a small
 * table's bulk is one frame).
 */
void
sync_peer_bus(struct sync_peer *p, uint32_t seq, uint8_t status)
{
	if (status == SYNC_BUS_START) {
		if (seq > p->bus_start) {
			p->bus_start = seq;
			p->bus_end = 0;
			p->bus_tainted = 0;
		}
	} else if (status == SYNC_BUS_END) {
		if (p->bus_start != 0 && seq >= p->bus_start &&
		    (p->bus_end == 0 || seq < p->bus_end))
			p->bus_end = seq;
	}
}

/* A closed bulk with no frame missing between its ends is complete. */
static void
run_bulk(struct sync_peer *p, struct sync_peer_acts *a)
{
	if (p->bus_start == 0 || p->bus_end == 0 ||
	    sync_replay_missing(&p->replay, p->bus_start, p->bus_end))
		return;
	if (p->bus_tainted) {
		want_table(p, "a frame of its bulk was lost");
	} else {
		a->sweep = 1;
		a->sweep_before = p->bus_start;
		p->bulks++;
	}
	bulk_forget(p);
}

/* How far we hold its frames without a hole. */
static uint32_t
contiguous(const struct sync_peer *p)
{
	if (p->replay.ngaps > 0)
		return p->replay.gap[0].from - 1;
	return p->replay.top;
}

static void
run_ack(struct sync_peer *p, uint64_t now, struct sync_peer_acts *a)
{
	uint32_t	c = contiguous(p);

	if (c <= p->ack_sent) {
		p->ack_at = 0;
		return;
	}
	if (c - p->ack_sent < SYNC_PEER_ACK_EVERY) {
		if (p->ack_at == 0) {
			if (p->bus_start == 0)
				return;		/* no bulk: no hurry */
			p->ack_at = now + SYNC_PEER_ACK_US;
		}
		/* a due ACK goes even if the bulk ended meanwhile: a timer
		 * left in the past would spin the loop */
		if (now < p->ack_at)
			return;
	}
	a->ack = 1;
	a->ack_seq = c;
	p->ack_sent = c;
	p->ack_at = 0;
}

void
sync_peer_run(struct sync_peer *p, uint64_t now, struct sync_peer_acts *a)
{
	memset(a, 0, sizeof(*a));
	a->nnacks = sync_replay_nacks(&p->replay, now, a->nack,
	    SYNC_PEER_NACKS_MAX);
	p->nacks += a->nnacks;
	if (sync_replay_take_lost(&p->replay))
		lost_for_good(p, "frames lost beyond repair");
	run_ack(p, now, a);
	run_bulk(p, a);
	if (p->want_table && now >= p->table_at) {
		a->request_table = 1;
		a->why = p->table_why;
		sync_peer_table_sent(p, now);
	}
}

uint64_t
sync_peer_deadline(const struct sync_peer *p)
{
	uint64_t	d = sync_replay_deadline(&p->replay);

	if (p->want_table && (d == 0 || p->table_at < d))
		d = p->table_at ? p->table_at : 1;
	if (p->ack_at != 0 && (d == 0 || p->ack_at < d))
		d = p->ack_at;
	return d;
}

void
sync_peer_tx_acked(struct sync_peer *p, uint32_t seq, uint64_t now)
{
	if (seq > p->tx_acked || p->tx_acked_at == 0)
		p->tx_acked = seq;
	p->tx_acked_at = now;
}

int
sync_peer_tx_window(const struct sync_peer *p, uint32_t our_seq,
    uint64_t now, uint64_t *wake)
{
	if (p->tx_acked_at == 0 ||
	    now - p->tx_acked_at >= SYNC_PEER_WINDOW_US ||
	    our_seq < p->tx_acked ||
	    our_seq - p->tx_acked < SYNC_PEER_WINDOW)
		return 1;
	*wake = p->tx_acked_at + SYNC_PEER_WINDOW_US;
	return 0;
}

void
sync_peer_table_sent(struct sync_peer *p, uint64_t now)
{
	p->want_table = 0;
	p->table_at = now + SYNC_PEER_TABLE_US;
	p->table_reqs++;
}
