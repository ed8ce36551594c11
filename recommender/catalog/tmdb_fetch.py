"""`python -m recommender fetch-tmdb`: recent films from TMDB into a CSV that `build` reads.

Lists films with `GET /3/discover/movie` (TMDB serves at most 500 pages), then fetches each
film's `GET /3/movie/{id}?append_to_response=keywords` on a small thread pool.

Resume and refresh (state files: `tmdb_state`): a run that stopped early is resumed with the
discover pages it had listed and the details it had fetched, so nothing is fetched twice. After
a completed run, the next one lists discover anew and fetches details only for films that are
new, whose discover entry was edited (title, overview, release date, poster or language
differ), or whose details are older than `max_age_days`. Votes and popularity, which move
daily, are taken from the new discover listing without a detail call.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recommender.catalog.progress import Progress
from recommender.catalog.tmdb_client import ClientStats, TmdbAuthError, TmdbBadBody, TmdbClient, TmdbError, TmdbNotFound
from recommender.catalog.tmdb_records import (
    DiscoverEntry,
    Malformed,
    detail_row,
    discover_entry,
    with_fresh_numbers,
    write_csv,
)
from recommender.catalog.tmdb_state import CachedFilm, FetchState, now_iso
from recommender.config import get_settings

log = logging.getLogger("recommender.catalog.fetch")

MAX_PAGES = 500  # TMDB answers no discover page past 500
SORTS = {"popularity": "popularity.desc", "votes": "vote_count.desc"}
NO_KEY = "fetch-tmdb needs TMDB_API_KEY (v3 key) or TMDB_READ_TOKEN (v4 read token) in the environment"
_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-\s*(\d{4})\s*)?$")
_LOGGED_FAILURES = 5  # failed films logged one by one; the rest are only counted


@dataclass(frozen=True)
class FetchOptions:
    out: Path
    pages: int = 100
    max_films: int | None = None
    years: tuple[int, int] | None = None
    sort: str = "popularity"
    min_votes: int = 50
    workers: int = 4
    max_age_days: float = 30.0
    abort_after: int = 25  # films failing in a row that end the run early (rerun to resume)
    progress: bool = True
    progress_interval_s: float = 5.0

    def query(self) -> dict[str, str]:
        """The discover parameters but the page: a listing is resumed only under the same query."""
        params = {
            "sort_by": SORTS[self.sort],
            "include_adult": "false",
            "include_video": "false",
            "language": "en-US",
            "vote_count.gte": str(self.min_votes),
        }
        if self.years:
            params["primary_release_date.gte"] = f"{self.years[0]}-01-01"
            params["primary_release_date.lte"] = f"{self.years[1]}-12-31"
        return params


@dataclass
class FetchSummary:
    """What a run did; `text()` is the summary the command prints."""

    out: Path
    complete: bool = False
    pages_fetched: int = 0
    pages_reused: int = 0
    listed: int = 0
    new: int = 0
    changed: int = 0
    stale: int = 0
    unchanged: int = 0
    fetched: int = 0
    failed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    kept: int = 0
    written: int = 0
    stats: ClientStats = field(default_factory=ClientStats)
    seconds: float = 0.0
    stopped_because: str | None = None

    def text(self) -> str:
        s = self.stats
        statuses = ", ".join(f"HTTP {code}: {n:,}" for code, n in sorted(s.by_status.items()) if code != 200)
        lines = [
            f"fetch-tmdb: {self.listed:,} films listed on {self.pages_fetched + self.pages_reused:,} discover pages "
            f"({self.pages_fetched:,} fetched, {self.pages_reused:,} reused from the interrupted run)",
            f"details: {self.fetched:,} fetched ({self.new:,} new, {self.changed:,} changed, {self.stale:,} stale), "
            f"{self.unchanged:,} unchanged since the last run, {self.failed:,} failed",
            f"skipped: {sum(self.skipped.values()):,}"
            + (f" ({', '.join(f'{k}: {n:,}' for k, n in sorted(self.skipped.items()))})" if self.skipped else ""),
            f"kept: {self.kept:,}, written: {self.written:,}" + (f" -> {self.out}" if self.complete else ""),
            f"HTTP: {s.requests:,} requests, {s.retries:,} retries ({statuses or 'no errors'}; "
            f"timeouts: {s.timeouts:,}, connection errors: {s.connection_errors:,}; "
            f"{s.waited_s:.1f} worker-seconds paused for Retry-After), {self.seconds:.1f} s",
        ]
        if self.failed and not self.stopped_because:
            lines.append(f"{self.failed:,} films failed after retries; run the same command again to fetch them.")
        if self.stopped_because:
            lines.append(
                f"stopped early: {self.stopped_because}; {self.out} was not changed. "
                "Run the same command again to resume (what was fetched is not fetched again)."
            )
        return "\n".join(lines)


# ---- the run -------------------------------------------------------------------------------


def fetch_tmdb(options: FetchOptions, client: TmdbClient) -> FetchSummary:
    """List, fetch and write; returns the summary (complete=False when it stopped early)."""
    started = time.perf_counter()
    state = FetchState(options.out)
    summary = FetchSummary(out=options.out)
    try:
        entries = _discover(options, client, state, summary)
        if summary.stopped_because is None:
            _fetch_details(options, client, state, entries, summary)
        if summary.stopped_because is None:
            _write(options, state, entries, summary)
            state.finish()
            summary.complete = True
    finally:
        state.close()
        if not summary.complete:
            state.save()
        summary.stats = client.stats()
        summary.seconds = time.perf_counter() - started
    return summary


def _discover(
    options: FetchOptions, client: TmdbClient, state: FetchState, summary: FetchSummary
) -> list[DiscoverEntry]:
    """The films to keep, in discover order; pages listed by an interrupted run are reused."""
    query = options.query()
    if state.resumable(query):
        summary.pages_reused = len(state.pages)
        log.info(
            "resuming: %d discover pages and %d films' details from the last run", len(state.pages), len(state.details)
        )
    else:
        state.start_run(query)
    limit = min(options.pages, MAX_PAGES)

    def fetch_page(page: int) -> tuple[int, dict[str, Any]]:
        return page, client.get_json("/discover/movie", {**query, "page": page})

    with ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="tmdb-discover") as pool:
        while True:
            listed = _listed(state, options.max_films)
            if options.max_films is not None and len(listed) >= options.max_films:
                break
            last = limit if state.total_pages is None else min(limit, state.total_pages)
            missing = [p for p in range(1, last + 1) if p not in state.pages]
            if not missing:
                break
            if state.total_pages is None:
                batch = missing[:1]  # page 1 says how many pages there are
            else:
                per_page = max(1, max((len(es) for es in state.pages.values()), default=20))
                need = len(missing) if options.max_films is None else -(-(options.max_films - len(listed)) // per_page)
                batch = missing[: max(1, min(need, options.workers * 2))]
            failure: TmdbError | None = None
            try:
                for future in as_completed([pool.submit(fetch_page, p) for p in batch]):
                    try:
                        page, data = future.result()
                    except TmdbAuthError:
                        raise
                    except TmdbError as exc:
                        failure = exc
                        continue
                    _add_page(state, page, data)
                    summary.pages_fetched += 1
            finally:
                state.save()
            if failure is not None:
                summary.stopped_because = f"discover failed: {client.redact(str(failure))}"
                log.warning("%s", summary.stopped_because)
                break
    listed = _listed(state, options.max_films)
    summary.listed = len(listed)
    return listed


def _add_page(state: FetchState, page: int, data: dict[str, Any]) -> None:
    results = data.get("results")
    total = data.get("total_pages")
    bad: Counter[str] = Counter()
    entries: list[DiscoverEntry] = []
    if not isinstance(results, list):
        bad["discover_bad_page"] += 1
        results = []
    for item in results:
        try:
            entries.append(discover_entry(item))
        except Malformed as skip:
            bad[skip.reason] += 1
    total_pages = total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else page
    state.add_page(page, entries, dict(bad), state.total_pages or total_pages)


def _listed(state: FetchState, max_films: int | None) -> list[DiscoverEntry]:
    """Entries of the pages listed so far, in page order, each id once, at most max_films."""
    seen: set[int] = set()
    out: list[DiscoverEntry] = []
    for page in sorted(state.pages):
        for entry in state.pages[page]:
            if entry.movie_id not in seen:
                seen.add(entry.movie_id)
                out.append(entry)
    return out if max_films is None else out[:max_films]


def _fetch_details(
    options: FetchOptions, client: TmdbClient, state: FetchState, entries: list[DiscoverEntry], summary: FetchSummary
) -> None:
    """Fetch the details that are missing, edited or stale; each one is journaled as it arrives."""
    todo = []
    now = datetime.now(UTC)
    for entry in entries:
        cached = state.details.get(entry.movie_id)
        if cached is None:
            summary.new += 1
        elif cached.signature != entry.signature:
            summary.changed += 1
        elif _age_days(cached, now) > options.max_age_days:
            summary.stale += 1
        else:
            summary.unchanged += 1
            continue
        todo.append(entry)
    progress = Progress(
        len(todo),
        "details",
        enabled=options.progress and bool(todo),
        interval_s=options.progress_interval_s,
        logger=log,
    )
    pool = ThreadPoolExecutor(max_workers=options.workers, thread_name_prefix="tmdb-details")
    futures: dict[Future[CachedFilm], DiscoverEntry] = {pool.submit(_detail, client, e): e for e in todo}
    handled: set[Future[CachedFilm]] = set()
    in_a_row = 0
    try:
        for future in as_completed(futures):
            handled.add(future)
            try:
                film = future.result()
            except TmdbAuthError:
                raise
            except TmdbError as exc:
                summary.failed += 1
                in_a_row += 1
                if summary.failed <= _LOGGED_FAILURES:
                    log.warning("film %d: %s", futures[future].movie_id, client.redact(str(exc)))
                if in_a_row >= options.abort_after:
                    summary.stopped_because = f"{in_a_row} films failed in a row (last: {client.redact(str(exc))})"
                    log.warning("%s", summary.stopped_because)
                    break
                continue
            in_a_row = 0
            state.record(film)
            summary.fetched += 1
            progress.update()
    finally:
        pool.shutdown(wait=summary.stopped_because is not None, cancel_futures=True)
        for future in futures:  # answers that arrived while stopping are kept too
            if future not in handled and future.done() and not future.cancelled() and future.exception() is None:
                state.record(future.result())
                summary.fetched += 1
        progress.close()


def _detail(client: TmdbClient, entry: DiscoverEntry) -> CachedFilm:
    """One film's details as its CSV row, or the reason to skip it; raises TmdbError on failure."""
    movie_id = entry.movie_id
    try:
        data = client.get_json(f"/movie/{movie_id}", {"append_to_response": "keywords", "language": "en-US"})
        row: dict[str, Any] | None = detail_row(data, movie_id)
        skip = None
    except TmdbNotFound:
        row, skip = None, "not_found"
    except TmdbBadBody:
        row, skip = None, "bad_body"
    except Malformed as bad:
        row, skip = None, bad.reason
    return CachedFilm(movie_id, entry.signature, now_iso(), row=row, skip=skip)


