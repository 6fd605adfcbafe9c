#!/bin/bash
# sd_notify: carpd (Type=notify) says READY=1 once its vhosts run, and
# STOPPING=1 when SIGTERM makes it bow out; a reload says RELOADING=1.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root

topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "192.0.2.254/24"
sock=$T_DIR/notify.sock
msgs=$T_DIR/notify.txt
python3 "$(dirname "$0")/notify_listen.py" "$sock" "$msgs" 60 &
T_PIDS="$T_PIDS $!"
check "listener up" wait_for 5 grep -q listening "$msgs"
NOTIFY_SOCKET=$sock start_carpd fw1
check "READY=1 received" wait_for 5 grep -q "READY=1" "$msgs"
check "READY came after the control socket exists" test -S "$T_DIR/fw1/carpd.sock"
kill -HUP "$(pid_of fw1)"
check "RELOADING=1 on SIGHUP" wait_for 5 grep -q "RELOADING=1" "$msgs"
check "READY=1 again after the reload" wait_for 5 eval '[ "$(grep -c READY=1 "$msgs")" -ge 2 ]'
stop_carpd fw1 TERM
check "STOPPING=1 on SIGTERM" wait_for 5 grep -q "STOPPING=1" "$msgs"
check "exit status 0" [ "${RC_fw1:-1}" = 0 ]
finish
