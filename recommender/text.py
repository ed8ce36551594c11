"""Text normalisation, tokenising and stemming, and the per-film texts the indexes are built from.

Everything here accepts any string (empty, huge, emoji, HTML, other scripts) and never raises:
user input and catalog rows both pass through these functions.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

from nltk.stem.snowball import SnowballStemmer
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

if TYPE_CHECKING:  # catalog imports text, not the other way round at run time
    from .catalog import Film

MAX_QUERY_CHARS = 20_000
"""Longer user input is cut: the stemmer and the encoder gain nothing from more."""

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_APOSTROPHE = re.compile(r"['\u2019\u02bc`]")
_NON_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_STEMMER = SnowballStemmer("english")


def normalize_text(s: str) -> str:
    """NFKC, case-folded, whitespace collapsed: equal meaning gives an equal cache key."""
    if not isinstance(s, str):
        s = "" if s is None else str(s)
    return " ".join(unicodedata.normalize("NFKC", s).casefold().split())


def clean_text(s: object, max_chars: int = 5000) -> str:
    """Plain readable text from a catalog cell: HTML tags/entities and control chars removed."""
    if s is None or (isinstance(s, float) and s != s):  # None or NaN
        return ""
    text = str(s)[: max_chars * 4]
    text = html.unescape(_TAG.sub(" ", text))
    text = _CONTROL.sub(" ", text)
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] + "…"
    return text


def strip_accents(s: str) -> str:
    """'Amélie' -> 'Amelie'; letters of other scripts are kept."""
    if s.isascii():
        return s
    return _COMBINING.sub("", unicodedata.normalize("NFKD", s))


def fold(s: str) -> str:
    """Lower-case, accent-free, punctuation-free form used for matching titles and tokens."""
    s = strip_accents(normalize_text(s))
    s = _APOSTROPHE.sub("", s)
    return " ".join(_NON_WORD.sub(" ", s).split())


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _STEMMER.stem(word)


STOP_WORDS = frozenset(ENGLISH_STOP_WORDS)


def words(text: str) -> list[str]:
    """Folded, stop-word-free words (unstemmed): the readable side of the TF-IDF tokens.

    Single characters and bare numbers other than 4-digit years are dropped.
    """
    return [t for t in _WORD.findall(fold(text[:MAX_QUERY_CHARS]))
            if len(t) > 1 and t not in STOP_WORDS and (len(t) == 4 or not t.isdigit())]


def tokenize(text: str) -> list[str]:
    """Stemmed tokens for TF-IDF (Snowball; scikit-learn's English stop words)."""
    return [stem(w) for w in words(text)]


def film_document(film: Film) -> str:
    """The text TF-IDF indexes for a film: overview, genres, keywords and tagline."""
    parts = [film.overview, " ".join(film.genres), " ".join(film.keywords), film.tagline]
    return " ".join(p for p in parts if p)


def enriched_text(film: Film) -> str:
    """Context-enriched text a film's sentence embedding is computed from.

    'Genre: Drama, Romance. Year: 1997. Title: Titanic. Overview: ...' -- genre and period
    pull films of the same kind together, not only films with similar plot words.
    """
    parts = []
    if film.genres:
        parts.append(f"Genre: {', '.join(film.genres)}.")
    if film.year:
        parts.append(f"Year: {film.year}.")
    parts.append(f"Title: {film.title}.")
    parts.append(f"Overview: {film.overview}")
    return " ".join(parts)
