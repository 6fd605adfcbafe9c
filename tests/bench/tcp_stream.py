#!/usr/bin/env python3
"""tcp_stream.py: the TCP stream of the failover bench (bench_sync-failover.sh).

  tcp_stream.py server PORT
      echo server (one thread per connection), runs until killed.
  tcp_stream.py client HOST PORT SECONDS INTERVAL LOG
      one connection; a numbered line every INTERVAL s, each echo awaited
      before the next line goes out. LOG gets "PORT p" once connected,
      "echo n t" per echo (t = CLOCK_REALTIME, as $EPOCHREALTIME) and at the
      end "END status n maxgap", status ok (echoes came until the end),
      stall (none in the last 0.5 s), reset or eof. Exit 0 only for ok.
      The last line's echo is awaited (up to 1 s past SECONDS) before the
      socket closes, so that the client never closes with unread data.
"""
import socket
import sys
import threading
import time


def serve(conn):
    with conn:
        while True:
            try:
                data = conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            conn.sendall(data)


def server(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def await_echo(s, want, buf, end):
    """Read until want is in buf; returns (buf, status)."""
    while want not in buf and time.time() < end:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return buf, "reset"
        except OSError:
            return buf, "reset"
        if not d:
            return buf, "eof"
        buf += d
    return buf, None


def client(host, port, dur, iv, logf):
    log = open(logf, "w", buffering=1)
    s = socket.create_connection((host, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    log.write("PORT %d\n" % s.getsockname()[1])
    s.settimeout(0.02)
    start = time.time()
    end = start + dur
    n, buf, last, maxgap, status = 0, b"", start, 0.0, None
    # no line goes out after END; the last one's echo is awaited up to 1 s
    # more, so the socket never closes with data unread (that would RST)
    while time.time() < end and status is None:
        want = b"%08d\n" % n
        try:
            s.sendall(want)
        except OSError:
            status = "reset"
            break
        buf, status = await_echo(s, want, buf, max(end, time.time() + 1))
        if status is not None or want not in buf:
            break
        buf = buf[buf.index(want) + len(want):]
        now = time.time()
        maxgap, last = max(maxgap, now - last), now
        log.write("echo %d %.6f\n" % (n, now))
        n += 1
        pause = iv - (time.time() - now)
        if pause > 0:
            time.sleep(pause)
    if status is None:
        status = "ok" if end - last < 0.5 else "stall"
        # the stall itself is the longest gap
        maxgap = max(maxgap, time.time() - last)
    log.write("END %s %d %.6f\n" % (status, n, maxgap))
    return 0 if status == "ok" else 1


def main(argv):
    if len(argv) == 3 and argv[1] == "server":
        server(int(argv[2]))
        return 0
    if len(argv) == 7 and argv[1] == "client":
        return client(argv[2], int(argv[3]), float(argv[4]), float(argv[5]), argv[6])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
