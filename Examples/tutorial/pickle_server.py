# The sockets tutorial's part 3 server: sends a pickled dict behind the 10-byte header, to every
# client that connects. Run it, then `wire connect --decode pickle`.
import pickle
import socket
import sys

HEADERSIZE = 10
PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 1234

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", PORT))  # the tutorial binds socket.gethostname()
s.listen(5)

while True:
    clientsocket, address = s.accept()
    print(f"Connection from {address} has been established.")
    d = {1: "hi", 2: "there"}
    msg = pickle.dumps(d)
    msg = bytes(f"{len(msg):<{HEADERSIZE}}", "utf-8") + msg
    clientsocket.send(msg)
    clientsocket.close()
