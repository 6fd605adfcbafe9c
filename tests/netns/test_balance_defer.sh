#!/bin/bash
# Active/active balancing with NAT (issue 6): carpd `balance-nat yes` and
# syncd `defer yes` together, as an operator runs them.
#
#   client (192.0.2.100-.139 as sources) - br0 - fwK eth0 .K
#   fwK eth1 198.51.100.K - br1 - server 198.51.100.100
#   fw1 sync0 203.0.113.1 <-> fw2 sync0 203.0.113.2
# Both firewalls balance the LAN VIP 192.0.2.254 (carpnodes 1:..,2:..,
# balance-side lan) and the WAN VIP 198.51.100.254 (11:..,12:.., wan) and
# SNAT the LAN to the WAN VIP. A flow's request is taken by the owner of
# its LAN bucket (client.server), its reply by the owner of the WAN
# bucket (VIP.server, the same for every flow here): for the flows whose
# two owners differ, the reply reaches a firewall that did not see the
# request. A flow is one UDP request from one source address and its
# echo, or one TCP connection that echoes 3,000 bytes; the forward chain
# is stateful (only a new connection from the LAN, then established
# traffic; invalid dropped and counted), so a TCP connection whose
# handshake one firewall saw only half of would die there.
# Asserted:
#   - carpd holds the balanced nodes in INIT until a syncd with defer is
#     connected, then each firewall is MASTER of its own nodes;
#   - every flow gets its reply, the asymmetric ones too (their count is
#     logged), and the requests' first packets were held until the other
#     firewall acknowledged their state;
#   - every TCP connection completes, the asymmetric ones too: the
#     firewall that passes the SYN-ACK of a peer's connection holds it
#     until the peer took the handshake state; no packet is invalid;
#   - the control: with syncd running without defer (and carpd told it
#     defers, so that it balances), the asymmetric flows lose their
#     replies while the symmetric ones do not (the test can fail).
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
SYNCD=$BUILD/syncd; BAL_HASH=$BUILD/tests/bal_hash; CTL_HOLD=$BUILD/tests/ctl_hold
need_root
for b in "$BAL_HASH" "$CTL_HOLD" "$SYNCD"; do
	[ -x "$b" ] || { echo "$T_NAME: SKIP (no $b)"; exit 77; }
done
command -v python3 >/dev/null || { echo "$T_NAME: SKIP (no python3)"; exit 77; }

SEED=0x63617270		# carpd.conf(5) balance-seed default
SERVER=198.51.100.100
WAN_VIP=198.51.100.254
NSRC=40
PORT=7001
src_addr() { echo "192.0.2.$((100 + $1))"; }

# client, server, fw1, fw2 on the two bridges, and the sync link (lib.sh
# topo_fw_pair), forwarding, the client's addresses. No ruleset yet: see
# rulesets below.
topo2() {
	local k i
	topo_fw_pair || return 1
	for k in 1 2; do nsx "fw$k" sysctl -qw net.ipv4.ip_forward=1; done
	# src_addr 0 is the client's own 192.0.2.100
	for i in $(seq 1 $((NSRC - 1))); do
		ip -n "$(ns client)" addr add "$(src_addr "$i")/24" dev eth0 || return 1
	done
}

# The firewalls' rulesets, loaded after syncd: on a kernel that cannot
# attach conntrack entries to queued packets (as here), syncd's queue
# chain must be registered before the namespace's conntrack hooks
# (syncd.conf(5) defer). Deleting them drops those hooks again.
rulesets_off() { local k; for k in 1 2; do nsx fw$k nft delete table ip fw 2>/dev/null; done; true; }
rulesets_on() {
	local k
	for k in 1 2; do
		nsx fw$k nft -f - <<'NFT' || return 1
table ip fw {
	counter invalid { }
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state invalid counter name "invalid" drop
		ct state established,related accept
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 ct state new accept
	}
	chain post {
		type nat hook postrouting priority srcnat;
		ip saddr 192.0.2.0/24 oifname "eth1" snat to 198.51.100.254
	}
}
NFT
	done
}

