"""PosterService against a local fake TMDB server; placeholder SVG validity and escaping."""

from __future__ import annotations

import base64
import logging
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests

from recommender.catalog.film import Film
from recommender.config import Settings
from recommender.serving.cache import TTLCache
from recommender.serving.placeholders import placeholder_svg
from recommender.serving.posters import TMDB_ATTRIBUTION, PosterService
from support.films import make_film
from support.tmdb_fake import FakeTmdb


def film(movie_id: int, title: str = "Avatar", **kw) -> Film:
    return make_film(
        **{
            "movie_id": movie_id,
            "title": title,
            "year": 2009,
            "genres": ("Action", "Adventure"),
            "vote_average": 7.2,
            **kw,
        }
    )


@pytest.fixture
def tmdb():
    with FakeTmdb() as fake:
        yield fake


def service(tmdb: FakeTmdb, key: bool = True, token: bool = False, cache=None, **kw) -> PosterService:
    settings = tmdb.settings(key, token, kw.pop("timeout", 2.0))
    return PosterService(settings, cache or TTLCache(f"posters-test-{uuid.uuid4().hex[:8]}"), **kw)


def test_api_key_as_query_param_and_image_is_served(tmdb):
    posters = service(tmdb)
    url = posters.poster_url(film(19995))
    assert url == f"{tmdb.image_base}/poster-19995.png"
    (call,) = tmdb.api_calls()
    assert call.path == "/3/movie/19995"
    assert call.query == {"api_key": tmdb.api_key} and call.authorization is None
    image = requests.get(url, timeout=5)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")


def test_read_token_as_bearer_header(tmdb):
    posters = service(tmdb, key=False, token=True)
    assert posters.enabled
    assert posters.poster_url(film(603)) == f"{tmdb.image_base}/poster-603.png"
    (call,) = tmdb.api_calls()
    assert call.authorization == f"Bearer {tmdb.read_token}" and "api_key" not in call.query


def test_second_call_is_cached_even_for_a_new_service(tmdb):
    cache = TTLCache(f"posters-{uuid.uuid4().hex[:8]}")
    first = service(tmdb, cache=cache).poster_url(film(1))
    again = service(tmdb, cache=cache).poster_url(film(1))
    assert first == again == f"{tmdb.image_base}/poster-1.png"
    assert len(tmdb.api_calls()) == 1


def test_retry_after_429_then_success(tmdb):
    tmdb.fail_next(1, 429, retry_after=1)
    assert service(tmdb).poster_url(film(7)) == f"{tmdb.image_base}/poster-7.png"
    assert len(tmdb.api_calls()) == 2


def test_retry_after_beyond_budget_gives_up_at_once(tmdb):
    tmdb.fail_next(5, 429, retry_after=120)
    assert service(tmdb, max_total_wait_s=2.0).poster_url(film(7)) is None
    assert len(tmdb.api_calls()) == 1


def test_persistent_500_gives_none_bounded_attempts_and_negative_cache(tmdb, caplog):
    tmdb.fail_always(500)
    posters = service(tmdb, max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="recommender.serving.posters"):
        assert posters.poster_url(film(11)) is None
        assert posters.poster_url(film(11)) is None  # cached failure: no new calls
    assert len(tmdb.api_calls()) == 3
    assert "HTTP 500" in caplog.text and tmdb.api_key not in caplog.text
    assert posters.last_error and "500" in posters.last_error
    tmdb.fail_always(None)
    assert posters.poster_url(film(12)) is not None and posters.last_error is None


def test_repeated_failures_open_the_breaker(tmdb, caplog):
    tmdb.fail_always(503)
    posters = service(tmdb, max_attempts=1)
    with caplog.at_level(logging.WARNING, logger="recommender.serving.posters"):
        assert all(posters.poster_url(film(i)) is None for i in range(1, 10))
    assert len(tmdb.api_calls()) == 3, "breaker opens after 3 failed lookups"
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


def test_slow_server_times_out_to_none(tmdb, caplog):
    tmdb.delay_s = 1.5
    posters = service(tmdb, timeout=0.2)
    with caplog.at_level(logging.WARNING, logger="recommender.serving.posters"):
        assert posters.poster_url(film(5)) is None
    assert "no answer within 0.2 s" in caplog.text
    assert len(tmdb.api_calls()) == 1, "a timeout is not retried"


def test_bad_key_gives_none_one_log_line_without_the_key(tmdb, caplog):
    bad = Settings(tmdb_api_key="wrong-key-9d8c7b", tmdb_api_base=tmdb.api_base, tmdb_image_base=tmdb.image_base)
    posters = PosterService(bad, TTLCache(f"p-{uuid.uuid4().hex[:8]}"))
    with caplog.at_level(logging.DEBUG, logger="recommender.serving.posters"):
        assert posters.poster_url(film(3)) is None
        assert posters.poster_url(film(4)) is None  # paused after a 401: no second call
    assert len(tmdb.api_calls()) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "401" in warnings[0]
    assert "wrong-key-9d8c7b" not in caplog.text


