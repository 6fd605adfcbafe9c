#!/bin/bash
# kill -9 and restart of carpd, FAILOVERS (50) changes of the VIP's holder
# in one run, while a LAN client pings the VIP every PROBE_IV s the whole
# time. fw1 advbase 1 / advskew 0, fw2 advbase 1 / advskew 20, preempt
# on both, one VIP. Each cycle is two failovers:
#  kill: kill -9 of fw1's carpd (the MASTER; by the PID we started). Its
#    macvlan and VIP stay behind in the kernel. fw2 hears no advert and
#    takes over: a duplicate VIP (fw1's stale copy and fw2's).
#  restart: fw1's carpd is started again. Its start-up clean-up removes the
#    stale macvlan (and the VIP with it): the duplicate ends. With preempt
#    it takes the VIP back at the first advert of fw2 it hears.
# Pass, every failover: the new holder logged its change to MASTER (the
# old holder's change to BACKUP, on restart) within BOUND of the kill or
# the restart; then exactly one MASTER, the VIP on it and the vMAC on its
# bridge port only (fdb_only_on); `carpctl status` shows demotion 0 (every
# group and the vhost) on every running carpd. Every restart: the killed
# carpd left its VIP behind (else the clean-up is not exercised), and by
# the time the new carpd logs "started" the stale macvlan (by ifindex) is
# gone and the removal was logged. Figures (printed, never judged): kill
# and preempt times, how long each duplicate lasted, the ping's outage per
# failover (median, max) and the pings lost in all. None is lost here:
# the killed carpd's VIP keeps answering in fw1's kernel until fw2's GARP
# moves the LAN to fw2, and a preempting MASTER sends its GARP before the
# advert that makes the other yield (carp_fsm.c become_master).
#
# BOUND. fw2 declares fw1 dead 3 of its own intervals after the last
# advert it heard (carp_fsm.c carp_master_down_us, OpenBSD 1.370
# carp_setrun: 3 x (advbase + advskew/256) = 3 x 1.078 s = 3.234 s; the
# "3 x advbase + advskew/256" of OpenBSD 1.263, FreeBSD and ucarp would
# be 0.156 s shorter, carp-protocol.md 2.1). That advert came before the
# kill, so fw2 is MASTER within 3.234 s of the kill. A restarted fw1 is MASTER at
# the first advert of fw2 it hears (preempt: every 1.078 s) or, hearing
# none, at its own master-down (3 x 1 s) after its start-up: within the
# same 3.234 s plus its start-up. SLACK = 0.2 s, not CARP's: carpd's
# start-up (exec, config, netlink clean-up; tens of ms, more under ASan),
# the timer's wake-up and the log write, the inotify wake-up of the log
# reader and its bash loop (stamp_log, a few ms), scheduling noise from
# other tests on the 2 shared cores. The timed checks use the stamped log
# lines; what carpctl, ip and bridge show is then polled for SETTLE = 1 s
# more: the time our own probes (a carpctl + jq, ip and bridge process per
# round) take on a loaded box, not the daemons'.
#
# A cycle takes about 3.2 s (kill) + 0.6 s (restart and preempt) plus our
# checks: one run is about 2 minutes.
. "$(dirname "$0")/../netns/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
for t in jq ping bridge; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
for b in "$CARPD" "$CARPCTL"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built"; exit 1; }
done

VIP=192.0.2.254
VMAC=00:00:5e:00:01:01
MACVLAN=carp1		# carpd's default ifname for vhid 1
FAILOVERS=${FAILOVERS:-50}
SKEW2=20		# fw2's advskew; fw1's is 0
T2=$(awk -v s=$SKEW2 'BEGIN { print 1 + s / 256 }')	# fw2's interval (s)
SLACK=0.2
BOUND=$(awk -v t="$T2" -v s=$SLACK 'BEGIN { printf "%.3f", 3 * t + s }')
SETTLE=1
PROBE_IV=0.005		# iputils ping: -i 0.01 really sends every ~16 ms

topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 1 0 "$VIP/24" "preempt yes"
write_conf fw2 1 1 $SKEW2 "$VIP/24" "preempt yes"
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "fw1 MASTER" poll_for 10 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 10 is_state fw2 1 BACKUP
check "the vMAC on fw1's port only" poll_for 5 fdb_only_on $VMAC p-fw1
stamp_log "$T_DIR/fw1/carpd.log" "$T_DIR/fw1.stamped"
stamp_log "$T_DIR/fw2/carpd.log" "$T_DIR/fw2.stamped"

