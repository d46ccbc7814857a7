"""Drives `wire chat` in a pseudo-terminal, as a person at a keyboard would.

  pty_chat.py WIRE PORT

Types half a sentence as alice, has bob (a plain socket client) send a message meanwhile, types
the rest, and checks that the half-typed line stayed on screen and the room got the whole
sentence; then /help and an unknown /command, which must not reach the room, an empty line, which
must not be sent, and Ctrl-D, which must end the program with status 0. Prints "ok" or what failed.
"""
import os
import pty
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from chatproto import frame, read_record, read_text  # noqa: E402

wire, port = sys.argv[1], int(sys.argv[2])
screen = b""


def fail(reason):
    print(f"FAILED: {reason}\nscreen: {screen!r}")
    sys.exit(1)


def read_screen(fd, until, timeout=20):
    global screen
    deadline = time.monotonic() + timeout
    while until not in screen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            fail(f"the screen never showed {until!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                fail(f"wire chat ended before showing {until!r}")
            screen += data


def type_keys(fd, text):
    for ch in text:
        os.write(fd, ch.encode())
        time.sleep(0.005)


bob = socket.create_connection(("127.0.0.1", port))
bob.settimeout(20)
bob.sendall(frame("bob"))

pid, fd = pty.fork()
if pid == 0:
    os.execv(wire, [wire, "chat", "-p", str(port), "--username", "alice", "--no-color"])

read_screen(fd, b"alice > ")
# Both in the room, whatever order the server took them in.
while True:
    bob.sendall(frame("/who"))
    user, text = read_record(bob)
    while not (user == "[server]" and text.startswith("online: ")):
        user, text = read_record(bob)
    if set(text[len("online: "):].split(", ")) >= {"alice", "bob"}:
        break
    time.sleep(0.05)
type_keys(fd, "I am typing a long sen")
read_screen(fd, b"I am typing a long sen")
mark = len(screen)
bob.sendall(frame("hello"))
read_screen(fd, b"bob > hello")
# After the record, the prompt and the half-typed line are drawn again below it.
read_screen(fd, b"bob > hello\r\n")
after = screen[screen.index(b"bob > hello", mark):]
read_screen(fd, b"alice > I am typing a long sen", timeout=5)
if b"alice > I am typing a long sen" not in screen[screen.index(b"bob > hello", mark):]:
    fail("the half-typed line was not drawn again under the incoming message")
type_keys(fd, "tence\r")
user, text = read_text(bob)
if (user, text) != ("alice", "I am typing a long sentence"):
    fail(f"the room got {user} > {text!r}")
# Local commands and an empty line never reach the room.
type_keys(fd, "/help\r")
read_screen(fd, b"* /who lists who is online")
type_keys(fd, "/nick carol\r")
read_screen(fd, b"unknown command /nick: not sent")
type_keys(fd, "\r")
type_keys(fd, "done\r")
user, text = read_text(bob)
if (user, text) != ("alice", "done"):
    fail(f"after the local commands the room got {user} > {text!r}")
# Backspace edits the line.
type_keys(fd, "typo\x7f\x7f\x7f\x7fright\r")
user, text = read_text(bob)
if text != "right":
    fail(f"backspace: the room got {text!r}")
# Ctrl-D on an empty line leaves, with status 0.
os.write(fd, b"\x04")
_, status = os.waitpid(pid, 0)
if os.waitstatus_to_exitcode(status) != 0:
    fail(f"exit status {os.waitstatus_to_exitcode(status)} after Ctrl-D")
print("ok")
