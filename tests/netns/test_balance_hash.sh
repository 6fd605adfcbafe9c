#!/bin/bash
# test_balance_hash.sh: the balancing table of carpd/carp_balance.c in a
# real kernel, against carp_balance_bucket(), through tests/netns/bal_hash.
#
# A firewall namespace (fw, eth0: 192.0.2.1, 2001:db8::1 and the VIPs
# 192.0.2.254, 2001:db8::fe) and a client namespace (cl, eth0:
# 192.0.2.100-139 and 2001:db8::100-113), one veth between them. The
# client routes 198.51.100.0/24 and 2001:db8:1::/64 through the VIPs,
# whose neighbour entries it holds statically with the shared MAC, so
# every datagram it sends there reaches fw's ingress with that MAC as its
# destination. The table (bal_hash create, loaded with nft -f, without
# `flags owner`: nft -f exits) counts each frame in accepted_V or
# ignored_V; the counter that moved tells the bucket the kernel chose.
#
#  1. LAN side, `balancing ip` (01:00:5e:00:01:03), carpnodes 3 and 4,
#     seed 0x5eed, MASTER of 3 only: for each of 40 IPv4 and 20 IPv6
#     clients the kernel's bucket is bal_hash's (including the measured
#     vector 192.0.2.100-108 -> 198.51.100.10); a client's neighbour
#     advertisement to the shared MAC reaches fw even in a bucket fw
#     does not own;
#  2. an update to MASTER of both: the counters survive it, and bucket 1
#     moves from ignored_4 to accepted_4;
#  3. WAN pair order (ip daddr . ip saddr), ip-stealth (a unicast MAC not
#     fw's own), three nodes, another seed: the same, per client;
#  4. ARP requests for a VIP are dropped by the table (the client cannot
#     resolve it), other ARP is not (it resolves 192.0.2.1);
#  5. the same table with `flags owner`, loaded by nft -f, is gone as soon
#     as nft exits: its owner is the netlink socket that made it.
# The counters are read with `nft -j` (jq); carp_balance_parse_counters
# must read the same numbers from the text listing.
# usage: tests/netns/test_balance_hash.sh BUILD_DIR   (root; exit 77 = skipped)
T_NAME=test_balance_hash
BUILD=${1:-${BUILD:-build}}
. "$(dirname "$0")/lib.sh"
need_root
for t in nft jq python3 ping; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
BAL=$BUILD/tests/bal_hash
[ -x "$BAL" ] || { echo "$T_NAME: $BAL not built (make $BAL)"; exit 1; }

TABLE=carpsync_eth0
DST4=198.51.100.10
DST6=2001:db8:1::10
VIP4=192.0.2.254
VIP6=2001:db8::fe
SRC4=$(seq -f '192.0.2.%g' 100 139)
SRC6=$(printf '2001:db8::%x\n' $(seq 256 275))	# 2001:db8::100-113

topo() {
	local a
	ns_add fw && ns_add cl || return 1
	ip link add "$T_ID-b0" type veth peer name "$T_ID-b1" || return 1
	ip link set "$T_ID-b0" netns "$(ns fw)" name eth0 &&
	ip link set "$T_ID-b1" netns "$(ns cl)" name eth0 || return 1
	for n in fw cl; do
		nsx $n sysctl -qw net.ipv6.conf.eth0.accept_dad=0
		ip -n "$(ns $n)" link set eth0 up || return 1
	done
	ip -n "$(ns fw)" addr add 192.0.2.1/24 dev eth0 &&
	ip -n "$(ns fw)" addr add $VIP4/24 dev eth0 &&
	ip -n "$(ns fw)" addr add 2001:db8::1/64 dev eth0 nodad &&
	ip -n "$(ns fw)" addr add $VIP6/64 dev eth0 nodad || return 1
	ip -n "$(ns cl)" addr add 192.0.2.100/24 dev eth0 || return 1
	for a in $SRC4; do
		[ "$a" = 192.0.2.100 ] || ip -n "$(ns cl)" addr add "$a/32" dev eth0 || return 1
	done
	for a in $SRC6; do
		ip -n "$(ns cl)" addr add "$a/64" dev eth0 nodad || return 1
	done
	ip -n "$(ns cl)" route add 198.51.100.0/24 via $VIP4 &&
	ip -n "$(ns cl)" route add 2001:db8:1::/64 via $VIP6
}

# cl_neigh MAC: the client's entries for both VIPs point at MAC
cl_neigh() {
	ip -n "$(ns cl)" neigh replace $VIP4 lladdr "$1" dev eth0 nud permanent &&
	ip -n "$(ns cl)" neigh replace $VIP6 lladdr "$1" dev eth0 nud permanent
}

