"""Text normalisation, tokenising and stemming, and the per-film texts the indexes are built from.

Everything here accepts any string (empty, huge, emoji, HTML, other scripts) and never raises:
user input and catalog rows both pass through these functions.
"""

from __future__ import annotations

import html
import importlib.util
import re
import sys
import threading
import types
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # catalog imports text, not the other way round at run time
    pass

MAX_QUERY_CHARS = 20_000
"""Longer user input is cut: the stemmer and the encoder gain nothing from more."""

_TAG = re.compile(r"</?[A-Za-z][^<>]{0,500}>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")
_APOSTROPHE = re.compile(r"['\u2019\u02bc`]")
_NON_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


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


_NLTK_LOCK = threading.Lock()
_NLTK_SNOWBALL_NEEDS = (
    "nltk.redos",
    "nltk.termsec",
    "nltk.stem.api",
    "nltk.stem.util",
    "nltk.stem.porter",
    "nltk.stem.snowball",
)


def _nltk_english_stemmer() -> Callable[[str], str]:
    """nltk's English Snowball stemmer, loaded without running `nltk/__init__.py`.

    Why: nltk's package __init__ imports scikit-learn, pandas, pyarrow and scipy, which put
    ~190 MB on every serving process; the Snowball module itself needs five small nltk
    modules. Those are executed from nltk's own files under empty parent packages, and the
    parents are taken out of sys.modules again, so a later `import nltk` gets the real package.
    tests/test_serving_footprint.py checks the stems equal nltk's normal import on every word
    of the catalog.
    """
    if "nltk" in sys.modules:  # the real package is already paid for
        from nltk.stem.snowball import SnowballStemmer

        return SnowballStemmer("english").stem
    spec = importlib.util.find_spec("nltk")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("nltk is not installed (pip install -r requirements.txt)")
    root = Path(list(spec.submodule_search_locations)[0])
    with _NLTK_LOCK:
        before = set(sys.modules)
        parents = {"nltk": root, "nltk.stem": root / "stem", "nltk.corpus": None}
        try:
            for name, path in parents.items():
                module = types.ModuleType(name)
                if path is None:
                    setattr(module, "stopwords", None)  # noqa: B010 - read only with ignore_stopwords=True, never used here
                else:
                    module.__path__ = [str(path)]
                sys.modules[name] = module
            for name in _NLTK_SNOWBALL_NEEDS:
                file = root.joinpath(*name.split(".")[1:]).with_suffix(".py")
                mod_spec = importlib.util.spec_from_file_location(name, file)
                if mod_spec is None or mod_spec.loader is None:
                    raise ImportError(f"cannot load {file}")
                module = importlib.util.module_from_spec(mod_spec)
                sys.modules[name] = module
                mod_spec.loader.exec_module(module)
                parent, _, child = name.rpartition(".")
                setattr(sys.modules[parent], child, module)
            stemmer = sys.modules["nltk.stem.snowball"].SnowballStemmer("english")
        finally:
            for name in set(sys.modules) - before:
                if name == "nltk" or name.startswith("nltk."):
                    del sys.modules[name]
    return stemmer.stem


_STEM = _nltk_english_stemmer()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    return _STEM(word)


STOP_WORDS = frozenset(
    line.strip()
    for line in Path(__file__).with_name("english_stop_words.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
)
"""scikit-learn's ENGLISH_STOP_WORDS, from a data file so serving never imports scikit-learn."""


def words(text: str) -> list[str]:
    """Folded, stop-word-free words (unstemmed): the readable side of the TF-IDF tokens.

    Single characters and bare numbers other than 4-digit years are dropped.
    """
    return [
        t
        for t in _WORD.findall(fold(text[:MAX_QUERY_CHARS]))
        if len(t) > 1 and t not in STOP_WORDS and (len(t) == 4 or not t.isdigit())
    ]


def tokenize(text: str) -> list[str]:
    """Stemmed tokens for TF-IDF (Snowball; scikit-learn's English stop words)."""
    return [stem(w) for w in words(text)]
