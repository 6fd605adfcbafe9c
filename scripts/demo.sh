#!/bin/bash
# carpsync live demo: two firewalls running carpd and syncd in network
# namespaces, a strict stateful ruleset on both, a client behind them and a
# server in front, a TCP stream and a ping through the virtual IPs, a
# silent death (kill -9) of the MASTER and its return.
#
# usage: scripts/demo.sh [BUILD_DIR]     (as root; `make demo` runs it)
#
# It creates only its own namespaces (csdemoPID-*), veth pairs and bridges,
# uses only documentation addresses (192.0.2.0/24, 198.51.100.0/24,
# 2001:db8::/32), and removes all of it on exit, Ctrl-C included. Exit
# status 0 when everything happened as narrated, 1 otherwise.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/demo-lib.sh
. "$HERE/demo-lib.sh"

REPO=$(cd "$HERE/.." && pwd)
BUILD=${1:-$REPO/build}
# a relative BUILD_DIR is tried from here, then from the repository
[ -d "$BUILD" ] || BUILD=$REPO/$BUILD
# run directly (not by `make demo`): install what is missing and build
if [ ! -x "$BUILD/carpd" ] || [ ! -x "$BUILD/syncd" ] || [ ! -x "$BUILD/carpctl" ]; then
	echo "demo: building carpsync first (make -C $REPO BUILD=$BUILD)"
	make -s -C "$REPO" -j2 BUILD="$BUILD" all >&2 || die "the build failed"
fi
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build directory: ${1:-build}"
CARPD=$BUILD/carpd
CARPCTL=$BUILD/carpctl
SYNCD=$BUILD/syncd

LAN_VIP=192.0.2.254
LAN_VIP6=2001:db8::fe
WAN_VIP=198.51.100.254
CLIENT=192.0.2.100
SERVER=198.51.100.100
VMAC1=00:00:5e:00:01:01		# vhid 1 (LAN)
VMAC2=00:00:5e:00:01:02		# vhid 2 (WAN)
TCP_PORT=5001
# advbase 0 counts the interval in 1/256 s: fw1 adverts every 20/256 s
# (78 ms), fw2 every 60/256 s (234 ms); fw2 declares fw1 dead after three
# of its own intervals, 703 ms.
SKEW_FW1=20
SKEW_FW2=60
# every background program also stops by itself after this many seconds,
# should the cleanup ever be bypassed (kill -9 of this script)
LIFETIME=150

preflight() {
	local t
	[ "$(id -u)" = 0 ] || die "run me as root (network namespaces need it): sudo make demo"
	[ -x "$CARPD" ] && [ -x "$CARPCTL" ] && [ -x "$SYNCD" ] || die "build first: make (looked in $BUILD)"
	for t in ip bridge nft jq ping perl ss awk conntrack; do
		command -v "$t" >/dev/null || die "missing tool: $t (scripts/install-deps.sh installs it)"
	done
}

# --- the network -------------------------------------------------------------

show_diagram() {
	cat <<EOF
                      client $CLIENT, 2001:db8::100
                        |             default route via the LAN VIP
               =========+========= LAN bridge: 192.0.2.0/24, 2001:db8::/64
              | eth0              | eth0
        fw1 192.0.2.1  --sync0--  fw2 192.0.2.2     LAN VIP $LAN_VIP, $LAN_VIP6
            198.51.100.1          198.51.100.2  WAN VIP $WAN_VIP
              | eth1  203.0.113.1/30 .2 | eth1
               =========+========= WAN bridge: 198.51.100.0/24
                        |             sees the client as the WAN VIP (SNAT)
                      server $SERVER
EOF
}

