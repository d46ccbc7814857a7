#!/usr/bin/env python3
"""The issue's faults, under a paced load, for the JetStream room and the core-NATS room alike.

    python3 Benchmarks/durable_faults.py --wire .build/release/wire --fanout "$(bash Benchmarks/fanout/build.sh)"

Two `wire chat-server` nodes on one nats-server; node B reaches it through a TCP forwarder of this
script's own (a process of its own). 10 clients over both nodes send 400 texts/s each, 64 B
(`fanout -rate 400`), and 3 s into the load:
  - partition: the forwarder is stopped (SIGSTOP) for 8 s, then continued: node B is cut off from
    NATS for longer than its pings allow (nothing is closed; the kernel holds what was sent);
  - nats-kill: nats-server is killed (SIGKILL) and started again 3 s later on the same port and store.
Prints one markdown table of deliveries, missing, out of order, members dropped and latency.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from durable_room import free_port, wait_for_port

FORWARDER = r'''
import socket, sys, threading
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
target = int(sys.argv[1])
def pipe(source, destination):
    try:
        while data := source.recv(65536):
            destination.sendall(data)
    except OSError:
        pass
    for end in (source, destination):
        try:
            end.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    client, _ = listener.accept()
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        continue
    for a, b in ((client, server), (server, client)):
        threading.Thread(target=pipe, args=(a, b), daemon=True).start()
'''


class Setup:
    def __init__(self, wire, kind):
        self.wire, self.kind = wire, kind
        self.processes = []
        self.store = tempfile.mkdtemp(prefix="wire-faults-")
        self.nats_port = free_port()

    def start_nats(self):
        command = ["nats-server", "-a", "127.0.0.1", "-p", str(self.nats_port)]
        if self.kind == "jetstream":
            command += ["-js", "-sd", self.store]
        self.nats = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.nats_port)

    def __enter__(self):
        self.start_nats()
        self.forwarder = subprocess.Popen([sys.executable, "-c", FORWARDER, str(self.nats_port)], stdout=subprocess.PIPE, text=True)
        forwarded = int(self.forwarder.stdout.readline())
        self.ports = []
        for nats_port in (self.nats_port, forwarded):
            port = free_port()
            node = [self.wire, "chat-server", "--port", str(port), "--nats", f"nats://127.0.0.1:{nats_port}", "--quiet"]
            if self.kind == "core":
                node.append("--nats-core")
            self.processes.append(subprocess.Popen(node, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_for_port(port)
            self.ports.append(port)
        time.sleep(1)  # both nodes linked (their status lines say so within a second)
        return self

    def __exit__(self, *_):
        for process in reversed(self.processes + [self.forwarder, self.nats]):
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
                process.wait(timeout=10)
        shutil.rmtree(self.store, ignore_errors=True)

    def fault(self, name, after):
        time.sleep(after)
        if name == "partition":
            self.forwarder.send_signal(signal.SIGSTOP)
            time.sleep(8)
            self.forwarder.send_signal(signal.SIGCONT)
        else:
            self.nats.kill()
            self.nats.wait()
            time.sleep(3)
            self.start_nats()


def run(args, kind, fault):
    with Setup(args.wire, kind) as setup:
        command = [args.fanout, "-proto", "chat", "-addr", ",".join(f"127.0.0.1:{p}" for p in setup.ports),
                   "-n", str(args.clients), "-k", str(args.rate * args.seconds), "-s", "64", "-rate", str(args.rate),
                   "-timeout", f"{args.seconds + 20}s"]
        injector = threading.Thread(target=setup.fault, args=(fault, 3.3))  # fanout starts 0.3 s after it connects
        load = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        injector.start()
        output, _ = load.communicate(timeout=args.seconds + 120)
        injector.join()
        return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wire", required=True)
    parser.add_argument("--fanout", required=True)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rate", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    faults = {"partition": "node B cut off from NATS for 8 s", "nats-kill": "nats-server SIGKILL, started again 3 s later"}
    rows = []
    for fault in faults:
        for kind in ("jetstream", "core"):
            figures = run(args, kind, fault)
            rows.append((fault, kind, figures))
            print(f"{fault} {kind}: missing {figures['missing']} disorder {figures['disorder']} closed {figures['closed']}", file=sys.stderr)
    print(f"{args.clients} clients over two nodes, {args.rate} texts/s each for {args.seconds} s, 64 B; the fault 3 s in")
    print()
    print("| fault | room | deliveries | missing | out of order | dropped | p50 ms | p99 ms | p99.9 ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for fault, kind, f in rows:
        room = "JetStream" if kind == "jetstream" else "core NATS"
        print(f"| {faults[fault]} | {room} | {f['deliveries']:,} | {f['missing']:,} | {f['disorder']:,} | {f['closed']} | "
              f"{f['latency_ms_p50']:.2f} | {f['latency_ms_p99']:.2f} | {f['latency_ms_p999']:.2f} |")


if __name__ == "__main__":
    main()
