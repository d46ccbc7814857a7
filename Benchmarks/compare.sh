#!/usr/bin/env bash
# Measures Wire beside its peers in one run and prints the table with ratios.
#
#   Benchmarks/compare.sh            # RUNS=3 runs per figure (median, min, max); QUICK=1 for smaller counts
#
#   Benchmarks/compare.sh --only fanout   # one section: sink, echo, idle, fanout or room
#
# Installs what it needs from the package registries (iperf3, sockperf, libzmq, pyzmq; Go, nats.go
# and nats-server through Benchmarks/fanout/build.sh), builds the release binaries (wire, the raw
# NIO baseline, the libzmq peer, the fan-out load generator), then runs every workload on loopback
# only. Not part of `swift test`; takes about 5 to 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=${WORK:-$root/.build/compare}
mkdir -p "$work"

need=()
command -v iperf3 >/dev/null || need+=(iperf3)
command -v sockperf >/dev/null || need+=(sockperf)
[ -e /usr/include/zmq.h ] || need+=(libzmq3-dev)
command -v cc >/dev/null || need+=(gcc)
if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
python3 -c "import zmq" 2>/dev/null || pip install -q pyzmq >&2

echo "building release binaries" >&2
swift build -c release --product wire >&2
(cd Benchmarks/Baseline && swift build -c release >&2)
cc -O2 -o "$work/zmq_bench" Benchmarks/peers/zmq_bench.c -lzmq
# The chat room's fan-out beside nats-server, with the Go load generator in Benchmarks/fanout.
fanout=(--fanout "$(bash Benchmarks/fanout/build.sh)" --members "$(bash Benchmarks/members/build.sh)")

# 10,000 idle connections need that many descriptors on each side.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

exec python3 Benchmarks/compare.py \
    --wire "$root/.build/release/wire" \
    --baseline "$root/Benchmarks/Baseline/.build/release/nio-baseline" \
    --zmq "$work/zmq_bench" \
    --python-peer "$root/Benchmarks/peers/tutorial_asyncio.py" \
    "${fanout[@]}" \
    --runs "${RUNS:-3}" ${QUICK:+--quick} "$@"
