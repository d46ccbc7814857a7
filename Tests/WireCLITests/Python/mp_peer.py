"""Python's multiprocessing.connection, which frames with a 4-byte big-endian length.

  mp_peer.py client PORT MSG...   send_bytes each MSG, then recv_bytes as many replies, print each (repr)
  mp_peer.py listener N           print the port, accept one connection, recv_bytes N messages and
                                  answer each with its upper-case form, then close
  --authkey=KEY anywhere          use the authkey handshake with that key
"""
import sys
from multiprocessing.connection import Client, Listener

authkey = None
for argument in list(sys.argv):
    if argument.startswith("--authkey="):
        authkey = argument[len("--authkey="):].encode()
        sys.argv.remove(argument)

role = sys.argv[1]
if role == "client":
    conn = Client(("127.0.0.1", int(sys.argv[2])), authkey=authkey)
    for text in sys.argv[3:]:
        conn.send_bytes(text.encode("utf-8"))
    for _ in sys.argv[3:]:
        print(repr(conn.recv_bytes().decode("utf-8")), flush=True)
    conn.close()
else:
    with Listener(("127.0.0.1", 0), authkey=authkey) as listener:
        print(listener.address[1], flush=True)
        with listener.accept() as conn:
            for _ in range(int(sys.argv[2])):
                message = conn.recv_bytes()
                print(repr(message.decode("utf-8")), flush=True)
                conn.send_bytes(message.upper())
