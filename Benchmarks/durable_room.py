#!/usr/bin/env python3
"""The durable room beside the core-NATS room and nats-server alone, with one load generator.

    python3 Benchmarks/durable_room.py --wire .build/release/wire --fanout "$(bash Benchmarks/fanout/build.sh)"

Three setups, each fresh for every run:
  - JetStream: nats-server -js (a new store), two `wire chat-server` nodes keeping the room in a
    stream (the default where the server has JetStream);
  - core NATS: nats-server, two nodes with --nats-core;
  - nats-server alone, the load generator speaking NATS (-proto nats).
Two loads: a burst (every client sends its texts at once: deliveries/s) and a paced load (each
client sends R texts per second: delivery latency p50/p99). The clients are spread over both nodes.
Prints one markdown table; every run must deliver everything, in each sender's order.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Setup:
    def __init__(self, wire, kind):
        self.wire, self.kind = wire, kind
        self.processes, self.store = [], None

    def __enter__(self):
        nats_port = free_port()
        command = ["nats-server", "-a", "127.0.0.1", "-p", str(nats_port)]
        if self.kind == "jetstream":
            self.store = tempfile.mkdtemp(prefix="wire-bench-js-")
            command += ["-js", "-sd", self.store]
        self.processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_for_port(nats_port)
        if self.kind == "nats":
            self.proto, self.ports = "nats", [nats_port]
            return self
        self.proto, self.ports = "chat", []
        for _ in range(2):
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
        for process in reversed(self.processes):
            process.terminate()
            process.wait(timeout=10)
        if self.store:
            shutil.rmtree(self.store, ignore_errors=True)


def run(fanout, setup, clients, per_client, size, rate):
    command = [fanout, "-proto", setup.proto, "-addr", ",".join(f"127.0.0.1:{p}" for p in setup.ports),
               "-n", str(clients), "-k", str(per_client), "-s", str(size), "-timeout", "120s"]
    if rate:
        command += ["-rate", str(rate)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    lost = {k: figures[k] for k in ("missing", "disorder", "closed") if figures[k]}
    if lost:
        raise RuntimeError(f"{setup.kind} lost messages: {lost}")
    return figures, " ".join(command[:1] + ["..."] + command[3:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wire", required=True)
    parser.add_argument("--fanout", required=True)
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--burst", type=int, default=20000, help="texts per client in the burst")
    parser.add_argument("--rate", type=int, default=400, help="texts per second per client, paced")
    parser.add_argument("--seconds", type=int, default=10, help="length of the paced load")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--kinds", default="jetstream,core,nats", help="setups to run, of jetstream,core,nats")
    parser.add_argument("--paced-only", action="store_true", help="skip the burst (to look at latency)")
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    names = {"jetstream": "Wire, 2 nodes, JetStream", "core": "Wire, 2 nodes, core NATS", "nats": "nats-server alone"}
    rows = []
    for kind in kinds:
        burst = {"deliveries_per_s": float("nan")}
        if not args.paced_only:
            with Setup(args.wire, kind) as setup:
                burst, _ = run(args.fanout, setup, args.clients, args.burst, args.size, 0)
        with Setup(args.wire, kind) as setup:
            paced, _ = run(args.fanout, setup, args.clients, args.rate * args.seconds, args.size, args.rate)
        rows.append((names[kind], burst, paced))
        print(f"{kind}: burst {burst['deliveries_per_s']:,.0f}/s, paced p50 {paced['latency_ms_p50']:.2f} ms p99 {paced['latency_ms_p99']:.2f} ms", file=sys.stderr)
    print(f"{args.clients} clients x {args.size} B; burst: {args.burst:,} texts each; paced: {args.rate}/s each for {args.seconds} s")
    print()
    print("| setup | burst deliveries/s | paced p50 ms | paced p99 ms | paced p99.9 ms |")
    print("|---|---:|---:|---:|---:|")
    for name, burst, paced in rows:
        print(f"| {name} | {burst['deliveries_per_s']:,.0f} | {paced['latency_ms_p50']:.2f} | {paced['latency_ms_p99']:.2f} | {paced['latency_ms_p999']:.2f} |")
    if kinds[:2] != ["jetstream", "core"]:
        return
    core = rows[1]
    js = rows[0]
    print()
    print(f"JetStream / core NATS: burst {js[1]['deliveries_per_s'] / core[1]['deliveries_per_s']:.2f}x, paced p99 {js[2]['latency_ms_p99'] / core[2]['latency_ms_p99']:.2f}x")


if __name__ == "__main__":
    main()
