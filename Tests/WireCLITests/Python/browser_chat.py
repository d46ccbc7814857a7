"""A real headless Chromium joins a `wire chat-server` room through the chat page, beside a
tutorial TCP client, and both talk; then it saves a screenshot of the page.

  browser_chat.py CHROMIUM TCP_PORT WEB_PORT SCREENSHOT.png

Chromium is driven over the DevTools protocol (its WebSocket endpoint, with the test's own
WebSocket client). Prints "ok" or what failed.
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from chatproto import frame, read_record, read_text  # noqa: E402
from wsclient import connect  # noqa: E402

chromium, tcp_port, web_port, screenshot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


profile = tempfile.mkdtemp(prefix="wire-chromium-")
browser = subprocess.Popen(
    [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
     "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=900,560", "about:blank"],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
)
try:
    # Chromium writes the port it chose into its profile.
    deadline = time.monotonic() + 60
    active = os.path.join(profile, "DevToolsActivePort")
    while not (os.path.exists(active) and open(active).read().strip()):
        if time.monotonic() > deadline or browser.poll() is not None:
            fail("Chromium did not open its DevTools port")
        time.sleep(0.1)
    devtools_port = int(open(active).read().split()[0])
    targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=20))
    page = next(t for t in targets if t["type"] == "page")
    cdp = connect(page["webSocketDebuggerUrl"])
    next_id = [0]

    def call(method, **params):
        next_id[0] += 1
        cdp.send(json.dumps({"id": next_id[0], "method": method, "params": params}))
        while True:
            reply = json.loads(cdp.recv(timeout=60))
            if reply.get("id") == next_id[0]:
                if "error" in reply:
                    fail(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(expression):
        result = call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(expression, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not evaluate(expression):
            if time.monotonic() > deadline:
                fail(f"the page never showed {what}; it shows {evaluate('document.body.innerText')!r}")
            time.sleep(0.1)

    tcp = socket.create_connection(("127.0.0.1", tcp_port))
    tcp.settimeout(30)
    tcp.sendall(frame("tutorial"))
    call("Page.navigate", url=f"http://127.0.0.1:{web_port}/")
    wait_for("document.readyState === 'complete' && !!document.getElementById('join')", "the join form")
    evaluate("document.getElementById('name').value = 'chromium'; document.getElementById('join').requestSubmit(); true")
    # The tutorial client sees the browser arrive (whichever of the two the server took first).
    wait_for("document.getElementById('status').textContent === 'connected as chromium'", "that it joined")
    user, text = read_record(tcp)
    while (user, text) != ("[server]", "chromium joined"):
        user, text = read_record(tcp)
    evaluate("document.getElementById('text').value = 'hello from a browser'; document.getElementById('say').requestSubmit(); true")
    user, text = read_text(tcp)
    if (user, text) != ("chromium", "hello from a browser"):
        fail(f"the tutorial client got {user} > {text!r}")
    tcp.sendall(frame("hi browser, from the tutorial's client"))
    wait_for("document.getElementById('messages').innerText.includes('hi browser, from the tutorial\\'s client')", "the TCP client's message")
    wait_for("document.getElementById('people').innerText.includes('tutorial')", "the online list")
    shot = call("Page.captureScreenshot", format="png")
    with open(screenshot, "wb") as out:
        out.write(base64.b64decode(shot["data"]))
    print("ok")
finally:
    browser.kill()
    browser.wait()
    shutil.rmtree(profile, ignore_errors=True)
