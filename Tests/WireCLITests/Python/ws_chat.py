"""A browser-like WebSocket member and a tutorial TCP client in one `wire chat-server` room.

  ws_chat.py TCP_PORT WEB_PORT

Checks both directions, fragmented texts and pings, that a binary frame is closed with 1003 and an
oversized one (in one frame or in fragments) with 1009,
that a taken username is refused, and that a WebSocket handshake on another path is refused.
Prints "ok" or what failed. A minimal WebSocket client of its own (RFC 6455: the handshake,
masked frames out, frames in), so that it needs nothing but Python's standard library.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))


from chatproto import frame, read_text  # noqa: E402
from wsclient import ConnectionClosed, InvalidStatus, connect  # noqa: E402

tcp_port, web_port = int(sys.argv[1]), int(sys.argv[2])
url = f"ws://127.0.0.1:{web_port}/chat"


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


def next_record(ws, skip_server=True):
    while True:
        record = json.loads(ws.recv(timeout=20))
        if not (skip_server and record["user"] == "[server]"):
            return record


tcp = socket.create_connection(("127.0.0.1", tcp_port))
tcp.settimeout(20)
tcp.sendall(frame("tutorial"))
ws = connect(url, open_timeout=20)
ws.send("webby")
# Both in the room, whatever order the server took them in.
while True:
    ws.send("/who")
    record = next_record(ws, skip_server=False)
    if record["user"] == "[server]" and record["text"].startswith("online: "):
        if set(record["text"][8:].split(", ")) >= {"webby", "tutorial"}:
            break
        time.sleep(0.05)

ws.send("hello from the browser")
user, text = read_text(tcp)
if (user, text) != ("webby", "hello from the browser"):
    fail(f"the TCP client got {user} > {text!r}")

tcp.sendall(frame('hi browser, "quoted" \u00e9'))
record = next_record(ws)
if record != {"user": "tutorial", "text": 'hi browser, "quoted" \u00e9'}:
    fail(f"the browser got {record!r}")

# A taken name is refused with a notice and a policy close.
taken = connect(url, open_timeout=20)
taken.send("webby")
record = json.loads(taken.recv(timeout=20))
if record != {"user": "[server]", "text": 'refused: username "webby" is already taken'}:
    fail(f"a taken name got {record!r}")
try:
    taken.recv(timeout=20)
    fail("a refused member was not closed")
except ConnectionClosed as closed:
    if closed.code != 1008:
        fail(f"a refused member was closed with {closed.code}")

# A binary frame closes that member with 1003; the room goes on.
binary = connect(url, open_timeout=20)
binary.send("bin")
binary.send(b"\x00\x01")
try:
    while True:
        binary.recv(timeout=20)
except ConnectionClosed as closed:
    if closed.code != 1003:
        fail(f"a binary frame was closed with {closed.code}")

# A text in fragments is one message, even with a ping between them; a ping is answered.
ws.send_frame(0x1, b"in ", fin=False)
ws.send_frame(0x9, b"between")
ws.send_frame(0x0, b"three ", fin=False)
ws.send_frame(0x0, b"parts")
user, text = read_text(tcp)
if (user, text) != ("webby", "in three parts"):
    fail(f"a fragmented text reached the TCP client as {user} > {text!r}")
if not ws.ping(b"are you there"):
    fail("a ping was not answered with its payload")

# Fragments that add up to more than the message limit close that member with 1009.
pieces = connect(url, open_timeout=20, max_size=None)
pieces.send("pieces")
pieces.send_fragments(["y" * 40000, "y" * 40000])
try:
    while True:
        pieces.recv(timeout=20)
except ConnectionClosed as closed:
    if closed.code != 1009:
        fail(f"oversized fragments were closed with {closed.code}")

# A frame over the message limit closes that member with 1009.
big = connect(url, open_timeout=20, max_size=None)
big.send("big")
big.send("x" * 70000)
try:
    while True:
        big.recv(timeout=20)
except ConnectionClosed as closed:
    if closed.code != 1009:
        fail(f"an oversized frame was closed with {closed.code}")

# The room still works for the first two.
ws.send("still here")
user, text = read_text(tcp)
if (user, text) != ("webby", "still here"):
    fail(f"after the bad members the TCP client got {user} > {text!r}")

# Only /chat upgrades.
try:
    connect(f"ws://127.0.0.1:{web_port}/elsewhere", open_timeout=20)
    fail("a handshake on /elsewhere was accepted")
except InvalidStatus as refused:
    if refused.status != 404:
        fail(f"a handshake on /elsewhere got {refused.status}")
print("ok")
