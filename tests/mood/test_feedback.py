"""The feedback term (mood.feedback) on the real catalog's signals (the session fixture `rec`)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError

import numpy as np
import pytest

from recommender.mood.feedback import FeedbackWeights, feedback_scores, resemblance
from recommender.mood.rank import MoodFilters
from recommender.mood.ranking import rank_for_mood
from recommender.mood.target import MoodTarget


def _row(rec, title: str) -> int:
    return rec.catalog.find_title(title, limit=1)[0]


def test_no_feedback_is_no_term(rec):
    assert feedback_scores(rec.signals, [], []) is None
    assert feedback_scores(rec.signals, [-1, 10**9], []) is None  # rows outside the catalog are ignored


def test_resemblance_of_a_film_to_itself_is_full(rec):
    row = _row(rec, "Toy Story")
    story, tone, genres = resemblance(rec.signals, [row])
    assert story.shape == tone.shape == genres.shape == (len(rec.catalog), 1)
    assert story[row, 0] == pytest.approx(1.0, abs=1e-3) and tone[row, 0] == pytest.approx(1.0, abs=1e-3)
    assert genres[row, 0] == pytest.approx(1.0)
    assert 0.0 <= genres.min() and genres.max() <= 1.0


def test_a_like_pulls_up_the_films_that_resemble_it(rec):
    liked = _row(rec, "Toy Story")
    adjust = feedback_scores(rec.signals, [liked], [])
    w = FeedbackWeights()
    assert adjust.shape == (len(rec.catalog),) and adjust.dtype == np.float32
    assert np.abs(adjust).max() <= w.like + 1e-5  # z-scored and clipped: comparable with the other terms
    assert adjust[liked] >= np.quantile(adjust, 0.999)
    for sibling in ("Toy Story 2", "Toy Story 3"):
        assert adjust[_row(rec, sibling)] > np.quantile(adjust, 0.99)
    story = rec.signals.vectors @ rec.signals.vectors[liked]
    assert np.corrcoef(adjust, story)[0, 1] > 0.6  # by resemblance, not only the film itself


def test_a_dislike_only_pushes_down_what_resembles_it(rec):
    disliked = _row(rec, "Grown Ups 2")
    adjust = feedback_scores(rec.signals, [], [disliked])
    assert adjust.max() <= 0.0 and adjust[disliked] == adjust.min()
    assert adjust[_row(rec, "Grown Ups")] < np.quantile(adjust, 0.02)
    assert adjust[_row(rec, "Schindler's List")] > adjust[_row(rec, "Grown Ups")]
    assert np.count_nonzero(adjust == 0.0) > len(adjust) // 4  # films unlike it are left alone


def test_repeats_count_once_and_likes_and_dislikes_add(rec):
    up, down = _row(rec, "Toy Story"), _row(rec, "Grown Ups 2")
    once = feedback_scores(rec.signals, [up], [down])
    assert np.array_equal(once, feedback_scores(rec.signals, [up, up], [down, down]))
    both = feedback_scores(rec.signals, [up], []) + feedback_scores(rec.signals, [], [down])
    assert np.allclose(once, both, atol=1e-6)


def test_weights_are_frozen_and_scale_the_term(rec):
    with pytest.raises(FrozenInstanceError):
        FeedbackWeights().like = 2.0  # type: ignore[misc]
    row = _row(rec, "Toy Story")
    base = feedback_scores(rec.signals, [row], [])
    double = feedback_scores(rec.signals, [row], [], FeedbackWeights(like=2 * FeedbackWeights().like))
    assert np.allclose(double, 2 * base, atol=1e-5)


def test_rank_for_mood_without_adjust_is_the_default_ranking_and_with_it_moves(rec):
    target = MoodTarget({"Comedy": 1.0}, {"funny": 1.0}, "laugh", ())
    plain = rank_for_mood(rec.signals, target, None, None, MoodFilters(), 10, seed=7)
    zeros = rank_for_mood(rec.signals, target, None, None, MoodFilters(), 10, seed=7, adjust=np.zeros(len(rec.catalog)))
    assert [r.row for r in plain] == [r.row for r in zeros]
    liked = plain[5].row
    moved = rank_for_mood(
        rec.signals, target, None, None, MoodFilters(), 10, seed=7, adjust=feedback_scores(rec.signals, [liked], [])
    )
    vectors = rec.signals.vectors
    closeness = [float(np.mean([vectors[r.row] @ vectors[liked] for r in ranked])) for ranked in (plain, moved)]
    assert closeness[1] > closeness[0]
