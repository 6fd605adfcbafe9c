/*
 * carp_inject.c: send hand-made IPv4 CARP packets for the netns tests
 * (tests/netns/test_garbage.sh). The advert itself is built with the
 * project's own codec and HMAC (carp_wire.c, carp_hmac.c), so a packet
 * sent without a fault option is a valid advert that carpd must accept;
 * each option then breaks exactly one thing. Frames go out through an
 * AF_PACKET datagram socket so that every IP header field, the total
 * length included, is ours (a raw IP socket with IP_HDRINCL rewrites it).
 *
 * usage: carp_inject -i IFNAME -s SRC [-d DST] [-m DSTMAC] [-t TTL]
 *            [-v VHID] [-V VERSION] [-b ADVBASE] [-k ADVSKEW] [-D DEMOTE]
 *            [-p PASS] [-a VIP]... [-n COUNTER] [-C] [-l CARPLEN] [-c COUNT]
 *            [-I USEC] [-P PCAP] [-y TYPE]
 *
 *   -d DST     IPv4 destination, default 224.0.0.18; a unicast one needs
 *              -m with the next hop's MAC
 *   -t TTL     default 255                 -V VERSION  default 2
 *   -y TYPE    the CARP type (default 1, advertisement; the HMAC covers
 *              the constant 1, as OpenBSD's, so only the byte changes)
 *   -C         corrupt the CARP checksum   -l CARPLEN  bytes of CARP
 *              payload: < 36 truncates, > 36 pads with zeros (default 36)
 *   -p PASS    passphrase (default none: all-zero key, as carpd)
 *   -a VIP     a VIP in the HMAC, repeatable, in any order
 *   -n COUNTER the 8 counter bytes, as 16 hex digits (default: random for
 *              each packet); a node's own cookie makes it see a loop
 *   -c COUNT   packets to send (default 1), -I USEC between them (0: at
 *              full speed)
 *   -P PCAP    replay instead: the CARP payload (trailer and all) of the
 *              first IPv4 CARP packet in the capture, sent from its
 *              source unless -s; -k, -b and -D rewrite their byte and the
 *              36-byte checksum is made good again, as a forger would
 *              (tests/netns/test_auth.sh)
 *
 * Prints "sent N" and exits 0 when every packet was sent, 1 otherwise.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "carp_conf.h"
#include "carp_hmac.h"
#include "carp_wire.h"

#define IP_HLEN		20
#define MAX_CARPLEN	1024

struct inject {
	const char		*ifname;
	uint8_t			 src[4], dst[4];
	uint8_t			 dstmac[ETH_ALEN];
	int			 have_src, have_mac;
	int			 ttl, version, type, bad_cksum, fixed_counter;
	size_t			 carplen;
	long			 count, interval_us;
	struct carp_advert	 ad;
	const char		*pass;
	struct carp_addr	 vips[CARP_MAX_ADDRS];
	int			 nvips;
	/* -P: the captured payload, and which fields to rewrite in it */
	const char		*pcap;
	uint8_t			 replay[MAX_CARPLEN];
	int			 set_advskew, set_advbase, set_demote;
};

static void
usage(void)
{
	fprintf(stderr, "usage: carp_inject -i IFNAME -s SRC [-d DST] "
	    "[-m DSTMAC] [-t TTL] [-v VHID]\n"
	    "           [-V VERSION] [-b ADVBASE] [-k ADVSKEW] [-D DEMOTE] "
	    "[-p PASS] [-a VIP]...\n"
	    "           [-n COUNTER] [-C] [-l CARPLEN] [-c COUNT] [-I USEC] "
	    "[-P PCAP] [-y TYPE]\n");
	exit(2);
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "carp_inject: '%s' is not in %ld..%ld\n", s,
		    min, max);
		exit(2);
	}
	return v;
}

static void
ipv4_arg(const char *s, uint8_t out[4])
{
	if (inet_pton(AF_INET, s, out) != 1) {
		fprintf(stderr, "carp_inject: '%s' is not an IPv4 address\n",
		    s);
		exit(2);
	}
}

static void
mac_arg(const char *s, uint8_t out[ETH_ALEN])
{
	unsigned int m[ETH_ALEN];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
	    &m[5]) != ETH_ALEN)
		usage();
	for (i = 0; i < ETH_ALEN; i++)
		out[i] = (uint8_t)m[i];
}

static void
counter_arg(struct inject *in, const char *s)
{
	unsigned int b;
	size_t i;

	if (strlen(s) != 2 * sizeof(in->ad.counter))
		usage();
	for (i = 0; i < sizeof(in->ad.counter); i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			usage();
		in->ad.counter[i] = (uint8_t)b;
	}
	in->fixed_counter = 1;
}

static void
vip_arg(struct inject *in, const char *s)
{
	if (in->nvips == CARP_MAX_ADDRS ||
	    carp_addr_parse(s, &in->vips[in->nvips]) == -1) {
		fprintf(stderr, "carp_inject: bad VIP '%s'\n", s);
		exit(2);
	}
	in->nvips++;
}