# The strict stateful ruleset of a real firewall: forward policy drop;
# only connections from the LAN to the WAN that begin with a SYN (and
# pings) are let in; packets of known connections pass; what conntrack
# calls INVALID is dropped and counted, forwarded or not; nf_conntrack_tcp_loose=0, so a
# segment of a connection conntrack has no entry for is INVALID (the
# kernel's default, 1, would adopt it in mid-stream: the stream would then
# survive a failover by luck, not by syncd). SNAT of the LAN to the WAN VIP.
load_ruleset() {
	nsx "$1" nft -f - <<'NFT'
table inet fw {
	counter established { }
	counter invalid { }
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related counter name "established" accept
		ct state invalid counter name "invalid" drop
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 tcp flags & (syn | ack | fin | rst) == syn ct state new accept
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 icmp type echo-request ct state new accept
	}
	# an INVALID packet is never un-NATed: one sent to a VIP this node
	# holds would reach its own TCP stack, which answers with a RST. That
	# happens at a failback, while one vhost has moved and the other not
	# yet: the old master sees one direction only, calls the other's
	# segments INVALID, and would reset the stream.
	chain input {
		type filter hook input priority filter; policy accept;
		ct state invalid counter name "invalid" drop
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 snat ip to 198.51.100.254
	}
}
NFT
	# (the sysctl exists once the ruleset has loaded conntrack)
	nsx "$1" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
}

setup_fw() {	# setup_fw NODE N: a firewall with .N on both segments
	ns_add "$1" && plug "$1" eth0 br-lan "lan-$1" && plug "$1" eth1 br-wan "wan-$1" ||
	    return 1
	ip -n "$(ns "$1")" addr add "192.0.2.$2/24" dev eth0 &&
	    ip -n "$(ns "$1")" addr add "2001:db8::$2/64" dev eth0 nodad &&
	    ip -n "$(ns "$1")" addr add "198.51.100.$2/24" dev eth1 &&
	    nsx "$1" sysctl -qw net.ipv4.ip_forward=1 &&
	    load_ruleset "$1" || return 1
	wait_for 5 no_tentative "$1"
}

build_topology() {
	local h
	for h in sw client server; do
		ns_add "$h" || die "cannot create namespace $(ns "$h")"
	done
	bridge_add br-lan && bridge_add br-wan || die "cannot create the bridges"
	setup_fw fw1 1 || die "cannot set up fw1"
	setup_fw fw2 2 || die "cannot set up fw2"
	sync_cable || die "cannot lay the sync cable"
	plug client eth0 br-lan lan-client && plug server eth0 br-wan wan-server &&
	    ip -n "$(ns client)" addr add $CLIENT/24 dev eth0 &&
	    ip -n "$(ns client)" addr add 2001:db8::100/64 dev eth0 nodad &&
	    ip -n "$(ns client)" route add default via $LAN_VIP &&
	    ip -n "$(ns server)" addr add $SERVER/24 dev eth0 &&
	    rst_watch client && rst_watch server ||
	    die "cannot set up the client and the server"
}

write_vhost() {	# write_vhost NODE FILE VHID DEV ADVSKEW ADDR...
	local f=$D/$1/carpd.d/$2 a
	{
		echo "vhid $3"
		echo "carpdev $4"
		for a in "${@:6}"; do echo "address $a"; done
		echo "advbase 0"
		echo "advskew $5"
		echo 'pass "carpsync demo"'
	} > "$f"
}

