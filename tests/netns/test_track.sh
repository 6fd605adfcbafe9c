#!/bin/bash
# Health tracking (carpd.conf(5) TRACKING): a track-interface going down
# on the master holds its weight on the vhost's groups, the peer takes
# over, back up gives exactly that back; a track-script failing and
# recovering (a flag file); a reload keeps the demotion exact; a hung
# script is killed at its timeout while carpd keeps answering; track-scope
# vhost demotes that vhost alone; preempt-delay measured after a restart.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root

FLAG=$T_DIR/fail1
topo_lan && topo_wan || { fail "topology"; finish; exit; }
write_conf fw1 1 1 0 "192.0.2.254/24" "preempt yes\npreempt-delay 6"
add_vhost fw1 1 eth0 1 0 "192.0.2.254/24" \
	"group lan\ntrack-interface eth1 weight 50\ntrack-script \"test ! -e $FLAG\" interval 1 weight 20"
add_vhost fw1 3 eth0 1 0 "192.0.2.253/24" \
	"track-scope vhost\ntrack-script \"sleep 1000\" interval 2 timeout 1 weight 5"
write_conf fw2 1 1 100 "192.0.2.254/24" "preempt yes"
add_vhost fw2 3 eth0 1 100 "192.0.2.253/24"

vh() { ctl "$1" -j status | jq -r ".vhosts[] | select(.vhid == $2) | $3"; }
trk() { ctl "$1" -j status | jq -r ".vhosts[] | select(.vhid == $2) | .tracks[] | select(.name == \"$3\") | $4"; }
# vhid 1 is in carp and lan: it advertises the sum of both (OpenBSD
# carp_group_demote_count); vhid 3, in carp only: carp + its own part
demotes_are() {	# demotes_are NODE CARP LAN VHID1 VHID3
	[ "$(group_demote "$1" carp)" = "$2" ] && [ "$(group_demote "$1" lan)" = "$3" ] &&
		[ "$(vh "$1" 1 .demote)" = "$4" ] && [ "$(vh "$1" 3 .demote)" = "$5" ]
}

start_carpd fw1; start_carpd fw2
check "fw1 MASTER of vhid 1" poll_for 6 is_state fw1 1 MASTER
check "status lists both tracks of vhid 1, up" eval \
	'[ "$(vh fw1 1 "[.tracks[] | .kind + \":\" + .state] | join(\" \")")" = "interface:up script:up" ]'

ctl fw1 status | sed -n '/^VHID  *TRACK/,$p' | sed 's/^/  /'
check "text status: the interface track's line" eval \
	'ctl fw1 status | grep -Eq "^1 +interface +up +group +50 +0 +0 +0 eth1$"'
log "hung script on vhid 3 (track-scope vhost): killed at its 1 s timeout"
check "a run of sleep 1000 is going" poll_for 4 eval '[ "$(trk fw1 3 "sleep 1000" .running)" = true ]'
HUNG=$(pgrep -P "$(pid_of fw1)" -f "sleep 1000" | head -n 1)
check "its process is a child of carpd (pid ${HUNG:-none})" test -n "$HUNG"
worst=0
for _ in $(seq 1 10); do		# carpd answers while the script hangs
	t0=$(date +%s%N); ctl fw1 -j status >/dev/null; t1=$(date +%s%N)
	d=$(( (t1 - t0) / 1000000 )); [ "$d" -gt "$worst" ] && worst=$d
done
log "carpctl status while a script hangs: worst of 10 = ${worst} ms"
check "carpctl answers in < 100 ms while it hangs" test "$worst" -lt 100
check "the timeout is counted" poll_for 3 eval '[ "$(trk fw1 3 "sleep 1000" .timeouts)" -ge 1 ]'
check "the hung pid $HUNG is gone (killed and reaped)" poll_for 2 eval "! kill -0 $HUNG 2>/dev/null"
# its children die with it (one SIGKILL to the group); init reaps them
check "nothing of the killed process group is left" poll_for 2 eval "! pgrep -g $HUNG"
check "scope vhost: vhid 3 advertises 5, groups untouched, vhid 1 at 0" \
	poll_for 2 demotes_are fw1 0 0 0 5
check "daemon-wide script timeouts counted" eval '[ "$(ctl fw1 -j status | jq .scripts.timeouts)" -ge 1 ]'
check "fw2 takes vhid 3 from the demoted fw1" poll_for 4 is_state fw2 3 MASTER
check "fw1 keeps vhid 1" is_state fw1 1 MASTER

log "track-interface eth1 down on the master (its WAN port loses carrier)"
ip -n "$(ns lan)" link set q-fw1 down
check "demotion of carp and lan rises by exactly 50" poll_for 2 demotes_are fw1 50 50 100 55
check "the interface track is down" eval '[ "$(trk fw1 1 eth1 .state)" = down ]'
# the same in carpctl metrics, read with the real Prometheus text parser
# (Debian's python3-prometheus-client, for Debian's python3)
check "metrics: track_up 0 and weight 50 of eth1, vhid 3's track_demote 5" eval '
	ctl fw1 metrics > "$T_DIR/m.txt"; /usr/bin/python3 -c "
