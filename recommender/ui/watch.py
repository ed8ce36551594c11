"""Trailer links and where to watch (Stream / Rent / Buy) on the cards, and the region selector.

Why after the grid: the cards are drawn first, each with an empty slot, and only then is TMDB
asked (concurrently, cached), so a slow or failing TMDB never delays the cards; a slot stays
empty when there is nothing to show. The trailer is a plain YouTube link: no player loads
unless the person asks for it. The JustWatch credit shows under every grid with providers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.errors import StreamlitDuplicateElementKey

from recommender.config import parse_region
from recommender.ui.cards import md_escape

if TYPE_CHECKING:
    from streamlit.delta_generator import DeltaGenerator

    from recommender.serving.service import Recommender
    from recommender.serving.watch import WatchInfo, WatchService

log = logging.getLogger("reelmood.app")

REGION_KEY = "watch_region"
MAX_NAMES = 4  # providers named per line on a card
KIND_TITLES = (("flatrate", "Stream"), ("rent", "Rent"), ("buy", "Buy"))
REGION_NAMES = {  # countries JustWatch covers, by name
    "AR": "Argentina",
    "AU": "Australia",
    "AT": "Austria",
    "BE": "Belgium",
    "BR": "Brazil",
    "CA": "Canada",
    "CL": "Chile",
    "CO": "Colombia",
    "CZ": "Czechia",
    "DK": "Denmark",
    "FI": "Finland",
    "FR": "France",
    "DE": "Germany",
    "GR": "Greece",
    "HU": "Hungary",
    "IN": "India",
    "IE": "Ireland",
    "IT": "Italy",
    "JP": "Japan",
    "MX": "Mexico",
    "NL": "Netherlands",
    "NZ": "New Zealand",
    "NO": "Norway",
    "PH": "Philippines",
    "PL": "Poland",
    "PT": "Portugal",
    "RO": "Romania",
    "SG": "Singapore",
    "ZA": "South Africa",
    "KR": "South Korea",
    "ES": "Spain",
    "SE": "Sweden",
    "CH": "Switzerland",
    "TR": "Türkiye",
    "GB": "United Kingdom",
    "US": "United States",
}


def region_from_locale(locale: object) -> str | None:
    """'en-GB' -> 'GB', 'zh-Hant-TW' -> 'TW'; None for a bare language ('de') or 'es-419'."""
    if not isinstance(locale, str):
        return None
    for part in reversed(locale.replace("_", "-").split("-")[1:]):
        region = parse_region(part)
        if region:
            return region
    return None


def default_region(watch: WatchService, locale: object) -> str:
    """REELMOOD_REGION when set, else the browser's country, else the default ("US")."""
    if watch.region_fixed:
        return watch.default_region
    return region_from_locale(locale) or watch.default_region


def region_label(code: str) -> str:
    name = REGION_NAMES.get(code)
    return f"{name} ({code})" if name else code


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # a Streamlit without it, or no browser session
        return None


def region_selector(watch: WatchService) -> str:
    """The sidebar's country selector (drawn once per run); the chosen two-letter code."""
    default = default_region(watch, _browser_locale())
    options = list(REGION_NAMES) if default in REGION_NAMES else [*REGION_NAMES, default]
    choice: object
    try:
        choice = st.sidebar.selectbox(
            ":material/live_tv: Where to watch",
            options,
            index=options.index(default),
            format_func=region_label,
            key=REGION_KEY,
            help="The streaming, rent and buy offers on the cards are for this country.",
        )
    except StreamlitDuplicateElementKey:  # a second grid on the same page: the one selector serves both
        choice = st.session_state.get(REGION_KEY)
    return parse_region(choice) or default


def watch_recommender() -> Recommender | None:
    """The process's Recommender when it can show trailers and providers (a TMDB key), else None."""
    from recommender.ui.app import get_recommender

    rec = get_recommender()
    watch = getattr(rec, "watch", None)
    return rec if watch is not None and watch.enabled else None


def render_watch(info: WatchInfo) -> None:
    """One card's trailer link and its Stream / Rent / Buy lines, in the current container."""
    if info.trailer_url:
        name = info.trailer_name or "Trailer"
        label = md_escape(name if len(name) <= 48 else name[:47] + "…")
        st.markdown(f":material/smart_display: [{label}]({info.trailer_url})")
    lines = []
    for kind, title in KIND_TITLES:
        providers = getattr(info, kind)
        if providers:
            names = ", ".join(p.name for p in providers[:MAX_NAMES])
            more = f" +{len(providers) - MAX_NAMES}" if len(providers) > MAX_NAMES else ""
            lines.append(f"**{title}** · {md_escape(names + more)}")
    if lines and info.link:
        lines.append(f"[All offers in {md_escape(region_label(info.region))}]({info.link})")
    if lines:
        st.caption("  \n".join(lines))  # one block: a card stays short


def fill_watch(rec: Recommender, slots: dict[int, DeltaGenerator]) -> None:
    """Fill each card's slot (movie_id -> st.empty()) with its watch info; the credit below."""
    from recommender.serving.watch import JUSTWATCH_CREDIT

    credit = st.empty()
    try:
        region = region_selector(rec.watch) if rec.watch is not None else None
        infos = rec.watch_info(list(slots), region)
        for movie_id, slot in slots.items():
            info = infos.get(movie_id)
            if info is not None:
                with slot.container():
                    render_watch(info)
        if any(info.has_providers for info in infos.values()):
            credit.caption(md_escape(JUSTWATCH_CREDIT))
    except Exception:  # decoration: the cards are already drawn and must stay (rerun/stop pass through)
        log.exception("could not show trailers and providers")
