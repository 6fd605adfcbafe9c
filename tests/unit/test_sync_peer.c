/*
 * test_sync_peer.c: a receiver's decisions about one sender: accept or
 * drop, when to NACK, when a bulk is complete (sweep), when to ask for
 * the whole table (new peer, restart, loss beyond repair), rate limited.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sync_peer.h"

#define MS	1000ULL
#define SEC	1000000ULL

static struct sync_hdr
hdr(uint32_t epoch, uint32_t seq, uint8_t flags)
{
	struct sync_hdr	h;

	memset(&h, 0, sizeof(h));
	h.node_id = 7;
	h.epoch = epoch;
	h.seq = seq;
	h.flags = flags;
	return h;
}

static enum sync_peer_verdict
rx(struct sync_peer *p, uint32_t epoch, uint32_t seq, uint8_t flags,
    uint64_t now)
{
	struct sync_hdr	h = hdr(epoch, seq, flags);

	return sync_peer_rx(p, &h, now);
}

/* First frame: a new peer, whose table we want at once; then at most one
 * request per SYNC_PEER_TABLE_US, deferred, not dropped. */
static void
test_new_peer_and_rate_limit(void **state)
{
	struct sync_peer	p;
	struct sync_peer_acts	a;

	(void)state;
	sync_peer_init(&p, 7);
	assert_int_equal(rx(&p, 1, 10, 0, SEC), SYNC_PEER_NEW);
	sync_peer_run(&p, SEC, &a);
	assert_true(a.request_table);
	assert_string_equal(a.why, "new peer");
	assert_int_equal(sync_peer_deadline(&p), 0);
	/* it restarts: wanted again, but not before the limit */
	assert_int_equal(rx(&p, 2, 1, 0, 2 * SEC), SYNC_PEER_RESTARTED);
	sync_peer_run(&p, 2 * SEC, &a);
	assert_false(a.request_table);
	assert_int_equal(sync_peer_deadline(&p), SEC + SYNC_PEER_TABLE_US);
	sync_peer_run(&p, SEC + SYNC_PEER_TABLE_US, &a);
	assert_true(a.request_table);
	assert_string_equal(a.why, "restarted (new epoch)");
	assert_int_equal(p.table_reqs, 2);
	/* our own request (the bulk FSM) counts for the limit too */
	sync_peer_table_sent(&p, 20 * SEC);
	assert_int_equal(p.table_at, 20 * SEC + SYNC_PEER_TABLE_US);
}

static void
test_replays(void **state)
{
	struct sync_peer	p;

	(void)state;
	sync_peer_init(&p, 7);
	assert_int_equal(rx(&p, 3, 5, 0, 0), SYNC_PEER_NEW);
	assert_int_equal(rx(&p, 3, 5, 0, 0), SYNC_PEER_REPLAY);
	assert_int_equal(rx(&p, 2, 9, 0, 0), SYNC_PEER_REPLAY);
	/* a retransmission we had already: quiet, not a replay */
	assert_int_equal(rx(&p, 3, 5, SYNC_HF_RETX, 0), SYNC_PEER_DUP_RETX);
	assert_int_equal(p.retx_dup, 1);
	assert_int_equal(p.frames, 1);
}

/* A gap is NACKed in the run after it, and again 100 ms later; its
 * retransmission fills it. */
static void
test_gap_nack_repair(void **state)
{
	struct sync_peer	p;
	struct sync_peer_acts	a;

	(void)state;
	sync_peer_init(&p, 7);
	rx(&p, 1, 1, 0, 0);
	sync_peer_run(&p, 0, &a);
	assert_int_equal(rx(&p, 1, 5, 0, MS), SYNC_PEER_ACCEPT);
	assert_int_equal(p.gaps, 1);
	sync_peer_run(&p, MS, &a);
	assert_int_equal(a.nnacks, 1);
	assert_int_equal(a.nack[0].from, 2);
	assert_int_equal(a.nack[0].to, 4);
	sync_peer_run(&p, 2 * MS, &a);
	assert_int_equal(a.nnacks, 0);
	assert_int_equal(sync_peer_deadline(&p), MS + SYNC_REPLAY_NACK_US);
	assert_int_equal(rx(&p, 1, 2, SYNC_HF_RETX, 3 * MS), SYNC_PEER_ACCEPT);
	assert_int_equal(rx(&p, 1, 4, SYNC_HF_RETX, 3 * MS), SYNC_PEER_ACCEPT);
	sync_peer_run(&p, MS + SYNC_REPLAY_NACK_US, &a);
	assert_int_equal(a.nnacks, 1);
	assert_int_equal(a.nack[0].from, 3);
	assert_int_equal(a.nack[0].to, 3);
	assert_int_equal(rx(&p, 1, 3, SYNC_HF_RETX, 200 * MS), SYNC_PEER_ACCEPT);
	assert_int_equal(p.retx, 3);
	assert_int_equal(sync_peer_deadline(&p), 0);
	assert_false(a.request_table);
}

