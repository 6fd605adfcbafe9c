# shellcheck shell=bash
# scripts/demo-lib.sh: helpers for scripts/demo.sh (sourced, not run).
# A few are adapted from tests/netns/lib.sh; the demo keeps its own copies
# so that it needs nothing but build/.

export LC_ALL=C			# '.' as the decimal point of $EPOCHREALTIME

D=""				# temporary directory: configs, logs
P="csdemo$$"			# namespace prefix, unique per run
NSS=""				# namespaces we created
PIDS=""				# processes we started and have not reaped
FAILED=0
declare -A PID RES_GAP RES_LOST RES_TCP RES_TCPOK

# --- output ----------------------------------------------------------------

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ] && [ "${TERM:-dumb}" != dumb ]; then
	C_HEAD=$'\e[1;36m' C_BAD=$'\e[1;31m' C_BOLD=$'\e[1m' C_OFF=$'\e[0m'
else
	C_HEAD="" C_BAD="" C_BOLD="" C_OFF=""
fi

heading() { printf '\n%s== %s ==%s\n\n' "$C_HEAD" "$*" "$C_OFF"; }
say() {	# one paragraph, refilled to 78 columns
	printf '%s\n' "$*" | tr -s '\n ' '  ' | fold -s -w 78 | sed 's/ *$//'
	echo
}
note() { printf '  %s*%s %s\n' "$C_BOLD" "$C_OFF" "$*"; }
indent() { sed 's/^/      /'; }
die() { printf '%sdemo: %s%s\n' "$C_BAD" "$*" "$C_OFF" >&2; exit 1; }
fail_step() {	# fail_step LINE...: one line each
	FAILED=$((FAILED + 1))
	printf '%sFAILED: %s%s\n' "$C_BAD" "$1" "$C_OFF"
	shift
	[ $# -eq 0 ] || printf '        %s\n' "$@"
}
# Between steps, when someone is watching, a moment to read.
pace() { [ -t 1 ] && sleep "${DEMO_PAUSE:-2}"; return 0; }
ms() { echo $(( ($1 * 1000 + 128) / 256 )); }	# advskew (advbase 0) -> ms
now() { echo "$EPOCHREALTIME"; }

# --- lifetime --------------------------------------------------------------

demo_init() {
	D=$(mktemp -d /tmp/carpsync-demo.XXXXXX) || die "mktemp failed"
	# carpd drops to its user once set up (carpd(8) SECURITY): created
	# here if missing, as the sysusers.d entry would; its group may then
	# write under $D (a daemon removes its own socket at exit)
	getent passwd carpd >/dev/null ||
	    systemd-sysusers "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/conf/carpsync.sysusers" ||
	    die "cannot create the user carpd (conf/carpsync.sysusers)"
	chgrp carpsync "$D" && chmod 2770 "$D" && umask 002
	trap cleanup EXIT
	trap 'echo; echo "demo: interrupted, cleaning up"; exit 130' INT TERM HUP
}

cleanup() {
	local rc=$? p ns
	trap - EXIT INT TERM HUP
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $PIDS; do
		# bounded wait, then force
		for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in $NSS; do
		ip netns del "$ns" 2>/dev/null
	done
	[ "$rc" -eq 0 ] && [ "$FAILED" -ne 0 ] && rc=1
	if [ -n "$D" ]; then
		if [ "$rc" -ne 0 ]; then
			echo "demo: logs kept in $D" >&2
		else
			rm -rf "$D"
		fi
	fi
	exit "$rc"
}

# Run a command in the background in a node, recording its PID (ip netns
# exec execs the command, so the PID is the command's own).
spawn() {	# spawn NAME LOGFILE NODE CMD...
	local name=$1 logf=$2 node=$3; shift 3
	ip netns exec "$(ns "$node")" "$@" >>"$logf" 2>&1 &
	PID[$name]=$!
	PIDS="$PIDS $!"
}

reap() {	# reap NAME SIGNAL: signal, wait (bounded) for the exit
	local p=${PID[$1]:-} q left="" rc=0
	[ -n "$p" ] || return 1
	# bash reports a job killed by a signal ("Killed") on its own stderr
	# when it reaps it, which may be at any command of the loop below
	exec 8>&2 2>/dev/null
	kill "-$2" "$p"
	for _ in $(seq 1 100); do kill -0 "$p" || break; sleep 0.02; done
	if kill -0 "$p"; then rc=1; else wait "$p"; fi
	exec 2>&8 8>&-
	[ "$rc" = 0 ] || return 1
	for q in $PIDS; do [ "$q" = "$p" ] || left="$left $q"; done
	PIDS=$left
	PID[$1]=""
}

# Poll a command until it succeeds or TIMEOUT seconds
# (may be fractional) pass.
wait_for() {	# wait_for TIMEOUT CMD...
	local timeout=$1 end t; shift
	t=$EPOCHREALTIME
	end=$(( ${t/./} + $(awk -v t="$timeout" 'BEGIN { printf "%d", t * 1e6 }') ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		t=$EPOCHREALTIME
		[ "${t/./}" -ge "$end" ] && return 1
		sleep 0.02
	done
}

# --- topology --------------------------------------------------------------

ns() { echo "$P-$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

ns_add() {
	ip netns add "$(ns "$1")" || return 1
	case " $NSS " in *" $(ns "$1") "*) ;; *) NSS="$NSS $(ns "$1")" ;; esac
	ip -n "$(ns "$1")" link set lo up
	# no duplicate address detection on the demo's links, link-locals
	# included: carpd sends its IPv6 adverts from the link-local
	nsx "$1" sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0
}

bridge_add() {	# in the "sw" namespace; no STP, forwarding at once
	ip -n "$(ns sw)" link add "$1" type bridge forward_delay 0 stp_state 0 &&
	    ip -n "$(ns sw)" link set "$1" up
}

plug() {	# plug NODE IFNAME BRIDGE PORTNAME: a veth from NODE to the bridge
	ip link add "$2" netns "$(ns "$1")" type veth peer name "$4" netns "$(ns sw)" &&
	    ip -n "$(ns sw)" link set "$4" master "$3" up &&
	    ip -n "$(ns "$1")" link set "$2" up
}

no_tentative() { ! ip -n "$(ns "$1")" -6 addr show tentative | grep -q inet6; }

# Cut a node off without touching its links: drop everything in and out of
# eth0, eth1 and sync0 in netdev hooks, before anything else sees it.
silence() {
	nsx "$1" nft -f - <<'NFT'
table netdev crash {
	chain in0 { type filter hook ingress device "eth0" priority -500; policy drop; }
	chain out0 { type filter hook egress device "eth0" priority -500; policy drop; }
	chain in1 { type filter hook ingress device "eth1" priority -500; policy drop; }
	chain out1 { type filter hook egress device "eth1" priority -500; policy drop; }
	chain in2 { type filter hook ingress device "sync0" priority -500; policy drop; }
	chain out2 { type filter hook egress device "sync0" priority -500; policy drop; }
}
NFT
}
unsilence() { nsx "$1" nft delete table netdev crash; }

# The sync cable: a veth from fw1 to fw2, sync0 on both, 203.0.113.1/30
# and .2/30.
sync_cable() {
	ip link add sync0 netns "$(ns fw1)" type veth peer name sync0 netns "$(ns fw2)" &&
	    ip -n "$(ns fw1)" addr add 203.0.113.1/30 dev sync0 &&
	    ip -n "$(ns fw2)" addr add 203.0.113.2/30 dev sync0 &&
	    ip -n "$(ns fw1)" link set sync0 up && ip -n "$(ns fw2)" link set sync0 up
}

# RST counters on an end host: every TCP segment with RST in or out.
rst_watch() {
	nsx "$1" nft -f - <<'NFT'
table inet watch {
	counter rst { }
	chain in { type filter hook input priority 0; tcp flags & rst == rst counter name "rst"; }
	chain out { type filter hook output priority 0; tcp flags & rst == rst counter name "rst"; }
}
NFT
}
rst_count() {
	nsx "$1" nft -j list counter inet watch rst |
	    jq -r '.nftables[] | select(.counter) | .counter.packets'
}

# --- carpd -----------------------------------------------------------------

start_carpd() {	# start_carpd NODE LOG: waits until its control socket answers
	rm -f "$D/$1/carpd.sock"
	spawn "carpd_$1" "$D/$1/$2" "$1" "$CARPD" -d -f "$D/$1/carpd.conf"
	wait_for 10 ctl "$1" status
}
stop_carpd() { reap "carpd_$1" "$2"; }

# --- syncd -------------------------------------------------------------------

start_syncd() {	# start_syncd NODE LOG: waits until its control socket answers
	rm -f "$D/$1/syncd.sock"
	spawn "syncd_$1" "$D/$1/$2" "$1" "$SYNCD" -d -f "$D/$1/syncd.conf"
	wait_for 10 sctl "$1" sync status
}
stop_syncd() { reap "syncd_$1" "$2"; }
sctl() {	# sctl NODE ARGS...: carpctl on the node's syncd socket
	local node=$1; shift
	"$CARPCTL" -s "$D/$node/syncd.sock" "$@"
}
sq() { sctl "$1" -j sync status 2>/dev/null | jq -r "$2"; }	# sq NODE FILTER
# each syncd has the other as its peer, and both bulks are done
sync_paired() {
	[ "$(sq fw1 '[.peers[] | select(.node_id == 2)] | length')" = 1 ] &&
	    [ "$(sq fw2 '[.peers[] | select(.node_id == 1)] | length')" = 1 ] &&
	    [ "$(sq fw1 .bulk)" = DONE ] && [ "$(sq fw2 .bulk)" = DONE ]
}
show_sync_status() {
	printf '\n  %s%s# carpctl sync status%s\n' "$C_BOLD" "$1" "$C_OFF"
	sctl "$1" sync status 2>&1 | indent
}

ctl() {		# ctl NODE ARGS... (carpctl gives up by itself after 5 s)
	local node=$1; shift
	"$CARPCTL" -s "$D/$node/carpd.sock" "$@"
}

# "STATE1/STATE2" of vhids 1 and 2 of each node, or "no carpd"; one jq for
# all nodes, since jq is the slow part of a timeline row.
STATES_JQ='map(if . == null then "no carpd"
	else [.vhosts | sort_by(.vhid)[] | .state] | join("/") end) | .[]'
states() {	# states NODE...: one line per node
	local n
	for n in "$@"; do
		ctl "$n" -j status 2>/dev/null || echo null
	done | jq -rs "$STATES_JQ"
}
both_state() { [ "$(states "$1")" = "$2/$2" ]; }

show_status() {
	printf '\n  %s%s# carpctl status%s\n' "$C_BOLD" "$1" "$C_OFF"
	ctl "$1" status 2>&1 | indent
}

# --- what the network sees ---------------------------------------------------

fdb_ports() {	# the ports on which the bridges learned the two vMACs
	bridge -n "$(ns sw)" fdb show | awk -v m1="$VMAC1" -v m2="$VMAC2" '
		/permanent/ { next }
		$1 == m1 && !p1 { p1 = $3 } $1 == m2 && !p2 { p2 = $3 }
		END { print (p1 ? p1 : "-"), (p2 ? p2 : "-") }'
}
fdb_port() {	# fdb_port 1|2
	local p1 p2
	read -r p1 p2 < <(fdb_ports)
	[ "$1" = 1 ] && echo "$p1" || echo "$p2"
}

neigh_mac() {	# neigh_mac NODE ADDR: the MAC NODE has for ADDR
	ip -n "$(ns "$1")" neigh show "$2" |
	    awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'
}

nft_counter() {	# nft_counter NODE NAME: packets of a named counter
	nsx "$1" nft -j list counter inet fw "$2" |
	    jq -r '.nftables[] | select(.counter) | .counter.packets'
}

# --- traffic -----------------------------------------------------------------

# The echo server needs perl-base only (Essential on Debian).
# shellcheck disable=SC2016 # perl code, expanded by perl
ECHO_SERVER='
alarm shift @ARGV;
my $l = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1],
    Listen => 1, ReuseAddr => 1) or die "listen: $!\n";
