#!/usr/bin/env python3
"""Soak: a Wire echo server and chat server under load while faults are injected.

  python3 Soak/soak.py --wire .build/release/wire [--seconds 60] [--clients 8] [--json]

Well-behaved clients verify that every message comes back complete and in order (each carries
its sequence number and a CRC32); meanwhile fault injectors kill clients mid-frame, reset
connections, half-close, read slowly or not at all, flood the server with connections, and send
malformed headers and oversize lengths. Everything runs on 127.0.0.1, bounded by --seconds.
Prints connections served, messages verified, faults injected, errors seen by good clients
(must be 0) and the servers' peak memory; exits 1 if a good client saw an error.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import socket
import struct
import subprocess
import sys
import time
import zlib

HEADER = 10


def frame(payload):
    return f"{len(payload):<{HEADER}}".encode() + payload


async def read_frame(reader):
    header = await reader.readexactly(HEADER)
    length = int(header.strip())
    return await reader.readexactly(length) if length else b""


class Stats:
    def __init__(self):
        self.verified = 0
        self.good_connections = 0
        self.faults = {}
        self.errors = []

    def fault(self, name):
        self.faults[name] = self.faults.get(name, 0) + 1


def start(command):
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    port = int(line.split()[2].rsplit(":", 1)[1])
    # Keep draining its output so that it never blocks on a full pipe.
    asyncio.get_running_loop().run_in_executor(None, lambda: [None for _ in process.stdout])
    return process, port


def peak_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None


async def good_echo_client(port, stats, deadline, index):
    """Sends batches of checksummed messages while reading the echoes, and checks every one."""
    rng = random.Random(index)
    while time.monotonic() < deadline:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        stats.good_connections += 1
        sent = asyncio.Queue()

        async def verify():
            while True:
                expected = await sent.get()
                if expected is None:
                    if await asyncio.wait_for(reader.read(1), 30) != b"":
                        raise RuntimeError("more bytes came back than were sent")
                    return
                echoed = await asyncio.wait_for(read_frame(reader), 30)
                sequence, crc = struct.unpack("!II", echoed[:8])
                if echoed != expected or zlib.crc32(echoed[8:]) != crc:
                    raise RuntimeError(f"message {sequence} came back wrong")
                stats.verified += 1

        verifier = asyncio.ensure_future(verify())
        try:
            for sequence in range(rng.randint(50, 500)):
                body = os.urandom(rng.choice([0, 1, 16, 200, 4000, 30000]))
                payload = struct.pack("!II", sequence, zlib.crc32(body)) + body
                writer.write(frame(payload))
                sent.put_nowait(payload)
                await writer.drain()
                if verifier.done():
                    verifier.result()
            writer.write_eof()
            sent.put_nowait(None)
            await verifier
        except Exception as error:  # any failure of a good client is an error of the server
            stats.errors.append(f"echo client {index}: {type(error).__name__}: {error}")
            verifier.cancel()
            return
        finally:
            writer.close()


async def good_chat_client(port, stats, deadline, index, names, totals):
    """Sends numbered texts until the deadline; checks that every other good client's texts all
    arrive, each sender's in order, then says how many it sent."""
    name = f"good{index}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(frame(name.encode()))
    await writer.drain()
    last_seen = {}
    everyone_in = asyncio.Event()

    def complete():
        return all(other in totals and last_seen.get(other, -1) == totals[other] - 1 for other in names - {name})

    async def receive():
        while True:
            user = (await read_frame(reader)).decode()
            text = (await read_frame(reader)).decode()
            if user == "[server]" and text.startswith("online: "):
                # Membership starts when the server has taken the username, not when it was sent.
                if names <= set(text[len("online: "):].split(", ")):
                    everyone_in.set()
            elif user in names:
                number = int(text)
                if number != last_seen.get(user, -1) + 1:
                    raise RuntimeError(f"{user}'s message {number} arrived after {last_seen.get(user)}")
                last_seen[user] = number
                stats.verified += 1

    receiver = asyncio.ensure_future(receive())
    sent = 0
    try:
        while not everyone_in.is_set():
            writer.write(frame(b"/who"))
            await writer.drain()
            await asyncio.sleep(0.02)
            if receiver.done():
                receiver.result()
        while time.monotonic() < deadline:
            writer.write(frame(str(sent).encode()))
            sent += 1
            await writer.drain()
            await asyncio.sleep(0.005)
            if receiver.done():
                receiver.result()
        totals[name] = sent
        give_up = time.monotonic() + 30
        while not complete():
            if receiver.done():
                receiver.result()
            if time.monotonic() > give_up:
                missing = {o: (last_seen.get(o, -1) + 1, totals.get(o)) for o in names - {name}}
                raise RuntimeError(f"texts still missing after 30 s (received, sent): {missing}")
            await asyncio.sleep(0.05)
        receiver.cancel()
    except Exception as error:
        stats.errors.append(f"chat {name}: {type(error).__name__}: {error}")
        receiver.cancel()
    finally:
        totals.setdefault(name, sent)
        writer.close()


