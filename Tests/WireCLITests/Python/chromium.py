"""Headless Chromium driven over its DevTools protocol (its WebSocket endpoint, with the tests'
own WebSocket client), for the tests of the chat page.

    with Chromium(path) as browser:
        browser.call("Page.navigate", url=...)
        browser.wait_for("document.readyState === 'complete'", "the page")
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from wsclient import connect


def fail(reason):
    print(f"FAILED: {reason}")
    sys.exit(1)


class Chromium:
    def __init__(self, path):
        self.profile = tempfile.mkdtemp(prefix="wire-chromium-")
        self.process = subprocess.Popen(
            [path, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "--window-size=900,560", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def __enter__(self):
        # Chromium writes the port it chose into its profile.
        deadline = time.monotonic() + 60
        active = os.path.join(self.profile, "DevToolsActivePort")
        while not (os.path.exists(active) and open(active).read().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                fail("Chromium did not open its DevTools port")
            time.sleep(0.1)
        devtools_port = int(open(active).read().split()[0])
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{devtools_port}/json/list", timeout=20))
        page = next(t for t in targets if t["type"] == "page")
        self.cdp = connect(page["webSocketDebuggerUrl"])
        return self

    def __exit__(self, *exception):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)
        return False

    def call(self, method, **params):
        self.next_id += 1
        self.cdp.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = json.loads(self.cdp.recv(timeout=60))
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail(f"{method}: {reply['error']}")
                return reply["result"]

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=30):
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                fail(f"the page never showed {what}; it shows {self.evaluate('document.body.innerText')!r}")
            time.sleep(0.1)
