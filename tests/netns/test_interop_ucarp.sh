#!/bin/bash
# Interop with Debian's ucarp 1.5.2 (carp-protocol.md 3 and 7.8): one IPv4
# VIP, the same vhid and passphrase (<= 19 bytes), multicast. Each side
# accepts the other's adverts (carpd counts no drop, ucarp logs no "Bad
# digest"), and failover works both ways: ucarp killed -> carpd MASTER;
# carpd silenced -> ucarp MASTER, then yields when carpd is heard again;
# carpd stopped -> ucarp takes over at once on the bow-out; carpd with
# preempt takes the role back from ucarp. With `auth compat` (adverts
# carry carpsync's 48-byte trailer) ucarp still follows carpd, and carpd
# accepts ucarp's plain adverts.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
UCARP=${UCARP:-/usr/sbin/ucarp}
[ -x "$UCARP" ] || { echo "$T_NAME: SKIP (no $UCARP)"; exit 77; }

VIP=192.0.2.254
PASS=carpsync-test	# 13 bytes: ucarp refuses more than 19
# advbase 1 on both: ucarp cannot use advbase 0 with advskew 0 and its
# master-down formula only matches carpd's for whole seconds. carpd
# (advskew 30) is the preferred node, ucarp (advskew 60) the other.
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 1 30 "$VIP/24"

# ucarp's up/down scripts: `script IFNAME VIP`; they move the VIP and log
# the transition where the test can see it.
for s in up down; do
	{
		echo '#!/bin/sh'
		[ $s = up ] && echo 'ip addr add "$2"/24 dev "$1"'
		[ $s = down ] && echo 'ip addr del "$2"/24 dev "$1" 2>/dev/null'
		echo "echo $s >>\"$T_DIR/ucarp.state\""
	} >"$T_DIR/$s.sh"
	chmod +x "$T_DIR/$s.sh"
done

start_ucarp() {
	: >"$T_DIR/ucarp.state"
	ip netns exec "$(ns fw2)" "$UCARP" -i eth0 -s 192.0.2.2 -v 1 -p "$PASS" -a $VIP \
		-b 1 -k 60 -u "$T_DIR/up.sh" -d "$T_DIR/down.sh" -z >>"$T_DIR/ucarp.log" 2>&1 &
	UCARP_PID=$!; T_PIDS="$T_PIDS $UCARP_PID"
}
ucarp_state() { [ "$(tail -n 1 "$T_DIR/ucarp.state")" = "$1" ]; }
ucarp_master() { ucarp_state up && has_vip fw2 $VIP; }
ucarp_clean() { ! grep -q "Bad " "$T_DIR/ucarp.log"; }
drops() {	# sum of carpd's drop counters, vhost and daemon-wide
	ctl "$1" -j status | jq '[(.counters, .vhosts[].counters) |
		(.badif, .badttl, .hdrops, .badsum, .badver, .badlen, .badauth, .badvhid, .loop)] | add'
}

log "ucarp alone becomes MASTER; carpd (no preempt) joins as BACKUP"
start_ucarp
check "ucarp MASTER (up script ran)" poll_for 8 ucarp_master
start_carpd fw1
check "carpd BACKUP" poll_for 2 is_state fw1 1 BACKUP
check "carpd receives ucarp's adverts" poll_for 8 eval '[ "$(counter fw1 1 ipackets)" -ge 4 ]'
check "  and drops none (badauth $(counter fw1 1 badauth))" eval '[ "$(drops fw1)" = 0 ]'
check "carpd stays BACKUP past its master-down (3.35 s)" eval '[ "$(transitions fw1 1)" = 1 ] && is_state fw1 1 BACKUP'
check "ucarp still MASTER" ucarp_master

log "ucarp killed: carpd takes over after master-down"
kill -KILL $UCARP_PID; wait $UCARP_PID 2>/dev/null
ip -n "$(ns fw2)" addr del $VIP/24 dev eth0	# a dead host holds nothing
check "carpd MASTER" poll_for 6 is_state fw1 1 MASTER
check "carpd holds the VIP" has_vip fw1 $VIP
check "client reaches the VIP via carpd" poll_for 2 nsx client ping -c 1 -W 1 $VIP

