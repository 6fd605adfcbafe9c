#!/bin/bash
# balance-nat (carpd.conf(5) BALANCING, issue 6): behind NAT the two sides
# of a flow hash to different nodes, so a group with `balance-nat yes`
# takes buckets only while a syncd that defers first packets is connected
# to carpd (CTL_SYNC_CAPS with CTL_SYNC_CAP_DEFER). Two firewalls on one
# LAN (lib.sh topo_lan), one group `carpnodes 1:..,2:..` (VIP
# 192.0.2.254), fwK the preferred master of node K, preempt yes. The
# "syncd" is ctl_hold -c, which declares defer and holds the connection.
# Asserted:
#  (a) fw1 without a caps client: its nodes stay INIT (status nat true,
#      held "no-defer"), fw2 (with one) owns both buckets;
#  (b) a caps client on fw1: fw1 takes its bucket back (preempt);
#  (c) the client killed: fw1's MASTER bows out, fw2 owns both buckets
#      within 1 s;
#  (e) a nat base chain in fw1's ruleset, and a reload to balance-nat no:
#      refused (the error names FILE:LINE), the running config stays;
#  (d) carpd started with balance-nat no next to that chain: exit 1, its
#      stderr names FILE:LINE of the group's `balancing` line.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
CTL_HOLD=$BUILD/tests/ctl_hold
need_root
[ -x "$CTL_HOLD" ] || { echo "$T_NAME: SKIP (no $CTL_HOLD: make $CTL_HOLD)"; exit 77; }

# write_nat_conf K NAT: fwK's carpd.conf and its group file (balancing on
# line 2, for the FILE:LINE of the NAT refusal)
write_nat_conf() {
	local k=$1 nat=$2 d="$T_DIR/fw$1" s1 s2
	if [ "$k" = 1 ]; then s1=0; s2=50; else s1=50; s2=0; fi
	mkdir -p "$d/carpd.d"
	{
		echo "control-socket \"$d/carpd.sock\""
		echo "log-level debug"
		echo "preempt yes"
		echo 'include "carpd.d/*.conf"'
	} >"$d/carpd.conf"
	{
		echo "carpnodes 1:$s1,2:$s2"
		echo "balancing ip"
		echo "balance-nat $nat"
		echo "balance-side lan"
		echo "carpdev eth0"
		echo "address 192.0.2.254/24"
		echo "advbase 1"
		echo 'pass "carpsync-test"'
	} >"$d/carpd.d/lan.conf"
}
GROUP_FILE=carpd.d/lan.conf
BALANCING_LINE=2

# caps_start NODE: a "syncd with defer" on NODE's control socket, once
# carpd has read its caps; caps_stop NODE kills it
caps_start() {
	"$CTL_HOLD" -c "$T_DIR/$1/carpd.sock" 50 >"$T_DIR/$1/caps.out" 2>&1 &
	eval "CAPS_$1=$!"
	T_PIDS="$T_PIDS $!"
	poll_for 5 grep -q "^caps defer 50" "$T_DIR/$1/caps.out"
}
caps_stop() {
	local p
	p=$(eval "echo \${CAPS_$1:-}")
	[ -n "$p" ] || return 1
	kill "$p" && wait "$p" 2>/dev/null
	eval "CAPS_$1="
	return 0
}

js() { ctl "$1" -j status; }
owned() {	# owned NODE: the buckets NODE takes, "0,1"
	js "$1" | jq -r '[.vhosts[] | select(.balance != null) | .balance.owned[]] | unique | map(tostring) | join(",")'
}
states() {	# states NODE: "INIT INIT" (vhids 1 and 2)
	js "$1" | jq -r '[.vhosts[] | select(.vhid == 1 or .vhid == 2)] | sort_by(.vhid) | map(.state) | join(" ")'
}
held() {	# held NODE: the hold reasons of vhids 1 and 2, "no-defer no-defer"
	js "$1" | jq -r '[.vhosts[] | select(.vhid == 1 or .vhid == 2)] | sort_by(.vhid) | map(.balance.held) | join(" ")'
}
fw2_owns_all() { [ "$(owned fw2)" = "0,1" ] && [ "$(states fw2)" = "MASTER MASTER" ]; }
split() {	# fw1 takes bucket 0, fw2 bucket 1
	[ "$(owned fw1)" = 0 ] && [ "$(owned fw2)" = 1 ] &&
		[ "$(states fw1)" = "MASTER BACKUP" ] && [ "$(states fw2)" = "BACKUP MASTER" ]
}

topo_lan || { fail "topology"; finish; exit; }
for k in 1 2; do write_nat_conf $k yes; done
check "balance-nat yes parses and -nv prints it" eval \
	'"$CARPD" -n -v -f "$T_DIR/fw1/carpd.conf" | grep -qx "balance-nat yes"'

log "(a) fw2 with a syncd that defers, fw1 without"
start_carpd fw2
check "a caps client on fw2" caps_start fw2
start_carpd fw1
check "fw2 owns both buckets" poll_for 8 fw2_owns_all
check "fw1's nodes stay INIT" eval '[ "$(states fw1)" = "INIT INIT" ]'
check "  and own nothing" eval '[ -z "$(owned fw1)" ]'
check "  status: nat true, held no-defer" eval \
	'[ "$(held fw1)" = "no-defer no-defer" ] && [ "$(js fw1 | jq "[.vhosts[].balance.nat] | all")" = true ]'
