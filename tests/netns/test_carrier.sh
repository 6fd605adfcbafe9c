#!/bin/bash
# Carrier loss on the master's LAN: the LAN vhid goes to INIT, group carp
# is demoted by 1, so the peer takes over the WAN vhid too (OpenBSD
# carp_carpdev_state); carrier back: BACKUP, demotion released.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root

topo_lan && topo_wan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "192.0.2.254/24"
write_conf fw2 1 0 60 "192.0.2.254/24"
add_vhost fw1 2 eth1 0 30 "198.51.100.254/24" "group uplinks"
add_vhost fw2 2 eth1 0 60 "198.51.100.254/24" "group uplinks"
start_carpd fw1; start_carpd fw2
check "fw1 MASTER of the LAN vhid" wait_for 5 is_state fw1 1 MASTER
check "fw1 MASTER of the WAN vhid" wait_for 5 is_state fw1 2 MASTER
check "fw2 BACKUP of both" eval 'wait_for 5 is_state fw2 1 BACKUP && is_state fw2 2 BACKUP'

log "LAN carrier lost on fw1 (its bridge port goes down)"
ip -n "$(ns lan)" link set p-fw1 down
check "fw1's LAN vhid goes to INIT" wait_for 2 is_state fw1 1 INIT
check "group carp demoted by 1 on fw1" eval '[ "$(group_demote fw1 carp)" = 1 ]'
check "group uplinks untouched by the LAN vhid" eval '[ "$(group_demote fw1 uplinks)" = 0 ]'
check "fw2 takes the LAN vhid" wait_for 2 is_state fw2 1 MASTER
check "fw2 takes the WAN vhid too (fw1 advertises demote 1)" wait_for 2 is_state fw2 2 MASTER
check "fw1 released the WAN VIP" wait_for 2 eval '! has_vip fw1 198.51.100.254'
check "fw2 holds both VIPs" eval 'has_vip fw2 192.0.2.254 && has_vip fw2 198.51.100.254'

log "carrier back"
ip -n "$(ns lan)" link set p-fw1 up
check "fw1's LAN vhid back to BACKUP" wait_for 3 is_state fw1 1 BACKUP
check "demotion released" wait_for 2 eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "no preempt: fw2 stays MASTER of both" eval 'is_state fw2 1 MASTER && is_state fw2 2 MASTER'
finish
