#!/bin/bash
# Section `defer` of `make bench`: what syncd's `defer yes` adds to the
# first packet of a connection (pfsync-conntrack.md 6, item 10: at most
# 20 ms at the 99th percentile).
#
# tests/netns/lib.sh's topo_fw_pair: client - fw1/fw2 - server, sync link;
# syncd on both, no carpd. A flow is one UDP request from a fresh source
# port and its echo; its round trip, as the client measures it, includes
# the hold of its first packet at fw1 until fw2's INS_ACK.
#   symmetric: fw1 is the client's gateway and SNATs to its own address,
#     so replies come back through fw1; defer off and on alternate, run by
#     run, BENCH_DEFER_FLOWS (200) flows each: the p50 and p99 round trip
#     of each run, and their medians over BENCH_RUNS runs.
#   asymmetric: fw1 SNATs to an address only fw2 has, so every reply
#     comes back through fw2 (as balancing with NAT makes it half the
#     time): defer on only, since without it no reply arrives.
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
SYNCD=$BUILD/syncd
[ -x "$SYNCD" ] || bench_fatal "$SYNCD not built"
command -v python3 >/dev/null || bench_fatal "python3 not found"
FLOWS=${BENCH_DEFER_FLOWS:-200}
PORT=7001

topo_fw_pair || bench_fatal "topology"
ip -n "$(ns fw1)" addr add 192.0.2.254/24 dev eth0
ip -n "$(ns fw2)" addr add 198.51.100.254/24 dev eth1
nsx fw1 sysctl -qw net.ipv4.ip_forward=1
nsx fw2 sysctl -qw net.ipv4.ip_forward=1
sync_key || bench_fatal "sync key"

FLOW=$(cd "$(dirname "$0")/../netns" && pwd)/flow_tool.py
ip netns exec "$(ns server)" timeout 3600 python3 "$FLOW" udp-echo $PORT &
track $!

# The NAT ruleset goes in after syncd (syncd.conf(5) defer: on a kernel
# without NETLINK_GLUE_CT its queue chain must come before the conntrack
# hooks); snat_to ADDR chooses the path.
nat() {
	local n
	for n in fw1 fw2; do
		nsx $n nft delete table ip nat 2>/dev/null
		nsx $n nft -f - <<NFT || return 1
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		ip saddr 192.0.2.0/24 oifname "eth1" snat to $1
	}
}
NFT
	done
}
nat_off() { nsx fw1 nft delete table ip nat 2>/dev/null; nsx fw2 nft delete table ip nat 2>/dev/null; true; }

pair() {	# pair yes|no SNAT_ADDR: both syncd (re)started, then the NAT
	local n
	for n in fw1 fw2; do [ -n "$(spid_of $n)" ] && stop_syncd $n; done
	nat_off
	# entries of the last run would make tuples (ports come round again)
	# stale on the peer, which then does not ack: a 20 ms timeout
	for n in fw1 fw2; do nsx $n conntrack -F >/dev/null 2>&1; done
	write_syncd_conf fw1 1 "defer $1" &&
		write_syncd_conf fw2 2 "defer $1" || return 1
	start_syncd fw1 && start_syncd fw2 || return 1
	wait_for 10 eval '[ "$(sq fw1 ".peers | length")" -ge 1 ] && [ "$(sq fw2 ".peers | length")" -ge 1 ]' || return 1
	nat "$2"
}

measure() {	# measure NAME: one run of FLOWS; adds NAME.p50, NAME.p99
	local out ok p50 p99
	out=$(nsx client timeout 300 python3 "$FLOW" udp-rtt 198.51.100.100 $PORT "$FLOWS")
	read -r ok p50 p99 <<<"$out"
	if [ "${ok:-0}" -lt "$FLOWS" ]; then
		progress "$1: $ok of $FLOWS answered"
		fig_add "$1.p50" NA; fig_add "$1.p99" NA; return
	fi
	fig_add "$1.p50" "$p50"; fig_add "$1.p99" "$p99"
}

say "defer: the first packet of a connection held until the peer has its state"
say "  $BENCH_RUNS runs of $FLOWS UDP flows each, off and on alternating; round trips in us as the client sees them"
for r in $(seq 1 "$BENCH_RUNS"); do
	progress "run $r of $BENCH_RUNS"
	pair no 198.51.100.1 || bench_fatal "syncd pair (defer no)"
	measure sym_off
	pair yes 198.51.100.1 || bench_fatal "syncd pair (defer yes)"
	measure sym_on
	nat 198.51.100.254 || bench_fatal "NAT via fw2"
	measure asym_on
	held=$(sq fw1 .defer.held); acked=$(sq fw1 .defer.acked); tmo=$(sq fw1 .defer.timeout)
	fig_add holds_timed_out "$tmo"
	progress "  fw1 held $held, acked $acked, timed out $tmo"
done
for n in fw1 fw2; do stop_syncd $n; done

table_head "first-packet round trip (us)"
fig_row "symmetric, defer off: p50" sym_off.p50 us
fig_row "symmetric, defer on: p50" sym_on.p50 us
fig_row "symmetric, defer off: p99" sym_off.p99 us
fig_row "symmetric, defer on: p99" sym_on.p99 us 20000
fig_row "asymmetric (reply via fw2), defer on: p50" asym_on.p50 us
fig_row "asymmetric (reply via fw2), defer on: p99" asym_on.p99 us 20000
fig_row "holds that ran out (20 ms), per run" holds_timed_out count
read -r _ _ _ off _ <<<"$(fig_stats sym_off.p99)"
read -r _ _ _ on _ <<<"$(fig_stats sym_on.p99)"
added=$(awk -v a="$off" -v b="$on" 'BEGIN { if (a == "NA" || b == "NA") print "NA"; else printf "%.0f", b - a }')
say "  added by defer at p99 (median on - median off): $added us (target <= 20000 us)"
bench_line defer.added_p99 "$added" us
flush_lines
