"""The mood reading (emotions + wish + vector + topicality) is computed once and cached whole."""

from __future__ import annotations

import uuid

import numpy as np

from recommender.serving.cache import TTLCache
from recommender.serving.mood_reading import MoodReader, cache_namespace
from recommender.text import normalize_text


def _reader(rec) -> MoodReader:
    cache = TTLCache(cache_namespace("test", uuid.uuid4().hex, "t"), 60, redis_url=None, embedded=False)
    return MoodReader(rec.emotion, rec.encoder, rec.reader.wishes, cache, rec.reader.mood_texts, rec.reader.own_encoder)


def test_a_reading_round_trips_through_the_cache(rec):
    reader = _reader(rec)
    text = "my grandmother's garden in the rain makes me want something gentle"
    first, cached = reader.read(text)
    assert not cached
    again, cached = reader.read("  " + text.upper() + " ")
    assert cached
    assert again.emotions == first.emotions
    assert again.wish.wish == first.wish.wish and again.wish.avoid == first.wish.avoid
    assert again.vector is not None and first.vector is not None
    assert float(again.vector @ first.vector) > 0.999  # stored as float16, renormalised
    assert abs(again.topic - first.topic) < 1e-6


def test_a_corrupt_entry_is_recomputed_not_trusted(rec, caplog):
    reader = _reader(rec)
    text = "bored on a train"
    reader.cache.set_json(normalize_text(text), {"emotions": {"joy": 1.0}, "vector": "not base64!"})
    reading, cached = reader.read(text)
    assert not cached and set(reading.emotions) == set(rec.emotion.labels)
    assert reading.vector is not None and abs(float(np.linalg.norm(reading.vector)) - 1.0) < 1e-3


def test_topicality_is_low_for_a_bare_wish_and_higher_for_a_text_with_a_subject(rec):
    reader = _reader(rec)
    bare = reader.compute(next(iter(rec.wishes.wishes.values())).exemplars[0])  # an exemplar itself
    subject = reader.compute("my old dog passed away and I keep thinking about our walks by the sea")
    assert bare.topic < 0.02
    assert subject.topic > bare.topic + 0.1
