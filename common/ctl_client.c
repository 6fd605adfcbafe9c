/*
 * ctl_client.c: blocking control-socket client. Like OpenBSD ospfctl it
 * needs no event loop: one request out, replies read one message at a
 * time under an overall deadline kept with poll() on CLOCK_MONOTONIC.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_msg.h"

#define NO_DEADLINE	INT64_MAX

int
ctl_client_connect(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd, saved_errno;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved_errno = errno;
		close(fd);
		errno = saved_errno;
		return (-1);
	}
	return (fd);
}

/* Block until fd accepts more output (only needed on a non-blocking fd). */
static int
wait_writable(int fd)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLOUT };

	while (poll(&pfd, 1, -1) == -1) {
		if (errno != EINTR)
			return (-1);
	}
	return (0);
}

int
ctl_client_send(int fd, uint32_t type, uint32_t seq, const void *payload,
    size_t plen)
{
	uint8_t	 msg[CTL_MAX_MSG];
	size_t	 len, off;
	ssize_t	 n;

	if ((len = ctl_msg_build(msg, sizeof(msg), type, seq, payload,
	    plen)) == 0) {
		errno = EMSGSIZE;
		return (-1);
	}
	for (off = 0; off < len; off += n) {
		/* MSG_NOSIGNAL: a daemon that went away is an error, not a kill. */
		n = send(fd, msg + off, len - off, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				n = 0;
			else if (errno == EAGAIN && wait_writable(fd) == 0)
				n = 0;
			else
				return (-1);
		}
	}
	return (0);
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * Wait until fd is readable or the deadline passes. POLLHUP and POLLERR
 * count as readable: the read() that follows reports EOF or the error.
 */
static int
wait_readable(int fd, int64_t deadline, const char **why)
{
	struct pollfd	pfd = { .fd = fd, .events = POLLIN };
	int64_t		left;
	int		rv;

	for (;;) {
		left = -1;
		if (deadline != NO_DEADLINE) {
			if ((left = deadline - now_ms()) <= 0)
				break;
			if (left > INT_MAX)
				left = INT_MAX;
		}
		if ((rv = poll(&pfd, 1, (int)left)) > 0)
			return (0);
		if (rv == -1 && errno != EINTR) {
			*why = strerror(errno);
			return (-1);
		}
	}
	errno = ETIMEDOUT;
	*why = "timed out waiting for a reply";
	return (-1);
}

/*
 * Read exactly n bytes unless EOF comes first. Returns the number of
 * bytes read (less than n only at EOF), or -1 with *why set.
 */
static ssize_t
read_full(int fd, void *buf, size_t n, int64_t deadline, const char **why)
{
	uint8_t	*p = buf;
	size_t	 off = 0;
	ssize_t	 r;

	while (off < n) {
		if (wait_readable(fd, deadline, why) == -1)
			return (-1);
		r = read(fd, p + off, n - off);
		if (r == 0)
			break;
		if (r == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			*why = strerror(errno);
			return (-1);
		}
		off += r;
	}
	return (off);
}

static int
recv_fail(const char **why, int err, const char *reason)
{
	errno = err;
	*why = reason;
	return (-1);
}

int
ctl_client_recv(int fd, struct ctl_hdr *hdr, void *payload, int timeout_ms,
    const char **why)
{
	uint8_t		raw[sizeof(struct ctl_hdr)];
	int64_t		deadline = NO_DEADLINE;
	ssize_t		got;
	size_t		plen;

	if (timeout_ms >= 0)
		deadline = now_ms() + timeout_ms;
	if ((got = read_full(fd, raw, sizeof(raw), deadline, why)) <= 0)
		return (got);	/* 0: clean EOF between messages */
	if ((size_t)got < sizeof(raw))
		return (recv_fail(why, EPROTO, "connection closed mid-message"));
	if (ctl_hdr_decode(raw, hdr, why) == -1) {
		errno = EBADMSG;
		return (-1);
	}
	plen = hdr->len - sizeof(raw);
	if ((got = read_full(fd, payload, plen, deadline, why)) == -1)
		return (-1);
	if ((size_t)got < plen)
		return (recv_fail(why, EPROTO, "connection closed mid-message"));
	if (ctl_msg_check(hdr, payload, why) == -1) {
		errno = EBADMSG;
		return (-1);
	}
	return (1);
}
