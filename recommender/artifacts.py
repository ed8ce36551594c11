"""Verify and load the retrieval artifacts (catalog, TF-IDF, embeddings, manifest).

The build runs in its own process (`python -m recommender build`): embedding the corpus
needs far more memory than serving. The app only loads the files, after checking each one
against the sha256 and row counts in manifest.json.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recommender.catalog.film import Film
from recommender.catalog.lookup import Catalog
from recommender.catalog.store import CATALOG_FILE, read_catalog, write_catalog
from recommender.config import get_settings
from recommender.search.tfidf import TfidfIndex
from recommender.search.vector_index import DEFAULT_SEED, DEFAULT_TREES, ENGINES, VectorIndex
from recommender.wheels import sha256_file

log = logging.getLogger(__name__)

FORMAT_VERSION = 3  # 2: catalog as JSON lines (serving needs neither pandas nor pyarrow); 3: film tones
VOCAB_FILE = "tfidf_vocab.json"
MATRIX_FILE = "tfidf_matrix.npz"
EMBEDDINGS_FILE = "embeddings.npy"
TONES_FILE = "tones.npy"
MANIFEST_FILE = "manifest.json"
DATA_FILES = (CATALOG_FILE, VOCAB_FILE, MATRIX_FILE, EMBEDDINGS_FILE, TONES_FILE)
REBUILD_HINT = "rebuild with `python -m recommender build`"


class ArtifactError(RuntimeError):
    """Artifacts missing, corrupt or inconsistent; the message says how to rebuild."""


@dataclass(frozen=True)
class Artifacts:
    catalog: Catalog
    tfidf: TfidfIndex
    index: VectorIndex
    manifest: dict
    tones: np.ndarray | None = None  # (n, tones) z-scored tone profiles, columns as manifest["tone"]["ids"]

    @property
    def tone_ids(self) -> tuple[str, ...]:
        return tuple((self.manifest.get("tone") or {}).get("ids") or ())


# ---- writing ---------------------------------------------------------------------------------


def write_artifacts(
    out: Path,
    films: list[Film],
    tfidf: TfidfIndex,
    vectors: np.ndarray,
    tones: np.ndarray,
    manifest: dict,
    started: float,
) -> dict[str, int]:
    """Write every data file, then the manifest (with their sha256 and the build's seconds since
    `started`), into a temporary folder moved into `out` file by file: a half-written set never
    looks valid. Returns the size in bytes of each file."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".building-") as tmp_name:
        tmp = Path(tmp_name)
        write_catalog(films, tmp / CATALOG_FILE)
        tfidf.save(tmp / VOCAB_FILE, tmp / MATRIX_FILE)
        np.save(tmp / EMBEDDINGS_FILE, vectors, allow_pickle=False)
        np.save(tmp / TONES_FILE, tones, allow_pickle=False)
        manifest["files"] = {
            name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size} for name in DATA_FILES
        }
        manifest["build_seconds"] = round(time.perf_counter() - started, 1)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
        (out / MANIFEST_FILE).unlink(missing_ok=True)
        for name in DATA_FILES + (MANIFEST_FILE,):
            os.replace(tmp / name, out / name)
    return {name: (out / name).stat().st_size for name in DATA_FILES + (MANIFEST_FILE,)}


# ---- loading ---------------------------------------------------------------------------------


def read_manifest(path: Path) -> dict:
    manifest_path = Path(path) / MANIFEST_FILE
    if not manifest_path.is_file():
        raise ArtifactError(f"no artifacts in {path} ({MANIFEST_FILE} missing); {REBUILD_HINT}")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{manifest_path} is not valid JSON ({exc}); {REBUILD_HINT}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise ArtifactError(f"{manifest_path} has an unknown format; {REBUILD_HINT}")
    parts = [manifest.get(key) or {} for key in ("source", "rows", "files", "annoy")]
    if not all(isinstance(part, dict) for part in parts) or not all(
        isinstance(entry, dict) for entry in parts[2].values()
    ):
        raise ArtifactError(f"{manifest_path} is malformed; {REBUILD_HINT}")
    return manifest


def verify_files(path: Path, manifest: dict) -> None:
    """Every data file present with the sha256 the manifest recorded."""
    files = manifest.get("files") or {}
    for name in DATA_FILES:
        file = Path(path) / name
        expected = (files.get(name) or {}).get("sha256")
        if not file.is_file():
            raise ArtifactError(f"artifact {file} is missing; {REBUILD_HINT}")
        if not expected or sha256_file(file) != expected:
            raise ArtifactError(f"artifact {file} is corrupt (sha256 differs from {MANIFEST_FILE}); {REBUILD_HINT}")


def load_artifacts(path: Path | None = None, use_annoy: bool = True) -> Artifacts:
    """Everything the app needs, verified against the manifest; raises ArtifactError.

    The index serves with the engine the build measured faster (manifest annoy.engine; builds
    without it: Annoy); use_annoy=False forces exact search whatever the manifest says."""
    path = Path(path) if path else get_settings().artifacts_dir
    manifest = read_manifest(path)
    verify_files(path, manifest)
    try:
        catalog = read_catalog(path / CATALOG_FILE)
        tfidf = TfidfIndex.load(path / VOCAB_FILE, path / MATRIX_FILE)
        vectors = np.load(path / EMBEDDINGS_FILE, allow_pickle=False)
        tones = np.load(path / TONES_FILE, allow_pickle=False).astype(np.float32)
    except Exception as exc:  # noqa: BLE001 - a readable-but-wrong file must not crash the app
        raise ArtifactError(
            f"artifacts in {path} cannot be read ({type(exc).__name__}: {exc}); {REBUILD_HINT}"
        ) from None
    kept = (manifest.get("rows") or {}).get("kept")
    counts = {
        "catalog": len(catalog),
        "tfidf": tfidf.n_rows,
        "embeddings": int(vectors.shape[0]),
        "tones": int(tones.shape[0]),
    }
    tone_ids = (manifest.get("tone") or {}).get("ids") or []
    if (
        vectors.ndim != 2
        or tones.ndim != 2
        or tones.shape[1] != len(tone_ids)
        or any(n != kept for n in counts.values())
    ):
        raise ArtifactError(
            f"artifacts in {path} disagree on the number of films (manifest {kept}, {counts}); {REBUILD_HINT}"
        )
    annoy = manifest.get("annoy") or {}
    try:
        params = {
            "n_trees": int(annoy.get("n_trees", DEFAULT_TREES)),
            "search_k": int(annoy.get("search_k", 10_000)),
            "seed": int(annoy.get("seed", DEFAULT_SEED)),
        }
    except (TypeError, ValueError):
        raise ArtifactError(
            f"{path / MANIFEST_FILE} has bad Annoy settings (n_trees, search_k, seed); {REBUILD_HINT}"
        ) from None
    engine = annoy.get("engine", "annoy")
    if engine not in ENGINES:
        raise ArtifactError(
            f"{path / MANIFEST_FILE} has an unknown index engine {engine!r} (not {' or '.join(ENGINES)}); "
            f"{REBUILD_HINT}"
        )
    index = VectorIndex(vectors, use_annoy=use_annoy and engine == "annoy", **params)
    return Artifacts(catalog=catalog, tfidf=tfidf, index=index, manifest=manifest, tones=tones)
