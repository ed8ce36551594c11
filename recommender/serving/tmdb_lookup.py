"""Per-film TMDB v3 lookups for a page being drawn: cached, short, bounded, behind a breaker.

Why one helper: posters and watch info (trailers, providers) both ask TMDB about each shown
film while a page renders, so both need the same guard rails: a short timeout, at most a few
seconds of retry waiting (honouring Retry-After), a circuit breaker after repeated failures
or a 401, a TTL cache for answers, misses and failures, one warning per outage, and the key
or token masked out of every log line. Whatever fails, `lookup` returns None, never raises.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

import requests

from recommender.catalog.tmdb_client import new_session, retry_after_s
from recommender.redact import redact_text, redact_url

if TYPE_CHECKING:
    from recommender.config import Settings
    from recommender.serving.cache import TTLCache

T = TypeVar("T")
R = TypeVar("R")

NOT_FOUND_TTL_S = 3600  # TMDB answered: no such film / nothing to show
FAILURE_TTL_S = 300  # TMDB failed: try again a little later
MAX_ATTEMPTS = 3
MAX_TOTAL_WAIT_S = 3.0  # retry sleeps (backoff or Retry-After) per lookup, in total
BACKOFF_S = 0.25
BREAKER_FAILURES = 3  # consecutive failed lookups that open the breaker...
BREAKER_OPEN_S = 30.0  # ...for this long: no calls, nothing shown at once
AUTH_PAUSE_S = 600.0  # after a 401, the key is not retried for this long
WORKERS = 8

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class LookupFailure(Exception):
    """TMDB could not answer (outage, limit, bad key, bad body); `ttl`: how long to cache the miss."""

    def __init__(self, message: str, ttl: int | None = FAILURE_TTL_S, auth: bool = False) -> None:
        super().__init__(message)
        self.ttl = ttl
        self.auth = auth


class TmdbLookup:
    """Cached GETs of TMDB JSON, one breaker and one warning per outage; `name` prefixes log lines."""

    def __init__(
        self,
        settings: Settings,
        name: str,
        logger: logging.Logger,
        cache_namespace: str,
        cache: TTLCache | None = None,
        session: requests.Session | None = None,
        *,
        found_ttl_s: int,
        fallback: str = "showing nothing",
        max_attempts: int = MAX_ATTEMPTS,
        max_total_wait_s: float = MAX_TOTAL_WAIT_S,
        workers: int = WORKERS,
    ) -> None:
        self.name = name
        self._log = logger
        self._fallback = fallback
        self.api_base = settings.tmdb_api_base.rstrip("/")
        self._timeout = max(0.05, float(settings.tmdb_timeout_s))
        self._api_key = settings.tmdb_api_key or None
        self._token = settings.tmdb_read_token or None
        self.enabled: bool = bool(self._api_key or self._token)
        if cache is None and self.enabled:
            from recommender.serving.cache import make_cache

            cache = make_cache(settings, cache_namespace)
        self._cache = cache
        self._session = session or new_session(workers, f"{name} lookup")
        self._found_ttl = found_ttl_s
        self._max_attempts = max(1, max_attempts)
        self._max_wait = max(0.0, max_total_wait_s)
        self.workers = max(1, workers)
        self._lock = threading.Lock()
        self._failures = 0
        self._paused_until = 0.0
        self._warned = False
        self.last_error: str | None = None  # shown by status pages; None while TMDB is healthy

    # -- public API -------------------------------------------------------------------------

    def cached(self, key: str) -> tuple[bool, Any]:
        """(True, value) when the cache holds an answer (value may be None: a known miss)."""
        if not self.enabled or self._cache is None:
            return False, None
        entry = self._cache.get_json(key)
        if isinstance(entry, dict) and "p" in entry:
            return True, entry["p"]
        return False, None

    def lookup(self, key: str, path: str, parse: Callable[[Any], T | None]) -> T | None:
        """`parse(JSON at path)` (cached under `key`), or None: nothing there, TMDB off or failing.

        `parse` gets the decoded body (None when TMDB answered 404), returns a JSON-able value
        (falsy: nothing to show) and may raise LookupFailure for a body of the wrong shape.
        """
        found, value = self.cached(key)
        if found:
            return value
        if not self.enabled or self._paused():
            return None
        try:
            value = parse(self.get_json(path))
        except LookupFailure as failure:
            self._record_failure(path, failure)
            if failure.ttl:
                self._cache_put(key, None, failure.ttl)
            return None
        except Exception as exc:  # a bug or an unexpected library error must not break a page
            self._record_failure(path, LookupFailure(f"unexpected {type(exc).__name__}: {exc}"))
            return None
        self._record_success()
        self._cache_put(key, value, self._found_ttl if value else NOT_FOUND_TTL_S)
        return value

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`fn` over `items`, concurrently on at most `workers` threads (one item: in this thread)."""
        todo = list(items)
        if len(todo) <= 1:
            return [fn(item) for item in todo]
        workers = min(self.workers, len(todo))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=self.name.replace(" ", "-")) as pool:
            return list(pool.map(fn, todo))

    def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any | None:
        """The decoded JSON at `path` ("/movie/603"), None on a 404; raises LookupFailure."""
        url = f"{self.api_base}/{path.lstrip('/')}"
        query = dict(params or {})
        if not self._token:
            query["api_key"] = self._api_key or ""
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        waited = 0.0
        for attempt in range(1, self._max_attempts + 1):
            retry_in: float | None = None
            try:
                resp = self._session.get(url, params=query, headers=headers, timeout=self._timeout)
            except requests.Timeout:
                raise LookupFailure(f"no answer within {self._timeout:g} s") from None
            except requests.RequestException as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))}"
                retry_in = _backoff(attempt)
            else:
                if resp.status_code == 200:
                    try:
                        return resp.json()
                    except ValueError:
                        raise LookupFailure("TMDB sent a body that is not JSON") from None
                if resp.status_code == 401:
                    raise LookupFailure("TMDB rejected the API key or token (HTTP 401)", ttl=None, auth=True)
                if resp.status_code == 404:
                    return None  # TMDB doesn't know this id: nothing to show, not an outage
                problem = f"HTTP {resp.status_code}"
                if resp.status_code not in _RETRY_STATUS:
                    raise LookupFailure(problem)
                retry_in = retry_after_s(resp)
                if retry_in is None:
                    retry_in = _backoff(attempt)
            if attempt == self._max_attempts:
                raise LookupFailure(f"{problem} after {attempt} attempts")
            if waited + retry_in > self._max_wait:
                raise LookupFailure(f"{problem}; retry in {retry_in:.3g} s exceeds the {self._max_wait:g} s budget")
            time.sleep(retry_in)
            waited += retry_in
        raise LookupFailure("no attempts")  # unreachable: the loop returns or raises

    @property
    def breaker_open(self) -> bool:
        """True while lookups are paused (repeated failures or a rejected key)."""
        return self._paused()

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
            self._log.info("%s: TMDB answers again", self.name)

    def _record_failure(self, path: str, failure: LookupFailure) -> None:
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
            self._log.warning(
                "%s: TMDB lookup failed at %s: %s; %s%s",
                self.name,
                redact_url(f"{self.api_base}/{path.lstrip('/')}"),
                message,
                self._fallback,
                f" (paused {pause:g} s)" if pause else "",
            )

    def _cache_put(self, key: str, value: Any, ttl: int) -> None:
        if self._cache is not None:
            self._cache.set_json(key, {"p": value}, ttl)

    def _redact(self, text: str) -> str:
        return redact_text(text, self._api_key, self._token)


