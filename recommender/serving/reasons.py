"""The one-line "why this film" under each card, from the ranking's own evidence."""

from __future__ import annotations

from collections.abc import Mapping

from recommender.mood.rank import FilmTable, RankedFilm
from recommender.search.tfidf_query import TfidfQuery

HIGHLY_RATED = 0.7  # Bayesian rating / 10


def baseline_reason(
    films: FilmTable, query: TfidfQuery, ranked: RankedFilm, emotions: list[str], weights: dict[str, float], mode: str
) -> str:
    """The reason of the baseline ranking: emotions, matched genres, shared words."""
    genres = films.matched_genres(ranked.row, weights)
    verb = "lifts" if mode == "lift" else "matches"
    parts = [f"{verb} your {' & '.join(emotions)}" + (f" with {' / '.join(genres)}" if genres else "")]
    if ranked.text > 0:
        shared = query.shared_terms(ranked.row, n=3)
        if shared:
            parts.append("about " + ", ".join(shared))
    if ranked.quality >= HIGHLY_RATED:
        parts.append("highly rated")
    return "; ".join(parts)


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
    head = (
        f"for {wish_label}" if wish_label else f"{'lifts' if mode == 'lift' else 'matches'} your {' & '.join(emotions)}"
    )
    parts = [f"{head}: {what}" if what else head]
    if words is not None and ranked.text > 0:
        shared = words.shared_terms(ranked.row, n=3)
        if shared:
            parts.append("about " + ", ".join(shared))
    if ranked.quality >= HIGHLY_RATED:
        parts.append("highly rated")
    return "; ".join(parts)
