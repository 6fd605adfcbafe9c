#!/bin/bash
# Bad control clients, many at once and again and again, against both
# daemons of fw1 (carpd and syncd of a pair fw1/fw2, syncd a subscriber
# of carpd, fw1 churning states so that syncd has frames to tell). Each of
# WAVES waves opens, at the same time, N (50) clients of each kind against
# each daemon (BUILD/tests/ctl_hold -b), none of which ever reads:
#   garbage    4 KiB of random bytes (a header length below 16)
#   hugelen    a header announcing more than CTL_MAX_MSG bytes
#   flood      STATUS (carpd) / SYNC_STATUS (syncd) requests, nonstop
#   subscribe  carpd's SUBSCRIBE / syncd's SYNC_WATCH, then silence
# Pass, every wave, for each daemon: it hangs up on every garbage,
# hugelen and flood client and counts exactly each (control.closed_bad
# +2N, control.closed_slow +N), while the subscribers stay (a subscriber
# that cannot keep up loses frames, counted in syncd's watch.drops, and
# is not hung up on by syncd; carpd has no event for them: the CARP state
# does not change); its fd count comes back to its baseline plus the N
# subscribers while they are still connected, and to the baseline once
# they leave. Throughout all waves a well-behaved `carpctl status` and
# `carpctl sync status` (a new carpctl process every 20 ms, timed from
# the shell) answers every time, and each daemon answers a client without
# a process start (ctl_hold -t, every 10 ms: connect, request, END, what
# carpctl does) within 100 ms every time; carpctl's time, its own process
# start included, within 100 ms + EXEC_SLACK_MS; medians and maxima
# printed. A reply is held to its bound less the time a do-nothing
# process at the same priority was kept from running meanwhile
# (BUILD/tests/stall_probe, lib.sh lat_own): stalls of the whole machine,
# which other work on the same two cores causes, are not the daemon's.
# fw1 stays MASTER and fw2 BACKUP
# with no transition, no demotion, syncd stays connected to carpd; after
# the waves fw2's table equals fw1's.
#
# The bad clients and the churn run at nice 10 and the test's own checks
# poll every 0.1 s: what is judged is how the daemons' loops serve a good
# client while bad ones hammer them, not how the scheduler shares two
# cores (also loaded by other work) among the test's own processes.
. "$(dirname "$0")/../netns/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl; SYNCD=$BUILD/syncd
need_root
for t in conntrack nft jq; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
HOLD=$BUILD/tests/ctl_hold; DRV=$BUILD/tests/ct_driver
for b in "$CARPD" "$CARPCTL" "$SYNCD" "$HOLD" "$DRV"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built (make $b)"; exit 1; }
done

N=${N:-50}; WAVES=${WAVES:-3}
LAT_MAX_MS=100		# a daemon's answer: connect, request, END
EXEC_SLACK_MS=100	# + a carpctl process start (fork, exec, libpcap's
			# dynamic linking: 5-8 ms median here, tens of ms
			# when two loaded cores make it wait)
san_bounds
VIP=192.0.2.254

topo_lan && sync_link || { fail "topology"; finish; exit; }
write_conf fw1 1 1 0 "$VIP/24"
write_conf fw2 1 1 100 "$VIP/24"
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "fw1 MASTER" poll_every 0.1 10 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_every 0.1 10 is_state fw2 1 BACKUP
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up
check "syncd connected to carpd, nothing held" poll_every 0.1 5 eval \
	'[ "$(sq fw1 .carpd)" = true ] && [ "$(sq fw1 .held_demote)" = 0 ] && [ "$(group_demote fw1 carp)" = 0 ]'

CSOCK=$T_DIR/fw1/carpd.sock; SSOCK=$T_DIR/fw1/syncd.sock
cst() { ctl fw1 -j status | jq -r ".control.$1"; }	# carpd's control counters
sst_c() { sq fw1 ".control.$1"; }			# syncd's
# the fewest fds seen in 10 samples: a query of ours may be connected
fd_base() {
	local p=$1 m=100000 c
	for _ in $(seq 1 10); do c=$(fd_count "$p"); [ "$c" -lt "$m" ] && m=$c; sleep 0.05; done
	echo "$m"
}
CPID=$(pid_of fw1); SPID=$(spid_of fw1)
CBASE=$(fd_base "$CPID"); SBASE=$(fd_base "$SPID")
log "baseline: carpd $CBASE fds, syncd $SBASE fds"
tr1=$(transitions fw1 1); tr2=$(transitions fw2 1)

