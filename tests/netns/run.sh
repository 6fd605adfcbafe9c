#!/bin/bash
# Run every network-namespace integration test; exit 77 from a test = skip.
# usage: tests/netns/run.sh BUILD_DIR [TEST...]
build=${1:-build}; shift
export BUILD=$build
cd "$(dirname "$0")/../.." || exit 1
tests=("$@")
[ ${#tests[@]} -eq 0 ] && tests=(tests/netns/test_*.sh)
pass=0; fail=0; skip=0; failed=""
for t in "${tests[@]}"; do
	echo "=== $t"
	# each test is bounded: a hung test fails instead of hanging CI
	timeout --signal=TERM --kill-after=10 600 bash "$t" "$build"
	rc=$?
	case $rc in
	0) pass=$((pass + 1)) ;;
	77) skip=$((skip + 1)) ;;
	*) fail=$((fail + 1)); failed="$failed $(basename "$t")" ;;
	esac
done
echo "netns: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || { echo "netns: failed:$failed"; exit 1; }
