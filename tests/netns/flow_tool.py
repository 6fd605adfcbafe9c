#!/usr/bin/env python3
"""flow_tool.py: new flows for the defer tests and bench, one at a time.

  flow_tool.py udp-echo PORT [LOG]        echo every datagram; LOG gets
                                          "got PAYLOAD" per datagram
  flow_tool.py udp-ports HOST PORT N SPORT
        one request from each source port SPORT..SPORT+N-1 (0.5 s for its
        echo); prints "replies K" and "rtt_ms_median X"
  flow_tool.py udp-rtt HOST PORT N
        N requests from fresh ports; prints "ANSWERED P50_US P99_US"
  flow_tool.py udp-from HOST PORT ADDR...
        one request from each source address; "ADDR ok|lost" each
  flow_tool.py tcp-from HOST PORT ADDR...
        one connection from each source address that sends 3,000 bytes
        and reads them back (an echo server: lib.sh echo_tools);
        "ADDR ok|lost" each
"""
import socket
import statistics
import sys
import time


def udp_echo(port, logf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    log = open(logf, "a", buffering=1) if logf else None
    while True:
        d, a = s.recvfrom(2048)
        if log:
            log.write("got %s\n" % d.decode(errors="replace"))
        s.sendto(d, a)


def udp_once(host, port, src=("0.0.0.0", 0), payload=b"x"):
    """The round trip in seconds, or None if no echo came in 0.5 s."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(src)
        s.settimeout(0.5)
        t0 = time.monotonic()
        s.sendto(payload, (host, int(port)))
        s.recvfrom(2048)
        return time.monotonic() - t0
    except socket.timeout:
        return None
    finally:
        s.close()


def udp_ports(host, port, n, sport):
    rtts = []
    for i in range(int(n)):
        p = int(sport) + i
        r = udp_once(host, port, ("0.0.0.0", p), b"flow%d" % p)
        if r is not None:
            rtts.append(r * 1000)
    print("replies", len(rtts))
    print("rtt_ms_median %.2f" % (statistics.median(rtts) if rtts else -1))


def udp_rtt(host, port, n):
    rtts = sorted(r * 1e6 for r in (udp_once(host, port) for _ in
                                    range(int(n))) if r is not None)

    def q(p):
        return rtts[min(len(rtts) - 1, int(p * len(rtts)))] if rtts else -1
    print(len(rtts), "%.0f" % q(0.5), "%.0f" % q(0.99))


def udp_from(host, port, *addrs):
    for a in addrs:
        print(a, "lost" if udp_once(host, port, (a, 0)) is None else "ok")


def tcp_from(host, port, *addrs):
    for a in addrs:
        try:
            s = socket.create_connection((host, int(port)), timeout=1,
                                         source_address=(a, 0))
            s.sendall(b"x" * 3000)
            n = 0
            while n < 3000:
                d = s.recv(4096)
                if not d:
                    break
                n += len(d)
            s.close()
            print(a, "ok" if n == 3000 else "lost")
        except OSError:
            print(a, "lost")


CMDS = {"udp-echo": udp_echo, "udp-ports": udp_ports, "udp-rtt": udp_rtt,
        "udp-from": udp_from, "tcp-from": tcp_from}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.exit(__doc__)
    CMDS[sys.argv[1]](*sys.argv[2:])
