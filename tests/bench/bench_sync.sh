#!/bin/bash
# Section sync: syncd against Debian's conntrackd (FTFW), one after the
# other on the same two namespaces fw1 and fw2 joined by a direct sync
# link (lib-sync.sh), never both replicating at once (each would take the
# other's injected entries for local ones):
#   a) bulk sync of 100 000 states into the peer's kernel, runs
#      interleaved (syncd, conntrackd, syncd, ...), and of 1 000 000
#      (one run each), with the RSS of both daemons on both nodes;
#   b) steady churn: a rate ladder of create+delete on fw1, fw1's syncd
#      pinned to one CPU; a rung passes if the driver kept the rate, the
#      overrun counter stayed 0 and fw2 ends up with exactly fw1's entries;
#   c) event-to-peer-kernel latency of single creates at a moderate rate.
# Prints figures, never fails on speed; exits 2 only when the bench
# itself could not run.
# usage: bench_sync.sh BUILD_DIR
#   BENCH_SYNC_RUNS    runs of the 100 000 bulk (default: BENCH_RUNS, at most 5)
#   BENCH_SYNC_BIG     size of the big bulk (default 1000000; 0 = skip)
#   BENCH_SYNC_LADDER  churn rates, changes/s (default "10000 25000 50000 75000 100000 150000 200000")
#   BENCH_SYNC_CHURN_S seconds per rung (default 10)
T_NAME=sync
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
. "$(dirname "$0")/lib-sync.sh"

RUNS=${BENCH_SYNC_RUNS:-$((BENCH_RUNS < 5 ? BENCH_RUNS : 5))}
SMALL=100000
BIG=${BENCH_SYNC_BIG:-1000000}
LADDER=${BENCH_SYNC_LADDER:-"10000 25000 50000 75000 100000 150000 200000"}
CHURN_S=${BENCH_SYNC_CHURN_S:-10}
CHURN_WINDOW=5000
LAT_RATE=1000
LAT_N=3000
SMALL_WAIT=30		# s: a 100 000 bulk slower than this is NR
BIG_WAIT=90

for t in conntrackd conntrack taskset; do
	command -v $t >/dev/null || bench_fatal "$t not installed"
done
[ -x "$SYNCD" ] && [ -x "$DRV" ] || bench_fatal "$SYNCD or $DRV missing (make build/syncd build/tests/ct_driver)"
[ "$(nproc)" -ge 2 ] || bench_fatal "needs 2 CPUs (the churn pins syncd to one)"
sync_topo || bench_fatal "topology"
# the largest table per namespace, with room; one bucket per entry
ct_limits_raise $((BIG > SMALL ? BIG + 262144 : SMALL + 262144)) \
    $((BIG > SMALL ? BIG : SMALL)) || bench_fatal "cannot raise nf_conntrack_max / hashsize"
syncd_conf fw1 1
syncd_conf fw2 2
ctd_conf fw1 203.0.113.2 203.0.113.1 no
ctd_conf fw2 203.0.113.1 203.0.113.2 no

kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f\n", k / 1024 }'; }
cpu_s() { awk -v a="$1" -v b="$2" -v t="$CLK_TCK" 'BEGIN { printf "%.2f\n", (b - a) / t }'; }
# count_wait NODE TARGET SECONDS FILE: the 1 ms poll of the entry count, in
# the background (COUNT_PID), returns once it runs
count_wait() {
	drv "$1" count-wait "$2" "$3" >"$4" 2>&1 &
	COUNT_PID=$!
	track "$COUNT_PID"
	poll_for 5 grep -q '^start' "$4"
}
# count_done FILE: waits for it; COUNT_T = the time the target was reached
# ("" if it timed out)
count_done() {
	wait "$COUNT_PID" 2>/dev/null
	untrack "$COUNT_PID"
	COUNT_T=$(awk '$1 == "reached" { print $2 }' "$1")
}

# --- a) bulk --------------------------------------------------------------

