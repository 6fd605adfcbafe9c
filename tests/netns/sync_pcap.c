/*
 * sync_pcap.c: writes sample state-sync frames, built with syncd's own
 * sync_wire.c, as a pcap file (Ethernet, IPv4 protocol 240, TTL 255, to
 * 224.0.0.240), for tests/netns/test_sync_dissector.sh, which decodes
 * them with scripts/carpsync-sync.lua and compares every field with what
 * this tool put in. One frame per action, a bulk (BUS start, UPDs, BUS
 * end), an unknown private section between two known ones, messages
 * longer than we know, a header len beyond the datagram and a datagram
 * with bytes after len.
 *
 * usage: sync_pcap [-e EXPECT] [-r DIR] [PCAP]
 *   -e EXPECT  write "frame<TAB>field<TAB>value" lines, one per field
 *              occurrence in tree order, formatted as tshark -T fields
 *              prints them
 *   -r DIR     also write each frame (no Ethernet or IP) to DIR/NN-name:
 *              the fuzz seeds (tests/fuzz/corpus/fuzz_sync)
 * Frames are signed with the key 00 01 02 .. 1f (as fuzz_sync.c).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "sync_pkt.h"
#include "sync_wire.h"

#define NODE_ID		0x0a0b0c0du
#define EPOCH		7u
#define FIRST_SEQ	100u
#define TS_BASE		1700000000u	/* fixed: the file is reproducible */
#define ETH_IP_LEN	(SYNC_PKT_ETH_LEN + SYNC_PKT_IP4_LEN)

enum item_kind { IT_END = 0, IT_MSG, IT_UNKNOWN, IT_LONGER };

struct item {
	enum item_kind		 kind;
	const struct sync_msg	*msg;	/* IT_MSG, IT_LONGER */
	uint8_t			 action;	/* IT_UNKNOWN */
	uint8_t			 words;	/* IT_UNKNOWN: per message;
					 * IT_LONGER: extra words */
	uint16_t		 count;	/* IT_UNKNOWN, IT_LONGER */
};

struct sample {
	const char	*name;
	struct item	 items[6];
	int		 len_delta;	/* added to the header len */
	size_t		 trailing;	/* zero bytes after the frame */
};

static const uint8_t key[SYNC_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const struct sync_msg m_clr = { .action = SYNC_A_CLR,
	.u.clr = { NODE_ID } };
static const struct sync_msg m_iack = { .action = SYNC_A_INS_ACK,
	.u.ref = { 0x1122334455667788ULL, 0x99aabbcc } };
static const struct sync_msg m_req_bulk = { .action = SYNC_A_UPD_REQ };
static const struct sync_msg m_req_one = { .action = SYNC_A_UPD_REQ,
	.u.ref = { 0x0102030405060708ULL, 0x01020304 } };
static const struct sync_msg m_delc = { .action = SYNC_A_DEL_C,
	.u.ref = { 0xfffffffffffffffeULL, 0xffffffff } };
static const struct sync_msg m_bus_start = { .action = SYNC_A_BUS,
	.u.bus = { NODE_ID, 0, SYNC_BUS_START } };
static const struct sync_msg m_bus_end = { .action = SYNC_A_BUS,
	.u.bus = { NODE_ID, 42, SYNC_BUS_END } };
static const struct sync_msg m_nack = { .action = SYNC_A_NACK,
	.u.nack = { 0x0a0b0c0d, EPOCH, 90, 95 } };
static const struct sync_msg m_ack = { .action = SYNC_A_ACK,
	.u.ack = { 0x0a0b0c0d, EPOCH, 89 } };
static const struct sync_msg m_updc = { .action = SYNC_A_UPD_C,
	.u.upd_c = { .id = 0x0000000100000002ULL, .creatorid = NODE_ID,
	    .status = 0x18e, .mark = 0x00c0ffee, .timeout = 3600,
	    .tcp_state = 3, .state_flags = SYNC_SF_ACK,
	    .tcp_flags = { 0x2a, 0x22 } } };

/* TCP 192.0.2.10:40000 -> 198.51.100.20:443, SNAT to 203.0.113.1:61000. */
static const struct sync_msg m_ins_v4 = { .action = SYNC_A_INS,
	.u.st = { .id = 0x0102030405060708ULL, .creatorid = NODE_ID,
	    .af = 2, .proto = 6, .tcp_state = 3, .state_flags = SYNC_SF_ACK,
	    .zone = 7, .wscale = { 7, 8 }, .status = 0x19e,
	    .mark = 0xdeadbeef, .timeout = 432000, .tcp_flags = { 0x23, 0x32 },
	    .orig = { { 192, 0, 2, 10 }, { 198, 51, 100, 20 }, 40000, 443 },
	    .reply = { { 198, 51, 100, 20 }, { 203, 0, 113, 1 }, 443, 61000 },
	    .labels = { [15] = 0x05 } } };
/* UDP [2001:db8::1]:5353 -> [2001:db8:1::2]:53, zone 3, labels set. */
static const struct sync_msg m_upd_v6 = { .action = SYNC_A_UPD,
	.u.st = { .id = 0xfedcba9876543210ULL, .creatorid = 0x11223344,
	    .af = 10, .proto = 17, .zone = 3, .status = 0xe, .mark = 1,
	    .timeout = 30,
	    .orig = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 }, 5353, 53 },
	    .reply = { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 },
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 53, 5353 },
	    .labels = { [0] = 0x80, [15] = 0x01 } } };
