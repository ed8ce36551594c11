"""Latency scenarios: the seed project's three mood paths, our hybrid synopsis search, ANN recall.

Used by `python -m recommender bench` (prints a table, optional JSON) and by the Streamlit
Benchmarks page (`run_scenarios` with a progress callback; raw samples for distributions).
All scenarios run in one process on one loaded Recommender, posters off.

The CLI also runs the seed project's synopsis pipeline itself (`seed_pipeline=True`: its int8
MiniLM, enriched texts, Annoy at default search_k; recommender/search/seed_pipeline.py) beside
ours, call by call, so "ours / seed" is a ratio measured in one run rather than against the
seed's reported figures. The page leaves it off: the first run embeds the catalog (minutes).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from recommender.serving.seed_comparison import SYNOPSIS_60, SeedComparison, load_and_compare, seed_rounds
from recommender.serving.service import Recommender
from recommender.serving.timing import RECALL_QUERIES, peak_rss_mb, time_calls, time_interleaved

if TYPE_CHECKING:
    pass

SEED_FIGURES: dict[str, float] = {  # seconds, from the seed project's README
    "no cache, no precompute": 0.9,
    "precomputed TF-IDF": 0.3,
    "emotion cache + precomputed": 0.0085,
}

S1, S2, S3, S4 = (*SEED_FIGURES, "hybrid synopsis search")

MOOD_TEXTS = (
    "I had an awful day at work and I just want to laugh",
    "my dog died this morning and I can't stop crying",
    "I'm so nervous about tomorrow, I can't sleep",
    "we just got engaged and I feel on top of the world",
    "I am furious at how they treated my sister",
)
EMOTION_TEXT_20 = (
    "I finally finished the marathon today and I could not stop smiling even though my legs were really sore"
)
# Synopsis-like queries for the seed comparison (40-60 words each, written for this benchmark):
# half-remembered descriptions of catalog films, none naming its title.
ANN_QUERIES = RECALL_QUERIES
UNCACHED_MAX_RUNS = 10  # scenario 1 refits TF-IDF per request (~1 s): fewer runs keep bench short

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ScenarioResult:
    name: str
    runs: int
    samples_ms: list[float]
    p50_ms: float
    p95_ms: float
    mean_ms: float
    speedup_vs_first: float | None  # p50 of scenario 1 / this p50
    seed_ms: float | None  # the seed project's figure, for comparison


@dataclass(frozen=True)
class BenchReport:
    scenarios: list[ScenarioResult]
    ann_recall_at_10: float
    ann_queries: int
    emotion_p50_ms: float  # 20-word text, includes tokenisation
    encoder_p50_ms: float  # the 60-word synopsis embedding alone
    peak_rss_mb: float
    machine: dict[str, str] = field(default_factory=dict)
    # scenario 3 again with the ranking before wishes and tones, interleaved with it in this run
    baseline_cached_p50_ms: float | None = None
    cached_vs_baseline: float | None = None  # p50 of scenario 3 / p50 of the baseline, same run
    seed_comparison: SeedComparison | None = None  # run_scenarios(seed_pipeline=True)
    seed_error: str | None = None  # why the seed pipeline could not run, when asked for

    def to_dict(self) -> dict:
        return asdict(self)

    def table(self) -> str:
        head = f"{'scenario':<30} {'runs':>5} {'p50 ms':>9} {'p95 ms':>9} {'mean ms':>9} {'speed-up':>9} {'seed ms':>9}"
        lines = [head, "-" * len(head)]
        for s in self.scenarios:
            speed = f"{s.speedup_vs_first:,.0f}x" if s.speedup_vs_first else "-"
            seed = f"{s.seed_ms:,.1f}" if s.seed_ms is not None else "-"
            lines.append(
                f"{s.name:<30} {s.runs:>5} {s.p50_ms:>9.3f} {s.p95_ms:>9.3f} {s.mean_ms:>9.3f} {speed:>9} {seed:>9}"
            )
        lines += [
            "",
            f"ANN recall@10 vs exact ({self.ann_queries} film queries): {self.ann_recall_at_10:.4f}",
            f"emotion model, 20-word text, p50: {self.emotion_p50_ms:.2f} ms (with tokenisation)",
            f"sentence encoder, 60-word synopsis, p50: {self.encoder_p50_ms:.2f} ms",
            f"peak RSS: {self.peak_rss_mb:.0f} MB",
        ]
        if self.baseline_cached_p50_ms is not None and self.cached_vs_baseline is not None:
            lines.insert(
                -4,
                f"mood, emotion cached, baseline ranking (interleaved with scenario 3): p50 "
                f"{self.baseline_cached_p50_ms:.3f} ms; scenario 3 / baseline = {self.cached_vs_baseline:.2f}x",
            )
        if self.seed_comparison is not None:
            lines += ["", *self.seed_comparison.lines()]
        elif self.seed_error:
            lines += ["", f"seed synopsis pipeline: not run ({self.seed_error})"]
        return "\n".join(lines)


def _result(name: str, samples: list[float], first_p50: float | None) -> ScenarioResult:
    arr = np.asarray(samples)
    p50 = float(np.percentile(arr, 50))
    seed = SEED_FIGURES.get(name)
    return ScenarioResult(
        name=name,
        runs=len(samples),
        samples_ms=[round(x, 4) for x in samples],
        p50_ms=p50,
        p95_ms=float(np.percentile(arr, 95)),
        mean_ms=float(arr.mean()),
        speedup_vs_first=(first_p50 / p50) if first_p50 and p50 > 0 else None,
        seed_ms=seed * 1000.0 if seed is not None else None,
    )


def ann_recall(rec: Recommender, queries: int = ANN_QUERIES, k: int = 10, seed: int = 7) -> float:
    """Mean |ANN top-k ∩ exact top-k| / k over random catalog films (each excluding itself)."""
    n = len(rec.catalog)
    rows = np.random.default_rng(seed).choice(n, size=min(queries, n), replace=False)
    total = 0.0
    for row in rows.tolist():
        vec = rec.index.vector(row)
        ex = frozenset({row})
        ann = {r for r, _ in rec.index.search(vec, k, exclude_rows=ex)}
        exact = {r for r, _ in rec.index.exact_search(vec, k, exclude_rows=ex)}
        total += len(ann & exact) / max(1, len(exact))
    return total / len(rows)


def run_scenarios(
    rec: Recommender,
    runs: int = 50,
    progress: Progress | None = None,
    seed_pipeline: bool = False,
    seed_films: int | None = None,
) -> BenchReport:
    """Run every scenario `runs` times (scenario 1 at most UNCACHED_MAX_RUNS) and measure.

    seed_pipeline: also time the seed project's synopsis pipeline beside ours (off by default,
    so the Benchmarks page stays fast: its first run embeds the catalog, about a minute or more;
    the CLI turns it on). seed_films: index only the first N films in it (tests)."""
    from recommender.catalog.documents import film_document
    from recommender.search.tfidf import fit_tfidf

    runs = max(1, int(runs))
    runs1 = min(runs, UNCACHED_MAX_RUNS)
    total = runs1 + 4 * runs + 2 + (seed_rounds(runs) + 1 if seed_pipeline else 0)
    done = 0

    def tick(label: str) -> Callable[[], None]:
        def inner() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(min(1.0, done / total), label)

        return inner

    films = [rec.catalog.film(i) for i in range(len(rec.catalog))]
    texts = MOOD_TEXTS

    def uncached(i: int) -> None:
        tfidf = fit_tfidf([film_document(f) for f in films])
        rec.recommend_for_mood(texts[i % len(texts)], with_posters=False, use_cache=False, tfidf=tfidf)

    def precomputed(i: int) -> None:
        rec.recommend_for_mood(texts[i % len(texts)], with_posters=False, use_cache=False)

    def cached(i: int) -> None:
        rec.recommend_for_mood(texts[i % len(texts)], with_posters=False)

    def synopsis(i: int) -> None:
        rec.similar_to_synopsis(SYNOPSIS_60, with_posters=False)

    # warm-up: first calls pay lazy initialisation; the cache is filled for scenario 3
    for text in texts:
        rec.recommend_for_mood(text, with_posters=False)
    synopsis(0)

    s1 = _result(S1, time_calls(uncached, runs1, tick(S1)), None)
    first = s1.p50_ms
    results = [s1]

    def cached_baseline(i: int) -> None:
        rec.recommend_for_mood(texts[i % len(texts)], with_posters=False, ranking="baseline")

    baseline: list[float] = []
    for name, fn in ((S2, precomputed), (S3, cached), (S4, synopsis)):
        if name == S3:  # with the baseline ranking, call by call: their ratio is this run's own
            samples, baseline = time_interleaved(cached, cached_baseline, runs, tick(name))
        else:
            samples = time_calls(fn, runs, tick(name))
        results.append(_result(name, samples, first))
    s3 = next(r for r in results if r.name == S3)
    base_p50 = float(np.percentile(baseline, 50))

    emotion_ms = time_calls(lambda i: rec.emotion.predict(EMOTION_TEXT_20), runs, tick("emotion model"))
    encoder_ms = time_calls(lambda i: rec.encoder.encode_one(SYNOPSIS_60), max(10, runs // 5), lambda: None)
    if progress:
        progress(min(1.0, (done + 1) / total), "ANN recall")
    recall = ann_recall(rec)
    rss = peak_rss_mb()  # before the seed pipeline: its model and catalog embedding are not ours
    done += 1
    comparison, seed_error = None, None
    if seed_pipeline:
        if progress:
            progress(min(1.0, (done + 1) / total), "seed pipeline (the first run embeds the catalog)")
        comparison, seed_error = load_and_compare(rec, films, runs, recall, seed_films, tick("seed pipeline"))
    if progress:
        progress(1.0, "done")
    return BenchReport(
        scenarios=results,
        ann_recall_at_10=recall,
        ann_queries=min(ANN_QUERIES, len(rec.catalog)),
        emotion_p50_ms=float(np.percentile(emotion_ms, 50)),
        encoder_p50_ms=float(np.percentile(encoder_ms, 50)),
        peak_rss_mb=rss,
        baseline_cached_p50_ms=base_p50,
        cached_vs_baseline=s3.p50_ms / base_p50 if base_p50 > 0 else None,
        seed_comparison=comparison,
        seed_error=seed_error,
        machine={
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": str(__import__("os").cpu_count()),
            "cache": rec.emotion_cache.backend,
        },
    )


def main(json_path: Path | None = None, runs: int | None = None, seed: bool = True) -> int:
    """CLI: load, run, print the table; write the JSON report when asked. Returns an exit code."""
    rec = Recommender.load()
    report = run_scenarios(rec, runs=runs or 50, seed_pipeline=seed)
    print(report.table())
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps(report.to_dict(), indent=2), encoding="utf-8")
        print(f"\nwrote {json_path}")
    return 0
