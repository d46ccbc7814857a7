"""Browser-like members that say /quit while a tutorial client's texts keep reaching them.

  ws_quit.py TCP_PORT WEB_PORT

The server's Close frame must be the last thing on the connection: the records the room gave the
member before it left come first, and nothing after. Sixteen members leave in turn (the moment
a text could slip in after the Close frame is brief). Prints "ok" or what failed.
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


talker = socket.create_connection(("127.0.0.1", tcp_port))
talker.settimeout(20)
talker.sendall(frame("talker"))
stop = threading.Event()
threads = []


def finish():
    # The talker's threads end here, blocked in a call or not: the script must exit by itself.
    stop.set()
    try:
        talker.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    for thread in threads:
        thread.join(timeout=10)
    talker.close()


def fail(reason):
    finish()
    print(f"FAILED: {reason}")
    sys.exit(1)


def talk():
    # Texts keep coming while the browsers leave: two every millisecond, far less than one reads
    # even on a loaded machine, so that it is never behind and texts are on their way at every
    # moment.
    burst = b"".join(frame(f"text {n}") for n in range(2))
    try:
        while not stop.is_set():
            talker.sendall(burst)
            time.sleep(0.001)
    except OSError:
        pass


def drain_talker():
    # The talker reads nothing it is sent (the room's notices): keep its socket from filling.
    try:
        while talker.recv(65536):
            pass
    except OSError:
        pass


threads.append(threading.Thread(target=drain_talker, daemon=True))
threads[-1].start()
started = False
for round in range(16):
    ws = connect(f"ws://127.0.0.1:{web_port}/chat", open_timeout=20)
    ws.send(f"leaver{round}")
    if not started:
        # Wait until the talker is in: the browser sees it through /who.
        while True:
            ws.send("/who")
            record = json.loads(ws.recv())
            if record["user"] == "[server]" and "talker" in record["text"].split(": ", 1)[-1].split(", "):
                break
        threads.append(threading.Thread(target=talk, daemon=True))
        threads[-1].start()
        started = True
    received = 0
    while received < 100:
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
finish()
print("ok")