PING=$T_DIR/ping.out
ip netns exec "$(ns client)" stdbuf -oL ping -D -n -i $PROBE_IV $VIP >"$PING" 2>&1 &
PING_PID=$!
T_PIDS="$T_PIDS $PING_PID"
check "the client's ping to the VIP is answered" poll_for 5 grep -q "bytes from" "$PING"

# nlines NODE PATTERN: stamped log lines of NODE matching PATTERN so far
nlines() { grep -c -- "$2" "$T_DIR/$1.stamped"; }
# stamp NODE PATTERN N: the wall clock of the Nth such line
stamp() { grep -- "$2" "$T_DIR/$1.stamped" | sed -n "$3p" | cut -d' ' -f1; }
# more NODE PATTERN N0: a line beyond the N0th has come
more() { [ "$(nlines "$1" "$2")" -gt "$3" ]; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
within() { awk -v d="$1" -v b="$2" 'BEGIN { exit !(d >= 0 && d <= b) }'; }
ifindex() { ip -n "$(ns "$1")" -o link show dev "$2" 2>/dev/null | cut -d: -f1; }
has_ifindex() { ip -n "$(ns "$1")" -o link show | grep -q "^$2:"; }
# every demotion carpctl status shows (groups and vhosts) is 0
no_demotion() {
	ctl "$1" -j status | jq -e '[.groups[].demote, .vhosts[].demote] | all(. == 0)'
}
# holder NODE PORT OTHER: NODE is MASTER with the VIP, the vMAC is on PORT
# only; OTHER ("" if its carpd is dead) is BACKUP without the VIP
holder() {
	is_state "$1" 1 MASTER && has_vip "$1" $VIP && fdb_only_on $VMAC "$2" &&
	{ [ -z "$3" ] || { is_state "$3" 1 BACKUP && ! has_vip "$3" $VIP; }; }
}
# timed FAILOVER NODE PATTERN N0 T0 WHAT: NODE logs PATTERN beyond its N0th
# line within BOUND of T0; the delay goes to $DELAY ("" if never)
timed() {
	local fo=$1 node=$2 pat=$3 n0=$4 t0=$5 what=$6 t
	DELAY=""
	if poll_for "$(awk -v b="$BOUND" 'BEGIN { print b + 1 }')" more "$node" "$pat" "$n0"; then
		t=$(stamp "$node" "$pat" $((n0 + 1)))
		DELAY=$(sub "$t0" "$t")
		check "failover $fo: $what $DELAY s after (<= $BOUND s)" within "$DELAY" "$BOUND"
	else
		fail "failover $fo: $what (nothing logged)"
	fi
}

: >"$T_DIR/events"	# "TIME kill|restart" per failover, for the ping figures
: >"$T_DIR/figures"	# "kill|restart|dup|startup SECONDS"
fo=0; cycle=0
while [ $fo -lt "$FAILOVERS" ] && [ $cycle -lt $((FAILOVERS / 2 + 2)) ]; do
	cycle=$((cycle + 1))
	# --- kill -9 of the MASTER's carpd: fw2 takes over ---------------
	fo=$((fo + 1))
	stale=$(ifindex fw1 $MACVLAN)
	n2m=$(nlines fw2 "BACKUP -> MASTER")
	p=$(pid_of fw1)
	t0=$EPOCHREALTIME
	echo "$t0 kill" >>"$T_DIR/events"
	# (stderr: bash's "Killed" notice for the job)
	if ! stop_carpd fw1 KILL 2>/dev/null; then
		fail "failover $fo: kill -9 of fw1's carpd ($p)"
		break
	fi
	forget_pid "$p"
	timed $fo fw2 "BACKUP -> MASTER" "$n2m" "$t0" "fw2 MASTER after kill -9 of fw1's carpd"
	[ -n "$DELAY" ] && echo "kill $DELAY" >>"$T_DIR/figures"
	check "failover $fo: exactly one MASTER (fw2), the VIP on it, the vMAC on p-fw2 only" \
		poll_for $SETTLE holder fw2 p-fw2 ""
	check "failover $fo: fw2 shows demotion 0" no_demotion fw2
	check "failover $fo: the killed carpd left its macvlan ($stale) and VIP: a duplicate" \
		eval 'has_ifindex fw1 "$stale" && has_vip fw1 $VIP'
	fdb_only_on $VMAC p-fw2 || break

	# --- restart: clean-up ends the duplicate, fw1 preempts ----------
	fo=$((fo + 1))
	ns0=$(grep -c "started with" "$T_DIR/fw1/carpd.log")
	nr0=$(nlines fw1 "removed stale macvlan")
	n1m=$(nlines fw1 "BACKUP -> MASTER")
	n2b=$(nlines fw2 "MASTER -> BACKUP")
	t0=$EPOCHREALTIME
	echo "$t0 restart" >>"$T_DIR/events"
	start_carpd fw1	# returns at once: the killed carpd's socket file is there
	if ! poll_for 10 eval '[ "$(grep -c "started with" "$T_DIR/fw1/carpd.log")" -gt $ns0 ]'; then
		fail "failover $fo: fw1's carpd restarts"
		break
	fi
	t1=$EPOCHREALTIME
	check "failover $fo: once carpd is up, the stale macvlan ($stale) is gone, its VIP with it" \
		eval '! has_ifindex fw1 "$stale"'
	# this instance's lines: after the previous "started with", up to its own
	check "failover $fo: ... and the restarted carpd logged its removal before \"started\"" \
		eval 'awk -v n=$ns0 "/started with/ { s++; next } s == n && /removed stale macvlan/ { f = 1 }
			END { exit !f }" "$T_DIR/fw1/carpd.log"'
	if poll_for 2 more fw1 "removed stale macvlan" "$nr0"; then
		d=$(sub "$(stamp fw2 "BACKUP -> MASTER" $((n2m + 1)))" \
			"$(stamp fw1 "removed stale macvlan" $((nr0 + 1)))")
		echo "dup $d" >>"$T_DIR/figures"
	fi
	echo "startup $(sub "$t0" "$t1")" >>"$T_DIR/figures"
	timed $fo fw1 "BACKUP -> MASTER" "$n1m" "$t0" "restarted fw1 MASTER again (preempt)"
	[ -n "$DELAY" ] && echo "restart $DELAY" >>"$T_DIR/figures"
	timed $fo fw2 "MASTER -> BACKUP" "$n2b" "$t0" "fw2 BACKUP again"
	check "failover $fo: exactly one MASTER (fw1), the VIP on fw1 only, the vMAC on p-fw1 only" \
		poll_for $SETTLE holder fw1 p-fw1 fw2
	check "failover $fo: fw1 and fw2 show demotion 0" eval 'no_demotion fw1 && no_demotion fw2'
	fdb_only_on $VMAC p-fw1 || break
done
check "$FAILOVERS failovers (changes of the VIP's holder) done" [ $fo -eq "$FAILOVERS" ]
kill -INT $PING_PID 2>/dev/null
poll_for 5 eval '! kill -0 $PING_PID'
t_end=$EPOCHREALTIME

# --- figures ------------------------------------------------------------
# stats KIND: "n N median M max X" of the figures of one kind
stats() {
	awk -v k="$1" '$1 == k { print $2 }' "$T_DIR/figures" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR == 0) { print "none"; exit }
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "n %d, median %.3f s, max %.3f s\n", NR, m, v[NR] }'
}
log "kill -9 -> fw2 MASTER: $(stats kill) (bound $BOUND s)"
log "restart -> fw1 MASTER (preempt): $(stats restart) (bound $BOUND s)"
log "carpd restart -> \"started\" (clean-up included): $(stats startup)"
log "duplicate VIP (fw2 MASTER -> fw1's stale macvlan removed): $(stats dup)"
# The ping: per failover, the longest time between two replies with lost
# probes between them (0 if none was lost), replies counted once (DUP!
# replies, both nodes answering, are counted apart).
awk '
	BEGIN { n = 0; w = 0 }
	FNR == NR { ev[n] = $1; ty[n] = $2; n++; next }
	/bytes from/ {
		t = substr($1, 2, length($1) - 2) + 0
		for (i = 2; i <= NF; i++)
			if ($i ~ /^icmp_seq=/) s = substr($i, 10) + 0
		if (/DUP!/) { dup++; next }
		s += wrap
		if (ps != "" && s < ps - 30000) { wrap += 65536; s += 65536 }
		while (w < n && ev[w] < t) w++
		if (ps != "" && s > ps + 1) {
			lost += s - ps - 1
			if (w > 0 && t - prev > gap[w - 1]) gap[w - 1] = t - prev
		}
		recv++; prev = t; ps = s
	}
	END {
		for (i = 0; i < n; i++)
			print ty[i], (i in gap ? gap[i] : 0) > "/dev/stderr"
		printf "replies %d, lost %d, DUP %d\n", recv, lost, dup
	}' "$T_DIR/events" "$PING" 2>"$T_DIR/outages" >"$T_DIR/ping.sum"
for k in kill restart; do
	awk -v k=$k '$1 == k { print "out_" k, $2 }' "$T_DIR/outages" >>"$T_DIR/figures"
	log "ping outage per $k failover: $(stats out_$k)"
done
log "ping every $PROBE_IV s: $(cat "$T_DIR/ping.sum") over $(sub "$(head -n 1 "$T_DIR/events" | cut -d' ' -f1)" "$t_end") s"
finish
