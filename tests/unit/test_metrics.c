/*
 * test_metrics.c: the Prometheus text of the control replies
 * (common/metrics.c): known output for given structs, label escaping,
 * one HELP/TYPE per family, every syncd drop reason, the snprintf-like
 * sizing, and metrics-listen's ADDR:PORT (common/conf_lex.c).
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "conf_lex.h"
#include "ctl_proto.h"
#include "metrics.h"

static char text[1 << 17];

static void
vhost(struct ctl_vhost *v, uint8_t vhid, const char *ifname, uint8_t state)
{
	memset(v, 0, sizeof(*v));
	v->vhid = vhid;
	v->state = state;
	v->advbase = 1;
	v->advskew = 100;
	v->demote = 3;
	v->naddrs = 1;
	v->auth = 2;
	snprintf(v->ifname, sizeof(v->ifname), "%s", ifname);
	snprintf(v->carpdev, sizeof(v->carpdev), "eth0");
	v->transitions = 5;
	v->counters.badttl = 7;
	v->counters.ipackets = 42;
}

static size_t
render_carpd(const struct metrics_carpd *m)
{
	struct metrics_out o;

	metrics_out_init(&o, text, sizeof(text));
	metrics_carpd(&o, m);
	assert_true(o.off < sizeof(text));
	return o.off;
}

static int
count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)) != NULL; hay++)
		n++;
	return n;
}

static void
test_carpd_known(void **state)
{
	struct ctl_vhost v;
	struct ctl_group g = { .name = "carp", .demote = 32 };
	struct ctl_counters total = { .badvhid = 9, .ctl_refused = 2 };
	struct ctl_conn_stats cs = { .accepted = 4, .closed_slow = 1,
	    .open = 1 };
	struct metrics_carpd m = { .v = &v, .nv = 1, .g = &g, .ng = 1, .total = &total, .cs = &cs };
	static const char head[] =
	    "# HELP carpsync_carpd_up 1 if carpd answered on its control socket\n"
	    "# TYPE carpsync_carpd_up gauge\n"
	    "carpsync_carpd_up 1\n"
	    "# HELP carpsync_carpd_vhost_state 1 for the vhost's current state,"
	    " 0 for the others\n"
	    "# TYPE carpsync_carpd_vhost_state gauge\n"
	    "carpsync_carpd_vhost_state{vhid=\"1\",ifname=\"carp1\","
	    "state=\"init\"} 0\n"
	    "carpsync_carpd_vhost_state{vhid=\"1\",ifname=\"carp1\","
	    "state=\"backup\"} 0\n"
	    "carpsync_carpd_vhost_state{vhid=\"1\",ifname=\"carp1\","
	    "state=\"master\"} 1\n"
	    "# HELP carpsync_carpd_vhost_info Configuration of the vhost "
	    "(value always 1)\n"
	    "# TYPE carpsync_carpd_vhost_info gauge\n"
	    "carpsync_carpd_vhost_info{vhid=\"1\",ifname=\"carp1\","
	    "carpdev=\"eth0\",auth=\"strict\",lladdr=\"virtual\"} 1\n"
	    "# HELP carpsync_carpd_vhost_transitions_total State changes of "
	    "the vhost\n"
	    "# TYPE carpsync_carpd_vhost_transitions_total counter\n"
	    "carpsync_carpd_vhost_transitions_total{vhid=\"1\","
	    "ifname=\"carp1\"} 5\n"
	    "# HELP carpsync_carpd_vhost_demote Demotion count the vhost "
	    "advertises\n"
	    "# TYPE carpsync_carpd_vhost_demote gauge\n"
	    "carpsync_carpd_vhost_demote{vhid=\"1\",ifname=\"carp1\"} 3\n";

	(void)state;
	vhost(&v, 1, "carp1", 2);
	render_carpd(&m);
	assert_memory_equal(text, head, sizeof(head) - 1);
	assert_non_null(strstr(text, "\ncarpsync_carpd_vhost_advskew{vhid=\"1\","
	    "ifname=\"carp1\"} 100\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_vhost_drops_total{"
	    "vhid=\"1\",ifname=\"carp1\",reason=\"badttl\"} 7\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_vhost_ipackets_total{"
	    "vhid=\"1\",ifname=\"carp1\"} 42\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_group_demote{"
	    "group=\"carp\"} 32\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_drops_total{"
	    "reason=\"badvhid\"} 9\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_control_refused_total 2\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_control_closed_total{"
	    "reason=\"slow\"} 1\n"));
	assert_non_null(strstr(text, "\ncarpsync_carpd_control_open 1\n"));
	/* every drop reason, auth ones included */
	assert_int_equal(count(text, "carpsync_carpd_vhost_drops_total{"), 13);
	assert_int_equal(text[strlen(text) - 1], '\n');
}

