#!/bin/bash
# carpd.conf(5) `auth`: a forged priority moves the master under plain
# CARP and not under `auth strict`.
#
# fw2 (advskew 100) runs alone first and its adverts are captured from the
# client; then fw1 (advskew 50, preempt) takes over. The client replays
# fw2's captured advert rewritten to advskew 0 with the CARP checksum made
# good again (carp_inject -P -k 0), as any host on the segment can:
#   plain CARP    fw1 yields (OpenBSD's HMAC covers no advskew);
#   auth strict   fw1 drops it as authforged and stays MASTER; the capture
#                 replayed unchanged is an authreplay, a plain advert an
#                 authmissing; a restarted fw1 (new epoch) is heard by fw2
#                 at once; tshark finds the 84-byte payload's checksum good
#                 (the trailer is checksum-neutral);
#   compat + off  a carpsync peer with `auth compat` and one without auth
#                 fail over both ways (unauthenticated adverts counted);
#                 turning fw1 to strict makes it deaf to fw2: split brain,
#                 as carpd.conf(5) warns.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
INJECT=$BUILD/tests/carp_inject
need_root
for b in "$CARPD" "$CARPCTL" "$INJECT"; do
	[ -x "$b" ] || { echo "$T_NAME: FAIL: $b not built"; exit 1; }
done

VIP=192.0.2.254
VIP6=2001:db8::254	# IPv6 adverts carry the trailer too
KEY=$T_DIR/auth.key
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$KEY" && chmod 600 "$KEY"
STRICT="auth strict\nauthkeyfile $KEY"

topo_lan || { fail "topology"; finish; exit; }

yields() { grep -c "MASTER -> BACKUP" "$T_DIR/$1/carpd.log" 2>/dev/null; }
adverts_in() { tcpdump -r "$1" -n 2>/dev/null | grep -c .; }
restart_both() {	# restart_both VEXTRA1 VEXTRA2: fw2 alone (captured), then fw1
	stop_carpd fw1; stop_carpd fw2
	write_conf fw1 1 1 50 "$VIP/24 $VIP6/64" "preempt yes" "$1"
	write_conf fw2 1 1 100 "$VIP/24 $VIP6/64" "preempt yes" "$2"
	rm -f "$T_DIR/fw2.pcap"
	capture_start fw2 client eth0 "$T_DIR/fw2.pcap" ip proto 112 || return 1
	start_carpd fw2 && poll_for 10 is_state fw2 1 MASTER &&
		poll_for 3 eval '[ "$(adverts_in "$T_DIR/fw2.pcap")" -ge 2 ]' || return 1
	capture_stop fw2 || return 1
	start_carpd fw1 && poll_for 10 is_state fw1 1 MASTER &&
		poll_for 5 is_state fw2 1 BACKUP
}
# forge [ARGS]: fw2's captured advert from the client, rewritten by ARGS
forge() { nsx client "$INJECT" -i eth0 -P "$T_DIR/fw2.pcap" "$@" >/dev/null; }
# wait_count NODE NAME BEFORE: the vhost counter rose by exactly one
wait_count() { poll_for 3 eval '[ "$(counter '"$1"' 1 '"$2"')" -eq $(('"$3"' + 1)) ]'; }

log "plain CARP: a forged advskew 0 takes mastership"
check "fw2 alone, captured, then fw1 MASTER" restart_both "" ""
y0=$(yields fw1)
check "forged advert sent" forge -k 0
check "fw1 yields to the forgery" poll_for 3 eval '[ "$(yields fw1)" -gt '"$y0"' ]'

log "auth strict: the same forgery is dropped"
check "fw2 alone, captured, then fw1 MASTER (strict)" restart_both "$STRICT" "$STRICT"
check "the captured payload is 36 + 48 bytes" eval \
	'tcpdump -r "$T_DIR/fw2.pcap" -n -v 2>/dev/null | grep -q "length 104)"'
if command -v tshark >/dev/null; then
	check "tshark: CARP advskew 100, checksum good over all 84 bytes" eval \
		'tshark -r "$T_DIR/fw2.pcap" -d ip.proto==112,carp -T fields \
		  -e carp.advskew -e carp.checksum.status 2>/dev/null | head -n 1 | grep -Eq "^100\s+1$"'
