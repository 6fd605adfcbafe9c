#!/bin/bash
# Section 1: the outage a LAN client sees, for six failover events between
# two carpd (fw1 preferred, fw2 backup), BENCH_RUNS runs each. One topology
# (lib.sh topo_lan + topo_wan); per case one pair of daemons, one probe and
# one capture, the events repeated with random phase, then analysed.
# usage: bench_failover.sh BUILD_DIR
T_NAME=failover
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"

VIP=192.0.2.254
WVIP=198.51.100.254
SRC1=192.0.2.1
SRC2=192.0.2.2
TIMES=""		# the current case's event-time file

ms() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (b + s / 256) * 1000 }'; }
sec() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.4f", b + s / 256 }'; }

# carp_pair B1 S1 B2 S2 [wan]: fresh daemons, fw1 at B1/S1 and fw2 at
# B2/S2, preempt on; with "wan" also vhid 2 on eth1 (same group carp).
carp_pair() {
	local n
	bench_stop_carpd fw1; bench_stop_carpd fw2
	for n in fw1 fw2; do bench_global $n "preempt yes"; done
	add_vhost fw1 1 eth0 "$1" "$2" "$VIP/24"
	add_vhost fw2 1 eth0 "$3" "$4" "$VIP/24"
	if [ "${5:-}" = wan ]; then
		add_vhost fw1 2 eth1 "$1" "$2" "$WVIP/24"
		add_vhost fw2 2 eth1 "$3" "$4" "$WVIP/24"
	fi
	start_carpd fw1 && start_carpd fw2 &&
	    wait_for 10 is_state fw1 1 MASTER && wait_for 5 is_state fw2 1 BACKUP
}

# steady [VHID...]: fw1 MASTER and fw2 BACKUP of each, the probe answered.
steady() {
	local v
	for v in "${@:-1}"; do
		wait_for 5 is_state fw1 "$v" MASTER || return 1
		wait_for 5 is_state fw2 "$v" BACKUP || return 1
	done
	wait_for 2 probe_alive
}

case_begin() {		# case_begin NAME: probe and capture for one case
	TIMES="$T_DIR/$1.times"
	: >"$TIMES"
	probe_start "$T_DIR/$1.ping" "$VIP" || return 1
	cap_start "$T_DIR/$1.cap" || return 1
}
case_end() { probe_stop; cap_stop; }

# settle: end a run only once the probe is answered again (bounded: an
# outage longer than 3 s is then reported as NR), plus 300 ms.
settle() { wait_for 3 probe_alive; sleep 0.3; }

# Each run appends "run t_event t_restore t_end" to $TIMES, or "run NA".
# Two runs in a row that find no steady state end the case (the rest NA),
# so that a broken pair cannot run into the watchdog.
run_loop() {		# run_loop FUNC
	local i bad=0
	for i in $(seq 1 "$BENCH_RUNS"); do
		if [ "$bad" -ge 2 ]; then
			echo "$i NA" >>"$TIMES"
		elif "$1" "$i"; then
			bad=0
		else
			echo "$i NA" >>"$TIMES"
			bad=$((bad + 1))
			progress "$1 run $i: no steady state, skipped"
		fi
	done
}

# --- a, b: silent death (nft drops all of fw1's traffic) ------------------

run_silent() {
	local tev trs
	steady || return 1
	rand_sleep "$MASTER_IV"
	tev=$EPOCHREALTIME
	silence fw1
	wait_for 3 is_state fw2 1 MASTER
	settle
	trs=$EPOCHREALTIME
	unsilence fw1
	wait_for 3 is_state fw2 1 BACKUP
	settle
	echo "$1 $tev $trs $EPOCHREALTIME" >>"$TIMES"
}

analyse_silent() {	# analyse_silent FIG: outage, wire master-down, restore outage
	local r tev trs tend t2 t1
	while read -r r tev trs tend; do
		if [ "$tev" = NA ]; then
			fig_add "$1.outage" NA; fig_add "$1.wire_md" NA; fig_add "$1.restore" NA
			continue
		fi
		fig_add "$1.outage" "$(probe_gap "$PROBE_FILE" "$tev" "$trs")"
		t2=$(adv_first $SRC2 "$tev" "$trs")
		t1=$( [ -n "$t2" ] && adv_last $SRC1 "$t2")
		fig_add "$1.wire_md" "$(ms_between "$t1" "$t2")"
		fig_add "$1.restore" "$(probe_gap "$PROBE_FILE" "$trs" "$tend")"
	done <"$TIMES"
}

