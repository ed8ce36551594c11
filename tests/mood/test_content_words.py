"""The concrete words of a mood text that are matched literally against film texts."""

from __future__ import annotations

from recommender.mood.content_words import content_words, mood_vocabulary
from recommender.text import STOP_WORDS, stem


def test_feeling_and_wanting_words_are_dropped():
    assert content_words("i feel i need something about my dog") == ["dog"]
    assert content_words("so sad and lonely, i want a movie about my grandmother") == ["grandmother"]
    assert content_words("stressed about my exam tomorrow, please recommend a film") == ["exam"]


def test_feel_like_is_not_a_content_word():
    assert content_words("i feel like i need something about my dog") == ["dog"]


def test_stop_words_and_short_words_are_dropped():
    out = content_words("the dog and the cat of an ox in italy")
    assert out == ["dog", "cat", "italy"]
    assert not set(out) & STOP_WORDS


def test_the_vocabulary_holds_stems_of_the_word_list():
    vocab = mood_vocabulary()
    for word in ("feeling", "want", "movie", "tonight", "heartbroken"):
        assert stem(word) in vocab
    assert stem("dog") not in vocab


def test_too_common_callback_gets_stems_and_is_respected():
    seen: list[str] = []

    def too_common(s: str) -> bool:
        seen.append(s)
        return s == stem("farmer")

    out = content_words("a story about a farmer and their horses", too_common)
    assert out == ["story", "horses"]
    assert stem("horses") in seen and "horses" not in seen  # the stem is what is asked about
    assert content_words("a story about a farmer and their horses") == ["story", "farmer", "horses"]


def test_no_duplicates_and_order_kept():
    assert content_words("dog, cat, dog! cat cat ferret") == ["dog", "cat", "ferret"]
    assert content_words("Dog DOG dog") == ["dog"]  # lowercased before the repeat check
    assert content_words("") == []
    assert content_words("i feel so sad tonight") == []
