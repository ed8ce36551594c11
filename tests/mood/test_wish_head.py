"""The wish head: its features, a real fit that learns, a checked file, and the service using it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.mood.wish import NONE, WISH_ENCODER_DIR, default_wish_table
from recommender.mood.wish_head import HEAD_FILE, WishHeadError, fit_head, head_features, load_head, save_head

CLASSES = ["laugh", "cry", NONE]


def test_features_put_the_vector_then_asking_and_negated_evidence_then_the_rules():
    scores = np.array([[0.9, 0.1, 0.2], [0.3, 0.8, 0.4]], dtype=np.float32)
    f = head_features(np.array([1.0, 0.0]), scores, [False, True], rule=0)
    assert f.tolist() == pytest.approx([1.0, 0.0, 0.9, 0.1, 0.2, 0.3, 0.8, 0.4, 1.0, 0.0, 0.0])
    f = head_features(np.array([0.0, 1.0]), scores[:1], [False], rule=2)
    assert f[5:8].tolist() == [0.0, 0.0, 0.0] and f[-1] == 1.0  # no negated clause: zeros


def test_a_fitted_head_learns_the_classes_and_survives_saving(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.eye(3, 4 + 9)  # each class its own direction
    x = np.concatenate([c + 0.1 * rng.standard_normal((30, 13)) for c in centres])
    y = np.repeat(np.arange(3), 30)
    head = fit_head(x, y, CLASSES, c=1.0)
    assert head.dim == 4 and [head.decide(c)[0] for c in centres] == [0, 1, 2]
    assert head.decide(centres[1])[1] > 0.5  # a clear margin
    save_head(head, tmp_path)
    loaded = load_head(tmp_path, CLASSES, 4)
    assert np.allclose(loaded.coef, head.coef) and loaded.version


def test_a_head_for_other_classes_or_another_encoder_is_refused(tmp_path):
    save_head(fit_head(np.eye(3, 13), [0, 1, 2], CLASSES), tmp_path)
    with pytest.raises(WishHeadError, match="other wishes"):
        load_head(tmp_path, ["laugh", "scare", NONE], 4)
    with pytest.raises(WishHeadError, match="shape"):
        load_head(tmp_path, CLASSES, 384)
    (tmp_path / HEAD_FILE).write_bytes(b"not a head")
    with pytest.raises(WishHeadError, match="cannot read"):
        load_head(tmp_path, CLASSES, 4)


def test_the_shipped_head_matches_the_shipped_wishes_and_encoder():
    head = load_head(WISH_ENCODER_DIR, [*default_wish_table().wishes, NONE], 384)
    report = json.loads((WISH_ENCODER_DIR / "training.json").read_text())["head"]
    assert report["held_out_mean"]["head"] > report["held_out_mean"]["rules"]  # it earns its place
    assert head.coef.shape[0] == len(default_wish_table().wishes) + 1


def test_the_service_reads_with_the_head_and_keys_the_cache_by_it(rec):
    assert rec.reader.wishes.head is not None
    assert rec.reader.wishes.head.version in rec.emotion_cache.namespace  # a refitted head never reads old entries
    read = rec.reader.compute("my nieces are sleeping over tonight, what can we all watch").wish
    assert read.wish == "kids"