my $c = $l->accept or die "accept: $!\n";
$c->autoflush(1);
print $c $_ while <$c>;
'

# The TCP client is bash and its /dev/tcp: a line out every 20 ms, wait
# for its echo, log the time of each echo; "closed" if the connection
# breaks. One connection for the whole demo.
write_tcp_client() {
	cat > "$D/tcp-client.sh" <<EOF
end=\$((SECONDS + $LIFETIME))
exec 3<>/dev/tcp/$SERVER/$TCP_PORT || { echo "\$EPOCHREALTIME closed (connect)"; exit 1; }
i=0
while [ \$SECONDS -lt \$end ]; do
	i=\$((i + 1))
	printf '%d\n' \$i >&3 2>/dev/null || { echo "\$EPOCHREALTIME closed (write)"; exit 1; }
	while :; do
		read -r -t 1 line <&3
		rc=\$?
		[ \$rc -eq 0 ] && { echo "\$EPOCHREALTIME echo \$line"; break; }
		[ \$rc -gt 128 ] && [ \$SECONDS -lt \$end ] && { echo "\$EPOCHREALTIME waiting"; continue; }
		echo "\$EPOCHREALTIME closed (read)"; exit 1
	done
	sleep 0.02
done
EOF
}

listening() { nsx server ss -Hltn "sport = :$TCP_PORT" | grep -q LISTEN; }

