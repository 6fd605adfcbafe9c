#!/bin/bash
# test_ct_kernel.sh: syncd/ct_kernel.c against the real kernel, through
# tests/netns/ct_driver, in namespaces of its own. What the kernel holds is
# read back with the conntrack(8) CLI, an independent oracle, wherever the
# CLI can show it (TCP window flags and labels it cannot: those are read
# with the driver's dump).
#
# Part 1, one namespace with an nft table that has a `ct state` rule, a
# label rule and NAT chains (so conntrack, labels and NAT are active):
# create / update / delete of TCP (SNAT, DNAT), UDP, ICMP, ICMPv6 and IPv6
# entries, zones, the retry rules (EEXIST, EBUSY, ENOENT), events with the
# ours flag, a forced event overrun, 100 000 batched creates (timed).
#
# Part 2, real traffic (../shared/docs/pfsync-conntrack.md 5.4): a TCP echo
# session from cli through router ra (strict: nf_conntrack_tcp_loose=0,
# invalid dropped, SNAT to 203.0.113.1) to srv. Its entry is dumped on ra,
# created on rb with the driver's text format, ra is silenced (nft netdev
# ingress+egress drop; links stay up) and the routes switch to rb: the
# session must go on. A second session, not copied to rb, must stall (so
# the test can tell the difference).
#
# usage: tests/netns/test_ct_kernel.sh BUILD_DIR   (root; exit 77 = skipped)
T_NAME=test_ct_kernel
BUILD=${1:-${BUILD:-build}}
. "$(dirname "$0")/lib.sh"
need_root

DRV=$BUILD/tests/ct_driver
if [ ! -x "$DRV" ]; then
	echo "$T_NAME: $DRV not built (make $DRV)"
	exit 1
fi
DRV=$(realpath "$DRV")
if ! command -v conntrack >/dev/null; then
	echo "$T_NAME: SKIP (conntrack(8) missing: Debian package conntrack)"
	exit 77
fi
if ! command -v python3 >/dev/null; then
	echo "$T_NAME: SKIP (python3 missing)"
	exit 77
fi
ERR=$T_DIR/driver.err

# Every step is bounded: a hung call fails instead of hanging the test.
drv_in() { local n=$1; shift; timeout 60 ip netns exec "$(ns "$n")" "$DRV" "$@" 2>>"$ERR"; }
drv() { drv_in ct "$@"; }
ctk() { timeout 20 ip netns exec "$(ns ct)" conntrack "$@" 2>/dev/null; }
# has_line TEXT WORD...: some line of TEXT holds every WORD as a whole word
has_line() {
	local text=$1; shift
	printf '%s\n' "$text" | awk -v w="$*" 'BEGIN { n = split(w, a, " ") }
	    { ok = 1; for (i = 1; i <= n; i++) if (index(" " $0 " ", " " a[i] " ") == 0) ok = 0
	      if (ok) f = 1 } END { exit !f }'
}
ct_has() { has_line "$(ctk -L)" "$@"; }
dump_has() { has_line "$(drv dump)" "$@"; }
# field LINE KEY: the value of KEY=... in a driver line
field() { printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2; exit }'; }
is() { [ "$1" = "$2" ]; }

# --- part 1: one namespace -------------------------------------------------
ns_add ct || { echo "$T_NAME: cannot create a namespace"; exit 1; }
ip netns exec "$(ns ct)" nft -f - <<'NFT' || { echo "$T_NAME: nft failed"; exit 1; }
table inet t {
	chain forward { type filter hook forward priority 0; policy accept; ct state established,related accept; }
	chain labels { type filter hook prerouting priority 0; meta mark 0x5ca1ab1e ct label set 1; }
	chain pre { type nat hook prerouting priority -100; }
	chain post { type nat hook postrouting priority 100; }
}
NFT

TCP4="proto=tcp src=192.0.2.1 dst=198.51.100.1 sport=1000 dport=80 rdst=203.0.113.1 rdport=2000 state=ESTABLISHED status=SEEN_REPLY|ASSURED timeout=600 mark=42 zone=5 wscale=7,7 flags=0x03,0x03"
check "create: TCP ESTABLISHED with SNAT" drv create "$TCP4"
check "create: conntrack -L shows it ESTABLISHED, ASSURED, mark 42, zone 5, reply to 203.0.113.1:2000" \
	ct_has tcp ESTABLISHED src=192.0.2.1 dst=198.51.100.1 sport=1000 dport=80 \
	src=198.51.100.1 dst=203.0.113.1 sport=80 dport=2000 '[ASSURED]' mark=42 zone=5
