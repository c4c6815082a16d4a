#!/usr/bin/env python3
"""Benchmark of the function service through `lambdagate start-lambda` (standard library only).

Measures, on this machine:
  - warm invoke round trip (client -> Invoke API -> instance -> back), N sequential calls per
    function, p50 / p99, for a Python and a Node hello function;
  - cold start per runtime (python, node, provided Rust on the official lambda_runtime client):
    the first invocation of a fresh instance, and the Init Duration lambdagate reports.

Usage: bench/invoke.py [--lambdagate PATH] [--rust-hello PATH] [-n N]
  PATH defaults: $LAMBDAGATE_BIN or target/release/lambdagate; $RUST_HELLO_BIN or
  target/release/rust-hello (build with `cargo build --release -p lambdagate -p rust-hello`).
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "functions")

TEMPLATE = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  PyHello:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: python3.11, Handler: app.handler, CodeUri: {py}}}
  NodeHello:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: nodejs20.x, Handler: index.handler, CodeUri: {node}}}
  RustHello:
    Type: AWS::Serverless::Function
    Properties: {{Runtime: provided.al2023, Handler: bootstrap, CodeUri: {rust}}}
"""


def percentile(sorted_values, p):
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1)))))
    return sorted_values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lambdagate", default=os.environ.get("LAMBDAGATE_BIN", os.path.join(ROOT, "target/release/lambdagate")))
    ap.add_argument("--rust-hello", default=os.environ.get("RUST_HELLO_BIN", os.path.join(ROOT, "target/release/rust-hello")))
    ap.add_argument("-n", type=int, default=2000)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="lambdagate-bench-")
    rust_dir = os.path.join(work, "rust")
    os.makedirs(rust_dir)
    shutil.copy(args.rust_hello, os.path.join(rust_dir, "bootstrap"))
    template = os.path.join(work, "template.yaml")
    with open(template, "w") as f:
        f.write(TEMPLATE.format(py=os.path.join(FIXTURES, "python", "hello"),
                                node=os.path.join(FIXTURES, "node", "cjs_async"), rust=rust_dir))

    proc = subprocess.Popen([args.lambdagate, "start-lambda", "-t", template, "-p", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    port = None
    for line in proc.stdout:
        m = re.search(r"Listening on http://[^:]+:(\d+)", line)
        if m:
            port = int(m.group(1))
            break
    if port is None:
        print("lambdagate did not start:", proc.stderr.read(), file=sys.stderr)
        sys.exit(1)
    init_durations = {}
    def read_logs():
        for line in proc.stderr:
            m = re.search(r"\[(\w+)\] \[[^\]]+\] REPORT .*Init Duration: ([\d.]+) ms", line)
            if m:
                init_durations.setdefault(m.group(1), float(m.group(2)))
    threading.Thread(target=read_logs, daemon=True).start()

    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.connect()
    import socket
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def invoke(name):
        conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body=b"{}")
        res = conn.getresponse()
        body = res.read()
        if res.status != 200 or res.getheader("X-Amz-Function-Error"):
            raise RuntimeError(f"{name}: {res.status} {body[:200]!r}")

    try:
        print(f"cold start (first invocation, client round trip; Init Duration as REPORT says):")
        for name, label in [("PyHello", "python3.11"), ("NodeHello", "nodejs20.x"), ("RustHello", "provided (Rust)")]:
            t = time.perf_counter()
            invoke(name)
            cold = (time.perf_counter() - t) * 1000
            time.sleep(0.2)
            init = init_durations.get(name)
            init_s = f"{init:.1f} ms" if init is not None else "n/a"
            print(f"  {label:18s} first call {cold:7.1f} ms   Init Duration {init_s}")
        print(f"warm invoke round trip through start-lambda, {args.n} sequential calls:")
        for name, label in [("PyHello", "python3.11"), ("NodeHello", "nodejs20.x"), ("RustHello", "provided (Rust)")]:
            for _ in range(100):
                invoke(name)
            times = []
            for _ in range(args.n):
                t = time.perf_counter()
                invoke(name)
                times.append((time.perf_counter() - t) * 1000)
            times.sort()
            print(f"  {label:18s} p50 {percentile(times, 50):.3f} ms   p99 {percentile(times, 99):.3f} ms")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