cat > "$T_DIR/send.py" <<'EOF'
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
fam = socket.AF_INET6 if ":" in src else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.bind((src, 0))
s.sendto(b"carpsync", (dst, 9))
EOF
send() { nsx cl timeout 5 python3 "$T_DIR/send.py" "$1" "$2"; }

# counters: "NAME PACKETS" a line, sorted, from nft's JSON
counters() {
	nsx fw nft -j list counters table netdev $TABLE |
		jq -r '.nftables[] | select(.counter) | "\(.counter.name) \(.counter.packets)"' | sort
}
cnt() { counters | awk -v n="$1" '$1 == n { print $2 }'; }
# moved BEFORE AFTER: the one counter that rose, by exactly one; else ""
moved() {
	join <(echo "$1") <(echo "$2") |
		awk '$3 != $2 { n++; name = $1; d = $3 - $2 } END { if (n == 1 && d == 1) print name }'
}

# hit SRC DST: send one datagram, print the counter it moved ("" if none)
hit() {
	local before after
	before=$(counters)
	send "$1" "$2" || return 1
	for _ in $(seq 1 100); do
		after=$(counters)
		[ "$after" != "$before" ] && break
		sleep 0.01
	done
	moved "$before" "$after"
}

# per_client SIDE_FLAGS N SEED MAP: for every client, the counter its
# datagram moved against bal_hash's bucket, mapped by MAP ("i:name ...")
# to a counter name. Sets MISMATCH (a list) and SPREAD ("i=count ...").
per_client() {
	local flags=$1 n=$2 seed=$3 map=$4 src dst b want got
	MISMATCH=""; SPREAD=""
	declare -A per=()
	for src in $SRC4 $SRC6; do
		case $src in *:*) dst=$DST6 ;; *) dst=$DST4 ;; esac
		# shellcheck disable=SC2086
		b=$("$BAL" bucket $flags -n "$n" -s "$seed" "$src" "$dst")
		want=$(tr ' ' '\n' <<<"$map" | awk -F: -v b="$b" '$1 == b { print $2 }')
		got=$(hit "$src" "$dst")
		per[$b]=$(( ${per[$b]:-0} + 1 ))
		[ -n "$want" ] && [ "$got" = "$want" ] ||
			MISMATCH="$MISMATCH $src(bucket $b: want $want, got ${got:-none})"
	done
	for b in $(seq 0 $((n - 1))); do SPREAD="$SPREAD $b=${per[$b]:-0}"; done
}

# parsed_ok: carp_balance_parse_counters reads what nft -j says
parsed_ok() {
	local want got
	want=$(counters | sed -n 's/^\(accepted\|ignored\)_\([0-9]*\) /\2 \1 /p' |
		awk '{ v[$1] = 1; c[$1, $2] = $3 } END { for (k in v) print k, c[k, "accepted"] + 0, c[k, "ignored"] + 0 }' | sort)
	got=$(nsx fw nft list counters table netdev $TABLE | "$BAL" counters | sort)
	[ -n "$got" ] && [ "$got" = "$want" ]
}

topo || { fail "topology"; finish; exit; }

log "control: without the table, the client resolves the VIP to fw's own MAC"
FW_MAC=$(mac_of fw)
check "  ... $VIP4 is at $FW_MAC" eval "nsx cl ping -c 1 -W 2 $VIP4 && [ \"\$(ip -n $(ns cl) neigh show $VIP4 dev eth0 | awk '{ print \$3 }')\" = $FW_MAC ]"

log "1. LAN side, balancing ip, carpnodes 3 and 4, seed 0x5eed, MASTER of 3"
CREATE1="-m ip -s 0x5eed -v 3,4 -o 1 -a $VIP4 -a $VIP6"
# shellcheck disable=SC2086
check "bal_hash create loads with nft -f" eval \
	"'$BAL' create -O -d eth0 $CREATE1 | nsx fw nft -f -"
cl_neigh 01:00:5e:00:01:03
per_client "" 2 0x5eed "0:accepted_3 1:ignored_4"
note "buckets of 60 clients:$SPREAD"
check "each client's datagram lands in carp_balance_bucket's bucket${MISMATCH:+:$MISMATCH}" \
	test -z "$MISMATCH"
check "  ... both buckets used ($SPREAD)" eval \
	'[ "$(cnt accepted_3)" -gt 0 ] && [ "$(cnt ignored_4)" -gt 0 ]'
check "  ... nothing in ignored_3 or accepted_4" eval \
	'[ "$(cnt ignored_3)" = 0 ] && [ "$(cnt accepted_4)" = 0 ]'
vec=""
for a in $(seq 100 108); do
	vec="$vec$("$BAL" bucket -n 2 -s 0x5eed 192.0.2.$a $DST4)"
done
check "the measured kernel vector: 192.0.2.100-108 in buckets 110100010 ($vec)" \
	test "$vec" = 110100010