case_silent() {		# case_silent FIG B1 S1 B2 S2
	progress "$1: silent death, fw1 $2/$3, fw2 $4/$5, $BENCH_RUNS runs"
	carp_pair "$2" "$3" "$4" "$5" || { progress "$1: pair did not settle"; return 1; }
	MASTER_IV=$(sec "$2" "$3")
	case_begin "$1" || return 1
	run_loop run_silent
	case_end
	analyse_silent "$1"
	baseline_from "$1"
}

# --- c + e: SIGTERM bow-out, then restart and preempt back ---------------

run_bowout() {
	local tc te
	steady || return 1
	rand_sleep "$MASTER_IV"
	tc=$EPOCHREALTIME
	bench_stop_carpd fw1 TERM
	wait_for 3 is_state fw2 1 MASTER
	settle
	rand_sleep "$BACKUP_IV"		# any phase of fw2's advert cycle
	te=$EPOCHREALTIME
	start_carpd fw1
	wait_for 5 is_state fw1 1 MASTER
	wait_for 3 is_state fw2 1 BACKUP
	settle
	echo "$1 $tc $te $EPOCHREALTIME" >>"$TIMES"
}

analyse_bowout() {
	local r tc te tend tb t2 t1 tj f
	while read -r r tc te tend; do
		if [ "$tc" = NA ]; then
			for f in c_bowout.outage c_bowout.wire_takeover e_preempt.to_master e_preempt.outage \
			    e_preempt.startup e_preempt.join_to_master; do
				fig_add $f NA
			done
			continue
		fi
		fig_add c_bowout.outage "$(probe_gap "$PROBE_FILE" "$tc" "$te")"
		tb=$(adv_first $SRC1 "$tc" "$te" "prio 255")
		t2=$(adv_first $SRC2 "$tc" "$te")
		fig_add c_bowout.wire_takeover "$(ms_between "$tb" "$t2")"
		t1=$(adv_first $SRC1 "$te" "$tend")
		tj=$(igmp_first $SRC1 "$te" "$tend")
		fig_add e_preempt.to_master "$(ms_between "$te" "$t1")"
		fig_add e_preempt.startup "$(ms_between "$te" "$tj")"
		fig_add e_preempt.join_to_master "$(ms_between "$tj" "$t1")"
		fig_add e_preempt.outage "$(probe_gap "$PROBE_FILE" "$te" "$tend")"
	done <"$TIMES"
}

# --- d: carpctl demote carp 50 on the master -------------------------------

run_demote() {
	local td tu
	steady || return 1
	rand_sleep "$MASTER_IV"
	td=$EPOCHREALTIME
	ctl fw1 demote carp 50 >/dev/null
	wait_for 3 is_state fw2 1 MASTER
	wait_for 3 is_state fw1 1 BACKUP
	settle
	rand_sleep "$BACKUP_IV"
	tu=$EPOCHREALTIME
	ctl fw1 demote carp -50 >/dev/null
	wait_for 3 is_state fw1 1 MASTER
	wait_for 3 is_state fw2 1 BACKUP
	settle
	echo "$1 $td $tu $EPOCHREALTIME" >>"$TIMES"
}

analyse_demote() {
	local r td tu tend t2 t1 f
	while read -r r td tu tend; do
		if [ "$td" = NA ]; then
			for f in d_demote.outage d_demote.wire_takeover d_demote.undemote_to_master d_demote.undemote_outage; do
				fig_add $f NA
			done
			continue
		fi
		fig_add d_demote.outage "$(probe_gap "$PROBE_FILE" "$td" "$tu")"
		t2=$(adv_first $SRC2 "$td" "$tu")
		fig_add d_demote.wire_takeover "$(ms_between "$td" "$t2")"
		t1=$(adv_first $SRC1 "$tu" "$tend")
		fig_add d_demote.undemote_to_master "$(ms_between "$tu" "$t1")"
		fig_add d_demote.undemote_outage "$(probe_gap "$PROBE_FILE" "$tu" "$tend")"
	done <"$TIMES"
}

case_adv1() {		# c, d, e share a pair at advbase 1
	progress "c/d/e: advbase 1, fw1 1/0, fw2 1/10, $BENCH_RUNS runs each"
	carp_pair 1 0 1 10 || { progress "advbase-1 pair did not settle"; return 1; }
	MASTER_IV=$(sec 1 0); BACKUP_IV=$(sec 1 10)
	case_begin d_demote || return 1
	run_loop run_demote
	case_end
	analyse_demote
	case_begin c_bowout || return 1
	run_loop run_bowout
	case_end
	analyse_bowout
}

# --- f: LAN carrier lost on the master of a LAN and a WAN vhid -----------

