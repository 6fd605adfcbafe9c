#!/bin/bash
# Notify hooks and notify-fifo (carpd.conf(5) HOOKS): a forced failover
# runs each node's hook with CARP_VHID, CARP_IFNAME, CARP_OLD, CARP_NEW,
# CARP_REASON, as the daemon's user with no capability; fw1 writes one
# line per transition to its FIFO, dropped (counted) while nobody reads.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root

topo_lan || { fail "topology"; finish; exit; }
HOOK=$T_DIR/hook.sh
cat > "$HOOK" <<'EOS'
#!/bin/sh
# one record per run: the CARP_ variables, identity and capabilities;
# hangs while the flag file exists
out=$1
[ -e "${out%/*}/hang" ] && { echo $$ > "${out%/*}/hung.pid"; sleep 1000; }
{ env | grep '^CARP_' | sort; echo "uid=$(id -u)"
  grep '^CapEff:' /proc/self/status; echo "--"; } >> "$out"
EOS
chmod 755 "$HOOK"
FIFO=$T_DIR/fw1.fifo
write_conf fw1 1 1 0 "192.0.2.254/24" "notify-fifo $FIFO" \
	"notify \"$HOOK $T_DIR/fw1.hook\""
write_conf fw2 1 1 100 "192.0.2.254/24" "" "notify \"$HOOK $T_DIR/fw2.hook\""
hs() { ctl "$1" -j status | jq -r "$2"; }

start_carpd fw1; start_carpd fw2
check "fw1 created its FIFO" test -p "$FIFO"
check "FIFO mode 0660, group carpsync" eval \
	'[ "$(stat -c "%a %G" "$FIFO")" = "660 carpsync" ]'
check "fw1 MASTER" poll_for 6 is_state fw1 1 MASTER
check "fw2 BACKUP" poll_for 6 is_state fw2 1 BACKUP
check "no reader: fw1's lines so far dropped and counted" eval \
	'[ "$(hs fw1 .fifo.dropped)" -ge 2 ] && [ "$(hs fw1 .fifo.written)" = 0 ]'
check "fw1's hooks ran for INIT>BACKUP and BACKUP>MASTER" poll_for 3 eval \
	'[ "$(hs fw1 ".vhosts[0].hooks.run")" = 2 ] && [ "$(grep -c -- "^--" "$T_DIR/fw1.hook")" = 2 ]'

log "a reader on the FIFO, then a forced failover (carpctl demote carp 1 on fw1)"
# held open read-write: the reader never sees EOF between carpd's lines
( exec 3<>"$FIFO"; exec cat <&3 > "$T_DIR/fifo.out" ) &
READER=$!; T_PIDS="$T_PIDS $READER"
n1=$(grep -c -- "^--" "$T_DIR/fw1.hook"); n2=$(grep -c -- "^--" "$T_DIR/fw2.hook")
sleep 0.2	# cat has opened the FIFO (nothing to poll for before a line)
ctl fw1 demote carp 1
check "fw2 takes over" poll_for 3 is_state fw2 1 MASTER
check "fw1 BACKUP" poll_for 3 is_state fw1 1 BACKUP
check "fw1's hook ran once more" poll_for 3 eval '[ "$(grep -c -- "^--" "$T_DIR/fw1.hook")" = $((n1 + 1)) ]'
check "fw2's hook ran once more" poll_for 3 eval '[ "$(grep -c -- "^--" "$T_DIR/fw2.hook")" = $((n2 + 1)) ]'
last() { awk 'BEGIN { RS = "--\n" } { r = $0 } END { printf "%s", r }' "$1"; }
R1=$(last "$T_DIR/fw1.hook"); R2=$(last "$T_DIR/fw2.hook")
printf '%s\n' "$R1" | sed 's/^/  fw1 hook: /'
has() { printf '%s\n' "$1" | grep -qx "$2"; }
check "fw1 hook: CARP_VHID=1" has "$R1" "CARP_VHID=1"
check "fw1 hook: CARP_IFNAME=carp1" has "$R1" "CARP_IFNAME=carp1"
check "fw1 hook: CARP_OLD=MASTER" has "$R1" "CARP_OLD=MASTER"
check "fw1 hook: CARP_NEW=BACKUP" has "$R1" "CARP_NEW=BACKUP"
check "fw1 hook: CARP_REASON=peer less demoted" has "$R1" "CARP_REASON=peer less demoted"
check "fw2 hook: VHID, IFNAME, BACKUP -> MASTER (peer demoted)" eval \
	'has "$R2" CARP_VHID=1 && has "$R2" CARP_IFNAME=carp1 && has "$R2" CARP_OLD=BACKUP && has "$R2" CARP_NEW=MASTER && has "$R2" "CARP_REASON=peer demoted"'
check "the hook runs as carpd's user, not root" eval \
	'[ "$(printf "%s\n" "$R1" | sed -n "s/^uid=//p")" = "$(id -u carpd)" ]'
check "the hook holds no capability" has "$R1" "CapEff:	0000000000000000"
check "fifo: the failover line, in the documented format" poll_for 2 grep -qx "1 carp1 MASTER BACKUP peer less demoted" "$T_DIR/fifo.out"
check "fifo: written counted" eval '[ "$(hs fw1 .fifo.written)" = 1 ]'
check "hooks: none failed, killed or dropped" eval \
	'[ "$(hs fw1 ".hooks.failed + .hooks.killed + .hooks.dropped")" = 0 ]'
check "each run logged with its exit status" grep -q "notify hook: pid [0-9]*, exit 0" "$T_DIR/fw1/carpd.log"

log "a hung hook (sleep 1000) on fw1, and 6 transitions meanwhile"
ctl fw1 demote carp -1		# fw1 (BACKUP, no preempt) stays BACKUP
touch "$T_DIR/hang"
ctl fw1 state 1 master
check "the hook hangs" poll_for 2 test -s "$T_DIR/hung.pid"
HUNG=$(cat "$T_DIR/hung.pid")
for i in 1 2 3; do ctl fw1 state 1 backup; ctl fw1 state 1 master; done
rm -f "$T_DIR/hang"
check "carpd answers while its hook hangs" is_state fw1 1 MASTER
check "4 transitions queued, the rest dropped and counted" eval \
	'[ "$(hs fw1 ".vhosts[0].hooks.queued")" = 4 ] && [ "$(hs fw1 .hooks.dropped)" = 2 ]'
check "the drop is logged" grep -q "notify hook: 4 transitions waiting" "$T_DIR/fw1/carpd.log"
check "the hung hook is killed at 10 s, counted" poll_for 12 eval '[ "$(hs fw1 .hooks.killed)" = 1 ]'
check "its pid $HUNG is gone" poll_for 2 eval "! kill -0 $HUNG 2>/dev/null"
check "the queued hooks then run, in order, none failed" poll_for 3 eval \
	'[ "$(hs fw1 ".vhosts[0].hooks.queued")" = 0 ] && [ "$(hs fw1 ".vhosts[0].hooks.failed")" = 0 ] && [ "$(hs fw1 ".vhosts[0].hooks.running")" = false ]'
check "the kill is logged" grep -q "notify hook: pid [0-9]* still running after 10s, killed" "$T_DIR/fw1/carpd.log"
kill "$READER" 2>/dev/null
finish
