#!/bin/bash
# Loss on the sync link (both ends, NACKs and retransmissions lost too):
# fw1 churns states (creates, deletes, mark updates) for a few
# seconds with 10 %, then 30 % of the frames lost each way; after the churn
# stops, with the loss still on, fw2's table converges to fw1's entry by
# entry (tuples, state, mark, NAT; timeouts within 2 s). The periodic
# refresh is off, so only NACK and retransmission (and a resync when they
# cannot help) repair the loss. The time to converge is logged, not judged
# (make bench measures).
#
# The loss is an nftables netdev egress rule dropping each sync frame with
# the probability given (numgen random), not tc netem: netem is missing
# from kernels built without CONFIG_NET_SCH_NETEM, this CI's among them,
# and the rule drops exactly what netem's "loss" would, sync frames only.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
for t in conntrack nft; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
DRV=$BUILD/tests/ct_driver
for b in "$SYNCD" "$CARPCTL" "$DRV"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built (make $b)"; exit 1; }
done

ns_add fw1 && ns_add fw2 && sync_link || { fail "topology"; finish; exit; }
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up "refresh 0"

drv() { timeout 60 ip netns exec "$(ns fw1)" "$DRV" "$@" >/dev/null 2>&1; }
# fw1 and fw2 hold the same entries (ct_cmp status 0: keys and timeouts)
same() {
	ct_norm fw1 > "$T_DIR/a" &
	ct_norm fw2 > "$T_DIR/b"
	wait $!
	ct_cmp "$T_DIR/a" "$T_DIR/b" > "$T_DIR/cmp"
}
loss() {	# loss PERCENT: each sync frame out of either end dropped so often
	local n
	for n in fw1 fw2; do
		nsx $n nft delete table netdev carpsync_loss 2>/dev/null
		[ "$1" = 0 ] && continue
		nsx $n nft -f - <<NFT || return 1
table netdev carpsync_loss {
	counter lost { }
	chain out {
		type filter hook egress device "sync0" priority 0;
		ip protocol 240 numgen random mod 100 < $1 counter name "lost" drop
	}
}
NFT
	done
}
lost() {	# lost NODE: frames its loss rule dropped
	nsx "$1" nft -j list counter netdev carpsync_loss lost |
		jq -r '.nftables[] | select(.counter) | .counter.packets'
}

BASE=0
# churn ROUNDS: each round creates 400 entries, deletes the ones of three
# rounds before, and changes the mark of every TCP entry (an UPDATE each)
churn() {
	local r n=$1 first
	for r in $(seq 0 $((n - 1))); do
		first=$((BASE + r * 400))
		drv bulk-create 400 "$first" || return 1
		[ "$r" -ge 3 ] && { drv bulk-delete 400 $((first - 1200)) || return 1; }
		nsx fw1 conntrack -U -p tcp -m $((r + 1)) >/dev/null 2>&1
	done
	BASE=$((BASE + n * 400))
}

for loss in 10 30; do
	log "$loss % loss each way on the sync link while fw1 churns"
	check "$loss % of the sync frames dropped each way" loss $loss
	n0=$(sq fw2 .loss.nacks_out); r0=$(sq fw1 .loss.retx_out)
	check "churn on fw1 (20 rounds: 8000 creates, 6800 deletes, mark updates)" churn 20
	t0=$(date +%s%N)
	# the loss goes on: NACKs and retransmissions are lost too
	if poll_for 30 same; then
		t1=$(date +%s%N)
		pass "$loss %: fw2 matches fw1 entry by entry ($(wc -l < "$T_DIR/a") entries)"
		log "$loss %: converged $(( (t1 - t0) / 1000000 )) ms after the churn stopped"
	else
		fail "$loss %: fw2 matches fw1 entry by entry"
		sed "s/^/$T_NAME:   /" "$T_DIR/cmp" | head -20
	fi
	log "$loss %: frames dropped: fw1 -> fw2 $(lost fw1), fw2 -> fw1 $(lost fw2)"
	log "$loss %: fw2 NACKed $(( $(sq fw2 .loss.nacks_out) - n0 )) ranges, fw1 sent $(( $(sq fw1 .loss.retx_out) - r0 )) frames again; table requests by fw2: $(sq fw2 .loss.table_reqs); fw2 drops: $(sst fw2 | jq -c '.drops')"
	check "$loss %: fw2 asked again for what it missed (NACKs)" \
		eval '[ "$(sq fw2 .loss.nacks_out)" -gt "$n0" ]'
	check "$loss %: fw1 sent frames again (retransmissions)" \
		eval '[ "$(sq fw1 .loss.retx_out)" -gt "$r0" ]'
	check "$loss %: nothing dropped as a replay or as bad" \
		eval '[ "$(sst fw2 | jq "[.drops[]] | add")" = 0 ]'
done
check "no loss" loss 0
log "deleting everything on fw1: fw2 follows"
drv bulk-delete "$BASE" 0
check "fw2 empty too" poll_for 10 eval '[ "$(ct_norm fw2 | wc -l)" = 0 ]'
check "both syncd still run" eval 'kill -0 "$(spid_of fw1)" && kill -0 "$(spid_of fw2)"'
finish
