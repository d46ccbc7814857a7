# The sockets tutorial's part 3 client: reads the 10-byte header, then the pickle, and prints the
# object. Run `wire serve --encode pickle --greeting "{1: 'hi', 2: 'there'}"` first.
import pickle
import socket
import sys

HEADERSIZE = 10
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1234

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(("127.0.0.1", PORT))  # the tutorial connects to socket.gethostname()

full_msg = b''
new_msg = True
while True:
    msg = s.recv(16)
    if not msg:
        break
    if new_msg:
        msglen = int(msg[:HEADERSIZE])
        new_msg = False
    full_msg += msg
    if len(full_msg) - HEADERSIZE == msglen:
        print(pickle.loads(full_msg[HEADERSIZE:]))
        new_msg = True
        full_msg = b""