/* ICMP echo 192.0.2.20 -> 198.51.100.80, DNAT to 203.0.113.80. */
static const struct sync_msg m_upd_icmp = { .action = SYNC_A_UPD,
	.u.st = { .id = 0x00000005ffff0001ULL, .creatorid = NODE_ID,
	    .af = 2, .proto = 1, .status = 0x1aa, .timeout = 29,
	    .orig = { { 192, 0, 2, 20 }, { 198, 51, 100, 80 }, 0x1234,
		0x0800 },
	    .reply = { { 203, 0, 113, 80 }, { 192, 0, 2, 20 }, 0x1234, 0 } } };

#define MSG(m)		{ IT_MSG, &(m), 0, 0, 0 }

static const struct sample samples[] = {
	{ "clr", { MSG(m_clr) }, 0, 0 },
	{ "ins_ack", { MSG(m_iack) }, 0, 0 },
	{ "upd_c", { MSG(m_updc) }, 0, 0 },
	{ "upd_req", { MSG(m_req_bulk), MSG(m_req_one) }, 0, 0 },
	{ "del_c", { MSG(m_delc) }, 0, 0 },
	{ "bulk", { MSG(m_bus_start), MSG(m_upd_icmp), MSG(m_upd_v6),
	    MSG(m_bus_end) }, 0, 0 },
	{ "ins", { MSG(m_ins_v4) }, 0, 0 },
	{ "upd", { MSG(m_upd_v6) }, 0, 0 },
	{ "nack", { MSG(m_nack), MSG(m_ack) }, 0, 0 },
	{ "unknown_section", { MSG(m_ins_v4),
	    { IT_UNKNOWN, NULL, 20, 2, 3 }, MSG(m_delc) }, 0, 0 },
	{ "longer_messages", { { IT_LONGER, &m_updc, 0, 1, 2 },
	    MSG(m_ins_v4) }, 0, 0 },
	{ "len_beyond_datagram", { MSG(m_delc) }, 8, 0 },
	{ "bytes_after_len", { MSG(m_iack) }, 0, 8 },
};
#define NSAMPLES	(sizeof(samples) / sizeof(samples[0]))

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* Byte i of an unknown section's data: a recognisable pattern. */
static uint8_t
pattern(size_t i)
{
	return (uint8_t)(0xa0 + i % 16);
}

