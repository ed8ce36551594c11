"""Shared Streamlit rendering for the pages: loading, film cards, charts, status sidebar.

UI code only. Every piece of user or film text goes through `md_escape` (markdown, never
HTML) or a plain widget; the only raw HTML is constant CSS and <img> tags whose `src`
passed `safe_image_src`.
"""

from __future__ import annotations

import html
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import plotly.graph_objects as go
import streamlit as st

if TYPE_CHECKING:  # imported lazily at run time so the first paint does not wait on models
    from recommender.catalog import Film
    from recommender.service import Recommendation, Recommender

log = logging.getLogger("reelmood.app")

ACCENT = "#F5C518"
EMOTION_COLOURS = {
    "sadness": "#5B8DEF", "joy": "#F5C518", "love": "#EF5B9C", "anger": "#E5484D",
    "fear": "#8E6CEF", "surprise": "#2EC4B6", "disgust": "#7BAF3E", "neutral": "#9AA0AE",
}
BACKEND_NAMES = {"redis": "Redis", "embedded-redis": "Embedded Redis", "in-process": "In-process"}
CARD_COLUMNS = 5

_CSS = """
<style>
img.rm-poster { width: 100%; aspect-ratio: 2 / 3; object-fit: cover; border-radius: 8px;
  display: block; background: #1B1E2B; box-shadow: 0 4px 14px rgba(0,0,0,.35); }
div.rm-poster-wrap { margin-bottom: .35rem; aspect-ratio: 2 / 3; border-radius: 8px;
  background-size: cover; background-position: center; }
</style>
"""

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<$:=&])")


def md_escape(text: object) -> str:
    """Make any text inert for st.markdown: markdown syntax escaped, HTML shown as text."""
    cleaned = "".join(ch for ch in str(text) if ch in "\n\t" or ch.isprintable())
    return _MD_SPECIAL.sub(r"\\\1", cleaned).replace("\n", " ")


def safe_image_src(url: str | None) -> str | None:
    """An attribute-safe <img> src: http(s) URLs and image data URIs only, HTML-escaped."""
    if not url or not isinstance(url, str):
        return None
    lowered = url.strip().lower()
    if not (lowered.startswith(("http://", "https://")) or lowered.startswith("data:image/")):
        return None
    return html.escape(url.strip(), quote=True)


def inject_css() -> None:
    """Constant styling for poster images (no user or film text inside)."""
    st.markdown(_CSS, unsafe_allow_html=True)


# ---------------------------------------------------------------- loading and errors


@st.cache_resource(show_spinner="Loading the catalog and models (first visit only)…")
def _load_recommender() -> "Recommender":
    from recommender.service import Recommender

    return Recommender.load()


def get_recommender() -> "Recommender | None":
    """The one Recommender of this process; None (with an explanation shown) if it cannot load."""
    try:
        return _load_recommender()
    except Exception as exc:  # ArtifactError and friends carry a "how to rebuild" message
        log.exception("could not load the recommender")
        st.error(
            "The recommender could not start, so this page cannot run right now.\n\n"
            f"{md_escape(exc)}"
        )
        return None


@contextmanager
def friendly_errors(action: str) -> Iterator[None]:
    """Show InputError as a warning and anything else as a short error; never a traceback."""
    from recommender.service import InputError

    try:
        yield
    except InputError as exc:
        st.warning(md_escape(exc), icon=":material/edit_note:")
    except Exception:  # Streamlit's rerun/stop are BaseException and pass through
        log.exception("failed while %s", action)
        st.error(f"Sorry, something went wrong while {action}. Please try again.", icon=":material/error:")


LANGUAGE_NAMES = {
    "en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian",
    "ja": "Japanese", "zh": "Chinese", "cn": "Cantonese", "ko": "Korean", "hi": "Hindi",
    "ru": "Russian", "pt": "Portuguese", "da": "Danish", "sv": "Swedish", "nl": "Dutch",
    "no": "Norwegian", "nb": "Norwegian", "fa": "Persian", "th": "Thai", "he": "Hebrew",
    "ta": "Tamil", "te": "Telugu", "cs": "Czech", "ro": "Romanian", "id": "Indonesian",
    "ar": "Arabic", "vi": "Vietnamese", "pl": "Polish", "tr": "Turkish", "el": "Greek",
    "hu": "Hungarian", "is": "Icelandic", "ky": "Kyrgyz", "ps": "Pashto", "sl": "Slovenian",
    "xx": "No language", "af": "Afrikaans", "fi": "Finnish",
}


def language_label(code: str) -> str:
    """'fr' -> 'French (fr)'; unknown codes are shown as they are."""
    name = LANGUAGE_NAMES.get(code)
    return f"{name} ({code})" if name else code


@st.cache_data(show_spinner=False)
def filter_options(_rec: "Recommender", catalog_size: int) -> tuple[int, int, list[str]]:
    """(first year, last year, languages by number of films) for the mood filters."""
    films = _rec.catalog.films()
    years = [f.year for f in films if f.year is not None]
    first, last = (min(years), max(years)) if years else (1900, 2030)
    counts = Counter(f.original_language for f in films if f.original_language)
    languages = [code for code, _ in counts.most_common()]
    return first, last, languages


@st.cache_data(show_spinner=False)
def title_labels(_rec: "Recommender", catalog_size: int) -> dict[int, str]:
    """movie_id -> 'Title (Year)', sorted by title, for the searchable film picker."""
    items = sorted(_rec.catalog.titles(), key=lambda t: (t[1].casefold(), t[2] or 0))
    return {mid: f"{title} ({year})" if year else title for mid, title, year in items}


