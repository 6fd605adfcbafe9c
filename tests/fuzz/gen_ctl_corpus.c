/*
 * gen_ctl_corpus.c: writes the seed corpus of fuzz_ctl (tests/fuzz/
 * corpus/fuzz_ctl) with the encoder itself (ctl_msg_build), so the seeds
 * follow ctl_proto.h: one file per request or reply stream, a few of them
 * with chunk sizes, a few refused on purpose. Input format: fuzz_ctl.c.
 *
 *   usage: gen_ctl_corpus DIR	(make fuzz-seeds)
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_msg.h"
#include "ctl_proto.h"

static uint8_t	 stream[4 * CTL_MAX_MSG];
static size_t	 slen;
static uint32_t	 seq;

/* Start a stream with its chunk sizes (fuzz_ctl: count byte, sizes). */
static void
start(const uint8_t *sizes, size_t n)
{
	stream[0] = (uint8_t)n;
	memcpy(stream + 1, sizes, n);
	slen = 1 + n;
	seq = 7;
}

static void
msg(uint32_t type, const void *p, size_t plen)
{
	size_t	 n;

	n = ctl_msg_build(stream + slen, sizeof(stream) - slen, type, seq, p,
	    plen);
	if (n == 0)
		errx(1, "type %u: does not fit", type);
	slen += n;
}

/* Raw bytes, for what the encoder refuses to build. */
static void
raw(const void *p, size_t n)
{
	memcpy(stream + slen, p, n);
	slen += n;
}

static void
save(const char *dir, const char *name)
{
	char	 path[512];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "wb")) == NULL ||
	    fwrite(stream, 1, slen, fp) != slen || fclose(fp) != 0)
		err(1, "%s", path);
}

static void
requests(const char *dir)
{
	static const uint8_t	 split[] = { 0, 15, 16 };	/* 1, 16, 17 */
	struct ctl_hello	 hello;
	struct ctl_demote	 d;
	struct ctl_set_state	 st;

	memset(&hello, 0, sizeof(hello));
	hello.version = CTL_VERSION;
	hello.pid = 4242;
	ctl_strlcpy(hello.name, "carpctl", sizeof(hello.name));
	memset(&d, 0, sizeof(d));
	ctl_strlcpy(d.group, "carp", sizeof(d.group));
	ctl_strlcpy(d.reason, "syncd bulk", sizeof(d.reason));
	d.value = 32;
	memset(&st, 0, sizeof(st));
	st.vhid = 1;
	st.state = CTL_FORCE_MASTER;

	start(NULL, 0);
	msg(CTL_HELLO, &hello, sizeof(hello));
	msg(CTL_STATUS, NULL, 0);
	save(dir, "req-hello-status");
	start(split, sizeof(split));
	msg(CTL_DEMOTE, &d, sizeof(d));
	msg(CTL_DEMOTE_HOLD, &d, sizeof(d));
	msg(CTL_SET_STATE, &st, sizeof(st));
	save(dir, "req-demote-state-split");
	start(NULL, 0);
	msg(CTL_SUBSCRIBE, NULL, 0);
	msg(CTL_RELOAD, NULL, 0);
	msg(CTL_SYNC_STATUS, NULL, 0);
	msg(CTL_SYNC_WATCH, NULL, 0);
	save(dir, "req-subscribe-reload-sync");
}

static void
carpd_replies(const char *dir)
{
	static const uint8_t	 split[] = { 7 };		/* 8 bytes each */
	struct ctl_vhost	 v;
	struct ctl_group	 g;
	struct ctl_counters	 c;
	struct ctl_ev_state	 e;
	struct ctl_error	 er;

	memset(&v, 0, sizeof(v));
	v.vhid = 1;
	v.state = 2;
	v.advbase = 1;
	v.naddrs = 2;
	ctl_strlcpy(v.ifname, "carp1", sizeof(v.ifname));
	ctl_strlcpy(v.carpdev, "eth0", sizeof(v.carpdev));
	v.transitions = 3;
	v.counters.ipackets = 100;
	memset(&g, 0, sizeof(g));
	ctl_strlcpy(g.name, "carp", sizeof(g.name));
	g.demote = 32;
	memset(&c, 0, sizeof(c));
	c.badvhid = 5;
	start(split, sizeof(split));
	msg(CTL_VHOST, &v, sizeof(v));
	msg(CTL_GROUP, &g, sizeof(g));
	msg(CTL_COUNTERS, &c, sizeof(c));
	msg(CTL_END, NULL, 0);
	save(dir, "rep-status");

	memset(&e, 0, sizeof(e));
	e.vhid = 1;
	e.old_state = 1;
	e.new_state = 2;
	ctl_strlcpy(e.ifname, "carp1", sizeof(e.ifname));
	ctl_strlcpy(e.reason, "master down", sizeof(e.reason));
	start(NULL, 0);
	msg(CTL_END, NULL, 0);
	msg(CTL_EV_STATE, &e, sizeof(e));
	save(dir, "rep-subscribe-event");

	memset(&er, 0, sizeof(er));
	er.code = CTL_E_NOENT;
	ctl_strlcpy(er.text, "no such vhid", sizeof(er.text));
	start(NULL, 0);
	msg(CTL_ERROR, &er, sizeof(er));
	save(dir, "rep-error");
}

