#!/bin/bash
# 10,000 mixed conntrack entries on fw1 (TCP in eight states, UDP replied
# and unreplied, ICMP and ICMPv6 echo, IPv4 and IPv6, marks, zones 0-3,
# SNAT and DNAT) replicated by two real syncd over a direct sync link:
# fw2's table matches fw1's within 2 s, entry by entry and field by field
# as the conntrack(8) CLI shows them (tuples, protocol, TCP state,
# [UNREPLIED]/[ASSURED], mark, zone, NAT status; timeouts within +-2 s),
# and as ct_driver dumps them (status bits, window scale); mark updates
# and deletions propagate within 2 s; and fw2 sends no state message about
# what it only imported (no echo): a capture of its frames during the
# churn holds nothing but control messages, its frame counter agrees, and
# fw1 neither sees its own states come back nor imports anything.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
for t in conntrack tshark tcpdump; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl; DRV=$BUILD/tests/ct_driver
for b in "$SYNCD" "$CARPCTL" "$DRV"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done
LUA=$(dirname "$0")/../../scripts/carpsync-sync.lua
N=10000
DEADLINE=2

ns_add fw1 && ns_add fw2 && sync_link || { fail "topology"; finish; exit; }
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
# refresh 5: every state is re-announced within the test (the default is 30 s)
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up "refresh 5"

