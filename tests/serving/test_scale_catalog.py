"""Synthetic catalogs for the scale benchmark: the real films first, every copy perturbed."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.serving.scale_catalog import SYNTHETIC_ID_BASE, scaled_catalog


def test_scaled_catalog_copies_and_perturbs_the_real_one(rec):
    films = rec.catalog.films()
    real_vectors = rec.index.vectors.astype(np.float16)
    n = len(films) + 3_000
    made = scaled_catalog(films, rec.tfidf.matrix, real_vectors, rec.artifacts.tones.astype(np.float16), n, seed=1)
    assert len(made.films) == made.vectors.shape[0] == made.tfidf_rows.shape[0] == made.tones.shape[0] == n
    assert made.films[: len(films)] == films and np.array_equal(made.vectors[: len(films)], real_vectors)
    ids = [f.movie_id for f in made.films]
    assert len(set(ids)) == n and min(ids[len(films) :]) >= SYNTHETIC_ID_BASE
    extra = made.sources[len(films) :]
    assert extra.min() >= 0 and extra.max() < len(films) and np.unique(extra).size > 1_000  # drawn, not one film
    vecs = made.vectors[len(films) :].astype(np.float32)
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=2e-3)
    cos = np.einsum("ij,ij->i", vecs, rec.index.vectors[extra])
    assert 0.85 < cos.mean() < 0.99  # near its source, not a copy
    rows = sp.csr_matrix(made.tfidf_rows)[len(films) :]
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert np.all((np.abs(norms - 1) < 1e-3) | (norms == 0))
    kept = rows.getnnz(axis=1).sum() / sp.csr_matrix(rec.tfidf.matrix)[extra].getnnz(axis=1).sum()
    assert 0.7 < kept < 0.9  # about TERM_KEEP of the source's words
    ratings = np.array([f.vote_average for f in made.films[len(films) :]])
    assert ratings.min() >= 0 and ratings.max() <= 10
    assert sum(f.genres != films[s].genres for f, s in zip(made.films[len(films) :], extra)) > 100  # some swapped
