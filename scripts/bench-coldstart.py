#!/usr/bin/env python3
"""Cold start and size of every function binary, as Lambda would start it.

A minimal Lambda runtime API (loopback HTTP: `next`, `response`, `error`, `init/error`) stands in
for Lambda. Each binary is started with the environment its template gives it (dummy values, no
AWS call is made before the first `next`); the time from spawning the process to its first
`GET /2018-06-01/runtime/invocation/next` is its cold start, and its peak RSS (VmHWM) at that
moment its memory. Median of N runs per binary. Sizes: the stripped binary and the zip of it as
`bootstrap` (what a deployment package holds).

Usage: scripts/bench-coldstart.py [--profile bench-local|release] [--runs 20] [--out FILE] [--only FUNCTION]
Build first: cargo build --profile <profile> --bins -p podcastflow-<function> ...
(scripts/bench.sh does both).

Warm mode (`--warm N`, what Lambda bills once an instance is up): the campaigns function is started
once against a table on a DynamoDB endpoint (`PODCASTFLOW_DYNAMODB_ENDPOINT`, moto) that
`--seed` names (the JSON line `cargo run --example warm_seed` prints), then fed N invocations of
each event (GET /campaigns/{id}, GET /campaigns?limit=20 as an admin) after a few to warm up. Per
invocation: the function process's CPU (every thread's, from /proc/<pid>/task/*/schedstat, in ns,
from handing it the event until it asks for the next one), the wall time until its response, and
its table calls (counted by a proxy in front of the endpoint). The endpoint is plain HTTP: TLS to
DynamoDB, which Lambda pays, is not in these figures.
"""

import argparse
import http.client
import http.server
import json
import queue
import urllib.parse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the functions read at init (template.yaml gives the real values in AWS).
ENV = {
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
    "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
    "AWS_LAMBDA_LOG_FORMAT": "JSON",
    "TABLE_NAME": "podcastflow-bench",
    "CURSOR_SECRET": "bench-cursor-secret",
    "BACKUPS_BUCKET": "podcastflow-bench-backups",
    "MEDIA_BUCKET": "podcastflow-bench-media",
    "USER_POOL_ID": "us-east-1_bench",
    "USER_POOL_CLIENT_ID": "bench-client",
    "TOKEN_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench",
    "TOKEN_CLIENT_ID": "bench-client",
    "CONNECTIONS_ENDPOINT": "https://bench.execute-api.us-east-1.amazonaws.com/dev",
    "MAIL_FROM": "no-reply@podcastflow.example",
    "ALARM_PREFIX": "podcastflow-dev-",
    "STAGE": "dev",
    "API_KEYS_USAGE_PLAN_ID": "bench-plan",
    "USAGE_KEY_NAME_PREFIX": "podcastflow-dev-",
    "INTERACTIVE_USAGE_KEY": "podcastflow-dev-interactive-usage",
}

# template.yaml points SSL_CERT_FILE at the runtime's CA bundle, so the TLS clients read one file
# instead of scanning every certificate directory; here, at this host's bundle.
BUNDLES = ["/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/cert.pem"]
for bundle in BUNDLES:
    if os.path.isfile(bundle):
        ENV["SSL_CERT_FILE"] = bundle
        break


class Runtime:
    """The shared state of the emulated runtime API: the process being measured."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pid = None
        self.first_next = None
        self.connected = None
        self.peak_rss_kib = None
        self.init_error = None
        self.arrived = threading.Event()
        self.release = threading.Event()


def peak_rss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Server(http.server.ThreadingHTTPServer):
    """Notes when the runtime client's connection is accepted: the start of its first `next`,
    before this emulator's own thread and request parsing add their time."""

    def __init__(self, rt, *args):
        super().__init__(*args)
        self.rt = rt

    def get_request(self):
        conn = super().get_request()
        now = time.perf_counter()
        with self.rt.lock:
            if self.rt.connected is None:
                self.rt.connected = now
        return conn


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """An HTTP/1.1 handler that keeps the runtime API's requests out of the output."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass


def handler_for(rt):
    class Handler(QuietHandler):
        def do_GET(self):
            if self.path.endswith("/runtime/invocation/next"):
                now = time.perf_counter()
                with rt.lock:
                    if rt.first_next is None:
                        rt.first_next = now
                        rt.peak_rss_kib = peak_rss_kib(rt.pid)
                rt.arrived.set()
                # Hold the long poll, as Lambda does between invocations, until the run ends.
                rt.release.wait(10)
                return
            self.send_error(404)

        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            if self.path.endswith("/runtime/init/error"):
                rt.init_error = body
                rt.arrived.set()
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()

    return Handler


def measure(binary, rt, port, runs):
    times, rss = [], []
    for _ in range(runs):
        rt.first_next, rt.connected, rt.peak_rss_kib, rt.init_error = None, None, None, None
        rt.arrived.clear()
        rt.release.clear()
        env = dict(ENV, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", AWS_LAMBDA_FUNCTION_NAME=binary.name)
        with tempfile.TemporaryDirectory() as home:
            env["HOME"] = home  # no ~/.aws of this machine
            start = time.perf_counter()
            proc = subprocess.Popen([str(binary)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            rt.pid = proc.pid
            arrived = rt.arrived.wait(10)
            proc.kill()
            _, err = proc.communicate()
            rt.release.set()
        if rt.init_error or not arrived or rt.first_next is None:
            reason = rt.init_error or err.decode("utf-8", "replace")[-400:] or "no next request within 10 s"
            raise RuntimeError(f"{binary.name} did not start: {reason}")
        times.append((min(rt.connected or rt.first_next, rt.first_next) - start) * 1000)
        rss.append(rt.peak_rss_kib or 0)
    return statistics.median(times), max(rss) / 1024


def sizes(binary, workdir):
    stripped = workdir / "bootstrap"
    shutil.copyfile(binary, stripped)
    subprocess.run(["strip", str(stripped)], check=True)
    archive = workdir / "function.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.write(stripped, "bootstrap")
    return stripped.stat().st_size / 1e6, archive.stat().st_size / 1e6


def process_cpu_ns(pid):
    """CPU time of every thread of `pid` so far, in ns (schedstat's first field per task)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


class Proxy(http.server.ThreadingHTTPServer):
    """Forwards the function's DynamoDB requests to the endpoint and counts them."""

    def __init__(self, upstream):
        self.upstream = urllib.parse.urlparse(upstream)
        self.calls = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), proxy_handler())
        self.daemon_threads = True


