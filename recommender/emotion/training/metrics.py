"""Accuracy, macro-F1 and the confusion matrix, in numpy (no scikit-learn needed at run time)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from recommender.emotion.labels import LABELS


@dataclass(frozen=True)
class Scores:
    accuracy: float
    macro_f1: float
    per_label_f1: dict[str, float]
    confusion: list[list[int]]  # rows: true label, columns: predicted, in LABELS order
    n: int

    def summary(self) -> dict:
        return {"accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4), "n": self.n}


def score(y_true: list[int], probs: np.ndarray) -> Scores:
    """Macro-F1 averages over the labels present in `y_true` (dair-ai has 6 of our 8)."""
    y = np.asarray(y_true)
    pred = np.asarray(probs).argmax(1)
    k = len(LABELS)
    conf = np.zeros((k, k), dtype=int)
    np.add.at(conf, (y, pred), 1)
    present = [i for i in range(k) if conf[i].sum()]
    f1 = {}
    for i in present:
        tp = conf[i, i]
        prec = tp / conf[:, i].sum() if conf[:, i].sum() else 0.0
        rec = tp / conf[i].sum()
        f1[LABELS[i]] = float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0
    return Scores(
        accuracy=float((pred == y).mean()),
        macro_f1=float(np.mean(list(f1.values()))),
        per_label_f1=f1,
        confusion=conf.tolist(),
        n=int(len(y)),
    )
