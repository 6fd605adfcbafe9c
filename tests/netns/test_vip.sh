#!/bin/bash
# test_vip.sh: carp_vip.c against a real kernel, through tests/netns/vip_driver,
# in a namespace of its own (veth va <-> vb, both inside it). Outcomes are read
# back with ip(8) and sysctl(8), never from the code under test.
# usage: tests/netns/test_vip.sh BUILD_DIR   (root; exit 77 = skipped)
T_NAME=test_vip
BUILD=${1:-${BUILD:-build}}
. "$(dirname "$0")/lib.sh"
need_root

DRV=$BUILD/tests/vip_driver
if [ ! -x "$DRV" ]; then
	echo "$T_NAME: $DRV not built (make $DRV)"
	exit 1
fi
DRV=$(realpath "$DRV")

ns_add "vip-$RANDOM" || { echo "$T_NAME: cannot create a namespace"; exit 1; }
NS=${T_NS##* }
ERR=$T_DIR/driver.err

# Every step is bounded: a hung call fails instead of hanging the test.
nsip() { timeout 10 ip -n "$NS" "$@"; }
nsx_() { timeout 10 ip netns exec "$NS" "$@"; }
drv() { timeout 10 ip netns exec "$NS" "$DRV" "$@" 2>>"$ERR"; }
sysctl_is() { [ "$(nsx_ sysctl -n "$1" 2>/dev/null)" = "$2" ]; }
idx_of() { nsip -o link show "$1" 2>/dev/null | awk -F': ' '{print $1; exit}'; }
is_up() { nsip -o link show "$1" | grep -q '[<,]UP[,>]'; }
link_has() { nsip -d link show "$1" 2>/dev/null | grep -q -- "$2"; }
addrs_of() { nsip -o addr show dev "$1" | awk '{print $4}'; }
has_addr() { addrs_of "$1" | grep -qxF "$2"; }
addr_line() { nsip -o addr show dev "$1" | awk -v a="$2" '$4 == a'; }
ll_count() { nsip -o -6 addr show dev "$1" scope link | wc -l; }
is() { [ "$1" = "$2" ]; }
# seen_after FILE A B: line B appears after line A
seen_after() { awk -v a="$2" -v b="$3" '$0 == a { s = 1 } s && $0 == b { f = 1 } END { exit !f }' "$1"; }
last_for() { awk -v i="$2" '$1 == i { l = $0 } END { print l }' "$1"; }

# --- topology: defaults chosen so that every setting checked must be made
# by carp_vip.c (a new link would get rp_filter 1, arp_ignore 0, EUI-64).
nsx_ sysctl -qw net.ipv4.conf.default.rp_filter=1
nsx_ sysctl -qw net.ipv6.conf.default.addr_gen_mode=0
nsip link add va type veth peer name vb || exit 1
nsx_ sysctl -qw net.ipv6.conf.va.accept_dad=0
nsip link set va up && nsip link set vb up
nsip addr add 192.0.2.1/24 dev va
nsip addr add 2001:db8::1/64 dev va nodad
VA=$(idx_of va)
wait_for 5 sh -c "[ \$(ip -n $NS -o -6 addr show dev va scope link | wc -l) = 1 ]"
VA_LL=$(nsip -o -6 addr show dev va scope link | awk '{sub("/.*", "", $4); print $4}')

# --- macvlan creation
C1=$(drv macvlan va carp1 00:00:5e:00:01:01)
check "macvlan: created, driver returns its ifindex" is "$C1" "$(idx_of carp1)"
check "macvlan: over va" link_has carp1 'carp1@va'
check "macvlan: mode bridge" link_has carp1 'macvlan mode bridge'
check "macvlan: MAC 00:00:5e:00:01:01" link_has carp1 'link/ether 00:00:5e:00:01:01 '
check "macvlan: addrgenmode none" link_has carp1 'addrgenmode none'
check "macvlan: left down" eval '! is_up carp1'
check "macvlan: arp_ignore=1" sysctl_is net.ipv4.conf.carp1.arp_ignore 1
check "macvlan: accept_local=1" sysctl_is net.ipv4.conf.carp1.accept_local 1
check "macvlan: rp_filter=0 (default is 1 here)" sysctl_is net.ipv4.conf.carp1.rp_filter 0
check "macvlan: ipv6 addr_gen_mode=1 (none)" sysctl_is net.ipv6.conf.carp1.addr_gen_mode 1

check "macvlan: identical call reuses the link" is "$(drv macvlan va carp1 00:00:5e:00:01:01)" "$C1"
X=$(drv macvlan va carp1 00:00:5e:00:01:02)
check "macvlan: a differing macvlan is recreated" link_has carp1 'link/ether 00:00:5e:00:01:02 '
check "macvlan: recreated one gets a new ifindex" eval '[ -n "$X" ] && [ "$X" != "$C1" ]'
C1=$(drv macvlan va carp1 00:00:5e:00:01:01)
check "macvlan: recreated back with :01" link_has carp1 'link/ether 00:00:5e:00:01:01 '
check "macvlan: a non-macvlan of that name is refused" eval '! drv macvlan va vb 00:00:5e:00:01:03 >/dev/null'
check "macvlan: ... and left alone" link_has vb 'veth'
check "macvlan: missing parent is an error" eval '! drv macvlan nosuch0 carp3 00:00:5e:00:01:03 >/dev/null'
check "macvlan: nothing created for a missing parent" eval '[ -z "$(idx_of carp3)" ]'

# --- parent sysctls
drv parent-sysctls va
check "parent: arp_ignore=1" sysctl_is net.ipv4.conf.va.arp_ignore 1
check "parent: arp_filter=1" sysctl_is net.ipv4.conf.va.arp_filter 1

# --- link state, lookups
drv up carp1
check "up: carp1 administratively up" is_up carp1
sleep 0.3
check "up: no IPv6 link-local generated on the macvlan" is "$(ll_count carp1)" 0
check "carrier: carp1 up with carrier" is "$(drv carrier carp1)" 1
check "carrier: by ifindex" is "$(drv carrier "$C1")" 1
check "lladdr: carp1" is "$(drv lladdr carp1)" 00:00:5e:00:01:01
check "ifindex: va" is "$(drv ifindex va)" "$VA"
check "ifindex: missing link is 0" is "$(drv ifindex nosuch0)" 0
check "carrier: missing ifindex is an error" eval '! drv carrier 99999 >/dev/null'

# --- addresses
for a in 192.0.2.10/24 2001:db8::10/64 fe80::1/64; do
	check "addr-add $a" drv addr-add carp1 "$a"
	check "addr-add $a: present" has_addr carp1 "$a"
	check "addr-add $a again: existing is success" drv addr-add carp1 "$a"
done
for a in 2001:db8::10/64 fe80::1/64; do
	check "addr $a: nodad" eval 'addr_line carp1 "$a" | grep -q nodad'
	check "addr $a: not tentative" eval '! addr_line carp1 "$a" | grep -q tentative'
done

# --- advert source addresses
check "source: carp1 IPv4" is "$(drv source carp1 4)" 192.0.2.10
check "source: carp1 IPv6 prefers link-local" is "$(drv source carp1 6)" fe80::1
check "source: va IPv4" is "$(drv source va 4)" 192.0.2.1
check "source: va IPv6 is its link-local" is "$(drv source va 6)" "$VA_LL"
check "source: none on vb is an error" eval '! drv source vb 4 >/dev/null'

for a in fe80::1/64 192.0.2.10/24 2001:db8::10/64; do
	check "addr-del $a" drv addr-del carp1 "$a"
	check "addr-del $a: gone" eval '! has_addr carp1 "$a"'
	check "addr-del $a again: absent is success" drv addr-del carp1 "$a"
	[ "$a" = fe80::1/64 ] &&
	    check "source: without a link-local, the first global" is "$(drv source carp1 6)" 2001:db8::10
done

# --- carrier monitor: veth peer down and up, and a deleted link
nsip link add link va name mv9 type macvlan mode bridge
nsip link set mv9 up
MV9=$(idx_of mv9)
# started directly (not through a shell function) so that $! is timeout's
# pid and a TERM from cleanup reaches the driver
timeout 20 ip netns exec "$NS" "$DRV" monitor 15 >"$T_DIR/mon.out" 2>>"$ERR" &
MON=$!
T_PIDS="$T_PIDS $MON"
wait_for 5 grep -qx ready "$T_DIR/mon.out"
nsip link set vb down
check "monitor: va loses carrier" wait_for 5 grep -qx "$VA 0" "$T_DIR/mon.out"
check "monitor: carp1 follows its parent" wait_for 5 grep -qx "$C1 0" "$T_DIR/mon.out"
check "carrier: va without carrier is 0" is "$(drv carrier va)" 0
nsip link set vb up
check "monitor: va recovers" wait_for 5 seen_after "$T_DIR/mon.out" "$VA 0" "$VA 1"
check "monitor: carp1 recovers" wait_for 5 seen_after "$T_DIR/mon.out" "$C1 0" "$C1 1"
check "delete: mv9" drv delete mv9
check "delete: mv9 gone" eval '[ -z "$(idx_of mv9)" ]'
check "monitor: deleted link reported without carrier" wait_for 5 grep -qx "$MV9 0" "$T_DIR/mon.out"
check "delete: absent ifindex is success" drv delete "$MV9"
kill "$MON" 2>/dev/null
wait "$MON" 2>/dev/null

# --- monitor overrun: tiny buffer, no reading while va flaps 20 times
timeout 15 ip netns exec "$NS" "$DRV" monitor 5 2 1 >"$T_DIR/mon2.out" 2>>"$ERR" &
MON=$!
T_PIDS="$T_PIDS $MON"
wait_for 5 grep -qx ready "$T_DIR/mon2.out"
for _ in $(seq 1 20); do
	nsip link set vb down
	nsip link set vb up
done
wait "$MON"
check "overrun: monitor survives and exits normally" is $? 0
check "overrun: logged" grep -q 'link monitor overrun' "$ERR"
check "overrun: va's last reported state is the real one (1)" is "$(last_for "$T_DIR/mon2.out" "$VA")" "$VA 1"

# --- crash clean-up
drv down carp1
check "down: carp1 administratively down" eval '! is_up carp1'
nsip link add link va name old5 address 00:00:5e:00:01:05 type macvlan mode bridge
nsip link add link vb name other5 address 00:00:5e:00:01:05 type macvlan mode bridge
nsip link add link va name keep7 address 00:00:5e:00:01:07 type macvlan mode bridge
nsip addr add 192.0.2.33/24 dev va
nsip addr add 2001:db8::33/64 dev va nodad
mkdir -p "$T_DIR/conf/carpd.d"
echo 'include "carpd.d/*.conf"' >"$T_DIR/conf/carpd.conf"
printf 'vhid 1\ncarpdev va\naddress 192.0.2.10/24\n' >"$T_DIR/conf/carpd.d/1.conf"
printf 'vhid 3\ncarpdev va\nlladdr real\naddress 192.0.2.33/24\naddress 2001:db8::33/64\n' \
    >"$T_DIR/conf/carpd.d/3.conf"
printf 'vhid 5\ncarpdev va\nifname carp5\naddress 192.0.2.50/24\n' >"$T_DIR/conf/carpd.d/5.conf"
printf 'vhid 6\ncarpdev va\nifname vb\naddress 192.0.2.60/24\n' >"$T_DIR/conf/carpd.d/6.conf"
N=$(drv cleanup "$T_DIR/conf/carpd.conf")
check "cleanup: 4 objects removed (carp1, old5, 2 addresses)" is "$N" 4
check "cleanup: macvlan named like ifname removed" eval '[ -z "$(idx_of carp1)" ]'
check "cleanup: macvlan with vhid 5's MAC on va removed" eval '[ -z "$(idx_of old5)" ]'
check "cleanup: same MAC on another parent kept" eval '[ -n "$(idx_of other5)" ]'
check "cleanup: unconfigured vhid's macvlan kept" eval '[ -n "$(idx_of keep7)" ]'
check "cleanup: non-macvlan named like an ifname kept" eval '[ -n "$(idx_of vb)" ]'
check "cleanup: lladdr real IPv4 VIP removed from carpdev" eval '! has_addr va 192.0.2.33/24'
check "cleanup: lladdr real IPv6 VIP removed from carpdev" eval '! has_addr va 2001:db8::33/64'
check "cleanup: carpdev's own address kept" has_addr va 192.0.2.1/24
check "cleanup: each removal logged" grep -q 'removed stale macvlan carp1 left by a previous carpd' "$ERR"
check "cleanup: second run removes nothing" is "$(drv cleanup "$T_DIR/conf/carpd.conf")" 0

finish
