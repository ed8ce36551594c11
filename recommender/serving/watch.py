"""A film's trailer and where to watch it (stream / rent / buy) in a region, from TMDB, cached.

Why: "where can I see it" is the next question after a recommendation. TMDB serves both:
`/movie/{id}/videos` (trailers, YouTube keys) and `/movie/{id}/watch/providers` (JustWatch's
data, per country). Both are decoration, so they go through `serving.tmdb_lookup` like posters
(short timeout, bounded retries, breaker, cache) and give nothing, never an error, when TMDB
is off, slow, failing or sends a body of the wrong shape. TMDB's terms ask for the JustWatch
credit (`JUSTWATCH_CREDIT`) wherever providers are shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recommender.config import DEFAULT_REGION, parse_region
from recommender.serving.posters import image_url
from recommender.serving.tmdb_lookup import LookupFailure, TmdbDecoration, movie_id_of

if TYPE_CHECKING:
    from recommender.config import Settings

log = logging.getLogger(__name__)

JUSTWATCH_CREDIT = "Where to watch: data from JustWatch"
CACHE_NAMESPACE = "watch:v1"
FOUND_TTL_S = 3 * 24 * 3600  # offers move weekly, trailers hardly ever
MAX_PROVIDERS = 12  # per kind: a card has room for a handful
KINDS = ("flatrate", "rent", "buy")

_YOUTUBE_KEY = re.compile(r"^[A-Za-z0-9_\-]{11}$")
_TRAILER_TYPES = {"trailer": 0, "teaser": 1}
_WATCH_LINK = re.compile(r"^https://[A-Za-z0-9.\-]+(?:/[A-Za-z0-9._~%!$&+,;=:@/?#\-]*)?$")  # no ( ) ' " < >


@dataclass(frozen=True)
class Provider:
    name: str  # "Netflix"
    logo_url: str | None = None


@dataclass(frozen=True)
class WatchInfo:
    """What a card shows: a trailer (or None) and the region's providers (empty: none known)."""

    trailer_url: str | None
    trailer_name: str | None
    region: str
    flatrate: tuple[Provider, ...] = ()  # streaming with a subscription
    rent: tuple[Provider, ...] = ()
    buy: tuple[Provider, ...] = ()
    link: str | None = None  # TMDB's page of all offers for the film in the region

    @property
    def has_providers(self) -> bool:
        return bool(self.flatrate or self.rent or self.buy)


class WatchService(TmdbDecoration):
    """Trailer and providers per film (TMDB id), cached per film and per (film, region)."""

    LOOKUP_NAME = "watch info"
    CACHE_NAMESPACE = CACHE_NAMESPACE
    FOUND_TTL_S = FOUND_TTL_S
    FALLBACK = "showing no trailers or providers"

    def __init__(self, settings: Settings, *args: Any, **kwargs: Any) -> None:
        super().__init__(settings, *args, **kwargs)
        self.default_region = parse_region(settings.region) or DEFAULT_REGION
        self.region_fixed = settings.region_from_env  # REELMOOD_REGION set: it beats the browser's locale

    def watch_info(self, movie_id: int, region: str | None = None) -> WatchInfo | None:
        """The film's trailer and providers in `region` (default: the setting); None: nothing known."""
        return self.watch_infos([movie_id], region).get(movie_id_of(movie_id) or 0)

    def watch_infos(self, movie_ids: Iterable[int], region: str | None = None) -> dict[int, WatchInfo]:
        """movie_id -> WatchInfo for the films with something to show. Never raises.

        Each film needs two answers (videos, providers in `region`); cached ones are read at
        once, the others are fetched concurrently (bounded per lookup, and by the breaker).
        """
        where = parse_region(region) or self.default_region
        ids = list(dict.fromkeys(m for m in (movie_id_of(x) for x in movie_ids) if m is not None))
        if not self.enabled or not ids:
            return {}
        parts: dict[tuple[int, str], Any] = {}
        todo: list[tuple[int, str]] = []
        for film in ids:
            for part in ("trailer", "offers"):
                found, value = self._tmdb.cached(_key(film, part, where))
                if found:
                    parts[film, part] = value
                else:
                    todo.append((film, part))
        for task, value in zip(todo, self._tmdb.map(lambda t: self._fetch(*t, where), todo)):
            parts[task] = value
        infos = {film: self._info(parts.get((film, "trailer")), parts.get((film, "offers")), where) for film in ids}
        return {film: info for film, info in infos.items() if info is not None}

    def _fetch(self, film: int, part: str, region: str) -> Any:
        if part == "trailer":
            return self._tmdb.lookup(_key(film, part, region), f"/movie/{film}/videos", _best_trailer)
        return self._tmdb.lookup(_key(film, part, region), f"/movie/{film}/watch/providers", _offers_in(region))

    def _info(self, trailer: Any, offers: Any, region: str) -> WatchInfo | None:
        """The cached shapes (lists, dicts) as a WatchInfo; None when there is neither part."""
        key, name = trailer if isinstance(trailer, list) and len(trailer) == 2 else (None, None)
        offers = offers if isinstance(offers, dict) else {}
        lists = {kind: tuple(self._provider(p) for p in offers.get(kind) or ()) for kind in KINDS}
        url = f"https://www.youtube.com/watch?v={key}" if isinstance(key, str) and _YOUTUBE_KEY.match(key) else None
        info = WatchInfo(
            trailer_url=url,
            trailer_name=name if url and isinstance(name, str) else None,
            region=region,
            link=offers.get("link") if isinstance(offers.get("link"), str) else None,
            **lists,
        )
        return info if info.trailer_url or info.has_providers else None

    def _provider(self, entry: Any) -> Provider:
        name, logo = entry if isinstance(entry, list) and len(entry) == 2 else (str(entry), None)
        return Provider(str(name), image_url(self._image_base, logo))


