#!/bin/bash
# Split-brain healing (carpd.conf(5) tiebreak, garp-refresh): two carpd
# with the same advbase/advskew (0/128: 0.5 s adverts, master down after
# 1.5 s) and a dual-stack vhost.
#
# 1. tiebreak lower-address on both. Four times, alternately with fw2
#    (192.0.2.2, the higher address) and fw1 (192.0.2.1) as the MASTER
#    before: CARP is cut on the bridge (block_carp) until both are MASTER,
#    then healed. Each time fw1 is the single MASTER afterwards and stays
#    so (no flap), fw2 logged "tie, lower peer address", the bridge ends
#    up learning the vMAC on fw1's port only, fw1 counted a won contest
#    and a gratuitous ARP for the VIP from the vMAC left fw1 after the
#    heal (capture on fw1's bridge port; the takeover ones, delayed one
#    included, are over before each heal).
# 2. tiebreak none (the default, OpenBSD): in the same split brain both
#    MASTERs yield on an equally frequent advert: healed, with a tie
#    advert injected from the client so that both hear one, both go to
#    BACKUP for "more frequent advert" (whoever hears first yields; no
#    address decides).
# 3. garp-refresh 1 on fw1, alone and MASTER: over 5 s, 4 to 6 gratuitous
#    ARPs for the VIP from the vMAC (and as many refresh rounds counted);
#    none in the 3 s before, with garp-refresh off.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
for t in tcpdump tshark nft jq; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
CINJ=$BUILD/tests/carp_inject
[ -x "$CINJ" ] || { echo "$T_NAME: FAIL: $CINJ not built (make $CINJ)"; exit 1; }

VIP=192.0.2.254
VIP6=2001:db8::fe
VMAC=00:00:5e:00:01:01
PASS=carpsync-test
ADDRS="$VIP/24 $VIP6/64"

topo_lan || { fail "topology"; finish; exit; }

ann() { ctl "$1" -j status | jq -r ".vhosts[0].announce.$2"; }	# ann NODE FIELD
logged() { grep -c "$2" "$T_DIR/$1/carpd.log"; }		# logged NODE TEXT
both_master() { is_state fw1 1 MASTER && is_state fw2 1 MASTER; }
settled() { is_state fw1 1 MASTER && is_state fw2 1 BACKUP; }
# garps_in FILE FROM TO: gratuitous ARP requests for the VIP from the vMAC
# in a capture, sent between two wall-clock times (s)
garps_in() {
	tshark -r "$1" -Y "arp.opcode == 1 && arp.src.proto_ipv4 == $VIP && arp.dst.proto_ipv4 == $VIP && arp.src.hw_mac == $VMAC && eth.src == $VMAC" \
		-T fields -e frame.time_epoch 2>/dev/null |
		awk -v a="$2" -v b="$3" '$1 >= a && $1 <= b { n++ } END { print n + 0 }'
}

# ---- 1. tiebreak lower-address ---------------------------------------
write_conf fw1 1 0 128 "$ADDRS" "" "tiebreak lower-address"
write_conf fw2 1 0 128 "$ADDRS" "" "tiebreak lower-address"
# fw2 first, so it is the MASTER before the first split
start_carpd fw2 || { fail "carpd on fw2 starts"; finish; exit; }
check "fw2 MASTER alone" poll_for 5 is_state fw2 1 MASTER
start_carpd fw1 || { fail "carpd on fw1 starts"; finish; exit; }
check "fw1 joins as BACKUP (a tie does not preempt)" poll_for 5 is_state fw1 1 BACKUP
check "carpctl status shows tiebreak lower-address, garp_refresh 0" eval \
	'[ "$(ctl fw1 -j status | jq -r ".vhosts[0] | \"\(.tiebreak) \(.garp_refresh)\"")" = "lower-address 0" ]'
CAP=$T_DIR/fw1.pcap
capture_start p1 lan p-fw1 "$CAP" -Q in arp || fail "capture on p-fw1"

HEALS=""
for cycle in 1 2 3 4; do
	if [ $((cycle % 2)) = 1 ]; then first=fw2; else first=fw1; fi
	if [ $first = fw2 ] && ! is_state fw2 1 MASTER; then
		# hand over to fw2: fw1 demoted yields at once, then undemoted
		# it stays BACKUP (no preempt)
		ctl fw1 demote carp 1 >/dev/null
		poll_for 3 eval 'is_state fw2 1 MASTER && is_state fw1 1 BACKUP'
		ctl fw1 demote carp -1 >/dev/null
	fi
	check "cycle $cycle: $first is the MASTER before the split" poll_for 3 is_state $first 1 MASTER
	other=$([ $first = fw1 ] && echo fw2 || echo fw1)
	t_other=$(ann $other takeover)
	block_carp || fail "cycle $cycle: block CARP"
	check "cycle $cycle: split brain, both MASTER" poll_for 5 both_master
	# the takeover's announcements (and its delayed second) are over
	poll_for 3 eval '[ "$(ann '$other' takeover)" -ge $((t_other + 2)) ]'
	tr1=$(transitions fw1 1); won1=$(ann fw1 won); lost2=$(logged fw2 "tie, lower peer address")
	t_heal=$(now_s)
	unblock_carp || fail "cycle $cycle: unblock CARP"
	HEALS="$HEALS $t_heal"
	check "cycle $cycle: healed, fw1 (lower address) is the single MASTER" poll_for 3 settled
	check "cycle $cycle: fw2 yielded for the tie-break" eval \
		'[ "$(logged fw2 "tie, lower peer address")" -gt "$lost2" ]'
	check "cycle $cycle: fw1 counted a won contest" eval '[ "$(ann fw1 won)" -gt "$won1" ]'
	check "cycle $cycle: the bridge learns the vMAC on p-fw1 only" poll_for 3 fdb_only_on $VMAC p-fw1
	sleep 1.5	# stability window: 3 adverts
	check "cycle $cycle: still fw1 MASTER, fw2 BACKUP 1.5 s later, fw1 never left MASTER" eval \
		'settled && [ "$(transitions fw1 1)" = "$tr1" ]'
