"""The large-catalog path of the mood ranking (a shortlist instead of every film), on the real
catalog with the shortlist forced on, against the exhaustive ranking it stands in for."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import recommender.mood.shortlist as short_module
from recommender.mood.rank import MoodFilters
from recommender.mood.ranking import rank_for_mood
from recommender.mood.scoring import RankWeights
from recommender.mood.shortlist import shortlist

TEXTS = (
    "rough week, I need something that makes me laugh",
    "I want a good cry",
    "my grandmother passed away and I miss her",
    "something scary for a stormy night",
    "a heist with clever twists",
    "we just got engaged and I feel on top of the world",
)
STILL = replace(RankWeights(), dither=0.0)  # the dither's noise differs by path: compare without it


def _inputs(rec, text: str):
    reading, _ = rec.reader.read(text, True)
    target = rec._target(reading.emotions, "match", reading.wish)
    words = rec.lexical.query(text).sparse_scores()
    return target, reading.vector, words, reading.topic


def _rows(rec, text: str, short: bool, w: RankWeights = STILL, **kw) -> list[int]:
    w = replace(w, shortlist_from=0 if short else 10**12)
    target, vector, words, topic = _inputs(rec, text)
    ranked = rank_for_mood(
        rec.signals, target, vector, words, kw.pop("filters", MoodFilters()), 10, w, topic=topic, **kw
    )
    return [r.row for r in ranked]


@pytest.fixture(autouse=True)
def _fresh_memo(rec):
    rec.signals.forget_shortlists()
    yield
    rec.signals.forget_shortlists()


def test_shortlist_gives_the_exhaustive_top_10(rec):
    overlaps = []
    for text in TEXTS:
        every = _rows(rec, text, False)
        short = _rows(rec, text, True)
        assert len(short) == 10
        overlaps.append(len(set(every) & set(short)) / 10)
    assert np.mean(overlaps) >= 0.9, overlaps


def test_shortlist_keeps_exclusions_filters_and_pages(rec):
    text = TEXTS[0]
    first = _rows(rec, text, True, RankWeights())
    others = _rows(rec, text, True, RankWeights(), exclude_rows=frozenset(first))
    assert not set(first) & set(others) and len(others) == 10
    page2 = _rows(rec, text, True, RankWeights(), offset=10)
    assert not set(first) & set(page2)
    gems = _rows(rec, text, True, RankWeights(), filters=MoodFilters(hidden_gems=True))
    assert gems and rec.signals.table.gems[gems].all()


def test_shortlist_result_does_not_depend_on_earlier_requests(rec):
    a, b = TEXTS[1], TEXTS[3]
    _rows(rec, a, True, RankWeights())
    b_after_a = _rows(rec, b, True, RankWeights())
    rec.signals.forget_shortlists()
    assert _rows(rec, b, True, RankWeights()) == b_after_a


def test_shortlist_memo_is_bounded_and_shared_by_near_targets(rec, monkeypatch):
    target, *_ = _inputs(rec, TEXTS[0])
    nudged = replace(target, genres={g: w + 0.001 for g, w in target.genres.items()})
    first = shortlist(rec.signals, target, MoodFilters(), 10, RankWeights())
    assert shortlist(rec.signals, nudged, MoodFilters(), 10, RankWeights()) is first  # rounded to TARGET_STEP
    assert first.rows.size == min(short_module.SHORTLIST_STATIC, int(first.keep.sum()))
    assert first.keep[first.rows].all() and first.keep[first.z_rows].all()
    monkeypatch.setattr(short_module, "SHORTLIST_MEMO", 2)
    for text in TEXTS:
        t, *_ = _inputs(rec, text)
        shortlist(rec.signals, t, MoodFilters(), 10, RankWeights())
    assert len(rec.signals._shortlists) <= 2
