#!/usr/bin/env bash
# The gateway's user-space instructions per request, counted by valgrind's callgrind: the one
# figure of the gateway's cost that repeats on a shared VM (the same binary, app and requests
# give the same count to a fraction of a percent, whatever else the machine is doing), so a
# change of a few percent can be seen where CPU time moves by ±30 % between minutes.
#
# Usage: bench/instructions.sh [ROUTE...]   (default: /python /Prod/python /node)
#   LAMBDAGATE_BIN   the binary to count (default: target/release/lambdagate, built if stale)
#   BASE_BIN         a second binary (an older build) counted the same way, for before/after
#   REQUESTS         requests counted per route (default 2000, from 4 keep-alive connections)
#   CALLGRIND_OUT    keep the callgrind files in this folder (for callgrind_annotate)
#
# Only the gateway process runs under callgrind (the function instances run natively); kernel
# time (system calls, wake-ups) is not counted. Counters are zeroed after a warm-up of 50
# requests, so start-up and the instances' cold starts are left out. Needs valgrind (Debian's
# package). Listens on 127.0.0.1 only and stops what it starts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="${LAMBDAGATE_BIN:-$TARGET/release/lambdagate}"
REQUESTS=$(( ${REQUESTS:-2000} / 4 * 4 ))  # four connections, the same count each
ROUTES=("$@")
[[ ${#ROUTES[@]} -gt 0 ]] || ROUTES=(/python /Prod/python /node)
command -v valgrind >/dev/null || { echo "instructions: needs valgrind (apt-get install valgrind)" >&2; exit 1; }

WORK="$(mktemp -d)"
OUT="${CALLGRIND_OUT:-$WORK/out}"
mkdir -p "$OUT" "$WORK/app/functions/rust"
vpid=""
cleanup() {
    if [[ -n $vpid ]]; then kill "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

packages=(-p rust-hello)
if [[ $BIN -ef $TARGET/release/lambdagate ]]; then packages+=(-p lambdagate); fi
(cd "$ROOT" && cargo build --release -q "${packages[@]}")
cp -r "$ROOT/bench/template.yaml" "$ROOT/bench/functions" "$WORK/app/"
cp "$TARGET/release/rust-hello" "$WORK/app/functions/rust/bootstrap"

# Sends N GET requests to a route over 4 keep-alive connections, checking each answers 200.
cat >"$WORK/drive.py" <<'EOF'
import http.client, sys, threading
port, route, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
failures = []
def worker(count):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(count):
        conn.request("GET", route)
        res = conn.getresponse()
        res.read()
        if res.status != 200:
            failures.append(res.status)
threads = [threading.Thread(target=worker, args=(n // 4,)) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
if failures:
    sys.exit(f"{len(failures)} requests failed (status {failures[0]})")
EOF

# count BINARY LABEL: prints one line per route.
count() {
    local bin=$1 label=$2 route port file total
    for route in "${ROUTES[@]}"; do
        file="$OUT/callgrind.$label.${route//\//_}"
        valgrind --tool=callgrind --callgrind-out-file="$file.exit" \
            "$bin" start-api -t "$WORK/app/template.yaml" -p 0 >"$WORK/log" 2>&1 &
        vpid=$!
        for _ in $(seq 600); do grep -q 'Listening on' "$WORK/log" && break; sleep 0.1; done
        port=$(grep -oE 'Listening on http://[^ ]+' "$WORK/log" | sed -E 's/.*:([0-9]+).*/\1/')
        [[ -n $port ]] || { cat "$WORK/log" >&2; echo "instructions: lambdagate did not start" >&2; exit 1; }
        python3 "$WORK/drive.py" "$port" "$route" 52
        callgrind_control -z "$vpid" >/dev/null 2>&1
        python3 "$WORK/drive.py" "$port" "$route" "$REQUESTS"
        callgrind_control -d "$vpid" >/dev/null 2>&1
        kill "$vpid"; wait "$vpid" 2>/dev/null || true; vpid=""
        # callgrind_control -d writes FILE.exit.1 (the counts since the zeroing).
        total=$(callgrind_annotate "$file.exit.1" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
        awk -v l="$label" -v r="$route" -v t="$total" -v n="$REQUESTS" \
            'BEGIN { printf "%-6s %-14s %8.1fk instructions per request\n", l, r, t / n / 1000 }'
    done
}

if [[ -n ${BASE_BIN:-} ]]; then count "$BASE_BIN" base; fi
count "$BIN" this
