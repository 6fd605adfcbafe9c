#!/bin/bash
# Section "balance-cost": where the balancing match's CPU per forwarded
# packet goes (issue 6). Same topology and method as bench_balance.sh
# (client -- fw1 -- server on veths, a pinned iperf3 UDP sender, 64-byte
# payloads dropped at the server's ingress, CPU per packet = the sender's
# CPU time / the packets the server's counter saw), but several variants
# of fw1's ingress side side by side, alternating run by run so that the
# machine's noise falls on all alike; medians are printed:
#   A off          real MAC, no table (balancing off)
#   B real-full    real MAC, carpd's full table loaded: the frame meets
#                  only the ARP rule and the ether daddr test (the cost of
#                  having the hook and table at all)
#   C mc-min       shared multicast MAC, a one-rule table
#                  (ether daddr SHARED meta pkttype set host accept): the
#                  multicast MAC path itself
#   D mc-full      shared MAC, carpd's full table (balancing on, as now)
#   E mc-nocount   D without the named counters (informative only: carpd
#                  reads them)
#   G mc-proposed  D rewritten with fewer expressions, same decisions and
#                  counters (checked below, flow by flow): the daddr test as
#                  a raw link-layer load (@ll,0,48: no iiftype dependency),
#                  the ARP rule after the group jumps, each address pair as
#                  one network-header load (@nh,96,64, @nh,64,256: the
#                  same bytes in the same registers, so the same jhash)
#   H real-empty   real MAC, a base chain without rules: the hook alone
#   P real-pad10   real MAC, 5 rules that never match (meta mark + cmp):
#                  (P - H) / 10 = the cost of one nft expression
#   U real-min     C's one-rule table on the real (unicast) MAC: C - U is
#                  what the multicast MAC costs, the table being the same
#   F mc-flat      (not in the default list) D with the hash rule in the
#                  base chain: no jump to a group chain
# Then BENCH_COST_PERF_RUNS rounds of perf runs of every variant (perf
# record on the sender's CPU, cpu-clock at a fixed period): the time in
# netfilter's symbols per forwarded packet (the table's own cost, which the
# machine's noise hardly moves), and the kernel symbols that grow from A
# to G.
# The tables are carpd's own text (carp_balance.c through
# build/tests/bal_hash), edited by sed for the variants, so that they
# follow the generator.
#
# knobs: BENCH_RUNS (5 here unless set), BENCH_COST_SECONDS (5),
#        BENCH_COST_VARIANTS ("A B C D E G H P U"), BENCH_COST_PERF=0
#        (no perf runs), BENCH_COST_PERF_RUNS (3: perf rounds of all the
#        variants), BENCH_COST_COMPARE ("A C D G": the symbol table's
#        columns; it sorts by the last minus the first)
# usage: bench_balance-cost.sh BUILD_DIR
T_NAME=balance-cost
BENCH_RUNS=${BENCH_RUNS:-5}
. "$(dirname "$0")/lib-bench.sh"
bench_init "$@"
SECONDS_PER_RUN=${BENCH_COST_SECONDS:-5}
VARIANTS=${BENCH_COST_VARIANTS:-"A B C D E G H P U"}
PERF=${BENCH_COST_PERF:-1}
PERF_RUNS=${BENCH_COST_PERF_RUNS:-3}
COMPARE=${BENCH_COST_COMPARE:-"A C D G"}
PERF_PERIOD_NS=50000		# cpu-clock sample every 50 us of CPU
CPU=1				# the sender's CPU (iperf3 -A)
command -v iperf3 >/dev/null || bench_fatal "iperf3 not found (scripts/install-deps.sh installs it)"
[ -x "$BUILD/tests/bal_hash" ] || bench_fatal "$BUILD/tests/bal_hash not built"
if [ "$PERF" = 1 ] && ! command -v perf >/dev/null; then
	progress "perf not found: no perf runs"
	PERF=0
fi
SHARED_MAC=01:00:5e:00:01:01

