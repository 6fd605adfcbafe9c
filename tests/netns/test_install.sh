#!/bin/bash
# `make install DESTDIR=...` into a scratch directory, with the default
# PREFIX and with PREFIX=/usr: every daemon, man page (sections 5, 7, 8),
# unit, tmpfiles entry, example and the Wireshark dissector lands where
# the Makefile says, with its mode; the units name the installed binaries;
# the installed pages pass mandoc's lint; the installed dissector loads in
# tshark; the installed syncd checks the installed example; the installed
# units pass systemd-analyze verify and score <= 2.5 in systemd-analyze
# security. No namespace.
cd "$(dirname "$0")/../.." || exit 1
. tests/netns/lib.sh
BUILD=${1:-$BUILD}
command -v make >/dev/null || { echo "$T_NAME: SKIP (no make)"; exit 77; }

# expect DEST PREFIX: the files and their modes
expect() {
	local d=$1 p=$2
	cat <<EOF
755 $d$p/sbin/carpctl
755 $d$p/sbin/carpd
755 $d$p/sbin/syncd
644 $d$p/share/man/man5/carpd.conf.5
644 $d$p/share/man/man5/syncd.conf.5
644 $d$p/share/man/man7/carpsync-sync.7
644 $d$p/share/man/man8/carpctl.8
644 $d$p/share/man/man8/carpd.8
644 $d$p/share/man/man8/syncd.8
644 $d$p/share/carpsync/carpsync-sync.lua
644 $d/etc/carpsync/carpd.conf.example
644 $d/etc/carpsync/syncd.conf.example
644 $d/etc/carpsync/carpd.d/vhost1.conf.example
644 $d/etc/carpsync/carpd.d/vhost2.conf.example
644 $d/etc/carpsync/carpsync.nft
644 $d/etc/carpsync/nftables.conf.example
644 $d/etc/carpsync/carpsync-sysctl.conf.example
644 $d/lib/systemd/system/carpd.service
644 $d/lib/systemd/system/syncd.service
644 $d/usr/lib/tmpfiles.d/carpsync.conf
644 $d/usr/lib/sysusers.d/carpsync.conf
EOF
}

for prefix in /usr/local /usr; do
	dest=$T_DIR/root${prefix//\//-}
	log "make install DESTDIR=$dest PREFIX=$prefix"
	if make -s install BUILD="$BUILD" DESTDIR="$dest" PREFIX="$prefix" \
	    >"$T_DIR/make.log" 2>&1; then
		pass "make install exits 0"
	else
		fail "make install failed:"; tail -20 "$T_DIR/make.log"
		continue
	fi
	expect "$dest" "$prefix" | sort -k2 > "$T_DIR/want"
	find "$dest" -type f -printf '%m %p\n' | sort -k2 > "$T_DIR/got"
	if diff "$T_DIR/want" "$T_DIR/got" > "$T_DIR/files.diff"; then
		pass "every file, where expected, with its mode, nothing else"
	else
		fail "installed files differ (< want, > got):"; cat "$T_DIR/files.diff"
	fi
	for b in carpd carpctl syncd; do
		check "$b is the one built" cmp -s "$BUILD/$b" "$dest$prefix/sbin/$b"
	done
	check "the dissector is scripts/carpsync-sync.lua" \
		cmp -s scripts/carpsync-sync.lua "$dest$prefix/share/carpsync/carpsync-sync.lua"
	for m in carpd.8 carpctl.8 syncd.8 carpd.conf.5 syncd.conf.5 carpsync-sync.7; do
		check "$m is man/$m" cmp -s "man/$m" "$dest$prefix/share/man/man${m##*.}/$m"
	done
	check "the installed pages pass mandoc -Tlint" \
		mandoc -Tlint -W warning "$dest$prefix"/share/man/man*/*
	for u in carpd syncd; do
		unit=$dest/lib/systemd/system/$u.service
		check "$u.service runs $prefix/sbin/$u" \
			grep -q "^ExecStart=$prefix/sbin/$u " "$unit"
		[ "$prefix" = /usr ] || check "  ... and names no /usr/sbin/ any more" \
			eval '! grep -q "/usr/sbin/" "$unit"'
	done
	check "the sysusers.d entry is conf/carpsync.sysusers" \
		cmp -s conf/carpsync.sysusers "$dest/usr/lib/sysusers.d/carpsync.conf"
	check "syncd.service checks its configuration first" \
		grep -q "^ExecStartPre=$prefix/sbin/syncd -n " "$dest/lib/systemd/system/syncd.service"
	if command -v tshark >/dev/null; then
		check "tshark loads the installed dissector" eval 'tshark -G fields \
			-X "lua_script:$dest$prefix/share/carpsync/carpsync-sync.lua" 2>/dev/null |
			grep -q "	carpsync.state.orig.src	"'
	fi
	# the example names "syncd.key" beside it: a key for the check
	cp "$dest/etc/carpsync/syncd.conf.example" "$T_DIR/syncd.conf"
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$T_DIR/syncd.key"
	chmod 600 "$T_DIR/syncd.key"
	check "the installed syncd accepts the installed example (-n)" \
		"$dest$prefix/sbin/syncd" -n -f "$T_DIR/syncd.conf"
	[ "$prefix" = /usr ] && units=$dest
done

# The installed units (PREFIX=/usr): systemd-analyze verify finds nothing
# wrong (their commands pointed at the installed binaries, which are not
# in /usr/sbin here; no man pages looked up), and the sandbox scores an
# exposure of at most 2.5 ("OK") each (issue 4, targets).
if command -v systemd-analyze >/dev/null && [ -n "${units:-}" ]; then
	mkdir -p "$T_DIR/units"
	for u in carpd syncd; do
		sed "s|/usr/sbin/|$units/usr/sbin/|g" "$units/lib/systemd/system/$u.service" \
			>"$T_DIR/units/$u.service"
		check "systemd-analyze verify $u.service: no complaint" eval \
			'systemd-analyze verify --man=no "$T_DIR/units/$u.service" >"$T_DIR/verify.$u" 2>&1 &&
			[ ! -s "$T_DIR/verify.$u" ]'
		score=$(systemd-analyze security --offline=yes "$T_DIR/units/$u.service" 2>/dev/null |
			sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p')
		log "systemd-analyze security --offline=yes $u.service: ${score:-none}"
		check "  exposure ${score:-none} <= 2.5" awk -v s="${score:-99}" 'BEGIN { exit !(s <= 2.5) }'
		check "  User=$u Group=carpsync, CAP_NET_ADMIN CAP_NET_RAW only" eval \
			'grep -qx "User=$u" "$T_DIR/units/$u.service" && grep -qx "Group=carpsync" "$T_DIR/units/$u.service" &&
			grep -qx "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW" "$T_DIR/units/$u.service" &&
			grep -qx "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW" "$T_DIR/units/$u.service"'
	done
	check "carpd.service deletes leftover macvlans as root (+)" \
		grep -q '^ExecStopPost=+-/bin/sh ' "$T_DIR/units/carpd.service"
else
	log "no systemd-analyze: the units' checks are skipped"
fi
finish
