"""TMDB v3 over HTTP for bulk fetching: auth, timeouts, Retry-After, back-off with jitter, counts.

Why not `serving.posters`' lookup: a page must render in seconds, so posters give up early; a
bulk fetch must get through thousands of calls, so it waits as long as TMDB asks (within a
cap), retries more, and pauses every worker at once after a 429 instead of each hammering on.
The key or token never reaches a log line or an exception message (`recommender.redact`).
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from recommender.redact import redact_text, redact_url

if TYPE_CHECKING:
    from recommender.config import Settings

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})


class TmdbError(Exception):
    """TMDB did not give a usable answer; the message is safe to print."""


class TmdbAuthError(TmdbError):
    """401: the key or token is wrong (retrying will not help)."""


class TmdbNotFound(TmdbError):
    """404: no such resource (a film TMDB removed)."""


class TmdbBadBody(TmdbError):
    """200 with a body that is not a JSON object."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard one call tries: attempts, back-off (exponential, jittered) and the Retry-After cap."""

    max_attempts: int = 6
    backoff_s: float = 0.5
    max_backoff_s: float = 15.0
    max_retry_after_s: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Full-jitter-ish back-off: base * 2^(attempt-1), times a random 0.5-1.5, capped."""
        return min(self.max_backoff_s, self.backoff_s * 2 ** (attempt - 1)) * random.uniform(0.5, 1.5)


@dataclass
class ClientStats:
    """What the client did; `snapshot()` is safe to read while workers run."""

    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    connection_errors: int = 0
    waited_s: float = 0.0
    by_status: Counter[int] = field(default_factory=Counter)

    def snapshot(self) -> ClientStats:
        return ClientStats(
            self.requests,
            self.retries,
            self.timeouts,
            self.connection_errors,
            round(self.waited_s, 3),
            Counter(self.by_status),
        )


class TmdbClient:
    """GET JSON from TMDB v3 with the v3 key (`api_key` query param) or the v4 read token (Bearer)."""

    def __init__(
        self,
        api_base: str,
        api_key: str | None = None,
        read_token: str | None = None,
        *,
        timeout_s: float = 10.0,
        policy: RetryPolicy | None = None,
        pool_size: int = 4,
        session: requests.Session | None = None,
    ) -> None:
        if not (api_key or read_token):
            raise TmdbAuthError("no TMDB credentials: set TMDB_API_KEY (v3 key) or TMDB_READ_TOKEN (v4 read token)")
        self._base = api_base.rstrip("/")
        self._key = api_key or None
        self._token = read_token or None
        self._timeout = max(0.05, float(timeout_s))
        self.policy = policy or RetryPolicy()
        self._session = session or new_session(pool_size)
        self._lock = threading.Lock()
        self._not_before = 0.0  # monotonic time before which no worker sends (after a 429)
        self._stats = ClientStats()
        _redact_urllib3_logs()

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int = 4, policy: RetryPolicy | None = None) -> TmdbClient:
        return cls(
            settings.tmdb_api_base,
            settings.tmdb_api_key,
            settings.tmdb_read_token,
            timeout_s=settings.tmdb_timeout_s,
            policy=policy,
            pool_size=pool_size,
        )

    def stats(self) -> ClientStats:
        with self._lock:
            return self._stats.snapshot()

    def close(self) -> None:
        self._session.close()

    def redact(self, text: str) -> str:
        return redact_text(text, self._key, self._token)

    # -- calls ------------------------------------------------------------------------------

    def get_json(self, path: str, params: Mapping[str, str | int] | None = None) -> dict[str, Any]:
        """The JSON object at `path` (e.g. "/discover/movie"); raises a TmdbError subclass."""
        url = f"{self._base}/{path.lstrip('/')}"
        query: dict[str, str | int] = dict(params or {})
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        else:
            query["api_key"] = self._key or ""
        shown = redact_url(f"{url}?{'&'.join(f'{k}={v}' for k, v in query.items())}")
        attempts = max(1, self.policy.max_attempts)
        for attempt in range(1, attempts + 1):
            self._wait_turn()
            problem, wait = self._attempt(url, query, headers, shown)
            if isinstance(problem, dict):
                return problem
            if attempt == attempts:
                raise TmdbError(f"{problem} from {shown}, {attempt} attempts")
            self._count(retries=1)
            time.sleep(wait if wait is not None else self.policy.backoff(attempt))
        raise TmdbError("no attempts")  # unreachable: the loop returns or raises

    def _attempt(
        self, url: str, query: dict[str, str | int], headers: dict[str, str], shown: str
    ) -> tuple[dict[str, Any] | str, float | None]:
        """(JSON object, None) on success, or (problem, seconds to wait or None for back-off) to retry."""
        try:
            resp = self._session.get(url, params=query, headers=headers, timeout=self._timeout)
        except requests.Timeout:
            self._count(timeouts=1)
            return f"no answer within {self._timeout:g} s", None
        except requests.RequestException as exc:
            self._count(connection_errors=1)
            return f"{type(exc).__name__}: {self.redact(str(exc))[:300]}", None
        self._count(status=resp.status_code)
        status = resp.status_code
        if status == 200:
            try:
                data = resp.json()
            except ValueError:
                raise TmdbBadBody(f"body is not JSON from {shown}") from None
            if not isinstance(data, dict):
                raise TmdbBadBody(f"body is not a JSON object from {shown}")
            return data, None
        if status == 401:
            raise TmdbAuthError("TMDB rejected the API key or read token (HTTP 401)")
        if status == 404:
            raise TmdbNotFound(f"HTTP 404 from {shown}")
        if status not in _RETRY_STATUS:
            raise TmdbError(f"HTTP {status} from {shown}: {self.redact(resp.text[:200])}")
        retry_after = retry_after_s(resp)
        if retry_after is not None:
            retry_after = min(retry_after, self.policy.max_retry_after_s)
            if status == 429:
                self._pause_all(retry_after)
                return f"HTTP {status}", 0.0  # _wait_turn does the waiting, for every worker
        return f"HTTP {status}", retry_after

    # -- shared state -----------------------------------------------------------------------

    def _pause_all(self, seconds: float) -> None:
        with self._lock:
            self._not_before = max(self._not_before, time.monotonic() + seconds)

    def _wait_turn(self) -> None:
        with self._lock:
            wait = self._not_before - time.monotonic()
        if wait > 0:
            time.sleep(wait)
            self._count(waited_s=wait)

    def _count(
        self,
        *,
        retries: int = 0,
        timeouts: int = 0,
        connection_errors: int = 0,
        waited_s: float = 0.0,
        status: int | None = None,
    ) -> None:
        with self._lock:
            stats = self._stats
            stats.retries += retries
            stats.timeouts += timeouts
            stats.connection_errors += connection_errors
            stats.waited_s += waited_s
            if timeouts or connection_errors or status is not None:
                stats.requests += 1
            if status is not None:
                stats.by_status[status] += 1


class _RedactFilter(logging.Filter):
    """urllib3 logs each request line, query string included, at DEBUG: mask the key there too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is urllib3's problem, not a reason to leak
            return True
        clean = redact_text(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


_URLLIB3_FILTER = _RedactFilter()


def _redact_urllib3_logs() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if _URLLIB3_FILTER not in logger.filters:
        logger.addFilter(_URLLIB3_FILTER)


def new_session(pool_size: int, purpose: str = "catalog fetch") -> requests.Session:
    """A pooled session for TMDB; retries are ours (Retry-After, back-off), never urllib3's."""
    _redact_urllib3_logs()  # whoever sends the key: urllib3's DEBUG request lines must not show it
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(1, pool_size), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = f"reelmood/1 (+{purpose})"
    return session


def retry_after_s(resp: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date); None when absent or invalid."""
    value = (resp.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - time.time())
