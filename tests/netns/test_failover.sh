#!/bin/bash
# Two real carpd on a bridge: election, silent death, kill -9, preempt
# back, SIGTERM bow-out, carpctl demote / state, and what the LAN sees.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root

VIP=192.0.2.254
VIP6=2001:db8::fe
VMAC=00:00:5e:00:01:01
# advbase 0: 1/256 s units keep the test fast (fw1 ~117 ms, fw2 ~234 ms
# adverts; fw2 declares fw1 dead after 3 x 234 ms).
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24 $VIP6/64 fe80::1/64" "preempt yes"
write_conf fw2 1 0 60 "$VIP/24 $VIP6/64 fe80::1/64" "preempt yes"

start_carpd fw1; start_carpd fw2
check "fw1 becomes MASTER" wait_for 5 is_state fw1 1 MASTER
check "fw2 stays BACKUP" wait_for 5 is_state fw2 1 BACKUP
check "fw1 holds the VIPs" has_vip fw1 $VIP
check "fw1 holds the IPv6 VIP" has_vip fw1 $VIP6
check "fw1 holds the link-local VIP" has_vip fw1 fe80::1
check "fw2 holds no VIP" eval '! has_vip fw2 $VIP'
check "fw2's macvlan is down" eval '! ip -n $(ns fw2) -o link show carp1 | grep -q "state UP"'
check "macvlan in bridge mode" eval 'ip -n $(ns fw1) -d link show carp1 | grep -q "macvlan mode bridge"'
check "macvlan has the vMAC" eval 'ip -n $(ns fw1) link show carp1 | grep -q "link/ether $VMAC"'
check "parent arp_ignore=1" eval '[ "$(nsx fw1 sysctl -n net.ipv4.conf.eth0.arp_ignore)" = 1 ]'
check "parent arp_announce=2" eval '[ "$(nsx fw1 sysctl -n net.ipv4.conf.eth0.arp_announce)" = 2 ]'
check "client reaches the VIP" nsx client ping -c 1 -W 1 $VIP
# Once the takeover's gratuitous ARPs are over (the second goes with the 2nd
# advert), forget all neighbours and ping again: fw1 must resolve the client
# with an ARP request that does not name the VIP as source with eth0's MAC
# (arp_announce=2), or the client learns the VIP at fw1's real MAC.
wait_for 3 eval '[ "$(counter fw1 1 opackets)" -ge 4 ]'
ip -n "$(ns client)" neigh flush dev eth0
ip -n "$(ns fw1)" neigh flush dev eth0
nsx client ping -c 1 -W 1 $VIP >/dev/null
check "client knows the VIP at the vMAC only" eval \
	'ip -n $(ns client) neigh show $VIP | grep -q "lladdr $VMAC"'
check "client reaches the IPv6 VIP" nsx client ping -c 1 -W 1 $VIP6
check "client reaches fe80::1 on its link" nsx client ping -c 1 -W 1 fe80::1%eth0
check "LAN learned the vMAC on fw1's port" eval '[ "$(fdb_port $VMAC)" = p-fw1 ]'
check "IPv4 adverts counted on fw2" eval '[ "$(counter fw2 1 ipackets)" -gt 0 ]'
check "IPv6 adverts counted on fw2" eval '[ "$(counter fw2 1 ipackets6)" -gt 0 ]'
check "no bad packets on fw2" eval '[ "$(counter fw2 1 badauth)" = 0 ] && [ "$(counter fw2 1 badsum)" = 0 ]'

log "silent death of fw1 (nft drops all its traffic, links stay up)"
silence fw1
check "fw2 takes over" wait_for 3 is_state fw2 1 MASTER
check "fw2 holds the VIP" has_vip fw2 $VIP
check "client reaches the VIP via fw2" wait_for 2 nsx client ping -c 1 -W 1 $VIP
check "LAN learned the vMAC on fw2's port" wait_for 2 eval '[ "$(fdb_port $VMAC)" = p-fw2 ]'
unsilence fw1
check "fw1 preempts back" wait_for 3 is_state fw1 1 MASTER
check "fw2 yields" wait_for 3 is_state fw2 1 BACKUP
check "VIP only on fw1" eval 'has_vip fw1 $VIP && ! has_vip fw2 $VIP'
check "LAN learned the vMAC on fw1 again" wait_for 2 eval '[ "$(fdb_port $VMAC)" = p-fw1 ]'

log "carpctl demote carp 10 on fw1 moves mastership"
check "demote accepted" ctl fw1 demote carp 10
check "fw2 takes over at once" wait_for 1 is_state fw2 1 MASTER
check "fw1 is BACKUP" wait_for 1 is_state fw1 1 BACKUP
check "group carp shows 10" eval '[ "$(group_demote fw1 carp)" = 10 ]'
check "demote beyond 255 refused" eval '! ctl fw1 demote carp 250 2>/dev/null'
check "undemote accepted (-N after the verb)" ctl fw1 demote carp -10
check "fw1 preempts back after undemote" wait_for 3 is_state fw1 1 MASTER

log "carpctl state 1 backup just stops advertising (OpenBSD): fw1, the"
log "fastest, times out first and takes over again"
tr0=$(ctl fw1 -j status | jq '.vhosts[0].transitions')
check "state backup accepted" ctl fw1 state 1 backup
check "fw1 went BACKUP and came back MASTER" wait_for 3 eval \
	'[ "$(ctl fw1 -j status | jq ".vhosts[0].transitions")" -ge $((tr0 + 2)) ] && is_state fw1 1 MASTER'
log "carpctl state 1 master on the slower fw2: it yields again at fw1's advert"
check "state master on fw2 accepted" ctl fw2 state 1 master
check "fw2 back to BACKUP" wait_for 3 is_state fw2 1 BACKUP
check "bad vhid refused" eval '! ctl fw2 state 9 master 2>/dev/null'

log "SIGTERM on the master: bow-out"
wait_for 3 is_state fw1 1 MASTER
stop_carpd fw1 TERM
check "fw1 exited 0" eval '[ "${RC_fw1:-1}" = 0 ]'
check "fw2 takes over within one advert" wait_for 0.5 is_state fw2 1 MASTER
check "fw1 removed its VIPs and macvlan" eval '! ip -n $(ns fw1) link show carp1 2>/dev/null'
check "client reaches the VIP via fw2" wait_for 2 nsx client ping -c 1 -W 1 $VIP

log "restart fw1: it preempts back"
start_carpd fw1
check "fw1 preempts back" wait_for 3 is_state fw1 1 MASTER
check "fw2 back to BACKUP" wait_for 3 is_state fw2 1 BACKUP

log "kill -9 of the master, then restart: stale objects cleaned"
stop_carpd fw1 KILL
check "fw2 takes over after kill -9" wait_for 3 is_state fw2 1 MASTER
check "killed fw1 left its VIP behind (duplicate for now)" has_vip fw1 $VIP
start_carpd fw1
check "restarted fw1 removed the stale VIP at once" wait_for 2 eval '! has_vip fw1 $VIP || is_state fw1 1 MASTER'
# the control socket now comes before the clean-up (32635fb): poll for its log
check "restart log says it cleaned up" poll_for 5 grep -q "stale" "$T_DIR/fw1/carpd.log"
check "fw1 master again" wait_for 3 is_state fw1 1 MASTER
check "exactly one node holds the VIP" wait_for 3 eval 'has_vip fw1 $VIP && ! has_vip fw2 $VIP'

finish
