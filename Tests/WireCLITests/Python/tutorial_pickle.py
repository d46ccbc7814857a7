"""The sockets tutorial's part 3: a pickled dict behind the 10-byte header.

  tutorial_pickle.py server PROTOCOL [evil]   accepts one connection, sends pickle.dumps({1: "hi",
                                              2: "there"}) (or, with evil, a pickle whose loading
                                              would run os.system), prints the port first
  tutorial_pickle.py client PORT              receives one message and prints pickle.loads of it
"""
import os
import pickle
import socket
import sys

HEADERSIZE = 10


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/wire-pickle-pwned",))


if sys.argv[1] == "server":
    protocol = int(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(5)
    print(s.getsockname()[1], flush=True)
    clientsocket, address = s.accept()
    d = Evil() if len(sys.argv) > 3 else {1: "hi", 2: "there"}
    msg = pickle.dumps(d, protocol=protocol)
    msg = bytes(f"{len(msg):<{HEADERSIZE}}", "utf-8") + msg
    clientsocket.send(msg)
    clientsocket.close()
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect(("127.0.0.1", int(sys.argv[2])))
    full_msg = b""
    msglen = None
    while msglen is None or len(full_msg) - HEADERSIZE < msglen:
        msg = s.recv(16)
        if not msg:
            break
        full_msg += msg
        if msglen is None and len(full_msg) >= HEADERSIZE:
            msglen = int(full_msg[:HEADERSIZE])
    print(pickle.loads(full_msg[HEADERSIZE:HEADERSIZE + msglen]))
