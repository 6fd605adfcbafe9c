#!/bin/bash
# Loss, duplication and reordering on the sync link, both ways, while both
# syncds churn. The sync cable runs through a relay (BUILD/tests/wire_relay
# in namespace "wire", sync frames only, seeded: SEED=N reruns a run's
# decisions): each frame is dropped with LOSS %, held back and sent after
# the next one with REORDER %, sent twice with DUP %. No netem: this
# kernel has no sch_netem, and nft can drop or copy but not delay.
#
# fw1 and fw2 each create, delete and mark-update their own entries
# (ROUNDS rounds of 400 creates) with the faults on; the faults stay on
# after the churn stops (NACKs, retransmissions, heartbeats go through
# them too) and the periodic refresh is off, so only syncd's loss repair
# can make the tables meet. Pass: fw2's conntrack table equals fw1's,
# entry by entry (tuples, state, mark, NAT; timeouts within 2 s), within
# BOUND s of the churn's end, in every run; the relay really dropped,
# duplicated and reordered frames each way (its own counters: the test
# cannot pass on a clean wire); and each receiver saw them, consistently
# with what the relay did to its direction:
#   replay             > 0 and <= dup    (a copy of a new frame is a replay;
#                                         nothing else is, no range is
#                                         given up in BOUND)
#   replay + retx_dup >= dup - lost after the relay (a copy of a
#                                         retransmission is a retx_dup)
#   gaps               > 0 and <= drop + reorder + lost before it (each
#                                         gap needs a missing or late frame)
#   NACKs sent, frames late (peer .late) > 0
#
# BOUND, from syncd's timers (carpsync-sync(7) "Replay protection and
# loss"): a lost last frame is noticed at the sender's next heartbeat, 1 s
# after its last frame and every second after; allow HB_LOST = 2 of those
# lost in a row (LOSS^3 = 1e-3 is the chance of a third), then NACKs go at
# once and every 100 ms: allow 10 rounds (1 s; a round is lost with
# 1 - (1 - LOSS)^2 = 19 %, ten in a row 1e-7); SLACK = 2 s for what is not
# the protocol: the last kernel writes on fw2, two conntrack dumps per
# poll (ct_norm, ~0.3 s each on a loaded 2-core box), poll steps.
# BOUND = (1 + HB_LOST) * 1 s + 1 s + SLACK = 6 s.
. "$(dirname "$0")/../netns/lib.sh"
BUILD=${1:-$BUILD}; SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
need_root
for t in conntrack nft jq; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
DRV=$BUILD/tests/ct_driver; RELAY=$BUILD/tests/wire_relay
for b in "$SYNCD" "$CARPCTL" "$DRV" "$RELAY"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built (make $b)"; exit 1; }
done

LOSS=${LOSS:-10}; DUP=${DUP:-10}; REORDER=${REORDER:-10}
ROUNDS=${ROUNDS:-20}
SEED=${SEED:-$(( (RANDOM << 15 | RANDOM) % 2147483646 + 1 ))}
HB_S=1; HB_LOST=2; NACK_ROUNDS_S=1; SLACK=2
BOUND=$(( (1 + HB_LOST) * HB_S + NACK_ROUNDS_S + SLACK ))

ns_add fw1 && ns_add fw2 && ns_add wire && relay_sync_link ||
	{ fail "topology"; finish; exit; }
log "relay: $LOSS % loss, $DUP % duplicates, $REORDER % reordered, each way, seed $SEED"
check "the relay runs" relay_start -p 240 -d "$LOSS" -u "$DUP" -r "$REORDER" -s "$SEED"
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
check "syncd on fw1 and fw2 through the faulty wire: peers, bulks done" \
	sync_pair_up "refresh 0"

drv() { local n=$1; shift; timeout 60 ip netns exec "$(ns "$n")" "$DRV" "$@" >/dev/null 2>&1; }
same() {	# fw1 and fw2 hold the same entries (ct_cmp: keys and timeouts)
	ct_norm fw1 > "$T_DIR/a" &
	ct_norm fw2 > "$T_DIR/b"
	wait $!
	ct_cmp "$T_DIR/a" "$T_DIR/b" > "$T_DIR/cmp"
}
# churn NODE FIRST SNAT: ROUNDS rounds, each creating 400 entries from
# index FIRST on (ct_driver's synthetic states, SNAT address SNAT),
# deleting those of three rounds before, changing the mark of the node's
# own entries (the other node's copies are not touched: their owner
# would not know)
churn() {
	local node=$1 base=$2 snat=$3 r first
	for r in $(seq 0 $((ROUNDS - 1))); do
		first=$((base + r * 400))
		drv "$node" bulk-create 400 "$first" || return 1
		[ "$r" -ge 3 ] && { drv "$node" bulk-delete 400 $((first - 1200)) || return 1; }
		nsx "$node" conntrack -U -p tcp -q "$snat" -m $((r + 1)) >/dev/null 2>&1
	done
	return 0
}

