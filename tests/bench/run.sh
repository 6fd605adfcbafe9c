#!/bin/bash
# carpsync benchmark: prints figures, never fails on speed. Exits non-zero
# only when the bench itself could not run (not root, a tool missing, a
# section that could not set up or measure at all, interrupted).
#
# usage: tests/bench/run.sh BUILD_DIR
#   BENCH_RUNS=N         repetitions per case (default 10)
#   BENCH_CMP_RUNS=N     carpd/keepalived cycles of each (default 2 x BENCH_RUNS)
#   BENCH_ADVERTS=N      adverts timed per interval setting (default 100)
#   BENCH_CPU_SECONDS=S  CPU measurement window (default 60)
#   BENCH_SECTIONS="failover interval resources keepalived sync sync-failover ucarp balance defer"
#                        (a subset; sync and sync-failover: syncd against
#                        conntrackd, see bench_sync*.sh for their knobs;
#                        ucarp: carpd against Debian's ucarp, BENCH_RUNS cycles;
#                        balance: forwarding with and without the balancing
#                        match, BENCH_RUNS x 2 x 2 x BENCH_BAL_SECONDS (5) s,
#                        and BENCH_RUNS redistribution runs after a node failure;
#                        defer: syncd's first-packet hold, off and on,
#                        BENCH_RUNS x 3 x BENCH_DEFER_FLOWS (200) flows;
#                        not in the default list: balance-cost, where the
#                        balancing match's CPU goes, variant by variant
#                        (BENCH_SECTIONS=balance-cost make bench; 9 variants
#                        x (BENCH_RUNS + BENCH_COST_PERF_RUNS (3)) x
#                        (BENCH_COST_SECONDS (5) + ~2) s: ~15 min with the
#                        default 10 runs, ~9 with BENCH_RUNS=5))
#   KEEP_LOGS=1          keep each section's temp dir (daemon logs, captures)
#
# Each section is its own script with its own namespaces, run under a
# watchdog (timeout); every process and namespace is removed by the
# section's EXIT trap, also on Ctrl-C.
build=${1:-build}
cd "$(dirname "$0")/../.." || exit 1
export LC_ALL=C
export BENCH_RUNS=${BENCH_RUNS:-10}
export BENCH_CMP_RUNS=${BENCH_CMP_RUNS:-$((2 * BENCH_RUNS))}
export BENCH_ADVERTS=${BENCH_ADVERTS:-100}
export BENCH_CPU_SECONDS=${BENCH_CPU_SECONDS:-60}
sections=${BENCH_SECTIONS:-"failover interval resources keepalived sync sync-failover ucarp balance defer"}

die() { echo "bench: cannot run: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, nftables, tcpdump)"
case "$BENCH_RUNS$BENCH_CMP_RUNS$BENCH_ADVERTS$BENCH_CPU_SECONDS" in
*[!0-9]*) die "BENCH_RUNS, BENCH_CMP_RUNS, BENCH_ADVERTS and BENCH_CPU_SECONDS must be integers" ;;
esac
[ "$BENCH_RUNS" -gt 0 ] && [ "$BENCH_CMP_RUNS" -gt 0 ] || die "BENCH_RUNS and BENCH_CMP_RUNS must be > 0"
for t in ip nft tcpdump ping jq stdbuf timeout awk bridge getconf; do
	command -v $t >/dev/null || die "$t not found"
done
[ -x "$build/carpd" ] && [ -x "$build/carpctl" ] || die "$build/carpd or $build/carpctl missing (run make)"

