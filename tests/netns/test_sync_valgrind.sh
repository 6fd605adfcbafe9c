#!/bin/bash
# syncd under valgrind (fw1, through SYNCD_WRAP) through a whole replicate
# cycle, with carpd on both nodes: start as MASTER (bulk push), mixed
# entries replicate to fw2 and fw2's own to fw1 (imports), mark updates,
# deletions, carpctl sync status, the peer restarts empty and gets the
# table by bulk (and fw1 imports the peer's table again), bad frames
# (wrong key, TTL 254), a forced event overrun (resync by dump), carpd
# restarts (syncd reconnects), SIGTERM. Pass: valgrind exits 0 (no error,
# no definite or indirect leak) and its log says 0 errors.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
skip_under_san "valgrind cannot run ASan binaries; the plain run covers it"
for t in valgrind conntrack; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
CARPD=$BUILD/carpd; SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
DRV=$BUILD/tests/ct_driver; NETDRV=$BUILD/tests/sync_net_driver
for b in "$CARPD" "$SYNCD" "$CARPCTL" "$DRV" "$NETDRV"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done
VG="valgrind --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99 --log-file=$T_DIR/valgrind.log"
N=200

topo_lan && sync_link || { fail "topology"; finish; exit; }
check "conntrack and NAT hooks on fw1 and fw2" ct_hooks fw1 fw2
write_conf fw1 1 0 30 "192.0.2.254/24" "preempt yes"
write_conf fw2 1 0 60 "192.0.2.254/24" "preempt yes"
write_syncd_conf fw1 1 && write_syncd_conf fw2 2 || fail "syncd configs"
start_carpd fw1 && start_carpd fw2 || fail "carpd starts"
check "fw1 becomes MASTER" poll_for 10 is_state fw1 1 MASTER

drvf() {	# drvf NODE CMD FILE
	xargs -d '\n' -n 2000 timeout 60 ip netns exec "$(ns "$1")" "$DRV" "$2" \
		< "$3" >>"$T_DIR/driver.out" 2>&1
}
ntest() { ct_norm "$1" | grep -c "$2"; }	# test entries matching
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) {
	c = i % 4; h = 1 + i % 200
	if (c == 0) printf "proto=tcp src=192.0.2.%d dst=198.51.100.1 sport=%d dport=443 rdst=203.0.113.9 rdport=%d state=ESTABLISHED status=SEEN_REPLY|ASSURED wscale=7,7 mark=%d timeout=600\n", h, 2000 + i, 40000 + i, i
	if (c == 1) printf "proto=udp src=192.0.2.%d dst=198.51.100.2 sport=%d dport=53 status=SEEN_REPLY zone=1 timeout=600\n", h, 2000 + i
	if (c == 2) printf "proto=icmp src=192.0.2.%d dst=198.51.100.3 id=%d type=8 code=0 timeout=600\n", h, i
	if (c == 3) printf "proto=tcp src=2001:db8:1::%x dst=2001:db8:3::1 sport=%d dport=80 rsrc=2001:db8:9::1 rsport=8080 state=ESTABLISHED status=SEEN_REPLY|ASSURED zone=2 timeout=600\n", h, 2000 + i
	} }' > "$T_DIR/entries"

SYNCD_WRAP=$VG start_syncd fw1 || fail "syncd under valgrind starts on fw1"
check "syncd starts on fw2" start_syncd fw2
check "fw1 (valgrind) talks to carpd as MASTER, fw2 done with its bulk" poll_for 30 eval \
	'[ "$(sq fw1 .carpd)" = true ] && [ "$(sq fw1 .master)" = true ] &&
	 [ "$(sq fw2 .bulk)" = DONE ]'

log "$N mixed entries on fw1, 20 of fw2's own"
drvf fw1 create "$T_DIR/entries" || fail "create on fw1"
check "fw2 holds fw1's $N" poll_for 20 eval '[ "$(ntest fw2 "src=\(192.0.2\|2001:db8:1::\)")" = $N ]'
for i in $(seq 1 20); do
	nsx fw2 conntrack -I -p udp -s 192.0.2.$i -d 198.51.100.77 --sport 7000 --dport 7 \
		-t 600 -u SEEN_REPLY >/dev/null 2>&1
