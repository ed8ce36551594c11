"""One Film builder for tests: every field set to a plain default, the test names what matters."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from recommender.catalog.film import Film

DEFAULTS: dict[str, Any] = dict(
    movie_id=1,
    title="T",
    overview="",
    year=2001,
    genres=("Drama",),
    vote_average=7.0,
    vote_count=100,
    popularity=1.0,
    original_language="en",
    keywords=(),
    tagline="",
    runtime=None,
    poster_path=None,
)


def make_film(**fields: Any) -> Film:
    return Film(**{**DEFAULTS, **fields})


def film_record(**fields: Any) -> dict[str, Any]:
    """The same film as a catalog-frame row."""
    return asdict(make_film(**fields))
