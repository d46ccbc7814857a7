"""A chat server whose standard output nobody reads must go on serving.

  unread_stdout.py WIRE

Starts `wire chat-server` with its standard output on a pipe that is never read, joins 1,500
clients (their "Accepted new connection" lines are far more than a pipe holds), and checks that
the last one is served: it asks /who and gets the answer. Prints "ok" or what failed.
"""
import os
import resource
import socket
import subprocess
import sys

wire = sys.argv[1]
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
listen = socket.socket()
listen.bind(("127.0.0.1", 0))
port = listen.getsockname()[1]
listen.close()
server = subprocess.Popen([wire, "chat-server", str(port), "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
try:
    os.read(server.stdout.fileno(), 100)  # "Listening on ...": then never read again
    clients = []
    for i in range(1500):
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        name = f"m{i}".encode()
        s.sendall(f"{len(name):<10}".encode() + name)
        clients.append(s)
    last = clients[-1]
    last.sendall(b"4         /who")
    data = b""
    while b"online:" not in data:
        chunk = last.recv(65536)
        if not chunk:
            print("FAILED: the server closed the last client")
            sys.exit(1)
        data += chunk
    print("ok")
except OSError as error:
    print(f"FAILED after {len(clients)} clients: {error}")
    sys.exit(1)
finally:
    server.kill()
