#!/usr/bin/env python3
"""Memory per idle connection and per quiet chat member, from the server's RSS growth.

    python3 Benchmarks/idle_memory.py .build/release/wire [N]

`wire serve --echo`: N connections that say nothing. `wire chat-server --quiet`: N members that
send their username and then nothing, over TCP, then N browser members (WebSocket at the web
port's /chat, with the tests' standard-library client). Each after 200 of the same first, so that
the figure is what one more costs; prints bytes each. Raise the open-files limit's hard cap for N
over ~9,000.
"""
import os
import resource
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Tests", "WireCLITests", "Python"))
from wsclient import connect as websocket  # noqa: E402

hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def measure(wire, n, command, hello, browsers=False):
    server = subprocess.Popen([wire, *command, "--port", "0", "--max-connections", str(n + 1000)],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        # "Listening on 127.0.0.1:PORT (...)" and, with a web port, "Serving the chat page on
        # http://127.0.0.1:PORT/ (WebSocket at /chat)", in either order.
        lines = [server.stdout.readline().split() for _ in range(2 if browsers else 1)]
        port = next(int(words[2].rsplit(":", 1)[1]) for words in lines if words[0] == "Listening")
        page = next((words[5] for words in lines if words[0] == "Serving"), None)
        sockets = []

        def connect(count):
            for _ in range(count):
                name = f"m{len(sockets):05d}"
                if browsers:
                    member = websocket(page.replace("http://", "ws://") + "chat")
                    member.send(name)
                    sockets.append(member)
                    continue
                sock = socket.create_connection(("127.0.0.1", port))
                if hello:
                    sock.sendall(f"{len(name):<10}".encode() + name.encode())
                sockets.append(sock)

        connect(200)
        time.sleep(1)
        before = rss(server.pid)
        connect(n)
        time.sleep(3)
        return (rss(server.pid) - before) / n
    finally:
        server.kill()
        server.wait()


wire = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
print(f"wire serve, idle connection: {measure(wire, n, ['serve', '--echo'], False):,.0f} bytes each")
print(f"wire chat-server, quiet member: {measure(wire, n, ['chat-server', '--quiet'], True):,.0f} bytes each")
browser = measure(wire, n, ["chat-server", "--quiet", "--web-port", "0"], True, browsers=True)
print(f"wire chat-server, quiet browser member: {browser:,.0f} bytes each")
