#!/bin/sh
# Install every build, test, benchmark and demo dependency of carpsync on
# Debian 12 with apt-get. Installs only what is missing; silent when
# nothing is. Called by the Makefile before any target.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libevent-dev libnl-3-dev libnl-route-3-dev libssl-dev libsystemd-dev
libcmocka-dev libpcap-dev libmnl-dev libnetfilter-conntrack-dev libnftables-dev
libnetfilter-queue-dev libnftnl-dev
iproute2 nftables iputils-ping procps psmisc jq python3 conntrack
tshark tcpdump mandoc valgrind keepalived ucarp systemd conntrackd
libcap-dev strace python3-prometheus-client curl iperf3
debhelper lintian"

missing=""
for p in $PKGS; do
	# dpkg-query prints "install ok installed" only for installed packages
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run 'sudo scripts/install-deps.sh' (Debian 12)" >&2
	exit 1
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer no, non-interactively
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# iperf3 (make bench) asks whether to run a server at boot: no
echo "iperf3 iperf3/start_daemon boolean false" | debconf-set-selections
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
# Debian's conntrackd package starts a daemon (statistics mode, no sync
# traffic) in the root namespace where systemd runs; the bench starts its
# own, inside its namespaces.
case " $missing " in
*" conntrackd "*) systemctl disable --now conntrackd.service >/dev/null 2>&1 || true ;;
esac