check "create: conntrack -L --src-nat lists it (SRC_NAT_DONE: NAT went as CTA_NAT)" \
	has_line "$(ctk -L --src-nat)" sport=1000 dst=203.0.113.1
check "create: conntrack -L --dst-nat does not" \
	eval '! has_line "$(ctk -L --dst-nat)" sport=1000 dst=203.0.113.1'
L=$(drv dump | grep ' sport=1000 dport=80 ')
check "dump: BE_LIBERAL (0x08) ORed into both directions' flags" \
	is "$(field "$L" flags)" "0x0b,0x0b"
check "dump: window scale 7,7 kept" is "$(field "$L" wscale)" "7,7"
check "dump: status SEEN_REPLY|ASSURED|CONFIRMED|SRC_NAT|SRC_NAT_DONE" \
	is $(( $(field "$L" status) & 0x9e )) $(( 0x9e ))
check "dump: timeout counts down from 600" \
	eval '[ "$(field "$L" timeout)" -le 600 ] && [ "$(field "$L" timeout)" -ge 590 ]'

check "create: the same tuple in zone 0 is another entry" \
	drv create "${TCP4/zone=5/zone=0}"
check "create: both zones listed" \
	eval '[ "$(ctk -L -p tcp --orig-port-src 1000 | grep -c "dport=80 ")" = 2 ]'

DNAT="proto=tcp src=192.0.2.2 dst=203.0.113.5 sport=1001 dport=8080 rsrc=198.51.100.9 rsport=80 state=ESTABLISHED status=SEEN_REPLY|ASSURED timeout=600"
check "create: TCP with DNAT (port forward 203.0.113.5:8080 -> 198.51.100.9:80)" drv create "$DNAT"
check "create: conntrack -L --dst-nat lists it, reply from 198.51.100.9:80" \
	has_line "$(ctk -L --dst-nat)" src=192.0.2.2 dst=203.0.113.5 sport=1001 dport=8080 \
	src=198.51.100.9 sport=80 dport=1001
check "create: conntrack -L --src-nat does not" \
	eval '! has_line "$(ctk -L --src-nat)" sport=1001 dport=8080'

UDP="proto=udp src=192.0.2.3 dst=198.51.100.1 sport=5353 dport=53 status=SEEN_REPLY timeout=30 mark=7"
check "create: UDP" drv create "$UDP"
check "create: UDP listed, replied (no [UNREPLIED]), mark 7" \
	eval 'has_line "$(ctk -L -p udp)" udp src=192.0.2.3 sport=5353 dport=53 mark=7 &&
	    ! ctk -L -p udp | grep "src=192.0.2.3 " | grep -q UNREPLIED'

ICMP="proto=icmp src=192.0.2.4 dst=198.51.100.1 id=77 type=8 code=0 timeout=30 rdst=203.0.113.1"
check "create: ICMP echo with SNAT" drv create "$ICMP"
check "create: ICMP listed type 8 code 0 id 77, reply type 0 to 203.0.113.1" \
	has_line "$(ctk -L -p icmp --src-nat)" src=192.0.2.4 type=8 code=0 id=77 \
	dst=203.0.113.1 type=0
check "dump: ICMP id in sport, type << 8 | code in dport, both tuples" \
	dump_has proto=icmp src=192.0.2.4 sport=77 dport=2048 rsport=77 rdport=0 rdst=203.0.113.1

TCP6="proto=tcp src=2001:db8::1 dst=2001:db8:1::1 sport=1000 dport=22 rdst=2001:db8:2::1 rdport=3000 state=ESTABLISHED status=SEEN_REPLY|ASSURED timeout=600 mark=6"
check "create: IPv6 TCP with SNAT" drv create "$TCP6"
check "create: conntrack -L -f ipv6 --src-nat lists it" \
	has_line "$(ctk -L -f ipv6 --src-nat)" tcp ESTABLISHED src=2001:db8::1 \
	dst=2001:db8:1::1 sport=1000 dport=22 dst=2001:db8:2::1 dport=3000 mark=6
