/*
 * sync_inject.c: re-sends a captured state-sync frame, byte for byte or
 * altered, for tests/netns/test_sync_badframes.sh. It reads a pcap file
 * (tcpdump -w on the sync link), takes the sync frame (the IPv4 payload)
 * of one IP protocol 240 packet, applies the changes asked for, in this
 * order, and sends the result once to 224.0.0.240 (or -d ADDR) from a raw
 * socket bound to DEV:
 *
 *   -p OFF:HEX   overwrite the frame's bytes from offset OFF with HEX
 *                (repeatable: header fields, a message's creator id ...)
 *   -k KEYFILE   sign again: HMAC-SHA256 with the key in KEYFILE (64 hex
 *                digits, as syncd's keyfile) over the first len - 32 bytes,
 *                written at len - 32, len being the header's (patched) len
 *   -L LEN       then set the header's len field to LEN (not signed again)
 *   -c BYTES     then send only the first BYTES bytes (0: an empty datagram)
 *   -t TTL       IP TTL (default 255, what a receiver requires)
 *   -N COUNT     send it COUNT times (default 1), back to back, as fast as
 *                the socket takes them (-c is the cut: taken)
 *   -x           send nothing: print the result's header fields and size
 *
 * The packet is chosen with -a ACTION (the first section's action, e.g. 13
 * for INS) and -n N (the N-th of those that match, default 1).
 *
 * usage: sync_inject [-a ACTION] [-n N] [-p OFF:HEX]... [-k KEYFILE]
 *                    [-L LEN] [-c BYTES] [-t TTL] [-N COUNT] [-d ADDR] [-x]
 *                    DEV PCAP
 * Exit 0 when sent, 1 on failure, 2 on a usage error.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync_wire.h"

#define PCAP_MAX	(64 * 1024 * 1024)	/* a test capture is small */
#define MAX_PATCHES	16

struct patch {
	size_t		 off;
	uint8_t		 bytes[64];
	size_t		 n;
};

struct opts {
	int		 action;	/* -1: any */
	long		 nth;
	struct patch	 patches[MAX_PATCHES];
	int		 npatches;
	const char	*keyfile;
	long		 len;		/* -1: keep */
	long		 cut;		/* -1: whole frame */
	int		 ttl;
	long		 count;		/* -N */
	int		 show;		/* -x */
	const char	*dst;
	const char	*dev;
	const char	*pcap;
};

static void
usage(void)
{
	fprintf(stderr, "usage: sync_inject [-a ACTION] [-n N] [-p OFF:HEX]... "
	    "[-k KEYFILE] [-L LEN] [-c BYTES] [-t TTL] [-N COUNT] [-d ADDR] "
	    "DEV PCAP\n");
	exit(2);
}

static long
num_arg(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		fprintf(stderr, "sync_inject: bad number %s\n", s);
		exit(2);
	}
	return v;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n bytes from 2n hex digits; -1 on anything else. */
