#!/bin/bash
# What we put on the wire, checked by tshark and tcpdump (carp-protocol.md
# section 5 and 7.2): CARP v2, good checksum, TTL / hop limit 255, the vMAC
# as source, 224.0.0.18 / ff02::12, TOS 0x10, DF; GARP at takeover.
. "$(dirname "$0")/lib.sh"
BUILD=${1:-$BUILD}; CARPD=$BUILD/carpd; CARPCTL=$BUILD/carpctl
need_root
command -v tshark >/dev/null || { echo "$T_NAME: SKIP (no tshark)"; exit 77; }

topo_lan || { fail "topology"; finish; exit; }
write_conf fw1 1 0 16 "192.0.2.254/24 2001:db8::fe/64"
pcap=$T_DIR/carp.pcap
nsx lan timeout 5 tcpdump -q -i p-fw1 -w "$pcap" 'ip proto 112 or ip6 proto 112 or arp or icmp6' 2>/dev/null &
T_PIDS="$T_PIDS $!"; dump=$!
sleep 0.5	# let tcpdump attach (it has no ready signal)
start_carpd fw1
check "fw1 MASTER" wait_for 3 is_state fw1 1 MASTER
wait "$dump"

TS="tshark -r $pcap -d ip.proto==112,carp"
n4=$($TS -Y 'carp && ip' 2>/dev/null | wc -l)
n6=$($TS -Y 'carp && ipv6' 2>/dev/null | wc -l)
check "IPv4 adverts captured ($n4)" [ "$n4" -ge 10 ]
check "IPv6 adverts captured ($n6)" [ "$n6" -ge 10 ]
bad=$($TS -Y 'carp && ((ip && ip.ttl!=255) || (ipv6 && ipv6.hlim!=255) || carp.checksum.status!=1 || carp.version!=2 || carp.type!=1 || carp.authlen!=7 || (ip && !(ip.dst==224.0.0.18)) || (ipv6 && !(ipv6.dst==ff02::12)) || (ip && frame.len!=70) || (ipv6 && frame.len!=90))' 2>/dev/null | wc -l)
check "tshark defect filter prints nothing" [ "$bad" -eq 0 ]
check "source MAC is the vMAC" [ "$($TS -Y 'carp && eth.src != 00:00:5e:00:01:01' 2>/dev/null | wc -l)" -eq 0 ]
check "IPv4: TOS 0x10 and DF" [ "$($TS -Y 'carp && ip && (ip.dsfield != 0x10 || ip.flags.df != 1)' 2>/dev/null | wc -l)" -eq 0 ]
check "IPv4 source is fw1's address" [ "$($TS -Y 'carp && ip && ip.src != 192.0.2.1' 2>/dev/null | wc -l)" -eq 0 ]
check "vhid 1, advskew 16, advbase 0" [ "$($TS -Y 'carp && (carp.vhid != 1 || carp.advskew != 16 || carp.adver_int != 0)' 2>/dev/null | wc -l)" -eq 0 ]
check "a gratuitous ARP for the VIP from the vMAC" [ "$(tshark -r "$pcap" -Y 'arp.opcode==1 && arp.src.proto_ipv4==192.0.2.254 && arp.dst.proto_ipv4==192.0.2.254 && arp.src.hw_mac==00:00:5e:00:01:01 && eth.dst==ff:ff:ff:ff:ff:ff' 2>/dev/null | wc -l)" -ge 2 ]
check "an unsolicited NA with Override for the IPv6 VIP" [ "$(tshark -r "$pcap" -Y 'icmpv6.type==136 && icmpv6.nd.na.target_address==2001:db8::fe && icmpv6.nd.na.flag.o==1 && icmpv6.checksum.status==1' 2>/dev/null | wc -l)" -ge 1 ]
tdbad=$(tcpdump -r "$pcap" -T carp -nvv 'ip proto 112 or ip6 proto 112' 2>/dev/null | grep -c -e '\[ttl=' -e 'bad carp cksum')
check "tcpdump -T carp finds no bad TTL or checksum" [ "$tdbad" -eq 0 ]
finish
