"""The web port under --max-connections 2: a third browser is closed at once, the two in the room
go on, and a place that frees up can be taken again.

  ws_limit.py WEB_PORT

Prints "ok" or what failed.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from wsclient import ConnectionClosed, InvalidStatus, connect  # noqa: E402

url = f"ws://127.0.0.1:{int(sys.argv[1])}/chat"


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


def who(ws):
    ws.send("/who")
    while True:
        record = json.loads(ws.recv(timeout=20))
        if record["user"] == "[server]" and record["text"].startswith("online: "):
            return set(record["text"][8:].split(", "))


def refused():
    try:
        extra = connect(url, open_timeout=20)
    except (InvalidStatus, ConnectionClosed, OSError):
        return True
    extra.sock.close()
    return False


first = connect(url, open_timeout=20)
first.send("first")
second = connect(url, open_timeout=20)
second.send("second")
if who(second) != {"first", "second"}:
    fail("the two browsers are not both in the room")
if not refused():
    fail("a third connection was accepted over --max-connections 2")
if who(first) != {"first", "second"}:
    fail("the room changed after the refusal")

# A place that frees up can be taken again (the close reaches the server a moment later).
first.sock.close()
deadline = time.monotonic() + 20
third = None
while third is None:
    try:
        third = connect(url, open_timeout=20)
        third.send("third")
    except (InvalidStatus, ConnectionClosed, OSError):
        third = None
        time.sleep(0.1)
    if time.monotonic() > deadline:
        fail("the freed place was not given to a new browser within 20 s")
# The room may hear of the first one's leave a moment after its place was freed.
while who(third) != {"second", "third"}:
    if time.monotonic() > deadline:
        fail("the freed place was not given to a new browser within 20 s")
    time.sleep(0.1)
print("ok")
