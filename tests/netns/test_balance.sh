#!/bin/bash
# Active/active balancing (carpd.conf(5) BALANCING, issue 6), two and then
# three firewalls between a client segment (br0, 192.0.2.0/24, VIP .254)
# and a server segment (br1, 198.51.100.0/24, VIP .254), no NAT:
#   client (192.0.2.100-.249 as sources) - br0 - fwK eth0 .K
#   fwK eth1 198.51.100.K - br1 - server 198.51.100.100
# Each firewall carries two balanced groups: `carpnodes 1:..,2:..[,3:..]`
# on eth0 (balance-side lan) and `carpnodes 11:..,12:..[,13:..]` on eth1
# (balance-side wan); fwK is the preferred master of node K of each.
# Asserted: the shared MAC in the client's and the server's neighbour
# tables; every flow (one ping per source address) answered and held in
# conntrack by exactly the firewall that owns its bucket (computed with
# carp_balance_bucket, build/tests/bal_hash); the spread within 60/40
# (2 nodes); when a firewall dies its buckets move to the survivors within
# the failover time and a flow of a survivor loses nothing; its return
# takes them back (preempt); carpctl status shows the buckets; with syncd
# and a strict ruleset, a TCP stream of the dead firewall carries on
# through the survivor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-balance.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
BAL_HASH=$BUILD/tests/bal_hash
need_root
[ -x "$BAL_HASH" ] || { echo "$T_NAME: SKIP (no $BAL_HASH: make $BAL_HASH)"; exit 77; }
LAN_MAC=01:00:5e:00:01:01	# balancing ip: the multicast shared MACs
WAN_MAC=01:00:5e:00:01:0b

# --- two firewalls ---------------------------------------------------------
log "two firewalls, carpnodes 1:0,2:50 (LAN) and 11:0,12:50 (WAN)"
topo 2 || { fail "topology"; finish; exit; }
for k in 1 2; do write_bal_conf 2 $k; done
check "the config parses (carpd -n)" "$CARPD" -n -f "$T_DIR/fw1/carpd.conf"
start_carpd fw1; start_carpd fw2
check "each firewall MASTER of its own nodes" poll_for 10 settled 2
check "fw1's status shows buckets 0 of LAN and WAN owned here" eval \
	'[ "$(ctl fw1 -j status | jq -r "[.vhosts[] | select(.balance != null and .state == \"MASTER\") | .balance.bucket] | sort | map(tostring) | join(\",\")")" = "0,0" ]'
check "the VIPs sit on both firewalls' carpdevs" eval \
	'has_vip fw1 192.0.2.254 && has_vip fw2 192.0.2.254 && has_vip fw1 198.51.100.254 && has_vip fw2 198.51.100.254'
check "no macvlan was made for a balanced group" eval '! ip -n "$(ns fw1)" -o link show type macvlan | grep -q .'

send_flows
check "the client knows the LAN VIP by the shared MAC $LAN_MAC" eval \
	'[ "$(neigh_mac client 192.0.2.254)" = "$LAN_MAC" ]'
check "the server knows the WAN VIP by $WAN_MAC" eval \
	'[ "$(ip -n "$(ns server)" neigh show 198.51.100.254 dev eth0 | awk "{ print \$3 }")" = "$WAN_MAC" ]'
check_ownership 2 "2 nodes"
check "spread within 60/40 (fw1 $share_1, fw2 $share_2 of $NSRC)" eval \
	'[ $((share_1 * 100)) -ge $((NSRC * 40)) ] && [ $((share_1 * 100)) -le $((NSRC * 60)) ]'
# carpd reads the table's counters at most once a second (a status of
# the polls above may have read them before the flows): poll
check "fw1 counts accepted frames on vhid 1" poll_for 3 eval \
	'[ "$(ctl fw1 -j status | jq ".vhosts[] | select(.vhid == 1) | .balance.accepted")" -gt 0 ]'
check "  and ignores fw2's (vhid 2)" poll_for 3 eval \
	'[ "$(ctl fw1 -j status | jq ".vhosts[] | select(.vhid == 2) | .balance.ignored")" -gt 0 ]'
check "fw1 answered ARP for the VIP" eval \
	'[ "$(ctl fw1 -j status | jq "[.vhosts[] | .balance.arp_replies // 0] | add")" -gt 0 ]'

