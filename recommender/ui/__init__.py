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
from recommender.ui.charts import (
    emotion_chart,
    genre_chart,
    served_distribution_chart,
    served_label,
    served_timeline_chart,
)
from recommender.ui.correct import EMOTIONS, emotion_line, main_emotion, not_what_i_meant
from recommender.ui.feedback import Feedback, card_actions, clear_feedback, feedback_bar, session_feedback
from recommender.ui.share import (
    MoodOptions,
    MoodState,
    SimilarState,
    ignored_note,
    mood_params,
    mood_state,
    mood_widgets,
    parse_mood,
    parse_similar,
    similar_params,
    sync_url,
)

__all__ = [
    "EMOTIONS",
    "Feedback",
    "MoodOptions",
    "MoodState",
    "SimilarState",
    "card_actions",
    "clear_feedback",
    "emotion_line",
    "feedback_bar",
    "ignored_note",
    "main_emotion",
    "mood_params",
    "mood_state",
    "mood_widgets",
    "not_what_i_meant",
    "parse_mood",
    "parse_similar",
    "session_feedback",
    "similar_params",
    "sync_url",
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
    "served_distribution_chart",
    "served_label",
    "served_timeline_chart",
    "timing_caption",
    "title_labels",
]
