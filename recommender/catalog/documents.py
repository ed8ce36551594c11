"""The texts built from a Film: what TF-IDF indexes and what the sentence encoder embeds."""

from __future__ import annotations

from recommender.catalog.film import Film


def film_document(film: Film) -> str:
    """The text TF-IDF indexes for a film: overview, genres, keywords and tagline."""
    parts = [film.overview, " ".join(film.genres), " ".join(film.keywords), film.tagline]
    return " ".join(p for p in parts if p)


def enriched_text(film: Film) -> str:
    """Context-enriched text a film's sentence embedding is computed from.

    'Genre: Drama, Romance. Year: 1997. Title: Titanic. Overview: ...' -- genre and period
    pull films of the same kind together, not only films with similar plot words.
    """
    parts = []
    if film.genres:
        parts.append(f"Genre: {', '.join(film.genres)}.")
    if film.year:
        parts.append(f"Year: {film.year}.")
    parts.append(f"Title: {film.title}.")
    parts.append(f"Overview: {film.overview}")
    return " ".join(parts)
