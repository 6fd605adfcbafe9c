#!/bin/bash
# syncd restarted on the BACKUP while the MASTER's conntrack table churns.
# fw1 (carpd MASTER, advskew 0) and fw2 (BACKUP, advskew 100), carpd and
# syncd on both, the sync link between them. In each of RESTARTS phases
# per variant (SIGTERM, then kill -9; alternating) fw1's kernel churns at
# RATE state changes per second (ct_driver churn: creates, and once
# WINDOW are live as many deletes of the oldest) for CHURN seconds, and
# once fw2 holds WINDOW of the phase's entries (the deletes have begun)
# fw2's syncd is stopped with the variant's signal and started again.
# Pass, every phase: the churn was still running when the new syncd was
# up; fw2's table matches fw1's entry by entry (ct_norm/ct_cmp, as
# test_sync_overrun) within CONVERGE of the churn's end; fw2's carpd
# logged its group carp going 0 -> 32 (the new syncd's bulk under way)
# and 32 -> 0 exactly once each, in that order, and no other change of
# the group; carpctl status shows it at 0 again; fw1's carpd (MASTER)
# never changed a demotion. Figures: restart -> bulk done, churn end ->
# tables equal, how long fw2 was demoted (its log lines' stamps).
#
# CONVERGE = 8 s, from syncd's repair timers (syncd(8) "Loss and repair"):
# the churn's last frame leaves fw1 within send-delay (10 ms); a lost last
# frame shows as a gap at fw1's next frame, an empty one after 1 s of
# silence; fw2 NACKs at once and every 100 ms, and a range still missing
# after 50 NACKs (5 s) is repaired by a whole-table request: 1 + 5 s, plus
# 2 s for that table (a few thousand states; the bench moves 100,000 in
# 0.7 s) and for our own dumps (conntrack -L, 6 per node per poll round,
# slow on a loaded box). Without loss, as on this veth, the tables match
# at the first compare. (What makes them match after a restart: the new
# syncd's start-up dump holds copies of the states fw1 ended while it was
# down; fw1's complete bulk does not hold them, so they are deleted.)
#
# The demotion is counted from carpd's log: every change of a group's
# value is a notice "group G: demotion OLD -> NEW (REASON)"; polling
# carpctl status would miss a bulk shorter than one poll.
. "$(dirname "$0")/../netns/lib.sh"
BUILD=${1:-$BUILD}
CARPD=$BUILD/carpd; SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl; DRV=$BUILD/tests/ct_driver
need_root
for t in conntrack jq nft; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
for b in "$CARPD" "$SYNCD" "$CARPCTL" "$DRV"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built"; exit 1; }
done

VIP=192.0.2.254
RESTARTS=${RESTARTS:-2}	# per variant
RATE=1000		# state changes per second on fw1
WINDOW=2000		# live entries of a phase's churn
CHURN=6			# seconds of churn per phase
CONVERGE=8

topo_lan && sync_link || { fail "topology"; finish; exit; }
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
write_conf fw1 1 1 0 "$VIP/24" "preempt yes"
write_conf fw2 1 1 100 "$VIP/24" "preempt yes"
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "fw1 MASTER" poll_for 10 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 10 is_state fw2 1 BACKUP
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up

# glines NODE [OLD NEW]: carpd's notices of a change of group carp (from
# OLD to NEW)
glines() {
	grep -c -- "group carp: demotion ${2:+$2 -> $3 }" "$T_DIR/$1/carpd.log"
}
demote_0() { [ "$(group_demote "$1" carp)" = 0 ]; }
check "fw2's first bulk: group carp 0 -> 32 -> 0 logged" \
	poll_for 5 eval '[ "$(glines fw2 0 32)" = 1 ] && [ "$(glines fw2 32 0)" = 1 ]'
check "fw2's group carp at 0" demote_0 fw2
stamp_log "$T_DIR/fw2/carpd.log" "$T_DIR/fw2.stamped"
TR2=$(transitions fw2 1)

