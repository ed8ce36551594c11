"""The synopsis dev set is sound, and the hybrid beats dense-only and TF-IDF-only on it."""

from __future__ import annotations

import re

from recommender.evaluation.search import evaluate, hybrid_wins, load_dev_set, table


def ngrams(text: str, n: int = 6) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z]+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_dev_set_shape():
    dev = load_dev_set()
    assert len(dev["queries"]) >= 40 and len(dev["groups"]) >= 20
    ids = [q["movie_id"] for q in dev["queries"]]
    assert len(set(ids)) == len(ids)
    assert all(len(g["movie_ids"]) >= 2 for g in dev["groups"])


def test_dev_set_films_exist_and_descriptions_are_not_copied(rec):
    dev = load_dev_set()
    for q in dev["queries"]:
        row = rec.catalog.row_of(q["movie_id"])
        assert row is not None, q
        film = rec.catalog.film(row)
        assert film.title == q["title"]
        assert not ngrams(q["query"]) & ngrams(film.overview), f"{film.title}: copies its overview"
    for g in dev["groups"]:
        assert all(rec.catalog.row_of(m) is not None for m in g["movie_ids"]), g["name"]


def test_hybrid_beats_both_on_mrr(rec):
    results = evaluate(rec.artifacts, rec.encoder, load_dev_set())
    dense, lexical, hybrid = results["methods"][:3]
    assert hybrid_wins(results), table(results)
    assert hybrid["hit_at_10"] >= max(dense["hit_at_10"], lexical["hit_at_10"]) - 0.02
    assert hybrid["group_recall_at_10"] >= 0.5
    assert not results["missing_movie_ids"]
