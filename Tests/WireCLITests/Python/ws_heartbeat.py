"""Browser members under --heartbeat 1 --idle-timeout 3: the server pings a member it has written
nothing to for a second. One that answers (as browsers do by themselves) stays in a silent room
for twice the idle timeout; one that answers nothing is closed.

  ws_heartbeat.py WEB_PORT

Prints "ok" or what failed.
"""
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from wsclient import ConnectionClosed, connect  # noqa: E402

url = f"ws://127.0.0.1:{int(sys.argv[1])}/chat"


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


deaf = connect(url, open_timeout=20)
deaf.send("deaf")
watcher = connect(url, open_timeout=20)
watcher.send("watcher")

# The watcher only reads (answering pings) for 6 s; the deaf one does nothing at all.
pings = 0
watcher.sock.settimeout(2)
start = time.monotonic()
while time.monotonic() - start < 6:
    try:
        opcode, _ = watcher.recv_frame(answer_pings=False)
        if opcode == 0x9:
            pings += 1
            watcher.send_frame(0xA, b"")
    except ConnectionClosed as closed:
        fail(f"a member that answered the pings was closed ({closed.code}) after {time.monotonic() - start:.1f} s")
    except OSError:
        pass
if pings < 3:
    fail(f"only {pings} pings in 6 s with --heartbeat 1")

watcher.send("/who")
while True:
    record = json.loads(watcher.recv(timeout=20))
    if record["user"] == "[server]" and record["text"].startswith("online: "):
        if record["text"] != "online: watcher":
            fail(f"the deaf member was not closed: {record['text']}")
        break
print("ok")
