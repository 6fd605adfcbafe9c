#!/bin/bash
# Watching frames (issue 3 item 8) with two real syncd on a direct sync
# link and conntrack hooks active:
#  - `carpctl sync dump FILE -c N` ends after N frames, `-t S` after S
#    seconds, SIGINT and SIGTERM end it too; each prints the count it
#    wrote, and the file holds exactly that many records;
#  - the dump and syncd's own `pcap-file` are IPv4 packets (link type RAW,
#    protocol 240, TTL 255, sender -> 224.0.0.240) that tshark decodes with
#    scripts/carpsync-sync.lua: INS, UPD_C and DEL_C of the entries created,
#    changed and deleted on fw1, with the tuples, NAT and marks conntrack
#    holds, and DEL_C naming the ids the INS gave;
#  - both directions: frames sent (fw1's source) and accepted (the peer's);
#  - a subscriber that never reads does not stall syncd: its frames are
#    dropped and counted, `carpctl sync status` still answers at once and
#    6000 entries still replicate, in batches;
#  - an IPv6 unicast syncpeer: the copies are IPv6 packets between the two
#    sync addresses, decoded the same way.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack CLI)"; exit 77; }
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
HOLD=$BUILD/tests/ctl_hold; CTDRV=$BUILD/tests/ct_driver
LUA=$(cd "$(dirname "$0")/../.." && pwd)/scripts/carpsync-sync.lua
for b in "$SYNCD" "$CARPCTL" "$HOLD" "$CTDRV"; do
	[ -x "$b" ] || { echo "$T_NAME: $b not built"; exit 1; }
done

ns_add fw1 && ns_add fw2 || { fail "namespaces"; finish; exit; }
ip link add "$T_ID-s1" type veth peer name "$T_ID-s2"
ip link set "$T_ID-s1" netns "$(ns fw1)" name sync0
ip link set "$T_ID-s2" netns "$(ns fw2)" name sync0
ip -n "$(ns fw1)" addr add 203.0.113.1/24 dev sync0
ip -n "$(ns fw2)" addr add 203.0.113.2/24 dev sync0
ip -n "$(ns fw1)" addr add 2001:db8:5::1/64 dev sync0 nodad
ip -n "$(ns fw2)" addr add 2001:db8:5::2/64 dev sync0 nodad
ip -n "$(ns fw1)" link set sync0 up
ip -n "$(ns fw2)" link set sync0 up
for n in fw1 fw2; do
	nsx $n nft -f - <<'NFT' || fail "nft ruleset on $n"
