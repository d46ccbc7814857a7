#!/usr/bin/env bash
# The shared fan-out generator against a fresh `wire chat-server` and then a fresh `nats-server`,
# RUNS times, alternating, so that both see the same phase of a machine whose figures drift:
#
#   Benchmarks/burst_beside_nats.sh -n 10 -k 20000 -s 64          # bursts: deliveries/s
#   RUNS=2 Benchmarks/burst_beside_nats.sh -n 50 -k 1000 -s 64 -rate 100   # paced: latency too
#
# Prints one line per server and run: deliveries/s, latency p50 / p99 in ms, missing, disorder.
# WIRE (default .build/release/wire) and FANOUT (default: built by Benchmarks/fanout/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
wire=${WIRE:-.build/release/wire}
fanout=${FANOUT:-$(bash Benchmarks/fanout/build.sh)}
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
summary() {
    python3 -c 'import json, sys
d = json.loads(sys.stdin.read().strip().splitlines()[-1])
print(sys.argv[1], round(d["deliveries_per_s"]), "deliveries/s, p50", round(d["latency_ms_p50"], 3),
      "ms, p99", round(d["latency_ms_p99"], 3), "ms, missing", d["missing"], "disorder", d["disorder"])' "$1"
}
wait_for() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; }
for _ in $(seq "${RUNS:-3}"); do
    p=$(port)
    "$wire" chat-server --port "$p" --quiet >/dev/null 2>&1 &
    server=$!
    wait_for "$p"
    "$fanout" -proto chat -addr "127.0.0.1:$p" "$@" -timeout 60s 2>/dev/null | summary "wire chat-server"
    kill "$server"; wait "$server" 2>/dev/null || true
    p=$(port)
    nats-server -a 127.0.0.1 -p "$p" >/dev/null 2>&1 &
    server=$!
    wait_for "$p"
    "$fanout" -proto nats -addr "127.0.0.1:$p" "$@" -timeout 60s 2>/dev/null | summary "nats-server"
    kill "$server"; wait "$server" 2>/dev/null || true
done
