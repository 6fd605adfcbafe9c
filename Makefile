# carpsync: one non-recursive Makefile.
#   make              binaries in build/
#   make check        all tests (unit + network-namespace integration; root)
#   make check-unit   unit tests, no root
#   make check-san    unit tests under ASan+UBSan
#   make check-netns-san  integration tests with ASan+UBSan daemons (root)
#   make check-fault  fault-injection scenarios, FAULT_RUNS=N runs each (root)
#   make bench        figures (never fails on speed)
#   make demo         live two-firewall failover demo in namespaces
#   make install DESTDIR=...
#   make deb          Debian package build/carpsync_VERSION_ARCH.deb (debhelper)

PREFIX	?= /usr/local
SBINDIR	?= $(PREFIX)/sbin
MANDIR	?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR	?= /lib/systemd/system
TMPFILESDIR ?= /usr/lib/tmpfiles.d
SYSUSERSDIR ?= /usr/lib/sysusers.d
DATADIR	?= $(PREFIX)/share/carpsync

CC	?= cc
BUILD	?= build
PKGS	:= libevent libnl-3.0 libnl-route-3.0 libcrypto libsystemd

# Every target but clean first makes sure the Debian packages it needs are
# there (scripts/install-deps.sh installs only what is missing, quietly
# when nothing is), so a fresh Debian 12 needs no step before `make demo`
# or `make check`.
ifneq ($(filter-out clean lint-man,$(or $(MAKECMDGOALS),all)),)
ifndef CARPSYNC_DEPS_CHECKED
DEPS_RC := $(shell scripts/install-deps.sh >&2; echo $$?)
ifneq ($(DEPS_RC),0)
$(error scripts/install-deps.sh failed (run it as root on Debian 12))
endif
export CARPSYNC_DEPS_CHECKED := 1
endif
endif
DEPS_OK	:= $(shell pkg-config --exists $(PKGS) cmocka 2>/dev/null && echo yes)

WARN	:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
CFLAGS	?= -O2 -g
CFLAGS	+= -std=c11 -D_GNU_SOURCE $(WARN) -Icommon -Icarpd -Isyncd
ifeq ($(DEPS_OK),yes)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PKGS))
CMOCKA_LIBS := $(shell pkg-config --libs cmocka)
endif
CRYPTO_LIBS := -lcrypto

ifeq ($(SAN),1)
BUILD	:= build/san
CFLAGS	+= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS	+= -fsanitize=address,undefined
endif

# --- sources ---------------------------------------------------------------
COMMON_SRCS := common/log.c common/buf.c common/ctl_msg.c common/conf_lex.c
CARP_CORE   := carpd/carp_wire.c carpd/carp_hmac.c carpd/carp_auth.c carpd/carp_fsm.c \
	       carpd/carp_demote.c carpd/carp_conf.c carpd/carp_garp.c common/keyfile.c
CARPD_SHELL := carpd/carpd.c carpd/carp_act.c carpd/carp_net.c carpd/carp_vip.c \
	       carpd/control.c common/notify.c common/epoch.c common/priv.c
CARPD_SHELL += carpd/carp_health.c carpd/carp_spawn.c
# libnftables (common/nft_shell.c only): carpd's balancing ingress tables
# (issue 6), syncd's defer queue table
CARPD_SHELL += common/nft_shell.c carpd/balancer.c
NFT_LIBS := -lnftables
CARP_CORE   += carpd/carp_track.c carpd/carp_balance.c carpd/carp_nd.c
CARP_CORE   += carpd/carp_nat.c
CARPCTL_SRCS := carpd/carpctl.c common/ctl_client.c common/pcap_out.c \
	       syncd/sync_pkt.c
# the balancing mode names (pure)
CARPCTL_SRCS += carpd/carp_balance.c
SYNCD_SRCS  := syncd/syncd.c syncd/sync_proto.c syncd/sync_peer.c syncd/sync_rtx.c \
	       syncd/sync_pace.c \
	       syncd/sync_carp.c syncd/sync_net.c syncd/sync_link.c \
	       syncd/ct_kernel.c syncd/sync_table.c syncd/sync_bulk.c \
	       syncd/sync_wire.c syncd/sync_replay.c syncd/sync_conf.c \
	       syncd/sync_ctl.c syncd/sync_watch.c syncd/sync_pkt.c \
	       common/log.c common/buf.c common/ctl_msg.c common/conf_lex.c \
	       common/notify.c common/pcap_out.c common/keyfile.c common/epoch.c \
	       common/priv.c
