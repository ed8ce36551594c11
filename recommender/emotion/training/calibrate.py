"""Per-label logit offsets tuned on the validation splits (a prior correction, 8 numbers).

Training weights rare labels up (and may cap GoEmotions' largest classes), so the learned
priors are off by design; a coordinate search over one offset per label, scored like epoch
selection, puts them back. The offsets live in the model's config.json (`logit_offsets`); the
runtime adds them to the logits. They are tuned on the int8 model actually shipped.
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


def calibrate_folder(folder: Path, data_dir: Path) -> dict:
    """Tune the offsets of the model in `folder` on the validation splits; write them into its
    config.json. Returns the offsets and the scores before and after."""
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
    offsets = tune_offsets(sets)
    config["logit_offsets"] = {label: round(float(v), 2) for label, v in zip(LABELS, offsets)}
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    return {
        "offsets": config["logit_offsets"],
        "objective": round(objective(offsets, sets), 6),
        "before": {n: score(y.tolist(), lg).summary() for n, (lg, y) in zip(names, sets)},
        "after": {n: score(y.tolist(), lg + offsets).summary() for n, (lg, y) in zip(names, sets)},
    }
