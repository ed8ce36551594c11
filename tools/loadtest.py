"""Bounded load test of the REST API on loopback: N requests, C at a time, from this process.

    python tools/loadtest.py --spawn                 # starts `python -m recommender serve` itself
    python tools/loadtest.py --url http://127.0.0.1:8000 --pid 1234

Mix: 50% POST /api/v1/mood (rotating texts, so both cache hits and misses), 30% synopsis
search, 20% more-like-this by TMDB id. Only 127.0.0.1/localhost is accepted. Prints
throughput, latency percentiles, errors by kind and (with --spawn or --pid) the server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_REQUESTS = 20_000
MAX_CONCURRENCY = 64

MOODS = [
    "I had an awful day at work and I just want to laugh",
    "my dog died and I miss him so much",
    "nervous about my exam tomorrow",
    "we are getting married next week!",
    "so angry at my landlord right now",
    "bored on a rainy sunday afternoon",
    "feeling nostalgic about my childhood",
    "😭😭😭",
]
SYNOPSES = [
    "an old man ties balloons to his house and flies away",
    "a hacker learns the world is a simulation run by machines",
    "a girl volunteers to fight to the death in a televised game",
    "a shark attacks swimmers at a beach town",
    "two rival magicians in victorian london try to outdo each other",
]
TMDB_IDS = [862, 155, 27205, 603, 13, 278, 597, 19995, 120, 11]


def request_plan(n: int, seed: int = 1) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    plan = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.5:
            text = rng.choice(MOODS) + ("" if rng.random() < 0.7 else f" #{i}")  # ~30% cache misses
            body = {"text": text, "top_k": 10, "mode": rng.choice(["match", "lift"])}
            plan.append(("/api/v1/mood", body))
        elif roll < 0.8:
            plan.append(("/api/v1/recommend", {"synopsis": rng.choice(SYNOPSES), "top_k": 10}))
        else:
            plan.append(("/api/v1/recommend", {"tmdb_id": rng.choice(TMDB_IDS), "top_k": 10}))
    return plan


async def run(url: str, n: int, concurrency: int, timeout_s: float) -> dict:
    plan = request_plan(n)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    queue: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout_s) as client:

        async def worker() -> None:
            while True:
                try:
                    path, body = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                start = time.perf_counter()
                try:
                    resp = await client.post(path, json=body)
                    ok = resp.status_code == 200 and resp.json().get("count", 0) > 0
                    kind = None if ok else f"HTTP {resp.status_code}"
                except Exception as exc:  # count, never crash the run
                    kind = type(exc).__name__
                latencies.append((time.perf_counter() - start) * 1000.0)
                if kind:
                    errors[kind] = errors.get(kind, 0) + 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start

    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")

    return {
        "requests": n,
        "concurrency": concurrency,
        "wall_s": round(wall, 2),
        "throughput_rps": round(n / wall, 1),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "latency_ms": {
            "p50": round(pct(50), 1),
            "p95": round(pct(95), 1),
            "p99": round(pct(99), 1),
            "max": round(lat[-1], 1) if lat else None,
        },
    }


def rss_mb(pid: int) -> float | None:
    try:
        import psutil

        return round(psutil.Process(pid).memory_info().rss / 2**20, 1)
    except Exception:
        return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_server(port: int, timeout_s: float = 120.0) -> subprocess.Popen:
    """`python -m recommender serve` on 127.0.0.1:port; waits for /health."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "recommender", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    proc.terminate()
    raise RuntimeError("server did not become healthy in time")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--timeout", type=float, default=30.0)
    p.add_argument("--spawn", action="store_true", help="start the API server on a free loopback port")
    p.add_argument("--pid", type=int, help="server pid, to report its RSS")
    p.add_argument("--json", type=Path, help="also write the figures here")
    args = p.parse_args(argv)
    if not 1 <= args.requests <= MAX_REQUESTS or not 1 <= args.concurrency <= MAX_CONCURRENCY:
        p.error(f"--requests 1..{MAX_REQUESTS}, --concurrency 1..{MAX_CONCURRENCY}")

    proc = None
    url, pid = args.url, args.pid
    if args.spawn:
        port = free_port()
        proc = spawn_server(port)
        url, pid = f"http://127.0.0.1:{port}", proc.pid
    if urlparse(url).hostname not in LOOPBACK:
        p.error("only loopback URLs (127.0.0.1, localhost) are allowed")
    try:
        report = asyncio.run(run(url, args.requests, args.concurrency, args.timeout))
        report["server_rss_mb"] = rss_mb(pid) if pid else None
        report["health"] = httpx.get(f"{url}/health", timeout=5).json()
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=20)
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
