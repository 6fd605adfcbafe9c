#!/bin/bash
# `make demo` as a newcomer runs it, non-interactively: scripts/demo.sh
# must exit 0 and narrate what it checked (takeover, the stream's survival
# through both failovers, syncd's held demotion during fw1's bulk), and
# leave no namespace of its own behind.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack)"; exit 77; }
out=$T_DIR/demo.out
ip netns list | awk '/^csdemo/ { print $1 }' | sort >"$T_DIR/ns.before"
t0=$(date +%s)
timeout --kill-after=10 120 scripts/demo.sh "$BUILD" </dev/null >"$out" 2>&1
rc=$?
log "demo: exit $rc in $(( $(date +%s) - t0 )) s"
check "the demo exits 0" [ "$rc" = 0 ]
has() { grep -q -- "$1" "$out"; }
check "it shows carpctl status and carpctl sync status of both" eval \
	'[ "$(grep -c "# carpctl status" "$out")" -ge 2 ] && [ "$(grep -c "# carpctl sync status" "$out")" -ge 2 ]'
check "fw2 held a copy of the stream's entry before the crash" has "fw2's copy, written into its kernel"
check "it measures the failover's ping and TCP gaps" eval \
	'grep -q "ping: longest gap between two replies" "$out" && grep -q "TCP: longest wait for an echo" "$out"'
check "the stream survived both failovers" eval \
	'[ "$(grep -c "the TCP stream survived: same connection, no RST" "$out")" = 2 ]'
check "fw2 dropped nothing as invalid" has "fw2: [0-9]* packets forwarded as established, 0 dropped as invalid"
check "fw1's syncd held 32 during its bulk" has "connection-held demotion 0 -> 32"
check "fw1 took mastership back" has "BACKUP -> MASTER (preempt)"
check "no FAILED line" eval '! grep -q FAILED "$out"'
check "it says so" has "Everything happened as described"
check "no demo namespace left" eval \
	'ip netns list | awk "/^csdemo/ { print \$1 }" | sort | cmp -s - "$T_DIR/ns.before"'
[ "$T_FAIL" = 0 ] || { log "demo output:"; cat "$out"; }
finish