static int
hex_bytes(const char *s, size_t len, uint8_t *out, size_t n)
{
	size_t	i;
	int	hi, lo;

	if (len != 2 * n)
		return -1;
	for (i = 0; i < n; i++) {
		if ((hi = hexval(s[2 * i])) == -1 ||
		    (lo = hexval(s[2 * i + 1])) == -1)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void
patch_arg(struct opts *o, const char *s)
{
	struct patch	*p;
	const char	*colon = strchr(s, ':');
	char		 off[32];
	size_t		 hlen;

	if (o->npatches == MAX_PATCHES || colon == NULL ||
	    (size_t)(colon - s) >= sizeof(off))
		usage();
	p = &o->patches[o->npatches++];
	memcpy(off, s, (size_t)(colon - s));
	off[colon - s] = '\0';
	p->off = (size_t)num_arg(off, 0, SYNC_MAX_FRAME - 1);
	hlen = strlen(colon + 1);
	p->n = hlen / 2;
	if (p->n == 0 || p->n > sizeof(p->bytes) ||
	    hex_bytes(colon + 1, hlen, p->bytes, p->n) == -1) {
		fprintf(stderr, "sync_inject: bad patch %s\n", s);
		exit(2);
	}
}

static void
parse_args(int argc, char **argv, struct opts *o)
{
	int	c;

	memset(o, 0, sizeof(*o));
	o->action = -1;
	o->nth = 1;
	o->len = o->cut = -1;
	o->ttl = SYNC_TTL;
	o->count = 1;
	o->dst = SYNC_GROUP_V4;
	while ((c = getopt(argc, argv, "a:n:p:k:L:c:t:N:d:x")) != -1) {
		switch (c) {
		case 'a':
			o->action = (int)num_arg(optarg, 0, 255);
			break;
		case 'n':
			o->nth = num_arg(optarg, 1, 1000000);
			break;
		case 'p':
			patch_arg(o, optarg);
			break;
		case 'k':
			o->keyfile = optarg;
			break;
		case 'L':
			o->len = num_arg(optarg, 0, 65535);
			break;
		case 'c':
			o->cut = num_arg(optarg, 0, SYNC_MAX_FRAME);
			break;
		case 't':
			o->ttl = (int)num_arg(optarg, 1, 255);
			break;
		case 'N':
			o->count = num_arg(optarg, 1, 100000000);
			break;
		case 'd':
			o->dst = optarg;
			break;
		case 'x':
			o->show = 1;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	o->dev = argv[optind];
	o->pcap = argv[optind + 1];
}

/* ---- the pcap file ---------------------------------------------------- */

static uint32_t
rd32(const uint8_t *p, int swap)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

static uint32_t
rd32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Bytes before the IPv4 header for a link type; -1 if not IPv4 or unknown. */
static long
link_skip(uint32_t linktype, const uint8_t *pkt, size_t len)
{
	switch (linktype) {
	case 1:		/* Ethernet */
		return len >= 14 && pkt[12] == 0x08 && pkt[13] == 0x00 ? 14 : -1;
	case 113:	/* Linux cooked (SLL) */
		return len >= 16 && pkt[14] == 0x08 && pkt[15] == 0x00 ? 16 : -1;
	case 276:	/* Linux cooked v2 (SLL2) */
		return len >= 20 && pkt[0] == 0x08 && pkt[1] == 0x00 ? 20 : -1;
	case 12: case 101:	/* raw IP */
		return 0;
	default:
		return -1;
	}
}

/* The sync frame of an IPv4 proto 240 packet: its offset and length. */
static int
sync_payload(const uint8_t *ip, size_t len, size_t *off, size_t *flen)
{
	size_t	hl, tot;

	if (len < 20 || ip[0] >> 4 != 4 || ip[9] != SYNC_PROTO)
		return -1;
	hl = (size_t)(ip[0] & 0x0f) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (hl < 20 || tot < hl || tot > len)
		return -1;
	*off = hl;
	*flen = tot - hl;
	return 0;
}

static int
matches(const struct opts *o, const uint8_t *f, size_t n)
{
	if (o->action == -1)
		return 1;
	return n > SYNC_HDR_LEN && f[SYNC_HDR_LEN] == o->action;
}

/* Find the chosen frame in the capture and copy it to frame. */
static size_t
pick_frame(const struct opts *o, const uint8_t *pc, size_t plen,
    uint8_t *frame)
{
	uint32_t	magic, linktype, incl;
	size_t		pos = 24, off, flen;
	long		skip, seen = 0;
	int		swap;

	if (plen < 24)
		return 0;
	memcpy(&magic, pc, 4);
	swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
	if (!swap && magic != 0xa1b2c3d4 && magic != 0xa1b23c4d)
		return 0;
	linktype = rd32(pc + 20, swap);
	while (pos + 16 <= plen) {
		incl = rd32(pc + pos + 8, swap);
		pos += 16;
		if (incl > plen - pos)
			break;
		skip = link_skip(linktype, pc + pos, incl);
		if (skip >= 0 && sync_payload(pc + pos + skip, incl -
		    (size_t)skip, &off, &flen) == 0 && flen <= SYNC_MAX_FRAME &&
		    matches(o, pc + pos + skip + off, flen) && ++seen == o->nth) {
			memcpy(frame, pc + pos + skip + off, flen);
			return flen;
		}
		pos += incl;
	}
	return 0;
}

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	*f;
	uint8_t	*buf;

	if ((f = fopen(path, "rb")) == NULL || (buf = malloc(PCAP_MAX)) == NULL) {
		perror(path);
		exit(1);
	}
	*len = fread(buf, 1, PCAP_MAX, f);
	fclose(f);
	return buf;
}

/* ---- changes ------------------------------------------------------------ */

static void
read_key(const char *path, uint8_t key[SYNC_KEY_LEN])
{
	char	 text[2 * SYNC_KEY_LEN + 2];
	size_t	 n;
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(1);
	}
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	if (n > 0 && text[n - 1] == '\n')
		n--;
	if (hex_bytes(text, n, key, SYNC_KEY_LEN) == -1) {
		fprintf(stderr, "sync_inject: %s: not 64 hex digits\n", path);
		exit(1);
	}
}

/* Sign again as sync_fb_finish does: over the frame up to its trailer. */
static void
resign(uint8_t *frame, size_t flen, const char *keyfile)
{
	uint8_t		key[SYNC_KEY_LEN];
	struct sync_fb	fb;
	size_t		hlen = (size_t)frame[2] << 8 | frame[3];

	if (hlen < SYNC_HDR_LEN + SYNC_MAC_LEN || hlen > flen) {
		fprintf(stderr, "sync_inject: header len %zu: cannot sign\n",
		    hlen);
		exit(1);
	}
	read_key(keyfile, key);
	memset(&fb, 0, sizeof(fb));
	fb.buf = frame;
	fb.cap = SYNC_MAX_FRAME;
	fb.len = hlen - SYNC_MAC_LEN;
	if (sync_fb_finish(&fb, key) != hlen) {
		fprintf(stderr, "sync_inject: signing failed\n");
		exit(1);
	}
}

static size_t
apply(const struct opts *o, uint8_t *frame, size_t flen)
{
	int	i;

	for (i = 0; i < o->npatches; i++) {
		if (o->patches[i].off + o->patches[i].n > flen) {
			fprintf(stderr, "sync_inject: patch beyond the frame "
			    "(%zu bytes)\n", flen);
			exit(1);
		}
		memcpy(frame + o->patches[i].off, o->patches[i].bytes,
		    o->patches[i].n);
	}
	if (o->keyfile != NULL)
		resign(frame, flen, o->keyfile);
	if (o->len >= 0) {
		frame[2] = (uint8_t)(o->len >> 8);
		frame[3] = (uint8_t)o->len;
	}
	if (o->cut >= 0 && (size_t)o->cut < flen)
		flen = (size_t)o->cut;
	return flen;
}

/* ---- sending ------------------------------------------------------------ */

/* The frame, o->count times; returns how many went out. */
static long
send_frame(const struct opts *o, const uint8_t *frame, size_t flen)
{
	struct sockaddr_in	 to;
	struct ip_mreqn		 mr;
	int			 fd, off = 0;
	long			 sent;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	memset(&mr, 0, sizeof(mr));
	mr.imr_ifindex = (int)if_nametoindex(o->dev);
	if (inet_pton(AF_INET, o->dst, &to.sin_addr) != 1 || mr.imr_ifindex == 0) {
		fprintf(stderr, "sync_inject: bad address %s or device %s\n",
		    o->dst, o->dev);
		exit(2);
	}
	/* loop off: a syncd on this host must not hear it */
	if ((fd = socket(AF_INET, SOCK_RAW, SYNC_PROTO)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev,
	    strlen(o->dev) + 1) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_TTL, &o->ttl, sizeof(o->ttl)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &o->ttl,
	    sizeof(o->ttl)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &off,
	    sizeof(off)) == -1 ||
	    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr)) == -1) {
		perror("sync_inject: raw socket");
		exit(1);
	}
	for (sent = 0; sent < o->count; sent++)
		while (sendto(fd, frame, flen, 0, (struct sockaddr *)&to,
		    sizeof(to)) != (ssize_t)flen) {
			/* a full transmit queue is back-pressure, not an error */
			if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
				perror("sync_inject: sendto");
				printf("sent %ld\n", sent);
				exit(1);
			}
		}
	close(fd);
	return sent;
}

int
main(int argc, char **argv)
{
	struct opts	 o;
	static uint8_t	 frame[SYNC_MAX_FRAME];
	uint8_t		*pc;
	size_t		 plen, flen;

	parse_args(argc, argv, &o);
	pc = read_file(o.pcap, &plen);
	if ((flen = pick_frame(&o, pc, plen, frame)) == 0) {
		fprintf(stderr, "sync_inject: no such frame in %s\n", o.pcap);
		return 1;
	}
	free(pc);
	flen = apply(&o, frame, flen);
	if (o.show) {
		printf("size=%zu version=%u len=%u node=%u epoch=%u seq=%u\n",
		    flen, frame[0], (unsigned)frame[2] << 8 | frame[3],
		    rd32be(frame + 4), rd32be(frame + 8), rd32be(frame + 12));
		return 0;
	}
	if (o.count == 1) {
		send_frame(&o, frame, flen);
		printf("sent %zu bytes, TTL %d\n", flen, o.ttl);
	} else
		printf("sent %ld\n", send_frame(&o, frame, flen));
	return 0;
}