import sys
from prometheus_client.parser import text_string_to_metric_families as p
v = {(s.name, tuple(sorted(s.labels.items()))): s.value
     for f in p(open(sys.argv[1]).read()) for s in f.samples}
k = ((\"kind\", \"interface\"), (\"name\", \"eth1\"), (\"vhid\", \"1\"))
assert v[(\"carpsync_carpd_track_up\", k)] == 0, v
assert v[(\"carpsync_carpd_track_weight\", k)] == 50
assert v[(\"carpsync_carpd_vhost_track_demote\", ((\"vhid\", \"3\"),))] == 5
" "$T_DIR/m.txt"'
check "fw2 takes vhid 1" poll_for 3 is_state fw2 1 MASTER
log "reload with the tracks unchanged (SIGHUP)"
kill -HUP "$(pid_of fw1)"
check "reload: still exactly 50 (neither 0 nor 100)" poll_for 2 eval \
	'grep -q "reloaded" "$T_DIR/fw1/carpd.log" && demotes_are fw1 50 50 100 55'
log "eth1 back up"
ip -n "$(ns lan)" link set q-fw1 up
check "demotion back to exactly 0" poll_for 2 demotes_are fw1 0 0 0 5
check "fw1 preempts vhid 1 back (preempt yes)" poll_for 8 is_state fw1 1 MASTER

log "track-script fails (flag file), then recovers"
touch "$FLAG"
check "script failing: +20 on carp and lan" poll_for 4 demotes_are fw1 20 20 40 25
check "fw2 takes vhid 1" poll_for 3 is_state fw2 1 MASTER
check "the failure is counted" eval '[ "$(trk fw1 1 "test ! -e $FLAG" .failures)" -ge 1 ]'
rm -f "$FLAG"
check "script healthy: back to exactly 0" poll_for 4 demotes_are fw1 0 0 0 5
check "fw1 takes vhid 1 back" poll_for 8 is_state fw1 1 MASTER

log "reload removing the failing interface track, adding one of a missing interface"
ip -n "$(ns lan)" link set q-fw1 down
check "interface down again: 50" poll_for 2 demotes_are fw1 50 50 100 55
add_vhost fw1 1 eth0 1 0 "192.0.2.254/24" \
	"group lan\ntrack-script \"test ! -e $FLAG\" interval 1 weight 20\ntrack-interface nosuch0 weight 7"
n0=$(grep -c "reloaded" "$T_DIR/fw1/carpd.log")
kill -HUP "$(pid_of fw1)"
check "reload: the removed track's 50 given back, the new one's 7 held: exactly 7" poll_for 2 eval \
	'[ "$(grep -c reloaded "$T_DIR/fw1/carpd.log")" -gt "$n0" ] && demotes_are fw1 7 7 14 12'
check "vhid 1 has the script (kept, its runs too) and nosuch0" eval \
	'[ "$(vh fw1 1 "[.tracks[] | .name] | join(\",\")")" = "test ! -e $FLAG,nosuch0" ] && [ "$(trk fw1 1 "test ! -e $FLAG" .runs)" -gt 5 ]'
add_vhost fw1 1 eth0 1 0 "192.0.2.254/24" "group lan"
kill -HUP "$(pid_of fw1)"
check "reload without tracks: exactly 0" poll_for 2 eval \
	'[ "$(grep -c reloaded "$T_DIR/fw1/carpd.log")" -gt "$((n0 + 1))" ] && demotes_are fw1 0 0 0 5'
ip -n "$(ns lan)" link set q-fw1 up

log "preempt-delay 6: fw1 restarted, fw2 MASTER of vhid 1"
stop_carpd fw1
check "fw2 MASTER of vhid 1 without fw1" poll_for 5 is_state fw2 1 MASTER
start_carpd fw1
t0=$(date +%s%N)
early=0; took=""
while :; do
	el=$(( ($(date +%s%N) - t0) / 1000000 ))
	st=$(state fw1 1)
	if [ "$st" = MASTER ]; then took=$el; break; fi
	[ "$el" -gt 12000 ] && break
	sleep 0.1
done
log "fw1 preempted ${took:-never} ms after its start (preempt-delay 6 s)"
check "fw1 did not preempt before 6 s" test "${took:-0}" -ge 5900
check "fw1 preempted within 6 s + 2.5 s (the first advert of fw2 after the delay: 1.39 s apart)" test -n "$took" -a "${took:-99999}" -le 8500
check "the preemption was logged as such" grep -q "BACKUP -> MASTER (preempt)" "$T_DIR/fw1/carpd.log"
finish
