/*
 * ctl_hold.c: a control-socket client for the netns tests, for what
 * carpctl cannot do from a shell script. Built from common/ctl_client.c
 * and common/ctl_msg.c only, as any companion daemon (syncd) would be.
 *
 *   ctl_hold SOCKET GROUP VALUE
 *	Hold a demotion of VALUE on GROUP (CTL_DEMOTE_HOLD) for as long as
 *	this process lives. Prints "held GROUP VALUE" once carpd accepted
 *	it, then stays connected, reading and discarding, until killed
 *	(exit 2 if carpd closes the connection first).
 *   ctl_hold -x SOCKET HEX...
 *	Send each HEX string as raw bytes on one connection; after each,
 *	print every reply as its type name (ERROR with its code name) until
 *	END, ERROR, EOF ("EOF") or 1 s of silence ("TIMEOUT"). Garbage in,
 *	carpd's reaction out.
 *   ctl_hold -n SOCKET COUNT
 *	Send COUNT STATUS requests and never read a reply; prints "sent
 *	COUNT" and then stays connected until killed.
 *   ctl_hold -w SOCKET
 *	Subscribe to syncd's frame stream (SYNC_WATCH) with the smallest
 *	receive buffer, read up to its END, print "watching", then never
 *	read again: the subscriber that cannot keep up. Stays connected
 *	until killed.
 *   ctl_hold -t SOCKET STOPFILE [GAP_MS [status|sync [SAMPLES]]]
 *	Until STOPFILE exists: connect, STATUS (SYNC_STATUS with "sync":
 *	syncd's), read up to END, close, wait GAP_MS (default 0); then
 *	print "N queries, max US us, median US us" (round trips, connect
 *	included). The daemon's own latency, without carpctl's process
 *	start. SAMPLES gets every round trip, "MS START_S" (its length, its
 *	start on the wall clock), the format of lib.sh's lat_start.
 *   ctl_hold -c SOCKET [DEFER_MS]
 *	Be a syncd with `defer yes` for carpd: HELLO named "syncd", then
 *	CTL_SYNC_CAPS with CTL_SYNC_CAP_DEFER and DEFER_MS (default 50), then
 *	a STATUS whose END proves carpd has read the caps (it does not answer
 *	them); prints "caps defer DEFER_MS" and stays connected until killed
 *	(exit 2 if carpd closes the connection first).
 *   ctl_hold -r SOCKET
 *	CTL_RELOAD; prints "END", or "ERROR CODE: TEXT" with carpd's reason
 *	(carpctl has no reload verb; SIGHUP answers nobody).
 *   ctl_hold -b KIND SOCKET N
 *	N bad clients at once, none of which ever reads: N connections,
 *	then on each, by KIND:
 *	  flood      STATUS requests, as fast as the socket takes them
 *	  syncflood  SYNC_STATUS requests (syncd's), the same way
 *	  subscribe  one SUBSCRIBE (carpd's events), smallest receive buffer
 *	  watch      one SYNC_WATCH (syncd's frames), smallest receive buffer
 *	  garbage    4 KiB of random bytes whose first header says a length
 *	             below the header's own (a random 0..15)
 *	  hugelen    a STATUS header whose length is a random value above
 *	             CTL_MAX_MSG, and nothing after it
 *	Prints "connected N" once every connection has its first bytes in,
 *	for the floods "flooded: hung up K of N" once each connection was
 *	hung up on or sent FLOOD_MAX requests, and on SIGTERM "hung up K of
 *	N" (connections the daemon closed) before it exits 0. The daemon's
 *	replies are never read: it is the daemon's job to let go of them.
 *
 * Exit 0 on success, 1 on an error (message on stderr), 2 on a usage
 * error or when carpd went away while holding.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_msg.h"
#include "ctl_proto.h"

#define REPLY_TIMEOUT_MS	5000
#define DRAIN_TIMEOUT_MS	1000
#define FLOOD_MAX		200000	/* requests per flooding connection */
#define BAD_MAX			1000	/* connections of one -b */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ctl_hold SOCKET GROUP VALUE\n"
	    "       ctl_hold -x SOCKET HEX...\n"
	    "       ctl_hold -n SOCKET COUNT\n"
	    "       ctl_hold -w SOCKET\n"
	    "       ctl_hold -t SOCKET STOPFILE [GAP_MS [status|sync [SAMPLES]]]\n"
	    "       ctl_hold -c SOCKET [DEFER_MS]\n"
	    "       ctl_hold -r SOCKET\n"
	    "       ctl_hold -b flood|syncflood|subscribe|watch|garbage|hugelen "
	    "SOCKET N\n");
	exit(2);
}

