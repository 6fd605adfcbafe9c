#!/bin/bash
# Bad frames against a running syncd (fw2): each is counted under its own
# drop counter in `carpctl sync status -j`, by exactly one, and changes
# nothing in fw2's conntrack table. The frames are a real one captured on
# the sync link (fw1's INS of a UDP state X, since deleted), re-sent by
# BUILD/tests/sync_inject from fw1's namespace: byte for byte (a replay),
# and as a fake node 7 (node id, epoch 1, fresh sequence, X's creator id
# 7), which alone would create X again on fw2: signed with a wrong key,
# sent with TTL 254, with a bad version, with a header len beyond the
# datagram, cut short (empty, inside the header, inside the trailer), a
# section cut by a shorter (signed) len. Last, the same fake frame signed
# right and sent with TTL 255 does create X (the frames would have
# changed fw2 had they been accepted), and re-sent byte for byte it is a
# replay.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
for t in conntrack tcpdump; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl; INJ=$BUILD/tests/sync_inject
for b in "$SYNCD" "$CARPCTL" "$INJ"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built (make $b)"; exit 1; }
done

ns_add fw1 && ns_add fw2 && sync_link || { fail "topology"; finish; exit; }
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
# refresh 0, and fw1's syncd frozen (SIGSTOP) while we inject: it stays
# silent (no heartbeat either), so every datagram fw2 counts is ours
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up "refresh 0"

X="-p udp -s 192.0.2.50 -d 198.51.100.50 --sport 4000 --dport 53"
has_x() { nsx fw2 conntrack -L $X 2>/dev/null | grep -q "sport=4000"; }
# a few entries fw2 holds all along: the table "before"
for i in 1 2 3; do
	nsx fw1 conntrack -I -p tcp -s 192.0.2.$i -d 198.51.100.10 --sport 5000 --dport 80 \
		--state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED --src-nat 198.51.100.254 >/dev/null 2>&1
done
check "fw2 holds fw1's 3 entries" poll_for 5 eval '[ "$(ct_norm fw2 | wc -l)" = 3 ]'

log "X created on fw1 while the sync link is captured, then deleted"
CAP=$T_DIR/sync.pcap
capture_start sync fw2 sync0 "$CAP" ip proto 240 and src host 203.0.113.1 || fail "capture"
nsx fw1 conntrack -I $X -t 600 -u SEEN_REPLY >/dev/null 2>&1
check "X reaches fw2" poll_for 5 has_x
capture_stop sync || fail "capture stop"
nsx fw1 conntrack -D $X >/dev/null 2>&1
check "X's deletion reaches fw2" poll_for 5 eval '! has_x'
BEFORE=$T_DIR/before
ct_norm fw2 | cut -f1 > "$BEFORE"
check "fw1's syncd frozen (no heartbeats while we inject)" kill -STOP "$(spid_of fw1)"

# The frame: header 16 bytes (version @0, flags, len @2, node id @4,
# epoch @8, seq @12), then the INS section: subheader @16 (action, words
# per message @17, count), the state record @20 (id, creator id @28,
# af @32).
FAKE="-a 13 -p 4:00000007 -p 8:00000001 -p 28:00000007"
KEY=$T_DIR/sync.key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T_DIR/wrong.key"
inject() { nsx fw1 "$INJ" "$@" sync0 "$CAP" >>"$T_DIR/inject.log" 2>&1; }
LEN=$(nsx fw1 "$INJ" -a 13 -x sync0 "$CAP" | sed -n 's/.* len=\([0-9]*\) .*/\1/p')
SIZE=$(nsx fw1 "$INJ" -a 13 -x sync0 "$CAP" | sed -n 's/^size=\([0-9]*\) .*/\1/p')
log "captured INS frame: $(nsx fw1 "$INJ" -a 13 -x sync0 "$CAP")"
check "the captured frame is one INS (len $LEN = 16 + 4 + 124 + 32)" \
	eval '[ "$LEN" = 176 ] && [ "$SIZE" = 176 ]'
