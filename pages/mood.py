"""Mood page: text in, emotions + genres + a grid of films out."""

import streamlit as st

from recommender import ui

EXAMPLES = [
    "I had an awful day and I just want to laugh",
    "Feeling nostalgic and a little lonely tonight",
    "Furious at everyone, I need something intense",
    "In love and everything feels wonderful",
    "Anxious about tomorrow and can't sleep",
    "Bored. Surprise me with something strange",
]
MODES = {"match": ":material/sentiment_satisfied: Match my mood", "lift": ":material/wb_sunny: Lift my mood"}
MODE_TITLES = {"match": "to match your mood", "lift": "to lift your mood"}


def _use_example() -> None:
    """Clicking an example fills the text area (runs before the widgets are drawn)."""
    choice = st.session_state.get("mood_example")
    if choice:
        st.session_state["mood_text"] = choice


st.title("Films for your mood")
st.caption("Say how you feel in a sentence or two, in your own words.")
st.pills("Try an example", EXAMPLES, key="mood_example", on_change=_use_example)

rec = ui.get_recommender()
if rec is not None:
    first_year, last_year, languages = ui.filter_options(rec, len(rec.catalog))
    with st.form("mood_form", border=False):
        text = st.text_area(
            "How are you feeling?",
            key="mood_text",
            height=110,
            placeholder="e.g. Long week, feeling flat, could use something warm and funny",
        )
        mode = st.segmented_control(
            "What should the films do?",
            list(MODES),
            format_func=MODES.__getitem__,
            default="match",
            required=True,
            key="mood_mode",
        )
        with st.expander("Filters"):
            c1, c2, c3 = st.columns(3)
            years = c1.slider("Release years", first_year, last_year, (first_year, last_year), key="mood_years")
            min_rating = c2.slider("Minimum rating", 0.0, 10.0, 0.0, 0.5, key="mood_rating")
            language = c3.selectbox(
                "Original language",
                ["any", *languages],
                format_func=lambda c: "Any language" if c == "any" else ui.language_label(c),
                key="mood_language",
            )
        submitted = st.form_submit_button("Find films", type="primary", icon=":material/movie:")

    if submitted:
        from recommender.serving.service import MoodFilters

        st.session_state.pop("mood_result", None)
        filters = MoodFilters(
            year_min=years[0] if years[0] > first_year else None,
            year_max=years[1] if years[1] < last_year else None,
            min_rating=min_rating or None,
            language=None if language == "any" else language,
        )
        with ui.friendly_errors("finding films for your mood"), st.spinner("Reading your mood…"):
            st.session_state["mood_result"] = rec.recommend_for_mood(
                text or "",
                top_k=10,
                mode=mode or "match",
                filters=filters,
            )

    result = st.session_state.get("mood_result")
    if result is not None:
        st.caption(ui.timing_caption(result.elapsed_ms, result.cached))
        if result.note:
            st.info(result.note, icon=":material/translate:")
        chart_col, genre_col = st.columns([3, 2])
        chart_col.plotly_chart(ui.emotion_chart(result.emotions), key="emotion_chart", config={"displayModeBar": False})
        if result.genres:
            genre_col.plotly_chart(ui.genre_chart(result.genres), key="genre_chart", config={"displayModeBar": False})
        if result.recommendations:
            st.subheader(f"{len(result.recommendations)} films {MODE_TITLES.get(result.mode, '')}")
            ui.render_cards(result.recommendations, ui.film_lookup(rec))
            ui.poster_attribution()
        else:
            st.info("No films pass these filters. Try widening the years or lowering the rating.")
