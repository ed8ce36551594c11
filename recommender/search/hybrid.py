"""Hybrid synopsis retrieval: fuse dense (sentence-embedding) and lexical (TF-IDF) evidence.

Each side proposes its top `pool` films; over the union, the dense side is the true cosine
of the query vector to each film, min-max scaled over the pool, and the lexical side is the
TF-IDF cosine divided by the pool's best. The ranking score is

    score = alpha * dense_scaled + (1 - alpha) * lexical_scaled        (0..1)

`alpha` and `pool` were chosen on the dev set in eval/ (python -m recommender evaluate-search,
results in eval/search_results.md). The dense cosine is kept and shown as similarity_score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from recommender.search.tfidf_query import SparseScores
from recommender.search.topk import top_rows

DEFAULT_ALPHA = 0.6
DEFAULT_POOL = 20  # 20, 50 and 100 score the same on the dev set; 20 is the cheapest


@dataclass(frozen=True)
class FusionParams:
    alpha: float = DEFAULT_ALPHA  # weight of the dense side
    pool: int = DEFAULT_POOL  # candidates proposed by each side


@dataclass(frozen=True)
class FusedHit:
    row: int
    score: float  # fused ranking score, 0..1
    cosine: float  # true cosine of the query and film embeddings
    lexical: float  # raw TF-IDF cosine


def candidate_pool(
    dense_hits: list[tuple[int, float]], lexical: SparseScores, pool: int, exclude: Iterable[int] = ()
) -> np.ndarray:
    """Union of the dense side's hits and the lexical side's top `pool` rows (a zero TF-IDF
    score proposes nothing)."""
    excluded = set(exclude)
    rows = [r for r, _ in dense_hits if r not in excluded]
    seen = set(rows)
    rows.extend(int(r) for r in lexical.top(pool, excluded) if int(r) not in seen)
    return np.asarray(rows, dtype=np.int64)


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)


def fuse(rows: np.ndarray, cosine: np.ndarray, lexical: np.ndarray, alpha: float, k: int) -> list[FusedHit]:
    """Rank `rows` (with their dense cosines and raw TF-IDF scores) by the fused score."""
    if rows.size == 0 or k <= 0:
        return []
    cosine = np.asarray(cosine, dtype=np.float32)
    lexical = np.asarray(lexical, dtype=np.float32)
    dense = _minmax(cosine)
    best_lex = float(lexical.max())
    lex = lexical / best_lex if best_lex > 0 else np.zeros_like(lexical)
    score = alpha * dense + (1.0 - alpha) * lex
    order = top_rows(score, k)
    return [FusedHit(int(rows[i]), float(score[i]), float(cosine[i]), float(lexical[i])) for i in order]


def hybrid_search(
    query_vector: np.ndarray,
    lexical: SparseScores,
    dense_search: Callable[[np.ndarray, int, frozenset[int]], list[tuple[int, float]]],
    vectors: Callable[[np.ndarray], np.ndarray],
    k: int,
    exclude: frozenset[int] = frozenset(),
    params: FusionParams = FusionParams(),
) -> list[FusedHit]:
    """The whole hybrid query: ANN proposals + TF-IDF proposals, exact cosines, fusion.

    `dense_search(vector, n, exclude)` is VectorIndex.search; `vectors(rows)` returns the
    stored unit vectors of those rows (n, d), so every candidate gets its true cosine.
    """
    pool = max(params.pool, k)
    dense_hits = dense_search(query_vector, pool, exclude)
    rows = candidate_pool(dense_hits, lexical, pool, exclude)
    if rows.size == 0:
        return []
    cosine = vectors(rows) @ np.asarray(query_vector, dtype=np.float32)
    return fuse(rows, cosine, lexical.at(rows), params.alpha, k)
