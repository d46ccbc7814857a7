#!/usr/bin/env python3
"""A storm of joins: the shared members client (../shared/bench/members) dials N quiet members
into a fresh `wire chat-server`, and this script watches the server's "Accepted" lines to say
when the room really has them all (the client only knows when its connects are done).

    python3 Benchmarks/join_storm.py .build/release/wire "$(bash ../shared/bench/members/build.sh)" 15000
"""
import subprocess, sys, time, socket, json, threading
wire, members, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
server = subprocess.Popen([wire, "chat-server", "--port", str(port), "--quiet", "--max-connections", "19000"], stdout=subprocess.PIPE, text=True)
assert "Listening" in server.stdout.readline()
times = {}
def watch():
    count = 0
    for line in server.stdout:
        if line.startswith("Accepted new connection"):
            count += 1
            if count == n:
                times["all"] = time.monotonic()
threading.Thread(target=watch, daemon=True).start()
start = time.monotonic()
out = subprocess.run([members, "-proto", "chat", "-addr", f"127.0.0.1:{port}", "-pid", str(server.pid), "-n", str(n), "-b", "20"], capture_output=True, text=True).stdout
figures = json.loads(out.strip().splitlines()[-1])
print(json.dumps(figures))
print(f"all {n} members in the room after {times.get('all', float('nan')) - start:.1f} s (client's connects done after {figures['join_s']:.1f} s)")
server.terminate(); server.wait()
