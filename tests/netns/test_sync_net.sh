#!/bin/bash
# syncd's transport (syncd/sync_net.c) and watch tap (syncd/sync_tap.c)
# against the real kernel, driven by BUILD/tests/sync_net_driver:
#  - multicast A -> B on the direct sync link: delivered with TTL 255, TOS
#    0x10, DF, to 224.0.0.240 (checked with tshark, and decoded as CARPSYNC
#    by scripts/carpsync-sync.lua); the group is joined on syncdev; loop off
#    (the sender's own receiver hears nothing);
#  - unicast IPv4 and IPv6 (global and link-local) peers: delivered, TTL /
#    hop limit 255; a unicast receiver joins no group and, with
#    IP_MULTICAST_ALL off, hears no group frame even while another socket
#    on the host has joined the group; ICMP protocol-unreachable from a
#    peer without a receiver does not disturb ours;
#  - TTL 64 / 254 (IPv4) and hop limit 64 (IPv6) -> BADTTL, never silent;
#  - a frame arriving on another interface of B (from a third node C):
#    never delivered to the syncdev socket, because SO_BINDTODEVICE keeps it
#    out before our BADIF check could see it (a receiver on that other
#    interface does get it, so the frame did reach B's stack);
#  - size: sync_net_max_frame = MTU - IP header; one byte more fails (DF);
#  - the tap: a dummy link, up, no IPv6 address, captured copies are
#    Ethernet to 01:00:5e:00:00:f0 + IPv4 proto 240 TTL 255 with a good
#    checksum + a frame that decodes as CARPSYNC; nothing else on the link;
#    the stack receives nothing (Ip InReceives, rx 0 while tx rises); an
#    existing dummy is reused, a non-dummy is refused and left alone.
# Needs root; namespaces get a random suffix and are removed on exit.
cd "$(dirname "$0")/../.." || exit 1
. tests/netns/lib.sh
BUILD=${1:-$BUILD}
DRV=$BUILD/tests/sync_net_driver
LUA=scripts/carpsync-sync.lua
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }
command -v tcpdump >/dev/null || { echo "$T_NAME: SKIP (no tcpdump)"; exit 77; }
if [ ! -x "$DRV" ]; then
	fail "$DRV is missing (make $DRV)"
	finish
	exit
fi
T_ID="sn$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"

# --- topology ---------------------------------------------------------------
#   a:sync0 192.0.2.1 2001:db8:1::1 ==== b:sync0 192.0.2.2 2001:db8:1::2
#   b:eth1 198.51.100.2 2001:db8:2::2 ==== c:eth0 198.51.100.3 2001:db8:2::3
#   t: only lo (the tap, so its counters see nothing else)
topo() {
	local n
	for n in a b c t; do
		ns_add $n || return 1
		nsx $n sysctl -qw net.ipv6.conf.default.accept_dad=0
		nsx $n sysctl -qw net.ipv6.conf.all.accept_dad=0
	done
	ip -n "$(ns a)" link add sync0 type veth peer name sync0 netns "$(ns b)" || return 1
	ip -n "$(ns b)" link add eth1 type veth peer name eth0 netns "$(ns c)" || return 1
	ip -n "$(ns a)" addr add 192.0.2.1/24 dev sync0
	ip -n "$(ns a)" addr add 2001:db8:1::1/64 dev sync0 nodad
	ip -n "$(ns b)" addr add 192.0.2.2/24 dev sync0
	ip -n "$(ns b)" addr add 2001:db8:1::2/64 dev sync0 nodad
	ip -n "$(ns b)" addr add 198.51.100.2/24 dev eth1
	ip -n "$(ns b)" addr add 2001:db8:2::2/64 dev eth1 nodad
	ip -n "$(ns c)" addr add 198.51.100.3/24 dev eth0
	ip -n "$(ns c)" addr add 2001:db8:2::3/64 dev eth0 nodad
	ip -n "$(ns a)" link set sync0 up && ip -n "$(ns b)" link set sync0 up &&
		ip -n "$(ns b)" link set eth1 up && ip -n "$(ns c)" link set eth0 up || return 1
	ip -n "$(ns c)" route add 192.0.2.0/24 via 198.51.100.2
	ip -n "$(ns c)" route add 2001:db8:1::/64 via 2001:db8:2::2
	# link-locals present and usable on the sync link
	poll_for 5 sh -c "ip -n $(ns b) -6 addr show dev sync0 scope link | grep -q fe80"
}