# syncd_bulk N LABEL WAIT: fw1 holds N entries; fw1's syncd starts (and
# reads them by dump), then fw2's syncd starts empty and asks for fw1's
# table. Timed from fw2's first frame on the sync link (its bulk request:
# without carpd syncd starts as an owner, pushes its own, empty, table and
# asks for the peer's in the same turn; tcpdump's kernel timestamp) to the
# millisecond fw2's entry count reaches N (ct_driver count-wait polls
# nf_conntrack_count every 1 ms: no conntrack(8) process per poll).
syncd_bulk() {
	local n=$1 tag=$2 wait=$3 base treq tend c1 c2 r
	syncd_start fw1 || { progress "syncd fw1 did not start"; return 1; }
	base=$(ct_count fw2)
	count_wait fw2 $((base + n)) "$wait" "$T_DIR/cw.$tag"
	nsx fw2 tcpdump -i sync0 -n -tt -l --immediate-mode -c 1 \
	    "ip proto 240 and src host 203.0.113.2" >"$T_DIR/req.$tag" 2>"$T_DIR/req.$tag.err" &
	CAP_PID=$!
	track "$CAP_PID"
	poll_for 5 grep -q listening "$T_DIR/req.$tag.err"
	c1=$(proc_cpu "$(syncd_pid fw1)")
	syncd_start fw2 || { progress "syncd fw2 did not start"; return 1; }
	count_done "$T_DIR/cw.$tag"
	tend=$COUNT_T
	c2=$(proc_cpu "$(syncd_pid fw1)")
	stop_pid "$CAP_PID" TERM
	treq=$(awk 'NR == 1 { print $1 }' "$T_DIR/req.$tag")
	if [ -n "$tend" ] && [ -n "$treq" ]; then r=$(ms_between "$treq" "$tend"); else r=NR; fi
	fig_add "syncd.bulk_$tag" "$r"
	read -r rss anon <<<"$(proc_rss "$(syncd_pid fw1)")"
	fig_add "syncd.rss_fw1_$tag" "$(kib_to_mib "$rss")"; fig_add "syncd.anon_fw1_$tag" "$(kib_to_mib "$anon")"
	read -r rss anon <<<"$(proc_rss "$(syncd_pid fw2)")"
	fig_add "syncd.rss_fw2_$tag" "$(kib_to_mib "$rss")"; fig_add "syncd.anon_fw2_$tag" "$(kib_to_mib "$anon")"
	fig_add "syncd.cpu_fw1_$tag" "$(cpu_s "$c1" "$c2")"
	fig_add "syncd.cpu_fw2_$tag" "$(cpu_s 0 "$(proc_cpu "$(syncd_pid fw2)")")"
	fig_add "syncd.held_$tag" $(($(ct_count fw2) - base))
	progress "syncd bulk $n: $r ms (fw2 holds $(ct_count fw2))"
	syncd_stop fw2
	syncd_stop fw1
	ct_flush fw2
}

# ctd_bulk N LABEL WAIT: fw1's conntrackd runs (its internal cache holds
# fw1's N entries); fw2's starts empty. resync = conntrackd -n on fw2 until
# its external cache holds N (polled with conntrackd -s, ~10 ms apart);
# commit = conntrackd -c on fw2 until fw2's kernel holds N (count-wait).
ctd_bulk() {
	local n=$1 tag=$2 wait=$3 base t0 t1 t2 tend rs cm held
	ctd_start fw2 || { progress "conntrackd fw2 did not start"; return 1; }
	base=$(ct_count fw2)
	t0=$EPOCHREALTIME
	ctd fw2 -n >/dev/null 2>&1
	if poll_for "$wait" eval '[ "$(ctd_cache fw2 external)" -ge '"$n"' ]'; then
		t1=$EPOCHREALTIME
		rs=$(ms_between "$t0" "$t1")
	else
		rs=NR
	fi
	held=$(ctd_cache fw2 external)
	fig_add "ctd.held_cache_$tag" "${held:-NA}"
	count_wait fw2 $((base + n)) "$wait" "$T_DIR/ccw.$tag"
	t2=$EPOCHREALTIME
	timeout "$wait" ip netns exec "$(ns fw2)" conntrackd -C "$T_DIR/fw2/conntrackd.conf" -c >/dev/null 2>&1
	count_done "$T_DIR/ccw.$tag"
	tend=$COUNT_T
	if [ -n "$tend" ]; then cm=$(ms_between "$t2" "$tend"); else cm=NR; fi
	fig_add "ctd.held_$tag" $(($(ct_count fw2) - base))
	fig_add "ctd.resync_$tag" "$rs"
	fig_add "ctd.commit_$tag" "$cm"
	if [ "$rs" = NR ] || [ "$cm" = NR ]; then fig_add "ctd.bulk_$tag" NR; else
		fig_add "ctd.bulk_$tag" "$(awk -v a="$rs" -v b="$cm" 'BEGIN { printf "%.1f", a + b }')"
	fi
	read -r rss anon <<<"$(proc_rss "$(ctd_pid fw1)")"
	fig_add "ctd.rss_fw1_$tag" "$(kib_to_mib "$rss")"
	read -r rss anon <<<"$(proc_rss "$(ctd_pid fw2)")"
	fig_add "ctd.rss_fw2_$tag" "$(kib_to_mib "$rss")"
	progress "conntrackd bulk $n: resync $rs ms + commit $cm ms"
	ctd_stop fw2
	ct_flush fw2
}

