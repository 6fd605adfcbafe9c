#!/bin/bash
# Least privilege (carpd(8), syncd(8) SECURITY): carpd and syncd started
# as root run as their users once set up (carpd, syncd; group carpsync),
# as /proc/PID/status shows: every uid and gid theirs, only the group
# carpsync, carpd's CapEff = CapPrm = CapBnd = CAP_NET_ADMIN|CAP_NET_RAW,
# syncd's CAP_NET_ADMIN alone, nothing inheritable or ambient, NoNewPrivs.
# Their control sockets are 0660 USER:carpsync; a client in carpsync (as
# its gid or a supplementary group) is answered, one that gets past the
# file mode (CAP_DAC_OVERRIDE) but is nobody:nogroup is refused, counted
# and logged once per 10 s. After the drop: syncd talks to carpd, writes
# conntrack entries, carpd reloads a vhost on a new carpdev (new raw
# sockets, a macvlan), fails over on SIGTERM and removes its VIPs,
# macvlans and socket. Started unprivileged as systemd does (User=,
# AmbientCapabilities=), each keeps only what it needs, and every system
# call it makes is one its unit's SystemCallFilter allows (strace). A
# missing user, a wrong one and missing capabilities are clear fatal
# errors; `user root` keeps root.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl; SYNCD=$BUILD/syncd
REPO=$(cd "$(dirname "$0")/../.." && pwd)
need_root
for t in setpriv unshare conntrack jq; do
	command -v $t >/dev/null || { echo "$T_NAME: SKIP (no $t)"; exit 77; }
done
for b in "$CARPD" "$SYNCD" "$CARPCTL"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done
if ! getent passwd carpd >/dev/null || ! getent passwd syncd >/dev/null; then
	fail "users carpd and syncd exist (lib.sh ensure_users)"; finish; exit
fi
UID_C=$(id -u carpd); UID_S=$(id -u syncd)
GID=$(getent group carpsync | cut -d: -f3)
CAP_NET_ADMIN=12; CAP_NET_RAW=13	# linux/capability.h
BOTH=$(( (1 << CAP_NET_ADMIN) | (1 << CAP_NET_RAW) )); ADMIN=$(( 1 << CAP_NET_ADMIN ))

