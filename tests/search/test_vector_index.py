"""The Annoy index choice: the forest with the least work per query that still meets the recall target."""

from __future__ import annotations

import numpy as np

from conftest import need
from recommender.search.vector_index import (
    TREE_CHOICES,
    VectorIndex,
    annoy_available,
    choose_engine,
    engine_reason,
    recall_at_k,
    time_engines,
    tune_index,
    tune_search_k,
    tuning_queries,
)


def _clustered(n: int = 1500, dim: int = 24, seed: int = 11) -> np.ndarray:
    """Unit vectors around a few dozen centres, like films around genres."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, dim))
    return (centres[rng.integers(0, 40, n)] + 0.5 * rng.normal(size=(n, dim))).astype(np.float32)


def test_tune_index_picks_the_smallest_search_k_that_meets_the_target() -> None:
    need("the annoy package (pip install -r requirements.txt)", annoy_available())
    vectors = _clustered()
    index, tuning = tune_index(vectors)
    assert index.uses_annoy and index.n_trees in TREE_CHOICES and index.search_k == tuning.search_k
    queries, exclude = tuning_queries(index.vectors)
    assert recall_at_k(index, queries, exclude) >= 0.993  # re-measured, not read back
    for trees in TREE_CHOICES:  # no other forest gets there with fewer candidates
        other = tune_search_k(VectorIndex(vectors, n_trees=trees))
        assert not other.met or other.search_k >= tuning.search_k
        if other.met and other.search_k == tuning.search_k:
            assert trees >= index.n_trees  # ties go to fewer trees
    assert tuning.annoy_ms > 0 and tuning.exact_ms > 0  # the kept index is timed
    again, same = tune_index(vectors)  # counted, not timed: every build picks the same index
    assert (again.n_trees, same.search_k) == (index.n_trees, tuning.search_k)


def test_tune_search_k_without_annoy_is_exact() -> None:
    index = VectorIndex(_clustered(200), use_annoy=False)
    tuning = tune_search_k(index)
    assert tuning.met and tuning.search_k == 0 and tuning.recall_at_10 == 1.0


def test_tune_search_k_keeps_the_last_step_when_the_target_is_out_of_reach() -> None:
    need("the annoy package (pip install -r requirements.txt)", annoy_available())
    index = VectorIndex(_clustered(300), n_trees=2)
    tuning = tune_search_k(index, target=2.0, steps=(200, 400))
    assert not tuning.met and tuning.search_k == index.search_k == 400
    assert sorted(tuning.curve) == [200, 400] and tuning.recall_at_10 == tuning.curve[400]


def test_choose_engine_picks_the_faster_and_exact_on_ties_or_without_annoy() -> None:
    assert choose_engine(0.25, 0.9) == "exact"  # TMDB 5000: search_k 7,000 of 4,799 films
    assert choose_engine(2.0, 0.5) == "annoy"  # a large catalog
    assert choose_engine(0.3, 0.3) == "exact"  # a tie: exact is the simpler and the true answer
    assert choose_engine(0.25, 0.0) == "exact"  # Annoy not timed (package missing)
    assert engine_reason("exact", 0.25, 0.9, 7000, 4799).startswith("exact: exact 0.250 ms vs Annoy 0.900 ms")
    assert "Annoy is faster" in engine_reason("annoy", 2.0, 0.5, 7000, 1_000_000)
    assert "not timed" in engine_reason("exact", 0.25, 0.0, 0, 10)


def test_time_engines_times_both_on_the_same_queries() -> None:
    queries, _ = tuning_queries(_clustered(300), n=40)
    exact_ms, annoy_ms = time_engines(VectorIndex(_clustered(300), use_annoy=False), queries, rounds=1)
    assert exact_ms > 0 and annoy_ms == 0.0  # no Annoy: only exact is timed
    need("the annoy package (pip install -r requirements.txt)", annoy_available())
    exact_ms, annoy_ms = time_engines(VectorIndex(_clustered(300), n_trees=2, search_k=400), queries, rounds=2)
    assert exact_ms > 0 and annoy_ms > 0
