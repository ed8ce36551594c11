"""Synthetic catalogs of any size, resampled from the real one, for the scale benchmark.

Why: nothing shows how a request's cost grows with the catalog unless there are large
catalogs to measure, and embedding a million real overviews would take hours. Every synthetic
film copies one real film (drawn uniformly) and perturbs what the ranking reads, so the work
per request is what a catalog of that size would cost, while the real films stay the first
rows (the benchmark's queries still find their own films):

- vector: unit(v + noise), noise per dimension N(0, VECTOR_NOISE²) (mean cosine to the source ~0.93);
- TF-IDF row: each of the source's terms kept with probability TERM_KEEP, the row re-normalised;
- genres: the source's, or (probability GENRE_SWAP) another random film's;
- rating: source + N(0, 0.4) clipped to 0..10; votes and popularity: × lognormal(0, 0.7);
- year: source ± up to 5; tone profile: source + N(0, 0.3) (z units);
- title "<source title> #k", id 10,000,000 + row; overview, keywords, tagline shared with the source.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from recommender.catalog.film import Film
from recommender.search.vector_index import unit_rows

VECTOR_NOISE = 0.02  # per dimension; with 384 dimensions |noise| ~0.39, cosine ~0.93
TERM_KEEP = 0.8
GENRE_SWAP = 0.15
SYNTHETIC_ID_BASE = 10_000_000


@dataclass(frozen=True)
class ScaledCatalog:
    """What the build writes, for n films: films, TF-IDF rows, unit vectors, tone profiles."""

    films: list[Film]
    tfidf_rows: sp.csr_matrix
    vectors: np.ndarray  # (n, d) float16
    tones: np.ndarray  # (n, tones) float16
    sources: np.ndarray  # (n,) the real row each film copies (rows < n_real copy themselves)


def scaled_catalog(
    films: list[Film],
    tfidf: sp.csr_matrix,
    vectors: np.ndarray,
    tones: np.ndarray,
    n: int,
    seed: int = 0,
    chunk: int = 100_000,
) -> ScaledCatalog:
    """The real films, then n - len(films) resampled ones (module docstring: how)."""
    rng = np.random.default_rng(seed)
    n_real = len(films)
    n = max(int(n), n_real)
    sources = np.concatenate([np.arange(n_real), rng.integers(0, n_real, size=n - n_real)])
    extra = sources[n_real:]
    genre_from = np.where(rng.random(extra.size) < GENRE_SWAP, rng.integers(0, n_real, size=extra.size), extra)
    rating = np.clip(np.array([films[s].vote_average for s in extra]) + rng.normal(0, 0.4, extra.size), 0, 10)
    votes_scale = rng.lognormal(0.0, 0.7, extra.size)
    pop_scale = rng.lognormal(0.0, 0.7, extra.size)
    year_shift = rng.integers(-5, 6, extra.size)
    copies: dict[int, int] = {}
    out = list(films)
    for i, s in enumerate(extra.tolist()):
        src = films[s]
        copies[s] = copies.get(s, 0) + 1
        out.append(
            replace(
                src,
                movie_id=SYNTHETIC_ID_BASE + n_real + i,
                title=f"{src.title} #{copies[s]}",
                year=None if src.year is None else int(np.clip(src.year + year_shift[i], 1900, 2026)),
                genres=films[int(genre_from[i])].genres,
                vote_average=round(float(rating[i]), 1),
                vote_count=int(round(src.vote_count * votes_scale[i])),
                popularity=round(float(src.popularity * pop_scale[i]), 3),
                poster_path=None,
            )
        )
    d = vectors.shape[1]
    vecs = np.empty((n, d), dtype=np.float16)
    vecs[:n_real] = vectors
    tone_out = np.empty((n, tones.shape[1]), dtype=np.float16)
    tone_out[:n_real] = tones
    base = np.asarray(vectors, dtype=np.float32)
    for start in range(n_real, n, chunk):
        rows = sources[start : start + chunk]
        noisy = base[rows] + rng.normal(0.0, VECTOR_NOISE, size=(rows.size, d)).astype(np.float32)
        vecs[start : start + rows.size] = unit_rows(noisy)
        tone_out[start : start + rows.size] = tones[rows].astype(np.float32) + rng.normal(
            0.0, 0.3, size=(rows.size, tones.shape[1])
        ).astype(np.float32)
    return ScaledCatalog(out, _resampled_rows(tfidf, extra, rng), vecs, tone_out, sources)


def _resampled_rows(tfidf: sp.csr_matrix, extra: np.ndarray, rng: np.random.Generator) -> sp.csr_matrix:
    """The real rows, then for each extra film its source's row with terms dropped, L2 rows."""
    m = sp.csr_matrix(tfidf, dtype=np.float32)
    copied = m[extra]
    keep = rng.random(copied.nnz) < TERM_KEEP
    copied.data = copied.data * keep
    copied.eliminate_zeros()
    norms = np.sqrt(np.asarray(copied.multiply(copied).sum(axis=1)).ravel())
    copied = sp.csr_matrix(sp.diags(1.0 / np.maximum(norms, 1e-12)).astype(np.float32) @ copied)
    return sp.csr_matrix(sp.vstack([m, copied], format="csr"), dtype=np.float32)
