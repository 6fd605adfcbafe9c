#!/bin/bash
# syncd `defer yes` (pfsync-conntrack.md 1.9, acceptance item 10): the
# first packet of a new flow leaves only once the peer holds its state,
# so that a reply coming back through the other firewall finds it, NAT
# binding included; with the peer gone, flows still open after 20 ms.
#
# topo_fw_pair (client - LAN - fw1/fw2 - WAN - server, sync link). The
# path is asymmetric, as balancing with NAT makes it: the client's gateway
# 192.0.2.254 is on fw1 only, both firewalls SNAT the LAN to
# 198.51.100.254, and that address is on fw2 only, so every reply comes
# back through fw2. No carpd: syncd alone carries its flows.
# A flow is one UDP request from a fresh source port and its echo.
#   1. defer yes on both: every flow gets its reply; fw1 held each first
#      packet and a peer's INS_ACK released it (no timeout); in a capture
#      on fw1 (all its interfaces, decoded with scripts/carpsync-sync.lua)
#      each request leaves for the server only after fw2's INS_ACK came
#      in, and after the request came in from the client; the held time
#      (median RTT) is logged.
#   2. defer no: the reply beats the INS to fw2, so flows fail (the test
#      can fail).
#   3. defer yes with fw2's syncd stopped: requests still reach the server,
#      each after the 20 ms hold (timeout counter).
#   4. syncd stops cleanly: its table inet carpsync_syncd is gone.
# With DEFER_VALGRIND=1 (test_sync_defer_valgrind.sh) every syncd runs
# under valgrind: then only the timing-bound checks relax (a first packet
# may outwait its 20 ms hold there), and valgrind must report no error
# and no leak.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
for t in python3 jq; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
for b in "$SYNCD" "$CARPCTL"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done
N=20
VG_ON=${DEFER_VALGRIND:-0}
if [ "$VG_ON" = 1 ]; then
	skip_under_san "valgrind cannot run ASan binaries; the plain run covers it"
	command -v valgrind >/dev/null || { echo "$T_NAME: SKIP (no valgrind)"; exit 77; }
	SYNCD_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --suppressions=$(cd "$(dirname "$0")/../.." && pwd)/tests/valgrind-libnftables.supp --log-file=$T_DIR/valgrind.%p.log"
fi
# how many of N must come through in time: most (a loaded machine, or
# valgrind, may make a peer's ack later than the 20 ms hold; a timing
# goal is the bench's: BENCH_SECTIONS=defer)
enough() { echo $((N * 3 / 4)); }
PORT=7001

topo_fw_pair || { fail "topology"; finish; exit; }
ip -n "$(ns fw1)" addr add 192.0.2.254/24 dev eth0
ip -n "$(ns fw2)" addr add 198.51.100.254/24 dev eth1
nsx fw1 sysctl -qw net.ipv4.ip_forward=1
nsx fw2 sysctl -qw net.ipv4.ip_forward=1
# The NAT ruleset goes in after syncd started: on a kernel that cannot
# attach conntrack entries to queued packets (no NETLINK_GLUE_CT, as here)
# syncd finds them by lookup, which needs its queue chain to run after
# the conntrack confirm, and the kernel orders same-priority hooks by
# registration (syncd.conf(5) defer). Deleting the table first drops the
# namespace's conntrack hooks, so a restarted syncd registers first again.
nat_off() { nsx "$1" nft delete table ip nat 2>/dev/null; true; }
nat_on() {
	nsx "$1" nft -f - <<'NFT'
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		ip saddr 192.0.2.0/24 oifname "eth1" snat to 198.51.100.254
	}
}
NFT
}
start_pair() {	# start_pair NODE...: syncd on each, then the NAT rulesets
	local n
	for n in fw1 fw2; do nat_off $n; done
	for n in "$@"; do check "syncd starts on $n ($(grep -o 'defer [a-z]*' "$T_DIR/$n/syncd.conf"))" start_syncd $n; done
	for n in fw1 fw2; do nat_on $n || fail "$n NAT ruleset"; done
}

FLOW=$(cd "$(dirname "$0")" && pwd)/flow_tool.py
ip netns exec "$(ns server)" timeout 120 python3 "$FLOW" udp-echo $PORT "$T_DIR/server.log" &
T_PIDS="$T_PIDS $!"

flows() {	# flows FIRST_SPORT -> prints the client's two lines
	nsx client timeout 60 python3 "$FLOW" udp-ports 198.51.100.100 $PORT $N "$1"
}
dq() { sq "$1" ".defer.$2"; }
got_at_server() { grep -c "flow$1" "$T_DIR/server.log" 2>/dev/null; }

write_syncd_conf fw1 1 "defer yes" && write_syncd_conf fw2 2 "defer yes" ||
	{ fail "syncd configs"; finish; exit; }
start_pair fw1 fw2
check "fw1 reports defer on" eval '[ "$(dq fw1 on)" = true ]'
log "fw1's queue rule: $(dq fw1 rule) (xt: the kernel has no nft queue expression)"
check "fw1 has its table inet carpsync_syncd" nsx fw1 nft list table inet carpsync_syncd
check "the peers hear each other" poll_for 10 eval \
	'[ "$(sq fw1 ".peers | length")" -ge 1 ] && [ "$(sq fw2 ".peers | length")" -ge 1 ]'

