#!/bin/bash
# SIGHUP reload (carpd(8) "Start, stop and reload"): a new vhost file
# starts a vhost and leaves the others' state, counters and VIPs alone; a
# removed vhost bows out (the peer takes over within one interval, not
# after master-down) and loses its macvlan; a config with an error is
# logged as FILE:LINE and the running config kept, as is one with a
# balancing carpnodes group (no data path yet); an advskew changed in
# place takes effect with no transition of its own; a vhost whose groups
# change while its carrier is lost gives its +1 back where it took it.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
CTL_HOLD=$BUILD/tests/ctl_hold
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }

VIP1=192.0.2.254
VIP2=192.0.2.253
MARK=203.0.113.1	# a marker address to know `ip monitor` is listening
# vhid 1 has advbase 1, so that a bow-out (immediate) is told apart from
# master-down (3 x 1.23 s on fw2); vhid 2 has advbase 0 to keep it fast.
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 1 30 "$VIP1/24" "preempt yes"
write_conf fw2 1 1 60 "$VIP1/24" "preempt yes"
start_carpd fw1; start_carpd fw2
check "fw1 MASTER of vhid 1" poll_for 8 is_state fw1 1 MASTER
check "fw2 BACKUP of vhid 1" poll_for 2 is_state fw2 1 BACKUP
poll_for 3 eval '[ "$(counter fw2 1 ipackets)" -ge 2 ]'

reloads() { grep -c "reloaded " "$T_DIR/$1/carpd.log"; }
hup() {		# hup NODE: SIGHUP, then wait (bounded) for one more "reloaded"
	local n
	n=$(reloads "$1")
	kill -HUP "$(pid_of "$1")"
	poll_for 3 eval '[ "$(reloads '"$1"')" -gt '"$n"' ]'
}
vh() {		# vh NODE VHID FIELD: one field of a vhost's JSON status
	ctl "$1" -j status | jq -r ".vhosts[] | select(.vhid == $2) | .$3"
}

log "(a) a new vhost file: vhid 2 starts, vhid 1 keeps its state"
tr1_fw1=$(transitions fw1 1); tr1_fw2=$(transitions fw2 1)
ip1_fw2=$(counter fw2 1 ipackets); op1_fw1=$(counter fw1 1 opackets)
ip netns exec "$(ns fw1)" ip -ts monitor address >"$T_DIR/mon.log" 2>&1 &
T_PIDS="$T_PIDS $!"
# The monitor is listening once it reports a marker address; it may have
# missed the first add, so the marker is added again until it shows.
marker() {
	ip -n "$(ns fw1)" addr replace $MARK/32 dev lo
	ip -n "$(ns fw1)" addr del $MARK/32 dev lo
	grep -q "$MARK" "$T_DIR/mon.log"
}
check "address monitor ready" poll_for 5 marker
add_vhost fw1 2 eth0 0 30 "$VIP2/24" "group uplinks"
add_vhost fw2 2 eth0 0 60 "$VIP2/24" "group uplinks"
check "fw1 reloads" hup fw1
check "fw2 reloads" hup fw2
check "fw1 MASTER of the new vhid 2" poll_for 3 is_state fw1 2 MASTER
check "fw2 BACKUP of the new vhid 2" poll_for 3 is_state fw2 2 BACKUP
check "fw1 holds the new VIP" poll_for 2 has_vip fw1 $VIP2
check "group uplinks appears" eval '[ "$(group_demote fw1 uplinks)" = 0 ]'
check "vhid 1 still MASTER on fw1, BACKUP on fw2" eval 'is_state fw1 1 MASTER && is_state fw2 1 BACKUP'
check "no transition counted on vhid 1 (fw1: $tr1_fw1)" eval '[ "$(transitions fw1 1)" = $tr1_fw1 ]'
check "no transition counted on vhid 1 (fw2: $tr1_fw2)" eval '[ "$(transitions fw2 1)" = $tr1_fw2 ]'
check "vhid 1's counters kept (not a new vhost)" eval '[ "$(counter fw2 1 ipackets)" -ge $ip1_fw2 ] &&
	[ "$(counter fw1 1 opackets)" -ge $op1_fw1 ]'
check "nothing about vhid 1 in the reload log" eval '! grep -q "vhid 1: removed" "$T_DIR/fw1/carpd.log"'
check "vhid 1's VIP never left fw1" eval '! grep -q "Deleted.*$VIP1" "$T_DIR/mon.log"'
check "client reaches both VIPs" eval 'nsx client ping -c 1 -W 1 $VIP1 && nsx client ping -c 1 -W 1 $VIP2'