ICMP6="proto=icmpv6 src=2001:db8::1 dst=2001:db8:1::1 id=5 type=128 code=0 timeout=30"
check "create: ICMPv6 echo" drv create "$ICMP6"
check "create: ICMPv6 listed type 128 id 5, reply type 129" \
	has_line "$(ctk -L -f ipv6 -p icmpv6)" src=2001:db8::1 type=128 code=0 id=5 type=129

LAB="proto=udp src=192.0.2.5 dst=198.51.100.1 sport=1 dport=2 timeout=60 labels=01000000000000000000000000000080"
check "create: labels (bits 0 and 127)" drv create "$LAB"
check "dump: labels read back" \
	dump_has src=192.0.2.5 labels=01000000000000000000000000000080

check "dump: every entry the CLI counts (IPv4, IPv6, all zones)" \
	is "$(drv dump | wc -l)" "$(ctk -C)"

# --- update, the retry rules, delete
check "update: mark 44, timeout 100" \
	drv update "$(echo "$TCP4" | sed 's/mark=42/mark=44/; s/timeout=600/timeout=100/')"
L=$(ctk -L -p tcp --orig-port-src 1000 -w 5)
check "update: conntrack -L shows mark 44 and timeout <= 100" \
	eval 'has_line "$L" mark=44 zone=5 && [ "$(echo "$L" | awk "{ print \$3 }")" -le 100 ]'
check "update: the NAT binding is kept" has_line "$(ctk -L --src-nat)" sport=1000 dst=203.0.113.1 zone=5
check "update: TCP state NONE (protoinfo unknown, as in some UPDATE events)" \
	drv update "proto=tcp src=192.0.2.1 dst=198.51.100.1 sport=1000 dport=80 zone=5 status=SEEN_REPLY|ASSURED timeout=200 mark=44"
check "update: ... keeps state ESTABLISHED, window scale and flags" \
	eval 'has_line "$(ctk -L -w 5)" ESTABLISHED sport=1000 dport=80 &&
	    dump_has sport=1000 dport=80 zone=5 state=ESTABLISHED wscale=7,7 flags=0x0b,0x0b'
check "update: SEEN_REPLY cannot be cleared (EBUSY) -> delete + create, exit 0" \
	drv update "$(echo "$TCP4" | sed 's/state=ESTABLISHED/state=SYN_SENT/; s/status=SEEN_REPLY|ASSURED/status=0/; s/mark=42/mark=45/')"
check "update: recreated as SYN_SENT [UNREPLIED], mark 45, still SNAT" \
	eval 'has_line "$(ctk -L --src-nat -w 5)" SYN_SENT "[UNREPLIED]" sport=1000 dst=203.0.113.1 mark=45'
check "update: of a missing entry (ENOENT) -> create" \
	drv update "proto=udp src=192.0.2.77 dst=198.51.100.1 sport=1 dport=2 timeout=100"
check "update: the missing entry now exists" ct_has src=192.0.2.77 sport=1 dport=2
check "create: an existing entry (EEXIST) is replaced, exit 0" drv create "$TCP4"
check "create: replaced: ESTABLISHED, mark 42 again" \
	has_line "$(ctk -L -w 5)" ESTABLISHED sport=1000 dport=80 mark=42 zone=5

check "delete: by original tuple and zone" drv delete "$TCP4"
check "delete: zone 5 entry gone" eval '! has_line "$(ctk -L -w 5)" sport=1000 dport=80'
check "delete: zone 0 entry with the same tuple still there" \
	eval 'has_line "$(ctk -L)" sport=1000 dport=80 src=192.0.2.1'
check "delete: a missing entry (ENOENT) is success" drv delete "$TCP4"
check "delete: several in one batch (DNAT, UDP, ICMP, IPv6)" \
	drv delete "$DNAT" "$UDP" "$ICMP" "$TCP6" "$ICMP6"
check "delete: all gone" eval '! ct_has src=192.0.2.2 sport=1001 && ! ct_has src=192.0.2.3 sport=5353 &&
	! ct_has src=192.0.2.4 id=77 && ! has_line "$(ctk -L -f ipv6)" src=2001:db8::1'
