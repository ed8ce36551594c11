"""Timing helpers: a request's elapsed ms, and the benchmarks' calls timed alone, alternately or in rotation.

Why alternately: this machine's speed drifts by tens of percent within an hour, so two things
compared are timed call by call in the same run, never in separate runs.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable

RECALL_QUERIES = 200  # film queries for recall@10 against exact search


def elapsed_ms(start: float) -> float:
    """Milliseconds since `start` (a time.perf_counter() reading)."""
    return (time.perf_counter() - start) * 1000.0


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def time_calls(fn: Callable[[int], object], runs: int, tick: Callable[[], None]) -> list[float]:
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000.0)
        tick()
    return samples


def time_interleaved(
    fa: Callable[[int], object], fb: Callable[[int], object], runs: int, tick: Callable[[], None]
) -> tuple[list[float], list[float]]:
    """Times two calls alternately, run by run, so both see the same state of a drifting machine."""
    a: list[float] = []
    b: list[float] = []
    for i in range(runs):
        for fn, out in ((fa, a), (fb, b)):
            start = time.perf_counter()
            fn(i)
            out.append((time.perf_counter() - start) * 1000.0)
        tick()
    return a, b


def time_rotating(fns: list[Callable[[int], object]], runs: int, tick: Callable[[], None]) -> list[list[float]]:
    """Times several calls in turn, run by run, the first of each run rotating: all see the same
    state of a drifting machine, and none always runs right after the same other one."""
    out: list[list[float]] = [[] for _ in fns]
    for i in range(runs):
        for j in range(len(fns)):
            e = (i + j) % len(fns)
            start = time.perf_counter()
            fns[e](i)
            out[e].append((time.perf_counter() - start) * 1000.0)
        tick()
    return out
