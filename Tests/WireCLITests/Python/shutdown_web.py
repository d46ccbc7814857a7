"""A graceful shutdown closes the web port at once, as it closes the TCP port, while a connection
still open on the TCP port has its grace period.

  shutdown_web.py TCP_PORT WEB_PORT

Holds a connection to TCP_PORT that says nothing, prints "held", waits for a line on its input
(the test sends one once the server says it is shutting down), then connects to WEB_PORT until
that is refused. Prints "ok" or what failed.
"""
import socket
import sys
import time

tcp_port, web_port = int(sys.argv[1]), int(sys.argv[2])
held = socket.create_connection(("127.0.0.1", tcp_port), timeout=20)
print("held")
sys.stdin.readline()
deadline = time.monotonic() + 5
while True:
    try:
        probe = socket.create_connection(("127.0.0.1", web_port), timeout=5)
    except ConnectionRefusedError:
        break
    probe.close()
    if time.monotonic() > deadline:
        print("FAILED: the web port still accepted connections 5 s into the shutdown")
        sys.exit(1)
    time.sleep(0.05)
held.close()
print("ok")
