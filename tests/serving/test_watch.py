"""WatchService (trailers, where to watch) against the local fake TMDB server: answers, the cache,
and every way TMDB can fail (500, 429, slow, malformed, bad key) giving nothing, never an error."""

from __future__ import annotations

import logging
import uuid

import pytest

from recommender.config import Settings, get_settings, parse_region
from recommender.serving.cache import TTLCache
from recommender.serving.tmdb_lookup import BREAKER_FAILURES
from recommender.serving.watch import JUSTWATCH_CREDIT, Provider, WatchService
from support.tmdb_fake import FakeTmdb

LOGGER = "recommender.serving.watch"


@pytest.fixture
def tmdb():
    with FakeTmdb() as fake:
        yield fake


def service(tmdb: FakeTmdb, key: bool = True, token: bool = False, cache=None, **kw) -> WatchService:
    settings = tmdb.settings(key, token, kw.pop("timeout", 2.0), region=kw.pop("region", "US"))
    return WatchService(settings, cache or TTLCache(f"watch-test-{uuid.uuid4().hex[:8]}"), **kw)


def watch_calls(tmdb: FakeTmdb) -> list[str]:
    return [c.path for c in tmdb.api_calls()]


def yt(tmdb: FakeTmdb, movie_id: int, kind: str = "trailer") -> str:
    return f"https://www.youtube.com/watch?v={tmdb.trailer_key(movie_id, kind)}"


# ---- answers ---------------------------------------------------------------------------------


def test_best_trailer_and_the_regions_providers(tmdb):
    watch = service(tmdb)
    infos = watch.watch_infos([2, 3, 5, 6, 8, 20])
    # 2: an official YouTube trailer wins over a fan trailer, a Vimeo one, a broken key and a teaser
    two = infos[2]
    assert two.trailer_url == yt(tmdb, 2) and two.trailer_name == "Film 2 Official Trailer"
    assert two.region == "US" and two.flatrate == ()  # even ids stream nowhere
    assert [p.name for p in two.rent] == ["Apple TV"]
    assert [p.name for p in two.buy] == ["Apple TV", "Google Play Movies"]  # display priority; unnamed dropped
    assert two.buy[0].logo_url == f"{tmdb.image_base}/logo-apple-tv.png"
    assert two.link == "https://www.themoviedb.org/movie/2/watch?locale=US"
    assert [p.name for p in infos[3].flatrate] == ["Max", "Netflix"]
    assert infos[5].trailer_url is None and infos[5].has_providers  # no videos, still offers
    assert infos[6].trailer_url == yt(tmdb, 6, "teaser") and infos[6].trailer_name == "Film 6 Teaser"
    assert infos[8].trailer_url == yt(tmdb, 8) and not infos[8].has_providers and infos[8].link is None
    assert 20 not in infos, "no trailer and no providers: nothing at all"
    assert len(watch_calls(tmdb)) == 12 and all("api_key" in c.query for c in tmdb.api_calls())


def test_region_is_per_request_and_case_insensitive(tmdb):
    watch = service(tmdb, region="gb")
    assert watch.default_region == "GB"
    gb = watch.watch_infos([3, 2])
    assert [p.name for p in gb[3].flatrate] == ["BBC iPlayer"] and gb[3].region == "GB"
    assert gb[2].trailer_url and not gb[2].has_providers, "no offers in GB for id 2"
    us = watch.watch_infos([3], "us")[3]
    assert us.region == "US" and [p.name for p in us.flatrate] == ["Max", "Netflix"]
    assert watch.watch_infos([3], "not a region")[3].region == "GB", "junk falls back to the default"


def test_read_token_as_bearer_header(tmdb):
    watch = service(tmdb, key=False, token=True)
    assert watch.watch_info(2).trailer_url == yt(tmdb, 2)
    assert {c.authorization for c in tmdb.api_calls()} == {f"Bearer {tmdb.read_token}"}
    assert all("api_key" not in c.query for c in tmdb.api_calls())