start_traffic() {
	spawn server "$D/server.log" server perl -MIO::Socket::INET -e "$ECHO_SERVER" \
	    "$LIFETIME" "$SERVER" "$TCP_PORT"
	wait_for 5 listening || return 1
	write_tcp_client
	spawn ping "$D/ping.log" client ping -D -n -i 0.01 -w "$LIFETIME" "$SERVER"
	spawn tcp "$D/tcp.log" client bash "$D/tcp-client.sh"
}

tcp_count() { grep -c ' echo ' "$D/tcp.log"; }

# Ping lines start with "[SECONDS.USEC]", TCP lines with "SECONDS.USEC echo N".
# Prints "pings echoes" received in (FROM, TO]; FROM may be negative: that
# many seconds before TO.
count_between() {	# count_between FROM TO
	awk -v a="$1" -v b="$2" '
		BEGIN { if (a < 0) a = b + a }
		FILENAME ~ /ping/ && /bytes from/ && !/DUP/ {
			ts = substr($1, 2, length($1) - 2) + 0
			if (ts > a && ts <= b) p++
		}
		FILENAME ~ /tcp/ && $2 == "echo" && $1 > a && $1 <= b { t++ }
		END { print p + 0, t + 0 }' "$D/ping.log" "$D/tcp.log"
}

