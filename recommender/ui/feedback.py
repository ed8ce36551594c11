"""👍 / 👎 and "More like this" on the cards, and the session's feedback (st.session_state only).

Why in the session only: feedback shapes this visit's lists (serving passes it to the ranking,
mood.feedback) and ends with the visit; nothing of it is stored on the server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from recommender.ui.cards import md_escape

if TYPE_CHECKING:
    from recommender.catalog.film import Film
    from recommender.serving.results import Recommendation

SESSION_KEY = "reelmood_feedback"
MAX_FILMS = 100  # per side; beyond it the oldest is forgotten
NAMED = 3  # films named per side in the summary line


def _without(ids: tuple[int, ...], movie_id: int) -> tuple[int, ...]:
    return tuple(m for m in ids if m != movie_id)


@dataclass(frozen=True)
class Feedback:
    """TMDB ids liked and disliked, oldest first; a film is never on both sides."""

    liked: tuple[int, ...] = ()
    disliked: tuple[int, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.liked and not self.disliked

    def like(self, movie_id: int) -> Feedback:
        """👍: liked (a second 👍 takes it back); no longer disliked."""
        if movie_id in self.liked:
            return Feedback(_without(self.liked, movie_id), self.disliked)
        return Feedback((*self.liked, movie_id)[-MAX_FILMS:], _without(self.disliked, movie_id))

    def dislike(self, movie_id: int) -> Feedback:
        """👎: disliked (a second 👎 takes it back); no longer liked."""
        if movie_id in self.disliked:
            return Feedback(self.liked, _without(self.disliked, movie_id))
        return Feedback(_without(self.liked, movie_id), (*self.disliked, movie_id)[-MAX_FILMS:])

    def summary(self, title_of: Callable[[int], str | None]) -> str | None:
        """'More like *Up*; less like *Grown Ups 2*' (markdown, titles escaped); None without feedback."""
        parts = []
        for words, ids in (("More like", self.liked), ("less like" if self.liked else "Less like", self.disliked)):
            titles = [t for t in (title_of(m) for m in reversed(ids)) if t]
            if titles:
                named = ", ".join(f"*{md_escape(t)}*" for t in titles[:NAMED])
                more = f" and {len(titles) - NAMED} more" if len(titles) > NAMED else ""
                parts.append(f"{words} {named}{more}")
        return "; ".join(parts) or None


def session_feedback() -> Feedback:
    """This session's feedback (empty at first)."""
    found = st.session_state.get(SESSION_KEY)
    return found if isinstance(found, Feedback) else Feedback()


def _react(action: str, movie_id: int) -> None:
    current = session_feedback()
    st.session_state[SESSION_KEY] = current.like(movie_id) if action == "like" else current.dislike(movie_id)


def clear_feedback() -> None:
    st.session_state[SESSION_KEY] = Feedback()


def card_actions(where: str, more: Callable[[int], None] | None = None) -> Callable[[Recommendation], None]:
    """What render_cards draws at a card's foot: 👍, 👎 and, with `more`, "More like this"
    (`more(movie_id)` runs as the button's callback). Keys are `{where}_{like|dislike|more}_{id}`."""

    def draw(rec: Recommendation) -> None:
        feedback = session_feedback()
        with st.container(horizontal=True, gap="small"):
            for action, label, chosen, tip in (
                ("like", "👍", feedback.liked, "More films like this one in my lists"),
                ("dislike", "👎", feedback.disliked, "Fewer films like this one; never show it again this visit"),
            ):
                st.button(
                    label,
                    key=f"{where}_{action}_{rec.movie_id}",
                    help=tip,
                    type="primary" if rec.movie_id in chosen else "secondary",
                    on_click=_react,
                    args=(action, rec.movie_id),
                )
            if more is not None:
                st.button(
                    "More like this",
                    key=f"{where}_more_{rec.movie_id}",
                    icon=":material/movie_filter:",
                    help="Films with stories like this one",
                    on_click=more,
                    args=(rec.movie_id,),
                )

    return draw


def feedback_bar(film_of: Callable[[int], Film | None], key: str) -> None:
    """What moved the list ("More like *X*; less like *Y*") and a button that clears the feedback."""
    line = session_feedback().summary(lambda m: film.title if (film := film_of(m)) is not None else None)
    if line is None:
        return
    text, button = st.columns([5, 1], vertical_alignment="center")
    text.caption(f":material/thumbs_up_down: {line}")
    button.button("Clear feedback", key=key, icon=":material/close:", on_click=clear_feedback)
