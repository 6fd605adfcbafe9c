/*
 * sync_net_driver.c: a command-line front to syncd/sync_net.c and the
 * watch tap of syncd/sync_link.c for tests/netns/test_sync_net.sh. Results on stdout
 * (line-buffered), the modules' log lines and "ready" notes on stderr.
 * Exit 0 on success, 1 when the module failed, 2 on a usage error.
 *
 *   send [-t TTL] [-s BYTES] DEV PEER|- COUNT
 *	COUNT test frames through sync_net_send (PEER "-" = the group
 *	224.0.0.240), each a real frame built with sync_wire.c: node id
 *	0x5ca1ab1e, epoch 1, sequence 1..COUNT, one CLR, signed with the test
 *	key 00 01 .. 1f. -t TTL sends them instead from a raw socket of the
 *	driver's own with that TTL / hop limit (to provoke badttl); -s BYTES
 *	sends BYTES zero bytes (not a frame) to probe the size limit.
 *   recv DEV PEER|- SECONDS
 *	one line per datagram for SECONDS: "VERDICT SRC len=N seq=S check=C"
 *	(C: ok or the sync_frame_check drop name; seq only when ok).
 *   maxframe DEV PEER|-
 *	prints sync_net_max_frame.
 *   tap [-d] NAME SECONDS
 *	opens the watch tap NAME and copies a test frame (192.0.2.1 ->
 *	224.0.0.240) every 100 ms for SECONDS, then prints "copies N";
 *	-d deletes the link at the end.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sync_link.h"
#include "sync_net.h"
#include "sync_pkt.h"
#include "sync_wire.h"

#define TEST_NODE	0x5ca1ab1eu

static const uint8_t test_key[SYNC_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

static const char *const verdict_names[] = {
	[SYNC_RX_OK] = "OK", [SYNC_RX_NONE] = "NONE",
	[SYNC_RX_BADIF] = "BADIF", [SYNC_RX_BADTTL] = "BADTTL",
	[SYNC_RX_SHORT] = "SHORT", [SYNC_RX_ERROR] = "ERROR",
};

static void
usage(void)
{
	fprintf(stderr, "usage: sync_net_driver send [-t TTL] [-s BYTES] "
	    "DEV PEER|- COUNT\n"
	    "       sync_net_driver recv DEV PEER|- SECONDS\n"
	    "       sync_net_driver maxframe DEV PEER|-\n"
	    "       sync_net_driver tap [-d] NAME SECONDS\n");
	exit(2);
}

static long
num_arg(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || v < min || v > max) {
		fprintf(stderr, "sync_net_driver: bad number %s\n", s);
		exit(2);
	}
	return v;
}

/* "-" -> 0 (the group), else AF_INET / AF_INET6 and peer filled. */
static int
peer_arg(const char *s, uint8_t peer[16])
{
	memset(peer, 0, 16);
	if (strcmp(s, "-") == 0)
		return 0;
	if (inet_pton(AF_INET, s, peer) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, s, peer) == 1)
		return AF_INET6;
	fprintf(stderr, "sync_net_driver: bad peer %s\n", s);
	exit(2);
}

static struct sync_net *
open_net(const char *dev, const char *peer_s)
{
	struct sync_net	*n;
	uint8_t		 peer[16];
	int		 af;

	af = peer_arg(peer_s, peer);
	if ((n = sync_net_open(dev, af, peer)) == NULL)
		exit(1);
	return n;
}

static size_t
test_frame(uint8_t *buf, size_t cap, uint32_t seq)
{
	struct sync_fb	 fb;
	struct sync_hdr	 h;
	struct sync_msg	 m;

	memset(&h, 0, sizeof(h));
	h.node_id = TEST_NODE;
	h.epoch = 1;
	h.seq = seq;
	memset(&m, 0, sizeof(m));
	m.action = SYNC_A_CLR;
	m.u.clr.creatorid = TEST_NODE;
	sync_fb_init(&fb, buf, cap, &h);
	if (sync_fb_add(&fb, &m) == -1) {
		fprintf(stderr, "sync_net_driver: frame builder refused\n");
		exit(1);
	}
	return sync_fb_finish(&fb, test_key);
}

static uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- send with a TTL of our choosing --------------------------------- */

static int
ttl_socket(const char *dev, int af, int ttl)
{
	unsigned int	 idx = if_nametoindex(dev);
	struct ip_mreqn	 mr;
	int		 fd, rc;

	if (af == 0)
		af = AF_INET;	/* the group */
	if ((fd = socket(af, SOCK_RAW, SYNC_PROTO)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev,
	    strlen(dev) + 1) == -1) {
		perror("sync_net_driver: raw socket");
		exit(1);
	}
	if (af == AF_INET6)
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl,
		    sizeof(ttl));
	else {
		memset(&mr, 0, sizeof(mr));
		mr.imr_ifindex = (int)idx;
		rc = setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		if (rc == 0)
			rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl,
			    sizeof(ttl));
		if (rc == 0)
			rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr,
			    sizeof(mr));
	}
	if (rc == -1) {
		perror("sync_net_driver: TTL");
		exit(1);
	}
	return fd;
}

static int
ttl_send(int fd, int af, const uint8_t peer[16], const uint8_t *b, size_t n)
{
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;

	if (af == AF_INET6) {
		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		memcpy(&s6.sin6_addr, peer, 16);
		return sendto(fd, b, n, 0, (struct sockaddr *)&s6,
		    sizeof(s6)) == (ssize_t)n ? 0 : -1;
	}
	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	if (af == AF_INET)
		memcpy(&s4.sin_addr, peer, 4);
	else
		inet_pton(AF_INET, SYNC_GROUP_V4, &s4.sin_addr);
	return sendto(fd, b, n, 0, (struct sockaddr *)&s4,
	    sizeof(s4)) == (ssize_t)n ? 0 : -1;
}

/* ---- commands ---------------------------------------------------------- */

/* The frame for send number i: a real frame, or size zero bytes. */
static size_t
send_payload(uint8_t *buf, size_t cap, long size, long i)
{
	if (size == -1)
		return test_frame(buf, cap, (uint32_t)i + 1);
	memset(buf, 0, (size_t)size);
	return (size_t)size;
}

static int
cmd_send(int argc, char **argv)
{
	static uint8_t	 buf[65536];
	struct sync_net	*n = NULL;
	uint8_t		 peer[16];
	long		 i, count, ttl = -1, size = -1;
	int		 ch, af, fd = -1, rc;
	size_t		 len;

	while ((ch = getopt(argc, argv, "t:s:")) != -1) {
		if (ch == 't')
			ttl = num_arg(optarg, 1, 255);
		else if (ch == 's')
			size = num_arg(optarg, 1, (long)sizeof(buf));
		else
			usage();
	}
	if (argc - optind != 3)
		usage();
	af = peer_arg(argv[optind + 1], peer);
	count = num_arg(argv[optind + 2], 1, 1000000);
	if (ttl != -1)
		fd = ttl_socket(argv[optind], af, (int)ttl);
	else
		n = open_net(argv[optind], argv[optind + 1]);
	for (i = 0, rc = 0; i < count && rc == 0; i++) {
		len = send_payload(buf, sizeof(buf), size, i);
		rc = n != NULL ? sync_net_send(n, buf, len) :
		    ttl_send(fd, af, peer, buf, len);
	}
	if (rc == -1)
		printf("send %ld: %s\n", i, strerror(errno));
	else
		printf("sent %ld\n", count);
	sync_net_close(n);
	if (fd != -1)
		close(fd);
	return rc == -1;
}

