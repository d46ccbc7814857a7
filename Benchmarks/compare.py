#!/usr/bin/env python3
"""Runs every workload of the performance issue against Wire and its peers, then prints the tables.

Started by compare.sh, which installs and builds what this needs. Every server listens on
127.0.0.1 on a free port, is started and stopped here by PID, and every client is bounded by a
message count (or a duration for iperf3 and sockperf) and a timeout.
"""
import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone


def free_port(span=1):
    """A port p such that p..p+span-1 were free a moment ago."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + span < 65536 and all(port_is_free(port + i) for i in range(1, span)):
            return port


def port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Server:
    def __init__(self, command, port):
        self.command = command
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                time.sleep(0.2)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: {' '.join(command)}")
                time.sleep(0.05)
        raise RuntimeError(f"server did not listen: {' '.join(command)}")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run(command, timeout=180):
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[-500:]}")
    return result.stdout


def last_json(output):
    return json.loads(output.strip().splitlines()[-1])


def progress(text):
    print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)


class Compare:
    def __init__(self, args):
        self.args = args
        self.rows = []  # (workload, implementation, unit, [values], command)
        self.fanout_rss = {}  # (workload, implementation) -> peak RSS in bytes

    def measure(self, workload, implementation, unit, key, server, client, runs=None, parse=last_json):
        """Starts `server(port)`, runs `client(port)` several times, keeps `key` of each run."""
        port = free_port(span=2)
        values = []
        server_process = Server(server(port), port) if server else None
        try:
            for index in range(runs or self.args.runs):
                progress(f"{workload}: {implementation}, run {index + 1}")
                values.append(float(parse(run(client(port)))[key]))
        except Exception as error:  # one peer failing must not lose the others' figures
            print(f"\n{workload} / {implementation}: {error}", file=sys.stderr)
        finally:
            if server_process:
                server_process.stop()
        command = " ".join(client("PORT"))
        self.rows.append((workload, implementation, unit, values, command))
        return statistics.median(values) if values else None

    def wire(self, framing, *rest):
        flags = ["--framing", "length"] if framing == "length" else ["--framing", "header"]
        return [self.args.wire, *rest, *flags]

    def sink(self, size, count, python_count):
        workload = f"one-way {size} B" if size < 1024 else f"one-way {size // 1024} KiB" if size < 1 << 20 else "one-way 1 MiB"
        unit = "msg/s" if size < 1024 else "MB/s"
        key = "messages_per_second" if size < 1024 else "megabytes_per_second"
        n = str(count)
        figures = {}
        for framing in ("length", "header"):
            figures[f"wire-{framing}"] = self.measure(
                workload, f"Wire ({framing})", unit, key,
                lambda p, f=framing: self.wire(f, "serve", "--port", str(p), "--sink", "--quiet"),
                lambda p, f=framing: self.wire(f, "bench", "sink", "--port", str(p), "--size", str(size), "--count", n, "--json", "--no-progress"),
            )
        figures["nio"] = self.measure(
            workload, "raw NIO pipeline", unit, key,
            lambda p: [self.args.baseline, "server", "--mode", "sink", "--port", str(p)],
            lambda p: [self.args.baseline, "sink", "--port", str(p), "--size", str(size), "--count", n],
        )
        if size <= 4096:
            figures["zmq"] = self.measure(
                workload, "libzmq PUSH/PULL (C)", unit, key,
                lambda p: [self.args.zmq, "pull-server", "127.0.0.1", str(p)],
                lambda p: [self.args.zmq, "push", "127.0.0.1", str(p), n, str(size)],
            )
            figures["python"] = self.measure(
                workload, "Python asyncio (tutorial header)", unit, key,
                lambda p: [sys.executable, self.args.python_peer, "server", "--mode", "sink", "--port", str(p)],
                lambda p: [sys.executable, self.args.python_peer, "sink", "--port", str(p), "--size", str(size), "--count", str(python_count)],
            )
        else:
            figures["iperf3"] = self.measure(
                workload, "iperf3 -l 1M (limit)", unit, "megabytes_per_second",
                lambda p: ["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)],
                lambda p: ["iperf3", "-c", "127.0.0.1", "-p", str(p), "-l", "1M", "-t", str(self.args.seconds), "-J"],
                parse=lambda out: {"megabytes_per_second": json.loads(out)["end"]["sum_received"]["bits_per_second"] / 8 / 1e6},
            )
        return figures

    def echo(self, count):
        workload, unit, key, n = "ping-pong 64 B, p50", "µs", "p50_us", str(count)
        figures = {}
        for framing in ("length", "header"):
            figures[f"wire-{framing}"] = self.measure(
                workload, f"Wire ({framing})", unit, key,
                lambda p, f=framing: self.wire(f, "serve", "--port", str(p), "--echo", "--quiet"),
                lambda p, f=framing: self.wire(f, "bench", "echo", "--port", str(p), "--size", "64", "--count", n, "--json", "--no-progress"),
            )
        figures["nio"] = self.measure(
            workload, "raw NIO pipeline", unit, key,
            lambda p: [self.args.baseline, "server", "--mode", "echo", "--port", str(p)],
            lambda p: [self.args.baseline, "echo", "--port", str(p), "--size", "64", "--count", n],
        )
        figures["zmq"] = self.measure(
            workload, "libzmq REQ/REP (C)", unit, key,
            lambda p: [self.args.zmq, "rep-server", "127.0.0.1", str(p)],
            lambda p: [self.args.zmq, "req", "127.0.0.1", str(p), n, "64", "1000"],
        )
        figures["python"] = self.measure(
            workload, "Python asyncio (tutorial header)", unit, key,
            lambda p: [sys.executable, self.args.python_peer, "server", "--mode", "echo", "--port", str(p)],
            lambda p: [sys.executable, self.args.python_peer, "echo", "--port", str(p), "--size", "64", "--count", n],
        )
        figures["sockperf"] = self.measure(
            workload, "sockperf pp --full-rtt (limit)", unit, key,
            lambda p: ["sockperf", "sr", "--tcp", "-i", "127.0.0.1", "-p", str(p)],
            lambda p: ["sockperf", "pp", "--tcp", "-i", "127.0.0.1", "-p", str(p), "-m", "64", "-t", str(self.args.seconds), "--full-rtt"],
            parse=parse_sockperf,
        )
        return figures

    def idle(self, count):
        workload, unit, key = f"{count:,} idle connections, server RSS", "B/conn", "server_bytes_per_connection"
        figures = {}

        def measure(implementation, framing, server_command):
            port = free_port()
            server = Server(server_command(port), port)
            values = []
            try:
                progress(f"{workload}: {implementation}")
                out = run(self.wire(framing, "bench", "connections", "--port", str(port), "--count", str(count),
                                    "--server-pid", str(server.process.pid), "--json", "--no-progress"), timeout=300)
                values.append(float(last_json(out)[key]))
            except Exception as error:
                print(f"\n{workload} / {implementation}: {error}", file=sys.stderr)
            finally:
                server.stop()
            self.rows.append((workload, implementation, unit, values, f"wire bench connections --count {count} --server-pid PID"))
            return values[0] if values else None

        figures["wire-length"] = measure("Wire (length)", "length", lambda p: self.wire("length", "serve", "--port", str(p), "--echo", "--quiet"))
        figures["wire-header"] = measure("Wire (header)", "header", lambda p: self.wire("header", "serve", "--port", str(p), "--echo", "--quiet"))
        figures["nio"] = measure("raw NIO pipeline", "length", lambda p: [self.args.baseline, "server", "--mode", "echo", "--port", str(p)])
        return figures


    def fanout(self, clients, per_client, size):
        """The chat room's fan-out: the same Go load generator against wire chat-server (default
        flags) and nats-server; each run must deliver everything, in each sender's order."""
        workload = f"fan-out {clients} x {per_client:,} x {size:,} B"
        unit = "deliveries/s"
        figures = {}
        def one(command):
            def start():
                port = free_port()
                return [Server(command(port), port)], [port]
            return start

        def two_nodes():
            # nats-server, then two wire chat-server nodes sharing one room through it; the load
            # generator spreads its clients over both nodes.
            nats_port = free_port()
            servers = [Server(["nats-server", "-a", "127.0.0.1", "-p", str(nats_port)], nats_port)]
            ports = []
            for _ in range(2):
                port = free_port()
                servers.append(Server([self.args.wire, "chat-server", "--port", str(port), "--nats", f"nats://127.0.0.1:{nats_port}"], port))
                ports.append(port)
            return servers, ports

        setups = (
            ("wire", "Wire chat-server", "chat", one(lambda p: [self.args.wire, "chat-server", "--port", str(p)])),
            ("nats", "nats-server", "nats", one(lambda p: ["nats-server", "-a", "127.0.0.1", "-p", str(p)])),
            ("wire-2-nodes", "Wire chat-server, 2 nodes over nats-server", "chat", two_nodes),
        )
        for key, implementation, proto, start in setups:
            servers, ports = start()
            values = []
            client = lambda ps: [self.args.fanout, "-proto", proto, "-addr", ",".join(f"127.0.0.1:{p}" for p in ps), "-n", str(clients),
                                 "-k", str(per_client), "-s", str(size), "-timeout", "60s"]
            try:
                for index in range(self.args.runs):
                    progress(f"{workload}: {implementation}, run {index + 1}")
                    result = subprocess.run(client(ports), capture_output=True, text=True, timeout=120)
                    figures_of_run = last_json(result.stdout)
                    lost = {k: figures_of_run[k] for k in ("missing", "disorder", "closed") if figures_of_run[k]}
                    if lost:
                        raise RuntimeError(f"run {index + 1} lost messages: {lost}")
                    values.append(float(figures_of_run["deliveries_per_s"]))
            except Exception as error:
                print(f"\n{workload} / {implementation}: {error}", file=sys.stderr)
            finally:
                # Every process of the setup together (both nodes and their nats-server).
                peaks = [peak_rss_bytes(server.process.pid) for server in servers]
                rss = None if None in peaks else sum(peaks)
                for server in servers:
                    server.stop()
            command = " ".join(client(["PORT"] * len(ports)))
            self.rows.append((workload, implementation, unit, values, command))
            self.fanout_rss[(workload, implementation)] = rss
            figures[key] = statistics.median(values) if values else None
        return workload, figures


    def room(self, members_tool):
        """A room at a steady load and a big quiet room, beside nats-server with the same Go
        clients: delivery latency at 10 x 400 and 50 x 100 texts/s (fanout -rate), and 15,000
        members joining, their memory and one text's broadcast (members). One run each: the
        figures are latencies and times, not rates to take a median of."""
        figures = {}
        setups = (
            ("wire", "Wire chat-server", "chat", lambda p: [self.args.wire, "chat-server", "--port", str(p), "--quiet", "--max-connections", "19000"]),
            ("nats", "nats-server", "nats", lambda p: ["nats-server", "-a", "127.0.0.1", "-p", str(p)]),
        )
        for clients, rate in ((10, 400), (50, 100)):
            workload = f"paced {clients} x {rate}/s x 64 B, 10 s"
            for key, implementation, proto, command in setups:
                port = free_port()
                server = Server(command(port), port)
                client = [self.args.fanout, "-proto", proto, "-addr", f"127.0.0.1:{port}", "-n", str(clients),
                          "-k", str(rate * 10), "-s", "64", "-rate", str(rate), "-timeout", "60s"]
                try:
                    progress(f"{workload}: {implementation}")
                    run = last_json(subprocess.run(client, capture_output=True, text=True, timeout=120).stdout)
                    lost = {k: run[k] for k in ("missing", "disorder", "closed") if run[k]}
                    if lost:
                        raise RuntimeError(f"lost messages: {lost}")
                    for percentile in ("p50", "p99"):
                        value = float(run[f"latency_ms_{percentile}"])
                        self.rows.append((f"{workload}, latency {percentile}", implementation, "ms", [value], " ".join(client)))
                        figures[(workload, percentile, key)] = value
                except Exception as error:
                    print(f"\n{workload} / {implementation}: {error}", file=sys.stderr)
                finally:
                    server.stop()
        workload = "15,000 quiet members"
        for key, implementation, proto, command in setups:
            port = free_port()
            server = Server(command(port), port)
            client = [members_tool, "-proto", proto, "-addr", f"127.0.0.1:{port}", "-pid", str(server.process.pid), "-n", "15000", "-b", "20"]
            try:
                progress(f"{workload}: {implementation}")
                run = last_json(subprocess.run(client, capture_output=True, text=True, timeout=600).stdout)
                if run["missing"] or run["closed"]:
                    raise RuntimeError(f"missing {run['missing']}, closed {run['closed']}")
                for name, unit, value in (("join", "s", run["join_s"]), ("memory per member", "KB", run["kb_per_member"]),
                                          ("broadcast p99", "ms", run["latency_ms_p99"])):
                    self.rows.append((f"{workload}, {name}", implementation, unit, [float(value)], " ".join(client)))
                    figures[(workload, name, key)] = float(value)
            except Exception as error:
                print(f"\n{workload} / {implementation}: {error}", file=sys.stderr)
            finally:
                server.stop()
        return figures


