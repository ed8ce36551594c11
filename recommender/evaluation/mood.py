"""`python -m recommender evaluate-mood`: the mood ranking on a committed set of mood texts.

The sets in eval/ were written apart from the ranking code: `mood_dev.json` is the one figures
are reported on, `mood_tune.json` the one the ranking's numbers were tuned on, `mood_tune2.json`
and `mood_tune3.json` (each written later by another hand, without sight of the others, the wish
exemplars or the code) second and third checks for the choices made on it. Per ranking
(`baseline`: the ranking before wishes and tones; `default`: the current one) it reports genre
precision@10 (share of the top 10 with a fitting genre and no excluded one), junk share (films
rated below 5.5), the median vote count of what is shown, distinct films ÷ slots over the whole
set, wish accuracy, and p50 latency with the reading cached and uncached. On the topical sets
(`mood_topics_tune.json`, `mood_topics_dev.json`: texts that name a subject, a puppy, exams,
Italy; written by another hand, the two sharing no subject) it also reports topic hits@10: the
share of the top 10 whose title, overview, tagline or keywords name the subject.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from recommender.catalog.documents import film_document
from recommender.catalog.lookup import Catalog
from recommender.config import PROJECT_ROOT
from recommender.serving.results import MoodResult
from recommender.serving.service import MoodFilters, Recommender

DEV_SET = PROJECT_ROOT / "eval" / "mood_dev.json"
TUNE_SET = PROJECT_ROOT / "eval" / "mood_tune.json"
JUNK_BELOW = 5.5
TOP_K = 10
RANKINGS = ("baseline", "default")


@dataclass(frozen=True)
class MoodItem:
    id: str
    text: str
    mode: str
    kind: str
    wish: str | None
    fit: frozenset[str]
    exclude: frozenset[str]
    filters: MoodFilters
    topic: tuple[str, ...] = ()  # words a film about the text's subject would contain (topical sets)


@dataclass(frozen=True)
class MoodFigures:
    ranking: str
    items: int
    genre_precision_at_10: float
    junk_share: float
    median_votes: float
    distinct_per_slot: float
    wish_accuracy: float
    p50_ms_cached: float
    p50_ms_uncached: float
    topic_hits_at_10: float | None = None  # over the items with a topic; None when none has one


def load_items(path: Path = DEV_SET) -> list[MoodItem]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    items = []
    for it in raw["items"]:
        f = it.get("filters") or {}
        filters = MoodFilters(
            year_min=f.get("year_min"),
            year_max=f.get("year_max"),
            min_rating=f.get("min_rating"),
            language=f.get("language"),
            hidden_gems=bool(f.get("hidden_gems", False)),
        )
        items.append(
            MoodItem(
                it["id"],
                it["text"],
                it["mode"],
                it.get("kind", ""),
                it.get("wish"),
                frozenset(it["fit"]),
                frozenset(it.get("exclude", ())),
                filters,
                tuple(str(w).lower() for w in it.get("topic", ())),
            )
        )
    return items


def precision(result: MoodResult, item: MoodItem) -> float:
    """Share of the shown films with a fitting genre and no excluded one (0 when none is shown)."""
    recs = result.recommendations
    if not recs:
        return 0.0
    good = sum(1 for r in recs if item.fit & set(r.genres) and not item.exclude & set(r.genres))
    return good / len(recs)


def topic_hits(result: MoodResult, item: MoodItem, catalog: Catalog) -> float:
    """Share of the shown films whose title, overview, tagline or keywords name the item's subject
    (any of its topic words, whole words; 0 when none is shown)."""
    recs = result.recommendations
    if not recs:
        return 0.0
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in item.topic) + r")\b", re.IGNORECASE)
    texts = [catalog.film(catalog.row_of(r.movie_id) or 0) for r in recs]
    return sum(bool(pattern.search(f"{f.title} {film_document(f)}")) for f in texts) / len(recs)


def run(
    rec: Recommender, items: Sequence[MoodItem], ranking: str, timing: bool = True, **kwargs: Any
) -> tuple[MoodFigures, list[MoodResult]]:
    """Every item through `rec` with `ranking`; uncached first (timed), then cached (timed)."""
    results: list[MoodResult] = []
    uncached: list[float] = []
    cached: list[float] = []
    for item in items:
        if timing:
            t = time.perf_counter()
            rec.recommend_for_mood(
                item.text,
                TOP_K,
                item.mode,
                item.filters,
                with_posters=False,
                ranking=ranking,
                use_cache=False,
                **kwargs,
            )
            uncached.append((time.perf_counter() - t) * 1000)
        rec.recommend_for_mood(
            item.text, TOP_K, item.mode, item.filters, with_posters=False, ranking=ranking, **kwargs
        )  # primes the cache
        t = time.perf_counter()
        result = rec.recommend_for_mood(
            item.text, TOP_K, item.mode, item.filters, with_posters=False, ranking=ranking, **kwargs
        )
        cached.append((time.perf_counter() - t) * 1000)
        results.append(result)
    return figures(rec, items, results, ranking, cached, uncached), results


def figures(
    rec: Recommender,
    items: Sequence[MoodItem],
    results: Sequence[MoodResult],
    ranking: str,
    cached: Sequence[float] = (),
    uncached: Sequence[float] = (),
) -> MoodFigures:
    shown = [r for res in results for r in res.recommendations]
    topical = [(res, it) for res, it in zip(results, items) if it.topic]
    votes = [rec.catalog.film(rec.catalog.row_of(r.movie_id) or 0).vote_count for r in shown]
    return MoodFigures(
        ranking=ranking,
        items=len(items),
        genre_precision_at_10=round(statistics.fmean(precision(res, it) for res, it in zip(results, items)), 4),
        junk_share=round(sum(r.vote_average < JUNK_BELOW for r in shown) / max(1, len(shown)), 4),
        median_votes=float(statistics.median(votes)) if votes else 0.0,
        distinct_per_slot=round(len({r.movie_id for r in shown}) / max(1, len(shown)), 4),
        wish_accuracy=round(statistics.fmean(res.wish == it.wish for res, it in zip(results, items)), 4),
        p50_ms_cached=round(statistics.median(cached), 3) if cached else 0.0,
        p50_ms_uncached=round(statistics.median(uncached), 3) if uncached else 0.0,
        topic_hits_at_10=(
            round(statistics.fmean(topic_hits(res, it, rec.catalog) for res, it in topical), 4) if topical else None
        ),
    )


def table(rows: Iterable[MoodFigures]) -> str:
    head = (
        "| ranking | genre precision@10 | junk share | median votes | distinct ÷ slots | wish accuracy "
        "| p50 cached ms | p50 uncached ms | topic hits@10 |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    body = [
        f"| {r.ranking} | {r.genre_precision_at_10:.3f} | {r.junk_share:.3f} | {r.median_votes:,.0f} "
        f"| {r.distinct_per_slot:.3f} | {r.wish_accuracy:.3f} | {r.p50_ms_cached:.2f} | {r.p50_ms_uncached:.2f} "
        f"| {'–' if r.topic_hits_at_10 is None else f'{r.topic_hits_at_10:.3f}'} |"
        for r in rows
    ]
    return "\n".join([head, *body])


def main(set_path: Path | None = None, json_path: Path | None = None) -> int:
    from recommender.config import Settings

    path = Path(set_path) if set_path else DEV_SET
    items = load_items(path)
    rec = Recommender.load(Settings(redis_url=None, use_embedded_redis=False))  # in-process cache
    rows = []
    for ranking in RANKINGS:
        fig, _ = run(rec, items, ranking)
        rows.append(fig)
    print(
        f"{len(items)} mood texts from {path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path}"
    )
    print(table(rows))
    if json_path:
        Path(json_path).write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0
