"""Training and export code paths, for real but tiny (needs torch: requirements-train.txt)."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from conftest import need
from support.emotion_fixture import write_emotion_data


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    need("torch (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None)
    from recommender.emotion.training.train import TrainConfig, train

    data = write_emotion_data(tmp_path_factory.mktemp("data"))
    work = tmp_path_factory.mktemp("train")
    best = train(data, work, TrainConfig(epochs=1, batch_size=8))
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

    from recommender.emotion.classifier import OnnxEmotionClassifier
    from recommender.emotion.training.export import export_folder
    from recommender.emotion.training.train import load_checkpoint, predict_proba, tokenizer_for
    from recommender.wheels import base_model_dir

    _, best = trained
    out = tmp_path / "model"
    files = export_folder(best, out, tmp_path / "work")
    assert {p.name for p in out.iterdir()} >= {"model.onnx", "tokenizer.json", "config.json"}
    assert out.joinpath("model.onnx").stat().st_size < files["optimised"].stat().st_size / 3

    texts = ["i feel so alone tonight", "What a great surprise!", "meh"]
    reference = predict_proba(load_checkpoint(best), tokenizer_for(base_model_dir(), 128), texts, torch.device("cpu"))
    int8 = OnnxEmotionClassifier(out).predict_proba(texts)
    assert np.allclose(int8.sum(1), 1.0, atol=1e-5)
    assert np.abs(int8 - reference).max() < 0.05  # quantisation error, not a different model


def _tiny_hf_model(folder, labels: list[str]):
    """A real (random, tiny) transformers classifier saved locally: the EMOTION_MODEL path
    without a hub."""
    import shutil

    from transformers import BertConfig, BertForSequenceClassification

    from recommender.wheels import base_model_dir

    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=37,
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    BertForSequenceClassification(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (base_model_dir() / name).is_file():
            shutil.copy(base_model_dir() / name, folder / name)
    return folder


def test_hf_option_maps_foreign_labels_onto_ours(tmp_path):
    need("torch (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None)
    from recommender.emotion.classifier import LABELS, load_emotion_model

    # the 7 labels of j-hartmann/emotion-english-distilroberta-base
    folder = _tiny_hf_model(tmp_path / "hf", ["anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise"])
    model = load_emotion_model(str(folder))
    probs = model.predict("I can't believe it, what a day")
    assert set(probs) == set(LABELS)
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    assert probs["love"] == 0.0 and min(probs[k] for k in LABELS if k != "love") > 0.0


def test_hf_option_refuses_unknown_labels_at_start_up(tmp_path):
    need("torch (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None)
    from recommender.emotion.classifier import EmotionModelError, load_emotion_model

    folder = _tiny_hf_model(tmp_path / "hf", ["joy", "optimism"])
    with pytest.raises(EmotionModelError, match="optimism"):
        load_emotion_model(str(folder))


def test_pipeline_calibrates_best_and_last_and_ships_the_higher(tmp_path):
    """train-emotion end to end on the small data: both candidates scored after calibration,
    the shipped folder is the higher one, and the card and metrics say which."""
    need("torch (pip install -r requirements-train.txt)", importlib.util.find_spec("torch") is not None)
    import argparse

    from recommender.emotion.classifier import OnnxEmotionClassifier
    from recommender.emotion.training.pipeline import checkpoint_candidates, train_export_evaluate

    data = write_emotion_data(tmp_path / "data")
    work, out = tmp_path / "work", tmp_path / "model"
    (work / "last").mkdir(parents=True)
    (work / "last" / "model.pt").write_bytes(b"stale, from an earlier run")
    args = argparse.Namespace(
        data=data,
        out=out,
        work=work,
        epochs=2,
        lr=1e-4,
        batch_size=8,
        seed=13,
        limit=None,
        device="cpu",
        export_only=False,
    )
    assert train_export_evaluate(args) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    candidates = metrics["candidates"]
    assert set(candidates) == {c.name for c in checkpoint_candidates(work, work / "best")}
    assert "best" in candidates and all(c["epoch"] in (1, 2) for c in candidates.values())
    if "last" in candidates:
        assert candidates["last"]["epoch"] == 2 and candidates["best"]["epoch"] == 1
    shipped = max(candidates, key=lambda name: candidates[name]["calibrated_selection"])
    assert metrics["checkpoint"] == shipped and metrics["best_epoch"] == candidates[shipped]["epoch"]
    assert (out / "model.onnx").read_bytes() == (work / f"export-{shipped}" / "model.onnx").read_bytes()
    assert json.loads((out / "config.json").read_text())["logit_offsets"] == metrics["calibration"]["offsets"]
    card = " ".join((out / "README.md").read_text().split())
    assert f"epoch {metrics['best_epoch']} of 2 (best: epoch {candidates['best']['epoch']}," in card
    assert OnnxEmotionClassifier(out).predict_proba(["what a lovely day"]).shape == (1, 8)