write_configs() {
	local node skew
	# one 256-bit key for the pair (openssl rand -hex 32 does the same)
	(umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$D/sync.key") ||
	    die "cannot write the sync key"
	for node in fw1 fw2; do
		[ "$node" = fw1 ] && skew=$SKEW_FW1 || skew=$SKEW_FW2
		mkdir -p "$D/$node/carpd.d"
		cat > "$D/$node/carpd.conf" <<EOF
control-socket "$D/$node/carpd.sock"
preempt yes
include "carpd.d/*.conf"
EOF
		write_vhost "$node" lan.conf 1 eth0 "$skew" "$LAN_VIP/24" "$LAN_VIP6/64"
		write_vhost "$node" wan.conf 2 eth1 "$skew" "$WAN_VIP/24"
		"$CARPD" -n -f "$D/$node/carpd.conf" >"$D/$node/configtest.log" 2>&1 ||
		    { cat "$D/$node/configtest.log"; die "carpd -n rejects the configuration of $node"; }
		cat > "$D/$node/syncd.conf" <<EOF
syncdev sync0
node-id ${node#fw}
keyfile "$D/sync.key"
carpd-socket "$D/$node/carpd.sock"
control-socket "$D/$node/syncd.sock"
pfsync-if none
send-delay 10
EOF
		"$SYNCD" -n -f "$D/$node/syncd.conf" >"$D/$node/configtest.log" 2>&1 ||
		    { cat "$D/$node/configtest.log"; die "syncd -n rejects the configuration of $node"; }
	done
}

# --- the steps -----------------------------------------------------------------

step1() {
	heading "1. Two firewalls, one set of virtual addresses, one connection table"
	say "Five network namespaces stand in for five machines: a client on the LAN,
two firewalls, fw1 and fw2, between the LAN and the WAN, a server on the WAN,
and a 'switch' holding one bridge per segment. A direct cable, sync0, joins
the two firewalls:"
	echo
	show_diagram
	build_topology
	echo
	say "Both firewalls forward and run a strict stateful ruleset: policy drop, new
connections only from the LAN and only with a SYN, known connections pass,
what conntrack calls INVALID is dropped and counted, SNAT of the LAN to the
WAN VIP, and nf_conntrack_tcp_loose=0, so a firewall that has no conntrack
entry for a connection drops its packets. Each runs carpd with two virtual
hosts (vhid 1 on eth0: the LAN VIPs, vhid 2 on eth1: the WAN VIP) and syncd,
which copies every conntrack entry to the other firewall over sync0. fw1's
carpd.d/lan.conf, then its syncd.conf:"
	write_configs
	echo
	indent < "$D/fw1/carpd.d/lan.conf"
	echo
	indent < "$D/fw1/syncd.conf"
	echo
	say "fw2's files differ in 'advskew $SKEW_FW2' and 'node-id 2'; both have 'preempt yes' in
carpd.conf. A MASTER advertises every advbase + advskew/256 seconds, and the
most frequent advertiser wins: fw1 every $(ms $SKEW_FW1) ms, fw2 would every $(ms $SKEW_FW2) ms. A
BACKUP declares the MASTER dead after three of its own intervals: fw2 waits
$(ms $((3 * SKEW_FW2))) ms. (In production, advbase 1 with advskew 0 and 100 gives a takeover
in about 4 s.)"
	start_carpd fw1 carpd.log && start_carpd fw2 carpd.log ||
	    { fail_step "carpd did not start"; return 1; }
	if ! wait_for 5 both_state fw1 MASTER || ! wait_for 5 both_state fw2 BACKUP; then
		fail_step "fw1 did not become MASTER of both vhosts, with fw2 BACKUP"
		return 1
	fi
	start_syncd fw1 syncd.log && start_syncd fw2 syncd.log ||
	    { fail_step "syncd did not start"; return 1; }
	wait_for 10 sync_paired ||
	    { fail_step "the two syncd did not pair up and finish their bulks"; return 1; }
	show_status fw1
	show_status fw2
	show_sync_status fw1
	show_sync_status fw2
	wait_for 3 nsx client ping -c 1 -W 1 $LAN_VIP &&
	    wait_for 3 nsx client ping -c 1 -W 1 $LAN_VIP6 ||
	    { fail_step "the client cannot reach the LAN VIPs"; return 1; }
	echo
	note "fw1 is MASTER of both vhosts, fw2 BACKUP; the two syncd are paired, bulks done;"
	note "the client pings $LAN_VIP and $LAN_VIP6"
}

stream_port() {	# the client's port of the TCP stream ("" if none)
	nsx client ss -Htn state established "dport = :$TCP_PORT" | awk '{ n = split($3, a, ":"); print a[n]; exit }'
}
stream_entry() {	# stream_entry NODE: the stream's conntrack entry there
	nsx "$1" conntrack -L -p tcp --orig-port-src "$T_PORT" --orig-port-dst "$TCP_PORT" 2>/dev/null |
	    grep ESTABLISHED
}

step2() {
	heading "2. Traffic through the MASTER, its state on both firewalls"
	say "The client pings the server every 10 ms (ping -D: each reply is stamped with
the time it arrived) and keeps one TCP connection to an echo service on the
server busy: a line every 20 ms, each echo awaited and stamped. The outages
below come from these stamps."
	start_traffic || { fail_step "the traffic did not start"; return 1; }
	wait_for 5 flowing || { fail_step "no traffic gets through fw1"; return 1; }
	T_PORT=$(stream_port)
	wait_for 3 stream_entry fw2 ||
	    fail_step "fw2 has no conntrack entry for the stream: syncd did not replicate it"
	sleep 1
	echo
	note "TCP echoes so far: $(tcp_count), from client port $T_PORT"
	note "fw1's conntrack entry of the stream (it forwards it):"
	stream_entry fw1 | indent
	note "fw2's copy, written into its kernel by its syncd (fw2 never saw a packet of it):"
	stream_entry fw2 | indent
	note "forwarded as established: fw1 $(nft_counter fw1 established), fw2 $(nft_counter fw2 established)"
	show_sync_status fw2
	flowing || { fail_step "the traffic stopped"; return 1; }
}

step3() {
	heading "3. fw1 dies silently"
	say "We cut fw1 off completely, as if its kernel hung: nftables netdev hooks drop
every frame in and out of eth0, eth1 and sync0 (the links stay up, so the
switch notices nothing), and we kill its carpd and syncd with SIGKILL, so
neither can say goodbye. fw2 hears no more adverts: $(ms $((3 * SKEW_FW2))) ms after the last
one it becomes MASTER, brings up the same virtual MACs and VIPs and announces
them. Its kernel already holds the stream's conntrack entry, so its strict
ruleset forwards the next segment as ESTABLISHED. Every 200 ms:"
	echo
	note "before the crash, fw2's kernel holds $(sq fw2 .states.imported) states its syncd imported" \
	    "from fw1, the stream's among them"
	echo
	INV0=$(nft_counter fw2 invalid)
	EST0=$(nft_counter fw2 established)
	ECHO0=$(tcp_count)
	T_CRASH=$(now)
	silence fw1 || { fail_step "cannot cut fw1 off"; return 1; }
	stop_carpd fw1 KILL && stop_syncd fw1 KILL ||
	    { fail_step "cannot kill fw1's daemons"; return 1; }
	timeline "$T_CRASH" fw2 MASTER
	wait_for 3 both_state fw2 MASTER || { fail_step "fw2 did not take over"; return 1; }
	if ! wait_for 10 flowing; then
		measure FAILOVER "$T_CRASH"
		fail_step "the traffic did not resume through fw2 (TCP: ${RES_TCPOK[FAILOVER]})"
		return 1
	fi
	sleep 1.5
	show_status fw2
	echo
	note "fw2's log:"
	grep -- '->' "$D/fw2/carpd.log" | grep -v INIT | indent
	measure FAILOVER "$T_CRASH"
	report_outage FAILOVER
	stream_checks FAILOVER fw2 "$INV0" "$EST0" "$ECHO0"
	# fw2 cannot take over sooner than 703 - 78 ms after the crash: a
	# shorter gap means fw1 was not cut off
	awk -v g="${RES_GAP[FAILOVER]}" 'BEGIN { exit !(g >= 0.4) }' ||
	    fail_step "the outage is too short for a takeover: was fw1 really cut off?"
	echo
	say "The MASTER's silent death cost ${RES_GAP[FAILOVER]} s of ping and ${RES_TCP[FAILOVER]} s of TCP: fw2's
master-down timer, then TCP's retransmission timer, which backs off (200 ms,
400 ms, ...), so TCP stalls a little longer than ping. The connection is the
same one, no RST was sent, and fw2 dropped nothing as INVALID: without
syncd, fw2's strict ruleset would have dropped the stream's first segment
and the connection would have died (tests/netns/test_sync_failover.sh checks
both)."
}

