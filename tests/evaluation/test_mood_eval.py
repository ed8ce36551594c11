"""The mood sets are sound and kept apart, and evaluate-mood's figures mean what they say."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from recommender.config import PROJECT_ROOT
from recommender.evaluation.mood import DEV_SET, TUNE_SET, figures, load_items, precision, run, table
from recommender.mood.wish import default_wish_table

SETS = (DEV_SET, TUNE_SET, PROJECT_ROOT / "eval" / "mood_tune2.json")
KINDS = {"plain", "wish", "negation", "mixed", "filter"}


def _plain(text: str) -> str:
    return " ".join(text.lower().split())


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.name)
def test_a_mood_set_is_well_formed(path, rec):
    raw = json.loads(path.read_text(encoding="utf-8"))
    items = load_items(path)
    assert len(items) >= 80 and len(items) == len(raw["items"])
    assert len({it.id for it in items}) == len(items)
    assert len({_plain(it.text) for it in items}) == len(items)
    genres = set(rec.catalog.genres)
    wishes = set(default_wish_table().wishes)
    for it in items:
        assert it.mode in ("match", "lift") and it.kind in KINDS, it.id
        assert it.wish is None or it.wish in wishes, it.id
        assert it.fit and it.fit <= genres and it.exclude <= genres and not it.fit & it.exclude, it.id
    assert {it.wish for it in items} >= wishes  # every wish is asked for somewhere


def test_the_sets_share_no_text():
    """Tuning on a text that is also reported on would flatter the reported figures."""
    texts = [{_plain(it.text) for it in load_items(path)} for path in SETS]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            assert not texts[i] & texts[j], (SETS[i].name, SETS[j].name)


def test_the_figures_count_what_is_shown(rec):
    items = load_items(DEV_SET)[:12]
    fig, results = run(rec, items, "default", timing=False)
    assert fig.items == 12 and len(results) == 12
    shown = [r for res in results for r in res.recommendations]
    assert len(shown) == 120
    assert fig.distinct_per_slot == round(len({r.movie_id for r in shown}) / len(shown), 4)
    assert fig.junk_share == round(sum(r.vote_average < 5.5 for r in shown) / len(shown), 4)
    expected = sum(precision(res, it) for res, it in zip(results, items)) / len(items)
    assert fig.genre_precision_at_10 == pytest.approx(expected, abs=1e-4)
    assert fig.wish_accuracy == round(sum(res.wish == it.wish for res, it in zip(results, items)) / 12, 4)
    assert fig.p50_ms_uncached == 0.0 and fig.p50_ms_cached > 0.0  # only the cached calls were timed
    again = figures(rec, items, results, "default")  # the same results, no timings
    assert replace(again, p50_ms_cached=fig.p50_ms_cached) == fig
    assert "| default |" in table([fig])
