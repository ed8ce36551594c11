"""Reading the wish in a mood text: clauses, negation, named genres, and the real sentence encoder."""

from __future__ import annotations

import json

import pytest

from conftest import need
from recommender.mood.wish import (
    NONE,
    SEARCH_ENCODER_SETTINGS,
    WISH_ENCODER_DIR,
    WishReader,
    WishReading,
    WishSettings,
    WishTableError,
    clauses,
    default_wish_table,
    exemplar_classes,
    is_negated,
    load_wish_table,
    named_genres,
    rejected_content,
)

# ---- clauses and negation (pure text rules) -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tired. want to laugh!", ["tired", "want to laugh"]),
        ("angry, but I want a good laugh", ["angry", "I want a good laugh"]),
        ("i had a rough week and i need a comedy", ["i had a rough week", "i need a comedy"]),
        ("bored because it is raining", ["bored", "it is raining"]),
        ("anything but horror", ["anything but horror"]),
        ("a love story without a tragic ending", ["a love story", "without a tragic ending"]),
    ],
)
def test_clauses_split_on_punctuation_conjunctions_and_inner_negation(text, expected):
    assert clauses(text) == expected


def test_clauses_keep_a_single_clause_whole():
    assert clauses("  make me laugh  ") == ["make me laugh"]
    assert clauses("!!!") == ["!!!"]  # nothing wordy: the text itself


@pytest.mark.parametrize("text", ["no horror", "don't want anything sad", "nothing scary please", "anything but war"])
def test_is_negated_true(text):
    assert is_negated(text)


@pytest.mark.parametrize("text", ["i can't wait", "make me laugh", "nothing but comedies tonight", "notable films"])
def test_is_negated_false(text):
    assert not is_negated(text)


def test_is_negated_with_a_typographic_apostrophe():
    assert is_negated("I don\u2019t want anything sad")


@pytest.mark.parametrize(
    ("clause", "named"),
    [
        ("please no tearjerkers", "please tearjerkers"),
        ("I don\u2019t want anything sad", "I want anything sad"),
        ("anything but horror", "horror"),
        ("nothing scary, no matter what", "scary, no matter what"),  # "no matter" is not a negation
        ("not not", "not not"),  # nothing is left: the clause itself
    ],
)
def test_rejected_content_is_the_clause_without_its_negation(clause, named):
    assert rejected_content(clause) == named


def test_named_genres_on_word_boundaries():
    assert named_genres("some sci-fi tonight") == ("Science Fiction",)
    assert named_genres("an animated film") == ("Animation",)
    assert "War" not in named_genres("something warm and gentle")
    assert "War" in named_genres("a war film")
    assert named_genres("just a quiet evening") == ()


# ---- WishReading / the wish table -----------------------------------------------------------


def test_reading_json_round_trip():
    table = default_wish_table()
    wid = next(iter(table.wishes))
    other = list(table.wishes)[1]
    reading = WishReading(
        wid,
        table.label(wid),
        avoid=(other,),
        genres_in=("Comedy",),
        genres_out=("Horror",),
        confidence=0.1234,
        scores={wid: 0.5, other: 0.25},
    )
    raw = json.loads(json.dumps(reading.to_json()))  # what the cache stores
    assert WishReading.from_json(raw, table) == reading
    empty = WishReading(None, None)
    assert WishReading.from_json(empty.to_json(), table) == empty


def test_reading_from_json_rejects_an_unknown_wish_and_drops_unknown_avoids():
    table = default_wish_table()
    with pytest.raises(ValueError):
        WishReading.from_json({"wish": "no-such-wish"}, table)
    wid = next(iter(table.wishes))
    read = WishReading.from_json({"wish": None, "avoid": [wid, "no-such-wish"]}, table)
    assert read.avoid == (wid,)


def _minimal_table() -> dict:
    return {
        "wishes": {"laugh": {"label": "a laugh", "exemplars": ["make me laugh"], "genres": {}, "tones": {"funny": 1}}},
        "none": {"exemplars": ["long day"]},
        "tones": {"funny": {"adjective": "funny", "descriptors": ["a comedy"]}},
    }


def test_load_wish_table_reads_a_well_formed_file(tmp_path):
    path = tmp_path / "wishes.json"
    path.write_text(json.dumps(_minimal_table()))
    table = load_wish_table(path)
    assert list(table.wishes) == ["laugh"] and table.tone_ids == ("funny",)
    assert table.label("laugh") == "a laugh" and table.label("cry") is None and table.label(None) is None
    path.write_text(json.dumps(_minimal_table(), indent=2))
    assert load_wish_table(path).version != table.version  # the version is the content hash


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: "{not json",
        lambda raw: {k: v for k, v in raw.items() if k != "none"},
        lambda raw: {**raw, "wishes": {"laugh": {"exemplars": ["x"], "genres": {}, "tones": {}}}},  # no label
        lambda raw: {**raw, "wishes": {"laugh": {**raw["wishes"]["laugh"], "tones": {"nosuchtone": 1}}}},
        lambda raw: {**raw, "wishes": {"laugh": {**raw["wishes"]["laugh"], "exemplars": []}}},
        lambda raw: [],
    ],
)
def test_load_wish_table_rejects_a_malformed_file(tmp_path, damage):
    bad = damage(_minimal_table())
    path = tmp_path / "wishes.json"
    path.write_text(bad if isinstance(bad, str) else json.dumps(bad))
    with pytest.raises(WishTableError):
        load_wish_table(path)


def test_load_wish_table_missing_file(tmp_path):
    with pytest.raises(WishTableError):
        load_wish_table(tmp_path / "absent.json")


# ---- reading with the real sentence encoder -------------------------------------------------


