#!/bin/sh
# Run every unit test binary; print one summary line; non-zero on any failure.
# usage: tests/run-unit.sh BUILD_DIR TEST...
build=$1; shift
pass=0; fail=0; failed=""
for t in "$@"; do
	if "$build/tests/$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed="$failed $t"
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "unit: failed:$failed"; exit 1; }