/* The wire bytes of one known message (encoded by sync_wire.c). */
static size_t
encode_one(const struct sync_msg *m, uint8_t *out)
{
	uint8_t		 tmp[256];
	struct sync_fb	 fb;
	struct sync_hdr	 h = { 0 };

	sync_fb_init(&fb, tmp, sizeof(tmp), &h);
	if (sync_fb_add(&fb, m) != 0)
		die("encode");
	memcpy(out, tmp + SYNC_HDR_LEN + SYNC_SUBHDR_LEN,
	    fb.len - SYNC_HDR_LEN - SYNC_SUBHDR_LEN);
	return fb.len - SYNC_HDR_LEN - SYNC_SUBHDR_LEN;
}

/*
 * Append a section the builder cannot write (an unknown action, or known
 * messages with extra words) and close the builder's open section so the
 * next add starts a new one.
 */
static void
raw_section(struct sync_fb *fb, const struct item *it)
{
	struct buf_writer	 w;
	uint8_t			 msg[256];
	size_t			 mlen = 0, i, j, words = it->words;
	uint8_t			 action = it->action;

	if (it->kind == IT_LONGER) {
		mlen = encode_one(it->msg, msg);
		action = it->msg->action;
		words += mlen / 4;
	}
	bw_init(&w, fb->buf + fb->len, fb->cap - fb->len - SYNC_MAC_LEN);
	bw_u8(&w, action);
	bw_u8(&w, (uint8_t)words);
	bw_u16be(&w, it->count);
	for (i = 0; i < it->count; i++) {
		bw_bytes(&w, msg, mlen);
		for (j = mlen; j < words * 4; j++)
			bw_u8(&w, pattern(i * words * 4 + j));
	}
	if (w.err)
		die("raw section");
	fb->len += w.off;
	fb->sect = 0;
	fb->nmsgs += it->count;
}

/* Header flags: the UPD_C frame is a retransmission, the DEL_C one a
 * retransmission of a frame the sender had forgotten. */
static uint8_t
sample_flags(size_t i)
{
	if (strcmp(samples[i].name, "upd_c") == 0)
		return SYNC_HF_RETX;
	if (strcmp(samples[i].name, "del_c") == 0)
		return SYNC_HF_RETX | SYNC_HF_LOST;
	return 0;
}

/* Frame i of the samples into buf; returns the datagram's length. */
static size_t
build(size_t i, uint8_t *buf, size_t cap)
{
	const struct sample	*s = &samples[i];
	const struct item	*it;
	struct sync_hdr		 h = { .node_id = NODE_ID, .epoch = EPOCH,
	    .seq = FIRST_SEQ + (uint32_t)i, .flags = sample_flags(i) };
	struct sync_fb		 fb;
	size_t			 n;

	sync_fb_init(&fb, buf, cap, &h);
	for (it = s->items; it->kind != IT_END; it++) {
		if (it->kind == IT_MSG) {
			if (sync_fb_add(&fb, it->msg) != 0)
				die("sync_fb_add");
		} else
			raw_section(&fb, it);
	}
	if ((n = sync_fb_finish(&fb, key)) == 0)
		die("sync_fb_finish");
	if (s->len_delta != 0) {
		buf[2] = (uint8_t)((n + s->len_delta) >> 8);
		buf[3] = (uint8_t)(n + s->len_delta);
	}
	memset(buf + n, 0, s->trailing);
	return n + s->trailing;
}

/* ---- pcap ------------------------------------------------------------ */

static void
pcap_header(FILE *f)
{
	uint8_t			 b[24];
	struct buf_writer	 w;

	bw_init(&w, b, sizeof(b));
	bw_u32be(&w, 0xa1b2c3d4);	/* big-endian file, microseconds */
	bw_u16be(&w, 2);
	bw_u16be(&w, 4);
	bw_u32be(&w, 0);		/* thiszone */
	bw_u32be(&w, 0);		/* sigfigs */
	bw_u32be(&w, 65535);		/* snaplen */
	bw_u32be(&w, 1);		/* LINKTYPE_ETHERNET */
	if (fwrite(b, 1, w.off, f) != w.off)
		die("pcap header");
}

