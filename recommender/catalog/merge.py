"""Several parsed catalog sources as one: merged by TMDB id, the later source winning an overlap.

Why the later source wins: sources are named oldest first (`--movies-csv default --movies-csv
fresh.csv`), and a fetched file carries TMDB's current record of a film, so its row is the
newer one. A film keeps the position where it first appeared, so adding a fresh file does not
reshuffle the films already in the catalog. Pure functions: no I/O.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from recommender.catalog.parse import ParseReport, make_frame

if TYPE_CHECKING:  # pandas is imported only where a CSV is parsed or a frame is asked for
    import pandas as pd

RULE = (
    "merged by TMDB id; where sources overlap the row of the later source (in the order given) wins, "
    "kept at the position where the film first appeared"
)
OVERLAP_REASON = "replaced_by_later_source"


@dataclass(frozen=True)
class MergeCount:
    """One source's part in a merge."""

    new: int  # ids no earlier source had
    overlaps: int  # ids an earlier source had: this source's row replaced that one
    superseded: int  # rows of this source that a later source replaced


def merge_frames(frames: Sequence[pd.DataFrame]) -> tuple[pd.DataFrame, list[MergeCount]]:
    """One catalog frame from parsed frames (each already free of duplicate ids), and the counts."""
    merged: dict[int, dict[str, Any]] = {}
    owner: dict[int, int] = {}
    new = [0] * len(frames)
    overlaps = [0] * len(frames)
    superseded = [0] * len(frames)
    for k, frame in enumerate(frames):
        for record in frame.to_dict("records"):
            movie_id = int(record["movie_id"])
            if movie_id in merged:
                overlaps[k] += 1
                superseded[owner[movie_id]] += 1
            else:
                new[k] += 1
            merged[movie_id] = record  # a dict keeps the first position on update
            owner[movie_id] = k
    counts = [MergeCount(n, o, s) for n, o, s in zip(new, overlaps, superseded)]
    return make_frame(list(merged.values())), counts


def merged_report(reports: Sequence[ParseReport], counts: Sequence[MergeCount], kept: int) -> ParseReport:
    """The build's report: rows read over all sources; overlaps counted as replaced rows."""
    skipped: Counter[str] = Counter()
    for report in reports:
        skipped.update(report.skipped)
    replaced = sum(c.overlaps for c in counts)
    if replaced:
        skipped[OVERLAP_REASON] = replaced
    columns: dict[str, str] = {}
    for report in reports:
        for fld, col in report.columns.items():
            names = columns.get(fld, "").split(" | ") if fld in columns else []
            if col not in names:
                columns[fld] = " | ".join([*names, col])
    return ParseReport(
        rows_read=sum(r.rows_read for r in reports),
        rows_kept=kept,
        skipped=dict(sorted(skipped.items())),
        columns=columns,
    )


def merged_source(
    sources: Sequence[dict[str, Any]], reports: Sequence[ParseReport], counts: Sequence[MergeCount]
) -> dict[str, Any]:
    """The manifest's `source` for a merged build: each source with its rows, overlaps and skips."""
    parts = []
    for source, report, count in zip(sources, reports, counts):
        parts.append(
            {
                **source,
                "rows": {
                    "read": report.rows_read,
                    "kept": report.rows_kept,
                    "skipped": sum(report.skipped.values()),
                    "skipped_by_reason": report.skipped,
                },
                "new": count.new,
                "overlaps": count.overlaps,
                "superseded": count.superseded,
            }
        )
    combined = hashlib.sha256("\n".join(str(s.get("sha256")) for s in sources).encode()).hexdigest()
    return {"kind": "merged", "rule": RULE, "sha256": combined, "sources": parts}
