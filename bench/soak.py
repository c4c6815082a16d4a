"""The soak: `start-api` at a fixed request rate for a long time, watching for growth.

Run through bench/soak.sh, which builds the binary and passes its path. Serves bench/functions'
Python and Node hello functions behind one HTTP API (routes GET /python and GET /node), sends a
fixed number of requests per second to each from a few client threads on kept-alive connections,
and every SOAK_SAMPLE seconds samples the gateway's RSS, its open file descriptors and how many
function instances (processes under the gateway) run. At the end it prints the samples, the growth
from the first sample after warm-up to the last, and the errors.
"""

import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BINARY = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DURATION = float(os.environ.get("SOAK_DURATION", "600"))
RATE = float(os.environ.get("SOAK_RATE", "50"))  # requests per second per route
SAMPLE = float(os.environ.get("SOAK_SAMPLE", "10"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "4"))  # client threads per route
ROUTES = ["/python", "/node"]

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
  PythonHello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: python/
      Handler: handler.handler
      Runtime: python3.11
      Timeout: 10
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /python, Method: GET}}
  NodeHello:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: node/
      Handler: handler.handler
      Runtime: nodejs20.x
      Timeout: 10
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /node, Method: GET}}
"""


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def descendants(pid):
    """Processes under `pid` (function instances and whatever they started)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Counters:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = 0
        self.ok = 0
        self.errors = {}
        self.late = 0  # requests sent after their slot because the previous one was slow
        self.slowest = 0.0

    def record(self, outcome, elapsed):
        with self.lock:
            self.sent += 1
            if outcome == 200:
                self.ok += 1
            else:
                self.errors[str(outcome)] = self.errors.get(str(outcome), 0) + 1
            self.slowest = max(self.slowest, elapsed)


def client(port, route, rate, offset, stop_at, counters):
    """Sends GET `route` every 1/rate seconds, slots shifted by `offset`."""
    connection = None
    start = time.monotonic() + offset
    n = 0
    while True:
        slot = start + n / rate
        if slot >= stop_at:
            break
        now = time.monotonic()
        if slot > now:
            time.sleep(slot - now)
        elif now - slot > 1.0:
            counters.late += 1
        n += 1
        began = time.monotonic()
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", route)
            response = connection.getresponse()
            body = response.read()
            outcome = response.status if body == b"hello" or response.status != 200 else "bad body"
        except Exception as error:  # noqa: BLE001 - every failure is counted, by kind
            outcome = type(error).__name__
            connection = None
        counters.record(outcome, time.monotonic() - began)


def main():
    work = tempfile.mkdtemp(prefix="lambdagate-soak.")
    server = None
    try:
        for runtime in ("python", "node"):
            shutil.copytree(os.path.join(ROOT, "bench", "functions", runtime), os.path.join(work, runtime))
        with open(os.path.join(work, "template.yaml"), "w") as f:
            f.write(TEMPLATE)
        log = open(os.path.join(work, "server.log"), "w+")
        server = subprocess.Popen(
            [BINARY, "start-api", "-p", "0", "--no-watch", "-t", "template.yaml"],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
        port = None
        for line in server.stdout:
            if "Listening on http://" in line:
                port = int(line.strip().rsplit(":", 1)[1])
                break
        if port is None:
            log.seek(0)
            sys.exit("soak: the server did not start:\n" + log.read())
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()

        counters = {route: Counters() for route in ROUTES}
        began = time.monotonic()
        stop_at = began + DURATION
        threads = []
        for route in ROUTES:
            for i in range(CLIENTS):
                t = threading.Thread(
                    target=client,
                    args=(port, route, RATE / CLIENTS, i / RATE, stop_at, counters[route]),
                    daemon=True,
                )
                t.start()
                threads.append(t)

        print(f"soak: {DURATION:.0f} s at {RATE:g} requests/s on each of {', '.join(ROUTES)}; "
              f"gateway pid {server.pid}, port {port}", flush=True)
        print(f"{'t (s)':>6} {'RSS (KB)':>9} {'fds':>5} {'instances':>9} {'requests':>9} {'errors':>7}", flush=True)
        samples = []
        next_sample = began
        while True:
            now = time.monotonic()
            if now >= next_sample:
                sent = sum(c.sent for c in counters.values())
                errors = sum(sum(c.errors.values()) for c in counters.values())
                sample = (now - began, rss_kb(server.pid), fd_count(server.pid), len(descendants(server.pid)))
                samples.append(sample)
                print(f"{sample[0]:6.0f} {sample[1]:9d} {sample[2]:5d} {sample[3]:9d} {sent:9d} {errors:7d}", flush=True)
                next_sample += SAMPLE
            if now >= stop_at:
                break
            time.sleep(min(0.5, max(0.0, next_sample - now)))
        for t in threads:
            t.join(timeout=60)
        final = (time.monotonic() - began, rss_kb(server.pid), fd_count(server.pid), len(descendants(server.pid)))
        samples.append(final)
        print(f"{final[0]:6.0f} {final[1]:9d} {final[2]:5d} {final[3]:9d}  (after the load)", flush=True)

        # Growth is measured from the first sample after warm-up (instances started, caches
        # filled), so start-up does not count as growth.
        base = next((s for s in samples if s[0] >= min(30.0, DURATION / 4)), samples[0])
        last = samples[-1]
        peak_rss = max(s[1] for s in samples)
        print()
        print(f"RSS: {base[1]} KB at {base[0]:.0f} s -> {last[1]} KB at the end "
              f"({(last[1] - base[1]) * 100.0 / max(base[1], 1):+.1f} %), peak {peak_rss} KB")
        print(f"fds: {base[2]} -> {last[2]} ({last[2] - base[2]:+d}); "
              f"instances: {base[3]} -> {last[3]} ({last[3] - base[3]:+d})")
        failed = False
        for route, c in counters.items():
            expected = int(DURATION * RATE)
            errors = ", ".join(f"{k}: {v}" for k, v in sorted(c.errors.items())) or "none"
            print(f"{route}: {c.sent} requests (of {expected} scheduled), {c.ok} ok, errors: {errors}; "
                  f"slowest {c.slowest * 1000:.0f} ms, {c.late} sent over 1 s late")
            failed = failed or bool(c.errors)
        sys.exit(1 if failed else 0)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
