#!/bin/bash
# carpsync live demo: two firewalls running carpd in network namespaces,
# a client behind them and a server in front, real traffic through the
# virtual IPs, a hard crash of the MASTER and its return.
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
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || die "no build directory: ${1:-build}"
CARPD=$BUILD/carpd
CARPCTL=$BUILD/carpctl

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
LIFETIME=300

preflight() {
	local t
	[ "$(id -u)" = 0 ] || die "run me as root (network namespaces need it): sudo make demo"
	[ -x "$CARPD" ] && [ -x "$CARPCTL" ] || die "build first: make (looked in $BUILD)"
	for t in ip bridge nft jq ping perl ss awk; do
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
        fw1 192.0.2.1       fw2 192.0.2.2      LAN VIP $LAN_VIP, $LAN_VIP6
            198.51.100.1        198.51.100.2   WAN VIP $WAN_VIP
              | eth1              | eth1
               =========+========= WAN bridge: 198.51.100.0/24
                        |             route to 192.0.2.0/24 via the WAN VIP
                      server $SERVER
EOF
}

# A minimal stateful ruleset: conntrack follows every connection, and what
# it calls INVALID is dropped, as in any stateful ruleset. Counters: every
# forwarded packet, and connections picked up in the middle (first packet
# seen is not a SYN).
load_ruleset() {
	nsx "$1" nft -f - <<'NFT'
table inet demo {
	counter forwarded { }
	counter picked_up { }
	chain forward {
		type filter hook forward priority filter; policy accept;
		counter name "forwarded"
		ct state invalid drop
		ct state new tcp flags & (syn | ack) == ack counter name "picked_up"
	}
}
NFT
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
	plug client eth0 br-lan lan-client && plug server eth0 br-wan wan-server &&
	    ip -n "$(ns client)" addr add $CLIENT/24 dev eth0 &&
	    ip -n "$(ns client)" addr add 2001:db8::100/64 dev eth0 nodad &&
	    ip -n "$(ns client)" route add default via $LAN_VIP &&
	    ip -n "$(ns server)" addr add $SERVER/24 dev eth0 &&
	    ip -n "$(ns server)" route add 192.0.2.0/24 via $WAN_VIP ||
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
	done
}

# The client and the server must know the VIPs by their virtual MACs, or a
# takeover would depend on them accepting gratuitous ARP.
check_vmacs() {
	local m
	m=$(neigh_mac client $LAN_VIP)
	note "the client's ARP entry for $LAN_VIP: ${m:-none}"
	[ "$m" = "$VMAC1" ] && return 0
	fail_step "the client knows $LAN_VIP at ${m:-no address}, not at the virtual MAC." \
	    "To answer the client's ping from the VIP, fw1 resolved the client with" \
	    "'who-has $CLIENT tell $LAN_VIP' from eth0, with eth0's MAC: the client" \
	    "took that MAC for the VIP. carpd does not set arp_announce=2 on the" \
	    "carpdev (a carpd bug); the takeover below then relies on gratuitous ARP."
}

# --- the steps -----------------------------------------------------------------