def _key(film: int, part: str, region: str) -> str:
    """Trailers are the same everywhere; offers are per country."""
    return f"t:{film}" if part == "trailer" else f"p:{film}:{region}"


def _best_trailer(data: Any) -> list[str] | None:
    """[YouTube key, name] of the best trailer: Trailer before Teaser, official first; None: none."""
    if data is None:
        return None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise LookupFailure("TMDB sent videos of an unexpected shape")
    best: tuple[tuple[int, int, int], list[str]] | None = None
    for position, video in enumerate(results):
        if not isinstance(video, dict) or str(video.get("site", "")).lower() != "youtube":
            continue
        kind = _TRAILER_TYPES.get(str(video.get("type", "")).lower())
        key = video.get("key")
        if kind is None or not isinstance(key, str) or not _YOUTUBE_KEY.match(key):
            continue
        rank = (kind, 0 if video.get("official") is True else 1, position)
        if best is None or rank < best[0]:
            name = video.get("name")
            best = (rank, [key, _clean_name(name) or "Trailer"])
    return best[1] if best else None


def _offers_in(region: str) -> Callable[[Any], dict[str, Any] | None]:
    def parse(data: Any) -> dict[str, Any] | None:
        """{"link": ..., "flatrate": [[name, logo_path], ...], ...} for `region`; None: none there."""
        if data is None:
            return None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, dict):
            raise LookupFailure("TMDB sent watch providers of an unexpected shape")
        offers = results.get(region)
        if not isinstance(offers, dict):
            return None
        found: dict[str, Any] = {kind: _providers(offers.get(kind)) for kind in KINDS}
        if not any(found.values()):
            return None
        link = offers.get("link")
        found["link"] = link if isinstance(link, str) and len(link) <= 500 and _WATCH_LINK.match(link) else None
        return found

    return parse


def _providers(entries: Any) -> list[list[str | None]]:
    """[[name, logo_path], ...] by TMDB's display priority, named entries only, at most MAX_PROVIDERS."""
    if not isinstance(entries, list):
        return []
    named = []
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict):
            continue
        name = _clean_name(entry.get("provider_name"))
        if not name:
            continue
        priority = entry.get("display_priority")
        order = priority if isinstance(priority, int) and not isinstance(priority, bool) else 10**6
        logo = entry.get("logo_path")
        named.append((order, position, name, logo if isinstance(logo, str) and len(logo) <= 200 else None))
    named.sort(key=lambda item: (item[0], item[1]))
    seen: set[str] = set()
    out: list[list[str | None]] = []
    for _, _, name, logo in named:
        if name not in seen and len(out) < MAX_PROVIDERS:
            seen.add(name)
            out.append([name, logo])
    return out


def _clean_name(value: Any) -> str | None:
    """A printable one-line name of at most 100 characters, or None."""
    if not isinstance(value, str):
        return None
    text = " ".join("".join(ch for ch in value if ch.isprintable()).split())
    return text[:100] or None