def test_cache_hits_avoid_a_second_call_even_for_a_new_service(tmdb):
    cache = TTLCache(f"watch-{uuid.uuid4().hex[:8]}")
    first = service(tmdb, cache=cache).watch_infos(range(1, 11))
    calls = len(tmdb.api_calls())
    assert calls == 20
    assert service(tmdb, cache=cache).watch_infos(range(1, 11)) == first
    assert len(tmdb.api_calls()) == calls, "answers and misses (ids without videos) are cached"
    service(tmdb, cache=cache).watch_infos([3], "GB")
    assert watch_calls(tmdb)[calls:] == ["/3/movie/3/watch/providers"], "trailers are the same in every region"


def test_lookups_run_concurrently_and_bounded(tmdb):
    tmdb.delay_s = 0.2
    watch = service(tmdb, workers=4)
    assert len(watch.watch_infos(range(1, 11))) == 10  # each of 1..10 has a trailer or offers
    assert len(tmdb.api_calls()) == 20
    assert 1 < tmdb.max_in_flight <= 4


def test_no_key_means_nothing_and_no_calls(tmdb):
    watch = service(tmdb, key=False)
    assert not watch.enabled
    assert watch.watch_infos([1, 2, 3]) == {} and watch.watch_info(2) is None
    assert tmdb.requests == []


def test_bad_ids_never_call_or_crash(tmdb):
    watch = service(tmdb)
    assert watch.watch_infos([-1, 0, "abc", None, 10**30, True]) == {}
    assert tmdb.requests == []
    tmdb.unknown_ids.add(7)
    assert watch.watch_infos([7]) == {} and len(tmdb.api_calls()) == 2, "a 404 is an answer, not an outage"
    assert watch.last_error is None


# ---- failures --------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_tmdb_failing_always_gives_nothing_bounded_and_opens_the_breaker(tmdb, caplog, status):
    tmdb.fail_always(status)
    watch = service(tmdb, max_attempts=2, workers=1)
    with caplog.at_level(logging.DEBUG):
        assert watch.watch_infos(range(1, 11)) == {}
        assert watch.watch_infos(range(11, 21)) == {}
    assert len(tmdb.api_calls()) == BREAKER_FAILURES * 2, "3 lookups of 2 attempts, then the breaker"
    assert watch.breaker_open and watch.last_error and str(status) in watch.last_error
    warnings = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"HTTP {status}" in warnings[0].getMessage()
    assert tmdb.api_key not in caplog.text


def test_failing_tmdb_in_parallel_is_bounded_by_the_workers(tmdb):
    tmdb.fail_always(500)
    watch = service(tmdb, max_attempts=3, workers=4)
    assert watch.watch_infos(range(1, 26)) == {}
    # a lookup starts only while fewer than 3 have failed, with at most 3 others in flight
    assert len(tmdb.api_calls()) <= (BREAKER_FAILURES - 1 + 4) * 3 < 50 * 3
    assert watch.breaker_open


def test_retry_after_429_then_success(tmdb):
    tmdb.fail_next(1, 429, retry_after=0.05)
    assert service(tmdb).watch_info(2).trailer_url == yt(tmdb, 2)
    assert len(tmdb.api_calls()) == 3, "one retried call, then the other part"


def test_retry_after_beyond_the_budget_gives_up_at_once(tmdb):
    tmdb.fail_next(2, 429, retry_after=120)
    watch = service(tmdb, max_total_wait_s=2.0, workers=1)
    assert watch.watch_info(2) is None
    assert len(tmdb.api_calls()) == 2, "one call per part, no 120 s wait"


def test_slow_tmdb_times_out_to_nothing(tmdb, caplog):
    tmdb.delay_s = 1.5
    watch = service(tmdb, timeout=0.2, workers=1)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert watch.watch_infos(range(1, 11)) == {}
    assert len(tmdb.api_calls()) == BREAKER_FAILURES, "a timeout is not retried, then the breaker opens"
    assert "no answer within 0.2 s" in caplog.text and watch.breaker_open


def test_some_slow_answers_lose_only_their_part(tmdb):
    tmdb.slow_every(4, 1.0)  # every 4th call answers after the timeout
    watch = service(tmdb, timeout=0.3, workers=1)
    infos = watch.watch_infos([2, 3])  # calls: 2 videos, 2 providers, 3 videos, 3 providers (slow)
    assert infos[2].trailer_url and infos[2].has_providers
    assert infos[3].trailer_url and not infos[3].has_providers
    assert not watch.breaker_open