def test_no_key_means_disabled_and_no_calls(tmdb):
    posters = service(tmdb, key=False)
    assert not posters.enabled
    assert posters.poster_url(film(1)) is None
    assert posters.poster_urls([film(1), film(2)]) == {1: None, 2: None}
    assert tmdb.requests == []


def test_catalog_poster_path_is_used_without_the_api(tmdb):
    posters = service(tmdb, key=False)
    assert posters.poster_url(film(1, poster_path="/abc123.jpg")) == f"{tmdb.image_base}/abc123.jpg"
    assert posters.poster_url(film(2, poster_path="https://img.example/x.jpg")) == "https://img.example/x.jpg"
    assert posters.poster_url(film(3, poster_path='/x.jpg" onerror="alert(1)')) is None
    assert tmdb.requests == []


def test_null_unknown_and_unsafe_poster_paths(tmdb, caplog):
    tmdb.posters[20] = None
    tmdb.posters[21] = '/x.jpg" onerror="alert(1)'
    tmdb.unknown_ids.add(22)
    posters = service(tmdb)
    with caplog.at_level(logging.WARNING, logger="recommender.serving.posters"):
        assert [posters.poster_url(film(i)) for i in (20, 21, 22)] == [None, None, None]
        assert [posters.poster_url(film(i)) for i in (20, 21, 22)] == [None, None, None]
    assert len(tmdb.api_calls()) == 3, "answers without a poster are cached"
    assert caplog.records == [], "a film without a poster is not an outage"
    assert posters.last_error is None


def test_bad_movie_ids_never_call_or_crash(tmdb):
    posters = service(tmdb)
    for bad in (-1, 0, "abc", None, 10**30):
        assert posters.poster_url(film(bad)) is None
    assert tmdb.requests == []


def test_poster_urls_concurrent_bounded_and_deduplicated(tmdb):
    tmdb.delay_s = 0.2
    posters = service(tmdb, workers=8)
    films = [film(i) for i in range(1, 21)] + [film(1), film(5)]
    urls = posters.poster_urls(films)
    assert urls == {i: f"{tmdb.image_base}/poster-{i}.png" for i in range(1, 21)}
    assert len(tmdb.api_calls()) == 20
    assert 1 < tmdb.max_in_flight <= 8
    tmdb.reset()
    assert posters.poster_urls(films) == urls and tmdb.api_calls() == []


def svg_of(uri: str) -> ET.Element:
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    return ET.fromstring(base64.b64decode(uri[len(prefix) :]).decode("utf-8"))


SVG = "{http://www.w3.org/2000/svg}"


def text_of(root: ET.Element) -> str:
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def test_placeholder_is_valid_svg_with_escaped_title():
    title = "<script>alert('x')</script> Tom & Jerry"
    uri = placeholder_svg(film(1, title=title, year=1999, genres=("Comedy", "Family")))
    raw = base64.b64decode(uri.split(",", 1)[1]).decode()
    assert "<script>" not in raw and "&lt;script&gt;" in raw and "&amp;" in raw
    root = svg_of(uri)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == f"{title} (1999)"
    assert "1999" in text_of(root) and "Comedy" in text_of(root)
    assert "Tom & Jerry" in text_of(root).replace("  ", " ")


def test_placeholder_colours_follow_genres():
    def colours(genres):
        root = svg_of(placeholder_svg(film(1, genres=genres)))
        return [s.get("stop-color") for s in root.iter(f"{SVG}stop")]

    assert colours(("Horror",)) != colours(("Comedy",))
    assert colours(("Comedy", "Drama")) != colours(("Comedy", "Action"))
    assert colours(("Made-up genre",)) == colours(("Made-up genre",))


@pytest.mark.parametrize(
    "title",
    ["", "😭" * 80, "千と千尋の神隠し", "x" * 10_000, "bad\x00\x07\x1b[31m bytes \ud800", "a\nb\tc", "Ça & ç'a"],
)
def test_placeholder_survives_odd_titles(title):
    root = svg_of(placeholder_svg(film(1, title=title, year=None, genres=())))
    assert root.tag == f"{SVG}svg"
    assert len(list(root.iter(f"{SVG}tspan"))) <= 5
    assert text_of(root).strip(), "the card always shows some text"


def test_attribution_line():
    assert TMDB_ATTRIBUTION == "This product uses the TMDB API but is not endorsed or certified by TMDB."
