"""TMDB JSON -> checked rows of the TMDB-style CSV that `build --movies-csv` reads.

Why checked here and not only by `parse`: a malformed film is recorded as skipped (with its
reason) in the fetch state, so a resumed or refreshed run does not fetch it again, and the
fetch summary can say what TMDB sent that was unusable.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

CSV_COLUMNS = (
    "id",
    "title",
    "overview",
    "genres",
    "keywords",
    "release_date",
    "vote_average",
    "vote_count",
    "popularity",
    "original_language",
    "tagline",
    "runtime",
    "poster_path",
)
# The discover fields whose change means TMDB's record was edited (its details are refetched).
# Vote counts, averages and popularity move daily: they are taken fresh from discover instead.
SIGNATURE_FIELDS = ("title", "overview", "release_date", "poster_path", "original_language")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class Malformed(Exception):
    """A TMDB record to skip; `reason` is the counter it is reported under."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class DiscoverEntry:
    """One film as a discover page lists it: its id, edit signature and the fast-moving numbers."""

    movie_id: int
    signature: str
    vote_average: float | None
    vote_count: int | None
    popularity: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.movie_id,
            "sig": self.signature,
            "va": self.vote_average,
            "vc": self.vote_count,
            "pop": self.popularity,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DiscoverEntry:
        return cls(int(data["id"]), str(data["sig"]), data.get("va"), data.get("vc"), data.get("pop"))


def discover_entry(item: Any) -> DiscoverEntry:
    """A discover result as a DiscoverEntry; raises Malformed("discover_bad_id") for a useless one."""
    if not isinstance(item, dict):
        raise Malformed("discover_bad_entry")
    movie_id = item.get("id")
    if not _is_int(movie_id) or movie_id <= 0:
        raise Malformed("discover_bad_id")
    signature = json.dumps([item.get(name) for name in SIGNATURE_FIELDS], ensure_ascii=False, default=str)
    vote_count = item.get("vote_count")
    return DiscoverEntry(
        movie_id=movie_id,
        signature=signature,
        vote_average=_optional_number(item.get("vote_average")),
        vote_count=vote_count if _is_int(vote_count) and vote_count >= 0 else None,
        popularity=_optional_number(item.get("popularity")),
    )


def detail_row(data: dict[str, Any], movie_id: int) -> dict[str, Any]:
    """`GET /movie/{id}?append_to_response=keywords` as a CSV row dict; raises Malformed."""
    if data.get("id") != movie_id:
        raise Malformed("id_mismatch")
    title = _text(data.get("title"), "bad_title")
    if not title.strip():
        raise Malformed("missing_title")
    overview = _text(data.get("overview"), "bad_overview")
    if not overview.strip():
        raise Malformed("missing_overview")
    release_date = _text(data.get("release_date"), "bad_release_date").strip()
    if release_date and not _DATE.match(release_date):
        raise Malformed("bad_release_date")
    keywords = data.get("keywords")
    keyword_list = keywords.get("keywords", []) if isinstance(keywords, dict) else keywords
    return {
        "id": movie_id,
        "title": title.strip(),
        "overview": overview.strip(),
        "genres": _names(data.get("genres"), "bad_genres"),
        "keywords": _names(keyword_list, "bad_keywords"),
        "release_date": release_date,
        "vote_average": _number(data.get("vote_average"), "bad_vote_average", 0, 10),
        "vote_count": _count(data.get("vote_count")),
        "popularity": _number(data.get("popularity"), "bad_popularity", 0, math.inf),
        "original_language": _text(data.get("original_language"), "bad_language").strip().lower(),
        "tagline": _text(data.get("tagline"), "bad_tagline").strip(),
        "runtime": _number(data.get("runtime"), "bad_runtime", 0, 10_000),
        "poster_path": _text(data.get("poster_path"), "bad_poster_path").strip(),
    }


def with_fresh_numbers(row: dict[str, Any], entry: DiscoverEntry) -> dict[str, Any]:
    """The stored row with today's votes and popularity from discover (no detail call needed)."""
    fresh = dict(row)
    if entry.vote_average is not None and 0 <= entry.vote_average <= 10:
        fresh["vote_average"] = entry.vote_average
    if entry.vote_count is not None:
        fresh["vote_count"] = entry.vote_count
    if entry.popularity is not None and entry.popularity >= 0:
        fresh["popularity"] = entry.popularity
    return fresh


def write_csv(rows: Iterable[dict[str, Any]], path: Path) -> int:
    """Write the rows as a TMDB-style CSV, atomically (temp file + rename); returns the row count."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for row in rows:
        writer.writerow([_cell(row.get(col)) for col in CSV_COLUMNS])
        count += 1
    write_atomic(path, buffer.getvalue())
    return count


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` so a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- value checks --------------------------------------------------------------------------


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _optional_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _text(value: Any, reason: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(reason)
    return value


def _number(value: Any, reason: str, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Malformed(reason)
    if not math.isfinite(value) or not low <= value <= high:
        raise Malformed(reason)
    return float(value)


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise Malformed("bad_vote_count")
    return int(value)


def _names(value: Any, reason: str) -> list[str]:
    """Names from TMDB's [{"id": .., "name": ..}, ...]; None is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(reason)
    names = []
    for item in value:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str):
            raise Malformed(reason)
        if name.strip():
            names.append(name.strip())
    return names


def _cell(value: Any) -> str:
    """CSV cell: lists as a JSON list of names (what `parse.parse_names` reads), None as blank."""
    if value is None:
        return ""
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