# Traffic flows: a ping reply in the last 0.2 s and a TCP echo in the last
# 0.5 s.
flowing() {
	local t=$EPOCHREALTIME p tc
	read -r p _ < <(count_between -0.2 "$t")
	read -r _ tc < <(count_between -0.5 "$t")
	[ "$p" -gt 0 ] && [ "$tc" -gt 0 ]
}

# A row every 200 ms: both nodes' states (vhid 1/vhid 2), the bridge ports
# of the two virtual MACs, ping replies and TCP echoes in that interval.
# Ends at the third row in which NODE is STATE on both vhids, the virtual
# MACs are on its ports and both kinds of traffic flow; or after 8 s.
# shellcheck disable=SC2059 # printf formats in variables are ours
timeline() {	# timeline T0 NODE STATE
	local t0=$1 node=$2 want=$3 row prev cur s1 s2 f1 f2 p t el ok=0 d fmt n
	fmt='  %6s   %-14s %-14s %-9s %-9s %5s %5s\n'
	printf "$C_BOLD${fmt%\\n}$C_OFF\\n" time "fw1 vhid 1/2" "fw2 vhid 1/2" "MAC :01" "MAC :02" pings TCP
	prev=$t0
	for row in $(seq 1 40); do
		# next tick: T0 + row * 200 ms
		n=$EPOCHREALTIME
		d=$(( ${t0/./} + row * 200000 - ${n/./} ))
		[ "$d" -gt 0 ] && sleep "$(printf '%d.%06d' $((d / 1000000)) $((d % 1000000)))"
		cur=$EPOCHREALTIME
		# the bridges first: a state sampled later is never older
		read -r f1 f2 < <(fdb_ports)
		{ read -r s1; read -r s2; } < <(states fw1 fw2)
		read -r p t < <(count_between "$prev" "$cur")
		el=$(( (${cur/./} - ${t0/./} + 50000) / 100000 ))
		printf "$fmt" "+$((el / 10)).$((el % 10))s" "$s1" "$s2" "${f1#lan-}" "${f2#wan-}" "$p" "$t"
		prev=$cur
		{ [ "$node" = fw1 ] && [ "$s1" = "$want/$want" ]; } ||
		    { [ "$node" = fw2 ] && [ "$s2" = "$want/$want" ]; } || continue
		[ "$f1" = "lan-$node" ] && [ "$f2" = "wan-$node" ] && [ "$p" -gt 0 ] &&
		    [ "$t" -gt 0 ] || continue
		ok=$((ok + 1))
		[ "$ok" -ge 3 ] && break
	done
}