check "create: a protocol the library cannot express fails, exit 1" \
	eval '! drv create "proto=50 src=192.0.2.9 dst=198.51.100.1 timeout=10"'

# --- events and the ours flag
EV=$T_DIR/events.txt
ip netns exec "$(ns ct)" timeout 20 "$DRV" events 5 >"$EV" 2>>"$ERR" &
T_PIDS="$T_PIDS $!"
poll_for 5 grep -q LISTENING "$EV"
ctk -I -p udp -s 192.0.2.90 -d 198.51.100.1 --sport 5 --dport 6 -t 30 >/dev/null
CL=$(drv create-and-listen 0.5 "proto=udp src=192.0.2.91 dst=198.51.100.1 sport=5 dport=6 timeout=30")
CF=$(drv create-filtered 0.5 "proto=udp src=192.0.2.92 dst=198.51.100.1 sport=5 dport=6 timeout=30")
ctk -U -p udp -s 192.0.2.90 -d 198.51.100.1 --sport 5 --dport 6 -m 9 >/dev/null
ctk -D -p udp -s 192.0.2.90 -d 198.51.100.1 --sport 5 --dport 6 >/dev/null
poll_for 10 grep -q '^END' "$EV"
check "events: NEW from conntrack -I is ours=0" grep -q '^NEW ours=0 .* src=192.0.2.90 ' "$EV"
check "events: NEW from the driver's own request socket is ours=1" \
	has_line "$CL" NEW ours=1 src=192.0.2.91 sport=5 dport=6
check "events: the same NEW seen by another process is ours=0" \
	grep -q '^NEW ours=0 .* src=192.0.2.91 ' "$EV"
check "events: by default the kernel filters out our own NEW (socket filter)" \
	eval '! printf "%s\n" "$CF" | grep -q "src=192.0.2.92 "'
check "events: ... which another process still sees" grep -q '^NEW ours=0 .* src=192.0.2.92 ' "$EV"
check "events: UPDATE (mark 9) is ours=0" grep -q '^UPDATE ours=0 .* src=192.0.2.90 .* mark=9 ' "$EV"
check "events: DESTROY is ours=0" grep -q '^DESTROY ours=0 .* src=192.0.2.90 ' "$EV"
check "events: no overrun with an 8 MiB buffer" grep -q '^END overruns=0$' "$EV"

# --- overrun: smallest buffer, another process creates 5000 entries (on
# an empty table: a leftover reply tuple would clash with a synthetic one)
ctk -F >/dev/null
OV=$(drv overrun 5000)
log "$OV"
check "overrun: ENOBUFS reported (overruns > 0)" \
	eval '[ "$(field "${OV#overrun: }" overruns)" -gt 0 ]'
