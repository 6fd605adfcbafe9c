#!/bin/bash
# `carpctl sync status` against two real syncd on a direct sync link: after
# entries are created on fw1, fw2 reports them as imported, frames in, and
# fw1 (node id 1) as a peer; the JSON has the documented keys, every drop
# reason by name; a node with another key makes fw2's drops.badauth rise;
# the text table has its headers; the socket goes away with the daemon.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}
need_root
command -v conntrack >/dev/null || { echo "$T_NAME: SKIP (no conntrack CLI)"; exit 77; }
SYNCD=$BUILD/syncd; CARPCTL=$BUILD/carpctl
[ -x "$SYNCD" ] || { echo "$T_NAME: $SYNCD not built"; exit 1; }
N=40

ns_add fw1 && ns_add fw2 || { fail "namespaces"; finish; exit; }
ip link add "$T_ID-s1" type veth peer name "$T_ID-s2"
ip link set "$T_ID-s1" netns "$(ns fw1)" name sync0
ip link set "$T_ID-s2" netns "$(ns fw2)" name sync0
ip -n "$(ns fw1)" addr add 203.0.113.1/24 dev sync0
ip -n "$(ns fw2)" addr add 203.0.113.2/24 dev sync0
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
# sync status of NODE as JSON (the -s socket; -j before the verb)
sst() { nsx "$1" "$CARPCTL" -s "$T_DIR/$1/syncd.sock" -j sync status; }
sq() { sst "$1" | jq -r "$2"; }
out=$T_DIR/out

check "syncd starts on fw1" start_syncd fw1
check "syncd starts on fw2" start_syncd fw2
check "fw2's control socket exists" wait_for 2 test -S "$T_DIR/fw2/syncd.sock"

log "$N TCP entries created on fw1"
for i in $(seq 1 $N); do
	nsx fw1 conntrack -I -p tcp -s 192.0.2.$i -d 198.51.100.10 \
		--sport $((20000 + i)) --dport 80 --state ESTABLISHED -t 600 \
		-u SEEN_REPLY,ASSURED --src-nat 198.51.100.254 >/dev/null 2>&1
done
check "fw2 reports $N imported states within 2 s" \
	wait_for 2 eval '[ "$(sq fw2 .states.imported)" = '$N' ]'
check "fw1 reports $N local states" eval '[ "$(sq fw1 .states.local)" = '$N' ]'
sst fw2 >"$out" 2>/dev/null
check "valid JSON, one object" jq -e 'type == "object"' "$out"
check "top-level keys" jq -e 'keys == ["bulk","bulk_sending","bytes_in","bytes_out","carpd","control","defer","drops","epoch","filtered","frames_in","frames_out","gaps","held","held_demote","loops","loss","master","node_id","oerrors","overruns","pcap_file","peers","skipped","states","syncdev","table","version","watch"] and .version == 1' "$out"
check "control socket keys" jq -e '.control | keys == ["accepted","badmsg","closed_bad","closed_slow","open","refused"]' "$out"
check "held demotion by reason, syncdev, watch and pcap-file keys" jq -e '(.held | keys == ["bulk","link"]) and (.syncdev | keys == ["carrier","local_prefixes"]) and (.watch | keys == ["drops","frames","subscribers"]) and (.pcap_file | keys == ["errors","frames","open"])' "$out"
check "syncdev has carrier, its prefix known, no pcap-file, no subscriber" jq -e '.syncdev.carrier == true and .syncdev.local_prefixes >= 1 and .pcap_file.open == false and .watch.subscribers == 0' "$out"
check "every drop reason by name" jq -e '.drops | keys == (["badact","badauth","badif","badlen","badttl","badval","badver","hdrops","replay"] | sort)' "$out"
check "table counter keys" jq -e '.table | keys == (["stale","loops","refused","nomem","upd_req_out","upd_req_drop","upd_req_miss","del_unknown","swept","resync_swept","refreshed","bulks"] | sort)' "$out"
check "counters are unsigned integers" jq -e '[.frames_in, .bytes_in, .frames_out, .bytes_out, .oerrors, (.drops[]), (.table[]), .states.local, .states.imported] | all(type == "number" and . >= 0 and . == floor)' "$out"
check "fw2 is node 2 with an epoch" jq -e '.node_id == 2 and .epoch > 0' "$out"
check "frames in > 0 and bytes in > frames in" jq -e '.frames_in > 0 and .bytes_in > .frames_in' "$out"
check "frames out > 0 (its bulk request)" jq -e '.frames_out > 0 and .bytes_out > 0' "$out"
check "no local states on fw2" jq -e '.states.local == 0' "$out"
check "no carpd: standalone master, bulk finished, nothing held" \
	jq -e '.carpd == false and .master == true and .held_demote == 0 and .held.bulk == 0 and .held.link == 0 and .bulk == "DONE"' "$out"