# Watchdog per section, in seconds, from the work it has to do.
limit() {
	case $1 in
	failover) echo $((120 + 30 * BENCH_RUNS)) ;;
	interval) echo $((120 + BENCH_ADVERTS * 2)) ;;
	resources) echo $((120 + BENCH_CPU_SECONDS)) ;;
	keepalived) echo $((60 + 30 * BENCH_CMP_RUNS)) ;;
	# bulks bounded at 30 s (100 000) and 90 s (1 000 000) each, a ladder
	# that stops at its first failure: ~5 min normally, 25 at worst
	sync) echo 1500 ;;
	sync-failover) echo $((60 + 2 * 25 * BENCH_RUNS)) ;;
	# a carpd and a ucarp cycle, whole-second timers: ~35 s a run
	ucarp) echo $((120 + 45 * BENCH_RUNS)) ;;
	# UDP and TCP, off and on, BENCH_BAL_SECONDS each, plus iperf3's set-up;
	# then a redistribution run (~12 s: start, settle, kill, take-over)
	balance) echo $((90 + (4 * (${BENCH_BAL_SECONDS:-5} + 3) + 20) * BENCH_RUNS)) ;;
	# three syncd pairs started and 3 x 200 flows a run
	defer) echo $((60 + 20 * BENCH_RUNS)) ;;
	# the decision check (~30 s), 9 variants a run, then 9 a perf round
	balance-cost) echo $((120 + 9 * (${BENCH_COST_SECONDS:-5} + 4) * (BENCH_RUNS + ${BENCH_COST_PERF_RUNS:-3}))) ;;
	*) echo 0 ;;
	esac
}

summary=$(mktemp /tmp/carpsync-bench.XXXXXX)
export BENCH_SUMMARY=$summary
current=""
interrupted=0
on_signal() {
	interrupted=1
	# timeout forwards the TERM to the section's whole process group; the
	# section's EXIT trap then stops its daemons and deletes its namespaces
	[ -n "$current" ] && kill -TERM "$current" 2>/dev/null
}
trap on_signal INT TERM
trap 'rm -f "$summary"' EXIT

start=$EPOCHREALTIME
echo "carpsync bench - $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "  host: $(uname -sr), $(nproc) CPU(s), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "  carpd: $build/carpd; runs per case $BENCH_RUNS, carpd/keepalived cycles $BENCH_CMP_RUNS each,"
echo "  $BENCH_ADVERTS adverts per interval setting, CPU window $BENCH_CPU_SECONDS s."
echo "  This is a shared 2-core machine: figures are medians over runs, with min/max."
echo "  Summary lines: \"bench: NAME=VALUE UNIT\" (also collected at the end)."
echo ""

failed=""
for s in $sections; do
	lim=$(limit "$s")
	[ "$lim" -gt 0 ] && [ -f "tests/bench/bench_$s.sh" ] || { failed="$failed $s(unknown)"; continue; }
	echo "  .. section $s (watchdog ${lim} s)" >&2
	timeout --kill-after=30 "$lim" bash "tests/bench/bench_$s.sh" "$build" &
	current=$!
	rc=0
	wait "$current" || rc=$?
	# a signal interrupts wait: wait again until the section has cleaned up
	while kill -0 "$current" 2>/dev/null; do wait "$current"; rc=$?; done
	current=""
	[ "$interrupted" = 1 ] && { echo "bench: interrupted" >&2; exit 130; }
	case $rc in
	0) ;;
	124) failed="$failed $s(watchdog)"; echo "$s: stopped by the watchdog after ${lim} s" ;;
	*) failed="$failed $s(rc=$rc)" ;;
	esac
	echo ""
done

met=$(grep -c '\.met=1 ' "$summary")
missed=$(grep -c '\.met=0 ' "$summary")
echo "Summary: $met target(s) met, $missed missed; $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s in all."
if [ "$missed" -gt 0 ]; then
	echo "  missed: $(grep '\.met=0 ' "$summary" | sed 's/^bench: //; s/\.met=0 bool//' | tr '\n' ' ')"
fi
echo "All summary lines:"
cat "$summary"
if [ -n "$failed" ]; then
	echo "bench: sections that could not run completely:$failed"
	exit 1
fi
exit 0
