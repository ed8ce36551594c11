"""The mood score's terms and their mix, and the diversity re-rank.

score = genre·fit(target genres, signed) + tone·(tone fit: FilmSignals.tone_fit)
      + meaning·z(cosine(mood text, film vector)) + words·(TF-IDF on the text's concrete words)
      + quality·(Bayesian rating) + familiarity·(log votes)
then each next film is the best remaining one after a penalty for resembling (film vectors)
the films already picked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.mood.signals import FilmSignals, GenreView, zscore
from recommender.mood.target import MoodTarget


@dataclass(frozen=True)
class RankWeights:
    """Mix of the score terms and of the re-rank. Chosen on eval/mood_tune.json only (grids over
    meaning, hub, dither, gate, familiarity, quality, diversity, words, tone); the dev set stays for
    reporting. Tone 1.0 rather than 0.6: the lists fit the wish's tone (tearjerkers for a good cry,
    not every well-known Drama) at the price of less variety (tune set: distinct 0.69 -> 0.62,
    precision 0.946 -> 0.951, median votes 590 -> 570, still 3x the baseline's). Since unwanted tones
    only count against (FilmSignals.tone_fit), tone 1.0 gives on the tune set / eval/mood_tune2.json:
    precision 0.960 -> 0.958 / 0.893 -> 0.899, median votes 3.0x -> 3.6x / 2.9x -> 3.4x the
    baseline's, distinct 0.621 -> 0.648 / 0.594 -> 0.613 (tone 0.8: a little more variety, 1.2: less).
    Concrete words 0.6 -> 2.0 with familiarity 0.5 -> 0.8 and the films near the text let past
    the genre gate (near), on eval/mood_topics_tune.json: topic hits@10 0.200 -> 0.477, precision
    0.908 -> 0.928, distinct 0.763 -> 0.852, median votes 3.5x -> 3.0x the baseline's; on the
    three mood tuning sets precision within 0.004 and median votes and distinct up (words 3.0: more
    topic hits, fewer well-known films)."""

    genre: float = 1.0
    tone: float = 1.0
    meaning: float = 1.6
    words: float = 2.0
    quality: float = 0.3
    familiarity: float = 0.8
    # films this close to the text (the meaning term's cap: 3 sd above the pool's mean) pass the
    # genre gate: a text about a puppy reaches dog films the mood's genres would leave out; > 1: off
    near: float = 0.99
    diversity: float = 0.7  # penalty per unit of cosine to the closest film already picked
    hub: float = 1.0  # how much of a film's closeness to every mood text (hubness) is taken off its meaning
    dither: float = 0.2  # scale of the text-seeded Gumbel noise added before the re-rank
    gate: float = 0.7  # only films with a genre >= gate x the top wanted weight (and none <= -gate)
    pool: int = 40  # films considered by the re-rank
    # from this many films on, only a shortlist is scored (mood.shortlist; README "Scale")
    shortlist_from: int = 50_000


def mood_scores(
    signals: FilmSignals,
    target: MoodTarget,
    genres: GenreView,
    query: np.ndarray | None,
    word_scores: np.ndarray | None,
    keep: np.ndarray,
    w: RankWeights,
    gems: bool = False,
    topic: float = 1.0,
    rows: np.ndarray | None = None,
    z_rows: np.ndarray | None = None,
    remember: bool = False,
) -> dict[str, np.ndarray]:
    """Every term for every film (terms are comparable: about -1..1), and their weighted sum.

    With `rows` (a shortlist), only those films: `genres`, `word_scores` and `keep` are theirs,
    and the meaning cosines are z-scored against the pool rows `z_rows` instead of `keep`.
    `remember`: the text's meaning cosines may come from, and go to, the signals' memo."""
    t = signals.table

    def take(a: np.ndarray) -> np.ndarray:
        return a if rows is None else a[rows]

    n = len(t) if rows is None else rows.size
    tone = signals.tone_fit(target.tones, rows)
    score = w.genre * genres.fit + w.tone * tone + w.quality * take(signals.quality_term)
    score += w.familiarity * take(signals.unfamiliarity if gems else t.familiarity)  # gems: less known is better
    meaning = np.zeros(n, dtype=np.float32)
    if query is not None and rows is None:
        cosines = signals.remembered_meaning(query, w.hub) if remember else signals.meaning_cosines(query, w.hub)
        meaning = zscore(cosines, keep)
    elif query is not None and rows is not None and z_rows is not None:
        cos = signals.meaning_cosines(query, w.hub, np.concatenate([rows, z_rows]))
        reference = np.zeros(cos.size, dtype=bool)
        reference[rows.size :] = True
        meaning = zscore(cos, reference)[: rows.size]
    if query is not None:
        score += w.meaning * topic * meaning  # a text that only states a wish or a feeling names no topic
    words = np.zeros(n, dtype=np.float32)
    if word_scores is not None:
        top = float(word_scores[keep].max()) if keep.any() else 0.0
        if top > 0:
            words = np.asarray(word_scores, dtype=np.float32) / np.float32(top)
            score += w.words * words
    return {
        "score": score,
        "fit": genres.fit,
        "tone": tone,
        "meaning": meaning,
        "words": words,
        "quality": take(t.quality),
    }


def with_near(
    keep: np.ndarray, allowed: np.ndarray, genres: GenreView, meaning: np.ndarray, w: RankWeights
) -> np.ndarray:
    """`keep` plus the allowed films nearest the text by meaning (w.near) with no clashing genre."""
    if w.near > 1.0:
        return keep
    return keep | (allowed & ~genres.clashing() & (meaning >= np.float32(w.near)))


def diverse_top(
    score: np.ndarray, keep: np.ndarray, vectors: np.ndarray, k: int, w: RankWeights
) -> list[tuple[int, float]]:
    """Greedy re-rank of the best `pool` rows: each pick maximises score − diversity·max cos to
    the picks so far. Returns (row, that value); the values never increase down the list."""
    rows = np.flatnonzero(keep)
    if rows.size == 0 or k <= 0:
        return []
    pool_n = min(rows.size, max(w.pool, k))
    part = rows[np.argpartition(-score[rows], pool_n - 1)[:pool_n]] if rows.size > pool_n else rows
    part = part[np.lexsort((part, -score[part]))]
    vecs = vectors[part] * np.float32(w.diversity)
    plain = vectors[part]
    value = score[part].astype(np.float32)
    penalty = np.zeros(len(part), dtype=np.float32)
    picks: list[tuple[int, float]] = []
    for _ in range(min(k, len(part))):
        i = int(np.argmax(value - penalty))
        picks.append((int(part[i]), float(value[i] - penalty[i])))
        value[i] = -np.inf
        np.maximum(penalty, vecs @ plain[i], out=penalty)
    return picks
