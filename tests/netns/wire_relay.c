/*
 * wire_relay.c: a faulty cable for the fault-injection tests
 * (tests/fault/fault_sync_wire.sh). Run in a namespace between two veths
 * (A and B), it copies every frame received on one to the other, through
 * AF_PACKET sockets, and on the way drops some, duplicates some and
 * reorders some (tc netem's loss, duplicate and reorder, for kernels built
 * without sch_netem). The decisions come from a seeded PRNG, so a seed
 * gives the same decisions for the same frames.
 *
 * usage: wire_relay [-d DROP%] [-u DUP%] [-r REORDER%] [-n AFTER]
 *                   [-p PROTO] [-s SEED] [-H MS] IF_A IF_B
 *
 *   -d DROP%     drop a frame with this probability (0-100, default 0)
 *   -u DUP%      send a frame twice (back to back)
 *   -r REORDER%  hold a frame back and send it after the next AFTER
 *                frames of the same direction (-n, default 1); a held
 *                frame goes out after -H MS (default 50) without traffic
 *                behind it, so the last frame of a burst is late, not lost
 *   -p PROTO     apply the faults only to IPv4 packets of this protocol
 *                (e.g. 240, syncd's); everything else passes untouched
 *   -s SEED      PRNG seed (default 1)
 *
 * Each direction draws drop first, then reorder, then duplicate (a held
 * frame is never also duplicated). Prints "ready" once both sockets are
 * bound; on SIGTERM or SIGINT (and on SIGUSR1, without exiting) prints
 * one line per direction:
 *
 *   A>B in N out N drop N dup N reorder N held N other N kdrop N senderr N
 *
 * in: frames received; out: frames sent (copies included); drop, dup:
 * what the PRNG decided (dup: the second copy went out); reorder: held
 * frames that went out after at least one frame that came in after them
 * (each one is a real inversion on the wire); held: held frames that went
 * out in order after -H MS (nothing came behind them: late, not
 * reordered); other: frames outside -p; kdrop: frames the kernel dropped
 * before we read them (the socket's receive buffer was full); senderr:
 * sends that failed (the frame is lost, not counted in out).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX	65536
#define SOCKBUF		(8 * 1024 * 1024)	/* a bulk's burst, not kdrop */

struct held {
	uint8_t		 buf[FRAME_MAX];
	size_t		 len;
	int		 valid;
	long		 behind;	/* frames sent after it so far */
	struct timespec	 since;
};

struct dir {
	const char	*name;
	int		 in, out;	/* sockets */
	struct held	 held;
	uint64_t	 n_in, n_out, n_drop, n_dup, n_reorder, n_held, n_other;
	uint64_t	 n_kdrop, n_senderr;
};

struct relay {
	int		 drop, dup, reorder;	/* percent */
	long		 after, hold_ms;
	int		 proto;			/* -1: every frame */
	uint64_t	 rng;
	struct dir	 d[2];
};

static volatile sig_atomic_t stop, report;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: wire_relay [-d DROP%%] [-u DUP%%] [-r REORDER%%] "
	    "[-n AFTER] [-p PROTO] [-s SEED] [-H MS] IF_A IF_B\n");
	exit(2);
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "wire_relay: %s: not a number in %ld..%ld\n",
		    s, min, max);
		exit(2);
	}
	return v;
}

/* xorshift64*: small, seedable, good enough for test decisions */
static int
chance(struct relay *r, int percent)
{
	if (percent <= 0)
		return 0;
	r->rng ^= r->rng >> 12;
	r->rng ^= r->rng << 25;
	r->rng ^= r->rng >> 27;
	return (int)((r->rng * 2685821657736338717ULL) >> 33) % 100 < percent;
}

static int
open_dev(const char *ifname)
{
	struct sockaddr_ll sll;
	struct packet_mreq mr;
	int s, one = 1;
	unsigned idx;

	if ((idx = if_nametoindex(ifname)) == 0) {
		fprintf(stderr, "wire_relay: %s: %s\n", ifname, strerror(errno));
		exit(1);
	}
	if ((s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))) == -1) {
		perror("wire_relay: socket");
		exit(1);
	}
	/* our own sends on this device are not frames to relay back */
	(void)setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
	    sizeof(one));
	/* room for a burst: a frame the kernel drops for us is a fault we
	 * did not choose (still counted: kdrop) */
	(void)setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ SOCKBUF },
	    sizeof(int));
	(void)setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &(int){ SOCKBUF },
	    sizeof(int));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)idx;
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		fprintf(stderr, "wire_relay: bind %s: %s\n", ifname,
		    strerror(errno));
		exit(1);
	}
	memset(&mr, 0, sizeof(mr));
	mr.mr_ifindex = (int)idx;
	mr.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
	    sizeof(mr)) == -1) {
		perror("wire_relay: promiscuous mode");
		exit(1);
	}
	return s;
}

/* a frame the faults apply to: all with -p unset, else IPv4 of PROTO */
static int
subject(const struct relay *r, const uint8_t *f, size_t len)
{
	if (r->proto < 0)
		return 1;
	return len >= ETH_HLEN + 20 && f[12] == 0x08 && f[13] == 0x00 &&
	    f[ETH_HLEN + 9] == r->proto;
}

