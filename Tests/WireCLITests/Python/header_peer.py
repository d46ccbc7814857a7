"""A peer speaking the tutorial's part-2 framing: a 10-byte ASCII length header, f"{len(msg):<10}".

  header_peer.py client PORT MSG...   send each MSG, half-close, print every message received until
                                      the server closes, one per line (repr, so empty ones show)
  header_peer.py server MSG...        print the port, accept one connection, send each MSG, then
                                      print every message received (repr) until the client closes
  header_peer.py badserver RAW        print the port, accept one connection, send RAW bytes, close
"""
import socket
import sys

HEADERSIZE = 10


def frame(text):
    data = text.encode("utf-8")
    return bytes(f"{len(data):<{HEADERSIZE}}", "utf-8") + data


def recv_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None if not data else data
        data += chunk
    return data


def receive_all(sock):
    while True:
        header = recv_exactly(sock, HEADERSIZE)
        if header is None:
            return
        msglen = int(header.strip())
        body = recv_exactly(sock, msglen) if msglen else b""
        print(repr(body.decode("utf-8")), flush=True)


role = sys.argv[1]
if role == "client":
    s = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
    for text in sys.argv[3:]:
        s.sendall(frame(text))
    s.shutdown(socket.SHUT_WR)
    receive_all(s)
elif role in ("server", "badserver"):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    print(listener.getsockname()[1], flush=True)
    conn, address = listener.accept()
    if role == "badserver":
        conn.sendall(sys.argv[2].encode("utf-8"))
        conn.close()
    else:
        for text in sys.argv[2:]:
            conn.sendall(frame(text))
        receive_all(conn)
        conn.close()