# bad_start NAME KIND SOCKET: N clients of KIND in the background
bad_start() {
	nice -n 10 "$HOLD" -b "$2" "$3" "$N" >"$T_DIR/bad.$1" 2>&1 &
	eval "BAD_$1=$!"
	T_PIDS="$T_PIDS $!"
}
bad_stop() { local p; p=$(eval "echo \$BAD_$1"); kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; }
fds_are() { [ "$(fd_count "$1")" = "$2" ]; }

stall_start
lat_start carpctl ctl fw1 status
lat_start syncctl "$CARPCTL" -s "$SSOCK" sync status
# the daemons' own round trips, without carpctl's process start
rm -f "$T_DIR/rt.stop"
"$HOLD" -t "$CSOCK" "$T_DIR/rt.stop" 10 status "$T_DIR/rtq.carpd" >"$T_DIR/rt.carpd" 2>&1 & rtc=$!
"$HOLD" -t "$SSOCK" "$T_DIR/rt.stop" 10 sync "$T_DIR/rtq.syncd" >"$T_DIR/rt.syncd" 2>&1 & rts=$!
T_PIDS="$T_PIDS $rtc $rts"
for w in $(seq 1 "$WAVES"); do
	log "wave $w: $N clients of each kind against carpd and against syncd, all at once"
	# churn on fw1 through the wave: frames for the watchers
	nice -n 10 timeout 60 ip netns exec "$(ns fw1)" "$DRV" churn 1000 6 $((w * 100000)) 500 \
		>"$T_DIR/churn.$w" 2>&1 &
	churn=$!; T_PIDS="$T_PIDS $churn"
	cb0=$(cst closed_bad); cs0=$(cst closed_slow); ca0=$(cst accepted)
	cc0=$(cpu_ms "$CPID"); sc0=$(cpu_ms "$SPID"); wt0=$EPOCHREALTIME
	sb0=$(sst_c closed_bad); ss0=$(sst_c closed_slow); wd0=$(sq fw1 .watch.drops)
	for k in garbage hugelen flood subscribe; do bad_start "c$k" "$k" "$CSOCK"; done
	for k in garbage hugelen syncflood watch; do bad_start "s$k" "$k" "$SSOCK"; done
	check "wave $w: all $((8 * N)) clients connected" poll_every 0.1 20 eval \
		'[ "$(cat "$T_DIR"/bad.* | grep -c "^connected $N$")" = 8 ]'
	check "wave $w: carpd hung up on the $((2 * N)) garbage and hugelen clients, counted" \
		poll_every 0.1 10 eval '[ "$(cst closed_bad)" = $((cb0 + 2 * N)) ]'
	check "wave $w: carpd hung up on the $N flooders, counted" \
		poll_every 0.1 10 eval '[ "$(cst closed_slow)" = $((cs0 + N)) ]'
	check "wave $w: syncd hung up on the $((2 * N)) garbage and hugelen clients, counted" \
		poll_every 0.1 10 eval '[ "$(sst_c closed_bad)" = $((sb0 + 2 * N)) ]'
	check "wave $w: syncd hung up on the $N flooders, counted" \
		poll_every 0.1 10 eval '[ "$(sst_c closed_slow)" = $((ss0 + N)) ]'
	check "wave $w: the flooders saw it (hung up $N of $N)" poll_every 0.1 10 eval \
		'grep -qx "flooded: hung up $N of $N" "$T_DIR/bad.cflood" && grep -qx "flooded: hung up $N of $N" "$T_DIR/bad.ssyncflood"'
	check "wave $w: carpd: $((CBASE + N)) fds (baseline + the $N subscribers)" \
		poll_every 0.1 10 fds_are "$CPID" $((CBASE + N))
	check "wave $w: syncd: $((SBASE + N)) fds (baseline + the $N watchers)" \
		poll_every 0.1 10 fds_are "$SPID" $((SBASE + N))
	check "wave $w: syncd has frames to tell the watchers, drops them unread (watch.drops)" \
		poll_every 0.1 10 eval '[ "$(sq fw1 .watch.drops)" -gt "$wd0" ] && [ "$(sq fw1 .watch.subscribers)" = $N ]'
	note "wave $w: started at $wt0; CPU so far: carpd $(( $(cpu_ms "$CPID") - cc0 )) ms, syncd $(( $(cpu_ms "$SPID") - sc0 )) ms"
	note "wave $w: carpd accepted $(( $(cst accepted) - ca0 )), control $(ctl fw1 -j status | jq -c .control); syncd control $(sst fw1 | jq -c .control), watch $(sst fw1 | jq -c .watch)"
	for k in cgarbage chugelen cflood csubscribe sgarbage shugelen ssyncflood swatch; do bad_stop "$k"; done
	check "wave $w: the garbage and hugelen clients were all hung up on" eval \
		'[ "$(cat "$T_DIR"/bad.?garbage "$T_DIR"/bad.?hugelen | grep -c "^hung up $N of $N$")" = 4 ]'
	check "wave $w: no subscriber was hung up on" eval \
		'grep -qx "hung up 0 of $N" "$T_DIR/bad.csubscribe" && grep -qx "hung up 0 of $N" "$T_DIR/bad.swatch"'
	check "wave $w: carpd back to its $CBASE fds" poll_every 0.1 10 fds_are "$CPID" "$CBASE"
	check "wave $w: syncd back to its $SBASE fds, no watcher left" poll_every 0.1 10 eval \
		'fds_are "$SPID" "$SBASE" && [ "$(sq fw1 .watch.subscribers)" = 0 ]'
	check "wave $w: fw1 MASTER, fw2 BACKUP, no transition, nothing demoted" eval \
		'is_state fw1 1 MASTER && is_state fw2 1 BACKUP && [ "$(transitions fw1 1)" = "$tr1" ] &&
		 [ "$(transitions fw2 1)" = "$tr2" ] && [ "$(group_demote fw1 carp)" = 0 ]'
	check "wave $w: syncd still connected to carpd, holding nothing" eval \
		'[ "$(sq fw1 .carpd)" = true ] && [ "$(sq fw1 .held_demote)" = 0 ]'
	wait "$churn"; rc=$?
	check "wave $w: the churn ran ($(tail -n 1 "$T_DIR/churn.$w"))" [ $rc = 0 ]
