#!/bin/bash
# What the LAN sees over repeated handovers (10 x carpctl demote up and
# down): the bridge learns the vMAC on exactly one port, the master's; ARP
# and ND for the VIPs are only ever answered with the vMAC, never with a
# firewall's own MAC; a ping every 50 ms gets duplicate replies ("DUP!") only within
# one advert interval of a handover, and its replies come from the master.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }

VIP=192.0.2.254
VIP6=2001:db8::fe
VMAC=00:00:5e:00:01:01
ROUNDS=5
SLACK=0.234	# one interval of the slower node (advbase 0, advskew 60)
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24 $VIP6/64" "preempt yes"
write_conf fw2 1 0 60 "$VIP/24 $VIP6/64" "preempt yes"
MAC1=$(mac_of fw1); MAC2=$(mac_of fw2)
log "fw1 is $MAC1, fw2 is $MAC2"
start_carpd fw1; start_carpd fw2
check "fw1 MASTER" poll_for 5 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 2 is_state fw2 1 BACKUP

# Seen from the client: every ARP and ICMP frame, and a ping every 50 ms.
capture_start lan client eth0 "$T_DIR/client.pcap" 'arp or icmp or icmp6'
ip netns exec "$(ns client)" ping -D -n -i 0.05 -W 1 $VIP >"$T_DIR/ping.log" 2>&1 &
pingpid=$!; T_PIDS="$T_PIDS $pingpid"
check "ping gets replies" poll_for 3 grep -q "bytes from $VIP" "$T_DIR/ping.log"

on_port() { fdb_only_on $VMAC "$1"; }	# the vMAC learned there and nowhere else
arp_again() {	# forget the VIPs' neighbour entries, resolve again, want the vMAC
	local a
	for a in $VIP $VIP6; do
		ip -n "$(ns client)" neigh del $a dev eth0 2>/dev/null
		nsx client ping -c 1 -W 1 $a >/dev/null 2>&1
		[ "$(neigh_mac client $a)" = $VMAC ] || return 1
	done
}
handover() {	# handover FROM TO DELTA: carpctl demote carp DELTA on fw1; log the window
	local t0 t1
	t0=$(now_s)
	ctl fw1 demote carp "$3" || return 1
	poll_for 3 eval "is_state $2 1 MASTER && is_state $1 1 BACKUP" || return 1
	t1=$(now_s)
	echo "$t0 $t1 $2" >>"$T_DIR/windows"
}

check "the vMAC is on fw1's port only" poll_for 2 on_port p-fw1
check "the client resolves the VIP to the vMAC" poll_for 2 arp_again
: >"$T_DIR/windows"
for r in $(seq 1 $ROUNDS); do
	check "round $r: fw1 -> fw2" handover fw1 fw2 10
	check "round $r: the vMAC moves to fw2's port, on it only" poll_for 2 on_port p-fw2
	check "round $r: ARP and ND for the VIPs answered with the vMAC" poll_for 2 arp_again
	check "round $r: fw2 -> fw1 (undemote)" handover fw2 fw1 -10
	check "round $r: the vMAC back on fw1's port only" poll_for 2 on_port p-fw1
	check "round $r: ARP and ND for the VIPs answered with the vMAC" poll_for 2 arp_again
done
# 40 more pings after the last handover, then stop
n=$(grep -c "bytes from" "$T_DIR/ping.log")
poll_for 5 eval '[ "$(grep -c "bytes from" "$T_DIR/ping.log")" -ge $((n + 40)) ]'
kill -TERM $pingpid; wait $pingpid 2>/dev/null
capture_stop lan

# Which node is MASTER at wall-clock time T, or "-" within SLACK of a
# handover (windows: start end new-master).
cat >"$T_DIR/master_at.awk" <<'AWK'
BEGIN { n = 0 }
FNR == NR { s[n] = $1; e[n] = $2; who[n++] = $3; next }
function master_at(t,   i, m) {
	m = "fw1"
	for (i = 0; i < n; i++) {
		if (t >= s[i] - 0.05 && t <= e[i] + slack)
			return "-"
		if (t > e[i])
			m = who[i]
	}
	return m
}
AWK

# DUP! lines outside every handover window
echo '{ if (master_at($1) != "-") k++ } END { print k + 0 }' >"$T_DIR/dups.awk"
outside=$(grep "DUP!" "$T_DIR/ping.log" | tr -d '[]' |
	awk -v slack=$SLACK -f "$T_DIR/master_at.awk" -f "$T_DIR/dups.awk" "$T_DIR/windows" -)
