# The sockets tutorial's server (part 1): accept, say "Hey there!!!", close.
# Run it, then `wire connect --framing raw --buffer-size 8 --show-chunks` against it.
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1234

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
# The tutorial binds socket.gethostname(); 127.0.0.1 is where `wire` listens by default.
s.bind(("127.0.0.1", PORT))
s.listen(5)

while True:
    clientsocket, address = s.accept()
    print(f"Connection from {address} has been established.")
    clientsocket.send(bytes("Hey there!!!", "utf-8"))
    clientsocket.close()
