"""Fusion arithmetic of the hybrid synopsis search (the real-index behaviour is in test_service)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.search.hybrid import FusionParams, candidate_pool, fuse, hybrid_search
from recommender.search.tfidf_query import SparseScores
from recommender.search.topk import top_rows


def test_top_rows_orders_excludes_and_breaks_ties_by_row():
    scores = np.array([0.1, 0.9, 0.5, 0.9, 0.0], dtype=np.float32)
    assert top_rows(scores, 3).tolist() == [1, 3, 2]
    assert top_rows(scores, 3, exclude={1}).tolist() == [3, 2, 0]
    assert top_rows(scores, 10).tolist() == [1, 3, 2, 0, 4]
    assert top_rows(scores, 0).tolist() == []


def sparse(dense: np.ndarray) -> SparseScores:
    rows = np.flatnonzero(dense)
    return SparseScores(rows, dense[rows].astype(np.float32), dense.size)


def test_pool_is_the_union_and_ignores_zero_lexical_scores():
    lexical = sparse(np.array([0.0, 0.3, 0.0, 0.2, 0.0], dtype=np.float32))
    rows = candidate_pool([(2, 0.8), (4, 0.7)], lexical, pool=3, exclude={3})
    assert sorted(rows.tolist()) == [1, 2, 4]


def test_sparse_scores_read_like_the_dense_array():
    dense = np.array([0.0, 0.3, 0.0, 0.3, 0.1, 0.0], dtype=np.float32)
    scores = sparse(dense)
    assert scores.at(np.array([0, 1, 4, 5])).tolist() == pytest.approx([0.0, 0.3, 0.1, 0.0])
    assert scores.top(2).tolist() == [1, 3]  # ties by lower row, like top_rows
    assert scores.top(10, exclude={1}).tolist() == [3, 4]  # zeros are never proposed
    assert scores.dense().tolist() == pytest.approx(dense.tolist())


def test_fuse_interpolates_between_sides():
    rows = np.array([10, 11, 12])
    cosine = np.array([0.9, 0.5, 0.1])
    lexical = np.array([0.0, 0.2, 0.4])
    dense_only = fuse(rows, cosine, lexical, alpha=1.0, k=3)
    lexical_only = fuse(rows, cosine, lexical, alpha=0.0, k=3)
    assert [h.row for h in dense_only] == [10, 11, 12]
    assert [h.row for h in lexical_only] == [12, 11, 10]
    mixed = fuse(rows, cosine, lexical, alpha=0.5, k=3)
    assert mixed[0].score == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert all(0.0 <= h.score <= 1.0 for h in mixed)
    assert sorted(h.cosine for h in mixed) == pytest.approx([0.1, 0.5, 0.9])  # true cosines kept


def test_hybrid_search_uses_exact_cosines_for_every_candidate():
    rng = np.random.default_rng(0)
    vecs = rng.normal(size=(30, 8)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    query = vecs[5]
    dense_lexical = np.zeros(30, dtype=np.float32)
    dense_lexical[[7, 9]] = [0.5, 0.25]
    lexical = sparse(dense_lexical)

    def dense_search(v, n, ex):  # a deliberately poor ANN: proposes only 2 films
        exact = [(i, float(vecs[i] @ v)) for i in np.argsort(-(vecs @ v)) if i not in ex]
        return exact[:2]

    hits = hybrid_search(
        query,
        lexical,
        dense_search,
        lambda rows: vecs[rows],
        k=5,
        exclude=frozenset({5}),
        params=FusionParams(alpha=0.5, pool=2),
    )
    assert 5 not in [h.row for h in hits]
    assert {7, 9} <= {h.row for h in hits}
    for h in hits:
        assert h.cosine == pytest.approx(float(vecs[h.row] @ query), abs=1e-6)