# rx_start NAME NODE DEV PEER|- SECONDS: a receiver in the background, its
# lines in $T_DIR/NAME.out; returns once its sockets are open.
rx_start() {
	local name=$1 node=$2
	shift 2
	ip netns exec "$(ns "$node")" "$DRV" recv "$@" >"$T_DIR/$name.out" \
		2>"$T_DIR/$name.err" &
	eval "RX_$name=$!"
	T_PIDS="$T_PIDS $!"
	poll_for 5 grep -q listening "$T_DIR/$name.err"
}
# rx_wait NAME: the receiver ends by itself after its SECONDS
rx_wait() { wait "$(eval "echo \${RX_$1}")"; }
send() { local node=$1; shift; nsx "$node" "$DRV" send "$@" >>"$T_DIR/send.out" 2>&1; }
# nlines NAME REGEX: lines of a receiver's output matching REGEX
nlines() { grep -cE "$2" "$T_DIR/$1.out"; }
# the sequence numbers a receiver got, in order
seqs() { grep -oE 'seq=[0-9]+' "$T_DIR/$1.out" | tr '\n' ' '; }
# tcount PCAP FILTER: packets of a capture matching a display filter
tcount() { tshark -r "$1" -Y "$2" 2>/dev/null | wc -l; }
lcount() { tshark -X "lua_script:$LUA" -r "$1" -Y "$2" 2>/dev/null | wc -l; }
not() { ! "$@"; }

topo || { fail "topology"; finish; exit; }
A=192.0.2.1; B=192.0.2.2; A6=2001:db8:1::1; B6=2001:db8:1::2
OK1_5="seq=1 seq=2 seq=3 seq=4 seq=5 "

# --- multicast A -> B ------------------------------------------------------
log "multicast on the sync link"
capture_start mc b sync0 "$T_DIR/mc.pcap" 'ip proto 240'
rx_start mc_b b sync0 - 2
rx_start mc_a a sync0 - 2
check "B joined 224.0.0.240 on sync0" eval "ip -n $(ns b) maddr show dev sync0 | grep -qw 224.0.0.240"
check "A sends 5 frames to the group" send a sync0 - 5
rx_wait mc_b; rx_wait mc_a
capture_stop mc
check "B got exactly 5, all OK from $A, 60 bytes, valid frames" \
	[ "$(nlines mc_b "^OK $A len=60 seq=[0-9]+ check=ok$")" = 5 -a "$(wc -l < "$T_DIR/mc_b.out")" = 5 ]
check "  in order (seq 1..5)" [ "$(seqs mc_b)" = "$OK1_5" ]
check "loop off: A's own receiver heard nothing" [ ! -s "$T_DIR/mc_a.out" ]
P=$T_DIR/mc.pcap
check "captured: 5 x proto 240 to 224.0.0.240 from $A" \
	[ "$(tcount "$P" "ip.proto == 240 && ip.src == $A && ip.dst == 224.0.0.240")" = 5 ]
check "  all TTL 255, TOS 0x10, DF, to 01:00:5e:00:00:f0" \
	[ "$(tcount "$P" 'ip.ttl == 255 && ip.dsfield == 0x10 && ip.flags.df == 1 && eth.dst == 01:00:5e:00:00:f0')" = 5 ]
check "  the filter can fail: none has TTL 64" [ "$(tcount "$P" 'ip.ttl == 64')" = 0 ]
check "  all decode as CARPSYNC (Lua dissector)" [ "$(lcount "$P" carpsync)" = 5 ]

# --- unicast IPv4 ----------------------------------------------------------
log "unicast IPv4"
capture_start u4 b sync0 "$T_DIR/u4.pcap" 'ip proto 240'
rx_start u4_b b sync0 $A 2
check "a unicast receiver joins no group" not eval "ip -n $(ns b) maddr show dev sync0 | grep -qw 224.0.0.240"
# A group receiver beside it joins the group, so B's kernel accepts the
# group frames: only IP_MULTICAST_ALL=0 keeps them from the unicast one.
rx_start u4_mc b sync0 - 2
check "A sends 5 frames to $B" send a sync0 $B 5
check "A sends 3 to the group too" send a sync0 - 3
rx_wait u4_b; rx_wait u4_mc
capture_stop u4
check "the unicast receiver got exactly the 5 unicast frames, OK from $A" \
	[ "$(nlines u4_b "^OK $A len=60 seq=[0-9]+ check=ok$")" = 5 -a "$(wc -l < "$T_DIR/u4_b.out")" = 5 ]
