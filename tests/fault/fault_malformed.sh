#!/bin/bash
# N (10,000) malformed packets of each kind, back to back as fast as the
# injector sends them, at carpd and at syncd of a running pair (fw1
# MASTER 1/0, fw2 BACKUP 1/100, syncd on both, connected to carpd).
#
# CARP, from the LAN client to 224.0.0.18, so both carpds get them
# (BUILD/tests/carp_inject -c N; the defaults make a valid advert of
# 1/200, slower than both nodes; each option breaks one thing): version 3
# (badver), TTL 254 (badttl), a wrong checksum (badsum), 20 bytes of CARP
# (hdrops), vhid 99 (badvhid), a wrong key (badauth: the HMAC computed for
# every one). Type 2 is no drop reason: OpenBSD's carp(4) checks the
# version only, and so does carpd; those N are heard as adverts of a
# slower node (ipackets +N, no drop, no state change). No badlen kind: the
# kernel drops an IPv4 packet shorter than its total length before any
# socket sees it.
#
# Sync frames, from fw1's namespace on the sync link to fw2
# (BUILD/tests/sync_inject -N N), made from a real INS frame of fw1
# captured there (test_sync_badframes.sh does the same one by one): the
# frame byte for byte (replay), and as a fake node 7 signed with a wrong
# key (badauth), sent with TTL 254 (badttl), with version 6 (badver), a
# header len beyond the datagram (badlen), cut 1 byte short (badlen) and
# to 40 bytes (hdrops), a record too short for INS (badact), address
# family 3 (badval), each signed with the right key where it matters.
#
# Pass, for each kind: the daemon's counter for that reason rose by
# exactly N minus what the kernel dropped on the daemon's sockets (the
# drops column of /proc/net/raw: a full receive buffer), and no other
# drop counter moved; the kernel's drops are printed, so a short counter
# says whose it was (the receiver that hears nothing else, fw1 for CARP
# and fw2 for sync, is held to the exact figure; fw2, which also hears
# fw1's adverts, to N - drops <= counted <= N). Throughout, each carpd
# (and fw2's syncd during the sync floods) answers a status request
# within 100 ms (ctl_hold -t every 2 ms, no process start) and `carpctl
# status` answers every time (a process every 20 ms: within 100 ms plus
# 100 ms for its own start on two loaded cores), each less what the whole
# machine stalled meanwhile (stall_probe, lat_own in lib.sh, as in
# fault_ctl_clients.sh); medians and maxima are printed. The CARP state
# (states, transitions, demotion) and fw2's conntrack table are
# unchanged, and a new state still reaches fw2.
. "$(dirname "$0")/../netns/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl; SYNCD=$BUILD/syncd
need_root
for t in conntrack tcpdump nft jq; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
CINJ=$BUILD/tests/carp_inject; SINJ=$BUILD/tests/sync_inject; HOLD=$BUILD/tests/ctl_hold
for b in "$CARPD" "$CARPCTL" "$SYNCD" "$CINJ" "$SINJ" "$HOLD"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built (make $b)"; exit 1; }
done

N=${N:-10000}
LAT_MAX_MS=100; EXEC_SLACK_MS=100	# as in fault_ctl_clients.sh
san_bounds
VIP=192.0.2.254
PASS=carpsync-test

topo_lan && sync_link || { fail "topology"; finish; exit; }
write_conf fw1 1 1 0 "$VIP/24"
write_conf fw2 1 1 100 "$VIP/24"
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "fw1 MASTER" poll_for 10 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 10 is_state fw2 1 BACKUP
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up "refresh 0"
check "both syncd connected to carpd" poll_for 5 eval \
	'[ "$(sq fw1 .carpd)" = true ] && [ "$(sq fw2 .carpd)" = true ]'
# states fw2 holds all along
for i in 1 2 3; do
	nsx fw1 conntrack -I -p tcp -s 192.0.2.$i -d 198.51.100.10 --sport 5000 --dport 80 \
		--state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED >/dev/null 2>&1
done
check "fw2 holds fw1's 3 states" poll_for 5 eval '[ "$(ct_norm fw2 | wc -l)" = 3 ]'