# pfield PID NAME: a /proc/PID/status field, blanks squeezed
pfield() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }
# pcaps PID NAME: a capability set of /proc/PID/status as a number
pcaps() { echo $(( 16#$(pfield "$1" "$2") )); }

# dropped WHAT PID UID CAPS ROOT: what the drop left; ROOT=1: started as
# root, so the groups and the bounding set were reduced too
dropped() {
	local what=$1 p=$2 uid=$3 caps=$4 root=$5 c
	check "$what: Uid $uid real, effective, saved, fs" [ "$(pfield "$p" Uid)" = "$uid $uid $uid $uid" ]
	check "$what: Gid carpsync ($GID) all four" [ "$(pfield "$p" Gid)" = "$GID $GID $GID $GID" ]
	[ "$root" = 1 ] && check "$what: Groups: carpsync alone" [ "$(pfield "$p" Groups)" = "$GID" ]
	for c in CapEff CapPrm; do
		check "$what: $c = $(printf %#x "$caps") exactly" [ "$(pcaps "$p" $c)" = "$caps" ]
	done
	for c in CapInh CapAmb; do
		check "$what: $c empty" [ "$(pcaps "$p" $c)" = 0 ]
	done
	[ "$root" = 1 ] && check "$what: CapBnd = $(printf %#x "$caps") (nothing to gain by exec)" \
		[ "$(pcaps "$p" CapBnd)" = "$caps" ]
	check "$what: NoNewPrivs 1" [ "$(pfield "$p" NoNewPrivs)" = 1 ]
}

# as_group / as_supplementary / as_nobody / as_intruder CMD...: a client
# nobody with gid carpsync; nobody:nogroup in carpsync as a supplementary
# group; plain nobody:nogroup; nobody:nogroup past the file modes
# (CAP_DAC_OVERRIDE, as a socket mode changed by mistake would let it)
as_group() { setpriv --reuid nobody --regid carpsync --clear-groups "$@"; }
as_supplementary() { setpriv --reuid nobody --regid nogroup --groups carpsync "$@"; }
as_nobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
as_intruder() {
	setpriv --reuid nobody --regid nogroup --clear-groups \
		--inh-caps +dac_override --ambient-caps +dac_override "$@"
}
NOBODY=$(id -u nobody)

topo_lan && topo_wan && sync_link || { fail "topology"; finish; exit; }
ct_hooks fw1 fw2 || fail "conntrack hooks"
write_conf fw1 1 0 20 "192.0.2.254/24"
write_conf fw2 1 0 60 "192.0.2.254/24"

log "started as root: carpd and syncd drop to their users"
check "carpd starts on fw1" start_carpd fw1
check "fw1 MASTER" poll_for 5 is_state fw1 1 MASTER
check "carpd starts on fw2" start_carpd fw2
check "fw2 BACKUP" poll_for 5 is_state fw2 1 BACKUP
check "syncd pair up (their bulks done)" sync_pair_up
check "each syncd, as syncd:carpsync, passed carpd's peer check" \
	poll_for 5 eval '[ "$(sq fw1 .carpd)" = true ] && [ "$(sq fw2 .carpd)" = true ]'
check "carpd logs the drop" grep -q "running as carpd:carpsync (uid $UID_C, gid $GID) with cap_net_admin cap_net_raw" "$T_DIR/fw1/carpd.log"
check "syncd logs the drop" grep -q "running as syncd:carpsync (uid $UID_S, gid $GID) with cap_net_admin (" "$T_DIR/fw1/syncd.log"
dropped "carpd fw1" "$(pid_of fw1)" "$UID_C" $BOTH 1
dropped "syncd fw1" "$(spid_of fw1)" "$UID_S" $ADMIN 1

log "control sockets: 0660 USER:carpsync, peer credentials checked"
check "carpd.sock is 0660 carpd:carpsync" [ "$(stat -c '%a %U:%G' "$T_DIR/fw1/carpd.sock")" = "660 carpd:carpsync" ]
check "syncd.sock is 0660 syncd:carpsync" [ "$(stat -c '%a %U:%G' "$T_DIR/fw1/syncd.sock")" = "660 syncd:carpsync" ]
out=$T_DIR/out; err=$T_DIR/err
check "nobody with gid carpsync gets carpd's status" eval 'as_group "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" -j status >"$out" &&
	jq -e ".vhosts[0].vhid == 1" "$out"'
check "nobody in carpsync as a supplementary group too (SO_PEERGROUPS)" eval 'as_supplementary "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" -j status >"$out" &&
	jq -e ".vhosts[0].vhid == 1" "$out"'
check "... and syncd's" eval 'as_supplementary "$CARPCTL" -s "$T_DIR/fw1/syncd.sock" -j sync status >"$out" &&
	jq -e ".node_id == 1" "$out"'
as_nobody "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" status >"$out" 2>"$err"; rc=$?
check "nobody:nogroup is stopped by the file modes first" eval '[ "$rc" = 1 ] && grep -q "Permission denied" "$err"'
as_intruder "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" status >"$out" 2>"$err"; rc=$?
check "nobody:nogroup past the file modes: carpd refuses it (exit 1)" [ "$rc" = 1 ]
check "  and says why (or closes first)" grep -Eq "permission denied: uid $NOBODY is not root, carpd or in group carpsync|connection closed|Broken pipe|reset" "$err"
check "  nothing on stdout" [ ! -s "$out" ]
check "  counted: control.refused 1" [ "$(ctl fw1 -j status | jq -r .control.refused)" = 1 ]
check "  logged with its uid" grep -q "control: refused a connection from uid $NOBODY gid $(id -g nobody)" "$T_DIR/fw1/carpd.log"
for _ in 1 2 3 4 5; do as_intruder "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" status >/dev/null 2>&1; done
check "5 more refused: counted 6" [ "$(ctl fw1 -j status | jq -r .control.refused)" = 6 ]
check "  but logged once (rate limit)" [ "$(grep -c "control: refused a connection" "$T_DIR/fw1/carpd.log")" = 1 ]
check "  text status shows the count" eval 'ctl fw1 status | grep -Eq "^control: refused 6( |\$)"'
as_intruder "$CARPCTL" -s "$T_DIR/fw1/syncd.sock" sync status >"$out" 2>"$err"; rc=$?
check "syncd refuses it too (exit 1)" [ "$rc" = 1 ]
check "  counted: control.refused 1" [ "$(sq fw1 .control.refused)" = 1 ]
check "  logged" grep -q "control: refused a connection from uid $NOBODY" "$T_DIR/fw1/syncd.log"
check "carpd still answers root" eval 'ctl fw1 -j status | jq -e ".vhosts[0].state == \"MASTER\""'

log "after the drop: conntrack writes, reload, failover, clean-up"
nsx fw1 conntrack -I -p tcp -s 192.0.2.100 -d 198.51.100.100 --sport 40001 --dport 80 \
	--state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED >/dev/null 2>&1
check "syncd on fw2 (CAP_NET_ADMIN only) writes fw1's state into its kernel" \
	poll_for 3 eval 'nsx fw2 conntrack -L -p tcp --sport 40001 2>/dev/null | grep -q ESTABLISHED'
add_vhost fw1 2 eth1 0 20 "198.51.100.254/24"
kill -HUP "$(pid_of fw1)"
check "SIGHUP as carpd: vhid 2 on the new carpdev eth1 runs" poll_for 5 is_state fw1 2 MASTER
check "  its VIP is on fw1" has_vip fw1 198.51.100.254
check "  the reload is logged" grep -q "reloaded .*: 2 vhost(s)" "$T_DIR/fw1/carpd.log"
check "  no failure logged" eval '! grep -Eqi "cannot|denied|not permitted" "$T_DIR/fw1/carpd.log"'
check "  the capabilities did not change" [ "$(pcaps "$(pid_of fw1)" CapEff)" = $BOTH ]
check "SIGTERM of the master: carpd exits 0" stop_carpd fw1 TERM
check "  with status 0" [ "${RC_fw1:-1}" = 0 ]
check "fw2 takes over vhid 1" poll_for 3 is_state fw2 1 MASTER
check "fw2 holds the VIP" has_vip fw2 192.0.2.254
check "fw1 removed both VIPs" eval '! has_vip fw1 192.0.2.254 && ! has_vip fw1 198.51.100.254'
check "fw1 removed its macvlans" eval '[ -z "$(ip -n "$(ns fw1)" -o link show type macvlan)" ]'
check "fw1 removed its control socket (group write on the directory)" [ ! -e "$T_DIR/fw1/carpd.sock" ]
check "syncd fw1 stops on SIGTERM" stop_syncd fw1 TERM
check "  with status 0, its socket removed" eval '[ "${SRC_fw1:-1}" = 0 ] && [ ! -e "$T_DIR/fw1/syncd.sock" ]'

log "started unprivileged, as systemd does (User=, AmbientCapabilities=)"
# as_systemd USER PROG ARGS...: PROG as its unit starts it: User=USER
# Group=carpsync (and its groups), CapabilityBoundingSet= and
# AmbientCapabilities= CAP_NET_ADMIN CAP_NET_RAW, its own /var/lib/carpsync
# (tmpfs, 1770 root:carpsync as tmpfiles.d makes it) in a private mount
# namespace, so that the host's is never touched. Every step execs: the
# PID is PROG's.
cat >"$T_DIR/as_systemd" <<'SH'
#!/bin/bash
u=$1; shift
exec unshare -m --propagation private -- bash -c '
	gid=$(getent group carpsync | cut -d: -f3)
	mount -t tmpfs -o mode=1770,gid="$gid" tmpfs /var/lib/carpsync || exit 1
	u=$1; shift
	exec setpriv --reuid "$u" --regid carpsync --init-groups \
		--bounding-set -all,+net_admin,+net_raw \
		--inh-caps +net_admin,+net_raw --ambient-caps +net_admin,+net_raw "$@"' as_systemd "$u" "$@"
SH
chmod 755 "$T_DIR/as_systemd"
STRACE=""
if command -v strace >/dev/null && [ "$T_SAN_BUILD" = 0 ]; then
	STRACE="strace -f -qq -o"
else
	log "no strace (or a sanitizer build): the system call check is skipped"
fi
# the unprivileged carpd replaces fw1's (BACKUP now: fw2 is MASTER)
rm -f "$T_DIR/fw1/carpd.d/vhid2.conf"
if [ -n "$STRACE" ]; then
	CARPD_WRAP="$STRACE $T_DIR/strace.carpd $T_DIR/as_systemd carpd" start_carpd fw1 ||
		fail "carpd starts unprivileged on fw1 (under strace)"
	p=$(pgrep -P "$(pid_of fw1)" | head -n 1)
else
	CARPD_WRAP="$T_DIR/as_systemd carpd" start_carpd fw1 || fail "carpd starts unprivileged on fw1"
	p=$(pid_of fw1)
fi
check "unprivileged carpd: BACKUP" poll_for 5 is_state fw1 1 BACKUP
check "  logs that it started unprivileged" grep -q "running as carpd:carpsync (uid $UID_C, gid $GID), started unprivileged" "$T_DIR/fw1/carpd.log"
dropped "unprivileged carpd" "$p" "$UID_C" $BOTH 0
check "  its socket is 0660 carpd:carpsync" [ "$(stat -c '%a %U:%G' "$T_DIR/fw1/carpd.sock")" = "660 carpd:carpsync" ]
as_intruder "$CARPCTL" -s "$T_DIR/fw1/carpd.sock" status >/dev/null 2>&1
check "  refuses nobody:nogroup" [ "$(ctl fw1 -j status | jq -r .control.refused)" = 1 ]
check "fw2 bows out (SIGTERM): the unprivileged carpd takes over" eval 'stop_carpd fw2 TERM && poll_for 3 is_state fw1 1 MASTER'
check "  and holds the VIP" has_vip fw1 192.0.2.254
add_vhost fw1 2 eth1 0 20 "198.51.100.254/24"
kill -HUP "$p"
check "  SIGHUP: vhid 2 on eth1 MASTER" poll_for 5 is_state fw1 2 MASTER
check "  SIGTERM: exits, VIPs and macvlans gone" eval 'kill -TERM $p && poll_for 5 eval "! kill -0 $p" &&
	! has_vip fw1 192.0.2.254 && [ -z "$(ip -n "$(ns fw1)" -o link show type macvlan)" ]'
stop_carpd fw1 TERM
check "  exit status 0" [ "${RC_fw1:-1}" = 0 ]

# syncd likewise on fw2 (fw2's own syncd stopped first, its kernel table
# emptied: fw1's bulk must bring the state back). Started unprivileged,
# syncd reads its keyfile as syncd: the key must be syncd's (0600).
stop_syncd fw2 TERM
nsx fw2 conntrack -F >/dev/null 2>&1
install -m 600 -o syncd -g carpsync "$T_DIR/sync.key" "$T_DIR/fw2/sync.key"
sed -i "s|^keyfile .*|keyfile \"$T_DIR/fw2/sync.key\"|" "$T_DIR/fw2/syncd.conf"
if [ -n "$STRACE" ]; then
	SYNCD_WRAP="$STRACE $T_DIR/strace.syncd $T_DIR/as_systemd syncd" SYNCD_START_WAIT=10 start_syncd fw2 ||
		fail "syncd starts unprivileged on fw2 (under strace)"
	p=$(pgrep -P "$(spid_of fw2)" | head -n 1)
else
	SYNCD_WRAP="$T_DIR/as_systemd syncd" start_syncd fw2 || fail "syncd starts unprivileged on fw2"
	p=$(spid_of fw2)
fi
check "unprivileged syncd logs that it started unprivileged" grep -q "running as syncd:carpsync (uid $UID_S, gid $GID), started unprivileged with cap_net_admin" "$T_DIR/fw2/syncd.log"
dropped "unprivileged syncd" "$p" "$UID_S" $ADMIN 0
check "start_syncd fw1 (root)" start_syncd fw1
check "  the unprivileged syncd gets fw1's table into its kernel" \
	poll_for 5 eval 'nsx fw2 conntrack -L -p tcp --sport 40001 2>/dev/null | grep -q ESTABLISHED'
as_intruder "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync status >/dev/null 2>&1
check "  refuses nobody:nogroup" [ "$(sq fw2 .control.refused)" = 1 ]
check "  SIGTERM: exits" eval 'kill -TERM $p && poll_for 5 eval "! kill -0 $p"'
stop_syncd fw2 TERM
check "  exit status 0" [ "${SRC_fw2:-1}" = 0 ]

# allowed UNIT: every system call its SystemCallFilter= lines allow, one a
# line, expanded with systemd-analyze (groups within groups included)
expand() {
	local w
	for w in "$@"; do
		case $w in
		@*) expand $(systemd-analyze syscall-filter "$w" 2>/dev/null | awk 'NR > 1 && !/^ *#/ { print $1 }') ;;
		*) echo "$w" ;;
		esac
	done
}
allowed() {
	local v
	# shellcheck disable=SC2086
	sed -n 's/^SystemCallFilter=//p' "$1" | while read -r v; do
		case $v in
		"~"*) expand ${v#\~} | sed 's/^/-/' ;;
		*) expand $v | sed 's/^/+/' ;;
		esac
	done | awk '/^\+/ { a[substr($0, 2)] = 1 } /^-/ { delete a[substr($0, 2)] }
		END { for (s in a) print s }' | sort -u
}
# after_exec FILE PROG: the strace log from PROG's execve on, without PIDs
after_exec() {
	awk -v prog="$2" 'index($0, "execve(\"" prog "\"") && / = 0$/ { on = 1; next }
		on { sub(/^[0-9]+ +/, ""); print }' "$1"
}
# used FILE PROG: the system calls PROG made, one a line
used() {
	after_exec "$1" "$2" | awk '/^[a-z_0-9]+\(/ { sub(/\(.*/, ""); print }' | sort -u
}
if [ -n "$STRACE" ] && command -v systemd-analyze >/dev/null; then
	for d in carpd syncd; do
		allowed "$REPO/conf/$d.service" >"$T_DIR/allowed.$d"
		used "$T_DIR/strace.$d" "$BUILD/$d" >"$T_DIR/used.$d"
		n=$(wc -l <"$T_DIR/used.$d")
		comm -23 "$T_DIR/used.$d" "$T_DIR/allowed.$d" >"$T_DIR/denied.$d"
		check "unprivileged $d made $n distinct system calls (>= 30)" [ "$n" -ge 30 ]
		if [ -s "$T_DIR/denied.$d" ]; then
			fail "$d.service's SystemCallFilter denies what $d calls: $(tr '\n' ' ' <"$T_DIR/denied.$d")"
		else
			pass "every one is allowed by $d.service's SystemCallFilter"
		fi
	done
	# syncd.service has ProcSubset=pid: only /proc/self and /proc/PID
	after_exec "$T_DIR/strace.syncd" "$SYNCD" | grep -E '^open(at)?\(.*"/proc/' |
		grep -Ev '"/proc/(self|thread-self|[0-9]+)/' >"$T_DIR/proc.syncd"
	check "syncd opens nothing in /proc but its own (ProcSubset=pid)" [ ! -s "$T_DIR/proc.syncd" ]
