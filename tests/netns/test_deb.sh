#!/bin/bash
# The Debian package (`make deb`, scripts/debian/) installs into a scratch
# root and comes out again. No namespace.
#
# How: dpkg --root=R with its own admindir R/var/lib/dpkg (an empty
# status: --force-depends, the libraries are the host's) and
# --force-script-chrootless, so that the maintainer scripts run as they
# would under a bootstrap tool (mmdebstrap --mode=chrootless): on the host,
# with DPKG_ROOT=R, which debhelper's snippets pass on (systemd-sysusers
# --root, systemd-tmpfiles --root, deb-systemd-helper). A chroot would
# need a whole Debian in R. systemctl and deb-systemd-invoke are shadowed
# by stubs on PATH that only record their arguments: the host's systemd is
# never asked anything (postrm's daemon-reload checks /run/systemd/system,
# not DPKG_ROOT).
#
# Checks: every file with its mode and nothing else; the conffile; the
# units pass systemd-analyze verify; the installed binaries run (-n on the
# installed examples); postinst created the users and group of the
# sysusers entry in R/etc (and none on the host), the directories of the
# tmpfiles entry, and enabled and started nothing; remove leaves the
# conffile (edited, as the operator left it) and nothing else; purge
# leaves nothing, /var/lib/carpsync included.
cd "$(dirname "$0")/../.." || exit 1
. tests/netns/lib.sh
BUILD=${1:-$BUILD}
need_root
for t in dpkg dpkg-buildpackage systemd-sysusers systemd-tmpfiles; do
	command -v $t >/dev/null || { fail "no $t (scripts/install-deps.sh installs it)"; finish; exit 1; }
done

# The package: build/carpsync_*.deb if `make deb` made one from the
# current sources (newer than every file it is built from), else made now
# without its unit tests (make check-unit runs those).
deb=$(ls -t build/carpsync_*_"$(dpkg --print-architecture)".deb 2>/dev/null | head -n 1)
if [ -n "$deb" ] && [ -z "$(find Makefile carpd syncd common conf man scripts -newer "$deb" -type f | head -n 1)" ]; then
	log "using $deb (newer than its sources)"
else
	log "make deb (DEB_BUILD_OPTIONS=nocheck)"
	t0=$(date +%s)
	if DEB_BUILD_OPTIONS=nocheck make -s deb >"$T_DIR/deb.log" 2>&1; then
		pass "make deb exits 0 ($(( $(date +%s) - t0 )) s)"
	else
		fail "make deb failed:"; tail -20 "$T_DIR/deb.log"; finish; exit 1
	fi
	deb=$(ls -t build/carpsync_*_"$(dpkg --print-architecture)".deb | head -n 1)
fi
check "the package is named carpsync_VERSION_ARCH.deb, VERSION from the Makefile" eval \
	'[ "$(basename "$deb")" = "carpsync_$(sed -n "s/^VERSION[[:space:]]*:= *//p" Makefile)_$(dpkg --print-architecture).deb" ]'
check "Depends comes from shlibs (libevent, libnl, libssl) and names sysusers" eval \
	'dpkg-deb -f "$deb" Depends | grep -q "libevent-.*libnl-3-200.*libssl3" &&
	 dpkg-deb -f "$deb" Depends | grep -q "systemd | systemd-standalone-sysusers"'

# R outside lib.sh's setgid carpsync T_DIR: what dpkg creates in it must
# be root:root by itself
# lintian: no error, no warning. What -I adds is informational: no init.d
# script (by design: the units are Type=notify and sandboxed), and
# "suppported" in carpd and syncd, which is two overlapping 16-byte
# constants GCC made of "request not supported by ...", not a typo.
if command -v lintian >/dev/null; then
	check "lintian: no error or warning" eval \
		'lintian --fail-on error,warning "$deb" >"$T_DIR/lintian.log" 2>&1'
	grep "^[EW]:" "$T_DIR/lintian.log"
else
	fail "no lintian (scripts/install-deps.sh installs it)"
fi

R=$T_DIR/root
mkdir "$R" && chgrp root "$R" && chmod 755 "$R" && chmod g-s "$R"
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/var/lib/dpkg/triggers" \
	"$R/etc" "$R/usr/lib/sysusers.d"
