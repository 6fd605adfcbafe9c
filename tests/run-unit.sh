#!/bin/sh
# Run every unit test binary (cmocka), sum their test cases, print one
# summary line; non-zero on any failure.
# usage: tests/run-unit.sh BUILD_DIR TEST...
build=$1; shift
pass=0; fail=0; failed=""
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "$@"; do
	"$build/tests/$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$out")
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		failed="$failed $t"
		# a crash reports no cmocka summary: count the binary as a failure
		[ -z "$f" ] && fail=$((fail + 1))
	fi
done
echo "unit: $pass passed, $fail failed"
[ -z "$failed" ] || { echo "unit: failed:$failed"; exit 1; }
