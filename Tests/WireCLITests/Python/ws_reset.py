"""Browsers that go away with a reset, the way a killed browser or a dropped network does.

  ws_reset.py WEB_PORT

Two browsers join; one resets its connection (SO_LINGER 0, then close). The other must see it
leave; the server must take it as a member that left, not as a failure (the test reads the
server's output). Prints "ok" or what failed.
"""
import json
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))

from wsclient import connect  # noqa: E402

web_port = int(sys.argv[1])
url = f"ws://127.0.0.1:{web_port}/chat"


def fail(message):
    print(message)
    sys.exit(1)


stays = connect(url, open_timeout=20)
stays.send("stays")
# In before the other comes, so that it hears the other join: /who answers once it is.
stays.send("/who")
while not json.loads(stays.recv(timeout=20))["text"].startswith("online: "):
    pass
goes = connect(url, open_timeout=20)
goes.send("goes")
# Wait until both are in: "goes joined" reaches the one that stays.
while json.loads(stays.recv(timeout=20)) != {"user": "[server]", "text": "goes joined"}:
    pass
goes.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
goes.sock.close()
record = json.loads(stays.recv(timeout=20))
if record != {"user": "[server]", "text": "goes left"}:
    fail(f"after the reset the other browser got {record}")
print("ok")
