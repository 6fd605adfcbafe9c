#!/bin/bash
# Active/active balancing over IPv6 (carpd.conf(5) BALANCING, issue 6):
# carpd answers neighbour solicitations for a balanced group's IPv6 VIPs
# with the shared MAC (carp_nd.c), its table keeps the kernel from
# answering them with the real MAC, and the kernel's own solicitations
# from a VIP leave from the carpdev's link-local instead.
#   client 2001:db8::100 and 2001:db8::a00 .. ::a3b - br0 - fwK eth0 2001:db8::K
#   fwK eth1 2001:db8:1::K - br1 - server 2001:db8:1::100
# LAN group `carpnodes 1:..,2:..` (2001:db8::fe and 192.0.2.254), WAN
# group `carpnodes 11:..,12:..` (2001:db8:1::fe); fwK prefers node K.
# Asserted: the client and the server know the VIPs by the shared MACs;
# every advertisement the client sees for the VIP carries the shared MAC
# (none the real one); the kernel's answer was dropped (counter); every
# IPv6 flow is in conntrack on exactly the firewall that owns its bucket
# (carp_balance_bucket through build/tests/bal_hash); a ping to the VIP
# itself is answered, and the firewall's solicitation for the client
# comes from its link-local, so the client's entry for the VIP keeps the
# shared MAC; when fw1 dies, its IPv6 flow goes on through fw2.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
BAL_HASH=$BUILD/tests/bal_hash
need_root
[ -x "$BAL_HASH" ] || { echo "$T_NAME: SKIP (no $BAL_HASH: make $BAL_HASH)"; exit 77; }
command -v tcpdump >/dev/null || { echo "$T_NAME: SKIP (no tcpdump)"; exit 77; }

SEED=0x63617270		# carpd.conf(5) balance-seed default
SERVER=2001:db8:1::100
VIP=2001:db8::fe
WVIP=2001:db8:1::fe
NSRC=60			# client sources 2001:db8::a00 .. 2001:db8::a3b
LAN_MAC=01:00:5e:00:01:01
WAN_MAC=01:00:5e:00:01:0b

src_addr() { printf '2001:db8::%x\n' $((0xa00 + $1)); }

topo() {
	local k i
	topo_lan && topo_wan || return 1
	ns_add server || return 1
	ip link add "$T_ID-v20" type veth peer name "$T_ID-p20" || return 1
	ip link set "$T_ID-v20" netns "$(ns server)" name eth0
	ip link set "$T_ID-p20" netns "$(ns lan)" name q-server
	ip -n "$(ns lan)" link set q-server master br1 up
	nsx server sysctl -qw net.ipv6.conf.eth0.accept_dad=0
	ip -n "$(ns server)" link set eth0 up
	ip -n "$(ns server)" addr add $SERVER/64 dev eth0 nodad
	ip -n "$(ns server)" route add 2001:db8::/64 via $WVIP
	for k in 1 2; do
		nsx "fw$k" sysctl -qw net.ipv6.conf.eth1.accept_dad=0
		ip -n "$(ns "fw$k")" addr add "2001:db8:1::$k/64" dev eth1 nodad
		nsx "fw$k" sysctl -qw net.ipv6.conf.all.forwarding=1
		printf '%s\n' 'table inet fw {' '	chain forward {' \
			'		type filter hook forward priority 0; policy drop;' \
			'		ct state new,established,related accept' '	}' '}' |
			nsx "fw$k" nft -f - || return 1
	done
	for i in $(seq 0 $((NSRC - 1))); do
		ip -n "$(ns client)" addr add "$(src_addr "$i")/64" dev eth0 nodad || return 1
	done
	ip -n "$(ns client)" -6 route add default via $VIP
	# the firewalls' link-locals exist before carpd reads them
	for k in 1 2; do
		wait_for 5 sh -c "ip -n $(ns "fw$k") -6 addr show dev eth1 scope link | grep -q inet6" || return 1
	done
}

write_nd_conf() {	# write_nd_conf K: fwK prefers node K (advskew 0)
	local k=$1 d="$T_DIR/fw$1" s1 s2
	s1=$(( (k - 1) * 50 )); s2=$(( (2 - k) * 50 ))
	mkdir -p "$d/carpd.d"
	{
		echo "control-socket \"$d/carpd.sock\""
		echo "log-level debug"
		echo "preempt yes"
		echo 'include "carpd.d/*.conf"'
	} >"$d/carpd.conf"
	{
		echo "carpnodes 1:$s1,2:$s2"
		echo "balancing ip"
		echo "balance-side lan"
		echo "carpdev eth0"
		echo "address $VIP/64"
		echo "address 192.0.2.254/24"
		echo "advbase 1"
		echo 'pass "carpsync-test"'
	} >"$d/carpd.d/lan.conf"
	{
		echo "carpnodes 11:$s1,12:$s2"
		echo "balancing ip"
		echo "balance-side wan"
		echo "carpdev eth1"
		echo "address $WVIP/64"
		echo "advbase 1"
		echo 'pass "carpsync-test"'
	} >"$d/carpd.d/wan.conf"
}

