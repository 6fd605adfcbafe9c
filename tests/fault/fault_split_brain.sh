#!/bin/bash
# Split brain and heal, CYCLES times in one run. fw1 (advskew 0) and fw2
# (advskew 100), advbase 1, one VIP. The LAN bridge drops CARP between its
# ports (block_carp): fw2 hears no advert and becomes MASTER too, both
# hold the VIP. Heal (unblock_carp): fw2 hears fw1's better advert and
# yields. Pass, every cycle: both MASTER while blocked; after the heal
# exactly one MASTER (fw1, which never left MASTER), fw2's MASTER -> BACKUP
# logged within 3 of fw1's advert intervals (3 x 1 s) + SLACK of the heal,
# and the bridge has the vMAC on fw1's port and no other.
#
# The heal instant is taken before the nft command that heals, the state
# change is the wall clock at which fw2's log line was read (stamp_log):
# both err on the late side. SLACK = 0.2 s covers what lies between the
# daemon's decision and our clocks and is not CARP's: the nft process
# that deletes the rule (tens of ms on a loaded 2-core box), the inotify
# wake-up of the log reader and its bash read loop (a few ms), scheduling
# noise of other tests on the same cores. One interval is all CARP needs
# (fw1's next advert); the bound is three.
. "$(dirname "$0")/../netns/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
command -v nft >/dev/null || { echo "$T_NAME: SKIP (no nft)"; exit 77; }
for b in "$CARPD" "$CARPCTL"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built"; exit 1; }
done

VIP=192.0.2.254
VMAC=00:00:5e:00:01:01
CYCLES=${CYCLES:-5}
INTERVAL=1		# fw1's advert interval: advbase 1 + advskew 0/256 s
SLACK=0.2
BOUND=$(awk -v i=$INTERVAL -v s=$SLACK 'BEGIN { print 3 * i + s }')

topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 1 0 "$VIP/24"
write_conf fw2 1 1 100 "$VIP/24"
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "fw1 MASTER" poll_for 10 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 10 is_state fw2 1 BACKUP
stamp_log "$T_DIR/fw2/carpd.log" "$T_DIR/fw2.stamped"

one_master() {	# fw1 MASTER with the VIP, fw2 BACKUP without it
	is_state fw1 1 MASTER && is_state fw2 1 BACKUP &&
	has_vip fw1 $VIP && ! has_vip fw2 $VIP
}
check "the vMAC on fw1's port only" poll_for 5 fdb_only_on $VMAC p-fw1

MAXD=0
for c in $(seq 1 "$CYCLES"); do
	tr1=$(transitions fw1 1)
	check "cycle $c: CARP blocked on the bridge" block_carp
	check "cycle $c: split brain: both MASTER, both hold the VIP" poll_for 10 eval \
		'is_state fw1 1 MASTER && is_state fw2 1 MASTER && has_vip fw1 $VIP && has_vip fw2 $VIP'
	n0=$(grep -c "MASTER -> BACKUP" "$T_DIR/fw2.stamped")
	t0=$EPOCHREALTIME
	check "cycle $c: healed" unblock_carp
	if poll_for $((3 * INTERVAL + 2)) eval '[ $(grep -c "MASTER -> BACKUP" "$T_DIR/fw2.stamped") -gt $n0 ]'; then
		t1=$(grep "MASTER -> BACKUP" "$T_DIR/fw2.stamped" | sed -n "$((n0 + 1))p" | cut -d' ' -f1)
		d=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		MAXD=$(awk -v a="$MAXD" -v b="$d" 'BEGIN { print (b > a ? b : a) }')
		check "cycle $c: fw2 yielded $d s after the heal (<= $BOUND s)" \
			awk -v d="$d" -v b="$BOUND" 'BEGIN { exit !(d <= b) }'
	else
		fail "cycle $c: fw2 yielded after the heal"
	fi
	check "cycle $c: exactly one MASTER (fw1), the VIP on fw1 only" poll_for 2 one_master
	check "cycle $c: fw1 never left MASTER" eval '[ "$(transitions fw1 1)" = "$tr1" ]'
	check "cycle $c: the vMAC on fw1's port only" poll_for $((3 * INTERVAL)) fdb_only_on $VMAC p-fw1
done
log "largest heal-to-BACKUP time: $MAXD s over $CYCLES cycles (bound $BOUND s)"
check "one MASTER still, two intervals later" eval 'sleep $((2 * INTERVAL)); one_master'
finish