/* The IPv4 packet in a captured frame, or NULL. */
static const uint8_t *
frame_ipv4(int linktype, const uint8_t *f, size_t caplen, size_t *len)
{
	size_t	 off;

	if (linktype == DLT_EN10MB && caplen > 14 && f[12] == 0x08 &&
	    f[13] == 0x00)
		off = 14;
	else if (linktype == DLT_LINUX_SLL && caplen > 16 && f[14] == 0x08 &&
	    f[15] == 0x00)
		off = 16;
	else if (linktype == DLT_RAW)
		off = 0;
	else
		return NULL;
	*len = caplen - off;
	return f + off;
}

/* -P: the first IPv4 CARP packet of the capture, kept as captured. */
static void
load_capture(struct inject *in)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *f, *ip;
	size_t len, hlen;
	pcap_t *p;

	if ((p = pcap_open_offline(in->pcap, err)) == NULL) {
		fprintf(stderr, "carp_inject: %s\n", err);
		exit(1);
	}
	while (pcap_next_ex(p, &h, &f) == 1) {
		ip = frame_ipv4(pcap_datalink(p), f, h->caplen, &len);
		if (ip == NULL || len < IP_HLEN || ip[9] != CARP_PROTO)
			continue;
		hlen = (size_t)(ip[0] & 0x0f) * 4;
		len = (size_t)ip[2] << 8 | ip[3];
		if (len > h->caplen || len < hlen + CARP_HDR_LEN ||
		    len - hlen > MAX_CARPLEN)
			continue;
		in->carplen = len - hlen;
		memcpy(in->replay, ip + hlen, in->carplen);
		if (!in->have_src) {
			memcpy(in->src, ip + 12, 4);
			in->have_src = 1;
		}
		pcap_close(p);
		return;
	}
	fprintf(stderr, "carp_inject: %s: no IPv4 CARP packet\n", in->pcap);
	exit(1);
}

