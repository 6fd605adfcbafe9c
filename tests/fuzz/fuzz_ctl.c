/*
 * fuzz_ctl.c: libFuzzer target for the control protocol (common/ctl_msg.c)
 * in both directions.
 *
 * Input: byte 0 says how many chunk-size bytes follow (0..7, taken mod 8);
 * the rest is a byte stream on a control connection.
 *
 *   Requests, as carpd and syncd read them (carpd/control.c and
 *   syncd/sync_ctl.c conn_read_cb, over a libevent evbuffer): the stream
 *   arrives in chunks whose sizes cycle through the chunk-size bytes
 *   (1..256 each; none: all at once), and after each chunk every complete
 *   message is taken: ctl_hdr_decode (a bad length closes the
 *   connection), then ctl_msg_check (a bad payload gets CTL_E_BADMSG and
 *   the next message is read).
 *   Replies, as carpctl reads them: the stream is written into a socket
 *   pair and read back with ctl_client_recv (common/ctl_client.c), which
 *   stops at the first bad message; a SYNC_FRAME becomes an IP packet as
 *   `carpctl sync dump` makes it (sync_pkt_ip).
 *
 * Checks: both readers see the same messages with the same verdicts
 * (the reply reader stops where the request reader first refuses); a
 * message that passes has a length in range, terminated strings, and
 * rebuilt with ctl_msg_build decodes and checks to the same header
 * (flags zeroed) and payload. Nothing here logs.
 *
 * Seeds: tests/fuzz/corpus/fuzz_ctl, written by gen_ctl_corpus.c.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_msg.h"
#include "ctl_proto.h"
#include "sync_pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define HDRLEN		sizeof(struct ctl_hdr)
#define MAX_STREAM	(4 * CTL_MAX_MSG)	/* fits a socket buffer at once */
#define MAX_EVENTS	(MAX_STREAM / HDRLEN + 1)

/* What the request reader made of one message. */
enum verdict { V_OK, V_BADMSG, V_CLOSE };

struct event {
	enum verdict	 v;
	size_t		 off;		/* in the stream */
	size_t		 len;		/* header + payload; V_CLOSE: 0 */
};

struct events {
	struct event	 e[MAX_EVENTS];
	size_t		 n;
	size_t		 pending;	/* bytes left unread at the end */
	int		 closed;
};

#define CHECK(c)	do { if (!(c)) __builtin_trap(); } while (0)

/* A string field of a payload that ctl_msg_check passed is terminated. */
#define TERMINATED(p, st, m)						\
	CHECK(memchr((const uint8_t *)(p) + offsetof(struct st, m), '\0', \
	    sizeof(((struct st *)0)->m)) != NULL)

/* The fields carpctl and the daemons read as C strings. */
static void
check_strings(uint32_t type, const uint8_t *p)
{
	switch (type) {
	case CTL_HELLO:
		TERMINATED(p, ctl_hello, name);
		break;
	case CTL_ERROR:
		TERMINATED(p, ctl_error, text);
		break;
	case CTL_VHOST:
		TERMINATED(p, ctl_vhost, ifname);
		TERMINATED(p, ctl_vhost, carpdev);
		break;
	case CTL_GROUP:
		TERMINATED(p, ctl_group, name);
		break;
	case CTL_DEMOTE:
	case CTL_DEMOTE_HOLD:
		TERMINATED(p, ctl_demote, group);
		TERMINATED(p, ctl_demote, reason);
		break;
	case CTL_EV_STATE:
		TERMINATED(p, ctl_ev_state, ifname);
		TERMINATED(p, ctl_ev_state, reason);
		break;
	case CTL_SYNC_INFO:
		TERMINATED(p, ctl_sync_info, bulk);
		break;
	default:
		break;
	}
}

/* What a message that passed must satisfy, and its rebuild. */
static void
check_good(const struct ctl_hdr *h, const uint8_t *p)
{
	static uint8_t		 out[CTL_MAX_MSG];
	struct ctl_sync_frame	 f;
	struct ctl_hdr		 h2;
	const char		*why;
	size_t			 plen = h->len - HDRLEN, n;

	CHECK(h->len >= HDRLEN && h->len <= CTL_MAX_MSG);
	CHECK(strcmp(ctl_type_name(h->type), "UNKNOWN") != 0);
	check_strings(h->type, p);
	if (h->type == CTL_SYNC_FRAME) {
		memcpy(&f, p, sizeof(f));
		CHECK(f.caplen <= CTL_SYNC_FRAME_MAX &&
		    plen == sizeof(f) + f.caplen);
	}
	if (h->type == CTL_ERROR) {
		uint32_t code;

		memcpy(&code, p, sizeof(code));
		CHECK(strlen(ctl_err_name(code)) > 0);
	}

	n = ctl_msg_build(out, sizeof(out), h->type, h->seq, p, plen);
	CHECK(n == h->len);
	CHECK(ctl_hdr_decode(out, &h2, &why) == 0);
	CHECK(h2.type == h->type && h2.len == h->len && h2.seq == h->seq &&
	    h2.flags == 0);
	CHECK(memcmp(out + HDRLEN, p, plen) == 0);
	CHECK(ctl_msg_check(&h2, out + HDRLEN, &why) == 0);
}

