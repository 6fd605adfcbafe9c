#!/bin/sh
# Seeds of fuzz_carp_conf and fuzz_sync_conf from the config fixtures
# (tests/conf, tests/syncconf) and the examples (conf/): each fixture
# directory becomes one input, its main file first, every other file after
# a "%% PATH" line (the input format of tests/fuzz/fuzz_conf.h).
# usage: tests/fuzz/mk_conf_seeds.sh   (from the repository root; make fuzz-seeds)
set -eu

# pack DIR MAIN OUT: DIR/MAIN, then the other regular files of DIR
pack() {
	dir=$1 main=$2 out=$3
	{
		cat "$dir/$main"
		(cd "$dir" && find . -type f ! -path "./$main" | sed 's|^\./||' |
		    LC_ALL=C sort) | while IFS= read -r f; do
			printf '\n%%%% %s\n' "$f"
			cat "$dir/$f"
		done
	} > "$out"
}

carp=tests/fuzz/corpus/fuzz_carp_conf
sync=tests/fuzz/corpus/fuzz_sync_conf
mkdir -p "$carp" "$sync"

for d in tests/conf/*/; do
	n=$(basename "$d")
	[ -f "$d/carpd.conf" ] && pack "$d" carpd.conf "$carp/$n"
done
for d in tests/syncconf/*/; do
	n=$(basename "$d")
	[ -f "$d/syncd.conf" ] && pack "$d" syncd.conf "$sync/$n"
done

# the examples as installed: carpd.d/ next to carpd.conf, a key for syncd;
# without their comment lines (the fixtures have comments): short inputs
# run faster
nocomments() { sed '/^#/d;/^$/d' "$1"; }
{
	nocomments conf/carpd.conf.example
	for v in vhost1 vhost2; do
		printf '%%%% carpd.d/%s.conf\n' "$v"
		nocomments "conf/$v.conf.example"
	done
} > "$carp/example"
# carpsync's authenticated priorities: a vhost with auth and its key
key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
printf '%s\n' 'include "*.vh"' '%% a.vh' 'vhid 3' 'carpdev eth0' \
    'address 192.0.2.3/24' 'auth strict' 'authkeyfile keys/carp.key' \
    '%% b.vh' 'vhid 4' 'carpdev eth0' 'address 192.0.2.4/24' \
    'auth compat' 'authkeyfile keys/carp.key' 'pass secret' \
    '%% keys/carp.key' "$key" > "$carp/auth"
{
	nocomments conf/syncd.conf.example
	printf '%%%% syncd.key\n'
	printf '%s\n' "$key"
} > "$sync/example"
