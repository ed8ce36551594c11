"""The emotion classifier the app runs: our ONNX model by default, any HF model as an option.

Default: `models/emotion/` (int8 ONNX + tokenizer.json + config.json), run with onnxruntime and
tokenizers; no torch. Option: `EMOTION_MODEL=<hub id or local folder>` of a Hugging Face
text-classification model, run with transformers (needs torch), its labels mapped onto ours.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from recommender.config import PROJECT_ROOT, get_settings
from recommender.emotion.labels import LABELS
from recommender.onnx.session import CpuSession

log = logging.getLogger(__name__)

DEFAULT_MODEL_DIR = PROJECT_ROOT / "models" / "emotion"

# How the labels of well-known public emotion models map onto ours.
FOREIGN_LABELS: dict[str, str] = {
    "sadness": "sadness",
    "sad": "sadness",
    "grief": "sadness",
    "joy": "joy",
    "happiness": "joy",
    "happy": "joy",
    "love": "love",
    "anger": "anger",
    "angry": "anger",
    "fear": "fear",
    "scared": "fear",
    "surprise": "surprise",
    "disgust": "disgust",
    "neutral": "neutral",
    "others": "neutral",
}


class EmptyTextError(ValueError):
    """The text has nothing to read an emotion from."""


class EmotionModelError(RuntimeError):
    """The model folder is missing, incomplete or its labels cannot be mapped."""


class EmotionClassifier(Protocol):
    labels: tuple[str, ...]
    model_id: str
    name: str

    def predict(self, text: str) -> dict[str, float]: ...

    def predict_batch(self, texts: list[str]) -> list[dict[str, float]]: ...


def _clean(texts: list[str]) -> list[str]:
    out = []
    for text in texts:
        if not isinstance(text, str) or not text.strip():
            raise EmptyTextError("Type a few words about how you feel.")
        out.append(text.strip())
    return out


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _as_dicts(probs: np.ndarray) -> list[dict[str, float]]:
    return [{label: float(p) for label, p in zip(LABELS, row)} for row in probs]


def _folder_hash(folder: Path, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()[:12]


class OnnxEmotionClassifier:
    """onnxruntime sessions are thread-safe for `run`; the tokenizer is not, so it is locked."""

    def __init__(self, folder: Path, threads: int = 2, max_length: int | None = None) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        missing = [n for n in ("model.onnx", "tokenizer.json", "config.json") if not (folder / n).is_file()]
        if missing:
            raise EmotionModelError(
                f"emotion model folder {folder} lacks {', '.join(missing)}; restore it from git "
                "(`git checkout models/emotion`) or retrain with `python -m recommender train-emotion`."
            )
        config = json.loads((folder / "config.json").read_text())
        id2label = {int(k): v for k, v in config["id2label"].items()}
        if tuple(id2label[i] for i in range(len(id2label))) != LABELS:
            raise EmotionModelError(f"{folder}/config.json labels {id2label} are not {LABELS}")
        offsets = config.get("logit_offsets") or {}
        if set(offsets) - set(LABELS):
            raise EmotionModelError(f"{folder}/config.json logit_offsets names unknown labels")
        self._offsets = np.array([float(offsets.get(label, 0.0)) for label in LABELS])
        self.labels = LABELS
        self.folder = folder
        self.name = f"reelmood-emotion ({folder.name}, int8 ONNX)"
        self.model_id = _folder_hash(folder, ("model.onnx", "config.json"))
        self._tok = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tok.enable_truncation(max_length or int(config.get("max_length", 128)))
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tok_lock = threading.Lock()
        self._session = CpuSession(folder / "model.onnx", threads)

    def raw_logits(self, text: str) -> np.ndarray:
        """The graph's logits for one text, before the config's per-label offsets (8,)."""
        return self._logits(_clean([text]))[0].astype(np.float64)

    def _logits(self, texts: list[str]) -> np.ndarray:
        with self._tok_lock:
            encs = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        return self._session.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Probabilities (n, 8), one session run per text.

        Why not batched: the int8 graph quantises activations dynamically, with one scale per
        run, so a text's scores would depend on its batch-mates and their padding. One text
        per run keeps predict, predict_batch and the cache in exact agreement (~4 ms a text).
        """
        texts = _clean(texts)
        out = np.zeros((len(texts), len(LABELS)), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = _softmax(self._logits([text]).astype(np.float64) + self._offsets)[0]
        return out

    def predict(self, text: str) -> dict[str, float]:
        return _as_dicts(self.predict_proba([text]))[0]

    def predict_batch(self, texts: list[str]) -> list[dict[str, float]]:
        return _as_dicts(self.predict_proba(texts)) if texts else []


class HFEmotionClassifier:
    """Any transformers text-classification model; its labels summed onto ours."""

    def __init__(self, spec: str) -> None:
        try:
            from transformers import pipeline
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise EmotionModelError(
                f"EMOTION_MODEL={spec} needs transformers and torch: pip install -r requirements-train.txt"
            ) from exc
        self._pipe = pipeline("text-classification", model=spec, top_k=None)
        foreign = list((self._pipe.model.config.id2label or {}).values())
        unknown = [name for name in foreign if name.lower() not in FOREIGN_LABELS]
        if unknown:
            raise EmotionModelError(f"{spec} has labels {unknown} that map to none of {LABELS}; extend FOREIGN_LABELS")
        self.labels = LABELS
        self.name = spec
        self.model_id = hashlib.sha256(spec.encode()).hexdigest()[:12]
        self._lock = threading.Lock()

    def predict_batch(self, texts: list[str]) -> list[dict[str, float]]:
        with self._lock:
            raw: list[list[dict[str, Any]]] = self._pipe(_clean(texts), truncation=True)  # type: ignore[assignment]
        out = []
        for scores in raw:
            probs = dict.fromkeys(LABELS, 0.0)
            for item in scores:
                probs[FOREIGN_LABELS[item["label"].lower()]] += float(item["score"])
            total = sum(probs.values()) or 1.0
            out.append({k: v / total for k, v in probs.items()})
        return out

    def predict(self, text: str) -> dict[str, float]:
        return self.predict_batch([text])[0]


def load_emotion_model(spec: str | None = None) -> EmotionClassifier:
    """`spec`: None (settings: EMOTION_MODEL, default models/emotion), a folder, or a hub id.

    A folder with model.onnx runs on onnxruntime; anything else goes through transformers.
    """
    settings = get_settings()
    spec = spec or settings.emotion_model
    path = Path(spec)
    if (path / "model.onnx").is_file() or path.resolve() == DEFAULT_MODEL_DIR.resolve():
        return OnnxEmotionClassifier(path, threads=settings.onnx_threads)
    log.info("loading emotion model %s through transformers", spec)
    return HFEmotionClassifier(spec)