setup() {
	ns_add client && ns_add fw1 && ns_add server || return 1
	ip link add "$T_ID-c" type veth peer name "$T_ID-f" || return 1
	ip link set "$T_ID-c" netns "$(ns client)" name eth0
	ip link set "$T_ID-f" netns "$(ns fw1)" name eth0
	ip link add "$T_ID-s" type veth peer name "$T_ID-g" || return 1
	ip link set "$T_ID-s" netns "$(ns server)" name eth0
	ip link set "$T_ID-g" netns "$(ns fw1)" name eth1
	for n in client fw1 server; do ip -n "$(ns $n)" link set lo up; done
	ip -n "$(ns client)" link set eth0 up
	ip -n "$(ns server)" link set eth0 up
	ip -n "$(ns fw1)" link set eth0 up
	ip -n "$(ns fw1)" link set eth1 up
	ip -n "$(ns client)" addr add 192.0.2.100/24 dev eth0
	ip -n "$(ns fw1)" addr add 192.0.2.1/24 dev eth0
	ip -n "$(ns fw1)" addr add 198.51.100.1/24 dev eth1
	ip -n "$(ns server)" addr add 198.51.100.10/24 dev eth0
	ip -n "$(ns client)" route add default via 192.0.2.254
	ip -n "$(ns fw1)" addr add 192.0.2.254/32 dev eth0
	ip -n "$(ns server)" route add default via 198.51.100.1
	nsx fw1 sysctl -qw net.ipv4.ip_forward=1
	# IPv6 too, for the decision check of the proposed table's ip6 rule
	nsx fw1 sysctl -qw net.ipv6.conf.all.forwarding=1
	ip -n "$(ns fw1)" addr add 2001:db8:1::1/64 dev eth0 nodad
	ip -n "$(ns fw1)" addr add 2001:db8:2::1/64 dev eth1 nodad
	ip -n "$(ns server)" addr add 2001:db8:2::10/64 dev eth0 nodad
	ip -n "$(ns server)" route add default via 2001:db8:2::1
	ip -n "$(ns client)" addr add 2001:db8:1::100/64 dev eth0 nodad
	ip -n "$(ns client)" route add default via 2001:db8:1::fe
	# the sink: iperf3's 64-byte datagrams (UDP length 72) stop at the
	# server's ingress; its 4-byte hello passes
	nsx server nft -f - <<-EOF
	table netdev bench_sink {
		counter sunk { }
		chain in {
			type filter hook ingress device "eth0" priority 0; policy accept;
			udp length 72 counter name "sunk" drop
		}
	}
	EOF
}
sunk() { nsx server nft list counter netdev bench_sink sunk | awk '/packets/ { print $2 }'; }

# carpd's table for `carpnodes 1:0,2:100` + `balancing ip`, MASTER of both
# vhids (every bucket accepted), as bench_balance.sh loads it
full_table() {
	"$BUILD/tests/bal_hash" create -O -d eth0 -m ip -s 0x63617270 -v 1,2 -o 3 \
		-a 192.0.2.254
}
# the variants' tables on stdout (each starts with carpd's own
# "table / delete table" preamble, so loading one replaces the last)
one_rule() {	# one_rule RULES: a table with a base chain and these rules
	cat <<-EOF
	table netdev carpsync_eth0
	delete table netdev carpsync_eth0
	table netdev carpsync_eth0 {
		chain in {
			type filter hook ingress device "eth0" priority -300; policy accept;
	$(printf '%s\n' "$1")
		}
	}
	EOF
}
# proposed: carpd's text with the daddr test as a raw link-layer load, the
# ARP rule after the group jumps, each address pair as one load
proposed() {
	awk '
	/^\tchain in \{/ { inchain = 1 }
	inchain && /^\t\tarp operation request/ { arp = $0; next }
	inchain && /^\t\tether daddr [0-9a-f:]+ jump / {
		mac = $3; gsub(/:/, "", mac); sub(/ether daddr [0-9a-f:]+/, "@ll,0,48 0x" mac); print; next
	}
	inchain && /^\t\}/ { if (arp != "") print arp; inchain = 0 }
	{
		sub(/jhash ip saddr \. ip daddr /, "meta protocol ip jhash @nh,96,64 ")
		sub(/jhash ip6 saddr \. ip6 daddr /, "meta protocol ip6 jhash @nh,64,256 ")
		print
	}'
}
# the variants' tables on stdout (each starts with carpd's own
# "table / delete table" preamble, so loading one replaces the last)
table_text() {
	case $1 in
	B | D) full_table ;;
	C) one_rule "		ether daddr $SHARED_MAC meta pkttype set host accept" ;;
	U) one_rule "		ether daddr $(mac_of fw1) meta pkttype set host accept" ;;
	H) one_rule "" ;;
	P) one_rule "$(for _ in 1 2 3 4 5; do printf '\t\tmeta mark 0x00000001 accept\n'; done)" ;;
	E) full_table | sed 's/counter name "[a-z_0-9]*" //' ;;
	G) full_table | proposed ;;
	F)
		# the group chain's rules follow the ether daddr test in the
		# base chain: "ether daddr X jump group_1" becomes one rule per
		# group_1 rule, each with the test in front; group_1 stays
		# (unreferenced) so that the rest of the text is unchanged
		full_table | awk -v mac="$SHARED_MAC" '
			/^\tchain group_1 \{/ { ing = 1; print; next }
			ing && /^\t\}/ { ing = 0; print; next }
			ing { r[++n] = $0; print; next }
			$0 ~ "ether daddr " mac " jump group_1" {
				for (i = 1; i <= n; i++) { l = r[i]; sub(/^\t\t/, "", l); print "\t\tether daddr " mac " " l }
				next
			}
			{ print }'
		;;
	*) return 1 ;;
	esac
}
mac_for() { case $1 in A | B | H | P | U) mac_of fw1 ;; *) echo $SHARED_MAC ;; esac; }

