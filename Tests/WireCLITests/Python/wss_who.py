"""Joins a `wire chat-server` room over wss:// and asks who is online.

  wss_who.py WEB_PORT CA_FILE     prints the /who answer's text
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from wsclient import connect  # noqa: E402

ws = connect(f"wss://127.0.0.1:{sys.argv[1]}/chat", cafile=sys.argv[2], server_name="localhost")
ws.send("secure")
ws.send("/who")
while True:
    record = json.loads(ws.recv(timeout=20))
    if record["text"].startswith("online: "):
        print(record["text"])
        break