log "both nodes churn ($ROUNDS rounds each: $((ROUNDS * 400)) creates, $(( (ROUNDS - 3) * 400 )) deletes, mark updates)"
churn fw2 500000 203.0.113.9 & c2=$!
churn fw1 0 203.0.113.1; r1=$?
wait $c2; r2=$?
t0=$(date +%s%N)
check "churn on fw1" [ $r1 = 0 ]
check "churn on fw2" [ $r2 = 0 ]
if poll_for "$BOUND" same; then
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	pass "fw2 matches fw1 entry by entry ($(wc -l < "$T_DIR/a") entries) ${ms} ms after the churn (<= $BOUND s)"
else
	fail "fw2 matches fw1 entry by entry within $BOUND s of the churn"
	sed "s/^/$T_NAME:   /" "$T_DIR/cmp" | head -20
	poll_for 30 same && log "  (they did match $(( ($(date +%s%N) - t0) / 1000000 )) ms after the churn)"
fi
check "fw1 holds its own 1200 and fw2's 1200" eval '[ "$(wc -l < "$T_DIR/a")" = 2400 ]'

# The relay stops (its last held frame goes out): nothing reaches either
# daemon from then on, so its counters and theirs cover the same frames.
check "the relay stops and reports" relay_stop
quiet() { local a b; a=$(sq fw1 .frames_in)$(sq fw2 .frames_in); sleep 0.3
	b=$(sq fw1 .frames_in)$(sq fw2 .frames_in); [ "$a" = "$b" ]; }
poll_for 5 quiet
sst fw1 > "$T_DIR/s1"; sst fw2 > "$T_DIR/s2"
# direction DIR SENDER-ID RECEIVER: what the relay did to DIR, and what
# the receiver counted of it
direction() {
	local dir=$1 id=$2 rx=$3 s=$T_DIR/s${3#fw} drop dup reo held kd se replay rdup gaps nacks late post
	read -r drop dup reo held kd se <<<"$(relay_counts "$dir" drop dup reorder held kdrop senderr)"
	replay=$(jq .drops.replay "$s"); rdup=$(jq .loss.retx_dup "$s")
	gaps=$(jq ".peers[] | select(.node_id == $id) | .gaps" "$s")
	late=$(jq ".peers[] | select(.node_id == $id) | .late" "$s")
	nacks=$(jq ".peers[] | select(.node_id == $id) | .nacks" "$s")
	post=$(( $(link_drops "$rx" sync0 rx) + $(link_drops wire "$(relay_out_dev "$dir")" tx) + $(raw_drops "$rx" 240) ))
	log "$dir: relay dropped $drop, duplicated $dup, reordered $reo (held $held, kernel drops $kd, send errors $se); after it lost $post"
	log "$dir: $rx counted replay $replay, retx_dup $rdup, gaps $gaps, NACKed $nacks ranges, late $late; table requests $(jq .loss.table_reqs "$s")"
	check "$dir: the relay dropped, duplicated and reordered frames" \
		eval '[ "$drop" -gt 0 ] && [ "$dup" -gt 0 ] && [ "$reo" -gt 0 ]'
	check "$dir: $rx saw duplicates as replays ($replay > 0, <= $dup duplicated)" \
		eval '[ "$replay" -gt 0 ] && [ "$replay" -le "$dup" ]'
	check "$dir: every duplicate counted (replay + retx_dup $((replay + rdup)) >= $dup - $post)" \
		eval '[ $((replay + rdup)) -ge $((dup - post)) ]'
	check "$dir: $rx saw gaps ($gaps > 0, <= $drop + $reo + $kd)" \
		eval '[ "$gaps" -gt 0 ] && [ "$gaps" -le $((drop + reo + kd)) ]'
	check "$dir: $rx NACKed ($nacks) and got frames late ($late)" \
		eval '[ "$nacks" -gt 0 ] && [ "$late" -gt 0 ]'
}
direction "A>B" 1 fw2
direction "B>A" 2 fw1
check "no frame dropped as bad (badauth, badlen, ...)" eval \
	'[ "$(jq "[.drops | to_entries[] | select(.key != \"replay\") | .value] | add" "$T_DIR/s1" "$T_DIR/s2" | tr "\n" +)" = "0+0+" ]'
check "both syncd still run" eval 'kill -0 "$(spid_of fw1)" && kill -0 "$(spid_of fw2)"'
finish