owner_of() {	# owner_of SRC -> K, the firewall whose bucket SRC -> SERVER is
	echo $(( $("$BAL_HASH" bucket -n 2 -s $SEED "$1" $SERVER) + 1 ))
}
masters_of() {
	ctl "$1" -j status | jq -r '[.vhosts[] | select(.state == "MASTER") | .vhid] | sort | map(tostring) | join(" ")'
}
settled() { [ "$(masters_of fw1)" = "1 11" ] && [ "$(masters_of fw2)" = "2 12" ]; }
nd_replies() { ctl "$1" -j status | jq '[.vhosts[] | select(.vhid == 1 or .vhid == 2) | .balance.nd_replies] | max'; }
tcount() {	# tcount NODE DEV COUNTER: packets of a named counter of carpd's table
	nsx "$1" nft list counter netdev "carpsync_$2" "$3" 2>/dev/null |
		awk '/packets/ { n = $2 } END { print n + 0 }'
}
send_flows() {	# one echo request from every source, 20 at a time
	local i pids=""
	for i in $(seq 0 $((NSRC - 1))); do
		ip netns exec "$(ns client)" ping -6 -q -c 1 -W 2 -I "$(src_addr "$i")" $SERVER >/dev/null 2>&1 &
		pids="$pids $!"
		if [ $((i % 20)) = 19 ]; then
			# shellcheck disable=SC2086
			wait $pids
			pids=""
		fi
	done
	# shellcheck disable=SC2086
	[ -z "$pids" ] || wait $pids
}
ct_sources() {	# ct_sources NODE: the client addresses of NODE's ICMPv6 entries
	nsx "$1" conntrack -L -f ipv6 -p icmpv6 2>/dev/null |
		sed -n "s/.*src=\(2001:db8::a[0-9a-f]*\) dst=$SERVER .*/\1/p" | sort -u
}

topo || { fail "topology"; finish; exit; }
for k in 1 2; do write_nd_conf $k; done
check "the config parses (carpd -n)" "$CARPD" -n -f "$T_DIR/fw1/carpd.conf"
# what the client sees: every NA and NS on its link
nsx client timeout 60 tcpdump -i eth0 -nn -U -w "$T_DIR/client.pcap" icmp6 >/dev/null 2>&1 &
T_PIDS="$T_PIDS $!"
wait_for 5 sh -c "ip netns exec $(ns client) cat /proc/net/packet | awk 'NR > 1' | grep -q ."
start_carpd fw1; start_carpd fw2
check "each firewall MASTER of its own nodes" poll_for 10 settled
check "the IPv6 VIPs sit on both firewalls' carpdevs" eval \
	'has_vip fw1 $VIP && has_vip fw2 $VIP && has_vip fw1 $WVIP && has_vip fw2 $WVIP'
check "fw1's table rewrites the kernel's NS from a VIP to its own link-local" eval \
	'nsx fw1 nft list table netdev carpsync_eth0 | grep -q "ip6 saddr set fe80::"'

log "$NSRC IPv6 flows from the client to $SERVER"
send_flows
check "the client knows $VIP by the shared MAC $LAN_MAC" eval \
	'[ "$(ip -n "$(ns client)" -6 neigh show $VIP dev eth0 | awk "{ print \$3 }")" = "$LAN_MAC" ]'
check "the server knows $WVIP by $WAN_MAC" eval \
	'[ "$(ip -n "$(ns server)" -6 neigh show $WVIP dev eth0 | awk "{ print \$3 }")" = "$WAN_MAC" ]'
check "both firewalls answered a solicitation for the VIP" eval \
	'[ "$(nd_replies fw1)" -gt 0 ] && [ "$(nd_replies fw2)" -gt 0 ]'
check "the kernel's own answer was stopped (nd_ns_dropped > 0 on fw1)" eval \
	'[ "$(tcount fw1 eth0 nd_ns_dropped)" -gt 0 ]'
bad=0; missing=0
for k in 1 2; do ct_sources "fw$k" >"$T_DIR/ct.fw$k"; done
for i in $(seq 0 $((NSRC - 1))); do
	a=$(src_addr "$i"); o=$(owner_of "$a")
	grep -qx "$a" "$T_DIR/ct.fw$o" || missing=$((missing + 1))
	grep -qx "$a" "$T_DIR/ct.fw$((3 - o))" && bad=$((bad + 1))
done
n1=$(wc -l <"$T_DIR/ct.fw1"); n2=$(wc -l <"$T_DIR/ct.fw2")
log "  flows per firewall: fw1 $n1, fw2 $n2 (of $NSRC)"
check "every IPv6 flow on the firewall owning its bucket ($missing missing)" [ "$missing" = 0 ]
check "no IPv6 flow on the other firewall ($bad)" [ "$bad" = 0 ]
check "both firewalls carry IPv6 flows" eval '[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ]'