def proxy_handler():
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with self.server.lock:
                self.server.calls += 1
            up = self.server.upstream
            conn = getattr(self, "_upstream", None)
            if conn is None:
                conn = self._upstream = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            headers["host"] = up.netloc
            conn.request("POST", self.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


class WarmRuntime:
    """The runtime API for warm invocations: `next` hands out queued events."""

    def __init__(self):
        self.events = queue.Queue()
        self.waiting = threading.Event()  # the function asked for its next event
        self.answered = threading.Event()  # it posted a response
        self.answer_at = None
        self.status = None
        self.error = None


def warm_handler(rt):
    class Handler(QuietHandler):
        def do_GET(self):
            if not self.path.endswith("/runtime/invocation/next"):
                self.send_error(404)
                return
            rt.waiting.set()
            request_id, event = rt.events.get()
            body = json.dumps(event).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("lambda-runtime-aws-request-id", request_id)
            self.send_header("lambda-runtime-deadline-ms", str(int(time.time() * 1000) + 30000))
            self.send_header("lambda-runtime-invoked-function-arn",
                             "arn:aws:lambda:us-east-1:123456789012:function:podcastflow-campaigns")
            self.send_header("lambda-runtime-trace-id", "Root=1-00000000-000000000000000000000000")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            now = time.perf_counter()
            if "/response" in self.path:
                try:
                    rt.status = json.loads(body).get("statusCode")
                except ValueError:
                    rt.status = None
            else:
                rt.error = body.decode("utf-8", "replace")
            self.send_response(202)
            self.send_header("content-length", "0")
            self.end_headers()
            rt.answer_at = now
            rt.answered.set()

    return Handler


def api_event(template, path, resource, path_params, query, seeded):
    ev = json.loads(json.dumps(template))
    ev["path"], ev["resource"], ev["pathParameters"] = path, resource, path_params
    ev["queryStringParameters"] = query
    ev["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    ctx = ev["requestContext"]
    ctx["path"], ctx["resourcePath"] = f"/dev{path}", resource
    ctx["authorizer"].update({"principalId": seeded["admin"], "userId": seeded["admin"],
                              "orgId": seeded["org"], "role": "admin"})
    return ev


def warm(binary, seeded, endpoint, n, warmup):
    """Per-invocation CPU, wall time and table calls of the events, `n` each after `warmup`."""
    template = json.loads((ROOT / "events" / "campaigns" / "list.json").read_text())
    cid = seeded["campaign"]
    cases = [
        ("GET /campaigns/{id}", api_event(template, f"/campaigns/{cid}", "/campaigns/{id}", {"id": cid}, None,
                                          seeded)),
        ("GET /campaigns?limit=20", api_event(template, "/campaigns", "/campaigns", None, {"limit": "20"}, seeded)),
    ]
    proxy = Proxy(endpoint)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    rt = WarmRuntime()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), warm_handler(rt))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = dict(ENV, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{server.server_address[1]}",
               AWS_LAMBDA_FUNCTION_NAME=binary.name, TABLE_NAME=seeded["table"],
               AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{proxy.server_address[1]}",
               AWS_LAMBDA_LOG_LEVEL="INFO")
    rows = []
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryFile() as log:
        env["HOME"] = home
        proc = subprocess.Popen([str(binary)], env=env, stdout=log, stderr=subprocess.STDOUT)

        def tail():
            log.seek(0)
            return log.read().decode("utf-8", "replace")[-2000:]

        try:
            if not rt.waiting.wait(10):
                raise RuntimeError(f"{binary.name} never asked for an event")
            for k, (name, event) in enumerate(cases):
                cpu, wall, calls = [], [], []
                for i in range(warmup + n):
                    rt.waiting.clear()
                    rt.answered.clear()
                    before_calls = proxy.calls
                    before = process_cpu_ns(proc.pid)
                    start = time.perf_counter()
                    rt.events.put((f"warm-{k}-{i}", event))
                    if not rt.answered.wait(30) or rt.error or rt.status != 200:
                        raise RuntimeError(f"{name}: no 200 answer ({rt.status}, {rt.error}): {tail()}")
                    # Idle again: everything the invocation cost is in the counter now.
                    rt.waiting.wait(30)
                    after = process_cpu_ns(proc.pid)
                    if i >= warmup:
                        cpu.append((after - before) / 1000)
                        wall.append((rt.answer_at - start) * 1e6)
                        calls.append(proxy.calls - before_calls)
                rows.append((name, cpu, wall, calls))
                print(f"{name}: CPU median {statistics.median(cpu):.0f} us", file=sys.stderr)
        finally:
            proc.kill()
            proc.wait()
            server.shutdown()
            proxy.shutdown()
    return rows


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def warm_main(args, target):
    binary = target / "podcastflow-campaigns"
    if not binary.is_file():
        sys.exit(f"{binary} is missing; build it first (cargo build --profile {args.profile} -p podcastflow-campaigns)")
    endpoint = os.environ.get("PODCASTFLOW_DYNAMODB_ENDPOINT")
    if not endpoint or not args.seed:
        sys.exit("--warm needs PODCASTFLOW_DYNAMODB_ENDPOINT and --seed (the JSON line of the warm_seed example)")
    seeded = json.loads(Path(args.seed).read_text())
    rows = warm(binary, seeded, endpoint, args.warm, args.warmup)
    lines = [
        f"Warm invocations of {binary.name} ({args.profile} profile, {os.uname().machine}): {args.warm} each "
        f"after {args.warmup} to warm up, against moto through a counting proxy (plain HTTP).",
        "",
        "| event | CPU µs p50 | CPU µs mean | CPU µs p90 | wall µs p50 | wall µs p99 | table calls |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, cpu, wall, calls in rows:
        lines.append(f"| {name} | {statistics.median(cpu):.0f} | {statistics.mean(cpu):.0f} | {pct(cpu, 0.9):.0f} | "
                     f"{statistics.median(wall):.0f} | {pct(wall, 0.99):.0f} | {statistics.median(calls):.0f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    out = Path(args.out if args.out_given else str(ROOT / "target" / "benchmarks" / "warm.md"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="bench-local")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "target" / "benchmarks" / "coldstart.md"))
    ap.add_argument("--only", action="append", default=[], metavar="FUNCTION",
                    help="measure this function only (e.g. monitoring); may be repeated")
    ap.add_argument("--warm", type=int, default=0, metavar="N",
                    help="warm mode: N invocations of each event after the warm-up (see above)")
    ap.add_argument("--warmup", type=int, default=50, help="warm mode: invocations left out first")
    ap.add_argument("--seed", help="warm mode: the file holding the warm_seed example's JSON line")
    args = ap.parse_args()
    args.out_given = any(a == "--out" or a.startswith("--out=") for a in sys.argv[1:])
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / args.profile
    if args.warm:
        warm_main(args, target)
        return
    # The Lambda functions are the binaries template.yaml deploys (not the local stack or tools).
    deployed = set(re.findall(r"^\s*Binary:\s*(\S+)\s*$", (ROOT / "template.yaml").read_text(), re.M))
    if args.only:
        deployed &= {f"podcastflow-{name}" for name in args.only}
    binaries = sorted(p for p in target.glob("podcastflow-*") if p.name in deployed and p.is_file())
    if not binaries:
        sys.exit(f"no function binaries in {target}; build them first (scripts/bench.sh)")
    rt = Runtime()
    server = Server(rt, ("127.0.0.1", 0), handler_for(rt))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for b in binaries:
            cold_ms, rss_mib = measure(b, rt, port, args.runs)
            stripped_mb, zip_mb = sizes(b, Path(work))
            rows.append((b.name, cold_ms, rss_mib, stripped_mb, zip_mb))
            print(f"{b.name}: {cold_ms:.2f} ms, {rss_mib:.1f} MiB", file=sys.stderr)
    server.shutdown()
    arch = os.uname().machine
    lines = [
        f"Cold start to the first `next` (median of {args.runs}), peak RSS then, and size "
        f"({args.profile} profile, {arch}, stripped; zip as `bootstrap`, deflate 9).",
        "",
        "| function | cold start ms | peak RSS MiB | binary MB | zip MB |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {n} | {c:.2f} | {r:.1f} | {s:.2f} | {z:.2f} |" for n, c, r, s, z in rows]
    worst = max(rows, key=lambda r: r[1])
    lines += ["", f"Slowest: {worst[0]} at {worst[1]:.2f} ms; largest RSS {max(r[2] for r in rows):.1f} MiB; "
              f"largest zip {max(r[4] for r in rows):.2f} MB."]
    text = "\n".join(lines) + "\n"
    print(text)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
