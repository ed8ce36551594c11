"""A small local HTTP server that speaks TMDB's protocol, for tests (never the real internet).

    with FakeTmdb() as tmdb:
        settings = Settings(tmdb_api_key=tmdb.api_key, tmdb_api_base=tmdb.api_base,
                            tmdb_image_base=tmdb.image_base)

`GET /3/movie/{id}` answers JSON with `poster_path` when `?api_key=` or
`Authorization: Bearer <read token>` is right, else 401 with TMDB's error JSON. Failures are
configurable: `fail_next(n, 429, retry_after=1)`, `fail_always(500)`, `delay_s`. Images are
small PNGs at `/t/p/{size}/{name}.png`. Every request is recorded (`requests`,
`api_calls()`), and `max_in_flight` tells how many were served at once.

With `catalog=SyntheticCatalog(...)` (`tmdb_catalog`) it also serves `GET /3/discover/movie`
and full details (`append_to_response=keywords`) for the catalog's films, and fails on a
schedule over many calls: `fail_every(13, 429, retry_after=0.05)`, `slow_every(40, 1.0)`
(an answer later than the client's timeout), `break_details_after(n)` (every detail call after
the first n answers 503: a server that dies mid-way). `details_served` counts 200 answers per id.
`GET /3/movie/{id}/videos` and `/3/movie/{id}/watch/providers` answer deterministically per id
(`videos_of`, `providers_of`): id % 5 == 0 has no videos, id % 5 == 1 only a teaser, the rest
an official YouTube trailer among decoys; id % 4 == 0 has no providers anywhere, the rest US
offers (streaming only for odd ids), and id % 3 == 0 also GB. `videos` / `providers` override
per id; `bodies` answers a path with a raw 200 body (malformed JSON). The failure schedule
above applies to these calls too.
Run `python -m tests.support.tmdb_fake` to serve it by hand, with 3,000 synthetic films (prints the
bases to use).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import threading
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .tmdb_catalog import SyntheticCatalog

API_KEY = "fake-api-key-3f9a1c"
READ_TOKEN = "fake-read-token-eyJhbGciOi.J9x"

_MOVIE = re.compile(r"^/3/movie/([^/]+)$")
_MOVIE_PART = re.compile(r"^/3/movie/([^/]+)/(videos|watch/providers)$")
_DISCOVER = "/3/discover/movie"
_IMAGE = re.compile(r"^/t/p/([a-z0-9]+)/([A-Za-z0-9_\-]+)\.png$")
_ERRORS = {
    401: {"success": False, "status_code": 7, "status_message": "Invalid API key: You must be granted a valid key."},
    404: {"success": False, "status_code": 34, "status_message": "The resource you requested could not be found."},
    429: {
        "success": False,
        "status_code": 25,
        "status_message": "Your request count (#) is over the allowed limit of (40).",
    },
    500: {"success": False, "status_code": 11, "status_message": "Internal error: Something went wrong, contact TMDB."},
    503: {
        "success": False,
        "status_code": 9,
        "status_message": "Service offline: This service is temporarily offline, try again later.",
    },
}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        return  # clients that time out and hang up are expected here


@dataclass(frozen=True)
class SeenRequest:
    path: str
    query: dict[str, str]
    authorization: str | None


@dataclass
class _Failure:
    status: int
    retry_after: str | None = None


@dataclass
class FakeTmdb:
    api_key: str = API_KEY
    read_token: str = READ_TOKEN
    posters: dict[int, str | None] = field(default_factory=dict)  # override; default /poster-{id}.png
    unknown_ids: set[int] = field(default_factory=set)  # answered with 404
    delay_s: float = 0.0  # sleep before answering API calls (slow server)
    host: str = "127.0.0.1"
    catalog: SyntheticCatalog | None = None  # discover + full details for its films
    videos: dict[int, list[dict]] = field(default_factory=dict)  # override /movie/{id}/videos results
    providers: dict[int, dict] = field(default_factory=dict)  # override /movie/{id}/watch/providers results
    bodies: dict[str, str] = field(default_factory=dict)  # path -> raw 200 body (e.g. malformed JSON)

    def __post_init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._queue: list[_Failure] = []
        self._always: _Failure | None = None
        self._every: list[tuple[int, _Failure]] = []
        self._slow: tuple[int, float] | None = None
        self._calls = 0
        self._details_left: int | None = None
        self.details_served: Counter[int] = Counter()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control --------------------------------------------------------------------------

    def start(self) -> FakeTmdb:
        self._server = _QuietServer((self.host, 0), _make_handler(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="tmdb-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeTmdb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeTmdb is not started"
        return int(self._server.server_address[1])

    @property
    def root(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.root}/3"

    @property
    def image_base(self) -> str:
        return f"{self.root}/t/p/w342"

    def settings(self, key: bool = True, token: bool = False, timeout: float = 2.0, **extra: object):  # -> Settings
        """App settings pointing at this server: its key (query parameter) and/or its read token."""
        from recommender.config import Settings

        return Settings(
            tmdb_api_key=self.api_key if key else None,
            tmdb_read_token=self.read_token if token else None,
            tmdb_api_base=self.api_base,
            tmdb_image_base=self.image_base,
            tmdb_timeout_s=timeout,
            **extra,  # type: ignore[arg-type]
        )

    def fail_next(self, times: int, status: int = 429, retry_after: float | str | None = None) -> None:
        """The next `times` API calls answer `status` (with Retry-After when given)."""
        ra = None if retry_after is None else str(retry_after)
        with self._lock:
            self._queue.extend(_Failure(status, ra) for _ in range(times))

    def fail_always(self, status: int | None = 500, retry_after: float | str | None = None) -> None:
        """Every API call answers `status` until `fail_always(None)`."""
        with self._lock:
            self._always = (
                None if status is None else _Failure(status, None if retry_after is None else str(retry_after))
            )

    def fail_every(self, every: int, status: int = 429, retry_after: float | str | None = None) -> None:
        """Every `every`-th API call (counted from the start) answers `status`."""
        with self._lock:
            self._every.append((every, _Failure(status, None if retry_after is None else str(retry_after))))

    def slow_every(self, every: int, seconds: float) -> None:
        """Every `every`-th API call waits `seconds` before answering (a client timeout)."""
        with self._lock:
            self._slow = (every, seconds)

    def break_details_after(self, answers: int | None) -> None:
        """After `answers` more catalog detail answers, every detail call answers 503 (None: heal)."""
        with self._lock:
            self._details_left = answers

    def api_calls(self) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith("/3/")]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queue.clear()
            self._always = None
            self._every.clear()
            self._slow = None
            self._details_left = None
            self.details_served.clear()
            self.max_in_flight = 0

    # -- answers --------------------------------------------------------------------------

    def _record(self, seen: SeenRequest) -> None:
        with self._lock:
            self.requests.append(seen)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _next_failure(self) -> tuple[_Failure | None, float]:
        """The failure this call answers with (if any) and how long it waits first."""
        with self._lock:
            self._calls += 1
            wait = self._slow[1] if self._slow and self._calls % self._slow[0] == 0 else 0.0
            if self._queue:
                return self._queue.pop(0), wait
            for every, failure in self._every:
                if self._calls % every == 0:
                    return failure, wait
            return self._always, wait

    def _authorised(self, seen: SeenRequest) -> bool:
        if seen.query.get("api_key") == self.api_key:
            return True
        return seen.authorization == f"Bearer {self.read_token}"

    def poster_path(self, movie_id: int) -> str | None:
        return self.posters.get(movie_id, f"/poster-{movie_id}.png")

    def api(self, seen: SeenRequest) -> tuple[int, dict[str, str], bytes]:
        """Any `/3/...` call: delay, auth, scheduled failures, then discover or a movie."""
        if self.delay_s:
            self._stopping.wait(self.delay_s)
        if not self._authorised(seen):
            return _json(401, _ERRORS[401])
        failure, wait = self._next_failure()
        if wait:
            self._stopping.wait(wait)
        if failure is not None:
            headers = {"Retry-After": failure.retry_after} if failure.retry_after is not None else {}
            status, h, body = _json(failure.status, _ERRORS.get(failure.status, _ERRORS[500]))
            return status, {**h, **headers}, body
        if seen.path in self.bodies:
            return 200, {"Content-Type": "application/json;charset=utf-8"}, self.bodies[seen.path].encode()
        if seen.path == _DISCOVER and self.catalog is not None:
            return _json(*self.catalog.discover(seen.query))
        part = _MOVIE_PART.match(seen.path)
        if part:
            return self.movie_part(part.group(1), part.group(2))
        movie = _MOVIE.match(seen.path)
        return self.movie(seen, movie.group(1)) if movie else _json(404, _ERRORS[404])

    def movie(self, seen: SeenRequest, raw_id: str) -> tuple[int, dict[str, str], bytes]:
        if not raw_id.isdigit() or int(raw_id) in self.unknown_ids:
            return _json(404, _ERRORS[404])
        movie_id = int(raw_id)
        if self.catalog is not None and movie_id in self.catalog.films:
            with self._lock:
                if self._details_left is not None:
                    if self._details_left <= 0:
                        return _json(503, _ERRORS[503])
                    self._details_left -= 1
            data = self.catalog.detail(movie_id, seen.query.get("append_to_response", ""))
            with self._lock:
                self.details_served[movie_id] += 1
            return _json(200, data)
        return _json(
            200,
            {
                "id": movie_id,
                "title": f"Film {movie_id}",
                "poster_path": self.poster_path(movie_id),
                "backdrop_path": None,
                "adult": False,
                "original_language": "en",
            },
        )

    def movie_part(self, raw_id: str, part: str) -> tuple[int, dict[str, str], bytes]:
        if not raw_id.isdigit() or int(raw_id) in self.unknown_ids:
            return _json(404, _ERRORS[404])
        movie_id = int(raw_id)
        results = self.videos_of(movie_id) if part == "videos" else self.providers_of(movie_id)
        return _json(200, {"id": movie_id, "results": results})

    @staticmethod
    def trailer_key(movie_id: int, kind: str = "trailer") -> str:
        """The film's YouTube key (11 URL-safe characters, deterministic)."""
        digest = hashlib.sha256(f"{kind}:{movie_id}".encode()).digest()
        return base64.urlsafe_b64encode(digest).decode()[:11]

    def videos_of(self, movie_id: int) -> list[dict]:
        if movie_id in self.videos:
            return self.videos[movie_id]
        if movie_id % 5 == 0:
            return []
        teaser = _video(f"Film {movie_id} Teaser", self.trailer_key(movie_id, "teaser"), "Teaser", official=True)
        featurette = _video("Behind the scenes", self.trailer_key(movie_id, "bts"), "Featurette", official=True)
        if movie_id % 5 == 1:
            return [featurette, teaser]
        return [
            _video("Fan trailer", self.trailer_key(movie_id, "fan"), "Trailer", official=False),
            _video("Trailer on Vimeo", "12345678", "Trailer", official=True, site="Vimeo"),
            _video("Broken key", "not a key!", "Trailer", official=True),
            teaser,
            _video(f"Film {movie_id} Official Trailer", self.trailer_key(movie_id), "Trailer", official=True),
            featurette,
        ]

    def providers_of(self, movie_id: int) -> dict[str, dict]:
        if movie_id in self.providers:
            return self.providers[movie_id]
        if movie_id % 4 == 0:
            return {}
        link = f"https://www.themoviedb.org/movie/{movie_id}/watch?locale="
        us: dict[str, object] = {
            "link": link + "US",
            "rent": [_provider(2, "Apple TV", 3)],
            "buy": [_provider(3, "Google Play Movies", 5), _provider(2, "Apple TV", 3), {"provider_name": None}],
        }
        if movie_id % 2:
            us["flatrate"] = [_provider(8, "Netflix", 1), _provider(1899, "Max", 0)]
        found = {"US": us}
        if movie_id % 3 == 0:
            found["GB"] = {"link": link + "GB", "flatrate": [_provider(38, "BBC iPlayer", 2)]}
        return found


