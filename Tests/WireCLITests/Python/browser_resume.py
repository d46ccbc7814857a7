"""The chat page in headless Chromium loses its connection (a forwarder between the browser and
the web port drops it, or with `silence` stops passing anything on without a word, and refuses
new ones for a while) while a tutorial TCP client talks; when the way is open again the page
reconnects by itself and shows what it missed, once and in order.

  browser_resume.py CHROMIUM TCP_PORT WEB_PORT [drop|silence]

Prints "ok" or what failed.
"""
import json
import os
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(__file__))
from chatproto import frame, read_record  # noqa: E402
from chromium import Chromium, fail  # noqa: E402

chromium, tcp_port, web_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fault = sys.argv[4] if len(sys.argv) > 4 else "drop"


class Forwarder:
    """Forwards 127.0.0.1:port to the web port; `drop` closes every connection it carries, while
    `silent` it passes nothing on (and closes nothing), and while `refusing` it closes new
    connections at once."""

    def __init__(self, target):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.refusing = False
        self.silent = False
        self.open = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            client, _ = self.listener.accept()
            if self.refusing:
                client.close()
                continue
            server = socket.create_connection(("127.0.0.1", self.target))
            with self.lock:
                self.open += [client, server]
            threading.Thread(target=self.pipe, args=(client, server), daemon=True).start()
            threading.Thread(target=self.pipe, args=(server, client), daemon=True).start()

    def pipe(self, source, destination):
        try:
            while data := source.recv(65536):
                if not self.silent:
                    destination.sendall(data)
        except OSError:
            pass
        for end in (source, destination):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def drop(self):
        with self.lock:
            for end in self.open:
                try:
                    end.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.open = []


def records_until(connection, wanted):
    while (record := read_record(connection)) != wanted:
        pass


shown = "Array.from(document.querySelectorAll('#messages li'), (li) => li.firstChild.textContent + ' > ' + li.lastChild.textContent)"

forwarder = Forwarder(web_port)
with Chromium(chromium) as browser:
    tcp = socket.create_connection(("127.0.0.1", tcp_port))
    tcp.settimeout(30)
    tcp.sendall(frame("tutorial"))
    # Heartbeats every 2 s: a silence is noticed in 6 s (30 s by default), and a busy machine's
    # late timer is not taken for one.
    browser.call("Page.navigate", url=f"http://127.0.0.1:{forwarder.port}/?heartbeat=2")
    browser.wait_for("document.readyState === 'complete' && !!document.getElementById('join')", "the join form")
    browser.evaluate("document.getElementById('name').value = 'chromium'; document.getElementById('join').requestSubmit(); true")
    records_until(tcp, ("[server]", "chromium joined"))
    tcp.sendall(frame("before"))
    browser.wait_for(f"{shown}.includes('tutorial > before')", "the text said before")

    # The way to the server is cut: the page sees its connection close, the server sees it leave.
    forwarder.refusing = True
    if fault == "drop":
        forwarder.drop()
    else:
        forwarder.silent = True
    browser.wait_for(f"{shown}.some((line) => line.startsWith('[server] > connection lost'))", "that it lost its connection")
    records_until(tcp, ("[server]", "chromium left"))
    tcp.sendall(frame("while away 1") + frame("while away 2"))
    # Relayed to nobody but kept: /who answers once the two texts are in the room.
    tcp.sendall(frame("/who"))
    records_until(tcp, ("[server]", "online: tutorial"))
    forwarder.refusing = False
    forwarder.silent = False

    browser.wait_for(f"{shown}.includes('chromium joined') || {shown}.includes('tutorial > while away 2')", "what it missed", timeout=60)
    tcp.sendall(frame("after"))
    browser.wait_for(f"{shown}.includes('tutorial > after')", "the text said after it came back")
    lines = browser.evaluate(shown)
    start = lines.index("tutorial > before")
    # Notices of the page's own connection, the online list, and a reconnect that missed nothing
    # (a late heartbeat on a busy machine) are not what this test is about.
    noise = ("[server] > connection lost", "[server] > online: ", "[server] > missed while away: 0 texts")
    after = [line for line in lines[start:] if not line.startswith(noise)]
    expected = ["tutorial > before", "[server] > missed while away: 2 texts", "tutorial > while away 1", "tutorial > while away 2", "tutorial > after"]
    if after != expected:
        fail(f"the page shows {json.dumps(lines)}")
    print("ok")
