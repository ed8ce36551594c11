"""The wish reader's own encoder: verified at load, used by the service, and a clear fallback."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest

from recommender.mood.wish import SEARCH_ENCODER_SETTINGS, WISH_ENCODER_DIR, WishSettings
from recommender.search.encoder import EncoderError, load_folder_encoder
from recommender.serving.service import load_wish_encoder


def test_the_service_reads_wishes_with_the_wish_encoder(rec):
    assert rec.wish_encoder is not None and rec.wish_encoder is not rec.encoder
    assert rec.reader.own_encoder and rec.reader.wishes.settings == WishSettings()
    assert rec.wish_encoder.model_id in rec.emotion_cache.namespace  # a retrained model never reads old entries
    # hubness and topicality stay in the search encoder's space: the exemplars as it encodes them
    texts = list(rec.reader.wishes.texts[:5])
    again = rec.encoder.encode(texts)  # another batch: int8 activations differ in the 3rd decimal
    assert np.all(np.sum(rec.reader.mood_texts[:5] * again, axis=1) > 0.99)
    assert np.all(np.sum(rec.reader.wishes.exemplar_vectors[:5] * again, axis=1) < 0.97)


def test_the_wish_encoder_keeps_a_wish_s_phrasings_together(rec):
    """What it was trained for: exemplars of one wish closer to each other than to other wishes',
    by more than the search encoder puts them (it is not a copy of the search encoder)."""
    table = rec.wishes

    def gap(encode) -> float:
        laugh, scare = list(table.wishes["laugh"].exemplars[:20]), list(table.wishes["scare"].exemplars[:20])
        a, b = encode(laugh), encode(scare)
        within = (a @ a.T)[np.triu_indices(len(a), 1)].mean()
        return float(within - (a @ b.T).mean())

    assert gap(rec.wish_encoder.encode) > gap(rec.encoder.encode) + 0.1


def test_a_missing_or_tampered_wish_model_is_refused(tmp_path, caplog):
    with pytest.raises(EncoderError, match="export.json"):
        load_folder_encoder(tmp_path)
    copy = tmp_path / "wish"
    shutil.copytree(WISH_ENCODER_DIR, copy)
    export = json.loads((copy / "export.json").read_text())
    (copy / "export.json").write_text(json.dumps({**export, "sha256": "0" * 64}))
    with pytest.raises(EncoderError, match="sha256"):
        load_folder_encoder(copy)


def test_without_the_wish_model_the_search_encoder_reads_wishes(rec, monkeypatch, caplog):
    import recommender.serving.service as service

    monkeypatch.setattr(service, "WISH_ENCODER_DIR", WISH_ENCODER_DIR.parent / "no-such-model")
    with caplog.at_level(logging.WARNING, logger="recommender.serving.service"):
        assert load_wish_encoder() is None
    assert "reading wishes with the search encoder" in caplog.text
    fallback = service.Recommender(rec.artifacts, rec.emotion, rec.encoder, rec.emotion_cache, rec.posters)
    assert not fallback.reader.own_encoder and fallback.reader.wishes.settings == SEARCH_ENCODER_SETTINGS
    assert fallback.status().wish_encoder is None and rec.status().wish_encoder == rec.wish_encoder.model_id
    assert fallback.reader.compute("i want a good laugh").wish.wish == "laugh"


def test_the_shipped_wish_model_was_trained_on_the_shipped_wishes_and_texts():
    """Changing wishes.json or the written texts without `train-wish` would leave the encoder
    trained on other phrasings."""
    from recommender.mood.wish import default_wish_table
    from recommender.serving.service import trained_on
    from recommender.wish_training import texts_version, written_texts

    assert trained_on(WISH_ENCODER_DIR) == default_wish_table().version
    summary = json.loads((WISH_ENCODER_DIR / "training.json").read_text())
    assert summary["texts_version"] == texts_version(written_texts())
    learned = [w for _, _, w in written_texts() if w is None or w in default_wish_table().wishes]
    assert summary["written"] == len(learned) > 4000