log "the client pings the VIP itself: the owner's kernel must resolve the client"
r0=$(( $(tcount fw1 eth0 nd_ns_resourced) + $(tcount fw2 eth0 nd_ns_resourced) ))
ip -n "$(ns client)" -6 neigh flush dev eth0
check "a ping to the VIP is answered" nsx client ping -6 -c 3 -i 0.2 -W 2 -I 2001:db8::100 $VIP
r1=$(( $(tcount fw1 eth0 nd_ns_resourced) + $(tcount fw2 eth0 nd_ns_resourced) ))
check "a firewall solicited the client from its link-local, not the VIP ($r0 -> $r1)" [ "$r1" -gt "$r0" ]
check "the client's entry for the VIP is still the shared MAC" eval \
	'[ "$(ip -n "$(ns client)" -6 neigh show $VIP dev eth0 | awk "{ print \$3 }")" = "$LAN_MAC" ]'

# a flow of fw1 and one of fw2, 20 echoes a second, across fw1's death
a1=""; a2=""
for i in $(seq 0 $((NSRC - 1))); do
	a=$(src_addr "$i"); o=$(owner_of "$a")
	[ "$o" = 1 ] && [ -z "$a1" ] && a1=$a
	[ "$o" = 2 ] && [ -z "$a2" ] && a2=$a
done
log "fw1 dies (silenced, carpd killed); IPv6 probes: $a1 (fw1's), $a2 (fw2's)"
ip netns exec "$(ns client)" ping -6 -D -i 0.05 -W 1 -w 12 -I "$a1" $SERVER >"$T_DIR/ping1" 2>&1 &
P1=$!; T_PIDS="$T_PIDS $P1"
ip netns exec "$(ns client)" ping -6 -D -i 0.05 -W 1 -w 12 -I "$a2" $SERVER >"$T_DIR/ping2" 2>&1 &
P2=$!; T_PIDS="$T_PIDS $P2"
check "both probes answered before the death" poll_for 5 eval \
	'[ "$(grep -c "bytes from" "$T_DIR/ping1")" -ge 20 ] && [ "$(grep -c "bytes from" "$T_DIR/ping2")" -ge 20 ]'
t0=$(now_s)
silence_all fw1
kill -KILL "$(pid_of fw1)"
check "fw2 MASTER of every node" poll_for 6 eval '[ "$(masters_of fw2)" = "1 2 11 12" ]'
wait $P1 $P2
gap=$(awk -v t0="$t0" '/^\[/ { t = substr($1, 2, length($1) - 2) + 0
		if (t >= t0 - 0.1 && prev && t - prev > max) max = t - prev; prev = t; if (t > t0) after = 1 }
	END { if (!after) print "none"; else printf "%.0f", max * 1000 }' "$T_DIR/ping1")
log "  fw1's IPv6 flow was out for $gap ms (fw2's master-down $(awk 'BEGIN { printf "%.0f", (3 + 50 / 256) * 1000 }') ms)"
check "  fw1's IPv6 flow resumes through fw2" [ "$gap" != none ]
check "fw2's own IPv6 flow lost nothing" grep -q " 0% packet loss" "$T_DIR/ping2"
check "fw2 now holds fw1's flow in conntrack" eval 'ct_sources fw2 | grep -qx "$a1"'
stop_carpd fw2

# the capture, read after the fact: who said what about the VIP
tcpdump -r "$T_DIR/client.pcap" -nn -v 2>/dev/null >"$T_DIR/client.txt"
fw1_mac=$(mac_of fw1); fw2_mac=$(mac_of fw2)
na_shared=$(grep -A2 "neighbor advertisement, .*tgt is $VIP" "$T_DIR/client.txt" | grep -c "link-address option (2).*: $LAN_MAC")
na_real=$(grep -A2 "neighbor advertisement, .*tgt is $VIP" "$T_DIR/client.txt" | grep -c -e "link-address option (2).*: $fw1_mac" -e "link-address option (2).*: $fw2_mac")
ns_vip=$(grep -c " $VIP > .*neighbor solicitation" "$T_DIR/client.txt")
log "  capture on the client: $na_shared NAs for $VIP with the shared MAC, $na_real with a real MAC, $ns_vip NS from the VIP"
check "the client saw NAs for the VIP with the shared MAC" [ "$na_shared" -gt 0 ]
check "  and none with a firewall's real MAC" [ "$na_real" = 0 ]
check "  and no solicitation from the VIP" [ "$ns_vip" = 0 ]
check "the NAs have the Router flag (forwarding on)" eval \
	'grep "neighbor advertisement, .*tgt is $VIP" "$T_DIR/client.txt" | head -n 1 | grep -q "router"'
check "carpd's checksums are right (tcpdump found no bad one)" eval '! grep -q "bad icmp6 cksum" "$T_DIR/client.txt"'
finish