bulk_phase() {
	local i
	progress "bulk: $SMALL entries on fw1, $RUNS runs each, interleaved"
	drv fw1 bulk-create "$SMALL" 0 >/dev/null 2>&1 || bench_fatal "bulk-create $SMALL on fw1"
	ctd_start fw1 || bench_fatal "conntrackd does not start on fw1"
	for i in $(seq 1 "$RUNS"); do
		if [ $((i % 2)) = 1 ]; then
			syncd_bulk $SMALL small $SMALL_WAIT; ctd_bulk $SMALL small $SMALL_WAIT
		else
			ctd_bulk $SMALL small $SMALL_WAIT; syncd_bulk $SMALL small $SMALL_WAIT
		fi
	done
	ctd_stop fw1
	[ "$BIG" -gt "$SMALL" ] || return 0
	progress "bulk: $BIG entries on fw1, one run each"
	drv fw1 bulk-create $((BIG - SMALL)) "$SMALL" >/dev/null 2>&1 || bench_fatal "bulk-create $BIG on fw1"
	syncd_bulk "$BIG" big $BIG_WAIT
	# conntrackd reads the table by a dump at its start
	ctd_start fw1 || bench_fatal "conntrackd does not start on fw1"
	ctd_bulk "$BIG" big $BIG_WAIT
	ctd_stop fw1
}

# --- b) churn ---------------------------------------------------------------

