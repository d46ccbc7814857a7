#!/usr/bin/env bash
# Fuzzes every Wire decoder with libFuzzer for a bounded time and prints executions and coverage.
#
#   Fuzz/run.sh [SECONDS]      (default 60)
#
# Crashes are written to Fuzz/crash-*; replay one with .build/release/FuzzDecoders Fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
swift build -c release --sanitize=fuzzer --sanitize=address 2>&1 | grep -E "error|Compiling Fuzz|Build complete" >&2
mkdir -p corpus
# Seeds: a few well-formed streams in each framing, so the fuzzer starts past the headers.
printf '\x00\x0522        Welcome to the server!0         ' > corpus/seed-header
printf '\x05\x03\x00\x00\x00\x05hello\x00\x00\x00\x00' > corpus/seed-length
printf '\x08\x02one\r\ntwo\nthree' > corpus/seed-lines
printf '\x09\x08Hey there!!!' > corpus/seed-raw
SWIFT_BACKTRACE=enable=no .build/release/FuzzDecoders -max_total_time="$seconds" -print_final_stats=1 corpus 2>&1 | tee fuzz.log | grep -E "^#|DONE|ERROR|stat::" | tail -8
