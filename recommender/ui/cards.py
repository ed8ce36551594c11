"""Film cards: poster (TMDB or drawn), title, year, rating, genres, reason; all text escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import streamlit as st

if TYPE_CHECKING:  # imported lazily at run time so the first paint does not wait on models
    from streamlit.delta_generator import DeltaGenerator

    from recommender.catalog.film import Film
    from recommender.serving.service import Recommendation, Recommender


ACCENT = "#F5C518"


CARD_COLUMNS = 5


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


def placeholder_src(film: Film | None) -> str | None:
    from recommender.serving.placeholders import placeholder_svg

    return safe_image_src(placeholder_svg(film)) if film is not None else None


def poster_html(rec: Recommendation, film: Film | None) -> str | None:
    """The poster <img>, with the drawn card painted behind it: if the TMDB image fails to load
    in the browser (CDN down, blocked), the card shows instead of a broken image."""
    tmdb, drawn = safe_image_src(rec.poster_url), placeholder_src(film)
    src = tmdb or drawn
    if not src:
        return None
    label = html.escape(f"Poster: {rec.title}", quote=True)
    style = f' style="background-image: url(&quot;{drawn}&quot;)"' if tmdb and drawn else ""
    return (
        f'<div class="rm-poster-wrap" role="img" aria-label="{label}"{style}>'
        f'<img class="rm-poster" src="{src}" alt=""></div>'
    )


def _stars(rating: float) -> str:
    return f"★ {rating:.1f}" if rating and rating > 0 else "★ –"


def render_card(
    rec: Recommendation,
    film: Film | None,
    show_similarity: bool,
    watch_slot: bool = False,
    actions: Callable[[Recommendation], None] | None = None,
) -> DeltaGenerator | None:
    """One film: poster, title, year, rating, genres, reason, overview on expand.

    `watch_slot`: leave an empty slot for the trailer and providers, returned to be filled later.
    `actions`: draws the card's buttons (👍 / 👎, more like this) at its foot.
    """
    slot = None
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
        if rec.tone:
            st.caption(f":material/theater_comedy: {md_escape(', '.join(rec.tone))}")
        if rec.reason:
            st.caption(f"_{md_escape(rec.reason)}_")
        if watch_slot:
            slot = st.empty()
        with st.expander("Overview"):
            st.text(rec.overview or "No overview available.")
        if actions is not None:
            actions(rec)
    return slot


def render_cards(
    recs: Sequence[Recommendation],
    film_of: Callable[[int], Film | None],
    show_similarity: bool = False,
    columns: int = CARD_COLUMNS,
    actions: Callable[[Recommendation], None] | None = None,
) -> None:
    """A grid of film cards, `columns` per row; then trailers and where to watch, when TMDB is on."""
    from recommender.ui.watch import fill_watch, watch_recommender

    watching = watch_recommender()
    slots: dict[int, DeltaGenerator] = {}
    for start in range(0, len(recs), columns):
        cols = st.columns(columns, gap="small")
        for col, rec in zip(cols, recs[start : start + columns]):
            with col:
                slot = render_card(rec, film_of(rec.movie_id), show_similarity, watching is not None, actions)
                if slot is not None:
                    slots[rec.movie_id] = slot
    if watching is not None and slots:
        fill_watch(watching, slots)  # after the grid is drawn: the cards never wait on TMDB


def film_lookup(rec: Recommender) -> Callable[[int], Film | None]:
    """movie_id -> Film from the catalog (None if the id is unknown)."""

    def find(movie_id: int) -> Film | None:
        row = rec.catalog.row_of(movie_id)
        return rec.catalog.film(row) if row is not None else None

    return find


def poster_attribution() -> None:
    """TMDB's required attribution on pages that show posters."""
    from recommender.serving.posters import TMDB_ATTRIBUTION

    st.caption(md_escape(TMDB_ATTRIBUTION))


def timing_caption(elapsed_ms: float, cached: bool | None = None) -> str:
    """'From the cache in 9 ms' / 'Computed in 120 ms'."""
    took = f"{elapsed_ms:.0f} ms" if elapsed_ms >= 10 else f"{elapsed_ms:.1f} ms"
    if cached is None:
        return f"Found in {took}"
    return (
        f":material/bolt: Emotions came from the cache · {took}"
        if cached
        else f":material/timer: Computed fresh · {took}"
    )
