"""`bench --scale` at 10k films (the sizes to 1M run outside CI: README "Scale")."""

from __future__ import annotations

import json
import math
import subprocess
import sys

from conftest import ROOT
from recommender.search.vector_index import ENGINES
from recommender.serving.scale_bench import STEP_PAIRS, ScalePoint, growth


def test_scale_bench_at_10k_films(rec, tmp_path):
    out = tmp_path / "scale.json"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "recommender",
            "bench",
            "--scale",
            "--sizes",
            "10000",
            "--runs",
            "6",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "| 10,000 |" in proc.stdout and "[scale] 10,000 films: build" in proc.stdout
    (point,) = json.loads(out.read_text())
    assert point["films"] == 10_000 and point["engine"] in ENGINES
    assert point["recall_at_10"] >= 0.95 and point["artifact_mb"] > 0 and point["rss_mb"] > 0
    figures = [point[k] for k in ("mood_cached_ms", "mood_uncached_ms", "synopsis_ms")] + list(
        point["steps_ms"].values()
    )
    assert all(math.isfinite(x) and x > 0 for x in figures)
    assert {name for pair in STEP_PAIRS for name in pair} <= set(point["steps_ms"])


def test_growth_exponents():
    def point(n: int, ms: float) -> ScalePoint:
        return ScalePoint(n, 0, 0, 0, 0, 0, 0, "exact", 0, 0, 1.0, ms, ms, ms)

    linear = growth([point(10_000, 1.0), point(100_000, 10.0)], lambda p: p.mood_cached_ms)
    flat = growth([point(10_000, 2.0), point(1_000_000, 2.0)], lambda p: p.mood_cached_ms)
    assert abs(linear[0] - 1.0) < 1e-9 and abs(flat[0]) < 1e-9