/* One HELP and TYPE per family whatever the number of vhosts. */
static void
test_carpd_families_once(void **state)
{
	struct ctl_vhost v[3];
	struct ctl_counters total = { 0 };
	struct metrics_carpd m = { .v = v, .nv = 3, .total = &total };

	(void)state;
	vhost(&v[0], 1, "carp1", 0);
	vhost(&v[1], 2, "carp2", 1);
	vhost(&v[2], 3, "carp3", 2);
	render_carpd(&m);
	assert_int_equal(count(text, "# TYPE carpsync_carpd_vhost_drops_total "),
	    1);
	assert_int_equal(count(text, "# TYPE carpsync_carpd_vhost_state "), 1);
	assert_int_equal(count(text, "carpsync_carpd_vhost_state{"), 9);
	assert_int_equal(count(text, "state=\"backup\"} 1\n"), 1);
	assert_int_equal(count(text, "carpsync_carpd_vhost_drops_total{vhid=\"3\""),
	    13);
	/* no conn stats given: none printed */
	assert_null(strstr(text, "control_open"));
}

static void
test_label_escaping(void **state)
{
	struct ctl_vhost v;
	struct ctl_group g = { .name = "a\\b\"c\nd", .demote = 1 };
	struct metrics_carpd m = { .v = &v, .nv = 1, .g = &g, .ng = 1 };

	(void)state;
	vhost(&v, 7, "x\"y", 1);
	render_carpd(&m);
	assert_non_null(strstr(text, "carpsync_carpd_group_demote{"
	    "group=\"a\\\\b\\\"c\\nd\"} 1\n"));
	assert_non_null(strstr(text, "{vhid=\"7\",ifname=\"x\\\"y\","));
	/* a name filling its array without NUL stops at the array */
	memset(v.ifname, 'z', sizeof(v.ifname));
	memset(v.carpdev, 0, sizeof(v.carpdev));
	render_carpd(&m);
	assert_non_null(strstr(text, "ifname=\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\""
	    ",carpdev=\"\""));
}

