"""Per-label logit offsets (a prior correction, 8 numbers), kept only where held-out data confirms them.

Training weights rare labels up (and may cap GoEmotions' largest classes), so the learned
priors can be off; a coordinate search over one offset per label, scored like epoch selection,
can put them back. But offsets tuned on a split also fit that split's noise: offsets tuned on the
whole validation sets once scored below no offsets on both test splits. So the search is first
cross-validated (tuned on one half of each validation set, scored on the other, both ways); the
offsets are kept only when they beat no offsets on every held-out half, and are zero otherwise.
They live in the model's config.json (`logit_offsets`); the runtime adds them to the logits.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from recommender.emotion.labels import LABELS
from recommender.emotion.training.metrics import score

GRID = np.round(np.arange(-2.0, 2.01, 0.1), 2)


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


Sets = list[tuple[np.ndarray, np.ndarray]]


def halves(sets: Sets, seed: int = 0) -> tuple[Sets, Sets]:
    """Each (logits, labels) set cut in two random halves, the same cut for every call."""
    first, second = [], []
    for logits, labels in sets:
        order = np.random.default_rng(seed).permutation(len(labels))
        a, b = order[: len(order) // 2], order[len(order) // 2 :]
        first.append((logits[a], labels[a]))
        second.append((logits[b], labels[b]))
    return first, second


def cross_validate(sets: Sets, seed: int = 0) -> list[dict[str, float]]:
    """Tune on one half, score on the other, both ways: held-out objective with and without offsets."""
    a, b = halves(sets, seed)
    folds = []
    for tune, held in ((a, b), (b, a)):
        offsets = tune_offsets(tune)
        folds.append(
            {
                "held_out_with": round(objective(offsets, held), 6),
                "held_out_without": round(objective(np.zeros(len(LABELS)), held), 6),
            }
        )
    return folds


def calibrate_folder(folder: Path, data_dir: Path) -> dict:
    """Offsets for the model in `folder`, written into its config.json: tuned on the whole
    validation splits when the cross-validation confirms them, else zero. Returns the offsets,
    the cross-validation and the scores before and after."""
    from recommender.emotion.classifier import OnnxEmotionClassifier
    from recommender.emotion.training.evaluate import validation_sets

    folder = Path(folder)
    config_path = folder / "config.json"
    config = json.loads(config_path.read_text())
    model = OnnxEmotionClassifier(folder)  # raw_logits are before any offsets already there
    sets, names = [], []
    for name, examples in validation_sets(data_dir).items():
        logits = np.stack([model.raw_logits(e.text) for e in examples])
        sets.append((logits, np.array([e.label for e in examples])))
        names.append(name)
    folds = cross_validate(sets)
    confirmed = all(f["held_out_with"] > f["held_out_without"] for f in folds)
    offsets = tune_offsets(sets) if confirmed else np.zeros(len(LABELS))
    config["logit_offsets"] = {label: round(float(v), 2) for label, v in zip(LABELS, offsets)}
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    return {
        "offsets": config["logit_offsets"],
        "objective": round(objective(offsets, sets), 6),
        "cross_validation": folds,
        "confirmed": confirmed,
        "before": {n: score(y.tolist(), lg).summary() for n, (lg, y) in zip(names, sets)},
        "after": {n: score(y.tolist(), lg + offsets).summary() for n, (lg, y) in zip(names, sets)},
    }
