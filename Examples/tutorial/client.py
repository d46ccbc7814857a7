# The sockets tutorial's client (part 1): receive in chunks of 8 bytes until the server closes,
# then print the whole message. Run `wire serve --framing raw --greeting "Hey there!!!"
# --close-after-greeting` first.
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1234

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
# The tutorial connects to socket.gethostname(); 127.0.0.1 is where `wire` listens by default.
s.connect(("127.0.0.1", PORT))

full_msg = ''
while True:
    msg = s.recv(8)
    if len(msg) <= 0:
        break
    full_msg += msg.decode("utf-8")

print(full_msg)