# metrics (issue 5 item 4): the formatter, and the daemons' /metrics over evhttp
CARPCTL_SRCS += common/metrics.c
CARPD_SHELL  += common/metrics.c common/metrics_http.c
SYNCD_SRCS   += common/metrics.c common/metrics_http.c
# defer (issue 6): the hold (pure), its run time, the NFQUEUE
# (libnetfilter_queue: sync_queue.c only), the queue table (libnftables:
# common/nft_shell.c; libnftnl: sync_xt.c only, for kernels without nft queue)
SYNCD_SRCS   += syncd/sync_defer.c syncd/sync_hold.c syncd/sync_queue.c \
		syncd/sync_xt.c common/nft_shell.c
NFQ_LIBS     := -lnetfilter_queue -lnftnl

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

BINS := $(BUILD)/carpd $(BUILD)/carpctl $(BUILD)/syncd

all: $(BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

# libcap (common/priv.c): the privilege drop of both daemons
CAP_LIBS := -lcap
$(BUILD)/carpd: $(call obj,$(CARPD_SHELL) $(CARP_CORE) $(COMMON_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CAP_LIBS) $(NFT_LIBS)

CT_LIBS := $(shell pkg-config --libs libnetfilter_conntrack libmnl 2>/dev/null)
# libpcap (common/pcap_out.c only): its .pc drags in dbus flags; -lpcap is all
PCAP_LIBS := -lpcap
$(BUILD)/syncd: $(call obj,$(SYNCD_SRCS))
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CT_LIBS) $(PCAP_LIBS) $(CAP_LIBS) \
	    $(NFT_LIBS) $(NFQ_LIBS)

$(BUILD)/carpctl: $(call obj,$(CARPCTL_SRCS) common/ctl_msg.c common/log.c common/buf.c)
	$(CC) $(LDFLAGS) -o $@ $^ $(PCAP_LIBS)

# --- unit tests: each binary links the module under test and its needs -----
UNIT_TESTS := test_buf test_ctl_msg test_conf_lex test_epoch test_carp_wire test_carp_hmac test_carp_auth \
	      test_carp_fsm test_carp_demote test_carp_conf test_carp_garp \
	      test_sync_conf test_sync_wire test_sync_replay test_sync_table \
	      test_sync_bulk test_sync_peer test_sync_rtx test_sync_loss \
	      test_sync_pkt test_sync_pace test_priv
UNIT_TESTS += test_carp_track
test_buf_SRCS		:= common/buf.c
test_epoch_SRCS		:= common/epoch.c
test_ctl_msg_SRCS	:= common/ctl_msg.c
test_conf_lex_SRCS	:= common/conf_lex.c
test_carp_wire_SRCS	:= carpd/carp_wire.c common/buf.c
test_carp_hmac_SRCS	:= carpd/carp_hmac.c carpd/carp_wire.c carpd/carp_conf.c common/conf_lex.c common/keyfile.c common/buf.c carpd/carp_balance.c
test_carp_auth_SRCS	:= carpd/carp_auth.c carpd/carp_hmac.c carpd/carp_wire.c carpd/carp_conf.c common/conf_lex.c common/keyfile.c common/buf.c carpd/carp_balance.c
test_carp_fsm_SRCS	:= carpd/carp_fsm.c
test_carp_demote_SRCS	:= carpd/carp_demote.c
test_carp_conf_SRCS	:= carpd/carp_conf.c common/conf_lex.c common/keyfile.c \
			   carpd/carp_balance.c common/buf.c
test_carp_garp_SRCS	:= carpd/carp_garp.c common/buf.c
test_sync_conf_SRCS	:= syncd/sync_conf.c common/conf_lex.c common/keyfile.c
test_sync_wire_SRCS	:= syncd/sync_wire.c common/buf.c
test_sync_replay_SRCS	:= syncd/sync_replay.c
test_sync_table_SRCS	:= syncd/sync_table.c syncd/sync_wire.c common/buf.c
test_sync_bulk_SRCS	:= syncd/sync_bulk.c
test_sync_peer_SRCS	:= syncd/sync_peer.c syncd/sync_replay.c
test_sync_rtx_SRCS	:= syncd/sync_rtx.c syncd/sync_wire.c common/buf.c
test_sync_loss_SRCS	:= syncd/sync_table.c syncd/sync_peer.c syncd/sync_replay.c \
			   syncd/sync_rtx.c syncd/sync_wire.c common/buf.c
test_sync_pkt_SRCS	:= syncd/sync_pkt.c common/buf.c
test_sync_pace_SRCS	:= syncd/sync_pace.c
test_priv_SRCS		:= common/priv.c common/conf_lex.c common/ctl_msg.c
test_priv_LIBS		:= -lcap
test_carp_track_SRCS	:= carpd/carp_track.c
UNIT_TESTS += test_metrics
test_metrics_SRCS	:= common/metrics.c common/conf_lex.c
# active/active balancing (issue 6): hash, nft text, counters, ARP replies
UNIT_TESTS += test_carp_balance
test_carp_balance_SRCS	:= carpd/carp_balance.c common/buf.c
# ... and the neighbour advertisements for its IPv6 VIPs
UNIT_TESTS += test_carp_nd
test_carp_nd_SRCS	:= carpd/carp_nd.c carpd/carp_balance.c common/buf.c
# syncd defer (issue 6): the hold of first packets and its table text
UNIT_TESTS += test_sync_defer
test_sync_defer_SRCS	:= syncd/sync_defer.c
# balance-nat (issue 6): nat base chains in `nft list chains`
UNIT_TESTS += test_carp_nat
test_carp_nat_SRCS	:= carpd/carp_nat.c

UNIT_BINS := $(addprefix $(BUILD)/tests/,$(UNIT_TESTS))

define unit_rule
$(BUILD)/tests/$(1): $(call obj,tests/unit/$(1).c tests/unit/log_stub.c $($(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(CMOCKA_LIBS) $$(CRYPTO_LIBS) $$($(1)_LIBS)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_rule,$(t))))

check-unit: $(UNIT_BINS) $(BINS)
	@tests/run-unit.sh $(BUILD) $(UNIT_TESTS)

check-san:
	$(MAKE) SAN=1 check-unit

# the test driver for carp_vip.c (tests/netns/test_vip.sh)
$(BUILD)/tests/vip_driver: $(call obj,tests/netns/vip_driver.c carpd/carp_vip.c carpd/carp_conf.c common/conf_lex.c common/keyfile.c common/log.c carpd/carp_balance.c common/buf.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# control-socket client (held demotion, garbage, floods) and CARP packet injector
$(BUILD)/tests/ctl_hold: $(call obj,tests/netns/ctl_hold.c common/ctl_client.c common/ctl_msg.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^

$(BUILD)/tests/carp_inject: $(call obj,tests/netns/carp_inject.c carpd/carp_wire.c carpd/carp_hmac.c carpd/carp_conf.c common/conf_lex.c common/keyfile.c common/buf.c carpd/carp_balance.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS) $(PCAP_LIBS)

# sample state-sync frames for tests/netns/test_sync_dissector.sh (-r: fuzz seeds)
$(BUILD)/tests/sync_pcap: $(call obj,tests/netns/sync_pcap.c syncd/sync_wire.c syncd/sync_pkt.c common/buf.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

# the test driver for syncd/ct_kernel.c (tests/netns/test_ct_kernel.sh)
$(BUILD)/tests/ct_driver: $(call obj,tests/netns/ct_driver.c syncd/ct_kernel.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CT_LIBS)
# tests/fault/fault_syncd_restart.sh churns the conntrack table with it
check-fault: $(BUILD)/tests/ct_driver

# the test driver for syncd's transport and watch tap (tests/netns/test_sync_net.sh)
$(BUILD)/tests/sync_net_driver: $(call obj,tests/netns/sync_net_driver.c syncd/sync_net.c syncd/sync_link.c syncd/sync_pkt.c syncd/sync_conf.c common/conf_lex.c common/keyfile.c syncd/sync_wire.c common/buf.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# re-sends a captured sync frame, altered or not (tests/netns/test_sync_badframes.sh)
$(BUILD)/tests/sync_inject: $(call obj,tests/netns/sync_inject.c syncd/sync_wire.c common/buf.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(CRYPTO_LIBS)

NETNS_TOOLS := $(BUILD)/tests/vip_driver $(BUILD)/tests/ctl_hold $(BUILD)/tests/carp_inject \
	       $(BUILD)/tests/sync_pcap $(BUILD)/tests/ct_driver $(BUILD)/tests/sync_net_driver \
	       $(BUILD)/tests/sync_inject

# a faulty cable: relays frames between two veths, dropping, duplicating,
# reordering (tests/fault/fault_sync_wire.sh; no sch_netem in CI's kernel)
$(BUILD)/tests/wire_relay: $(call obj,tests/netns/wire_relay.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
NETNS_TOOLS += $(BUILD)/tests/wire_relay

# how late the machine lets a process run (tests/fault: response times)
$(BUILD)/tests/stall_probe: $(call obj,tests/netns/stall_probe.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
NETNS_TOOLS += $(BUILD)/tests/stall_probe

# carp_balance.c on the command line: buckets, nft text, counter listings
# (tests/netns/test_balance_hash.sh)
$(BUILD)/tests/bal_hash: $(call obj,tests/netns/bal_hash.c carpd/carp_balance.c common/buf.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
NETNS_TOOLS += $(BUILD)/tests/bal_hash

check-netns: $(BINS) $(NETNS_TOOLS)
	@tests/netns/run.sh $(BUILD)

check: check-unit check-netns

# the integration tests again, with the daemons and tools built with
# ASan+UBSan (build/san); any sanitizer report fails the test (lib.sh)
check-netns-san:
	$(MAKE) SAN=1 check-netns

# the fault-injection scenarios (tests/fault/), FAULT_RUNS runs of each,
# and the tools they drive
FAULT_TOOLS := $(BUILD)/tests/wire_relay $(BUILD)/tests/ct_driver \
	       $(BUILD)/tests/sync_inject $(BUILD)/tests/carp_inject $(BUILD)/tests/ctl_hold \
	       $(BUILD)/tests/stall_probe
FAULT_RUNS ?= 1
check-fault: $(BINS) $(FAULT_TOOLS)
	@FAULT_RUNS=$(FAULT_RUNS) tests/fault/run.sh $(BUILD)

# --- fuzzing (clang libFuzzer) -----------------------------------------------
FUZZ_TARGETS := fuzz_carp fuzz_sync fuzz_ctl fuzz_carp_conf fuzz_sync_conf
FUZZ_TARGETS += fuzz_carp_arp fuzz_sync_defer fuzz_carp_nd
fuzz_carp_nd_SRCS := carpd/carp_nd.c carpd/carp_balance.c common/buf.c
fuzz_sync_defer_SRCS := syncd/sync_defer.c
fuzz_carp_arp_SRCS := carpd/carp_balance.c common/buf.c
fuzz_carp_SRCS := carpd/carp_wire.c carpd/carp_hmac.c carpd/carp_auth.c common/buf.c
fuzz_sync_SRCS := syncd/sync_wire.c common/buf.c
fuzz_ctl_SRCS := common/ctl_msg.c common/ctl_client.c syncd/sync_pkt.c common/buf.c
# the config parsers' reads are confined to the fuzzer's directory (fuzz_conf.h)
FUZZ_CONF_WRAP := -Wl,--wrap=fopen,--wrap=open,--wrap=glob
fuzz_carp_conf_SRCS := tests/fuzz/fuzz_conf.c carpd/carp_conf.c common/conf_lex.c \
		       common/keyfile.c carpd/carp_balance.c common/buf.c
fuzz_carp_conf_LDFLAGS := $(FUZZ_CONF_WRAP)
fuzz_sync_conf_SRCS := tests/fuzz/fuzz_conf.c syncd/sync_conf.c common/conf_lex.c \
		       common/keyfile.c
fuzz_sync_conf_LDFLAGS := $(FUZZ_CONF_WRAP)
FUZZ_HDRS := $(wildcard common/*.h carpd/*.h syncd/*.h tests/fuzz/*.h)
fuzz-build: $(addprefix build/fuzz/,$(FUZZ_TARGETS))
define fuzz_rule
build/fuzz/$(1): tests/fuzz/$(1).c $$($(1)_SRCS) $$(FUZZ_HDRS)
	@mkdir -p build/fuzz
	clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined \
	  $$(WARN) -Icommon -Icarpd -Isyncd -Itests/fuzz -o $$@ $$< $$($(1)_SRCS) \
	  $$($(1)_LDFLAGS) -lcrypto
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call fuzz_rule,$(t))))
FUZZ_SECONDS ?= 30
fuzz: fuzz-build
	@set -e; $(foreach t,$(FUZZ_TARGETS),mkdir -p build/fuzz/corpus-$(t); \
	  build/fuzz/$(t) -max_total_time=$(FUZZ_SECONDS) \
	  build/fuzz/corpus-$(t) tests/fuzz/corpus/$(t);)

# regenerate the seeds made from the encoders and the config fixtures
build/fuzz/gen_ctl_corpus: tests/fuzz/gen_ctl_corpus.c common/ctl_msg.c $(FUZZ_HDRS)
	@mkdir -p build/fuzz
	$(CC) $(CFLAGS) -o $@ tests/fuzz/gen_ctl_corpus.c common/ctl_msg.c
fuzz-seeds: build/fuzz/gen_ctl_corpus
	build/fuzz/gen_ctl_corpus tests/fuzz/corpus/fuzz_ctl
	tests/fuzz/mk_conf_seeds.sh

bench: $(BINS) $(BUILD)/tests/ct_driver $(BUILD)/tests/bal_hash
	@tests/bench/run.sh $(BUILD)

demo: $(BINS)
	@scripts/demo.sh $(BUILD)

lint-man:
	mandoc -Tlint -W warning man/*.[0-9]

# the units name /usr/sbin: rewritten to SBINDIR; the Wireshark dissector
# goes to DATADIR (tshark -X lua_script:$(DATADIR)/carpsync-sync.lua)
install: $(BINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
	  $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(TMPFILESDIR) \
	  $(DESTDIR)$(SYSUSERSDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/carpsync/carpd.d $(DESTDIR)$(DATADIR)
	install -m 0755 $(BUILD)/carpd $(BUILD)/carpctl $(BUILD)/syncd $(DESTDIR)$(SBINDIR)/
	install -m 0644 man/carpd.8 man/carpctl.8 man/syncd.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/carpd.conf.5 man/syncd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 man/carpsync-sync.7 $(DESTDIR)$(MANDIR)/man7/
	for u in carpd syncd; do \
	  sed 's|/usr/sbin/|$(SBINDIR)/|g' conf/$$u.service > $(DESTDIR)$(UNITDIR)/$$u.service && \
	  chmod 0644 $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; done
	install -m 0644 conf/carpsync.tmpfiles $(DESTDIR)$(TMPFILESDIR)/carpsync.conf
	install -m 0644 conf/carpsync.sysusers $(DESTDIR)$(SYSUSERSDIR)/carpsync.conf
	install -m 0644 conf/carpd.conf.example conf/syncd.conf.example \
	  $(DESTDIR)$(SYSCONFDIR)/carpsync/
	install -m 0644 conf/vhost1.conf.example conf/vhost2.conf.example $(DESTDIR)$(SYSCONFDIR)/carpsync/carpd.d/
	@# the input rules CARP and sync need (inert until an nftables.conf
	@# includes them), a whole example ruleset and the sysctls (README)
	install -m 0644 conf/carpsync.nft conf/nftables.conf.example $(DESTDIR)$(SYSCONFDIR)/carpsync/
	install -m 0644 conf/carpsync-sysctl.conf $(DESTDIR)$(SYSCONFDIR)/carpsync/carpsync-sysctl.conf.example
	install -m 0644 scripts/carpsync-sync.lua $(DESTDIR)$(DATADIR)/

clean:
	rm -rf build

.PHONY: all check check-unit check-san check-netns check-netns-san check-fault bench demo install clean fuzz fuzz-build fuzz-seeds lint-man
-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

# --- Debian package ------------------------------------------------------
# `make deb`: build/carpsync_VERSION_ARCH.deb, with debhelper (compat 13).
# The packaging lives in scripts/debian/ (the repository's top level holds
# no debian/): a copy of the sources is assembled in build/deb/carpsync-
# VERSION/ with it as debian/ and a changelog made from VERSION, the one
# place the version is set, and dpkg-buildpackage builds the binary
# package there (the unit tests included, unless DEB_BUILD_OPTIONS=nocheck).
VERSION	:= 0.5.0
DEB_SRC	:= build/deb/carpsync-$(VERSION)
DEB_ARCH = $(shell dpkg-architecture -qDEB_HOST_ARCH)
DEB_UNSET := SAN BUILD DESTDIR PREFIX SBINDIR MANDIR SYSCONFDIR UNITDIR \
	      TMPFILESDIR SYSUSERSDIR DATADIR
DEB_DATE = $(shell git log -1 --format=%cD 2>/dev/null || date -R)
deb:
	rm -rf build/deb && mkdir -p $(DEB_SRC)
	cp -R Makefile README.md carpd syncd common conf man tests scripts $(DEB_SRC)/
	rm -rf $(DEB_SRC)/scripts/debian && cp -R scripts/debian $(DEB_SRC)/debian
	printf '%s\n' 'carpsync ($(VERSION)) unstable; urgency=medium' '' \
	  '  * Built from the carpsync sources by make deb.' '' \
	  ' -- carpsync developers <carpsync@example.org>  $(DEB_DATE)' \
	  > $(DEB_SRC)/debian/changelog
	@# the package build gets none of this make's flags and variables
	@# (make exports those given on its command line: SAN=1, BUILD=...)
	cd $(DEB_SRC) && env -u MAKEFLAGS -u MFLAGS $(foreach v,$(DEB_UNSET),-u $(v)) \
	  dpkg-buildpackage -us -uc -b
	cp build/deb/carpsync_$(VERSION)_$(DEB_ARCH).deb build/
	@echo "built build/carpsync_$(VERSION)_$(DEB_ARCH).deb"

.PHONY: deb