/* A bulk is complete when every frame from its BUS START to its BUS END
 * is in, in any order: only then sweep, before its start. */
static void
test_bulk_complete_out_of_order(void **state)
{
	struct sync_peer	p;
	struct sync_peer_acts	a;

	(void)state;
	sync_peer_init(&p, 7);
	rx(&p, 1, 100, 0, 0);
	sync_peer_run(&p, 0, &a);			/* the new-peer request */
	rx(&p, 1, 101, 0, 0);
	sync_peer_bus(&p, 101, SYNC_BUS_START);
	rx(&p, 1, 104, 0, 0);				/* 102, 103 lost */
	sync_peer_bus(&p, 104, SYNC_BUS_END);
	sync_peer_run(&p, MS, &a);
	assert_false(a.sweep);
	assert_int_equal(a.nnacks, 1);
	rx(&p, 1, 103, SYNC_HF_RETX, 2 * MS);
	sync_peer_run(&p, 2 * MS, &a);
	assert_false(a.sweep);
	rx(&p, 1, 102, SYNC_HF_RETX, 3 * MS);
	sync_peer_run(&p, 3 * MS, &a);
	assert_true(a.sweep);
	assert_int_equal(a.sweep_before, 101);
	assert_int_equal(p.bulks, 1);
	sync_peer_run(&p, 4 * MS, &a);			/* only once */
	assert_false(a.sweep);
}

/* BUS START and END in one frame (a small table); a BUS START that is
 * retransmitted late does not reopen an older bulk. */
static void
test_bulk_one_frame_and_late_start(void **state)
{
	struct sync_peer	p;
	struct sync_peer_acts	a;

	(void)state;
	sync_peer_init(&p, 7);
	rx(&p, 1, 5, 0, 0);
	sync_peer_bus(&p, 5, SYNC_BUS_START);
	sync_peer_bus(&p, 5, SYNC_BUS_END);
	sync_peer_run(&p, 0, &a);
	assert_true(a.sweep);
	assert_int_equal(a.sweep_before, 5);
	/* a second bulk 10..12, and the first's START comes again */
	sync_peer_bus(&p, 10, SYNC_BUS_START);
	sync_peer_bus(&p, 5, SYNC_BUS_START);
	assert_int_equal(p.bus_start, 10);
	sync_peer_bus(&p, 9, SYNC_BUS_END);		/* before its start */
	assert_int_equal(p.bus_end, 0);
}

/* A frame of the bulk that the sender no longer knows (LOST), or that is
 * given up after 20 NACKs: no sweep (it would delete live states), the
 * table is asked for again. */
static void
test_bulk_tainted(void **state)
{
	struct sync_peer	p;
	struct sync_peer_acts	a;
	uint64_t		t = 0;
	int			k, reqs = 0;

	(void)state;
	sync_peer_init(&p, 7);
	rx(&p, 1, 1, 0, t);
	sync_peer_run(&p, t, &a);
	sync_peer_bus(&p, 1, SYNC_BUS_START);
	rx(&p, 1, 3, 0, t);				/* 2 lost */
	sync_peer_bus(&p, 3, SYNC_BUS_END);
	rx(&p, 1, 2, SYNC_HF_RETX | SYNC_HF_LOST, t);
	assert_int_equal(p.lost_frames, 1);
	sync_peer_run(&p, t, &a);
	assert_false(a.sweep);
	assert_false(a.request_table);			/* rate limit */
	t = SYNC_PEER_TABLE_US;
	sync_peer_run(&p, t, &a);
	assert_true(a.request_table);
	assert_string_equal(a.why, "the sender lost a frame we missed");
	/* the next bulk, 4..6, with 5 never answered */
	rx(&p, 1, 4, 0, t);
	sync_peer_bus(&p, 4, SYNC_BUS_START);
	rx(&p, 1, 6, 0, t);
	sync_peer_bus(&p, 6, SYNC_BUS_END);
	for (k = 0; k < SYNC_REPLAY_NACKS + 1; k++) {
		sync_peer_run(&p, t, &a);
		assert_false(a.sweep);
		reqs += a.request_table;
		t += SYNC_REPLAY_NACK_US;
	}
	assert_int_equal(p.replay.lost, 1);
	assert_int_equal(p.bus_start, 0);		/* that bulk is over */
	/* asked for the table again, now or once the limit allows */
	t += SYNC_PEER_TABLE_US;
	sync_peer_run(&p, t, &a);
	reqs += a.request_table;
	assert_int_equal(reqs, 1);
	assert_false(p.want_table);
}

