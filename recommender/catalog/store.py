"""The catalog's stored form: one JSON object per film and line (serving needs only json)."""

from __future__ import annotations

import json
from pathlib import Path

from recommender.catalog.film import FILM_COLUMNS, Film
from recommender.catalog.lookup import Catalog

CATALOG_FILE = "catalog.jsonl"  # its name inside an artifacts folder


def write_catalog(films: list[Film], path: Path) -> None:
    """One JSON object per film and line: readable diffs, and loading needs only json."""
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for film in films:
            out.write(json.dumps({c: getattr(film, c) for c in FILM_COLUMNS}, ensure_ascii=False) + "\n")


def read_catalog(path: Path) -> Catalog:
    """The catalog JSON-lines file as a Catalog (no verification: load_artifacts does that)."""
    films = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            films.append(Film(**{**record, "genres": tuple(record["genres"]), "keywords": tuple(record["keywords"])}))
    return Catalog(films)