step1() {
	heading "1. Two firewalls, one set of virtual addresses"
	say "Five network namespaces stand in for five machines: a client on the LAN,
two firewalls, fw1 and fw2, between the LAN and the WAN, a server on the WAN,
and a 'switch' holding one bridge per segment:"
	echo
	show_diagram
	build_topology
	echo
	say "Both firewalls forward (net.ipv4.ip_forward=1) and track connections:
their nftables ruleset drops what conntrack calls INVALID, as any stateful
ruleset does, and counts what it forwards. Each runs carpd with two virtual
hosts: vhid 1 on eth0 holds the LAN VIPs, vhid 2 on eth1 the WAN VIP. The
client's default route and the server's route back both go through a VIP, so
all their traffic crosses whichever firewall is MASTER. fw1's LAN side,
carpd.d/lan.conf:"
	write_configs
	echo
	indent < "$D/fw1/carpd.d/lan.conf"
	echo
	say "fw2's files differ only in 'advskew $SKEW_FW2'; both have 'preempt yes' in carpd.conf.
A MASTER advertises every advbase + advskew/256 seconds, and the most frequent
advertiser wins. advbase 0 keeps the demo fast: fw1 advertises every
$SKEW_FW1/256 s = $(ms $SKEW_FW1) ms and wins, fw2 would every $(ms $SKEW_FW2) ms. A BACKUP declares the
MASTER dead after three of its own intervals: fw2 waits $(ms $((3 * SKEW_FW2))) ms. (In production,
advbase 1 with advskew 0 and 100 gives a takeover in about 4 s.)"
	start_carpd fw1 carpd.log && start_carpd fw2 carpd.log ||
	    { fail_step "carpd did not start"; return 1; }
	if ! wait_for 5 both_state fw1 MASTER || ! wait_for 5 both_state fw2 BACKUP; then
		fail_step "fw1 did not become MASTER of both vhosts, with fw2 BACKUP"
		return 1
	fi
	echo
	say "fw1 is MASTER: its macvlans carp1 and carp2, with the virtual MACs
$VMAC1 and $VMAC2, are up and hold the VIPs; fw2's are
down. Each advert of a MASTER carries the virtual MAC as its source, so the
bridges learn it on fw1's ports."
	show_status fw1
	show_status fw2
	echo
	# the takeover's announcements (the gratuitous ARP is repeated two
	# adverts later) are over: what the client learns now is from the ping
	sleep 0.5
	wait_for 3 nsx client ping -c 1 -W 1 $LAN_VIP &&
	    wait_for 3 nsx client ping -c 1 -W 1 $LAN_VIP6 ||
	    { fail_step "the client cannot reach the LAN VIPs"; return 1; }
	note "the client pings $LAN_VIP and $LAN_VIP6"
	check_vmacs
}

step2() {
	heading "2. Traffic through the MASTER"
	say "The client pings the server every 10 ms (ping -i 0.01 -D: each reply is
stamped with the time it arrived, which gives the outages below) and keeps a
TCP connection to an echo service on the server busy: it sends a line every
20 ms and waits for the echo."
	start_traffic || { fail_step "the traffic did not start"; return 1; }
	wait_for 5 flowing || { fail_step "no traffic gets through fw1"; return 1; }
	sleep 1.5
	echo
	note "the last ping replies (ttl=63: one router, the MASTER, on the way):"
	grep 'bytes from' "$D/ping.log" | tail -n 3 | indent
	note "TCP echoes so far: $(tcp_count)"
	note "packets forwarded: fw1 $(nft_counter fw1 forwarded), fw2 $(nft_counter fw2 forwarded)"
	note "the LAN bridge has $VMAC1 on port $(fdb_port 1)," \
	    "the WAN bridge $VMAC2 on port $(fdb_port 2)"
	flowing || { fail_step "the traffic stopped"; return 1; }
}

