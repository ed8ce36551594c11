"""Synopsis or film -> similar films: the hybrid of dense (sentence vectors) and TF-IDF search.

A short query that names a catalog film exactly is that film ("Heat (1995)"): more like it, never
itself. Everything else is a description: its vector and its words are searched together.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.catalog.lookup import title_key
from recommender.search.hybrid import FusedHit, FusionParams, hybrid_search
from recommender.search.tfidf_query import FastTfidf, TfidfQuery
from recommender.serving.inputs import MAX_SYNOPSIS_CHARS, FilmNotFoundError, InputError, _check_top_k, clean_user_text
from recommender.serving.results import Recommendation, SimilarResult, recommendation
from recommender.serving.timing import elapsed_ms

if TYPE_CHECKING:
    from recommender.catalog.film import Film
    from recommender.catalog.lookup import Catalog

TITLE_QUERY_MAX_WORDS = 8  # a synopsis this short that equals a catalog title is that film


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

    def to_synopsis(self, text: str, top_k: int = 10, with_posters: bool = True) -> SimilarResult:
        start = time.perf_counter()
        k = _check_top_k(top_k)
        cleaned = clean_user_text(text, MAX_SYNOPSIS_CHARS, "synopsis")
        row = self._title_query(cleaned)
        if row is not None:
            return self._similar_to_row(row, k, with_posters, start, cleaned)
        vector = self.encoder.encode_one(cleaned)
        query = self.lexical.query(cleaned)
        hits = self._hybrid(vector, query.scores(), k, frozenset())
        recs = self._similar_recs(hits, query, with_posters)
        return SimilarResult(cleaned, recs, elapsed_ms(start))

    def to_film(
        self, movie_id: int | None = None, title: str | None = None, top_k: int = 10, with_posters: bool = True
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
        return self._similar_to_row(row, k, with_posters, start, query)

    def _similar_to_row(self, row: int, k: int, with_posters: bool, start: float, query: str) -> SimilarResult:
        """More like this film: its stored vector and its own document; never itself."""
        film = self.catalog.film(row)
        vector = self._vectors[row]
        lexical = self.lexical.row_query(row)
        hits = self._hybrid(vector, lexical.scores(), k, frozenset({row}))
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

    def _hybrid(self, vector: np.ndarray, lexical: np.ndarray, k: int, exclude: frozenset[int]) -> list[FusedHit]:
        return hybrid_search(
            vector,
            lexical,
            dense_search=lambda v, n, ex: self.index.search(v, n, exclude_rows=ex),
            vectors=lambda rows: self._vectors[rows],
            k=k,
            exclude=exclude,
            params=self._fusion,
        )

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