static void
print_rx(enum sync_rx_verdict v, const struct sync_rx *rx)
{
	char		 src[INET6_ADDRSTRLEN];
	struct sync_hdr	 h;
	enum sync_drop	 d = SYNC_DROP_HDROPS;

	if (inet_ntop(rx->af == AF_INET6 ? AF_INET6 : AF_INET, rx->src, src,
	    sizeof(src)) == NULL)
		strcpy(src, "?");
	printf("%s %s len=%zu", verdict_names[v], src, rx->len);
	if (rx->frame != NULL)
		d = sync_frame_check(rx->frame, rx->len, test_key, &h);
	if (d == SYNC_OK)
		printf(" seq=%u check=ok\n", h.seq);
	else
		printf(" check=%s\n", sync_drop_names[d]);
}

/* Read one fd until it has nothing more. */
static void
drain(struct sync_net *n, int fd)
{
	static uint8_t		 buf[SYNC_MAX_FRAME + 128];
	struct sync_rx		 rx;
	enum sync_rx_verdict	 v;

	for (;;) {
		v = sync_net_recv(n, fd, buf, sizeof(buf), &rx);
		if (v == SYNC_RX_NONE || v == SYNC_RX_ERROR)
			return;
		print_rx(v, &rx);
	}
}

static int
cmd_recv(int argc, char **argv)
{
	struct sync_net	*n;
	struct pollfd	 pfd[2];
	uint64_t	 end, now;
	int		 i, nfds = 0;

	if (argc != 4)
		usage();
	n = open_net(argv[1], argv[2]);
	end = now_ms() + (uint64_t)num_arg(argv[3], 0, 3600) * 1000;
	pfd[nfds++].fd = sync_net_fd4(n);
	if (sync_net_fd6(n) != -1)
		pfd[nfds++].fd = sync_net_fd6(n);
	fprintf(stderr, "sync_net_driver: listening on %s\n", argv[1]);
	while ((now = now_ms()) < end) {
		for (i = 0; i < nfds; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, (nfds_t)nfds, (int)(end - now)) == -1 &&
		    errno != EINTR) {
			perror("sync_net_driver: poll");
			return 1;
		}
		for (i = 0; i < nfds; i++)
			if (pfd[i].revents & (POLLIN | POLLERR))
				drain(n, pfd[i].fd);
	}
	sync_net_close(n);
	return 0;
}

static int
cmd_maxframe(int argc, char **argv)
{
	struct sync_net	*n;

	if (argc != 3)
		usage();
	n = open_net(argv[1], argv[2]);
	printf("%zu\n", sync_net_max_frame(n));
	sync_net_close(n);
	return 0;
}

static int
cmd_tap(int argc, char **argv)
{
	static const struct sync_pkt_addr a = { AF_INET, { 192, 0, 2, 1 },
	    { 224, 0, 0, 240 } };
	struct timespec		 tick = { 0, 100 * 1000 * 1000 };
	struct sync_tap		*t;
	uint8_t			 buf[256];
	uint64_t		 end;
	uint32_t		 copies = 0;
	int			 ch, del = 0;
	size_t			 len;

	while ((ch = getopt(argc, argv, "d")) != -1) {
		if (ch != 'd')
			usage();
		del = 1;
	}
	if (argc - optind != 2)
		usage();
	end = now_ms() + (uint64_t)num_arg(argv[optind + 1], 0, 3600) * 1000;
	if ((t = sync_tap_open(argv[optind])) == NULL)
		return 1;
	fprintf(stderr, "sync_net_driver: tap %s open\n", argv[optind]);
	while (now_ms() < end) {
		len = test_frame(buf, sizeof(buf), ++copies);
		sync_tap_copy(t, &a, buf, len);
		nanosleep(&tick, NULL);
	}
	sync_tap_close(t, del);
	printf("copies %u\n", copies);
	return 0;
}

int
main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("sync_net_driver", 1, LOG_DAEMON);
	log_setlevel(LOG_DEBUG);
	if (argc < 2)
		usage();
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(argc - 1, argv + 1);
	if (strcmp(argv[1], "recv") == 0)
		return cmd_recv(argc - 1, argv + 1);
	if (strcmp(argv[1], "maxframe") == 0)
		return cmd_maxframe(argc - 1, argv + 1);
	if (strcmp(argv[1], "tap") == 0)
		return cmd_tap(argc - 1, argv + 1);
	usage();
}
