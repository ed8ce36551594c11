"""Large catalogs: rank a shortlist instead of every film.

From RankWeights.shortlist_from films on, a request scores only the union of the pool's best
films by the request-independent terms (made once per target and remembered), the films nearest
the text (the vector index) and those best matching its concrete words. On 100k films it keeps
99% of the exhaustive top 10 (dither off); the cost stays flat up to 1M films (README "Scale").
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from recommender.mood.rank import MoodFilters
from recommender.mood.scoring import RankWeights, mood_scores, with_near
from recommender.mood.signals import FilmSignals, GenreView, Shortlist, allowed, candidates
from recommender.mood.target import MoodTarget
from recommender.search.tfidf_query import SparseScores

SHORTLIST_STATIC = 2_000  # the pool's best by genre fit, tone, quality and familiarity
SHORTLIST_NEAREST = 500  # the films nearest the mood text (vector index)
SHORTLIST_WORDS = 500  # the films best matching its concrete words
SHORTLIST_Z_SAMPLE = 2_000  # pool films the meaning cosines are z-scored against
SHORTLIST_MEMO = 256  # targets remembered
TARGET_STEP = 0.05  # a shortlist is made for the target rounded to this (same list for near targets)


def _rounded(weights: Mapping[str, float]) -> dict[str, float]:
    steps = {k: round(v / TARGET_STEP) * TARGET_STEP for k, v in weights.items()}
    return {k: v for k, v in sorted(steps.items()) if v != 0.0}


def shortlist(signals: FilmSignals, target: MoodTarget, filters: MoodFilters, need: int, w: RankWeights) -> Shortlist:
    """The target's Shortlist, remembered (SHORTLIST_MEMO targets, least recently used out).

    Made for the target rounded to TARGET_STEP, so it depends on the request only, never on which
    requests came before (a shared link gives the same list on any replica)."""
    genres_w, tones_w = _rounded(target.genres), _rounded(target.tones)
    key = (tuple(genres_w.items()), tuple(tones_w.items()), filters, need, w)
    rounded = MoodTarget(genres_w, tones_w, target.wish, target.avoid)
    return signals.remember("shortlist", key, lambda: _made(signals, rounded, filters, need, w), SHORTLIST_MEMO)


def _made(signals: FilmSignals, target: MoodTarget, filters: MoodFilters, need: int, w: RankWeights) -> Shortlist:
    """One pass over the catalog for `target` (already rounded)."""
    genres = GenreView.of(signals.table, target.genres)
    shown = allowed(signals, filters)
    keep = candidates(signals, genres, filters, need, gate=w.gate, base=shown)
    pool = np.flatnonzero(keep)
    static = mood_scores(
        signals,
        target,
        genres.take(pool),
        None,
        None,
        np.ones(pool.size, dtype=bool),
        w,
        gems=filters.hidden_gems,
        rows=pool,
    )["score"]
    best = (
        pool[np.argpartition(-static, SHORTLIST_STATIC - 1)[:SHORTLIST_STATIC]]
        if pool.size > SHORTLIST_STATIC
        else pool
    )
    sample = np.random.default_rng(0).choice(pool, size=min(SHORTLIST_Z_SAMPLE, pool.size), replace=False)
    return Shortlist(keep, shown, np.sort(best), np.sort(sample))


def shortlisted(
    signals: FilmSignals,
    target: MoodTarget,
    query: np.ndarray | None,
    words: SparseScores | None,
    filters: MoodFilters,
    need: int,
    w: RankWeights,
    exclude_rows: frozenset[int],
    topic: float,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(rows, their terms) for a large catalog: the target's shortlist, the films nearest the
    text and the best word matches, all in the pool (or near enough the text: RankWeights.near),
    none excluded."""
    listed = shortlist(signals, target, filters, need, w)
    parts = [listed.rows]
    if query is not None and topic > 0 and signals.nearest is not None:
        near = np.fromiter((r for r, _ in signals.nearest(query, SHORTLIST_NEAREST)), dtype=np.int64)
        parts.append(near[listed.allowed[near]])
    if words is not None:
        best = words.top(SHORTLIST_WORDS)
        parts.append(best[listed.keep[best]])
    rows = np.unique(np.concatenate(parts))
    if exclude_rows:
        rows = rows[~np.isin(rows, np.fromiter(exclude_rows, dtype=np.int64))]
    genres = GenreView.of(signals.table, target.genres, rows)
    terms = mood_scores(
        signals,
        target,
        genres,
        query,
        words.at(rows) if words is not None else None,
        np.ones(rows.size, dtype=bool),
        w,
        gems=filters.hidden_gems,
        topic=topic,
        rows=rows,
        z_rows=listed.z_rows,
    )
    ok = with_near(listed.keep[rows], listed.allowed[rows], genres, terms["meaning"], w)
    return rows[ok], {name: values[ok] for name, values in terms.items()}