@pytest.fixture(scope="module", params=["wish encoder", "search encoder"])
def reader(request) -> WishReader:
    """The shipped reader (models/wish: encoder, settings, head) and the fallback without it."""
    try:
        from recommender.search.encoder import load_encoder, load_folder_encoder
        from recommender.serving.service import load_wish_head

        if request.param == "wish encoder":
            encoder, settings = load_folder_encoder(WISH_ENCODER_DIR, threads=2), WishSettings()
            head = load_wish_head(encoder)
            need("the wish head (models/wish/head.npz)", head is not None)
        else:
            encoder, settings, head = load_encoder(threads=2), SEARCH_ENCODER_SETTINGS, None
    except Exception:  # noqa: BLE001 - a missing model skips locally, fails in CI
        encoder = None
    need(f"the {request.param} (models/)", encoder is not None)
    return WishReader(default_wish_table(), encoder.encode, settings, head)


def _exemplars() -> set[str]:
    texts, _ = exemplar_classes(default_wish_table())
    return {t.strip().lower() for t in texts}


def test_exemplar_classes_label_each_wish_then_the_plain_feelings():
    table = default_wish_table()
    texts, labels = exemplar_classes(table)
    assert len(texts) == len(labels) == sum(len(w.exemplars) for w in table.wishes.values()) + len(table.none_exemplars)
    for j, wish in enumerate(table.wishes.values()):
        assert [t for t, c in zip(texts, labels) if c == j] == list(wish.exemplars)
    assert [t for t, c in zip(texts, labels) if c == len(table.wishes)] == list(table.none_exemplars)


READ_AS = [
    ("put on something hilarious for me", "laugh"),
    ("show me something that will make me giggle", "laugh"),
    ("i wanna bawl tonight", "cry"),
    ("find a movie my children can watch", "kids"),
    ("frighten me with something creepy", "scare"),
    ("so furious right now, but I want a good laugh", "laugh"),
    ("nothing intense, I just want to unwind", "calm"),
]
PLAIN_FEELINGS = ["had a long day at the office", "spent all afternoon doing laundry"]
NEGATION_PHRASED_REQUESTS = ["nothing gloomy please", "nothing stressful please"]
TEST_TEXTS = (
    [t for t, _ in READ_AS]
    + PLAIN_FEELINGS
    + NEGATION_PHRASED_REQUESTS
    + ["my heart is broken but I don't want anything sad", "no horror films please", "no cartoons please"]
)


def test_test_texts_are_not_exemplars():
    """The reading tests below would prove nothing if a text (or one of its clauses) were an exemplar."""
    known = _exemplars()
    for text in TEST_TEXTS:
        for piece in [text, *clauses(text)]:
            assert piece.strip().lower() not in known, piece


@pytest.mark.parametrize(("text", "wish"), READ_AS)
def test_clear_requests_are_read_as_their_wish(reader, text, wish):
    read = reader.read(text)
    assert read.wish == wish, read.scores
    assert read.label == default_wish_table().label(wish)
    assert read.confidence > 0
    assert wish not in read.avoid


@pytest.mark.parametrize("text", PLAIN_FEELINGS)
def test_a_plain_feeling_asks_for_nothing(reader, text):
    read = reader.read(text)
    assert read.wish is None and read.label is None and read.confidence == 0.0


def test_a_rejected_wish_is_avoided_not_wanted(reader):
    read = reader.read("heartbroken but please no tearjerkers")
    assert "cry" in read.avoid and read.wish != "cry"
    read = reader.read("stressed out, I don't want anything scary")
    assert "scare" in read.avoid and read.wish != "scare"
    # "nothing sad" reads as asking for the opposite, like its exemplars ("nothing heavy please")
    read = reader.read("my heart is broken but I don't want anything sad")
    assert read.wish != "cry" and (read.wish == "light" or "cry" in read.avoid)


def test_a_negated_genre_is_kept_out(reader):
    read = reader.read("no horror films please")
    assert "Horror" in read.genres_out and "Horror" not in read.genres_in
    assert read.wish != "scare"
    read = reader.read("no cartoons please")
    assert "Animation" in read.genres_out and read.wish != "kids"


def test_a_named_genre_in_a_plain_clause_is_wanted(reader):
    read = reader.read("in the mood for a heist movie")
    assert read.genres_in == ("Crime",) and read.genres_out == ()


@pytest.mark.parametrize("text", NEGATION_PHRASED_REQUESTS)
def test_negation_phrased_requests_never_ask_for_what_they_name(reader, text):
    """The rules read "nothing gloomy please" as asking for the opposite (like the exemplar "nothing
    heavy please"); the head, trained on texts where only rejecting something asks for nothing
    (the sets' convention), reads no wish, and the mode decides."""
    read = reader.read(text)
    assert read.wish not in {"cry", "scare", "thrill"} and read.wish not in read.avoid
    if reader.head is None:
        assert read.wish is not None


def test_the_reading_decides_on_the_evidence_the_head_was_trained_on(reader):
    text = "so furious right now, but I want a good laugh"
    seen = reader.vectors(text)
    assert list(seen.parts) == clauses(text) and len(seen.vectors) == len(seen.parts) == 2
    read = reader.read(text)
    assert reader.read_vectors(seen) == read
    if reader.head is not None:  # what train-wish fits the head on is what the reader hands it
        assert reader.head.classes[reader.head.decide(reader.features(text))[0]] == (read.wish or NONE)


def test_nothing_with_zombies_is_a_rejection(reader):
    read = reader.read("nothing with zombies")
    assert "Horror" not in read.genres_in and read.wish != "scare"


def test_negation_reaches_across_and(reader):
    read = reader.read("no sci-fi and horror")
    assert "Horror" not in read.genres_in and read.wish != "scare"
