"""What a fetch has done so far, kept beside its output so a rerun resumes or refreshes.

Two files next to `OUT.csv`:

- `OUT.csv.details.jsonl`: one line per film whose details were fetched (its CSV row, or the
  reason it was skipped), with the discover signature it was fetched at. Appended one whole line
  per write and flushed, so an interrupted run loses at most the line being written; a torn last
  line is ignored when read. Compacted (last line per id, atomic rename) when a run completes.
- `OUT.csv.state.json`: the discover query, the pages listed so far and whether the run
  completed; replaced atomically (temp file + rename) every few pages and at the end.

A run that did not complete is resumed with the pages it already listed; a completed one is
followed by a refresh that lists discover anew.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from recommender.catalog.tmdb_records import DiscoverEntry, write_atomic

log = logging.getLogger(__name__)

STATE_VERSION = 1


@dataclass(frozen=True)
class CachedFilm:
    """A film's fetched details: its CSV row, or the reason it was skipped."""

    movie_id: int
    signature: str
    fetched_at: str
    row: dict[str, Any] | None = None
    skip: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.movie_id, "sig": self.signature, "fetched_at": self.fetched_at}
        if self.row is not None:
            data["row"] = self.row
        else:
            data["skip"] = self.skip
        return data


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class FetchState:
    """The details cache and the discover progress of one output file; single writer (the main thread)."""

    def __init__(self, out: Path) -> None:
        self.out = Path(out)
        self.details_path = self.out.with_name(self.out.name + ".details.jsonl")
        self.state_path = self.out.with_name(self.out.name + ".state.json")
        self.details: dict[int, CachedFilm] = {}
        self.torn_lines = 0
        self.query: dict[str, Any] | None = None
        self.complete = False
        self.started_at: str | None = None
        self.total_pages: int | None = None
        self.pages: dict[int, list[DiscoverEntry]] = {}
        self.bad_entries: dict[str, int] = {}
        self._journal: IO[str] | None = None
        self._load()

    # -- reading ----------------------------------------------------------------------------

    def _load(self) -> None:
        if self.details_path.is_file():
            with self.details_path.open(encoding="utf-8") as lines:
                for line in lines:
                    try:
                        data = json.loads(line)
                        film = CachedFilm(
                            int(data["id"]),
                            str(data["sig"]),
                            str(data["fetched_at"]),
                            data.get("row"),
                            data.get("skip"),
                        )
                    except (ValueError, KeyError, TypeError):
                        self.torn_lines += 1  # a line cut short by an interruption: fetched again
                        continue
                    self.details[film.movie_id] = film
        if self.torn_lines:
            log.warning("fetch state: %d unreadable line(s) in %s ignored", self.torn_lines, self.details_path)
        if not self.state_path.is_file():
            return
        try:
            state = json.loads(self.state_path.read_text("utf-8"))
            if state.get("version") != STATE_VERSION:
                raise ValueError("other version")
            self.query = state["query"]
            self.complete = bool(state["complete"])
            self.started_at = state.get("started_at")
            self.total_pages = state.get("total_pages")
            self.pages = {int(p): [DiscoverEntry.from_json(e) for e in es] for p, es in state["pages"].items()}
            self.bad_entries = {str(k): int(v) for k, v in state.get("bad_entries", {}).items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("fetch state %s unusable (%s): listing discover anew", self.state_path, exc)
            self.query, self.complete, self.pages, self.bad_entries = None, False, {}, {}

    def resumable(self, query: dict[str, Any]) -> bool:
        """True when an unfinished run with the same discover query left pages to reuse."""
        return not self.complete and self.query == query and bool(self.pages)

    # -- writing ----------------------------------------------------------------------------

    def start_run(self, query: dict[str, Any]) -> None:
        """Forget the listed pages (a fresh discover); the details cache stays."""
        self.query = query
        self.complete = False
        self.started_at = now_iso()
        self.total_pages = None
        self.pages = {}
        self.bad_entries = {}
        self.save()

    def add_page(self, page: int, entries: list[DiscoverEntry], bad: dict[str, int], total_pages: int) -> None:
        self.pages[page] = entries
        self.total_pages = total_pages
        for reason, n in bad.items():
            self.bad_entries[reason] = self.bad_entries.get(reason, 0) + n

    def record(self, film: CachedFilm) -> None:
        """Append one film's details to the journal (one write, flushed) and keep it in memory."""
        if self._journal is None:
            self.details_path.parent.mkdir(parents=True, exist_ok=True)
            self._journal = self.details_path.open("a", encoding="utf-8", newline="\n")
        self._journal.write(json.dumps(film.to_json(), ensure_ascii=False) + "\n")
        self._journal.flush()
        self.details[film.movie_id] = film

    def save(self) -> None:
        state = {
            "version": STATE_VERSION,
            "query": self.query,
            "complete": self.complete,
            "started_at": self.started_at,
            "saved_at": now_iso(),
            "total_pages": self.total_pages,
            "bad_entries": self.bad_entries,
            "pages": {str(p): [e.to_json() for e in es] for p, es in sorted(self.pages.items())},
        }
        write_atomic(self.state_path, json.dumps(state, ensure_ascii=False, separators=(",", ":")) + "\n")

    def finish(self) -> None:
        """Mark the run complete and compact the journal to one line per film."""
        self.close()
        lines = "".join(json.dumps(f.to_json(), ensure_ascii=False) + "\n" for f in self.details.values())
        write_atomic(self.details_path, lines)
        self.complete = True
        self.save()

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None