check "peer node 1 listed with frames" jq -e '[.peers[] | select(.node_id == 1 and .frames > 0 and .epoch > 0 and .seq > 0)] | length == 1' "$out"
check "peer keys" jq -e '[.peers[] | keys == ["bulks","epoch","frames","gaps","heard_ms","late","lost","missing","nacks","node_id","seq","table_reqs"]] | all' "$out"
check "loss keys" jq -e '.loss | keys == (["nacks_out","nacks_in","retx_out","retx_lost","retx_dup","heartbeats","table_reqs","toomany","acks_out","acks_in","window_waits"] | sort)' "$out"
check "no badauth yet" jq -e '.drops.badauth == 0' "$out"
check "nothing refused" jq -e '.control.refused == 0' "$out"

log "text output"
nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync status >"$out" 2>&1; rc=$?
cp "$out" "$T_DIR/text.out"
check "text exits 0" [ "$rc" = 0 ]
check "text has the node header" grep -q "^NODE .*EPOCH .*LOCAL .*IMPORTED" "$out"
check "text has the peer header and node 1" eval 'grep -q "^PEER .*FRAMES .*GAPS" "$out" && grep -q "^1 " "$out"'
check "text has frames and every drop reason" eval 'grep -q "^frames: in [1-9]" "$out" &&
	grep -q "^dropped: badif 0 badttl 0 hdrops 0 badver 0 badlen 0 badauth 0 replay [0-9]* badact 0 badval 0$" "$out"'
check "text counts $N imported" grep -Eq "^2 .* 0 +$N\$" "$out"
check "text: demotion held, syncdev, watch lines" eval 'grep -q "^demotion held on carpd: 0\$" "$out" &&
	grep -q "^syncdev: carrier yes, [1-9][0-9]* prefixes not synced\$" "$out" &&
	grep -q "^watch: subscribers 0 frames 0 drops 0; pcap-file none frames 0 errors 0\$" "$out"'

log "usage and errors"
nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" sync >"$out" 2>&1; rc=$?
check "carpctl sync with no sub-verb: usage naming sync status and dump, exit 1" \
	eval '[ "$rc" = 1 ] && grep -q "usage:" "$out" && grep -q "sync status" "$out" && grep -q "sync dump FILE" "$out"'
nsx fw2 "$CARPCTL" -s "$T_DIR/none.sock" sync status >"$out" 2>&1; rc=$?
check "no socket: exit 1, names the path" eval '[ "$rc" = 1 ] && grep -q none.sock "$out"'
check "carpd request to syncd: refused" eval '! nsx fw2 "$CARPCTL" -s "$T_DIR/fw2/syncd.sock" status >/dev/null 2>&1'

log "a node with another key: fw2 counts badauth"
kill -TERM "$SPID_fw1"; wait "$SPID_fw1" 2>/dev/null
check "fw1's socket removed at exit" [ ! -e "$T_DIR/fw1/syncd.sock" ]
before=$(sq fw2 .drops.badauth)
sed -i "s/^node-id 1/node-id 3/" "$T_DIR/fw1/syncd.conf"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T_DIR/fw1/sync.key"
check "syncd with a wrong key starts" start_syncd fw1
nsx fw1 conntrack -I -p udp -s 192.0.2.7 -d 198.51.100.10 --sport 5353 --dport 53 -t 60 >/dev/null 2>&1
check "fw2's drops.badauth rises" wait_for 3 eval '[ "$(sq fw2 .drops.badauth)" -gt "$before" ]'
check "node 3 is not a peer of fw2" eval '[ "$(sq fw2 "[.peers[] | select(.node_id == 3)] | length")" = 0 ]'
check "fw2 still holds $N imported" eval '[ "$(sq fw2 .states.imported)" = '$N' ]'
finish