dups=$(grep -c "DUP!" "$T_DIR/ping.log")
# requests answered at least once, and the last request answered
seqs=$(grep "bytes from" "$T_DIR/ping.log" | grep -v "DUP!" | sed -n 's/.*icmp_seq=\([0-9]*\).*/\1/p' | sort -un)
answered=$(echo "$seqs" | wc -l); last=$(echo "$seqs" | tail -1)
log "ping: $answered of $last requests answered, $dups DUP! in all, $outside outside the handovers"
# the run's length varies with the machine: at least the 40 requests after
# the last handover, plus some during the rounds
check "ping got replies all along ($answered)" [ "$answered" -ge $((40 + 2 * ROUNDS)) ]
check "at most one request lost per handover ($((last - answered)) lost)" [ $((last - answered)) -le $((2 * ROUNDS)) ]
check "no duplicate reply outside a handover" [ "$outside" = 0 ]

TS="tshark -r $T_DIR/client.pcap"
arps=$($TS -Y "arp.opcode == 2 && arp.src.proto_ipv4 == $VIP" 2>/dev/null | wc -l)
check "ARP replies for the VIP captured ($arps)" [ "$arps" -ge $((2 * ROUNDS)) ]
bad=$($TS -Y "arp && arp.src.proto_ipv4 == $VIP && (arp.src.hw_mac != $VMAC || eth.src != $VMAC)" 2>/dev/null | wc -l)
check "every ARP frame for the VIP has the vMAC as sender and source" [ "$bad" = 0 ]
check "no ARP ever carries a firewall's own MAC for the VIP" \
	[ "$($TS -Y "arp.src.proto_ipv4 == $VIP && (arp.src.hw_mac == $MAC1 || arp.src.hw_mac == $MAC2)" 2>/dev/null | wc -l)" = 0 ]
nas=$($TS -Y "icmpv6.type == 136 && icmpv6.nd.na.target_address == $VIP6" 2>/dev/null | wc -l)
check "neighbour advertisements for the IPv6 VIP captured ($nas)" [ "$nas" -ge $((2 * ROUNDS)) ]
bad=$($TS -Y "icmpv6.type == 136 && icmpv6.nd.na.target_address == $VIP6 &&
	(eth.src != $VMAC || (icmpv6.opt.linkaddr && icmpv6.opt.linkaddr != $VMAC))" 2>/dev/null | wc -l)
check "every NA for the IPv6 VIP comes from and names the vMAC" [ "$bad" = 0 ]
garps=$($TS -Y "arp.opcode == 1 && arp.src.proto_ipv4 == $VIP && arp.dst.proto_ipv4 == $VIP" 2>/dev/null | wc -l)
check "gratuitous ARP at each takeover ($garps)" [ "$garps" -ge $((2 * ROUNDS)) ]

# Echo replies outside the windows come from the master of the moment:
# its own MAC (the reply leaves by the parent's route) or the vMAC.
$TS -Y "icmp.type == 0 && ip.src == $VIP" -T fields -e frame.time_epoch -e eth.src \
	2>/dev/null >"$T_DIR/replies"
cat >"$T_DIR/replies.awk" <<'AWK'
{ m = master_at($1); if (m == "-") next
  if ($2 != vmac && $2 != (m == "fw1" ? m1 : m2)) { k++; print "wrong source", $0 >"/dev/stderr" } }
END { print k + 0 }
AWK
wrong=$(awk -v slack=$SLACK -v m1=$MAC1 -v m2=$MAC2 -v vmac=$VMAC -f "$T_DIR/master_at.awk" \
	-f "$T_DIR/replies.awk" "$T_DIR/windows" "$T_DIR/replies")
check "echo replies captured ($(wc -l <"$T_DIR/replies")), one per answered request at least" \
	[ "$(wc -l <"$T_DIR/replies")" -ge "$answered" ]
check "outside the handovers, every echo reply comes from the master ($wrong wrong)" [ "$wrong" = 0 ]

if command -v arping >/dev/null; then
	out=$(nsx client arping -c 3 -w 3 -I eth0 $VIP 2>&1)
	check "arping: answered, only by the vMAC" eval 'echo "$out" | grep -qi "${VMAC}" &&
		! echo "$out" | grep -qi -e "$MAC1" -e "$MAC2"'
else
	log "arping not installed (Debian iputils-arping): ARP checked with ip neigh and the capture"
fi
finish
