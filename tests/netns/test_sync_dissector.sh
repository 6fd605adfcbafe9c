#!/bin/bash
# The Wireshark Lua dissector (scripts/carpsync-sync.lua) against frames
# built by syncd's own encoder (BUILD/tests/sync_pcap, from
# tests/netns/sync_pcap.c): every field of every frame decodes to the value
# the tool put in (the tool writes them as "frame field value" lines in
# tshark's -T fields format), the HMAC is shown, an unknown private section
# is skipped and the section after it still decoded, and a header len
# beyond the datagram / bytes after len are flagged as expert infos.
# Needs no root and builds nothing: make $BUILD/tests/sync_pcap first.
cd "$(dirname "$0")/../.." || exit 1
. tests/netns/lib.sh
BUILD=${1:-$BUILD}
TOOL=$BUILD/tests/sync_pcap
LUA=scripts/carpsync-sync.lua
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }
if [ ! -x "$TOOL" ]; then
	fail "$TOOL is missing (make $TOOL)"
	finish
	exit
fi

pcap=$T_DIR/sync.pcap
exp=$T_DIR/expect.tsv
err=$T_DIR/tshark.err
check "sync_pcap writes the capture and the expected values" \
	"$TOOL" -e "$exp" "$pcap"
not() { ! "$@"; }
ts() { tshark -X "lua_script:$LUA" -r "$pcap" "$@" 2>>"$err"; }
count() { ts -Y "$1" | wc -l; }
frames_with() { ts -Y "$1" -T fields -e frame.number | tr '\n' ' '; }
# frame numbers that have field $1 in the expectations
expect_frames() { awk -F'\t' -v f="$1" '$2 == f { print $1 }' "$exp" |
	sort -un | tr '\n' ' '; }

nframes=$(cut -f1 "$exp" | sort -un | wc -l)
check "the tool wrote 13 frames ($nframes)" [ "$nframes" -eq 13 ]
check "all of them decode as CARPSYNC" [ "$(count carpsync)" -eq "$nframes" ]
check "carried as pfsync is: IPv4 proto 240, TTL 255, to 224.0.0.240" \
	[ "$(count 'ip.proto == 240 && ip.ttl == 255 && ip.dst == 224.0.0.240 && ip.flags.df == 1')" -eq "$nframes" ]
check "without the script tshark knows nothing of them (the script decodes)" \
	[ "$(tshark -r "$pcap" 2>/dev/null | grep -c CARPSYNC)" -eq 0 ]

# --- every field, every frame ------------------------------------------
# want/got: "frame<TAB>field<TAB>v1,v2,..." (occurrences in tree order)
fields=$(cut -f2 "$exp" | sort -u)
args=()
for f in $fields; do args+=(-e "$f"); done
ts -T fields -e frame.number "${args[@]}" -E separator=/t -E occurrence=a \
	-E aggregator=, > "$T_DIR/actual.tsv"
awk -F'\t' -v OFS='\t' '{ k = $1 OFS $2
	if (k in v) v[k] = v[k] "," $3; else v[k] = $3 }
	END { for (k in v) print k, v[k] }' "$exp" | sort > "$T_DIR/want"
awk -F'\t' -v OFS='\t' -v list="$fields" '
	BEGIN { n = split(list, name, "\n") }
	{ for (i = 1; i <= n; i++) if ($(i + 1) != "") print $1, name[i], $(i + 1) }' \
	"$T_DIR/actual.tsv" | sort > "$T_DIR/got"
nf=$(echo "$fields" | wc -l)
nv=$(wc -l < "$T_DIR/want")
if diff "$T_DIR/want" "$T_DIR/got" > "$T_DIR/fields.diff"; then
	pass "$nf fields, $nv frame/field values decode as encoded"
else
	fail "decoded fields differ from what was encoded (< want, > got):"
	head -40 "$T_DIR/fields.diff"