check "carp_balance_parse_counters reads the listing as nft -j does" parsed_ok
# fw solicits a client from the VIP; the client's NA goes to the shared
# MAC. Pick a client whose NA would hash to bucket 1 (ignored here).
na=""
for s in $SRC6; do
	[ "$("$BAL" bucket -n 2 -s 0x5eed "$s" $VIP6)" = 1 ] && { na=$s; break; }
done
nsx fw ping -6 -c 1 -W 1 -I $VIP6 "$na" >/dev/null 2>&1
check "neighbour advertisements to the shared MAC pass unhashed: fw resolved $na" eval \
	"ip -n $(ns fw) neigh show $na dev eth0 | grep -q lladdr"

log "2. update: MASTER of 3 and 4"
a3=$(cnt accepted_3); i4=$(cnt ignored_4)
check "bal_hash update applies with nft -f" eval \
	"'$BAL' update -d eth0 -m ip -s 0x5eed -v 3,4 -o 3 -a $VIP4 | nsx fw nft -f -"
check "  ... the counters survive it (accepted_3 $a3, ignored_4 $i4)" eval \
	'[ "$(cnt accepted_3)" = "$a3" ] && [ "$(cnt ignored_4)" = "$i4" ]'
b1=""; b0=""
for s in $SRC4; do
	b=$("$BAL" bucket -n 2 -s 0x5eed "$s" $DST4)
	[ "$b" = 1 ] && [ -z "$b1" ] && b1=$s
	[ "$b" = 0 ] && [ -z "$b0" ] && b0=$s
done
check "  ... bucket 1 ($b1) now goes to accepted_4" eval '[ "$(hit $b1 $DST4)" = accepted_4 ]'
check "  ... bucket 0 ($b0) still to accepted_3" eval '[ "$(hit $b0 $DST4)" = accepted_3 ]'
check "  ... ignored_4 stays at $i4" eval '[ "$(cnt ignored_4)" = "$i4" ]'
check "  ... the map holds exactly the two new elements" eval \
	"nsx fw nft list map netdev $TABLE owned_3 | grep -qF 'elements = { 0 : jump accept_3, 1 : jump accept_4 }'"
check "carp_balance_parse_counters still agrees" parsed_ok

log "3. WAN pair order, ip-stealth, carpnodes 5, 6 and 7, seed 0xdeadbeef"
# shellcheck disable=SC2086
check "bal_hash create -w replaces the table with nft -f" eval \
	"'$BAL' create -O -w -d eth0 -m ip-stealth -s 0xdeadbeef -v 5,6,7 -o 7 -a $VIP4 -a $VIP6 | nsx fw nft -f -"
check "  ... the old counters are gone with the old table" eval \
	'[ -z "$(cnt accepted_3)" ] && [ "$(cnt accepted_5)" = 0 ]'
cl_neigh 00:00:5e:00:01:05
per_client "-w" 3 0xdeadbeef "0:accepted_5 1:accepted_6 2:accepted_7"
note "buckets of 60 clients:$SPREAD"
check "each client's datagram lands in carp_balance_bucket's WAN bucket${MISMATCH:+:$MISMATCH}" \
	test -z "$MISMATCH"
check "  ... all three buckets used ($SPREAD)" eval \
	'[ "$(cnt accepted_5)" -gt 0 ] && [ "$(cnt accepted_6)" -gt 0 ] && [ "$(cnt accepted_7)" -gt 0 ]'
check "carp_balance_parse_counters agrees" parsed_ok

log "4. ARP requests for a VIP are dropped by the table"
ip -n "$(ns cl)" neigh del $VIP4 dev eth0
ip -n "$(ns cl)" neigh del 192.0.2.1 dev eth0 2>/dev/null
check "the client cannot resolve $VIP4 (fw's kernel does not answer)" eval \
	"! nsx cl ping -c 2 -W 1 $VIP4 && ! ip -n $(ns cl) neigh show $VIP4 dev eth0 | grep -q lladdr"
check "  ... but resolves 192.0.2.1, fw's own address, to $FW_MAC" eval \
	"nsx cl ping -c 1 -W 2 192.0.2.1 && ip -n $(ns cl) neigh show 192.0.2.1 dev eth0 | grep -q 'lladdr $FW_MAC'"

log "5. flags owner"
nsx fw nft delete table netdev $TABLE
check "the table with flags owner loads with nft -f" eval \
	"'$BAL' create -d eth0 $CREATE1 | nsx fw nft -f -"
check "  ... and is gone once nft has exited" eval \
	"! nsx fw nft list tables | grep -q $TABLE"
check "bal_hash refuses a device name nft would parse (eth0;)" eval \
	"! '$BAL' create -d 'eth0;' $CREATE1"
finish