static int
connect_or_die(const char *path)
{
	int fd;

	if ((fd = ctl_client_connect(path)) == -1) {
		fprintf(stderr, "ctl_hold: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
}

/* Block until carpd closes the connection; anything it sends is dropped. */
static int
stay_connected(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	for (;;) {
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN)) {
			fprintf(stderr, "ctl_hold: carpd closed the "
			    "connection\n");
			return 2;
		}
	}
}

static int
cmd_hold(const char *path, const char *group, const char *value)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_demote d;
	struct ctl_error e;
	struct ctl_hdr h;
	const char *why = "connection closed";
	int fd;

	memset(&d, 0, sizeof(d));
	if (ctl_strlcpy(d.group, group, sizeof(d.group)) == -1)
		usage();
	d.value = (int32_t)number(value, -1000, 1000);
	ctl_strlcpy(d.reason, "ctl_hold", sizeof(d.reason));
	fd = connect_or_die(path);
	if (ctl_client_send(fd, CTL_DEMOTE_HOLD, 1, &d, sizeof(d)) == -1) {
		fprintf(stderr, "ctl_hold: send: %s\n", strerror(errno));
		return 1;
	}
	if (ctl_client_recv(fd, &h, p, REPLY_TIMEOUT_MS, &why) != 1) {
		fprintf(stderr, "ctl_hold: %s\n", why);
		return 1;
	}
	if (h.type == CTL_ERROR) {
		memcpy(&e, p, sizeof(e));
		fprintf(stderr, "ctl_hold: refused: %s\n", e.text);
		return 1;
	}
	if (h.type != CTL_END) {
		fprintf(stderr, "ctl_hold: unexpected reply %s\n",
		    ctl_type_name(h.type));
		return 1;
	}
	printf("held %s %d\n", d.group, (int)d.value);
	fflush(stdout);
	return stay_connected(fd);
}

/* Replies until the one of type want; 0, or -1 (message printed). */
static int
expect_reply(int fd, uint32_t want)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	const char *why = "connection closed";

	do {
		if (ctl_client_recv(fd, &h, p, REPLY_TIMEOUT_MS, &why) != 1) {
			fprintf(stderr, "ctl_hold: %s\n", why);
			return -1;
		}
		if (h.type == CTL_ERROR) {
			fprintf(stderr, "ctl_hold: refused\n");
			return -1;
		}
	} while (h.type != want);
	return 0;
}

/* -c: what syncd with `defer yes` tells carpd on every connect. */
static int
cmd_caps(const char *path, const char *defer_ms)
{
	struct ctl_hello hello;
	struct ctl_sync_caps caps;
	int fd;

	memset(&hello, 0, sizeof(hello));
	hello.version = CTL_VERSION;
	hello.pid = (uint32_t)getpid();
	ctl_strlcpy(hello.name, "syncd", sizeof(hello.name));
	memset(&caps, 0, sizeof(caps));
	caps.flags = CTL_SYNC_CAP_DEFER;
	caps.defer_ms = (uint32_t)(defer_ms != NULL ?
	    number(defer_ms, 0, 60000) : 50);
	fd = connect_or_die(path);
	if (ctl_client_send(fd, CTL_HELLO, 1, &hello, sizeof(hello)) == -1 ||
	    expect_reply(fd, CTL_HELLO) == -1 ||
	    ctl_client_send(fd, CTL_SYNC_CAPS, 2, &caps, sizeof(caps)) == -1 ||
	    ctl_client_send(fd, CTL_STATUS, 3, NULL, 0) == -1 ||
	    expect_reply(fd, CTL_END) == -1) {
		fprintf(stderr, "ctl_hold: caps not delivered\n");
		return 1;
	}
	printf("caps defer %u\n", caps.defer_ms);
	fflush(stdout);
	return stay_connected(fd);
}

/* -r: one CTL_RELOAD and its answer, with the error's text. */
static int
cmd_reload(const char *path)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_error e;
	struct ctl_hdr h;
	const char *why = "connection closed";
	int fd;

	fd = connect_or_die(path);
	if (ctl_client_send(fd, CTL_RELOAD, 1, NULL, 0) == -1 ||
	    ctl_client_recv(fd, &h, p, REPLY_TIMEOUT_MS, &why) != 1) {
		fprintf(stderr, "ctl_hold: reload: %s\n", why);
		return 1;
	}
	if (h.type == CTL_ERROR) {
		memcpy(&e, p, sizeof(e));
		printf("ERROR %s: %s\n", ctl_err_name(e.code), e.text);
	} else
		printf("%s\n", ctl_type_name(h.type));
	close(fd);
	return 0;
}