def movie_id_of(value: Any) -> int | None:
    """A plausible TMDB id from a film or an int (None for junk, so junk never reaches a URL)."""
    raw = getattr(value, "movie_id", value)
    if isinstance(raw, bool):
        return None
    try:
        movie_id = int(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return movie_id if 0 < movie_id < 10**10 else None


def _backoff(attempt: int) -> float:
    return BACKOFF_S * (2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


class TmdbDecoration:
    """A per-film decoration fetched from TMDB (posters, watch info): one TmdbLookup, its status.
    Subclasses name it (`LOOKUP_NAME`, `CACHE_NAMESPACE`, `FOUND_TTL_S`, `FALLBACK`)."""

    LOOKUP_NAME = "TMDB"
    CACHE_NAMESPACE = "tmdb:v1"
    FOUND_TTL_S = 24 * 3600
    FALLBACK = "showing nothing"

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
        self._image_base = settings.tmdb_image_base.rstrip("/")
        self._tmdb = TmdbLookup(
            settings,
            self.LOOKUP_NAME,
            logging.getLogger(type(self).__module__),
            self.CACHE_NAMESPACE,
            cache,
            session,
            found_ttl_s=self.FOUND_TTL_S,
            fallback=self.FALLBACK,
            max_attempts=max_attempts,
            max_total_wait_s=max_total_wait_s,
            workers=workers,
        )
        self.enabled: bool = self._tmdb.enabled

    @property
    def last_error(self) -> str | None:
        """Shown by status pages; None while TMDB is healthy."""
        return self._tmdb.last_error

    @property
    def breaker_open(self) -> bool:
        return self._tmdb.breaker_open
