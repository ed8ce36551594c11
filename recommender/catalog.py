"""The film catalog: parse any TMDB-style CSV into a clean typed table, and query it.

Parsing is forgiving about layout (columns are found by name, genres in several encodings)
and strict about values: a blank optional value is fine, a garbage value skips the row, and
every skipped row is counted by reason so the build manifest can say what happened.
"""

from __future__ import annotations

import ast
import csv
import difflib
import io
import json
import logging
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from .text import MAX_QUERY_CHARS, clean_text, fold

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    import pandas as pd

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Film:
    movie_id: int
    title: str
    overview: str
    year: int | None
    genres: tuple[str, ...]
    vote_average: float
    vote_count: int
    popularity: float
    original_language: str
    keywords: tuple[str, ...]
    tagline: str
    runtime: float | None
    poster_path: str | None


FILM_COLUMNS = [
    "movie_id", "title", "overview", "year", "genres", "vote_average", "vote_count",
    "popularity", "original_language", "keywords", "tagline", "runtime", "poster_path",
]


class CatalogError(ValueError):
    """A source file that cannot become a catalog; the message says what is wrong."""


# Accepted source column names per field, first match wins (names compared normalised).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "movie_id": ("id", "tmdb_id", "movie_id", "tmdbid", "movieid"),
    "title": ("title", "movie_title", "name", "original_title"),
    "overview": ("overview", "synopsis", "plot", "description"),
    "genres": ("genres", "genre", "genre_names"),
    "release_date": ("release_date", "released", "date"),
    "year": ("year", "release_year"),
    "vote_average": ("vote_average", "rating", "avg_rating"),
    "vote_count": ("vote_count", "votes", "num_votes"),
    "popularity": ("popularity",),
    "keywords": ("keywords", "keyword", "tags"),
    "original_language": ("original_language", "language", "lang"),
    "poster_path": ("poster_path", "poster_url", "poster"),
    "runtime": ("runtime", "duration"),
    "tagline": ("tagline",),
}
REQUIRED = ("movie_id", "title", "overview")
YEAR_RANGE = (1870, 2100)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


@dataclass(frozen=True)
class ParseReport:
    """What parsing did: rows read/kept, skipped rows by reason, source column per field."""

    rows_read: int
    rows_kept: int
    skipped: dict[str, int]
    columns: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{self.rows_read:,} films read, {self.rows_kept:,} kept"
        if self.skipped:
            why = ", ".join(f"{reason}: {n:,}" for reason, n in self.skipped.items())
            text += f"; {sum(self.skipped.values()):,} skipped ({why})"
        return text


class _Skip(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


def _norm_col(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).replace("\ufeff", "").strip().lower())


