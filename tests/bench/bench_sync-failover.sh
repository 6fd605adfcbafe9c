#!/bin/bash
# Section sync-failover: a TCP stream from the LAN client through the pair
# to the WAN server (strict ruleset, nf_conntrack_tcp_loose=0, SNAT to the
# WAN VIP; lib-sync.sh sync_topo full) while the master dies silently: nft
# netdev ingress+egress drop on each of its interfaces (eth0, eth1, sync0),
# links up. Per run a fresh pair: carpd + syncd, or keepalived (VRRPv3,
# Debian's) + conntrackd (FTFW, DisableExternalCache yes: the backup's
# kernel already holds the states, no commit step and no notify script),
# alternating which goes first. The stream: a numbered line every 10 ms,
# each echo awaited (tcp_stream.py); gap = the longest time between two
# echoes; survived = echoes until the end, no reset, and no RST on the wire
# (tcpdump on both bridges).
# usage: bench_sync-failover.sh BUILD_DIR
T_NAME=sync-failover
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
. "$(dirname "$0")/lib-sync.sh"

RUNS=$BENCH_RUNS
LVIP=192.0.2.254
WVIP=198.51.100.254
SERVER=198.51.100.10
PORT=7000
STREAM=$(realpath "$(dirname "$0")/tcp_stream.py")
KILL_AT=2		# s into the stream
DUR=6
# carpd: fw1 advbase 0 advskew 5 (19.5 ms adverts), fw2 0/10 (39 ms):
# master-down 3 x 39.1 = 117.2 ms. keepalived: advert_int 0.04 both,
# priority 200 / 100: master-down 3 x 40 + (256 - 100) / 256 x 40 = 144.4 ms.
MD_CARPD=117.2
MD_KEEP=144.4

for t in python3 conntrackd conntrack; do command -v $t >/dev/null || bench_fatal "$t not installed"; done
[ -x "$SYNCD" ] || bench_fatal "$SYNCD missing"
sync_topo full || bench_fatal "topology"
ip -n "$(ns client)" route add default via $LVIP || bench_fatal "client route"
ip netns exec "$(ns server)" python3 "$STREAM" server $PORT >/dev/null 2>&1 &
track "$!"

carp_up() {
	local n
	for n in fw1 fw2; do bench_global $n; done
	add_vhost fw1 1 eth0 0 5 "$LVIP/24"
	add_vhost fw1 2 eth1 0 5 "$WVIP/24"
	add_vhost fw2 1 eth0 0 10 "$LVIP/24"
	add_vhost fw2 2 eth1 0 10 "$WVIP/24"
	syncd_conf fw1 1; syncd_conf fw2 2
	start_carpd fw1 && wait_for 10 is_state fw1 1 MASTER && wait_for 5 is_state fw1 2 MASTER || return 1
	start_carpd fw2 && wait_for 5 is_state fw2 1 BACKUP || return 1
	syncd_start fw1 && syncd_start fw2 || return 1
	# fw2's bulk is over once syncd drops its demotion
	poll_for 10 eval '[ "$(syncd_stat fw2 .held_demote)" = 0 ] && [ "$(syncd_stat fw2 .bulk)" = DONE ]'
}
carp_down() {
	syncd_stop fw1; syncd_stop fw2
	bench_stop_carpd fw1; bench_stop_carpd fw2
}
carp_backup_took_over() { is_state fw2 1 MASTER && is_state fw2 2 MASTER; }