: >"$R/var/lib/dpkg/status"; : >"$R/var/lib/dpkg/available"
mkdir -p "$T_DIR/stub"
for s in systemctl deb-systemd-invoke; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/stub.log"\n' "$s" "$T_DIR" >"$T_DIR/stub/$s"
	chmod 755 "$T_DIR/stub/$s"
done
# rdpkg ARGS...: dpkg on the scratch root
rdpkg() {
	PATH=$T_DIR/stub:$PATH dpkg --root="$R" --admindir="$R/var/lib/dpkg" \
		--force-script-chrootless --force-depends "$@"
}
host_users() { getent passwd carpd syncd | cut -d: -f1,3 | sort; getent group carpsync | cut -d: -f1,3; }
host_before=$(host_users); host_pw=$(md5sum </etc/passwd)

if rdpkg -i "$deb" >"$T_DIR/install.log" 2>&1; then
	pass "dpkg -i into the scratch root exits 0"
else
	fail "dpkg -i failed:"; cat "$T_DIR/install.log"; finish; exit 1
fi
check "dpkg says: install ok installed" eval \
	'[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f="\${Status}" carpsync)" = "install ok installed" ]'

# the package's files (not the maintainer scripts' products): mode path
cat >"$T_DIR/want" <<EOF
755 /usr/sbin/carpctl
755 /usr/sbin/carpd
755 /usr/sbin/syncd
644 /lib/systemd/system/carpd.service
644 /lib/systemd/system/syncd.service
644 /usr/lib/sysusers.d/carpsync.conf
644 /usr/lib/tmpfiles.d/carpsync.conf
644 /etc/carpsync/carpsync.nft
644 /usr/share/carpsync/carpsync-sync.lua
644 /usr/share/doc/carpsync/changelog.gz
644 /usr/share/doc/carpsync/copyright
644 /usr/share/doc/carpsync/examples/carpd.conf.example
644 /usr/share/doc/carpsync/examples/syncd.conf.example
644 /usr/share/doc/carpsync/examples/vhost1.conf.example
644 /usr/share/doc/carpsync/examples/vhost2.conf.example
644 /usr/share/doc/carpsync/examples/carpsync-sysctl.conf
644 /usr/share/doc/carpsync/examples/nftables.conf.example
644 /usr/share/man/man5/carpd.conf.5.gz
644 /usr/share/man/man5/syncd.conf.5.gz
644 /usr/share/man/man7/carpsync-sync.7.gz
644 /usr/share/man/man8/carpctl.8.gz
644 /usr/share/man/man8/carpd.8.gz
644 /usr/share/man/man8/syncd.8.gz
EOF
sort -k2 -o "$T_DIR/want" "$T_DIR/want"
dpkg-query --admindir="$R/var/lib/dpkg" -L carpsync | while read -r f; do
	[ -f "$R$f" ] && [ ! -L "$R$f" ] && printf '%s %s\n' "$(stat -c %a "$R$f")" "$f"
done | sort -k2 >"$T_DIR/got"
if diff "$T_DIR/want" "$T_DIR/got" >"$T_DIR/files.diff"; then
	pass "every file of the package, with its mode, nothing else"
else
	fail "the package's files differ (< want, > got):"; cat "$T_DIR/files.diff"
fi
check "every file is owned by root:root" eval \
	'[ -z "$(dpkg-query --admindir="$R/var/lib/dpkg" -L carpsync | while read -r f; do
		[ -e "$R$f" ] && [ "$(stat -c %U:%G "$R$f")" != root:root ] && echo "$f"; done)" ]'
check "/etc/carpsync/carpd.d/ is there, empty: no active config" eval \
	'[ -d "$R/etc/carpsync/carpd.d" ] && [ -z "$(ls -A "$R/etc/carpsync/carpd.d")" ] &&
	 [ ! -e "$R/etc/carpsync/carpd.conf" ] && [ ! -e "$R/etc/carpsync/syncd.conf" ]'
check "the one conffile is /etc/carpsync/carpsync.nft" eval \
	'[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f="\${Conffiles}" carpsync | awk "NF { print \$1 }")" = /etc/carpsync/carpsync.nft ]'
for f in carpd carpctl syncd; do
	check "$f is an ELF with fortify, relro and bind-now" eval \
		'readelf -d "$R/usr/sbin/$f" | grep -q "BIND_NOW" && readelf -lW "$R/usr/sbin/$f" | grep -q GNU_RELRO &&
		 readelf -sW --dyn-syms "$R/usr/sbin/$f" | grep -q "__.*_chk"'