write_conf() {	# write_conf K: fwK prefers node K of both groups
	local k=$1 d="$T_DIR/fw$1" lan wan
	if [ "$k" = 1 ]; then lan="1:0,2:50"; wan="11:0,12:50"; else lan="1:50,2:0"; wan="11:50,12:0"; fi
	mkdir -p "$d/carpd.d"
	printf '%s\n' "control-socket \"$d/carpd.sock\"" "log-level debug" \
		"preempt yes" 'include "carpd.d/*.conf"' >"$d/carpd.conf"
	printf '%s\n' "carpnodes $lan" "balancing ip" "balance-side lan" \
		"balance-nat yes" "carpdev eth0" "address 192.0.2.254/24" \
		"advbase 1" 'pass "carpsync-test"' >"$d/carpd.d/lan.conf"
	printf '%s\n' "carpnodes $wan" "balancing ip" "balance-side wan" \
		"balance-nat yes" "carpdev eth1" "address $WAN_VIP/24" \
		"advbase 1" 'pass "carpsync-test"' >"$d/carpd.d/wan.conf"
}

masters_of() {
	ctl "$1" -j status | jq -r '[.vhosts[] | select(.state == "MASTER") | .vhid] | sort | map(tostring) | join(" ")'
}
settled() { [ "$(masters_of fw1)" = "1 11" ] && [ "$(masters_of fw2)" = "2 12" ]; }
all_init() { [ -z "$(masters_of fw1)" ] && [ -z "$(masters_of fw2)" ]; }

lan_owner() { echo $(( $("$BAL_HASH" bucket -n 2 -s $SEED "$1" $SERVER) + 1 )); }
# the reply, server -> WAN VIP, hashed in the WAN order
WAN_OWNER=$(( $("$BAL_HASH" bucket -w -n 2 -s $SEED $SERVER $WAN_VIP) + 1 ))

