"""TMDB poster URLs (cached, bounded retries) and a drawn SVG placeholder for when there is none.

Why: posters make the results grid readable, but TMDB needs a user's key and may be slow,
rate-limited or down. Lookups therefore use a short timeout, at most a few seconds of
retry waiting (honouring Retry-After), a circuit breaker, and a cache; whatever fails,
`poster_url` returns None and the page draws `placeholder_svg(film)` instead.
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import requests

from recommender.catalog.tmdb_client import new_session, retry_after_s
from recommender.redact import redact_text, redact_url

if TYPE_CHECKING:
    from recommender.catalog.film import Film
    from recommender.config import Settings
    from recommender.serving.cache import TTLCache

log = logging.getLogger(__name__)

TMDB_ATTRIBUTION = "This product uses the TMDB API but is not endorsed or certified by TMDB."

CACHE_NAMESPACE = "posters:v1"
FOUND_TTL_S = 30 * 24 * 3600  # poster paths practically never change
NOT_FOUND_TTL_S = 3600  # TMDB answered: no such film / no poster
FAILURE_TTL_S = 300  # TMDB failed: try again a little later
MAX_ATTEMPTS = 3
MAX_TOTAL_WAIT_S = 3.0  # retry sleeps (backoff or Retry-After) per lookup, in total
BACKOFF_S = 0.25
BREAKER_FAILURES = 3  # consecutive failed lookups that open the breaker...
BREAKER_OPEN_S = 30.0  # ...for this long: no calls, placeholders at once
AUTH_PAUSE_S = 600.0  # after a 401, the key is not retried for this long
WORKERS = 8

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_POSTER_PATH = re.compile(r"^/[A-Za-z0-9_\-]{1,128}\.(?:jpe?g|png|webp)$", re.IGNORECASE)
_SAFE_URL = re.compile(r"^https?://[^\s\"'<>\\`]{1,2000}$", re.IGNORECASE)


class _Failure(Exception):
    """TMDB could not answer (outage, limit, bad key); `ttl`: how long to cache the miss, None: don't."""

    def __init__(self, message: str, ttl: int | None = FAILURE_TTL_S, auth: bool = False) -> None:
        super().__init__(message)
        self.ttl = ttl
        self.auth = auth


