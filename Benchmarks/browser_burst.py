#!/usr/bin/env python3
"""What a burst to browsers costs the server, beside the same burst to tutorial TCP clients.

    python3 Benchmarks/browser_burst.py .build/release/wire [M] [K]

A fresh `wire chat-server --quiet --web-port 0` per kind of reader: M readers join (browsers over
WebSocket at /chat with the tests' standard-library client, or tutorial TCP clients), then one
TCP client sends K texts of 64 B in one go and "END"; every reader reads until it has "END".
Prints the server's CPU from the first text to the last reader's "END" (utime + stime from
/proc/PID/stat), the wall time, and the CPU per delivery. The readers are one Python thread,
so the wall time is partly theirs; the server's CPU is the figure.
"""
import os
import resource
import selectors
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "WireCLITests", "Python"))
from wsclient import connect as websocket  # noqa: E402

hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
ticks_per_second = os.sysconf("SC_CLK_TCK")


def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / ticks_per_second


def frame(text):
    data = text.encode() if isinstance(text, str) else text
    return f"{len(data):<10}".encode() + data


def measure(wire, m, k, browsers):
    server = subprocess.Popen(
        [wire, "chat-server", "--port", "0", "--web-port", "0", "--quiet", "--max-connections", str(m + 100)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        # "Listening on 127.0.0.1:PORT (...)" and "Serving the chat page on http://127.0.0.1:PORT/
        # (WebSocket at /chat)", in either order.
        lines = [server.stdout.readline().split() for _ in range(2)]
        port = next(int(words[2].rsplit(":", 1)[1]) for words in lines if words[0] == "Listening")
        page = next(words[5] for words in lines if words[0] == "Serving")
        readers = []
        for i in range(m):
            if browsers:
                member = websocket(page.replace("http://", "ws://") + "chat")
                member.send(f"r{i}")
                readers.append(member.sock)
            else:
                sock = socket.create_connection(("127.0.0.1", port))
                sock.sendall(frame(f"r{i}"))
                readers.append(sock)
        sender = socket.create_connection(("127.0.0.1", port))
        sender.sendall(frame("sender"))
        time.sleep(1)
        selector = selectors.DefaultSelector()
        tails = {}
        for sock in readers:
            sock.setblocking(False)
            selector.register(sock, selectors.EVENT_READ)
            tails[sock] = b""
        burst = frame(b"x" * 64) * k + frame("END")
        start, before = time.time(), cpu(server.pid)
        sender.sendall(burst)
        waiting = set(readers)
        while waiting:
            events = selector.select(timeout=60)
            if not events:
                sys.exit(f"{len(waiting)} readers got no END within 60 s")
            for key, _ in events:
                sock = key.fileobj
                try:
                    while True:
                        data = sock.recv(1 << 20)
                        if not data:
                            sys.exit("the server closed a reader")
                        seen = tails[sock] + data
                        if b"END" in seen:
                            waiting.discard(sock)
                            selector.unregister(sock)
                            break
                        tails[sock] = seen[-8:]
                except BlockingIOError:
                    pass
        used, wall = cpu(server.pid) - before, time.time() - start
        kind = "browsers" if browsers else "TCP clients"
        print(f"{m} {kind} x {k} texts: server CPU {used:.2f} s, wall {wall:.2f} s, "
              f"{used / (m * k) * 1e6:.2f} µs of server CPU per delivery")
    finally:
        server.kill()
        server.wait()


wire = sys.argv[1]
m = int(sys.argv[2]) if len(sys.argv) > 2 else 100
k = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
measure(wire, m, k, browsers=True)
measure(wire, m, k, browsers=False)
