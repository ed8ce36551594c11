"""Film tone profiles: the arithmetic on small vectors, and properties the built tones must have."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import need
from recommender.catalog.film import Film
from recommender.mood.tone import CARD_MIN_Z, CARD_TONES, standardise, tone_similarity, tone_text, tone_words
from recommender.mood.wish import default_wish_table
from support.films import make_film


def test_standardise_centres_and_scales_each_column():
    rng = np.random.default_rng(7)
    sims = np.column_stack([rng.normal(0.3, 0.05, 500), rng.normal(-0.1, 0.2, 500), rng.uniform(0, 1, 500)])
    z = standardise(sims)
    assert z.shape == sims.shape and z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-3)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=1e-2)
    # the order within a column is kept
    assert np.array_equal(np.argsort(z[:, 1], kind="stable"), np.argsort(sims[:, 1], kind="stable"))


def test_standardise_clips_outliers_and_survives_a_constant_column():
    outlier = np.zeros((100, 2))
    outlier[0, 0] = 1000.0  # z of about 9.95 unclipped
    outlier[:, 1] = 0.4  # no spread at all
    z = standardise(outlier)
    assert z[0, 0] == pytest.approx(4.0)
    assert z.max() <= 4.0 and z.min() >= -4.0
    assert np.all(np.isfinite(z))
    np.testing.assert_allclose(z[:, 1], 0.0, atol=1e-6)


def test_tone_similarity_is_the_mean_of_the_best_three_descriptors():
    films = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    tone_a = np.array([[0.9, 0.1, 0], [0.1, 0.8, 0], [0.5, 0.3, 0], [0.7, 0.0, 0]], dtype=np.float32)
    tone_b = np.array([[0.2, 0.6, 0], [0.4, 0.2, 0]], dtype=np.float32)  # fewer than 3: mean of all
    sim = tone_similarity(films, [tone_a, tone_b])
    assert sim.shape == (2, 2)
    np.testing.assert_allclose(sim[0], [(0.9 + 0.7 + 0.5) / 3, (0.2 + 0.4) / 2], atol=1e-6)
    np.testing.assert_allclose(sim[1], [(0.8 + 0.3 + 0.1) / 3, (0.6 + 0.2) / 2], atol=1e-6)


def _profile(**z: float) -> np.ndarray:
    table = default_wish_table()
    out = np.zeros(len(table.tone_ids), dtype=np.float32)
    for tone, value in z.items():
        out[table.tone_ids.index(tone)] = value
    return out


def test_tone_words_names_the_strongest_tones_above_the_threshold():
    table = default_wish_table()
    adj = {t: table.tones[t].adjective for t in table.tone_ids}
    assert CARD_TONES == 2
    words = tone_words(_profile(sad=1.5, funny=2.5, tender=1.2, scary=-3.0), table)
    assert words == [(adj["funny"], adj["sad"])]  # at most two, strongest first
    assert tone_words(_profile(tender=CARD_MIN_Z, calm=CARD_MIN_Z - 0.01), table) == [(adj["tender"],)]
    assert tone_words(_profile(dark=CARD_MIN_Z - 0.1), table) == [()]
    assert tone_words(_profile(), table) == [()]
    rows = np.stack([_profile(funny=2.0), _profile(), _profile(sad=1.1)])
    assert tone_words(rows, table) == [(adj["funny"],), (), (adj["sad"],)]  # one tuple per film, in order


def _film(**kw) -> Film:
    return make_film(**{"overview": "A shy baker enters a contest.", "genres": ("Comedy",), "runtime": 90.0, **kw})


def test_tone_text_has_tagline_keywords_and_overview():
    text = tone_text(_film(tagline="Bake or break.", keywords=("baking", "competition", "friendship")))
    assert "Bake or break" in text
    for word in ("baking", "competition", "friendship"):
        assert word in text
    assert text.endswith("A shy baker enters a contest.")
    assert text.index("Bake") < text.index("baking") < text.index("shy baker")
    plain = tone_text(_film())
    assert plain == "A shy baker enters a contest."  # nothing else to add
    many = tone_text(_film(keywords=tuple(f"kw{i}" for i in range(20))))
    assert "kw11" in many and "kw12" not in many  # the first 12 keywords only


# ---- the built artifacts ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def artifacts():
    try:
        from recommender.artifacts import load_artifacts

        loaded = load_artifacts(use_annoy=False)
    except Exception:  # noqa: BLE001 - missing or stale artifacts skip locally, fail in CI
        loaded = None
    need("built artifacts (python -m recommender build)", loaded is not None and loaded.tones is not None)
    return loaded


def test_stored_tones_one_row_per_film_in_the_wish_tables_tones(artifacts):
    tones = artifacts.tones
    assert tones.shape == (len(artifacts.catalog), len(artifacts.tone_ids))
    assert artifacts.tone_ids == default_wish_table().tone_ids
    assert np.all(np.isfinite(tones))
    assert tones.min() >= -4.0 - 1e-3 and tones.max() <= 4.0 + 1e-3  # z-scores, clipped
    np.testing.assert_allclose(tones.mean(axis=0), 0.0, atol=0.05)  # standardised over this catalog


def _mean_z_by_genre(artifacts, genre: str, tone: str) -> tuple[float, float]:
    catalog = artifacts.catalog
    has = np.array([genre in catalog.film(i).genres for i in range(len(catalog))])
    assert 0 < has.sum() < len(has)
    z = artifacts.tones[:, artifacts.tone_ids.index(tone)]
    return float(z[has].mean()), float(z[~has].mean())


@pytest.mark.parametrize(("genre", "tone"), [("Horror", "scary"), ("Comedy", "funny"), ("Family", "family")])
def test_tone_agrees_with_the_films_genre(artifacts, genre, tone):
    inside, outside = _mean_z_by_genre(artifacts, genre, tone)
    assert inside > outside
