#!/usr/bin/env python3
"""Resident memory of an echo server per connection, for `benches/compare.sh --memory`.

    python3 benches/conn_memory.py --pid PID --addr 127.0.0.1:PORT --conns 1000

Reads the server's VmRSS (/proc/PID/status) before any connection, with CONNS idle
connections (once the server has accepted them all: its open fds say so, and its RSS
has stopped moving), and after one round of traffic (every connection sends SIZE
bytes and reads them back, checked byte for byte). Prints one CSV line:

    conns,rss_start_kib,rss_idle_kib,rss_after_round_kib,idle_bytes_per_conn,round_bytes_per_conn
"""
import argparse
import os
import resource
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def settle(pid, deadline):
    """Waits (bounded) until two RSS readings 200 ms apart agree."""
    last = rss_kib(pid)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = rss_kib(pid)
        if now == last:
            return now
        last = now
    raise SystemExit("conn_memory: the server's RSS never settled")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--addr", required=True)
    parser.add_argument("--conns", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    if args.conns < 1 or args.size < 1:
        raise SystemExit("conn_memory: --conns and --size must be at least 1")
    host, port = args.addr.rsplit(":", 1)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.conns + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.conns + 64), hard))

    deadline = time.monotonic() + 30
    fds_before, start = open_fds(args.pid), settle(args.pid, deadline)
    conns = [socket.create_connection((host, int(port))) for _ in range(args.conns)]
    while open_fds(args.pid) < fds_before + args.conns:
        if time.monotonic() > deadline:
            raise SystemExit("conn_memory: the server did not accept every connection")
        time.sleep(0.05)
    idle = settle(args.pid, deadline)

    for i, conn in enumerate(conns):
        message = bytes((i * 31 + j) % 251 for j in range(args.size))
        conn.sendall(message)
        back = b""
        while len(back) < len(message):
            chunk = conn.recv(len(message) - len(back))
            if not chunk:
                raise SystemExit(f"conn_memory: connection {i} closed by the server")
            back += chunk
        if back != message:
            raise SystemExit(f"conn_memory: connection {i} echoed other bytes")
    after = settle(args.pid, deadline)
    for conn in conns:
        conn.close()
    n = args.conns
    print(f"{n},{start},{idle},{after},{(idle - start) * 1024 // n},{(after - start) * 1024 // n}")


if __name__ == "__main__":
    sys.exit(main())