done
touch "$T_DIR/rt.stop"; wait $rtc $rts
lat_stop carpctl; lat_stop syncctl; stall_stop
log "the machine: the stall probe woke up to $STALL_MAX ms late ($(grep -vc '^#' "$T_DIR/stalls") stalls of 5 ms or more)"
for d in carpd syncd; do
	check "$d's round trips measured ($(cat "$T_DIR/rt.$d"))" grep -q queries "$T_DIR/rt.$d"
	replies_within "$d's round trips (connect, request, END)" "$T_DIR/rtq.$d" $LAT_MAX_MS
done
replies_within "carpctl status (its own start included)" "$T_DIR/lat.carpctl" $((LAT_MAX_MS + EXEC_SLACK_MS))
replies_within "carpctl sync status (its own start included)" "$T_DIR/lat.syncctl" $((LAT_MAX_MS + EXEC_SLACK_MS))

# the sync function: fw2 holds what fw1 holds (the churns' last windows)
same() {
	ct_norm fw1 > "$T_DIR/a" &
	ct_norm fw2 > "$T_DIR/b"
	wait $!
	ct_cmp "$T_DIR/a" "$T_DIR/b" > "$T_DIR/cmp"
}
# the windows the churns left ("live FIRST..LAST")
live=$(cat "$T_DIR"/churn.* | sed -n 's/.* live \([0-9]*\)\.\.\([0-9]*\).*/\1 \2/p' |
	awk '{ n += $2 - $1 + 1 } END { print n + 0 }')
check "fw2's table equals fw1's ($live entries, the churns' last windows)" poll_every 0.1 10 eval \
	'same && [ "$(wc -l < "$T_DIR/a")" = "$live" ]'
[ -s "$T_DIR/cmp" ] && log "$(tail -n 1 "$T_DIR/cmp")"
check "both daemons of fw1 still run" eval 'kill -0 "$CPID" && kill -0 "$SPID"'
finish
