"""The session's 👍 / 👎 (ui.feedback.Feedback): toggles, one side per film, bounded, its summary line."""

from __future__ import annotations

from recommender.ui.feedback import MAX_FILMS, Feedback


def test_like_and_dislike_toggle_and_a_film_is_on_one_side_only():
    fb = Feedback().like(1).like(2)
    assert fb == Feedback(liked=(1, 2))
    assert fb.like(1) == Feedback(liked=(2,))  # a second 👍 takes it back
    assert fb.dislike(1) == Feedback(liked=(2,), disliked=(1,))
    assert fb.dislike(1).like(1) == Feedback(liked=(2, 1))
    assert fb.dislike(3).dislike(3) == fb
    assert Feedback().empty and not fb.empty


def test_feedback_is_bounded_oldest_out():
    fb = Feedback()
    for m in range(MAX_FILMS + 5):
        fb = fb.dislike(m)
    assert len(fb.disliked) == MAX_FILMS and fb.disliked[0] == 5 and fb.disliked[-1] == MAX_FILMS + 4


def test_summary_names_the_latest_films_escaped():
    titles = {1: "Up", 2: "Heat", 3: "Se7en", 4: "Alien", 5: "Grown Ups 2", 6: "*Bold* <b>"}
    assert Feedback().summary(titles.get) is None
    assert Feedback(liked=(1,)).summary(titles.get) == "More like *Up*"
    assert Feedback(disliked=(5,)).summary(titles.get) == "Less like *Grown Ups 2*"
    line = Feedback(liked=(1, 2, 3, 4), disliked=(5,)).summary(titles.get)
    assert line == "More like *Alien*, *Se7en*, *Heat* and 1 more; less like *Grown Ups 2*"
    assert Feedback(liked=(6,)).summary(titles.get) == "More like *\\*Bold\\* \\<b\\>*"
    assert Feedback(liked=(99,)).summary(titles.get) is None  # unknown ids are not named
