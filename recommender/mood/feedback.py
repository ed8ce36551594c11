"""A session's 👍 / 👎 as one score term: toward the films liked, away from the films disliked.

Why by resemblance and not only by removal: a 👎 on a loud comedy says "less like this", so the
films that resemble it (story, tone, genres) should sink too, and a 👍 should pull up the films
that resemble the liked one. Each resemblance is z-scored over the catalog and clipped to ±1,
like the ranking's other terms, so the weights below compare with theirs (mood.ranking).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from recommender.mood.signals import zscore

if TYPE_CHECKING:
    from recommender.mood.signals import FilmSignals


@dataclass(frozen=True)
class FeedbackWeights:
    """How far feedback moves a list.

    `like` / `dislike` weigh the pull and the push against the mood score's terms (genre fit 1.0,
    tone 1.0, meaning 1.6, each about -1..1): at 1.2 a liked film's closest neighbours gain about
    as much as a fitting genre, so one click visibly changes the next list (more of its kind)
    while the mood still decides what is in the pool at all. `story`, `tone` and `genres` share
    each side between the three resemblances (they sum to 1): the story (film vectors) says most,
    the tone and the genres keep a liked comedy's pull on comedies of the same kind. The push
    counts only resemblance (the positive side): films unlike the disliked one gain nothing
    from that alone. `similar` scales the term for similar films, whose fused scores span only
    0..1 over the candidate pool; there it reorders close stories without replacing them."""

    like: float = 1.2
    dislike: float = 1.2
    story: float = 0.5
    tone: float = 0.25
    genres: float = 0.25
    similar: float = 0.3


def resemblance(signals: FilmSignals, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, len(rows)) each: cosine of the film vectors, cosine of the tone profiles, and the
    Jaccard overlap of the genre sets, of every film with each film in `rows`."""
    idx = np.asarray(list(rows), dtype=np.intp)
    story = signals.vectors @ signals.vectors[idx].T
    tones = signals.unit_tones
    tone = tones @ tones[idx].T
    g = signals.table.genres
    shared = g @ g[idx].T
    union = signals.table.genre_count[:, None] + signals.table.genre_count[idx][None, :] - shared
    genres = np.where(union > 0, shared / np.maximum(union, 1.0), 0.0).astype(np.float32)
    return story.astype(np.float32), tone.astype(np.float32), genres


def feedback_scores(
    signals: FilmSignals,
    liked: Sequence[int],
    disliked: Sequence[int],
    w: FeedbackWeights = FeedbackWeights(),
) -> np.ndarray | None:
    """(n,) per-film adjustment for catalog rows `liked` and `disliked`; None without feedback.

    + like × Σ share·z(mean resemblance to the liked films)
    − dislike × Σ share·max(0, z(max resemblance to any disliked film))
    """
    n = len(signals.table)
    everyone = np.ones(n, dtype=bool)
    liked = [r for r in dict.fromkeys(liked) if 0 <= r < n]
    disliked = [r for r in dict.fromkeys(disliked) if 0 <= r < n]
    if not liked and not disliked:
        return None
    shares = (w.story, w.tone, w.genres)
    out = np.zeros(n, dtype=np.float32)
    if liked:
        for share, sims in zip(shares, resemblance(signals, liked)):
            out += np.float32(w.like * share) * zscore(sims.mean(axis=1), everyone)
    if disliked:
        for share, sims in zip(shares, resemblance(signals, disliked)):
            out -= np.float32(w.dislike * share) * np.clip(zscore(sims.max(axis=1), everyone), 0.0, None)
    return out
