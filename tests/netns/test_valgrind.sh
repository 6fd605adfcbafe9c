#!/bin/bash
# carpd under valgrind through a whole failover cycle: start, silent death
# and preempt back, demotion, SIGHUP reload, carrier loss, SIGTERM, with
# `auth strict` so that the trailer's send and receive paths run too. No
# invalid access, no uninitialised bytes to syscalls, no leak.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
skip_under_san "valgrind cannot run ASan binaries; the plain run covers it"
command -v valgrind >/dev/null || { echo "$T_NAME: SKIP (no valgrind)"; exit 77; }

topo_lan || { fail "topology"; finish; exit; }
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T_DIR/auth.key" && chmod 600 "$T_DIR/auth.key"
AUTH="auth strict\nauthkeyfile $T_DIR/auth.key"
write_conf fw1 1 0 30 "192.0.2.254/24 2001:db8::fe/64" "preempt yes" "$AUTH"
write_conf fw2 1 0 60 "192.0.2.254/24 2001:db8::fe/64" "preempt yes" "$AUTH"
CARPD_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --log-file=$T_DIR/valgrind.log" \
	start_carpd fw1
start_carpd fw2
check "fw1 (under valgrind) becomes MASTER" wait_for 15 is_state fw1 1 MASTER
silence fw1
check "fw2 takes over" wait_for 5 is_state fw2 1 MASTER
unsilence fw1
check "fw1 preempts back" wait_for 5 is_state fw1 1 MASTER
check "demote" ctl fw1 demote carp 5
check "fw2 takes over on demotion" wait_for 5 is_state fw2 1 MASTER
check "undemote" ctl fw1 demote carp -5
check "fw1 master again" wait_for 5 is_state fw1 1 MASTER
kill -HUP "$(pid_of fw1)"
check "reload logged" wait_for 5 grep -q reloaded "$T_DIR/fw1/carpd.log"
ip -n "$(ns lan)" link set p-fw1 down
check "carrier loss seen" wait_for 5 is_state fw1 1 INIT
ip -n "$(ns lan)" link set p-fw1 up
check "carrier back seen" wait_for 5 is_state fw1 1 BACKUP
check "fw1 verified fw2's trailers, dropped none" eval '[ "$(counter fw1 1 authvalid)" -gt 0 ] &&
	[ "$(ctl fw1 -j status | jq ".vhosts[0].counters | .authmissing + .authmalformed + .authforged + .authreplay")" = 0 ]'
check "fw1 stops on SIGTERM" stop_carpd fw1 TERM
check "valgrind exit status 0 (no error, no leak)" [ "${RC_fw1:-1}" = 0 ]
check "valgrind: 0 errors" grep -q "ERROR SUMMARY: 0 errors" "$T_DIR/valgrind.log"
check "valgrind: all heap blocks freed" grep -q "in use at exit: 0 bytes" "$T_DIR/valgrind.log"
finish
