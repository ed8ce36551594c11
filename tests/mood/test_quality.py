"""The quality prior: Bayesian rating floor, familiarity, hidden gems (small synthetic catalogs)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.mood.quality import (
    FLOOR,
    GEM_MIN_VOTES,
    GEM_RATING,
    RAW_FLOOR,
    bayesian_quality,
    familiarity,
    good_films,
    hidden_gems,
)


def test_bayesian_quality_with_an_explicit_prior_weight():
    rating = np.array([9.0, 6.0])
    votes = np.array([100, 300])
    c = (9.0 * 100 + 6.0 * 300) / 400  # vote-weighted catalog mean: 6.75
    q = bayesian_quality(rating, votes, m=100)
    assert q[0] == pytest.approx((0.5 * 9.0 + 0.5 * c) / 10, abs=1e-6)  # v == m: halfway to the mean
    assert q[1] == pytest.approx((0.75 * 6.0 + 0.25 * c) / 10, abs=1e-6)


def test_bayesian_quality_pulls_low_vote_films_toward_the_mean():
    rating = np.array([9.0, 9.0, 6.0, 6.5, 6.0, 6.2])
    votes = np.array([3, 5000, 400, 800, 1200, 600])
    c = float(np.average(rating, weights=votes))
    q = bayesian_quality(rating, votes) * 10
    few, many = q[0], q[1]
    assert c < few < 9.0  # pulled toward the mean, not past it
    assert few < many <= 9.0
    assert abs(few - c) < abs(many - c)
    low = bayesian_quality(np.array([2.0, 7.0, 7.0]), np.array([2, 1000, 1000])) * 10
    assert 2.0 < low[0] < 7.0 and low[0] > 5.0  # a low rating by two people is not a disaster either


def test_bayesian_quality_edge_cases():
    q = bayesian_quality(np.array([np.nan, 7.0]), np.array([np.nan, 0]))
    assert np.allclose(q, 0.5)  # nobody has voted: neutral
    q = bayesian_quality(np.array([10.0, 0.0, 5.0]), np.array([10_000, 10_000, 1]))
    assert np.all((q >= 0) & (q <= 1))


def _catalog(extra_rating, extra_votes):
    """A catalog of middling, fairly known films plus the films under test (appended at the end)."""
    rating = np.concatenate([np.full(40, 6.5), extra_rating])
    votes = np.concatenate([np.linspace(300, 900, 40), extra_votes])
    return rating, votes


def test_good_films_floor():
    rating, votes = _catalog(np.array([5.0, 7.5, 9.5, 5.0]), np.array([8000, 8000, 2, 2]))
    quality = bayesian_quality(rating, votes)
    good = good_films(rating, votes, quality)
    bad, fine, one_fan, low_few = good[-4:]
    assert not bad  # 5.0 by many people stays out
    assert fine  # 7.5 by many people is in
    assert good[:40].all()  # 6.5 by hundreds clears FLOOR (6.0)
    assert quality[-2] * 10 < 9.5  # two fans do not make a masterpiece
    assert one_fan  # ...but it is judged near the catalog mean (about 6.4 here), over FLOOR
    # 5.0 by two people: the prior lifts its Bayesian rating over FLOOR, but its own rating is
    # under RAW_FLOOR, so it stays out
    assert quality[-1] * 10 >= FLOOR and rating[-1] < RAW_FLOOR
    assert not low_few


def test_hidden_gems():
    rating, votes = _catalog(
        np.array([7.8, 8.2, 9.0, 6.0, GEM_RATING]),
        np.array([40, 20_000, 5, 40, GEM_MIN_VOTES]),
    )
    gems = hidden_gems(rating, votes)
    gem, famous, five_votes, middling, at_the_bar = gems[-5:]
    assert gem  # well rated by 40 people, fewer than the catalog's median
    assert not famous  # well rated but widely known
    assert not five_votes  # too few votes to trust
    assert not middling  # not rated highly enough
    assert at_the_bar  # GEM_RATING by GEM_MIN_VOTES people: just in
    assert not gems[:40].any()  # the middling filler is no gem


def test_familiarity_is_monotonic_and_bounded():
    votes = np.array([0, 1, 5, 20, 100, 1000, 5000, 20_000, 50_000])
    fam = familiarity(votes)
    assert fam.shape == votes.shape
    assert np.all((fam >= 0) & (fam <= 1))
    assert np.all(np.diff(fam) >= 0)
    assert fam[0] == 0.0 and fam[-1] == pytest.approx(1.0)
    assert fam[3] < fam[5]  # strictly more known
    shuffled = np.array([1000, 0, 50_000, 20])
    f = familiarity(shuffled)
    assert f[1] < f[3] < f[0] <= f[2]