done
for m in carpd.8 carpctl.8 syncd.8 carpd.conf.5 syncd.conf.5 carpsync-sync.7; do
	check "$m.gz is man/$m" eval 'zcat "$R/usr/share/man/man${m##*.}/$m.gz" | cmp -s - "man/$m"'
done
check "the units are conf/carpd.service and conf/syncd.service" eval \
	'cmp -s conf/carpd.service "$R/lib/systemd/system/carpd.service" &&
	 cmp -s conf/syncd.service "$R/lib/systemd/system/syncd.service"'
check "the conffile is conf/carpsync.nft, the sysctl example conf/carpsync-sysctl.conf" eval \
	'cmp -s conf/carpsync.nft "$R/etc/carpsync/carpsync.nft" &&
	 cmp -s conf/carpsync-sysctl.conf "$R/usr/share/doc/carpsync/examples/carpsync-sysctl.conf"'
check "the installed nftables.conf.example with the installed carpsync.nft passes nft -c" eval \
	'sed "s|\"/etc/carpsync/carpsync.nft\"|\"$R/etc/carpsync/carpsync.nft\"|" \
		"$R/usr/share/doc/carpsync/examples/nftables.conf.example" >"$T_DIR/nftables.conf" &&
	 grep -q "include \"$R/" "$T_DIR/nftables.conf" && nft -c -f "$T_DIR/nftables.conf"'
check "the dissector is scripts/carpsync-sync.lua" \
	cmp -s scripts/carpsync-sync.lua "$R/usr/share/carpsync/carpsync-sync.lua"

# postinst: systemd-sysusers --root (users in R only), systemd-tmpfiles
# --root, nothing enabled or started
check "postinst created the users carpd and syncd, group carpsync, in R/etc" eval \
	'grep -q "^carpd:x:[0-9]*:[0-9]*:" "$R/etc/passwd" && grep -q "^syncd:x:" "$R/etc/passwd" &&
	 grep -q "^carpsync:x:" "$R/etc/group" &&
	 [ "$(awk -F: "\$1 == \"carpsync\" { print \$3 }" "$R/etc/group")" = \
	   "$(awk -F: "\$1 == \"carpd\" { print \$4 }" "$R/etc/passwd")" ]'
check "  ... system users (uid < 1000) with no login shell" eval \
	'awk -F: "\$1 == \"carpd\" || \$1 == \"syncd\" { if (\$3 >= 1000 || \$7 !~ /nologin\$/) bad = 1; n++ }
		END { exit bad || n != 2 }" "$R/etc/passwd"'
check "  ... and the host's users and /etc/passwd are unchanged" eval \
	'[ "$(host_users)" = "$host_before" ] && [ "$(md5sum </etc/passwd)" = "$host_pw" ]'
gid=$(awk -F: '$1 == "carpsync" { print $3 }' "$R/etc/group")
for d in /var/lib/carpsync /run/carpsync; do
	check "postinst created $d: 1770 root:carpsync (gid $gid of R)" eval \
		'[ "$(stat -c "%a %u %g" "$R$d")" = "1770 0 $gid" ]'
done
check "no unit enabled (no wants/ symlink in R/etc/systemd)" eval \
	'[ -z "$(find "$R/etc/systemd" -type l 2>/dev/null)" ]'
check "no unit started: systemctl and deb-systemd-invoke never called" \
	eval '[ ! -s "$T_DIR/stub.log" ]'

# the installed units verify, pointed at the installed binaries
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T_DIR/units"
	for u in carpd syncd; do
		sed "s|/usr/sbin/|$R/usr/sbin/|g" "$R/lib/systemd/system/$u.service" >"$T_DIR/units/$u.service"
		check "systemd-analyze verify $u.service: no complaint" eval \
			'systemd-analyze verify --man=no "$T_DIR/units/$u.service" >"$T_DIR/verify.$u" 2>&1 &&
			[ ! -s "$T_DIR/verify.$u" ]'
	done
else
	fail "no systemd-analyze"
fi

