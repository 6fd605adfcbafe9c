#!/bin/bash
# Run network-namespace tests (default: every tests/netns/test_*.sh), each
# RUNS times (default 1), each run bounded by LIMIT seconds (default 600):
# a hung test fails instead of hanging CI. Exit 77 from a run = skip.
# Prints "NAME: X of N passed (S s)" per test and a summary named SUITE
# (default netns); tests/fault/run.sh runs the fault suite through it.
# usage: tests/netns/run.sh BUILD_DIR [TEST...]
build=${1:-build}; shift
export BUILD=$build
cd "$(dirname "$0")/../.." || exit 1
suite=${SUITE:-netns}; runs=${RUNS:-1}; limit=${LIMIT:-600}
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(tests/netns/test_*.sh)
t0=$(date +%s)
pass=0; fail=0; skip=0; failed=""; summary=""; failures=""; kept=""
out=$(mktemp /tmp/carpsync-run.XXXXXX); trap 'rm -f "$out"' EXIT
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	ok=0; skipped=0; s0=$(date +%s)
	for r in $(seq 1 "$runs"); do
		[ "$runs" -gt 1 ] && echo "=== $t run $r of $runs" || echo "=== $t"
		timeout --signal=TERM --kill-after=10 "$limit" bash "$t" "$build" 2>&1 | tee "$out"
		case ${PIPESTATUS[0]} in
		0) ok=$((ok + 1)) ;;
		77) skipped=$((skipped + 1)) ;;
		*) echo "=== $name run $r of $runs FAILED"
		   # repeated at the end, where a truncated CI log still shows it
		   failures="$failures$(grep -E "FAIL - |SUMMARY: |logs kept" "$out" | head -n 20)"$'\n'
		   kept="$kept $(sed -n 's/.*: logs kept in \(\/tmp\/carpsync-test\.[A-Za-z0-9]*\)$/\1/p' "$out" | head -n 1)" ;;
		esac
	done
	line="$name: $ok of $runs passed"
	[ $skipped -gt 0 ] && line="$line, $skipped skipped"
	summary="$summary$line ($(( $(date +%s) - s0 )) s)"$'\n'
	if [ $skipped -eq "$runs" ]; then skip=$((skip + 1))
	elif [ $((ok + skipped)) -eq "$runs" ]; then pass=$((pass + 1))
	else fail=$((fail + 1)); failed="$failed $name"
	fi
done
[ "$runs" -gt 1 ] && printf '%s' "$summary"
echo "$suite: $pass passed, $fail failed, $skip skipped ($runs run(s) each, $(( $(date +%s) - t0 )) s)"
# the daemons' last words in each failed run, for a CI log that keeps
# only its tail (the directories themselves go with the CI machine)
tail_logs() {
	local d f
	for d in $kept; do
		for f in $(find "$d" -maxdepth 2 -name '*.log' 2>/dev/null | sort | head -n 8); do
			echo "--- ${f#/tmp/} (last 15 lines)"
			tail -n 15 "$f"
		done
	done
}
[ "$fail" -eq 0 ] || { tail_logs; printf '%s' "$failures"; echo "$suite: failed:$failed"; exit 1; }