check "overrun: the socket delivers again (own marker seen)" \
	is "$(field "${OV#overrun: }" marker)" seen
N0=$(ctk -C)
DD=$(drv dump-delete)
log "$DD"
check "dump: $N0 deletes queued from inside the callback (> a batch) all done" \
	eval '[ "$N0" -gt 5000 ] && has_line "$DD" "$N0" queued, 0 failed && [ "$(ctk -C)" = 0 ]'

# --- 100 000 batched creates with SNAT (timed, not asserted)
N0=$(ctk -C)
B=$(drv bulk-create 100000)
log "$B"
check "bulk: 100000 TCP ESTABLISHED with SNAT created, none failed" \
	eval '[ "$(ctk -C)" = $((N0 + 100000)) ] && has_line "$B" 0 failed,'
check "bulk: all 100000 listed by conntrack -L --src-nat" \
	is "$(ctk -L -p tcp --src-nat | grep -c 'dst=203\.0\.113\.')" 100000
B=$(drv bulk-delete 100000)
log "$B"
check "bulk: 100000 deleted" is "$(ctk -C)" "$N0"

# --- part 2: a live TCP session moves from router ra to router rb ----------
#   cli 192.0.2.100 --br0-- ra 192.0.2.1 / rb 192.0.2.2       (LAN)
#   srv 198.51.100.100 --br1-- ra 198.51.100.1 / rb .2        (WAN)
# Both routers SNAT the LAN to 203.0.113.1, an address on neither: srv
# routes it to whichever router is active, as a VIP would be.
T_LINK=0
link_to() {	# link_to NODE IFNAME BRIDGE
	local node=$1 ifn=$2 br=$3
	T_LINK=$((T_LINK + 1))
	ip link add "$T_ID-a$T_LINK" type veth peer name "$T_ID-b$T_LINK" || return 1
	ip link set "$T_ID-a$T_LINK" netns "$(ns "$node")" name "$ifn" &&
	ip link set "$T_ID-b$T_LINK" netns "$(ns sw)" name "$node-$ifn" &&
	ip -n "$(ns sw)" link set "$node-$ifn" master "$br" up &&
	ip -n "$(ns "$node")" link set "$ifn" up
}

router() {	# router NODE LANADDR WANADDR
	local n=$1
	nsx "$n" sysctl -qw net.ipv4.ip_forward=1 &&
	nsx "$n" sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0 &&
	ip -n "$(ns "$n")" addr add "$2/24" dev eth0 &&
	ip -n "$(ns "$n")" addr add "$3/24" dev eth1 &&
	nsx "$n" nft -f - <<'NFT'
table inet fw {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related counter accept
		ct state invalid counter drop
		iifname "eth0" oifname "eth1" tcp flags & (syn | ack | fin | rst) == syn ct state new accept
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		oifname "eth1" ip saddr 192.0.2.0/24 snat ip to 203.0.113.1
	}
}
NFT
}

# A dead router without touching its links (5.4: downing veths under load
# gives false failures): drop everything in and out of both interfaces.
kill_router() {
	nsx "$1" nft -f - <<'NFT'
table netdev dead0 {
	chain in { type filter hook ingress device eth0 priority -500; policy drop; }
	chain out { type filter hook egress device eth0 priority -500; policy drop; }
}
table netdev dead1 {
	chain in { type filter hook ingress device eth1 priority -500; policy drop; }
	chain out { type filter hook egress device eth1 priority -500; policy drop; }
}
NFT
}

topo() {
	local n
	for n in sw cli ra rb srv; do ns_add "$n" || return 1; done
	for n in br0 br1; do
		ip -n "$(ns sw)" link add "$n" type bridge forward_delay 0 stp_state 0 &&
		ip -n "$(ns sw)" link set "$n" up || return 1
	done
	link_to cli eth0 br0 && link_to ra eth0 br0 && link_to rb eth0 br0 &&
	link_to srv eth0 br1 && link_to ra eth1 br1 && link_to rb eth1 br1 || return 1
	router ra 192.0.2.1 198.51.100.1 && router rb 192.0.2.2 198.51.100.2 || return 1
	ip -n "$(ns cli)" addr add 192.0.2.100/24 dev eth0 &&
	ip -n "$(ns cli)" route add default via 192.0.2.1 &&
	ip -n "$(ns srv)" addr add 198.51.100.100/24 dev eth0 &&
	ip -n "$(ns srv)" route add 203.0.113.1/32 via 198.51.100.1
}

cat >"$T_DIR/echo_server.py" <<'PY'
import socket, sys, threading
def serve(c):
    with c:
        while True:
            d = c.recv(4096)
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
# echo_client.py HOST PORT SECONDS LOG: a numbered line every 50 ms, each
# echo awaited; logs "PORT p", "echo n t" and "END n maxgap"; exit 0 if
# echoes kept coming to the end, 1 on a stall, 2 on a reset or EOF.
cat >"$T_DIR/echo_client.py" <<'PY'
import socket, sys, time
host, port, dur, logf = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
log = open(logf, "w", buffering=1)
s = socket.create_connection((host, port), timeout=5)
log.write("PORT %d\n" % s.getsockname()[1])
s.settimeout(0.1)
end = time.time() + dur
n, buf, last, maxgap, rc = 0, b"", time.time(), 0.0, 1
while time.time() < end:
    s.sendall(b"%08d\n" % n)
    want = b"%08d\n" % n
    while want not in buf and time.time() < end:
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
    time.sleep(0.05)
else:
    rc = 0
log.write("END %d %.3f\n" % (n, maxgap))
sys.exit(rc)
PY

if ! topo; then
	fail "live: topology"
	finish
	exit
