#!/bin/bash
# Section ucarp: carpd against Debian's ucarp (CARP too, userland, libpcap)
# on the same topology and probe as bench_failover and bench_keepalived,
# one after the other, never both on the segment. Each cycle starts a
# fresh pair, silences the master (silent death), restores it, stops it
# with SIGTERM and starts it again (preempt back), then stops both. Cycles
# alternate (carpd first on odd runs) so that drifting load on this
# shared machine hits both alike.
# usage: bench_ucarp.sh BUILD_DIR
T_NAME=ucarp
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
RUNS=$BENCH_RUNS
VIP=192.0.2.254
SRC1=192.0.2.1
SRC2=192.0.2.2
UCARP=${UCARP:-/usr/sbin/ucarp}
PASS=carpsync-bench	# ucarp refuses more than 19 bytes
# advbase 1 for both: ucarp's poll loop sleeps a whole advert interval in
# BACKUP and reads through libpcap (1 s capture timeout), so sub-second
# timers mean nothing to it, and its master-down (dead_ratio x advbase +
# advskew/256) only matches carpd's (3 x (advbase + advskew/256)) for
# whole seconds. fw1 1/0, fw2 1/1: master-down carpd 3 x 1.0039 s,
# ucarp 3 x 1 + 1/256 s; preempt on both.
MD_CARPD=3011.7
MD_UCARP=3003.9

[ -x "$UCARP" ] || bench_fatal "$UCARP not installed"

# ucarp's up/down scripts (`script IFNAME VIP`) move the VIP: ucarp has no
# virtual MAC, the client's ARP entry flips on its gratuitous ARP
ucarp_scripts() {
	printf '#!/bin/sh\nip addr add "$2"/24 dev "$1"\n' >"$T_DIR/up.sh"
	printf '#!/bin/sh\nip addr del "$2"/24 dev "$1" 2>/dev/null\nexit 0\n' >"$T_DIR/down.sh"
	chmod +x "$T_DIR/up.sh" "$T_DIR/down.sh"
}

uc_start() {		# uc_start NODE: ucarp in the node's namespace
	local src=$SRC1 skew=0
	[ "$1" = fw2 ] && { src=$SRC2; skew=1; }
	mkdir -p "$T_DIR/$1"
	ip netns exec "$(ns "$1")" "$UCARP" -i eth0 -s "$src" -v 1 -p "$PASS" -a $VIP \
		-b 1 -k $skew -P -z -u "$T_DIR/up.sh" -d "$T_DIR/down.sh" \
		>>"$T_DIR/$1/ucarp.log" 2>&1 &
	eval "UPID_$1=$!"
	track "$!"
}
uc_stop() {		# uc_stop NODE: TERM (-z: the down script runs), bounded
	local p
	p=$(eval "echo \${UPID_$1:-}")
	[ -n "$p" ] || return 0
	stop_pid "$p" TERM
	eval "UPID_$1="
	return 0
}

pair_start() {		# pair_start IMPL
	if [ "$1" = carpd ]; then
		bench_global fw1 "preempt yes"; bench_global fw2 "preempt yes"
		add_vhost fw1 1 eth0 1 0 "$VIP/24"
		add_vhost fw2 1 eth0 1 1 "$VIP/24"
		start_carpd fw1 && start_carpd fw2 || return 1
	else
		uc_start fw1; uc_start fw2
	fi
	wait_for 10 master_is fw1
}
node_stop() { if [ "$1" = carpd ]; then bench_stop_carpd "$2" TERM; else uc_stop "$2"; fi; }
node_start() { if [ "$1" = carpd ]; then start_carpd "$2"; else uc_start "$2"; fi; }
pair_stop() {
	local p
	for p in $(pid_of fw1) $(pid_of fw2) ${UPID_fw1:-} ${UPID_fw2:-}; do
		kill -TERM "$p" 2>/dev/null
	done
	node_stop "$1" fw1; node_stop "$1" fw2
	# neither leaves its VIP behind (carpd's macvlan, ucarp's address)
	for n in fw1 fw2; do
		ip -n "$(ns $n)" link del carp1 2>/dev/null
		ip -n "$(ns $n)" addr del $VIP/24 dev eth0 2>/dev/null
	done
	nsx client ip neigh flush dev eth0 2>/dev/null
	return 0
}
# The same test for both: who holds the VIP (both remove it from a BACKUP).
master_is() {
	local o=fw2
	[ "$1" = fw2 ] && o=fw1
	has_vip "$1" "$VIP" && ! has_vip "$o" "$VIP"
}
settle() { wait_for 6 probe_alive; sleep 0.3; }