def detect_columns(columns: list[str]) -> dict[str, str]:
    """Map each known field to its source column; raise CatalogError naming missing required ones."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(_norm_col(col), col)
    found = {}
    for fld, aliases in COLUMN_ALIASES.items():
        for alias in aliases:
            if alias in by_norm:
                found[fld] = by_norm[alias]
                break
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        wanted = "; ".join(f"{m} (one of: {', '.join(COLUMN_ALIASES[m])})" for m in missing)
        shown = ", ".join(str(c) for c in list(columns)[:20]) or "none"
        raise CatalogError(f"movies CSV lacks required column(s): {wanted}. Columns found: {shown}")
    return found


# ---- value parsers: return the clean value, or raise _Skip(reason) on garbage ----

def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _number(value: Any, reason: str) -> float | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise _Skip(reason) from None
    if not math.isfinite(number):
        raise _Skip(reason)
    return number


def parse_id(value: Any) -> int:
    number = _number(value, "bad_id")
    if number is None:
        raise _Skip("missing_id")
    if number <= 0 or number != int(number) or number > 2**62:
        raise _Skip("bad_id")
    return int(number)


def parse_year(release_date: Any, year: Any) -> int | None:
    """Year from a `year` column or the first 4-digit run of a release date."""
    if not _blank(year):
        number = _number(year, "bad_year")
        if number is None or number != int(number):
            raise _Skip("bad_year")
        value = int(number)
    elif not _blank(release_date):
        match = _YEAR.search(str(release_date))
        if not match:
            raise _Skip("bad_year")
        value = int(match.group(1))
    else:
        return None
    if not YEAR_RANGE[0] <= value <= YEAR_RANGE[1]:
        raise _Skip("bad_year")
    return value


def _canonical_name(name: str) -> str:
    name = clean_text(name, 80)
    return name.title() if name and (name.islower() or name.isupper()) else name


def parse_names(value: Any, reason: str = "bad_genres", canonical: bool = True) -> tuple[str, ...]:
    """Names from a JSON list of {"name": ...}, a Python-style list, a list, or 'a|b' / 'a, b'."""
    if isinstance(value, (list, tuple, np.ndarray)):
        items: list[Any] = list(value)
    elif _blank(value):
        return ()
    elif isinstance(value, str):
        text = value.strip()
        if text[:1] in "[{":
            try:
                items = json.loads(text)
            except (ValueError, RecursionError):
                try:
                    items = ast.literal_eval(text) if len(text) < 100_000 else None
                except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                    raise _Skip(reason) from None
            if isinstance(items, dict):
                items = [items]
            if not isinstance(items, (list, tuple)):
                raise _Skip(reason)
        else:
            items = text.split("|") if "|" in text else text.split(",")
    else:
        raise _Skip(reason)
    names: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = item.get("name")
        if not isinstance(item, str):
            if item is None:
                continue
            raise _Skip(reason)
        name = _canonical_name(item) if canonical else clean_text(item, 80)
        if name and name not in names:
            names.append(name)
    return tuple(names[:100])


def parse_row(row: dict[str, Any], cols: dict[str, str]) -> dict[str, Any]:
    """One source row as a dict of Film fields; raises _Skip(reason) for a row to drop."""
    get = lambda fld: row.get(cols[fld]) if fld in cols else None  # noqa: E731
    movie_id = parse_id(get("movie_id"))
    title = clean_text(get("title"), 300)
    if not title:
        raise _Skip("missing_title")
    overview = clean_text(get("overview"), 5000)
    if not overview:
        raise _Skip("missing_overview")
    vote_average = _number(get("vote_average"), "bad_vote_average")
    if vote_average is not None and not 0 <= vote_average <= 10:
        raise _Skip("bad_vote_average")
    vote_count = _number(get("vote_count"), "bad_vote_count")
    if vote_count is not None and (vote_count < 0 or vote_count != int(vote_count)):
        raise _Skip("bad_vote_count")
    popularity = _number(get("popularity"), "bad_popularity")
    if popularity is not None and popularity < 0:
        raise _Skip("bad_popularity")
    runtime = _number(get("runtime"), "bad_runtime")
    if runtime is not None and runtime < 0:
        raise _Skip("bad_runtime")
    poster = clean_text(get("poster_path"), 500)
    return {
        "movie_id": movie_id,
        "title": title,
        "overview": overview,
        "year": parse_year(get("release_date"), get("year")),
        "genres": parse_names(get("genres"), "bad_genres"),
        "vote_average": float(vote_average or 0.0),
        "vote_count": int(vote_count or 0),
        "popularity": float(popularity or 0.0),
        "original_language": clean_text(get("original_language"), 20).lower(),
        "keywords": parse_names(get("keywords"), "bad_keywords", canonical=False),
        "tagline": clean_text(get("tagline"), 500),
        "runtime": float(runtime) if runtime else None,
        "poster_path": poster or None,
    }


def parse_movies(raw: pd.DataFrame, malformed_lines: int = 0) -> tuple[pd.DataFrame, ParseReport]:
    """Clean catalog frame (FILM_COLUMNS, duplicate ids collapsed, first kept) and its report."""
    cols = detect_columns([str(c) for c in raw.columns])
    skipped: Counter[str] = Counter()
    if malformed_lines:
        skipped["malformed_line"] = malformed_lines
    records: list[dict[str, Any]] = []
    seen: set[int] = set()
    for row in raw.to_dict("records"):
        try:
            record = parse_row(row, cols)
        except _Skip as skip:
            skipped[skip.reason] += 1
            continue
        if record["movie_id"] in seen:
            skipped["duplicate_id"] += 1
            continue
        seen.add(record["movie_id"])
        records.append(record)
    frame = make_frame(records)
    report = ParseReport(
        rows_read=len(raw) + malformed_lines, rows_kept=len(frame),
        skipped=dict(sorted(skipped.items())), columns=cols,
    )
    return frame, report


def make_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Typed catalog frame from Film-field dicts (genres/keywords as tuples)."""
    import pandas as pd

    frame = pd.DataFrame.from_records(records, columns=FILM_COLUMNS)
    frame["movie_id"] = frame["movie_id"].astype("int64")
    frame["year"] = frame["year"].astype("Int64")
    frame["vote_average"] = frame["vote_average"].astype("float64")
    frame["vote_count"] = frame["vote_count"].astype("int64")
    frame["popularity"] = frame["popularity"].astype("float64")
    frame["runtime"] = frame["runtime"].astype("float64")
    for col in ("genres", "keywords"):
        frame[col] = [tuple(v) for v in frame[col]]
    return frame.reset_index(drop=True)


