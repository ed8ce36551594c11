"""Shareable links (ui.share): URL query parameters <-> page state, and what tampering gives."""

from __future__ import annotations

import pytest

from recommender.serving.inputs import MAX_MOOD_CHARS, MAX_SYNOPSIS_CHARS
from recommender.ui.share import (
    MoodOptions,
    MoodState,
    SimilarState,
    ignored_note,
    mood_params,
    mood_state,
    mood_widgets,
    parse_mood,
    parse_similar,
    similar_params,
)

OPTIONS = MoodOptions(
    first_year=1916,
    last_year=2017,
    languages=("en", "fr", "ja"),
    wishes=("none", "laugh", "cry", "calm"),
    emotions=("sadness", "joy", "love", "anger", "fear", "surprise", "disgust", "neutral"),
)


@pytest.mark.parametrize(
    "state",
    [
        MoodState(text="I want a good cry"),
        MoodState(text="  spaces kept  ", mode="lift", wish="none"),
        MoodState(text="x", wish="calm", emotion="joy", year_min=1990, year_max=2005, min_rating=7.5),
        MoodState(text="<b>html</b> & 😭", language="ja", hidden_gems=True, year_max=2000),
    ],
)
def test_a_state_survives_the_round_trip_through_the_url(state):
    assert parse_mood(mood_params(state), OPTIONS) == (state, ())


def test_defaults_stay_out_of_the_url():
    assert mood_params(MoodState(text="sad")) == {"q": "sad"}
    assert similar_params(SimilarState(film=19995)) == {"film": "19995"}
    assert similar_params(SimilarState(synopsis="a wizard", top_k=6)) == {"synopsis": "a wizard", "n": "6"}


def test_the_form_and_the_state_describe_each_other():
    state = mood_state("calm please", "lift", (1990, 2017), 6.5, "fr", True, OPTIONS)
    assert state == MoodState("calm please", "lift", year_min=1990, min_rating=6.5, language="fr", hidden_gems=True)
    widgets = mood_widgets(state, OPTIONS)
    assert widgets["mood_years"] == (1990, 2017) and widgets["mood_language"] == "fr"
    back = mood_state(
        widgets["mood_text"],
        widgets["mood_mode"],
        widgets["mood_years"],
        widgets["mood_rating"],
        widgets["mood_language"],
        widgets["mood_gems"],
        OPTIONS,
    )
    assert back == state
    assert mood_state("", None, (1916, 2017), 0.0, "any", False, OPTIONS) == MoodState()
    filters = state.filters()
    assert (filters.year_min, filters.year_max, filters.min_rating, filters.language) == (1990, None, 6.5, "fr")


@pytest.mark.parametrize(
    ("params", "ignored"),
    [
        ({"q": "sad", "mode": "evil"}, ("mode",)),
        ({"q": "sad", "wish": "<script>"}, ("wish",)),
        ({"q": "sad", "emotion": "rage", "lang": "zz"}, ("emotion", "lang")),
        ({"q": "sad", "from": "abc", "to": "99999"}, ("from", "to")),
        ({"q": "sad", "from": "1800"}, ("from",)),
        ({"q": "sad", "from": "2010", "to": "1990"}, ("from", "to")),
        ({"q": "sad", "rating": "nan"}, ("rating",)),
        ({"q": "sad", "rating": "11"}, ("rating",)),
        ({"q": "sad", "rating": "1e309"}, ("rating",)),
        ({"q": "sad", "gems": "maybe"}, ("gems",)),
        ({"q": "sad", "wish": "x" * 10_000}, ("wish",)),
    ],
)
def test_tampered_values_fall_back_to_their_defaults_and_are_named(params, ignored):
    state, names = parse_mood(params, OPTIONS)
    assert names == ignored
    assert state == MoodState(text="sad")
    assert ignored_note(names) is not None and all(n in ignored_note(names) for n in names)


def test_what_a_link_may_say_is_normalised():
    state, ignored = parse_mood(
        {"q": "sad", "mode": "LIFT", "wish": " Cry ", "from": "1916", "to": "2017", "rating": "7.3", "gems": "true"},
        OPTIONS,
    )
    assert ignored == ()
    assert state == MoodState("sad", "lift", "cry", year_min=None, year_max=None, min_rating=7.5, hidden_gems=True)
    assert parse_mood({"q": "x", "rating": "0"}, OPTIONS)[0].min_rating is None


def test_huge_repeated_or_odd_values_never_raise():
    state, _ = parse_mood({"q": "x" * 100_000}, OPTIONS)
    assert len(state.text) == MAX_MOOD_CHARS
    assert parse_mood({"q": ["first", "last"]}, OPTIONS)[0].text == "last"  # a repeated parameter: the last
    assert parse_mood({"q": 42, "mode": None, "from": ["1990"]}, OPTIONS) == (MoodState(year_min=1990), ())
    assert parse_mood({"q": "a\x00b"}, OPTIONS)[0].text == "ab"
    assert parse_mood({}, OPTIONS) == (MoodState(), ())


@pytest.mark.parametrize(
    ("params", "state", "ignored"),
    [
        ({"film": "19995"}, SimilarState(film=19995), ()),
        ({"film": "19995", "n": "6"}, SimilarState(film=19995, top_k=6), ()),
        ({"film": "abc"}, SimilarState(), ("film",)),
        ({"film": "-5"}, SimilarState(), ("film",)),
        ({"film": "0"}, SimilarState(), ("film",)),
        ({"film": "1" * 50}, SimilarState(), ("film",)),
        ({"film": "12", "synopsis": "a story"}, SimilarState(film=12), ("synopsis",)),
        ({"synopsis": "a story", "n": "1000"}, SimilarState(synopsis="a story"), ("n",)),
        ({"synopsis": "a story", "n": "2"}, SimilarState(synopsis="a story"), ("n",)),
        ({}, SimilarState(), ()),
    ],
)
def test_similar_links(params, state, ignored):
    assert parse_similar(params) == (state, ignored)
    assert parse_similar(similar_params(state)) == (state, ())


def test_a_huge_synopsis_is_cut_and_an_empty_state_asks_nothing():
    state, _ = parse_similar({"synopsis": "y" * 100_000})
    assert len(state.synopsis) == MAX_SYNOPSIS_CHARS and not state.empty
    assert SimilarState().empty and SimilarState(synopsis="   ").empty and not SimilarState(film=1).empty
    assert ignored_note(()) is None
