#!/bin/bash
# `lladdr real` (carpd.conf(5)): no macvlan; the VIPs go on the carpdev
# itself while MASTER, with the firewall's own MAC, move on failover, and
# the move is announced by gratuitous ARP and unsolicited NA carrying the
# new master's real MAC, so the client's neighbour entries follow at once.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }

VIP=192.0.2.254
VIP6=2001:db8::fe
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24 $VIP6/64" "preempt yes" "lladdr real"
write_conf fw2 1 0 60 "$VIP/24 $VIP6/64" "preempt yes" "lladdr real"
MAC1=$(mac_of fw1); MAC2=$(mac_of fw2)
log "fw1 is $MAC1, fw2 is $MAC2"
# Let a gratuitous ARP override an entry however recently it was updated
# (older kernels keep the first answer for locktime, 1 s).
nsx client sysctl -qw net.ipv4.neigh.eth0.locktime=0

on_eth0() { ip -n "$(ns "$1")" -o addr show dev eth0 | grep -qw "inet6\? $2/[0-9]*"; }
macvlans() { ip -n "$(ns "$1")" -o link show type macvlan | wc -l; }
neigh_is() {	# neigh_is ADDR MAC: the client's entry for ADDR has MAC
	[ "$(neigh_mac client "$1")" = "$2" ]
}
resolve() {	# resolve ADDR MAC: forget, ping, want MAC
	ip -n "$(ns client)" neigh del "$1" dev eth0 2>/dev/null
	nsx client ping -c 1 -W 1 "$1" >/dev/null 2>&1
	neigh_is "$1" "$2"
}
vhfield() { ctl "$1" -j status | jq -r ".vhosts[0].$2"; }

capture_start cl client eth0 "$T_DIR/client.pcap" 'arp or icmp6'
start_carpd fw1; start_carpd fw2
check "fw1 MASTER" poll_for 5 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 2 is_state fw2 1 BACKUP
check "status says lladdr real, ifname eth0" eval '[ "$(vhfield fw1 lladdr)" = real ] && [ "$(vhfield fw1 ifname)" = eth0 ]'
check "no macvlan on either node" eval '[ "$(macvlans fw1)" = 0 ] && [ "$(macvlans fw2)" = 0 ]'
check "fw1 holds the VIPs on eth0 itself" eval 'on_eth0 fw1 $VIP && on_eth0 fw1 $VIP6'
check "fw2 holds no VIP" eval '! on_eth0 fw2 $VIP && ! on_eth0 fw2 $VIP6'
check "fw1's own address untouched" on_eth0 fw1 192.0.2.1
check "client resolves the VIP to fw1's MAC" poll_for 2 resolve $VIP "$MAC1"
check "client resolves the IPv6 VIP to fw1's MAC" poll_for 2 resolve $VIP6 "$MAC1"

log "silent death of fw1: fw2 takes over and announces its own MAC"
silence fw1
check "fw2 takes over" poll_for 3 is_state fw2 1 MASTER
check "fw2 holds the VIPs on eth0" eval 'on_eth0 fw2 $VIP && on_eth0 fw2 $VIP6'
check "client's entry for the VIP now has fw2's MAC (GARP)" poll_for 2 neigh_is $VIP "$MAC2"
check "client's entry for the IPv6 VIP now has fw2's MAC (NA)" poll_for 2 neigh_is $VIP6 "$MAC2"
check "client reaches the VIP via fw2" poll_for 2 nsx client ping -c 1 -W 1 $VIP
check "client reaches the IPv6 VIP via fw2" poll_for 2 nsx client ping -c 1 -W 1 $VIP6

