"""A real headless Chromium joins a `wire chat-server` room through the chat page, beside a
tutorial TCP client, and both talk; then it saves a screenshot of the page.

  browser_chat.py CHROMIUM TCP_PORT WEB_PORT SCREENSHOT.png

Chromium is driven over the DevTools protocol (its WebSocket endpoint, with the test's own
WebSocket client). Prints "ok" or what failed.
"""
import base64
import os
import socket
import sys

sys.path.insert(0, os.path.dirname(__file__))
from chatproto import frame, read_record, read_text  # noqa: E402
from chromium import Chromium, fail  # noqa: E402

chromium, tcp_port, web_port, screenshot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

with Chromium(chromium) as browser:
    call, evaluate, wait_for = browser.call, browser.evaluate, browser.wait_for
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
