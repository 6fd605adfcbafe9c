# tests/bench/lib-bench.sh: helpers shared by the benchmark sections.
# Sourced by each tests/bench/bench_*.sh after tests/netns/lib.sh, whose
# conventions it keeps: every namespace and process is recorded and removed
# by the EXIT trap, also on Ctrl-C or when run.sh's watchdog fires. Only
# documentation addresses are used (192.0.2.0/24, 198.51.100.0/24).
#
# Clocks: the event times ($EPOCHREALTIME), the probe's reply times
# (ping -D) and the capture times (tcpdump -tt) are all CLOCK_REALTIME, so
# they can be subtracted from each other.

# shellcheck disable=SC1091
. "$(dirname "${BASH_SOURCE[0]}")/../netns/lib.sh"
export LC_ALL=C			# a '.' decimal point in $EPOCHREALTIME and awk

BENCH_RUNS=${BENCH_RUNS:-10}
BENCH_PROBE_IV=${BENCH_PROBE_IV:-0.005}
BENCH_SUMMARY=${BENCH_SUMMARY:-/dev/null}
FIG_DIR="$T_DIR/fig"
mkdir -p "$FIG_DIR"
T_KEEP=""			# keepalived parents: node:pid ...

# lib.sh's wait_for computes its deadline with awk printf "%d", which
# Debian's mawk saturates at 2^31-1 ns: every timeout above 2.147 s is cut
# to 2.147 s. Same contract, computed in microseconds from $EPOCHREALTIME.
wait_for() {
	local timeout=$1 end
	shift
	end=$(( ${EPOCHREALTIME/./} + $(awk -v t="$timeout" 'BEGIN { printf "%.0f", t * 1e6 }') ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "${EPOCHREALTIME/./}" -ge "$end" ] && return 1
		sleep 0.03
	done
}

bench_init() {		# bench_init BUILD_DIR
	BUILD=${1:-$BUILD}
	CARPD=$BUILD/carpd
	CARPCTL=$BUILD/carpctl
	need_root
	case $BENCH_RUNS in
	'' | *[!0-9]* | 0) echo "$T_NAME: BENCH_RUNS must be a positive integer" >&2; exit 2 ;;
	esac
}

# The report goes to stdout; progress to stderr, so that
# `make bench >report.txt` keeps a clean report.
say() { printf '%s\n' "$*"; }
progress() { printf '  .. %s: %s\n' "$T_NAME" "$*" >&2; }
bench_fatal() {
	printf '%s: cannot run: %s\n' "$T_NAME" "$*" >&2
	say "$T_NAME: NOT RUN ($*)"
	exit 2
}

# --- processes -------------------------------------------------------------

track() { T_PIDS="$T_PIDS $1"; }
untrack() {
	local p out=""
	for p in $T_PIDS; do [ "$p" = "$1" ] || out="$out $p"; done
	T_PIDS=$out
}

# stop_pid PID [SIGNAL]: signal a process this script started, wait for it
# (bounded, 5 s), force it, reap it and forget its PID (so that cleanup
# never signals a recycled PID).
stop_pid() {
	local p=$1 sig=${2:-TERM}
	[ -n "$p" ] || return 0
	kill "-$sig" "$p" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	untrack "$p"
}

bench_stop_carpd() {	# bench_stop_carpd NODE [SIGNAL]
	local p
	p=$(pid_of "$1")
	[ -n "$p" ] || return 0
	stop_pid "$p" "${2:-TERM}"
	eval "PID_$1="
}

# keepalived runs a parent and a VRRP child; the child's PID comes from
# our own pid file and is signalled only if its command line still names
# our configuration (it is not our direct child).
kl_child_kill() {	# kl_child_kill NODE
	local c f="$T_DIR/$1/keepalived_vrrp.pid"
	[ -s "$f" ] || return 0
	c=$(cat "$f")
	if [ -r "/proc/$c/cmdline" ] &&
	    tr '\0' ' ' <"/proc/$c/cmdline" | grep -qF "$T_DIR/$1/keepalived.conf"; then
		kill -KILL "$c" 2>/dev/null
	fi
	rm -f "$f"
}

