"""A bounded load test against a local uvicorn: latency percentiles and throughput.

Starts the service on 127.0.0.1 (or targets ``--url``, which must be a loopback address),
sends at most ``--requests`` requests for at most ``--max-seconds``, and prints p50/p95/p99
latency and requests per second. It never talks to a remote host.

    python -m <package>.loadtest --requests 500 --concurrency 4
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx
import numpy as np

from .schemas import EXAMPLE

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class LoadTestReport:
    requests: int
    errors: int
    duration_s: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(artifact_dir: Path, port: int, timeout_s: float = 30.0) -> subprocess.Popen:
    """Start uvicorn in a child process bound to loopback and wait until /health answers."""
    src = str(Path(__file__).resolve().parents[1])
    env = {
        **os.environ,
        "API_ARTIFACT_DIR": str(artifact_dir),
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        f"{__package__}.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(cmd, env=env)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"uvicorn exited with code {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError(f"service did not become healthy within {timeout_s:.0f}s")


def run_load(url: str, *, requests: int, concurrency: int, max_seconds: float) -> LoadTestReport:
    """Send up to ``requests`` POST /predict calls from ``concurrency`` threads."""
    host = urlparse(url).hostname
    if host not in LOOPBACK:
        raise ValueError(f"refusing to load-test {host!r}: only loopback addresses are allowed")
    deadline = time.monotonic() + max_seconds
    share, extra = divmod(requests, concurrency)
    per_worker = [share + (i < extra) for i in range(concurrency)]

    def worker(count: int) -> tuple[list[float], int]:
        latencies, errors = [], 0
        with httpx.Client(base_url=url, timeout=10) as client:
            for _ in range(count):
                if time.monotonic() > deadline:
                    break
                start = time.perf_counter()
                try:
                    ok = client.post("/predict", json=EXAMPLE).status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - start)
                errors += not ok
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(worker, per_worker))
    duration = time.perf_counter() - started
    latencies = np.array([lat for lats, _ in results for lat in lats]) * 1000
    if latencies.size == 0:
        raise RuntimeError("no request completed before the time limit")
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    return LoadTestReport(
        requests=int(latencies.size),
        errors=sum(e for _, e in results),
        duration_s=round(duration, 3),
        requests_per_s=round(latencies.size / duration, 1),
        p50_ms=round(float(p50), 2),
        p95_ms=round(float(p95), 2),
        p99_ms=round(float(p99), 2),
    )


def main(argv: list[str] | None = None) -> LoadTestReport:
    parser = argparse.ArgumentParser(description="Bounded local load test (loopback only).")
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--artifact-dir", type=Path, default=Path("artifacts/model"))
    parser.add_argument(
        "--url", help="an already running local service, e.g. http://127.0.0.1:8000"
    )
    parser.add_argument("--json", type=Path, help="also write the report to this file")
    args = parser.parse_args(argv)
    server = None
    url = args.url
    if url is None:
        port = _free_port()
        server = start_server(args.artifact_dir, port)
        url = f"http://127.0.0.1:{port}"
    try:
        report = run_load(
            url, requests=args.requests, concurrency=args.concurrency, max_seconds=args.max_seconds
        )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
    print(json.dumps(asdict(report), indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(asdict(report), indent=2) + "\n")
    return report


if __name__ == "__main__":
    main()