# --- measurements ------------------------------------------------------------

measure() {	# measure NAME T0: the outages in [T0 - 0.3 s, now]
	local name=$1 from t=$EPOCHREALTIME
	from=$(awk -v a="$2" 'BEGIN { printf "%.6f", a - 0.3 }')
	read -r "RES_GAP[$name]" "RES_LOST[$name]" < <(awk -v a="$from" -v b="$t" '
		/bytes from/ && !/DUP/ {
			ts = substr($1, 2, length($1) - 2) + 0
			if (ts < a || ts > b) next
			match($0, /icmp_seq=[0-9]+/); seq = substr($0, RSTART + 9, RLENGTH - 9) + 0
			if (have) { g = ts - pts; if (g > max) max = g; lost += seq - pseq - 1 }
			have = 1; pts = ts; pseq = seq
		}
		END { printf "%.3f %d\n", max, lost }' "$D/ping.log")
	RES_TCP[$name]=$(awk -v a="$from" -v b="$t" '$2 == "echo" && $1 >= a && $1 <= b {
		if (have) { g = $1 - p; if (g > max) max = g } have = 1; p = $1 }
		END { printf "%.3f\n", max }' "$D/tcp.log")
	if grep -q closed "$D/tcp.log"; then
		RES_TCPOK[$name]="broken"
	elif flowing; then
		RES_TCPOK[$name]="survived"
	else
		RES_TCPOK[$name]="stalled"
	fi
}

report_outage() {
	local n=$1
	note "ping: longest gap between two replies ${C_BOLD}${RES_GAP[$n]} s${C_OFF}" \
	    "(${RES_LOST[$n]} pings unanswered)"
	note "TCP: longest wait for an echo ${C_BOLD}${RES_TCP[$n]} s${C_OFF}," \
	    "connection ${C_BOLD}${RES_TCPOK[$n]}${C_OFF}"
	[ "${RES_TCPOK[$n]}" = survived ] || fail_step "the TCP connection ${RES_TCPOK[$n]}"
}

# shellcheck disable=SC2059 # printf formats in variables are ours
summary_table() {
	local fmt='  %-29s %11s %10s %10s %9s\n' n label
	printf "$C_BOLD${fmt%\\n}$C_OFF\\n" "event" "ping outage" "pings lost" "TCP stall" "TCP"
	for n in FAILOVER FAILBACK; do
		[ "$n" = FAILOVER ] && label="fw1 crashes, fw2 takes over" ||
		    label="fw1 reboots and preempts"
		if [ -n "${RES_GAP[$n]:-}" ]; then
			printf "$fmt" "$label" "${RES_GAP[$n]} s" "${RES_LOST[$n]}" \
			    "${RES_TCP[$n]} s" "${RES_TCPOK[$n]}"
		else
			printf "$fmt" "$label" "-" "-" "-" "not run"
		fi
	done
}