MON_PIDS=""
mon_start() {		# mon_start NODE OBJECT FILE: ip -ts monitor in a namespace
	ip -n "$(ns "$1")" -ts -o monitor "$2" >"$3" 2>&1 &
	MON_PIDS="$MON_PIDS $!"
	track "$!"
}
mon_stop() {
	local p
	for p in $MON_PIDS; do stop_pid "$p" TERM; done
	MON_PIDS=""
}

# mon_time FILE PATTERN AFTER BEFORE [PATTERN2]: epoch of the first line
# holding PATTERN (and PATTERN2; not a deletion) in (AFTER, BEFORE). ip -ts prints
# "[YYYY-MM-DDTHH:MM:SS.ffffff]" in local time, which mktime also uses.
mon_time() {
	awk -v pat="$2" -v a="$3" -v b="$4" -v pat2="${5:-}" '
	index($0, pat) && index($0, pat2) && !/Deleted/ {
		s = substr($1, 2, length($1) - 2); gsub(/[-T:]/, " ", s)
		split(s, f, " "); t = mktime(f[1] " " f[2] " " f[3] " " f[4] " " f[5] " 0") + f[6]
		if (t > a && t < b) { printf "%.6f\n", t; exit }
	}' "$1"
}

run_carrier() {
	local tf tr
	steady 1 2 || return 1
	rand_sleep "$MASTER_IV"
	tf=$EPOCHREALTIME
	ip -n "$(ns lan)" link set p-fw1 down
	wait_for 3 is_state fw2 1 MASTER
	wait_for 3 is_state fw2 2 MASTER
	settle
	tr=$EPOCHREALTIME
	ip -n "$(ns lan)" link set p-fw1 up
	wait_for 5 is_state fw1 1 MASTER
	wait_for 5 is_state fw1 2 MASTER
	settle
	echo "$1 $tf $tr $EPOCHREALTIME" >>"$TIMES"
}

# The carrier loss is timed where carpd sees it: the NO-CARRIER link
# event on fw1's eth0 (ip link set on the bridge port takes ~10-20 ms).
analyse_carrier() {
	local r tf tr tend tc tl tw f
	while read -r r tf tr tend; do
		if [ "$tf" = NA ]; then
			for f in f_carrier.both_vips f_carrier.lan_vip f_carrier.wan_vip f_carrier.lan_outage; do
				fig_add $f NA
			done
			continue
		fi
		tc=$(mon_time "$T_DIR/f.link" " eth0@if" "$tf" "$tr" "<NO-CARRIER")
		[ -n "$tc" ] || tc=$tf
		tl=$(mon_time "$T_DIR/f.addr" " inet $VIP/" "$tf" "$tr")
		tw=$(mon_time "$T_DIR/f.addr" " inet $WVIP/" "$tf" "$tr")
		fig_add f_carrier.lan_vip "$(ms_between "$tc" "$tl")"
		fig_add f_carrier.wan_vip "$(ms_between "$tc" "$tw")"
		if [ -n "$tl" ] && [ -n "$tw" ]; then
			fig_add f_carrier.both_vips "$(ms_between "$tc" "$(printf '%s\n%s\n' "$tl" "$tw" | sort -g | tail -n 1)")"
		else
			fig_add f_carrier.both_vips NR
		fi
		fig_add f_carrier.lan_outage "$(probe_gap "$PROBE_FILE" "$tf" "$tr")"
	done <"$TIMES"
}

case_carrier() {
	# fw1 at 0/20, not 0/10: demoted and BACKUP of the WAN vhid, its own
	# master-down (3 x its interval) must exceed fw2's advert interval,
	# or it times out between fw2's adverts and flaps (as OpenBSD would).
	progress "f: carrier loss, LAN + WAN vhids, fw1 0/20, fw2 0/30, $BENCH_RUNS runs"
	carp_pair 0 20 0 30 wan || { progress "f: pair did not settle"; return 1; }
	wait_for 5 is_state fw1 2 MASTER && wait_for 5 is_state fw2 2 BACKUP || return 1
	MASTER_IV=$(sec 0 20)
	mon_start fw2 address "$T_DIR/f.addr"
	mon_start fw1 link "$T_DIR/f.link"
	sleep 0.2
	case_begin f_carrier || return 1
	run_loop run_carrier
	case_end
	mon_stop
	analyse_carrier
}

