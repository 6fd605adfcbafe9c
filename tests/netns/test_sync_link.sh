#!/bin/bash
# syncdev as syncd learns it from netlink (issue 3 items 3 and 6):
#  - carrier: while fw2's sync link has no carrier, fw2's syncd holds a
#    demotion of 1 on carpd's group carp, released when it returns; the
#    held demotion is the sum of its reasons (bulk 32 + link 1 = 33) on the
#    one connection, `carpctl sync status` reports both, a restarted carpd
#    gets it back; when the carrier returns syncd asks the peer for its
#    table again (and, being BACKUP, demotes by 32 until it has it);
#  - addresses: connections to or from the sync link (a TCP session
#    between the two firewalls' sync addresses, IPv4 and IPv6, with the
#    conntrack hooks active) are never synced, one through fw1 is; an
#    address added to syncdev at run time excludes its prefix at once,
#    and its removal gives the prefix back.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack CLI)"; exit 77; }
command -v python3 >/dev/null || { echo "$T_NAME: SKIP (no python3)"; exit 77; }
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
for b in "$SYNCD" "$CARPCTL" "$CARPD"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done

# --- topology ----------------------------------------------------------------
#   client 192.0.2.100 -- eth0 fw1 eth1 -- server 198.51.100.10
#   fw1 sync0 203.0.113.1 2001:db8:5::1 ==== fw2 sync0 203.0.113.2 2001:db8:5::2
#   fw2 eth0 192.0.2.2 -- lan2 192.0.2.3 (carpd's carpdev on fw2)
for n in fw1 fw2 client server lan2; do
	ns_add $n || { fail "namespaces"; finish; exit; }
done
veth() {	# veth NS1 DEV1 NS2 DEV2
	ip link add "$T_ID-x" type veth peer name "$T_ID-y" &&
	ip link set "$T_ID-x" netns "$(ns "$1")" name "$2" &&
	ip link set "$T_ID-y" netns "$(ns "$3")" name "$4" &&
	ip -n "$(ns "$1")" link set "$2" up && ip -n "$(ns "$3")" link set "$4" up
}
veth fw1 sync0 fw2 sync0 && veth client eth0 fw1 eth0 && veth fw1 eth1 server eth0 &&
	veth fw2 eth0 lan2 eth0 || { fail "links"; finish; exit; }
ip -n "$(ns fw1)" addr add 203.0.113.1/24 dev sync0
ip -n "$(ns fw2)" addr add 203.0.113.2/24 dev sync0
# fw1's sync0 goes down and up for fw2's carrier: keep its IPv6 addresses
nsx fw1 sysctl -qw net.ipv6.conf.sync0.keep_addr_on_down=1
ip -n "$(ns fw1)" addr add 2001:db8:5::1/64 dev sync0 nodad
ip -n "$(ns fw2)" addr add 2001:db8:5::2/64 dev sync0 nodad
ip -n "$(ns fw1)" addr add 192.0.2.1/24 dev eth0
ip -n "$(ns fw1)" addr add 198.51.100.1/24 dev eth1
ip -n "$(ns client)" addr add 192.0.2.100/24 dev eth0
ip -n "$(ns client)" route add default via 192.0.2.1
ip -n "$(ns server)" addr add 198.51.100.10/24 dev eth0
ip -n "$(ns server)" route add default via 198.51.100.1
ip -n "$(ns fw2)" addr add 192.0.2.2/24 dev eth0
ip -n "$(ns lan2)" addr add 192.0.2.3/24 dev eth0
nsx fw1 sysctl -qw net.ipv4.ip_forward=1
for n in fw1 fw2; do
	nsx $n nft -f - <<'NFT' || fail "nft ruleset on $n"
table inet fw {
	chain input {
		type filter hook input priority 0;
		ct state invalid drop
	}
	chain forward {
		type filter hook forward priority 0;
		ct state invalid drop
	}
}
table ip nat {
	chain post { type nat hook postrouting priority 100; }
}
NFT
done

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
for n in fw1 fw2; do
	mkdir -p "$T_DIR/$n"
	printf '%s\n' "$key" > "$T_DIR/$n/sync.key"
	chmod 600 "$T_DIR/$n/sync.key"
	cat > "$T_DIR/$n/syncd.conf" <<CONF
