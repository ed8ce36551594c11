"""Similar films page: a pasted synopsis or a catalog film in, the closest films out.

The request lives in the URL (`?film=<TMDB id>` or `?synopsis=...`), so a mood card's "More like
this" and a copied link open this page on that list; each card goes on to more like itself.
"""

import streamlit as st

from recommender import ui


def _find(rec, wanted: ui.SimilarState, feedback: ui.Feedback) -> None:
    """Run `wanted` with the session's feedback; keep it in the session and in the URL."""
    st.session_state["similar_shown"] = (wanted, feedback)
    st.session_state.pop("similar_result", None)
    params = ui.similar_params(wanted)
    ui.sync_url(params)
    st.session_state["similar_linked"] = ui.parse_similar(params)[0]
    with ui.friendly_errors("looking for similar films"), st.spinner("Comparing stories…"):
        if wanted.film is not None:
            result = rec.similar_to_film(
                movie_id=wanted.film, top_k=wanted.top_k, liked=feedback.liked, disliked=feedback.disliked
            )
        else:
            result = rec.similar_to_synopsis(
                wanted.synopsis, top_k=wanted.top_k, liked=feedback.liked, disliked=feedback.disliked
            )
        st.session_state["similar_result"] = result


def _more_like(movie_id: int) -> None:
    """A card's "More like this": the same page, for that film."""
    st.session_state["similar_wanted"] = ui.SimilarState(film=movie_id, top_k=st.session_state.get("similar_top_k", 10))
    st.session_state["similar_title"] = movie_id


st.title("Similar films")
st.caption("Find films whose stories are closest to a synopsis you paste, or to a film you pick.")

rec = ui.get_recommender()
if rec is not None:
    labels = ui.title_labels(rec, len(rec.catalog))
    linked, ignored = ui.parse_similar(st.query_params.to_dict())
    if not linked.empty and linked != st.session_state.get("similar_linked"):  # a link: show its list
        st.session_state["similar_wanted"] = st.session_state["similar_fill"] = linked
        st.session_state.pop("similar_shown", None)
    if (fill := st.session_state.get("similar_fill")) is not None:  # until the widgets have shown it
        st.session_state["similar_top_k"] = fill.top_k
        if fill.film in labels:
            st.session_state["similar_title"] = fill.film
        if fill.synopsis:
            st.session_state["similar_synopsis"] = fill.synopsis
    if note := ui.ignored_note(ignored):
        st.info(note, icon=":material/link_off:")
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
    st.session_state.pop("similar_fill", None)

    submitted = synopsis_go or (title_go and movie_id is not None)
    if synopsis_go:
        st.session_state["similar_wanted"] = ui.SimilarState(synopsis=synopsis or "", top_k=top_k)
    elif title_go and movie_id is None:
        st.info("Pick a film from the list first — type a few letters of its title.")
    elif title_go:
        st.session_state["similar_wanted"] = ui.SimilarState(film=movie_id, top_k=top_k)
    wanted = st.session_state.get("similar_wanted")
    feedback = ui.session_feedback()
    if wanted is not None and (submitted or st.session_state.get("similar_shown") != (wanted, feedback)):
        _find(rec, wanted, feedback)

    result = st.session_state.get("similar_result")
    if result is not None:
        ui.sync_url(ui.similar_params(wanted))  # back from another page: the URL names this list again
        if result.matched_film is not None:
            film = result.matched_film
            year = f" ({film.year})" if film.year else ""
            st.subheader(f"Films like {ui.md_escape(film.title)}{ui.md_escape(year)}")
        else:
            st.subheader("Films like your synopsis")
        st.caption(ui.timing_caption(result.elapsed_ms))
        film_of = ui.film_lookup(rec)
        ui.feedback_bar(film_of, key="similar_clear_feedback")
        if result.recommendations:
            ui.render_cards(
                result.recommendations,
                film_of,
                show_similarity=True,
                actions=ui.card_actions("similar", more=_more_like),
            )
            ui.poster_attribution()
        else:
            st.info("No similar films found.")
