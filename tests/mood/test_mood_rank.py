"""Mood ranking arithmetic on a small hand-made catalog (the real one is used in test_service)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.catalog.film import FILM_COLUMNS
from recommender.catalog.lookup import Catalog
from recommender.mood.genre_table import ScoreWeights
from recommender.mood.rank import FilmTable, MoodFilters, bayesian_quality, rank_mood


def film(movie_id, title, genres, year=2000, rating=7.0, votes=1000, lang="en"):
    row = dict.fromkeys(FILM_COLUMNS)
    row.update(
        movie_id=movie_id,
        title=title,
        overview=f"{title} overview",
        year=year,
        genres=tuple(genres),
        vote_average=rating,
        vote_count=votes,
        popularity=1.0,
        original_language=lang,
        keywords=(),
        tagline="",
        runtime=100.0,
        poster_path=None,
    )
    return row


@pytest.fixture
def table() -> FilmTable:
    frame = pd.DataFrame(
        [
            film(1, "Pure Comedy", ["Comedy"]),
            film(2, "Comedy Drama", ["Comedy", "Drama"], year=1985),
            film(3, "Horror", ["Horror"], rating=8.0, lang="fr"),
            film(4, "Obscure Comedy", ["Comedy"], rating=10.0, votes=1),
            film(5, "No Year Comedy", ["Comedy"], year=None),
        ]
    )
    return FilmTable(Catalog(frame))


def test_bayesian_quality_shrinks_few_votes_to_the_mean():
    q = bayesian_quality(np.array([10.0, 6.0, 8.0]), np.array([1, 1000, 1000]))
    assert q[0] < 0.8  # one 10/10 vote is not a masterpiece
    assert q[2] > q[1]
    assert np.all((q >= 0) & (q <= 1))
    assert bayesian_quality(np.array([5.0]), np.array([0]))[0] == pytest.approx(0.5)


def test_genre_fit_prefers_pure_matches(table):
    fit = table.genre_fit({"Comedy": 1.0})
    assert fit[0] == pytest.approx(1.0)
    assert 0.7 <= fit[1] < fit[0]
    assert fit[2] == 0.0


def test_filters(table):
    assert table.mask(MoodFilters(year_min=1990)).tolist() == [True, False, True, True, False]
    assert table.mask(MoodFilters(language="FR")).tolist() == [False, False, True, False, False]
    assert table.mask(MoodFilters(min_votes=10, min_rating=7.5)).tolist() == [False, False, True, False, False]


def test_rank_only_candidates_with_genre_weight_best_first(table):
    text = np.array([0.0, 0.5, 0.9, 0.0, 0.0], dtype=np.float32)
    ranked = rank_mood(table, {"Comedy": 1.0}, text, MoodFilters(), 10, ScoreWeights())
    rows = [r.row for r in ranked]
    assert 2 not in rows and len(rows) == 4
    assert rows[0] == 1  # text match (scaled to 1 among candidates) beats the pure genre fit
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert ranked[0].text == pytest.approx(1.0)
    assert rank_mood(table, {}, text, MoodFilters(), 10, ScoreWeights()) == []
    assert len(rank_mood(table, {"Comedy": 1.0}, None, MoodFilters(), 2, ScoreWeights())) == 2
