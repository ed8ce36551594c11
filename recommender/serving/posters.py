"""TMDB poster URLs (cached, bounded retries) and a drawn SVG placeholder for when there is none.

Why: posters make the results grid readable, but TMDB needs a user's key and may be slow,
rate-limited or down. Lookups therefore go through `serving.tmdb_lookup` (short timeout, a
few seconds of retry waiting at most, a circuit breaker, a cache); whatever fails,
`poster_url` returns None and the page draws `placeholder_svg(film)` instead.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from recommender.serving.tmdb_lookup import TmdbDecoration, movie_id_of

if TYPE_CHECKING:
    from recommender.catalog.film import Film

log = logging.getLogger(__name__)

TMDB_ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB."

CACHE_NAMESPACE = "posters:v1"
FOUND_TTL_S = 30 * 24 * 3600  # poster paths practically never change

_POSTER_PATH = re.compile(r"^/[A-Za-z0-9_\-]{1,128}\.(?:jpe?g|png|webp)$", re.IGNORECASE)
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>\\`]{1,2000}$", re.IGNORECASE)


class PosterService(TmdbDecoration):
    """Poster URL per film: the catalog's own path, else TMDB `/movie/{id}`, cached."""

    LOOKUP_NAME = "posters"
    CACHE_NAMESPACE = CACHE_NAMESPACE
    FOUND_TTL_S = FOUND_TTL_S
    FALLBACK = "showing placeholders"

    # -- public API -------------------------------------------------------------------------

    def image_url(self, poster_path: str | None) -> str | None:
        """Full image URL for a TMDB image path ("/abc.jpg") or a safe absolute URL."""
        return image_url(self._image_base, poster_path)

    def poster_url(self, film: Film) -> str | None:
        """Poster URL for `film`, or None (draw `placeholder_svg(film)` then). Never raises."""
        own = self._own(film)
        if own:
            return own
        movie_id = movie_id_of(film)
        if movie_id is None:
            return None
        return self.image_url(self._tmdb.lookup(str(movie_id), f"/movie/{movie_id}", _poster_path_of))

    def poster_urls(self, films: list[Film]) -> dict[int, str | None]:
        """movie_id -> URL or None for a results grid; uncached lookups run concurrently."""
        result: dict[int, str | None] = {}
        todo: list[Film] = []
        for film in films:
            movie_id = movie_id_of(film)
            key = movie_id if movie_id is not None else getattr(film, "movie_id", None)
            if key is None or key in result:
                continue
            result[key] = self._own(film)
            if result[key] or movie_id is None or not self.enabled:
                continue
            found, path = self._tmdb.cached(str(movie_id))
            if found:
                result[key] = self.image_url(path)
            else:
                todo.append(film)
        for film, url in zip(todo, self._tmdb.map(self.poster_url, todo)):
            result[int(film.movie_id)] = url
        return result

    def _own(self, film: Film) -> str | None:
        """The catalog's own poster (no API call needed), when it has a usable one."""
        own = getattr(film, "poster_url", None) or getattr(film, "poster_path", None)
        return self.image_url(own) if own else None


def image_url(image_base: str, path: str | None) -> str | None:
    """`image_base` + a TMDB image path ("/abc.jpg"), a safe absolute URL as is, else None."""
    if not path or not isinstance(path, str):
        return None
    path = path.strip()
    if _SAFE_URL.match(path):
        return path
    if _POSTER_PATH.match(path):
        return f"{image_base.rstrip('/')}/{path.lstrip('/')}"
    return None


def _poster_path_of(data: Any) -> str | None:
    path = data.get("poster_path") if isinstance(data, dict) else None
    if path is None:
        return None
    if not isinstance(path, str) or not _POSTER_PATH.match(path):
        log.debug("posters: ignoring unusable poster_path %r", str(path)[:80])
        return None
    return path