/* ACK every 256 frames; during the sender's bulk also 20 ms after any
 * progress; an ACK due when the bulk ends still goes (its timer must not
 * stay in the past); only as far as there is no hole. */
static void
test_acks(void **state)
{
	struct sync_peer	p;
	struct sync_peer_acts	a;
	uint32_t		s;

	(void)state;
	sync_peer_init(&p, 7);
	rx(&p, 1, 1, 0, 0);
	for (s = 2; s < SYNC_PEER_ACK_EVERY; s++)
		rx(&p, 1, s, 0, 0);
	sync_peer_run(&p, 0, &a);
	assert_false(a.ack);			/* 255 frames */
	rx(&p, 1, SYNC_PEER_ACK_EVERY, 0, 0);
	sync_peer_run(&p, 0, &a);
	assert_true(a.ack);
	assert_int_equal(a.ack_seq, SYNC_PEER_ACK_EVERY);
	assert_int_equal(sync_peer_deadline(&p), 0);
	/* its bulk: the next frame is ACKed 20 ms later */
	rx(&p, 1, 257, 0, MS);
	sync_peer_bus(&p, 257, SYNC_BUS_START);
	sync_peer_run(&p, MS, &a);
	assert_false(a.ack);
	assert_int_equal(sync_peer_deadline(&p), MS + SYNC_PEER_ACK_US);
	sync_peer_run(&p, MS + SYNC_PEER_ACK_US, &a);
	assert_true(a.ack);
	assert_int_equal(a.ack_seq, 257);
	/* a hole: ACKed only up to it */
	rx(&p, 1, 260, 0, 2 * MS);			/* 258, 259 lost */
	sync_peer_run(&p, 2 * MS + SYNC_PEER_ACK_US, &a);
	assert_false(a.ack);
	assert_int_equal(a.nnacks, 1);
	rx(&p, 1, 258, SYNC_HF_RETX, 3 * MS);
	rx(&p, 1, 259, SYNC_HF_RETX, 3 * MS);
	rx(&p, 1, 261, 0, 3 * MS);
	sync_peer_bus(&p, 261, SYNC_BUS_END);
	sync_peer_run(&p, 3 * MS, &a);			/* complete: over */
	assert_true(a.sweep);
	assert_false(a.ack);
	/* the ACK set up during the bulk still goes, then nothing is due */
	sync_peer_run(&p, 3 * MS + SYNC_PEER_ACK_US, &a);
	assert_true(a.ack);
	assert_int_equal(a.ack_seq, 261);
	assert_int_equal(sync_peer_deadline(&p), 0);
}

/* The sending side's window: a peer that asked for our table holds it
 * until it ACKs; a silent one lets go after SYNC_PEER_WINDOW_US. */
static void
test_tx_window(void **state)
{
	struct sync_peer	p;
	uint64_t		wake = 0;

	(void)state;
	sync_peer_init(&p, 7);
	assert_true(sync_peer_tx_window(&p, 1000000, 0, &wake));
	sync_peer_tx_acked(&p, 100, SEC);	/* asked at our seq 100 */
	assert_true(sync_peer_tx_window(&p, 100 + SYNC_PEER_WINDOW - 1, SEC,
	    &wake));
	assert_false(sync_peer_tx_window(&p, 100 + SYNC_PEER_WINDOW, SEC,
	    &wake));
	assert_int_equal(wake, SEC + SYNC_PEER_WINDOW_US);
	sync_peer_tx_acked(&p, 1000, SEC + 10 * MS);
	assert_true(sync_peer_tx_window(&p, 100 + SYNC_PEER_WINDOW,
	    SEC + 10 * MS, &wake));
	sync_peer_tx_acked(&p, 900, SEC + 20 * MS);	/* never back */
	assert_int_equal(p.tx_acked, 1000);
	assert_true(sync_peer_tx_window(&p, 1000000,
	    SEC + 20 * MS + SYNC_PEER_WINDOW_US, &wake));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_peer_and_rate_limit),
		cmocka_unit_test(test_replays),
		cmocka_unit_test(test_gap_nack_repair),
		cmocka_unit_test(test_bulk_complete_out_of_order),
		cmocka_unit_test(test_bulk_one_frame_and_late_start),
		cmocka_unit_test(test_bulk_tainted),
		cmocka_unit_test(test_acks),
		cmocka_unit_test(test_tx_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
