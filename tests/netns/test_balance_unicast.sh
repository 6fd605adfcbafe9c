#!/bin/bash
# Active/active balancing with `balancing ip-unicast` (carpd.conf(5)
# BALANCING): two firewalls on a hub, topology of lib-balance.sh
# (client - br0 - fw1/fw2 - br1 - server), LAN group carpnodes 1,2 and WAN
# group 11,12, both ip-unicast. The shared MAC is the unicast
# 00:00:5e:00:01:LEADER, and unlike ip-stealth carpd uses it as the
# Ethernet source of its ARP replies (carp_balance.c arp_build_reply): a
# learning switch learns it on one port and delivers the frames to that
# firewall alone, so ip-unicast needs a segment that gives every frame to
# every port (OpenBSD: a hub, a switch's monitor port).
#
# The hub: both bridges with ageing_time 0. The kernel's learning
# (br_fdb_update) returns at once when the bridge's hold time is 0 ("some
# users want to always flood"), so no address is ever learnt and every
# unicast frame to a non-local MAC is flooded to every port. Per-port
# `learning off` would do the same port by port; ageing_time 0 is one
# setting for the whole bridge.
#
# Asserted: the client and the server know the VIPs by 00:00:5e:00:01:01
# and :0b; the client's capture shows carpd's ARP replies for the VIP
# with that Ethernet source, and none from a firewall's own MAC; the hub
# learnt nothing; every flow from 150 client addresses held in conntrack
# by exactly the firewall owning its bucket, the spread within 60/40;
# when fw1 dies (silenced, carpd SIGKILLed) fw2 takes its nodes and every
# flow, a probe of fw1's bucket resumes; then, fw1 back, with learning on
# (an ordinary switch) the bridge learns the shared MAC on one firewall's
# port: the entry that keeps the other firewall from its frames.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-balance.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
BAL_HASH=$BUILD/tests/bal_hash
need_root
[ -x "$BAL_HASH" ] || { echo "$T_NAME: SKIP (no $BAL_HASH: make $BAL_HASH)"; exit 77; }
command -v tcpdump >/dev/null || { echo "$T_NAME: SKIP (no tcpdump)"; exit 77; }

U_LAN_MAC=00:00:5e:00:01:01	# vhid 1 leads the LAN group
U_WAN_MAC=00:00:5e:00:01:0b	# vhid 11 the WAN group

hub() {		# hub BRIDGE: learn nothing, flood every frame (see above)
	ip -n "$(ns lan)" link set "$1" type bridge ageing_time 0
}
switch() {	# switch BRIDGE: learn again, entries kept 300 s (centiseconds)
	ip -n "$(ns lan)" link set "$1" type bridge ageing_time 30000
}
# arp_replies FILE: "TOTAL SHARED": the ARP replies for the LAN VIP in a
# capture, and how many of them had the shared MAC as Ethernet source
arp_replies() {
	tcpdump -e -n -r "$1" 2>/dev/null | awk -v m="$U_LAN_MAC" '
		/Reply 192\.0\.2\.254 is-at/ { n++; if ($2 == m) s++ }
		END { printf "%d %d\n", n, s }'
}

log "two firewalls on a hub, balancing ip-unicast"
topo 2 || { fail "topology"; finish; exit; }
hub br0 && hub br1 || { fail "hub (ageing_time 0)"; finish; exit; }
for k in 1 2; do write_bal_conf 2 $k ip-unicast; done
check "the config parses (carpd -n)" "$CARPD" -n -f "$T_DIR/fw1/carpd.conf"
start_carpd fw1; start_carpd fw2
check "each firewall MASTER of its own nodes" poll_for 10 settled 2

capture_start arp client eth0 "$T_DIR/arp.pcap" arp ||
	fail "the client's ARP capture starts"
send_flows
capture_stop arp
check "the client knows the LAN VIP by the shared MAC $U_LAN_MAC" eval \
	'[ "$(neigh_mac client 192.0.2.254)" = "$U_LAN_MAC" ]'
check "the server knows the WAN VIP by $U_WAN_MAC" eval \
	'[ "$(ip -n "$(ns server)" neigh show 198.51.100.254 dev eth0 | awk "{ print \$3 }")" = "$U_WAN_MAC" ]'