fi

log "the wrong user, no capabilities, a missing user, user root"
mkdir -p "$T_DIR/solo/carpd.d"
printf 'control-socket "%s/solo/carpd.sock"\ninclude "carpd.d/*.conf"\n' "$T_DIR" >"$T_DIR/solo/carpd.conf"
cp "$T_DIR/fw1/carpd.d/vhid1.conf" "$T_DIR/solo/carpd.d/"
# nobody with what carpd needs (and what it takes to read the config)
timeout 10 ip netns exec "$(ns fw1)" setpriv --reuid nobody --regid nogroup --clear-groups \
	--inh-caps +net_admin,+net_raw,+dac_override --ambient-caps +net_admin,+net_raw,+dac_override \
	"$CARPD" -d -f "$T_DIR/solo/carpd.conf" >"$out" 2>&1; rc=$?
check "started as nobody (with the capabilities): exit 1" [ "$rc" = 1 ]
check "  naming who it runs as and who it must be" grep -q "started as uid $NOBODY gid $(id -g nobody), not as user carpd (uid $UID_C)" "$out"
check "  before touching the network (no macvlan)" eval '[ -z "$(ip -n "$(ns fw1)" -o link show type macvlan)" ]'
timeout 10 ip netns exec "$(ns fw1)" setpriv --reuid carpd --regid carpsync --init-groups \
	"$CARPD" -d -f "$T_DIR/solo/carpd.conf" >"$out" 2>&1; rc=$?