kl_pair_conf() {	# kl_pair_conf NODE PRIORITY
	mkdir -p "$T_DIR/$1"
	cat >"$T_DIR/$1/keepalived.conf" <<EOF
global_defs {
	router_id bench-$1
	vrrp_version 3
}
vrrp_sync_group pair {
	group {
		lan
		wan
	}
}
vrrp_instance lan {
	state BACKUP
	interface eth0
	virtual_router_id 1
	priority $2
	advert_int 0.04
	virtual_ipaddress {
		$LVIP/24 dev eth0
	}
}
vrrp_instance wan {
	state BACKUP
	interface eth1
	virtual_router_id 2
	priority $2
	advert_int 0.04
	virtual_ipaddress {
		$WVIP/24 dev eth1
	}
}
EOF
}
kl_up() {
	kl_pair_conf fw1 200; kl_pair_conf fw2 100
	ctd_conf fw1 203.0.113.2 203.0.113.1 yes
	ctd_conf fw2 203.0.113.1 203.0.113.2 yes
	ctd_start fw1 && ctd_start fw2 || return 1
	kl_start fw1
	wait_for 10 has_vip fw1 $LVIP && wait_for 5 has_vip fw1 $WVIP || return 1
	kl_start fw2
	sleep 1		# fw2 settles as BACKUP, conntrackd's FTFW hello
	! has_vip fw2 $LVIP
}
kl_down() {
	local p
	for p in ${KPID_fw1:-} ${KPID_fw2:-}; do kill -TERM "$p" 2>/dev/null; done
	kl_stop fw1; kl_stop fw2
	ctd_stop fw1; ctd_stop fw2
	ip -n "$(ns fw1)" addr del $LVIP/24 dev eth0 2>/dev/null
	ip -n "$(ns fw1)" addr del $WVIP/24 dev eth1 2>/dev/null
	ip -n "$(ns fw2)" addr del $LVIP/24 dev eth0 2>/dev/null
	ip -n "$(ns fw2)" addr del $WVIP/24 dev eth1 2>/dev/null
	return 0
}
kl_backup_took_over() { has_vip fw2 $LVIP && has_vip fw2 $WVIP; }

# the stream's entry replicated to fw2 (its client port, fw2's kernel)
flow_on_fw2() {
	local p
	p=$(awk '$1 == "PORT" { print $2 }' "$1")
	[ -n "$p" ] && nsx fw2 conntrack -L -p tcp --sport "$p" --dport $PORT 2>/dev/null | grep -q ESTABLISHED
}

run() {			# run IMPL I
	local im=$1 d="$T_DIR/$1.$2" cp sp tev tmd rst st gap
	mkdir -p "$d"
	if ! "${im}_up"; then
		progress "$im run $2: pair did not settle"
		"${im}_down"
		fig_add "$im.gap" NA; fig_add "$im.survived" NA
		return 1
	fi
	ip netns exec "$(ns lan)" tcpdump -i any -n -tt -l --immediate-mode \
	    "tcp port $PORT and tcp[tcpflags] & tcp-rst != 0" >"$d/rst" 2>"$d/rst.err" &
	cp=$!
	track "$cp"
	poll_for 5 grep -q listening "$d/rst.err"
	ip netns exec "$(ns client)" python3 "$STREAM" client $SERVER $PORT $DUR 0.01 "$d/stream" &
	sp=$!
	track "$sp"
	poll_for 3 flow_on_fw2 "$d/stream" || progress "$im run $2: the flow is not on fw2 after 3 s"
	sleep "$(awk -v k=$KILL_AT 'BEGIN { print k - 0.5 }')"
	rand_sleep 0.5		# any phase of the master's adverts
	tev=$EPOCHREALTIME
	silence_all fw1
	poll_for 3 "${im}_backup_took_over" && tmd=$EPOCHREALTIME
	wait "$sp" 2>/dev/null
	untrack "$sp"
	stop_pid "$cp" TERM
	unsilence_all fw1
	"${im}_down"
	ct_flush fw1; ct_flush fw2
	read -r _ st _ gap <<<"$(grep '^END' "$d/stream")"
	# tcpdump -i any sees one RST at each bridge port it crosses; count
	# packets, not sightings (same time to 1 ms)
	rst=$(awk '/Flags \[R/ { t = sprintf("%.3f", $1); if (!(t in seen)) { seen[t]; n++ } } END { print n + 0 }' "$d/rst")
	if [ -z "${st:-}" ]; then
		fig_add "$im.gap" NA; fig_add "$im.survived" NA
		return 1
	fi
	fig_add "$im.gap" "$(awk -v g="$gap" 'BEGIN { printf "%.1f", g * 1000 }')"
	fig_add "$im.survived" "$([ "$st" = ok ] && [ "$rst" = 0 ] && echo 1 || echo 0)"
	fig_add "$im.rst" "$rst"
	fig_add "$im.takeover" "$(ms_between "$tev" "${tmd:-}")"
	progress "$im run $2: $st, longest gap $(awk -v g="$gap" 'BEGIN { printf "%.0f", g * 1000 }') ms, $rst RST"
}