# the installed binaries run: -n on the installed examples
X=$R/usr/share/doc/carpsync/examples
mkdir -p "$T_DIR/etc/carpd.d"
cp "$X/carpd.conf.example" "$T_DIR/etc/carpd.conf"
cp "$X/vhost1.conf.example" "$T_DIR/etc/carpd.d/vhost1.conf"
cp "$X/syncd.conf.example" "$T_DIR/etc/syncd.conf"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$T_DIR/etc/syncd.key"
chmod 600 "$T_DIR/etc/syncd.key"
check "the installed carpd accepts the installed examples (-n)" \
	"$R/usr/sbin/carpd" -n -f "$T_DIR/etc/carpd.conf"
check "the installed syncd accepts the installed example (-n)" \
	"$R/usr/sbin/syncd" -n -f "$T_DIR/etc/syncd.conf"
check "the installed carpd refuses a bad one, FILE:LINE (-n)" eval \
	'echo "vhid 0" >>"$T_DIR/etc/carpd.d/vhost1.conf";
	 ! "$R/usr/sbin/carpd" -n -f "$T_DIR/etc/carpd.conf" 2>"$T_DIR/bad.err" &&
	 grep -q "vhost1.conf:[0-9]*:" "$T_DIR/bad.err"'
check "the installed carpctl runs (no daemon: says so, exits non-zero)" eval \
	'! "$R/usr/sbin/carpctl" -s "$T_DIR/none.sock" status 2>"$T_DIR/ctl.err" && [ -s "$T_DIR/ctl.err" ]'
if command -v tshark >/dev/null; then
	check "tshark loads the installed dissector" eval 'tshark -G fields \
		-X "lua_script:$R/usr/share/carpsync/carpsync-sync.lua" 2>/dev/null |
		grep -q "	carpsync.state.orig.src	"'
fi

# an upgrade (the same package again: postinst configure with the old
# version) keeps the operator's edit of the conffile and restarts nothing
echo "# edited by the operator" >>"$R/etc/carpsync/carpsync.nft"
check "dpkg -i again (the upgrade path) exits 0" eval 'rdpkg -i "$deb" >"$T_DIR/upgrade.log" 2>&1'
check "  ... the edited conffile is kept" grep -q "edited by the operator" "$R/etc/carpsync/carpsync.nft"
check "  ... the host's systemd asked nothing" eval '[ ! -s "$T_DIR/stub.log" ]'

# remove: the conffile stays, as edited; everything else goes
: >"$T_DIR/stub.log"
check "dpkg -r exits 0" rdpkg -r carpsync
check "dpkg says: deinstall ok config-files" eval \
	'[ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f="\${Status}" carpsync)" = "deinstall ok config-files" ]'
# not the package's: the users' database (and its lock) systemd-sysusers made
others() { grep -v -x -e 'etc/passwd-\?' -e 'etc/group-\?' -e 'etc/shadow-\?' -e 'etc/gshadow-\?' -e 'etc/.pwd.lock'; }
# (and deb-systemd-helper's record of the units' state, which purge removes)
left=$(cd "$R" && find . -path ./var/lib/dpkg -prune -o -path ./run -prune -o -path ./var/lib/carpsync -prune \
	-o -path ./var/lib/systemd/deb-systemd-helper-enabled -prune -o ! -type d -print |
	sed 's|^\./||' | others | sort)
check "only the conffile is left (left: $(echo $left))" [ "$left" = etc/carpsync/carpsync.nft ]
check "  ... with the operator's edit" grep -q "edited by the operator" "$R/etc/carpsync/carpsync.nft"
check "the state directory stays until purge" test -d "$R/var/lib/carpsync"
check "dpkg -P exits 0" rdpkg -P carpsync
check "dpkg knows carpsync no more" eval \
	'! dpkg-query --admindir="$R/var/lib/dpkg" -W carpsync >/dev/null 2>&1 ||
	 [ "$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f="\${Status}" carpsync)" = "unknown ok not-installed" ]'
left=$(cd "$R" && find . -path ./var/lib/dpkg -prune -o -path ./run -prune -o ! -type d -print |
	sed 's|^\./||' | others | sort)
check "purge leaves no file (left: $(echo $left))" [ -z "$left" ]
check "  ... no /etc/carpsync and no /var/lib/carpsync" eval \
	'[ ! -e "$R/etc/carpsync" ] && [ ! -e "$R/var/lib/carpsync" ]'
check "  ... and asked the host's systemd nothing" eval '! grep -q "^deb-systemd-invoke" "$T_DIR/stub.log"'
[ -s "$T_DIR/stub.log" ] && log "stubs called: $(tr '\n' ';' <"$T_DIR/stub.log")"
finish