flows() {	# flows OUT [tcp]: every source's result, then counts per kind
	local srcs="" i a cmd=udp-from port=$PORT
	[ "${2:-}" = tcp ] && { cmd=tcp-from; port=$((PORT + 1)); }
	for i in $(seq 0 $((NSRC - 1))); do srcs="$srcs $(src_addr "$i")"; done
	# shellcheck disable=SC2086
	nsx client timeout 90 python3 "$FLOW" $cmd $SERVER $port $srcs >"$1"
	sym_ok=0; sym_lost=0; asym_ok=0; asym_lost=0
	while read -r a r; do
		if [ "$(lan_owner "$a")" = "$WAN_OWNER" ]; then
			[ "$r" = ok ] && sym_ok=$((sym_ok + 1)) || sym_lost=$((sym_lost + 1))
		else
			[ "$r" = ok ] && asym_ok=$((asym_ok + 1)) || asym_lost=$((asym_lost + 1))
		fi
	done <"$1"
}
dq() { "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status | jq -r ".defer.$2"; }

topo2 || { fail "topology"; finish; exit; }
FLOW=$(cd "$(dirname "$0")" && pwd)/flow_tool.py
echo_tools
ip netns exec "$(ns server)" timeout 180 python3 "$FLOW" udp-echo $PORT &
T_PIDS="$T_PIDS $!"
ip netns exec "$(ns server)" timeout 180 python3 "$T_DIR/echo_server.py" $((PORT + 1)) &
T_PIDS="$T_PIDS $!"
invalid() { nsx "$1" nft -j list counter ip fw invalid | jq -r '.nftables[] | select(.counter) | .counter.packets'; }
write_conf 1; write_conf 2
write_syncd_conf fw1 1 "defer yes" && write_syncd_conf fw2 2 "defer yes" ||
	{ fail "syncd configs"; finish; exit; }

check "syncd starts on fw1 (defer yes)" start_syncd fw1
check "syncd starts on fw2 (defer yes)" start_syncd fw2
check "the rulesets (forward, SNAT) load" rulesets_on
start_carpd fw1; start_carpd fw2
check "with a deferring syncd connected, each firewall is MASTER of its own nodes" \
	poll_for 15 settled
check "fw1's status: balance-nat, not held" eval \
	'[ "$(ctl fw1 -j status | jq -r "[.vhosts[] | select(.vhid == 1) | .balance | \"\(.nat) \(.held)\"] | .[0]")" = "true none" ]'
log "the replies' WAN bucket belongs to fw$WAN_OWNER"

flows "$T_DIR/flows.defer"
log "defer: symmetric $sym_ok ok / $sym_lost lost, asymmetric $asym_ok ok / $asym_lost lost"
check "there are asymmetric flows to prove anything ($asym_ok + $asym_lost)" \
	[ $((asym_ok + asym_lost)) -ge $((NSRC / 5)) ]
check "with defer every flow gets its reply, the asymmetric ones too" \
	[ $((sym_lost + asym_lost)) = 0 ]
h1=$(dq fw1 held); h2=$(dq fw2 held); a1=$(dq fw1 acked); a2=$(dq fw2 acked)
check "each request's first packet was held until the peer's ack ($h1 + $h2 held, $a1 + $a2 acked)" \
	[ $((h1 + h2)) -ge "$NSRC" -a $((a1 + a2)) -ge $((NSRC * 3 / 4)) ]
t1=$(dq fw1 timeout); t2=$(dq fw2 timeout)
check "every hold was released once, by an ack or its 20 ms ($t1 + $t2 ran out)" \
	[ $((a1 + a2 + t1 + t2)) = $((h1 + h2)) ]
note "balancing + NAT + defer: $((sym_ok + asym_ok))/$NSRC flows answered," \
	"$((asym_ok + asym_lost)) of them asymmetric; holds $((h1 + h2))," \
	"mean $(( ($(dq fw1 ack_us_sum) + $(dq fw2 ack_us_sum)) / (a1 + a2 > 0 ? a1 + a2 : 1) )) us"

tmo_before=$(( $(dq fw1 timeout) + $(dq fw2 timeout) ))
flows "$T_DIR/tcp.defer" tcp
tmo_tcp=$(( $(dq fw1 timeout) + $(dq fw2 timeout) - tmo_before ))
log "defer, TCP: symmetric $sym_ok ok / $sym_lost lost, asymmetric $asym_ok ok / $asym_lost lost"
check "with defer every TCP connection completes, the asymmetric ones too" \
	[ $((sym_lost + asym_lost)) = 0 ]
# A client segment is invalid only where its SYN-ACK was let go before
# the creator took the handshake: a hold that ran out (slow daemons, as
# under ASan, can make an ack later than 20 ms). None without one.
inv=$(( $(invalid fw1) + $(invalid fw2) ))
if [ "$T_SAN_BUILD" = 1 ]; then
	# sanitized syncd answers slower than a segment crosses a namespace
	note "TCP phase under sanitizers: $inv invalid, $tmo_tcp holds ran out (not judged)"
else
	check "no packet invalid unless a hold ran out ($inv invalid, $tmo_tcp holds ran out)" \
		[ "$inv" = 0 -o "$tmo_tcp" -gt 0 ]
fi
note "balancing + NAT + defer, TCP: $((sym_ok + asym_ok))/$NSRC connections" \
	"completed, $((asym_ok + asym_lost)) asymmetric"

# the control: syncd without defer; a stand-in tells carpd it defers
log "control: syncd with defer no"
"$CTL_HOLD" -c "$T_DIR/fw1/carpd.sock" >/dev/null 2>&1 &
H1=$!; T_PIDS="$T_PIDS $H1"
"$CTL_HOLD" -c "$T_DIR/fw2/carpd.sock" >/dev/null 2>&1 &
H2=$!; T_PIDS="$T_PIDS $H2"
stop_syncd fw1; stop_syncd fw2
write_syncd_conf fw1 1 "defer no" && write_syncd_conf fw2 2 "defer no"
check "syncd starts on fw1 (defer no)" start_syncd fw1
check "syncd starts on fw2 (defer no)" start_syncd fw2
check "the firewalls still balance (the stand-ins' caps)" poll_for 15 settled
nsx fw1 conntrack -F >/dev/null 2>&1; nsx fw2 conntrack -F >/dev/null 2>&1
flows "$T_DIR/flows.nodefer"
log "no defer: symmetric $sym_ok ok / $sym_lost lost, asymmetric $asym_ok ok / $asym_lost lost"
check "without defer the asymmetric flows lose their replies ($asym_lost of $((asym_ok + asym_lost)))" \
	[ $((asym_lost * 2)) -ge $((asym_ok + asym_lost)) ]
check "  while the symmetric ones keep theirs ($sym_ok of $((sym_ok + sym_lost)))" \
	[ "$sym_lost" = 0 ]
flows "$T_DIR/tcp.nodefer" tcp
log "no defer, TCP: symmetric $sym_ok ok / $sym_lost lost, asymmetric $asym_ok ok / $asym_lost lost"
check "without defer the asymmetric TCP connections fail ($asym_lost of $((asym_ok + asym_lost)))" \
	[ $((asym_lost * 2)) -ge $((asym_ok + asym_lost)) ]
check "  while the symmetric ones complete ($sym_ok of $((sym_ok + sym_lost)))" \
	[ "$sym_lost" = 0 ]
note "control without defer: $asym_lost of $((asym_ok + asym_lost)) asymmetric flows lost"

kill "$H1" "$H2" 2>/dev/null
check "without any deferring syncd, carpd holds every balanced node in INIT" \
	poll_for 5 all_init
rulesets_off
finish