/* tracks, per-vhost hooks and the daemon-wide hook counters */
static void
test_carpd_health(void **state)
{
	struct ctl_vhost v;
	struct ctl_track t[2] = {
		{ .vhid = 3, .kind = 0, .up = 0, .weight = 50, .failures = 2,
		  .name = "eth1" },
		{ .vhid = 3, .kind = 1, .up = 1, .weight = 20, .runs = 9,
		  .timeouts = 1, .name = "test -e \"/run/ok\"" },
	};
	struct ctl_vhost_hooks h = { .vhid = 3, .track_vhost = 5, .run = 4,
	    .dropped = 1 };
	struct ctl_hook_stats hs = { .hooks_run = 4, .fifo_written = 6,
	    .fifo_dropped = 2, .script_timeouts = 1 };
	struct metrics_carpd m = { .v = &v, .nv = 1, .t = t, .nt = 2,
	    .h = &h, .nh = 1, .hs = &hs };

	(void)state;
	vhost(&v, 3, "carp3", 1);
	v.counters.garp = 11;
	v.counters.ann_won = 2;
	render_carpd(&m);
	assert_non_null(strstr(text, "carpsync_carpd_track_up{vhid=\"3\","
	    "kind=\"interface\",name=\"eth1\"} 0\n"));
	assert_non_null(strstr(text, "carpsync_carpd_track_up{vhid=\"3\","
	    "kind=\"script\",name=\"test -e \\\"/run/ok\\\"\"} 1\n"));
	assert_non_null(strstr(text, "carpsync_carpd_track_weight{vhid=\"3\","
	    "kind=\"interface\",name=\"eth1\"} 50\n"));
	assert_non_null(strstr(text, "carpsync_carpd_track_failures_total{"
	    "vhid=\"3\",kind=\"interface\",name=\"eth1\"} 2\n"));
	assert_non_null(strstr(text, "carpsync_carpd_vhost_track_demote{"
	    "vhid=\"3\"} 5\n"));
	assert_non_null(strstr(text, "carpsync_carpd_vhost_hook_dropped_total{"
	    "vhid=\"3\"} 1\n"));
	assert_non_null(strstr(text, "carpsync_carpd_fifo_lines_total{"
	    "reason=\"dropped\"} 2\n"));
	assert_non_null(strstr(text, "carpsync_carpd_script_timeouts_total 1\n"));
	assert_non_null(strstr(text, "carpsync_carpd_vhost_announce_frames_total{"
	    "vhid=\"3\",ifname=\"carp3\",reason=\"garp\"} 11\n"));
	assert_non_null(strstr(text, "carpsync_carpd_vhost_announce_rounds_total{"
	    "vhid=\"3\",ifname=\"carp3\",reason=\"won\"} 2\n"));
	assert_int_equal(count(text, "# TYPE carpsync_carpd_track_up gauge\n"), 1);
	assert_int_equal(count(text, "# TYPE carpsync_carpd_fifo_lines_total "
	    "counter\n"), 1);
	/* none given: no track, hook or fifo family at all */
	m.nt = m.nh = 0;
	m.hs = NULL;
	render_carpd(&m);
	assert_null(strstr(text, "track_up"));
	assert_null(strstr(text, "hook_"));
	assert_null(strstr(text, "fifo_lines"));
}

/* carpd.conf(5) BALANCING: one series per balanced vhost (its bucket) */
static void
test_carpd_balance(void **state)
{
	struct ctl_vhost v[2];
	struct ctl_balance b[2] = {
		{ .vhid = 1, .mode = 1, .leader = 1, .bucket = 0, .nodes = 2,
		  .owned_here = 1, .owned = 1, .accepted = 79, .ignored = 0,
		  .arp_replies = 3, .arp_dropped = 1, .nd_replies = 5,
		  .nd_dropped = 2 },
		{ .vhid = 2, .mode = 1, .leader = 1, .bucket = 1, .nodes = 2,
		  .owned_here = 0, .owned = 1, .accepted = 0, .ignored = 71,
		  .arp_replies = 3, .arp_dropped = 1, .nat = 1,
		  .held = CTL_BAL_HELD_NO_DEFER },
	};
	struct metrics_carpd m = { .v = v, .nv = 2, .b = b, .nb = 2 };

	(void)state;
	vhost(&v[0], 1, "eth0", 2);
	vhost(&v[1], 2, "eth0", 1);
	render_carpd(&m);
	assert_non_null(strstr(text, "carpsync_carpd_balance_bucket_owned{"
	    "vhid=\"1\",group=\"1\",bucket=\"0\"} 1\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_bucket_owned{"
	    "vhid=\"2\",group=\"1\",bucket=\"1\"} 0\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_packets_total{"
	    "vhid=\"1\",group=\"1\",bucket=\"0\",reason=\"accepted\"} 79\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_packets_total{"
	    "vhid=\"2\",group=\"1\",bucket=\"1\",reason=\"ignored\"} 71\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_arp_total{"
	    "vhid=\"1\",group=\"1\",bucket=\"0\",reason=\"reply\"} 3\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_nd_total{"
	    "vhid=\"1\",group=\"1\",bucket=\"0\",reason=\"reply\"} 5\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_nd_total{"
	    "vhid=\"1\",group=\"1\",bucket=\"0\",reason=\"dropped\"} 2\n"));
	assert_int_equal(count(text, "# TYPE carpsync_carpd_balance_packets_total "
	    "counter\n"), 1);
	assert_non_null(strstr(text, "carpsync_carpd_balance_nat_held{"
	    "vhid=\"2\",group=\"1\",bucket=\"1\"} 1\n"));
	assert_non_null(strstr(text, "carpsync_carpd_balance_nat_held{"
	    "vhid=\"1\",group=\"1\",bucket=\"0\"} 0\n"));
	/* no balanced vhost: no balance family */
	m.nb = 0;
	render_carpd(&m);
	assert_null(strstr(text, "balance_"));
}

