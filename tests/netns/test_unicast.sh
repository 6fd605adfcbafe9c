#!/bin/bash
# Unicast adverts (`carppeer`, carpd.conf(5)): each node names the other;
# the election and a silent-death failover work, and the capture shows
# every advert addressed to the peer (its address and MAC, TTL 255), none
# to 224.0.0.18.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }

VIP=192.0.2.254
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24" "preempt yes" "carppeer 192.0.2.2"
write_conf fw2 1 0 60 "$VIP/24" "preempt yes" "carppeer 192.0.2.1"
MAC1=$(mac_of fw1); MAC2=$(mac_of fw2)
# Everything CARP on the bridge, as seen on both firewalls' ports.
capture_start p1 lan p-fw1 "$T_DIR/p1.pcap" 'ip proto 112 or ip6 proto 112'
capture_start p2 lan p-fw2 "$T_DIR/p2.pcap" 'ip proto 112 or ip6 proto 112'
start_carpd fw1; start_carpd fw2
check "fw1 MASTER" poll_for 5 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 2 is_state fw2 1 BACKUP
check "fw2 receives fw1's unicast adverts" poll_for 2 eval '[ "$(counter fw2 1 ipackets)" -ge 5 ]'
check "  and drops none" eval '[ "$(ctl fw2 -j status | jq "[.counters | (.badttl, .badsum, .badauth, .badvhid, .badver, .hdrops, .badlen, .badif)] | add")" = 0 ]'
check "fw1 holds the VIP" has_vip fw1 $VIP
check "client reaches the VIP" nsx client ping -c 1 -W 1 $VIP
tr2=$(transitions fw2 1)
check "fw2 stays BACKUP (no master-down while adverts arrive)" eval 'n=$(counter fw2 1 ipackets);
	poll_for 3 eval "[ \$(counter fw2 1 ipackets) -ge \$((n + 10)) ]" && [ "$(transitions fw2 1)" = $tr2 ]'

log "silent death of fw1"
silence fw1
check "fw2 takes over" poll_for 3 is_state fw2 1 MASTER
check "fw2 holds the VIP" has_vip fw2 $VIP
check "client reaches the VIP via fw2" poll_for 2 nsx client ping -c 1 -W 1 $VIP
unsilence fw1
check "fw2 yields to fw1's unicast adverts" poll_for 3 is_state fw2 1 BACKUP
check "fw1 MASTER" is_state fw1 1 MASTER
check "VIP only on fw1" poll_for 2 eval 'has_vip fw1 $VIP && ! has_vip fw2 $VIP'

log "fw1 demoted: handover over unicast, both ways"
check "demote fw1" ctl fw1 demote carp 10
check "fw2 MASTER" poll_for 2 is_state fw2 1 MASTER
check "fw1 BACKUP" poll_for 2 is_state fw1 1 BACKUP
ip1=$(counter fw1 1 ipackets)
check "fw1 receives fw2's unicast adverts" poll_for 3 eval '[ "$(counter fw1 1 ipackets)" -ge $((ip1 + 5)) ]'
check "  and drops none" eval '[ "$(ctl fw1 -j status | jq "[.counters | (.badttl, .badsum, .badauth, .badvhid, .badver, .hdrops, .badlen, .badif)] | add")" = 0 ]'
check "undemote fw1" ctl fw1 demote carp -10
check "fw1 preempts back" poll_for 2 is_state fw1 1 MASTER
# what each node counted as received from the other, read before the
# captures stop: each of those adverts crossed the sender's port
heard_by2=$(counter fw2 1 ipackets); heard_by1=$(counter fw1 1 ipackets)
capture_stop p1; capture_stop p2

TS="-d ip.proto==112,carp -Y carp"
n1=$(tshark -r "$T_DIR/p1.pcap" $TS -Y 'carp && ip.src == 192.0.2.1' 2>/dev/null | wc -l)
n2=$(tshark -r "$T_DIR/p2.pcap" $TS -Y 'carp && ip.src == 192.0.2.2' 2>/dev/null | wc -l)
check "fw1's adverts captured ($n1), at least the $heard_by2 fw2 received" [ "$n1" -ge "$heard_by2" ] && [ "$heard_by2" -ge 5 ]
check "fw2's adverts captured ($n2), at least the $heard_by1 fw1 received" [ "$n2" -ge "$heard_by1" ] && [ "$heard_by1" -ge 5 ]
bad1=$(tshark -r "$T_DIR/p1.pcap" -d ip.proto==112,carp -Y "carp && ip.src == 192.0.2.1 &&
	!(ip.dst == 192.0.2.2 && eth.dst == $MAC2 && ip.ttl == 255 && carp.checksum.status == 1)" 2>/dev/null | wc -l)
bad2=$(tshark -r "$T_DIR/p2.pcap" -d ip.proto==112,carp -Y "carp && ip.src == 192.0.2.2 &&
	!(ip.dst == 192.0.2.1 && eth.dst == $MAC1 && ip.ttl == 255 && carp.checksum.status == 1)" 2>/dev/null | wc -l)
check "every fw1 advert went to 192.0.2.2 (fw2's MAC), TTL 255" [ "$bad1" = 0 ]
check "every fw2 advert went to 192.0.2.1 (fw1's MAC), TTL 255" [ "$bad2" = 0 ]
mc=$(cat <(tshark -r "$T_DIR/p1.pcap" -Y 'ip.dst == 224.0.0.18 || ipv6.dst == ff02::12' 2>/dev/null) \
	<(tshark -r "$T_DIR/p2.pcap" -Y 'ip.dst == 224.0.0.18 || ipv6.dst == ff02::12' 2>/dev/null) | wc -l)
check "not one advert to 224.0.0.18 or ff02::12" [ "$mc" = 0 ]
check "unicast adverts leave with the real MAC, not the vMAC" [ "$(tshark -r "$T_DIR/p1.pcap" -Y 'eth.src == 00:00:5e:00:01:01 && ip.proto == 112' 2>/dev/null | wc -l)" = 0 ]
finish
