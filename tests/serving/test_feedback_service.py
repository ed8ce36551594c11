"""The Recommender with the session's feedback and corrections, on the real catalog and models."""

from __future__ import annotations

import uuid

import pytest

from recommender.serving.inputs import InputError
from recommender.serving.service import MAX_EXCLUDE

LAUGH = "I had an awful day and I just want to laugh"


def _ids(result) -> list[int]:
    return [r.movie_id for r in result.recommendations]


def _film_id(rec, title: str) -> int:
    return rec.catalog.film(rec.catalog.find_title(title, limit=1)[0]).movie_id


def test_without_feedback_the_lists_are_the_default_ones(rec):
    avatar = _film_id(rec, "Avatar")
    assert _ids(rec.recommend_for_mood(LAUGH, with_posters=False, liked=(), disliked=())) == _ids(
        rec.recommend_for_mood(LAUGH, with_posters=False)
    )
    assert _ids(rec.similar_to_film(avatar, with_posters=False, liked=[], disliked=[])) == _ids(
        rec.similar_to_film(avatar, with_posters=False)
    )


def test_a_disliked_film_never_comes_back_anywhere(rec):
    shown = _ids(rec.recommend_for_mood(LAUGH, with_posters=False))
    disliked = shown[:3]
    again = _ids(rec.recommend_for_mood(LAUGH, with_posters=False, disliked=disliked))
    assert len(again) == 10 and not set(disliked) & set(again)
    similar = _ids(rec.similar_to_film(disliked[0], with_posters=False))  # its neighbours, asked by a film
    assert not set(similar[:2]) & set(_ids(rec.similar_to_film(disliked[0], with_posters=False, disliked=similar[:2])))
    synopsis = "A young wizard goes to a school of magic and fights a dark lord who killed his parents."
    first = _ids(rec.similar_to_synopsis(synopsis, with_posters=False))[0]
    after = _ids(rec.similar_to_synopsis(synopsis, with_posters=False, disliked=[first]))
    assert first not in after and len(after) == 10
    assert first not in _ids(rec.recommend_for_mood(LAUGH, with_posters=False, liked=[first], disliked=[first]))


def test_a_like_reorders_similar_films_toward_it(rec):
    avatar = _film_id(rec, "Avatar")
    plain = _ids(rec.similar_to_film(avatar, with_posters=False))
    liked = plain[5]
    moved = rec.similar_to_film(avatar, with_posters=False, liked=[liked])
    assert _ids(moved).index(liked) < 5 and _ids(moved) != plain
    assert all(0.0 <= r.score <= 1.0 for r in moved.recommendations)


def test_the_emotion_correction_puts_all_weight_on_it(rec):
    text = "Anxious about tomorrow and can't sleep"
    read = rec.recommend_for_mood(text, with_posters=False)
    assert read.emotion_source == "read" and max(read.emotions, key=read.emotions.get) == "fear"
    fixed = rec.recommend_for_mood(text, with_posters=False, emotion_override="joy")
    assert fixed.emotion_source == "chosen" and fixed.emotions["joy"] == 1.0 and sum(fixed.emotions.values()) == 1.0
    assert set(fixed.emotions) == set(read.emotions)
    assert len(set(_ids(fixed)) - set(_ids(read))) >= 5
    baseline = rec.recommend_for_mood(text, with_posters=False, emotion_override="joy", ranking="baseline")
    assert baseline.emotions == fixed.emotions


@pytest.mark.parametrize(
    "kwargs",
    [
        {"emotion_override": "rage"},
        {"emotion_override": ""},
        {"liked": list(range(MAX_EXCLUDE + 1))},
        {"disliked": list(range(MAX_EXCLUDE + 1))},
    ],
)
def test_bad_feedback_or_correction_is_a_friendly_error(rec, kwargs):
    with pytest.raises(InputError):
        rec.recommend_for_mood(LAUGH, with_posters=False, **kwargs)


def test_unknown_ids_in_feedback_are_ignored(rec):
    assert _ids(rec.recommend_for_mood(LAUGH, with_posters=False, liked=[-1, 10**12], disliked=[0])) == _ids(
        rec.recommend_for_mood(LAUGH, with_posters=False)
    )


def test_the_same_request_gives_the_same_list_first_time_and_from_the_cache(rec):
    """A shared link opened elsewhere reads the mood from the cache; the list must not change."""
    for text in (f"{LAUGH} {uuid.uuid4().hex[:6]}", f"feeling nostalgic, something calm {uuid.uuid4().hex[:6]}"):
        first = rec.recommend_for_mood(text, with_posters=False, mode="lift")
        again = rec.recommend_for_mood(text, with_posters=False, mode="lift")
        assert not first.cached and again.cached
        assert _ids(first) == _ids(again) and [r.score for r in first.recommendations] == [
            r.score for r in again.recommendations
        ]
