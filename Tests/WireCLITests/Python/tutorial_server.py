"""The sockets tutorial's server (part 1, last version): accept, send "Hey there!!!", close.

Binds 127.0.0.1 on a free port instead of gethostname():1234 so tests can run in parallel; prints
the port on its first line. Serves `count` connections (argv[1], default 1), then exits.
"""
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(5)
print(s.getsockname()[1], flush=True)

for _ in range(count):
    # now our endpoint knows about the OTHER endpoint.
    clientsocket, address = s.accept()
    print(f"Connection from {address} has been established.", flush=True)
    clientsocket.send(bytes("Hey there!!!", "utf-8"))
    clientsocket.close()
