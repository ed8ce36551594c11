"""What the service returns: plain records the pages, the API and the benchmarks share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from recommender.catalog.film import Film
    from recommender.serving.cache import CacheStats


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
    tone: tuple[str, ...] = ()  # the film's strongest tones ("tender", "sad"), default ranking only


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
    wish: str | None = None  # what the films should do ("cry"); None: the mode decides
    wish_label: str | None = None  # "a good cry"
    wish_source: str | None = None  # "read" from the text, or "chosen" by the person
    avoid: tuple[str, ...] = ()  # wishes the text rejects ("nothing scary")
    ranking: str = "default"  # or "baseline" (the ranking before wishes and tones)
    emotion_source: str = "read"  # "read" by the model, or "chosen" by the person (all weight on one)


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
    wish_encoder: str | None = None  # the wish reader's own model (models/wish); None: the search encoder reads wishes


def recommendation(
    film: Film, poster: str | None, score: float, similarity: float | None, reason: str, tone: tuple[str, ...] = ()
) -> Recommendation:
    """The record of one shown film (scores rounded for JSON)."""
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
        tone=tone,
    )
