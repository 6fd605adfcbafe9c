#!/bin/bash
# A forced conntrack event overrun on fw1 is detected and repaired by
# syncd's dump-and-diff resync. fw1's syncd is stopped (SIGSTOP) while
# fw1's kernel creates and deletes far more entries than its event socket
# holds (32 MiB asked, pfsync-conntrack.md 5.5), marks of others change,
# and entries fw2 already has are deleted; on SIGCONT syncd counts the
# overrun (carpctl sync status: overruns) and within 10 s fw2's table
# matches fw1's entry by entry: what was created during the stop is there,
# what was deleted is gone, changed marks are changed, nothing else.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack CLI)"; exit 77; }
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl; DRV=$BUILD/tests/ct_driver
for b in "$SYNCD" "$CARPCTL" "$DRV"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done
BURST=120000		# created during the stop ...
KEEP=10000		# ... of which the last KEEP stay
D=2000			# UDP entries replicated before the stop
REPAIR=10		# seconds for detection and repair

ns_add fw1 && ns_add fw2 && sync_link || { fail "topology"; finish; exit; }
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
check "syncd on fw1 and fw2: peers, bulks done" sync_pair_up

drv() { timeout 60 ip netns exec "$(ns "$1")" "$DRV" "${@:2}" 2>>"$T_DIR/driver.err"; }
drvf() {	# drvf NODE CMD FILE: FILE's lines, 2000 per ct_driver call
	xargs -d '\n' -n 2000 timeout 60 ip netns exec "$(ns "$1")" "$DRV" "$2" \
		< "$3" >>"$T_DIR/driver.out" 2>&1
}
nct() { nsx "$1" cat /proc/sys/net/netfilter/nf_conntrack_count; }
cmp_now() {	# cmp_now WHAT: fw2 holds what fw1 holds (entries; timeouts logged)
	ct_norm fw1 > "$T_DIR/fw1.$1" &
	ct_norm fw2 > "$T_DIR/fw2.$1"
	wait $!
	ct_cmp "$T_DIR/fw1.$1" "$T_DIR/fw2.$1" > "$T_DIR/cmp.$1"
	[ $(( $? & 1 )) = 0 ]
}

log "$D UDP entries replicated before the stop"
awk -v n=$D 'BEGIN { for (i = 0; i < n; i++)
	printf "proto=udp src=192.0.2.%d dst=198.51.100.7 sport=%d dport=53 status=SEEN_REPLY|ASSURED mark=%d timeout=600\n",
	    1 + i % 250, 30000 + i, i }' > "$T_DIR/d.all"
BASE2=$(nct fw2)	# the host's own entries
drvf fw1 create "$T_DIR/d.all" || fail "create the $D entries"
check "fw2 holds them" poll_for 5 eval '[ "$(ct_norm fw2 | grep -c "dst=198.51.100.7 ")" = $D ]'
check "fw2 matches fw1" cmp_now before

log "syncd on fw1 stopped (SIGSTOP): fw1 churns, its events pile up"
P1=$(spid_of fw1)
ov0=$(sq fw1 .overruns)
kill -STOP "$P1"
awk 'NR % 2 == 0' "$T_DIR/d.all" > "$T_DIR/d.del"
awk 'NR % 2 == 1 && NR % 4 == 1 { sub(/ mark=[0-9]+/, " mark=" (NR + 500000)); print }' \
	"$T_DIR/d.all" > "$T_DIR/d.upd"
drvf fw1 delete "$T_DIR/d.del" || fail "delete $((D / 2)) during the stop"
drvf fw1 update "$T_DIR/d.upd" || fail "update $((D / 4)) marks during the stop"
log "$(drv fw1 bulk-create $BURST)"
log "$(drv fw1 bulk-delete $((BURST - KEEP)))"
WANT=$(( D / 2 + KEEP ))
check "fw1 holds $WANT test entries" eval '[ "$(ct_norm fw1 | wc -l)" = $WANT ]'
check "fw2 unchanged meanwhile" eval '[ "$(nct fw2)" = $((BASE2 + D)) ]'
kill -CONT "$P1"
t0=$(date +%s%N)
check "syncd counts the overrun (overruns rises)" poll_for $REPAIR eval \
	'[ "$(sq fw1 .overruns)" -gt "$ov0" ]'
log "overruns: $(sq fw1 .overruns), after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "fw1's syncd logged it" grep -q "overrun" "$T_DIR/fw1/syncd.log"
check "fw2's kernel count is fw1's within $REPAIR s" poll_for $REPAIR eval \
	'[ "$(nct fw2)" = $((BASE2 + WANT)) ]'
log "fw2 count $(nct fw2) (want $((BASE2 + WANT))) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
if cmp_now after; then
	pass "fw2 matches fw1 entry by entry"
else
	fail "fw2 matches fw1 entry by entry"
fi
sed "s/^/$T_NAME:   /" "$T_DIR/cmp.after"
check "the $KEEP created during the stop are on fw2, with their SNAT" eval \
	'[ "$(grep -c "^tcp ESTABLISHED .*dst=198.51.100.1 .* snat" "$T_DIR/fw2.after")" = $KEEP ]'
check "the $((D / 2)) deleted during the stop are gone from fw2" eval \
	'[ "$(grep -c "dst=198.51.100.7 " "$T_DIR/fw2.after")" = $((D / 2)) ]'
check "the $((D / 4)) marks changed during the stop are changed on fw2" eval \
	'[ "$(grep -cE " mark=50[0-9]{4}([[:space:]]|$)" "$T_DIR/fw2.after")" = $((D / 4)) ]'
check "fw1 holds $WANT local states" eval '[ "$(sq fw1 .states.local)" = $WANT ]'
check "fw2 holds $WANT imported states" eval '[ "$(sq fw2 .states.imported)" = $WANT ]'
check "syncd on fw1 still runs" kill -0 "$P1"
finish