# everything fw2 counted for the datagrams it received
seen() { sq fw2 '.frames_in + ([.drops[]] | add)'; }
peers() { sst fw2 | jq -c '.peers | map(del(.heard_ms)) | sort_by(.node_id)'; }
# bad NAME REASON INJECT-ARGS...: one datagram from fw1's namespace; fw2
# counts it under drops.REASON by exactly 1, as one datagram received
# (frames_in +1; +0 for badttl, dropped before), no other drop counter
# moves, the peers (node 1's window included) and the table are as before.
bad() {
	local name=$1 why=$2 d0 s0 f0 p0 want x0
	shift 2
	d0=$(sst fw2 | jq -c .drops); s0=$(seen); f0=$(sq fw2 .frames_in); p0=$(peers)
	x0=$(has_x && echo yes || echo no)
	if ! inject "$@"; then
		fail "$name: sent"
		return
	fi
	poll_for 5 eval '[ "$(seen)" -gt "$s0" ]'
	D1=$(sst fw2 | jq -c .drops)
	note "$name: drops $D1"
	want=$((f0 + 1)); [ "$why" = badttl ] && want=$f0
	check "$name: counted as $why, by exactly 1, no other drop" eval \
		'[ "$(jq -n --argjson a "$d0" --argjson b "$D1" --arg w "$why" \
		    "[\$b | keys[] | select(. != \$w) as \$k | \$b[\$k] - \$a[\$k]] | all(. == 0) and \$b[\$w] - \$a[\$w] == 1")" = true ]'
	check "$name: one datagram received (frames_in $f0 -> $want)" \
		eval '[ "$(sq fw2 .frames_in)" = "$want" ]'
	check "$name: peers unchanged (no node 7, node 1's window as before)" \
		eval '[ "$(peers)" = "$p0" ]'
	check "$name: fw2's table unchanged (X there: $x0)" eval \
		'[ "$(has_x && echo yes || echo no)" = "$x0" ] &&
		 ct_norm fw2 | cut -f1 | cmp -s - "$BEFORE"'
}

bad "replay (fw1's frame byte for byte)" replay -a 13
bad "wrong key" badauth $FAKE -p 12:00000001 -k "$T_DIR/wrong.key"
bad "TTL 254" badttl $FAKE -p 12:00000002 -k "$KEY" -t 254
bad "version 6 (OpenBSD's pfsync)" badver $FAKE -p 12:00000003 -p 0:06 -k "$KEY"
bad "header len 4 bytes beyond the datagram" badlen \
	$FAKE -p 12:00000004 -k "$KEY" -L $((LEN + 4))
bad "cut inside the trailer (1 byte short)" badlen \
	$FAKE -p 12:00000005 -k "$KEY" -c $((LEN - 1))
bad "cut to 40 bytes (shorter than header + trailer)" hdrops \
	$FAKE -p 12:00000006 -k "$KEY" -c 40
bad "cut inside the header (10 bytes)" hdrops $FAKE -c 10
bad "empty datagram" hdrops $FAKE -c 0
bad "INS section cut by a signed len of 112 (60 of 124 record bytes)" badlen \
	$FAKE -p 12:00000007 -p 2:0070 -k "$KEY"
bad "record shorter than INS needs (30 words, signed)" badact \
	$FAKE -p 12:00000008 -p 17:1e -k "$KEY"
bad "address family 3 (signed)" badval $FAKE -p 12:00000009 -p 32:03 -k "$KEY"

log "control: the same fake frame signed with the right key, TTL 255"
s0=$(seen); d0=$(sst fw2 | jq -c .drops)
check "sent" inject $FAKE -p 12:0000000a -k "$KEY"
check "it creates X on fw2 (the bad frames would have)" poll_for 5 has_x
check "accepted: frames_in rose, no drop" eval \
	'[ "$(seen)" -gt "$s0" ] && [ "$(sst fw2 | jq -c .drops)" = "$d0" ]'
# node 7 is a new peer: fw2 asks for its table, and fw1 (which hears the
# request too) answers with a bulk; wait until the link is quiet again
quiet() { local f; f=$(sq fw2 .frames_in); sleep 0.5; [ "$(sq fw2 .frames_in)" = "$f" ]; }
check "the link is quiet again" poll_for 10 quiet
check "node 7 is now a peer of fw2" eval '[ "$(sq fw2 "[.peers[] | select(.node_id == 7)] | length")" = 1 ]'
ct_norm fw2 | cut -f1 > "$BEFORE"
bad "the accepted frame again, byte for byte" replay $FAKE -p 12:0000000a -k "$KEY"
check "fw2's syncd still runs" kill -0 "$(spid_of fw2)"
check "fw1's syncd thawed" kill -CONT "$(spid_of fw1)"
finish
