"""Shareable links: a page's request <-> the URL's query parameters (st.query_params), validated.

Why pure functions: whatever arrives in a URL is untrusted (hand-edited, cut short, hostile), so
it is parsed into a page state with every value checked; a value that does not fit falls back
to its default and its name is reported, so the page can say so. Parsing never raises. The
state written back holds only what differs from the defaults, so links stay short; `sync_url`
is the one Streamlit call.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:
    from recommender.serving.service import MoodFilters

MODES = ("match", "lift")
MAX_VALUE_CHARS = 40  # any parameter but the texts
TOP_K_RANGE = (3, 30)  # the Similar page's slider
DEFAULT_TOP_K = 10
_YEAR = re.compile(r"^\d{4}$")
_FILM_ID = re.compile(r"^\d{1,10}$")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off", "")


@dataclass(frozen=True)
class MoodOptions:
    """What the Mood page offers, so a link can only ask for that."""

    first_year: int
    last_year: int
    languages: tuple[str, ...]
    wishes: tuple[str, ...]  # wish ids, "none" (the mode decides) among them
    emotions: tuple[str, ...]


@dataclass(frozen=True)
class MoodState:
    """One Mood request: the text, mode, wish and emotion choices, and the filters."""

    text: str = ""
    mode: str = "match"
    wish: str | None = None  # None: read it from the text; "none": the mode decides
    emotion: str | None = None  # the person's correction of the main emotion
    year_min: int | None = None
    year_max: int | None = None
    min_rating: float | None = None
    language: str | None = None
    hidden_gems: bool = False

    def filters(self) -> MoodFilters:
        from recommender.serving.service import MoodFilters

        return MoodFilters(
            year_min=self.year_min,
            year_max=self.year_max,
            min_rating=self.min_rating,
            language=self.language,
            hidden_gems=self.hidden_gems,
        )


@dataclass(frozen=True)
class SimilarState:
    """One Similar films request: a catalog film (TMDB id) or a synopsis, and how many films."""

    film: int | None = None
    synopsis: str = ""
    top_k: int = DEFAULT_TOP_K

    @property
    def empty(self) -> bool:
        return self.film is None and not self.synopsis.strip()


def _value(params: Mapping[str, object], name: str) -> str | None:
    """The parameter as text (the last one if repeated); None if absent or not text."""
    raw = params.get(name)
    if isinstance(raw, Sequence) and not isinstance(raw, str):
        raw = raw[-1] if raw else None
    return raw if isinstance(raw, str) else None


def _short(params: Mapping[str, object], name: str, ignored: list[str]) -> str | None:
    value = _value(params, name)
    if value is not None and len(value) > MAX_VALUE_CHARS:
        ignored.append(name)
        return None
    return value.strip() if value is not None else None


def _text(params: Mapping[str, object], name: str, limit: int) -> str:
    value = _value(params, name) or ""
    return value[:limit].replace("\x00", "")


def _choice(value: str | None, allowed: Sequence[str], name: str, ignored: list[str]) -> str | None:
    if value is None or value == "":
        return None
    if value.lower() in allowed:
        return value.lower()
    ignored.append(name)
    return None


def _year(value: str | None, options: MoodOptions, name: str, ignored: list[str]) -> int | None:
    if not value:
        return None
    if _YEAR.match(value) and options.first_year <= int(value) <= options.last_year:
        year = int(value)
        return None if year in (options.first_year, options.last_year) else year  # the slider's ends: no bound
    ignored.append(name)
    return None


def _rating(value: str | None, ignored: list[str]) -> float | None:
    if not value:
        return None
    try:
        rating = float(value)
    except ValueError:
        rating = math.nan
    if not math.isfinite(rating) or not 0 <= rating <= 10:
        ignored.append("rating")
        return None
    rounded = round(rating * 2) / 2  # the slider's step
    return rounded or None


def _flag(value: str | None, name: str, ignored: list[str]) -> bool:
    if value is None or value.lower() in _FALSE:
        return False
    if value.lower() in _TRUE:
        return True
    ignored.append(name)
    return False


def parse_mood(params: Mapping[str, object], options: MoodOptions) -> tuple[MoodState, tuple[str, ...]]:
    """The Mood request a URL asks for, and the names of the parameters that were ignored."""
    from recommender.serving.service import MAX_MOOD_CHARS

    ignored: list[str] = []

    def get(name: str) -> str | None:
        return _short(params, name, ignored)

    mode = _choice(get("mode"), MODES, "mode", ignored) or "match"
    state = MoodState(
        text=_text(params, "q", MAX_MOOD_CHARS),
        mode=mode,
        wish=_choice(get("wish"), options.wishes, "wish", ignored),
        emotion=_choice(get("emotion"), options.emotions, "emotion", ignored),
        year_min=_year(get("from"), options, "from", ignored),
        year_max=_year(get("to"), options, "to", ignored),
        min_rating=_rating(get("rating"), ignored),
        language=_choice(get("lang"), [c.lower() for c in options.languages], "lang", ignored),
        hidden_gems=_flag(get("gems"), "gems", ignored),
    )
    if state.year_min is not None and state.year_max is not None and state.year_min > state.year_max:
        state = replace(state, year_min=None, year_max=None)
        ignored += ["from", "to"]
    return state, tuple(dict.fromkeys(ignored))


def mood_params(state: MoodState) -> dict[str, str]:
    """The query parameters of `state` (defaults left out)."""
    out: dict[str, str] = {"q": state.text}
    if state.mode != "match":
        out["mode"] = state.mode
    if state.wish is not None:
        out["wish"] = state.wish
    if state.emotion is not None:
        out["emotion"] = state.emotion
    if state.year_min is not None:
        out["from"] = str(state.year_min)
    if state.year_max is not None:
        out["to"] = str(state.year_max)
    if state.min_rating:
        out["rating"] = f"{state.min_rating:g}"
    if state.language:
        out["lang"] = state.language
    if state.hidden_gems:
        out["gems"] = "1"
    return out


def mood_state(
    text: str,
    mode: str | None,
    years: tuple[int, int],
    min_rating: float,
    language: str,
    gems: bool,
    options: MoodOptions,
) -> MoodState:
    """The request the Mood form's widgets describe (a slider at its end is no bound; "any" language)."""
    return MoodState(
        text=text or "",
        mode=mode if mode in MODES else "match",
        year_min=years[0] if years[0] > options.first_year else None,
        year_max=years[1] if years[1] < options.last_year else None,
        min_rating=min_rating or None,
        language=None if language == "any" else language,
        hidden_gems=bool(gems),
    )


