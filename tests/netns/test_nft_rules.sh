#!/bin/bash
# The shipped firewall rules and sysctls (conf/carpsync.nft, conf/carpsync-
# sysctl.conf) are needed and sufficient for a carpsync pair behind a
# default-drop input policy.
#
# client - LAN bridge - fw1/fw2 - WAN bridge - server, and the sync cable
# (topo_fw_pair). Both firewalls: conf/carpsync-sysctl.conf applied with
# sysctl -p, and conf/nftables.conf.example (input and forward policy
# drop, SNAT to the WAN VIP) with only its defines changed; in the first
# half without its `include "/etc/carpsync/carpsync.nft"` line, in the
# second with it, pointed at conf/carpsync.nft. carpd: LAN vhid 1 (IPv4), WAN
# vhid 2 (IPv4), LAN vhid 3 (IPv6 only: its adverts are IPv6 only, so the
# ip6 rule is checked on its own); fw1 preferred. syncd on both.
#
# Without the include: both nodes become MASTER of every vhid (each drops
# the other's adverts: split brain) and the syncds never see each other.
# With it: exactly one MASTER of each vhid, the syncds pair up and finish
# their bulks, a TCP stream's conntrack entry reaches fw2, and when fw1
# dies silently fw2 takes every vhid and the stream survives. Last, the
# reason for rp_filter=2 in the sysctl file: with net.ipv4.conf.all.
# rp_filter=1 (strict) the MASTER drops connections through the VIP.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
for t in nft conntrack python3; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
CARPD=$BUILD/carpd; SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
for b in "$CARPD" "$SYNCD" "$CARPCTL"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done
REPO=$(pwd)
RULES=$REPO/conf/carpsync.nft
EXAMPLE=$REPO/conf/nftables.conf.example
SYSCTLS=$REPO/conf/carpsync-sysctl.conf
PORT=7000
DUR=8
LAN_VIP=192.0.2.254
WAN_VIP=198.51.100.254
LAN_VIP6=2001:db8::fe
SERVER=198.51.100.100

# fw_rules NODE PEER 0|1: conf/nftables.conf.example, only its defines
# set to this topology (LAN 2001:db8::/64, WAN VIP .254, sync0, the other
# node) and its include pointed at conf/carpsync.nft, or (0) deleted.
# Then a test-only rule at the end of the input chain: counter "dropped",
# the CARP (112) and sync (240) packets that reach the drop policy.
fw_rules() {
	local node=$1 peer=$2 with=$3 f=$T_DIR/$1.nft
	sed -e 's|^define lan_net = .*|define lan_net = 192.0.2.0/24|' \
	    -e 's|^define lan_net6 = .*|define lan_net6 = 2001:db8::/64|' \
	    -e "s|^define wan_vip = .*|define wan_vip = $WAN_VIP|" \
	    -e 's|^define carpsync_syncdev = .*|define carpsync_syncdev = "sync0"|' \
	    -e "s|^define carpsync_peer = .*|define carpsync_peer = $peer|" \
	    -e "s|\"/etc/carpsync/carpsync.nft\"|\"$RULES\"|" \
	    "$EXAMPLE" >"$f"
	[ "$with" = 1 ] || sed -i '/include "/d' "$f"
	# every define was found and set
	[ "$(grep -c -e '^define lan_net = 192.0.2.0/24$' -e '^define lan_net6 = 2001:db8::/64$' \
	    -e "^define wan_vip = $WAN_VIP\$" -e '^define carpsync_syncdev = "sync0"$' \
	    -e "^define carpsync_peer = $peer\$" "$f")" = 5 ] || return 1
	[ "$with" = 0 ] || grep -q "include \"$RULES\"" "$f" || return 1
	nsx "$node" nft -f "$f" &&
	nsx "$node" nft add counter inet filter dropped &&
	nsx "$node" nft add rule inet filter input 'meta l4proto { 112, 240 } counter name dropped'
}
cnt() {		# cnt NODE NAME: packets of a named counter of table inet filter
	nsx "$1" nft -j list counter inet filter "$2" |
		jq -r '.nftables[] | select(.counter) | .counter.packets'
}
dropped() { cnt "$1" dropped; }
invalid() { cnt "$1" invalid; }
all_vhids() { is_state "$1" 1 "$2" && is_state "$1" 2 "$2" && is_state "$1" 3 "$2"; }
one_master() { all_vhids fw1 MASTER && all_vhids fw2 BACKUP; }
peers() {	# peers: each syncd lists the other as a peer
	[ "$(sq fw1 '.peers | map(select(.node_id == 2)) | length')" = 1 ] &&
	[ "$(sq fw2 '.peers | map(select(.node_id == 1)) | length')" = 1 ]
}
fw2_has() {	# fw2 holds the stream's entry: ESTABLISHED, SNAT to the WAN VIP
	timeout 10 ip netns exec "$(ns fw2)" conntrack -L -p tcp --src-nat \
		--orig-port-src "$1" --orig-port-dst $PORT 2>/dev/null |
		grep -q "ESTABLISHED .*dst=$WAN_VIP"
}
connects() {	# connects: a new TCP connection from the client to the server
	ip netns exec "$(ns client)" timeout 3 python3 -c "
import socket; s = socket.create_connection(('$SERVER', $PORT), timeout=2)
s.sendall(b'x\n'); assert s.recv(2) == b'x\n'"
}