static void
test_down(void **state)
{
	struct metrics_out o;

	(void)state;
	metrics_out_init(&o, text, sizeof(text));
	metrics_carpd(&o, NULL);
	metrics_syncd(&o, NULL);
	assert_string_equal(text,
	    "# HELP carpsync_carpd_up 1 if carpd answered on its control socket\n"
	    "# TYPE carpsync_carpd_up gauge\n"
	    "carpsync_carpd_up 0\n"
	    "# HELP carpsync_syncd_up 1 if syncd answered on its control socket\n"
	    "# TYPE carpsync_syncd_up gauge\n"
	    "carpsync_syncd_up 0\n");
}

static void
test_syncd(void **state)
{
	static const char *const drops[] = CTL_SYNC_DROP_NAMES;
	struct ctl_sync_info i;
	struct ctl_sync_peer p[2];
	struct metrics_syncd m = { &i, p, 2, NULL };
	struct metrics_out o;
	char want[128];
	size_t d;

	(void)state;
	memset(&i, 0, sizeof(i));
	memset(p, 0, sizeof(p));
	i.node_id = 11;
	i.ipackets = 100;
	i.obytes = 5000;
	i.overruns = 2;
	i.held[CTL_SYNC_HOLD_BULK] = 32;
	i.loss.retx_out = 6;
	i.table.swept = 8;
	snprintf(i.bulk, sizeof(i.bulk), "DONE");
	for (d = 1; d < CTL_SYNC_DROP__MAX; d++)
		i.drops[d] = d * 10;
	p[0].node_id = 22;
	p[0].frames = 77;
	p[0].heard_ms = 1234;
	p[1].node_id = 33;
	p[1].heard_ms = 5;
	metrics_out_init(&o, text, sizeof(text));
	metrics_syncd(&o, &m);
	assert_true(o.off < sizeof(text));
	assert_non_null(strstr(text, "\ncarpsync_syncd_up 1\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_node_id 11\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_frames_in_total 100\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_bytes_out_total 5000\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_overruns_total 2\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_retransmits_total 6\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_table_swept_total 8\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_held_demote{"
	    "reason=\"bulk\"} 32\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_bulk_info{"
	    "state=\"DONE\"} 1\n"));
	for (d = 1; d < CTL_SYNC_DROP__MAX; d++) {
		snprintf(want, sizeof(want), "\ncarpsync_syncd_drops_total{"
		    "reason=\"%s\"} %zu\n", drops[d], d * 10);
		assert_non_null(strstr(text, want));
	}
	assert_non_null(strstr(text, "\ncarpsync_syncd_peer_frames_total{"
	    "peer=\"22\"} 77\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_peer_heard_seconds{"
	    "peer=\"22\"} 1.234\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_peer_heard_seconds{"
	    "peer=\"33\"} 0.005\n"));
	assert_int_equal(count(text, "# TYPE carpsync_syncd_peer_frames_total "),
	    1);
}

/* Like snprintf: a short buffer gets a NUL-terminated prefix, and `off`
 * says how much the whole text needs. */
static void
test_sizing(void **state)
{
	struct ctl_vhost v;
	struct metrics_carpd m = { .v = &v, .nv = 1 };
	struct metrics_out o;
	char small[100];
	size_t full;

	(void)state;
	vhost(&v, 1, "carp1", 2);
	full = render_carpd(&m);
	memset(small, 'X', sizeof(small));
	metrics_out_init(&o, small, 64);
	metrics_carpd(&o, &m);
	assert_int_equal(o.off, full);
	assert_int_equal(strlen(small), 63);
	assert_memory_equal(small, text, 63);
	assert_int_equal(small[64], 'X');
}

