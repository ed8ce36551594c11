"""Logit offsets are kept only when held-out halves confirm them (cross-validated calibration)."""

from __future__ import annotations

import numpy as np

from recommender.emotion.labels import LABELS
from recommender.emotion.training.calibrate import cross_validate, halves, objective, tune_offsets


def _sets(shift: np.ndarray, n: int = 1200, seed: int = 3) -> list[tuple[np.ndarray, np.ndarray]]:
    """Two label sets whose logits are the true one-hot signal plus noise, plus a prior `shift`."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(2):
        y = rng.integers(0, len(LABELS), n)
        logits = np.eye(len(LABELS))[y] * 2.0 + rng.normal(0, 1.0, (n, len(LABELS))) + shift
        out.append((logits, y))
    return out


def test_a_real_prior_shift_is_confirmed_on_both_held_out_halves() -> None:
    shift = np.zeros(len(LABELS))
    shift[1] = 1.5  # the model over-predicts one label: an offset of about -1.5 undoes it
    folds = cross_validate(_sets(shift))
    assert all(f["held_out_with"] > f["held_out_without"] for f in folds), folds
    assert tune_offsets(_sets(shift))[1] < -0.5


def test_offsets_on_an_unbiased_model_do_not_beat_none_everywhere() -> None:
    sets = _sets(np.zeros(len(LABELS)))
    folds = cross_validate(sets)
    gains = [f["held_out_with"] - f["held_out_without"] for f in folds]
    assert min(gains) <= 0.002, folds  # fitting noise does not carry over to the other half
    assert objective(tune_offsets(sets), sets) >= objective(np.zeros(len(LABELS)), sets)  # it does fit in-sample


def test_halves_partition_each_set_the_same_way_every_time() -> None:
    sets = _sets(np.zeros(len(LABELS)), n=101)
    a, b = halves(sets)
    a2, _ = halves(sets)
    for (la, ya), (lb, yb), (logits, y) in zip(a, b, sets):
        assert len(ya) + len(yb) == len(y)
        assert sorted(np.concatenate([la[:, 0], lb[:, 0]]).tolist()) == sorted(logits[:, 0].tolist())
    assert all(np.array_equal(x[0], y[0]) for x, y in zip(a, a2))
