"""Fine-tuning the wish encoder, for real but tiny (needs torch: requirements-train.txt)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from conftest import need
from recommender.mood.wish import exemplar_classes, load_wish_table
from recommender.wish_training import (
    WishTraining,
    cross_validate,
    fine_tune,
    sentence_vectors,
    texts_version,
    training_examples,
)

PHRASES = {
    "laugh": [
        "make me laugh",
        "something hilarious",
        "a silly comedy",
        "jokes please",
        "i want to giggle",
        "funny stuff",
    ],
    "scare": ["scare me", "a creepy ghost story", "horror tonight", "something terrifying", "give me chills", "spooky"],
    "calm": ["something slow", "a quiet gentle film", "peaceful and unhurried", "soothing", "low-key", "tranquil"],
}
WRITTEN = [("ugh i need to laugh tonight", "laugh"), ("nothing too dark pls", None), ("old war film", "war")]
PLAIN = ["so tired", "my cat is sick", "bored on a sunday", "feeling meh", "long day", "got promoted"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    path = tmp_path_factory.mktemp("wishes") / "wishes.json"
    wishes = {w: {"label": w, "exemplars": ex, "genres": {}, "tones": {}} for w, ex in PHRASES.items()}
    path.write_text(json.dumps({"wishes": wishes, "none": {"exemplars": PLAIN}, "tones": {}}))
    return load_wish_table(path)


def test_fine_tuning_pulls_each_wish_together(table, tmp_path):
    need(
        "torch and transformers (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None
    )
    import torch
    from transformers import AutoModel, AutoTokenizer

    from recommender.wheels import base_model_dir

    report = fine_tune(table, base_model_dir(), tmp_path, WishTraining(epochs=6, batch=16, lr=5e-5), WRITTEN[:2])
    assert report["steps"] == 9 and report["exemplars"] == 24 and report["written"] == 2
    assert np.isfinite(report["final_loss"])
    texts, labels = exemplar_classes(table)
    same = np.equal.outer(labels, labels) & ~np.eye(len(labels), dtype=bool)

    def gap(folder) -> float:  # mean cosine within a class minus across classes
        tok, model = AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()
        with torch.no_grad():
            v = sentence_vectors(model, tok, texts).numpy()
        sims = v @ v.T
        return float(sims[same].mean() - sims[~same & ~np.eye(len(labels), dtype=bool)].mean())

    assert gap(tmp_path) > gap(base_model_dir()) + 0.05


def test_written_texts_join_the_exemplars_when_they_ask_for_a_wish_of_the_table(table):
    texts, labels = training_examples(table, WRITTEN)
    ex_texts, ex_labels = exemplar_classes(table)
    # "nothing too dark pls" asks for no wish (the plain feelings' class); "old war film" for one the table lacks
    assert texts == [*ex_texts, "ugh i need to laugh tonight", "nothing too dark pls"]
    assert labels == [*ex_labels, list(table.wishes).index("laugh"), len(table.wishes)]


def test_the_texts_version_names_their_content():
    one = [("h1", "make me laugh", "laugh")]
    assert texts_version(one) == texts_version(list(one))
    assert texts_version(one) != texts_version([("h1", "make me laugh", None)])


def test_cross_validation_reads_each_hand_with_an_encoder_and_head_that_never_saw_it(table, tmp_path):
    need(
        "torch and transformers (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None
    )
    hands = {
        "a": [("haha make me laugh", "laugh"), ("spooky night pls", "scare"), ("so tired today", None)],
        "b": [("something to giggle at", "laugh"), ("terrify me", "scare"), ("slow and gentle", "calm")],
    }
    texts = [(h, t, w) for h, items in hands.items() for t, w in items]
    (tmp_path / "training.json").write_text(json.dumps({"steps": 1}))
    report = cross_validate(2, WishTraining(epochs=1, batch=16), tmp_path, table, texts)
    assert set(report["held_out_hands"]) == {"a", "b"}
    assert all(
        v["texts"] == 3 and 0 <= v["head"] <= 1 and 0 <= v["rules"] <= 1 for v in report["held_out_hands"].values()
    )
    saved = json.loads((tmp_path / "training.json").read_text())
    assert saved["steps"] == 1 and saved["cross_validated"] == report  # added beside what was there