static void
add_event(struct events *ev, enum verdict v, size_t off, size_t len)
{
	CHECK(ev->n < MAX_EVENTS);
	ev->e[ev->n].v = v;
	ev->e[ev->n].off = off;
	ev->e[ev->n].len = len;
	ev->n++;
}

/*
 * conn_read_cb's loop over the bytes received so far (s[off..have)):
 * returns the offset of the first unread byte. Sets ev->closed on a bad
 * header, as the daemons drop the connection then.
 */
static size_t
read_requests(const uint8_t *s, size_t off, size_t have, struct events *ev)
{
	_Alignas(8) static uint8_t	 raw[CTL_MAX_MSG];
	struct ctl_hdr			 h;
	const char			*why = NULL;

	while (!ev->closed && have - off >= HDRLEN) {
		memcpy(raw, s + off, HDRLEN);
		if (ctl_hdr_decode(raw, &h, &why) == -1) {
			CHECK(why != NULL);
			CHECK(h.len < HDRLEN || h.len > CTL_MAX_MSG);
			add_event(ev, V_CLOSE, off, 0);
			ev->closed = 1;
			break;
		}
		if (have - off < h.len)
			break;
		memcpy(raw, s + off, h.len);
		why = NULL;
		if (ctl_msg_check(&h, raw + HDRLEN, &why) == -1) {
			CHECK(why != NULL);
			add_event(ev, V_BADMSG, off, h.len);
		} else {
			check_good(&h, raw + HDRLEN);
			add_event(ev, V_OK, off, h.len);
		}
		off += h.len;
	}
	return off;
}

/* Feed the stream in chunks of the given sizes (cycled; none: at once). */
static void
daemon_side(const uint8_t *sizes, size_t nsizes, const uint8_t *s, size_t n,
    struct events *ev)
{
	size_t	 have = 0, off = 0, chunk, i = 0;

	ev->n = 0;
	ev->pending = 0;
	ev->closed = 0;
	while (have < n && !ev->closed) {
		chunk = nsizes == 0 ? n : (size_t)sizes[i++ % nsizes] + 1;
		if (chunk > n - have)
			chunk = n - have;
		have += chunk;
		off = read_requests(s, off, have, ev);
	}
	ev->pending = ev->closed ? 0 : n - off;
}

/* `carpctl sync dump`: the IP header in front of a frame (dump_frame). */
static void
dump_frame(const uint8_t *p)
{
	uint8_t			 pkt[SYNC_PKT_IP6_LEN + CTL_SYNC_FRAME_MAX];
	struct ctl_sync_frame	 f;
	struct sync_pkt_addr	 a;
	size_t			 hlen;

	memcpy(&f, p, sizeof(f));
	memset(&a, 0, sizeof(a));
	a.af = f.ipver == 6 ? AF_INET6 : AF_INET;
	memcpy(a.src, f.src, sizeof(a.src));
	memcpy(a.dst, f.dst, sizeof(a.dst));
	if (f.caplen > f.len ||
	    (hlen = sync_pkt_ip(pkt, sizeof(pkt), &a, 1, f.len)) == 0)
		return;
	CHECK(hlen == (a.af == AF_INET6 ? SYNC_PKT_IP6_LEN :
	    SYNC_PKT_IP4_LEN));
	memcpy(pkt + hlen, p + sizeof(f), f.caplen);
}

/*
 * carpctl's reader on the same stream: it must accept exactly the
 * messages the daemons accept, up to the first one they refuse.
 */
static void
client_side(const uint8_t *s, size_t n, const struct events *ev)
{
	_Alignas(8) static uint8_t	 payload[CTL_MAX_MSG];
	struct ctl_hdr			 h;
	const char			*why;
	size_t				 i;
	int				 sv[2], rc;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1)
		__builtin_trap();
	CHECK(n == 0 || write(sv[0], s, n) == (ssize_t)n);
	close(sv[0]);
	for (i = 0;; i++) {
		why = NULL;
		rc = ctl_client_recv(sv[1], &h, payload, 1000, &why);
		if (rc == 0) {
			/* clean EOF: the daemons read everything too */
			CHECK(i == ev->n && ev->pending == 0);
			break;
		}
		if (rc == -1) {
			CHECK(why != NULL);
			/* refused (the daemons refuse it too), or the stream
			 * ended inside a message (they wait for more) */
			if (errno == EBADMSG)
				CHECK(i < ev->n && ev->e[i].v != V_OK);
			else
				CHECK(errno == EPROTO && i == ev->n &&
				    ev->pending > 0);
			break;
		}
		CHECK(i < ev->n && ev->e[i].v == V_OK &&
		    ev->e[i].len == h.len &&
		    memcmp(s + ev->e[i].off + HDRLEN, payload,
		    h.len - HDRLEN) == 0);
		if (h.type == CTL_SYNC_FRAME)
			dump_frame(payload);
	}
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct events	 ev;
	size_t			 nsizes;

	if (size == 0)
		return 0;
	nsizes = data[0] % 8;
	if (size < 1 + nsizes || size - 1 - nsizes > MAX_STREAM)
		return 0;
	daemon_side(data + 1, nsizes, data + 1 + nsizes, size - 1 - nsizes,
	    &ev);
	client_side(data + 1 + nsizes, size - 1 - nsizes, &ev);
	return 0;
}
