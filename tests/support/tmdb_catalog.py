"""Deterministic synthetic films for the fake TMDB: discover pages and details with keywords.

Film n (0-based) has id 100000 + 3n, a release date spread over `first_year..last_year`,
popularity falling with n and vote counts scattered, so both sort orders differ. Every 50th
film (n % 50 == 7) has details TMDB-style broken in one of four ways (`DEFECTS`), and page 2 of
every listing carries one entry without an id: the fetcher must skip and count them.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

PAGE_SIZE = 20
MAX_PAGE = 500
GENRES = [
    (28, "Action"),
    (12, "Adventure"),
    (16, "Animation"),
    (35, "Comedy"),
    (80, "Crime"),
    (18, "Drama"),
    (10751, "Family"),
    (14, "Fantasy"),
    (27, "Horror"),
    (9648, "Mystery"),
    (10749, "Romance"),
    (878, "Science Fiction"),
    (53, "Thriller"),
]
_WHO = [
    "a retired detective",
    "two sisters",
    "a young chef",
    "an astronaut",
    "a small-town teacher",
    "a street magician",
]
_WHAT = ["uncovers a conspiracy", "falls in love", "searches for a lost brother", "fights to save a home"]
_WHERE = ["in a flooded city", "aboard a night train", "on a remote island", "in 1970s Paris", "beneath the ice"]
_KEYWORDS = ["friendship", "revenge", "time travel", "small town", "heist", "coming of age", "family", "ghost", "robot"]
_LANGUAGES = ["en", "en", "en", "fr", "ko", "es", "ja"]
# detail defects and the skip reason the fetcher should count for each
DEFECTS = {
    "no_overview": "missing_overview",
    "no_title": "missing_title",
    "bad_votes": "bad_vote_count",
    "bad_genres": "bad_genres",
}


def film_id(n: int) -> int:
    return 100_000 + 3 * n


def defect_of(n: int) -> str | None:
    return list(DEFECTS)[(n // 50) % len(DEFECTS)] if n % 50 == 7 else None


@dataclass
class SyntheticCatalog:
    size: int = 3000
    first_year: int = 2015
    last_year: int = 2026

    films: dict[int, dict[str, Any]] = field(init=False)
    keywords: dict[int, list[dict[str, Any]]] = field(init=False)

    def __post_init__(self) -> None:
        self.films = {}
        self.keywords = {}
        self.defects: dict[int, str] = {}
        for n in range(self.size):
            movie_id = film_id(n)
            self.films[movie_id] = self._film(n)
            self.keywords[movie_id] = [
                {"id": 900 + (n + k) % len(_KEYWORDS), "name": _KEYWORDS[(n + k) % len(_KEYWORDS)]}
                for k in range(2 + n % 3)
            ]
            defect = defect_of(n)
            if defect:
                self.defects[movie_id] = defect
        self._lock = threading.Lock()
        self._orders: dict[tuple[str, str, str, int], list[int]] = {}

    def _film(self, n: int) -> dict[str, Any]:
        span = self.last_year - self.first_year + 1
        year = self.first_year + (n * 7) % span
        genres = [GENRES[(n + k * 5) % len(GENRES)] for k in range(1 + n % 3)]
        return {
            "id": film_id(n),
            "title": f"Synthetic Film {n}",
            "original_title": f"Synthetic Film {n}",
            "overview": f"{_WHO[n % 6].capitalize()} {_WHAT[n % 4]} {_WHERE[n % 5]} (story {n}).",
            "tagline": f"Chapter {n} begins." if n % 4 else "",
            "release_date": f"{year}-{1 + n % 12:02d}-{1 + n % 28:02d}",
            "vote_average": round(4 + (n * 31 % 60) / 10, 1),
            "vote_count": 20 + (n * 7919) % 5000,
            "popularity": round(2000.0 / (1 + n) + (n % 13) * 0.001, 4),
            "original_language": _LANGUAGES[n % len(_LANGUAGES)],
            "runtime": 80 + n % 70,
            "poster_path": f"/syn{n}.jpg",
            "genres": [{"id": gid, "name": name} for gid, name in genres],
            "adult": False,
            "video": False,
        }

    def edit(self, movie_id: int, **fields: Any) -> None:
        """Change a film as TMDB's editors would (listings are re-sorted)."""
        with self._lock:
            self.films[movie_id].update(fields)
            self._orders.clear()

    def add(self, n: int) -> int:
        """A film that appears after a first fetch (a new release)."""
        with self._lock:
            movie_id = film_id(n)
            self.films[movie_id] = self._film(n)
            self.keywords[movie_id] = [{"id": 999, "name": "new release"}]
            self._orders.clear()
            return movie_id

    # -- answers ----------------------------------------------------------------------------

    def discover(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            page = int(query.get("page", "1"))
            min_votes = int(query.get("vote_count.gte", "0"))
        except ValueError:
            return 400, {"success": False, "status_code": 22, "status_message": "Invalid page."}
        if not 1 <= page <= MAX_PAGE:
            message = "Invalid page: Pages start at 1 and max at 500. They are expected to be an integer."
            return 400, {"success": False, "status_code": 22, "status_message": message}
        sort = query.get("sort_by", "popularity.desc")
        key = (sort, query.get("primary_release_date.gte", ""), query.get("primary_release_date.lte", ""), min_votes)
        ids = self._order(key)
        chunk = ids[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        fields = ("id", "title", "overview", "release_date", "vote_average", "vote_count", "popularity")
        fields += ("original_language", "poster_path", "adult", "video")
        with self._lock:
            results: list[Any] = [
                {**{f: self.films[i][f] for f in fields}, "genre_ids": [g["id"] for g in self.films[i]["genres"]]}
                for i in chunk
            ]
        if page == 2:
            results.append({"id": None, "title": "An entry without an id"})
        total = len(ids)
        return 200, {
            "page": page,
            "results": results,
            "total_pages": math.ceil(total / PAGE_SIZE),
            "total_results": total,
        }

    def _order(self, key: tuple[str, str, str, int]) -> list[int]:
        with self._lock:
            if key not in self._orders:
                sort, gte, lte, min_votes = key
                field_name = "vote_count" if sort.startswith("vote_count") else "popularity"
                chosen = [
                    f
                    for f in self.films.values()
                    if f["vote_count"] >= min_votes
                    and (not gte or f["release_date"] >= gte)
                    and (not lte or f["release_date"] <= lte)
                ]
                chosen.sort(key=lambda f: (-f[field_name], f["id"]))
                self._orders[key] = [f["id"] for f in chosen]
            return self._orders[key]

    def detail(self, movie_id: int, append: str) -> dict[str, Any] | None:
        """`/movie/{id}` JSON (keywords appended when asked), defects applied; None: unknown id."""
        with self._lock:
            film = self.films.get(movie_id)
            if film is None:
                return None
            data = {**film, "imdb_id": f"tt{movie_id}", "status": "Released"}
            if "keywords" in append.split(","):
                data["keywords"] = {"keywords": list(self.keywords[movie_id])}
        defect = self.defects.get(movie_id)
        if defect == "no_overview":
            data["overview"] = ""
        elif defect == "no_title":
            data["title"] = None
        elif defect == "bad_votes":
            data["vote_count"] = "many"
        elif defect == "bad_genres":
            data["genres"] = "Drama"
        return data
