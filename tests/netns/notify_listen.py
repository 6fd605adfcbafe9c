#!/usr/bin/python3
"""Stand-in for systemd's notify socket: bind an AF_UNIX datagram socket
at argv[1] and append every message received to argv[2], one per line,
for at most argv[3] seconds."""
import os
import socket
import sys
import time

path, out, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
deadline = time.monotonic() + limit
with open(out, "a", buffering=1) as f:
    f.write("listening\n")
    while (left := deadline - time.monotonic()) > 0:
        s.settimeout(left)
        try:
            msg = s.recv(4096)
        except socket.timeout:
            break
        f.write(msg.decode(errors="replace").replace("\n", " ") + "\n")
os.unlink(path)