table inet fw {
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
# write_sconf NODE [extra lines]
write_sconf() {
	mkdir -p "$T_DIR/$1"
	printf '%s\n' "$key" > "$T_DIR/$1/sync.key"
	chmod 600 "$T_DIR/$1/sync.key"
	cat > "$T_DIR/$1/syncd.conf" <<CONF
syncdev sync0
keyfile "sync.key"
node-id ${1#fw}
carpd-socket "$T_DIR/$1/carpd.sock"
control-socket "$T_DIR/$1/syncd.sock"
pfsync-if none
send-delay 10
log-level debug
${2:-}
CONF
}
write_sconf fw1 "pcap-file \"$T_DIR/fw1/sync.pcap\""
write_sconf fw2

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
sst() { nsx "$1" "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status; }
sq() { sst "$1" | jq -r "$2"; }
imported() { sq "$1" .states.imported; }
# dump_start NAME NODE ARGS...: carpctl sync dump in the background, its
# count line in $T_DIR/NAME.out; returns once syncd counts the subscriber.
dump_start() {
	local name=$1 node=$2 before
	shift 2
	before=$(sq "$node" .watch.subscribers)
	ip netns exec "$(ns "$node")" "$CARPCTL" -s "$T_DIR/$node/syncd.sock" \
		sync dump "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.err" &
	eval "DUMP_$name=$!"
	T_PIDS="$T_PIDS $!"
	poll_for 5 eval '[ "$(sq '"$node"' .watch.subscribers)" -gt '"$before"' ]'
}
# dump_wait NAME SECONDS: 0 if the dump ended by itself within SECONDS
dump_wait() {
	local p
	p=$(eval "echo \${DUMP_$1}")
	poll_for "$2" eval '! kill -0 '"$p"
	kill -0 "$p" 2>/dev/null && return 1
	wait "$p"
	eval "RC_$1=$?"
}
dump_rc() { eval "echo \${RC_$1:-none}"; }
written() { sed -n 's/^\([0-9]*\) frames written to .*, [0-9]* missed$/\1/p' "$T_DIR/$1.out"; }
ts() { tshark -X "lua_script:$LUA" -r "$@" 2>/dev/null; }
records() { ts "$1" -T fields -e frame.number | wc -l; }

# One line per message: IPSRC ACTION ID MARK then the orig and reply
# tuples (src dst sport dport each) where the message has them. tshark's
# JSON makes a repeated key an array, a single one an object: arr() takes
# both.
cat > "$T_DIR/msgs.jq" <<'JQ'
def arr: if type == "array" then .[] elif . == null then empty else . end;
def tup($d): [.["_ws.lua.text"] | arr | to_entries[] |
	select(.key | startswith("carpsync.state." + $d + ".")) | .value];
.[] | ._source.layers | ((.ip // .ipv6) | (.["ip.src"] // .["ipv6.src"])) as $ip
| .carpsync | .["_ws.lua.text"] | arr | .["carpsync.action"] as $a
| .["_ws.lua.text"] | arr
| [$ip, $a, (.["carpsync.state.id"] // "-"), (.["carpsync.state.mark"] // "-")]
	+ tup("orig") + tup("reply") | join(" ")
JQ
msgs() { ts "$1" -T json --no-duplicate-keys | jq -r -f "$T_DIR/msgs.jq"; }
# what conntrack holds, in the same form: "src dst sport dport rsrc rdst
# rsport rdport mark" (mark as the dissector prints it)
ct_lines() {
	nsx "$1" conntrack -L -p tcp 2>/dev/null | awk '{
		n = 0; mark = 0
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] ~ /^(src|dst|sport|dport)$/) v[++n] = kv[2]
			if (kv[1] == "mark") mark = kv[2]
		}
		printf "%s %s %s %s %s %s %s %s 0x%08x\n", v[1], v[2], v[3], v[4],
			v[5], v[6], v[7], v[8], mark }' | sort
}
# INS messages of a capture in that form
ins_lines() {
	msgs "$1" | awk -v ip="$2" '$1 == ip && $2 == 13 {
		print $5, $6, $7, $8, $9, $10, $11, $12, $4 }' | sort
}

check "syncd starts on fw1 (with pcap-file)" start_syncd fw1
check "syncd starts on fw2" start_syncd fw2
check "fw1 says pcap-file is open" poll_for 3 eval '[ "$(sq fw1 .pcap_file.open)" = true ]'
check "the pcap-file exists, mode 0600" eval '[ "$(stat -c %a "$T_DIR/fw1/sync.pcap")" = 600 ]'
check "each hears the other" poll_for 5 eval '[ "$(sq fw2 ".peers | length")" = 1 ] && [ "$(sq fw1 ".peers | length")" = 1 ]'

log "a dump for 4 s while 5 entries are created, one changed, two deleted"
check "dump -t 4 subscribes" dump_start timed fw2 "$T_DIR/timed.pcap" -t 4
t0=$(date +%s%N)
for i in 1 2 3 4 5; do
	nsx fw1 conntrack -I -p tcp -s 192.0.2.$((10 + i)) -d 198.51.100.10 \
		--sport $((30000 + i)) --dport 443 --state ESTABLISHED -t 600 \
		-u SEEN_REPLY,ASSURED -m $((0x100 + i)) --src-nat 198.51.100.254 >/dev/null 2>&1
done
check "fw2 imports the 5" poll_for 3 eval '[ "$(imported fw2)" = 5 ]'
# (conntrack -U with a port filter fails: EOPNOTSUPP; by address it works)
nsx fw1 conntrack -U -s 192.0.2.13 -m 48879 >/dev/null 2>&1
# and one on fw2, so that its dump shows a frame it sent
nsx fw2 conntrack -I -p tcp -s 192.0.2.200 -d 198.51.100.20 --sport 31000 \
	--dport 443 --state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED >/dev/null 2>&1
sleep 0.2	# the update is not visible on fw2's side otherwise: let it pass
nsx fw1 conntrack -D -p tcp --sport 30004 >/dev/null 2>&1
nsx fw1 conntrack -D -p tcp --sport 30005 >/dev/null 2>&1
check "fw2 holds 3 after the deletions" poll_for 3 eval '[ "$(imported fw2)" = 3 ]'
check "the timed dump ends by itself" dump_wait timed 8
elapsed=$(( ($(date +%s%N) - t0) / 1000000 ))
check "  ... after about 4 s (${elapsed} ms)" eval '[ "$elapsed" -ge 3900 ] && [ "$elapsed" -lt 8000 ]'
check "  ... exit 0" [ "$(dump_rc timed)" = 0 ]
n=$(written timed)
check "  ... prints how many it wrote (${n:-none})" eval '[ -n "$n" ] && [ "$n" -gt 0 ]'
check "  ... and the file holds that many records" [ "$(records "$T_DIR/timed.pcap")" = "$n" ]
check "  ... every record decodes as CARPSYNC" [ "$(ts "$T_DIR/timed.pcap" -Y carpsync | wc -l)" = "$n" ]
check "  ... as IPv4 protocol 240, TTL 255, to 224.0.0.240" \
	[ "$(ts "$T_DIR/timed.pcap" -Y 'ip.proto == 240 && ip.ttl == 255 && ip.dst == 224.0.0.240 && ip.checksum.status == "Good"' -o ip.check_checksum:TRUE | wc -l)" = "$n" ]
check "  ... frames fw2 accepted (from fw1) and sent (its own)" \
	eval '[ "$(ts "$T_DIR/timed.pcap" -Y "ip.src == 203.0.113.1" | wc -l)" -gt 0 ] &&
	[ "$(ts "$T_DIR/timed.pcap" -Y "ip.src == 203.0.113.2" | wc -l)" -gt 0 ]'
msgs "$T_DIR/timed.pcap" > "$T_DIR/timed.msgs"
check "  ... INS, UPD_C and DEL_C from fw1" eval 'awk '\''$1 == "203.0.113.1" { a[$2] = 1 }
	END { exit !(a[13] && a[4] && a[7]) }'\'' "$T_DIR/timed.msgs"'

# what conntrack held at creation: the 5 as created, marks as given
{ for i in 1 2 3 4 5; do
	printf '192.0.2.%d 198.51.100.10 %d 443 198.51.100.10 198.51.100.254 443 %d 0x%08x\n' \
		$((10 + i)) $((30000 + i)) $((30000 + i)) $((0x100 + i))
done; } | sort > "$T_DIR/want.ins"
ins_lines "$T_DIR/timed.pcap" 203.0.113.1 > "$T_DIR/got.ins"
if diff "$T_DIR/want.ins" "$T_DIR/got.ins" >"$T_DIR/ins.diff"; then
	pass "the dump's INS carry the tuples, NAT and marks of the 5 entries"
else
	fail "the dump's INS differ from the entries (< want, > got):"; cat "$T_DIR/ins.diff"
fi
ct_lines fw1 | grep ' 3000[1-5] ' > "$T_DIR/ct.fw1"
check "conntrack on fw1 holds 3 of them, 30003 with the new mark" \
	eval '[ "$(wc -l < "$T_DIR/ct.fw1")" = 3 ] && grep -q " 30003 .* 0x0000beef$" "$T_DIR/ct.fw1"'
# the ids: the INS of 30004/30005 gave them, the DEL_Cs name them
ids_del=$(awk '$1 == "203.0.113.1" && $2 == 7 { print $3 }' "$T_DIR/timed.msgs" | sort -u | tr '\n' ' ')
ids_gone=$(awk '$1 == "203.0.113.1" && $2 == 13 && ($7 == 30004 || $7 == 30005) { print $3 }' \
	"$T_DIR/timed.msgs" | sort -u | tr '\n' ' ')
check "the DEL_Cs name the ids the INS gave 30004 and 30005 ($ids_del)" \
	eval '[ -n "$ids_del" ] && [ "$ids_del" = "$ids_gone" ]'
id3=$(awk '$1 == "203.0.113.1" && $2 == 13 && $7 == 30003 { print $3 }' "$T_DIR/timed.msgs" | head -1)
check "an update of 30003 carries its id and the new mark" \
	eval 'awk -v id="$id3" '\''$1 == "203.0.113.1" && ($2 == 4 || $2 == 14) && $3 == id && $4 == "0x0000beef" { f = 1 } END { exit !f }'\'' "$T_DIR/timed.msgs"'

log "pcap-file on fw1"
poll_for 2 eval '[ "$(records "$T_DIR/fw1/sync.pcap")" -gt 0 ]'
ins_lines "$T_DIR/fw1/sync.pcap" 203.0.113.1 > "$T_DIR/file.ins"
check "pcap-file: the same 5 INS, sent from fw1's sync address" diff -q "$T_DIR/want.ins" "$T_DIR/file.ins"
check "pcap-file: frames accepted from fw2 too" \
	[ "$(ts "$T_DIR/fw1/sync.pcap" -Y 'carpsync && ip.src == 203.0.113.2 && ip.dst == 224.0.0.240' | wc -l)" -gt 0 ]
check "pcap-file: DEL_C for both deletions" \
	[ "$(msgs "$T_DIR/fw1/sync.pcap" | awk '$1 == "203.0.113.1" && $2 == 7' | wc -l)" -ge 2 ]
check "pcap-file: no record that is not CARPSYNC" \
	[ "$(ts "$T_DIR/fw1/sync.pcap" -Y '!carpsync' | wc -l)" = 0 ]
nfile=$(records "$T_DIR/fw1/sync.pcap")
# syncd goes on writing (heartbeats) while tshark reads the file, which
# takes a while on a loaded machine: its count must lie between syncd's
# counter read just before and just after.
pcap_matches() {
	local before n after
	before=$(sq fw1 .pcap_file.frames)
	n=$(records "$T_DIR/fw1/sync.pcap")
	after=$(sq fw1 .pcap_file.frames)
	[ "$before" -le "$n" ] && [ "$n" -le "$after" ]
}
check "pcap-file: as many records as syncd says it wrote ($nfile)" poll_for 5 pcap_matches

log "dump -c 3, SIGINT, SIGTERM, bad arguments"
check "dump -c 3 subscribes" dump_start counted fw2 "$T_DIR/counted.pcap" -c 3
for i in 1 2 3 4 5 6; do
	nsx fw1 conntrack -I -p udp -s 192.0.2.$((40 + i)) -d 198.51.100.53 \
		--sport $((5300 + i)) --dport 53 -t 60 >/dev/null 2>&1
	sleep 0.05	# one frame each (send-delay 10 ms)
done
check "dump -c 3 ends by itself" dump_wait counted 5
check "  ... exit 0, 3 written, 3 records" eval '[ "$(dump_rc counted)" = 0 ] &&
	[ "$(written counted)" = 3 ] && [ "$(records "$T_DIR/counted.pcap")" = 3 ]'
for sig in INT TERM; do
	dump_start "sig$sig" fw2 "$T_DIR/sig$sig.pcap"
	nsx fw1 conntrack -I -p udp -s 192.0.2.77 -d 198.51.100.53 --sport 6000 \
		--dport 53 -t 60 >/dev/null 2>&1
	poll_for 3 eval '[ "$(records "$T_DIR/sig'$sig'.pcap")" -gt 0 ]'
	nsx fw1 conntrack -D -p udp --sport 6000 >/dev/null 2>&1
	p=$(eval "echo \$DUMP_sig$sig")
	kill -"$sig" "$p"
	dump_wait "sig$sig" 3
	check "SIG$sig ends a dump: exit 0, the count it printed is in the file" \
		eval '[ "$(dump_rc sig'$sig')" = 0 ] && [ -n "$(written sig'$sig')" ] &&
		[ "$(written sig'$sig')" = "$(records "$T_DIR/sig'$sig'.pcap")" ] &&
		[ "$(written sig'$sig')" -gt 0 ]'
done
check "the subscribers are gone" poll_for 2 eval '[ "$(sq fw2 .watch.subscribers)" = 0 ]'
nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync dump >"$T_DIR/bad.out" 2>&1; rc=$?
check "dump without FILE: usage, exit 1" eval '[ "$rc" = 1 ] && grep -q "sync dump FILE" "$T_DIR/bad.out"'
nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync dump "$T_DIR/x.pcap" -c 0 >"$T_DIR/bad.out" 2>&1; rc=$?
check "dump -c 0: refused, exit 1" eval '[ "$rc" = 1 ] && grep -q "count" "$T_DIR/bad.out"'
nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync dump "$T_DIR/nodir/x.pcap" -c 1 >"$T_DIR/bad.out" 2>&1; rc=$?
check "dump to a file that cannot be made: exit 1, names it" eval '[ "$rc" = 1 ] && grep -q "nodir/x.pcap" "$T_DIR/bad.out"'

log "a subscriber that never reads"
ip netns exec "$(ns fw1)" "$HOLD" -w "$T_DIR/fw1/syncd.sock" >"$T_DIR/slow.out" 2>&1 &
T_PIDS="$T_PIDS $!"; SLOW=$!
check "the slow subscriber is subscribed" poll_for 3 grep -q watching "$T_DIR/slow.out"
check "the watch of fw1 is healthy" dump_start live fw1 "$T_DIR/live.pcap"
# ct_driver's entries: 192.0.2.x:N -> 198.51.100.1:80 (nothing else is)
synth() { nsx "$1" conntrack -L -p tcp -d 198.51.100.1 --dport 80 2>/dev/null | wc -l; }
# In batches of 500 (~45 frames, 70 KB): the subscriber falls behind by
# the total, while no burst overflows the sync socket's receive buffer
# (that loss, repaired by a bulk, is another test's subject).
batches() {
	local b
	for b in $(seq 0 11); do
		nsx fw1 "$CTDRV" bulk-create 500 $((b * 500)) >/dev/null || return 1
		sleep 0.2
	done
}
check "6000 entries created on fw1" eval 'batches && [ "$(synth fw1)" = 6000 ]'
check "fw2's kernel gets all 6000 nonetheless" poll_for 20 eval '[ "$(synth fw2)" = 6000 ]'
t0=$(date +%s%N)
check "carpctl sync status on fw1 still answers" eval 'sst fw1 >"$T_DIR/slow.json"'
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "  ... at once (${ms} ms; carpctl's own timeout is 5000)" [ "$ms" -lt 2000 ]
check "  ... and counts the frames the slow one missed" jq -e '.watch.drops > 0 and .watch.subscribers == 2' "$T_DIR/slow.json"
kill -TERM "$SLOW"
check "the slow one gone, syncd counts one subscriber" poll_for 3 eval '[ "$(sq fw1 .watch.subscribers)" = 1 ]'
kill -TERM "$DUMP_live"
dump_wait live 3
nlive=$(written live)
check "the healthy dump alongside got the bulk's frames (${nlive:-none})" \
	eval '[ "$(dump_rc live)" = 0 ] && [ "${nlive:-0}" -ge 300 ] && [ "$(records "$T_DIR/live.pcap")" = "$nlive" ]'
nsx fw1 "$CTDRV" bulk-delete 6000 >/dev/null 2>&1

log "an IPv6 unicast syncpeer: IPv6 packets"
stop_syncd fw1; stop_syncd fw2
write_sconf fw1 "syncpeer 2001:db8:5::2
pcap-file \"$T_DIR/fw1/sync6.pcap\""
write_sconf fw2 "syncpeer 2001:db8:5::1"
check "syncd restarts on fw1 with an IPv6 peer" start_syncd fw1
check "syncd restarts on fw2 with an IPv6 peer" start_syncd fw2
check "dump on fw2 subscribes" dump_start six fw2 "$T_DIR/six.pcap"
nsx fw1 conntrack -I -p tcp -s 192.0.2.99 -d 198.51.100.10 --sport 39999 --dport 443 \
	--state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED >/dev/null 2>&1
nsx fw2 conntrack -I -p tcp -s 192.0.2.98 -d 198.51.100.10 --sport 39998 --dport 443 \
	--state ESTABLISHED -t 600 -u SEEN_REPLY,ASSURED >/dev/null 2>&1
check "fw2 imports the new entry over IPv6" poll_for 5 eval 'nsx fw2 conntrack -L -p tcp --sport 39999 2>/dev/null | grep -q 39999'
check "fw1 imports fw2's" poll_for 5 eval 'nsx fw1 conntrack -L -p tcp --sport 39998 2>/dev/null | grep -q 39998'
check "pcap-file: an INS from 2001:db8:5::1 to 2001:db8:5::2" \
	poll_for 3 eval '[ "$(ts "$T_DIR/fw1/sync6.pcap" -Y "ipv6.src == 2001:db8:5::1 && ipv6.dst == 2001:db8:5::2 && ipv6.nxt == 240 && ipv6.hlim == 255 && carpsync.action == 13 && carpsync.state.orig.sport == 39999" | wc -l)" -ge 1 ]'
kill -TERM "$DUMP_six"
dump_wait six 3
check "the dump on fw2: IPv6 both ways, every record CARPSYNC" \
	eval '[ "$(dump_rc six)" = 0 ] && n=$(written six) && [ "$n" -gt 0 ] &&
	[ "$(ts "$T_DIR/six.pcap" -Y "carpsync && ipv6" | wc -l)" = "$n" ] &&
	[ "$(ts "$T_DIR/six.pcap" -Y "ipv6.src == 2001:db8:5::1 && carpsync.state.orig.sport == 39999" | wc -l)" -ge 1 ] &&
	[ "$(ts "$T_DIR/six.pcap" -Y "ipv6.src == 2001:db8:5::2 && ipv6.dst == 2001:db8:5::1" | wc -l)" -ge 1 ]'
check "no IPv4 record in the IPv6 captures" \
	eval '[ "$(ts "$T_DIR/six.pcap" -Y ip | wc -l)" = 0 ] && [ "$(ts "$T_DIR/fw1/sync6.pcap" -Y ip | wc -l)" = 0 ]'
finish
