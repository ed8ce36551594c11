"""`python -m recommender build`: catalog + TF-IDF + embeddings + tuned index -> artifacts/.

Runs in its own process: embedding the corpus needs far more memory than serving.
"""

from __future__ import annotations

import logging
import platform
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from recommender.artifacts import FORMAT_VERSION, ArtifactError, load_artifacts, write_artifacts
from recommender.catalog.documents import enriched_text, film_document
from recommender.catalog.film import CatalogError
from recommender.catalog.lookup import Catalog
from recommender.catalog.parse import ParseReport
from recommender.catalog.sources import MovieSources, read_sources
from recommender.config import get_settings
from recommender.mood.tone import film_tones
from recommender.mood.wish import default_wish_table
from recommender.search.tfidf import fit_tfidf
from recommender.search.vector_index import DEFAULT_SEED, index_manifest, tune_index
from recommender.wheels import WheelError

log = logging.getLogger(__name__)


PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "nltk", "onnxruntime", "tokenizers", "annoy", "tqdm")


@dataclass(frozen=True)
class BuildResult:
    out: Path
    report: ParseReport
    seconds: float
    sizes: dict[str, int]
    manifest: dict


def _package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def build(movies_csv: MovieSources = None, out: Path | None = None, progress: bool = True) -> BuildResult:
    """Build every artifact into `out` (default: settings.artifacts_dir); manifest written last.

    `movies_csv`: one CSV, several (merged by id, the later winning: `catalog.merge`) or None (TMDB 5000).
    """
    from recommender.search.encoder import encoder_files, load_encoder

    started = time.perf_counter()
    out = Path(out) if out else get_settings().artifacts_dir
    frame, report, source = read_sources(movies_csv)
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
    wishes = default_wish_table()
    tones = film_tones(films, wishes, encoder.encode, progress=progress).astype(np.float16)
    tone_s = time.perf_counter() - step

    step = time.perf_counter()
    index, tuning = tune_index(stored, seed=DEFAULT_SEED)
    annoy_s = time.perf_counter() - step
    log.info("index engine: %s", index_manifest(index, tuning, annoy_s)["engine_reason"])

    manifest: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "build_seconds": None,
        "source": source,
        "rows": {
            "read": report.rows_read,
            "kept": report.rows_kept,
            "skipped": sum(report.skipped.values()),
            "skipped_by_reason": report.skipped,
            "policy": "blank optional values are kept as empty; rows with a missing id, "
            "title or overview, a garbage value, or a repeated id are skipped",
        },
        "columns": report.columns,
        "tfidf": {
            "terms": len(tfidf.terms),
            "nonzeros": int(tfidf.matrix.nnz),
            "fields": ["overview", "genres", "keywords", "tagline"],
            "seconds": round(tfidf_s, 2),
        },
        "embeddings": {
            "text": "Genre: ... Year: ... Title: ... Overview: ...",
            "dtype": "float16",
            "shape": list(stored.shape),
            "seconds": round(embed_s, 1),
        },
        "tone": {
            "ids": list(wishes.tone_ids),
            "adjectives": [t.adjective for t in wishes.tones.values()],
            "wishes_version": wishes.version,
            "text": "Tagline. Keywords: ... Overview (mood.tone.tone_text)",
            "method": "per tone: mean of the best 3 descriptor cosines, z-scored over the catalog",
            "dtype": "float16",
            "seconds": round(tone_s, 1),
        },
        "encoder": encoder_files().describe(),
        "annoy": index_manifest(index, tuning, annoy_s),
        "packages": _package_versions(),
    }
    sizes = write_artifacts(out, films, tfidf, stored, tones, manifest, started)
    return BuildResult(out, report, float(manifest["build_seconds"]), sizes, manifest)


def build_main(movies_csv: MovieSources = None, out: Path | None = None) -> int:
    """CLI entry for `python -m recommender build`: 0 ok, 2 bad input file, 1 other failure."""
    from recommender.search.encoder import EncoderError

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
    print(
        f"{result.report.rows_kept:,} films indexed -> {result.out} "
        f"({total / 1e6:.1f} MB, {result.seconds:.0f} s; Annoy search_k={annoy['search_k']}, "
        f"recall@10={annoy['recall_at_10']:.3f}; serving {annoy['engine']}: exact {annoy['query_ms_exact']} ms, "
        f"Annoy {annoy['query_ms_annoy']} ms)"
    )
    return 0


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
            problems.append(
                f"rows.{key}: committed {old.manifest['rows'].get(key)} != rebuilt {new.manifest['rows'].get(key)}"
            )
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
        problems.append(
            f"{bad.size} film embeddings have cosine < {min_cosine} to the committed ones "
            f"(worst: row {worst}, {old.catalog.film(worst).title!r}, cosine {cos[worst]:.4f})"
        )
    if old.tone_ids != new.tone_ids:
        problems.append(f"tone ids differ ({old.tone_ids} vs {new.tone_ids})")
    elif old.tones is not None and new.tones is not None and float(np.abs(old.tones - new.tones).max()) > 0.05:
        problems.append(f"film tones differ by up to {float(np.abs(old.tones - new.tones).max()):.3f} (z-score)")
    recall = new.manifest.get("annoy", {}).get("recall_at_10", 0.0)
    if recall < 0.99:
        problems.append(f"rebuilt Annoy recall@10 {recall} < 0.99")
    return problems
