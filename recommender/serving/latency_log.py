"""The requests this process actually served: a bounded in-memory record and its summary.

Why in memory and bounded: the Benchmarks page and `/metrics` want live figures without a
database, and a long-running server must not grow. The last `capacity` requests are kept for
the percentiles and the timeline; per (kind, cached) totals are kept since start, so the
Prometheus counters only ever go up (a summary's quantiles are over a recent window anyway).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

CAPACITY = 2000
RATE_WINDOW_S = 60.0
QUANTILES = (0.5, 0.95)


@dataclass(frozen=True)
class Served:
    """One served request: when (Unix seconds), which use case, from the cache or not, how long."""

    at: float
    kind: str  # "mood", "synopsis" or "film"
    cached: bool
    ms: float


@dataclass(frozen=True)
class GroupSummary:
    """The figures of one (kind, cached) pair."""

    kind: str
    cached: bool
    count: int  # served since start
    sum_ms: float  # their milliseconds, since start
    recent: int  # of them still in the record: what the percentiles are over
    p50_ms: float | None  # None when none is left in the record
    p95_ms: float | None


@dataclass(frozen=True)
class LatencySummary:
    count: int  # served since start
    recent: int  # kept in the record (at most its capacity)
    per_minute: float  # served in the last minute
    groups: tuple[GroupSummary, ...]  # sorted by kind, uncached first


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) with linear interpolation between ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(
    records: Sequence[Served],
    totals: Mapping[tuple[str, bool], tuple[int, float]],
    now: float,
    window_s: float = RATE_WINDOW_S,
) -> LatencySummary:
    """Percentiles per (kind, cached) over `records`, counts and sums from `totals`, the rate over `window_s`."""
    recent: dict[tuple[str, bool], list[float]] = {}
    for r in records:
        recent.setdefault((r.kind, r.cached), []).append(r.ms)
    groups = []
    for key in sorted(set(totals) | set(recent)):
        ms = recent.get(key, [])
        count, sum_ms = totals.get(key, (len(ms), sum(ms)))
        groups.append(
            GroupSummary(
                kind=key[0],
                cached=key[1],
                count=count,
                sum_ms=round(sum_ms, 3),
                recent=len(ms),
                p50_ms=round(percentile(ms, 0.5), 3) if ms else None,
                p95_ms=round(percentile(ms, 0.95), 3) if ms else None,
            )
        )
    in_window = sum(1 for r in records if now - window_s <= r.at <= now)
    return LatencySummary(
        count=sum(g.count for g in groups),
        recent=len(records),
        per_minute=round(in_window * 60.0 / window_s, 3),
        groups=tuple(groups),
    )


class LatencyLog:
    """Thread-safe ring buffer of `Served`, plus totals since start; one per Recommender."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = int(capacity)
        self._records: deque[Served] = deque(maxlen=self.capacity)
        self._totals: dict[tuple[str, bool], tuple[int, float]] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def record(self, kind: str, cached: bool, ms: float, at: float | None = None) -> None:
        if getattr(self._local, "paused", False):
            return
        served = Served(time.time() if at is None else at, kind, bool(cached), float(ms))
        key = (served.kind, served.cached)
        with self._lock:
            self._records.append(served)
            count, total = self._totals.get(key, (0, 0.0))
            self._totals[key] = (count + 1, total + served.ms)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Calls made by this thread are not recorded (the benchmarks run inside a serving
        process: their synthetic requests are not requests served to anyone)."""
        before = getattr(self._local, "paused", False)
        self._local.paused = True
        try:
            yield
        finally:
            self._local.paused = before

    def records(self) -> list[Served]:
        """The kept requests, oldest first (a copy)."""
        with self._lock:
            return list(self._records)

    def summary(self, now: float | None = None) -> LatencySummary:
        with self._lock:
            records, totals = list(self._records), dict(self._totals)
        return summarize(records, totals, time.time() if now is None else now)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._totals.clear()

    def __len__(self) -> int:
        return len(self._records)


# ---- Prometheus text exposition format (version 0.0.4) ----------------------------------------

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _number(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NaN"
    return repr(float(value)) if isinstance(value, float) else str(value)


def prometheus_text(summary: LatencySummary) -> str:
    """The summary as Prometheus metrics: a counter per (kind, cached), a summary of the
    milliseconds (p50 / p95 over the recent record; _sum / _count since start) and the rate."""
    lines = [
        "# HELP reelmood_requests_total Requests served, by use case and whether the reading came from the cache.",
        "# TYPE reelmood_requests_total counter",
    ]
    for g in summary.groups:
        lines.append(f'reelmood_requests_total{{kind="{g.kind}",cached="{str(g.cached).lower()}"}} {g.count}')
    lines += [
        "# HELP reelmood_request_duration_ms Time to serve a request, in milliseconds "
        f"(quantiles over the last {CAPACITY} requests).",
        "# TYPE reelmood_request_duration_ms summary",
    ]
    for g in summary.groups:
        labels = f'kind="{g.kind}",cached="{str(g.cached).lower()}"'
        for q, value in zip(QUANTILES, (g.p50_ms, g.p95_ms)):
            lines.append(f'reelmood_request_duration_ms{{{labels},quantile="{q}"}} {_number(value)}')
        lines.append(f"reelmood_request_duration_ms_sum{{{labels}}} {_number(float(g.sum_ms))}")
        lines.append(f"reelmood_request_duration_ms_count{{{labels}}} {g.count}")
    lines += [
        "# HELP reelmood_requests_per_minute Requests served in the last minute.",
        "# TYPE reelmood_requests_per_minute gauge",
        f"reelmood_requests_per_minute {_number(float(summary.per_minute))}",
    ]
    return "\n".join(lines) + "\n"
