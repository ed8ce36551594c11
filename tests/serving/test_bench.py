"""Benchmark report structure on the real recommender (no timing assertions: figures vary)."""

from __future__ import annotations

import json

import pytest

from recommender.serving.bench import SEED_FIGURES, BenchReport, ann_recall, run_scenarios


@pytest.fixture(scope="module")
def report(rec) -> tuple[BenchReport, list[tuple[float, str]]]:
    calls: list[tuple[float, str]] = []
    return run_scenarios(rec, runs=3, progress=lambda f, label: calls.append((f, label))), calls


def test_scenarios_and_samples(report):
    rep, _ = report
    names = [s.name for s in rep.scenarios]
    assert names == [*SEED_FIGURES, "hybrid synopsis search"]
    for s in rep.scenarios:
        assert s.runs == len(s.samples_ms) == 3
        assert all(x > 0 for x in s.samples_ms)
        assert min(s.samples_ms) <= s.p50_ms <= s.p95_ms <= max(s.samples_ms)
        assert s.mean_ms == pytest.approx(sum(s.samples_ms) / 3, rel=1e-3)
    assert rep.scenarios[0].speedup_vs_first is None
    assert all(s.speedup_vs_first and s.speedup_vs_first > 0 for s in rep.scenarios[1:])
    assert rep.scenarios[2].seed_ms == pytest.approx(8.5)


def test_extra_figures(report):
    rep, _ = report
    assert rep.emotion_p50_ms > 0 and rep.encoder_p50_ms > 0
    assert rep.peak_rss_mb > 50
    assert 0.99 <= rep.ann_recall_at_10 <= 1.0


def test_progress_callback_reaches_one(report):
    _, calls = report
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {label for _, label in calls} >= set(SEED_FIGURES)


def test_report_serialises_and_prints(report):
    rep, _ = report
    data = json.loads(json.dumps(rep.to_dict()))
    assert len(data["scenarios"]) == 4 and data["scenarios"][3]["samples_ms"]
    text = rep.table()
    for name in SEED_FIGURES:
        assert name in text
    assert "ANN recall@10" in text


def test_ann_recall_is_one_against_itself_when_exact(rec):
    class Exact:  # an index whose ANN is the exact search must score 1.0
        def __init__(self, index):
            self.index = index
            self.catalog = rec.catalog

    exact = Exact(
        type(
            "I",
            (),
            {
                "vector": rec.index.vector,
                "search": lambda self, v, k, exclude_rows=frozenset(): rec.index.exact_search(v, k, exclude_rows),
                "exact_search": lambda self, v, k, exclude_rows=frozenset(): rec.index.exact_search(v, k, exclude_rows),
            },
        )()
    )
    assert ann_recall(exact, queries=20) == 1.0
