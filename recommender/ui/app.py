"""Page plumbing: CSS, the one Recommender per process, friendly errors, filters, status sidebar."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import streamlit as st

if TYPE_CHECKING:  # imported lazily at run time so the first paint does not wait on models
    from recommender.serving.results import MoodResult
    from recommender.serving.service import Recommender
from recommender.ui.cards import md_escape

log = logging.getLogger("reelmood.app")


BACKEND_NAMES = {"redis": "Redis", "embedded-redis": "Embedded Redis", "in-process": "In-process"}


_CSS = """
<style>
img.rm-poster { width: 100%; aspect-ratio: 2 / 3; object-fit: cover; border-radius: 8px;
  display: block; background: #1B1E2B; box-shadow: 0 4px 14px rgba(0,0,0,.35); }
div.rm-poster-wrap { margin-bottom: .35rem; aspect-ratio: 2 / 3; border-radius: 8px;
  background-size: cover; background-position: center; }
</style>
"""


def inject_css() -> None:
    """Constant styling for poster images (no user or film text inside)."""
    st.markdown(_CSS, unsafe_allow_html=True)


# ---------------------------------------------------------------- loading and errors


@st.cache_resource(show_spinner="Loading the catalog and models (first visit only)…")
def _load_recommender() -> Recommender:
    from recommender.serving.service import Recommender

    return Recommender.load()


def get_recommender() -> Recommender | None:
    """The one Recommender of this process; None (with an explanation shown) if it cannot load."""
    try:
        return _load_recommender()
    except Exception as exc:  # ArtifactError and friends carry a "how to rebuild" message
        log.exception("could not load the recommender")
        st.error(f"The recommender could not start, so this page cannot run right now.\n\n{md_escape(exc)}")
        return None


@contextmanager
def friendly_errors(action: str) -> Iterator[None]:
    """Show InputError as a warning and anything else as a short error; never a traceback."""
    from recommender.serving.inputs import InputError

    try:
        yield
    except InputError as exc:
        st.warning(md_escape(exc), icon=":material/edit_note:")
    except Exception:  # Streamlit's rerun/stop are BaseException and pass through
        log.exception("failed while %s", action)
        st.error(f"Sorry, something went wrong while {action}. Please try again.", icon=":material/error:")


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "de": "German",
    "it": "Italian",
    "ja": "Japanese",
    "zh": "Chinese",
    "cn": "Cantonese",
    "ko": "Korean",
    "hi": "Hindi",
    "ru": "Russian",
    "pt": "Portuguese",
    "da": "Danish",
    "sv": "Swedish",
    "nl": "Dutch",
    "no": "Norwegian",
    "nb": "Norwegian",
    "fa": "Persian",
    "th": "Thai",
    "he": "Hebrew",
    "ta": "Tamil",
    "te": "Telugu",
    "cs": "Czech",
    "ro": "Romanian",
    "id": "Indonesian",
    "ar": "Arabic",
    "vi": "Vietnamese",
    "pl": "Polish",
    "tr": "Turkish",
    "el": "Greek",
    "hu": "Hungarian",
    "is": "Icelandic",
    "ky": "Kyrgyz",
    "ps": "Pashto",
    "sl": "Slovenian",
    "xx": "No language",
    "af": "Afrikaans",
    "fi": "Finnish",
}


def language_label(code: str) -> str:
    """'fr' -> 'French (fr)'; unknown codes are shown as they are."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


@st.cache_data(show_spinner=False)
def filter_options(_rec: Recommender, catalog_size: int) -> tuple[int, int, list[str]]:
    """(first year, last year, languages by number of films) for the mood filters."""
    films = _rec.catalog.films()
    years = [f.year for f in films if f.year is not None]
    first, last = (min(years), max(years)) if years else (1900, 2030)
    counts = Counter(f.original_language for f in films if f.original_language)
    languages = [code for code, _ in counts.most_common()]
    return first, last, languages


@st.cache_data(show_spinner=False)
def title_labels(_rec: Recommender, catalog_size: int) -> dict[int, str]:
    """movie_id -> 'Title (Year)', sorted by title, for the searchable film picker."""
    items = sorted(_rec.catalog.titles(), key=lambda t: (t[1].casefold(), t[2] or 0))
    return {mid: f"{title} ({year})" if year else title for mid, title, year in items}


# ---------------------------------------------------------------- film cards


def render_status_sidebar() -> None:
    """The state of the parts: catalog, emotion model, cache backend and hit rate, posters, index engine."""
    with st.sidebar:
        st.subheader("System status")
        rec = get_recommender()
        if rec is None:
            return
        try:
            status = rec.status()
        except Exception:
            log.exception("status failed")
            st.caption("Status unavailable.")
            return
        cache = status.cache
        backend = BACKEND_NAMES.get(cache.backend, md_escape(cache.backend))
        lookups = cache.hits + cache.misses
        hit_rate = f"{cache.hit_rate:.0%} of {lookups}" if lookups else "no lookups yet"
        rows = [
            (":material/movie: Catalog", f"{status.catalog_size:,} films"),
            (":material/psychology: Emotion model", md_escape(_model_name(status.emotion_model))),
            (":material/database: Cache", f"{backend} · hit rate {hit_rate}"),
            (":material/image: Posters", "TMDB on" if status.posters_enabled else "off (placeholders)"),
            (
                ":material/record_voice_over: Wish reading",
                "wish encoder" if status.wish_encoder else "search encoder (wish model missing)",
            ),
        ]
        index = status.index or {}
        if index.get("engine"):  # "exact (0.33 ms; Annoy 0.78 ms)": what serves, then the other, as built
            names = {"exact": "exact", "annoy": "Annoy"}
            serving = "annoy" if index["engine"] == "annoy" else "exact"
            timing = []
            for engine in sorted(names, key=lambda e: e != serving):
                ms = index.get(f"query_ms_{engine}")
                if isinstance(ms, int | float) and ms > 0:
                    timing.append(f"{ms:.2f} ms" if engine == serving else f"{names[engine]} {ms:.2f} ms")
            rows.append((":material/hub: Index", names[serving] + (f" ({'; '.join(timing)})" if timing else "")))
        st.markdown("\n".join(f"- **{k}** · {v}" for k, v in rows))


def _model_name(model: Any) -> str:
    """A short readable model label from whatever status() reports (str or object)."""
    for attr in ("name", "model_id"):
        value = getattr(model, attr, None)
        if value:
            return str(value)
    return str(model)


HIDDEN_GEMS_HELP = (
    "Films rated 7 or more by at least 20 people, but fewer people than the catalog's median rated film. "
    "By default the app shows films with a Bayesian rating of at least 6 and prefers ones many people know."
)


def wish_options(rec: Recommender) -> dict[str, str]:
    """Wish id -> what the selector shows, "none" (the mode decides) first."""
    return {
        "none": "Nothing in particular (the mode decides)",
        **{w: label.capitalize() for w, label in rec.wish_labels()},
    }


def wish_line(result: MoodResult, labels: dict[str, str]) -> str:
    """'You asked for: **a good cry**' (or what the mode does), and what was avoided."""
    if result.wish_label:
        verb = "You chose" if result.wish_source == "chosen" else "You asked for"
        line = f":material/target: {verb}: **{md_escape(result.wish_label)}**"
    else:
        line = ":material/target: No particular wish read: the films " + (
            "lift your mood" if result.mode == "lift" else "match your mood"
        )
    if result.avoid:
        line += " · not " + md_escape(", ".join(labels.get(a, a).lower() for a in result.avoid))
    return line
