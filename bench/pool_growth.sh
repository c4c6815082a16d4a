#!/usr/bin/env bash
# Whether the function pool grows under full load: start-api on the bench app, a warm-up on the Python
# route, then ROUNDS rounds of wrk -c16 on the four Python and Node routes in turn; prints each run's p99
# (with "(+N)" when N instances started during that run: "Init Duration" lines; the Node routes' first
# run starts their burst) and req/s, the cold starts after the warm-up and the instances at the end. See "Function instances" in docs/design-notes.md.
#
# Usage: bench/pool_growth.sh [LAMBDAGATE_BINARY] [ROUNDS]   (default target/release/lambdagate, 4 rounds)
# Needs wrk; listens on 127.0.0.1 only; stops what it starts.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/target/release/lambdagate}"
ROUNDS="${2:-4}"
WORK="$(mktemp -d)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
# The app needs the Rust hello's bootstrap too (its routes are not measured here).
[[ -x $BIN && -x $TARGET/release/rust-hello ]] || (cd "$ROOT" && cargo build --release -q -p lambdagate -p rust-hello)
cp -r "$ROOT/bench/template.yaml" "$ROOT/bench/functions" "$WORK/"
mkdir -p "$WORK/functions/rust"
cp "$TARGET/release/rust-hello" "$WORK/functions/rust/bootstrap"
"$BIN" start-api -t "$WORK/template.yaml" -p 0 >"$WORK/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q 'Listening on' "$WORK/log" && break; sleep 0.1; done
port=$(grep -oE 'Listening on http://[^ ]+' "$WORK/log" | sed -E 's/.*:([0-9]+).*/\1/')
[[ -n $port ]] || { cat "$WORK/log" >&2; echo "pool_growth: lambdagate did not start" >&2; exit 1; }
wrk -t2 -c16 -d8s "http://127.0.0.1:$port/python" >/dev/null
inits=$(grep -c 'Init Duration' "$WORK/log" || true)
p99s="" rates=""
for _ in $(seq "$ROUNDS"); do
    for path in /python /Prod/python /node /Prod/node; do
        before=$(grep -c 'Init Duration' "$WORK/log" || true)
        out=$(wrk -t2 -c16 -d4s --latency "http://127.0.0.1:$port$path")
        started=$(($(grep -c 'Init Duration' "$WORK/log" || true) - before))
        mark=""
        if ((started > 0)); then mark="(+$started)"; fi
        p99s="$p99s $(awk '/ 99%/ {print $2}' <<<"$out")$mark"
        rates="$rates $(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
    done
done
echo "cold starts after the warm-up: $(($(grep -c 'Init Duration' "$WORK/log" || true) - inits)), instances at the end: $(pgrep -P "$pid" | wc -l)"
echo "p99:  $p99s"
echo "req/s:$rates"