/* "0a0B..." -> bytes; -1 on an odd length or a non-hex digit. */
static ssize_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t i, n = strlen(s);
	unsigned int b;

	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	return (ssize_t)(n / 2);
}

/* Print replies until a reply stream ends, the peer closes, or silence. */
static void
drain(int fd)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_error e;
	struct ctl_hdr h;
	const char *why = "";
	int rc;

	for (;;) {
		rc = ctl_client_recv(fd, &h, p, DRAIN_TIMEOUT_MS, &why);
		if (rc == 0) {
			printf("EOF\n");
			return;
		}
		if (rc == -1) {
			printf(errno == ETIMEDOUT ? "TIMEOUT\n" : "BAD %s\n",
			    why);
			return;
		}
		if (h.type == CTL_ERROR) {
			memcpy(&e, p, sizeof(e));
			printf("ERROR %s\n", ctl_err_name(e.code));
			return;
		}
		printf("%s\n", ctl_type_name(h.type));
		if (h.type == CTL_END)
			return;
	}
}

static int
cmd_raw(const char *path, int n, char **hex)
{
	uint8_t buf[CTL_MAX_MSG * 2];
	ssize_t len;
	int fd, i;

	fd = connect_or_die(path);
	for (i = 0; i < n; i++) {
		if ((len = unhex(hex[i], buf, sizeof(buf))) < 0)
			usage();
		if (send(fd, buf, (size_t)len, MSG_NOSIGNAL) != len) {
			printf("EOF\n");	/* carpd closed before we wrote */
			break;
		}
		drain(fd);
	}
	fflush(stdout);
	close(fd);
	return 0;
}

static int
cmd_noread(const char *path, const char *count)
{
	long i, n = number(count, 1, 100000000);
	int fd;

	fd = connect_or_die(path);
	for (i = 0; i < n; i++)
		if (ctl_client_send(fd, CTL_STATUS, (uint32_t)i, NULL, 0)
		    == -1) {
			fprintf(stderr, "ctl_hold: send: %s\n",
			    strerror(errno));
			return 1;
		}
	printf("sent %ld\n", n);
	fflush(stdout);
	for (;;)
		pause();
}

static int
cmd_watch_noread(const char *path)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	const char *why = "connection closed";
	int fd, size = 1;

	fd = connect_or_die(path);
	/* the kernel rounds it up to its minimum: frames pile up in syncd */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (ctl_client_send(fd, CTL_SYNC_WATCH, 1, NULL, 0) == -1) {
		fprintf(stderr, "ctl_hold: send: %s\n", strerror(errno));
		return 1;
	}
	do {
		if (ctl_client_recv(fd, &h, p, REPLY_TIMEOUT_MS, &why) != 1 ||
		    h.type == CTL_ERROR) {
			fprintf(stderr, "ctl_hold: watch refused: %s\n", why);
			return 1;
		}
	} while (h.type != CTL_END);
	printf("watching\n");
	fflush(stdout);
	for (;;)
		pause();
}

static long
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One STATUS round trip on a new connection; 0 when END came back. */
static int
status_once(const char *path, uint32_t type)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	const char *why = "";
	int fd, rc;

	if ((fd = ctl_client_connect(path)) == -1)
		return -1;
	rc = ctl_client_send(fd, type, 1, NULL, 0);
	while (rc == 0) {
		if (ctl_client_recv(fd, &h, p, REPLY_TIMEOUT_MS, &why) != 1)
			rc = -1;
		else if (h.type == CTL_END)
			break;
		else if (h.type == CTL_ERROR)
			rc = -1;
	}
	close(fd);
	return rc;
}

