"""Reading a movies CSV into raw rows: encodings, binary files, quotes that never close."""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    import pandas as pd
from recommender.catalog.film import CatalogError
from recommender.catalog.parse import ParseReport, parse_movies

log = logging.getLogger(__name__)


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
    options: dict[str, Any] = dict(dtype=str, keep_default_na=False, encoding=encoding, encoding_errors="replace")
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
    log.warning("movies CSV: %d line(s) open a quote that never closes and were skipped (line %s)", len(removed), shown)
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
