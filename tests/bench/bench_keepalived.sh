#!/bin/bash
# Section 4: carpd against keepalived (VRRPv3) on the same topology, one
# after the other, never both on the segment (CARP and VRRP share protocol
# 112, 224.0.0.18 and the 00:00:5e:00:01:01 MAC). Each cycle starts a fresh
# pair, silences the master (silent death), restores it, stops it with
# SIGTERM (bow-out / priority 0) and starts it again (preempt back), then
# stops both. Cycles alternate (carpd first on odd runs) so that drifting
# load on this shared machine hits both alike.
# usage: bench_keepalived.sh BUILD_DIR
T_NAME=keepalived
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
RUNS=${BENCH_CMP_RUNS:-$((2 * BENCH_RUNS))}
VIP=192.0.2.254
SRC1=192.0.2.1
SRC2=192.0.2.2
# carpd: master 0/25 (97.7 ms adverts, as keepalived's 100 ms, so that a
# failure falls at the same phase spread), backup 0/30 (master-down 3 x
# 117.2 = 351.6 ms). keepalived: advert_int 0.1, priorities 200/100:
# master-down 3 x 100 + (256 - 100) x 100 / 256 = 360.9 ms.
MD_CARPD=351.6
MD_KEEP=360.9

command -v keepalived >/dev/null || bench_fatal "keepalived not installed"

pair_start() {		# pair_start IMPL
	if [ "$1" = carpd ]; then
		bench_global fw1 "preempt yes"; bench_global fw2 "preempt yes"
		add_vhost fw1 1 eth0 0 25 "$VIP/24"
		add_vhost fw2 1 eth0 0 30 "$VIP/24"
		start_carpd fw1 && start_carpd fw2 || return 1
	else
		kl_conf fw1 1 200 0.1 "$VIP/24"
		kl_conf fw2 1 100 0.1 "$VIP/24"
		kl_start fw1; kl_start fw2
	fi
	wait_for 10 master_is fw1
}
node_stop() { if [ "$1" = carpd ]; then bench_stop_carpd "$2" TERM; else kl_stop "$2"; fi; }
node_start() { if [ "$1" = carpd ]; then start_carpd "$2"; else kl_start "$2"; fi; }
pair_stop() {		# both at once (keepalived takes ~1 s to exit)
	local p
	for p in $(pid_of fw1) $(pid_of fw2) ${KPID_fw1:-} ${KPID_fw2:-}; do
		kill -TERM "$p" 2>/dev/null
	done
	node_stop "$1" fw1; node_stop "$1" fw2
	# neither leaves its macvlan behind (it would clash with the other's)
	ip -n "$(ns fw1)" link del carp1 2>/dev/null
	ip -n "$(ns fw2)" link del carp1 2>/dev/null
	return 0
}
# The same test for both: who holds the VIP (carpd and keepalived both
# remove it from a BACKUP).
master_is() {
	local o=fw2
	[ "$1" = fw2 ] && o=fw1
	has_vip "$1" "$VIP" && ! has_vip "$o" "$VIP"
}
settle() { wait_for 3 probe_alive; sleep 0.3; }

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
	wait_for 2 probe_alive
	rand_sleep 0.1
	tev=$EPOCHREALTIME
	silence fw1
	wait_for 3 has_vip fw2 $VIP	# the silenced fw1 still holds it
	settle
	trs=$EPOCHREALTIME
	unsilence fw1
	wait_for 3 master_is fw1
	settle
	rand_sleep 0.1
	tstop=$EPOCHREALTIME
	node_stop "$im" fw1
	wait_for 3 has_vip fw2 $VIP
	settle
	rand_sleep 0.12
	tstart=$EPOCHREALTIME
	node_start "$im" fw1
	wait_for 5 master_is fw1
	settle
	tend=$EPOCHREALTIME
	probe_stop; cap_stop
	pair_stop "$im"

	fig_add "$im.silent" "$(probe_gap "$PROBE_FILE" "$tev" "$trs")"
	t2=$(adv_first $SRC2 "$tev" "$trs")
	t1=$( [ -n "$t2" ] && adv_last $SRC1 "$t2")
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
	a=$(fig_stats "carpd.$fig"); b=$(fig_stats "keepalived.$fig")
	{ grep -v '^N[AR]$' "$FIG_DIR/carpd.$fig" | sed 's/^/a /'
	  grep -v '^N[AR]$' "$FIG_DIR/keepalived.$fig" | sed 's/^/b /'; } 2>/dev/null |
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
		for im in carpd keepalived; do
			read -r n _ _ med min max _ _ <<<"$(fig_stats "$im.$fig")"
			bench_line "cmp_$im.$fig.median" "$med" ms
			bench_line "cmp_$im.$fig.min" "$min" ms
			bench_line "cmp_$im.$fig.max" "$max" ms
			bench_line "cmp_$im.$fig.runs" "$n" count
		done
		bench_line "cmp_ratio.$fig" "$ratio" "carpd/keepalived"
		bench_line "cmp_mannwhitney_p.$fig" "$p" p
	} >>"$T_DIR/bench-lines"
}

topo_lan || bench_fatal "topology"
ok=0
bad_carpd=0; bad_keepalived=0	# three failed cycles in a row: give up on it
for i in $(seq 1 "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then order="carpd keepalived"; else order="keepalived carpd"; fi
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
for im in carpd keepalived; do
	md=$MD_CARPD; [ $im = keepalived ] && md=$MD_KEEP
	while read -r v; do
		if [ "$v" = NA ]; then fig_add "$im.lag" NA; else fig_add "$im.lag" "$(awk -v v="$v" -v m="$md" 'BEGIN { printf "%.1f", v - m }')"; fi
	done <"$FIG_DIR/$im.wire_md"
done

say "4. carpd vs keepalived $(keepalived --version 2>&1 | head -n 1 | awk '{ print $2 }') (VRRPv3), same topology, one after the other"
say "   $RUNS runs of each, alternating which goes first; a fresh pair per run."
say "   carpd: fw1 advbase 0/advskew 25 (97.7 ms adverts), fw2 0/30 (master-down $MD_CARPD ms),"
say "   preempt yes, lladdr virtual (macvlan, bridge mode)."
say "   keepalived: advert_int 0.1, priority 200 / 100 (master-down $MD_KEEP ms), preempt (default),"
say "   use_vmac (macvlan 00:00:5e:00:01:01, private mode), so both keep the VIP's MAC."
say "   Outages as in section 1 (ping every ${BENCH_PROBE_IV} s, gaps with lost probes);"
say "   master-down = the backup's first advert after the master's last one (tcpdump);"
say "   lag = that minus the nominal master-down; to MASTER = restart -> first advert."
say "   \"separated\": Mann-Whitney U two-sided p < 0.01 over the runs' values."
say "   values: median [min-max] in ms; n = valid runs."
say ""
CMP_FMT='  %-33s %-22s %3s  %-22s %3s  %6s  %s\n'
# shellcheck disable=SC2059
printf "$CMP_FMT" figure carpd n keepalived n ratio separated
compare "silent death: outage" silent
compare "silent death: master-down" wire_md
compare "silent death: lag over nominal" lag
compare "SIGTERM (bow-out/prio 0): outage" bowout
compare "preempt back: start -> MASTER" to_master
compare "preempt back: outage" preempt
flush_lines
[ "$ok" -gt 0 ] || { say "keepalived: no cycle could run"; exit 2; }
exit 0