# The silent death is cut at the switch: fw1's bridge port drops every
# frame both ways, the link stays up. lib.sh's silence drops in fw1's own
# egress hook, where a write() fails with ENOBUFS: ucarp counts that as
# send errors and advertises advskew 240 (CARP_BULK_UPDATE_MIN_DELAY)
# when it is heard again, which no dead host does.
cut() {
	nsx lan nft -f - <<NFT
table netdev bench_cut {
	chain in { type filter hook ingress device p-fw1 priority -500; policy drop; }
	chain out { type filter hook egress device p-fw1 priority -500; policy drop; }
}
NFT
}
uncut() { nsx lan nft delete table netdev bench_cut; }
heard() { [ -n "$(adv_last "$1" 1e12)" ]; }

cycle() {		# cycle IMPL RUN
	local im=$1 d="$T_DIR/$1.$2" tev trs tstop tstart tend t1 t2
	mkdir -p "$d"
	if ! pair_start "$im"; then
		progress "$im run $2: pair did not settle"
		pair_stop "$im"
		for f in silent wire_md bowout to_master preempt; do fig_add "$im.$f" NA; done
		return 1
	fi
	cap_start "$d/cap"
	probe_start "$d/ping" $VIP
	wait_for 3 probe_alive
	wait_for 3 heard $SRC1		# the master's last advert is on record
	rand_sleep 1
	tev=$EPOCHREALTIME
	cut
	wait_for 8 has_vip fw2 $VIP	# the cut-off fw1 still holds it
	settle
	trs=$EPOCHREALTIME
	uncut
	wait_for 5 master_is fw1
	settle
	# not a measured event, but the next one needs a working probe: ucarp's
	# restore has left the client on fw2's MAC after fw2 yielded (the
	# client's ARP entry kept it): counted, then the entry is flushed
	if ! probe_alive; then
		fig_add "$im.restore_stuck" 1
		nsx client ip neigh flush dev eth0
		settle
	else
		fig_add "$im.restore_stuck" 0
	fi
	rand_sleep 1
	tstop=$EPOCHREALTIME
	node_stop "$im" fw1
	wait_for 8 has_vip fw2 $VIP
	settle
	rand_sleep 1
	tstart=$EPOCHREALTIME
	node_start "$im" fw1
	wait_for 8 master_is fw1
	settle
	tend=$EPOCHREALTIME
	probe_stop; cap_stop
	pair_stop "$im"

	fig_add "$im.silent" "$(probe_gap "$PROBE_FILE" "$tev" "$trs")"
	echo "$tev $trs $tstop $tstart $tend" >"$d/times"
	# the capture sees fw1's adverts enter its bridge port, cut or not:
	# its last one that got through is the last before the cut
	t2=$(adv_first $SRC2 "$tev" "$trs")
	t1=$( [ -n "$t2" ] && adv_last $SRC1 "$tev")
	fig_add "$im.wire_md" "$(ms_between "$t1" "$t2")"
	fig_add "$im.bowout" "$(probe_gap "$PROBE_FILE" "$tstop" "$tstart")"
	t1=$(adv_first $SRC1 "$tstart" "$tend")
	fig_add "$im.to_master" "$(ms_between "$tstart" "$t1")"
	fig_add "$im.preempt" "$(probe_gap "$PROBE_FILE" "$tstart" "$tend")"
}

# compare LABEL FIG: a row with both medians [min-max], the ratio of the
# medians, and whether the two samples are separated: Mann-Whitney U,
# two-sided, normal approximation with tie correction, p < 0.01.
compare() {
	local label=$1 fig=$2 a b
	a=$(fig_stats "carpd.$fig"); b=$(fig_stats "ucarp.$fig")
	{ grep -v '^N[AR]$' "$FIG_DIR/carpd.$fig" | sed 's/^/a /'
	  grep -v '^N[AR]$' "$FIG_DIR/ucarp.$fig" | sed 's/^/b /'; } 2>/dev/null |
	sort -k2,2g | awk -v label="$label" -v sa="$a" -v sb="$b" -v fmt="$CMP_FMT" '
	{ g[NR] = $1; x[NR] = $2 + 0 }
	END {
		n = NR
		# midranks
		for (i = 1; i <= n; ) {
			for (j = i; j < n && x[j + 1] == x[i]; j++) ;
			for (k = i; k <= j; k++) r[k] = (i + j) / 2
			t = j - i + 1; ties += t * t * t - t
			i = j + 1
		}
		for (i = 1; i <= n; i++) if (g[i] == "a") { na++; ra += r[i] } else nb++
		split(sa, A, " "); split(sb, B, " ")
		ratio = (A[4] != "NA" && B[4] != "NA" && B[4] > 0) ? sprintf("%.2f", A[4] / B[4]) : "NA"
		sep = "n/a"; p = ""
		if (na >= 3 && nb >= 3) {
			u = ra - na * (na + 1) / 2
			mu = na * nb / 2
			sd = sqrt(na * nb / 12 * ((n + 1) - ties / (n * (n - 1))))
			z = sd > 0 ? (u - mu) / sd : 0
			if (z < 0) z = -z
			p = erfc(z / sqrt(2))
			sep = (p < 0.01) ? "yes" : "no"
			sep = sprintf("%s (p=%.2g)", sep, p)
		}
		printf fmt, label, A[4] " [" A[5] "-" A[6] "]", A[1], B[4] " [" B[5] "-" B[6] "]", B[1], ratio, sep
		print "R", ratio, (p == "" ? "NA" : sprintf("%.3g", p)) > "/dev/stderr"
	}
	# Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7)
	function erfc(x,  t, y) {
		t = 1 / (1 + 0.3275911 * x)
		y = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
		return y * exp(-x * x)
	}' 2>"$T_DIR/cmp.tmp"
	read -r _ ratio p <"$T_DIR/cmp.tmp"
	{
		for im in carpd ucarp; do
			read -r n _ _ med min max _ _ <<<"$(fig_stats "$im.$fig")"
			bench_line "vsucarp_$im.$fig.median" "$med" ms
			bench_line "vsucarp_$im.$fig.min" "$min" ms
			bench_line "vsucarp_$im.$fig.max" "$max" ms
			bench_line "vsucarp_$im.$fig.runs" "$n" count
		done
		bench_line "vsucarp_ratio.$fig" "$ratio" "carpd/ucarp"
		bench_line "vsucarp_mannwhitney_p.$fig" "$p" p
	} >>"$T_DIR/bench-lines"
}

