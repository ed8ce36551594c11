"""What the films should be, in genres and tones, from the wish (if any), the emotions and the mode.

A clear wish decides whatever the mode ("lift" + "I want a good cry" still means a good cry).
With no wish the mode decides as it always has: the emotion -> genre table, plus the wishes
each emotion implies in that mode (`mood_genres.json`, `implied_wishes`: sadness in *match* ->
a good cry, in *lift* -> something light). A wish to avoid ("nothing sad") pulls its tones and
main genres down whatever else is asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from recommender.mood.genre_table import MoodTable
from recommender.mood.wish import WishReading, WishTable

NAMED_GENRE = 0.8  # weight of a genre the text names ("a french romance")
AVOID_GENRE_SHARE = 0.5  # an avoided wish lowers its genres by half their weight, its tones fully


@dataclass(frozen=True)
class MoodTarget:
    genres: dict[str, float]  # TMDB genre -> weight in [-1, 1]; <= EXCLUDE keeps a genre out
    tones: dict[str, float]  # tone -> weight in [-1, 1]
    wish: str | None
    avoid: tuple[str, ...]


def _add(into: dict[str, float], row: Mapping[str, float], share: float) -> None:
    for key, w in row.items():
        into[key] = into.get(key, 0.0) + share * float(w)


def _clip(d: dict[str, float]) -> dict[str, float]:
    return {k: max(-1.0, min(1.0, v)) for k, v in d.items() if abs(v) > 1e-6}


def implied_wishes(emotions: Mapping[str, float], mode: str, table: MoodTable) -> dict[str, float]:
    """The wishes the emotions imply in `mode`, weighted by probability (sums to <= 1)."""
    rows = table.implied.get(mode, {})
    total = sum(max(0.0, float(p)) for e, p in emotions.items() if e in rows) or 1.0
    mix: dict[str, float] = {}
    for emotion, p in emotions.items():
        share = max(0.0, float(p)) / total
        if share >= table.min_emotion and emotion in rows:
            _add(mix, rows[emotion], share)
    return mix


def mood_target(
    emotions: Mapping[str, float], mode: str, reading: WishReading, genres: MoodTable, wishes: WishTable
) -> MoodTarget:
    genre_w: dict[str, float] = {}
    tone_w: dict[str, float] = {}
    if reading.wish is not None and reading.wish in wishes.wishes:
        wish = wishes.wishes[reading.wish]
        _add(genre_w, wish.genres, 1.0)
        _add(tone_w, wish.tones, 1.0)
    else:
        _add(genre_w, genres.genre_weights(emotions, mode), 0.5)
        mix = implied_wishes(emotions, mode, genres)
        scale = 1.0 / max(1e-9, sum(mix.values()))
        for wid, share in mix.items():
            if wid in wishes.wishes:
                _add(genre_w, wishes.wishes[wid].genres, 0.5 * share * scale)
                _add(tone_w, wishes.wishes[wid].tones, share * scale)
    for wid in reading.avoid:
        avoided = wishes.wishes.get(wid)
        if avoided is None:
            continue
        _add(tone_w, {t: -w for t, w in avoided.tones.items() if w > 0}, 1.0)
        _add(genre_w, {g: -w for g, w in avoided.genres.items() if w > 0}, AVOID_GENRE_SHARE)
    for genre in reading.genres_in:  # "a french romance": the named genre is wanted
        genre_w[genre] = max(genre_w.get(genre, 0.0), NAMED_GENRE)
    for genre in reading.genres_out:  # "no horror", "not animated": kept out
        genre_w[genre] = -1.0
    return MoodTarget(_clip(genre_w), _clip(tone_w), reading.wish, reading.avoid)