check "  the group receiver got all 8 (raw sockets get every unicast too)" \
	[ "$(nlines u4_mc "^OK $A len=60 seq=[0-9]+ check=ok$")" = 8 ]
check "  seq 1..5" [ "$(seqs u4_b)" = "$OK1_5" ]
check "captured: 5 to $B with TTL 255, TOS 0x10, DF" \
	[ "$(tcount "$T_DIR/u4.pcap" "ip.dst == $B && ip.ttl == 255 && ip.dsfield == 0x10 && ip.flags.df == 1")" = 5 ]

# B has no receiver now: its kernel answers protocol unreachable, which
# must not disturb A's receiver (an unconnected raw socket ignores ICMP).
capture_start icmp a sync0 "$T_DIR/icmp.pcap" icmp
rx_start icmp_a a sync0 $B 2
check "A sends 2 to $B, where nothing listens" send a sync0 $B 2
check "B sends 2 to $A" send b sync0 $A 2
rx_wait icmp_a
capture_stop icmp
check "B's kernel answered protocol 240 unreachable" \
	[ "$(tcount "$T_DIR/icmp.pcap" 'icmp.type == 3 && icmp.code == 2 && ip.src == 192.0.2.2')" -ge 1 ]
check "  A's receiver got B's 2 frames regardless, nothing else" \
	[ "$(nlines icmp_a "^OK $B len=60 seq=[0-9]+ check=ok$")" = 2 -a "$(wc -l < "$T_DIR/icmp_a.out")" = 2 ]
check "  and logged no error" not grep -q recvmsg "$T_DIR/icmp_a.err"

# --- unicast IPv6 ----------------------------------------------------------
log "unicast IPv6"
capture_start u6 b sync0 "$T_DIR/u6.pcap" 'ip6 proto 240'
rx_start u6_b b sync0 $A6 2
check "A sends 5 frames to $B6" send a sync0 $B6 5
rx_wait u6_b
capture_stop u6
check "B got exactly 5, OK from $A6" \
	[ "$(nlines u6_b "^OK $A6 len=60 seq=[0-9]+ check=ok$")" = 5 -a "$(wc -l < "$T_DIR/u6_b.out")" = 5 ]
check "  seq 1..5" [ "$(seqs u6_b)" = "$OK1_5" ]
check "captured: 5 to $B6 with hop limit 255, traffic class 0x10" \
	[ "$(tcount "$T_DIR/u6.pcap" "ipv6.dst == $B6 && ipv6.hlim == 255 && ipv6.nxt == 240 && ipv6.tclass == 0x10")" = 5 ]
LLA=$(ip -n "$(ns a)" -6 -o addr show dev sync0 scope link | awk '{ sub("/.*", "", $4); print $4 }')
LLB=$(ip -n "$(ns b)" -6 -o addr show dev sync0 scope link | awk '{ sub("/.*", "", $4); print $4 }')
rx_start ll_b b sync0 "$LLA" 2
check "A sends 3 frames to B's link-local $LLB (scope from syncdev)" send a sync0 "$LLB" 3
rx_wait ll_b
check "B got the 3, OK from $LLA" [ "$(nlines ll_b "^OK $LLA len=60 seq=[0-9]+ check=ok$")" = 3 ]

# --- wrong TTL ---------------------------------------------------------------
log "TTL / hop limit other than 255"
rx_start ttl_b b sync0 - 2
rx_start ttl6_b b sync0 $A6 2
check "A sends 3 to the group with TTL 64" send a -t 64 sync0 - 3
check "A sends 1 to the group with TTL 254" send a -t 254 sync0 - 1
check "A sends 3 to $B6 with hop limit 64" send a -t 64 sync0 $B6 3
rx_wait ttl_b; rx_wait ttl6_b
check "IPv4: 4 x BADTTL from $A, none OK (the frames themselves are valid)" \
	[ "$(nlines ttl_b "^BADTTL $A len=60 seq=[0-9]+ check=ok$")" = 4 -a "$(wc -l < "$T_DIR/ttl_b.out")" = 4 ]
check "IPv6: 3 x BADTTL from $A6, none OK" \
	[ "$(nlines ttl6_b "^BADTTL $A6 len=60 seq=[0-9]+ check=ok$")" = 3 -a "$(wc -l < "$T_DIR/ttl6_b.out")" = 3 ]