# One rung: RATE changes/s for CHURN_S on fw1 (the driver on CPU 0, fw1's
# syncd pinned to CPU 1). Then fw2 must hold exactly fw1's synthetic
# entries within 10 s of the end.
churn_rung() {
	local rate=$1 first=$2 o1 o2 c1 c2 t1 t2 out ach ok=1 m=NR why=""
	o1=$(syncd_stat fw1 .overruns); c1=$(proc_cpu "$(syncd_pid fw1)"); t1=$EPOCHREALTIME
	out=$(ip netns exec "$(ns fw1)" taskset -c 0 "$DRV" churn "$rate" "$CHURN_S" "$first" $CHURN_WINDOW 2>/dev/null)
	c2=$(proc_cpu "$(syncd_pid fw1)"); t2=$EPOCHREALTIME
	ach=$(printf '%s\n' "$out" | awk '{ for (i = 1; i < NF; i++) if ($i == "achieved") { sub("/s", "", $(i + 1)); print $(i + 1) } }')
	[ -n "$ach" ] || { ach=0; ok=0; }
	awk -v a="$ach" -v r="$rate" 'BEGIN { exit !(a >= 0.95 * r) }' || { ok=0; why="$why rate-not-reached-by-driver"; }
	if poll_for 10 churn_match; then m=$(ms_between "$t2" "$EPOCHREALTIME"); else ok=0; why="$why mismatch"; fi
	o2=$(syncd_stat fw1 .overruns)
	[ "$o1" = "$o2" ] || { ok=0; why="$why overrun"; }
	CHURN_LINE=$(printf '%9s %9s %7s %9s %6s %8s  %s' "$rate" "$ach" \
	    "$(awk -v a="$c1" -v b="$c2" -v t="$CLK_TCK" -v d="$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')" \
	    'BEGIN { printf "%.0f", (b - a) / t / d * 100 }')" "$((o2 - o1))" \
	    "$(syncd_stat fw2 .gaps)" "$m" "$([ $ok = 1 ] && echo pass || echo "FAIL:$why")")
	[ $ok = 1 ]
}
churn_match() { [ "$(ct_synth_list fw1 | md5sum)" = "$(ct_synth_list fw2 | md5sum)" ]; }

churn_phase() {
	local r first=0 best=0 lines="" fails=0
	ct_flush fw1; ct_flush fw2
	syncd_start fw1 1 && syncd_start fw2 || bench_fatal "syncd does not start"
	poll_for 10 eval '[ "$(syncd_stat fw2 ".peers | length")" -ge 1 ]'
	for r in $LADDER; do
		progress "churn: $r changes/s for $CHURN_S s"
		if churn_rung "$r" "$first"; then
			best=$r
		else
			fails=$((fails + 1))
		fi
		lines="$lines$CHURN_LINE
"
		first=$((first + r * CHURN_S))
		[ "$fails" -ge 1 ] && break	# the ladder ends at the first failure
	done
	fig_add syncd.churn "$best"
	CHURN_TABLE=$lines
	read -r rss anon <<<"$(proc_rss "$(syncd_pid fw1)")"
	fig_add syncd.rss_fw1_churn "$(kib_to_mib "$rss")"
}

# --- c) latency ---------------------------------------------------------------

# latency IMPL: LAT_N creates on fw1, LAT_RATE/s, each stamped when fw1's
# kernel answered; fw2 stamps each NEW event of the same entry. Both clocks
# are the one CLOCK_REALTIME of the machine.
latency() {
	local im=$1 first=$2 lp
	drv fw2 stamp 60 "$LAT_N" >"$T_DIR/lat.$im.rx" 2>/dev/null &
	lp=$!
	track "$lp"
	poll_for 5 grep -q LISTENING "$T_DIR/lat.$im.rx"
	ip netns exec "$(ns fw1)" "$DRV" paced "$LAT_RATE" "$LAT_N" "$first" >"$T_DIR/lat.$im.tx" 2>/dev/null
	poll_for 10 grep -q '^END' "$T_DIR/lat.$im.rx"
	stop_pid "$lp" TERM
	awk 'NR == FNR { tx[$1] = $2; next } ($1 in tx) && $1 ~ /^[0-9]+$/ { printf "%.3f\n", ($2 - tx[$1]) * 1000 }' \
	    "$T_DIR/lat.$im.tx" "$T_DIR/lat.$im.rx" >"$T_DIR/lat.$im"
	LAT_SEEN=$(wc -l <"$T_DIR/lat.$im")
	fig_add "$im.lat_p50" "$(pctl "$T_DIR/lat.$im" 0.5)"
	fig_add "$im.lat_p99" "$(pctl "$T_DIR/lat.$im" 0.99)"
	fig_add "$im.lat_max" "$(pctl "$T_DIR/lat.$im" 1)"
	fig_add "$im.lat_lost" $((LAT_N - LAT_SEEN))
}

latency_phase() {
	local first=12000000
	# a fresh, quiet pair: what the ladder left (its last rung failed, a
	# resync may be running) must not be measured as latency
	syncd_stop fw1; syncd_stop fw2
	ct_flush fw1; ct_flush fw2
	syncd_start fw1 && syncd_start fw2 || { progress "syncd does not start"; return 1; }
	poll_for 10 eval '[ "$(syncd_stat fw2 ".peers | length")" -ge 1 ] && [ "$(syncd_stat fw2 .bulk)" = DONE ]'
	progress "latency: syncd, $LAT_N creates at $LAT_RATE/s"
	latency syncd "$first"
	syncd_stop fw1; syncd_stop fw2
	ct_flush fw1; ct_flush fw2
	# conntrackd: FTFW, fw2 injects at once (DisableExternalCache yes), as
	# syncd does; everything else at its defaults
	ctd_conf fw2 203.0.113.1 203.0.113.2 yes
	ctd_start fw1 && ctd_start fw2 || { progress "conntrackd does not start"; return 1; }
	sleep 1		# FTFW's first ALIVE/HELLO exchange
	progress "latency: conntrackd, $LAT_N creates at $LAT_RATE/s"
	latency ctd $((first + 1000000))
	ctd_stop fw1; ctd_stop fw2
}

# --- main ---------------------------------------------------------------------------

bulk_phase
churn_phase
latency_phase

say "sync. syncd $(git describe --always --dirty 2>/dev/null || echo '?') vs conntrackd $(conntrackd -v 2>&1 | awk 'NR == 1 { print $NF }' | tr -d 'v.') (Debian, FTFW), namespaces fw1 and fw2, direct veth sync link"
say "   Bulk: fw1 holds N TCP ESTABLISHED entries with SNAT (ct_driver bulk-create)."
say "   syncd: from fw2's bulk request (its first frame on the sync link, tcpdump time) to"
say "   fw2's kernel holding all N (nf_conntrack_count polled every 1 ms in fw2)."
say "   conntrackd: conntrackd -n on fw2 until its external cache holds N (resync), then"
say "   conntrackd -c until fw2's kernel holds N (commit); bulk = resync + commit."
say "   conntrackd: FTFW over UDP on the sync link, its defaults, HashSize 1048576 / HashLimit"
say "   4194304, 32 MiB netlink buffers (so that a million fit); latency with"
say "   DisableExternalCache yes on fw2 (injects at once, as syncd does)."
say "   nf_conntrack_max / hashsize raised to $(sysctl -n net.netfilter.nf_conntrack_max) / $(cat /sys/module/nf_conntrack/parameters/hashsize) for the run."
say "   A bulk not complete within ${SMALL_WAIT} s ($SMALL) or ${BIG_WAIT} s ($BIG) is NR; \"at the end\" = what"
say "   the peer held then (of N)."
say "   RSS/RssAnon: /proc/PID/status after the bulk. $RUNS runs of $SMALL, one of $BIG."
say "   Provisional figures: a shared, loaded 2-CPU machine."
say ""
table_head "bulk (ms)"
fig_row "syncd: $SMALL states to the peer's kernel" syncd.bulk_small ms 1000
fig_row "  (stretch target)" syncd.bulk_small ms 600
fig_row "conntrackd: resync (-n) into its cache" ctd.resync_small ms
fig_row "conntrackd: commit (-c) into the kernel" ctd.commit_small ms
fig_row "conntrackd: resync + commit" ctd.bulk_small ms
fig_row "syncd: states in fw2's kernel at the end" syncd.held_small count
fig_row "conntrackd: states in its cache after resync" ctd.held_cache_small count
fig_row "conntrackd: states in fw2's kernel at the end" ctd.held_small count
if [ "$BIG" -gt "$SMALL" ]; then
	fig_row "syncd: $BIG states to the peer's kernel" syncd.bulk_big ms 8000
	fig_row "conntrackd: resync (-n), $BIG" ctd.resync_big ms
	fig_row "conntrackd: commit (-c), $BIG" ctd.commit_big ms
	fig_row "conntrackd: resync + commit, $BIG" ctd.bulk_big ms
	fig_row "syncd: states in fw2's kernel at the end" syncd.held_big count
	fig_row "conntrackd: states in its cache after resync" ctd.held_cache_big count
	fig_row "conntrackd: states in fw2's kernel at the end" ctd.held_big count
fi
say ""
table_head "memory (MiB) and CPU (s)"
fig_row "syncd fw1 VmRSS, $SMALL local" syncd.rss_fw1_small MiB
fig_row "syncd fw1 RssAnon, $SMALL local" syncd.anon_fw1_small MiB
fig_row "syncd fw2 VmRSS, $SMALL imported" syncd.rss_fw2_small MiB
fig_row "syncd fw2 RssAnon, $SMALL imported" syncd.anon_fw2_small MiB
fig_row "conntrackd fw1 VmRSS, $SMALL (internal cache)" ctd.rss_fw1_small MiB
fig_row "conntrackd fw2 VmRSS, $SMALL (external cache)" ctd.rss_fw2_small MiB
if [ "$BIG" -gt "$SMALL" ]; then
	fig_row "syncd fw1 VmRSS, $BIG local" syncd.rss_fw1_big MiB 300
	fig_row "syncd fw1 RssAnon, $BIG local" syncd.anon_fw1_big MiB
	fig_row "syncd fw2 VmRSS, $BIG imported" syncd.rss_fw2_big MiB 300
	fig_row "syncd fw2 RssAnon, $BIG imported" syncd.anon_fw2_big MiB
	fig_row "conntrackd fw1 VmRSS, $BIG" ctd.rss_fw1_big MiB
	fig_row "conntrackd fw2 VmRSS, $BIG" ctd.rss_fw2_big MiB
fi
fig_row "syncd fw1 CPU during a $SMALL bulk" syncd.cpu_fw1_small s
fig_row "syncd fw2 CPU, start + $SMALL bulk" syncd.cpu_fw2_small s
say ""
say "   Churn: ct_driver churn on fw1 (CPU 0), creates and, once $CHURN_WINDOW are live, deletes of"
say "   the oldest, $CHURN_S s per rung; fw1's syncd pinned to CPU 1. Pass: rate kept (>= 95 %),"
say "   fw1's overrun counter unchanged, fw2 exactly fw1's entries within 10 s (\"match\" ms)."
say "        rate  achieved  cpu %  overruns   gaps  match ms  verdict"
printf '%s' "$CHURN_TABLE" | sed 's/^/   /'
table_head "churn (changes/s)"
fig_row_ge "syncd: highest rung passed" syncd.churn "/s" 50000
fig_row "syncd fw1 VmRSS after the ladder" syncd.rss_fw1_churn MiB
say ""
say "   Latency: $LAT_N single creates on fw1 at $LAT_RATE/s, each stamped when fw1's kernel"
say "   answered; fw2 stamps the NEW event of the same entry (ct_driver stamp)."
table_head "latency (ms)"
fig_row "syncd: event to peer kernel, p50" syncd.lat_p50 ms
fig_row "syncd: event to peer kernel, p99" syncd.lat_p99 ms 50
fig_row "syncd: max" syncd.lat_max ms
fig_row "syncd: creates never seen on fw2" syncd.lat_lost count
fig_row "conntrackd: event to peer kernel, p50" ctd.lat_p50 ms
fig_row "conntrackd: event to peer kernel, p99" ctd.lat_p99 ms
fig_row "conntrackd: max" ctd.lat_max ms
fig_row "conntrackd: creates never seen on fw2" ctd.lat_lost count
say ""
cmp_head
cmp_row "bulk $SMALL: to the peer's kernel (ms)" syncd.bulk_small ctd.bulk_small bulk_small 0.5
cmp_row "RSS fw2 at $SMALL (MiB)" syncd.rss_fw2_small ctd.rss_fw2_small rss_fw2_small
cmp_row "RSS fw1 at $SMALL (MiB)" syncd.rss_fw1_small ctd.rss_fw1_small rss_fw1_small
if [ "$BIG" -gt "$SMALL" ]; then
	cmp_row "bulk $BIG: to the peer's kernel (ms)" syncd.bulk_big ctd.bulk_big bulk_big
	cmp_row "RSS fw2 at $BIG (MiB)" syncd.rss_fw2_big ctd.rss_fw2_big rss_fw2_big
	cmp_row "RSS fw1 at $BIG (MiB)" syncd.rss_fw1_big ctd.rss_fw1_big rss_fw1_big
fi
cmp_row "latency p50 (ms)" syncd.lat_p50 ctd.lat_p50 lat_p50
cmp_row "latency p99 (ms)" syncd.lat_p99 ctd.lat_p99 lat_p99
flush_lines
exit 0