def read_raw_csv(source: Path | bytes) -> tuple[pd.DataFrame, int]:
    """All columns as strings; returns (frame, malformed line count). Raises CatalogError."""
    import pandas as pd

    data = source if isinstance(source, bytes) else _read_bytes(source)
    if b"\x00" in data[:65536]:
        raise CatalogError("movies CSV looks binary (NUL bytes); expected a UTF-8 text CSV")
    try:
        text = data.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:  # Excel-style exports: read as Windows-1252 rather than mangle
        encoding = "cp1252"
        text = data.decode(encoding, errors="replace")
        log.warning("movies CSV is not UTF-8; reading it as Windows-1252")
    kept, unclosed = _drop_unclosed_quotes(text)
    if unclosed:
        data = kept.encode(encoding, errors="replace")
    options: dict[str, Any] = dict(dtype=str, keep_default_na=False, encoding=encoding,
                                   encoding_errors="replace")
    try:
        return pd.read_csv(io.BytesIO(data), **options), unclosed
    except pd.errors.EmptyDataError:
        raise CatalogError("movies CSV is empty") from None
    except (pd.errors.ParserError, csv.Error, ValueError):
        pass  # malformed lines: re-read tolerantly and count them
    bad: list[int] = []

    def on_bad(line: list[str]) -> None:
        bad.append(1)
        return None

    try:
        frame = pd.read_csv(io.BytesIO(data), engine="python", on_bad_lines=on_bad, **options)
    except Exception as exc:  # noqa: BLE001 - any parser failure becomes one clear message
        raise CatalogError(f"could not parse movies CSV: {exc}") from None
    return frame, len(bad) + unclosed


MAX_UNCLOSED_QUOTES = 100


def _drop_unclosed_quotes(text: str) -> tuple[str, int]:
    """Remove each line that opens a quoted field never closed; returns (text, lines removed).

    Why: such a quote makes every CSV parser read the rest of the file as one field, and pandas
    then dropped all the rows after it without a word. Each removed line is logged and counted
    as a malformed line, so the build report shows the loss.
    """
    lines = text.splitlines(keepends=True)
    removed: list[int] = []
    while len(removed) < MAX_UNCLOSED_QUOTES:
        reader = csv.reader(lines, strict=True)
        start = 1  # first line of the record being read
        try:
            for _ in reader:
                start = reader.line_num + 1
            break
        except csv.Error as exc:
            if "end of data" not in str(exc) and "EOF" not in str(exc):
                break  # another kind of malformed line: the tolerant re-read below counts it
        if start > len(lines):
            break
        removed.append(start + len(removed))
        del lines[start - 1]
    if not removed:
        return text, 0
    shown = ", ".join(str(n) for n in removed[:10]) + (" ..." if len(removed) > 10 else "")
    log.warning("movies CSV: %d line(s) open a quote that never closes and were skipped (line %s)",
                len(removed), shown)
    return "".join(lines), len(removed)


def _read_bytes(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read movies CSV {path}: {exc.strerror or exc}") from None


def read_movies_csv(source: Path | bytes) -> tuple[pd.DataFrame, ParseReport]:
    """Parse a TMDB-style CSV (path or bytes) into a clean catalog frame and a report."""
    raw, malformed = read_raw_csv(source)
    frame, report = parse_movies(raw, malformed)
    if report.rows_kept == 0:
        raise CatalogError(f"no usable films in movies CSV ({report.summary()})")
    return frame, report


# ---------------------------------------------------------------------------------------------

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
        if hasattr(films, "columns"):
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


__all__ = [
    "Film", "Catalog", "CatalogError", "ParseReport", "FILM_COLUMNS", "detect_columns",
    "parse_movies", "read_movies_csv", "parse_names", "title_key", "MAX_QUERY_CHARS",
]