# --- another interface ----------------------------------------------------
# C reaches B through eth1 only. Unicast to B's sync0 address and to the
# group: both arrive on eth1. SO_BINDTODEVICE keeps them from the sync0
# sockets altogether, so the BADIF verdict (IP_PKTINFO) is defence in
# depth that this kernel path never reaches; the eth1 receiver shows the
# frames did arrive.
log "frames arriving on another interface of B"
capture_start if b eth1 "$T_DIR/if.pcap" 'ip proto 240 or ip6 proto 240'
rx_start if_mc b sync0 - 2
rx_start if_u4 b sync0 198.51.100.3 2
rx_start if_u6 b sync0 2001:db8:2::3 2
rx_start if_eth1 b eth1 - 2
check "C sends 3 to $B (B's sync0 address, via eth1)" send c eth0 $B 3
check "C sends 3 to the group on its eth0" send c eth0 - 3
check "C sends 3 to $B6 (via eth1)" send c eth0 $B6 3
rx_wait if_mc; rx_wait if_u4; rx_wait if_u6; rx_wait if_eth1
capture_stop if
check "they arrived on B's eth1 (capture: 9)" \
	[ "$(tcount "$T_DIR/if.pcap" 'ip.proto == 240 || ipv6.nxt == 240')" = 9 ]
check "an eth1 receiver gets the 6 IPv4 ones (they reach B's stack)" \
	[ "$(nlines if_eth1 '^OK 198\.51\.100\.3 len=60')" = 6 ]
check "the sync0 receivers get none of them (multicast mode)" [ ! -s "$T_DIR/if_mc.out" ]
check "  (unicast IPv4 mode)" [ ! -s "$T_DIR/if_u4.out" ]
check "  (unicast IPv6 mode)" [ ! -s "$T_DIR/if_u6.out" ]

# --- size --------------------------------------------------------------------
log "frame size limit"
check "max frame on a 1500 MTU: 1480 (IPv4)" [ "$(nsx a "$DRV" maxframe sync0 -)" = 1480 ]
check "  1460 (IPv6 peer)" [ "$(nsx a "$DRV" maxframe sync0 $B6)" = 1460 ]
check "a 1480-byte frame is sent" send a -s 1480 sync0 - 1
check "a 1481-byte frame fails (DF, EMSGSIZE)" not send a -s 1481 sync0 - 1
check "  with \"Message too long\"" grep -q "Message too long" "$T_DIR/send.out"
ip -n "$(ns a)" link set sync0 mtu 9000
check "max frame follows the MTU (9000 -> 8980)" [ "$(nsx a "$DRV" maxframe sync0 -)" = 8980 ]
ip -n "$(ns a)" link set sync0 mtu 1500

# --- the watch tap -----------------------------------------------------------
log "the watch tap pfsync0"
in_receives() {	# Ip InReceives of namespace t
	nsx t awk '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "InReceives") c = i; h = 1 } else print $c }' /proc/net/snmp
}
link_stat() {	# link_stat rx|tx: packets on pfsync0 in namespace t
	ip -n "$(ns t)" -s -j link show dev pfsync0 | jq -r ".[0].stats64.$1.packets"
}
# The kernel may be built without the dummy driver (CONFIG_DUMMY unset):
# then sync_tap makes an ifb, which discards what it is sent just as well
# but counts it as rx + rx_dropped (its counters are the other way round).
if ip -n "$(ns t)" link add probe0 type dummy 2>/dev/null; then
	ip -n "$(ns t)" link del probe0
	KIND=dummy
else
	KIND=ifb
	log "this kernel has no dummy links: the tap is an ifb"
fi
ir0=$(in_receives)
nsx t "$DRV" tap pfsync0 4 >"$T_DIR/tap.out" 2>"$T_DIR/tap.err" &
TAP_PID=$!; T_PIDS="$T_PIDS $TAP_PID"
check "the tap opens" poll_for 5 grep -q "tap pfsync0 open" "$T_DIR/tap.err"
capture_start tap t pfsync0 "$T_DIR/tap.pcap"
check "pfsync0 exists and is a $KIND" \
	[ "$(ip -n "$(ns t)" -d -j link show dev pfsync0 | jq -r '.[0].linkinfo.info_kind')" = $KIND ]