# stream_checks NAME NODE INVALID0 ESTABLISHED0 ECHOES0: the stream went on
# through NODE as the same connection, no RST, nothing dropped as invalid
stream_checks() {
	local n=$1 node=$2 inv est echoes p rst
	inv=$(( $(nft_counter "$node" invalid) - $3 ))
	est=$(( $(nft_counter "$node" established) - $4 ))
	echoes=$(( $(tcp_count) - $5 ))
	p=$(stream_port)
	rst=$(( $(rst_count client) + $(rst_count server) ))
	note "the TCP stream: client port ${p:-none} (before: $T_PORT), $echoes echoes since," \
	    "RST seen by the client and the server: $rst"
	note "$node: $est packets forwarded as established, $inv dropped as invalid"
	if [ "$p" = "$T_PORT" ] && [ "$rst" = 0 ] && [ "$echoes" -gt 0 ] && [ "$inv" = 0 ] &&
	    [ "${RES_TCPOK[$n]}" = survived ]; then
		note "${C_BOLD}the TCP stream survived: same connection, no RST, bytes keep flowing${C_OFF}"
	else
		fail_step "the TCP stream did not survive as the same connection"
	fi
}

step4() {
	heading "4. fw1 comes back"
	say "fw1 reboots: its leftover macvlans go, its conntrack table is emptied, its
links come back, and carpd starts demoted by 128 ('startup-demote 128', as
OpenBSD's rc does at boot) so that it cannot take over before syncd is up.
syncd connects to carpd, holds a demotion of 32 while it fetches fw2's
table (the bulk), and releases it when the bulk is done; we then lift the
start-up demotion. With 'preempt yes' fw1 takes mastership back; with
'preempt no' fw2 would keep it. Every 200 ms:"
	echo
	local l
	for l in $(nsx fw1 ip -o link show type macvlan | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
		nsx fw1 ip link del "$l"
	done
	nsx fw1 conntrack -F >/dev/null 2>&1
	unsilence fw1 || { fail_step "cannot bring fw1's links back"; return 1; }
	echo "startup-demote 128" >> "$D/fw1/carpd.conf"
	INV0=$(nft_counter fw1 invalid)
	EST0=$(nft_counter fw1 established)
	ECHO0=$(tcp_count)
	T_BACK=$(now)
	start_carpd fw1 carpd-reboot.log && start_syncd fw1 syncd-reboot.log ||
	    { fail_step "carpd or syncd did not start on fw1"; return 1; }
	wait_for 10 eval '[ "$(sq fw1 .carpd)" = true ] && [ "$(sq fw1 .bulk)" = DONE ]' ||
	    { fail_step "fw1's syncd did not connect to carpd and finish its bulk"; return 1; }
	stream_entry fw1 > "$D/fw1-entry.txt" ||
	    fail_step "fw1's bulk brought no conntrack entry for the stream"
	ctl fw1 demote carp -128 >/dev/null || { fail_step "cannot lift the start-up demotion"; return 1; }
	timeline "$T_BACK" fw1 MASTER
	wait_for 3 both_state fw1 MASTER && wait_for 3 both_state fw2 BACKUP ||
	    { fail_step "fw1 did not take mastership back"; return 1; }
	if ! wait_for 10 flowing; then
		measure FAILBACK "$T_BACK"
		note "RST seen: client $(rst_count client), server $(rst_count server);" \
		    "dropped as invalid: fw1 $(nft_counter fw1 invalid), fw2 $(nft_counter fw2 invalid)"
		fail_step "the traffic did not resume through fw1 (TCP: ${RES_TCPOK[FAILBACK]})"
		return 1
	fi
	sleep 1.5
	note "fw1's copy of the stream's entry, from the bulk, before it took over:"
	indent < "$D/fw1-entry.txt"
	show_sync_status fw1
	show_status fw1
	echo
	note "fw1's carpd log since the reboot:"
	grep -E -- 'demot|->' "$D/fw1/carpd-reboot.log" | grep -v INIT | indent
	grep -q 'connection-held demotion 0 -> 32' "$D/fw1/carpd-reboot.log" &&
	    grep -q 'connection-held demotion 32 -> 0' "$D/fw1/carpd-reboot.log" ||
	    fail_step "fw1's syncd did not hold the demotion of 32 during its bulk"
	note "fw2's state: $(states fw2); fw1 is MASTER again"
	measure FAILBACK "$T_BACK"
	report_outage FAILBACK
	stream_checks FAILBACK fw1 "$INV0" "$EST0" "$ECHO0"
}

step5() {
	heading "5. Summary"
	summary_table
	echo
	if [ "$FAILED" -eq 0 ]; then
		say "Everything happened as described. Cleaning up: the daemons, the traffic
and the namespaces go away."
	else
		say "$FAILED thing(s) did not happen as described (FAILED above). Cleaning up."
	fi
}

main() {
	preflight
	demo_init
	step1 && pace && step2 && pace && step3 && pace && step4
	pace
	step5
	[ "$FAILED" -eq 0 ]
}

main