# 1. defer on both
LUA=$(cd "$(dirname "$0")/../.." && pwd)/scripts/carpsync-sync.lua
have_tshark=0
command -v tshark >/dev/null && [ "$VG_ON" != 1 ] && have_tshark=1
[ $have_tshark = 1 ] && capture_start fw1 fw1 any "$T_DIR/fw1.pcap" 'udp port 7001 or ip proto 240'
out=$(flows 41000)
[ $have_tshark = 1 ] && capture_stop fw1
replies=$(awk '/^replies/ { print $2 }' <<<"$out")
rtt=$(awk '/^rtt_ms_median/ { print $2 }' <<<"$out")
check "defer: the asymmetric NAT flows get their reply ($replies of $N)" \
	[ "${replies:-0}" -ge "$(enough)" ]
check "fw1 held each first packet ($(dq fw1 held) held)" \
	eval '[ "$(dq fw1 held)" -ge '$N' ]'
check "every hold ended with fw2's INS_ACK ($(dq fw1 acked) acked, $(dq fw1 timeout) timed out)" \
	eval '[ "$(dq fw1 acked)" -ge '"$(enough)"' ] && [ "$(dq fw1 acked)" -eq $(( N - $(dq fw1 timeout) )) ]'
fw2_flows() {
	nsx fw2 conntrack -L -p udp --orig-port-dst $PORT 2>/dev/null |
		grep -c "sport=$1"
}
check "fw2's kernel holds the flows, with their SNAT" \
	eval '[ "$(nsx fw2 conntrack -L -p udp --orig-port-dst $PORT --src-nat 2>/dev/null | grep -c "sport=410")" -ge 10 ]'
# the order on fw1: "in PORT" (from the client), "ack" (fw2's INS_ACK),
# "out PORT" (to the server, after SNAT); each out must follow its in
# and an ack that came after that in
order_ok() {
	tshark -X "lua_script:$LUA" -r "$T_DIR/fw1.pcap" -T fields \
		-e frame.time_epoch -e ip.src -e udp.srcport -e udp.dstport -e carpsync.action 2>/dev/null |
	awk -F'\t' '
		$2 == "192.0.2.100" && $4 == 7001 { t_in[$3] = $1; last_in = $1; next }
		$2 == "203.0.113.2" && $5 ~ /(^|,)2(,|$)/ { acks[++na] = $1; next }
		$2 == "198.51.100.254" && $4 == 7001 {
			p = $3; n++; ok = 0
			for (i = 1; i <= na; i++) if (acks[i] > t_in[p] && acks[i] < $1) ok = 1
			if (t_in[p] != "" && ok) good++
		}
		END { printf "%d %d\n", good, n; exit !(n == '$N' && good == n) }'
}
if [ $have_tshark = 1 ]; then
	check "capture: each of the $N requests left fw1 only after fw2's INS_ACK ($(order_ok) in order)" order_ok
fi
acked=$(dq fw1 acked); sum=$(dq fw1 ack_us_sum)
note "defer: $replies/$N flows answered, client RTT median $rtt ms," \
	"mean hold $(( ${sum:-0} / (${acked:-1} > 0 ? ${acked:-1} : 1) )) us," \
	"max $(dq fw1 ack_us_max) us"

# 2. defer off: the reply reaches fw2 before the state does
stop_syncd fw1 && stop_syncd fw2
check "a clean stop removes fw1's defer table" \
	eval '! nsx fw1 nft list table inet carpsync_syncd >/dev/null 2>&1'
write_syncd_conf fw1 1 "defer no" && write_syncd_conf fw2 2 "defer no"
start_pair fw1 fw2
poll_for 10 eval '[ "$(sq fw1 ".peers | length")" -ge 1 ]'
out=$(flows 42000)
nodefer=$(awk '/^replies/ { print $2 }' <<<"$out")
check "without defer most flows lose their reply ($nodefer of $N answered)" \
	[ "${nodefer:-$N}" -le $((N / 2)) ]
note "defer no: $nodefer/$N flows answered"

# 3. defer with the peer down: the 20 ms timeout lets every flow out
stop_syncd fw1 && stop_syncd fw2
write_syncd_conf fw1 1 "defer yes"
start_pair fw1
before=$(got_at_server 43)
out=$(flows 43000)
check "with no peer, every request still reaches the server" \
	poll_for 5 eval '[ "$(got_at_server 43)" -ge $(( ${before:-0} + N )) ]'
check "... each after the hold timed out ($(dq fw1 timeout) timeouts)" \
	eval '[ "$(dq fw1 timeout)" -ge '$N' ] && [ "$(dq fw1 acked)" -eq 0 ]'
stop_syncd fw1
check "syncd exits 0" [ "$(eval echo "\$SRC_fw1")" = 0 ]
check "its table is gone" \
	eval '! nsx fw1 nft list table inet carpsync_syncd >/dev/null 2>&1'
if [ "$VG_ON" = 1 ]; then
	vg_bad() { grep -L "ERROR SUMMARY: 0 errors" "$T_DIR"/valgrind.*.log; }
	check "valgrind: every syncd run ($(ls "$T_DIR"/valgrind.*.log | wc -l)) had 0 errors and 0 leaks" \
		eval '[ -z "$(vg_bad)" ] && ls "$T_DIR"/valgrind.*.log >/dev/null'
fi
finish
