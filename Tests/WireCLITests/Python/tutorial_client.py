"""The sockets tutorial's client (part 1): recv(8) in a loop until the peer closes.

argv: port, then "chunks" to print every chunk as the tutorial's first loop does, or "full" to
buffer the whole message and print it once, as its last version does.
"""
import socket
import sys

port = int(sys.argv[1])
mode = sys.argv[2] if len(sys.argv) > 2 else "full"
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", port))

full_msg = ""
while True:
    msg = s.recv(8)
    if len(msg) <= 0:
        break
    if mode == "chunks":
        print(msg.decode("utf-8"), flush=True)
    full_msg += msg.decode("utf-8")

if mode == "full":
    print(full_msg)
