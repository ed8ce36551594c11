"""Emotion -> genre weights: the blend, both modes, the data file, reachability of every genre."""

from __future__ import annotations

import json

import pytest

from conftest import need
from recommender.mood.genre_table import (
    MODES,
    MoodTableError,
    default_table,
    genre_weights,
    load_mood_table,
    top_emotions,
)

LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise", "disgust", "neutral")


def one_hot(label: str) -> dict[str, float]:
    return {e: (1.0 if e == label else 0.0) for e in LABELS}


def test_table_covers_every_label_in_both_modes():
    table = default_table()
    for mode in MODES:
        assert set(table.emotions(mode)) == set(LABELS)


def test_pure_emotion_gives_its_row_scaled_to_one():
    weights = genre_weights(one_hot("fear"), "match")
    assert next(iter(weights)) == "Horror"
    assert weights["Horror"] == pytest.approx(1.0)
    assert weights["Thriller"] == pytest.approx(0.8)
    assert "Comedy" not in weights


def test_blend_mixes_fear_and_sadness():
    dist = {"fear": 0.6, "sadness": 0.3, "joy": 0.1}
    weights = genre_weights(dist, "match")
    assert "Horror" in weights and "Drama" in weights  # a mix, not only the top label
    assert weights["Horror"] > weights["Drama"]
    only_fear = genre_weights(one_hot("fear"), "match")
    assert set(weights) - set(only_fear)  # the second emotion adds genres


def test_blend_is_order_independent_and_weights_sorted():
    dist = {"fear": 0.6, "sadness": 0.3, "joy": 0.1}
    reversed_dist = dict(reversed(list(dist.items())))
    assert genre_weights(dist) == genre_weights(reversed_dist)
    values = list(genre_weights(dist).values())
    assert values == sorted(values, reverse=True)
    assert max(values) == pytest.approx(1.0)


def test_lift_repairs_sadness_with_comedy_family_animation():
    match = genre_weights(one_hot("sadness"), "match")
    lift = genre_weights(one_hot("sadness"), "lift")
    assert next(iter(match)) == "Drama"
    assert {"Comedy", "Family", "Animation"} <= set(lift)
    assert "Drama" not in lift


def test_tiny_emotions_are_ignored():
    dist = {"joy": 0.97, "fear": 0.03}
    assert "Horror" not in genre_weights(dist)


def test_unknown_mode_and_labels():
    with pytest.raises(ValueError, match="mode must be one of"):
        genre_weights(one_hot("joy"), "sideways")
    assert genre_weights({"bogus": 1.0}) == {}
    assert genre_weights({}) == {}
    # unknown labels don't dilute known ones
    assert genre_weights({"joy": 0.5, "bogus": 0.5}) == genre_weights(one_hot("joy"))


def test_top_emotions():
    assert top_emotions({"fear": 0.6, "sadness": 0.3, "joy": 0.1}) == ["fear", "sadness"]
    assert top_emotions({"joy": 0.9, "fear": 0.05}) == ["joy"]


def test_malformed_file_is_named(tmp_path):
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"modes": {"match": {}}}))
    with pytest.raises(MoodTableError, match="modes"):
        load_mood_table(bad)
    raw = json.loads(default_table_path().read_text())
    raw["modes"]["lift"]["joy"]["Comedy"] = 3
    bad.write_text(json.dumps(raw))
    with pytest.raises(MoodTableError, match="lift.joy.Comedy"):
        load_mood_table(bad)
    bad.write_text("{not json")
    with pytest.raises(MoodTableError, match="cannot read"):
        load_mood_table(bad)


def test_edited_file_changes_weights(tmp_path):
    raw = json.loads(default_table_path().read_text())
    raw["modes"]["match"]["joy"] = {"Western": 1.0}
    path = tmp_path / "m.json"
    path.write_text(json.dumps(raw))
    assert load_mood_table(path).genre_weights(one_hot("joy")) == {"Western": 1.0}


def default_table_path():
    from recommender.mood.genre_table import DATA_FILE

    return DATA_FILE


def _catalog_genres() -> list[str] | None:
    try:
        from recommender.artifacts import load_artifacts

        return list(load_artifacts().catalog.genres)
    except Exception:
        return None


@pytest.mark.parametrize("mode", MODES)
def test_every_catalog_genre_is_reachable(mode):
    genres = _catalog_genres()
    need("built artifacts (python -m recommender build)", genres is not None)
    assert len(genres) >= 15
    table = default_table()
    reachable = set()
    for label in LABELS:
        reachable |= set(table.genre_weights(one_hot(label), mode))
    assert set(genres) - reachable == set()
    # and the table names no genre the catalog lacks (typos would silently never match)
    assert table.genres(mode) - set(genres) == set()
