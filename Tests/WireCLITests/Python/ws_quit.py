"""Browser-like members that say /quit while a tutorial client's texts keep reaching them.

  ws_quit.py TCP_PORT WEB_PORT

The server's Close frame must be the last thing on the connection: the records the room gave the
member before it left come first, and nothing after. Eight members leave in turn (the moment
a text slips in after the Close frame is brief). Prints "ok" or what failed.
"""
import json
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))

from chatproto import frame  # noqa: E402
from wsclient import ConnectionClosed, connect  # noqa: E402

tcp_port, web_port = int(sys.argv[1]), int(sys.argv[2])


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


talker = socket.create_connection(("127.0.0.1", tcp_port))
talker.settimeout(20)
talker.sendall(frame("talker"))
stop = threading.Event()


def talk():
    # Texts keep coming while the browsers leave: 20 every 2 ms, less than one reads, so that it
    # is never far behind (and never evicted) and texts are on their way at every moment.
    burst = b"".join(frame(f"text {n}") for n in range(20))
    try:
        while not stop.is_set():
            talker.sendall(burst)
            time.sleep(0.002)
    except OSError:
        pass


def drain_talker():
    # The talker reads nothing it is sent (the room's notices): keep its socket from filling.
    try:
        while talker.recv(65536):
            pass
    except OSError:
        pass


threading.Thread(target=drain_talker, daemon=True).start()
started = False
for round in range(8):
    ws = connect(f"ws://127.0.0.1:{web_port}/chat", open_timeout=20)
    ws.send(f"leaver{round}")
    if not started:
        # Wait until the talker is in: the browser sees it through /who.
        while True:
            ws.send("/who")
            record = json.loads(ws.recv())
            if record["user"] == "[server]" and "talker" in record["text"].split(": ", 1)[-1].split(", "):
                break
        threading.Thread(target=talk, daemon=True).start()
        started = True
    received = 0
    while received < 200:
        if json.loads(ws.recv())["user"] == "talker":
            received += 1
    ws.send("/quit")
    code = None
    try:
        while True:
            ws.recv_frame()
    except ConnectionClosed as closed:
        code = closed.code
    if code != 1000:
        fail(f"round {round}: closed with {code}, not 1000")
    # Nothing may follow the Close frame: read to the end of the connection.
    ws.sock.settimeout(20)
    after = b""
    while True:
        chunk = ws.sock.recv(65536)
        if not chunk:
            break
        after += chunk
    if after:
        fail(f"round {round}: {len(after)} bytes came after the Close frame (starting {after[:40]!r})")
stop.set()
print("ok")
