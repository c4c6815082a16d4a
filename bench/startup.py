#!/usr/bin/env python3
"""Start-up of `lambdagate start-api`: time to `Listening on`, then the first (cold) request.

Usage: startup.py LAMBDAGATE TEMPLATE PATH [RUNS]

Each run starts the server on a free port with a fresh storage file, reads its output until the
`Listening on http://HOST:PORT` line (ready time, measured from just before the spawn), then sends
PATH once (cold: the function's first instance starts on this request) and once more (warm), and
stops the server by its pid. Before the first request it reads the gateway's resident memory
(idle RSS, half a second after ready). Prints one line per run and a summary line:
`startup ready_ms=… cold_ms=… warm_ms=… idle_rss_mb=…` with the medians.
"""

import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

LISTENING = re.compile(r"Listening on http://([^:/\s]+):(\d+)")


def request(host, port, path):
    """Sends GET PATH on a new connection; returns (status, seconds)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", path)
    answer = conn.getresponse()
    answer.read()
    conn.close()
    return answer.status, time.perf_counter() - start


def resident_mb(pid):
    """VmRSS of a process in MB (0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def one_run(binary, template, path, workdir):
    storage = os.path.join(workdir, f"startup-{time.time_ns()}.sqlite3")
    env_file = os.path.join(workdir, "startup-env.json")
    with open(env_file, "w") as f:
        # The SAM format's Parameters section applies to every function that declares the name.
        json.dump({"Parameters": {"STORAGE_PATH": storage}}, f)
    start = time.perf_counter()
    server = subprocess.Popen(
        [binary, "start-api", "-t", template, "-p", "0", "--env-vars", env_file],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        address = None
        seen = []
        for line in server.stdout:
            seen.append(line)
            match = LISTENING.search(line)
            if match:
                address = (match.group(1), int(match.group(2)))
                break
        ready = time.perf_counter() - start
        if address is None:
            raise RuntimeError("lambdagate exited before listening:\n" + "".join(seen[-20:]))
        # Keep draining its output so a chatty server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        time.sleep(0.5)
        rss = resident_mb(server.pid)
        status, cold = request(*address, path)
        warm_status, warm = request(*address, path)
        if status != 200 or warm_status != 200:
            raise RuntimeError(f"GET {path} answered {status} then {warm_status}")
        return ready, cold, warm, rss
    finally:
        # The server runs in its own session: signal its whole group (our child and the function
        # processes it started), then reap it.
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(server.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            server.wait()


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    binary, template, path = sys.argv[1:4]
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    results = []
    with tempfile.TemporaryDirectory(prefix="lambdagate-startup-") as workdir:
        for index in range(runs):
            ready, cold, warm, rss = one_run(binary, template, path, workdir)
            results.append((ready, cold, warm, rss))
            print(
                f"run {index + 1}: ready {ready * 1000:.1f} ms, first request {cold * 1000:.1f} ms,"
                f" second {warm * 1000:.2f} ms, idle RSS {rss:.1f} MB",
                flush=True,
            )
    med = [statistics.median(r[i] for r in results) * 1000 for i in range(3)]
    rss = statistics.median(r[3] for r in results)
    print(
        f"startup ready_ms={med[0]:.1f} cold_ms={med[1]:.1f} warm_ms={med[2]:.2f}"
        f" idle_rss_mb={rss:.1f}"
    )


if __name__ == "__main__":
    main()