log "(c) a config with an error: logged as FILE:LINE, the running one kept"
tr1=$(transitions fw1 1); tr2=$(transitions fw2 2)
f=$T_DIR/fw1/carpd.d/vhid2.conf
cp "$f" "$T_DIR/vhid2.good"
echo "advskew 300" >>"$f"
line=$(wc -l <"$f")
kill -HUP "$(pid_of fw1)"
check "the error logged as FILE:LINE: reason" poll_for 3 grep -q "$f:$line: advskew" "$T_DIR/fw1/carpd.log"
check "  and that the running config is kept" grep -q "keeping the running one" "$T_DIR/fw1/carpd.log"
check "carpd still runs" kill -0 "$(pid_of fw1)"
check "  and answers" ctl fw1 status
check "both vhosts still there, still MASTER" eval 'is_state fw1 1 MASTER && is_state fw1 2 MASTER'
check "  with their old settings (advskew 30)" eval '[ "$(vh fw1 2 advskew)" = 30 ]'
check "  and no transition" eval '[ "$(transitions fw1 1)" = $tr1 ] && [ "$(transitions fw2 2)" = $tr2 ]'
printf 'preempt yes\ncontrol-socket\n' >>"$T_DIR/fw1/carpd.conf"
gline=$(wc -l <"$T_DIR/fw1/carpd.conf")
kill -HUP "$(pid_of fw1)"
check "an error in the global file too: FILE:LINE" poll_for 3 grep -q "$T_DIR/fw1/carpd.conf:$gline: control-socket" "$T_DIR/fw1/carpd.log"
check "  every error reported, not only the first" grep -q "$T_DIR/fw1/carpd.conf:$((gline - 1)): preempt" "$T_DIR/fw1/carpd.log"
check "  carpd still runs with both vhosts" eval 'is_state fw1 1 MASTER && is_state fw1 2 MASTER'
# the same over the control socket (CTL_RELOAD = 12): an error reply
RELOAD=0c000000100000000100000000000000
if [ -x "$CTL_HOLD" ]; then
	check "CTL_RELOAD of the bad config answers an error" eval \
		'[ "$("$CTL_HOLD" -x "$T_DIR/fw1/carpd.sock" $RELOAD)" = "ERROR INTERNAL" ]'
	check "  and keeps both vhosts MASTER" eval 'is_state fw1 1 MASTER && is_state fw1 2 MASTER'
fi
head -n -2 "$T_DIR/fw1/carpd.conf" >"$T_DIR/g" && cat "$T_DIR/g" >"$T_DIR/fw1/carpd.conf"
cp "$T_DIR/vhid2.good" "$f"
check "the fixed config reloads" hup fw1
if [ -x "$CTL_HOLD" ]; then
	n=$(reloads fw1)
	check "CTL_RELOAD of a good config answers END" eval \
		'[ "$("$CTL_HOLD" -x "$T_DIR/fw1/carpd.sock" $RELOAD)" = END ] && [ "$(reloads fw1)" = $((n + 1)) ]'
else
	fail "$CTL_HOLD not built (make $CTL_HOLD): CTL_RELOAD not tested"
fi
check "  no transition from any of it" eval '[ "$(transitions fw1 1)" = $tr1 ] && [ "$(transitions fw2 2)" = $tr2 ]'

log "(c2) a carpnodes group that balances, added by a reload: it starts, the running vhosts untouched"
tr1=$(transitions fw1 1); tr2=$(transitions fw1 2)
printf 'carpnodes 5:0,6:100\ncarpdev eth0\naddress 192.0.2.250/24\npass "carpsync-test"\n' \
	>"$T_DIR/fw1/carpd.d/group.conf"
check "the config with the group reloads" hup fw1
check "  both of its nodes run" poll_for 3 eval '[ "$(ctl fw1 -j status | jq "[.vhosts[] | select(.balance != null)] | length")" = 2 ]'
check "  node 5 MASTER (alone on the segment), node 6 too" poll_for 5 eval 'is_state fw1 5 MASTER && is_state fw1 6 MASTER'
check "  its nftables table on eth0 (libnftables opened after the privilege drop)" \
	nsx fw1 nft list table netdev carpsync_eth0
check "  the VIP on eth0, no interface for the group" eval 'has_vip fw1 192.0.2.250 &&
	! ip -n "$(ns fw1)" link show carp5 >/dev/null 2>&1'
check "  vhosts 1 and 2 still MASTER, no transition" eval 'is_state fw1 1 MASTER && is_state fw1 2 MASTER &&
	[ "$(transitions fw1 1)" = $tr1 ] && [ "$(transitions fw1 2)" = $tr2 ]'
rm "$T_DIR/fw1/carpd.d/group.conf"
check "without it, the config reloads" hup fw1
check "  the group's table and VIP are gone" eval '! nsx fw1 nft list table netdev carpsync_eth0 >/dev/null 2>&1 &&
	! has_vip fw1 192.0.2.250'

log "(d) advskew changed in place: no transition of its own"
tr2_fw1=$(transitions fw1 2); tr2_fw2=$(transitions fw2 2)
op2=$(counter fw1 2 opackets)
sed -i 's/^advskew 30$/advskew 40/' "$f"
check "fw1 reloads" hup fw1
check "status shows advskew 40" eval '[ "$(vh fw1 2 advskew)" = 40 ]'
# vhid 2's adverts from fw1 (CARP vhid byte at IP offset 21) after the reload
nsx lan timeout 5 tcpdump -c 5 -n -i p-fw1 -w "$T_DIR/d.pcap" \
	'ip proto 112 and src host 192.0.2.1 and ip[21] = 2' 2>/dev/null