check "  text status: NAT held:no-defer" eval \
	'[ "$(ctl fw1 status | grep -c "held:no-defer$")" = 2 ]'
check "  fw2's: nat, not held" eval '[ "$(held fw2)" = "none none" ]'
check "  metrics: carpsync_carpd_balance_nat_held 1" eval \
	'ctl fw1 metrics | grep -q "^carpsync_carpd_balance_nat_held{vhid=\"1\",.*} 1$"'
check "fw1 logs the hold at notice level once" eval \
	'[ "$(grep -c "balance-nat: no syncd with defer is connected" "$T_DIR/fw1/carpd.log")" = 1 ]'
check "fw1 sent no advert for its held nodes" eval \
	'[ "$(js fw1 | jq "[.vhosts[].counters.opackets] | add")" = 0 ]'

log "(b) a syncd with defer connects to fw1"
check "a caps client on fw1" caps_start fw1
check "fw1 takes bucket 0 back (preempt), fw2 keeps bucket 1" poll_for 6 split
check "  fw1 no longer held" eval '[ "$(held fw1)" = "none none" ]'
check "  logged once" eval \
	'[ "$(grep -c "balance-nat: a syncd with defer is connected" "$T_DIR/fw1/carpd.log")" = 1 ]'

log "(c) fw1's syncd goes away"
t0=$(date +%s%N)
caps_stop fw1
check "fw2 owns both buckets within 1 s" poll_for 1 fw2_owns_all
t1=$(date +%s%N)
log "  fw2 took bucket 0 in $(( (t1 - t0) / 1000000 )) ms"
check "fw1's nodes INIT, held no-defer" eval \
	'[ "$(states fw1)" = "INIT INIT" ] && [ "$(held fw1)" = "no-defer no-defer" ]'
check "fw1 bowed out (its MASTER -> INIT, not a takeover by fw2's timer)" \
	grep -q "vhid 1 on eth0: MASTER -> INIT (no syncd with defer)" "$T_DIR/fw1/carpd.log"
check "fw2 took over on the bow-out" eval \
	'grep "vhid 1 on eth0: BACKUP -> MASTER" "$T_DIR/fw2/carpd.log" | tail -n 1 | grep -qv "master down"'

log "(e) NAT in fw1's ruleset; a reload to balance-nat no is refused"
# table ip nat { chain postrouting { type nat hook postrouting priority srcnat; } }
printf '%s\n' 'table ip nat {' '	chain postrouting {' \
	'		type nat hook postrouting priority srcnat;' '	}' '}' |
	nsx fw1 nft -f -
check "the nat chain is in fw1's ruleset" eval 'nsx fw1 nft list chains | grep -q "type nat hook postrouting"'
caps_start fw1 >/dev/null 2>&1
check "fw1 back in its share" poll_for 6 split
write_nat_conf 1 no
WANT="$T_DIR/fw1/$GROUP_FILE:$BALANCING_LINE: balancing with NAT in the ruleset (table ip nat, chain postrouting)"
reply=$("$CTL_HOLD" -r "$T_DIR/fw1/carpd.sock")
log "  CTL_RELOAD: $reply"
check "CTL_RELOAD answers an error naming FILE:LINE" eval \
	'case "$reply" in "ERROR INTERNAL: $WANT"*) true ;; *) false ;; esac'
check "  the log has the whole line" grep -qF \
	"reload: $WANT: set balance-nat yes and run syncd with defer yes; keeping the running config" "$T_DIR/fw1/carpd.log"
check "  the running config stays (nat true), the split too" eval \
	'[ "$(js fw1 | jq "[.vhosts[].balance.nat] | all")" = true ] && split'
n=$(grep -c "keeping the running config" "$T_DIR/fw1/carpd.log")
kill -HUP "$(pid_of fw1)"
check "SIGHUP: refused the same way" poll_for 3 eval \
	'[ "$(grep -c "reload: $WANT" "$T_DIR/fw1/carpd.log")" -gt 1 ]'
check "  still split" split

log "(d) carpd started with balance-nat no next to NAT"
stop_carpd fw1
caps_stop fw1
timeout 10 ip netns exec "$(ns fw1)" "$CARPD" -d -f "$T_DIR/fw1/carpd.conf" \
	>"$T_DIR/fw1/refused.out" 2>"$T_DIR/fw1/refused.err"
rc=$?
log "  exit $rc: $(head -n 1 "$T_DIR/fw1/refused.err")"
check "carpd exits 1" [ "$rc" = 1 ]
check "  its stderr: FILE:LINE and what to do" grep -qxF \
	"$WANT: set balance-nat yes and run syncd with defer yes" "$T_DIR/fw1/refused.err"
check "  no control socket left behind" eval '[ ! -S "$T_DIR/fw1/carpd.sock" ]'
nsx fw1 nft delete table ip nat
check "without the nat chain it starts" start_carpd fw1
check "  and takes its share without any syncd" poll_for 6 split

finish
