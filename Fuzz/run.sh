#!/usr/bin/env bash
# Fuzzes Wire's decoders with libFuzzer for a bounded time each and prints executions and coverage.
#
#   Fuzz/run.sh [SECONDS] [TARGET...]      (default 60 seconds for each of FuzzDecoders FuzzPickle)
#
# Crashes are written to Fuzz/crash-*; replay one with .build/release/TARGET Fuzz/crash-...
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
if [ $# -gt 1 ]; then targets=("${@:2}"); else targets=(FuzzDecoders FuzzPickle); fi
# SwiftPM passes -sanitize=fuzzer and -sanitize=address to swiftc as two flags, and the last one
# wins: Swift code got no coverage counters and libFuzzer fuzzed blind. One combined flag, after
# them, keeps both.
swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=address,fuzzer 2>&1 \
    | grep -E "error|Compiling Fuzz|Build complete" >&2
mkdir -p corpus corpus-pickle
# Seeds: a few well-formed streams in each framing, so the fuzzer starts past the headers.
printf '\x00\x0522        Welcome to the server!0         ' > corpus/seed-header
printf '\x05\x03\x00\x00\x00\x05hello\x00\x00\x00\x00' > corpus/seed-length
printf '\x08\x02one\r\ntwo\nthree' > corpus/seed-lines
printf '\x09\x08Hey there!!!' > corpus/seed-raw
# Pickles as CPython writes them: the tutorial's {1: "hi", 2: "there"} (protocol 4), a list of
# every type (protocols 0, 2 and 5) and a list shared through the memo (protocol 1).
printf '\x80\x04\x95\x16\x00\x00\x00\x00\x00\x00\x00}\x94(K\x01\x8c\x02hi\x94K\x02\x8c\x05there\x94u.' > corpus-pickle/seed-tutorial
printf '(lp0\nNaI01\naF1.5\naV\xe9\np1\nac_codecs\nencode\np2\n(V\\u0000\np3\nVlatin1\np4\ntp5\nRp6\nac__builtin__\nbytearray\np7\n(g2\n(Vx\np8\ng4\ntp9\nRp10\ntp11\nRp12\na(I1\nI2\ntp13\nac__builtin__\nset\np14\n((lp15\nI1\naI2\natp16\nRp17\naL1180591620717411303424L\naL-1099511627776L\na(dp22\nVk\np23\n(lp24\nI1\na(dp25\nVn\np26\nNsasa.' > corpus-pickle/seed-protocol0
printf '\x80\x02]q\x00(N\x88G?\xf8\x00\x00\x00\x00\x00\x00X\x02\x00\x00\x00\xc3\xa9q\x01c_codecs\nencode\nq\x02X\x01\x00\x00\x00\x00q\x03X\x06\x00\x00\x00latin1q\x04\x86q\x05Rq\x06c__builtin__\nbytearray\nq\x07h\x02X\x01\x00\x00\x00xq\x08h\x04\x86q\tRq\n\x85q\x0bRq\x0cK\x01K\x02\x86q\rc__builtin__\nfrozenset\nq\x12]q\x13K\x03a\x85q\x14Rq\x15\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@e.' > corpus-pickle/seed-protocol2
printf '\x80\x05\x95_\x00\x00\x00\x00\x00\x00\x00]\x94(N\x88G?\xf8\x00\x00\x00\x00\x00\x00\x8c\x02\xc3\xa9\x94C\x01\x00\x94\x96\x01\x00\x00\x00\x00\x00\x00\x00x\x94K\x01K\x02\x86\x94\x8f\x94(K\x01K\x02\x90(K\x03\x91\x94\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@\x8a\x06\x00\x00\x00\x00\x00\xff}\x94\x8c\x01k\x94]\x94(K\x01}\x94\x8c\x01n\x94Nsese.' > corpus-pickle/seed-protocol5
printf ']q\x00(]q\x01K\x01ah\x01X\x01\x00\x00\x00sq\x02h\x02e.' > corpus-pickle/seed-shared
for target in "${targets[@]}"; do
    case $target in
        FuzzDecoders) corpus=corpus log=fuzz.log ;;
        FuzzPickle) corpus=corpus-pickle log=fuzz-pickle.log ;;
        *) echo "unknown target $target: FuzzDecoders or FuzzPickle" >&2; exit 2 ;;
    esac
    echo "$target:"
    SWIFT_BACKTRACE=enable=no .build/release/"$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 "$corpus" 2>&1 | tee "$log" | grep -E "^#|DONE|ERROR|stat::" | tail -8
done