mode() {	# mode VARIANT: fw1's table and the client's gateway entry
	if [ "$1" = A ]; then
		nsx fw1 nft delete table netdev carpsync_eth0 2>/dev/null
	else
		nsx fw1 nft -f "$T_DIR/table_$1.nft" || return 1
	fi
	ip -n "$(ns client)" neigh replace 192.0.2.254 lladdr "$(mac_for "$1")" dev eth0 nud permanent
	ip -n "$(ns client)" neigh replace 2001:db8:1::fe lladdr "$(mac_for "$1")" dev eth0 nud permanent
}

# decisions FILE: load a table that accepts vhid 1's bucket only and send
# one echo request per client address (IPv4 and IPv6) through it; a line
# per flow: the family, the address, whether the reply came, and carpd's
# reading of the counters after it (carp_balance_parse_counters through
# bal_hash counters)
FLOWS=12
decisions() {
	local a i fam dst
	nsx fw1 nft -f "$1" || return 1
	for i in $(seq 101 $((100 + FLOWS))); do
		for fam in 4 6; do
			if [ $fam = 4 ]; then a=192.0.2.$i dst=198.51.100.10; else a=2001:db8:1::$i dst=2001:db8:2::10; fi
			nsx client ping -$fam -c 1 -W 1 -I $a $dst >/dev/null 2>&1
			echo "$fam $a $? $(nsx fw1 nft list counters table netdev carpsync_eth0 | "$BUILD/tests/bal_hash" counters | tr '\n' ' ')"
		done
	done
}
# the proposed table against carpd's, flow by flow
check_same() {
	local i
	for i in $(seq 101 $((100 + FLOWS))); do
		ip -n "$(ns client)" addr add 192.0.2.$i/24 dev eth0 || return 1
		ip -n "$(ns client)" addr add 2001:db8:1::$i/64 dev eth0 nodad || return 1
	done
	ip -n "$(ns client)" neigh replace 192.0.2.254 lladdr $SHARED_MAC dev eth0 nud permanent
	ip -n "$(ns client)" neigh replace 2001:db8:1::fe lladdr $SHARED_MAC dev eth0 nud permanent
	"$BUILD/tests/bal_hash" create -O -d eth0 -m ip -s 0x63617270 -v 1,2 -o 1 -a 192.0.2.254 \
		>"$T_DIR/check_carpd.nft" || return 1
	proposed <"$T_DIR/check_carpd.nft" >"$T_DIR/check_proposed.nft"
	decisions "$T_DIR/check_carpd.nft" >"$T_DIR/dec_carpd" || return 1
	decisions "$T_DIR/check_proposed.nft" >"$T_DIR/dec_proposed" || return 1
	# both answer some flows and ignore others, in both families
	for fam in 4 6; do
		for rc in 0 1; do
			grep -q "^$fam [^ ]* $rc " "$T_DIR/dec_carpd" || { echo "no family $fam flow with ping status $rc"; return 1; }
		done
	done
	diff "$T_DIR/dec_carpd" "$T_DIR/dec_proposed"
}

