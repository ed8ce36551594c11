"""Streamlit helpers the pages share (UI only): the pages import this package and the serving facade.

Every piece of user or film text goes through `md_escape` (markdown, never HTML) or a plain
widget; the only raw HTML is constant CSS and <img> tags whose `src` passed `safe_image_src`.
"""

from recommender.ui.app import (
    HIDDEN_GEMS_HELP,
    filter_options,
    friendly_errors,
    get_recommender,
    inject_css,
    language_label,
    render_status_sidebar,
    title_labels,
    wish_line,
    wish_options,
)
from recommender.ui.cards import (
    film_lookup,
    md_escape,
    placeholder_src,
    poster_attribution,
    poster_html,
    render_card,
    render_cards,
    safe_image_src,
    timing_caption,
)
from recommender.ui.charts import emotion_chart, genre_chart

__all__ = [
    "HIDDEN_GEMS_HELP",
    "wish_line",
    "wish_options",
    "emotion_chart",
    "film_lookup",
    "filter_options",
    "friendly_errors",
    "genre_chart",
    "get_recommender",
    "inject_css",
    "language_label",
    "md_escape",
    "placeholder_src",
    "poster_attribution",
    "poster_html",
    "render_card",
    "render_cards",
    "render_status_sidebar",
    "safe_image_src",
    "timing_caption",
    "title_labels",
]
