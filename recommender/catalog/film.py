"""The Film record every layer shares, and the catalog's column order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    pass


@dataclass(frozen=True)
class Film:
    movie_id: int
    title: str
    overview: str
    year: int | None
    genres: tuple[str, ...]
    vote_average: float
    vote_count: int
    popularity: float
    original_language: str
    keywords: tuple[str, ...]
    tagline: str
    runtime: float | None
    poster_path: str | None


FILM_COLUMNS = [
    "movie_id",
    "title",
    "overview",
    "year",
    "genres",
    "vote_average",
    "vote_count",
    "popularity",
    "original_language",
    "keywords",
    "tagline",
    "runtime",
    "poster_path",
]


class CatalogError(ValueError):
    """A source file that cannot become a catalog; the message says what is wrong."""