fi
ip netns exec "$(ns srv)" python3 "$T_DIR/echo_server.py" 7000 &
T_PIDS="$T_PIDS $!"
poll_for 5 eval 'ip netns exec "$(ns srv)" ss -ltn | grep -q ":7000 "'
DUR=7
ip netns exec "$(ns cli)" python3 "$T_DIR/echo_client.py" 198.51.100.100 7000 $DUR "$T_DIR/c1.log" &
C1=$!
ip netns exec "$(ns cli)" python3 "$T_DIR/echo_client.py" 198.51.100.100 7000 $DUR "$T_DIR/c2.log" &
C2=$!
T_PIDS="$T_PIDS $C1 $C2"
echoes() { grep -c '^echo ' "$1" 2>/dev/null; }
if poll_for 10 eval '[ "$(echoes "$T_DIR/c1.log")" -ge 10 ] && [ "$(echoes "$T_DIR/c2.log")" -ge 10 ]'; then
	pass "live: both sessions echo through ra"
else
	fail "live: both sessions echo through ra"
	log "c1.log: $(tail -n 3 "$T_DIR/c1.log" 2>&1 | tr '\n' ' ')"
	log "c2.log: $(tail -n 3 "$T_DIR/c2.log" 2>&1 | tr '\n' ' ')"
	log "ra: $(nsx ra nft list chain inet fw forward 2>&1 | grep counter | tr -s '\t\n' '  ')"
fi
P1=$(awk '$1 == "PORT" { print $2 }' "$T_DIR/c1.log")
E1=$(drv_in ra dump | grep " sport=$P1 dport=7000 ")
log "ra: $E1"
check "live: ra's entry is ESTABLISHED with SNAT to 203.0.113.1" \
	has_line "$E1" state=ESTABLISHED rdst=203.0.113.1
check "live: the dumped text creates the entry on rb" drv_in rb create "$E1"
check "live: rb's conntrack -L --src-nat lists it" \
	eval 'timeout 10 ip netns exec "$(ns rb)" conntrack -L --src-nat 2>/dev/null |
	    grep -q "sport=$P1 dport=7000 .*dst=203.0.113.1"'
kill_router ra
ip -n "$(ns cli)" route replace default via 192.0.2.2
ip -n "$(ns srv)" route replace 203.0.113.1/32 via 198.51.100.2
T_SW=$(now_s)
T_SW1=$(awk -v t="$T_SW" 'BEGIN { printf "%.3f", t + 1 }')	# in flight before
log "switched to rb at $T_SW"
RC1=99 RC2=99
poll_for $((DUR + 10)) eval '! kill -0 $C1 2>/dev/null && ! kill -0 $C2 2>/dev/null'
wait "$C1"; RC1=$?
wait "$C2"; RC2=$?
after() { awk -v t="$2" '$1 == "echo" && $3 > t { n++ } END { print n + 0 }' "$1"; }
log "c1: rc $RC1, $(after "$T_DIR/c1.log" "$T_SW") echoes after the switch, $(tail -n 1 "$T_DIR/c1.log")"
log "c2: rc $RC2, $(after "$T_DIR/c2.log" "$T_SW") echoes after the switch, $(tail -n 1 "$T_DIR/c2.log")"
check "live: the copied session runs to the end through rb, no reset" is "$RC1" 0
check "live: ... with >= 20 echoes after the switch" \
	eval '[ "$(after "$T_DIR/c1.log" "$T_SW")" -ge 20 ]'
check "live: ... and no gap over 2 s" \
	eval 'awk "\$1 == \"END\" { exit !(\$3 < 2.0) }" "$T_DIR/c1.log"'
check "live: rb forwarded it as established (counter > 0)" \
	eval 'nsx rb nft list chain inet fw forward | grep "established,related counter" | grep -qv "packets 0 "'
check "live: the session not copied to rb stalls (the test can fail)" \
	eval '[ "$RC2" != 0 ] && [ "$(after "$T_DIR/c2.log" "$T_SW1")" = 0 ]'
check "live: rb dropped it as invalid (nf_conntrack_tcp_loose=0)" \
	eval 'nsx rb nft list chain inet fw forward | grep "invalid counter" | grep -qv "packets 0 "'

finish