check "started as carpd without capabilities: exit 1, says what it needs" eval '[ "$rc" = 1 ] && grep -q "need CAP_NET_RAW\|CAP_NET_ADMIN" "$out"'
rm -f "$T_DIR/solo/carpd.sock"
# a user that does not exist
printf 'user carpsync-nosuchuser\n' >>"$T_DIR/solo/carpd.conf"
timeout 10 ip netns exec "$(ns fw1)" "$CARPD" -d -f "$T_DIR/solo/carpd.conf" >"$out" 2>&1; rc=$?
check "carpd with a missing user: exit 1" [ "$rc" = 1 ]
check "  names the user, the file and systemd-sysusers" eval 'grep -q "fatal.*user carpsync-nosuchuser (\`user\` in $T_DIR/solo/carpd.conf) does not exist" "$out" &&
	grep -q "systemd-sysusers" "$out"'
check "  and starts nothing (no socket, no macvlan)" eval '[ ! -e "$T_DIR/solo/carpd.sock" ] &&
	[ -z "$(ip -n "$(ns fw1)" -o link show type macvlan)" ]'
"$CARPD" -n -f "$T_DIR/solo/carpd.conf" >"$out" 2>&1; rc=$?
check "carpd -n: OK, with a warning about the user" eval '[ "$rc" = 0 ] && grep -q "warning: user carpsync-nosuchuser" "$out" &&
	grep -q "configuration OK" "$out"'
