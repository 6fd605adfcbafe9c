# tests/bench/lib-sync.sh: helpers of the syncd benchmark sections
# (bench_sync.sh, bench_sync-failover.sh). Sourced after lib-bench.sh.
#
# Topology: fw1 and fw2 joined by a direct sync link (veth "sync0",
# 203.0.113.1/.2); sync_topo full adds lib.sh's LAN (client, bridge br0)
# and WAN (bridge br1) and a server on the WAN (198.51.100.10).
#
# Global state the benches change (the conntrack limits are not per
# namespace: nf_conntrack_max is checked against each namespace's count,
# the hash table and its size are shared): raised by ct_limits_raise and
# put back by the EXIT trap, also on Ctrl-C and when the watchdog fires.

SYNCD=$BUILD/syncd
DRV=$BUILD/tests/ct_driver
CTD_CONF_DIR=""
S_SAVED_MAX=""
S_SAVED_HASH=""
S_CTD=""			# conntrackd daemons: node:pid ...

# --- global conntrack limits -----------------------------------------------

# ct_limits_raise MAX BUCKETS: at least these, for the run (never lowered).
ct_limits_raise() {
	local max=$1 buckets=$2 cur
	cur=$(sysctl -n net.netfilter.nf_conntrack_max) || return 1
	[ -z "$S_SAVED_MAX" ] && S_SAVED_MAX=$cur
	[ "$cur" -lt "$max" ] && { sysctl -qw net.netfilter.nf_conntrack_max="$max" || return 1; }
	cur=$(cat /sys/module/nf_conntrack/parameters/hashsize) || return 1
	[ -z "$S_SAVED_HASH" ] && S_SAVED_HASH=$cur
	if [ "$cur" -lt "$buckets" ]; then
		echo "$buckets" >/sys/module/nf_conntrack/parameters/hashsize || return 1
	fi
	return 0
}

ct_limits_restore() {
	[ -n "$S_SAVED_HASH" ] && echo "$S_SAVED_HASH" >/sys/module/nf_conntrack/parameters/hashsize
	[ -n "$S_SAVED_MAX" ] && sysctl -qw net.netfilter.nf_conntrack_max="$S_SAVED_MAX"
	S_SAVED_HASH=""; S_SAVED_MAX=""
}

# --- topology ----------------------------------------------------------------

sync_link() {
	ip link add "$T_ID-s1" type veth peer name "$T_ID-s2" || return 1
	ip link set "$T_ID-s1" netns "$(ns fw1)" name sync0
	ip link set "$T_ID-s2" netns "$(ns fw2)" name sync0
	ip -n "$(ns fw1)" addr add 203.0.113.1/24 dev sync0
	ip -n "$(ns fw2)" addr add 203.0.113.2/24 dev sync0
	ip -n "$(ns fw1)" link set sync0 up
	ip -n "$(ns fw2)" link set sync0 up
}

# The server on the WAN bridge.
topo_server() {
	ns_add server || return 1
	ip link add "$T_ID-v20" type veth peer name "$T_ID-p20" || return 1
	ip link set "$T_ID-v20" netns "$(ns server)" name eth0
	ip link set "$T_ID-p20" netns "$(ns lan)" name q-server
	ip -n "$(ns lan)" link set q-server master br1 up
	ip -n "$(ns server)" addr add 198.51.100.10/24 dev eth0
	ip -n "$(ns server)" link set eth0 up
}

# Conntrack and NAT hooks active, as on a real firewall
# (pfsync-conntrack.md 5.1); the benches' synthetic entries carry SNAT.
fw_ruleset_plain() {
	nsx "$1" nft -f - <<'NFT'
table inet fw {
	chain forward { type filter hook forward priority 0; ct state invalid drop; }
}
table ip nat {
	chain post { type nat hook postrouting priority 100; }
}
NFT
}

# The strict firewall of issue 3 item 9: tcp_loose 0, forward policy drop,
# only a LAN SYN opens a connection, SNAT to the WAN VIP. By address, not
# interface: with carpd's lladdr virtual the VIPs live on macvlans.
fw_ruleset_strict() {
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 net.netfilter.nf_conntrack_tcp_loose=0 || return 1
	nsx "$1" nft -f - <<'NFT'
table inet fw {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
		ct state invalid counter drop
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 tcp flags & (syn | ack | fin | rst) == syn ct state new accept
	}
}
table ip nat {
	chain post {
		type nat hook postrouting priority 100;
		ip saddr 192.0.2.0/24 ip daddr 198.51.100.0/24 snat to 198.51.100.254
	}
}
NFT
}

# sync_topo [full]
sync_topo() {
	local n
	if [ "${1:-}" = full ]; then
		topo_lan && topo_wan && topo_server || return 1
	else
		ns_add fw1 && ns_add fw2 || return 1
	fi
	sync_link || return 1
	for n in fw1 fw2; do
		if [ "${1:-}" = full ]; then fw_ruleset_strict $n; else fw_ruleset_plain $n; fi || return 1
	done
}