carp_snap() {	# carp_snap NODE: state, transitions, group demotion
	echo "$(state "$1" 1) $(transitions "$1" 1) $(group_demote "$1" carp)"
}
C1=$(carp_snap fw1); C2=$(carp_snap fw2)
log "CARP before: fw1 $C1, fw2 $C2 (state, transitions, demotion)"

# rt_start NAME SOCKET [status|sync]: the daemon's own round trips, every
# 2 ms, each into $T_DIR/rtq.NAME; rt_stop NAME
rt_start() {
	rm -f "$T_DIR/rt.$1.stop"
	"$HOLD" -t "$2" "$T_DIR/rt.$1.stop" 2 "${3:-status}" "$T_DIR/rtq.$1" >"$T_DIR/rt.$1" 2>&1 &
	eval "RT_$1=$!"; T_PIDS="$T_PIDS $!"
}
rt_stop() {
	local p; p=$(eval "echo \$RT_$1")
	touch "$T_DIR/rt.$1.stop"; wait "$p"
	check "$2: round trips measured ($(cat "$T_DIR/rt.$1"))" grep -q queries "$T_DIR/rt.$1"
}
stall_start

# ---- CARP ------------------------------------------------------------
cinject() {
	ip netns exec "$(ns client)" "$CINJ" -i eth0 -s 192.0.2.100 -a $VIP/24 -p "$PASS" \
		-b 1 -k 200 -c "$N" "$@"
}
cnt() { ctl "$1" -j status | jq -c .counters; }		# daemon-wide counters
cget() { jq -r ".$2" <<<"$1"; }
# carp_kind NAME REASON ARGS...: N packets; REASON "-" for none
carp_kind() {
	local name=$1 why=$2 a1 a2 k1 k2 b1 b2 kd1 kd2 got1 got2 o1 other t
	shift 2
	b1=$(cnt fw1); b2=$(cnt fw2); k1=$(raw_drops fw1 112); k2=$(raw_drops fw2 112)
	t=$(date +%s%N)
	if ! cinject "$@" >"$T_DIR/cinj.out" 2>&1 || ! grep -qx "sent $N" "$T_DIR/cinj.out"; then
		fail "$name: the injector sent $N ($(cat "$T_DIR/cinj.out"))"
		return
	fi
	t=$(( ($(date +%s%N) - t) / 1000000 ))
	# settled: fw1 has read or lost all N (it hears nothing else)
	poll_for 10 eval '[ $(( $(gcounter fw1 ipackets) - $(cget "$b1" ipackets) +
		$(raw_drops fw1 112) - k1 )) -ge $N ]'
	sleep 0.2	# fw2 too (its last few), then read both
	a1=$(cnt fw1); a2=$(cnt fw2)
	kd1=$(( $(raw_drops fw1 112) - k1 )); kd2=$(( $(raw_drops fw2 112) - k2 ))
	o1=$(( $(cget "$a1" opackets) - $(cget "$b1" opackets) ))
	# every counter that moved on fw1, opackets aside: name:+delta
	other=$(jq -rn --argjson a "$b1" --argjson b "$a1" \
		'[$b | keys[] | select(. != "opackets" and . != "opackets6") as $k |
		  select($b[$k] != $a[$k]) | "\($k):+\($b[$k] - $a[$k])"] | join(" ")')
	if [ "$why" = - ]; then
		got1=$(( $(cget "$a1" ipackets) - $(cget "$b1" ipackets) ))
		log "$name: fw1 heard $got1 as adverts, kernel dropped $kd1; counters moved: $other"
		check "$name: fw1 heard every one as an advert, no drop counter moved (ipackets +$((N - kd1)))" \
			eval '[ "$other" = "ipackets:+$((N - kd1))" ]'
		return
	fi
	got1=$(( $(cget "$a1" "$why") - $(cget "$b1" "$why") ))
	got2=$(( $(cget "$a2" "$why") - $(cget "$b2" "$why") ))
	log "$name: sent in $t ms ($(( N * 1000 / (t + 1) ))/s, the injector's start included); fw1 counted $got1 as $why, kernel dropped $kd1; fw2 $got2, kernel dropped $kd2 (fw1 sent $o1 adverts meanwhile)"
	check "$name: fw1 counted every one it got as $why ($got1 = $N - $kd1 dropped by the kernel), nothing else" \
		eval '[ $got1 -gt 0 ] && { [ "$other" = "ipackets:+$((N - kd1)) $why:+$((N - kd1))" ] ||
		      [ "$other" = "$why:+$((N - kd1)) ipackets:+$((N - kd1))" ]; }'
	check "$name: fw2 counted them as $why ($N - $kd2 <= $got2 <= $N)" \
		eval '[ $got2 -le $N ] && [ $((got2 + kd2)) -ge $N ]'
}
log "CARP: $N packets of each kind at fw1 and fw2, as fast as carp_inject sends"
rt_start c1 "$T_DIR/fw1/carpd.sock"; rt_start c2 "$T_DIR/fw2/carpd.sock"
lat_start carpctl_c ctl fw1 status
t0=$(date +%s%N)
carp_kind "version 3" badver -V 3
carp_kind "TTL 254" badttl -t 254
carp_kind "bad checksum" badsum -C
carp_kind "20 bytes of CARP (short)" hdrops -l 20
carp_kind "vhid 99" badvhid -v 99
carp_kind "wrong key (bad HMAC)" badauth -p wrong-key
carp_kind "type 2 (not checked, as OpenBSD)" - -y 2
log "CARP floods took $(( ($(date +%s%N) - t0) / 1000000 )) ms in all"
lat_stop carpctl_c; rt_stop c1 "fw1's carpd"; rt_stop c2 "fw2's carpd"
check "CARP unchanged: fw1 $C1, fw2 $C2" eval \
	'[ "$(carp_snap fw1)" = "$C1" ] && [ "$(carp_snap fw2)" = "$C2" ]'