def _video(name: str, key: str, kind: str, *, official: bool, site: str = "YouTube") -> dict:
    return {"iso_639_1": "en", "name": name, "key": key, "site": site, "type": kind, "official": official}


def _provider(provider_id: int, name: str, priority: int) -> dict:
    logo = "/logo-" + re.sub(r"[^a-z0-9]+", "-", name.lower()) + ".png"
    return {"provider_id": provider_id, "provider_name": name, "logo_path": logo, "display_priority": priority}


def _json(status: int, payload: object) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(payload).encode()


def png_bytes(name: str, width: int = 2, height: int = 3) -> bytes:
    """A tiny valid RGB PNG whose colour depends on `name`."""
    r, g, b = hashlib.sha256(name.encode()).digest()[:3]
    row = b"\x00" + bytes((r, g, b)) * width
    raw = row * height

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _make_handler(fake: FakeTmdb) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            seen = SeenRequest(parts.path, query, self.headers.get("Authorization"))
            fake._record(seen)
            try:
                image = _IMAGE.match(parts.path)
                if parts.path.startswith("/3/"):
                    status, headers, body = fake.api(seen)
                elif image:
                    status, headers, body = 200, {"Content-Type": "image/png"}, png_bytes(image.group(2))
                else:
                    status, headers, body = _json(404, _ERRORS[404])
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test): nothing to answer
            finally:
                fake._done()

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            return

    return Handler


if __name__ == "__main__":
    with FakeTmdb(catalog=SyntheticCatalog()) as tmdb:
        print(f"TMDB_API_BASE={tmdb.api_base}\nTMDB_IMAGE_BASE={tmdb.image_base}\nTMDB_API_KEY={tmdb.api_key}")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
