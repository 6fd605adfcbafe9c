#!/bin/bash
# Demotion that keeps a node out of the MASTER role (carpd(8) "Demotion"):
# `startup-demote 128` is advertised in the demote byte and loses every
# election to a live peer, preempt and a lower advskew notwithstanding,
# until `carpctl demote carp -128`; a demotion held by a control
# connection (CTL_DEMOTE_HOLD, as syncd uses) lasts exactly as long as the
# connection: killing the client gives mastership back.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
CTL_HOLD=$BUILD/tests/ctl_hold
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }

VIP=192.0.2.254
# fw1 is the better node (advskew 30 against 60, preempt) but starts
# demoted by 128. advbase 0: fw1 advertises every 117 ms, fw2 every 234 ms.
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24" "preempt yes\nstartup-demote 128"
write_conf fw2 1 0 60 "$VIP/24" "preempt yes"
vdemote() { ctl "$1" -j status | jq -r '.vhosts[0].demote'; }

log "fw1 alone, demoted: it becomes MASTER (no one else) and advertises 128"
capture_start adv lan p-fw1 "$T_DIR/fw1.pcap" 'ip proto 112 and src host 192.0.2.1'
start_carpd fw1
check "group carp demoted by 128 at start" poll_for 2 eval '[ "$(group_demote fw1 carp)" = 128 ]'
check "vhost advertises demote 128" eval '[ "$(vdemote fw1)" = 128 ]'
check "the log says how to undo it" grep -q "startup-demote: group carp demoted by 128" "$T_DIR/fw1/carpd.log"
check "fw1 MASTER while alone" poll_for 3 is_state fw1 1 MASTER
poll_for 3 eval '[ "$(counter fw1 1 opackets)" -ge 8 ]'

log "fw2 starts: the demoted fw1 gives way at once"
start_carpd fw2
check "fw2 takes over (peer demoted)" poll_for 3 is_state fw2 1 MASTER
check "fw1 yields" poll_for 2 is_state fw1 1 BACKUP
check "fw2 took over on fw1's demotion, not by master-down" grep -q "BACKUP -> MASTER (peer demoted)" "$T_DIR/fw2/carpd.log"
capture_stop adv
TS="tshark -r $T_DIR/fw1.pcap -d ip.proto==112,carp"
n=$($TS -Y carp 2>/dev/null | wc -l)
d=$($TS -Y carp -T fields -e carp.demotion 2>/dev/null | sort -u | tr '\n' ' ')
check "fw1's adverts captured ($n)" [ "$n" -ge 5 ]
check "every one carries demote 128 (seen: $d)" [ "$d" = "128 " ]

log "fw1 restarted while fw2 lives: never MASTER, preempt and advskew notwithstanding"
stop_carpd fw1
ip2=$(counter fw2 1 ipackets)
start_carpd fw1
check "group carp demoted by 128 again" poll_for 2 eval '[ "$(group_demote fw1 carp)" = 128 ]'
# fw1's master-down is 3 x 117 ms: poll for many of them
never_master() {
	local end=$(( $(date +%s%N) + 2000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		is_state fw1 1 MASTER && return 1
		sleep 0.05
	done
}
check "fw1 never MASTER over 2 s (17 master-down times)" never_master
check "  only its start transition (INIT -> BACKUP)" eval '[ "$(transitions fw1 1)" = 1 ]'
check "fw2 still MASTER" is_state fw2 1 MASTER
check "fw1 sent no advert meanwhile (fw2 received none)" eval '[ "$(counter fw2 1 ipackets)" = $ip2 ]'

log "carpctl demote carp -128: fw1 preempts"
check "undemote accepted" ctl fw1 demote carp -128
check "group carp back to 0" eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "fw1 preempts" poll_for 2 is_state fw1 1 MASTER
check "fw2 yields" poll_for 2 is_state fw2 1 BACKUP
check "fw1 holds the VIP" poll_for 2 has_vip fw1 $VIP
n=$(grep -c "reloaded " "$T_DIR/fw1/carpd.log")
kill -HUP "$(pid_of fw1)"
check "a reload" poll_for 3 eval '[ "$(grep -c "reloaded " "$T_DIR/fw1/carpd.log")" -gt $n ]'
check "  does not apply startup-demote again" eval '[ "$(group_demote fw1 carp)" = 0 ] && is_state fw1 1 MASTER'

log "a demotion held by a control connection"
if [ ! -x "$CTL_HOLD" ]; then
	fail "$CTL_HOLD not built (make $CTL_HOLD)"
	finish; exit
fi
"$CTL_HOLD" "$T_DIR/fw1/carpd.sock" carp 32 >"$T_DIR/hold.out" 2>"$T_DIR/hold.err" &
hold=$!; T_PIDS="$T_PIDS $hold"
check "carpd accepts the hold" poll_for 2 grep -qx "held carp 32" "$T_DIR/hold.out"
check "group carp shows 32" eval '[ "$(group_demote fw1 carp)" = 32 ]'
check "vhost advertises 32" eval '[ "$(vdemote fw1)" = 32 ]'
check "the MASTER yields to fw2" poll_for 2 is_state fw2 1 MASTER
check "fw1 BACKUP" poll_for 2 is_state fw1 1 BACKUP
check "a persistent undemote cannot cancel a held demotion" eval '! ctl fw1 demote carp -32 2>/dev/null'
check "  group carp still 32" eval '[ "$(group_demote fw1 carp)" = 32 ]'
check "held and persistent add up" eval 'ctl fw1 demote carp 10 && [ "$(group_demote fw1 carp)" = 42 ] &&
	ctl fw1 demote carp -10 && [ "$(group_demote fw1 carp)" = 32 ]'
check "the client is still connected" kill -0 $hold
kill -KILL $hold; wait $hold 2>/dev/null
check "client killed: demotion released" poll_for 2 eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "  the log says so" grep -q "held demotion 32 released" "$T_DIR/fw1/carpd.log"
check "fw1 preempts back" poll_for 2 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 2 is_state fw2 1 BACKUP

log "two holders on one group; each release takes back only its own"
"$CTL_HOLD" "$T_DIR/fw1/carpd.sock" carp 20 >"$T_DIR/h1.out" 2>&1 &
h1=$!; T_PIDS="$T_PIDS $h1"
"$CTL_HOLD" "$T_DIR/fw1/carpd.sock" carp 5 >"$T_DIR/h2.out" 2>&1 &
h2=$!; T_PIDS="$T_PIDS $h2"
check "both held" poll_for 2 eval 'grep -q held "$T_DIR/h1.out" && grep -q held "$T_DIR/h2.out"'
check "group carp shows 25" eval '[ "$(group_demote fw1 carp)" = 25 ]'
check "fw2 takes over" poll_for 2 is_state fw2 1 MASTER
kill -TERM $h1; wait $h1 2>/dev/null
check "first holder gone: 5 left" poll_for 2 eval '[ "$(group_demote fw1 carp)" = 5 ]'
check "fw1 still BACKUP (demote 5 > 0)" eval 'is_state fw1 1 BACKUP && is_state fw2 1 MASTER'
kill -TERM $h2; wait $h2 2>/dev/null
check "second holder gone: 0" poll_for 2 eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "fw1 preempts back" poll_for 2 is_state fw1 1 MASTER
check "a negative hold is refused" eval '! "$CTL_HOLD" "$T_DIR/fw1/carpd.sock" carp -1 2>/dev/null'
finish