/* Ethernet to the group's MAC and IPv4 as pfsync_up() sets it up. */
static void
eth_ip(uint8_t *b, size_t framelen, uint16_t ipid)
{
	static const uint8_t		 src[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	static const struct sync_pkt_addr a = { AF_INET, { 192, 0, 2, 1 },
	    { 224, 0, 0, 240 } };

	if (sync_pkt_header(b, ETH_IP_LEN, &a, src, NULL, ipid,
	    framelen) != ETH_IP_LEN)
		die("sync_pkt_header");
}

static void
pcap_record(FILE *f, size_t i, const uint8_t *frame, size_t n)
{
	uint8_t			 rec[16 + ETH_IP_LEN];
	struct buf_writer	 w;

	bw_init(&w, rec, 16);
	bw_u32be(&w, TS_BASE + (uint32_t)i);
	bw_u32be(&w, 0);
	bw_u32be(&w, (uint32_t)(ETH_IP_LEN + n));
	bw_u32be(&w, (uint32_t)(ETH_IP_LEN + n));
	eth_ip(rec + 16, n, (uint16_t)(i + 1));
	if (fwrite(rec, 1, sizeof(rec), f) != sizeof(rec) ||
	    fwrite(frame, 1, n, f) != n)
		die("pcap record");
}

/* ---- expectations ---------------------------------------------------- */

static void
ex(FILE *e, size_t frame, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
ex(FILE *e, size_t frame, const char *field, const char *fmt, ...)
{
	va_list	 ap;

	if (e == NULL)
		return;
	fprintf(e, "%zu\tcarpsync.%s\t", frame + 1, field);
	va_start(ap, fmt);
	vfprintf(e, fmt, ap);
	va_end(ap);
	fputc('\n', e);
}

static void
ex_hex(FILE *e, size_t frame, const char *field, const uint8_t *p, size_t n)
{
	char	 s[2 * 1024 + 1];
	size_t	 i;

	for (i = 0; i < n && i < 1024; i++)
		snprintf(s + 2 * i, 3, "%02x", p[i]);
	s[2 * i] = '\0';
	ex(e, frame, field, "%s", s);
}

/* IPv4 fields for af 2, IPv6 fields (src6, dst6) for af 10. */
static void
ex_tuple(FILE *e, size_t fr, const char *dir, const struct sync_tuple *t,
    uint8_t af)
{
	const uint8_t	*addr[2] = { t->src, t->dst };
	const char	*side[2] = { "src", "dst" };
	char		 a[INET6_ADDRSTRLEN], field[64];
	int		 i;

	for (i = 0; i < 2; i++) {
		snprintf(field, sizeof(field), "state.%s.%s%s", dir, side[i],
		    af == 10 ? "6" : "");
		if (inet_ntop(af == 10 ? AF_INET6 : AF_INET, addr[i], a,
		    sizeof(a)) == NULL)
			die("inet_ntop");
		ex(e, fr, field, "%s", a);
	}
	snprintf(field, sizeof(field), "state.%s.sport", dir);
	ex(e, fr, field, "%u", t->sport);
	snprintf(field, sizeof(field), "state.%s.dport", dir);
	ex(e, fr, field, "%u", t->dport);
}

static void
ex_flags(FILE *e, size_t fr, uint8_t sf, const uint8_t tf[2])
{
	ex(e, fr, "state.state_flags", "0x%02x", sf);
	ex(e, fr, "state.state_flags.ack", "%d", (sf & SYNC_SF_ACK) != 0);
	ex(e, fr, "state.tcp_flags.orig", "0x%02x", tf[0]);
	ex(e, fr, "state.tcp_flags.reply", "0x%02x", tf[1]);
}

static void
ex_state(FILE *e, size_t fr, const struct sync_state *s)
{
	ex(e, fr, "state.id", "0x%016" PRIx64, s->id);
	ex(e, fr, "state.creatorid", "0x%08x", s->creatorid);
	ex(e, fr, "state.af", "%u", s->af);
	ex(e, fr, "state.proto", "%u", s->proto);
	ex(e, fr, "state.tcp_state", "%u", s->tcp_state);
	ex_flags(e, fr, s->state_flags, s->tcp_flags);
	ex(e, fr, "state.zone", "%u", s->zone);
	ex(e, fr, "state.wscale.orig", "%u", s->wscale[0]);
	ex(e, fr, "state.wscale.reply", "%u", s->wscale[1]);
	ex(e, fr, "state.status", "0x%08x", s->status);
	ex(e, fr, "state.mark", "0x%08x", s->mark);
	ex(e, fr, "state.timeout", "%u", s->timeout);
	ex_tuple(e, fr, "orig", &s->orig, s->af);
	ex_tuple(e, fr, "reply", &s->reply, s->af);
	ex_hex(e, fr, "state.labels", s->labels, sizeof(s->labels));
}

static void
ex_upd_c(FILE *e, size_t fr, const struct sync_upd_c *u)
{
	ex(e, fr, "state.id", "0x%016" PRIx64, u->id);
	ex(e, fr, "state.creatorid", "0x%08x", u->creatorid);
	ex(e, fr, "state.status", "0x%08x", u->status);
	ex(e, fr, "state.mark", "0x%08x", u->mark);
	ex(e, fr, "state.timeout", "%u", u->timeout);
	ex(e, fr, "state.tcp_state", "%u", u->tcp_state);
	ex_flags(e, fr, u->state_flags, u->tcp_flags);
}

static void
ex_msg(FILE *e, size_t fr, const struct sync_msg *m)
{
	switch (m->action) {
	case SYNC_A_INS:
	case SYNC_A_UPD:
		ex_state(e, fr, &m->u.st);
		break;
	case SYNC_A_UPD_C:
		ex_upd_c(e, fr, &m->u.upd_c);
		break;
	case SYNC_A_BUS:
		ex(e, fr, "bus.creatorid", "0x%08x", m->u.bus.creatorid);
		ex(e, fr, "bus.endtime", "%u", m->u.bus.endtime);
		ex(e, fr, "bus.status", "%u", m->u.bus.status);
		break;
	case SYNC_A_CLR:
		ex(e, fr, "clr.creatorid", "0x%08x", m->u.clr.creatorid);
		break;
	case SYNC_A_ACK:
		ex(e, fr, "ack.node_id", "0x%08x", m->u.ack.node_id);
		ex(e, fr, "ack.epoch", "%u", m->u.ack.epoch);
		ex(e, fr, "ack.seq", "%u", m->u.ack.seq);
		break;
	case SYNC_A_NACK:
		ex(e, fr, "nack.node_id", "0x%08x", m->u.nack.node_id);
		ex(e, fr, "nack.epoch", "%u", m->u.nack.epoch);
		ex(e, fr, "nack.from_seq", "%u", m->u.nack.from_seq);
		ex(e, fr, "nack.to_seq", "%u", m->u.nack.to_seq);
		break;
	default:	/* INS_ACK, UPD_REQ, DEL_C */
		ex(e, fr, "state.id", "0x%016" PRIx64, m->u.ref.id);
		ex(e, fr, "state.creatorid", "0x%08x", m->u.ref.creatorid);
		break;
	}
}

static void
ex_section(FILE *e, size_t fr, unsigned action, size_t words, size_t count)
{
	ex(e, fr, "action", "%u", action);
	ex(e, fr, "msg_len", "%zu", words);
	ex(e, fr, "count", "%zu", count);
}

/* A raw section: unknown data, or known messages plus extension bytes. */
static void
ex_raw(FILE *e, size_t fr, const struct item *it)
{
	uint8_t	 msg[256], pat[1024];
	size_t	 mlen = 0, words = it->words, i, j;

	if (it->kind == IT_LONGER) {
		mlen = encode_one(it->msg, msg);
		words += mlen / 4;
	}
	ex_section(e, fr, it->kind == IT_LONGER ? it->msg->action :
	    it->action, words, it->count);
	for (i = 0; i < it->count; i++) {
		for (j = mlen; j < words * 4; j++)
			pat[j - mlen + (it->kind == IT_LONGER ? 0 :
			    i * words * 4)] = pattern(i * words * 4 + j);
		if (it->kind == IT_LONGER) {
			ex_msg(e, fr, it->msg);
			ex_hex(e, fr, "extra", pat, words * 4 - mlen);
		}
	}
	if (it->kind == IT_UNKNOWN)
		ex_hex(e, fr, "skipped", pat, it->count * words * 4);
}

/* Sections as the builder makes them: one per run of an action. */
static void
ex_items(FILE *e, size_t fr, const struct sample *s)
{
	const struct item	*it = s->items;
	uint8_t			 msg[256];
	size_t			 run, k;

	while (it->kind != IT_END) {
		if (it->kind != IT_MSG) {
			ex_raw(e, fr, it++);
			continue;
		}
		for (run = 1; it[run].kind == IT_MSG &&
		    it[run].msg->action == it->msg->action; run++)
			;
		ex_section(e, fr, it->msg->action,
		    encode_one(it->msg, msg) / 4, run);
		for (k = 0; k < run; k++)
			ex_msg(e, fr, it[k].msg);
		it += run;
	}
}

static void
ex_frame(FILE *e, size_t fr, const uint8_t *f, size_t n)
{
	const struct sample	*s = &samples[fr];
	size_t			 flen = n - s->trailing;
	uint8_t			 zero[64] = { 0 };

	ex(e, fr, "version", "0x%02x", SYNC_VERSION);
	ex(e, fr, "flags", "0x%02x", sample_flags(fr));
	ex(e, fr, "flags.retx", "%d", (sample_flags(fr) & SYNC_HF_RETX) != 0);
	ex(e, fr, "flags.lost", "%d", (sample_flags(fr) & SYNC_HF_LOST) != 0);
	ex(e, fr, "len", "%d", (int)flen + s->len_delta);
	ex(e, fr, "node_id", "0x%08x", NODE_ID);
	ex(e, fr, "epoch", "%u", EPOCH);
	ex(e, fr, "seq", "%u", FIRST_SEQ + (unsigned)fr);
	ex_items(e, fr, s);
	ex_hex(e, fr, "hmac", f + flen - SYNC_MAC_LEN, SYNC_MAC_LEN);
	if (s->trailing > 0)
		ex_hex(e, fr, "trailing", zero, s->trailing);
}

static void
write_raw(const char *dir, size_t i, const uint8_t *f, size_t n)
{
	char	 path[4096];
	FILE	*out;

	snprintf(path, sizeof(path), "%s/%02zu-%s", dir, i + 1,
	    samples[i].name);
	if ((out = fopen(path, "wb")) == NULL)
		die(path);
	if (fwrite(f, 1, n, out) != n || fclose(out) != 0)
		die(path);
}

static void
usage(void)
{
	fprintf(stderr, "usage: sync_pcap [-e expect] [-r dir] [file.pcap]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static uint8_t	 frame[SYNC_MAX_FRAME + 64];
	const char	*rawdir = NULL;
	FILE		*pcap = NULL, *e = NULL;
	size_t		 i, n;
	int		 c;

	while ((c = getopt(argc, argv, "e:r:")) != -1) {
		if (c == 'e' && (e = fopen(optarg, "w")) == NULL)
			die(optarg);
		else if (c == 'r')
			rawdir = optarg;
		else if (c != 'e')
			usage();
	}
	if (argc - optind > 1 || (argc == optind && e == NULL && !rawdir))
		usage();
	if (argc - optind == 1 && (pcap = fopen(argv[optind], "wb")) == NULL)
		die(argv[optind]);
	if (pcap != NULL)
		pcap_header(pcap);
	for (i = 0; i < NSAMPLES; i++) {
		n = build(i, frame, sizeof(frame) - 64);
		if (pcap != NULL)
			pcap_record(pcap, i, frame, n);
		if (rawdir != NULL)
			write_raw(rawdir, i, frame, n);
		ex_frame(e, i, frame, n);
	}
	if ((pcap != NULL && fclose(pcap) != 0) ||
	    (e != NULL && fclose(e) != 0))
		die("close");
	return 0;
}