step3() {
	heading "3. fw1 crashes"
	say "We cut fw1 off completely, as if its kernel hung: nftables netdev hooks
drop every frame in and out of eth0 and eth1 (the links stay up, so the
bridges notice nothing), and we kill its carpd with SIGKILL, so it cannot bow
out. fw2 hears no more adverts. $(ms $((3 * SKEW_FW2))) ms after the last one, which left fw1 up to
$(ms $SKEW_FW1) ms before the crash, fw2 becomes MASTER: it brings up its macvlans with the
same virtual MACs and VIPs, advertises and sends gratuitous ARP, so the
bridges learn the virtual MACs on fw2's ports. Nothing changes for the client
or the server: the VIPs keep their MAC addresses. Every 200 ms:"
	echo
	T_CRASH=$(now)
	silence fw1 || { fail_step "cannot cut fw1 off"; return 1; }
	stop_carpd fw1 KILL || { fail_step "cannot kill fw1's carpd"; return 1; }
	timeline "$T_CRASH" fw2 MASTER
	wait_for 3 both_state fw2 MASTER || { fail_step "fw2 did not take over"; return 1; }
	[ "$(fdb_ports)" = "lan-fw2 wan-fw2" ] ||
	    fail_step "the bridges did not learn the virtual MACs on fw2's ports"
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
	note "the LAN bridge has $VMAC1 on port $(fdb_port 1)," \
	    "the WAN bridge $VMAC2 on port $(fdb_port 2)"
	note "packets forwarded: fw2 $(nft_counter fw2 forwarded)"
	measure FAILOVER "$T_CRASH"
	report_outage FAILOVER
	# fw2 cannot take over sooner than 703 - 78 ms after the crash: a
	# shorter gap means fw1 was not cut off
	awk -v g="${RES_GAP[FAILOVER]}" 'BEGIN { exit !(g >= 0.4) }' ||
	    fail_step "the outage is too short for a takeover: was fw1 really cut off?"
	echo
	say "TCP only notices at its next retransmission, and its retransmission timer
backs off (200 ms, then 400 ms, ...), so it stalls a little longer than ping.
fw2 never saw the connection open, yet forwarded it: conntrack picked it up
in the middle (fw2's picked_up counter, TCP packets that made conntrack
create an entry without a SYN, reads $(nft_counter fw2 picked_up)), because
net.netfilter.nf_conntrack_tcp_loose is $(nsx fw2 sysctl -n net.netfilter.nf_conntrack_tcp_loose), the default. That is luck, not
design: with tcp_loose=0, with a ruleset that only lets in connections it
saw open, or with NAT, the connection would have died. Copying the conntrack
state to the BACKUP is the job of syncd, the next part of carpsync."
}

reboot_fw1() {
	ip -n "$(ns sw)" link del lan-fw1 && ip -n "$(ns sw)" link del wan-fw1 &&
	    ip netns del "$(ns fw1)" && setup_fw fw1 1
}

step4() {
	heading "4. fw1 reboots"
	say "fw1 is rebooted: its namespace is replaced by a fresh one (new links, empty
conntrack table, same configuration files) and carpd starts. It starts as
BACKUP, hears fw2 advertise less often than it would itself and, since
preempt is on, takes over at once; fw2 hears the more frequent adverts and
yields. Every 200 ms:"
	echo
	reboot_fw1 || { fail_step "cannot reboot fw1"; return 1; }
	T_BACK=$(now)
	start_carpd fw1 carpd-reboot.log || { fail_step "carpd did not start on fw1"; return 1; }
	timeline "$T_BACK" fw1 MASTER
	wait_for 3 both_state fw1 MASTER && wait_for 3 both_state fw2 BACKUP ||
	    { fail_step "fw1 did not take mastership back"; return 1; }
	[ "$(fdb_ports)" = "lan-fw1 wan-fw1" ] ||
	    fail_step "the bridges did not learn the virtual MACs on fw1's ports again"
	if ! wait_for 10 flowing; then
		measure FAILBACK "$T_BACK"
		fail_step "the traffic did not resume through fw1 (TCP: ${RES_TCPOK[FAILBACK]})"
		return 1
	fi
	sleep 1.5
	show_status fw1
	echo
	note "fw1's log since the reboot:"
	grep -- '->' "$D/fw1/carpd-reboot.log" | grep -v INIT | indent
	note "fw2's state: $(states fw2)"
	note "the LAN bridge has $VMAC1 on port $(fdb_port 1)," \
	    "the WAN bridge $VMAC2 on port $(fdb_port 2)"
	note "packets forwarded since the reboot: fw1 $(nft_counter fw1 forwarded);" \
	    "fw1's picked_up counter: $(nft_counter fw1 picked_up)"
	measure FAILBACK "$T_BACK"
	report_outage FAILBACK
	echo
	say "The connection survived because fw1's conntrack table was empty after the
reboot: it picked the connection up like fw2 did. Had fw1 come back without
a reboot, its table would still hold the connection as it was at the crash;
the sequence numbers have moved on since, so conntrack would call the packets
INVALID and the connection would hang. syncd will have to bring a returning
firewall's state up to date before it takes over, as OpenBSD's pfsync does."
}

step5() {
	heading "5. Summary"
	summary_table
	echo
	if [ "$FAILED" -eq 0 ]; then
		say "Everything happened as described. Cleaning up: carpd, the traffic and the
namespaces go away."
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
