"""Synopsis or film -> similar films: the hybrid of dense (sentence vectors) and TF-IDF search.

A short query that names a catalog film exactly is that film ("Heat (1995)"): more like it, never
itself. Everything else is a description: its vector and its words are searched together.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.catalog.lookup import title_key
from recommender.search.hybrid import FusedHit, FusionParams, hybrid_search
from recommender.search.tfidf_query import FastTfidf, SparseScores, TfidfQuery
from recommender.serving.inputs import MAX_SYNOPSIS_CHARS, FilmNotFoundError, InputError, _check_top_k, clean_user_text
from recommender.serving.results import Recommendation, SimilarResult, recommendation
from recommender.serving.timing import elapsed_ms

if TYPE_CHECKING:
    from recommender.catalog.film import Film
    from recommender.catalog.lookup import Catalog

TITLE_QUERY_MAX_WORDS = 8  # a synopsis this short that equals a catalog title is that film


@dataclass(frozen=True)
class Feedback:
    """The session's feedback as the similar-films path uses it: rows kept out, and a per-film term."""

    exclude: frozenset[int] = frozenset()  # the disliked films' rows
    adjust: np.ndarray | None = None  # (n,) mood.feedback.feedback_scores, or None
    weight: float = 0.3  # the term's scale against the fused score (0..1 over the pool)


def with_feedback(hits: list[FusedHit], feedback: Feedback, k: int) -> list[FusedHit]:
    """The best k of `hits` by fused score + weight × feedback term (ties: lower row); the shown
    score becomes that sum, clipped to 0..1."""
    if feedback.adjust is None:
        return hits[:k]
    value = {h.row: h.score + feedback.weight * float(feedback.adjust[h.row]) for h in hits}
    ordered = sorted(hits, key=lambda h: (-value[h.row], h.row))[:k]
    return [replace(h, score=min(1.0, max(0.0, value[h.row]))) for h in ordered]


class SimilarFilms:
    """The similar-films use case over one catalog; thread-safe like its parts."""

    def __init__(
        self,
        catalog: Catalog,
        encoder: Any,
        lexical: FastTfidf,
        index: Any,
        vectors: np.ndarray,
        fusion: FusionParams,
        posters: Callable[[list[Film], bool], dict[int, str | None]],
    ) -> None:
        self.catalog = catalog
        self.encoder = encoder
        self.lexical = lexical
        self.index = index
        self._vectors = vectors
        self._fusion = fusion
        self._posters = posters

    def to_synopsis(
        self, text: str, top_k: int = 10, with_posters: bool = True, feedback: Feedback | None = None
    ) -> SimilarResult:
        start = time.perf_counter()
        k = _check_top_k(top_k)
        cleaned = clean_user_text(text, MAX_SYNOPSIS_CHARS, "synopsis")
        row = self._title_query(cleaned)
        if row is not None:
            return self._similar_to_row(row, k, with_posters, start, cleaned, feedback)
        vector = self.encoder.encode_one(cleaned)
        query = self.lexical.query(cleaned)
        hits = self._hybrid(vector, query.sparse_scores(), k, frozenset(), feedback)
        recs = self._similar_recs(hits, query, with_posters)
        return SimilarResult(cleaned, recs, elapsed_ms(start))

    def to_film(
        self,
        movie_id: int | None = None,
        title: str | None = None,
        top_k: int = 10,
        with_posters: bool = True,
        feedback: Feedback | None = None,
    ) -> SimilarResult:
        start = time.perf_counter()
        k = _check_top_k(top_k)
        if movie_id is not None:
            row = self.catalog.row_of(movie_id)
            if row is None:
                raise FilmNotFoundError(f"No film with TMDB id {movie_id} in the catalog.")
            query = str(movie_id)
        elif title is not None:
            query = clean_user_text(title, 300, "title")
            rows = self.catalog.find_title(query, limit=1)
            if not rows:
                raise FilmNotFoundError(f"No film titled {query!r} in the catalog.")
            row = rows[0]
        else:
            raise InputError("Give a TMDB id or a title.")
        return self._similar_to_row(row, k, with_posters, start, query, feedback)

    def _similar_to_row(
        self, row: int, k: int, with_posters: bool, start: float, query: str, feedback: Feedback | None = None
    ) -> SimilarResult:
        """More like this film: its stored vector and its own document; never itself."""
        film = self.catalog.film(row)
        vector = self._vectors[row]
        lexical = self.lexical.row_query(row)
        hits = self._hybrid(vector, lexical.sparse_scores(), k, frozenset({row}), feedback)
        recs = self._similar_recs(hits, lexical, with_posters, extra=[film])
        posters = self._posters([film], with_posters)
        matched = recommendation(film, posters.get(film.movie_id), 1.0, 1.0, "your film")
        return SimilarResult(query, recs, elapsed_ms(start), matched_film=matched)

    def _title_query(self, text: str) -> int | None:
        """Row of the catalog film a short query names exactly (forgiving case/accents/year)."""
        if len(text.split()) > TITLE_QUERY_MAX_WORDS:
            return None
        rows = self.catalog.find_title(text, limit=1)
        if not rows:
            return None
        film = self.catalog.film(rows[0])
        wanted = title_key(re.sub(r"\s*[\(\[]?\b(1[89]|20)\d\d\b[\)\]]?\s*$", "", text))
        return rows[0] if wanted and wanted == title_key(film.title) else None

    def _hybrid(
        self, vector: np.ndarray, lexical: SparseScores, k: int, exclude: frozenset[int], feedback: Feedback | None
    ) -> list[FusedHit]:
        """The fused top k; with feedback, the disliked films are kept out and a wider pool is
        re-ordered by fused score + feedback.weight × the feedback term."""
        if feedback is not None:
            exclude = exclude | feedback.exclude
        hits = hybrid_search(
            vector,
            lexical,
            dense_search=lambda v, n, ex: self.index.search(v, n, exclude_rows=ex),
            vectors=lambda rows: self._vectors[rows],
            k=k if feedback is None or feedback.adjust is None else max(2 * k, self._fusion.pool),
            exclude=exclude,
            params=self._fusion,
        )
        return hits if feedback is None or feedback.adjust is None else with_feedback(hits, feedback, k)

    def _similar_recs(
        self, hits: list[FusedHit], query: TfidfQuery, with_posters: bool, extra: list[Film] | None = None
    ) -> list[Recommendation]:
        films = [self.catalog.film(h.row) for h in hits]
        posters = self._posters(films + (extra or []), with_posters)
        out = []
        for film, hit in zip(films, hits):
            shared = query.shared_terms(hit.row, n=3) if hit.lexical > 0 else []
            reason = f"similar story (cosine {hit.cosine:.2f})"
            if shared:
                reason += "; shares " + ", ".join(shared)
            out.append(recommendation(film, posters.get(film.movie_id), hit.score, hit.cosine, reason))
        return out
