#!/bin/bash
# carpd under valgrind with a balanced carpnodes group (carpd.conf(5)
# BALANCING): the nftables table through libnftables, the ARP and ND
# responders (an IPv4 and an IPv6 VIP),
# the counters read back for status and metrics, a reload, a peer taking a
# node and giving it back, SIGTERM. No invalid access, no leak.
# libnftables' own uninitialised netlink padding is suppressed
# (tests/valgrind-libnftables.supp says why).
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
skip_under_san "valgrind cannot run ASan binaries; the plain run covers it"
command -v valgrind >/dev/null || { echo "$T_NAME: SKIP (no valgrind)"; exit 77; }
SUPP=$(cd "$(dirname "$0")/.." && pwd)/valgrind-libnftables.supp

topo_lan || { fail "topology"; finish; exit; }
for n in fw1 fw2; do
	write_conf $n 1 1 0 "192.0.2.254/24" "preempt yes"
	rm "$T_DIR/$n/carpd.d/vhid1.conf"
done
group() {	# group NODE NODES
	printf 'carpnodes %s\nbalancing ip\ncarpdev eth0\naddress 192.0.2.254/24\naddress 2001:db8::fe/64\npass "carpsync-test"\n' "$2" \
		>"$T_DIR/$1/carpd.d/group.conf"
}
group fw1 "1:0,2:100"
group fw2 "1:100,2:0"
CARPD_WRAP="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 --suppressions=$SUPP --log-file=$T_DIR/valgrind.log" \
	start_carpd fw1
check "fw1 (under valgrind) MASTER of both nodes, alone" poll_for 20 eval 'is_state fw1 1 MASTER && is_state fw1 2 MASTER'
check "its table is in place" nsx fw1 nft list table netdev carpsync_eth0
check "the client reaches the VIP (ARP answered with the shared MAC)" poll_for 5 nsx client ping -c 1 -W 1 192.0.2.254
check "  learnt as 01:00:5e:00:01:01" eval '[ "$(neigh_mac client 192.0.2.254)" = 01:00:5e:00:01:01 ]'
check "the client reaches the IPv6 VIP (NS answered, the kernel's NS from it re-sourced)" \
	poll_for 5 nsx client ping -6 -c 1 -W 1 2001:db8::fe
check "  learnt as 01:00:5e:00:01:01" eval '[ "$(neigh_mac client 2001:db8::fe)" = 01:00:5e:00:01:01 ]'
start_carpd fw2
check "fw2 takes node 2 (preferred there)" poll_for 10 is_state fw2 2 MASTER
check "fw1 keeps node 1 only" poll_for 5 eval 'is_state fw1 1 MASTER && is_state fw1 2 BACKUP'
# counters read at most once a second: poll
check "status with the table's counters" poll_for 5 eval '[ "$(ctl fw1 -j status | jq "[.vhosts[] | .balance.accepted] | add")" -ge 1 ]'
check "metrics with the balance families" eval 'ctl fw1 metrics | grep -q "^carpsync_carpd_balance_packets_total{vhid=\"1\""'
kill -HUP "$(pid_of fw1)"
check "reload logged" poll_for 10 grep -q reloaded "$T_DIR/fw1/carpd.log"
stop_carpd fw2
check "fw1 takes node 2 back on fw2's bow-out" poll_for 10 is_state fw1 2 MASTER
check "fw1 stops on SIGTERM" stop_carpd fw1 TERM
check "valgrind exit status 0 (no error, no leak)" [ "${RC_fw1:-1}" = 0 ]
check "valgrind: 0 errors" grep -q "ERROR SUMMARY: 0 errors" "$T_DIR/valgrind.log"
check "the table went with carpd" eval '! nsx fw1 nft list table netdev carpsync_eth0 >/dev/null 2>&1'
log "valgrind: $(grep -E "ERROR SUMMARY|definitely lost|indirectly lost|in use at exit" "$T_DIR/valgrind.log" | sed 's/^==[0-9]*== *//' | tr '\n' ';')"
finish
