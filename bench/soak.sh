#!/usr/bin/env bash
# The soak: `start-api` serving a Python and a Node function at a fixed request rate for a long
# time (10 minutes by default), sampling the gateway's RSS, open file descriptors and function
# instances every 10 s, and printing their growth and every error at the end (bench/soak.py).
#
#   bench/soak.sh                 10 minutes, 50 requests/s on each route
#   bench/soak.sh 120             2 minutes
#
# Environment: SOAK_RATE (requests per second per route, default 50), SOAK_SAMPLE (seconds between
# samples, default 10), SOAK_CLIENTS (client threads per route, default 4), LAMBDAGATE_BIN (a
# binary to use instead of building the release one), CARGO_TARGET_DIR.
# Needs python3, node; listens on 127.0.0.1 only; the server runs in its own session and is stopped
# by its process group id at the end. Exits non-zero when any request failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SOAK_DURATION="${1:-${SOAK_DURATION:-600}}"
if [[ -n "${LAMBDAGATE_BIN:-}" ]]; then
    BIN="$LAMBDAGATE_BIN"
else
    (cd "$ROOT" && cargo build --release -p lambdagate >&2)
    BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/lambdagate"
fi
exec python3 "$ROOT/bench/soak.py" "$BIN"
