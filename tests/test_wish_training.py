"""Fine-tuning the wish encoder, for real but tiny (needs torch: requirements-train.txt)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from conftest import need
from recommender.mood.wish import exemplar_classes, load_wish_table
from recommender.wish_training import WishTraining, fine_tune, sentence_vectors

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

    report = fine_tune(table, base_model_dir(), tmp_path, WishTraining(epochs=6, batch=16, lr=5e-5))
    assert report["steps"] == 9 and report["exemplars"] == 24 and np.isfinite(report["final_loss"])
    texts, labels = exemplar_classes(table)
    same = np.equal.outer(labels, labels) & ~np.eye(len(labels), dtype=bool)

    def gap(folder) -> float:  # mean cosine within a class minus across classes
        tok, model = AutoTokenizer.from_pretrained(str(folder)), AutoModel.from_pretrained(str(folder)).eval()
        with torch.no_grad():
            v = sentence_vectors(model, tok, texts).numpy()
        sims = v @ v.T
        return float(sims[same].mean() - sims[~same & ~np.eye(len(labels), dtype=bool)].mean())

    assert gap(tmp_path) > gap(base_model_dir()) + 0.05