# --- the entries: ct_driver's text format, one line each -------------------
# Every original tuple is unique (sport 1024 + i, ICMP id i), every reply
# tuple too (NAT ports 20000 + i); timeouts 300-599 s, far beyond the test.
gen() {
	awk -v n="$N" 'BEGIN {
	split("ESTABLISHED SYN_RECV FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE ESTABLISHED", st, " ")
	for (i = 0; i < n; i++) {
		c = i % 10; h = 1 + i % 250; p = 1024 + i; np = 20000 + i
		to = 300 + i % 300; m = (i % 3) ? i : 0
		r = "status=SEEN_REPLY|ASSURED"
		if (c == 0)	# TCP ESTABLISHED, SNAT, zone 0
			l = sprintf("proto=tcp src=192.0.2.%d dst=198.51.100.1 sport=%d dport=443 rdst=203.0.113.%d rdport=%d state=ESTABLISHED %s wscale=7,7 zone=0", h, p, 1 + i % 200, np, r)
		else if (c == 1)	# TCP SYN_SENT, unreplied, zone 1
			l = sprintf("proto=tcp src=192.0.2.%d dst=198.51.100.2 sport=%d dport=80 state=SYN_SENT status=0 zone=1", h, p)
		else if (c == 2)	# TCP in the other states, DNAT, zone 2
			l = sprintf("proto=tcp src=192.0.2.%d dst=203.0.113.5 sport=%d dport=8080 rsrc=198.51.100.9 rsport=80 state=%s %s wscale=6,8 zone=2", h, p, st[1 + int(i / 10) % 8], r)
		else if (c == 3)	# UDP replied, SNAT
			l = sprintf("proto=udp src=192.0.2.%d dst=198.51.100.3 sport=%d dport=53 rdst=203.0.113.1 rdport=%d %s", h, p, np, r)
		else if (c == 4)	# UDP unreplied, zone 3
			l = sprintf("proto=udp src=192.0.2.%d dst=198.51.100.4 sport=%d dport=514 status=0 zone=3", h, p)
		else if (c == 5)	# ICMP echo, SNAT
			l = sprintf("proto=icmp src=192.0.2.%d dst=198.51.100.5 id=%d type=8 code=0 rdst=203.0.113.2 status=SEEN_REPLY", h, i)
		else if (c == 6)	# IPv6 TCP ESTABLISHED, SNAT
			l = sprintf("proto=tcp src=2001:db8:1::%x dst=2001:db8:3::1 sport=%d dport=22 rdst=2001:db8:2::1 rdport=%d state=ESTABLISHED %s wscale=7,7", h, p, np, r)
		else if (c == 7)	# IPv6 UDP, zone 1
			l = sprintf("proto=udp src=2001:db8:1::%x dst=2001:db8:3::2 sport=%d dport=123 %s zone=1", h, p, r)
		else if (c == 8)	# ICMPv6 echo
			l = sprintf("proto=icmpv6 src=2001:db8:1::%x dst=2001:db8:3::3 id=%d type=128 code=0", h, i)
		else		# IPv6 TCP ESTABLISHED, DNAT, zone 2
			l = sprintf("proto=tcp src=2001:db8:1::%x dst=2001:db8:5::1 sport=%d dport=80 rsrc=2001:db8:9::1 rsport=8080 state=ESTABLISHED %s zone=2", h, p, r)
		printf "%s mark=%d timeout=%d\n", l, m, to
	}}'
}
gen > "$T_DIR/entries"
# drv NODE CMD FILE: the lines of FILE through ct_driver CMD, 2000 per call
drv() {
	xargs -d '\n' -n 2000 timeout 60 ip netns exec "$(ns "$1")" "$DRV" "$2" \
		< "$3" >>"$T_DIR/driver.out" 2>&1
}
nct() { nsx "$1" cat /proc/sys/net/netfilter/nf_conntrack_count; }
# synthetic entries in NODE's table (the hosts' own are not counted)
nsyn() { ct_norm "$1" | wc -l; }
# ct_driver's dump, normalised: timeouts and labels out, status masked to
# SEEN_REPLY|ASSURED|CONFIRMED|SRC_NAT|DST_NAT|SRC_NAT_DONE|DST_NAT_DONE
# (0x19e), only the test's addresses
dump_norm() {
	timeout 30 ip netns exec "$(ns "$1")" "$DRV" dump 2>/dev/null |
		grep -E ' src=(192\.0\.2\.|2001:db8:1::)' |
		awk 'function hex(s,   i, v) {	# mawk has no strtonum
			v = 0; s = tolower(substr(s, 3))
			for (i = 1; i <= length(s); i++)
				v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return v }
		function band(a, b,   r, bit) {
			r = 0
			for (bit = 1; a > 0 && b > 0; bit *= 2) {
				if (a % 2 && b % 2) r += bit
				a = int(a / 2); b = int(b / 2) }
			return r }
		{ for (i = 1; i <= NF; i++) {
			if ($i ~ /^(timeout|labels)=/) $i = ""
			if ($i ~ /^status=/) $i = sprintf("status=0x%x", band(hex(substr($i, 8)), 414))
		  } print }' | tr -s ' ' | sort
}
# match WHAT: fw1's and fw2's tables hold the same entries, field by field
# (ct_cmp; the differences are logged); MATCH_RC keeps ct_cmp's status for
# timeouts_ok.
MATCH_RC=0
match() {
	# both at once, so the timeouts are read at nearly the same moment
	ct_norm fw1 > "$T_DIR/fw1.$1" &
	ct_norm fw2 > "$T_DIR/fw2.$1"
	wait $!
	ct_cmp "$T_DIR/fw1.$1" "$T_DIR/fw2.$1" > "$T_DIR/cmp.$1"
	MATCH_RC=$?
	if [ "$MATCH_RC" = 0 ]; then
		note "$(tail -n 1 "$T_DIR/cmp.$1")"
	else
		sed "s/^/$T_NAME:   /" "$T_DIR/cmp.$1" >&9
	fi
	[ $((MATCH_RC & 1)) = 0 ]
}
# Timeouts: every frame carries the time left now (sync_table.c
# timeout_now), so refreshes (refresh 5: one tick every ~80 ms) and bulks
# keep fw2's copies within the +-2 s of fw1's for these 300-599 s entries
# (the floor of a refresh period + 5 s is far below them).
timeouts_ok() { [ $((MATCH_RC & 2)) = 0 ]; }
# poll_for on a cheap condition (the kernel's entry count), timed
timed_wait() {	# timed_wait SECONDS WANT_FW2_COUNT WHAT
	local t0 t1 rc
	WANT=$2
	t0=$(date +%s%N)
	poll_for "$1" eval '[ "$(nct fw2)" = "$WANT" ]'
	rc=$?
	t1=$(date +%s%N)
	note "$3: fw2 count $(nct fw2) (want $2) after $(( (t1 - t0) / 1000000 )) ms"
	return $rc
}