have_kl=1
command -v keepalived >/dev/null || have_kl=0
bad_carp=0; bad_kl=0
for i in $(seq 1 "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then order="carp kl"; else order="kl carp"; fi
	for im in $order; do
		[ $im = kl ] && [ $have_kl = 0 ] && continue
		if [ "$(eval "echo \$bad_$im")" -ge 3 ]; then
			fig_add "$im.gap" NA; fig_add "$im.survived" NA
			continue
		fi
		if run $im "$i"; then eval "bad_$im=0"; else eval "bad_$im=\$((bad_$im + 1))"; fi
	done
done

survived() {		# survived IMPL -> "k/n"
	awk '$1 == 1 { k++ } $1 != "NA" { n++ } END { printf "%d/%d\n", k, n }' "$FIG_DIR/$1.survived" 2>/dev/null
}
say "sync-failover. A TCP stream client -> fw1|fw2 -> server through the VIPs (strict nft"
say "   ruleset, nf_conntrack_tcp_loose=0, SNAT to $WVIP), the master silenced (nft netdev"
say "   ingress+egress drop on eth0, eth1, sync0; links up) ~$KILL_AT s into a $DUR s stream."
say "   Stream: a numbered line every 10 ms, each echo awaited (tests/bench/tcp_stream.py);"
say "   gap = longest time between two echoes (the failover's stall plus up to 10 ms)."
say "   carpd + syncd: fw1 0/5, fw2 advbase 0 advskew 10 (39 ms adverts, master-down $MD_CARPD ms)."
say "   keepalived + conntrackd: VRRPv3 advert_int 0.04, priority 200/100 (master-down $MD_KEEP"
say "   ms), sync group lan+wan; conntrackd FTFW with DisableExternalCache yes on both."
say "   $RUNS runs each, alternating; a fresh pair per run. A gap of ~210 ms is one TCP"
say "   retransmission (RTO minimum 200 ms): the segment lost while no node forwarded;"
say "   a takeover past it would show as ~600 ms (the next, doubled RTO)."
say ""
table_head "failover (ms)"
fig_row "carpd+syncd: longest stream gap" carp.gap ms 350
fig_row "carpd+syncd: silence -> fw2 MASTER (carpctl)" carp.takeover ms
if [ $have_kl = 1 ]; then
	fig_row "keepalived+conntrackd: longest stream gap" kl.gap ms
	fig_row "keepalived+conntrackd: silence -> VIPs on fw2" kl.takeover ms
fi
say ""
SV=$(survived carp)
say "   stream survived (echoes to the end, no reset, no RST on the wire):"
say "     carpd+syncd: $SV runs (target: every run)$([ "${SV%/*}" = "${SV#*/}" ] && [ "${SV#*/}" != 0 ] && echo ", met" || echo ", missed")"
bench_line carp.survived "$SV" runs >>"$T_DIR/bench-lines"
bench_line carp.survived.met "$([ "${SV%/*}" = "${SV#*/}" ] && [ "${SV#*/}" != 0 ] && echo 1 || echo 0)" bool >>"$T_DIR/bench-lines"
if [ $have_kl = 1 ]; then
	say "     keepalived+conntrackd: $(survived kl) runs"
	bench_line kl.survived "$(survived kl)" runs >>"$T_DIR/bench-lines"
	say ""
	cmp_head
	cmp_row "longest stream gap (ms)" carp.gap kl.gap failover_gap
else
	say "     keepalived+conntrackd: NR (keepalived not installed)"
fi
flush_lines
[ "$(survived carp | cut -d/ -f2)" -gt 0 ] || { say "sync-failover: no carpd+syncd run could be measured"; exit 2; }
exit 0
