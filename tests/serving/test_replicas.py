"""Two API replicas sharing one real Redis: a load run across both, and a cache shared between them.

Starts one `redis-server` on a free loopback port, then two `python -m recommender serve`
processes pointed at it (`REDIS_URL`, no embedded Redis), sends a bounded mixed load to both in
turn (round robin, as a load balancer would) and checks that every request is answered, that
a mood read by one replica is a cache hit on the other, and that the mood cache in Redis holds
each distinct text once (one namespace, named by the models, for both replicas).
"""

from __future__ import annotations

import itertools
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT, need
from support.redis_server import RedisServer, free_port, redis_server_binary

REQUESTS = 3000
CONCURRENCY = 32
LOAD_BUDGET_S = 120.0  # requests not sent by then count as errors: the run is bounded
START_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 30.0

FEELINGS = [
    "I feel sad",
    "I am so happy",
    "I am nervous",
    "I feel lonely",
    "I am angry",
    "I feel calm",
    "I am bored",
    "I feel hopeful",
    "I am exhausted",
    "I feel nostalgic",
    "I am excited",
    "I feel heartbroken",
    "I am scared",
    "I feel restless",
    "I am grateful",
    "I feel homesick",
    "I am stressed",
    "I feel in love",
    "I am curious",
    "I feel numb",
]
SITUATIONS = [
    "after a long day at work",
    "because my best friend moved away",
    "before my exam tomorrow",
    "on a rainy sunday afternoon",
    "since the holidays ended",
    "and I want to laugh",
    "and I need a good cry",
    "after the wedding last night",
    "because the dog is sick",
    "on my first night in a new city",
    "and I want something light",
    "after a fight with my sister",
    "because I got the job",
    "and I want to be scared",
    "on a quiet evening alone",
]
MOODS = [f"{feel} {situation}" for feel, situation in itertools.product(FEELINGS, SITUATIONS)]  # 300 texts
SYNOPSES = [
    "an old man ties balloons to his house and flies away",
    "a hacker learns the world is a simulation run by machines",
    "a girl volunteers to fight to the death in a televised game",
    "a shark attacks swimmers at a beach town",
    "two rival magicians in victorian london try to outdo each other",
    "a retired spy hunts the men who kidnapped his daughter in paris",
]
TMDB_IDS = [862, 155, 27205, 603, 13, 278, 597, 19995, 120, 11]


def _artifacts_built() -> bool:
    return (ROOT / "artifacts" / "manifest.json").is_file() and (ROOT / "models" / "emotion").is_dir()


@dataclass
class Replica:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