BASE2=$(nct fw2)
tx0=$(sq fw2 .frames_out)
fl0=$(sq fw1 .table.loops)
lo0=$(sq fw1 .loops)
capture_start fw2out fw2 sync0 "$T_DIR/fw2out.pcap" ip proto 240 and src host 203.0.113.2 ||
	fail "capture on fw2's sync link"
tx0b=$(sq fw2 .frames_out)	# frames counted from here on were all captured

log "$N mixed entries created on fw1"
t0=$(date +%s%N)
drv fw1 create "$T_DIR/entries" || fail "ct_driver create on fw1"
t1=$(date +%s%N)
log "created in $(( (t1 - t0) / 1000000 )) ms"
check "fw1 holds the $N entries (conntrack -L)" [ "$(nsyn fw1)" = $N ]
check "fw2's kernel holds $N more entries within $DEADLINE s" \
	timed_wait $DEADLINE $((BASE2 + N)) "create"
check "fw2 matches fw1 field by field (conntrack -L: tuples, state, flags, mark, zone, NAT)" match create
check "... timeouts within +-2 s" timeouts_ok
dump_norm fw1 > "$T_DIR/fw1.dump"; dump_norm fw2 > "$T_DIR/fw2.dump"
check "fw2 matches fw1 in ct_driver's dump (status bits, window scale)" \
	eval '[ "$(wc -l < "$T_DIR/fw1.dump")" = $N ] && cmp -s "$T_DIR/fw1.dump" "$T_DIR/fw2.dump"'
# (conntrack -L --dst-nat also lists the ICMP SNAT entries: the kernel
# gives every NAT entry a null DST binding and libnetfilter_conntrack's
# port-NAT test compares the ICMP id with type/code; on both nodes alike)
check "every kind of entry is there (8 TCP states, zones 0-3, SNAT, DNAT, v4, v6)" eval '
	f=$T_DIR/fw2.create
	for w in ESTABLISHED SYN_SENT SYN_RECV FIN_WAIT CLOSE_WAIT LAST_ACK TIME_WAIT CLOSE; do
		grep -q "^tcp $w " "$f" || exit 1
	done
	for z in 1 2 3; do grep -q " zone=$z" "$f" || exit 1; done
	[ "$(grep -c " snat" "$f")" = 4000 ] &&
	[ "$(grep -v "^icmp " "$f" | grep -c " dnat")" = 2000 ] &&
	[ "$(grep -c "^icmpv6 " "$f")" = 1000 ] && [ "$(grep -c "^icmp " "$f")" = 1000 ] &&
	[ "$(grep -c UNREPLIED "$f")" = 3000 ] && [ "$(grep -c "src=2001:db8:1::" "$f")" = 4000 ]'
check "fw2 reports $N imported states" eval '[ "$(sq fw2 .states.imported)" = $N ]'

log "marks of 1000 entries updated on fw1"
awk 'NR % 10 == 1 { sub(/ mark=[0-9]+/, " mark=" (NR + 100000)); print }' \
	"$T_DIR/entries" > "$T_DIR/updates"
drv fw1 update "$T_DIR/updates" || fail "ct_driver update on fw1"
check "fw2 shows the 1000 new marks within $DEADLINE s" poll_for $DEADLINE eval \
	'[ "$(timeout 10 ip netns exec "$(ns fw2)" conntrack -L 2>/dev/null | grep -c "mark=1[0-9][0-9][0-9][0-9][0-9] ")" = 1000 ]'
check "fw2 matches fw1 after the updates" match update
check "... timeouts within +-2 s" timeouts_ok