bench_cleanup() {
	local e
	for e in $T_KEEP; do
		stop_pid "${e#*:}" TERM
		kl_child_kill "${e%%:*}"
	done
	T_KEEP=""
}
# A second TERM (run.sh's timeout signals the section and its process
# group) must not cut the clean-up short: ignored from here on.
trap 'trap "" INT TERM; bench_cleanup; cleanup' EXIT

# --- carpd configuration ---------------------------------------------------

# bench_global NODE [extra global lines]: the global file; vhost files are
# added with lib.sh's add_vhost. Logs at info, as in production, unless
# BENCH_LOGLEVEL says otherwise.
bench_global() {
	local node=$1 extra=${2:-}
	mkdir -p "$T_DIR/$node/carpd.d"
	rm -f "$T_DIR/$node/carpd.d/"*.conf
	{
		echo "control-socket \"$T_DIR/$node/carpd.sock\""
		echo "log-level ${BENCH_LOGLEVEL:-info}"
		echo 'include "carpd.d/*.conf"'
		[ -n "$extra" ] && printf '%b\n' "$extra"
	} >"$T_DIR/$node/carpd.conf"
}

# --- keepalived --------------------------------------------------------------

# kl_conf NODE VRID PRIORITY ADVERT_INT VIP: VRRPv3 with use_vmac (a macvlan
# 00:00:5e:00:01:VRID, like carpd's lladdr virtual), preempt (the default).
kl_conf() {
	mkdir -p "$T_DIR/$1"
	cat >"$T_DIR/$1/keepalived.conf" <<EOF
global_defs {
	router_id bench-$1
	vrrp_version 3
}
vrrp_instance bench {
	state BACKUP
	interface eth0
	virtual_router_id $2
	priority $3
	advert_int $4
	use_vmac
	virtual_ipaddress {
		$5
	}
}
EOF
}

kl_start() {		# kl_start NODE: keepalived (VRRP only) in the node's namespace
	local d="$T_DIR/$1"
	rm -f "$d"/keepalived*.pid
	ip netns exec "$(ns "$1")" keepalived -n -l -D -P -f "$d/keepalived.conf" \
		-p "$d/keepalived.pid" -r "$d/keepalived_vrrp.pid" \
		-c "$d/keepalived_checkers.pid" -b "$d/keepalived_bfd.pid" \
		>>"$d/keepalived.log" 2>&1 &
	eval "KPID_$1=$!"
	track "$!"
	T_KEEP="$T_KEEP $1:$!"
}

kl_stop() {		# kl_stop NODE: TERM (keepalived takes ~1 s), bounded
	local p e out=""
	p=$(eval "echo \${KPID_$1:-}")
	[ -n "$p" ] || return 0
	stop_pid "$p" TERM
	kl_child_kill "$1"
	for e in $T_KEEP; do [ "$e" = "$1:$p" ] || out="$out $e"; done
	T_KEEP=$out
	eval "KPID_$1="
	# a killed keepalived would leave its VMAC behind
	ip -n "$(ns "$1")" link del vrrp.1 2>/dev/null
	return 0
}

# --- the LAN probe -----------------------------------------------------------

# probe_start FILE ADDR: the client pings ADDR every BENCH_PROBE_IV s and
# logs the receive time of every reply (ping -D). Why not -i 0.01: iputils
# ping sleeps at least one clock tick (10 ms) when its next send is <= 10 ms
# away, so -i 0.01 really sends every ~16 ms; -i 0.005 keeps a 5 ms grid.
probe_start() {
	PROBE_FILE=$1
	ip netns exec "$(ns client)" stdbuf -oL ping -D -n -i "$BENCH_PROBE_IV" "$2" \
		>"$PROBE_FILE" 2>&1 &
	PROBE_PID=$!
	track "$PROBE_PID"
	wait_for 5 grep -q 'bytes from' "$PROBE_FILE"
}
probe_stop() { stop_pid "${PROBE_PID:-}" INT; PROBE_PID=""; }

# probe_alive: the last reply came less than 50 ms ago.
probe_alive() {
	tail -n 1 "$PROBE_FILE" | awk -v now="$EPOCHREALTIME" \
		'/bytes from/ { t = substr($1, 2, length($1) - 2) + 0; ok = (now - t < 0.05) }
		 END { exit !ok }'
}

