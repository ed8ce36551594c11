"""Dense vs TF-IDF vs hybrid synopsis search on the dev set in eval/ (and the fusion grid).

`python -m recommender evaluate-search` prints hit@1 / hit@10 / MRR on the written
descriptions and group recall@10 on the sequel groups, for each method, plus the best
(alpha, pool) of a grid, and writes eval/search_results.{json,md}. Exit code 1 when the
shipped hybrid does not beat both single methods on MRR.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from recommender.config import PROJECT_ROOT
from recommender.search.hybrid import DEFAULT_ALPHA, DEFAULT_POOL, FusionParams, hybrid_search
from recommender.search.tfidf_query import FastTfidf, SparseScores
from recommender.search.topk import top_rows

DEV_SET = PROJECT_ROOT / "eval" / "synopsis_dev.json"
RESULTS_JSON = PROJECT_ROOT / "eval" / "search_results.json"
RESULTS_MD = PROJECT_ROOT / "eval" / "search_results.md"
DEPTH = 100  # ranks beyond this count as misses (MRR@100)
ALPHAS = tuple(round(a, 2) for a in np.arange(0.0, 1.0001, 0.05))
POOLS = (20, 50, 100)
RRF_K = 60


@dataclass(frozen=True)
class MethodScores:
    method: str
    hit_at_1: float
    hit_at_10: float
    mrr: float
    group_recall_at_10: float


@dataclass(frozen=True)
class Query:
    """Everything a ranking needs about one query, computed once."""

    vector: np.ndarray
    lexical: SparseScores
    exclude: frozenset[int]
    dense: list[tuple[int, float]]  # ANN hits (exactly re-ranked), DEPTH deep


Ranker = Callable[[Query], list[int]]


def load_dev_set(path: Path = DEV_SET) -> dict:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if len(data.get("queries", [])) < 40 or not data.get("groups"):
        raise ValueError(f"{path}: needs at least 40 queries and some groups")
    return data


class Evaluator:
    def __init__(self, artifacts, encoder) -> None:  # Artifacts, SentenceEncoder
        self.catalog = artifacts.catalog
        self.lexical_index = FastTfidf(artifacts.tfidf)
        self.index = artifacts.index
        self.encoder = encoder
        stored = getattr(self.index, "vectors", None)
        self.vectors = (
            stored
            if stored is not None
            else np.stack([self.index.vector(r) for r in range(len(self.catalog))]).astype(np.float32)
        )

    def _query(self, vector: np.ndarray, lexical: SparseScores, exclude: frozenset[int]) -> Query:
        dense = self.index.search(vector, DEPTH, exclude_rows=exclude)
        return Query(vector, lexical, exclude, dense)

    def text_query(self, text: str) -> Query:
        from recommender.serving.inputs import MAX_SYNOPSIS_CHARS, clean_user_text

        cleaned = clean_user_text(text, MAX_SYNOPSIS_CHARS, "synopsis")
        return self._query(
            self.encoder.encode_one(cleaned), self.lexical_index.query(cleaned).sparse_scores(), frozenset()
        )

    def film_query(self, row: int) -> Query:
        return self._query(self.vectors[row], self.lexical_index.row_query(row).sparse_scores(), frozenset({row}))

    # -- rankers --------------------------------------------------------------------------

    @staticmethod
    def dense(q: Query) -> list[int]:
        return [r for r, _ in q.dense]

    @staticmethod
    def lexical(q: Query) -> list[int]:
        return top_rows(q.lexical.dense(), DEPTH, q.exclude).tolist()

    def hybrid(self, params: FusionParams) -> Ranker:
        def rank(q: Query) -> list[int]:
            hits = hybrid_search(
                q.vector,
                q.lexical,
                dense_search=lambda v, n, ex: q.dense[:n],
                vectors=lambda rows: self.vectors[rows],
                k=DEPTH,
                exclude=q.exclude,
                params=params,
            )
            return [h.row for h in hits]

        return rank

    def rrf(self, q: Query) -> list[int]:
        scores: dict[int, float] = {}
        for ranking in (self.dense(q), self.lexical(q)):
            for i, r in enumerate(ranking):
                scores[r] = scores.get(r, 0.0) + 1.0 / (RRF_K + i + 1)
        return [r for r, _ in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))][:DEPTH]


def score_method(
    name: str, ranker: Ranker, text_queries: list[tuple[Query, int]], group_queries: list[tuple[Query, set[int]]]
) -> MethodScores:
    hit1 = hit10 = rr = 0.0
    for q, target in text_queries:
        ranking = ranker(q)
        if target in ranking:
            rank = ranking.index(target) + 1
            hit1 += rank == 1
            hit10 += rank <= 10
            rr += 1.0 / rank
    recall = 0.0
    for q, others in group_queries:
        top = set(ranker(q)[:10])
        recall += len(top & others) / min(10, len(others))
    n, g = len(text_queries), max(1, len(group_queries))
    return MethodScores(name, hit1 / n, hit10 / n, rr / n, recall / g)


def evaluate(artifacts, encoder, dev: dict) -> dict:
    ev = Evaluator(artifacts, encoder)
    start = time.perf_counter()
    text_queries, missing = [], []
    for item in dev["queries"]:
        row = ev.catalog.row_of(item["movie_id"])
        if row is None:
            missing.append(item["movie_id"])
            continue
        text_queries.append((ev.text_query(item["query"]), row))
    group_queries = []
    for group in dev["groups"]:
        rows = {ev.catalog.row_of(m) for m in group["movie_ids"]} - {None}
        for row in rows:
            group_queries.append((ev.film_query(row), rows - {row}))

    shipped = FusionParams(DEFAULT_ALPHA, DEFAULT_POOL)
    methods = [
        score_method("dense only", ev.dense, text_queries, group_queries),
        score_method("TF-IDF only", ev.lexical, text_queries, group_queries),
        score_method(
            f"hybrid (alpha={shipped.alpha}, pool={shipped.pool})", ev.hybrid(shipped), text_queries, group_queries
        ),
        score_method(f"hybrid RRF (k={RRF_K}), reference", ev.rrf, text_queries, group_queries),
    ]
    grid = []
    for pool in POOLS:
        for alpha in ALPHAS:
            s = score_method(
                f"alpha={alpha}, pool={pool}", ev.hybrid(FusionParams(alpha, pool)), text_queries, group_queries
            )
            grid.append({"alpha": alpha, "pool": pool, **asdict(s)})
    best = max(grid, key=lambda g: (round(g["mrr"], 4), g["group_recall_at_10"], -abs(g["alpha"] - 0.5)))
    return {
        "queries": len(text_queries),
        "groups": len(dev["groups"]),
        "group_queries": len(group_queries),
        "missing_movie_ids": missing,
        "methods": [asdict(m) for m in methods],
        "shipped": asdict(shipped),
        "grid_best": best,
        "grid": grid,
        "seconds": round(time.perf_counter() - start, 1),
    }


def table(results: dict) -> str:
    head = f"| {'method':<36} | hit@1 | hit@10 |   MRR | group recall@10 |"
    lines = [head, "|" + "-" * 38 + "|------:|-------:|------:|----------------:|"]
    for m in results["methods"]:
        lines.append(
            f"| {m['method']:<36} | {m['hit_at_1']:.3f} | {m['hit_at_10']:>6.3f} | {m['mrr']:.3f} "
            f"| {m['group_recall_at_10']:>15.3f} |"
        )
    b = results["grid_best"]
    lines += [
        "",
        f"{results['queries']} written descriptions, {results['groups']} sequel groups "
        f"({results['group_queries']} more-like-this queries).",
        f"Grid best: alpha={b['alpha']}, pool={b['pool']} (MRR {b['mrr']:.3f}, "
        f"group recall@10 {b['group_recall_at_10']:.3f}).",
    ]
    return "\n".join(lines)


def hybrid_wins(results: dict) -> bool:
    dense, lexical, hybrid = (results["methods"][i]["mrr"] for i in range(3))
    return hybrid > dense and hybrid > lexical


def main() -> int:
    """CLI: evaluate, print the table, write eval/search_results.{json,md}."""
    from recommender.artifacts import load_artifacts
    from recommender.search.encoder import load_encoder

    results = evaluate(load_artifacts(), load_encoder(), load_dev_set())
    text = table(results)
    print(text)
    RESULTS_JSON.write_text(json.dumps(results, indent=2), encoding="utf-8")
    RESULTS_MD.write_text(
        "# Synopsis search on the dev set\n\nGenerated by `python -m recommender evaluate-search` "
        "from `eval/synopsis_dev.json`.\nMRR is MRR@100; group recall@10 is, for each film of a "
        "sequel group, the share of its siblings in its top 10.\n\n" + text + "\n",
        encoding="utf-8",
    )
    ok = hybrid_wins(results)
    print("\nhybrid beats both single methods on MRR" if ok else "\nWARNING: hybrid does not beat both on MRR")
    return 0 if ok else 1