# Silent death of a node with links up: every interface drops all it would
# receive or send (netdev ingress + egress), sync link included.
# (A macvlan's frames pass its lower device's hooks.)
silence_all() {
	local d rules=""
	for d in eth0 eth1 sync0; do
		ip -n "$(ns "$1")" link show dev "$d" >/dev/null 2>&1 || continue
		rules="$rules
	chain in_$d { type filter hook ingress device \"$d\" priority -500; policy drop; }
	chain out_$d { type filter hook egress device \"$d\" priority -500; policy drop; }"
	done
	printf 'table netdev bench_silence {%s\n}\n' "$rules" | nsx "$1" nft -f -
}
unsilence_all() { nsx "$1" nft delete table netdev bench_silence 2>/dev/null; }

# --- conntrack ---------------------------------------------------------------

drv() { local n=$1; shift; ip netns exec "$(ns "$n")" "$DRV" "$@"; }
ct_count() { nsx "$1" cat /proc/sys/net/netfilter/nf_conntrack_count; }
ct_flush() { nsx "$1" conntrack -F >/dev/null 2>&1; return 0; }

# The synthetic entries a node holds, one canonical line each (sorted), to
# compare two nodes exactly.
ct_synth_list() {
	drv "$1" dump 2>/dev/null | awk '/proto=tcp/ && / dst=198\.51\.100\.1 / && / dport=80 / {
		print $3, $5, $8, $10, $11, $15 }' | sort
}

# --- processes: RSS and CPU --------------------------------------------------

# proc_rss PID -> "VmRSS_KiB RssAnon_KiB"
proc_rss() {
	awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } END { print r + 0, a + 0 }' "/proc/$1/status" 2>/dev/null
}
# proc_cpu PID -> utime + stime in clock ticks
proc_cpu() {
	# the command name (field 2) may hold spaces: count from the ")"
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}
CLK_TCK=$(getconf CLK_TCK)

# --- syncd -------------------------------------------------------------------

SYNC_KEY=""
syncd_conf() {		# syncd_conf NODE ID [extra lines]
	local d="$T_DIR/$1"
	mkdir -p "$d"
	[ -n "$SYNC_KEY" ] || SYNC_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$SYNC_KEY" >"$d/sync.key"
	chmod 600 "$d/sync.key"
	{
		echo "syncdev sync0"
		echo "keyfile \"sync.key\""
		echo "node-id $2"
		echo "carpd-socket \"$d/carpd.sock\""
		echo "control-socket \"$d/syncd.sock\""
		echo "pfsync-if none"
		echo "log-level ${BENCH_LOGLEVEL:-info}"
		[ -n "${3:-}" ] && printf '%b\n' "$3"
	} >"$d/syncd.conf"
}

# syncd_start NODE [CPU]: in the node's namespace (pinned to CPU if given);
# returns once its control socket answers.
syncd_start() {
	local d="$T_DIR/$1" pin=""
	[ -n "${2:-}" ] && pin="taskset -c $2"
	rm -f "$d/syncd.sock"
	# shellcheck disable=SC2086
	ip netns exec "$(ns "$1")" $pin "$SYNCD" -d -f "$d/syncd.conf" >>"$d/syncd.log" 2>&1 &
	eval "SPID_$1=$!"
	track "$!"
	poll_for 60 syncd_up "$1"
}
syncd_pid() { eval "echo \${SPID_$1:-}"; }
syncd_up() { "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status >/dev/null 2>&1; }
syncd_stop() {
	local p
	p=$(syncd_pid "$1")
	[ -n "$p" ] || return 0
	stop_pid "$p" TERM
	eval "SPID_$1="
}
# syncd_stat NODE JQ_PATH: one field of carpctl sync status -j
syncd_stat() { "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status 2>/dev/null | jq -r "$2"; }

# --- conntrackd (Debian's, FTFW) ----------------------------------------------

# ctd_conf NODE PEER_ADDR SELF_ADDR DISABLE_EXTERNAL(yes|no): FTFW over UDP
# unicast on the sync link, its defaults otherwise, except the sizes a
# million states need (hash, socket buffers) and files in T_DIR.
# ResendQueueSize stays at its 131072: raising it to 4194304 did not help
# a 1 000 000 resync complete (732 404 of them after 90 s, against 918 380
# with the default).
ctd_conf() {
	local d="$T_DIR/$1"
	mkdir -p "$d"
	cat >"$d/conntrackd.conf" <<EOF
Sync {
	Mode FTFW {
		DisableExternalCache $4
	}
	UDP {
		IPv4_address $3
		IPv4_Destination_Address $2
		Port 3780
		Interface sync0
		SndSocketBuffer 24985600
		RcvSocketBuffer 24985600
		Checksum on
	}
}
General {
	HashSize 1048576
	HashLimit 4194304
	LogFile $d/conntrackd.log
	Syslog off
	LockFile $d/conntrackd.lock
	UNIX {
		Path $d/conntrackd.ctl
	}
	NetlinkBufferSize 33554432
	NetlinkBufferSizeMaxGrowth 134217728
	NetlinkOverrunResync On
	Filter From Kernelspace {
		Protocol Accept {
			TCP
			UDP
			ICMP
		}
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address 203.0.113.0/24
		}
	}
}
EOF
}

ctd() { local n=$1; shift; nsx "$n" conntrackd -C "$T_DIR/$n/conntrackd.conf" "$@"; }

ctd_start() {		# ctd_start NODE: returns once it answers on its socket
	local d="$T_DIR/$1"
	rm -f "$d/conntrackd.lock" "$d/conntrackd.ctl"
	ip netns exec "$(ns "$1")" conntrackd -C "$d/conntrackd.conf" >>"$d/conntrackd.out" 2>&1 &
	eval "CPID_$1=$!"
	track "$!"
	S_CTD="$S_CTD $1:$!"
	poll_for 60 ctd_up "$1"
}
ctd_up() { ctd "$1" -s >/dev/null 2>&1; }
ctd_pid() { eval "echo \${CPID_$1:-}"; }
ctd_stop() {
	local p e out=""
	p=$(ctd_pid "$1")
	[ -n "$p" ] || return 0
	stop_pid "$p" TERM
	for e in $S_CTD; do [ "$e" = "$1:$p" ] || out="$out $e"; done
	S_CTD=$out
	rm -f "$T_DIR/$1/conntrackd.lock" "$T_DIR/$1/conntrackd.ctl"
	eval "CPID_$1="
}
# ctd_cache NODE internal|external -> its number of active entries
ctd_cache() {
	ctd "$1" -s cache 2>/dev/null | awk -v w="cache:$2" '$1 == w { print $NF; exit }'
}

# --- figures -----------------------------------------------------------------

# fig_med NAME -> the median of a figure (NA if none)
fig_med() { read -r _ _ _ m _ <<<"$(fig_stats "$1")"; echo "$m"; }

# ratio A B -> A / B to 2 decimals, NA if either is missing
ratio() {
	case "$1$2" in *N[AR]*) echo NA; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "NA" }'
}

