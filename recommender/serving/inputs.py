"""Input hygiene: anything a user can send becomes readable text or a friendly `InputError`."""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from typing import Any

from recommender.mood.rank import MoodFilters
from recommender.text import STOP_WORDS, clean_text

MAX_MOOD_CHARS = 2000
MAX_SYNOPSIS_CHARS = 5000
MAX_TOP_K = 50


class InputError(ValueError):
    """Bad user input; the message is safe and friendly to show."""


class FilmNotFoundError(InputError, LookupError):
    """The TMDB id or title names no catalog film (the API answers 404)."""


# ---- input hygiene ------------------------------------------------------------------------

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


# The common feelings emoji, in words the emotion model knows; Unicode names mislead it
# ('😭' is LOUDLY CRYING FACE, which reads as anger).
EMOJI_WORDS = {
    **dict.fromkeys("😭😢😿😞😔😟🙁☹💔🥺😥😓", "sad"),
    **dict.fromkeys("😂🤣😄😃😀😁😆😊🙂😹🥳🎉", "happy"),
    **dict.fromkeys("❤😍🥰😘💕💖💗💘💞😻", "love"),
    **dict.fromkeys("😡😠🤬👿💢😤", "angry"),
    **dict.fromkeys("😱😨😰😧🙀", "scared"),
    **dict.fromkeys("😮😲🤯😯😳", "surprised"),
    **dict.fromkeys("🤢🤮", "disgusted"),
}


def _emoji_words(text: str) -> str:
    """Pictographs become words ('😭' -> ' sad ', others their Unicode names), so emoji-only
    moods still say something to a text model; other symbols are left alone."""
    out = []
    for ch in text:
        if ch in EMOJI_WORDS:
            out.append(f" {EMOJI_WORDS[ch]} ")
        elif unicodedata.category(ch) == "So":
            name = unicodedata.name(ch, "")
            out.append(f" {name.lower()} " if name else " ")
        else:
            out.append(ch)
    return "".join(out)


WORD_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "No", "So"})


@functools.cache
def text_pattern() -> str:
    """What `clean_user_text` asks of a text, as a JSON Schema (ECMA-262) pattern: one character
    that is a letter of any script (Python's [^\\W\\d_]: letters and letter-like numerals such as
    '½') or a symbol, which is read as its name ('😭' -> 'sad'); U+FFFD (undecodable bytes) is not.

    Spelled out as ranges of code points from this Python's Unicode database, so the pattern is
    the server's own rule (checked over every code point in the tests): `\\p{...}` classes are
    read differently by different regex engines. Not expressible: letters inside HTML tags or
    entities, which are removed before the check.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if cp != 0xFFFD and unicodedata.category(chr(cp)) in WORD_CATEGORIES:
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))

    def char(cp: int) -> str:  # \uXXXX reads the same everywhere; astral code points stay literal
        return f"\\u{cp:04X}" if cp <= 0xFFFF else chr(cp)

    return "[" + "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in ranges) + "]"


def clean_user_text(text: Any, max_chars: int, what: str) -> str:
    """Readable text from anything a user can send: HTML/control chars out, emoji named, cut.

    Raises InputError when nothing with a letter is left.
    """
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if not isinstance(text, str):
        raise InputError(f"Please type some text for the {what}.")
    text = text[: max_chars * 4].replace("\ufffd", " ")
    cleaned = clean_text(_emoji_words(text), max_chars=max_chars)
    if not _LETTER.search(cleaned):
        raise InputError(f"Please type a few words for the {what}.")
    return cleaned


NOT_ENGLISH_NOTE = "This does not look like English; the emotion model reads English best, so this reading may be off."
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def language_note(text: str) -> str | None:
    """A note when the text is probably not English: mostly non-Latin letters, or four or more
    words without one English function word (English sentences almost always have some)."""
    words = _WORD.findall(text.lower())
    letters = "".join(words)
    if letters and sum(ch.isascii() for ch in letters) < len(letters) / 2:
        return NOT_ENGLISH_NOTE
    if len(words) >= 4 and not any(w in STOP_WORDS or w in ("i", "im") for w in words):
        return NOT_ENGLISH_NOTE
    return None


def wish_choices() -> tuple[str, ...]:
    """What a request may name as its wish: "none" (the mode decides) or a wish id of the table."""
    from recommender.mood.wish import default_wish_table

    return ("none", *default_wish_table().wishes)


def _check_top_k(top_k: int) -> int:
    try:
        k = int(top_k)
    except (TypeError, ValueError):
        raise InputError(f"top_k must be a whole number from 1 to {MAX_TOP_K}.") from None
    if not 1 <= k <= MAX_TOP_K:
        raise InputError(f"top_k must be from 1 to {MAX_TOP_K}.")
    return k


MAX_OFFSET = 200


def check_offset(offset: int) -> int:
    try:
        off = int(offset)
    except (TypeError, ValueError):
        raise InputError(f"offset must be a whole number from 0 to {MAX_OFFSET}.") from None
    if not 0 <= off <= MAX_OFFSET:
        raise InputError(f"offset must be from 0 to {MAX_OFFSET}.")
    return off


def check_filters(filters: MoodFilters) -> None:
    if not isinstance(filters, MoodFilters):
        raise InputError("filters must be MoodFilters.")
    if filters.year_min is not None and filters.year_max is not None and filters.year_min > filters.year_max:
        raise InputError("The first year must not be after the last year.")
    if filters.min_rating is not None and not 0 <= filters.min_rating <= 10:
        raise InputError("Minimum rating must be between 0 and 10.")
    if filters.min_votes is not None and filters.min_votes < 0:
        raise InputError("Minimum votes must not be negative.")