fi
y0=$(yields fw1); t0=$(transitions fw1 1)
f0=$(counter fw1 1 authforged)
check "forged advert sent" forge -k 0
check "fw1 counts it as authforged" wait_count fw1 authforged "$f0"
r0=$(counter fw1 1 authreplay)
check "the capture replayed as it is" forge
check "fw1 counts it as authreplay" wait_count fw1 authreplay "$r0"
m0=$(counter fw1 1 authmissing)
check "a plain advert with fw2's address and pass" eval 'nsx client "$INJECT" -i eth0 \
	-s 192.0.2.2 -a $VIP/24 -a $VIP6/64 -p carpsync-test -b 1 -k 0 >/dev/null'
check "fw1 counts it as authmissing" wait_count fw1 authmissing "$m0"
check "fw1 still MASTER, no transition" eval \
	'is_state fw1 1 MASTER && [ "$(transitions fw1 1)" = "$t0" ] && [ "$(yields fw1)" = "$y0" ]'
check "fw1 heard fw2's real adverts, IPv4 and IPv6 (authvalid)" eval \
	'[ "$(counter fw1 1 authvalid)" -gt 0 ] && [ "$(counter fw1 1 ipackets6)" -gt 0 ]'
check "no other drop on fw1: one forgery, one replay, one plain" eval '[ "$(ctl fw1 -j status | jq ".vhosts[0].counters |
	[.badauth + .badsum + .badlen + .hdrops + .authmalformed, .authforged, .authreplay, .authmissing]" -c)" = "[0,1,1,1]" ]'

log "auth strict: a restarted peer (new epoch) is heard at once"
e0=$(sed -n 's/.*auth: epoch \([0-9]*\).*/\1/p' "$T_DIR/fw1/carpd.log" | tail -n 1)
r0=$(counter fw2 1 authreplay); v0=$(counter fw2 1 authvalid)
check "fw1 stopped (bow-out), fw2 MASTER" eval 'stop_carpd fw1 && poll_for 3 is_state fw2 1 MASTER'
check "fw1 restarted: MASTER again, fw2 BACKUP" eval 'start_carpd fw1 &&
	poll_for 10 is_state fw1 1 MASTER && poll_for 5 is_state fw2 1 BACKUP'
e1=$(sed -n 's/.*auth: epoch \([0-9]*\).*/\1/p' "$T_DIR/fw1/carpd.log" | tail -n 1)
check "fw1's epoch was raised ($e0 -> $e1)" eval '[ -n "$e0" ] && [ "$e1" -gt "$e0" ]'
check "fw2 took fw1's new adverts: authvalid up, no authreplay" eval \
	'[ "$(counter fw2 1 authvalid)" -gt '"$v0"' ] && [ "$(counter fw2 1 authreplay)" = '"$r0"' ]'

log "auth compat with a peer without auth: both ways"
stop_carpd fw1; stop_carpd fw2
write_conf fw1 1 1 50 "$VIP/24" "preempt yes" "auth compat\nauthkeyfile $KEY"
write_conf fw2 1 1 100 "$VIP/24" "preempt yes"
check "fw2 (no auth) MASTER alone" eval 'start_carpd fw2 && poll_for 10 is_state fw2 1 MASTER'
check "fw1 (compat) preempts it" eval 'start_carpd fw1 &&
	poll_for 10 is_state fw1 1 MASTER && poll_for 5 is_state fw2 1 BACKUP'
check "fw1 accepted fw2's plain adverts as unauthenticated" eval \
	'[ "$(counter fw1 1 unauthenticated)" -gt 0 ]'
check "fw2 takes fw1's trailer adverts as plain CARP (no drop)" eval \
	'[ "$(ctl fw2 -j status | jq ".vhosts[0].counters | .badauth + .badsum + .badlen + .hdrops")" = 0 ]'
check "fw1 stopped: fw2 MASTER" eval 'stop_carpd fw1 && poll_for 3 is_state fw2 1 MASTER'

log "auth strict against a peer without auth: split brain by construction"
write_conf fw1 1 1 150 "$VIP/24" "preempt yes" "$STRICT"
check "fw1 (strict, worse advskew) started" start_carpd fw1
check "both MASTER: fw1 cannot hear fw2" poll_for 10 eval 'is_state fw1 1 MASTER && is_state fw2 1 MASTER'
check "fw1 counted fw2's adverts as authmissing" eval '[ "$(counter fw1 1 authmissing)" -gt 0 ]'

finish
