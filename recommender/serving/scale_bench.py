"""`python -m recommender bench --scale`: how every request's cost grows with the catalog.

For each size (default 10k, 100k, 1M films) a synthetic catalog is resampled from the real one
(serving.scale_catalog says how) and goes through the real steps, each in its own process so
memory is measured per catalog:

1. build: tune the vector index (the build's own tuning and engine choice) and write the
   artifacts. Embedding is not re-run (the vectors are resampled); its cost is estimated from
   the real build's seconds per film.
2. serve: load the artifacts as the app does, then time, interleaved, mood requests (cached: the
   reading and the target's shortlist remembered; uncached: both forgotten before each call),
   synopsis searches, and each step alone, before and after the scale work (every film scored
   vs the shortlist; dense vs sparse TF-IDF; exact vs the index), plus recall@10 of the served
   index against exact search and the process's peak RSS.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from recommender.config import PROJECT_ROOT
from recommender.serving.timing import peak_rss_mb, time_calls, time_rotating

log = logging.getLogger(__name__)

SIZES = (10_000, 100_000, 1_000_000)
RUNS = 30  # timed calls per figure (interleaved pairs where there is a before and an after)
MOOD_TEXTS = (
    "rough week, I need something that makes me laugh",
    "I want a good cry",
    "my dog died this morning and I can't stop crying",
    "nervous about my exam tomorrow, something calm please",
    "we just got engaged and I feel on top of the world",
    "I am furious at how they treated my sister",
)
UNCACHED_TEXTS = tuple(f"{t} ({i})" for i in range(8) for t in MOOD_TEXTS)
SYNOPSES = (
    "A young wizard goes to a school of magic, makes two loyal friends and faces the dark lord who "
    "killed his parents, while a teacher he distrusts protects him in secret.",
    "After a shipwreck, a man is stranded alone on an island for years and talks to a volleyball "
    "while he learns to survive and longs for the woman he left behind.",
    "A team of thieves enters people's dreams to plant an idea in the mind of an heir, going deeper "
    "into dreams within dreams while the leader is haunted by his dead wife.",
)


@dataclass(frozen=True)
class ScalePoint:
    films: int
    resample_s: float  # making the synthetic catalog (not a build step)
    build_s: float  # index tuning + writing the artifacts
    embed_estimate_s: float  # embedding + tones at the real build's seconds per film (not run)
    artifact_mb: float
    load_s: float
    rss_mb: float  # peak of the serving process: load + every request below
    engine: str
    n_trees: int
    search_k: int
    recall_at_10: float  # the served index vs exact search, fresh queries
    mood_cached_ms: float  # p50, whole request
    mood_uncached_ms: float
    synopsis_ms: float
    steps_ms: dict[str, float] = field(default_factory=dict)  # p50 of each step alone

    def to_dict(self) -> dict:
        return asdict(self)


STEP_PAIRS = (  # (before, after): the same step without and with the scale work
    ("mood rank: every film", "mood rank: shortlist"),
    ("mood words: every film", "mood words: matching films"),
    ("nearest 10: exact", "nearest 10: served index"),
)


RESULTS_FILE = PROJECT_ROOT / "eval" / "scale_results.json"  # the committed run the README quotes


def load_scale_results(path: Path | None = None) -> list[ScalePoint]:
    """The committed curve (RESULTS_FILE) for the Benchmarks page; [] and a log line when it is
    missing or unreadable."""
    try:
        return [ScalePoint(**p) for p in json.loads((path or RESULTS_FILE).read_text("utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        log.warning("no scale results to show (%s: %s)", type(exc).__name__, exc)
        return []


def _p50(samples: list[float]) -> float:
    return round(float(np.percentile(samples, 50)), 3) if samples else float("nan")


def _paired(fa: Callable[[int], object], fb: Callable[[int], object], runs: int) -> tuple[float, float]:
    """p50 of two calls timed in turn, the first of each run rotating (timing.time_rotating)."""
    a, b = time_rotating([fa, fb], runs, lambda: None)
    return _p50(a), _p50(b)


def _alone(fn: Callable[[int], object], runs: int) -> float:
    return _p50(time_calls(fn, runs, lambda: None))


# ---- step 1: build (its own process) --------------------------------------------------------


def build_scaled(n: int, out: Path) -> dict:
    """Resample n films, tune the index, write the artifacts into `out`; the manifest records it."""
    from recommender.artifacts import load_artifacts, write_artifacts
    from recommender.search.vector_index import DEFAULT_SEED, index_manifest, tune_index
    from recommender.serving.scale_catalog import scaled_catalog

    start = time.perf_counter()
    real = load_artifacts(use_annoy=False)
    made = scaled_catalog(
        real.catalog.films(),
        real.tfidf.matrix,
        real.index.vectors.astype(np.float16),
        np.asarray(real.tones, dtype=np.float16),
        n,
    )
    resample_s = time.perf_counter() - start
    print(f"  {n:,} films resampled in {resample_s:.0f} s; tuning the index", flush=True)
    from recommender.search.tfidf import TfidfIndex

    tfidf = TfidfIndex(real.tfidf.terms, real.tfidf.idf, real.tfidf.display, made.tfidf_rows)
    started = time.perf_counter()
    index, tuning = tune_index(made.vectors, seed=DEFAULT_SEED)
    annoy_s = time.perf_counter() - started
    manifest = {
        **{k: v for k, v in real.manifest.items() if k not in ("files", "annoy", "rows", "built_at")},
        "source": {"kind": "synthetic", "resampled_from": real.manifest.get("source"), "films": n},
        "rows": {"read": n, "kept": n, "skipped": 0},
        "annoy": index_manifest(index, tuning, annoy_s),
    }
    del index
    sizes = write_artifacts(out, made.films, tfidf, made.vectors, made.tones, manifest, started)
    per_film = sum(float((real.manifest.get(k) or {}).get("seconds") or 0.0) for k in ("embeddings", "tone"))
    return {
        "resample_s": round(resample_s, 1),
        "build_s": manifest["build_seconds"],
        "embed_estimate_s": round(per_film / max(1, len(real.catalog)) * n, 0),
        "artifact_mb": round(sum(sizes.values()) / 1e6, 1),
    }


# ---- step 2: serve and time (its own process) -----------------------------------------------


def measure_scaled(artifacts_dir: Path, runs: int = RUNS) -> dict:
    """Load `artifacts_dir` as the app does and time every request type and step."""
    from recommender.config import get_settings
    from recommender.mood.rank import NO_FILTERS
    from recommender.mood.ranking import rank_for_mood
    from recommender.mood.scoring import RankWeights
    from recommender.search.topk import top_rows
    from recommender.search.vector_index import exact_truth, recall_at_k, tuning_queries
    from recommender.serving.service import Recommender

    os.environ["REELMOOD_ARTIFACTS"] = str(artifacts_dir)
    start = time.perf_counter()
    rec = Recommender.load(get_settings())
    load_s = time.perf_counter() - start
    annoy = rec.artifacts.manifest["annoy"]
    print(f"  loaded in {load_s:.0f} s (serving {annoy['engine']}); timing", flush=True)

    def mood(i: int) -> None:
        rec.recommend_for_mood(MOOD_TEXTS[i % len(MOOD_TEXTS)], with_posters=False)

    def mood_uncached(i: int) -> None:
        rec.forget_targets()
        rec.recommend_for_mood(UNCACHED_TEXTS[i % len(UNCACHED_TEXTS)], with_posters=False, use_cache=False)

    def synopsis(i: int) -> None:
        rec.similar_to_synopsis(SYNOPSES[i % len(SYNOPSES)], with_posters=False)

    for i in range(len(MOOD_TEXTS)):
        mood(i)  # warm: readings cached, shortlists made
    synopsis(0)
    mood_cached, mood_fresh = _paired(mood, mood_uncached, runs)
    synopsis_ms = _alone(synopsis, runs)

    # each step alone, before / after, on the inputs of the cached mood requests
    readings = [rec.reader.read(t, True)[0] for t in MOOD_TEXTS]
    targets = [rec._target(r.emotions, "match", r.wish) for r in readings]
    concrete = [rec.concrete_words(t) for t in MOOD_TEXTS]
    words = [q.sparse_scores() if q is not None else None for q in concrete]

    every_film = replace(rec.rank_weights, shortlist_from=10**12)
    short = replace(rec.rank_weights, shortlist_from=0)

    def rank(i: int, w: RankWeights) -> None:
        j = i % len(MOOD_TEXTS)
        rank_for_mood(rec.signals, targets[j], readings[j].vector, words[j], NO_FILTERS, 10, w, topic=readings[j].topic)

    steps: dict[str, float] = {}
    steps["mood rank: every film"], steps["mood rank: shortlist"] = _paired(
        lambda i: rank(i, every_film), lambda i: rank(i, short), runs
    )
    with_words = [q for q in concrete if q is not None]
    steps["mood words: every film"], steps["mood words: matching films"] = _paired(
        lambda i: top_rows(with_words[i % len(with_words)].scores(), 500),
        lambda i: with_words[i % len(with_words)].sparse_scores().top(500),
        runs,
    )
    queries = [rec.lexical.query(s) for s in SYNOPSES]
    steps["synopsis TF-IDF"] = _alone(lambda i: queries[i % 3].sparse_scores().top(20), runs)
    vectors = [rec.encoder.encode_one(s) for s in SYNOPSES]
    steps["nearest 10: exact"], steps["nearest 10: served index"] = _paired(
        lambda i: rec.index.exact_search(vectors[i % 3], 10), lambda i: rec.index.search(vectors[i % 3], 10), runs
    )
    steps["synopsis encoder"] = _alone(lambda i: rec.encoder.encode_one(SYNOPSES[i % 3]), runs)
    queries_v, exclude = tuning_queries(rec.index.vectors, n=200, seed=11)
    recall = recall_at_k(rec.index, queries_v, exclude, truth=exact_truth(rec.index.vectors, queries_v, exclude))
    return {
        "films": len(rec.catalog),
        "load_s": round(load_s, 1),
        "rss_mb": round(peak_rss_mb(), 0),
        "engine": annoy["engine"],
        "n_trees": int(annoy["n_trees"]),
        "search_k": int(annoy["search_k"]),
        "recall_at_10": round(recall, 4),
        "mood_cached_ms": mood_cached,
        "mood_uncached_ms": mood_fresh,
        "synopsis_ms": synopsis_ms,
        "steps_ms": steps,
    }


# ---- the whole curve --------------------------------------------------------------------------


def _child(*args: str) -> dict:
    """Run one step in a fresh interpreter, passing its progress lines on as they come; its last
    stdout line is the JSON result."""
    with subprocess.Popen(
        [sys.executable, "-m", "recommender.serving.scale_bench", *args], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        last = ""
        for line in proc.stdout:
            if last:
                print(last, flush=True)
            last = line.rstrip("\n")
        code = proc.wait()
    if code != 0 or not last.startswith("{"):
        raise RuntimeError(f"scale step {args[0]} failed (exit {code})")
    return json.loads(last)


def run_scale(sizes: tuple[int, ...] = SIZES, runs: int = RUNS, work: Path | None = None) -> list[ScalePoint]:
    points: list[ScalePoint] = []
    with tempfile.TemporaryDirectory(prefix="reelmood-scale-", dir=work) as tmp:
        for n in sizes:
            print(f"[scale] {n:,} films: build", flush=True)
            folder = Path(tmp) / str(n)
            built = _child("build", str(n), str(folder))
            print(f"[scale] {n:,} films: serve ({built['build_s']:.0f} s build)", flush=True)
            served = _child("measure", str(folder), str(runs))
            points.append(ScalePoint(**{**built, **served}))
            for name in folder.iterdir():
                name.unlink()
    return points


def growth(points: list[ScalePoint], value) -> list[float]:
    """Exponent b of t ~ n^b between consecutive sizes (1.0: linear; < 1: sublinear)."""
    out = []
    for a, b in zip(points, points[1:]):
        ta, tb = value(a), value(b)
        out.append(math.log(tb / ta) / math.log(b.films / a.films) if ta > 0 and tb > 0 else float("nan"))
    return out


def table(points: list[ScalePoint]) -> str:
    head = (
        "| films | build s | embed s (est.) | artifacts MB | load s | RSS MB | index | recall@10 "
        "| mood cached ms | mood uncached ms | synopsis ms |"
    )
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for p in points:
        index = f"{p.engine}" + (f" ({p.n_trees} trees, search_k {p.search_k:,})" if p.engine == "annoy" else "")
        lines.append(
            f"| {p.films:,} | {p.build_s:.0f} | {p.embed_estimate_s:,.0f} | {p.artifact_mb:,.0f} | {p.load_s:.0f} "
            f"| {p.rss_mb:,.0f} | {index} | {p.recall_at_10:.3f} | {p.mood_cached_ms:.1f} "
            f"| {p.mood_uncached_ms:.1f} | {p.synopsis_ms:.1f} |"
        )
    names = list(points[0].steps_ms) if points else []
    lines += ["", "| step (p50 ms) | " + " | ".join(f"{p.films:,}" for p in points) + " | growth exponents |"]
    lines.append("|---" * (len(points) + 2) + "|")
    for name in names:
        exps = growth(points, lambda p, name=name: p.steps_ms[name])
        lines.append(
            f"| {name} | "
            + " | ".join(f"{p.steps_ms[name]:.2f}" for p in points)
            + " | "
            + ", ".join(f"{e:.2f}" for e in exps)
            + " |"
        )
    return "\n".join(lines)


def scale_main(sizes: str, json_path: Path | None = None, runs: int | None = None) -> int:
    """CLI entry for `bench --scale`: 0 ok, 2 bad sizes, 1 a step failed."""
    try:
        wanted = tuple(sorted({int(x.replace("_", "")) for x in sizes.split(",") if x.strip()}))
    except ValueError:
        print(f"--sizes must be whole numbers separated by commas, not {sizes!r}", file=sys.stderr)
        return 2
    if not wanted or min(wanted) < 1:
        print("--sizes needs at least one positive size", file=sys.stderr)
        return 2
    try:
        points = run_scale(wanted, runs or RUNS)
    except RuntimeError as exc:
        print(f"bench --scale failed: {exc}", file=sys.stderr)
        return 1
    print(table(points))
    if json_path:
        json_path.write_text(json.dumps([p.to_dict() for p in points], indent=2) + "\n", "utf-8")
    return 0


def main(argv: list[str]) -> int:
    """Child entry: `build N DIR` or `measure DIR RUNS`; prints progress, then one JSON line."""
    if argv[:1] == ["build"]:
        result = build_scaled(int(argv[1]), Path(argv[2]))
    elif argv[:1] == ["measure"]:
        result = measure_scaled(Path(argv[1]), int(argv[2]))
    else:
        print("usage: build N DIR | measure DIR RUNS", file=sys.stderr)
        return 2
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