read -r arp_n arp_s <<<"$(arp_replies "$T_DIR/arp.pcap")"
log "  the client saw $arp_n ARP replies for 192.0.2.254, $arp_s of them from $U_LAN_MAC"
check "carpd's ARP replies came from the shared MAC (Ethernet source $U_LAN_MAC: $arp_s of $arp_n)" eval \
	'[ "$arp_n" -ge 1 ] && [ "$arp_s" = "$arp_n" ]'
check "fw1 and fw2 both answered ARP for the VIP" eval \
	'for k in 1 2; do [ "$(ctl fw$k -j status | jq "[.vhosts[] | .balance.arp_replies // 0] | add")" -gt 0 ] || exit 1; done'
check "the hub learnt nothing: neither the shared MAC nor fw1's" eval \
	'[ -z "$(fdb_ports $U_LAN_MAC)" ] && [ -z "$(fdb_ports "$(mac_of fw1)")" ]'
check_ownership 2 "ip-unicast, 2 nodes"
check "spread within 60/40 (fw1 $share_1, fw2 $share_2 of $NSRC)" eval \
	'[ $((share_1 * 100)) -ge $((NSRC * 40)) ] && [ $((share_1 * 100)) -le $((NSRC * 60)) ]'

a1=""
for i in $(seq 0 $((NSRC - 1))); do
	a=$(src_addr "$i")
	[ "$(owner_of "$a" 2)" = 1 ] && { a1=$a; break; }
done
log "fw1 dies (its links go silent, carpd is killed); probe: $a1 (fw1's)"
ip netns exec "$(ns client)" ping -D -i 0.01 -W 1 -w 10 -I "$a1" $SERVER >"$T_DIR/ping1" 2>&1 &
P1=$!; T_PIDS="$T_PIDS $P1"
check "the probe is answered before the death" poll_for 5 eval \
	'[ "$(grep -c "bytes from" "$T_DIR/ping1")" -ge 50 ]'
t0=$(now_s)
silence_all fw1
kill -KILL "$(pid_of fw1)"
check "fw2 MASTER of every node" poll_for 6 eval '[ "$(masters_of fw2)" = "1 2 11 12" ]'
wait $P1
gap=$(awk -v t0="$t0" '/^\[/ { t = substr($1, 2, length($1) - 2) + 0
		if (t >= t0 - 0.1 && prev && t - prev > max) max = t - prev; prev = t; if (t > t0) after = 1 }
	END { if (!after) print "none"; else printf "%.0f", max * 1000 }' "$T_DIR/ping1")
log "  fw1's probe was out for $gap ms (fw2's master-down for vhid 1: 3195 ms)"
check "  fw1's probe resumes through fw2" [ "$gap" != none ]
ct_flush fw2
send_flows
ct_sources fw2 >"$T_DIR/ct.after"
check "fw2 now holds every flow ($(wc -l <"$T_DIR/ct.after") of $NSRC)" eval \
	'[ "$(wc -l <"$T_DIR/ct.after")" = "$NSRC" ]'

log "fw1 returns; the LAN bridge learns again (an ordinary switch)"
unsilence_all fw1
start_carpd fw1
check "settled again: each MASTER of its own" poll_for 10 settled 2
switch br0
# a fresh ARP exchange: the replies, from the shared MAC, are learnt
ip -n "$(ns client)" neigh flush dev eth0
ct_flush fw1; ct_flush fw2
send_flows
p=$(fdb_ports $U_LAN_MAC | tr '\n' ' ')
log "  br0 learnt $U_LAN_MAC on: ${p:-nothing}; flows since: fw1 $(ct_sources fw1 | wc -l), fw2 $(ct_sources fw2 | wc -l) of $NSRC"
check "with learning on, br0 sends frames to the shared MAC to one firewall's port only ($p)" eval \
	'[ "$p" = "p-fw1 " ] || [ "$p" = "p-fw2 " ]'
for k in 1 2; do stop_carpd fw$k; done
check "no carpsync table left on either firewall" eval \
	'! nsx fw1 nft list tables | grep -q carpsync_ && ! nsx fw2 nft list tables | grep -q carpsync_'
finish
