"""The record of served requests: percentiles, bounds, threads; and /metrics + /health over real calls."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from fastapi.testclient import TestClient

from recommender.serving.api import create_app
from recommender.serving.latency_log import LatencyLog, Served, percentile, prometheus_text, summarize

# ---- the summary on known input ---------------------------------------------------------------


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]  # 1..100, shuffled order must not matter
    shuffled = values[::2] + values[1::2]
    assert percentile(shuffled, 0.5) == pytest.approx(50.5)
    assert percentile(shuffled, 0.95) == pytest.approx(95.05)
    assert percentile([7.0], 0.95) == 7.0
    assert percentile([1.0, 3.0], 0.5) == 2.0
    with pytest.raises(ValueError):
        percentile([], 0.5)


def test_summary_per_kind_and_cached_and_the_rate_over_the_last_minute() -> None:
    now = 10_000.0
    records = [Served(now - 1, "mood", False, ms) for ms in (100.0, 200.0, 300.0)]
    records += [Served(now - 2, "mood", True, ms) for ms in (1.0, 2.0, 3.0, 4.0)]
    records += [Served(now - 120, "synopsis", False, 50.0)]  # two minutes ago: not in the rate
    summary = summarize(records, {}, now)
    groups = {(g.kind, g.cached): g for g in summary.groups}
    assert list(groups) == [("mood", False), ("mood", True), ("synopsis", False)]
    assert groups["mood", False].p50_ms == 200.0 and groups["mood", False].p95_ms == pytest.approx(290.0)
    assert groups["mood", True].p50_ms == 2.5 and groups["mood", True].count == 4
    assert groups["mood", True].sum_ms == 10.0
    assert summary.count == 8 and summary.recent == 8 and summary.per_minute == 7.0


def test_the_record_is_bounded_and_the_totals_keep_counting() -> None:
    log = LatencyLog(capacity=50)
    for i in range(120):
        log.record("mood", i % 2 == 0, float(i), at=1000.0 + i)
    kept = log.records()
    assert len(log) == len(kept) == 50
    assert [r.ms for r in kept] == [float(i) for i in range(70, 120)]  # the newest, oldest first
    summary = log.summary(now=1119.0)
    assert summary.count == 120 and summary.recent == 50  # counters only ever go up
    cached = next(g for g in summary.groups if g.cached)
    assert cached.count == 60 and cached.recent == 25
    assert cached.sum_ms == float(sum(range(0, 120, 2)))
    assert cached.p50_ms == percentile([float(i) for i in range(70, 120, 2)], 0.5)


def test_records_from_many_threads_are_all_counted() -> None:
    log = LatencyLog(capacity=100)
    barrier = threading.Barrier(8)

    def serve() -> None:
        barrier.wait()
        for _ in range(500):
            log.record("synopsis", False, 1.0)

    threads = [threading.Thread(target=serve) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert log.summary().count == 4000 and len(log) == 100


def test_a_paused_thread_is_not_recorded_but_others_are() -> None:
    log = LatencyLog()
    with log.paused():
        log.record("mood", False, 5.0)
        other = threading.Thread(target=lambda: log.record("mood", True, 1.0))
        other.start()
        other.join()
    log.record("film", False, 2.0)
    assert [(r.kind, r.cached) for r in log.records()] == [("mood", True), ("film", False)]


# ---- Prometheus text format -----------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_]\w*="[^"\\]*",?)*)\})? (\S+)$')


def parse_prometheus(text: str) -> dict[tuple[str, frozenset], float]:
    """A strict little reader of the text exposition format: every line a comment, HELP/TYPE
    before its samples, or `name{label="v",...} value`."""
    samples: dict[tuple[str, frozenset], float] = {}
    typed: dict[str, str] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "summary"), line
            typed[name] = kind
            continue
        if line.startswith("#"):
            assert line.startswith("# HELP "), line
            continue
        match = _SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        name, labels, value = match.groups()
        family = re.sub(r"_(sum|count)$", "", name) if name not in typed else name
        assert family in typed, f"{name} has no TYPE line before it"
        pairs = frozenset(tuple(p.split("=", 1)) for p in re.findall(r'\w+="[^"]*"', labels or ""))
        samples[name, frozenset((k, v.strip('"')) for k, v in pairs)] = float(value)
    return samples


def test_prometheus_text_of_an_empty_and_of_a_known_summary() -> None:
    assert parse_prometheus(prometheus_text(summarize([], {}, 0.0))) == {
        ("reelmood_requests_per_minute", frozenset()): 0.0
    }
    records = [Served(99.0, "mood", True, ms) for ms in (1.0, 2.0, 3.0)]
    got = parse_prometheus(prometheus_text(summarize(records, {("mood", True): (5, 20.0)}, 100.0)))
    labels = {("kind", "mood"), ("cached", "true")}
    assert got["reelmood_requests_total", frozenset(labels)] == 5
    assert got["reelmood_request_duration_ms", frozenset(labels | {("quantile", "0.5")})] == 2.0
    assert got["reelmood_request_duration_ms", frozenset(labels | {("quantile", "0.95")})] == pytest.approx(2.9)
    assert got["reelmood_request_duration_ms_sum", frozenset(labels)] == 20.0
    assert got["reelmood_request_duration_ms_count", frozenset(labels)] == 5
    assert got["reelmood_requests_per_minute", frozenset()] == 3.0


# ---- /metrics and /health over real calls ----------------------------------------------------


@pytest.fixture(scope="module")
def client(rec):
    with TestClient(create_app(rec)) as c:
        yield c


def _counts(client) -> dict[tuple[str, str], float]:
    resp = client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = parse_prometheus(resp.text)
    return {
        (dict(labels)["kind"], dict(labels)["cached"]): value
        for (name, labels), value in samples.items()
        if name == "reelmood_requests_total"
    }


def test_metrics_count_the_requests_the_api_served(client) -> None:
    before = _counts(client)
    text = f"a rainy evening and I feel a little lonely {uuid.uuid4().hex[:6]}"
    assert client.post("/api/v1/mood", json={"text": text, "top_k": 3}).json()["cached"] is False
    assert client.post("/api/v1/mood", json={"text": text, "top_k": 3}).json()["cached"] is True
    assert client.post("/api/v1/recommend", json={"synopsis": "a shark attacks swimmers at a beach town"}).is_success
    assert client.post("/api/v1/recommend", json={"tmdb_id": 862, "top_k": 3}).is_success
    assert client.post("/api/v1/recommend", json={"title": "toy story", "top_k": 3}).is_success
    assert client.post("/api/v1/mood", json={"text": "?!?! 123"}).status_code == 422  # not served
    assert client.post("/api/v1/recommend", json={"tmdb_id": 987654321}).status_code == 404  # not served
    after = _counts(client)
    grew = {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}
    assert grew == {("mood", "false"): 1, ("mood", "true"): 1, ("synopsis", "false"): 1, ("film", "false"): 2}


def test_health_carries_the_same_summary(client, rec) -> None:
    client.post("/api/v1/recommend", json={"tmdb_id": 862, "top_k": 3})
    latency = client.get("/health").json()["latency"]
    groups = {(g["kind"], g["cached"]): g for g in latency["groups"]}
    film = groups["film", False]
    assert film["count"] >= 1 and film["p50_ms"] > 0 and film["p95_ms"] >= film["p50_ms"]
    assert latency["count"] == sum(g["count"] for g in latency["groups"]) == rec.latency.summary().count
    assert latency["per_minute"] >= 1
    assert client.get("/").json()["links"]["metrics"] == "/metrics"