# ---- sync ------------------------------------------------------------
log "sync: a real INS frame of fw1, captured on fw2's end"
X="-p udp -s 192.0.2.50 -d 198.51.100.50 --sport 4000 --dport 53"
has_x() { nsx fw2 conntrack -L $X 2>/dev/null | grep -q "sport=4000"; }
CAP=$T_DIR/sync.pcap
capture_start sync fw2 sync0 "$CAP" ip proto 240 and src host 203.0.113.1 || fail "capture"
nsx fw1 conntrack -I $X -t 600 -u SEEN_REPLY >/dev/null 2>&1
check "X reaches fw2" poll_for 5 has_x
capture_stop sync || fail "capture stop"
nsx fw1 conntrack -D $X >/dev/null 2>&1
check "X's deletion reaches fw2" poll_for 5 eval '! has_x'
ct_norm fw2 | cut -f1 > "$T_DIR/table.before"	# timeouts run down: keys only
LEN=$(nsx fw1 "$SINJ" -a 13 -x sync0 "$CAP" | sed -n 's/.* len=\([0-9]*\) .*/\1/p')
check "the captured frame is one INS of $LEN bytes" eval '[ "$LEN" = 176 ]'
FAKE="-a 13 -p 4:00000007 -p 8:00000001 -p 28:00000007 -p 12:00000001"
KEY=$T_DIR/sync.key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T_DIR/wrong.key"
# sync_kind NAME REASON ARGS...: N copies of one frame from fw1 to fw2
sync_kind() {
	local name=$1 why=$2 d0 d1 k0 kd got other t
	shift 2
	d0=$(sst fw2 | jq -c .drops); k0=$(raw_drops fw2 240)
	t=$(date +%s%N)
	if ! nsx fw1 "$SINJ" -N "$N" "$@" sync0 "$CAP" >"$T_DIR/sinj.out" 2>&1 ||
	    ! grep -qx "sent $N" "$T_DIR/sinj.out"; then
		fail "$name: the injector sent $N ($(cat "$T_DIR/sinj.out"))"
		return
	fi
	t=$(( ($(date +%s%N) - t) / 1000000 ))
	# settled: fw2 has counted or lost all N
	poll_for 10 eval '[ $(( $(sst fw2 | jq ".drops.$why") - $(jq ".$why" <<<"$d0") +
		$(raw_drops fw2 240) - k0 )) -ge $N ]'
	d1=$(sst fw2 | jq -c .drops); kd=$(( $(raw_drops fw2 240) - k0 ))
	got=$(( $(jq ".$why" <<<"$d1") - $(jq ".$why" <<<"$d0") ))
	other=$(jq -rn --argjson a "$d0" --argjson b "$d1" --arg w "$why" \
		'[$b | keys[] | select(. != $w) as $k | select($b[$k] != $a[$k]) | "\($k):+\($b[$k] - $a[$k])"] | join(" ")')
	log "$name: sent in $t ms ($(( N * 1000 / (t + 1) ))/s, the injector's start included); fw2 counted $got as $why, kernel dropped $kd${other:+; other drops: $other}"
	check "$name: fw2 counted every one it got as $why ($got = $N - $kd), no other drop" \
		eval '[ $got -gt 0 ] && [ $got = $((N - kd)) ] && [ -z "$other" ]'
}
log "sync: $N frames of each kind at fw2, as fast as sync_inject sends"
rt_start s2 "$T_DIR/fw2/syncd.sock" sync; rt_start c1s "$T_DIR/fw1/carpd.sock"
lat_start carpctl_s ctl fw1 status
lat_start syncctl_s "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync status
t0=$(date +%s%N)
sync_kind "replay (fw1's frame byte for byte)" replay -a 13
sync_kind "wrong key (bad HMAC)" badauth $FAKE -k "$T_DIR/wrong.key"
sync_kind "TTL 254" badttl $FAKE -k "$KEY" -t 254
sync_kind "version 6" badver $FAKE -p 0:06 -k "$KEY"
sync_kind "header len beyond the datagram" badlen $FAKE -k "$KEY" -L $((LEN + 4))
sync_kind "cut 1 byte short (truncated trailer)" badlen $FAKE -k "$KEY" -c $((LEN - 1))
sync_kind "cut to 40 bytes (truncated header + trailer)" hdrops $FAKE -k "$KEY" -c 40
sync_kind "record too short for INS (signed)" badact $FAKE -p 17:1e -k "$KEY"
sync_kind "address family 3 (signed)" badval $FAKE -p 32:03 -k "$KEY"
log "sync floods took $(( ($(date +%s%N) - t0) / 1000000 )) ms in all"
lat_stop syncctl_s; lat_stop carpctl_s; rt_stop s2 "fw2's syncd"; rt_stop c1s "fw1's carpd"
stall_stop