done
# quiet fw1, refresh off: no GARP in 3 s (the control for part 3)
q0=$(now_s); sleep 3; q1=$(now_s)
capture_stop p1 || fail "capture stop"
i=0
for t in $HEALS; do
	i=$((i + 1))
	n=$(garps_in "$CAP" "$t" "$(awk -v t="$t" 'BEGIN { printf "%.6f", t + 2 }')")
	check "heal $i: fw1 re-announced: $n gratuitous ARP(s) from the vMAC within 2 s" [ "$n" -ge 1 ]
done
nq=$(garps_in "$CAP" "$q0" "$q1")
check "garp-refresh off: no gratuitous ARP from fw1 in 3 s of quiet ($nq)" [ "$nq" = 0 ]
log "fw1 announcements: $(ctl fw1 -j status | jq -c .vhosts[0].announce)"

# ---- 2. tiebreak none (OpenBSD) ----------------------------------------
stop_carpd fw1 && stop_carpd fw2 || fail "carpd stop"
write_conf fw1 1 0 128 "$ADDRS"
write_conf fw2 1 0 128 "$ADDRS"
tb1=$(logged fw1 "tie, lower peer address"); tb2=$(logged fw2 "tie, lower peer address")
start_carpd fw1 && start_carpd fw2 || { fail "carpd restarts"; finish; exit; }
check "tiebreak none: one MASTER, one BACKUP" poll_for 5 eval \
	'{ is_state fw1 1 MASTER && is_state fw2 1 BACKUP; } || { is_state fw2 1 MASTER && is_state fw1 1 BACKUP; }'
check "carpctl status shows tiebreak none" eval '[ "$(ctl fw1 -j status | jq -r .vhosts[0].tiebreak)" = none ]'
block_carp || fail "block CARP"
check "tiebreak none: split brain, both MASTER" poll_for 5 both_master
y1=$(logged fw1 "MASTER -> BACKUP (more frequent advert)")
y2=$(logged fw2 "MASTER -> BACKUP (more frequent advert)")
unblock_carp || fail "unblock CARP"
# an equally frequent advert both hear: the third node is the client
ip netns exec "$(ns client)" "$CINJ" -i eth0 -s 192.0.2.100 -a $VIP/24 -a $VIP6/64 -p "$PASS" \
	-b 0 -k 128 >/dev/null 2>&1 || fail "inject a tie advert"
check "tiebreak none: both MASTERs yielded (more frequent advert), as OpenBSD" poll_for 3 eval \
	'[ "$(logged fw1 "MASTER -> BACKUP (more frequent advert)")" -gt "$y1" ] &&
	 [ "$(logged fw2 "MASTER -> BACKUP (more frequent advert)")" -gt "$y2" ]'
check "tiebreak none: no tie-break yield" eval \
	'[ "$(logged fw1 "tie, lower peer address")" = "$tb1" ] && [ "$(logged fw2 "tie, lower peer address")" = "$tb2" ]'

# ---- 3. garp-refresh 1 -------------------------------------------------
stop_carpd fw1 && stop_carpd fw2 || fail "carpd stop"
write_conf fw1 1 0 128 "$ADDRS" "garp-refresh 1"
start_carpd fw1 || { fail "carpd on fw1 restarts"; finish; exit; }
check "fw1 alone MASTER" poll_for 5 is_state fw1 1 MASTER
check "carpctl status: garp_refresh 1 (the global default)" eval \
	'[ "$(ctl fw1 -j status | jq -r .vhosts[0].garp_refresh)" = 1 ]'
poll_for 3 eval '[ "$(ann fw1 takeover)" -ge 2 ]'	# takeover GARPs over
CAP2=$T_DIR/refresh.pcap
capture_start p2 lan p-fw1 "$CAP2" -Q in arp || fail "capture on p-fw1"
r0=$(ann fw1 refresh); g0=$(ann fw1 garp); n0=$(ann fw1 na); a=$(now_s)
sleep 5	# the measurement window
b=$(now_s); r1=$(ann fw1 refresh); g1=$(ann fw1 garp); n1=$(ann fw1 na)
capture_stop p2 || fail "capture stop"
n=$(garps_in "$CAP2" "$a" "$b")
log "garp-refresh 1: $n gratuitous ARPs captured in $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }') s; refresh rounds +$((r1 - r0)), garp +$((g1 - g0)), na +$((n1 - n0))"
check "garp-refresh 1: 4 to 6 gratuitous ARPs in 5 s ($n)" eval '[ "$n" -ge 4 ] && [ "$n" -le 6 ]'
check "garp-refresh 1: as many refresh rounds counted, one GARP and one NA each" eval \
	'[ $((r1 - r0)) -ge 4 ] && [ $((r1 - r0)) -le 6 ] && [ $((g1 - g0)) = $((r1 - r0)) ] && [ $((n1 - n0)) = $((r1 - r0)) ]'
check "carpd on fw1 still runs" kill -0 "$(pid_of fw1)"
finish
