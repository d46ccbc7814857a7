"""GET http://127.0.0.1:PORT/PATH, asking again every 50 ms (for up to 30 s) until the status is
STATUS (when given); prints the status on the first line, then the body.

Usage: http_get.py PORT PATH [STATUS]"""
import http.client
import sys
import time

port, path = int(sys.argv[1]), sys.argv[2]
wanted = int(sys.argv[3]) if len(sys.argv) > 3 else None
until = time.monotonic() + 30
while True:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", path)
        response = connection.getresponse()
        status, body = response.status, response.read().decode()
    except OSError as error:
        status, body = None, f"{error}\n"
    if wanted is None or status == wanted or time.monotonic() > until:
        print(status)
        print(body, end="")
        sys.exit(0)
    time.sleep(0.05)
