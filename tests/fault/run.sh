#!/bin/bash
# Run the fault-injection scenarios (tests/fault/fault_*.sh), each FAULT_RUNS
# times (default 1), each run bounded by FAULT_TIMEOUT seconds (default 600):
# a hung run fails instead of hanging CI. Exit 77 from a run = skip.
# Prints "NAME: X of N passed (S s)" per scenario and the suite's time.
# usage: tests/fault/run.sh BUILD_DIR [SCENARIO...]
build=${1:-build}; shift
export BUILD=$build
cd "$(dirname "$0")/../.." || exit 1
runs=${FAULT_RUNS:-1}
limit=${FAULT_TIMEOUT:-600}
scenarios=("$@")
[ ${#scenarios[@]} -eq 0 ] && scenarios=(tests/fault/fault_*.sh)
t0=$(date +%s)
summary=""; bad=0
for t in "${scenarios[@]}"; do
	name=$(basename "$t" .sh)
	ok=0; skip=0; s0=$(date +%s)
	for r in $(seq 1 "$runs"); do
		echo "=== $name run $r of $runs"
		timeout --signal=TERM --kill-after=10 "$limit" bash "$t" "$build"
		case $? in
		0) ok=$((ok + 1)) ;;
		77) skip=$((skip + 1)) ;;
		*) echo "=== $name run $r of $runs FAILED" ;;
		esac
	done
	line="$name: $ok of $runs passed"
	[ $skip -gt 0 ] && line="$line, $skip skipped"
	line="$line ($(( $(date +%s) - s0 )) s)"
	echo "=== $line"
	summary="$summary$line"$'\n'
	[ $((ok + skip)) -eq "$runs" ] || bad=$((bad + 1))
done
echo "fault: summary, $runs run(s) each, $(( $(date +%s) - t0 )) s in all:"
printf '%s' "$summary"
[ "$bad" -eq 0 ] || { echo "fault: $bad scenario(s) failed at least once"; exit 1; }