def _age_days(film: CachedFilm, now: datetime) -> float:
    try:
        fetched = datetime.fromisoformat(film.fetched_at)
    except ValueError:
        return float("inf")
    return (now - fetched).total_seconds() / 86400


def _write(options: FetchOptions, state: FetchState, entries: list[DiscoverEntry], summary: FetchSummary) -> None:
    """Write the kept films in discover order, with today's votes and popularity."""
    skipped: Counter[str] = Counter(state.bad_entries)
    rows = []
    for entry in entries:
        cached = state.details.get(entry.movie_id)
        if cached is None:
            continue  # failed this run: counted in `failed`, fetched on the next run
        if cached.row is None:
            skipped[cached.skip or "unknown"] += 1
            continue
        rows.append(with_fresh_numbers(cached.row, entry))
    summary.skipped = dict(skipped)
    summary.kept = len(rows)
    summary.written = write_csv(rows, options.out)


# ---- command line --------------------------------------------------------------------------


def parse_years(text: str | None) -> tuple[int, int] | None:
    """'2018-2026' -> (2018, 2026); '2024' -> (2024, 2024); raises ValueError."""
    if not text:
        return None
    match = _YEARS.match(text)
    if not match:
        raise ValueError(f"--years must look like 2018-2026, not {text!r}")
    first = int(match.group(1))
    last = int(match.group(2) or first)
    if not 1870 <= first <= last <= 2100:
        raise ValueError(f"--years {text!r}: need 1870 <= A <= B <= 2100")
    return first, last