def mood_widgets(state: MoodState, options: MoodOptions) -> dict[str, object]:
    """The Mood form's widget values (by key) that show `state`."""
    return {
        "mood_text": state.text,
        "mood_mode": state.mode,
        "mood_years": (state.year_min or options.first_year, state.year_max or options.last_year),
        "mood_rating": float(state.min_rating or 0.0),
        "mood_language": state.language or "any",
        "mood_gems": state.hidden_gems,
    }


def parse_similar(params: Mapping[str, object]) -> tuple[SimilarState, tuple[str, ...]]:
    """The Similar films request a URL asks for (a film id wins over a synopsis), and what was ignored."""
    from recommender.serving.service import MAX_SYNOPSIS_CHARS

    ignored: list[str] = []
    film_raw = _short(params, "film", ignored)
    film = int(film_raw) if film_raw and _FILM_ID.match(film_raw) and int(film_raw) > 0 else None
    if film_raw and film is None:
        ignored.append("film")
    synopsis = _text(params, "synopsis", MAX_SYNOPSIS_CHARS)
    if film is not None and synopsis:
        ignored.append("synopsis")
        synopsis = ""
    top_k = DEFAULT_TOP_K
    n_raw = _short(params, "n", ignored)
    if n_raw:
        if n_raw.isdigit() and TOP_K_RANGE[0] <= int(n_raw) <= TOP_K_RANGE[1]:
            top_k = int(n_raw)
        else:
            ignored.append("n")
    return SimilarState(film, synopsis, top_k), tuple(dict.fromkeys(ignored))


def similar_params(state: SimilarState) -> dict[str, str]:
    """The query parameters of `state` (defaults left out)."""
    out: dict[str, str] = {}
    if state.film is not None:
        out["film"] = str(state.film)
    elif state.synopsis:
        out["synopsis"] = state.synopsis
    if state.top_k != DEFAULT_TOP_K:
        out["n"] = str(state.top_k)
    return out


def ignored_note(ignored: Sequence[str]) -> str | None:
    """What the page says when a link held values it could not use."""
    if not ignored:
        return None
    return f"Part of this link could not be used ({', '.join(ignored)}), so the defaults were taken instead."


def sync_url(params: dict[str, str]) -> None:
    """Make the page's URL say `params` (only when it says something else: no needless message)."""
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
