"""Training and export code paths, for real but tiny (needs torch: requirements-train.txt)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from conftest import ROOT, need

DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    need("torch (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None)
    need("../shared/data", DATA.is_dir())
    from recommender.emotion_train import TrainConfig, train

    work = tmp_path_factory.mktemp("train")
    best = train(DATA, work, TrainConfig(epochs=1, limit=64, batch_size=16))
    return work, best


def test_training_logs_validation_scores_and_keeps_a_checkpoint(trained):
    work, best = trained
    events = [json.loads(line) for line in (work / "train_log.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and "epoch" in kinds
    epoch = next(e for e in events if e["event"] == "epoch")
    assert 0.0 <= epoch["dair_val"]["accuracy"] <= 1.0
    assert (best / "model.pt").is_file()


def test_export_matches_torch_and_loads_in_the_runtime(trained, tmp_path):
    import torch

    from recommender.emotion import OnnxEmotionClassifier
    from recommender.emotion_export import export_folder
    from recommender.emotion_train import base_model_dir, load_checkpoint, predict_proba, tokenizer_for

    _, best = trained
    out = tmp_path / "model"
    files = export_folder(best, out, tmp_path / "work")
    assert {p.name for p in out.iterdir()} >= {"model.onnx", "tokenizer.json", "config.json"}
    assert out.joinpath("model.onnx").stat().st_size < files["optimised"].stat().st_size / 3

    texts = ["i feel so alone tonight", "What a great surprise!", "meh"]
    reference = predict_proba(load_checkpoint(best), tokenizer_for(base_model_dir(), 128), texts,
                              torch.device("cpu"))
    int8 = OnnxEmotionClassifier(out).predict_proba(texts)
    assert np.allclose(int8.sum(1), 1.0, atol=1e-5)
    assert np.abs(int8 - reference).max() < 0.05   # quantisation error, not a different model