static int
cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmd_latency(const char *path, const char *stopfile, const char *gap,
    const char *kind, const char *samples)
{
	struct timespec ts = { 0, 0 };
	uint32_t type = CTL_STATUS;
	long n = 0, cap = 0, t, *us = NULL, *more;
	FILE *sf = NULL;
	double start;

	if (gap != NULL) {
		t = number(gap, 0, 10000);
		ts.tv_sec = t / 1000;
		ts.tv_nsec = t % 1000 * 1000000;
	}
	if (kind != NULL && strcmp(kind, "sync") == 0)
		type = CTL_SYNC_STATUS;
	else if (kind != NULL && strcmp(kind, "status") != 0)
		usage();
	if (samples != NULL && (sf = fopen(samples, "w")) == NULL) {
		perror(samples);
		return 1;
	}
	while (access(stopfile, F_OK) == -1) {
		start = wall_s();
		t = now_us();
		if (status_once(path, type) == -1) {
			fprintf(stderr, "ctl_hold: status query %ld failed\n",
			    n + 1);
			free(us);
			if (sf != NULL)
				fclose(sf);
			return 1;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((more = realloc(us, (size_t)cap * sizeof(*us))) == NULL)
				return 1;
			us = more;
		}
		us[n++] = now_us() - t;
		if (sf != NULL)
			fprintf(sf, "%.3f %.6f\n", us[n - 1] / 1e3, start);
		if (ts.tv_sec > 0 || ts.tv_nsec > 0)
			nanosleep(&ts, NULL);
	}
	if (n > 0)
		qsort(us, (size_t)n, sizeof(*us), cmp_long);
	printf("%ld queries, max %ld us, median %ld us\n", n,
	    n > 0 ? us[n - 1] : 0, n > 0 ? us[(n - 1) / 2] : 0);
	free(us);
	if (sf != NULL)
		fclose(sf);
	return 0;
}

/* ---- -b: many bad clients ---------------------------------------------- */

enum bad_kind {
	BAD_FLOOD, BAD_SYNCFLOOD, BAD_SUBSCRIBE, BAD_WATCH, BAD_GARBAGE,
	BAD_HUGELEN
};

static const char *const bad_names[] = {
	"flood", "syncflood", "subscribe", "watch", "garbage", "hugelen"
};

struct bad_conn {
	int	fd;
	int	hung_up;	/* the daemon closed it */
	long	sent;		/* flood bytes sent: whole requests and a part */
};

#define HDR	sizeof(struct ctl_hdr)
#define FLOOD_BYTES	((long)FLOOD_MAX * (long)HDR)

static volatile sig_atomic_t bad_stop;

static void
bad_on_term(int sig)
{
	(void)sig;
	bad_stop = 1;
}

static void
random_bytes(void *p, size_t n)
{
	if (getrandom(p, n, 0) != (ssize_t)n)
		memset(p, 0x5a, n);
}

static void
put_hdr(uint8_t *b, uint32_t type, uint32_t len, uint32_t seq)
{
	struct ctl_hdr h = { .type = type, .len = len, .seq = seq };

	memcpy(b, &h, sizeof(h));
}

/* What a KIND sends once, into b; its length (0: nothing). */
static size_t
bad_first(enum bad_kind k, uint8_t *b, size_t cap)
{
	uint32_t r;

	random_bytes(&r, sizeof(r));
	switch (k) {
	case BAD_SUBSCRIBE:
		put_hdr(b, CTL_SUBSCRIBE, sizeof(struct ctl_hdr), 1);
		return sizeof(struct ctl_hdr);
	case BAD_WATCH:
		put_hdr(b, CTL_SYNC_WATCH, sizeof(struct ctl_hdr), 1);
		return sizeof(struct ctl_hdr);
	case BAD_GARBAGE:
		if (cap < 4096)
			return 0;
		random_bytes(b, 4096);
		r %= sizeof(struct ctl_hdr);	/* below the header: unusable */
		memcpy(b + offsetof(struct ctl_hdr, len), &r, sizeof(r));
		return 4096;
	case BAD_HUGELEN:
		put_hdr(b, CTL_STATUS, CTL_MAX_MSG + 1 +
		    r % (UINT32_MAX - CTL_MAX_MSG), 1);
		return sizeof(struct ctl_hdr);
	default:
		return 0;
	}
}

/*
 * Send what fits of a request flood now; 1 when the daemon hung up. A
 * send may take part of a request: the next one goes on from that byte,
 * so the daemon sees a clean stream of requests, nothing else.
 */
static int
bad_flood(enum bad_kind k, struct bad_conn *c)
{
	uint8_t b[64 * HDR];
	uint32_t type = k == BAD_FLOOD ? CTL_STATUS : CTL_SYNC_STATUS;
	size_t i, skip;
	ssize_t n;

	while (c->sent < FLOOD_BYTES) {
		for (i = 0; i < 64; i++)
			put_hdr(b + i * HDR, type, HDR,
			    (uint32_t)(c->sent / (long)HDR + (long)i));
		skip = (size_t)(c->sent % (long)HDR);
		n = send(c->fd, b + skip, sizeof(b) - skip,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1)
			return errno != EAGAIN && errno != EINTR;
		c->sent += n;
		if ((size_t)n < sizeof(b) - skip)
			return 0;
	}
	return 0;
}

