#!/bin/bash
# Timer fidelity (pfsync-conntrack.md 5.5 and 6, test 8): Linux sends no
# event when traffic renews a conntrack timer, so a live UDP flow is quiet
# after its first packets. With the periodic refresh its copy on fw2 stays
# while the flow lives on fw1, well past the UDP stream timeout, and goes
# when the flow ends there; with the refresh off the copy expires on fw2
# while the flow still runs (the test is sensitive). The UDP timeouts are
# shortened in both namespaces (stream 12 s) so that this takes seconds.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack CLI)"; exit 77; }
for b in "$SYNCD" "$CARPCTL"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built (make $b)"; exit 1; }
done

STREAM=12	# nf_conntrack_udp_timeout_stream, s
ns_add fw1 && ns_add fw2 && ns_add srv && sync_link || { fail "topology"; finish; exit; }
ip link add "$T_ID-u1" type veth peer name "$T_ID-u2"
ip link set "$T_ID-u1" netns "$(ns fw1)" name eth0
ip link set "$T_ID-u2" netns "$(ns srv)" name eth0
ip -n "$(ns fw1)" addr add 198.51.100.1/24 dev eth0
ip -n "$(ns srv)" addr add 198.51.100.100/24 dev eth0
ip -n "$(ns fw1)" link set eth0 up
ip -n "$(ns srv)" link set eth0 up
for n in fw1 fw2; do
	nsx $n sysctl -qw net.netfilter.nf_conntrack_udp_timeout=6
	nsx $n sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream=$STREAM
	# conntrack hooks registered (pfsync-conntrack.md 5.1)
	nsx $n nft -f - <<'NFT' || fail "nft ruleset on $n"
table inet fw {
	chain out { type filter hook output priority 0; ct state invalid drop; }
}
NFT
done

# A UDP flow from fw1 to srv, one datagram each way every 0.5 s while
# $T_DIR/flow exists.
cat > "$T_DIR/udp.py" <<'PY'
import os, socket, sys, time
if sys.argv[1] == "server":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 5353))
    while True:
        d, a = s.recvfrom(64)
        s.sendto(d, a)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 4444))
s.settimeout(0.4)
while os.path.exists(sys.argv[2]):
    s.sendto(b"x", ("198.51.100.100", 5353))
    try:
        s.recv(64)
    except socket.timeout:
        pass
    time.sleep(0.5)
PY
ip netns exec "$(ns srv)" python3 "$T_DIR/udp.py" server &
T_PIDS="$T_PIDS $!"

flow() { nsx "$1" conntrack -L -p udp --sport 4444 2>/dev/null | grep -q "dport=5353"; }
# holds_for NODE SECONDS: NODE holds the flow at every check, twice a second
holds_for() {
	local end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -lt "$end" ]; do
		flow "$1" || { note "$1 lost the flow at $(date +%T)"; return 1; }
		sleep 0.5
	done
}
# run REFRESH: syncd on both with that refresh; the flow starts
run() {
	write_syncd_conf fw1 1 "refresh $1" && write_syncd_conf fw2 2 "refresh $1" &&
	start_syncd fw1 && start_syncd fw2 || return 1
	touch "$T_DIR/flow"
	ip netns exec "$(ns fw1)" python3 "$T_DIR/udp.py" client "$T_DIR/flow" &
	CPID=$!
	T_PIDS="$T_PIDS $CPID"
	poll_for 5 flow fw2
}
end_run() {
	rm -f "$T_DIR/flow"
	wait "$CPID" 2>/dev/null
	stop_syncd fw1; stop_syncd fw2
	nsx fw1 conntrack -F >/dev/null 2>&1; nsx fw2 conntrack -F >/dev/null 2>&1
}

log "refresh 3 s: the flow runs $((3 * STREAM)) s (3 x the stream timeout)"
check "the flow reaches fw2" run 3
check "fw1 holds the flow all along" holds_for fw1 2
check "fw2 holds it all along, $((3 * STREAM)) s" holds_for fw2 $((3 * STREAM))
check "the refresh was what kept it (states refreshed > 0)" \
	eval '[ "$(sq fw1 .table.refreshed)" -gt 0 ]'
log "the flow stops: gone from fw1 within its timeout, then from fw2"
rm -f "$T_DIR/flow"; wait "$CPID" 2>/dev/null
t0=$(date +%s)
check "gone from fw1 within $STREAM + 2 s" poll_for $((STREAM + 2)) eval '! flow fw1'
check "gone from fw2 within 2 s of that" poll_for 2 eval '! flow fw2'
note "the copy on fw2 went $(( $(date +%s) - t0 )) s after the last packet"
end_run

log "refresh off: the same flow's copy expires on fw2 while it still runs"
check "the flow reaches fw2" run 0
check "fw2 loses the flow within $STREAM + 4 s" poll_for $((STREAM + 4)) eval '! flow fw2'
check "while fw1 still holds it" flow fw1
end_run
finish