/* The receive-to-insert histogram: buckets by upper bound (inclusive),
 * cumulative in the text, sum and count, max and last. */
static void
test_latency(void **state)
{
	struct ctl_sync_info i;
	struct metrics_syncd m = { &i, NULL, 0, NULL };
	struct metrics_out o;

	(void)state;
	memset(&i, 0, sizeof(i));
	metrics_latency_add(&i.rx_apply, 100);		/* le 0.0001 */
	metrics_latency_add(&i.rx_apply, 101);		/* le 0.00025 */
	metrics_latency_add(&i.rx_apply, 3000);		/* le 0.01 */
	metrics_latency_add(&i.rx_apply, 2500000);	/* +Inf */
	metrics_latency_add(&i.rx_apply, 40);		/* le 0.0001 */
	assert_int_equal(i.rx_apply.count, 5);
	assert_int_equal(i.rx_apply.sum_us, 2503241);
	assert_int_equal(i.rx_apply.max_us, 2500000);
	assert_int_equal(i.rx_apply.last_us, 40);
	assert_int_equal(i.rx_apply.buckets[0], 2);
	assert_int_equal(i.rx_apply.buckets[CTL_SYNC_LAT_BUCKETS - 1], 1);
	metrics_out_init(&o, text, sizeof(text));
	metrics_syncd(&o, &m);
	assert_non_null(strstr(text,
	    "# TYPE carpsync_syncd_rx_apply_seconds histogram\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.000100\"} 2\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.000250\"} 3\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.001000\"} 3\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.002500\"} 3\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.010000\"} 4\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.025000\"} 4\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"0.100000\"} 4\n"
	    "carpsync_syncd_rx_apply_seconds_bucket{le=\"+Inf\"} 5\n"
	    "carpsync_syncd_rx_apply_seconds_sum 2.503241\n"
	    "carpsync_syncd_rx_apply_seconds_count 5\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_rx_apply_max_seconds "
	    "2.500000\n"));
	assert_non_null(strstr(text, "\ncarpsync_syncd_rx_apply_last_seconds "
	    "0.000040\n"));
}

static void
test_addrport(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	const char *why;
	socklen_t sl;
	static const char *const bad[] = { "", "192.0.2.1", "192.0.2.1:",
	    "192.0.2.1:0", "192.0.2.1:65536", "192.0.2.1:80x", ":80",
	    "2001:db8::1:80", "[2001:db8::1]", "[2001:db8::1:80", "[]:80",
	    "[192.0.2.1]:80", "host:80", "192.0.2.1:-1", "192.0.2.1: 80" };
	size_t i;

	(void)state;
	assert_int_equal(conf_parse_addrport("192.0.2.1:9101", &ss, &sl, &why),
	    0);
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 9101);
	assert_int_equal(sl, sizeof(*s4));
	assert_int_equal(ntohl(s4->sin_addr.s_addr), 0xc0000201);
	assert_int_equal(conf_parse_addrport("[2001:db8::1]:80", &ss, &sl, &why),
	    0);
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(ntohs(s6->sin6_port), 80);
	assert_int_equal(s6->sin6_addr.s6_addr[0], 0x20);
	assert_int_equal(s6->sin6_addr.s6_addr[15], 1);
	assert_int_equal(conf_parse_addrport("0.0.0.0:65535", &ss, &sl, &why), 0);
	assert_int_equal(conf_parse_addrport("[::]:1", &ss, &sl, &why), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		if (conf_parse_addrport(bad[i], &ss, &sl, &why) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_non_null(why);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_carpd_known),
		cmocka_unit_test(test_carpd_families_once),
		cmocka_unit_test(test_label_escaping),
		cmocka_unit_test(test_carpd_health),
		cmocka_unit_test(test_carpd_balance),
		cmocka_unit_test(test_down),
		cmocka_unit_test(test_syncd),
		cmocka_unit_test(test_sizing),
		cmocka_unit_test(test_latency),
		cmocka_unit_test(test_addrport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
