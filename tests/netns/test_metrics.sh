#!/bin/bash
# Metrics (carpctl(8) metrics and watch, metrics-listen in carpd.conf(5)
# and syncd.conf(5)): carpd and syncd on fw1 and fw2; `carpctl metrics`
# on fw1 and GET /metrics of fw1's carpd (IPv4) and syncd (IPv6) parse
# with prometheus_client's text parser; the values agree with `carpctl
# status -j` and `carpctl sync status -j`; a forced failover flips the
# vhost's state series and counts a transition; injected TTL-1 adverts
# raise the badttl drop counter by exactly as many; other paths are 404;
# with one daemon away its up gauge is 0 and the exit 0, with both away
# the exit is 1; `carpctl watch -n 2` prints two snapshots with the vhost
# and the peer; a bad metrics-listen is a file:line error; fw2's syncd
# exports its receive-to-insert histogram once it imported states; 50
# idle connections neither stop carpd from answering nor stay open past
# its 5 s timeout; a reload keeps the listener and logs that a change of
# metrics-listen needs a restart.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
SYNCD=$BUILD/syncd; INJECT=$BUILD/tests/carp_inject
for b in "$CARPD" "$SYNCD" "$CARPCTL" "$INJECT"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built"; exit 1; }
done
# Debian's python3-prometheus-client (scripts/install-deps.sh) is for
# Debian's python3, which a python3 earlier in PATH (pyenv) may not see
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
	{ echo "$T_NAME: SKIP (no python3-prometheus-client)"; exit 77; }
command -v curl >/dev/null || { echo "$T_NAME: SKIP (no curl)"; exit 77; }

VIP=192.0.2.254
CARPD_URL=http://192.0.2.1:9101
SYNCD_URL=http://[2001:db8::1]:9102
N=5

# prom FILE: parse FILE with the real Prometheus text parser; one line per
# sample, "name{k=v,...} value" with the labels sorted; exit 1 if it does
# not parse or holds no sample.
cat > "$T_DIR/prom.py" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
n = 0
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in fam.samples:
        lab = ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %s" % (s.name, lab, repr(float(s.value))))
        n += 1
sys.exit(0 if n > 0 else 1)
PY
prom() { "$PY" "$T_DIR/prom.py" "$1" > "$1.parsed"; }
# val FILE NAME{LABELS}: a sample's value from prom's output, as an integer
val() { awk -v k="$2" '$1 == k { printf "%d\n", $2; f = 1 } END { exit !f }' "$1.parsed"; }
metrics() { nsx fw1 "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" -S "$T_DIR/fw1/syncd.sock" "$@"; }

topo_lan && sync_link || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24" "preempt yes\nmetrics-listen 192.0.2.1:9101"
write_conf fw2 1 0 60 "$VIP/24" "preempt yes"
check "carpd -n: a bad metrics-listen is a file:line error" eval '
	printf "metrics-listen 192.0.2.1\n" > "$T_DIR/bad.conf"
	! "$CARPD" -n -f "$T_DIR/bad.conf" 2>"$T_DIR/bad.out" &&
	grep -q "bad.conf:1: metrics-listen: .192.0.2.1.: want ADDR:PORT" "$T_DIR/bad.out"'
start_carpd fw1 && start_carpd fw2 || { fail "carpd starts"; finish; exit; }
check "fw1 MASTER" poll_for 5 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 5 is_state fw2 1 BACKUP
write_syncd_conf fw1 1 "metrics-listen [2001:db8::1]:9102"
write_syncd_conf fw2 2
start_syncd fw1 && start_syncd fw2 || { fail "syncd starts"; finish; exit; }
check "syncd peers see each other, bulks done" poll_for 10 eval '
	[ "$(sq fw1 ".peers | map(select(.node_id == 2)) | length")" = 1 ] &&
	[ "$(sq fw2 ".peers | map(select(.node_id == 1)) | length")" = 1 ] &&
	[ "$(sq fw1 .bulk)" = DONE ] && [ "$(sq fw2 .bulk)" = DONE ]'