topo_fw_pair || { fail "topology"; finish; exit; }
for n in fw1 fw2; do
	check "$n: sysctl -p conf/carpsync-sysctl.conf" nsx $n sysctl -q -p "$SYSCTLS"
done
check "  ... forwarding on, rp_filter loose, tcp_loose 0" eval \
	'[ "$(nsx fw1 sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding \
		net.ipv4.conf.all.rp_filter net.netfilter.nf_conntrack_tcp_loose |
		tr "\n" " ")" = "1 1 2 0 " ]'
check "fw1: conf/nftables.conf.example without its include of carpsync.nft" fw_rules fw1 203.0.113.2 0
check "fw2: the same" fw_rules fw2 203.0.113.1 0

# advbase 0: fw1 adverts every 20/256 s, fw2 every 60/256 s
write_conf fw1 1 0 20 "$LAN_VIP/24" "preempt yes"
add_vhost fw1 2 eth1 0 20 "$WAN_VIP/24"
add_vhost fw1 3 eth0 0 20 "$LAN_VIP6/64"
write_conf fw2 1 0 60 "$LAN_VIP/24" "preempt yes"
add_vhost fw2 2 eth1 0 60 "$WAN_VIP/24"
add_vhost fw2 3 eth0 0 60 "$LAN_VIP6/64"
write_syncd_conf fw1 1 && write_syncd_conf fw2 2 || { fail "syncd configs"; finish; exit; }
echo_tools
ip netns exec "$(ns server)" python3 "$T_DIR/echo_server.py" $PORT &
T_PIDS="$T_PIDS $!"

log "without the shipped rules"
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "syncd starts on fw1 and fw2" eval 'start_syncd fw1 && start_syncd fw2'
check "both become MASTER of vhids 1, 2 and 3 (split brain)" poll_for 10 eval \
	'all_vhids fw1 MASTER && all_vhids fw2 MASTER'
check "  ... and stay so for 2 s" eval 'sleep 2; all_vhids fw1 MASTER && all_vhids fw2 MASTER'
check "  ... carpd on fw2 received no advert (IPv4 or IPv6)" eval \
	'[ "$(gcounter fw2 ipackets)" = 0 ] && [ "$(gcounter fw2 ipackets6)" = 0 ]'
d1=$(dropped fw1); d2=$(dropped fw2)
check "  ... the input policies dropped CARP and sync packets (fw1 $d1, fw2 $d2)" eval \
	'[ "$d1" -gt 10 ] && [ "$d2" -gt 10 ]'
check "the syncds have no peer" eval \
	'[ "$(sq fw1 ".peers | length")" = 0 ] && [ "$(sq fw2 ".peers | length")" = 0 ]'

log "with conf/carpsync.nft included"
check "fw1: conf/nftables.conf.example, including conf/carpsync.nft" fw_rules fw1 203.0.113.2 1
check "fw2: the same" fw_rules fw2 203.0.113.1 1
check "exactly one MASTER of each vhid: fw1 MASTER, fw2 BACKUP of 1, 2 and 3" poll_for 10 one_master
check "  ... and it stays so for 2 s" eval 'sleep 2; one_master'
check "the syncds pair up and finish their bulks" poll_for 15 eval \
	'peers && [ "$(sq fw1 .bulk)" = DONE ] && [ "$(sq fw2 .bulk)" = DONE ] && [ "$(sq fw2 .held_demote)" = 0 ]'
check "the input policies drop no CARP or sync packet any more" eval \
	'[ "$(dropped fw1)" = 0 ] && [ "$(dropped fw2)" = 0 ]'

cl=$T_DIR/client.log
ip netns exec "$(ns client)" python3 "$T_DIR/echo_client.py" $SERVER $PORT $DUR "$cl" 0.05 &
CPID=$!
T_PIDS="$T_PIDS $CPID"
check "a TCP stream flows through fw1" poll_for 10 eval '[ "$(grep -c "^echo " "$cl")" -ge 20 ]'
p=$(awk '$1 == "PORT" { print $2 }' "$cl")
check "syncd put its conntrack entry (ESTABLISHED, SNAT) on fw2" poll_for 3 fw2_has "$p"
inv0=$(invalid fw2)
silence_all fw1
t_sw=$(now_s)
check "fw1 dies silently: fw2 becomes MASTER of 1, 2 and 3" poll_for 5 all_vhids fw2 MASTER
poll_for $((DUR + 10)) eval '! kill -0 $CPID 2>/dev/null'
wait "$CPID"; rc=$?
after=$(awk -v t="$t_sw" '$1 == "echo" && $3 > t { n++ } END { print n + 0 }' "$cl")
note "stream: rc $rc, $after echoes after fw1's death, $(tail -n 1 "$cl")"
check "the stream runs to its end through fw2 (rc $rc, $after echoes after)" eval \
	'[ "$rc" = 0 ] && [ "$after" -ge 40 ]'
check "fw2 dropped none of it as invalid (tcp_loose 0)" eval '[ "$(invalid fw2)" = "$inv0" ]'

log "why rp_filter=2: strict reverse-path filtering on the MASTER"
check "rp_filter 2: a new connection through the VIPs works" connects
nsx fw2 sysctl -qw net.ipv4.conf.all.rp_filter=1
check "rp_filter 1 (strict): it fails (packets for the VIPs arrive on the macvlans)" eval '! connects'
nsx fw2 sysctl -qw net.ipv4.conf.all.rp_filter=2
check "rp_filter 2 again: it works" connects
finish