# one UDP run: prints "PPS SENDER_NS_PER_PACKET PACKETS"; with a second
# argument, perf records the sender's CPU into that file meanwhile
udp_run() {
	local j pk c0 c1 snd pp=""
	c0=$(sunk)
	if [ -n "${1:-}" ]; then
		perf record -q -C $CPU -e cpu-clock -c $PERF_PERIOD_NS -o "$1" \
			-- sleep $((SECONDS_PER_RUN + 1)) >/dev/null 2>&1 &
		pp=$!; track $pp
		sleep 0.5
	fi
	j=$(nsx client timeout $((SECONDS_PER_RUN + 15)) iperf3 -A $CPU -c 198.51.100.10 -u -b 0 -l 64 \
		-t "$SECONDS_PER_RUN" -J 2>/dev/null) || return 1
	c1=$(sunk)
	if [ -n "$pp" ]; then wait $pp; untrack $pp; fi
	pk=$((c1 - c0))
	[ "$pk" -gt 0 ] 2>/dev/null || return 1
	snd=$(jq '.end.cpu_utilization_percent.host_total' <<<"$j")
	awk -v p="$pk" -v s="$SECONDS_PER_RUN" -v c="$snd" \
		'BEGIN { printf "%.0f %.0f %d\n", p / s, c / 100 * s * 1e9 / p, p }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.0f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
vname() {
	case $1 in
	A) echo "off (real MAC, no table)" ;;
	B) echo "real MAC, full table" ;;
	C) echo "shared MAC, one-rule table" ;;
	D) echo "shared MAC, full table (on, as now)" ;;
	E) echo "shared MAC, full table without counters" ;;
	F) echo "shared MAC, full table, no group jump" ;;
	G) echo "shared MAC, proposed table" ;;
	H) echo "real MAC, empty base chain" ;;
	P) echo "real MAC, 5 rules never matching (10 expr)" ;;
	U) echo "real MAC, C's one-rule table on it" ;;
	esac
}

setup || bench_fatal "topology"
nsx server iperf3 -s -D -I "$T_DIR/iperf3.pid" >/dev/null 2>&1 || bench_fatal "iperf3 server"
wait_for 5 test -s "$T_DIR/iperf3.pid" || bench_fatal "iperf3 server pid"
track "$(cat "$T_DIR/iperf3.pid")"
case " $VARIANTS " in
*" G "*)
	progress "the proposed table's decisions against carpd's ($FLOWS IPv4 and $FLOWS IPv6 flows)"
	why=$(check_same) || bench_fatal "the proposed table decides otherwise than carpd's: $why"
	same="same decision and counters as carpd's table for $FLOWS IPv4 and $FLOWS IPv6 flows (some accepted, some ignored)"
	;;
esac
# every variant's table loads and forwards; the full-table ones count
for v in $VARIANTS; do
	[ "$v" = A ] && continue
	table_text $v >"$T_DIR/table_$v.nft" || bench_fatal "unknown variant $v"
	mode $v || bench_fatal "variant $v: the table did not load"
	nsx client ping -c 1 -W 2 198.51.100.10 >/dev/null || bench_fatal "variant $v: no forwarding"
done
mode A

for v in $VARIANTS; do : >"$T_DIR/udp_$v"; : >"$T_DIR/ns_$v"; done
for r in $(seq 1 "$BENCH_RUNS"); do
	for v in $VARIANTS; do
		progress "run $r of $BENCH_RUNS, variant $v"
		mode $v || bench_fatal "variant $v: the table did not load"
		out=$(udp_run) || bench_fatal "UDP run failed (variant $v)"
		read -r a b _ <<<"$out"
		echo "$a" >>"$T_DIR/udp_$v"; echo "$b" >>"$T_DIR/ns_$v"
	done
done
# The machine's speed drifts (other jobs, the host): besides each
# variant's median, the median of its run-by-run difference to A in the
# same round, which the drift mostly cancels.
base=$(median <"$T_DIR/ns_A")
say "balancing cost, variant by variant ($BENCH_RUNS runs of ${SECONDS_PER_RUN} s each, alternating; medians;"
say "CPU per forwarded packet = the pinned sender's CPU, which carries fw1's softirq work, / packets at the server;"
say "\"paired\" = the median of (variant - A) within each round):"
say "$(printf '  %-46s %8s %8s %7s %8s  %s' variant pkt/s ns/pkt "% of A" paired "runs (ns/pkt)")"
for v in $VARIANTS; do
	pps=$(median <"$T_DIR/udp_$v"); ns=$(median <"$T_DIR/ns_$v")
	pct=$(awk -v a="$ns" -v b="$base" 'BEGIN { printf "%.1f", a / b * 100 }')
	pd=$(paste "$T_DIR/ns_$v" "$T_DIR/ns_A" | awk '{ print $1 - $2 }' | median)
	say "$(printf '  %s %-44s %8s %8s %7s %+8d  %s' "$v" "$(vname $v)" "$pps" "$ns" "$pct" "$pd" "$(tr '\n' ' ' <"$T_DIR/ns_$v")")"
	{
		echo "bench: balance_cost.$v.udp_pps=$pps pps"
		echo "bench: balance_cost.$v.cpu_per_packet=$ns ns"
		echo "bench: balance_cost.$v.cpu_ratio=$pct %"
		echo "bench: balance_cost.$v.paired_extra=$pd ns"
	} >>"$BENCH_SUMMARY"