def _spawn(port: int, redis_url: str, log: Path) -> Replica:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url, "REELMOOD_EMBEDDED_REDIS": "0"}
    for name in ("TMDB_API_KEY", "TMDB_READ_TOKEN"):  # no network: drawn posters
        env.pop(name, None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "recommender", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Replica(f"http://127.0.0.1:{port}", proc, log)


def _wait_healthy(replicas: list[Replica], timeout_s: float) -> None:
    import httpx

    waiting = list(replicas)
    deadline = time.monotonic() + timeout_s
    while waiting and time.monotonic() < deadline:
        for r in list(waiting):
            if r.proc.poll() is not None:
                pytest.fail(f"replica {r.url} exited with {r.proc.returncode}:\n{r.log_tail()}", pytrace=False)
            try:
                if httpx.get(f"{r.url}/health", timeout=2).status_code == 200:
                    waiting.remove(r)
            except httpx.HTTPError:
                pass
        time.sleep(0.25)
    if waiting:
        tails = "\n".join(f"{r.url}:\n{r.log_tail()}" for r in waiting)
        pytest.fail(f"replicas not healthy after {timeout_s:.0f} s:\n{tails}", pytrace=False)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def cluster():
    """(redis server, [replica A, replica B]); everything is stopped afterwards, even on failure."""
    need("redis-server", redis_server_binary() is not None)
    need("built artifacts, the emotion model and the encoder (python -m recommender build)", _artifacts_built())
    redis = RedisServer()
    logs = Path(tempfile.mkdtemp(prefix="reelmood-replicas-"))
    replicas: list[Replica] = []
    try:
        redis.start()
        for name in ("a", "b"):
            replicas.append(_spawn(free_port(), redis.url, logs / f"replica-{name}.log"))
        _wait_healthy(replicas, START_TIMEOUT_S)
        yield redis, replicas
    finally:
        for r in replicas:
            _stop(r.proc)
        redis.stop()
        for f in logs.iterdir():
            f.unlink()
        logs.rmdir()


def _plan(n: int, seed: int = 7) -> list[tuple[str, str, dict | None]]:
    """(method, path, body): 50% mood (300 texts, both modes), 20% synopsis, 20% tmdb id, 10% health."""
    rng = random.Random(seed)
    plan: list[tuple[str, str, dict | None]] = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.5:
            body = {"text": rng.choice(MOODS), "top_k": 10, "mode": rng.choice(["match", "lift"])}
            plan.append(("POST", "/api/v1/mood", body))
        elif roll < 0.7:
            plan.append(("POST", "/api/v1/recommend", {"synopsis": rng.choice(SYNOPSES), "top_k": 10}))
        elif roll < 0.9:
            plan.append(("POST", "/api/v1/recommend", {"tmdb_id": rng.choice(TMDB_IDS), "top_k": 10}))
        else:
            plan.append(("GET", "/health", None))
    return plan


def test_both_replicas_use_the_shared_redis(cluster):
    import httpx

    _, (a, b) = cluster
    for r in (a, b):
        cache = httpx.get(f"{r.url}/health", timeout=5).json()["cache"]
        assert cache["backend"] == "redis" and cache["connected"] is True, (r.url, cache)

    with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
        for first, second in ((a, b), (b, a)):
            body = {"text": f"a slow grey morning and I want to feel better {uuid.uuid4().hex[:8]}", "mode": "lift"}
            one = client.post(f"{first.url}/api/v1/mood", json=body)
            two = client.post(f"{second.url}/api/v1/mood", json=body)
            assert one.status_code == two.status_code == 200, (one.text, two.text)
            one_body, two_body = one.json(), two.json()
            assert one_body["cached"] is False, f"{first.url} found a reading of a fresh text"
            assert two_body["cached"] is True, f"{second.url} did not read {first.url}'s cached reading"
            assert one_body["emotions"] == pytest.approx(two_body["emotions"], abs=1e-3)
            ids = [[f["movie_id"] for f in x["recommendations"]] for x in (one_body, two_body)]
            assert ids[0] == ids[1], "the same request got different films from the two replicas"


def test_load_across_two_replicas(cluster):
    import httpx

    from recommender.text import normalize_text

    redis, replicas = cluster
    plan = _plan(REQUESTS)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    clients = [httpx.Client(base_url=r.url, limits=limits, timeout=REQUEST_TIMEOUT_S) for r in replicas]
    before = [httpx.get(f"{r.url}/health", timeout=5).json()["cache"] for r in replicas]
    deadline = time.monotonic() + LOAD_BUDGET_S

    def send(i: int) -> tuple[float, str | None]:
        method, path, body = plan[i]
        if time.monotonic() > deadline:
            return 0.0, "not sent: over the time budget"
        client = clients[i % len(clients)]  # round robin
        start = time.perf_counter()
        try:
            resp = client.request(method, path, json=body)
            ms = (time.perf_counter() - start) * 1000.0
            if resp.status_code != 200:
                return ms, f"{path} HTTP {resp.status_code}"
            out = resp.json()
            ok = out.get("status") == "ok" if path == "/health" else out.get("count", 0) > 0
            return ms, None if ok else f"{path} empty answer"
        except Exception as exc:  # counted, never crashes the run
            return (time.perf_counter() - start) * 1000.0, f"{path} {type(exc).__name__}"

    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            results = list(pool.map(send, range(len(plan))))
        wall = time.perf_counter() - start
    finally:
        for c in clients:
            c.close()

    errors: dict[str, int] = {}
    for _, kind in results:
        if kind:
            errors[kind] = errors.get(kind, 0) + 1
    lat = sorted(ms for ms, kind in results if not kind)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")

    after = [httpx.get(f"{r.url}/health", timeout=5).json()["cache"] for r in replicas]
    misses = sum(x["misses"] - y["misses"] for x, y in zip(after, before))
    hits = sum(x["hits"] - y["hits"] for x, y in zip(after, before))
    texts = {normalize_text(body["text"]) for _, path, body in plan if path == "/api/v1/mood" and body}
    keys = {k.decode() for k in redis.client().scan_iter(match="reelmood:mood:*", count=1000)}
    print(
        f"\nreplicas: 2, requests {len(plan)} ({CONCURRENCY} at a time, round robin), errors {sum(errors.values())}, "
        f"{len(plan) / wall:.1f} req/s, p50 {pct(50):.1f} ms, p95 {pct(95):.1f} ms, wall {wall:.1f} s; "
        f"mood cache: {len(texts)} texts, {misses} misses, {hits} hits, {len(keys)} keys in redis",
        flush=True,
    )
    assert not errors, errors
    assert all(r.proc.poll() is None for r in replicas), "a replica died under load"
    # one shared cache: each distinct text is read (a miss) about once in all, not once per replica
    assert misses <= len(texts) * 1.25, (misses, len(texts))
    # one namespace (it names the models, the same in both replicas), each text stored once
    namespaces = {k.rsplit(":", 1)[0] for k in keys}  # the texts carry no ":"
    assert len(namespaces) == 1, namespaces
    assert {k.rsplit(":", 1)[1] for k in keys} >= texts
