"""Good films by default: a Bayesian rating floor and a familiarity prior; "hidden gems" on request.

The rule (README "What is inside"): a film is shown by default when its Bayesian rating (its
own rating pulled toward the catalog mean by `m` = the catalog's median vote count) is at
least FLOOR and its own rating at least RAW_FLOOR; among those, films more people know and
like rank higher (familiarity = log votes, scaled to 0..1). Hidden gems: rated at least
GEM_RATING by at least GEM_MIN_VOTES people, but fewer than the catalog's median votes.
"""

from __future__ import annotations

import numpy as np

FLOOR = 6.0  # Bayesian rating, 0..10
RAW_FLOOR = 5.5  # the film's own rating
GEM_RATING = 7.0
GEM_MIN_VOTES = 20


def bayesian_quality(rating: np.ndarray, votes: np.ndarray, m: float | None = None) -> np.ndarray:
    """IMDb-style weighted rating in 0..1: few votes pull a film toward the catalog mean.

    WR = v/(v+m)·R + m/(v+m)·C, with C the vote-weighted mean rating and m (default) the
    catalog's median vote count among rated films.
    """
    rating = np.nan_to_num(np.asarray(rating, dtype=np.float64))
    votes = np.clip(np.nan_to_num(np.asarray(votes, dtype=np.float64)), 0, None)
    rated = votes > 0
    if not rated.any():
        return np.full(rating.shape, 0.5, dtype=np.float32)
    c = float(np.average(rating[rated], weights=votes[rated]))
    if m is None:
        m = float(np.median(votes[rated]))
    m = max(m, 1.0)
    wr = votes / (votes + m) * rating + m / (votes + m) * c
    return np.clip(wr / 10.0, 0.0, 1.0).astype(np.float32)


def familiarity(votes: np.ndarray) -> np.ndarray:
    """log(1 + votes) / log(1 + the catalog's 99th-percentile votes), clipped to 0..1."""
    v = np.clip(np.nan_to_num(np.asarray(votes, dtype=np.float64)), 0, None)
    top = float(np.percentile(v, 99)) if v.size else 1.0
    return np.clip(np.log1p(v) / np.log1p(max(top, 1.0)), 0.0, 1.0).astype(np.float32)


def good_films(rating: np.ndarray, votes: np.ndarray, quality: np.ndarray) -> np.ndarray:
    """The default pool: Bayesian rating >= FLOOR and own rating >= RAW_FLOOR."""
    return (quality * 10.0 >= FLOOR) & (np.nan_to_num(rating) >= RAW_FLOOR)


def hidden_gems(rating: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """Well rated (>= GEM_RATING, by >= GEM_MIN_VOTES people) but less known (< median votes)."""
    v = np.nan_to_num(np.asarray(votes, dtype=np.float64))
    rated = v > 0
    median = float(np.median(v[rated])) if rated.any() else 0.0
    return (np.nan_to_num(rating) >= GEM_RATING) & (v >= GEM_MIN_VOTES) & (v < max(median, GEM_MIN_VOTES + 1))