log "ucarp restarted while carpd is MASTER: it stays BACKUP"
start_ucarp
op=$(counter fw1 1 opackets)
# ucarp's master-down is 3 x 1 + 60/256 = 3.23 s: wait for 5 of carpd's adverts
check "carpd keeps advertising" poll_for 8 eval '[ "$(counter fw1 1 opackets)" -ge $((op + 5)) ]'
check "ucarp never ran its up script" eval '! grep -q up "$T_DIR/ucarp.state"'
check "ucarp logged no bad packet" ucarp_clean
check "carpd still MASTER" is_state fw1 1 MASTER

log "carpd silenced: ucarp takes over; heard again: ucarp yields"
silence fw1
check "ucarp MASTER" poll_for 6 ucarp_master
unsilence fw1
check "ucarp yields to carpd's faster adverts" poll_for 4 ucarp_state down
check "ucarp says why" grep -q "Preferred master advertised" "$T_DIR/ucarp.log"
check "carpd MASTER throughout" eval 'is_state fw1 1 MASTER && [ "$(transitions fw1 1)" = 2 ]'
check "carpd got ucarp's adverts and dropped none" eval '[ "$(drops fw1)" = 0 ]'
check "VIP only on carpd" poll_for 2 eval 'has_vip fw1 $VIP && ! has_vip fw2 $VIP'

log "carpd stopped: ucarp takes over at once on the bow-out"
t0=$(date +%s%N)
stop_carpd fw1
check "carpd exited 0" eval '[ "${RC_fw1:-1}" = 0 ]'
check "ucarp MASTER" poll_for 4 ucarp_master
# ucarp stamps its log lines: when did it switch, counted from SIGTERM?
ts=$(grep "Switching to state: MASTER" "$T_DIR/ucarp.log" | tail -n 1 | sed 's/: \[.*//')
ms=$(( ($(date -d "$ts" +%s%N) - t0) / 1000000 ))
log "  ucarp switched to MASTER $ms ms after the SIGTERM"
# ucarp reads through libpcap, whose buffer may hold a packet up to 1 s;
# its master-down would fire 2.1 to 3.23 s after the SIGTERM.
check "  so on the bow-out, not after its master-down" [ "$ms" -lt 1900 ]
check "client reaches the VIP via ucarp" poll_for 2 nsx client ping -c 1 -W 1 $VIP

log "carpd restarted with preempt: it takes the role back from ucarp"
sed -i '1i preempt yes' "$T_DIR/fw1/carpd.conf"
start_carpd fw1
check "carpd preempts" poll_for 5 is_state fw1 1 MASTER
check "  on ucarp's slower advert" grep -q "BACKUP -> MASTER (preempt)" "$T_DIR/fw1/carpd.log"
check "ucarp yields" poll_for 3 ucarp_state down
check "VIP only on carpd" poll_for 2 eval 'has_vip fw1 $VIP && ! has_vip fw2 $VIP'
check "carpd dropped none of ucarp's adverts" eval '[ "$(counter fw1 1 ipackets)" -ge 1 ] && [ "$(drops fw1)" = 0 ]'

log "carpd with auth compat (carpd.conf(5)): ucarp reads the 36 bytes, carpd accepts ucarp"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T_DIR/auth.key" && chmod 600 "$T_DIR/auth.key"
stop_carpd fw1
write_conf fw1 1 1 30 "$VIP/24" "preempt yes" "auth compat\nauthkeyfile $T_DIR/auth.key"
check "ucarp MASTER while carpd is away" poll_for 4 ucarp_master
start_carpd fw1
check "carpd (compat) preempts" poll_for 5 is_state fw1 1 MASTER
check "ucarp yields to carpd's adverts with the trailer" poll_for 3 ucarp_state down
check "carpd took ucarp's adverts as unauthenticated, dropped none" eval \
	'[ "$(counter fw1 1 unauthenticated)" -ge 1 ] && [ "$(drops fw1)" = 0 ] &&
	 [ "$(ctl fw1 -j status | jq ".vhosts[0].counters | .authmissing + .authmalformed + .authforged + .authreplay")" = 0 ]'
op=$(counter fw1 1 opackets)
check "carpd keeps advertising (5 adverts)" poll_for 8 eval '[ "$(counter fw1 1 opackets)" -ge $((op + 5)) ]'
check "ucarp stays BACKUP, VIP only on carpd" eval 'ucarp_state down && has_vip fw1 $VIP && ! has_vip fw2 $VIP'
check "ucarp logged no bad packet in the whole run" ucarp_clean
finish
