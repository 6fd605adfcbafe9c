# tests/netns/lib.sh: helpers for carpsync's network-namespace tests.
# Sourced by each test. Every namespace and process a test creates is
# recorded here and removed by cleanup (trap on EXIT), also on failure.
# Only documentation address ranges are used (192.0.2.0/24, 2001:db8::/32).

set -u

BUILD=${BUILD:-build}
CARPD=${CARPD:-$BUILD/carpd}
CARPCTL=${CARPCTL:-$BUILD/carpctl}
# A wrapper for the daemons (e.g. "valgrind --error-exitcode=99 ..."): empty by default.
CARPD_WRAP=${CARPD_WRAP:-}

T_ID="cs$$"			# namespace prefix, unique per test process
T_DIR=$(mktemp -d "/tmp/carpsync-test.XXXXXX")
T_NS=""				# namespaces we created
T_PIDS=""			# processes we started
T_PASS=0
T_FAIL=0
T_NAME=${T_NAME:-$(basename "$0" .sh)}

log() { printf '%s: %s\n' "$T_NAME" "$*"; }

cleanup() {
	local p ns
	for p in $T_PIDS; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in $T_PIDS; do
		# bounded wait, then force
		for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
	done
	for ns in $T_NS; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${KEEP_LOGS:-0}" = 1 ] || [ "$T_FAIL" -gt 0 ]; then
		log "logs kept in $T_DIR"
	else
		rm -rf "$T_DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "$T_NAME: SKIP (needs root)"
		exit 77
	fi
}

pass() { T_PASS=$((T_PASS + 1)); log "ok   - $*"; }
fail() { T_FAIL=$((T_FAIL + 1)); log "FAIL - $*"; }
check() {	# check "description" command...
	local what=$1; shift
	if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}
