"""The k best rows of a score array: the one top-k every ranking here shares (ties: lower row)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def top_rows(scores: np.ndarray, k: int, exclude: Iterable[int] = ()) -> np.ndarray:
    """Rows of the k highest scores (best first), skipping `exclude`; ties by lower row."""
    scores = np.asarray(scores, dtype=np.float32)
    excl = [r for r in exclude if 0 <= r < scores.size]
    if excl:
        scores = scores.copy()
        scores[excl] = -np.inf
    k = max(0, min(k, scores.size - len(excl)))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < scores.size else np.arange(scores.size)
    return part[np.lexsort((part, -scores[part]))]