# fig_row_ge LABEL NAME UNIT TARGET: fig_row for a figure that must reach
# at least TARGET (a rate).
fig_row_ge() {
	local label=$1 name=$2 unit=$3 target=$4 n nr na med min max _a _b v
	read -r n nr na med min max _a _b <<<"$(fig_stats "$name")"
	if [ "$med" = NA ]; then v="n/a"; else
		v=$(awk -v m="$med" -v t="$target" 'BEGIN { print (m >= t) ? "met" : "missed" }')
	fi
	# shellcheck disable=SC2059
	printf "$TABLE_FMT" "$label" "$n/$((n + nr + na))" "$med" "$min" "$max" ">= $target $unit" "$v"
	{
		bench_line "$name.median" "$med" "$unit"
		bench_line "$name.runs" "$n" count
		bench_line "$name.target" "$target" "$unit"
		bench_line "$name.met" "$([ "$v" = met ] && echo 1 || echo 0)" bool
	} >>"$T_DIR/bench-lines"
}

# The comparison table: both medians, their ratio, and a verdict where
# the issue sets a target on the ratio.
CMP_FMT='  %-42s %11s %11s %7s  %-8s %s\n'
cmp_head() {
	# shellcheck disable=SC2059
	printf "$CMP_FMT" "${1:-figure (medians)}" syncd conntrackd ratio target verdict
}
# cmp_row LABEL SYNCD_FIG CTD_FIG NAME [MAX_RATIO]
cmp_row() {
	local a b r v="" tgt="-"
	a=$(fig_med "$2"); b=$(fig_med "$3"); r=$(ratio "$a" "$b")
	if [ -n "${5:-}" ]; then
		tgt="<= $5"
		v=$(awk -v r="$r" -v t="$5" 'BEGIN { if (r == "NA") print "n/a"; else print (r <= t) ? "met" : "missed" }')
	fi
	# shellcheck disable=SC2059
	printf "$CMP_FMT" "$1" "$a" "$b" "$r" "$tgt" "$v"
	{
		bench_line "ratio.$4" "$r" "syncd/conntrackd"
		if [ -n "${5:-}" ]; then
			bench_line "ratio.$4.target" "$5" ratio
			bench_line "ratio.$4.met" "$([ "$v" = met ] && echo 1 || echo 0)" bool
		fi
	} >>"$T_DIR/bench-lines"
}

# pctl FILE P -> the P-th percentile (0..1) of a file of numbers
pctl() {
	sort -g "$1" | awk -v p="$2" '{ v[++n] = $1 }
		END { if (!n) { print "NA"; exit }
		      h = (n - 1) * p + 1; i = int(h)
		      x = i >= n ? v[n] : v[i] + (h - i) * (v[i + 1] - v[i])
		      printf "%.1f\n", x }'
}

# --- clean-up ----------------------------------------------------------------

sync_cleanup() {
	local e
	for e in $S_CTD; do stop_pid "${e#*:}" TERM; done
	S_CTD=""
}
# A second TERM (timeout signals the section and its process group) must
# not cut the clean-up short: ignored from here on.
trap 'trap "" INT TERM; sync_cleanup; bench_cleanup; cleanup; ct_limits_restore' EXIT