static void
syncd_replies(const char *dir)
{
	struct ctl_sync_info	 info;
	struct ctl_sync_peer	 p;
	struct {
		struct ctl_sync_frame	 f;
		uint8_t			 bytes[120];
	} fr;

	memset(&info, 0, sizeof(info));
	info.node_id = 1;
	info.epoch = 9;
	info.master = 1;
	info.carpd = 1;
	ctl_strlcpy(info.bulk, "DONE", sizeof(info.bulk));
	info.drops[CTL_SYNC_DROP_BADAUTH] = 2;
	info.held[CTL_SYNC_HOLD_LINK] = 1;
	info.carrier = 1;
	memset(&p, 0, sizeof(p));
	p.node_id = 2;
	p.epoch = 8;
	p.seq = 1000;
	p.frames = 999;
	start(NULL, 0);
	msg(CTL_SYNC_INFO, &info, sizeof(info));
	msg(CTL_SYNC_PEER, &p, sizeof(p));
	p.node_id = 3;
	msg(CTL_SYNC_PEER, &p, sizeof(p));
	msg(CTL_END, NULL, 0);
	save(dir, "rep-sync-status");

	memset(&fr, 0, sizeof(fr));
	fr.f.dir = CTL_SYNC_DIR_IN;
	fr.f.ipver = 4;
	fr.f.len = sizeof(fr.bytes);
	fr.f.caplen = sizeof(fr.bytes);
	fr.f.time_us = 1700000000000000ULL;
	memcpy(fr.f.src, "\xc6\x33\x64\x02", 4);	/* 198.51.100.2 */
	memcpy(fr.f.dst, "\xe0\x00\x00\xf0", 4);	/* 224.0.0.240 */
	memset(fr.bytes, 0xa5, sizeof(fr.bytes));
	start(NULL, 0);
	msg(CTL_END, NULL, 0);
	msg(CTL_SYNC_FRAME, &fr, sizeof(fr));
	fr.f.dir = CTL_SYNC_DIR_OUT;
	fr.f.ipver = 6;
	fr.f.caplen = 64;		/* a truncated copy */
	fr.f.dropped = 4;
	memcpy(fr.f.src, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	memcpy(fr.f.dst, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
	msg(CTL_SYNC_FRAME, &fr, sizeof(fr.f) + 64);
	save(dir, "rep-sync-watch");
}

/* Refused: each is the last (or only) message of its stream. */
static void
refused(const char *dir)
{
	struct ctl_hdr		 h;
	struct ctl_hello	 hello;

	memset(&hello, 'x', sizeof(hello));	/* name not terminated */
	start(NULL, 0);
	msg(CTL_STATUS, NULL, 0);
	msg(CTL_HELLO, &hello, sizeof(hello));
	save(dir, "bad-unterminated");

	start(NULL, 0);
	msg(CTL_TYPE__MAX, NULL, 0);		/* unknown type */
	msg(CTL_END, &hello, 4);		/* END carries nothing */
	msg(CTL_STATUS, NULL, 0);
	save(dir, "bad-type-size");

	memset(&h, 0, sizeof(h));
	h.type = CTL_STATUS;
	h.len = 8;				/* below the header */
	start(NULL, 0);
	raw(&h, sizeof(h));
	save(dir, "bad-short-len");
	h.len = CTL_MAX_MSG + 1;
	start(NULL, 0);
	msg(CTL_END, NULL, 0);
	raw(&h, sizeof(h));
	save(dir, "bad-long-len");

	start(NULL, 0);
	msg(CTL_END, NULL, 0);
	msg(CTL_HELLO, &hello, sizeof(hello));
	slen -= 10;				/* ends inside a message */
	save(dir, "bad-truncated");
}

int
main(int argc, char *argv[])
{
	if (argc != 2)
		errx(1, "usage: gen_ctl_corpus DIR");
	requests(argv[1]);
	carpd_replies(argv[1]);
	syncd_replies(argv[1]);
	refused(argv[1]);
	return 0;
}