@pytest.mark.parametrize("part", ["videos", "watch/providers"])
@pytest.mark.parametrize("body", ["{not json", "[1, 2, 3]", '{"results": "oops"}', '{"results": null}'])
def test_malformed_bodies_lose_only_their_part_and_are_cached(tmdb, caplog, part, body):
    tmdb.bodies[f"/3/movie/3/{part}"] = body
    watch = service(tmdb)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        info = watch.watch_info(3)
        again = watch.watch_info(3)
    assert info == again and info is not None
    if part == "videos":
        assert info.trailer_url is None and [p.name for p in info.flatrate] == ["Max", "Netflix"]
    else:
        assert info.trailer_url == yt(tmdb, 3) and not info.has_providers
    assert len(tmdb.api_calls()) == 2, "the failure is cached for minutes"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and f"/movie/3/{part}" in warnings[0]


def test_odd_entries_inside_good_bodies_are_skipped(tmdb):
    tmdb.videos[2] = [
        None,
        {"site": "YouTube", "type": "Trailer", "key": "<script>x</script>"},
        {"site": "youtube", "type": "teaser", "key": "abcdefghijk", "name": "x" * 500, "official": "yes"},
    ]
    tmdb.providers[2] = {
        "US": {
            "link": "javascript:alert(1)",
            "flatrate": [{"provider_name": "  Net\u0000flix \n"}, "junk", {"provider_name": 5}],
            "rent": "not a list",
        }
    }
    info = service(tmdb).watch_info(2)
    assert info.trailer_url == "https://www.youtube.com/watch?v=abcdefghijk" and len(info.trailer_name) == 100
    assert info.flatrate == (Provider("Netflix", None),) and info.rent == () and info.link is None


def test_bad_key_gives_nothing_one_warning_and_no_key_in_any_log(tmdb, caplog):
    bad = Settings(tmdb_api_key="wrong-key-9d8c7b", tmdb_api_base=tmdb.api_base, tmdb_image_base=tmdb.image_base)
    watch = WatchService(bad, TTLCache(f"w-{uuid.uuid4().hex[:8]}"))
    with caplog.at_level(logging.DEBUG):  # urllib3 logs each request line, query string included, at DEBUG
        assert watch.watch_infos([2, 3]) == {}
        assert watch.watch_infos([4]) == {}  # paused after the 401: no more calls
    assert len(tmdb.api_calls()) <= 2 * 2 and watch.breaker_open
    warnings = [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "401" in warnings[0]
    assert "wrong-key-9d8c7b" not in caplog.text and "api_key=***" in caplog.text


def test_the_key_never_reaches_the_logs_on_success_either(tmdb, caplog):
    with caplog.at_level(logging.DEBUG):
        assert service(tmdb).watch_infos([2, 3])
    assert "/3/movie/2/videos" in caplog.text and tmdb.api_key not in caplog.text


# ---- settings and the Recommender ------------------------------------------------------------


def test_region_setting(monkeypatch):
    monkeypatch.setenv("REELMOOD_REGION", " gb ")
    assert (get_settings().region, get_settings().region_from_env) == ("GB", True)
    monkeypatch.setenv("REELMOOD_REGION", "Great Britain")
    assert (get_settings().region, get_settings().region_from_env) == ("US", False)
    monkeypatch.delenv("REELMOOD_REGION")
    assert (get_settings().region, get_settings().region_from_env) == ("US", False)
    assert [parse_region(v) for v in ("de", "DE\n", "DEU", "d3", "", None, 49)] == [
        "DE",
        "DE",
        None,
        None,
        None,
        None,
        None,
    ]


def test_recommender_watch_info_validates_and_degrades(rec, tmdb, monkeypatch):
    from recommender.serving.service import InputError

    monkeypatch.setattr(rec, "watch", service(tmdb))
    assert rec.watch_info([2, 20], "gb")[2].trailer_url == yt(tmdb, 2)
    with pytest.raises(InputError, match="two-letter"):
        rec.watch_info([2], "GBR")
    with pytest.raises(InputError, match="at most"):
        rec.watch_info(list(range(1, 100)))
    tmdb.fail_always(500)
    assert rec.watch_info([31, 32]) == {}
    monkeypatch.setattr(rec, "watch", None)
    assert rec.watch_info([2]) == {}


def test_credit_line():
    assert JUSTWATCH_CREDIT == "Where to watch: data from JustWatch"