done
check "fw1 imports fw2's 20" poll_for 20 eval '[ "$(ntest fw1 "dst=198.51.100.77 ")" = 20 ]'
check "carpctl sync status from the valgrind syncd" eval \
	'[ "$(sq fw1 .states.local)" = $N ] && [ "$(sq fw1 .states.imported)" = 20 ]'
nsx fw1 "$CARPCTL" -s "$T_DIR/fw1/syncd.sock" sync status >/dev/null 2>&1 || fail "text status"

log "updates and deletions"
awk 'NR % 4 == 1 { sub(/ mark=[0-9]+/, " mark=" (NR + 90000)); print }' "$T_DIR/entries" > "$T_DIR/upd"
drvf fw1 update "$T_DIR/upd" || fail "update on fw1"
check "fw2 has the new marks" poll_for 20 eval \
	'[ "$(ct_norm fw2 | grep -cE "mark=9[0-9]{4}([[:space:]]|$)")" = $((N / 4)) ]'
awk 'NR % 2 == 0' "$T_DIR/entries" > "$T_DIR/del"
drvf fw1 delete "$T_DIR/del" || fail "delete on fw1"
check "fw2 follows the deletions" poll_for 20 eval \
	'[ "$(ntest fw2 "src=\(192.0.2\|2001:db8:1::\)")" = $((N / 2 + 20)) ]'

log "the peer restarts empty: bulk both ways"
stop_syncd fw2 || fail "fw2's syncd stops"
nsx fw2 conntrack -F >/dev/null 2>&1
check "syncd restarts on fw2" start_syncd fw2
# fw1's bulk has fw2's own 20 too (fw1 imported them): a restarted node
# gets back the flows it created
check "fw2 holds the $((N / 2)) and its own 20 again (bulk from the valgrind syncd)" poll_for 30 eval \
	'[ "$(ntest fw2 "src=\(192.0.2\|2001:db8:1::\)")" = $((N / 2 + 20)) ]'

log "bad frames: wrong key, TTL 254"
b0=$(sq fw1 .drops.badauth); t0=$(sq fw1 .drops.badttl)
nsx fw2 "$NETDRV" send sync0 - 3 >/dev/null 2>&1
nsx fw2 "$NETDRV" send -t 254 sync0 - 2 >/dev/null 2>&1
check "counted (badauth +3, badttl +2)" poll_for 20 eval \
	'[ "$(sq fw1 .drops.badauth)" = $((b0 + 3)) ] && [ "$(sq fw1 .drops.badttl)" = $((t0 + 2)) ]'

log "a forced event overrun on fw1"
P1=$(spid_of fw1)
kill -STOP "$P1"
timeout 60 ip netns exec "$(ns fw1)" "$DRV" bulk-create 100000 >/dev/null 2>&1
timeout 60 ip netns exec "$(ns fw1)" "$DRV" bulk-delete 99000 >/dev/null 2>&1
kill -CONT "$P1"
check "overrun counted" poll_for 60 eval '[ "$(sq fw1 .overruns)" -gt 0 ]'
check "fw2 gets the 1000 that stay" poll_for 60 eval \
	'[ "$(ntest fw2 "dport=80 src=198.51.100.1 dst=203.0.113")" = 1000 ]'

log "carpd restarts on fw1: syncd reconnects"
stop_carpd fw1 TERM || fail "carpd stops on fw1"
check "syncd sees carpd gone" poll_for 20 eval '[ "$(sq fw1 .carpd)" = false ]'
start_carpd fw1 || fail "carpd restarts on fw1"
check "syncd reconnects to carpd" poll_for 20 eval '[ "$(sq fw1 .carpd)" = true ]'
check "fw1 MASTER again" poll_for 10 is_state fw1 1 MASTER

SYNCD_WRAP=$VG stop_syncd fw1 TERM || fail "syncd (valgrind) stops on SIGTERM"
log "valgrind: $(grep -E "ERROR SUMMARY|definitely lost|indirectly lost|in use at exit" "$T_DIR/valgrind.log" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
check "valgrind exit status 0 (no error, no definite or indirect leak)" [ "${SRC_fw1:-1}" = 0 ]
check "valgrind: 0 errors" grep -q "ERROR SUMMARY: 0 errors" "$T_DIR/valgrind.log"
check "valgrind: no definite or indirect leak" eval \
	'! grep -Eq "(definitely|indirectly) lost: [1-9]" "$T_DIR/valgrind.log"'
finish
