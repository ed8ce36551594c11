"""fetch-tmdb against the local fake TMDB: thousands of films through 429/5xx/timeouts, resume, refresh."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from recommender.__main__ import main
from recommender.catalog.csv_reader import read_movies_csv
from recommender.catalog.tmdb_client import RetryPolicy, TmdbAuthError, TmdbClient, TmdbError
from recommender.catalog.tmdb_fetch import FetchOptions, FetchSummary, fetch_tmdb, parse_years
from recommender.catalog.tmdb_records import Malformed, detail_row, discover_entry
from recommender.catalog.tmdb_state import FetchState
from support.tmdb_catalog import DEFECTS, SyntheticCatalog, defect_of, film_id
from support.tmdb_fake import FakeTmdb

FAST = RetryPolicy(max_attempts=6, backoff_s=0.01, max_backoff_s=0.05, max_retry_after_s=1.0)


def client_for(fake: FakeTmdb, token: bool = False, timeout: float = 1.0, **policy: float) -> TmdbClient:
    return TmdbClient(
        fake.api_base,
        None if token else fake.api_key,
        fake.read_token if token else None,
        timeout_s=timeout,
        policy=RetryPolicy(**{**FAST.__dict__, **policy}),
        pool_size=8,
    )


def fetch(fake: FakeTmdb, out: Path, timeout: float = 1.0, **options) -> FetchSummary:
    client = client_for(fake, timeout=timeout)
    try:
        return fetch_tmdb(FetchOptions(out=out, **{"pages": 500, "min_votes": 0, "workers": 6, **options}), client)
    finally:
        client.close()


def expected_skips(size: int) -> dict[str, int]:
    skips: dict[str, int] = {"discover_bad_id": 1}
    for n in range(size):
        defect = defect_of(n)
        if defect:
            skips[DEFECTS[defect]] = skips.get(DEFECTS[defect], 0) + 1
    return skips


@pytest.fixture
def fake():
    with FakeTmdb(catalog=SyntheticCatalog(size=600)) as tmdb:
        yield tmdb


# ---- the big one -----------------------------------------------------------------------------


def test_fetch_thousands_of_films_through_429_5xx_and_timeouts(tmp_path: Path, caplog) -> None:
    """3,000 films over 150 pages while 1 call in 37 is a 429, 1 in 17 a 500 and 1 in 53 too slow."""
    size = 3000
    with FakeTmdb(catalog=SyntheticCatalog(size=size)) as tmdb:
        tmdb.fail_every(37, 429, retry_after=0.01)
        tmdb.fail_every(17, 500)
        tmdb.fail_every(101, 503)
        tmdb.slow_every(53, 0.4)
        out = tmp_path / "films.csv"
        started = time.perf_counter()
        with caplog.at_level(logging.INFO, logger="recommender.catalog.fetch"):
            summary = fetch(tmdb, out, timeout=0.2, progress_interval_s=1.0)
        seconds = time.perf_counter() - started
        served = sum(tmdb.details_served.values())
    print(f"\n{summary.text()}")
    assert summary.complete and summary.stopped_because is None, summary.text()
    assert summary.listed == size and summary.pages_fetched == 150
    assert summary.fetched == summary.new == size and summary.failed == 0
    assert summary.skipped == expected_skips(size)
    assert summary.kept == summary.written == size - sum(expected_skips(size).values()) + 1
    stats = summary.stats
    assert stats.by_status[429] > 50 and stats.by_status[500] > 100 and stats.by_status[503] > 10
    assert stats.timeouts > 20 and stats.retries >= stats.by_status[429] + stats.by_status[500] + stats.timeouts
    assert size <= served <= size + stats.timeouts  # a film is fetched again only when its answer came too late
    progress_lines = [r for r in caplog.records if r.getMessage().startswith("details:")]
    assert 1 <= len(progress_lines) <= seconds + 2  # about one a second, not one per film
    frame, report = read_movies_csv(out)
    assert report.rows_read == report.rows_kept == summary.written and not report.skipped
    one = frame.set_index("movie_id").loc[film_id(1)]
    assert one.title == "Synthetic Film 1" and one.genres == ("Adventure", "Family") and one.year == 2022
    assert one.keywords == ("revenge", "time travel", "small town") and one.poster_path == "/syn1.jpg"
    assert one.runtime == 81 and one.vote_count == 20 + 7919 % 5000 and one.original_language == "en"
    assert list(frame.movie_id[:3]) == [film_id(0), film_id(1), film_id(2)]  # popularity order


# ---- resume and refresh ----------------------------------------------------------------------


def test_interrupted_fetch_resumes_without_fetching_anything_again(fake: FakeTmdb, tmp_path: Path) -> None:
    """The server dies after 250 details; the rerun lists nothing and fetches only what is missing."""
    out = tmp_path / "films.csv"
    fake.break_details_after(250)
    first = fetch(fake, out, abort_after=10)
    assert not first.complete and "failed in a row" in (first.stopped_because or "")
    assert not out.exists()  # the CSV is written only by a run that completes
    assert first.fetched == 250 and first.failed >= 10
    done_before = set(fake.details_served)
    assert len(done_before) == 250
    # an interruption in the middle of writing a line: that film alone is fetched again
    journal = FetchState(out).details_path
    lines = journal.read_text("utf-8").splitlines(keepends=True)
    torn = json.loads(lines[-1])["id"]
    journal.write_text("".join(lines[:-1]) + lines[-1][:25], "utf-8")

    fake.reset()
    second = fetch(fake, out)
    assert second.complete, second.text()
    assert second.pages_reused == 30 and second.pages_fetched == 0
    assert not [c for c in fake.api_calls() if c.path.endswith("/discover/movie")]
    assert set(fake.details_served) & done_before == {torn}
    assert set(fake.details_served) | done_before == set(fake.catalog.films)
    assert max(fake.details_served.values()) == 1 and fake.max_in_flight <= 6
    assert second.written == 600 - sum(expected_skips(600).values()) + 1

    fresh = tmp_path / "fresh.csv"
    fetch(fake, fresh)
    assert out.read_bytes() == fresh.read_bytes()  # resumed = fetched in one go


def test_refresh_fetches_only_new_and_edited_films(fake: FakeTmdb, tmp_path: Path) -> None:
    """After a complete run: edits and new releases are fetched; vote changes need no detail call."""
    out = tmp_path / "films.csv"
    assert fetch(fake, out).complete
    edited = [film_id(n) for n in (3, 99, 250, 444, 598)]
    for movie_id in edited:
        fake.catalog.edit(movie_id, overview=f"An edited overview of film {movie_id}.")
    revoted = film_id(10)
    fake.catalog.edit(revoted, vote_count=123_456, popularity=5000.0)
    added = [fake.catalog.add(n) for n in range(600, 604)]
    fake.reset()

    second = fetch(fake, out)
    assert second.complete
    assert set(fake.details_served) == set(edited) | set(added)
    assert (second.new, second.changed, second.stale) == (4, 5, 0) and second.unchanged == 600 - 5
    frame = read_movies_csv(out)[0].set_index("movie_id")
    assert frame.loc[edited[0]].overview == f"An edited overview of film {edited[0]}."
    assert frame.loc[revoted].vote_count == 123_456 and frame.index[0] == revoted  # fresh numbers, new order
    assert set(added) <= set(frame.index) and frame.loc[added[0]].keywords == ("new release",)

    fake.reset()
    third = fetch(fake, out, max_age_days=0)  # details older than the limit are fetched again
    assert third.stale == 604 and len(fake.details_served) == 604


def test_a_different_query_lists_anew_but_keeps_the_details(fake: FakeTmdb, tmp_path: Path) -> None:
    """Changing --years/--sort does not resume the old listing; cached details still count."""
    out = tmp_path / "films.csv"
    fake.break_details_after(50)
    assert not fetch(fake, out, years=(2018, 2020), sort="votes", abort_after=5).complete
    fake.reset()
    summary = fetch(fake, out, years=(2018, 2026), sort="votes", max_films=120)
    assert summary.complete and summary.pages_reused == 0 and summary.listed == 120
    dates = read_movies_csv(out)[0].year
    assert dates.between(2018, 2026).all()
    discover = [c for c in fake.api_calls() if c.path.endswith("/discover/movie")]
    assert {c.query["sort_by"] for c in discover} == {"vote_count.desc"}
    assert {c.query["primary_release_date.gte"] for c in discover} == {"2018-01-01"}
    assert len(discover) == 120 // 20  # --max-films stops the listing


# ---- the client ------------------------------------------------------------------------------


def test_client_honours_retry_after_then_gives_up_and_reports_auth(fake: FakeTmdb) -> None:
    client = client_for(fake)
    fake.fail_next(2, 429, retry_after=0.2)
    started = time.perf_counter()
    assert client.get_json("/movie/100000")["id"] == 100000
    assert time.perf_counter() - started >= 0.38
    assert client.stats().retries == 2 and client.stats().waited_s >= 0.38
    fake.reset()
    fake.fail_always(503)
    with pytest.raises(TmdbError, match="HTTP 503.*6 attempts") as info:
        client.get_json("/movie/100000")
    assert fake.api_key not in str(info.value) and "api_key=***" in str(info.value)
    assert len(fake.api_calls()) == 6
    fake.reset()
    bad = TmdbClient(fake.api_base, "wrong-key", timeout_s=1.0, policy=FAST)
    with pytest.raises(TmdbAuthError):
        bad.get_json("/movie/100000")
    assert len(fake.api_calls()) == 1  # a 401 is not retried
    with pytest.raises(TmdbAuthError, match="TMDB_API_KEY"):
        TmdbClient(fake.api_base)


def test_client_times_out_and_uses_the_bearer_token(fake: FakeTmdb) -> None:
    client = client_for(fake, token=True, timeout=0.1, max_attempts=2)
    fake.slow_every(1, 0.5)
    with pytest.raises(TmdbError, match="no answer within 0.1 s"):
        client.get_json("/discover/movie", {"page": 1})
    assert client.stats().timeouts == 2
    fake.reset()
    assert client.get_json("/discover/movie", {"page": 1})["total_results"] == 600
    call = fake.api_calls()[-1]
    assert call.authorization == f"Bearer {fake.read_token}" and "api_key" not in call.query


# ---- records ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"id": 2}, "id_mismatch"),
        ({"title": "  "}, "missing_title"),
        ({"title": 5}, "bad_title"),
        ({"overview": None}, "missing_overview"),
        ({"vote_count": True}, "bad_vote_count"),
        ({"vote_count": -1}, "bad_vote_count"),
        ({"vote_average": 11}, "bad_vote_average"),
        ({"vote_average": "7.5"}, "bad_vote_average"),
        ({"runtime": float("nan")}, "bad_runtime"),
        ({"genres": [{"id": 1}]}, "bad_genres"),
        ({"keywords": {"keywords": "heist"}}, "bad_keywords"),
        ({"release_date": "soon"}, "bad_release_date"),
        ({"poster_path": ["x"]}, "bad_poster_path"),
    ],
)
def test_malformed_details_are_skipped_with_their_reason(change: dict, reason: str) -> None:
    good = {"id": 1, "title": "A", "overview": "B.", "genres": [], "keywords": {"keywords": []}}
    assert detail_row(good, 1)["title"] == "A"
    with pytest.raises(Malformed) as info:
        detail_row({**good, **change}, 1)
    assert info.value.reason == reason


def test_discover_entries_sign_edits_not_votes() -> None:
    base = {"id": 7, "title": "A", "overview": "B", "release_date": "2024-01-01", "vote_count": 5, "popularity": 1.0}
    entry = discover_entry(base)
    assert discover_entry({**base, "vote_count": 9, "popularity": 3.0}).signature == entry.signature
    assert discover_entry({**base, "overview": "C"}).signature != entry.signature
    for bad in ({"id": "7"}, {"id": True}, {"id": -1}, {}):
        with pytest.raises(Malformed):
            discover_entry(bad)


# ---- command line ----------------------------------------------------------------------------


def test_cli_without_a_key_says_so_in_one_line_and_exits_2(monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.delenv("TMDB_API_KEY", raising=False)
    monkeypatch.delenv("TMDB_READ_TOKEN", raising=False)
    assert main(["fetch-tmdb", "--out", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: fetch-tmdb needs TMDB_API_KEY")
    monkeypatch.setenv("TMDB_API_KEY", "k")
    assert main(["fetch-tmdb", "--years", "2026-2018"]) == 2
    assert "--years" in capsys.readouterr().err


def test_cli_fetch_writes_the_csv_and_never_logs_the_key(fake: FakeTmdb, monkeypatch, capsys, caplog, tmp_path):
    """Through `python -m recommender fetch-tmdb`: failures are logged (debug too), the key never is."""
    monkeypatch.setenv("TMDB_API_KEY", fake.api_key)
    monkeypatch.delenv("TMDB_READ_TOKEN", raising=False)
    monkeypatch.setenv("TMDB_API_BASE", fake.api_base)
    monkeypatch.setenv("TMDB_TIMEOUT", "2")
    monkeypatch.setattr(RetryPolicy, "backoff", lambda self, attempt: 0.001)  # the CLI's policy, minus the waits
    fake.fail_next(3, 500)
    fake.break_details_after(40)
    out = tmp_path / "films.csv"
    args = ["fetch-tmdb", "--out", str(out), "--max-films", "100", "--workers", "3", "--min-votes", "0"]
    with caplog.at_level(logging.DEBUG):
        assert main(args) == 1  # stopped early: 25 films failed in a row
        assert "stopped early" in capsys.readouterr().out and not out.exists()
        fake.break_details_after(10)
        assert main([*args, "--max-films", "60"]) == 1  # 10 more, then 10 fail: written, but not all
        assert "10 films failed after retries; run the same command again" in capsys.readouterr().out
        assert len(read_movies_csv(out)[0]) == 49
        fake.break_details_after(None)
        assert main(args) == 0
    text = capsys.readouterr().out
    assert "kept: 98, written: 98" in text and "(discover_bad_id: 1, missing_overview: 1, missing_title: 1)" in text
    assert "0 failed" in text and "failed after retries" not in text
    assert "api_key=***" in caplog.text  # urllib3's debug lines are there, masked
    for where in (caplog.text, text, *(p.read_text("utf-8") for p in tmp_path.iterdir())):
        assert fake.api_key not in where
    assert all(c.query.get("api_key") == fake.api_key for c in fake.api_calls())


def test_parse_years() -> None:
    assert parse_years("2018-2026") == (2018, 2026) and parse_years("2024") == (2024, 2024)
    assert parse_years(None) is None
    for bad in ("2026-2018", "18-26", "recent", "1500-1600"):
        with pytest.raises(ValueError):
            parse_years(bad)
