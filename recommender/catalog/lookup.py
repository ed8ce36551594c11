"""The read-only `Catalog`: rows by id, forgiving title search."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from recommender.text import fold

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    import pandas as pd
from recommender.catalog.film import FILM_COLUMNS, CatalogError, Film

_ARTICLE = re.compile(r"^(the|a|an|le|la|les|el|los|las|der|die|das|il)\s+")
_TRAILING_YEAR = re.compile(r"\s*[\(\[]?\b((?:18|19|20)\d\d)\b[\)\]]?\s*$")


def title_key(title: str) -> str:
    """Folded title without a leading article: 'The Dark Knight!' -> 'dark knight'."""
    key = fold(title)
    stripped = _ARTICLE.sub("", key)
    return stripped or key


class Catalog:
    """Read-only film table; row i is row i of every matrix and index built with it."""

    def __init__(self, films: Sequence[Film] | pd.DataFrame) -> None:
        """From Film records (serving: no pandas) or from a parsed frame (build, tests)."""
        if not isinstance(films, Sequence):  # a pandas DataFrame
            missing = [c for c in FILM_COLUMNS if c not in films.columns]
            if missing:
                raise CatalogError(f"catalog frame lacks columns: {', '.join(missing)}")
            films = [_film(r) for r in films[FILM_COLUMNS].to_dict("records")]
        self._films = list(films)
        self._rows = {f.movie_id: i for i, f in enumerate(self._films)}
        self.genres: list[str] = sorted({g for f in self._films for g in f.genres})
        self._keys = [title_key(f.title) for f in self._films]
        self._by_key: dict[str, list[int]] = {}
        for row in sorted(range(len(self._films)), key=self._rank):
            self._by_key.setdefault(self._keys[row], []).append(row)

    def __len__(self) -> int:
        return len(self._films)

    def film(self, row: int) -> Film:
        return self._films[row]

    def films(self) -> list[Film]:
        return list(self._films)

    def row_of(self, movie_id: int) -> int | None:
        try:
            return self._rows.get(int(movie_id))
        except (TypeError, ValueError, OverflowError):
            return None

    def titles(self) -> list[tuple[int, str, int | None]]:
        """(movie_id, title, year) in row order."""
        return [(f.movie_id, f.title, f.year) for f in self._films]

    def _rank(self, row: int) -> tuple[float, int]:
        film = self._films[row]
        return (-film.vote_count - film.popularity, row)

    def find_title(self, query: str, limit: int = 10) -> list[int]:
        """Rows whose title matches `query`, best first.

        Forgiving: case, accents, punctuation and a leading article are ignored, a trailing
        year ('Titanic 1997', 'Heat (1995)') prefers that year, and small typos are matched
        with difflib. Exact matches, then prefix, then word-contained, then fuzzy; ties go
        to the better-known film.
        """
        if not isinstance(query, str) or limit <= 0:
            return []
        query = query[:300]
        year: int | None = None
        full_key = title_key(query)  # a title may end in a number: 'Fantasia 2000'
        match = _TRAILING_YEAR.search(query)
        if match and match.start() > 0:
            year = int(match.group(1))
            query = query[: match.start()]
        key = title_key(query)
        if not key:
            return []
        found: list[int] = []

        def add(rows: list[int]) -> None:
            if year is not None:
                rows = sorted(rows, key=lambda r: self._films[r].year != year)
            for r in rows:
                if r not in found:
                    found.append(r)

        if year is not None:
            add(self._by_key.get(full_key, []))
        add(self._by_key.get(key, []))
        if len(found) < limit:
            starts = [k for k in self._by_key if k != key and k.startswith(key + " ")]
            add(self._ranked(starts))
        if len(found) < limit and len(key) >= 3:
            padded = f" {key} "
            inside = [k for k in self._by_key if padded in f" {k} " and not k.startswith(key + " ")]
            add(self._ranked(inside))
        if len(found) < limit and len(key) >= 3:
            close = difflib.get_close_matches(key, list(self._by_key), n=limit, cutoff=0.75)
            for k in close:
                add(self._by_key[k])
        return found[:limit]

    def _ranked(self, keys: list[str]) -> list[int]:
        rows = [r for k in keys for r in self._by_key[k]]
        return sorted(rows, key=self._rank)


def _missing(value: Any) -> bool:
    """None, NaN or pandas.NA (whose truth value raises), without importing pandas."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def _film(record: dict[str, Any]) -> Film:
    year = record["year"]
    runtime = record["runtime"]
    poster = record["poster_path"]
    return Film(
        movie_id=int(record["movie_id"]),
        title=str(record["title"]),
        overview=str(record["overview"]),
        year=None if _missing(year) else int(year),
        genres=tuple(str(g) for g in record["genres"]),
        vote_average=float(record["vote_average"]),
        vote_count=int(record["vote_count"]),
        popularity=float(record["popularity"]),
        original_language=str(record["original_language"] or ""),
        keywords=tuple(str(k) for k in record["keywords"]),
        tagline=str(record["tagline"] or ""),
        runtime=None if _missing(runtime) else float(runtime),
        poster_path=None if _missing(poster) or poster == "" else str(poster),
    )