# a flow of fw2 (the survivor) and one of fw1, both pinging every 10 ms
a1=""; a2=""
for i in $(seq 0 $((NSRC - 1))); do
	a=$(src_addr "$i"); o=$(owner_of "$a" 2)
	[ "$o" = 1 ] && [ -z "$a1" ] && a1=$a
	[ "$o" = 2 ] && [ -z "$a2" ] && a2=$a
done
log "fw1 dies (its links go silent, carpd is killed); probes: $a1 (fw1's), $a2 (fw2's)"
ip netns exec "$(ns client)" ping -D -i 0.01 -W 1 -w 12 -I "$a1" $SERVER >"$T_DIR/ping1" 2>&1 &
P1=$!; T_PIDS="$T_PIDS $P1"
ip netns exec "$(ns client)" ping -D -i 0.01 -W 1 -w 12 -I "$a2" $SERVER >"$T_DIR/ping2" 2>&1 &
P2=$!; T_PIDS="$T_PIDS $P2"
check "both probes answered before the death" poll_for 5 eval \
	'[ "$(grep -c "bytes from" "$T_DIR/ping1")" -ge 50 ] && [ "$(grep -c "bytes from" "$T_DIR/ping2")" -ge 50 ]'
t0=$(now_s)
silence_all fw1
kill -KILL "$(pid_of fw1)"
check "fw2 MASTER of every node" poll_for 6 eval '[ "$(masters_of fw2)" = "1 2 11 12" ]'
t1=$(now_s)
wait $P1 $P2
# the outage of fw1's flow: the longest silence between two replies from
# just before the death on (ping -D stamps each reply)
gap=$(awk -v t0="$t0" '/^\[/ { t = substr($1, 2, length($1) - 2) + 0
		if (t >= t0 - 0.1 && prev && t - prev > max) max = t - prev; prev = t; if (t > t0) after = 1 }
	END { if (!after) print "none"; else printf "%.0f", max * 1000 }' "$T_DIR/ping1")
md=$(awk 'BEGIN { printf "%.0f", (3 * 1 + 50 / 256) * 1000 }')	# fw2's master-down for vhid 1
log "  fw1's flow was out for $gap ms (fw2's master-down $md ms; MASTER at $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms by polling)"
check "  fw1's flow resumes through fw2" [ "$gap" != none ]
check "fw2's own flow lost nothing" eval \
	'grep -q " 0% packet loss" "$T_DIR/ping2"'
check "fw2 now holds fw1's flow in conntrack" eval 'ct_sources fw2 | grep -qx "$a1"'

log "fw1 returns (preempt yes): it takes its buckets back"
nsx fw1 nft delete table netdev carpsync_dead
start_carpd fw1
check "settled again: each MASTER of its own" poll_for 10 settled 2
ct_flush fw1; ct_flush fw2
send_flows
check_ownership 2 "after the return"

log "fw1 stops cleanly: its table goes with carpd"
stop_carpd fw1
check "no carpsync table left on fw1" eval '! nsx fw1 nft list tables | grep -q carpsync_'
check "no VIP left on fw1" eval '! has_vip fw1 192.0.2.254 && ! has_vip fw1 198.51.100.254'
stop_carpd fw2
for n in lan client server fw1 fw2; do ip netns del "$(ns $n)"; done
T_NS=""

# --- three firewalls -------------------------------------------------------
log "three firewalls, carpnodes 1..3 (LAN) and 11..13 (WAN), balancing ip-stealth"
topo 3 || { fail "topology (3)"; finish; exit; }
for k in 1 2 3; do write_bal_conf 3 $k ip-stealth; done
for k in 1 2 3; do start_carpd fw$k; done
check "3 nodes: each MASTER of its own" poll_for 10 settled 3
send_flows
check "ip-stealth: the client knows the VIP by the unicast 00:00:5e:00:01:01" eval \
	'[ "$(neigh_mac client 192.0.2.254)" = 00:00:5e:00:01:01 ]'
check "  which no frame carried as its source: the bridge never learnt it" eval \
	'[ -z "$(fdb_ports 00:00:5e:00:01:01)" ]'

check_ownership 3 "3 nodes"
check "each of the three carries 20-47 % ($share_1 $share_2 $share_3 of $NSRC)" eval \
	'( for s in $share_1 $share_2 $share_3; do [ $((s * 100)) -ge $((NSRC * 20)) ] && [ $((s * 100)) -le $((NSRC * 47)) ] || exit 1; done )'