log "carpctl metrics: both daemons"
m=$T_DIR/m1
sst fw1 >"$T_DIR/s_before"
metrics metrics >"$m" 2>"$T_DIR/m1.err"; rc=$?
sst fw1 >"$T_DIR/s_after"
ctl fw1 -j status >"$T_DIR/st"
check "exit 0" [ "$rc" = 0 ]
check "parses with prometheus_client" prom "$m"
check "HELP and TYPE for every family" eval '
	[ "$(grep -c "^# TYPE " "$m")" = "$(grep -c "^# HELP " "$m")" ] &&
	[ "$(grep -c "^# TYPE " "$m")" -gt 60 ]'
check "no family has two TYPE lines" eval '[ -z "$(grep "^# TYPE " "$m" | sort | uniq -d)" ]'
check "carpd_up 1, syncd_up 1" eval '[ "$(val "$m" "carpsync_carpd_up{}")" = 1 ] &&
	[ "$(val "$m" "carpsync_syncd_up{}")" = 1 ]'
check "vhid 1 state master 1, backup 0 (status -j: MASTER)" eval '
	[ "$(jq -r ".vhosts[0].state" "$T_DIR/st")" = MASTER ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_state{ifname=carp1,state=master,vhid=1}")" = 1 ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_state{ifname=carp1,state=backup,vhid=1}")" = 0 ]' ||
	grep vhost_state "$m"
check "transitions, advskew, demote as in status -j" eval '
	[ "$(val "$m" "carpsync_carpd_vhost_transitions_total{ifname=carp1,vhid=1}")" = "$(jq .vhosts[0].transitions "$T_DIR/st")" ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_advskew{ifname=carp1,vhid=1}")" = 30 ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_demote{ifname=carp1,vhid=1}")" = "$(jq .vhosts[0].demote "$T_DIR/st")" ]'
check "group carp's demotion as in status -j" eval '
	[ "$(val "$m" "carpsync_carpd_group_demote{group=carp}")" = "$(jq ".groups[] | select(.name == \"carp\") | .demote" "$T_DIR/st")" ]'
check "every carpd drop reason, per vhost and daemon-wide" eval '
	[ "$(grep -c "^carpsync_carpd_vhost_drops_total{" "$m.parsed")" = 13 ] &&
	[ "$(grep -c "^carpsync_carpd_drops_total{" "$m.parsed")" = 13 ]'
check "control connection counters" eval '[ "$(val "$m" "carpsync_carpd_control_accepted_total{}")" -ge 1 ] &&
	val "$m" "carpsync_syncd_control_open{}" >/dev/null'
check "syncd frames in between two sync status reads" eval '
	v=$(val "$m" "carpsync_syncd_frames_in_total{}") &&
	[ "$v" -ge "$(jq .frames_in "$T_DIR/s_before")" ] && [ "$v" -le "$(jq .frames_in "$T_DIR/s_after")" ] && [ "$v" -gt 0 ]'
check "syncd node id, bulk DONE, carpd connected, peer 2's frames" eval '
	[ "$(val "$m" "carpsync_syncd_node_id{}")" = 1 ] &&
	[ "$(val "$m" "carpsync_syncd_bulk_info{state=DONE}")" = 1 ] &&
	[ "$(val "$m" "carpsync_syncd_carpd_connected{}")" = 1 ] &&
	[ "$(val "$m" "carpsync_syncd_peer_frames_total{peer=2}")" -gt 0 ]'
check "every syncd drop reason of sync status -j" eval '
	for r in $(jq -r ".drops | keys[]" "$T_DIR/s_after"); do
		val "$m" "carpsync_syncd_drops_total{reason=$r}" >/dev/null || exit 1
	done'
check "states, overruns, loss and held demotion series" eval '
	for k in states_local states_imported overruns_total nacks_out_total retransmits_total; do
		val "$m" "carpsync_syncd_$k{}" >/dev/null || exit 1; done &&
	val "$m" "carpsync_syncd_held_demote{reason=bulk}" >/dev/null'

log "10 states created on fw1: fw2's receive-to-insert histogram"
if command -v conntrack >/dev/null && ct_hooks fw1 fw2; then
	for i in $(seq 1 10); do
		nsx fw1 conntrack -I -p tcp -s 192.0.2.$((100 + i)) -d 198.51.100.10 \
			--sport $((20000 + i)) --dport 80 --state ESTABLISHED -t 600 \
			-u SEEN_REPLY,ASSURED >/dev/null 2>&1
	done
	m2=$T_DIR/m2
	check "fw2 imports them; rx_apply count > 0, +Inf bucket = count, sum <= count * max" poll_for 3 eval '
		nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/carpd.sock" -S "$T_DIR/fw2/syncd.sock" metrics >"$m2" 2>/dev/null && prom "$m2" &&
		[ "$(val "$m2" "carpsync_syncd_states_imported{}")" = 10 ] &&
		c=$(val "$m2" "carpsync_syncd_rx_apply_seconds_count{}") && [ "$c" -gt 0 ] &&
		[ "$(val "$m2" "carpsync_syncd_rx_apply_seconds_bucket{le=+Inf}")" = "$c" ] &&
		awk -v c="$c" "\$1 == \"carpsync_syncd_rx_apply_seconds_sum{}\" { s = \$2 }
			\$1 == \"carpsync_syncd_rx_apply_max_seconds{}\" { m = \$2 }
			END { exit !(s > 0 && s <= c * m + 1e-9 && m < 1) }" "$m2.parsed"'
	grep "rx_apply" "$m2" | sed "s/^/$T_NAME: /" | grep -v "^$T_NAME: #" >&2
else
	log "skipped: no conntrack CLI or nft"
fi

log "GET /metrics of each daemon"
h=$T_DIR/h1
check "carpd: GET /metrics 200, Content-Type 0.0.4" eval '
	nsx client curl -sS -D "$h.hdr" -o "$h" "$CARPD_URL/metrics" &&
	grep -qi "^HTTP/1.1 200" "$h.hdr" &&
	grep -qi "^content-type: text/plain; version=0.0.4" "$h.hdr"'
check "carpd's page parses, carpd only" eval 'prom "$h" &&
	[ "$(val "$h" "carpsync_carpd_up{}")" = 1 ] && ! grep -q carpsync_syncd_ "$h" &&
	[ "$(val "$h" "carpsync_carpd_vhost_state{ifname=carp1,state=master,vhid=1}")" = 1 ]'
check "carpd: other paths 404" eval '
	[ "$(nsx client curl -s -o /dev/null -w "%{http_code}" "$CARPD_URL/")" = 404 ] &&
	[ "$(nsx client curl -s -o /dev/null -w "%{http_code}" "$CARPD_URL/metricsx")" = 404 ]'
check "carpd: POST refused (4xx/5xx)" eval 'c=$(nsx client curl -s -o /dev/null -w "%{http_code}" -d x "$CARPD_URL/metrics") && [ "$c" -ge 400 ]'
y=$T_DIR/y1
check "syncd over IPv6: GET /metrics parses, syncd only, node 1" eval '
	nsx client curl -sS -g -o "$y" "$SYNCD_URL/metrics" && prom "$y" &&
	[ "$(val "$y" "carpsync_syncd_node_id{}")" = 1 ] && ! grep -q carpsync_carpd_ "$y"'
check "syncd: other paths 404" eval '[ "$(nsx client curl -g -s -o /dev/null -w "%{http_code}" "$SYNCD_URL/x")" = 404 ]'

log "50 idle connections to carpd's /metrics port"
# idle.py: open N connections, send nothing; print the slowest time until
# the daemon closed one (it must, by its timeout), or "open" after 10 s
cat > "$T_DIR/idle.py" <<'PY'
import socket, sys, time, select
n, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
t0 = time.monotonic()
socks = [socket.create_connection((host, port), timeout=2) for _ in range(n)]
print("connected", flush=True)
left, worst = set(socks), 0.0
while left and time.monotonic() - t0 < 10:
    r, _, _ = select.select(list(left), [], [], 0.5)
    for s in r:
        if s.recv(1) == b"":
            left.discard(s); worst = time.monotonic() - t0
print("open" if left else "%.1f" % worst)
PY
fds0=$(fd_count "$(pid_of fw1)")
nsx client "$PY" "$T_DIR/idle.py" 50 192.0.2.1 9101 >"$T_DIR/idle.out" 2>&1 &
idle=$!
poll_for 3 grep -q connected "$T_DIR/idle.out"
check "with 50 idle connections carpd answers /metrics within 1 s" eval '
	nsx client curl -s -m 1 -o "$h" "$CARPD_URL/metrics" && prom "$h" &&
	[ "$(fd_count "$(pid_of fw1)")" -ge $((fds0 + 50)) ]'
wait $idle
log "the idle connections were closed after $(tail -n 1 "$T_DIR/idle.out") s"
check "carpd closed every idle connection by its 5 s timeout (< 8 s)" eval '
	w=$(tail -n 1 "$T_DIR/idle.out") && [ "$w" != open ] && awk -v w="$w" "BEGIN { exit !(w >= 4 && w < 8) }"' ||
	cat "$T_DIR/idle.out"
check "carpd's descriptors back to where they were" poll_for 2 eval '[ "$(fd_count "$(pid_of fw1)")" -le "$fds0" ]'

log "reload with another metrics-listen: kept, logged"
sed -i "s/^metrics-listen 192.0.2.1:9101/metrics-listen 192.0.2.1:9109/" "$T_DIR/fw1/carpd.conf"
kill -HUP "$(pid_of fw1)"
check "carpd logs that the change needs a restart" poll_for 2 grep -q "reload: metrics-listen change needs a restart" "$T_DIR/fw1/carpd.log"
check "the running listener still serves" eval 'nsx client curl -s -o "$h" "$CARPD_URL/metrics" && prom "$h"'

log "failover: fw1 demoted by 50, fw2 preempts"
t0=$(transitions fw1 1)
check "fw1 demote carp 50 accepted" ctl fw1 demote carp 50
check "fw2 becomes MASTER" poll_for 5 is_state fw2 1 MASTER
check "fw1 BACKUP" poll_for 2 is_state fw1 1 BACKUP
metrics metrics >"$m" 2>/dev/null
check "metrics: fw1 vhid 1 backup 1, master 0, one more transition" eval 'prom "$m" &&
	[ "$(val "$m" "carpsync_carpd_vhost_state{ifname=carp1,state=backup,vhid=1}")" = 1 ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_state{ifname=carp1,state=master,vhid=1}")" = 0 ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_transitions_total{ifname=carp1,vhid=1}")" = $((t0 + 1)) ]'
check "metrics: group carp 50, vhost advertises 50, as in status -j" eval '
	[ "$(val "$m" "carpsync_carpd_group_demote{group=carp}")" = 50 ] &&
	[ "$(group_demote fw1 carp)" = 50 ] &&
	[ "$(val "$m" "carpsync_carpd_vhost_demote{ifname=carp1,vhid=1}")" = 50 ]'
check "syncd follows: master 0" poll_for 3 eval 'metrics metrics >"$m" 2>/dev/null && prom "$m" &&
	[ "$(val "$m" "carpsync_syncd_master{}")" = 0 ]'

log "$N adverts with TTL 1 from the client"
b0=$(val "$m" "carpsync_carpd_vhost_drops_total{ifname=carp1,reason=badttl,vhid=1}")
nsx client "$INJECT" -i eth0 -s 192.0.2.100 -a $VIP/24 -p carpsync-test -b 0 -k 200 -t 1 -c $N >/dev/null
check "badttl +$N in metrics, as in status -j" poll_for 2 eval '
	metrics metrics >"$m" 2>/dev/null && prom "$m" &&
	v=$(val "$m" "carpsync_carpd_vhost_drops_total{ifname=carp1,reason=badttl,vhid=1}") &&
	[ "$v" = $((b0 + N)) ] && [ "$v" = "$(counter fw1 1 badttl)" ]'
check "the HTTP page agrees" eval 'nsx client curl -s -o "$h" "$CARPD_URL/metrics" && prom "$h" &&
	[ "$(val "$h" "carpsync_carpd_vhost_drops_total{ifname=carp1,reason=badttl,vhid=1}")" = $((b0 + N)) ]'

log "carpctl watch"
w=$T_DIR/watch
metrics watch -n 2 -i 1 >"$w" 2>&1; rc=$?
check "watch -n 2: exit 0, two snapshots separated by a blank line" eval '
	[ "$rc" = 0 ] && [ "$(grep -c "^carpctl watch" "$w")" = 2 ] && grep -q "^$" "$w" && ! grep -q $(printf "\033") "$w"'
check "watch shows vhid 1 BACKUP, group carp, syncd node and peer 2" eval '
	[ "$(grep -Ec "^1 +carp1 +BACKUP" "$w")" = 2 ] && grep -q "groups: carp=" "$w" &&
	grep -q "^syncd: node 1 " "$w" && grep -Eq "^2 +[0-9]+ +[0-9]+" "$w"'

log "daemons away"
nsx fw1 "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" -S "$T_DIR/none.sock" metrics >"$m" 2>/dev/null; rc=$?
check "syncd away: exit 0, syncd_up 0, carpd_up 1" eval '[ "$rc" = 0 ] && prom "$m" &&
	[ "$(val "$m" "carpsync_syncd_up{}")" = 0 ] && [ "$(val "$m" "carpsync_carpd_up{}")" = 1 ]'
nsx fw1 "$CARPCTL" -s "$T_DIR/none1.sock" -S "$T_DIR/none2.sock" metrics >"$m" 2>"$m.err"; rc=$?
check "both away: exit 1, both up 0" eval '[ "$rc" = 1 ] && prom "$m" &&
	[ "$(val "$m" "carpsync_syncd_up{}")" = 0 ] && [ "$(val "$m" "carpsync_carpd_up{}")" = 0 ] &&
	grep -q "neither" "$m.err"'
check "carpd still serves after all of it" eval 'nsx client curl -s -o "$h" "$CARPD_URL/metrics" && prom "$h"'
finish
