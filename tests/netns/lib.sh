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

# Sanitizer builds (make SAN=1 check-netns: BUILD=build/san): every report
# of ASan, LSan or UBSan, from a daemon or a tool, lands in T_DIR/san and
# fails the test at cleanup, after the daemons have exited (LeakSanitizer
# reports at exit). World-writable: the daemons may have dropped root.
T_SAN_DIR=$T_DIR/san
mkdir -p "$T_SAN_DIR" && chmod 1777 "$T_SAN_DIR"
export ASAN_OPTIONS="log_path=$T_SAN_DIR/asan:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="log_path=$T_SAN_DIR/ubsan:print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
case "$BUILD" in */san|san) T_SAN_BUILD=1 ;; *) T_SAN_BUILD=0 ;; esac
# skip_under_san WHY: for tests that cannot run sanitized binaries (valgrind)
skip_under_san() {
	[ "$T_SAN_BUILD" = 1 ] || return 0
	echo "$T_NAME: SKIP (sanitizer build: $*)"
	exit 77
}

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
	san_reports
	if [ "${KEEP_LOGS:-0}" = 1 ] || [ "$T_FAIL" -gt 0 ]; then
		log "logs kept in $T_DIR"
	else
		rm -rf "$T_DIR"
	fi
}
# san_reports: any sanitizer report fails the test (its exit status too)
san_reports() {
	local f found=0
	for f in "$T_SAN_DIR"/*; do
		[ -s "$f" ] || continue
		found=1
		log "FAIL - sanitizer report $f:"
		sed -n 1,40p "$f"
	done
	[ "$found" = 0 ] && return 0
	T_FAIL=$((T_FAIL + 1))
	SAN_FAILED=1
}
SAN_FAILED=0
trap 'cleanup; [ "$SAN_FAILED" = 0 ] || exit 1' EXIT
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

# topo_lan [NFW]: NFW firewalls (default 2) and a LAN client on one bridge:
#   fwK:eth0 192.0.2.K / 2001:db8::K    (fw1 .1, fw2 .2, fw3 .3, ...)
#   client:eth0 192.0.2.100 / 2001:db8::100
# The bridge lives in namespace "lan"; its ports are p-fw1, p-fw2, ...,
# p-client. NFW is at most 9 (the addresses stay below the client's).
topo_lan() {
	local nfw=${1:-2} h k i=0
	ns_add lan && ns_add client || return 1
	for k in $(seq 1 "$nfw"); do ns_add "fw$k" || return 1; done
	ip -n "$(ns lan)" link add br0 type bridge || return 1
	# no STP delay; learn and age normally
	ip -n "$(ns lan)" link set br0 type bridge forward_delay 0 stp_state 0
	ip -n "$(ns lan)" link set br0 up
	for h in $(seq -f 'fw%g' 1 "$nfw") client; do
		i=$((i + 1))
		ip link add "$T_ID-v$i" type veth peer name "$T_ID-p$i" || return 1
		ip link set "$T_ID-v$i" netns "$(ns "$h")" name eth0
		ip link set "$T_ID-p$i" netns "$(ns lan)" name "p-$h"
		ip -n "$(ns lan)" link set "p-$h" master br0 up
		nsx "$h" sysctl -qw net.ipv6.conf.eth0.accept_dad=0
		ip -n "$(ns "$h")" link set eth0 up
	done
	for k in $(seq 1 "$nfw"); do
		ip -n "$(ns "fw$k")" addr add "192.0.2.$k/24" dev eth0
		ip -n "$(ns "fw$k")" addr add "2001:db8::$k/64" dev eth0 nodad
	done
	ip -n "$(ns client)" addr add 192.0.2.100/24 dev eth0
	ip -n "$(ns client)" addr add 2001:db8::100/64 dev eth0 nodad
	# IPv6 link-locals must be usable (not tentative) before carpd starts
	for k in $(seq 1 "$nfw"); do
		wait_for 5 sh -c "! ip -n $(ns "fw$k") -6 addr show tentative | grep -q inet6"
	done
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
fdb_port() { fdb_ports "$1" | head -n 1; }
# fdb_ports MAC: every bridge port on which br0 has learned MAC, one a line.
fdb_ports() {
	bridge -n "$(ns lan)" fdb show br br0 | awk -v m="$1" '$1 == m && $0 !~ /permanent/ { print $3 }'
}
# fdb_only_on MAC PORT: br0 has learned MAC on PORT and on no other port
fdb_only_on() { [ "$(fdb_ports "$1" | tr '\n' ' ')" = "$2 " ]; }

# topo_wan [NFW]: a second segment ("wan", bridge br1 in namespace lan)
# for fw1 .. fwNFW (default 2, as topo_lan's), ports q-fw1, q-fw2, ...:
#   fwK:eth1 198.51.100.K   (fw1 .1, fw2 .2, ...)
topo_wan() {
	local nfw=${1:-2} k
	ip -n "$(ns lan)" link add br1 type bridge || return 1
	ip -n "$(ns lan)" link set br1 type bridge forward_delay 0 stp_state 0
	ip -n "$(ns lan)" link set br1 up
	for k in $(seq 1 "$nfw"); do
		ip link add "$T_ID-v$((10 + k))" type veth peer name "$T_ID-p$((10 + k))" || return 1
		ip link set "$T_ID-v$((10 + k))" netns "$(ns "fw$k")" name eth1
		ip link set "$T_ID-p$((10 + k))" netns "$(ns lan)" name "q-fw$k"
		ip -n "$(ns lan)" link set "q-fw$k" master br1 up
		ip -n "$(ns "fw$k")" link set eth1 up
		ip -n "$(ns "fw$k")" addr add "198.51.100.$k/24" dev eth1
	done
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

# --- syncd helpers (test_sync_failover, test_sync_mixed, test_sync_overrun,
# test_sync_badframes, test_sync_valgrind, and the older syncd tests) -----

SYNCD=${SYNCD:-$BUILD/syncd}
# note MSG: log even from inside `check`, which silences what it runs
# (fd 9 is the test's stdout).
exec 9>&1
note() { log "$@" >&9; }
# A wrapper for syncd, as CARPD_WRAP for carpd (e.g. "valgrind ..."); a
# wrapped syncd gets SYNCD_START_WAIT seconds (default 60 then, else 10)
# to log "started".
SYNCD_WRAP=${SYNCD_WRAP:-}

# sync_link: a direct veth between fw1 and fw2, sync0 on both,
# fw1 203.0.113.1/30, fw2 203.0.113.2/30 (a sync cable's prefix: syncd
# never syncs connections to or from it, so the rest of 203.0.113.0/24
# is free for the tests' NAT addresses).
sync_link() {
	ip link add "$T_ID-s1" type veth peer name "$T_ID-s2" || return 1
	ip link set "$T_ID-s1" netns "$(ns fw1)" name sync0 &&
	ip link set "$T_ID-s2" netns "$(ns fw2)" name sync0 &&
	ip -n "$(ns fw1)" addr add 203.0.113.1/30 dev sync0 &&
	ip -n "$(ns fw2)" addr add 203.0.113.2/30 dev sync0 &&
	ip -n "$(ns fw1)" link set sync0 up &&
	ip -n "$(ns fw2)" link set sync0 up
}

# ct_hooks NODE...: conntrack and NAT in use, as on a real firewall (a
# fresh namespace tracks nothing until something registers the hooks,
# pfsync-conntrack.md 5.1): invalid forwarded packets dropped, NAT chains.
ct_hooks() {
	local n
	for n in "$@"; do
		nsx "$n" nft -f - <<'NFT' || return 1
table inet fw {
	chain forward { type filter hook forward priority 0; ct state invalid drop; }
	chain pre { type nat hook prerouting priority -100; }
	chain post { type nat hook postrouting priority 100; }
}
NFT
	done
}

# sync_pair_up [EXTRA]: syncd on fw1 (node 1) and fw2 (node 2) with the
# extra config lines, started; returns once each is the other's peer and
# both bulks are done.
sync_pair_up() {
	write_syncd_conf fw1 1 "${1:-}" && write_syncd_conf fw2 2 "${1:-}" &&
	start_syncd fw1 && start_syncd fw2 &&
	poll_for 10 eval '[ "$(sq fw1 ".peers | map(select(.node_id == 2)) | length")" = 1 ] &&
		[ "$(sq fw2 ".peers | map(select(.node_id == 1)) | length")" = 1 ] &&
		[ "$(sq fw1 .bulk)" = DONE ] && [ "$(sq fw2 .bulk)" = DONE ]'
}

# sync_key: one random 256-bit key for the pair, $T_DIR/sync.key (mode 600).
sync_key() {
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T_DIR/sync.key" &&
	chmod 600 "$T_DIR/sync.key"
}

# write_syncd_conf NODE NODE_ID [extra lines]: $T_DIR/NODE/syncd.conf with
# the pair's key, sync0, the carpd socket carpd's write_conf uses, and its
# own control socket $T_DIR/NODE/syncd.sock.
write_syncd_conf() {
	local node=$1 id=$2 extra=${3:-}
	[ -f "$T_DIR/sync.key" ] || sync_key || return 1
	mkdir -p "$T_DIR/$node"
	{
		echo "syncdev sync0"
		echo "keyfile \"$T_DIR/sync.key\""
		echo "node-id $id"
		echo "carpd-socket \"$T_DIR/$node/carpd.sock\""
		echo "control-socket \"$T_DIR/$node/syncd.sock\""
		echo "pfsync-if none"
		echo "send-delay 10"
		echo "log-level debug"
		[ -z "$extra" ] || printf '%b\n' "$extra"
	} > "$T_DIR/$node/syncd.conf"
}

# start_syncd NODE: syncd (under $SYNCD_WRAP) in the node's namespace with
# $T_DIR/NODE/syncd.conf; its PID goes to SPID_NODE. Returns once this
# instance has logged "started" (the log is appended to across restarts)
# and its control socket exists.
start_syncd() {
	local node=$1 n0 wait
	n0=$(grep -c "started" "$T_DIR/$node/syncd.log" 2>/dev/null)
	wait=${SYNCD_START_WAIT:-$([ -n "$SYNCD_WRAP" ] && echo 60 || echo 10)}
	# shellcheck disable=SC2086
	ip netns exec "$(ns "$node")" $SYNCD_WRAP "$SYNCD" -d -f "$T_DIR/$node/syncd.conf" \
		>>"$T_DIR/$node/syncd.log" 2>&1 &
	eval "SPID_$node=$!"
	T_PIDS="$T_PIDS $!"
	poll_for "$wait" eval '[ "$(grep -c started "$T_DIR/$node/syncd.log")" -gt "${n0:-0}" ] &&
		test -S "$T_DIR/$node/syncd.sock"'
}

spid_of() { eval "echo \${SPID_$1:-}"; }

# stop_syncd NODE [SIGNAL]: signal (TERM by default), wait (bounded: 60 s
# for a wrapped syncd, valgrind's leak check takes a while) for the exit;
# the exit status goes to SRC_NODE.
stop_syncd() {
	local node=$1 sig=${2:-TERM} p n=100
	p=$(spid_of "$node")
	[ -n "$p" ] || return 1
	[ -n "$SYNCD_WRAP" ] && n=1200
	kill "-$sig" "$p" 2>/dev/null
	for _ in $(seq 1 $n); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	! kill -0 "$p" 2>/dev/null || return 1
	wait "$p" 2>/dev/null
	eval "SRC_$node=$?"
	eval "SPID_$node="
	return 0
}

# sst NODE: `carpctl sync status` of NODE as JSON; sq NODE FILTER: jq -r on it.
sst() { "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status; }
sq() { sst "$1" | jq -r "$2"; }

# topo_fw_pair: client - LAN bridge - fw1/fw2 - WAN bridge - server, and the
# direct sync link:
#   client eth0 192.0.2.100        (br0)   fw1 eth0 192.0.2.1    fw2 eth0 192.0.2.2
#   server eth0 198.51.100.100     (br1)   fw1 eth1 198.51.100.1 fw2 eth1 198.51.100.2
#   fw1 sync0 203.0.113.1 <-> fw2 sync0 203.0.113.2
# The client's default route is the LAN VIP 192.0.2.254; the server needs
# none (the firewalls SNAT to the WAN VIP 198.51.100.254, on its link).
topo_fw_pair() {
	topo_lan && topo_wan && topo_wan_server || return 1
	ip -n "$(ns client)" route add default via 192.0.2.254 &&
	sync_link
}

# topo_wan_server: the server on the WAN bridge (after topo_wan):
#   server eth0 198.51.100.100 (port q-server), no route
topo_wan_server() {
	ns_add server || return 1
	ip link add "$T_ID-v20" type veth peer name "$T_ID-p20" || return 1
	ip link set "$T_ID-v20" netns "$(ns server)" name eth0 &&
	ip link set "$T_ID-p20" netns "$(ns lan)" name q-server &&
	ip -n "$(ns lan)" link set q-server master br1 up &&
	ip -n "$(ns server)" link set eth0 up &&
	ip -n "$(ns server)" addr add 198.51.100.100/24 dev eth0
}

# fw_strict NODE: the strict firewall of pfsync-conntrack.md 5.4: forwarding
# on, nf_conntrack_tcp_loose=0 (a mid-stream segment without an entry is
# invalid), forward policy drop, established/related accepted, invalid
# dropped and counted, new connections only from the LAN to the WAN and
# only with a SYN, SNAT of the LAN to the WAN VIP. Named counters
# "invalid" and "established" (nft_count NODE NAME reads them). Addresses,
# not interface names: on the MASTER the LAN traffic arrives on the
# macvlan carpd puts the VIP on.
fw_strict() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 &&
	nsx "$1" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 &&
	nsx "$1" nft -f - <<'NFT'
table inet fw {
	counter invalid { }
	counter established { }
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related counter name "established" accept
		ct state invalid counter name "invalid" drop
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 tcp flags & (syn | ack | fin | rst) == syn ct state new accept
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 snat ip to 198.51.100.254
	}
}
NFT
}
nft_count() {	# nft_count NODE NAME: packets of a named counter of table inet fw
	nsx "$1" nft -j list counter inet fw "$2" |
		jq -r '.nftables[] | select(.counter) | .counter.packets'
}

# silence_all NODE: the node dies silently: everything in and out of every
# veth it has (LAN, WAN, sync) is dropped in netdev ingress and egress
# hooks, before anything else sees it; links stay up (pfsync-conntrack.md
# 5.4: downing links under load gives false results). unsilence_all undoes it.
silence_all() {
	local d
	{
		echo "table netdev carpsync_dead {"
		for d in $(ip -n "$(ns "$1")" -o link show type veth |
			awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'); do
			echo "chain in_$d { type filter hook ingress device \"$d\" priority -500; policy drop; }"
			echo "chain out_$d { type filter hook egress device \"$d\" priority -500; policy drop; }"
		done
		echo "}"
	} | nsx "$1" nft -f -
}
unsilence_all() { nsx "$1" nft delete table netdev carpsync_dead; }

# echo_tools: $T_DIR/echo_server.py PORT (echoes every connection) and
# $T_DIR/echo_client.py HOST PORT SECONDS LOG [INTERVAL [SOURCE]]: a numbered line
# every INTERVAL s (0.05 = 20 msg/s), each echo awaited; logs "PORT p",
# "echo n t" and "END n maxgap"; exit 0 if echoes kept coming to the end,
# 1 on a stall (an echo still missing at the end), 2 on a reset or EOF.
echo_tools() {
	cat >"$T_DIR/echo_server.py" <<'PY'
import socket, sys, threading
def serve(c):
    with c:
        while True:
            try:
                d = c.recv(4096)
            except OSError:
                return
            if not d:
                return
            c.sendall(d)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(8)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
	cat >"$T_DIR/echo_client.py" <<'PY'
import socket, sys, time
host, port, dur, logf = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
gap = float(sys.argv[5]) if len(sys.argv) > 5 else 0.05
log = open(logf, "w", buffering=1)
src = sys.argv[6] if len(sys.argv) > 6 else None
s = socket.create_connection((host, port), timeout=5,
                             source_address=(src, 0) if src else None)
log.write("PORT %d\n" % s.getsockname()[1])
s.settimeout(0.1)
end = time.time() + dur
n, buf, last, maxgap, rc = 0, b"", time.time(), 0.0, 1
while time.time() < end:
    want = b"%08d\n" % n
    try:
        s.sendall(want)
    except OSError as e:
        log.write("ERR %s\n" % e)
        sys.exit(2)
    # a request sent just before the end gets its reply: 1 s of grace, or
    # the last echo races the deadline and the exit resets the stream
    while want not in buf and time.time() < end + 1.0:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        except OSError as e:
            log.write("ERR %s\n" % e)
            sys.exit(2)
        if not d:
            log.write("ERR eof\n")
            sys.exit(2)
        buf += d
    if want not in buf:
        break
    buf = buf[buf.index(want) + len(want):]
    now = time.time()
    maxgap, last = max(maxgap, now - last), now
    log.write("echo %d %.3f\n" % (n, now))
    n += 1
    time.sleep(gap)
else:
    rc = 0
log.write("END %d %.3f\n" % (n, maxgap))
sys.exit(rc)
PY
}

# ct_norm NODE: the node's conntrack table as the conntrack(8) CLI shows it,
# IPv4 and IPv6, normalised to one line per entry, sorted:
#   KEY<TAB>TIMEOUT
# KEY is every field but the timeout and use= (protocol, TCP state,
# both tuples, [UNREPLIED]/[ASSURED], mark, zone) plus "snat"/"dnat" when
# conntrack -L --src-nat/--dst-nat lists the entry (the kernel's NAT
# status: a reply tuple alone is no NAT binding, pfsync-conntrack.md 5.3).
# Only TCP, UDP, ICMP and ICMPv6 entries that are not the hosts' own
# multicast (IGMP, MLD, the sync frames: never synced) are kept.
ct_norm() {
	local d=$T_DIR/ctn.$1.$$ f
	for f in ipv4 ipv6; do
		timeout 30 ip netns exec "$(ns "$1")" conntrack -L -f $f 2>/dev/null
	done > "$d.all"
	for f in ipv4 ipv6; do
		timeout 30 ip netns exec "$(ns "$1")" conntrack -L -f $f --src-nat 2>/dev/null
	done > "$d.snat"
	for f in ipv4 ipv6; do
		timeout 30 ip netns exec "$(ns "$1")" conntrack -L -f $f --dst-nat 2>/dev/null
	done > "$d.dnat"
	awk -v OFS='\t' '
	function key(   i, k, t) {
		if ($1 != "tcp" && $1 != "udp" && $1 != "icmp" && $1 != "icmpv6")
			return ""
		k = $1
		for (i = 4; i <= NF; i++) {
			if ($i ~ /^use=/)
				continue
			if ($i ~ /^dst=(224\.|ff0)/)
				return ""
			k = k " " $i
		}
		return k
	}
	FILENAME ~ /\.snat$/ { k = key(); if (k != "") snat[k] = 1; next }
	FILENAME ~ /\.dnat$/ { k = key(); if (k != "") dnat[k] = 1; next }
	{
		k = key()
		if (k == "")
			next
		print k (k in snat ? " snat" : "") (k in dnat ? " dnat" : ""), $3
	}' "$d.snat" "$d.dnat" "$d.all" | sort
	rm -f "$d.all" "$d.snat" "$d.dnat"
}

# ct_cmp A B: two ct_norm outputs (files) hold the same entries, field by
# field, and their timeouts are within +-2 s. Prints the differences (at
# most 10 lines of each kind) and a summary line with the largest timeout
# difference; status 0 when all match, else 1 if entries differ, plus 2 if
# timeouts are off (3: both).
ct_cmp() {
	awk -F'\t' '
	NR == FNR { a[$1] = $2; na++; next }
	{ nb++
	  if (!($1 in a)) { if (ob++ < 10) print "only in B: " $1; next }
	  d = a[$1] - $2; if (d < 0) d = -d
	  if (d > max) max = d
	  if (d > 2 && bt++ < 10) print "timeout " a[$1] " vs " $2 ": " $1
	  seen[$1] = 1 }
	END {
	  for (k in a) if (!(k in seen) && ba++ < 10) print "only in A: " k
	  printf "compared %d vs %d entries: %d only in A, %d only in B, %d timeouts off by > 2 s (largest difference %d s)\n",
	      na, nb, ba, ob, bt, max
	  exit (ba + ob > 0 ? 1 : 0) + (bt > 0 ? 2 : 0) }' "$1" "$2"
}

# --- helpers added with the fault-injection suite (tests/fault/) ---------

# stamp_log FILE OUT: every line appended to FILE from now on goes to OUT,
# prefixed with the wall clock ($EPOCHREALTIME, s.us) at which it was read:
# when a daemon logged something, for logs without timestamps. tail is
# inotify-driven (immediate) and exits with the test (--pid).
stamp_log() {
	( tail -n 0 -F --pid=$$ "$1" 2>/dev/null | while IFS= read -r l; do
		printf '%s %s\n' "$EPOCHREALTIME" "$l"
	done ) >"$2" &
	T_PIDS="$T_PIDS $!"
	poll_for 2 test -e "$2"
}

# block_carp / unblock_carp: the LAN bridge drops every CARP packet (IPv4
# and IPv6 protocol 112) it would forward between its ports: a partition
# for CARP only; frames are still learned (forward hook, after learning).
block_carp() {
	nsx lan nft -f - <<'NFT'
table bridge carpsync_split {
	chain no_carp {
		type filter hook forward priority -200; policy accept;
		ip protocol 112 drop
		ip6 nexthdr 112 drop
	}
}
NFT
}
unblock_carp() { nsx lan nft delete table bridge carpsync_split; }

# --- the daemons' users (least privilege, test_priv) ---------------------

# carpd and syncd drop to their users (conf/carpsync.sysusers: carpd and
# syncd, primary group carpsync) once set up; the tests run that real drop.
# The users are created here once, by systemd-sysusers (idempotent) as the
# package's sysusers.d entry would. Everything a test creates under T_DIR
# is then of group carpsync (a setgid directory) and group-writable
# (umask 002), as /run/carpsync is (tmpfiles.d 1770 root carpsync): after
# the drop the daemons reread their configs (SIGHUP), remove their
# sockets at exit, reach each other's sockets, sd_notify and sanitizer
# logs. Keys stay 0600 (owner root: read before the drop).
T_SYSUSERS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/conf/carpsync.sysusers
ensure_users() {
	getent passwd carpd >/dev/null && getent passwd syncd >/dev/null &&
		getent group carpsync >/dev/null && return 0
	systemd-sysusers "$T_SYSUSERS" >/dev/null 2>&1 ||
		{ log "cannot create the users of $T_SYSUSERS"; return 1; }
}
if [ "$(id -u)" = 0 ] && ensure_users; then
	chgrp carpsync "$T_DIR" && chmod 2770 "$T_DIR"
fi
umask 002

# forget_pid PID: PID has exited and been reaped (stop_carpd, stop_syncd):
# cleanup must not signal it, since by then the number may be another
# process's. For scenarios that restart a daemon many times.
forget_pid() {
	local p keep=""
	for p in $T_PIDS; do
		[ "$p" = "$1" ] || keep="$keep $p"
	done
	T_PIDS=$keep
}

# --- helpers added with fault_sync_wire, fault_ctl_clients and
# fault_malformed -----------------------------------------------------

# relay_sync_link: the sync cable of sync_link, cut in two by namespace
# "wire" (ns_add it first), where BUILD/tests/wire_relay joins the halves:
#   fw1 sync0 203.0.113.1/30 -- ra [wire] rb -- fw2 sync0 203.0.113.2/30
# The wire's ends have no address and no IPv6: it says nothing itself.
relay_sync_link() {
	ip link add "$T_ID-r1" type veth peer name "$T_ID-r2" || return 1
	ip link add "$T_ID-r3" type veth peer name "$T_ID-r4" || return 1
	ip link set "$T_ID-r1" netns "$(ns fw1)" name sync0 &&
	ip link set "$T_ID-r2" netns "$(ns wire)" name ra &&
	ip link set "$T_ID-r3" netns "$(ns wire)" name rb &&
	ip link set "$T_ID-r4" netns "$(ns fw2)" name sync0 &&
	nsx wire sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
	nsx wire sysctl -qw net.ipv6.conf.default.disable_ipv6=1 &&
	ip -n "$(ns wire)" link set dev ra up &&
	ip -n "$(ns wire)" link set dev rb up &&
	ip -n "$(ns fw1)" addr add 203.0.113.1/30 dev sync0 &&
	ip -n "$(ns fw2)" addr add 203.0.113.2/30 dev sync0 &&
	ip -n "$(ns fw1)" link set sync0 up &&
	ip -n "$(ns fw2)" link set sync0 up
}

# relay_start ARGS...: wire_relay ARGS ra rb in namespace wire, its output
# in $T_DIR/relay.out; returns once it is relaying ("ready").
relay_start() {
	ip netns exec "$(ns wire)" "$BUILD/tests/wire_relay" "$@" ra rb \
		>"$T_DIR/relay.out" 2>&1 &
	RELAY_PID=$!
	T_PIDS="$T_PIDS $RELAY_PID"
	poll_for 5 grep -qx ready "$T_DIR/relay.out"
}
# relay_stop: SIGTERM; the relay sends what it holds, prints its counters
# and exits.
relay_stop() {
	kill -TERM "$RELAY_PID" 2>/dev/null || return 1
	wait "$RELAY_PID"
}
# relay_counts DIR FIELD...: the relay's last report for DIR ("A>B" is
# fw1 -> fw2), the FIELDs' values on one line
relay_counts() {
	local dir=$1; shift
	grep "^$dir " "$T_DIR/relay.out" | tail -n 1 | awk -v f="$*" '
		{ for (i = 2; i < NF; i += 2) v[$i] = $(i + 1)
		  n = split(f, w, " "); s = ""
		  for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") (w[i] in v ? v[w[i]] : "?")
		  print s }'
}
relay_out_dev() { [ "$1" = "A>B" ] && echo rb || echo ra; }

# link_drops NODE DEV rx|tx: packets the device dropped that way
link_drops() {
	ip -n "$(ns "$1")" -s -j link show dev "$2" | jq -r ".[0].stats64.$3.dropped"
}
# raw_drops NODE PROTO: datagrams the kernel dropped on the node's raw
# sockets of IP protocol PROTO (IPv4 and IPv6; a full receive buffer),
# the drops column of /proc/net/raw and raw6 (the "port" is the protocol)
raw_drops() {
	nsx "$1" cat /proc/net/raw /proc/net/raw6 | awk -v p="$2" '
		function hex(h,   i, v) {	# mawk has no strtonum
			v = 0
			for (i = 1; i <= length(h); i++)
				v = v * 16 + index("0123456789ABCDEF", toupper(substr(h, i, 1))) - 1
			return v
		}
		$2 ~ /:/ { n = split($2, a, ":"); if (hex(a[n]) == p) s += $NF }
		END { print s + 0 }'
}

# fd_count PID: open file descriptors of a process
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# lat_start NAME CMD...: runs CMD in a loop until lat_stop NAME, LAT_GAP
# seconds apart (default 0.02: the sampler must not be the load), timing
# each run into $T_DIR/lat.NAME, one line per run: its duration in ms
# (with fractions; "fail" if it failed) and its start (wall clock, s).
# lat_stop NAME: stops the loop after its current run and sets LAT_N
# (runs), LAT_FAIL, LAT_MED, LAT_MAX (ms).
lat_start() {
	local name=$1; shift
	rm -f "$T_DIR/lat.$name.stop" "$T_DIR/lat.$name"
	( while [ ! -e "$T_DIR/lat.$name.stop" ]; do
		t=$EPOCHREALTIME
		if "$@" >/dev/null 2>&1; then
			awk -v a="$t" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f %s\n", (b - a) * 1000, a }'
		else
			echo "fail $t"
		fi
		sleep "${LAT_GAP:-0.02}"
	done ) >"$T_DIR/lat.$name" &
	eval "LAT_PID_$name=$!"
	T_PIDS="$T_PIDS $!"
	poll_for 5 test -s "$T_DIR/lat.$name"
}
lat_stop() {
	local name=$1 p
	p=$(eval "echo \${LAT_PID_$name:-}")
	touch "$T_DIR/lat.$name.stop"
	[ -n "$p" ] && wait "$p" 2>/dev/null
	LAT_N=$(wc -l < "$T_DIR/lat.$name")
	LAT_FAIL=$(grep -c fail "$T_DIR/lat.$name")
	read -r LAT_MED LAT_MAX <<<"$(grep -v fail "$T_DIR/lat.$name" | cut -d' ' -f1 | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "- -";
			else print v[int((NR + 1) / 2)], v[NR] }')"
}

# cpu_ms PID: CPU time (user + system) a process has used so far, in ms
cpu_ms() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%d\n", ($12 + $13) * 1000 / hz }' "/proc/$1/stat"
}

# poll_every INTERVAL TIMEOUT CMD...: poll_for with INTERVAL seconds
# between tries, for checks that fork a lot (carpctl | jq) while the test
# measures how fast a daemon answers: the poll must not be the load.
poll_every() {
	local gap=$1 timeout=$2; shift 2
	local end=$(( $(date +%s%N) + $(awk -v t="$timeout" 'BEGIN { printf "%.0f", t * 1e9 }') ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		[ "$(date +%s%N)" -ge "$end" ] && return 1
		sleep "$gap"
	done
}

# san_bounds: under a sanitizer build, LAT_MAX_MS and EXEC_SLACK_MS
# (response-time bounds) tripled, and said so: ASan+UBSan run the
# daemons' code 2-3 times slower and give every carpctl a runtime to set
# up (~60 ms median here against ~6); that run is for memory and UB
# findings, the normal build is held to the bounds themselves.
san_bounds() {
	[ "$T_SAN_BUILD" = 1 ] || return 0
	LAT_MAX_MS=$((LAT_MAX_MS * 3)); EXEC_SLACK_MS=$((EXEC_SLACK_MS * 3))
	log "sanitizer build: response bounds tripled ($LAT_MAX_MS ms, +$EXEC_SLACK_MS ms for a carpctl start)"
}

# stall_start / stall_stop: BUILD/tests/stall_probe while a test times a
# daemon's replies: every stall of 5 ms or more of a process that only
# sleeps 1 ms at a time, "MS START_S", in $T_DIR/stalls; stall_stop sets
# STALL_MAX (ms, the longest late wake-up).
stall_start() {
	rm -f "$T_DIR/stall.stop"
	"$BUILD/tests/stall_probe" "$T_DIR/stall.stop" 5 >"$T_DIR/stalls" 2>&1 &
	STALL_PID=$!
	T_PIDS="$T_PIDS $STALL_PID"
}
stall_stop() {
	touch "$T_DIR/stall.stop"
	wait "$STALL_PID"
	STALL_MAX=$(sed -n 's/^# .* max \([0-9.]*\) ms$/\1/p' "$T_DIR/stalls")
}
# lat_own SAMPLES BOUND_MS: replies ("MS START_S" a line, as lat_start
# and ctl_hold -t write them; "fail" lines skipped) against a bound, each
# less the part of it the stall probe spent stalled (after stall_stop):
# a machine that runs nobody at that priority for 200 ms delays every
# daemon by 200 ms, whatever its code does. Prints the largest own part
# and the largest reply; status 0 if no own part is above BOUND_MS.
lat_own() {
	awk -v b="$2" '
		FNR == NR { if ($1 !~ /^#/) { n++; ss[n] = $2; se[n] = $2 + $1 / 1000 }; next }
		$1 == "fail" { next }
		{ qs = $2; qe = $2 + $1 / 1000; ov = 0
		  for (i = 1; i <= n; i++) {
			s = ss[i] > qs ? ss[i] : qs; e = se[i] < qe ? se[i] : qe
			if (e > s) ov += e - s
		  }
		  own = $1 - ov * 1000
		  if (own > worst) { worst = own; raw = $1; st = ov * 1000 }
		  if ($1 > rawmax) rawmax = $1 }
		END { printf "largest own part %.1f ms (of a %.1f ms reply; %.1f ms of it the probe stalled too), largest reply %.1f ms\n",
			worst, raw, st, rawmax
		      exit !(worst <= b) }' "$T_DIR/stalls" "$1"
}
# replies_within WHAT SAMPLES BOUND_MS: the replies in SAMPLES (as
# lat_own reads them), their count, failures, median and maximum, and
# their largest own part, logged; checks that none failed and that no
# reply's own part (lat_own) is above BOUND_MS.
replies_within() {
	local what=$1 f=$2 b=$3 n nf med max own
	n=$(grep -c . "$f"); nf=$(grep -c '^fail' "$f")
	read -r med max <<<"$(grep -v '^fail' "$f" | cut -d' ' -f1 | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "- -"; else print v[int((NR + 1) / 2)], v[NR] }')"
	own=$(lat_own "$f" "$b")
	log "$what: $n replies, $nf failed, median $med ms, max $max ms; $own"
	check "$what: every reply came ($n)" eval '[ "$n" -ge 5 ] && [ "$nf" = 0 ]'
	check "$what: each within $b ms, machine stalls aside" lat_own "$f" "$b"
}
