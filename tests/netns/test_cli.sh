#!/bin/bash
# The operator interface as carpd(8) and carpctl(8) document it: configtest
# (-n, -nv) exit codes and FILE:LINE messages, carpctl usage errors, an
# unreachable socket, a refused demotion, the JSON schema of `carpctl -j
# status` (exactly the documented keys) and the text table; a second carpd
# on the same socket must leave the running one alone.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root

VIP=192.0.2.254
topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 30 "$VIP/24 2001:db8::fe/64" "preempt yes" "group uplinks"
good=$T_DIR/fw1/carpd.conf
out=$T_DIR/out; err=$T_DIR/err

log "configtest"
"$CARPD" -n -f "$good" >"$out" 2>"$err"; rc=$?
check "carpd -n on a good config exits 0" [ "$rc" = 0 ]
check "  and prints nothing on stdout" [ ! -s "$out" ]
check "  and says OK on stderr" grep -q "configuration OK" "$err"

"$CARPD" -n -v -f "$good" >"$out" 2>"$err"; rc=$?
check "carpd -n -v exits 0" [ "$rc" = 0 ]
check "  prints the global part" eval 'grep -qx "preempt yes" "$out" && grep -qx "log-level debug" "$out" &&
	grep -qx "control-socket $T_DIR/fw1/carpd.sock" "$out" && grep -qx "startup-demote 0" "$out"'
check "  prints the vhost with its defaults filled in" eval 'grep -qx "vhid 1" "$out" &&
	grep -qx "carpdev eth0" "$out" && grep -qx "ifname carp1" "$out" &&
	grep -qx "address $VIP/24" "$out" && grep -qx "address 2001:db8::fe/64" "$out" &&
	grep -qx "advbase 0" "$out" && grep -qx "advskew 30" "$out" &&
	grep -qx "group uplinks" "$out" && grep -qx "lladdr virtual" "$out" &&
	grep -qx "state backup" "$out" && grep -qx "pass \"carpsync-test\"" "$out"'
# Laid out again as a global file plus one vhost file per "# vhost from"
# block, the normalised form must parse and print the same.
mkdir -p "$T_DIR/re/vh"
awk -v d="$T_DIR/re" '
	/^# vhost from / { f = sprintf("%s/vh/%03d.conf", d, n++); next }
	f == "" { print > (d "/carpd.conf"); next }
	{ print > f }
	END { print "include \"vh/*.conf\"" >> (d "/carpd.conf") }' "$out"
"$CARPD" -n -v -f "$T_DIR/re/carpd.conf" >"$T_DIR/out2" 2>"$err"; rc=$?
check "the normalised config reads back" [ "$rc" = 0 ]
check "  and prints the same" eval 'diff <(grep -v "^# vhost from" "$out") <(grep -v "^# vhost from" "$T_DIR/out2")'

bad=$T_DIR/bad
mkdir -p "$bad/carpd.d"
printf 'control-socket "%s/bad.sock"\npreempt maybe\ninclude "carpd.d/*.conf"\n' "$T_DIR" >"$bad/carpd.conf"
printf 'vhid 1\ncarpdev eth0\naddress 192.0.2.254/24\nadvskew 300\n' >"$bad/carpd.d/v1.conf"
"$CARPD" -n -f "$bad/carpd.conf" >"$out" 2>"$err"; rc=$?
check "carpd -n on a bad config exits 1" [ "$rc" = 1 ]
check "  prints nothing on stdout" [ ! -s "$out" ]
check "  FILE:LINE: reason for the global file" grep -q "^$bad/carpd.conf:2: preempt: " "$err"
check "  FILE:LINE: reason for the vhost file" grep -q "^$bad/carpd.d/v1.conf:4: advskew: " "$err"
check "  one line per error, nothing else" [ "$(wc -l <"$err")" = 2 ]
"$CARPD" -n -v -f "$bad/carpd.conf" >"$out" 2>/dev/null; rc=$?
check "carpd -n -v on a bad config exits 1, prints no config" eval '[ "$rc" = 1 ] && [ ! -s "$out" ]'
"$CARPD" -n -f "$T_DIR/nonexistent.conf" >/dev/null 2>"$err"; rc=$?
check "carpd -n on a missing file exits 1 and names it" eval '[ "$rc" = 1 ] && grep -q "nonexistent.conf" "$err"'
"$CARPD" -q >/dev/null 2>"$err"; rc=$?
check "carpd with an unknown option: usage, exit 1" eval '[ "$rc" = 1 ] && grep -q "usage:" "$err"'
"$CARPD" -n -f "$good" extra >/dev/null 2>"$err"; rc=$?
check "carpd with an extra argument: usage, exit 1" eval '[ "$rc" = 1 ] && grep -q "usage:" "$err"'

