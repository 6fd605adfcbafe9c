#!/bin/bash
# Section 2: advertisement interval accuracy. One carpd (fw1, alone, so
# MASTER) per setting; tcpdump on its bridge port times BENCH_ADVERTS
# consecutive adverts (kernel timestamps).
# usage: bench_interval.sh BUILD_DIR
T_NAME=interval
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
BENCH_ADVERTS=${BENCH_ADVERTS:-100}
SETTINGS=${BENCH_INTERVALS:-"1/0 0/64 0/10"}

# interval_stats: ms values on stdin -> "n median mean min max p5 p95"
interval_stats() {
	sort -g | awk '{ v[++n] = $1; s += $1 }
	function q(p,  h, i) { h = (n - 1) * p + 1; i = int(h)
		return i >= n ? v[n] : v[i] + (h - i) * (v[i + 1] - v[i]) }
	END {
		if (n == 0) { print "0 NA NA NA NA NA NA"; exit }
		printf "%d %.3f %.3f %.3f %.3f %.3f %.3f\n", n, q(0.5), s / n, v[1], v[n], q(0.05), q(0.95)
	}'
}

adverts_ge() {		# adverts_ge N: fw1 has put N adverts on the wire
	[ "$(grep -c '^[0-9.]* p-fw1 .* 192.0.2.1 > 224.0.0.18: VRRP' "$CAP_FILE")" -ge "$1" ]
}

measure() {		# measure ADVBASE ADVSKEW -> fills $T_DIR/iv.B_S
	local b=$1 s=$2 t need f="$T_DIR/iv.$1_$2"
	t=$(awk -v b="$b" -v s="$s" 'BEGIN { printf "%.4f", b + s / 256 }')
	need=$((BENCH_ADVERTS + 1))
	progress "advbase $b advskew $s: $need adverts of ${t} s"
	bench_stop_carpd fw1
	bench_global fw1
	add_vhost fw1 1 eth0 "$b" "$s" "192.0.2.254/24"
	start_carpd fw1 || return 1
	wait_for "$(awk -v t="$t" 'BEGIN { print 3 * t + 3 }')" is_state fw1 1 MASTER || return 1
	cap_start "$T_DIR/cap.$b.$s" || return 1
	wait_for "$(awk -v t="$t" -v n="$need" 'BEGIN { print n * t * 1.5 + 5 }')" \
		adverts_ge "$need"
	cap_stop
	bench_stop_carpd fw1
	awk -v n="$need" '$2 == "p-fw1" && $3 != "Out" && $5 == "192.0.2.1" && /VRRP/ {
		if (p != "") printf "%.3f\n", ($1 - p) * 1000; p = $1; if (++c >= n) exit }' \
		"$CAP_FILE" >"$f"
}

topo_lan || bench_fatal "topology"
ok=0
for bs in $SETTINGS; do
	measure "${bs%/*}" "${bs#*/}" && ok=$((ok + 1))
done

say "2. Advertisement interval accuracy (carpd MASTER alone; tcpdump on its bridge port)"
say "   nominal = advbase + advskew/256 s; dev = median - nominal; target |dev| <= 5 ms"
say "   (acceptance test 3 of carp-protocol.md). All values in ms."
say ""
fmt='  %-9s %9s %5s %9s %8s %9s %9s %9s %9s %9s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" "base/skew" nominal n median dev mean min max p5 p95 verdict
for bs in $SETTINGS; do
	b=${bs%/*}; s=${bs#*/}
	nom=$(awk -v b="$b" -v s="$s" 'BEGIN { printf "%.3f", (b + s / 256) * 1000 }')
	read -r n med mean min max p5 p95 <<<"$(interval_stats <"$T_DIR/iv.${b}_$s" 2>/dev/null || echo "0 NA NA NA NA NA NA")"
	if [ "$n" -gt 0 ]; then
		dev=$(awk -v m="$med" -v x="$nom" 'BEGIN { printf "%+.3f", m - x }')
		v=$(awk -v d="$dev" 'BEGIN { print (d <= 5 && d >= -5) ? "met" : "missed" }')
	else
		dev=NA; v="n/a"
	fi
	# shellcheck disable=SC2059
	printf "$fmt" "$bs" "$nom" "$n" "$med" "$dev" "$mean" "$min" "$max" "$p5" "$p95" "$v"
	name="interval_${b}_$s"
	{
		bench_line "$name.nominal" "$nom" ms
		bench_line "$name.adverts" "$((n + (n > 0)))" count
		bench_line "$name.median" "$med" ms
		bench_line "$name.dev" "$dev" ms
		bench_line "$name.mean" "$mean" ms
		bench_line "$name.min" "$min" ms
		bench_line "$name.max" "$max" ms
		bench_line "$name.p5" "$p5" ms
		bench_line "$name.p95" "$p95" ms
		bench_line "$name.met" "$([ "$v" = met ] && echo 1 || echo 0)" bool
	} >>"$T_DIR/bench-lines"
done
flush_lines
n_set=$(wc -w <<<"$SETTINGS")
[ "$ok" -eq "$n_set" ] || { say "interval: $((n_set - ok)) setting(s) could not run"; exit 2; }
exit 0
