"""Browser members under the chat server's timeouts, as TCP members are.

  ws_timeouts.py WEB_PORT

The server runs with --username-timeout 1 --idle-timeout 4. A socket that never sends a request
and a browser that never sends its username are closed after about 1 s (well before the idle
timeout could close them), one that joins and then goes quiet after about 4 s, and one that keeps
talking stays.
Prints "ok" or what failed.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from wsclient import ConnectionClosed, connect  # noqa: E402

url = f"ws://127.0.0.1:{int(sys.argv[1])}/chat"


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


# A socket on the web port that never even sends a request.
mute = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
silent = connect(url, open_timeout=20)
quiet = connect(url, open_timeout=20)
quiet.send("quiet")
chatty = connect(url, open_timeout=20)
chatty.send("chatty")

# The one that keeps talking (every 0.3 s) is still there when the other two are gone.
waiting = {"silent": silent, "quiet": quiet}
closed_after = {}
start = time.monotonic()
while (waiting or mute is not None) and time.monotonic() - start < 20:
    chatty.send("/who")
    if mute is not None:
        mute.settimeout(0.15)
        try:
            if mute.recv(1) == b"":
                closed_after["mute"] = time.monotonic() - start
                mute = None
        except OSError:
            pass  # nothing yet
    for name, ws in list(waiting.items()):
        try:
            ws.recv(timeout=0.15)
        except ConnectionClosed:
            closed_after[name] = time.monotonic() - start
            del waiting[name]
        except OSError:
            pass  # nothing yet
if waiting or mute is not None:
    fail(f"still open after 20 s: {', '.join(list(waiting) + (['mute'] if mute is not None else []))}")
# Alone now, and still in. The room hears of a leave a moment after the socket closes, so it
# asks again (which keeps it talking) until the answer names it only.
try:
    while True:
        chatty.send("/who")
        record = json.loads(chatty.recv(timeout=20))
        while not record["text"].startswith("online: "):
            record = json.loads(chatty.recv(timeout=20))
        if record["text"] == "online: chatty":
            break
        time.sleep(0.05)
except ConnectionClosed as closed:
    fail(f"a member that kept talking was closed ({closed.code}) after {time.monotonic() - start:.1f} s; the others after {closed_after}")
if not closed_after["mute"] < 3:
    fail(f"a socket that sent no request was closed only after {closed_after['mute']:.1f} s, not after about 1 s")
if not closed_after["silent"] < 3:
    fail(f"a browser without a username was closed only after {closed_after['silent']:.1f} s, not after about 1 s")
if not 3.5 < closed_after["quiet"] < 15:
    fail(f"an idle member was closed after {closed_after['quiet']:.1f} s, not after about 4 s")
print("ok")
