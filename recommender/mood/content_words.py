"""The concrete words of a mood text worth matching literally (dog, grandmother, exam, Italy).

Why: a one-line mood shares incidental words with film overviews ("week", "got", "need"), so a
lexical match on the whole text mostly quotes noise. Only words that are neither stop words
nor the vocabulary of feeling, wanting and watching (`mood_words.txt`), nor common across the
catalog's overviews, take part; everything else is matched by meaning (the sentence encoder).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from recommender.text import STOP_WORDS, stem, words

MOOD_WORDS_FILE = Path(__file__).with_name("mood_words.txt")
MIN_CHARS = 3


@lru_cache(maxsize=1)
def mood_vocabulary() -> frozenset[str]:
    """Stems of the feeling/wanting/watching words (one word per line, # comments)."""
    lines = MOOD_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(stem(w) for line in lines for w in words(line.split("#")[0]))


def content_words(text: str, too_common: Callable[[str], bool] | None = None) -> list[str]:
    """The words of `text` to match literally, in order, without repeats.

    `too_common(stem)`: True for words found in so many films that they tell none apart.
    """
    vocab = mood_vocabulary()
    out: list[str] = []
    for w in words(text):
        s = stem(w)
        if len(w) < MIN_CHARS or w in STOP_WORDS or s in vocab or w in out:
            continue
        if too_common is not None and too_common(s):
            continue
        out.append(w)
    return out