log "fw2 dies: node 2 goes to fw3 (advskew 50), fw1 keeps node 1"
silence_all fw2
kill -KILL "$(pid_of fw2)"
check "fw3 takes node 2 on both sides" poll_for 6 eval '[ "$(masters_of fw3)" = "2 3 12 13" ]'
check "fw1 unchanged" eval '[ "$(masters_of fw1)" = "1 11" ]'
ct_flush fw1; ct_flush fw3
send_flows
for k in 1 3; do ct_sources "fw$k" >"$T_DIR/ct3.fw$k"; done
moved=0; wrong=0
for i in $(seq 0 $((NSRC - 1))); do
	a=$(src_addr "$i"); o=$(owner_of "$a" 3)
	[ "$o" = 2 ] && o=3
	grep -qx "$a" "$T_DIR/ct3.fw$o" || wrong=$((wrong + 1))
done
check "every flow of fw2's bucket now on fw3, the others where they were ($wrong wrong)" [ "$wrong" = 0 ]
for k in 1 3; do stop_carpd fw$k; done
for n in lan client server fw1 fw2 fw3; do ip netns del "$(ns $n)"; done
T_NS=""

# --- two firewalls with syncd ----------------------------------------------
log "two firewalls with syncd and a strict ruleset: a TCP stream of the dead node survives"
topo 2 && sync_link || { fail "topology (syncd)"; finish; exit; }
for k in 1 2; do
	write_bal_conf 2 $k
	# only a SYN opens a flow; anything else needs the state (synced or not)
	nsx fw$k sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	nsx fw$k nft flush chain inet fw forward
	nsx fw$k nft add rule inet fw forward ct state established,related accept
	nsx fw$k nft add rule inet fw forward ip protocol icmp accept
	nsx fw$k nft add rule inet fw forward tcp flags \& \(syn \| ack \| fin \| rst\) == syn ct state new accept
	write_syncd_conf fw$k $k
done
for k in 1 2; do start_carpd fw$k; done
for k in 1 2; do start_syncd fw$k || fail "syncd on fw$k starts"; done
check "settled with syncd (bulk done, demotion gone)" poll_for 20 settled 2
echo_tools
# (ip netns exec, not nsx: $! of a backgrounded function is a subshell)
ip netns exec "$(ns server)" python3 "$T_DIR/echo_server.py" 7000 &
T_PIDS="$T_PIDS $!"
src1=""
for i in $(seq 0 $((NSRC - 1))); do
	a=$(src_addr "$i")
	[ "$(owner_of "$a" 2)" = 1 ] && { src1=$a; break; }
done
check "the echo server listens" poll_for 5 eval 'nsx server ss -ltn | grep -q ":7000 "'
ip netns exec "$(ns client)" python3 "$T_DIR/echo_client.py" $SERVER 7000 14 "$T_DIR/stream.log" 0.05 "$src1" &
SPID=$!; T_PIDS="$T_PIDS $SPID"
check "a stream from $src1 (fw1's bucket) runs through fw1" poll_for 5 eval \
	'[ "$(grep -c ^echo "$T_DIR/stream.log")" -ge 20 ] && nsx fw1 conntrack -L -p tcp --dport 7000 2>/dev/null | grep -q "src=$src1"'
check "  and its state reached fw2" poll_for 5 eval 'nsx fw2 conntrack -L -p tcp --dport 7000 2>/dev/null | grep -q "src=$src1"'
silence_all fw1
kill -KILL "$(pid_of fw1)" "$(spid_of fw1)"
check "fw2 takes fw1's nodes" poll_for 6 eval '[ "$(masters_of fw2)" = "1 2 11 12" ]'
n0=$(grep -c ^echo "$T_DIR/stream.log")
check "the stream goes on through fw2, on the synced state" poll_for 6 eval \
	'[ "$(grep -c ^echo "$T_DIR/stream.log")" -ge $((n0 + 10)) ] &&
	 nsx fw2 conntrack -L -p tcp --dport 7000 2>/dev/null | grep "src=$src1" | grep -q ESTABLISHED'
wait $SPID; src=$?
end=$(grep "^END" "$T_DIR/stream.log")
log "  stream: $end (echoes, longest gap in s)"
check "the stream survived the death of its firewall (no reset, ran to its end)" eval \
	'[ "$src" = 0 ] && ! grep -q ^ERR "$T_DIR/stream.log"'
finish
