"""The shipped emotion model (models/emotion) through the runtime the app uses."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from recommender.emotion.classifier import (
    DEFAULT_MODEL_DIR,
    EmotionModelError,
    EmptyTextError,
    OnnxEmotionClassifier,
    load_emotion_model,
)
from recommender.emotion.labels import LABELS


@pytest.fixture(scope="module")
def model() -> OnnxEmotionClassifier:
    return load_emotion_model(str(DEFAULT_MODEL_DIR))


def test_config_labels_match_product_labels_and_model_output(model):
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    assert [config["id2label"][str(i)] for i in range(len(LABELS))] == list(LABELS)
    assert {v: int(k) for k, v in config["id2label"].items()} == config["label2id"]
    assert set(config.get("logit_offsets", {})) <= set(LABELS)
    assert model._session.output_names[0] == "logits"
    assert model.predict_proba(["fine"]).shape == (1, len(LABELS))


def test_model_file_is_within_size_budget():
    assert (DEFAULT_MODEL_DIR / "model.onnx").stat().st_size <= 25 * 1024 * 1024


def test_probabilities_are_a_distribution(model):
    probs = model.predict("What a lovely surprise, thank you so much!")
    assert set(probs) == set(LABELS)
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    assert all(0.0 <= p <= 1.0 for p in probs.values())


def test_batch_equals_single(model):
    texts = [
        "I miss my grandmother so much",
        "This is the best day of my life!",
        "ok",
        "I am terrified of what the test results will say tomorrow morning",
    ]
    batch = model.predict_batch(texts)
    for text, row in zip(texts, batch):
        single = model.predict(text)
        assert np.allclose([single[k] for k in LABELS], [row[k] for k in LABELS], atol=1e-4)


@pytest.mark.parametrize(
    "text,label",
    [
        ("I miss my grandmother so much", "sadness"),
        ("I'm so happy, I just got the job I wanted!", "joy"),
        ("I am furious, they lied to me again", "anger"),
        ("I'm scared to walk home alone at night", "fear"),
        ("I love you more than anything in the world", "love"),
        ("Wow, I never expected that, I'm amazed", "surprise"),
        ("That is disgusting, it made me want to throw up", "disgust"),
    ],
)
def test_obvious_sentences_land_where_they_should(model, text, label):
    probs = model.predict(text)
    assert max(probs, key=probs.get) == label, probs


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_input_is_a_clear_error(model, text):
    with pytest.raises(EmptyTextError, match="few words"):
        model.predict(text)


@pytest.mark.parametrize(
    "text",
    [
        "sad " * 5000,  # far past the 128-token window: truncated
        "😭😭😭",  # emoji only
        "<script>alert('x')</script> I feel great",
        "Je suis très triste aujourd'hui",  # other language
        "\x00\x01 binary \xff",
    ],
)
def test_any_text_a_user_can_type_works(model, text):
    probs = model.predict(text)
    assert abs(sum(probs.values()) - 1.0) < 1e-5


def test_shared_between_threads(model):
    texts = [f"day {i}: I am so tired and sad" for i in range(16)]
    expected = model.predict_batch(texts)
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(model.predict, texts))
    for a, b in zip(expected, got):
        assert np.allclose([a[k] for k in LABELS], [b[k] for k in LABELS], atol=1e-4)


def test_model_id_changes_with_the_model(tmp_path, model):
    for name in ("model.onnx", "tokenizer.json", "config.json"):
        (tmp_path / name).write_bytes((DEFAULT_MODEL_DIR / name).read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    config["note"] = "retrained"
    (tmp_path / "config.json").write_text(json.dumps(config))
    assert OnnxEmotionClassifier(tmp_path).model_id != model.model_id


def test_incomplete_folder_says_how_to_fix(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EmotionModelError, match="train-emotion"):
        OnnxEmotionClassifier(tmp_path)


def test_wrong_labels_are_refused(tmp_path):
    for name in ("model.onnx", "tokenizer.json"):
        (tmp_path / name).write_bytes((DEFAULT_MODEL_DIR / name).read_bytes())
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    config["id2label"]["0"] = "boredom"
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(EmotionModelError, match="labels"):
        OnnxEmotionClassifier(tmp_path)


def test_logit_offsets_shift_the_distribution_as_the_config_says(tmp_path, model):
    """The tuned per-label offsets are applied by the runtime, and only through config.json."""
    for name in ("model.onnx", "tokenizer.json"):
        (tmp_path / name).write_bytes((DEFAULT_MODEL_DIR / name).read_bytes())
    config = json.loads((DEFAULT_MODEL_DIR / "config.json").read_text())
    text = "I am not sure how I feel about this"
    raw = model.raw_logits(text)
    for offsets in ({}, {"fear": 3.0, "joy": -2.0}):
        (tmp_path / "config.json").write_text(json.dumps({**config, "logit_offsets": offsets}))
        probs = OnnxEmotionClassifier(tmp_path).predict_proba([text])[0]
        shifted = raw + np.array([offsets.get(label, 0.0) for label in LABELS])
        expected = np.exp(shifted - shifted.max()) / np.exp(shifted - shifted.max()).sum()
        assert np.allclose(probs, expected, atol=1e-5)
    (tmp_path / "config.json").write_text(json.dumps({**config, "logit_offsets": {"boredom": 1.0}}))
    with pytest.raises(EmotionModelError, match="unknown labels"):
        OnnxEmotionClassifier(tmp_path)