static void
parse_args(struct inject *in, int argc, char *argv[])
{
	int ch;

	while ((ch = getopt(argc, argv, "a:b:c:Cd:D:i:I:k:l:m:n:p:P:s:t:v:V:y:"))
	    != -1) {
		switch (ch) {
		case 'a':
			vip_arg(in, optarg);
			break;
		case 'b':
			in->ad.advbase = (uint8_t)number(optarg, 0, 255);
			in->set_advbase = 1;
			break;
		case 'c':
			in->count = number(optarg, 1, 100000000);
			break;
		case 'C':
			in->bad_cksum = 1;
			break;
		case 'd':
			ipv4_arg(optarg, in->dst);
			break;
		case 'D':
			in->ad.demote = (uint8_t)number(optarg, 0, 255);
			in->set_demote = 1;
			break;
		case 'i':
			in->ifname = optarg;
			break;
		case 'I':
			in->interval_us = number(optarg, 0, 10000000);
			break;
		case 'k':
			in->ad.advskew = (uint8_t)number(optarg, 0, 255);
			in->set_advskew = 1;
			break;
		case 'l':
			in->carplen = (size_t)number(optarg, 0, MAX_CARPLEN);
			break;
		case 'm':
			mac_arg(optarg, in->dstmac);
			in->have_mac = 1;
			break;
		case 'n':
			counter_arg(in, optarg);
			break;
		case 'p':
			in->pass = optarg;
			break;
		case 'P':
			in->pcap = optarg;
			break;
		case 's':
			ipv4_arg(optarg, in->src);
			in->have_src = 1;
			break;
		case 't':
			in->ttl = (int)number(optarg, 0, 255);
			break;
		case 'v':
			in->ad.vhid = (uint8_t)number(optarg, 0, 255);
			break;
		case 'V':
			in->version = (int)number(optarg, 0, 15);
			break;
		case 'y':
			in->type = (int)number(optarg, 0, 15);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || in->ifname == NULL)
		usage();
	if (in->pcap != NULL)
		load_capture(in);
	if (!in->have_src)
		usage();
	/* 224.0.0.0/4 maps to 01:00:5e + the low 23 bits (RFC 1112). */
	if ((in->dst[0] & 0xf0) == 0xe0) {
		memcpy(in->dstmac, "\x01\x00\x5e", 3);
		in->dstmac[3] = in->dst[1] & 0x7f;
		in->dstmac[4] = in->dst[2];
		in->dstmac[5] = in->dst[3];
	} else if (!in->have_mac) {
		fprintf(stderr, "carp_inject: a unicast -d needs -m MAC\n");
		exit(2);
	}
}

/* -P: the captured payload with the asked-for bytes rewritten and the
 * checksum over the 36 bytes recomputed; what follows them is kept. */
static void
replay_carp(struct inject *in, uint8_t *carp)
{
	struct buf_writer w;

	memcpy(carp, in->replay, in->carplen);
	if (in->set_advskew)
		carp[2] = in->ad.advskew;
	if (in->set_demote)
		carp[4] = in->ad.demote;
	if (in->set_advbase)
		carp[5] = in->ad.advbase;
	carp[6] = carp[7] = 0;
	bw_init(&w, carp + 6, 2);
	bw_u16be(&w, in_cksum(carp, CARP_HDR_LEN));
	if (in->bad_cksum)
		carp[7] ^= 0xff;
}

/* The CARP part: a valid advert from our codec, then the requested fault. */
static void
build_carp(struct inject *in, uint8_t *carp)
{
	uint8_t key[CARP_KEY_LEN];
	struct carp_hmac hmac;
	struct buf_writer w;

	if (in->pcap != NULL) {
		replay_carp(in, carp);
		return;
	}
	memset(key, 0, sizeof(key));
	if (in->pass != NULL)
		carp_key_from_pass(in->pass, key);
	carp_hmac_init(&hmac, key, in->ad.vhid, in->vips, in->nvips);
	/* A fresh random counter unless told: never anyone's cookie by
	 * chance (carp-protocol.md 1.5). */
	if (!in->fixed_counter && getrandom(in->ad.counter,
	    sizeof(in->ad.counter), 0) != (ssize_t)sizeof(in->ad.counter))
		memset(in->ad.counter, 0x5a, sizeof(in->ad.counter));
	carp_hmac_generate(&hmac, CARP_HMAC_NOV6LL, in->ad.counter, in->ad.md);
	memset(carp, 0, MAX_CARPLEN);
	carp_wire_encode(&in->ad, carp);
	if (in->version != CARP_VERSION || in->type != CARP_TYPE_ADVERT) {
		carp[0] = (uint8_t)(in->version << 4 | in->type);
		carp[6] = carp[7] = 0;
		bw_init(&w, carp + 6, 2);
		bw_u16be(&w, in_cksum(carp, CARP_HDR_LEN));
	}
	if (in->bad_cksum)
		carp[7] ^= 0xff;
}

/* IPv4 header as OpenBSD carp_send_ad fills it: TOS lowdelay, DF. */
static size_t
build_packet(struct inject *in, uint8_t *pkt)
{
	struct buf_writer w;
	uint8_t *ck;
	uint16_t id;

	if (getrandom(&id, sizeof(id), 0) != (ssize_t)sizeof(id))
		id = 1;
	bw_init(&w, pkt, IP_HLEN);
	bw_u8(&w, 0x45);
	bw_u8(&w, 0x10);
	bw_u16be(&w, (uint16_t)(IP_HLEN + in->carplen));
	bw_u16be(&w, id);
	bw_u16be(&w, 0x4000);
	bw_u8(&w, (uint8_t)in->ttl);
	bw_u8(&w, CARP_PROTO);
	ck = bw_reserve(&w, 2);
	bw_bytes(&w, in->src, 4);
	bw_bytes(&w, in->dst, 4);
	bw_init(&w, ck, 2);
	bw_u16be(&w, in_cksum(pkt, IP_HLEN));
	build_carp(in, pkt + IP_HLEN);
	return IP_HLEN + in->carplen;
}

static int
send_all(struct inject *in, int fd, const struct sockaddr_ll *ll)
{
	uint8_t pkt[IP_HLEN + MAX_CARPLEN];
	struct timespec ts;
	size_t len;
	long sent;

	for (sent = 0; sent < in->count; sent++) {
		len = build_packet(in, pkt);
		while (sendto(fd, pkt, len, 0, (const struct sockaddr *)ll,
		    sizeof(*ll)) != (ssize_t)len) {
			/* a full transmit queue is back-pressure, not an error */
			if (errno != ENOBUFS && errno != EAGAIN &&
			    errno != EINTR) {
				fprintf(stderr, "carp_inject: sendto: %s\n",
				    strerror(errno));
				printf("sent %ld\n", sent);
				return 1;
			}
		}
		if (in->interval_us > 0 && sent + 1 < in->count) {
			ts.tv_sec = in->interval_us / 1000000;
			ts.tv_nsec = in->interval_us % 1000000 * 1000;
			nanosleep(&ts, NULL);
		}
	}
	printf("sent %ld\n", sent);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct inject in;
	struct sockaddr_ll ll;
	int fd;

	memset(&in, 0, sizeof(in));
	in.ttl = CARP_TTL;
	in.version = CARP_VERSION;
	in.type = CARP_TYPE_ADVERT;
	in.carplen = CARP_HDR_LEN;
	in.count = 1;
	in.ad.vhid = 1;
	in.ad.advbase = 1;
	inet_pton(AF_INET, CARP_GROUP_V4, in.dst);
	parse_args(&in, argc, argv);

	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_IP);
	ll.sll_halen = ETH_ALEN;
	memcpy(ll.sll_addr, in.dstmac, ETH_ALEN);
	if ((ll.sll_ifindex = (int)if_nametoindex(in.ifname)) == 0) {
		fprintf(stderr, "carp_inject: %s: %s\n", in.ifname,
		    strerror(errno));
		return 1;
	}
	if ((fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		fprintf(stderr, "carp_inject: socket: %s\n", strerror(errno));
		return 1;
	}
	return send_all(&in, fd, &ll);
}
