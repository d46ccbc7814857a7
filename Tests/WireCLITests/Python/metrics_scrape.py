"""Drives a known workload through `wire chat-server --quiet --max-username-bytes 8
--stall-timeout 1 --metrics-port P` and checks /metrics to the exact value, parsed by
Prometheus's own text-format parser (prometheus_client, from PyPI), and /healthz.

Usage: metrics_scrape.py CHAT_PORT METRICS_PORT. Prints "ok" at the end."""
import http.client
import socket
import sys
import threading
import time

from prometheus_client.parser import text_string_to_metric_families

from chatproto import frame, read_record

CHAT_PORT, METRICS_PORT = int(sys.argv[1]), int(sys.argv[2])


def get(path):
    connection = http.client.HTTPConnection("127.0.0.1", METRICS_PORT, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    return response.status, response.getheader("Content-Type"), response.read().decode()


def scrape():
    """Every sample of /metrics by name and labels, through Prometheus's parser."""
    status, content_type, body = get("/metrics")
    assert status == 200, status
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    samples = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def expect(expected, deadline=20):
    """Waits until every (name, labels) -> value of `expected` holds; fails with what differs."""
    until = time.monotonic() + deadline
    while True:
        samples = scrape()
        wrong = {key: (value(samples, key[0], **dict(key[1])), want) for key, want in expected.items()
                 if value(samples, key[0], **dict(key[1])) != want}
        if not wrong:
            return samples
        if time.monotonic() > until:
            print(f"FAILED: (got, expected): {wrong}")
            sys.exit(1)
        time.sleep(0.05)


def key(name, **labels):
    return (name, tuple(sorted(labels.items())))


def join(name):
    sock = socket.create_connection(("127.0.0.1", CHAT_PORT))
    sock.sendall(frame(name))
    return sock


def read_all(sock):
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


status, _, body = get("/healthz")
assert (status, body) == (200, "ok\n"), (status, body)

# Three members; alice says ten texts of 100 bytes, bob and carol read them.
alice, bob, carol = join("alice"), join("bob"), join("carol")
expect({key("wire_chat_members", transport="tcp"): 3})
texts = [f"{i:03d}" + "x" * 97 for i in range(10)]
alice.sendall(b"".join(frame(text) for text in texts))
for reader in (bob, carol):
    got = [read_record(reader) for _ in texts]
    assert got == [("alice", text) for text in texts], got

# Two refused: a name too long, a name taken. Each reads its notice until the server closes.
refusal_bytes = 0
for name in ("frankenstein", "alice"):
    refusal_bytes += len(read_all(join(name)))

received = sum(len(frame(x)) for x in ["alice", "bob", "carol", *texts, "frankenstein", "alice"])
expect({
    key("wire_connections_accepted_total", listener="tcp"): 5,
    key("wire_connections_open", listener="tcp"): 3,
    key("wire_chat_members", transport="tcp"): 3,
    key("wire_chat_members", transport="websocket"): 0,
    key("wire_chat_texts_received_total"): 10,
    key("wire_chat_records_delivered_total"): 20,
    key("wire_chat_refusals_total", reason="username_too_long"): 1,
    key("wire_chat_refusals_total", reason="username_taken"): 1,
    key("wire_chat_refusals_total", reason="username_empty"): 0,
    key("wire_chat_evictions_total", reason="stalled"): 0,
    key("wire_received_bytes_total", listener="tcp"): received,
    # Each text to bob and carol: alice's name frame and the text frame.
    key("wire_sent_bytes_total", listener="tcp"): 20 * (len(frame("alice")) + 110) + refusal_bytes,
    key("wire_framing_errors_total", listener="tcp"): 0,
    key("wire_chat_slowest_member_queued_bytes"): 0,
    key("wire_chat_held_senders"): 0,
})

# A peer that breaks the framing: a header that is not a length.
breaker = socket.create_connection(("127.0.0.1", CHAT_PORT))
breaker.sendall(b"not a len!")
try:
    read_all(breaker)
except ConnectionResetError:
    pass
expect({key("wire_framing_errors_total", listener="tcp"): 1})

# One eviction: dave joins and never reads; alice talks until he is evicted (a stall of 1 s),
# bob and carol read on.
dave = join("dave")
expect({key("wire_chat_members", transport="tcp"): 4})
stop = threading.Event()


def drain(sock):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            if not sock.recv(1 << 20):
                return
        except socket.timeout:
            continue


readers = [threading.Thread(target=drain, args=(s,), daemon=True) for s in (bob, carol)]
for reader in readers:
    reader.start()
alice.setblocking(False)
big = frame("y" * 60000)
pending = b""
until = time.monotonic() + 30
while value(scrape(), "wire_chat_evictions_total", reason="stalled") != 1:
    if time.monotonic() > until:
        print("FAILED: dave was not evicted")
        sys.exit(1)
    try:
        pending = pending or big * 4
        pending = pending[alice.send(pending):]
    except BlockingIOError:
        time.sleep(0.01)
samples = scrape()
assert value(samples, "wire_chat_evictions_total", reason="overflowed") == 0, samples
stop.set()
for reader in readers:
    reader.join()
for sock in (alice, bob, carol, dave, breaker):
    sock.close()
expect({
    key("wire_chat_members", transport="tcp"): 0,
    key("wire_connections_open", listener="tcp"): 0,
    key("wire_connections_accepted_total", listener="tcp"): 7,
    key("wire_chat_refusals_total", reason="username_too_long"): 1,
    key("wire_chat_evictions_total", reason="stalled"): 1,
})
print("ok")
