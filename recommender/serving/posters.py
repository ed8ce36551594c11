"""TMDB poster URLs (cached, bounded retries) and a drawn SVG placeholder for when there is none.

Why: posters make the results grid readable, but TMDB needs a user's key and may be slow,
rate-limited or down. Lookups therefore use a short timeout, at most a few seconds of
retry waiting (honouring Retry-After), a circuit breaker, and a cache; whatever fails,
`poster_url` returns None and the page draws `placeholder_svg(film)` instead.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import logging
import random
import re
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from .redact import redact_text, redact_url

if TYPE_CHECKING:
    from .cache import TTLCache
    from .catalog import Film
    from .config import Settings

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
            from .cache import make_cache

            cache = make_cache(settings, CACHE_NAMESPACE)
        self._cache = cache
        self._session = session or _new_session(workers)
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
                retry_in = _retry_after(resp)
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


def _new_session(workers: int) -> requests.Session:
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=max(1, workers), max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers["User-Agent"] = "reelmood/1 (+poster lookup)"
    return session


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


def _retry_after(resp: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP date), None when absent/invalid."""
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


def _backoff(attempt: int) -> float:
    return BACKOFF_S * (2 ** (attempt - 1)) * random.uniform(0.8, 1.2)


# -- placeholder ------------------------------------------------------------------------------

_GENRE_COLOURS = {
    "action": "#c0392b",
    "adventure": "#d35400",
    "animation": "#f39c12",
    "comedy": "#e5b627",
    "crime": "#34495e",
    "documentary": "#16a085",
    "drama": "#8e44ad",
    "family": "#27ae60",
    "fantasy": "#6c5ce7",
    "foreign": "#7f8c8d",
    "history": "#a0522d",
    "horror": "#2c2c2c",
    "music": "#e84393",
    "mystery": "#2d3561",
    "romance": "#e0567a",
    "science fiction": "#0984e3",
    "tv movie": "#636e72",
    "thriller": "#4b4b6b",
    "war": "#5d6d3e",
    "western": "#b7793f",
}
_DEFAULT_COLOUR = "#3d4a5c"
_W, _H = 342, 513
_XML_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _genre_colour(genre: str) -> str:
    name = genre.strip().lower()
    if name in _GENRE_COLOURS:
        return _GENRE_COLOURS[name]
    digest = hashlib.sha256(name.encode("utf-8", "replace")).digest()
    r, g, b = (64 + digest[i] % 128 for i in range(3))
    return f"#{r:02x}{g:02x}{b:02x}"


def _darken(colour: str, factor: float = 0.45) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(int(c * factor) for c in (r, g, b)))


def _clean(text: Any, limit: int) -> str:
    """Printable, XML-legal, single-spaced text of at most `limit` characters."""
    value = _XML_INVALID.sub("", str(text or ""))
    value = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    value = " ".join(value.split())
    return value[: limit - 1] + "…" if len(value) > limit else value


def _cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _wrap(text: str, width: int, max_lines: int) -> list[str]:
    """Greedy wrap by display width; long words are split; the last line gets an ellipsis."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        while _cells(word) > width:  # split overlong words (and CJK runs without spaces)
            cut = 1
            while cut < len(word) and _cells(word[: cut + 1]) <= width:
                cut += 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if _cells(candidate) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and _cells(last) > width - 1:
            last = last[:-1]
        lines[-1] = last.rstrip() + "…"
    return lines


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def placeholder_svg(film: Film) -> str:
    """A drawn poster card (title, year, genre colours) as a data:image/svg+xml;base64 URI."""
    title = _clean(getattr(film, "title", ""), 160) or "Untitled"
    year = getattr(film, "year", None)
    year_text = str(year) if isinstance(year, int) and 0 < year < 10000 else ""
    genres = [_clean(g, 24) for g in (getattr(film, "genres", None) or ()) if isinstance(g, str)]
    genres = [g for g in genres if g][:3]
    top = _genre_colour(genres[0]) if genres else _DEFAULT_COLOUR
    bottom = _darken(_genre_colour(genres[1]) if len(genres) > 1 else top)
    lines = _wrap(title, 13, 5)
    size = 34 if len(lines) <= 2 else 28 if len(lines) <= 4 else 24
    step = int(size * 1.2)
    first_y = int(_H * 0.42 - (len(lines) - 1) * step / 2)
    title_svg = "".join(
        f'<tspan x="{_W // 2}" y="{first_y + i * step}">{_esc(line)}</tspan>' for i, line in enumerate(lines)
    )
    genre_line = _esc(" · ".join(genres[:2]))
    label = _esc(f"{title} ({year_text})" if year_text else title)
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        '<defs><linearGradient id="g" x1="0" y1="0" x2="0.35" y2="1">'
        f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/>'
        "</linearGradient></defs>"
        f'<rect width="{_W}" height="{_H}" rx="14" fill="url(#g)"/>'
        f'<rect x="14" y="14" width="{_W - 28}" height="{_H - 28}" rx="10" fill="none" '
        'stroke="#ffffff" stroke-opacity="0.35" stroke-width="2"/>'
        f'<circle cx="{_W // 2}" cy="70" r="22" fill="none" stroke="#ffffff" stroke-opacity="0.6" '
        'stroke-width="3"/><path d="M163 59 L185 70 L163 81 Z" fill="#ffffff" fill-opacity="0.6"/>'
        f'<text text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-weight="700" '
        f'font-size="{size}" fill="#ffffff">{title_svg}</text>'
        f'<text x="{_W // 2}" y="{_H - 78}" text-anchor="middle" font-family="Helvetica, Arial, '
        f'sans-serif" font-size="26" fill="#ffffff" fill-opacity="0.9">{_esc(year_text)}</text>'
        f'<text x="{_W // 2}" y="{_H - 44}" text-anchor="middle" font-family="Helvetica, Arial, '
        f'sans-serif" font-size="18" fill="#ffffff" fill-opacity="0.75">{genre_line}</text>'
        "</svg>"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