def peak_rss_bytes(pid):
    """The peak resident size of a running process (VmHWM), in bytes."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def parse_sockperf(output):
    match = re.search(r"percentile 50\.000 =\s+([\d.]+)", output)
    if not match:
        raise RuntimeError("no p50 in sockperf output")
    return {"p50_us": float(match.group(1))}


def ratio(a, b):
    return a / b if a and b else None


def fmt(value, unit):
    if value is None:
        return "n/a"
    if unit in ("msg/s", "MB/s", "B/conn", "deliveries/s"):
        return f"{value:,.0f}"
    if unit == "ms":
        return f"{value:,.2f}"
    return f"{value:,.1f}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wire", required=True)
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--zmq", required=True)
    parser.add_argument("--python-peer", required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="duration of iperf3 and sockperf runs")
    parser.add_argument("--fanout", help="the fan-out load generator (shared/bench/fanout); without it, no fan-out rows")
    parser.add_argument("--members", help="the big-room tool (shared/bench/members); without it, no big-room rows")
    parser.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    parser.add_argument("--only", help="comma-separated sections to run: sink, echo, idle, fanout, room (default: all)")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    sections = set(args.only.split(",")) if args.only else {"sink", "echo", "idle", "fanout", "room"}
    empty = {"wire-length": None, "wire-header": None, "nio": None}

    compare = Compare(args)
    started = time.monotonic()
    small = compare.sink(64, 1_000_000 // scale, 200_000 // scale) if "sink" in sections else dict(empty)
    medium = compare.sink(4096, 200_000 // scale, 100_000 // scale) if "sink" in sections else dict(empty)
    large = compare.sink(1 << 20, 2000 // scale, 0) if "sink" in sections else dict(empty)
    echo = compare.echo(20_000 // scale) if "echo" in sections else dict(empty, zmq=None)
    idle = compare.idle(10_000 // scale) if "idle" in sections else dict(empty)
    fanouts = []
    if "fanout" in sections and args.fanout:
        for clients, per_client, size in ((10, 20_000, 64), (100, 2_000, 64), (10, 300, 16_000)):
            fanouts.append(compare.fanout(clients, per_client // scale, size))
    room = compare.room(args.members) if "room" in sections and args.fanout and args.members else {}
    progress("")

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# Wire beside its peers, {when}, {os.cpu_count()} cores, loopback, {args.runs} runs each (median, min, max)\n")
    print("| workload | implementation | median | min | max | unit | client |")
    print("|---|---|---:|---:|---:|---|---|")
    for workload, implementation, unit, values, command in compare.rows:
        cells = [fmt(statistics.median(values), unit), fmt(min(values), unit), fmt(max(values), unit)] if values else ["n/a"] * 3
        print(f"| {workload} | {implementation} | {' | '.join(cells)} | {unit} | `{os.path.basename(command.split()[0])} {' '.join(command.split()[1:])}` |")

    goals = [
        ("one-way 64 B", "Wire (length) / libzmq", ratio(small["wire-length"], small.get("zmq")), ">= 1.0", lambda r: r >= 1.0),
        ("one-way 64 B", "Wire (length) / raw NIO", ratio(small["wire-length"], small["nio"]), ">= 2.5", lambda r: r >= 2.5),
        ("one-way 4 KiB", "Wire (length) / raw NIO", ratio(medium["wire-length"], medium["nio"]), ">= 1.0", lambda r: r >= 1.0),
        ("one-way 4 KiB", "Wire (length) / libzmq", ratio(medium["wire-length"], medium.get("zmq")), ">= 3.0", lambda r: r >= 3.0),
        ("one-way 1 MiB", "Wire (length) / iperf3 -l 1M", ratio(large["wire-length"], large.get("iperf3")), ">= 0.9", lambda r: r >= 0.9),
        ("ping-pong 64 B p50", "Wire (length) / raw NIO", ratio(echo["wire-length"], echo["nio"]), "<= 1.1", lambda r: r <= 1.1),
        ("ping-pong 64 B p50", "Wire (length) / libzmq REQ/REP", ratio(echo["wire-length"], echo["zmq"]), "< 1.0", lambda r: r < 1.0),
        ("idle connections", "Wire (length) / raw NIO, bytes per connection", ratio(idle["wire-length"], idle["nio"]), "<= 1.2", lambda r: r <= 1.2),
    ]
    for name, figures, higher_is_better in (("one-way 64 B", small, True), ("one-way 4 KiB", medium, True),
                                            ("one-way 1 MiB", large, True), ("ping-pong 64 B p50", echo, False),
                                            ("idle connections", idle, False)):
        r = ratio(figures["wire-header"], figures["wire-length"])
        goals.append((name, "Wire header / Wire length", r, "within 10 %",
                      (lambda r: r >= 0.9) if higher_is_better else (lambda r: r <= 1.1)))

    for workload, figures in fanouts:
        goals.append((workload, "Wire chat-server / nats-server, deliveries/s", ratio(figures["wire"], figures["nats"]), ">= 1.0", lambda r: r >= 1.0))
        # Across two nodes every text also crosses NATS and is delivered by two servers: a figure
        # to watch beside the single node, without a goal yet.
        goals.append((workload, "Wire 2 nodes / Wire 1 node, deliveries/s", ratio(figures["wire-2-nodes"], figures["wire"]), "(watch)", lambda r: True))

    # Issue 22's goals: latency at a steady load at most nats-server's; joins at most its time;
    # a broadcast to 15,000 at most 0.7x its p99; memory per member at most 6 KB.
    for clients, rate in ((10, 400), (50, 100)):
        workload = f"paced {clients} x {rate}/s x 64 B, 10 s"
        for percentile in ("p50", "p99"):
            goals.append((workload, f"Wire chat-server / nats-server, latency {percentile}",
                          ratio(room.get((workload, percentile, "wire")), room.get((workload, percentile, "nats"))), "<= 1.0", lambda r: r <= 1.0))
    goals.append(("15,000 quiet members", "Wire chat-server / nats-server, join time",
                  ratio(room.get(("15,000 quiet members", "join", "wire")), room.get(("15,000 quiet members", "join", "nats"))), "<= 1.0", lambda r: r <= 1.0))
    goals.append(("15,000 quiet members", "Wire chat-server / nats-server, broadcast p99",
                  ratio(room.get(("15,000 quiet members", "broadcast p99", "wire")), room.get(("15,000 quiet members", "broadcast p99", "nats"))), "<= 0.7", lambda r: r <= 0.7))

    if fanouts:
        print("\n| fan-out workload | server | deliveries/s (median) | peak RSS |")
        print("|---|---|---:|---:|")
        for (workload, implementation), rss in compare.fanout_rss.items():
            values = next(v for w, i, _, v, _ in compare.rows if w == workload and i == implementation)
            median = fmt(statistics.median(values), "deliveries/s") if values else "n/a"
            print(f"| {workload} | {implementation} | {median} | {'n/a' if rss is None else f'{rss / (1 << 20):,.1f} MiB'} |")

    print("\n| row | ratio | measured | goal | met |")
    print("|---|---|---:|---|---|")
    for row, what, value, goal, check in goals:
        if value is None and args.only:
            continue
        met = "n/a" if value is None else ("yes" if check(value) else "no")
        print(f"| {row} | {what} | {'n/a' if value is None else f'{value:.2f}x'} | {goal} | {met} |")
    print(f"\nTotal time: {time.monotonic() - started:.0f} s. Command: Benchmarks/compare.sh (RUNS={args.runs}{', QUICK=1' if args.quick else ''})")


if __name__ == "__main__":
    main()