cmp_now() {	# cmp_now WHAT: fw2 holds what fw1 holds, entry by entry
	POLLS=$((POLLS + 1)); CMP_T0=$EPOCHREALTIME
	ct_norm fw1 > "$T_DIR/fw1.$1" &
	ct_norm fw2 > "$T_DIR/fw2.$1"
	wait $!
	ct_cmp "$T_DIR/fw1.$1" "$T_DIR/fw2.$1" > "$T_DIR/cmp.$1"
	[ $(( $? & 1 )) = 0 ]
}
# phase_on NODE FIRST N: NODE holds at least N entries of the churn that
# began at index FIRST (ct_driver synth_state: sport 1024 + i / 250)
phase_on() {
	[ "$(timeout 10 ip netns exec "$(ns "$1")" conntrack -L -p tcp --dport 80 2>/dev/null |
		awk -v lo=$((1024 + $2 / 250)) '{ for (i = 1; i <= NF; i++)
			if ($i ~ /^sport=/) { if (substr($i, 7) + 0 >= lo) n++; break } }
			END { print n + 0 }')" -ge "$3" ]
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# stamp PATTERN N: when fw2's carpd logged the Nth line with PATTERN since
# stamp_log began; nstamped PATTERN: how many so far
stamp() { grep -- "$1" "$T_DIR/fw2.stamped" | sed -n "$2p" | cut -d' ' -f1; }
nstamped() { grep -c -- "$1" "$T_DIR/fw2.stamped"; }

: >"$T_DIR/figures"
phase=0
for r in $(seq 1 "$RESTARTS"); do
for sig in TERM KILL; do
	phase=$((phase + 1))
	first=$((phase * 100000))
	what="phase $phase (SIG$sig)"
	up0=$(glines fw2 0 32); down0=$(glines fw2 32 0); all0=$(glines fw2)
	sup0=$(nstamped "group carp: demotion 0 -> 32"); sdown0=$(nstamped "group carp: demotion 32 -> 0")
	# not through drv: $! of a function run with & is a subshell's
	timeout 60 ip netns exec "$(ns fw1)" "$DRV" churn $RATE $CHURN $first $WINDOW \
		>"$T_DIR/churn.$phase" 2>>"$T_DIR/driver.err" &
	CHURN_PID=$!
	T_PIDS="$T_PIDS $CHURN_PID"
	check "$what: fw2 holds $WINDOW of the churn's entries (deletes under way)" \
		poll_for $CHURN phase_on fw2 $first $WINDOW
	p=$(spid_of fw2)
	t0=$EPOCHREALTIME
	# (stderr: bash's "Killed" notice for the job)
	if stop_syncd fw2 $sig 2>/dev/null; then
		forget_pid "$p"
		[ $sig = TERM ] && check "$what: syncd exited 0 on SIGTERM" [ "$SRC_fw2" = 0 ]
	else
		fail "$what: fw2's syncd stops on SIG$sig"
		break 2
	fi
	check "$what: fw2's syncd starts again" start_syncd fw2
	check "$what: the churn still runs with the new syncd up" kill -0 $CHURN_PID
	if poll_for 10 eval '[ "$(sq fw2 .bulk)" = DONE ]'; then
		t1=$EPOCHREALTIME
		echo "bulk $(sub "$t0" "$t1")" >>"$T_DIR/figures"
	else
		fail "$what: the new syncd's bulk is done"
	fi
	wait $CHURN_PID
	rc=$?
	t2=$EPOCHREALTIME
	forget_pid $CHURN_PID
	log "$what: $(cat "$T_DIR/churn.$phase")"
	check "$what: the churn ran without a failed change" [ $rc = 0 ]
	POLLS=0
	if poll_for $CONVERGE cmp_now $phase; then
		d=$(sub "$t2" "$EPOCHREALTIME")
		echo "converge $d" >>"$T_DIR/figures"
		echo "match_from $(sub "$t2" "$CMP_T0")" >>"$T_DIR/figures"
		echo "dumps $(sub "$CMP_T0" "$EPOCHREALTIME")" >>"$T_DIR/figures"
		echo "polls $POLLS" >>"$T_DIR/figures"
		pass "$what: fw2's table matches fw1's, entry by entry, $d s after the churn (<= $CONVERGE s; compare $POLLS)"
	else
		fail "$what: fw2's table matches fw1's, entry by entry, within $CONVERGE s of the churn"
		for n in fw1 fw2; do log "$n: states $(sq $n -c .states), table $(sq $n -c .table)"; done
	fi
	sed "s/^/$T_NAME:   /" "$T_DIR/cmp.$phase" | tail -n 1
	sd=$(grep "start-up dump" "$T_DIR/fw2/syncd.log" | tail -n 1)
	log "$what: fw2's syncd: ${sd:-no start-up dump line}"
	check "$what: fw2's carpd: group carp 0 -> 32 once (bulk), then 32 -> 0 once" eval \
		'[ "$(glines fw2 0 32)" = $((up0 + 1)) ] && [ "$(glines fw2 32 0)" = $((down0 + 1)) ]'
	check "$what: ... in that order, and no other change of the group" eval \
		'[ "$(glines fw2)" = $((all0 + 2)) ] &&
		 [ "$(grep -- "group carp: demotion" "$T_DIR/fw2/carpd.log" | tail -n 2 |
			sed "s/ (.*//" | tr "\n" " ")" = "group carp: demotion 0 -> 32 group carp: demotion 32 -> 0 " ]'
	u=$(stamp "group carp: demotion 0 -> 32" $((sup0 + 1)))
	dn=$(stamp "group carp: demotion 32 -> 0" $((sdown0 + 1)))
	[ -n "$u" ] && [ -n "$dn" ] && echo "demoted $(sub "$u" "$dn")" >>"$T_DIR/figures"
	check "$what: carpctl status: fw2's group carp at 0, the vhost's demote 0" eval \
		'demote_0 fw2 && [ "$(ctl fw2 -j status | jq -r ".vhosts[0].demote")" = 0 ]'
	check "$what: fw1's carpd (MASTER) never changed a demotion" eval '[ "$(glines fw1)" = 0 ]'
	check "$what: fw1 MASTER, fw2 BACKUP throughout" eval \
		'is_state fw1 1 MASTER && is_state fw2 1 BACKUP && [ "$(transitions fw2 1)" = "$TR2" ]'
done
done
check "fw2's carpd changed group carp 2 x $phase times after its first bulk, no more" \
	eval '[ "$(glines fw2)" = $((2 + 2 * phase)) ]'
stats() {
	awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/figures" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "none"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "n %d, median %.3f s, max %.3f s\n", NR, m, v[NR] }'
}
log "syncd stopped -> new syncd's bulk done: $(stats bulk)"
log "fw2 demoted (group carp 0 -> 32 -> 0, log stamps): $(stats demoted)"
log "churn end -> tables seen equal: $(stats converge) (bound $CONVERGE s)"
log "  ... of which our own dumps and compare (the last, matching one): $(stats dumps)"
log "  churn end -> start of the matching compare: $(stats match_from)"
log "compares (ct_norm both + ct_cmp) until equal, per phase: $(awk '$1 == "polls" { printf "%s ", $2 }' "$T_DIR/figures")"
finish