n=$(tshark -r "$T_DIR/d.pcap" -d ip.proto==112,carp -Y 'carp.advskew == 40' 2>/dev/null | wc -l)
check "fw1's adverts now carry advskew 40 ($n of 5)" [ "$n" = 5 ]
check "still MASTER, no transition on either node" eval 'is_state fw1 2 MASTER &&
	[ "$(transitions fw1 2)" = $tr2_fw1 ] && [ "$(transitions fw2 2)" = $tr2_fw2 ]'
check "counters kept" eval '[ "$(counter fw1 2 opackets)" -ge $op2 ]'
sed -i 's/^advskew 40$/advskew 100/' "$f"
check "advskew 100 (slower than fw2's 60): fw1 reloads" hup fw1
check "fw2 preempts vhid 2" poll_for 2 is_state fw2 2 MASTER
check "fw1 yields: one transition, MASTER -> BACKUP" eval 'poll_for 2 is_state fw1 2 BACKUP &&
	[ "$(transitions fw1 2)" = $((tr2_fw1 + 1)) ]'
check "vhid 1 untouched on fw1" eval 'is_state fw1 1 MASTER && [ "$(transitions fw1 1)" = $tr1 ]'
sed -i 's/^advskew 100$/advskew 30/' "$f"
check "advskew back to 30: fw1 reloads" hup fw1
check "fw1 preempts vhid 2 back" poll_for 2 is_state fw1 2 MASTER
check "  one more transition" eval '[ "$(transitions fw1 2)" = $((tr2_fw1 + 2)) ]'
check "fw2 BACKUP of vhid 2 again" poll_for 2 is_state fw2 2 BACKUP

log "(b) a vhost file removed while MASTER: bow-out"
poll_for 3 is_state fw1 1 MASTER
tr2=$(transitions fw1 2)
rm "$T_DIR/fw1/carpd.d/vhid1.conf"
t0=$(date +%s%N)
kill -HUP "$(pid_of fw1)"
# fw1 advertises every 1.117 s and fw2's master-down is 3.70 s: within one
# interval only the bow-out can have done it.
check "fw2 takes vhid 1 over within one interval" poll_for 1.1 is_state fw2 1 MASTER
log "  (fw2 MASTER after $(( ($(date +%s%N) - t0) / 1000000 )) ms)"
check "the log says why" poll_for 2 grep -q "vhid 1: removed by reload" "$T_DIR/fw1/carpd.log"
check "fw1's macvlan carp1 is deleted" poll_for 2 eval '! ip -n $(ns fw1) link show carp1 2>/dev/null'
check "fw1 no longer lists vhid 1" eval '[ -z "$(state fw1 1)" ]'
check "fw1 no longer holds VIP 1" eval '! has_vip fw1 $VIP1'
check "vhid 2 untouched on fw1" eval 'is_state fw1 2 MASTER && [ "$(transitions fw1 2)" = $tr2 ]'
check "client reaches VIP 1 via fw2" poll_for 2 nsx client ping -c 1 -W 1 $VIP1

log "(e) groups changed while the carrier is lost"
ip -n "$(ns lan)" link set p-fw1 down
check "fw1's vhid 2 goes to INIT" poll_for 2 is_state fw1 2 INIT
check "groups carp and uplinks demoted by 1" eval '[ "$(group_demote fw1 carp)" = 1 ] &&
	[ "$(group_demote fw1 uplinks)" = 1 ]'
sed -i 's/^group uplinks$/group web/' "$f"
check "fw1 reloads with vhid 2 in group web instead" hup fw1
ip -n "$(ns lan)" link set p-fw1 up
check "carrier back: vhid 2 to BACKUP" poll_for 3 is_state fw1 2 BACKUP
check "group carp back to 0" poll_for 2 eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "group web at 0" eval '[ "$(group_demote fw1 web)" = 0 ]'
check "group uplinks back to 0 (its +1 was given back)" eval '[ "$(group_demote fw1 uplinks)" = 0 ]'
check "vhid 2 advertises demote 0" eval '[ "$(vh fw1 2 demote)" = 0 ]'
check "fw1 preempts vhid 2 back" poll_for 3 is_state fw1 2 MASTER

log "(f) ifname changed: handled as a removal and an addition"
tr2=$(transitions fw1 2)
sed -i 's/^vhid 2$/vhid 2\nifname lan2/' "$f"
check "fw1 reloads" hup fw1
check "the old macvlan carp2 is gone" poll_for 2 eval '! ip -n $(ns fw1) link show carp2 2>/dev/null'
check "the new one, lan2, has the vMAC" eval 'ip -n $(ns fw1) link show lan2 | grep -q "link/ether 00:00:5e:00:01:02"'
check "vhid 2 restarted (transitions counted afresh)" eval '[ "$(vh fw1 2 ifname)" = lan2 ] && [ "$(transitions fw1 2)" -lt $tr2 ]'
check "fw1 MASTER of vhid 2 again (preempt after its restart)" poll_for 3 is_state fw1 2 MASTER
check "the VIP is on lan2" poll_for 2 eval 'ip -n $(ns fw1) -o addr show dev lan2 | grep -q $VIP2'
finish