check "  is up" [ "$(ip -n "$(ns t)" -j link show dev pfsync0 | jq -r '.[0].flags | index("UP") != null')" = true ]
check "  has IPv6 address generation off" eval "ip -n $(ns t) -d link show dev pfsync0 | grep -q 'addrgenmode none'"
check "  has no address at all" eval "ip -n $(ns t) link show dev pfsync0 && [ -z \"\$(ip -n $(ns t) -o addr show dev pfsync0)\" ]"
check "  MTU 65535 (any frame fits)" [ "$(ip -n "$(ns t)" -j link show dev pfsync0 | jq -r '.[0].mtu')" = 65535 ]
sleep 2
capture_stop tap
wait $TAP_PID; rc=$?
check "the tap run ends cleanly" [ "$rc" = 0 ]
copies=$(awk '$1 == "copies" { print $2 }' "$T_DIR/tap.out")
check "  after about 40 copies ($copies)" [ "${copies:-0}" -ge 30 ]
P=$T_DIR/tap.pcap
ncap=$(tcount "$P" frame)
check "tcpdump -i pfsync0 captured copies ($ncap)" [ "$ncap" -ge 10 ]
[ "$ncap" -ge 1 ] || ncap=none	# the checks below then fail
check "  every one Ethernet to 01:00:5e:00:00:f0, type IPv4, from pfsync0's MAC" \
	[ "$(tcount "$P" "eth.dst == 01:00:5e:00:00:f0 && eth.type == 0x0800 && eth.src == $(ip -n "$(ns t)" -j link show dev pfsync0 | jq -r '.[0].address')")" = "$ncap" ]
check "  IPv4 proto 240, TTL 255, TOS 0x10, DF, 192.0.2.1 -> 224.0.0.240" \
	[ "$(tcount "$P" 'ip.proto == 240 && ip.ttl == 255 && ip.dsfield == 0x10 && ip.flags.df == 1 && ip.src == 192.0.2.1 && ip.dst == 224.0.0.240 && ip.len == 80')" = "$ncap" ]
check "  with a good IP header checksum" \
	[ "$(tshark -o ip.check_checksum:TRUE -r "$P" -Y 'ip.checksum.status == 1' 2>/dev/null | wc -l)" = "$ncap" ]
check "  decoding as CARPSYNC (Lua dissector)" [ "$(lcount "$P" 'carpsync')" = "$ncap" ]
check "nothing else on the link (no IPv6 ND/MLD: it stays quiet)" \
	[ "$ncap" != none -a "$(tcount "$P" '!(ip.proto == 240)')" = 0 ]
check "the stack received nothing (Ip InReceives unchanged)" [ "$ncap" != none -a "$(in_receives)" = "$ir0" ]
if [ $KIND = dummy ]; then
	check "  pfsync0 rx 0" [ "$(link_stat rx)" = 0 ]
	check "  while tx rose (>= $copies)" [ "$(link_stat tx)" -ge "${copies:-1}" ]
else
	check "  the ifb dropped every copy (rx_dropped = rx >= $copies, tx 0)" \
		[ "$(link_stat rx)" -ge "${copies:-1}" -a "$(link_stat rx)" = "$(ip -n "$(ns t)" -s -j link show dev pfsync0 | jq -r '.[0].stats64.rx.dropped')" -a "$(link_stat tx)" = 0 ]
fi
nsx t ping -c 1 -W 1 127.0.0.1 >/dev/null 2>&1
check "  (InReceives does count: a ping on lo raises it)" [ "$(in_receives)" -gt "$ir0" ]
check "the link stays after a close without delete" ip -n "$(ns t)" link show dev pfsync0

log "reuse, delete, refuse"
nsx t "$DRV" tap -d pfsync0 1 >/dev/null 2>"$T_DIR/tap2.err"; rc=$?
check "a second tap reuses the existing dummy and deletes it at the end" [ "$rc" = 0 ]
check "  it was the same link (not recreated)" not grep -q "created" "$T_DIR/tap2.err"
check "  and it is gone now" not ip -n "$(ns t)" link show dev pfsync0
nsx t "$DRV" tap -d pfsync0 1 >/dev/null 2>"$T_DIR/tap3.err"
check "a tap with no link creates one (and says so)" grep -q "created $KIND link pfsync0" "$T_DIR/tap3.err"
ip -n "$(ns t)" link add vx0 type veth peer name vx1
nsx t "$DRV" tap -d vx0 1 >/dev/null 2>"$T_DIR/tap4.err"; rc=$?
check "a non-dummy name (a veth) is refused" [ "$rc" = 1 ]
check "  saying why" grep -q "vx0 exists and is not a dummy" "$T_DIR/tap4.err"
check "  and the veth is left alone" \
	[ "$(ip -n "$(ns t)" -d -j link show dev vx0 | jq -r '.[0].linkinfo.info_kind')" = veth ]

finish