/* 0 when the frame went out; a full queue is waited for, not a loss */
static int
send_frame(struct dir *d, const uint8_t *f, size_t len)
{
	struct pollfd pfd = { .fd = d->out, .events = POLLOUT };
	ssize_t n;

	while ((n = send(d->out, f, len, 0)) == -1 &&
	    (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
		if (errno != EINTR)
			(void)poll(&pfd, 1, 1);
	if (n != (ssize_t)len) {
		d->n_senderr++;
		return -1;
	}
	d->n_out++;
	return 0;
}

static long
ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* the held frame goes out: a reorder if others passed it */
static void
flush_held(struct dir *d)
{
	if (!d->held.valid)
		return;
	if (send_frame(d, d->held.buf, d->held.len) == 0) {
		if (d->held.behind > 0)
			d->n_reorder++;
		else
			d->n_held++;
	}
	d->held.valid = 0;
}

/* one frame sent on (not dropped, not held): the held one may be due */
static void
sent_behind(struct relay *r, struct dir *d)
{
	if (d->held.valid && ++d->held.behind >= r->after)
		flush_held(d);
}

/* relay one frame if one is waiting; 0 when none was */
static int
relay_one(struct relay *r, struct dir *d)
{
	static uint8_t f[FRAME_MAX];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	n = recvfrom(d->in, f, sizeof(f), MSG_DONTWAIT,
	    (struct sockaddr *)&from, &fl);
	if (n <= 0)
		return 0;
	if (from.sll_pkttype == PACKET_OUTGOING)
		return 1;
	d->n_in++;
	if (!subject(r, f, (size_t)n)) {
		d->n_other++;
		send_frame(d, f, (size_t)n);
		return 1;
	}
	if (chance(r, r->drop)) {
		d->n_drop++;
		return 1;
	}
	if (!d->held.valid && chance(r, r->reorder)) {
		memcpy(d->held.buf, f, (size_t)n);
		d->held.len = (size_t)n;
		d->held.valid = 1;
		d->held.behind = 0;
		clock_gettime(CLOCK_MONOTONIC, &d->held.since);
		return 1;
	}
	if (send_frame(d, f, (size_t)n) == 0) {
		if (chance(r, r->dup) && send_frame(d, f, (size_t)n) == 0)
			d->n_dup++;
		sent_behind(r, d);
	}
	return 1;
}

/* frames the kernel dropped on a socket since the last call (it resets) */
static uint64_t
kernel_drops(int s)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(s, SOL_PACKET, PACKET_STATISTICS, &st, &len) == -1)
		return 0;
	return st.tp_drops;
}

static void
print_counters(struct relay *r)
{
	struct dir *d;
	int i;

	for (i = 0; i < 2; i++) {
		d = &r->d[i];
		d->n_kdrop += kernel_drops(d->in);
		printf("%s in %llu out %llu drop %llu dup %llu reorder %llu "
		    "held %llu other %llu kdrop %llu senderr %llu\n", d->name,
		    (unsigned long long)d->n_in, (unsigned long long)d->n_out,
		    (unsigned long long)d->n_drop, (unsigned long long)d->n_dup,
		    (unsigned long long)d->n_reorder,
		    (unsigned long long)d->n_held,
		    (unsigned long long)d->n_other,
		    (unsigned long long)d->n_kdrop,
		    (unsigned long long)d->n_senderr);
	}
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static struct relay r;
	struct sigaction sa;
	struct pollfd pfd[2];
	int c, i, k;

	r.after = 1;
	r.hold_ms = 50;
	r.proto = -1;
	r.rng = 1;
	while ((c = getopt(argc, argv, "d:u:r:n:p:s:H:")) != -1) {
		switch (c) {
		case 'd': r.drop = (int)number(optarg, 0, 100); break;
		case 'u': r.dup = (int)number(optarg, 0, 100); break;
		case 'r': r.reorder = (int)number(optarg, 0, 100); break;
		case 'n': r.after = number(optarg, 1, 1000); break;
		case 'p': r.proto = (int)number(optarg, 0, 255); break;
		case 's': r.rng = (uint64_t)number(optarg, 1, 0x7fffffff); break;
		case 'H': r.hold_ms = number(optarg, 1, 60000); break;
		default: usage();
		}
	}
	if (argc - optind != 2)
		usage();
	r.d[0].name = "A>B";
	r.d[1].name = "B>A";
	r.d[0].in = r.d[1].out = open_dev(argv[optind]);
	r.d[1].in = r.d[0].out = open_dev(argv[optind + 1]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	printf("ready\n");
	fflush(stdout);

	while (!stop) {
		for (i = 0; i < 2; i++) {
			pfd[i].fd = r.d[i].in;
			pfd[i].events = POLLIN;
		}
		if (poll(pfd, 2, 10) == -1 && errno != EINTR) {
			perror("wire_relay: poll");
			return 1;
		}
		for (i = 0; i < 2; i++) {
			/* a burst at a time, bounded so B>A is not starved */
			for (k = 0; k < 256 && (pfd[i].revents & POLLIN) &&
			    relay_one(&r, &r.d[i]); k++)
				;
			if (r.d[i].held.valid &&
			    ms_since(&r.d[i].held.since) >= r.hold_ms)
				flush_held(&r.d[i]);
		}
		if (report) {
			report = 0;
			print_counters(&r);
		}
	}
	for (i = 0; i < 2; i++)
		flush_held(&r.d[i]);
	print_counters(&r);
	return 0;
}