baseline_from() {	# the probe's own resolution, from case a's quiet times
	[ -n "${BASELINE:-}" ] && return
	BASELINE=$(probe_baseline "$PROBE_FILE" 0 1e12 | sort -g | awk '{ v[++n] = $1 }
		END { if (n) printf "median %.1f ms, 99th percentile %.1f ms",
		    v[int((n + 1) / 2)], v[int(n * 0.99 + 0.5)] }')
}

# --- main ----------------------------------------------------------------------

topo_lan && topo_wan || bench_fatal "topology"
ok=0
case_silent a_silent 0 10 0 30 && ok=$((ok + 1))
case_silent b_silent 0 5 0 10 && ok=$((ok + 1))
case_adv1 && ok=$((ok + 1))
case_carrier && ok=$((ok + 1))
bench_stop_carpd fw1; bench_stop_carpd fw2

MD_A=$(ms 0 $((3 * 30)))		# 3 x (0 + 30/256) s
T_B2=$(ms 1 10)
say "1. Client-visible outage"
say "   Probe: the LAN client pings the VIP every ${BENCH_PROBE_IV} s and logs each reply's"
say "   time (ping -D; iputils' -i 0.01 really sends every ~16 ms, hence 5 ms). Outage = the"
say "   longest gap between consecutive replies around the event that has lost probes"
say "   (icmp_seq jumps) in it, nothing subtracted: it overstates the true outage by up to"
say "   2 probe intervals. No probe lost = below resolution, shown as $(awk -v i="$BENCH_PROBE_IV" 'BEGIN { printf "%.1f", i * 1000 }') ms."
say "   Reply spacing of the probe itself on this machine: ${BASELINE:-n/a}."
say "   Wire figures: tcpdump on the bridge ports (kernel timestamps); \"to MASTER\" = the"
say "   node's first advert (carpd adds the VIPs just before sending it)."
say "   Each event starts at a random phase of the current master's advert cycle; c, d, e"
say "   are timed from the kill / carpctl / exec, f from the NO-CARRIER event on fw1's eth0."
say "   Verdicts compare the median with the target; \"(k/N runs over)\" counts single runs"
say "   beyond it. All times in ms; runs = valid/total (NR = no recovery within 3 s)."
say ""
table_head "case"
fig_row "a) silent death, backup 0/30 (md $MD_A)" a_silent.outage ms "$(awk -v m="$MD_A" 'BEGIN { printf "%.1f", m + 20 }')"
fig_row "b) silent death, backup 0/10 (md $(ms 0 30))" b_silent.outage ms 140
fig_row "c) SIGTERM bow-out, advbase 1" c_bowout.outage ms 30
fig_row "d) carpctl demote carp 50, advbase 1" d_demote.outage ms 30
fig_row "e) preempt back: start -> MASTER (fw2 1/10)" e_preempt.to_master ms "$(awk -v t="$T_B2" 'BEGIN { printf "%.1f", t + 20 }')"
fig_row "e) preempt back: outage" e_preempt.outage ms 30
fig_row "f) carrier loss: both VIPs on fw2" f_carrier.both_vips ms "$(awk -v m="$MD_A" 'BEGIN { printf "%.1f", m + 20 }')"
say ""
table_head "details (no target)"
fig_row "a) master-down on the wire (nominal $MD_A)" a_silent.wire_md ms
fig_row "a) restore (unsilence, fw2 yields) outage" a_silent.restore ms
fig_row "b) master-down on the wire (nominal $(ms 0 30))" b_silent.wire_md ms
fig_row "b) restore (unsilence, fw2 yields) outage" b_silent.restore ms
fig_row "c) bow-out advert -> fw2's first advert" c_bowout.wire_takeover ms
fig_row "d) demote -> fw2's first advert" d_demote.wire_takeover ms
fig_row "d) undemote -> fw1 MASTER (<= one fw2 advert)" d_demote.undemote_to_master ms
fig_row "d) undemote handback outage" d_demote.undemote_outage ms
fig_row "e) start -> fw1 joins 224.0.0.18 (IGMP)" e_preempt.startup ms
fig_row "e) IGMP join -> MASTER (<= fw2 advert $T_B2)" e_preempt.join_to_master ms
fig_row "f) LAN VIP on fw2 (LAN master-down $MD_A)" f_carrier.lan_vip ms
fig_row "f) WAN VIP on fw2 (demote 1 advertised)" f_carrier.wan_vip ms
fig_row "f) LAN outage seen by the client" f_carrier.lan_outage ms
late=$(cat "$FIG_DIR/e_preempt.outage" "$FIG_DIR/d_demote.undemote_outage" 2>/dev/null |
	awk '$1 == "NR" || $1 > 100 { k++ } END { print k + 0 }')
if [ "$late" -gt 0 ]; then
	say ""
	say "  Note: $late preempt/undemote handback(s) lost the VIP for > 100 ms (about one advert"
	say "  interval of the new master): the yielding master's delayed GARP reached the bridge"
	say "  after the new master's takeover GARP and pointed the vMAC back at the old master."
fi
flush_lines
[ "$ok" -eq 4 ] || { say "failover: $((4 - ok)) case(s) could not run"; exit 2; }
exit 0