log "a carpnodes group (carpd.conf(5) BALANCING): checked and printed"
bal=$T_DIR/bal
mkdir -p "$bal/carpd.d"
printf 'control-socket "%s/bal.sock"\nbalance-seed 0xC0FFEE\ninclude "carpd.d/*.conf"\n' "$T_DIR" >"$bal/carpd.conf"
printf 'carpnodes 3:100,2:0\ncarpdev eth0\naddress 192.0.2.200/24\npass "x"\nbalance-side wan\n' >"$bal/carpd.d/g.conf"
printf 'vhid 9\ncarpdev eth0\naddress 192.0.2.9/24\n' >"$bal/carpd.d/v.conf"
"$CARPD" -n -v -f "$bal/carpd.conf" >"$out" 2>"$err"; rc=$?
check "carpd -n -v accepts it" eval '[ "$rc" = 0 ] && grep -q "configuration OK" "$err"'
check "  prints the group once, its nodes sorted, with its defaults" eval 'grep -qx "carpnodes 2:0,3:100" "$out" &&
	grep -qx "balancing ip" "$out" && grep -qx "balance-side wan" "$out" && grep -qx "ifname carp2" "$out" &&
	[ "$(grep -c "^# vhost from" "$out")" = 2 ] && ! grep -q "^advskew" <(sed -n "/g.conf/,/^$/p" "$out")'
check "  and the seed, in hex" grep -qx "balance-seed 0x00c0ffee" "$out"
rm -rf "$T_DIR/re2"; mkdir -p "$T_DIR/re2/vh"
awk -v d="$T_DIR/re2" '
	/^# vhost from / { f = sprintf("%s/vh/%03d.conf", d, n++); next }
	f == "" { print > (d "/carpd.conf"); next }
	{ print > f }
	END { print "include \"vh/*.conf\"" >> (d "/carpd.conf") }' "$out"
"$CARPD" -n -v -f "$T_DIR/re2/carpd.conf" >"$T_DIR/out2" 2>"$err"; rc=$?
check "  the printed form reads back and prints the same" eval '[ "$rc" = 0 ] &&
	diff <(grep -v "^# vhost from" "$out") <(grep -v "^# vhost from" "$T_DIR/out2")'

log "carpctl without a daemon"
"$CARPCTL" -s /nonexistent/carpd.sock status >"$out" 2>"$err"; rc=$?
check "carpctl -s /nonexistent status exits 1" [ "$rc" = 1 ]
check "  with the socket and the reason on stderr" grep -q "/nonexistent/carpd.sock: No such file" "$err"
check "  and nothing on stdout" [ ! -s "$out" ]
: >"$T_DIR/notasocket"
"$CARPCTL" -s "$T_DIR/notasocket" status >"$out" 2>"$err"; rc=$?
check "carpctl on a file that is not a socket exits 1 with a message" eval '[ "$rc" = 1 ] && [ -s "$err" ] && [ ! -s "$out" ]'

start_carpd fw1
check "carpd starts" poll_for 5 is_state fw1 1 MASTER
sock=$T_DIR/fw1/carpd.sock

log "carpctl usage errors (exit 1, usage on stderr, nothing on stdout)"
usage_err() {	# usage_err ARGS...: carpctl ARGS fails as a usage error
	"$CARPCTL" "$@" >"$out" 2>"$err"
	[ $? = 1 ] && grep -q "usage:" "$err" && [ ! -s "$out" ]
}
check "no command" usage_err -s "$sock"
check "unknown command" usage_err -s "$sock" frobnicate
check "unknown option" usage_err -s "$sock" -x status
check "option after the command" usage_err -s "$sock" status -j
check "status with an argument" usage_err -s "$sock" status 1
check "demote without a value" usage_err -s "$sock" demote carp
check "demote with too many arguments" usage_err -s "$sock" demote carp 1 2
check "state without a state" usage_err -s "$sock" state 1
check "state with an unknown state" usage_err -s "$sock" state 1 sideways
refused() {	# refused ARGS...: exit 1, a message, nothing on stdout
	"$CARPCTL" -s "$sock" "$@" >"$out" 2>"$err"
	[ $? = 1 ] && [ -s "$err" ] && [ ! -s "$out" ]
}
check "demote by a non-number refused" refused demote carp abc
check "demote by 256 refused" refused demote carp 256
check "state of vhid 0 refused" refused state 0 master
check "state of vhid 256 refused" refused state 256 master
check "state of an unconfigured vhid refused" refused state 9 master
check "a group name longer than 31 bytes refused" refused demote "$(printf 'g%.0s' $(seq 1 40))" 1

log "demotion limits"
check "demote carp -5 below 0 refused" refused demote carp -5
check "  with a reason" grep -q "below 0" "$err"
check "  group carp still 0" eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "  vhost still MASTER" is_state fw1 1 MASTER
check "demote carp 255 accepted" ctl fw1 demote carp 255
check "demote carp 1 more refused (above 255)" refused demote carp 1
check "  group carp still 255" eval '[ "$(group_demote fw1 carp)" = 255 ]'
check "vhost advertises 255" eval '[ "$(ctl fw1 -j status | jq ".vhosts[0].demote")" = 255 ]'
check "demote carp -255 accepted" ctl fw1 demote carp -255
check "  group carp back to 0" eval '[ "$(group_demote fw1 carp)" = 0 ]'
check "undemote of a group never demoted refused" refused demote nosuchgroup -1

log "carpctl -j status: valid JSON with exactly the documented keys"
ctl fw1 -j status >"$out" 2>"$err"; rc=$?
check "exits 0, nothing on stderr" eval '[ "$rc" = 0 ] && [ ! -s "$err" ]'
check "valid JSON, one object" jq -e 'type == "object"' "$out"
ckeys='["authforged","authmalformed","authmissing","authreplay","authvalid","badauth","badif","badlen","badsum","badttl","badver","badvhid","hdrops","ipackets","ipackets6","loop","onomem","opackets","opackets6","unauthenticated"]'
check "top-level keys" jq -e '(keys == ["announce","control","counters","fifo","groups","hooks","scripts","version","vhosts"]) and .version == 1' "$out"
check "control socket keys" jq -e '.control | keys == ["accepted","badmsg","closed_bad","closed_slow","open","refused"]' "$out"
check "vhost keys" jq -e '[.vhosts[] | keys == ["advbase","advskew","announce","auth","carpdev","counters","demote","garp_refresh","hooks","ifname","lladdr","preempt_delay","state","tiebreak","track_demote","tracks","transitions","vhid"]] | length == 1 and all' "$out"
check "vhost counter keys" jq -e --argjson k "$ckeys" '[.vhosts[].counters | keys == $k] | all' "$out"
check "daemon counter keys" jq -e --argjson k "$ckeys" '.counters | keys == $k' "$out"
akeys='["errors","garp","na","refresh","takeover","won"]'
check "announce keys (vhost and daemon)" jq -e --argjson k "$akeys" '([.vhosts[].announce | keys == $k] | all) and (.announce | keys == $k)' "$out"
check "group keys" jq -e '[.groups[] | keys == ["demote","name"]] | length >= 1 and all' "$out"
check "nothing refused" jq -e '.control.refused == 0' "$out"
check "counters are unsigned integers" jq -e '[(.counters, .vhosts[].counters) | .[] | type == "number" and . >= 0 and . == floor] | all' "$out"
check "vhost values" jq -e '.vhosts[0] | .vhid == 1 and .ifname == "carp1" and .carpdev == "eth0" and
	.state == "MASTER" and .advbase == 0 and .advskew == 30 and .demote == 0 and
	.lladdr == "virtual" and (.transitions | type == "number")' "$out"
check "groups carp and uplinks listed" jq -e '[.groups[].name] | index("carp") != null and index("uplinks") != null' "$out"
check "adverts counted as sent" jq -e '.vhosts[0].counters.opackets > 0 and .vhosts[0].counters.opackets6 > 0' "$out"

log "carpctl status: the text table"
ctl fw1 status >"$out" 2>"$err"; rc=$?
check "exits 0" [ "$rc" = 0 ]
check "table header" grep -Eq '^VHID +IFNAME +CARPDEV +STATE +ADVBASE +ADVSKEW +DEMOTE +TRANSITIONS +AUTH$' "$out"
check "the vhost row" grep -Eq '^1 +carp1 +eth0 +MASTER +0 +30 +0 +[0-9]+ +off$' "$out"
check "group header and rows" eval 'grep -Eq "^GROUP +DEMOTE$" "$out" && grep -Eq "^carp +0$" "$out" && grep -Eq "^uplinks +0$" "$out"'
check "counter lines" eval 'grep -q "^vhid 1: in " "$out" && grep -q "^all: in " "$out"'

log "a carpd with no vhost at all"
mkdir -p "$T_DIR/empty"
printf 'control-socket "%s/empty/carpd.sock"\n' "$T_DIR" >"$T_DIR/empty/carpd.conf"
ip netns exec "$(ns fw2)" "$CARPD" -d -f "$T_DIR/empty/carpd.conf" >"$T_DIR/empty/carpd.log" 2>&1 &
T_PIDS="$T_PIDS $!"
check "starts" poll_for 5 test -S "$T_DIR/empty/carpd.sock"
"$CARPCTL" -s "$T_DIR/empty/carpd.sock" -j status >"$out" 2>"$err"
check "-j status: valid JSON with an empty vhost list" jq -e '.vhosts == [] and ([.groups[].name] | index("carp") != null)' "$out"
"$CARPCTL" -s "$T_DIR/empty/carpd.sock" status >"$out" 2>"$err"
check "status says so" grep -qx "no vhosts" "$out"

log "a second carpd with the same config"
ip netns exec "$(ns fw1)" "$CARPD" -d -f "$good" >"$T_DIR/second.log" 2>&1 &
p2=$!; T_PIDS="$T_PIDS $p2"
check "the second carpd exits" poll_for 10 eval '! kill -0 $p2 2>/dev/null'
wait "$p2" 2>/dev/null; rc=$?
check "  with status 1" [ "$rc" = 1 ]
check "  saying another carpd runs" grep -q "another carpd is running" "$T_DIR/second.log"
check "the first carpd still answers" is_state fw1 1 MASTER
check "  and still has its macvlan" ip -n "$(ns fw1)" link show carp1
check "  and its VIP" has_vip fw1 $VIP
check "  the client still reaches the VIP" nsx client ping -c 1 -W 1 $VIP

finish
