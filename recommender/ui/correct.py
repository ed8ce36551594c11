"""The "Not what I meant" choice: the person corrects the wish or the main emotion that was read.

Why beside the reading: a wrong reading is the commonest reason for a wrong list, and the fix is
one choice away; the page re-ranks with the choice at once (the wish choice, or the service's
`emotion_override`), and serving counts the correction (anonymously, on a configured Redis only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from recommender.emotion.labels import LABELS
from recommender.ui.cards import md_escape

if TYPE_CHECKING:
    from recommender.serving.results import MoodResult

EMOTIONS: tuple[str, ...] = LABELS


def main_emotion(emotions: dict[str, float]) -> str | None:
    """The most probable emotion (ties: the label order), or None."""
    known = [e for e in EMOTIONS if e in emotions]
    return max(known, key=lambda e: emotions[e]) if known else None


def emotion_line(result: MoodResult) -> str:
    """'Main feeling read: **sadness**' (or 'You chose the feeling: **joy**')."""
    main = main_emotion(result.emotions)
    if main is None:
        return ""
    verb = "You chose the feeling" if result.emotion_source == "chosen" else "Main feeling read"
    return f":material/psychology: {verb}: **{md_escape(main)}**"


def not_what_i_meant(result: MoodResult, wishes: dict[str, str], suffix: str) -> tuple[str, str | None]:
    """The "Not what I meant" popover: (wish chosen, main emotion chosen or None when none was
    read), the current ones when untouched. `suffix` ends the widgets' keys, so they show the new reading after each search."""
    current = result.wish or "none"
    main = main_emotion(result.emotions)
    with st.popover("Not what I meant", icon=":material/edit:"):
        wish = st.selectbox(
            "What should the films do?",
            list(wishes),
            index=list(wishes).index(current) if current in wishes else 0,
            format_func=wishes.__getitem__,
            key=f"mood_wish_{current}_{suffix}",
        )
        emotion = (
            st.selectbox(
                "Your main feeling",
                EMOTIONS,
                index=EMOTIONS.index(main),
                format_func=str.capitalize,
                key=f"mood_emotion_{main}_{suffix}",
            )
            if main is not None
            else None
        )
    return wish, emotion
