"""The one-line "why this film" under each card, from the ranking's own evidence."""

from __future__ import annotations

from collections.abc import Mapping

from recommender.mood.rank import FilmTable, RankedFilm
from recommender.search.tfidf_query import TfidfQuery

HIGHLY_RATED = 0.7  # Bayesian rating / 10


def _emotion_head(emotions: list[str], mode: str) -> str:
    return f"{'lifts' if mode == 'lift' else 'matches'} your {' & '.join(emotions)}"


def _join(head: str, words: TfidfQuery | None, ranked: RankedFilm) -> str:
    """The head, then the shared concrete words and "highly rated" where they apply."""
    parts = [head]
    if words is not None and ranked.text > 0:
        shared = words.shared_terms(ranked.row, n=3)
        if shared:
            parts.append("about " + ", ".join(shared))
    if ranked.quality >= HIGHLY_RATED:
        parts.append("highly rated")
    return "; ".join(parts)


def baseline_reason(
    films: FilmTable, query: TfidfQuery, ranked: RankedFilm, emotions: list[str], weights: dict[str, float], mode: str
) -> str:
    """The reason of the baseline ranking: emotions, matched genres, shared words."""
    genres = films.matched_genres(ranked.row, weights)
    return _join(_emotion_head(emotions, mode) + (f" with {' / '.join(genres)}" if genres else ""), query, ranked)


def mood_reason(
    films: FilmTable,
    words: TfidfQuery | None,
    ranked: RankedFilm,
    tone: tuple[str, ...],
    wish_label: str | None,
    emotions: list[str],
    genres: Mapping[str, float],
    mode: str,
) -> str:
    """'for a good cry: tender, sad Drama; about grandmother; highly rated'."""
    wanted = {g: w for g, w in genres.items() if w > 0}
    matched = films.matched_genres(ranked.row, wanted)
    what = " ".join(p for p in (", ".join(tone), " / ".join(matched)) if p)
    head = f"for {wish_label}" if wish_label else _emotion_head(emotions, mode)
    return _join(f"{head}: {what}" if what else head, words, ranked)