def options_from_args(args: argparse.Namespace) -> FetchOptions:
    """FetchOptions from the parsed command line; raises ValueError on a bad value."""
    for name, low in (("pages", 1), ("workers", 1), ("min_votes", 0)):
        if getattr(args, name) < low:
            raise ValueError(f"--{name.replace('_', '-')} must be at least {low}")
    if args.workers > 32:
        raise ValueError("--workers: at most 32 (TMDB allows about 50 requests a second)")
    if args.max_films is not None and args.max_films < 1:
        raise ValueError("--max-films must be at least 1")
    return FetchOptions(
        out=Path(args.out),
        pages=args.pages,
        max_films=args.max_films,
        years=parse_years(args.years),
        sort=args.sort,
        min_votes=args.min_votes,
        workers=args.workers,
        max_age_days=args.max_age_days,
    )


def fetch_main(args: argparse.Namespace) -> int:
    """CLI entry: 0 all written, 1 stopped early or some films failed (rerun), 2 no/bad key or bad arguments."""
    try:
        options = options_from_args(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    settings = get_settings()
    if not (settings.tmdb_api_key or settings.tmdb_read_token):
        print(f"error: {NO_KEY}", file=sys.stderr)
        return 2
    client = TmdbClient.from_settings(settings, pool_size=options.workers)
    try:
        summary = fetch_tmdb(options, client)
    except TmdbAuthError as exc:
        print(f"error: {client.redact(str(exc))}", file=sys.stderr)
        return 2
    finally:
        client.close()
    print(summary.text(), flush=True)
    return 0 if summary.complete and not summary.failed else 1
