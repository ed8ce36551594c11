"""Loading and mapping of the training/validation data, and the metrics."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.emotion.labels import LABELS
from recommender.emotion.training.data import (
    GOEMOTIONS_TO_PRODUCT,
    DataMissingError,
    load_dair,
    load_goemotions,
    load_splits,
)
from recommender.emotion.training.metrics import score

GOEMOTIONS_NAMES = (
    "admiration amusement anger annoyance approval caring confusion curiosity desire "
    "disappointment disapproval disgust embarrassment excitement fear gratitude grief joy "
    "love nervousness optimism pride realization relief remorse sadness surprise neutral"
)


def test_every_goemotions_label_maps_to_a_product_label():
    assert set(GOEMOTIONS_NAMES.split()) == set(GOEMOTIONS_TO_PRODUCT)
    assert set(GOEMOTIONS_TO_PRODUCT.values()) == set(LABELS)


def test_dair_cleaning_drops_conflicts_only_when_asked(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("i feel low;sadness\ni feel low;sadness\ni feel odd;joy\ni feel odd;fear\ni am glad;joy\n")
    assert [e.text for e in load_dair(path, clean=True)] == ["i feel low", "i am glad"]
    assert len(load_dair(path)) == 5


def test_goemotions_keeps_rows_with_one_product_label(tmp_path):
    names = tmp_path / "emotions.txt"
    names.write_text("\n".join(GOEMOTIONS_NAMES.split()))
    idx = {n: i for i, n in enumerate(GOEMOTIONS_NAMES.split())}
    rows = [
        f"so funny\t{idx['amusement']},{idx['joy']}\ta",  # both joy -> kept
        f"ugh and yay\t{idx['anger']},{idx['joy']}\tb",  # anger + joy -> ambiguous, dropped
        f"gross\t{idx['disgust']}\tc",
        f"\t{idx['neutral']}\td",  # empty text dropped
    ]
    path = tmp_path / "train.tsv"
    path.write_text("\n".join(rows) + "\n")
    got = [(e.text, LABELS[e.label]) for e in load_goemotions(path, names)]
    assert got == [("so funny", "joy"), ("gross", "disgust")]


def test_missing_data_folder_is_a_clear_error(tmp_path):
    with pytest.raises(DataMissingError, match="--data"):
        load_splits(tmp_path / "nowhere")


def test_real_splits_when_present():
    from conftest import ROOT

    data = ROOT.parent / "shared" / "data"
    if not data.is_dir():
        pytest.skip("needs ../shared/data")
    splits = load_splits(data)
    assert len(splits.dair_val) == 2000
    assert len(splits.train) > 50000
    assert {LABELS[e.label] for e in splits.goemotions_val} == set(LABELS)


def test_scores_on_a_known_confusion():
    y = [0, 0, 1, 1, 2]
    probs = np.eye(len(LABELS))[[0, 1, 1, 1, 0]]
    s = score(y, probs)
    assert s.accuracy == pytest.approx(3 / 5)
    # F1: label0 p=1/2 r=1/2 -> .5; label1 p=2/3 r=1 -> .8; label2 -> 0
    assert s.macro_f1 == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    assert s.confusion[2][0] == 1