fi
# the comparison can fail: one changed expected value is noticed
sed '1s/\t[^\t]*$/\tNOT-A-VALUE/' "$T_DIR/want" > "$T_DIR/want.bad"
check "the field comparison notices one wrong value" \
	not diff -q "$T_DIR/want.bad" "$T_DIR/got"
# every value field the dissector registers is exercised; the raw address
# (an af other than 2 or 10) cannot occur in a valid frame
registered=$(tshark -G fields -X "lua_script:$LUA" 2>/dev/null |
	awk -F'\t' '$1 == "F" && $3 ~ /^carpsync\./ && $4 != "FT_NONE" { print $3 }' |
	grep -vx carpsync.state.addr | sort)
missing=$(comm -23 <(echo "$registered") <(echo "$fields") | tr '\n' ' ')
check "every registered field is checked (missing: ${missing:-none})" \
	[ -z "$missing" ]

# --- what -V shows -------------------------------------------------------
ts -V -O carpsync > "$T_DIR/verbose.txt"
check "an HMAC in every frame, shown as not verified" \
	[ "$(grep -Ec 'HMAC-SHA256: [0-9a-f]{64} \(not verified: no key\)' "$T_DIR/verbose.txt")" -eq "$nframes" ]
f_skip=$(expect_frames carpsync.skipped)
check "exactly one frame has a skipped section (frame ${f_skip% })" \
	[ "$(echo $f_skip | wc -w)" -eq 1 ]
check "the unknown section is skipped with an expert note" \
	[ "$(frames_with 'carpsync.unknown_action && carpsync.skipped')" = "$f_skip" ]
# the section that follows the skipped one in the tree is the DEL_C
next_section=$(awk '/^    Section / { if (hit) { print; exit } }
	/^    Section unknown \(20\), 3 x 8 bytes \[skipped\]$/ { hit = 1 }' \
	"$T_DIR/verbose.txt")
check "-V: unknown action 20 skipped, then the DEL_C after it decoded" \
	[ "$next_section" = "    Section DEL_C, 1 x 12 bytes" ]
check "longer messages: extension bytes shown, the next section decoded" \
	[ "$(frames_with 'carpsync.extra && carpsync.action == 13')" = "$(expect_frames carpsync.extra)" ]
check "header len beyond the datagram: expert error on frame 12 only" \
	[ "$(frames_with carpsync.len_mismatch)" = "12 " ]
check "bytes after len: expert note on frame 13 only" \
	[ "$(frames_with carpsync.len_trailing)" = "13 " ]
check "no other expert complaint, nothing else malformed" \
	[ "$(count '(carpsync.badlen || carpsync.badact || carpsync.short || carpsync.badver || _ws.malformed) && !carpsync.len_mismatch')" -eq 0 ]
check "the bulk frame's info column lists its sections" \
	grep -q 'seq 105: BUS, UPD x2, BUS' <(ts)
check "NAT is shown: SNAT for the INS, DNAT for the ICMP UPD" \
	grep -q 'TCP, IPv4 192.0.2.10:40000 -> 198.51.100.20:443, SNAT$' "$T_DIR/verbose.txt"
check "  ... DNAT" grep -q 'ICMP, IPv4 192.0.2.20:4660 -> 198.51.100.80:2048, DNAT$' \
	"$T_DIR/verbose.txt"
check "display filters on IPv4 and IPv6 tuple fields" \
	[ "$(frames_with 'carpsync.state.orig.src == 192.0.2.10')" = "7 10 11 " ]
check "  ... IPv6" [ "$(frames_with 'carpsync.state.reply.dst6 == 2001:db8::1')" = "6 8 " ]
check "bulk request UPD_REQ(0,0) is named" grep -q '(bulk request)' "$T_DIR/verbose.txt"
check "no Lua errors" not grep -qi 'lua' "$err"
check "no Lua errors in the tree" not grep -qi 'lua error' "$T_DIR/verbose.txt"
finish