log "a refresh period later (refresh 5): every state re-announced once"
t_refresh=$(( t1 / 1000000 + 6500 ))
while [ "$(( $(date +%s%N) / 1000000 ))" -lt "$t_refresh" ]; do sleep 0.2; done
check "fw1 refreshed every state" eval '[ "$(sq fw1 .table.refreshed)" -ge $N ]'
check "fw2 still matches fw1" match refresh
check "... timeouts within +-2 s" timeouts_ok

log "half of the entries deleted on fw1"
awk 'NR % 2 == 0' "$T_DIR/entries" > "$T_DIR/deletes"
drv fw1 delete "$T_DIR/deletes" || fail "ct_driver delete on fw1"
check "fw1 holds $((N / 2))" [ "$(nsyn fw1)" = $((N / 2)) ]
check "fw2's kernel holds $((N / 2)) fewer within $DEADLINE s" \
	timed_wait $DEADLINE $((BASE2 + N / 2)) "delete"
check "fw2 matches fw1 after the deletions" match delete
check "... timeouts within +-2 s" timeouts_ok

log "the rest deleted on fw1"
awk 'NR % 2 == 1' "$T_DIR/entries" > "$T_DIR/deletes2"
drv fw1 delete "$T_DIR/deletes2" || fail "ct_driver delete on fw1"
check "fw2 holds none of them within $DEADLINE s" timed_wait $DEADLINE "$BASE2" "delete all"
check "fw2 reports 0 imported states" poll_for 2 eval '[ "$(sq fw2 .states.imported)" = 0 ]'

# --- no echo ------------------------------------------------------------------
# frames_out read on both sides of the start and of the stop: a heartbeat
# or ACK sent between a read and the capture's edge is counted, not captured
tx1=$(sq fw2 .frames_out)
capture_stop fw2out || fail "capture stop"
tx2=$(sq fw2 .frames_out)
tshark -X "lua_script:$LUA" -r "$T_DIR/fw2out.pcap" -T fields -e frame.number \
	-e carpsync.action -e carpsync.state.id -e carpsync.state.creatorid \
	-E occurrence=a -E aggregator=, > "$T_DIR/fw2out.txt" 2>"$T_DIR/tshark.err"
ncap=$(wc -l < "$T_DIR/fw2out.txt")
log "fw2 sent $((tx1 - tx0)) frames during the churn (captured $ncap): $(cut -f2 "$T_DIR/fw2out.txt" | sort | uniq -c | tr -s ' \n' '  ')"
check "fw2's frames_out counter agrees with the capture ($((tx1 - tx0b)) <= $ncap <= $((tx2 - tx0)))" \
	[ "$((tx1 - tx0b))" -le "$ncap" ] && [ "$ncap" -le "$((tx2 - tx0))" ]
# Allowed: control frames only: UPD_REQ (5) for the whole table (id 0,
# creator 0: a gap resync), BUS (10), NACK (16) and ACK (17: fw2 says how
# far it holds fw1's frames). Any INS 13, UPD 14, UPD_C 4, DEL_C 7, CLR 0
# from fw2 would be about states it only imported.
check "no state message from fw2 (only UPD_REQ(0,0), BUS, NACK, ACK)" awk -F'\t' '
	{ n = split($2, a, ","); split($3, id, ","); split($4, cr, ",")
	  for (i = 1; i <= n; i++) {
		if (a[i] == 10 || a[i] == 16 || a[i] == 17) continue
		if (a[i] == 5 && id[i] + 0 == 0 && cr[i] + 0 == 0) continue
		bad++ } }
	END { exit bad > 0 }' "$T_DIR/fw2out.txt"
check "fw1 never saw its own states come back (table.loops, loops unchanged)" eval \
	'[ "$(sq fw1 .table.loops)" = "$fl0" ] && [ "$(sq fw1 .loops)" = "$lo0" ]'
check "fw1 imported nothing" eval '[ "$(sq fw1 .states.imported)" = 0 ]'
check "no frame dropped on either side" eval \
	'[ "$(sq fw1 "[.drops[]] | add")" = 0 ] && [ "$(sq fw2 "[.drops[]] | add")" = 0 ]'
check "no event overrun on fw1" eval '[ "$(sq fw1 .overruns)" = 0 ]'
finish