log "the machine: the stall probe woke up to $STALL_MAX ms late ($(grep -vc '^#' "$T_DIR/stalls") stalls of 5 ms or more)"
E=$((LAT_MAX_MS + EXEC_SLACK_MS))
replies_within "CARP floods: fw1's carpd (connect, STATUS, END)" "$T_DIR/rtq.c1" $LAT_MAX_MS
replies_within "CARP floods: fw2's carpd (connect, STATUS, END)" "$T_DIR/rtq.c2" $LAT_MAX_MS
replies_within "CARP floods: carpctl status on fw1 (its start included)" "$T_DIR/lat.carpctl_c" $E
replies_within "sync floods: fw2's syncd (connect, SYNC_STATUS, END)" "$T_DIR/rtq.s2" $LAT_MAX_MS
replies_within "sync floods: fw1's carpd (connect, STATUS, END)" "$T_DIR/rtq.c1s" $LAT_MAX_MS
replies_within "sync floods: carpctl sync status on fw2 (its start included)" "$T_DIR/lat.syncctl_s" $E
replies_within "sync floods: carpctl status on fw1 (its start included)" "$T_DIR/lat.carpctl_s" $E

check "fw2's table unchanged (no node 7, no X)" eval 'ct_norm fw2 | cut -f1 | cmp -s - "$T_DIR/table.before"'
check "no node 7 among fw2's peers" eval '[ "$(sq fw2 "[.peers[] | select(.node_id == 7)] | length")" = 0 ]'
check "CARP unchanged: fw1 $C1, fw2 $C2" eval \
	'[ "$(carp_snap fw1)" = "$C1" ] && [ "$(carp_snap fw2)" = "$C2" ]'
nsx fw1 conntrack -I -p tcp -s 192.0.2.9 -d 198.51.100.10 --sport 5009 --dport 80 \
	--state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED >/dev/null 2>&1
check "a new state on fw1 still reaches fw2" poll_for 5 eval \
	'nsx fw2 conntrack -L -p tcp --sport 5009 2>/dev/null | grep -q sport=5009'
check "all four daemons still run" eval \
	'kill -0 $(pid_of fw1) && kill -0 $(pid_of fw2) && kill -0 $(spid_of fw1) && kill -0 $(spid_of fw2)'
finish