static int
bad_kind_arg(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		if (strcmp(s, bad_names[i]) == 0)
			return (int)i;
	usage();
	return -1;
}

static void
bad_connect(enum bad_kind k, const char *path, struct bad_conn *c)
{
	uint8_t b[4096];
	size_t len;
	int size = 1;

	c->fd = connect_or_die(path);
	/* the kernel rounds it up to its minimum: replies pile up in the
	 * daemon, not in our socket */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if ((len = bad_first(k, b, sizeof(b))) > 0 &&
	    send(c->fd, b, len, MSG_NOSIGNAL) == -1 && errno != EPIPE &&
	    errno != ECONNRESET) {
		fprintf(stderr, "ctl_hold: send: %s\n", strerror(errno));
		exit(1);
	}
	(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
}

/* One poll round: hang-ups seen, floods fed; the number hung up on. */
static int
bad_round(enum bad_kind k, struct bad_conn *c, int n, struct pollfd *pfd)
{
	int flood = k == BAD_FLOOD || k == BAD_SYNCFLOOD, i, down = 0;

	for (i = 0; i < n; i++) {
		pfd[i].fd = c[i].hung_up ? -1 : c[i].fd;
		pfd[i].events = POLLRDHUP |
		    (flood && c[i].sent < FLOOD_BYTES ? POLLOUT : 0);
		pfd[i].revents = 0;
	}
	if (poll(pfd, (nfds_t)n, 100) == -1 && errno != EINTR) {
		perror("ctl_hold: poll");
		exit(1);
	}
	for (i = 0; i < n; i++) {
		if (!c[i].hung_up && (pfd[i].revents &
		    (POLLRDHUP | POLLHUP | POLLERR)))
			c[i].hung_up = 1;
		else if (!c[i].hung_up && (pfd[i].revents & POLLOUT) &&
		    bad_flood(k, &c[i]))
			c[i].hung_up = 1;
		down += c[i].hung_up;
	}
	return down;
}

static int
cmd_bad(const char *kind, const char *path, const char *count)
{
	enum bad_kind k = (enum bad_kind)bad_kind_arg(kind);
	int n = (int)number(count, 1, BAD_MAX), i, down = 0, told = 0;
	struct bad_conn *c = calloc((size_t)n, sizeof(*c));
	struct pollfd *pfd = calloc((size_t)n, sizeof(*pfd));
	struct sigaction sa;

	if (c == NULL || pfd == NULL)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bad_on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (i = 0; i < n; i++)
		bad_connect(k, path, &c[i]);
	printf("connected %d\n", n);
	fflush(stdout);
	while (!bad_stop) {
		down = bad_round(k, c, n, pfd);
		if ((k == BAD_FLOOD || k == BAD_SYNCFLOOD) && !told) {
			for (i = 0; i < n && (c[i].hung_up ||
			    c[i].sent >= FLOOD_BYTES); i++)
				;
			if (i == n) {
				printf("flooded: hung up %d of %d\n", down, n);
				fflush(stdout);
				told = 1;
			}
		}
	}
	printf("hung up %d of %d\n", down, n);
	/* before exit: a sanitizer's leak report must not cut the line */
	fflush(stdout);
	for (i = 0; i < n; i++)
		close(c[i].fd);
	free(c);
	free(pfd);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc >= 4 && strcmp(argv[1], "-x") == 0)
		return cmd_raw(argv[2], argc - 3, argv + 3);
	if (argc == 4 && strcmp(argv[1], "-n") == 0)
		return cmd_noread(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "-w") == 0)
		return cmd_watch_noread(argv[2]);
	if (argc >= 4 && argc <= 7 && strcmp(argv[1], "-t") == 0)
		return cmd_latency(argv[2], argv[3], argc > 4 ? argv[4] : NULL,
		    argc > 5 ? argv[5] : NULL, argc > 6 ? argv[6] : NULL);
	if (argc == 3 && strcmp(argv[1], "-r") == 0)
		return cmd_reload(argv[2]);
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "-c") == 0)
		return cmd_caps(argv[2], argc == 4 ? argv[3] : NULL);
	if (argc == 5 && strcmp(argv[1], "-b") == 0)
		return cmd_bad(argv[2], argv[3], argv[4]);
	if (argc == 4 && argv[1][0] != '-')
		return cmd_hold(argv[1], argv[2], argv[3]);
	usage();
	return 2;
}