class PosterService:
    """Poster URL per film: the catalog's own path, else TMDB `/movie/{id}`, cached."""

    def __init__(
        self,
        settings: Settings,
        cache: TTLCache | None = None,
        session: requests.Session | None = None,
        *,
        max_attempts: int = MAX_ATTEMPTS,
        max_total_wait_s: float = MAX_TOTAL_WAIT_S,
        workers: int = WORKERS,
    ) -> None:
        self._api_base = settings.tmdb_api_base.rstrip("/")
        self._image_base = settings.tmdb_image_base.rstrip("/")
        self._timeout = max(0.05, float(settings.tmdb_timeout_s))
        self._api_key = settings.tmdb_api_key or None
        self._token = settings.tmdb_read_token or None
        self.enabled: bool = bool(self._api_key or self._token)
        if cache is None and self.enabled:
            from recommender.serving.cache import make_cache

            cache = make_cache(settings, CACHE_NAMESPACE)
        self._cache = cache
        self._session = session or new_session(workers, "poster lookup")
        self._max_attempts = max(1, max_attempts)
        self._max_wait = max(0.0, max_total_wait_s)
        self._workers = max(1, workers)
        self._lock = threading.Lock()
        self._failures = 0
        self._paused_until = 0.0
        self._warned = False
        self.last_error: str | None = None  # shown by status pages; None while TMDB is healthy

    # -- public API -------------------------------------------------------------------------

    def image_url(self, poster_path: str | None) -> str | None:
        """Full image URL for a TMDB poster path ("/abc.jpg") or a safe absolute URL."""
        if not poster_path or not isinstance(poster_path, str):
            return None
        path = poster_path.strip()
        if _SAFE_URL.match(path):
            return path
        if _POSTER_PATH.match(path):
            return f"{self._image_base}/{path.lstrip('/')}"
        return None

    def poster_url(self, film: Film) -> str | None:
        """Poster URL for `film`, or None (draw `placeholder_svg(film)` then). Never raises."""
        found, url = self._known(film)
        if found:
            return url
        movie_id = _movie_id(film)
        if movie_id is None or self._paused():
            return None
        try:
            path = self._fetch(movie_id)
        except _Failure as failure:
            self._record_failure(movie_id, failure)
            if failure.ttl:
                self._cache_put(movie_id, None, failure.ttl)
            return None
        except Exception as exc:  # a bug or an unexpected library error must not break a page
            self._record_failure(movie_id, _Failure(f"unexpected {type(exc).__name__}: {exc}"))
            return None
        self._record_success()
        self._cache_put(movie_id, path, FOUND_TTL_S if path else NOT_FOUND_TTL_S)
        return self.image_url(path)

    def poster_urls(self, films: list[Film]) -> dict[int, str | None]:
        """movie_id -> URL or None for a results grid; uncached lookups run concurrently."""
        result: dict[int, str | None] = {}
        todo: list[Film] = []
        for film in films:
            movie_id = _movie_id(film)
            key = movie_id if movie_id is not None else getattr(film, "movie_id", None)
            if key is None or key in result:
                continue
            found, url = self._known(film)
            result[key] = url
            if not found and movie_id is not None:
                todo.append(film)
        if len(todo) == 1:
            result[int(todo[0].movie_id)] = self.poster_url(todo[0])
        elif todo:
            workers = min(self._workers, len(todo))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="posters") as pool:
                for film, url in zip(todo, pool.map(self.poster_url, todo)):
                    result[int(film.movie_id)] = url
        return result

    # -- lookup -----------------------------------------------------------------------------

    def _known(self, film: Film) -> tuple[bool, str | None]:
        """(True, url) when no API call is needed: the catalog's own poster, disabled, or cached."""
        own = getattr(film, "poster_url", None) or getattr(film, "poster_path", None)
        url = self.image_url(own) if own else None
        if url:
            return True, url
        if not self.enabled or self._cache is None:
            return True, None
        movie_id = _movie_id(film)
        if movie_id is None:
            return True, None
        cached = self._cache.get_json(str(movie_id))
        if isinstance(cached, dict) and "p" in cached:
            return True, self.image_url(cached["p"])
        return False, None

    def _fetch(self, movie_id: int) -> str | None:
        """TMDB's poster path for `movie_id` (None: TMDB has none); raises _Failure."""
        url = f"{self._api_base}/movie/{movie_id}"
        params = {} if self._token else {"api_key": self._api_key}
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        waited = 0.0
        for attempt in range(1, self._max_attempts + 1):
            retry_in: float | None = None
            try:
                resp = self._session.get(url, params=params, headers=headers, timeout=self._timeout)
            except requests.Timeout:
                raise _Failure(f"no answer within {self._timeout:g} s") from None
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))}"
                retry_in = _backoff(attempt)
            else:
                if resp.status_code == 200:
                    return _poster_path_of(resp)
                if resp.status_code == 401:
                    raise _Failure("TMDB rejected the API key or token (HTTP 401)", ttl=None, auth=True)
                if resp.status_code == 404:
                    return None  # TMDB doesn't know this id: no poster, not an outage
                problem = f"HTTP {resp.status_code}"
                if resp.status_code not in _RETRY_STATUS:
                    raise _Failure(problem)
                retry_in = retry_after_s(resp)
                if retry_in is None:
                    retry_in = _backoff(attempt)
            if attempt == self._max_attempts:
                raise _Failure(f"{problem} after {attempt} attempts")
            if waited + retry_in > self._max_wait:
                raise _Failure(f"{problem}; retry in {retry_in:.3g} s exceeds the {self._max_wait:g} s budget")
            time.sleep(retry_in)
            waited += retry_in
        raise _Failure("no attempts")  # unreachable: the loop returns or raises

    # -- health -----------------------------------------------------------------------------

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _record_success(self) -> None:
        with self._lock:
            self._failures = 0
            recovered = self._warned
            self._warned = False
            self.last_error = None
        if recovered:
            log.info("posters: TMDB answers again")

    def _record_failure(self, movie_id: int, failure: _Failure) -> None:
        """One warning per outage (not per film); pauses lookups after a 401 or repeated failures."""
        message = self._redact(str(failure))
        with self._lock:
            self._failures += 1
            pause = 0.0
            if failure.auth:
                pause = AUTH_PAUSE_S
            elif self._failures >= BREAKER_FAILURES:
                pause = BREAKER_OPEN_S
            if pause:
                self._paused_until = max(self._paused_until, time.monotonic() + pause)
            first = not self._warned
            self._warned = True
            self.last_error = message
        if first:
            log.warning(
                "posters: TMDB lookup failed for movie %s at %s: %s; showing placeholders%s",
                movie_id,
                redact_url(f"{self._api_base}/movie/{movie_id}"),
                message,
                f" (paused {pause:g} s)" if pause else "",
            )

    def _cache_put(self, movie_id: int, path: str | None, ttl: int) -> None:
        if self._cache is not None:
            self._cache.set_json(str(movie_id), {"p": path}, ttl)

    def _redact(self, text: str) -> str:
        return redact_text(text, self._api_key, self._token)


def _movie_id(film: Any) -> int | None:
    try:
        movie_id = int(getattr(film, "movie_id", None))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return movie_id if 0 < movie_id < 10**10 else None


def _poster_path_of(resp: requests.Response) -> str | None:
    try:
        data = resp.json()
    except ValueError:
        raise _Failure("TMDB sent a body that is not JSON") from None
    path = data.get("poster_path") if isinstance(data, dict) else None
    if path is None:
        return None
    if not isinstance(path, str) or not _POSTER_PATH.match(path):
        log.debug("posters: ignoring unusable poster_path %r", str(path)[:80])
        return None
    return path


def _backoff(attempt: int) -> float:
    return BACKOFF_S * (2 ** (attempt - 1)) * random.uniform(0.8, 1.2)
