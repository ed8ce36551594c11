"""The mood ranking: genres and tone against the target, meaning, concrete words, good films, variety.

The terms and their weights are in mood.scoring; over the default pool (good films, or hidden
gems; mood.signals.candidates), plus the films nearest the text by meaning whatever their genres
(RankWeights.near), then a diversity re-rank. Genres the target rejects outright
(weight <= EXCLUDE) are kept out while enough films remain. Large catalogs score a shortlist
(mood.shortlist).
"""

from __future__ import annotations

import numpy as np

from recommender.mood.rank import MoodFilters, RankedFilm
from recommender.mood.scoring import RankWeights, diverse_top, mood_scores, with_near
from recommender.mood.shortlist import shortlisted
from recommender.mood.signals import FilmSignals, allowed, candidates
from recommender.mood.target import MoodTarget
from recommender.search.tfidf_query import SparseScores


def _unit(score: float) -> float:
    """The score squashed into 0..1 for display (the order is the score's)."""
    return 1.0 / (1.0 + float(np.exp(-score)))


def rank_for_mood(
    signals: FilmSignals,
    target: MoodTarget,
    query: np.ndarray | None,
    words: SparseScores | None,
    filters: MoodFilters,
    top_k: int,
    w: RankWeights = RankWeights(),
    exclude_rows: frozenset[int] = frozenset(),
    offset: int = 0,
    seed: int = 0,
    topic: float = 1.0,
    adjust: np.ndarray | None = None,
    remember: bool = False,
) -> list[RankedFilm]:
    """The top_k films after `offset` (a next page keeps the earlier picks out of its own).
    `seed` (from the text) makes the dithering the same for the same request. `adjust`: a per-film
    term added to the score (the session's feedback, mood.feedback); None leaves the ranking as is.
    `remember`: reuse the text's meaning cosines from the memo (the request uses the cache).
    From w.shortlist_from films on, only a shortlist is scored (mood.shortlist)."""
    if len(signals.table) >= w.shortlist_from:
        rows, terms = shortlisted(signals, target, query, words, filters, top_k, w, exclude_rows, topic)
        keep = np.ones(rows.size, dtype=bool)
    else:
        genres = signals.genre_view(target.genres)
        shown = allowed(signals, filters, exclude_rows)
        keep = candidates(signals, genres, filters, top_k, gate=w.gate, base=shown)  # the same pool for every page
        word_scores = words.dense() if words is not None else None
        terms = mood_scores(
            signals,
            target,
            genres,
            query,
            word_scores,
            keep,
            w,
            gems=filters.hidden_gems,
            topic=topic,
            remember=remember,
        )
        keep = with_near(keep, shown, genres, terms["meaning"], w)
        rows = None
    order = terms["score"]
    if adjust is not None:
        order = order + np.asarray(adjust if rows is None else adjust[rows], dtype=np.float32)
    if w.dither > 0:
        noise = signals.dither(seed)
        order = order + np.float32(w.dither) * (noise if rows is None else noise[rows])
    vectors = signals.vectors
    if rows is not None:  # the re-rank's pool, taken here so only its vectors are gathered
        best = np.argsort(-order, kind="stable")[: max(w.pool, top_k + offset)]
        best.sort()
        order, keep, vectors = order[best], keep[best], signals.vectors[rows[best]]
        terms = {name: values[best] for name, values in terms.items()}
        rows = rows[best]
    picks = diverse_top(order, keep, vectors, top_k + offset, w)[offset:]
    return [
        RankedFilm(
            r if rows is None else int(rows[r]),
            _unit(value),
            float(terms["fit"][r]),
            float(terms["words"][r]),
            float(terms["quality"][r]),
            tone=float(terms["tone"][r]),
            meaning=float(terms["meaning"][r]),
        )
        for r, value in picks
    ]
