"""The mood sets are sound and kept apart, and evaluate-mood's figures mean what they say."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from recommender.config import PROJECT_ROOT
from recommender.evaluation.mood import DEV_SET, TUNE_SET, figures, load_items, precision, run, table, topic_hits
from recommender.mood.wish import default_wish_table

SETS = (DEV_SET, TUNE_SET, *(PROJECT_ROOT / "eval" / f"mood_tune{n}.json" for n in (2, 3)))
TOPICAL = tuple(PROJECT_ROOT / "eval" / f"mood_topics_{part}.json" for part in ("tune", "dev"))
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


@pytest.mark.parametrize("path", TOPICAL, ids=lambda p: p.name)
def test_a_topical_set_is_well_formed(path, rec):
    items = load_items(path)
    assert len(items) >= 50 and len({it.id for it in items}) == len({_plain(it.text) for it in items}) == len(items)
    genres, wishes = set(rec.catalog.genres), set(default_wish_table().wishes)
    for it in items:
        assert it.kind == "topic" and it.topic and all(w == w.strip().lower() and w for w in it.topic), it.id
        assert it.mode in ("match", "lift") and (it.wish is None or it.wish in wishes), it.id
        assert it.fit and it.fit <= genres and it.exclude <= genres and not it.fit & it.exclude, it.id


def test_the_topical_sets_share_no_subject():
    """The dev set's subjects were never tuned on."""
    tune, dev = ({w for it in load_items(path) for w in it.topic} for path in TOPICAL)
    assert not tune & dev


def test_the_sets_share_no_text():
    """Tuning on a text that is also reported on would flatter the reported figures."""
    every = SETS + TOPICAL
    texts = [{_plain(it.text) for it in load_items(path)} for path in every]
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            assert not texts[i] & texts[j], (every[i].name, every[j].name)


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


def test_topic_hits_count_the_films_that_name_the_subject(rec):
    item = replace(load_items(DEV_SET)[0], topic=("zzqxv",))
    _, (result,) = run(rec, [item], "default", timing=False)
    assert topic_hits(result, item, rec.catalog) == 0.0  # a word no film has
    first = rec.catalog.film(rec.catalog.row_of(result.recommendations[0].movie_id))
    word = max(first.title.split(), key=len).strip(".,:!?'\"()").lower()
    named = replace(item, topic=("zzqxv", word))
    assert 1 / len(result.recommendations) <= topic_hits(result, named, rec.catalog) <= 1.0
    fig = figures(rec, [named], [result], "default")
    assert fig.topic_hits_at_10 == round(topic_hits(result, named, rec.catalog), 4)
    assert figures(rec, [item], [result], "default").topic_hits_at_10 == 0.0
    assert figures(rec, [replace(item, topic=())], [result], "default").topic_hits_at_10 is None


def test_the_wish_head_never_learns_a_reported_text():
    """The head learns from wish_texts.json and the tuning sets; none of its texts is in a dev set."""
    import json

    from recommender.mood.wish_head import TEXTS_FILE

    learned = {_plain(it["text"]) for it in json.loads(TEXTS_FILE.read_text(encoding="utf-8"))["items"]}
    assert len(learned) > 1000
    for path in (DEV_SET, TOPICAL[1]):
        assert not learned & {_plain(it.text) for it in load_items(path)}, path.name
