"""Per-label logit offsets tuned on the validation splits (a prior correction, 8 numbers).

Training subsamples GoEmotions' neutral and joy and weights rare labels up, so the learned
priors are off by design; a coordinate search over one offset per label, scored like epoch
selection, puts them back. Offsets are added to the head bias before export.
"""

from __future__ import annotations

import numpy as np

from .emotion_data import LABELS
from .emotion_metrics import score

GRID = np.round(np.arange(-1.5, 1.51, 0.1), 2)


def objective(offsets: np.ndarray, sets: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """dair-ai accuracy + GoEmotions accuracy + GoEmotions macro-F1 (same as epoch selection)."""
    (dl, dy), (gl, gy) = sets
    dair = score(dy.tolist(), dl + offsets)
    goem = score(gy.tolist(), gl + offsets)
    return dair.accuracy + goem.accuracy + goem.macro_f1


def tune_offsets(sets: list[tuple[np.ndarray, np.ndarray]], rounds: int = 3) -> np.ndarray:
    """Coordinate ascent; ties keep the smaller change so untouched labels stay at 0."""
    offsets = np.zeros(len(LABELS))
    best = objective(offsets, sets)
    for _ in range(rounds):
        improved = False
        for k in range(len(LABELS)):
            for value in sorted(GRID, key=abs):
                trial = offsets.copy()
                trial[k] = value
                got = objective(trial, sets)
                if got > best + 1e-9:
                    best, offsets, improved = got, trial, True
        if not improved:
            break
    return offsets