syncdev sync0
keyfile "sync.key"
node-id ${n#fw}
carpd-socket "$T_DIR/$n/carpd.sock"
control-socket "$T_DIR/$n/syncd.sock"
pfsync-if none
pcap-file "$T_DIR/$n/sync.pcap"
send-delay 10
log-level debug
CONF
done
# carpd on fw2 only, its vhost held in INIT: never MASTER, so syncd's bulk
# demotes (a MASTER would push instead)
write_conf fw2 1 1 0 192.0.2.50/24 "" "state init"

start_syncd() {
	ip netns exec "$(ns "$1")" "$SYNCD" -d -f "$T_DIR/$1/syncd.conf" \
		>>"$T_DIR/$1/syncd.log" 2>&1 &
	eval "SPID_$1=$!"
	T_PIDS="$T_PIDS $!"
	poll_for 5 test -S "$T_DIR/$1/syncd.sock"
}
stop_syncd() {
	local p
	p=$(eval "echo \${SPID_$1:-}")
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 1 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	wait "$p" 2>/dev/null
}
sq() { nsx "$1" "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status | jq -r "$2"; }
# the demotion carpd applies to its group carp (persistent + held)
carp_demote() { nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/carpd.sock" -j status |
	jq -r '.groups[] | select(.name == "carp") | .demote'; }
held() { sq fw2 '"\(.held_demote) \(.held.bulk) \(.held.link)"'; }
is_held() { [ "$(held)" = "$1" ] && [ "$(carp_demote)" = "${1%% *}" ]; }
link_fw1() { ip -n "$(ns fw1)" link set sync0 "$1"; }	# fw2's carrier follows

log "carrier"
check "syncd starts on fw1" start_syncd fw1
check "carpd starts on fw2" start_carpd fw2
check "syncd starts on fw2" start_syncd fw2
backup_with_carpd() { [ "$(sq fw2 '"\(.carpd) \(.master)"')" = "true false" ]; }
check "fw2's syncd is connected to carpd, not master" poll_for 5 backup_with_carpd
check "its first bulk held 32 (syncd bulk) and released it" \
	poll_for 10 eval 'grep -q "held by syncd: 32 .*bulk 32" "$T_DIR/fw2/syncd.log" && is_held "0 0 0"'
check "carrier up: nothing held, syncdev.carrier true" eval 'is_held "0 0 0" && [ "$(sq fw2 .syncdev.carrier)" = true ]'
link_fw1 down
check "carrier lost: syncd holds 1 (link), carpd's group carp is demoted by 1" poll_for 3 is_held "1 0 1"
check "  ... sync status says no carrier" eval '[ "$(sq fw2 .syncdev.carrier)" = false ]'
nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync status >"$T_DIR/text.out"
check "  ... and its text names the reason" grep -q "^demotion held on carpd: 1 (link 1)$" "$T_DIR/text.out"
check "  ... the link is administratively up still (a carrier, not a flag, matters)" \
	eval 'ip -n "$(ns fw2)" link show sync0 | grep -q "NO-CARRIER.*UP"'

log "carpd restarts while the carrier is gone: the hold comes back"
stop_carpd fw2
check "carpd restarts on fw2" start_carpd fw2
check "syncd reconnects and holds 1 again" poll_for 5 eval '[ "$(sq fw2 .carpd)" = true ] && is_held "1 0 1"'

log "the carrier returns while the peer is away: a bulk request, demoted 32"
stop_syncd fw1
grep -c "requesting the peer's table" "$T_DIR/fw2/syncd.log" > "$T_DIR/req.before"
link_fw1 up
check "carrier back: link released; the bulk request holds 32" poll_for 3 is_held "32 32 0"
check "  ... syncd logged the request on carrier up" \
	eval '[ "$(grep -c "carrier back: requesting the peer" "$T_DIR/fw2/syncd.log")" -ge 1 ]'
check "  ... its bulk FSM is waiting for the answer" eval '[ "$(sq fw2 .bulk)" = SENT ]'
link_fw1 down
check "carrier lost during the bulk: 33 held (bulk 32 + link 1), carp demoted 33" poll_for 3 is_held "33 32 1"
link_fw1 up
check "carrier back during the bulk: 32 (no second request while one is under way)" poll_for 3 is_held "32 32 0"
check "syncd starts on fw1 again" start_syncd fw1
check "fw1 answers a retry: the bulk ends and nothing is held" poll_for 8 is_held "0 0 0"
check "  ... the bulk FSM is DONE" eval '[ "$(sq fw2 .bulk)" = DONE ]'
stop_syncd fw2
check "syncd stopped: carpd dropped what it held" poll_for 3 eval '[ "$(carp_demote)" = 0 ]'
check "syncd restarts on fw2" start_syncd fw2
poll_for 10 is_held "0 0 0"

log "connections over the sync link are not synced"
# tcp_listen NODE ADDR PORT / tcp_connect NODE SRC DST PORT: bounded
tcp_listen() {
	ip netns exec "$(ns "$1")" timeout 60 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(4)
print("listening", flush=True)
c, _ = s.accept(); c.sendall(b"hello\n"); time.sleep(60)' "$2" "$3" >"$T_DIR/l$3.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	poll_for 3 grep -q listening "$T_DIR/l$3.out"
}
tcp_connect() {
	ip netns exec "$(ns "$1")" timeout 60 python3 -c '
import socket, sys, time
c = socket.create_connection((sys.argv[2], int(sys.argv[3])), 3, (sys.argv[1], 0))
print(c.recv(16).decode().strip(), flush=True); time.sleep(60)' "$2" "$3" "$4" >"$T_DIR/c$4.out" 2>&1 &
	T_PIDS="$T_PIDS $!"
	poll_for 3 grep -q hello "$T_DIR/c$4.out"
}
has_ct() { nsx "$1" conntrack -L -p tcp --dport "$2" 2>/dev/null | grep -q "dport=$2 "; }
# INS/UPD of a port in a node's pcap-file (its frames, either way)
sent_port() { tshark -X "lua_script:$(pwd)/scripts/carpsync-sync.lua" -r "$T_DIR/$1/sync.pcap" \
	-Y "carpsync.state.orig.dport == $2" 2>/dev/null | wc -l; }
loc1=$(sq fw1 .states.local); imp2=$(sq fw2 .states.imported); filt1=$(sq fw1 .filtered)
npfx=$(sq fw1 .syncdev.local_prefixes)
check "fw1 knows its sync prefixes (203.0.113.0/24, 2001:db8:5::/64 and its fe80:: address: $npfx)" \
	eval '[ "$npfx" -ge 2 ] && [ "$npfx" -le 3 ]'
check "a TCP session fw2 -> fw1 over the sync link (IPv4)" eval 'tcp_listen fw1 203.0.113.1 2222 &&
	tcp_connect fw2 203.0.113.2 203.0.113.1 2222'
check "a TCP session fw1 -> fw2 over the sync link (IPv6)" eval 'tcp_listen fw2 2001:db8:5::2 2223 &&
	tcp_connect fw1 2001:db8:5::1 2001:db8:5::2 2223'
check "a TCP session client -> server through fw1" eval 'tcp_listen server 198.51.100.10 8080 &&
	tcp_connect client 192.0.2.100 198.51.100.10 8080'
check "fw1's conntrack holds all three (the hooks are active)" \
	eval 'has_ct fw1 2222 && has_ct fw1 2223 && has_ct fw1 8080'
check "the one through fw1 reaches fw2's kernel" poll_for 3 has_ct fw2 8080
check "  ... as fw2's only new import" poll_for 2 eval '[ "$(sq fw2 .states.imported)" = $((imp2 + 1)) ]'
check "fw1 syncs one new local state, not the sync-link sessions" \
	eval '[ "$(sq fw1 .states.local)" = $((loc1 + 1)) ]'
check "  ... it counts them as filtered" eval '[ "$(sq fw1 .filtered)" -gt "$filt1" ]'
sleep 0.3	# let the pcap-file flush (100 ms)
check "no frame of fw1 or fw2 names port 2222 or 2223; 8080 is there" \
	eval '[ "$(sent_port fw1 2222)" = 0 ] && [ "$(sent_port fw1 2223)" = 0 ] &&
	[ "$(sent_port fw2 2222)" = 0 ] && [ "$(sent_port fw2 2223)" = 0 ] &&
	[ "$(sent_port fw1 8080)" -ge 1 ]'

log "an address added to syncdev at run time"
ct6() {	# ct6 SRC SPORT: an IPv6 UDP entry on fw1
	nsx fw1 conntrack -I -p udp -s "$1" -d 2001:db8:9::9 --sport "$2" --dport 53 -t 60 >/dev/null 2>&1
}
has_ct6() { nsx fw2 conntrack -L -f ipv6 -p udp --sport "$1" 2>/dev/null | grep -q "sport=$1 "; }
ct6 2001:db8:7::5 7001
check "before: an entry from 2001:db8:7::5 is synced" poll_for 3 has_ct6 7001
ip -n "$(ns fw1)" addr add 2001:db8:7::1/64 dev sync0 nodad
check "fw1 learns the new prefix" poll_for 3 eval '[ "$(sq fw1 .syncdev.local_prefixes)" = $((npfx + 1)) ]'
ct6 2001:db8:7::6 7002
ct6 2001:db8:8::6 7003	# a marker: not in the prefix, synced
check "after: one from 2001:db8:7::6 is not (the marker after it is)" \
	eval 'poll_for 3 has_ct6 7003 && ! has_ct6 7002'
ip -n "$(ns fw1)" addr del 2001:db8:7::1/64 dev sync0
check "the address removed: fw1 forgets the prefix" poll_for 3 eval '[ "$(sq fw1 .syncdev.local_prefixes)" = $npfx ]'
ct6 2001:db8:7::7 7004
check "  ... and one from 2001:db8:7::7 is synced again" poll_for 3 has_ct6 7004
finish
