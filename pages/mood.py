"""Mood page: text in; what was read (emotions, the wish, changeable) and a grid of films out."""

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
NO_WISH = "none"


def _use_example() -> None:
    """Clicking an example fills the text area (runs before the widgets are drawn)."""
    choice = st.session_state.get("mood_example")
    if choice:
        st.session_state["mood_text"] = choice


def _search(rec, request: dict) -> None:
    """Run the request kept in the session (text, mode, filters, wish, films already shown)."""
    st.session_state["mood_request"] = request
    st.session_state.pop("mood_result", None)
    with ui.friendly_errors("finding films for your mood"), st.spinner("Reading your mood…"):
        st.session_state["mood_result"] = rec.recommend_for_mood(
            request["text"],
            top_k=10,
            mode=request["mode"],
            filters=request["filters"],
            wish=request["wish"],
            exclude=request["exclude"],
        )


st.title("Films for your mood")
st.caption("Say how you feel in a sentence or two, and what you want from a film, in your own words.")
st.pills("Try an example", EXAMPLES, key="mood_example", on_change=_use_example)

rec = ui.get_recommender()
if rec is not None:
    first_year, last_year, languages = ui.filter_options(rec, len(rec.catalog))
    wishes = ui.wish_options(rec)
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
            gems = st.toggle("Hidden gems: less known, still well rated", key="mood_gems", help=ui.HIDDEN_GEMS_HELP)
        submitted = st.form_submit_button("Find films", type="primary", icon=":material/movie:")

    if submitted:
        from recommender.serving.service import MoodFilters

        filters = MoodFilters(
            year_min=years[0] if years[0] > first_year else None,
            year_max=years[1] if years[1] < last_year else None,
            min_rating=min_rating or None,
            language=None if language == "any" else language,
            hidden_gems=bool(gems),
        )
        st.session_state.pop("mood_wish", None)
        _search(rec, {"text": text or "", "mode": mode or "match", "filters": filters, "wish": None, "exclude": []})

    result = st.session_state.get("mood_result")
    request = st.session_state.get("mood_request")
    if result is not None and request is not None:
        st.caption(ui.timing_caption(result.elapsed_ms, result.cached))
        if result.note:
            st.info(result.note, icon=":material/translate:")
        read_col, change_col = st.columns([3, 2], vertical_alignment="bottom")
        read_col.markdown(ui.wish_line(result, wishes))
        current = result.wish or NO_WISH
        choice = change_col.selectbox(
            "Not what you meant? Choose what the films should do",
            list(wishes),
            index=list(wishes).index(current) if current in wishes else 0,
            format_func=wishes.__getitem__,
            key=f"mood_wish_{current}_{len(request['exclude'])}",
        )
        if choice != current:
            _search(rec, {**request, "wish": choice, "exclude": []})
            st.rerun()
        chart_col, genre_col = st.columns([3, 2])
        chart_col.plotly_chart(ui.emotion_chart(result.emotions), key="emotion_chart", config={"displayModeBar": False})
        if result.genres:
            genre_col.plotly_chart(ui.genre_chart(result.genres), key="genre_chart", config={"displayModeBar": False})
        if result.recommendations:
            st.subheader(f"{len(result.recommendations)} films {MODE_TITLES.get(result.mode, '')}")
            ui.render_cards(result.recommendations, ui.film_lookup(rec))
            if st.button("Show me others", icon=":material/refresh:", key="mood_others"):
                shown = request["exclude"] + [r.movie_id for r in result.recommendations]
                _search(rec, {**request, "exclude": shown})
                st.rerun()
            ui.poster_attribution()
        elif request["exclude"]:
            st.info("That was every film that fits. Change the wish or the filters for more.")
        else:
            st.info("No films pass these filters. Try widening the years or lowering the rating.")
