"""Rank catalog films for a mood: filters, genre fit, text similarity and a quality prior.

Why a separate module: the catalog's columns are turned into numpy arrays once, so a mood
request is a handful of vector operations over ~5,000 rows (well under a millisecond).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from recommender.mood.genre_table import ScoreWeights
from recommender.mood.quality import bayesian_quality, familiarity, good_films, hidden_gems

if TYPE_CHECKING:
    from recommender.catalog.lookup import Catalog


@dataclass(frozen=True)
class MoodFilters:
    year_min: int | None = None
    year_max: int | None = None
    min_rating: float | None = None
    min_votes: int | None = None
    language: str | None = None  # ISO 639-1 original language, e.g. "en"; case-insensitive
    hidden_gems: bool = False  # less known, still well rated (mood.quality.hidden_gems)


NO_FILTERS = MoodFilters()


@dataclass(frozen=True)
class RankedFilm:
    row: int
    score: float  # the documented mood score, 0..1
    genre_fit: float  # 0..1
    text: float  # TF-IDF cosine scaled by the best candidate's, 0..1
    quality: float  # Bayesian-average rating / 10
    tone: float = 0.0  # film tone profile · target tones, about -1..1 (default ranking)
    meaning: float = 0.0  # z-scored cosine of the mood text to the film, -1..1 (default ranking)


class FilmTable:
    """Numeric views of the catalog used for mood ranking; built once per process."""

    def __init__(self, catalog: Catalog) -> None:
        films = [catalog.film(i) for i in range(len(catalog))]
        self.genre_names: tuple[str, ...] = tuple(catalog.genres)
        index = {g: j for j, g in enumerate(self.genre_names)}
        self.genres = np.zeros((len(films), len(self.genre_names)), dtype=np.float32)
        for i, film in enumerate(films):
            for g in film.genres:
                if g in index:
                    self.genres[i, index[g]] = 1.0
        self.genre_count = self.genres.sum(axis=1)
        # genre columns of each film, padded with an always-zero slot; (width, n) so the
        # reductions over a film's genres run along contiguous rows
        width = max(1, int(self.genre_count.max(initial=0)))
        self._genre_idx = np.full((width, len(films)), len(self.genre_names), dtype=np.intp)
        for i, film in enumerate(films):
            cols = sorted({index[g] for g in film.genres if g in index})
            self._genre_idx[: len(cols), i] = cols
        self._inv_count = (1.0 / np.maximum(self.genre_count, 1.0)).astype(np.float32)
        # the distinct genre sets (a few hundred): per-request genre work is done once per set
        combos, first, self.combo_of = np.unique(self._genre_idx, axis=1, return_index=True, return_inverse=True)
        self.combo_idx = np.ascontiguousarray(combos)  # (width, sets)
        self.combo_inv_count = self._inv_count[first]
        self._film_genres = [film.genres for film in films]
        self.year = np.array([f.year if f.year is not None else np.nan for f in films], dtype=np.float64)
        self.rating = np.array([f.vote_average for f in films], dtype=np.float64)
        self.votes = np.array([f.vote_count for f in films], dtype=np.int64)
        self.language = np.array([(f.original_language or "").lower() for f in films], dtype=object)
        self.quality = bayesian_quality(self.rating, self.votes)
        self.familiarity = familiarity(self.votes)
        self.good = good_films(self.rating, self.votes, self.quality)
        self.gems = hidden_gems(self.rating, self.votes)
        self._index = index

    def __len__(self) -> int:
        return len(self.year)

    def mask(self, filters: MoodFilters) -> np.ndarray:
        """Rows passing the filters (a film without a year fails any year bound)."""
        keep = np.ones(len(self), dtype=bool)
        if filters.year_min is not None:
            keep &= self.year >= filters.year_min
        if filters.year_max is not None:
            keep &= self.year <= filters.year_max
        if filters.min_rating is not None:
            keep &= self.rating >= filters.min_rating
        if filters.min_votes is not None:
            keep &= self.votes >= filters.min_votes
        if filters.language:
            keep &= self.language == filters.language.strip().lower()
        if filters.hidden_gems:
            keep &= self.gems
        return keep

    def weight_vector(self, weights: Mapping[str, float]) -> np.ndarray:
        vec = np.zeros(len(self.genre_names), dtype=np.float32)
        for genre, w in weights.items():
            j = self._index.get(genre)
            if j is not None:
                vec[j] = w
        return vec

    def genre_fit(self, weights: Mapping[str, float]) -> np.ndarray:
        """0.7 × best matching genre + 0.3 × mean over the film's genres, per row.

        The best genre decides; the mean mildly prefers films that are mostly on-mood over
        films where the wanted genre is one of many.
        """
        padded = np.append(self.weight_vector(weights), np.float32(0.0))
        per_genre = padded[self._genre_idx]  # (width, n)
        return 0.7 * per_genre.max(axis=0) + 0.3 * per_genre.sum(axis=0) * self._inv_count

    def matched_genres(self, row: int, weights: Mapping[str, float], n: int = 2) -> list[str]:
        """The film's genres that carry mood weight, heaviest first."""
        names = [g for g in self._film_genres[row] if weights.get(g, 0) > 0]
        return sorted(names, key=lambda g: -weights[g])[:n]


def rank_mood(
    table: FilmTable,
    weights: Mapping[str, float],
    text_scores: np.ndarray | None,
    filters: MoodFilters,
    top_k: int,
    score_weights: ScoreWeights,
) -> list[RankedFilm]:
    """Top films among candidates (genre weight > 0, passing filters), best first.

    score = w_genre·fit + w_text·(tfidf / best tfidf among candidates) + w_quality·prior,
    with the weights from mood_genres.json (they sum to 1, so score is in 0..1).
    """
    fit = table.genre_fit(weights)
    candidate = fit > 0
    if filters != NO_FILTERS:
        candidate &= table.mask(filters)
    n_candidates = int(np.count_nonzero(candidate))
    if n_candidates == 0 or top_k <= 0:
        return []
    if text_scores is not None:
        text = np.asarray(text_scores, dtype=np.float32)
        top = float((text * candidate).max())
        text = text * np.float32(1.0 / top) if top > 0 else np.zeros_like(text)
    else:
        text = np.zeros(len(fit), dtype=np.float32)
    score = score_weights.genre * fit + score_weights.text * text + score_weights.quality * table.quality
    score = np.where(candidate, score, np.float32(-np.inf))
    k = min(top_k, n_candidates)
    part = np.argpartition(score, len(score) - k)[-k:] if k < len(score) else np.arange(len(score))
    order = part[np.lexsort((part, -score[part]))][:k]  # ties: lower row first (stable)
    return [RankedFilm(int(i), float(score[i]), float(fit[i]), float(text[i]), float(table.quality[i])) for i in order]