# probe_gap FILE T_EVENT T_END: the outage (ms) around the event: the
# longest gap between consecutive replies b > T_EVENT, b <= T_END (the
# first a being the last reply before the event) that has lost probes
# between them (icmp_seq jumps), so that a late probe on this busy machine
# is not taken for an outage. No probe lost: the outage is below the
# probe's resolution and the probe interval is reported. "NR" (no
# recovery) if no reply came in the last 100 ms before T_END, "NA" if the
# probe was not answering just before the event.
probe_gap() {
	awk -v ev="$2" -v end="$3" -v iv="$BENCH_PROBE_IV" '
	/bytes from/ && !/DUP/ {
		t = substr($1, 2, length($1) - 2) + 0
		for (i = 2; i <= NF; i++)
			if ($i ~ /^icmp_seq=/) s = substr($i, 10) + 0
		if (ps != "" && s < ps - 30000) s += 65536	# 16-bit wrap
		if (t <= ev) { pre = t; prev = t; ps = s; next }
		if (t > end || pre == "") next
		if (s > ps + 1 && t - prev > max) max = t - prev
		prev = t; ps = s
	}
	END {
		if (pre == "" || ev - pre > 0.1) print "NA"
		else if (end - prev > 0.1) print "NR"
		else printf "%.1f\n", (max > 0 ? max : iv) * 1000
	}' "$1"
}

# probe_baseline FILE T_FROM T_TO: the median reply spacing (ms) when
# nothing happens, to show the probe's resolution.
probe_baseline() {
	awk -v a="$2" -v b="$3" '/bytes from/ {
		t = substr($1, 2, length($1) - 2) + 0
		if (t > a && t < b && p != "") printf "%.2f\n", (t - p) * 1000
		p = t }' "$1"
}

# --- the advert capture ----------------------------------------------------

# cap_start FILE: tcpdump on every port of the bridges (namespace lan),
# protocol 112 (CARP and VRRP alike; tcpdump prints both as VRRP) and IGMP
# (a daemon joining 224.0.0.18 marks the end of its start-up), kernel
# timestamps.
cap_start() {
	CAP_FILE=$1
	ip netns exec "$(ns lan)" tcpdump -i any -n -tt -l -s 96 'ip proto 112 or igmp' \
		>"$CAP_FILE" 2>"$CAP_FILE.err" &
	CAP_PID=$!
	track "$CAP_PID"
	wait_for 5 grep -q 'listening on' "$CAP_FILE.err"
}
cap_stop() { stop_pid "${CAP_PID:-}" TERM; CAP_PID=""; }

# adv_first SRC AFTER [BEFORE [MATCH]]: time of the first advert that SRC
# put on the wire (seen entering the bridge at its port) in (AFTER, BEFORE).
adv_first() {
	awk -v src="$1" -v a="$2" -v b="${3:-1e12}" -v m="${4:-}" '
	$2 ~ /^[pq]-/ && $3 != "Out" && $5 == src && $1 > a && $1 < b &&
	    index($0, "VRRP") && (m == "" || index($0, m)) { print $1; exit }' "$CAP_FILE"
}
# igmp_first SRC AFTER [BEFORE]: SRC's first IGMP report in (AFTER, BEFORE).
igmp_first() {
	awk -v src="$1" -v a="$2" -v b="${3:-1e12}" '
	$2 ~ /^[pq]-/ && $3 != "Out" && $5 == src && $1 > a && $1 < b &&
	    index($0, "igmp") { print $1; exit }' "$CAP_FILE"
}
# adv_last SRC BEFORE [AFTER]: the last one in (AFTER, BEFORE).
adv_last() {
	awk -v src="$1" -v b="$2" -v a="${3:-0}" '
	$2 ~ /^[pq]-/ && $3 != "Out" && $5 == src && $1 > a && $1 < b &&
	    index($0, "VRRP") { t = $1 }
	END { if (t != "") print t }' "$CAP_FILE"
}

# --- figures -----------------------------------------------------------------

ms_between() {		# ms_between T0 T1 -> (T1 - T0) in ms, "NA" if either is empty
	if [ -z "$1" ] || [ -z "$2" ]; then echo NA; return; fi
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }'
}

rand_sleep() {		# rand_sleep S: uniform in [0, S), so events fall at any phase
	sleep "$(awk -v r="$RANDOM" -v s="$1" 'BEGIN { printf "%.3f", r / 32768 * s }')"
}