# ---------------------------------------------------------------- film cards


def placeholder_src(film: "Film | None") -> str | None:
    from recommender.posters import placeholder_svg

    return safe_image_src(placeholder_svg(film)) if film is not None else None


def poster_html(rec: "Recommendation", film: "Film | None") -> str | None:
    """The poster <img>, with the drawn card painted behind it: if the TMDB image fails to load
    in the browser (CDN down, blocked), the card shows instead of a broken image."""
    tmdb, drawn = safe_image_src(rec.poster_url), placeholder_src(film)
    src = tmdb or drawn
    if not src:
        return None
    label = html.escape(f"Poster: {rec.title}", quote=True)
    style = f' style="background-image: url(&quot;{drawn}&quot;)"' if tmdb and drawn else ""
    return (f'<div class="rm-poster-wrap" role="img" aria-label="{label}"{style}>'
            f'<img class="rm-poster" src="{src}" alt=""></div>')


def _stars(rating: float) -> str:
    return f"★ {rating:.1f}" if rating and rating > 0 else "★ –"


def render_card(rec: "Recommendation", film: "Film | None", show_similarity: bool) -> None:
    """One film: poster, title, year, rating, genres, reason, overview on expand."""
    with st.container(border=True):
        poster = poster_html(rec, film)
        if poster:
            st.markdown(poster, unsafe_allow_html=True)
        year = f" ({rec.year})" if rec.year else ""
        st.markdown(f"**{md_escape(rec.title)}**{md_escape(year)}")
        meta = [_stars(rec.vote_average)]
        if show_similarity and rec.similarity_score is not None:
            meta.append(f"similarity {rec.similarity_score:.2f}")
        st.caption(" · ".join(meta))
        if rec.genres:
            st.caption(md_escape(", ".join(rec.genres[:3])))
        if rec.reason:
            st.caption(f"_{md_escape(rec.reason)}_")
        with st.expander("Overview"):
            st.text(rec.overview or "No overview available.")


def render_cards(
    recs: Sequence["Recommendation"],
    film_of: Callable[[int], "Film | None"],
    show_similarity: bool = False,
    columns: int = CARD_COLUMNS,
) -> None:
    """A grid of film cards, `columns` per row."""
    for start in range(0, len(recs), columns):
        cols = st.columns(columns, gap="small")
        for col, rec in zip(cols, recs[start:start + columns]):
            with col:
                render_card(rec, film_of(rec.movie_id), show_similarity)


def film_lookup(rec: "Recommender") -> Callable[[int], "Film | None"]:
    """movie_id -> Film from the catalog (None if the id is unknown)."""

    def find(movie_id: int) -> "Film | None":
        row = rec.catalog.row_of(movie_id)
        return rec.catalog.film(row) if row is not None else None

    return find


def poster_attribution() -> None:
    """TMDB's required attribution on pages that show posters."""
    from recommender.posters import TMDB_ATTRIBUTION

    st.caption(md_escape(TMDB_ATTRIBUTION))


def timing_caption(elapsed_ms: float, cached: bool | None = None) -> str:
    """'From the cache in 9 ms' / 'Computed in 120 ms'."""
    took = f"{elapsed_ms:.0f} ms" if elapsed_ms >= 10 else f"{elapsed_ms:.1f} ms"
    if cached is None:
        return f"Found in {took}"
    return f":material/bolt: Emotions came from the cache · {took}" if cached else f":material/timer: Computed fresh · {took}"


# ---------------------------------------------------------------- charts


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), showlegend=False,
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def emotion_chart(emotions: dict[str, float]) -> go.Figure:
    """Horizontal bars of emotion probabilities, strongest on top."""
    items = sorted(emotions.items(), key=lambda kv: kv[1])
    fig = go.Figure(go.Bar(
        x=[p for _, p in items], y=[e.capitalize() for e, _ in items], orientation="h",
        marker_color=[EMOTION_COLOURS.get(e, ACCENT) for e, _ in items],
        text=[f"{p:.0%}" for _, p in items], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    ))
    fig.update_xaxes(range=[0, 1.12], tickformat=".0%", showgrid=False)
    fig.update_layout(title="What we read in your words")
    return _layout(fig, 300)


def genre_chart(genres: dict[str, float]) -> go.Figure:
    """Genre weights the emotions lead to (top genre = 1)."""
    items = sorted(genres.items(), key=lambda kv: kv[1])[-8:]
    fig = go.Figure(go.Bar(
        x=[w for _, w in items], y=[html.escape(g) for g, _ in items], orientation="h",
        marker_color=ACCENT, hovertemplate="%{y}: %{x:.2f}<extra></extra>",
    ))
    fig.update_xaxes(range=[0, 1.05], showgrid=False, showticklabels=False)
    fig.update_layout(title="Genres that fit", bargap=0.6 if len(items) <= 3 else 0.35)
    return _layout(fig, 300)


# ---------------------------------------------------------------- sidebar


def render_status_sidebar() -> None:
    """The state of the parts: catalog, emotion model, cache backend and hit rate, posters."""
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
        ]
        st.markdown("\n".join(f"- **{k}** · {v}" for k, v in rows))


def _model_name(model: Any) -> str:
    """A short readable model label from whatever status() reports (str or object)."""
    for attr in ("name", "model_id"):
        value = getattr(model, attr, None)
        if value:
            return str(value)
    return str(model)