log "fw1 stopped while silenced, then back: it preempts"
stop_carpd fw1
check "fw1 exited 0" eval '[ "${RC_fw1:-1}" = 0 ]'
check "fw1 removed the VIPs from eth0" eval '! on_eth0 fw1 $VIP && ! on_eth0 fw1 $VIP6'
check "  and kept its own address" on_eth0 fw1 192.0.2.1
unsilence fw1
start_carpd fw1
check "fw1 preempts" poll_for 3 is_state fw1 1 MASTER
check "fw2 yields" poll_for 2 is_state fw2 1 BACKUP
check "the VIPs moved back to fw1's eth0" poll_for 2 eval 'on_eth0 fw1 $VIP && on_eth0 fw1 $VIP6'
check "and left fw2's" poll_for 2 eval '! on_eth0 fw2 $VIP && ! on_eth0 fw2 $VIP6'
check "client's entries follow to fw1's MAC" poll_for 2 eval 'neigh_is $VIP "$MAC1" && neigh_is $VIP6 "$MAC1"'

log "handover by demotion, and back"
check "demote fw1" ctl fw1 demote carp 10
check "fw2 MASTER" poll_for 2 is_state fw2 1 MASTER
check "client's entries move to fw2's MAC" poll_for 2 eval 'neigh_is $VIP "$MAC2" && neigh_is $VIP6 "$MAC2"'
check "fw1 released the VIPs" poll_for 2 eval '! on_eth0 fw1 $VIP && ! on_eth0 fw1 $VIP6'
check "undemote fw1" ctl fw1 demote carp -10
check "fw1 MASTER again" poll_for 2 is_state fw1 1 MASTER
check "client's entries back to fw1's MAC" poll_for 2 eval 'neigh_is $VIP "$MAC1" && neigh_is $VIP6 "$MAC1"'
capture_stop cl

TS="tshark -r $T_DIR/client.pcap"
garp() {	# garp MAC: gratuitous ARP requests for the VIP from MAC
	$TS -Y "arp.opcode == 1 && arp.src.proto_ipv4 == $VIP && arp.dst.proto_ipv4 == $VIP &&
		arp.src.hw_mac == $1 && eth.src == $1 && eth.dst == ff:ff:ff:ff:ff:ff" 2>/dev/null | wc -l
}
na() {		# na MAC: unsolicited NAs with Override for the IPv6 VIP from MAC
	$TS -Y "icmpv6.type == 136 && icmpv6.nd.na.target_address == $VIP6 &&
		icmpv6.nd.na.flag.o == 1 && icmpv6.opt.linkaddr == $1 && eth.src == $1" 2>/dev/null | wc -l
}
check "GARPs from fw1's real MAC ($(garp "$MAC1"))" [ "$(garp "$MAC1")" -ge 3 ]
check "GARPs from fw2's real MAC ($(garp "$MAC2"))" [ "$(garp "$MAC2")" -ge 2 ]
check "unsolicited NAs from fw1's real MAC ($(na "$MAC1"))" [ "$(na "$MAC1")" -ge 2 ]
check "unsolicited NAs from fw2's real MAC ($(na "$MAC2"))" [ "$(na "$MAC2")" -ge 2 ]
check "no ARP or NA for the VIPs with a virtual MAC" [ "$($TS -Y "(arp.src.proto_ipv4 == $VIP && arp.src.hw_mac == 00:00:5e:00:01:01) ||
	(icmpv6.nd.na.target_address == $VIP6 && eth.src == 00:00:5e:00:01:01)" 2>/dev/null | wc -l)" = 0 ]

log "kill -9 of the master leaves its VIPs on eth0; a restart cleans them"
stop_carpd fw1 KILL
check "fw2 takes over" poll_for 3 is_state fw2 1 MASTER
check "killed fw1 left its VIP on eth0" on_eth0 fw1 $VIP
start_carpd fw1
check "restarted fw1 removed the stale VIP at once" poll_for 2 eval '! on_eth0 fw1 $VIP || is_state fw1 1 MASTER'
check "fw1 master again" poll_for 3 is_state fw1 1 MASTER
check "exactly one node holds the VIP" poll_for 2 eval 'on_eth0 fw1 $VIP && ! on_eth0 fw2 $VIP'
check "fw1's own address survived it all" on_eth0 fw1 192.0.2.1
finish