fig_add() { echo "$2" >>"$FIG_DIR/$1"; }	# fig_add NAME VALUE|NA|NR

# fig_stats NAME -> "n nr na median min max p25 p75" (NA for missing)
fig_stats() {
	local f="$FIG_DIR/$1"
	[ -f "$f" ] || { echo "0 0 0 NA NA NA NA NA"; return; }
	{ grep -c '^NR$' "$f"; grep -c '^NA$' "$f"; grep -v '^N[AR]$' "$f" | sort -g; } |
	awk 'NR == 1 { nr = $1; next } NR == 2 { na = $1; next } { v[++n] = $1 + 0 }
	function q(p,  h, i) { h = (n - 1) * p + 1; i = int(h)
		return i >= n ? v[n] : v[i] + (h - i) * (v[i + 1] - v[i]) }
	END {
		if (n == 0) { printf "0 %d %d NA NA NA NA NA\n", nr, na; exit }
		printf "%d %d %d %.1f %.1f %.1f %.1f %.1f\n", n, nr, na, q(0.5), v[1], v[n], q(0.25), q(0.75)
	}'
}

bench_line() {		# bench_line NAME VALUE UNIT
	printf 'bench: %s=%s %s\n' "$1" "$2" "$3"
	printf 'bench: %s=%s %s\n' "$1" "$2" "$3" >>"$BENCH_SUMMARY"
}

# verdict MEDIAN TARGET NR -> met|missed|n/a, on the median; a run that
# never recovered (NR) makes it missed
verdict() {
	[ "$1" = NA ] && { echo "n/a"; return; }
	awk -v m="$1" -v t="$2" -v nr="$3" 'BEGIN { print (nr == 0 && m <= t) ? "met" : "missed" }'
}

TABLE_FMT='  %-46s %7s %8s %8s %8s  %-16s %s\n'
table_head() {
	# shellcheck disable=SC2059
	printf "$TABLE_FMT" "${1:-figure}" runs median min max target verdict
}

# fig_row LABEL NAME UNIT [TARGET]: one table row and its summary lines.
# runs = valid/total, "+k NR" when k runs never recovered in their window.
fig_row() {
	local label=$1 name=$2 unit=$3 target=${4:-} n nr na med min max _p25 _p75 runs v tgt over
	read -r n nr na med min max _p25 _p75 <<<"$(fig_stats "$name")"
	runs="$n/$((n + nr + na))"
	[ "$nr" -gt 0 ] && runs="$runs+${nr}NR"
	if [ -n "$target" ]; then
		v=$(verdict "$med" "$target" "$nr")
		over=$(grep -v '^NA$' "$FIG_DIR/$name" 2>/dev/null |
			awk -v t="$target" '$1 == "NR" || $1 > t { k++ } END { print k + 0 }')
		[ "$over" -gt 0 ] && v="$v ($over/$((n + nr)) runs over)"
		tgt="<= $target $unit"
	else
		v=""; tgt="-"
	fi
	# shellcheck disable=SC2059
	printf "$TABLE_FMT" "$label" "$runs" "$med" "$min" "$max" "$tgt" "$v"
	{
		bench_line "$name.median" "$med" "$unit"
		bench_line "$name.min" "$min" "$unit"
		bench_line "$name.max" "$max" "$unit"
		bench_line "$name.runs" "$n" count
		[ "$nr" -gt 0 ] && bench_line "$name.no_recovery" "$nr" count
		if [ -n "$target" ]; then
			bench_line "$name.target" "$target" "$unit"
			bench_line "$name.met" "$([ "${v%% *}" = met ] && echo 1 || echo 0)" bool
			bench_line "$name.runs_over_target" "$over" count
		fi
	} >>"$T_DIR/bench-lines"
}

# flush_lines: the section's summary lines after its tables when run on
# its own; under run.sh they are printed together at the end.
flush_lines() {
	[ -f "$T_DIR/bench-lines" ] || return 0
	if [ "$BENCH_SUMMARY" = /dev/null ]; then
		say ""
		grep '^bench: ' "$T_DIR/bench-lines"
	fi
	rm -f "$T_DIR/bench-lines"
}
