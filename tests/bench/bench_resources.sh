#!/bin/bash
# Section 3: carpd's CPU and memory with 8 vhids at advbase 1 on one
# carpdev: fw1 MASTER of all 8, fw2 BACKUP of all 8 (advskew 100), both
# measured over the same BENCH_CPU_SECONDS window from /proc.
# usage: bench_resources.sh BUILD_DIR
T_NAME=resources
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
CPU_SECONDS=${BENCH_CPU_SECONDS:-60}
SLICES=6
HZ=$(getconf CLK_TCK)

ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }	# utime + stime
runns() { awk '{ print $1 }' "/proc/$1/schedstat"; }	# ns on the CPU
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
all_state() {		# all_state NODE STATE: every vhid 1-8 in STATE
	[ "$(ctl "$1" -j status | jq --arg s "$2" '[.vhosts[] | select(.state == $s)] | length')" = 8 ]
}
sent() { ctl "$1" -j status | jq '.counters.opackets'; }
rcvd() { ctl "$1" -j status | jq '.counters.ipackets'; }

topo_lan || bench_fatal "topology"
for n in fw1 fw2; do bench_global $n; done
for v in 1 2 3 4 5 6 7 8; do
	add_vhost fw1 "$v" eth0 1 0 "192.0.2.$((200 + v))/24"
	add_vhost fw2 "$v" eth0 1 100 "192.0.2.$((200 + v))/24"
done
start_carpd fw1 && start_carpd fw2 || bench_fatal "carpd did not start"
wait_for 10 all_state fw1 MASTER && wait_for 5 all_state fw2 BACKUP ||
	bench_fatal "8 vhids did not settle (fw1 MASTER, fw2 BACKUP)"
p1=$(pid_of fw1); p2=$(pid_of fw2)
[ "$(cat "/proc/$p1/comm")" = carpd ] && [ "$(cat "/proc/$p2/comm")" = carpd ] ||
	bench_fatal "PIDs are not carpd's"
sleep 2			# past the takeover's GARPs

progress "measuring CPU over ${CPU_SECONDS} s ($SLICES slices)"
slice=$(awk -v s="$CPU_SECONDS" -v n="$SLICES" 'BEGIN { printf "%.3f", s / n }')
t0=$EPOCHREALTIME; k1=$(ticks "$p1"); k2=$(ticks "$p2"); r1=$(runns "$p1"); r2=$(runns "$p2")
o1=$(sent fw1); i2=$(rcvd fw2)
tp=$t0; q1=$r1; q2=$r2
for _ in $(seq 1 $SLICES); do
	sleep "$slice"
	t=$EPOCHREALTIME; x1=$(runns "$p1"); x2=$(runns "$p2")
	awk -v a="$q1" -v b="$x1" -v w0="$tp" -v w1="$t" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 / (w1 - w0) * 100 }' >>"$T_DIR/slices.fw1"
	awk -v a="$q2" -v b="$x2" -v w0="$tp" -v w1="$t" 'BEGIN { printf "%.4f\n", (b - a) / 1e9 / (w1 - w0) * 100 }' >>"$T_DIR/slices.fw2"
	tp=$t; q1=$x1; q2=$x2
done
t1=$EPOCHREALTIME; e1=$(ticks "$p1"); e2=$(ticks "$p2"); s1=$(runns "$p1"); s2=$(runns "$p2")
o1e=$(sent fw1); i2e=$(rcvd fw2)
states_ok=yes
all_state fw1 MASTER && all_state fw2 BACKUP || states_ok="NO (roles changed during the window)"

wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
row() {		# row NODE ROLE PID TICKS0 TICKS1 NS0 NS1
	local node=$1 role=$2 p=$3 cpu_t cpu_s smin smax rss anon hwm v1 v2
	cpu_t=$(awk -v a="$4" -v b="$5" -v hz="$HZ" -v w="$wall" 'BEGIN { printf "%.4f", (b - a) / hz / w * 100 }')
	cpu_s=$(awk -v a="$6" -v b="$7" -v w="$wall" 'BEGIN { printf "%.4f", (b - a) / 1e9 / w * 100 }')
	read -r smin smax <<<"$(sort -g "$T_DIR/slices.$node" | awk 'NR == 1 { a = $1 } { b = $1 } END { print a, b }')"
	rss=$(status_kb "$p" VmRSS); anon=$(status_kb "$p" RssAnon); hwm=$(status_kb "$p" VmHWM)
	v1=$(awk -v c="$cpu_t" 'BEGIN { print (c < 0.1) ? "met" : "missed" }')
	v2=$(awk -v a="$anon" 'BEGIN { print (a <= 4096) ? "met" : "missed" }')
	# shellcheck disable=SC2059
	printf "$fmt" "$node $role" "$((${5} - ${4}))" "$cpu_t" "$cpu_s" "$smin-$smax" "$rss" "$anon" "$hwm" "$v1/$v2"
	{
		bench_line "cpu_8vhid_$role.ticks" "$((${5} - ${4}))" "ticks(1/$HZ s)"
		bench_line "cpu_8vhid_$role.cpu" "$cpu_t" "%"
		bench_line "cpu_8vhid_$role.cpu_schedstat" "$cpu_s" "%"
		bench_line "cpu_8vhid_$role.cpu_slice_min" "$smin" "%"
		bench_line "cpu_8vhid_$role.cpu_slice_max" "$smax" "%"
		bench_line "mem_8vhid_$role.vmrss" "$rss" kB
		bench_line "mem_8vhid_$role.rssanon" "$anon" kB
		bench_line "mem_8vhid_$role.vmhwm" "$hwm" kB
		bench_line "cpu_8vhid_$role.met" "$([ "$v1" = met ] && echo 1 || echo 0)" bool
		bench_line "mem_8vhid_$role.met" "$([ "$v2" = met ] && echo 1 || echo 0)" bool
	} >>"$T_DIR/bench-lines"
}

say "3. carpd CPU and memory: 8 vhids (1-8) at advbase 1 on one carpdev"
say "   fw1 MASTER of all 8 (advskew 0), fw2 BACKUP of all 8 (advskew 100), log-level info,"
say "   one window of $wall s for both. CPU = (utime+stime) ticks / CLK_TCK ($HZ/s) / wall"
say "   (resolution $(awk -v hz="$HZ" -v w="$wall" 'BEGIN { printf "%.4f", 100 / hz / w }') % per tick);"
say "   schedstat = the kernel's ns run time, the precise figure; slice = min-max over $SLICES"
say "   slices of $slice s (schedstat). Memory from /proc/PID/status at the end, kB."
say "   Targets: CPU < 0.1 % of a core, RssAnon <= 4096 kB (4 MiB)."
say "   Adverts in the window: fw1 sent $((o1e - o1)), fw2 received $((i2e - i2)) (8/s expected each);"
say "   roles held throughout: $states_ok."
say ""
fmt='  %-12s %6s %8s %10s %15s %7s %8s %7s  %s\n'
# shellcheck disable=SC2059
printf "$fmt" node ticks "cpu %" "schedstat%" "slice % min-max" VmRSS RssAnon VmHWM "cpu/mem"
row fw1 master "$p1" "$k1" "$e1" "$r1" "$s1"
row fw2 backup "$p2" "$k2" "$e2" "$r2" "$s2"
bench_line "cpu_8vhid.window" "$wall" s >>"$T_DIR/bench-lines"
flush_lines
bench_stop_carpd fw1; bench_stop_carpd fw2
exit 0
