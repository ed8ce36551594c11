"""TMDB-style rows -> Film fields: columns found by name, values checked, skipped rows counted.

Forgiving about layout (aliases, genres in several encodings), strict about values: a blank
optional value is fine, a garbage value skips the row, and every skip is counted by reason.
"""

from __future__ import annotations

import ast
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.text import clean_text

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    import pandas as pd
from recommender.catalog.film import FILM_COLUMNS, CatalogError

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
                    items = ast.literal_eval(text) if len(text) < 100_000 else []
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
        rows_read=len(raw) + malformed_lines,
        rows_kept=len(frame),
        skipped=dict(sorted(skipped.items())),
        columns=cols,
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
