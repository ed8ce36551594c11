"""The two use cases, composed from the parts: mood -> films and synopsis/film -> similar films.

One `Recommender` per process (Streamlit cache_resource, the API app, the benchmarks); every
method is thread-safe and turns bad input into `InputError` with a message fit for users.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.catalog.lookup import title_key
from recommender.config import Settings, get_settings
from recommender.mood.genre_table import MODES, MoodTable, default_table, top_emotions
from recommender.mood.rank import FilmTable, MoodFilters, RankedFilm, rank_mood
from recommender.search.hybrid import FusedHit, FusionParams, hybrid_search
from recommender.search.tfidf_query import FastTfidf, TfidfQuery
from recommender.text import normalize_text

if TYPE_CHECKING:
    from recommender.artifacts import Artifacts
    from recommender.catalog.film import Film
    from recommender.catalog.lookup import Catalog
    from recommender.emotion.classifier import EmotionClassifier
    from recommender.serving.cache import CacheStats, TTLCache
    from recommender.serving.posters import PosterService
from recommender.serving.inputs import (
    MAX_MOOD_CHARS,
    MAX_SYNOPSIS_CHARS,
    MAX_TOP_K,
    FilmNotFoundError,
    InputError,
    _check_top_k,
    clean_user_text,
    language_note,
)

log = logging.getLogger(__name__)

__all__ = [
    "FilmNotFoundError",
    "InputError",
    "MoodFilters",
    "MoodResult",
    "Recommendation",
    "Recommender",
    "ServiceStatus",
    "SimilarResult",
    "MAX_MOOD_CHARS",
    "MAX_SYNOPSIS_CHARS",
    "MAX_TOP_K",
]

TITLE_QUERY_MAX_WORDS = 8  # a synopsis this short that equals a catalog title is that film


@dataclass(frozen=True)
class Recommendation:
    movie_id: int
    title: str
    overview: str
    year: int | None
    genres: tuple[str, ...]
    vote_average: float
    poster_url: str | None
    score: float  # ranking score (mood score, or fused hybrid score), 0..1
    similarity_score: float | None  # true cosine of the embeddings (synopsis search only)
    reason: str


@dataclass(frozen=True)
class MoodResult:
    text: str
    mode: str
    emotions: dict[str, float]
    genres: dict[str, float]
    recommendations: list[Recommendation]
    cached: bool  # the emotion distribution came from the cache
    elapsed_ms: float
    note: str | None = None  # e.g. the text does not look like English


@dataclass(frozen=True)
class SimilarResult:
    query: str
    recommendations: list[Recommendation]
    elapsed_ms: float
    matched_film: Recommendation | None = None  # set when the query was a catalog film


@dataclass(frozen=True)
class ServiceStatus:
    catalog_size: int
    emotion_model: str
    emotion_model_id: str
    cache: CacheStats
    posters_enabled: bool
    encoder_loaded: bool
    index: dict[str, Any] = field(default_factory=dict)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


# ---- the service --------------------------------------------------------------------------


class Recommender:
    """Mood and similarity recommendations over one catalog; load once, share everywhere."""

    def __init__(
        self,
        artifacts: Artifacts,
        emotion: EmotionClassifier,
        encoder: Any,
        emotion_cache: TTLCache,
        posters: PosterService,
        mood_table: MoodTable | None = None,
        fusion: FusionParams = FusionParams(),
    ) -> None:
        self.artifacts = artifacts
        self.catalog: Catalog = artifacts.catalog
        self.tfidf = artifacts.tfidf
        self.lexical = FastTfidf(self.tfidf)
        self.index = artifacts.index
        self.emotion = emotion
        self.encoder = encoder
        self.emotion_cache = emotion_cache
        self.posters = posters
        self.mood_table = mood_table or default_table()
        self.fusion = fusion
        self.films = FilmTable(self.catalog)
        stored = getattr(self.index, "vectors", None)  # (n, d) unit rows; stack them if not exposed
        self._vectors = (
            stored
            if stored is not None
            else np.stack([self.index.vector(r) for r in range(len(self.catalog))]).astype(np.float32)
        )

    @classmethod
    def load(cls, settings: Settings | None = None) -> Recommender:
        """Artifacts, emotion model, encoder, cache and posters as the settings say (seconds)."""
        from recommender.artifacts import load_artifacts
        from recommender.emotion.classifier import load_emotion_model
        from recommender.search.encoder import load_encoder
        from recommender.serving.cache import make_cache
        from recommender.serving.posters import PosterService

        settings = settings or get_settings()
        start = time.perf_counter()
        artifacts = load_artifacts(settings.artifacts_dir)
        emotion = load_emotion_model(settings.emotion_model)
        encoder = load_encoder(threads=settings.onnx_threads)
        cache = make_cache(settings, f"emotion:{emotion.model_id}")
        posters = PosterService(settings)
        rec = cls(artifacts, emotion, encoder, cache, posters)
        log.info(
            "recommender loaded in %.1f s (%d films, emotion model %s, cache %s)",
            time.perf_counter() - start,
            len(rec.catalog),
            emotion.model_id,
            cache.backend,
        )
        return rec

    # ---- mood -> films --------------------------------------------------------------------

    def emotions_for(self, text: str) -> tuple[dict[str, float], bool]:
        """(distribution, came from cache) for already-cleaned text; cached under its normal form."""
        key = normalize_text(text)
        hit = self.emotion_cache.get_json(key)
        if isinstance(hit, dict) and hit:
            try:
                return {str(k): float(v) for k, v in hit.items()}, True
            except (TypeError, ValueError):
                pass  # a corrupt entry: recompute and overwrite
        emotions = {k: float(v) for k, v in self.emotion.predict(text).items()}
        self.emotion_cache.set_json(key, emotions)
        return emotions, False

    def recommend_for_mood(
        self,
        text: str,
        top_k: int = 10,
        mode: str = "match",
        filters: MoodFilters = MoodFilters(),
        with_posters: bool = True,
        *,
        use_cache: bool = True,
        tfidf: Any = None,
    ) -> MoodResult:
        """Films for a mood. The keyword-only knobs are for the benchmarks: skip the emotion
        cache, or use another TF-IDF index (the seed's fit-per-request baseline)."""
        start = time.perf_counter()
        if mode not in MODES:
            raise InputError(f"mode must be one of: {', '.join(MODES)}.")
        k = _check_top_k(top_k)
        _check_filters(filters)
        cleaned = clean_user_text(text, MAX_MOOD_CHARS, "mood")
        if use_cache:
            emotions, cached = self.emotions_for(cleaned)
        else:
            emotions, cached = {k_: float(v) for k_, v in self.emotion.predict(cleaned).items()}, False
        weights = self.mood_table.genre_weights(emotions, mode)
        query = (FastTfidf(tfidf) if tfidf is not None else self.lexical).query(cleaned)
        ranked = rank_mood(self.films, weights, query.scores(), filters, k, self.mood_table.score_weights)
        named = top_emotions(emotions)
        films = [self.catalog.film(r.row) for r in ranked]
        posters = self._posters(films, with_posters)
        recs = [
            self._recommendation(
                film, posters.get(film.movie_id), r.score, None, self._mood_reason(query, r, named, weights, mode)
            )
            for film, r in zip(films, ranked)
        ]
        return MoodResult(cleaned, mode, emotions, weights, recs, cached, _ms(start), language_note(cleaned))

    def _mood_reason(
        self, query: TfidfQuery, ranked: RankedFilm, emotions: list[str], weights: dict[str, float], mode: str
    ) -> str:
        genres = self.films.matched_genres(ranked.row, weights)
        verb = "lifts" if mode == "lift" else "matches"
        parts = [f"{verb} your {' & '.join(emotions)}" + (f" with {' / '.join(genres)}" if genres else "")]
        if ranked.text > 0:
            shared = query.shared_terms(ranked.row, n=3)
            if shared:
                parts.append("about " + ", ".join(shared))
        if ranked.quality >= 0.7:
            parts.append("highly rated")
        return "; ".join(parts)

    # ---- synopsis / film -> similar films --------------------------------------------------

    def similar_to_synopsis(self, text: str, top_k: int = 10, with_posters: bool = True) -> SimilarResult:
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
        return SimilarResult(cleaned, recs, _ms(start))

    def similar_to_film(
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
        matched = self._recommendation(film, posters.get(film.movie_id), 1.0, 1.0, "your film")
        return SimilarResult(query, recs, _ms(start), matched_film=matched)

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
            params=self.fusion,
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
            out.append(self._recommendation(film, posters.get(film.movie_id), hit.score, hit.cosine, reason))
        return out

    # ---- shared --------------------------------------------------------------------------

    def _posters(self, films: list[Film], enabled: bool) -> dict[int, str | None]:
        if not enabled or not films:  # disabled TMDB still yields catalog poster paths
            return {}
        try:
            return self.posters.poster_urls(films)
        except Exception as exc:  # posters are decoration: never fail a recommendation
            log.warning("posters unavailable: %s", type(exc).__name__)
            return {}

    @staticmethod
    def _recommendation(
        film: Film, poster: str | None, score: float, similarity: float | None, reason: str
    ) -> Recommendation:
        return Recommendation(
            movie_id=film.movie_id,
            title=film.title,
            overview=film.overview,
            year=film.year,
            genres=film.genres,
            vote_average=film.vote_average,
            poster_url=poster,
            score=round(float(score), 6),
            similarity_score=None if similarity is None else round(float(similarity), 6),
            reason=reason,
        )

    def status(self) -> ServiceStatus:
        manifest = getattr(self.artifacts, "manifest", {}) or {}
        return ServiceStatus(
            catalog_size=len(self.catalog),
            emotion_model=getattr(self.emotion, "name", type(self.emotion).__name__),
            emotion_model_id=self.emotion.model_id,
            cache=self.emotion_cache.stats(),
            posters_enabled=bool(self.posters.enabled),
            encoder_loaded=self.encoder is not None,
            index=_index_info(self.index, manifest),
        )


def _check_filters(filters: MoodFilters) -> None:
    if not isinstance(filters, MoodFilters):
        raise InputError("filters must be MoodFilters.")
    if filters.year_min is not None and filters.year_max is not None and filters.year_min > filters.year_max:
        raise InputError("The first year must not be after the last year.")
    if filters.min_rating is not None and not 0 <= filters.min_rating <= 10:
        raise InputError("Minimum rating must be between 0 and 10.")
    if filters.min_votes is not None and filters.min_votes < 0:
        raise InputError("Minimum votes must not be negative.")


def _index_info(index: Any, manifest: dict) -> dict[str, Any]:
    """What /health and the status page say about the vector index and the build."""
    annoy = manifest.get("annoy") or {}
    return {
        "built_at": manifest.get("built_at"),
        "ann": "annoy" if getattr(index, "uses_annoy", False) else "exact",
        "search_k": getattr(index, "search_k", None),
        "recall_at_10": annoy.get("recall_at_10"),
    }