done
if [ -n "${same:-}" ]; then
	say "  G: $same; its text against carpd's:"
	diff -u "$T_DIR/table_D.nft" "$T_DIR/table_G.nft" | tail -n +3 | grep '^[-+]' | sed 's/^/    /' |
		while IFS= read -r l; do say "$l"; done
fi

[ "$PERF" = 1 ] || exit 0
# perf: samples of the sender's CPU in its own context (softirq work done
# on its behalf included), per kernel symbol; at a fixed period, a symbol's
# ns per packet = its samples x period / packets.
# The run-level CPU figures above carry the machine's noise (other jobs
# on the same cores and host: +-20 % from run to run); the netfilter
# symbols' share is the table's own cost, which that noise hardly moves.
NF_RE='^(nf_|nft_|__nft|jhash|skb_copy_bits)'
# The machine's speed drifts by +-20 % from run to run, ns figures with
# it; the netfilter symbols' share of the sender's samples hardly moves
# (it is a ratio within one run). With the rest of the path the same in
# every variant, the extra CPU per packet over A, as a part of A's, is
# (share_V - share_A) / (1 - share_V).
syms() {	# syms PERF_DATA PACKETS: "symbol<TAB>ns/pkt<TAB>samples" for kernel symbols
	local c
	# the sender is the busiest comm on its CPU; its name is iperf3, or
	# timeout, or :PID when perf -C missed the exec or fork on the other CPU
	c=$(perf report -i "$1" --stdio --no-children --sort comm -F sample,comm 2>/dev/null |
		awk '!/^#/ && NF >= 2 && $1 > m { m = $1; c = $2 } END { print c }')
	perf report -i "$1" --stdio --no-children --comms "$c" -F sample,sym 2>/dev/null |
		awk -v p="$2" -v per=$PERF_PERIOD_NS '
			/^#/ || NF < 3 { next }
			{ t += $1 }
			$2 != "[k]" { next }
			{ s = $1; sub(/^[^]]*\] /, ""); sub(/ +$/, ""); printf "%s\t%.1f\t%d\n", $0, s * per / p, s }
			END { printf "(all)\t%.1f\t%d\n", t * per / p, t }'
}
for v in $VARIANTS; do : >"$T_DIR/nf_$v"; : >"$T_DIR/share_$v"; : >"$T_DIR/ndc_$v"; : >"$T_DIR/symall_$v"; done
for r in $(seq 1 "$PERF_RUNS"); do
	for v in $VARIANTS; do
		progress "perf run $r of $PERF_RUNS, variant $v"
		mode $v || bench_fatal "variant $v: the table did not load"
		out=$(udp_run "$T_DIR/perf.data") || bench_fatal "perf run failed (variant $v)"
		read -r _ _ pk <<<"$out"
		syms "$T_DIR/perf.data" "$pk" >"$T_DIR/sym"
		grep -v '^(all)' "$T_DIR/sym" | cut -f1,2 >>"$T_DIR/symall_$v"
		read -r nf sh < <(awk -F'\t' -v re="$NF_RE" '$1 == "(all)" { a = $3 } $1 ~ re { t += $2; n += $3 }
			END { printf "%.0f %.2f\n", t, a ? 100 * n / a : 0 }' "$T_DIR/sym")
		echo "$nf" >>"$T_DIR/nf_$v"; echo "$sh" >>"$T_DIR/share_$v"
		awk -F'\t' '$1 == "nft_do_chain" { t = $2 } END { printf "%.0f\n", t }' "$T_DIR/sym" >>"$T_DIR/ndc_$v"
		[ "${KEEP_LOGS:-0}" = 1 ] && mv "$T_DIR/perf.data" "$T_DIR/perf_${v}_$r.data"
		rm -f "$T_DIR/perf.data"
	done
done
# a symbol's ns/pkt averaged over the perf rounds
for v in $VARIANTS; do
	awk -F'\t' -v n="$PERF_RUNS" '{ t[$1] += $2 } END { for (s in t) printf "%s\t%.1f\n", s, t[s] / n }' \
		"$T_DIR/symall_$v" >"$T_DIR/sym_$v"
done
nfa=$(median <"$T_DIR/nf_A")
sha=$(sort -g "$T_DIR/share_A" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
say ""
say "perf ($PERF_RUNS rounds of all variants, alternating; the sender's CPU, iperf3's context incl. softirq):"
say "netfilter = its symbols ($NF_RE: hook, chains, expressions; in A, the server's sink"
say "table); share = their part of the sender's samples; extra = (share - A's) / (1 - share), the CPU"
say "per packet the variant adds, as a part of A's, and that x A's median ns/pkt ($base); medians:"
say "$(printf '  %-46s %7s %7s %11s %8s %6s  %s' variant "nf ns" "nft_do" "nf share %" "extra %" "~ns" "rounds (share %)")"
for v in $VARIANTS; do
	nf=$(median <"$T_DIR/nf_$v"); ndc=$(median <"$T_DIR/ndc_$v")
	sh=$(sort -g "$T_DIR/share_$v" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')
	ex=$(awk -v s="$sh" -v a="$sha" 'BEGIN { printf "%.1f", (s - a) / (100 - s) * 100 }')
	exn=$(awk -v e="$ex" -v b="$base" 'BEGIN { printf "%.0f", e / 100 * b }')
	say "$(printf '  %s %-44s %7s %7s %11s %8s %6s  %s' "$v" "$(vname $v)" "$nf" "$ndc" "$sh" "$ex" "$exn" "$(tr '\n' ' ' <"$T_DIR/share_$v")")"
	{
		echo "bench: balance_cost.$v.netfilter_per_packet=$nf ns"
		echo "bench: balance_cost.$v.netfilter_share=$sh %"
		echo "bench: balance_cost.$v.netfilter_extra=$ex %"
	} >>"$BENCH_SUMMARY"
done
cmp=""
for v in $COMPARE; do case " $VARIANTS " in *" $v "*) cmp="$cmp $v" ;; esac; done
set -- $cmp
if [ $# -ge 2 ]; then
	first=$1; last=${!#}
	say "  kernel symbols that grow most from $first to $last (ns/pkt in$cmp, then $last - $first):"
	awk -F'\t' -v vs="$cmp" -v dir="$T_DIR" -v first="$first" -v last="$last" '
		BEGIN {
			n = split(vs, v, " ")
			for (i = 1; i <= n; i++) {
				f = dir "/sym_" v[i]
				while ((getline line < f) > 0) { split(line, a, "\t"); ns[v[i], a[1]] = a[2]; sym[a[1]] = 1 }
			}
			for (s in sym) {
				l = sprintf("    %-36s", s)
				for (i = 1; i <= n; i++) l = l sprintf(" %7.1f", ns[v[i], s])
				printf "%.1f\t%s   %+.1f\n", ns[last, s] - ns[first, s], l, ns[last, s] - ns[first, s]
			}
		}' | sort -t"$(printf '\t')" -k1,1 -g -r | head -n 20 | cut -f2 |
		while IFS= read -r l; do say "$l"; done
fi
# a unicast destination IP in a multicast frame: pkttype set host should
# keep it off the multicast input path (ip_route_input_mc, ip_mc_*)
mc=$(for v in $VARIANTS; do
	awk -F'\t' -v v=$v '$1 ~ /^(ip_mc_|ip_route_input_mc|ip_check_mc|igmp|ip_mr_)/ { printf "%s:%s=%s ", v, $1, $2 }' "$T_DIR/sym_$v"
done)
say "  multicast input path symbols (ip_mc_*, ip_route_input_mc, ip_check_mc, igmp*, ip_mr_*): ${mc:-none sampled}"
say "  ip_route_input_slow, ns/pkt: $(for v in $VARIANTS; do printf '%s %s  ' $v "$(awk -F'\t' '$1 == "ip_route_input_slow" { print $2; f = 1 } END { if (!f) print 0 }' "$T_DIR/sym_$v")"; done)"
