"""Each film's emotional tone (funny, sad, tender, scary, ...) from its own text, made at build time.

Why: a genre is coarse (a Drama can be a war atrocity or a gentle family story), so a wish for a
good cry must not mean "every Drama". The film's tagline, keywords and overview are embedded
with the sentence encoder and compared with written descriptors of each tone (`wishes.json`);
per tone the similarities are standardised over the catalog, so a profile says how much more
(or less) of that tone a film has than the catalog's typical film.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from recommender.catalog.film import Film
from recommender.mood.wish import WishTable

TONE_TOP = 3  # a tone's similarity: the mean of the film's best 3 descriptor cosines
CARD_MIN_Z = 1.0  # a tone is named on a card when the film has at least this much more of it than usual
CARD_TONES = 2


def tone_text(film: Film) -> str:
    """What tone is read from: the tagline and keywords say the tone plainly, the overview tells it."""
    parts = []
    if film.tagline:
        parts.append(film.tagline.rstrip(".") + ".")
    if film.keywords:
        parts.append("Keywords: " + ", ".join(film.keywords[:12]) + ".")
    parts.append(film.overview)
    return " ".join(parts)


def descriptor_vectors(table: WishTable, encode: Callable[[list[str]], np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(encode(list(t.descriptors)), dtype=np.float32) for t in table.tones.values()]


def tone_similarity(film_vectors: np.ndarray, descriptors: Sequence[np.ndarray]) -> np.ndarray:
    """(n, tones): mean of each film's best TONE_TOP descriptor cosines per tone."""
    vecs = np.asarray(film_vectors, dtype=np.float32)
    out = np.empty((vecs.shape[0], len(descriptors)), dtype=np.float32)
    for j, d in enumerate(descriptors):
        sims = vecs @ d.T
        t = min(TONE_TOP, sims.shape[1])
        out[:, j] = np.sort(sims, axis=1)[:, -t:].mean(axis=1)
    return out


def standardise(similarity: np.ndarray) -> np.ndarray:
    """Per-tone z-scores over the catalog, clipped to [-4, 4]."""
    mean = similarity.mean(axis=0, keepdims=True)
    std = similarity.std(axis=0, keepdims=True)
    return np.clip((similarity - mean) / np.maximum(std, 1e-6), -4.0, 4.0).astype(np.float32)


def film_tones(
    films: Sequence[Film], table: WishTable, encode: Callable[..., np.ndarray], progress: bool = False
) -> np.ndarray:
    """(n, tones) z-scored tone profiles of `films` (the build's step); `encode(texts, progress=)`."""
    vectors = np.asarray(encode([tone_text(f) for f in films], progress=progress), dtype=np.float32)
    return standardise(tone_similarity(vectors, descriptor_vectors(table, encode)))


def tone_words(profiles: np.ndarray, table: WishTable) -> list[tuple[str, ...]]:
    """The cards' words for (k, tones) profiles: each one's strongest tones above CARD_MIN_Z ("tender, sad")."""
    adjectives = [t.adjective for t in table.tones.values()]
    profiles = np.atleast_2d(profiles)
    order = np.argsort(-profiles, axis=1)[:, :CARD_TONES]
    return [
        tuple(adjectives[j] for j in row if profile[j] >= CARD_MIN_Z) for row, profile in zip(order.tolist(), profiles)
    ]
