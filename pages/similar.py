"""Similar films page: a pasted synopsis or a catalog film in, the closest films out."""

import streamlit as st

from recommender import ui

st.title("Similar films")
st.caption("Find films whose stories are closest to a synopsis you paste, or to a film you pick.")

rec = ui.get_recommender()
if rec is not None:
    labels = ui.title_labels(rec, len(rec.catalog))
    top_k = st.slider("How many films", 3, 30, 10, key="similar_top_k")
    by_synopsis, by_title = st.tabs([":material/notes: By synopsis", ":material/local_movies: By film title"])

    with by_synopsis, st.form("synopsis_form", border=False):
        synopsis = st.text_area(
            "Synopsis",
            key="similar_synopsis",
            height=140,
            placeholder="e.g. A retired hitman is pulled back into the underworld when "
            "gangsters kill the puppy his late wife left him.",
        )
        synopsis_go = st.form_submit_button("Find similar films", type="primary", icon=":material/search:")

    with by_title, st.form("title_form", border=False):
        movie_id = st.selectbox(
            "Film",
            list(labels),
            index=None,
            format_func=labels.__getitem__,
            placeholder="Start typing a title…",
            key="similar_title",
        )
        title_go = st.form_submit_button("Find films like this", type="primary", icon=":material/local_movies:")

    if synopsis_go or title_go:
        st.session_state.pop("similar_result", None)
        with ui.friendly_errors("looking for similar films"), st.spinner("Comparing stories…"):
            if synopsis_go:
                result = rec.similar_to_synopsis(synopsis or "", top_k=top_k)
            elif movie_id is None:
                result = None
                st.info("Pick a film from the list first — type a few letters of its title.")
            else:
                result = rec.similar_to_film(movie_id=movie_id, top_k=top_k)
            st.session_state["similar_result"] = result

    result = st.session_state.get("similar_result")
    if result is not None:
        if result.matched_film is not None:
            film = result.matched_film
            year = f" ({film.year})" if film.year else ""
            st.subheader(f"Films like {ui.md_escape(film.title)}{ui.md_escape(year)}")
        else:
            st.subheader("Films like your synopsis")
        st.caption(ui.timing_caption(result.elapsed_ms))
        if result.recommendations:
            ui.render_cards(result.recommendations, ui.film_lookup(rec), show_similarity=True)
            ui.poster_attribution()
        else:
            st.info("No similar films found.")
