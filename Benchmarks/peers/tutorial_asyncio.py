"""Python asyncio peer for benchmarks/compare.sh, with the tutorial's 10-byte ASCII header.

  tutorial_asyncio.py server --mode sink|echo --port P
  tutorial_asyncio.py sink --port P --count N --size S
  tutorial_asyncio.py echo --port P --count N --size S --warmup W

readexactly(10) + readexactly(n) per frame, writer.write(frame) + await writer.drain() per message,
write_eof() for the half-close: the tutorial's protocol written the usual asyncio way.
Clients print one JSON object.
"""
import argparse
import asyncio
import json
import math
import time

HEADERSIZE = 10


def frame(payload):
    return f"{len(payload):<{HEADERSIZE}}".encode() + payload


async def read_frame(reader):
    try:
        header = await reader.readexactly(HEADERSIZE)
    except asyncio.IncompleteReadError:
        return None
    length = int(header.strip())
    return await reader.readexactly(length) if length else b""


async def serve(mode, host, port):
    async def handle(reader, writer):
        count = 0
        while (message := await read_frame(reader)) is not None:
            if mode == "echo":
                writer.write(frame(message))
                await writer.drain()
            else:
                count += 1
        if mode == "sink":
            writer.write(frame(str(count).encode()))
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, host, port)
    print(f"asyncio {mode} server on {host}:{port}", flush=True)
    async with server:
        await server.serve_forever()


async def sink(host, port, count, size):
    payload = b"x" * size
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    for _ in range(count):
        writer.write(frame(payload))
        await writer.drain()
    writer.write_eof()
    reply = await read_frame(reader)
    seconds = time.monotonic() - start
    assert int(reply) == count, f"server counted {reply!r}, sent {count}"
    print(json.dumps({"impl": "python-asyncio", "workload": "sink", "size": size, "count": count,
                      "seconds": seconds, "messages_per_second": count / seconds,
                      "megabytes_per_second": count * size / seconds / 1e6}))


async def echo(host, port, count, size, warmup):
    payload = frame(b"x" * size)
    reader, writer = await asyncio.open_connection(host, port)
    samples = []
    for i in range(warmup + count):
        sent = time.monotonic()
        writer.write(payload)
        await writer.drain()
        await read_frame(reader)
        if i >= warmup:
            samples.append((time.monotonic() - sent) * 1e6)
    samples.sort()
    rank = lambda p: samples[max(1, math.ceil(p / 100 * len(samples))) - 1]
    print(json.dumps({"impl": "python-asyncio", "workload": "echo", "size": size, "count": count,
                      "mean_us": sum(samples) / len(samples), "p50_us": rank(50), "p99_us": rank(99)}))


parser = argparse.ArgumentParser()
parser.add_argument("command", choices=["server", "sink", "echo"])
parser.add_argument("--mode", default="echo")
parser.add_argument("--host", default="127.0.0.1")
parser.add_argument("--port", type=int, default=9200)
parser.add_argument("--count", type=int, default=100000)
parser.add_argument("--size", type=int, default=64)
parser.add_argument("--warmup", type=int, default=1000)
args = parser.parse_args()
if args.command == "server":
    asyncio.run(serve(args.mode, args.host, args.port))
elif args.command == "sink":
    asyncio.run(sink(args.host, args.port, args.count, args.size))
else:
    asyncio.run(echo(args.host, args.port, args.count, args.size, args.warmup))
