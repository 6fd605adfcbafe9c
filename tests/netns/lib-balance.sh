# tests/netns/lib-balance.sh: the balancing tests' topology and helpers
# (test_balance, test_balance_unicast); sourced after lib.sh.
#   client (192.0.2.100-.249 as sources) - br0 - fwK eth0 .K
#   fwK eth1 198.51.100.K - br1 - server 198.51.100.100
# Each firewall carries two balanced groups, `carpnodes 1:..,2:..[,3:..]`
# on eth0 (balance-side lan, VIP 192.0.2.254) and `carpnodes
# 11:..,12:..[,13:..]` on eth1 (balance-side wan, VIP 198.51.100.254);
# fwK is the preferred master of node K of each. The test sets BAL_HASH
# (build/tests/bal_hash) before it calls owner_of.

SEED=0x63617270		# carpd.conf(5) balance-seed default
SERVER=198.51.100.100
NSRC=150		# client source addresses: 192.0.2.100 .. 192.0.2.249

src_addr() { echo "192.0.2.$((100 + $1))"; }	# 0 .. NSRC-1

# topo NFW: client, server and fw1..fwNFW on the two bridges (namespace
# lan; lib.sh topo_lan, topo_wan, topo_wan_server), forwarding, 150
# client addresses, the routes via the VIPs
topo() {
	local n=$1 k i
	topo_lan "$n" && topo_wan "$n" && topo_wan_server || return 1
	for k in $(seq 1 "$n"); do
		nsx "fw$k" sysctl -qw net.ipv4.ip_forward=1
		# a stateful forward chain: conntrack runs in a namespace only
		# when a rule needs it, and the test reads it
		printf '%s\n' 'table inet fw {' '	chain forward {' \
			'		type filter hook forward priority 0; policy drop;' \
			'		ct state new,established,related accept' '	}' '}' |
			nsx "fw$k" nft -f - || return 1
	done
	for i in $(seq 101 249); do
		ip -n "$(ns client)" addr add "192.0.2.$i/24" dev eth0 || return 1
	done
	ip -n "$(ns client)" route add default via 192.0.2.254
	ip -n "$(ns server)" route add default via 198.51.100.254
}

# nodes NFW K BASE: the carpnodes list of fwK, node K preferred (advskew 0),
# the next one 50, then 100, ... so that a dead node's vhid has one heir
nodes() {
	local n=$1 k=$2 base=$3 j list="" skew
	for j in $(seq 1 "$n"); do
		skew=$(( ((k - j + n) % n) * 50 ))
		list="$list${list:+,}$((base + j)):$skew"
	done
	echo "$list"
}

write_bal_conf() {	# write_bal_conf NFW K [MODE]
	local n=$1 k=$2 d="$T_DIR/fw$2" mode=${3:-ip}
	mkdir -p "$d/carpd.d"
	{
		echo "control-socket \"$d/carpd.sock\""
		echo "log-level debug"
		echo "preempt yes"
		echo 'include "carpd.d/*.conf"'
	} >"$d/carpd.conf"
	{
		echo "carpnodes $(nodes "$n" "$k" 0)"
		echo "balancing $mode"
		echo "balance-side lan"
		echo "carpdev eth0"
		echo "address 192.0.2.254/24"
		echo "advbase 1"
		echo 'pass "carpsync-test"'
	} >"$d/carpd.d/lan.conf"
	{
		echo "carpnodes $(nodes "$n" "$k" 10)"
		echo "balancing $mode"
		echo "balance-side wan"
		echo "carpdev eth1"
		echo "address 198.51.100.254/24"
		echo "advbase 1"
		echo 'pass "carpsync-test"'
	} >"$d/carpd.d/wan.conf"
}

# the firewall that should own a flow from src to the server: node b+1
owner_of() {	# owner_of SRC NFW -> K
	echo $(( $("$BAL_HASH" bucket -n "$2" -s $SEED "$1" $SERVER) + 1 ))
}

masters_of() {	# masters_of NODE: "1 11 2 12" (vhids it is MASTER of, sorted)
	ctl "$1" -j status | jq -r '[.vhosts[] | select(.state == "MASTER") | .vhid] | sort | map(tostring) | join(" ")'
}
settled() {	# settled NFW: fwK MASTER of exactly K and 10+K
	local k
	for k in $(seq 1 "$1"); do
		[ "$(masters_of "fw$k")" = "$k $((10 + k))" ] || return 1
	done
}

# one ping from every source address; conntrack says who forwarded it
send_flows() {	# 25 at a time; a bare `wait` would wait for the daemons
	local i pids=""
	for i in $(seq 0 $((NSRC - 1))); do
		ip netns exec "$(ns client)" ping -q -c 1 -W 1 -I "$(src_addr "$i")" $SERVER >/dev/null 2>&1 &
		pids="$pids $!"
		if [ $((i % 25)) = 24 ]; then
			# shellcheck disable=SC2086
			wait $pids
			pids=""
		fi
	done
	# shellcheck disable=SC2086
	[ -z "$pids" ] || wait $pids
}
# ct_sources NODE: the client addresses NODE has an ICMP conntrack entry of
ct_sources() {
	nsx "$1" conntrack -L -p icmp -d $SERVER 2>/dev/null |
		sed -n 's/.*src=\(192\.0\.2\.[0-9]*\) dst=198.51.100.100 .*/\1/p' | sort -u
}
ct_flush() { nsx "$1" conntrack -F >/dev/null 2>&1; }

# check_ownership NFW LABEL: every flow on its owner and nowhere else
check_ownership() {
	local n=$1 what=$2 k i a o bad=0 missing=0 total
	for k in $(seq 1 "$n"); do ct_sources "fw$k" >"$T_DIR/ct.fw$k"; done
	for i in $(seq 0 $((NSRC - 1))); do
		a=$(src_addr "$i")
		o=$(owner_of "$a" "$n")
		grep -qx "$a" "$T_DIR/ct.fw$o" || missing=$((missing + 1))
		for k in $(seq 1 "$n"); do
			[ "$k" = "$o" ] && continue
			grep -qx "$a" "$T_DIR/ct.fw$k" && bad=$((bad + 1))
		done
	done
	check "$what: every flow on the firewall owning its bucket ($missing missing)" [ "$missing" = 0 ]
	check "$what: no flow on another firewall ($bad)" [ "$bad" = 0 ]
	total=0
	for k in $(seq 1 "$n"); do
		eval "share_$k=$(wc -l <"$T_DIR/ct.fw$k")"
		total=$((total + $(wc -l <"$T_DIR/ct.fw$k")))
	done
	log "  $what: flows per firewall:$(for k in $(seq 1 "$n"); do eval "printf ' fw%s %s' $k \$share_$k"; done) (of $total)"
}