def raw_socket(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s


def reset(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def inject_faults(port, chat_port, stats, deadline):
    rng = random.Random(7)
    faults = [
        ("killed mid-frame", lambda s: (s.sendall(frame(b"x" * 1000)[:rng.randint(1, 500)]), reset(s))),
        ("reset after a message", lambda s: (s.sendall(frame(b"hello")), reset(s))),
        ("half-closed mid-frame", lambda s: (s.sendall(b"100       abc"), s.shutdown(socket.SHUT_WR), s.recv(100), s.close())),
        ("malformed header", lambda s: (s.sendall(b"12a       hello"), s.recv(100), s.close())),
        ("oversize length", lambda s: (s.sendall(b"9999999999"), s.recv(100), s.close())),
        ("binary garbage", lambda s: (s.sendall(os.urandom(200)), s.recv(100), s.close())),
        ("slow reader", lambda s: (s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),
                                   [s.sendall(frame(b"y" * 30000)) for _ in range(50)], reset(s))),
    ]
    held = []
    while time.monotonic() < deadline:
        name, action = rng.choice(faults)
        try:
            action(raw_socket(port))
        except OSError:
            pass
        stats.fault(name)
        # A flood of connections now and then, held briefly.
        if rng.random() < 0.02:
            for _ in range(200):
                try:
                    held.append(raw_socket(port))
                except OSError:
                    break
            stats.fault("connection flood (200)")
            for s in held:
                s.close()
            held.clear()
        # A chat client that joins and never reads, sent to the room's busiest moments.
        if rng.random() < 0.05:
            try:
                s = raw_socket(chat_port)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.sendall(frame(f"sleeper{rng.randint(0, 10**9)}".encode()))
                held.append(s)
                stats.fault("chat client that never reads")
            except OSError:
                pass
        time.sleep(0.002)
    for s in held:
        s.close()


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wire", required=True)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--idle-connections", type=int, default=10000, help="held at the end; 0 to skip")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    # Thousands of connections on each side: raise the descriptor limit to what is allowed.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    echo, echo_port = start([args.wire, "serve", "--port", "0", "--echo", "--max-message-size", "65536"])
    chat, chat_port = start([args.wire, "chat-server", "--port", "0", "--quiet", "--max-queued-bytes", "262144"])
    stats = Stats()
    started = time.monotonic()
    deadline = started + args.seconds
    try:
        loop = asyncio.get_running_loop()
        injector = loop.run_in_executor(None, inject_faults, echo_port, chat_port, stats, deadline)
        names = {f"good{i}" for i in range(4)}
        totals = {}
        await asyncio.gather(
            *(good_echo_client(echo_port, stats, deadline, i) for i in range(args.clients)),
            *(good_chat_client(chat_port, stats, deadline, i, names, totals) for i in range(4)),
        )
        await injector
        peaks = {"echo server": peak_kib(echo.pid), "chat server": peak_kib(chat.pid)}
        idle = None
        if args.idle_connections > 0:
            # Then hold that many idle connections on the same echo server, and weigh them.
            out = subprocess.run(
                [args.wire, "bench", "connections", "--port", str(echo_port), "--count", str(args.idle_connections),
                 "--server-pid", str(echo.pid), "--json", "--no-progress"],
                capture_output=True, text=True, timeout=300,
            )
            if out.returncode != 0:
                stats.errors.append(f"idle connections: {out.stderr.strip()}")
            else:
                idle = round(json.loads(out.stdout)["server_bytes_per_connection"])
    finally:
        echo.terminate()
        chat.terminate()
    report = {
        "seconds": round(time.monotonic() - started, 1),
        "connections_served": stats.good_connections + sum(
            count * (200 if name.startswith("connection flood") else 1) for name, count in stats.faults.items()
        ),
        "good_connections": stats.good_connections,
        "messages_verified": stats.verified,
        "faults_injected": sum(stats.faults.values()),
        "faults": stats.faults,
        "errors_seen_by_good_clients": len(stats.errors),
        "peak_rss_mib": {name: round(kib / 1024, 1) if kib else None for name, kib in peaks.items()},
        "idle_connections": args.idle_connections,
        "idle_bytes_per_connection": idle,
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key.replace('_', ' ')}: {value}")
    for error in stats.errors[:10]:
        print(f"ERROR {error}", file=sys.stderr)
    sys.exit(1 if stats.errors else 0)


asyncio.run(main())
