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
"""

import argparse
import http.server
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


def handler_for(rt):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="bench-local")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=str(ROOT / "target" / "benchmarks" / "coldstart.md"))
    ap.add_argument("--only", action="append", default=[], metavar="FUNCTION",
                    help="measure this function only (e.g. monitoring); may be repeated")
    args = ap.parse_args()
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / args.profile
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
