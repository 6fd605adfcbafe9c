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
 *   ctl_hold -t SOCKET STOPFILE
 *	Until STOPFILE exists: connect, STATUS, read up to END, close; then
 *	print "N queries, max US us" (the slowest round trip, connect
 *	included). carpd's own latency, without carpctl's process start.
 *
 * Exit 0 on success, 1 on an error (message on stderr), 2 on a usage
 * error or when carpd went away while holding.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
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

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ctl_hold SOCKET GROUP VALUE\n"
	    "       ctl_hold -x SOCKET HEX...\n"
	    "       ctl_hold -n SOCKET COUNT\n"
	    "       ctl_hold -w SOCKET\n"
	    "       ctl_hold -t SOCKET STOPFILE\n");
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
status_once(const char *path)
{
	_Alignas(8) uint8_t p[CTL_MAX_MSG];
	struct ctl_hdr h;
	const char *why = "";
	int fd, rc;

	if ((fd = ctl_client_connect(path)) == -1)
		return -1;
	rc = ctl_client_send(fd, CTL_STATUS, 1, NULL, 0);
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
cmd_latency(const char *path, const char *stopfile)
{
	long n = 0, t, max = 0;

	while (access(stopfile, F_OK) == -1) {
		t = now_us();
		if (status_once(path) == -1) {
			fprintf(stderr, "ctl_hold: status query %ld failed\n",
			    n + 1);
			return 1;
		}
		if ((t = now_us() - t) > max)
			max = t;
		n++;
	}
	printf("%ld queries, max %ld us\n", n, max);
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
	if (argc == 4 && strcmp(argv[1], "-t") == 0)
		return cmd_latency(argv[2], argv[3]);
	if (argc == 4 && argv[1][0] != '-')
		return cmd_hold(argv[1], argv[2], argv[3]);
	usage();
	return 2;
}