finish() {
	echo "$T_NAME: $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# Poll a command until it succeeds or the deadline (seconds, may be
# fractional) passes. Returns the command's last status.
wait_for() {
	local timeout=$1; shift
	local end=$(( $(date +%s%N) + $(awk -v t="$timeout" 'BEGIN { printf "%.0f", t * 1e9 }') ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.02
	done
}

ns_add() {	# ns_add SHORTNAME -> creates "$T_ID-SHORTNAME"
	local ns="$T_ID-$1"
	ip netns add "$ns" || return 1
	T_NS="$T_NS $ns"
	ip -n "$ns" link set lo up
}
ns() { echo "$T_ID-$1"; }
nsx() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# Two firewalls and a LAN client on one bridge:
#   fw1:eth0 192.0.2.1 / 2001:db8::1    fw2:eth0 192.0.2.2 / 2001:db8::2
#   client:eth0 192.0.2.100 / 2001:db8::100
# The bridge lives in namespace "lan"; its ports are p-fw1, p-fw2, p-client.
topo_lan() {
	local h i=0
	ns_add lan && ns_add fw1 && ns_add fw2 && ns_add client || return 1
	ip -n "$(ns lan)" link add br0 type bridge || return 1
	# no STP delay; learn and age normally
	ip -n "$(ns lan)" link set br0 type bridge forward_delay 0 stp_state 0
	ip -n "$(ns lan)" link set br0 up
	for h in fw1 fw2 client; do
		i=$((i + 1))
		ip link add "$T_ID-v$i" type veth peer name "$T_ID-p$i" || return 1
		ip link set "$T_ID-v$i" netns "$(ns "$h")" name eth0
		ip link set "$T_ID-p$i" netns "$(ns lan)" name "p-$h"
		ip -n "$(ns lan)" link set "p-$h" master br0 up
		nsx "$h" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
		ip -n "$(ns "$h")" link set eth0 up
	done
	ip -n "$(ns fw1)" addr add 192.0.2.1/24 dev eth0
	ip -n "$(ns fw2)" addr add 192.0.2.2/24 dev eth0
	ip -n "$(ns client)" addr add 192.0.2.100/24 dev eth0
	ip -n "$(ns fw1)" addr add 2001:db8::1/64 dev eth0 nodad
	ip -n "$(ns fw2)" addr add 2001:db8::2/64 dev eth0 nodad
	ip -n "$(ns client)" addr add 2001:db8::100/64 dev eth0 nodad
	# IPv6 link-locals must be usable (not tentative) before carpd starts
	wait_for 5 sh -c "! ip -n $(ns fw1) -6 addr show tentative | grep -q inet6"
	wait_for 5 sh -c "! ip -n $(ns fw2) -6 addr show tentative | grep -q inet6"
}

# write_conf NODE VHID ADVBASE ADVSKEW "ADDR..." [extra global lines] [extra vhost lines]
write_conf() {
	local node=$1 vhid=$2 advbase=$3 advskew=$4 addrs=$5
	local gextra=${6:-} vextra=${7:-} a
	mkdir -p "$T_DIR/$node/carpd.d"
	{
		echo "control-socket \"$T_DIR/$node/carpd.sock\""
		echo "log-level debug"
		echo 'include "carpd.d/*.conf"'
		[ -n "$gextra" ] && printf '%b\n' "$gextra"
	} > "$T_DIR/$node/carpd.conf"
	{
		echo "vhid $vhid"
		echo "carpdev eth0"
		for a in $addrs; do echo "address $a"; done
		echo "advbase $advbase"
		echo "advskew $advskew"
		echo 'pass "carpsync-test"'
		[ -n "$vextra" ] && printf '%b\n' "$vextra"
	} > "$T_DIR/$node/carpd.d/vhid$vhid.conf"
}

# start_carpd NODE: runs carpd in the node's namespace; records its PID.
start_carpd() {
	local node=$1
	# shellcheck disable=SC2086
	ip netns exec "$(ns "$node")" $CARPD_WRAP "$CARPD" -d -f "$T_DIR/$node/carpd.conf" \
		>>"$T_DIR/$node/carpd.log" 2>&1 &
	eval "PID_$node=$!"
	T_PIDS="$T_PIDS $!"
	wait_for 10 test -S "$T_DIR/$node/carpd.sock"
}

pid_of() { eval "echo \${PID_$1:-}"; }

stop_carpd() {	# stop_carpd NODE [SIGNAL]: waits (bounded) for the exit
	local node=$1 sig=${2:-TERM} p
	p=$(pid_of "$node")
	[ -n "$p" ] || return 1
	kill "-$sig" "$p" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$p" 2>/dev/null || return 1
	wait "$p" 2>/dev/null
	eval "RC_$node=$?"
	eval "PID_$node="
	return 0
}

ctl() {		# ctl NODE ARGS...
	local node=$1; shift
	"$CARPCTL" -s "$T_DIR/$node/carpd.sock" "$@"
}

state() {	# state NODE VHID -> MASTER|BACKUP|INIT
	ctl "$1" -j status 2>/dev/null | jq -r ".vhosts[] | select(.vhid == $2) | .state"
}
is_state() { [ "$(state "$1" "$2")" = "$3" ]; }
counter() {	# counter NODE VHID NAME
	ctl "$1" -j status | jq -r ".vhosts[] | select(.vhid == $2) | .counters.$3"
}
gcounter() { ctl "$1" -j status | jq -r ".counters.$2"; }
group_demote() { ctl "$1" -j status | jq -r ".groups[] | select(.name == \"$2\") | .demote"; }

has_vip() {	# has_vip NODE ADDR (no prefix)
	ip -n "$(ns "$1")" -o addr show | grep -qw "inet6\? $2/[0-9]*"
}

# Silence a node without touching its links: drop everything in and out of
# eth0 with an nftables netdev table (ingress + egress hooks).
silence() {
	nsx "$1" nft -f - <<NFT
table netdev carpsync_silence {
	chain in { type filter hook ingress device eth0 priority -500; policy drop; }
	chain out { type filter hook egress device eth0 priority -500; policy drop; }
}
NFT
}
unsilence() { nsx "$1" nft delete table netdev carpsync_silence; }

# The bridge port on which the LAN bridge learned a MAC ("" if none).
fdb_port() {
	bridge -n "$(ns lan)" fdb show br br0 | awk -v m="$1" '$1 == m && $0 !~ /permanent/ { print $3; exit }'
}

# A second segment ("wan", bridge br1 in namespace lan) for fw1 and fw2:
#   fw1:eth1 198.51.100.1   fw2:eth1 198.51.100.2
topo_wan() {
	local h i=10
	ip -n "$(ns lan)" link add br1 type bridge || return 1
	ip -n "$(ns lan)" link set br1 type bridge forward_delay 0 stp_state 0
	ip -n "$(ns lan)" link set br1 up
	for h in fw1 fw2; do
		i=$((i + 1))
		ip link add "$T_ID-v$i" type veth peer name "$T_ID-p$i" || return 1
		ip link set "$T_ID-v$i" netns "$(ns "$h")" name eth1
		ip link set "$T_ID-p$i" netns "$(ns lan)" name "q-$h"
		ip -n "$(ns lan)" link set "q-$h" master br1 up
		ip -n "$(ns "$h")" link set eth1 up
	done
	ip -n "$(ns fw1)" addr add 198.51.100.1/24 dev eth1
	ip -n "$(ns fw2)" addr add 198.51.100.2/24 dev eth1
}

# add_vhost NODE VHID CARPDEV ADVBASE ADVSKEW "ADDR..." [extra lines]
add_vhost() {
	local node=$1 vhid=$2 dev=$3 advbase=$4 advskew=$5 addrs=$6 extra=${7:-} a
	{
		echo "vhid $vhid"
		echo "carpdev $dev"
		for a in $addrs; do echo "address $a"; done
		echo "advbase $advbase"
		echo "advskew $advskew"
		echo 'pass "carpsync-test"'
		[ -n "$extra" ] && printf '%b\n' "$extra"
	} > "$T_DIR/$node/carpd.d/vhid$vhid.conf"
}

# --- helpers added with test_reload, test_cli, test_startup_demote,
# test_lan_view, test_lladdr_real, test_unicast, test_interop_ucarp and
# test_garbage ---------------------------------------------------------

# wait_for with a deadline of any length. wait_for's awk printf "%d"
# saturates at 2^31-1 under mawk (Debian's awk), which caps every
# wait_for at 2.147 s whatever its timeout says; "%.0f" does not.
poll_for() {
	local timeout=$1; shift
	local end=$(( $(date +%s%N) + $(awk -v t="$timeout" 'BEGIN { printf "%.0f", t * 1e9 }') ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep 0.02
	done
}

transitions() {	# transitions NODE VHID
	ctl "$1" -j status | jq -r ".vhosts[] | select(.vhid == $2) | .transitions"
}

now_s() { date +%s.%N; }	# wall clock, as ping -D prints it

mac_of() {	# mac_of NODE [DEV]: a node's real MAC address
	ip -n "$(ns "$1")" -o link show dev "${2:-eth0}" |
		awk '{ for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1) }'
}

neigh_mac() {	# neigh_mac NODE ADDR: the MAC in NODE's neighbour entry for ADDR
	ip -n "$(ns "$1")" neigh show "$2" dev eth0 |
		awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'
}

# capture_start NAME NODE DEV FILE [FILTER...]: tcpdump writing FILE in the
# node's namespace; returns once tcpdump listens (its "listening on" line
# on stderr), so nothing sent afterwards is missed. The PID goes to
# CAP_<NAME> for capture_stop. Not through nsx: a function run with & is a
# subshell, whose PID is not tcpdump's. --immediate-mode: without it
# packets wait up to 1 s in the capture buffer, and those still there when
# tcpdump is stopped are lost.
capture_start() {
	local name=$1 node=$2 dev=$3 file=$4
	shift 4
	ip netns exec "$(ns "$node")" tcpdump --immediate-mode -U -n -i "$dev" -w "$file" "$@" \
		2>"$file.log" &
	eval "CAP_$name=$!"
	T_PIDS="$T_PIDS $!"
	poll_for 5 grep -q "listening on" "$file.log"
}

# capture_stop NAME: SIGTERM, on which tcpdump flushes and exits (jobs put
# in the background by a non-interactive shell start with SIGINT ignored).
capture_stop() {
	local p
	p=$(eval "echo \${CAP_$1:-}")
	[ -n "$p" ] || return 1
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	kill -0 "$p" 2>/dev/null && return 1
	wait "$p" 2>/dev/null
	eval "CAP_$1="
	return 0
}