write_syncd_conf solo 9 "user carpsync-nosuchuser"
timeout 10 ip netns exec "$(ns fw1)" "$SYNCD" -d -f "$T_DIR/solo/syncd.conf" >"$out" 2>&1; rc=$?
check "syncd with a missing user: exit 1, names it" eval '[ "$rc" = 1 ] &&
	grep -q "user carpsync-nosuchuser (\`user\` in $T_DIR/solo/syncd.conf) does not exist" "$out"'
# user root: no drop (debugging)
sed -i 's/^user .*/user root/' "$T_DIR/solo/carpd.conf"
rm -f "$T_DIR/solo/carpd.d/vhid1.conf"
ip netns exec "$(ns fw1)" "$CARPD" -d -f "$T_DIR/solo/carpd.conf" >"$T_DIR/solo/carpd.log" 2>&1 &
PID_solo=$!; T_PIDS="$T_PIDS $!"
check "user root: carpd runs" poll_for 10 test -S "$T_DIR/solo/carpd.sock"
check "  as root" [ "$(pfield "$PID_solo" Uid)" = "0 0 0 0" ]
check "  with its capabilities" [ "$(pfield "$PID_solo" CapEff)" = "$(pfield "$PID_solo" CapBnd)" ]
check "  and says so" grep -q "user root: running as root" "$T_DIR/solo/carpd.log"
check "  its socket 0660 root:root" [ "$(stat -c '%a %U:%G' "$T_DIR/solo/carpd.sock")" = "660 root:root" ]
check "  stops" stop_carpd solo TERM
finish
