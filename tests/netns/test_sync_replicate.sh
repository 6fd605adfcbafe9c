#!/bin/bash
# Two real syncd on a direct sync link: conntrack entries created on fw1
# appear in fw2's kernel (with NAT, marks, zones), updates and deletions
# follow, nothing is echoed back, a restarted syncd gets the table by bulk,
# and frames with a wrong key are counted and change nothing.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack CLI)"; exit 77; }
SYNCD=$BUILD/syncd
[ -x "$SYNCD" ] || { echo "$T_NAME: $SYNCD not built"; exit 1; }

ns_add fw1 && ns_add fw2 || { fail "namespaces"; finish; exit; }
ip link add "$T_ID-s1" type veth peer name "$T_ID-s2"
ip link set "$T_ID-s1" netns "$(ns fw1)" name sync0
ip link set "$T_ID-s2" netns "$(ns fw2)" name sync0
ip -n "$(ns fw1)" addr add 203.0.113.1/24 dev sync0
ip -n "$(ns fw2)" addr add 203.0.113.2/24 dev sync0
ip -n "$(ns fw1)" link set sync0 up
ip -n "$(ns fw2)" link set sync0 up

# conntrack and NAT hooks active, as on a real firewall (pfsync-conntrack.md 5.1)
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
table ip6 nat {
	chain post { type nat hook postrouting priority 100; }
}
NFT
done

key=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
for n in 1 2; do
	mkdir -p "$T_DIR/fw$n"
	printf '%s\n' "$key" > "$T_DIR/fw$n/sync.key"
	chmod 600 "$T_DIR/fw$n/sync.key"
	cat > "$T_DIR/fw$n/syncd.conf" <<CONF
syncdev sync0
keyfile "sync.key"
node-id $n
carpd-socket "$T_DIR/fw$n/carpd.sock"
control-socket "$T_DIR/fw$n/syncd.sock"
pfsync-if none
send-delay 10
log-level debug
CONF
done

# start_syncd (lib.sh) runs it under $SYNCD_WRAP if set
# TCP only: the hosts' own IGMP/MLD get conntrack entries too (not synced)
count() { nsx "$1" conntrack -L -p tcp 2>/dev/null | wc -l; }
check "syncd starts on fw1" start_syncd fw1
check "syncd starts on fw2" start_syncd fw2

log "100 TCP entries with SNAT and marks created on fw1"
for i in $(seq 1 100); do
	nsx fw1 conntrack -I -p tcp -s 192.0.2.$((i % 200 + 1)) -d 198.51.100.10 \
		--sport $((10000 + i)) --dport 80 --state ESTABLISHED -t 600 \
		-u SEEN_REPLY,ASSURED -m $i --src-nat 198.51.100.254 >/dev/null 2>&1
done
check "fw1 holds 100" [ "$(count fw1)" = 100 ]
check "fw2 holds all 100 within 2 s" wait_for 2 eval '[ "$(count fw2)" = 100 ]'
check "fw2's copies are SNATed" eval '[ "$(nsx fw2 conntrack -L --src-nat 2>/dev/null | wc -l)" = 100 ]'
check "fw2's copy carries the mark" eval 'nsx fw2 conntrack -L -p tcp --sport 10042 2>/dev/null | grep -q "mark=42"'
check "fw2's copy is ESTABLISHED" eval 'nsx fw2 conntrack -L -p tcp --sport 10042 2>/dev/null | grep -q ESTABLISHED'
check "no echo: fw1 still holds exactly 100" [ "$(count fw1)" = 100 ]

log "deletions propagate"
for i in $(seq 1 50); do
	nsx fw1 conntrack -D -p tcp --sport $((10000 + i)) >/dev/null 2>&1
done
check "fw2 holds 50 within 2 s" wait_for 2 eval '[ "$(count fw2)" = 50 ]'

log "fw2 restarts empty: the bulk brings the table back"
kill -TERM "$SPID_fw2"; wait "$SPID_fw2" 2>/dev/null
nsx fw2 conntrack -F >/dev/null 2>&1
check "fw2 flushed" [ "$(count fw2)" = 0 ]
check "syncd restarts on fw2" start_syncd fw2
check "fw2 holds 50 again after its bulk request" wait_for 5 eval '[ "$(count fw2)" = 50 ]'

log "a syncd with another key is not heard"
sed -i "s/^node-id 2/node-id 3/" "$T_DIR/fw2/syncd.conf"
kill -TERM "$SPID_fw2"; wait "$SPID_fw2" 2>/dev/null
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T_DIR/fw2/sync.key"
check "syncd with a wrong key starts" start_syncd fw2
nsx fw1 conntrack -I -p udp -s 192.0.2.7 -d 198.51.100.10 --sport 5353 --dport 53 -t 60 >/dev/null 2>&1
check "fw1 logs the bad frames" wait_for 3 grep -q "badauth" "$T_DIR/fw1/syncd.log"
check "fw2 did not get the UDP entry" eval '! nsx fw2 conntrack -L -p udp 2>/dev/null | grep -q 5353'
finish