topo_lan || bench_fatal "topology"
ucarp_scripts
ok=0
bad_carpd=0; bad_ucarp=0	# three failed cycles in a row: give up on it
for i in $(seq 1 "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then order="carpd ucarp"; else order="ucarp carpd"; fi
	progress "run $i/$RUNS: $order"
	for im in $order; do
		if [ "$(eval "echo \$bad_$im")" -ge 3 ]; then
			for f in silent wire_md bowout to_master preempt; do fig_add "$im.$f" NA; done
		elif cycle "$im" "$i"; then
			ok=$((ok + 1)); eval "bad_$im=0"
		else
			eval "bad_$im=\$((bad_$im + 1))"
		fi
	done
done
# lag = measured master-down minus the nominal one
for im in carpd ucarp; do
	md=$MD_CARPD; [ $im = ucarp ] && md=$MD_UCARP
	while read -r v; do
		if [ "$v" = NA ]; then fig_add "$im.lag" NA; else fig_add "$im.lag" "$(awk -v v="$v" -v m="$md" 'BEGIN { printf "%.1f", v - m }')"; fi
	done <"$FIG_DIR/$im.wire_md"
done

say "ucarp. carpd vs ucarp $("$UCARP" --help 2>&1 | awk 'NR <= 3 && /^ucarp/ { print $2; exit }') (Debian), same topology, one after the other"
say "   $RUNS runs of each, alternating which goes first; a fresh pair per run."
say "   Both at advbase 1 (ucarp's loop and libpcap reads work in whole seconds):"
say "   fw1 advskew 0, fw2 advskew 1, preempt on both (carpd: preempt yes; ucarp: -P)."
say "   carpd: master-down 3 x (1 + 1/256) = $MD_CARPD ms, lladdr virtual (macvlan, virtual MAC)."
say "   ucarp: master-down 3 x 1 + 1/256 = $MD_UCARP ms, the VIP on eth0 by its up/down"
say "   scripts (ip addr add/del), gratuitous ARP with the real MAC; -z: down script on SIGTERM."
say "   Outages as in section 1 (ping every ${BENCH_PROBE_IV} s, gaps with lost probes);"
say "   master-down = the backup's first advert after the master's last one (tcpdump);"
say "   lag = that minus the nominal master-down; to MASTER = restart -> first advert."
say "   \"separated\": Mann-Whitney U two-sided p < 0.01 over the runs' values."
say "   values: median [min-max] in ms; n = valid runs."
say ""
CMP_FMT='  %-33s %-22s %3s  %-22s %3s  %6s  %s\n'
# shellcheck disable=SC2059
printf "$CMP_FMT" figure carpd n ucarp n ratio separated
compare "silent death: outage" silent
compare "silent death: master-down" wire_md
compare "silent death: lag over nominal" lag
compare "SIGTERM: outage" bowout
compare "preempt back: start -> MASTER" to_master
compare "preempt back: outage" preempt
for im in carpd ucarp; do
	n=$(grep -c '^1$' "$FIG_DIR/$im.restore_stuck" 2>/dev/null)
	say "   $im: after the silent death's restore, the probe stayed down in ${n:-0} of $RUNS runs"
	bench_line "vsucarp_$im.restore_stuck" "${n:-0}" count >>"$T_DIR/bench-lines"
done
flush_lines
[ "$ok" -gt 0 ] || { say "ucarp: no cycle could run"; exit 2; }
exit 0
