"""Mood page: text in; what was read (emotions, the wish, changeable) and a grid of films out.

The request lives in the URL (a copied link gives the same list); the session's 👍 / 👎 move
the next list, and a card's "More like this" opens the Similar films page for that film.
"""

from dataclasses import replace

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


def _search(rec, state: ui.MoodState, exclude: list[int], options: ui.MoodOptions) -> None:
    """Run `state` with the films already shown and the session's feedback; keep it in the
    session and in the URL (a copied link gives the same list)."""
    feedback = ui.session_feedback()
    st.session_state["mood_request"] = {"state": state, "exclude": exclude, "feedback": feedback}
    st.session_state.pop("mood_result", None)
    params = ui.mood_params(state)
    ui.sync_url(params)
    st.session_state["mood_linked"] = ui.parse_mood(params, options)[0]
    with ui.friendly_errors("finding films for your mood"), st.spinner("Reading your mood…"):
        st.session_state["mood_result"] = rec.recommend_for_mood(
            state.text,
            top_k=10,
            mode=state.mode,
            filters=state.filters(),
            wish=state.wish,
            exclude=exclude,
            liked=feedback.liked,
            disliked=feedback.disliked,
            emotion_override=state.emotion,
        )


def _more_like(movie_id: int) -> None:
    """A card's "More like this": the Similar films page for that film (opened on the next run)."""
    st.session_state["mood_open_similar"] = movie_id


if (film_id := st.session_state.pop("mood_open_similar", None)) is not None:
    st.switch_page("pages/similar.py", query_params={"film": str(film_id)})

st.title("Films for your mood")
st.caption("Say how you feel in a sentence or two, and what you want from a film, in your own words.")
st.pills("Try an example", EXAMPLES, key="mood_example", on_change=_use_example)

rec = ui.get_recommender()
if rec is not None:
    first_year, last_year, languages = ui.filter_options(rec, len(rec.catalog))
    wishes = ui.wish_options(rec)
    options = ui.MoodOptions(first_year, last_year, tuple(languages), tuple(wishes), ui.EMOTIONS)
    linked, ignored = ui.parse_mood(st.query_params.to_dict(), options)
    if linked.text and linked != st.session_state.get("mood_linked"):  # a shared link: show its list
        st.session_state["mood_fill"] = linked
        if note := ui.ignored_note(ignored):
            st.info(note, icon=":material/link_off:")
        _search(rec, linked, [], options)
    if (fill := st.session_state.get("mood_fill")) is not None:  # until the form has shown it (a run can be cut short)
        for key, value in ui.mood_widgets(fill, options).items():
            st.session_state[key] = value
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
    st.session_state.pop("mood_fill", None)

    if submitted:
        _search(rec, ui.mood_state(text, mode, years, min_rating, language, gems, options), [], options)

    request = st.session_state.get("mood_request")
    if request is not None and request["feedback"] != ui.session_feedback():  # a 👍 / 👎 since: re-rank
        _search(rec, request["state"], request["exclude"], options)
        request = st.session_state["mood_request"]
    result = st.session_state.get("mood_result")
    if result is not None and request is not None:
        state = request["state"]
        ui.sync_url(ui.mood_params(state))  # back from another page: the URL names this list again
        st.caption(ui.timing_caption(result.elapsed_ms, result.cached))
        if result.note:
            st.info(result.note, icon=":material/translate:")
        read_col, change_col = st.columns([3, 2], vertical_alignment="bottom")
        read_col.markdown(ui.wish_line(result, wishes) + "  \n" + ui.emotion_line(result))
        with change_col:
            wish, emotion = ui.not_what_i_meant(result, wishes, str(len(request["exclude"])))
        current, main = result.wish or NO_WISH, ui.main_emotion(result.emotions)
        if wish != current or (emotion is not None and emotion != main):
            if wish != current and result.wish_source != "chosen":
                rec.record_correction("wish", current, wish)
            if emotion != main and result.emotion_source == "read":
                rec.record_correction("emotion", main or "", emotion or "")
            _search(rec, replace(state, wish=wish, emotion=emotion if emotion != main else state.emotion), [], options)
            st.rerun()
        chart_col, genre_col = st.columns([3, 2])
        chart_col.plotly_chart(ui.emotion_chart(result.emotions), key="emotion_chart", config={"displayModeBar": False})
        if result.genres:
            genre_col.plotly_chart(ui.genre_chart(result.genres), key="genre_chart", config={"displayModeBar": False})
        film_of = ui.film_lookup(rec)
        ui.feedback_bar(film_of, key="mood_clear_feedback")
        if result.recommendations:
            st.subheader(f"{len(result.recommendations)} films {MODE_TITLES.get(result.mode, '')}")
            ui.render_cards(result.recommendations, film_of, actions=ui.card_actions("mood", more=_more_like))
            if st.button("Show me others", icon=":material/refresh:", key="mood_others"):
                shown = request["exclude"] + [r.movie_id for r in result.recommendations]
                _search(rec, state, shown, options)
                st.rerun()
            ui.poster_attribution()
        elif request["exclude"]:
            st.info("That was every film that fits. Change the wish or the filters for more.")
        else:
            st.info("No films pass these filters. Try widening the years or lowering the rating.")
