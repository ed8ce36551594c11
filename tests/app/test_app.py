"""The Streamlit pages through AppTest, with the real Recommender (real models and catalog).

Posters come from the local fake TMDB server, so cards must show its URLs; the placeholder
path is covered by the ui helpers below.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest

from conftest import ROOT, need
from tests.support.tmdb_fake import FakeTmdb

APP = str(ROOT / "streamlit_app.py")
RUN_TIMEOUT = 180.0  # the first run loads the models


@pytest.fixture(scope="module")
def fake_tmdb() -> Iterator[FakeTmdb]:
    with FakeTmdb(api_key="testkey") as tmdb:
        yield tmdb


@pytest.fixture(scope="module")
def recommender(fake_tmdb: FakeTmdb) -> Iterator[object]:
    """The session's real Recommender, with posters and watch info from the fake TMDB, as the pages' one.

    Recommender.load is pointed at it so ui's cache_resource (what the pages call) holds it.
    """
    from recommender.config import Settings
    from recommender.serving.posters import PosterService
    from recommender.serving.service import Recommender
    from recommender.serving.watch import WatchService
    from recommender.ui import app as ui_app
    from tests.support.loaded import WHAT, loaded_recommender

    base = loaded_recommender()
    need(WHAT, base is not None)
    settings = Settings(
        tmdb_api_key="testkey",
        tmdb_api_base=fake_tmdb.api_base,
        tmdb_image_base=fake_tmdb.image_base,
        use_embedded_redis=False,
    )
    rec = Recommender(
        base.artifacts,
        base.emotion,
        base.encoder,
        base.emotion_cache,
        PosterService(settings),
        watch=WatchService(settings),
        wish_encoder=base.wish_encoder,
    )
    patch = pytest.MonkeyPatch()
    patch.setattr(Recommender, "load", classmethod(lambda cls, settings=None: rec))
    ui_app._load_recommender.clear()
    yield rec
    ui_app._load_recommender.clear()
    patch.undo()


@pytest.fixture()
def app(recommender: object):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _poster_srcs(at) -> list[str]:
    return re.findall(r'<img class="rm-poster" src="([^"]+)"', _markdown(at))


def _open(at, page: str):
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


# ---------------------------------------------------------------- home + sidebar


def test_home_links_every_page_and_sidebar_shows_status(app) -> None:
    assert "Reelmood" in app.title[0].value
    links = {link.proto.page.rsplit("/", 1)[-1].removesuffix(".py") for link in app.get("page_link")}
    for page in ("mood", "similar", "benchmarks"):
        assert page in links, links
    side = _texts(app.sidebar.markdown)
    assert re.search(r"[\d,]{4,} films", side), side
    assert re.search(r"(Redis|Embedded Redis|In-process) · hit rate", side), side
    assert "TMDB on" in side
    assert "Wish reading** · wish encoder" in side


# ---------------------------------------------------------------- mood


def _submit_mood(at, text: str):
    at.text_area(key="mood_text").input(text)
    _form_button(at, "Find films").click()
    at.run()
    assert not at.exception, at.exception
    return at


def _form_button(at, label: str):
    for button in at.button:
        if label in button.label:
            return button
    raise AssertionError(f"no button {label!r}: {[b.label for b in at.button]}")


def test_mood_page_shows_emotions_genres_and_poster_cards(app, fake_tmdb: FakeTmdb) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, "I had an awful day and I just want to laugh")
    charts = at.get("plotly_chart")
    assert len(charts) == 2, "emotion and genre charts"
    assert "Sadness" in charts[0].proto.spec or "Joy" in charts[0].proto.spec
    srcs = _poster_srcs(at)
    assert len(srcs) == 10
    assert all(s.startswith(fake_tmdb.image_base) for s in srcs), srcs[:3]
    captions = _texts(at.caption)
    assert re.search(r"(Computed fresh|from the cache) · [\d.]+ ms", captions)
    assert "TMDB" in captions  # attribution on a page with posters
    assert len(at.expander) >= 10  # overview on expand, one per card

    _submit_mood(at, "I had an awful day and I just want to laugh")  # same text again
    assert "from the cache" in _texts(at.caption)


def _titles(at) -> list[str]:
    return [m for m in _texts(at.markdown).splitlines() if m.startswith("**")]


def test_mood_page_shows_the_wish_and_the_tone_and_lets_the_person_change_the_wish(app) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, "I want a good cry tonight")
    assert "You asked for: **a good cry**" in _markdown(at)
    assert ":material/theater_comedy:" in _texts(at.caption)  # tone words on the cards
    before = _titles(at)
    select = [s for s in at.selectbox if s.key.startswith("mood_wish_")][0]
    assert select.value == "cry"
    select.set_value("laugh").run()
    assert not at.exception, at.exception
    assert "You chose: **a good laugh**" in _markdown(at)
    after = _titles(at)
    assert after and after != before


def test_show_me_others_gives_a_fresh_set(app) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, "rough week, I need something that makes me laugh")
    first = set(_titles(at))
    _form_button(at, "Show me others").click()
    at.run()
    assert not at.exception, at.exception
    second = set(_titles(at))
    assert len(first) == 10 and len(second) == 10 and not first & second
    assert "You asked for: **a good laugh**" in _markdown(at)  # the same wish, fresh films


def test_hidden_gems_filter_shows_less_known_films(app, recommender) -> None:
    at = _open(app, "pages/mood.py")
    at.toggle(key="mood_gems").set_value(True)
    _submit_mood(at, "something to make me laugh")
    titles = [t.split("**")[1] for t in _titles(at)]
    assert titles
    votes = [recommender.catalog.film(recommender.catalog.find_title(t, 1)[0]).vote_count for t in titles]
    median = sorted(f.vote_count for f in recommender.catalog.films())[len(recommender.catalog) // 2]
    assert all(v < median for v in votes), (votes, median)


def test_example_mood_fills_text_and_lift_mode_changes_the_films(app) -> None:
    at = _open(app, "pages/mood.py")
    at.pills(key="mood_example").set_value("Anxious about tomorrow and can't sleep").run()
    assert at.text_area(key="mood_text").value == "Anxious about tomorrow and can't sleep"
    _form_button(at, "Find films").click()
    at.run()
    match_titles = [m for m in _texts(at.markdown).splitlines() if m.startswith("**")]
    at.segmented_control(key="mood_mode").set_value("lift")
    _form_button(at, "Find films").click()
    at.run()
    assert not at.exception
    lift_titles = [m for m in _texts(at.markdown).splitlines() if m.startswith("**")]
    assert match_titles and lift_titles and match_titles != lift_titles
    assert any("to lift your mood" in s.value for s in at.subheader)


def test_mood_filters_are_respected(app) -> None:
    at = _open(app, "pages/mood.py")
    at.slider(key="mood_years").set_value((2000, 2009))
    at.slider(key="mood_rating").set_value(7.0)
    _submit_mood(at, "feeling happy and adventurous")
    years = [int(y) for y in re.findall(r"\\\((\d{4})\\\)", _markdown(at))]
    assert years and all(2000 <= y <= 2009 for y in years), years
    ratings = [float(r) for r in re.findall(r"★ (\d+\.\d)", _texts(at.caption))]
    assert ratings and all(r >= 7.0 for r in ratings), ratings


@pytest.mark.parametrize(
    "text",
    [
        "",
        "     ",
        "😀😀😀",
        "<script>alert('x')</script><b>bold</b>",
        "x" * 20_000,
        "Je suis triste et fatigué ce soir",
        "今日はとても悲しい",
        "\x00\x01\x02 binary \xff",
    ],
    ids=["empty", "spaces", "emoji", "html", "huge", "french", "japanese", "binary"],
)
def test_mood_bad_input_is_friendly(app, text: str) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, text)
    assert not at.error, _texts(at.error)
    shown = _markdown(at)
    assert "<script" not in shown and "<b>bold" not in shown  # never rendered as HTML
    if at.warning:
        assert "few words" in _texts(at.warning) or "text" in _texts(at.warning)
        assert not at.get("plotly_chart")
    else:  # a sensible result instead
        assert len(_poster_srcs(at)) > 0


# ---------------------------------------------------------------- similar films


def test_similar_by_synopsis_shows_scored_cards(app, fake_tmdb: FakeTmdb) -> None:
    at = _open(app, "pages/similar.py")
    at.slider(key="similar_top_k").set_value(6)
    at.text_area(key="similar_synopsis").input(
        "A young wizard goes to a school of magic and fights a dark lord who killed his parents."
    )
    _form_button(at, "Find similar films").click()
    at.run()
    assert not at.exception, at.exception
    srcs = _poster_srcs(at)
    assert len(srcs) == 6 and all(s.startswith(fake_tmdb.image_base) for s in srcs)
    sims = [float(s) for s in re.findall(r"similarity (\d\.\d\d)", _texts(at.caption))]
    assert len(sims) == 6 and all(0 < s <= 1 for s in sims)
    assert "Harry Potter" in _markdown(at)


def test_similar_by_title_excludes_the_film_itself(app) -> None:
    at = _open(app, "pages/similar.py")
    picker = at.selectbox(key="similar_title")
    avatar = next(o for o in picker.options if o.startswith("Avatar ("))
    picker.select(avatar)
    _form_button(at, "Find films like this").click()
    at.run()
    assert not at.exception, at.exception
    assert any("Films like Avatar" in s.value for s in at.subheader)
    titles = [m for m in _texts(at.markdown).splitlines() if m.startswith("**")]
    assert len(titles) == 10 and not any(t.startswith("**Avatar**") for t in titles)


def test_similar_title_button_without_a_pick_explains(app) -> None:
    at = _open(app, "pages/similar.py")
    _form_button(at, "Find films like this").click()
    at.run()
    assert not at.exception and not at.error
    assert "Pick a film" in _texts(at.info)


@pytest.mark.parametrize("text", ["", "🙂🙂", "<img src=x onerror=alert(1)>"], ids=["empty", "emoji", "html"])
def test_similar_bad_synopsis_is_friendly(app, text: str) -> None:
    at = _open(app, "pages/similar.py")
    at.text_area(key="similar_synopsis").input(text)
    _form_button(at, "Find similar films").click()
    at.run()
    assert not at.exception and not at.error
    assert "onerror" not in _markdown(at).replace("onerror\\=", "")
    assert at.warning or _poster_srcs(at)


# ---------------------------------------------------------------- trailers and where to watch

WATCH_MOOD = "I had an awful day and I just want to laugh"


def _trailer_keys(at) -> list[str]:
    return re.findall(r"\]\(https://www\.youtube\.com/watch\?v=([A-Za-z0-9_\-]{11})\)", _markdown(at))


def _shown_ids(at) -> list[int]:
    return [r.movie_id for r in at.session_state["mood_result"].recommendations]


def test_cards_show_the_trailer_and_where_to_watch_in_the_chosen_region(app, fake_tmdb: FakeTmdb) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, WATCH_MOOD)
    shown = _shown_ids(at)
    region = at.sidebar.selectbox(key="watch_region")
    assert region.value == "US", "no REELMOOD_REGION and no browser locale"
    # the fake: no videos for id % 5 == 0, only a teaser for id % 5 == 1
    expected = [fake_tmdb.trailer_key(m, "teaser" if m % 5 == 1 else "trailer") for m in shown if m % 5]
    assert _trailer_keys(at) == expected
    captions = _texts(at.caption)
    assert captions.count("**Rent** · Apple TV") == len([m for m in shown if m % 4])  # no offers for id % 4 == 0
    assert captions.count("**Stream** · Max, Netflix") == len([m for m in shown if m % 4 and m % 2])
    assert ("data from JustWatch" in captions) == any(m % 4 for m in shown)
    assert len(_poster_srcs(at)) == 10

    region.set_value("GB").run()
    assert not at.exception, at.exception
    captions = _texts(at.caption)
    in_gb = [m for m in shown if m % 4 and m % 3 == 0]  # the fake's GB offers
    assert captions.count("**Stream** · BBC iPlayer") == captions.count("All offers in United Kingdom") == len(in_gb)
    assert "Apple TV" not in captions
    assert _trailer_keys(at) == expected, "trailers are the same everywhere"


def test_the_region_defaults_from_the_browser_locale(recommender) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.context["locale"] = "en-GB"
    at.run()
    _open(at, "pages/mood.py")
    _submit_mood(at, WATCH_MOOD)
    assert at.sidebar.selectbox(key="watch_region").value == "GB"


@pytest.mark.parametrize("failure", ["500", "429", "slow"])
def test_cards_render_without_watch_info_when_tmdb_fails(app, recommender, monkeypatch, failure: str) -> None:
    """A second fake TMDB (posters keep the healthy one) that fails every watch lookup."""
    import uuid

    from recommender.config import Settings
    from recommender.serving.cache import TTLCache
    from recommender.serving.tmdb_lookup import BREAKER_FAILURES
    from recommender.serving.watch import WatchService

    with FakeTmdb(api_key="testkey") as broken:
        if failure == "slow":
            broken.delay_s = 1.0
        else:
            broken.fail_always(int(failure), retry_after=30 if failure == "429" else None)
        settings = Settings(tmdb_api_key="testkey", tmdb_api_base=broken.api_base, tmdb_timeout_s=0.3)
        watch = WatchService(settings, TTLCache(f"app-watch-{uuid.uuid4().hex[:8]}"), workers=4)
        monkeypatch.setattr(recommender, "watch", watch)
        at = _open(app, "pages/mood.py")
        _submit_mood(at, WATCH_MOOD)
        calls = len(broken.api_calls())
    assert not at.exception and not at.error
    assert len(_titles(at)) == 10 and len(_poster_srcs(at)) == 10, "the cards are all there"
    assert _trailer_keys(at) == [] and "JustWatch" not in _texts(at.caption)
    assert watch.breaker_open and 0 < calls <= (BREAKER_FAILURES - 1 + 4) * 3, calls


def test_no_watch_info_means_nothing_on_the_cards(app, recommender, monkeypatch) -> None:
    monkeypatch.setattr(recommender, "watch", None)
    at = _open(app, "pages/mood.py")
    _submit_mood(at, WATCH_MOOD)
    assert len(_titles(at)) == 10
    assert _trailer_keys(at) == [] and "JustWatch" not in _texts(at.caption)
    assert not [s for s in at.sidebar.selectbox if s.key == "watch_region"]


# ---------------------------------------------------------------- feedback, corrections, more like this, links

LAUGH = "I had an awful day and I just want to laugh"


def _card_ids(at, where: str) -> list[int]:
    """TMDB ids of the cards shown, in order (from their 👍 buttons' keys)."""
    return [int(b.key.rsplit("_", 1)[1]) for b in at.button if b.key and b.key.startswith(f"{where}_like_")]


def _closeness(rec, ids: list[int], to: int) -> float:
    """Mean cosine of the films `ids` (but `to` itself) to the film `to`."""
    vectors = rec.signals.vectors
    target = vectors[rec.catalog.row_of(to)]
    return sum(float(vectors[rec.catalog.row_of(m)] @ target) for m in ids if m != to) / len(ids)


def _click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def test_a_dislike_removes_the_film_and_moves_the_list_away_from_it(app, recommender) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, LAUGH)
    before = _card_ids(at, "mood")
    disliked = before[0]
    _click(at, f"mood_dislike_{disliked}")
    after = _card_ids(at, "mood")
    assert len(after) == 10 and disliked not in after and set(after) != set(before)
    assert _closeness(recommender, after, disliked) < _closeness(recommender, before, disliked)
    title = recommender.catalog.film(recommender.catalog.row_of(disliked)).title
    assert f"Less like *{ui_escape(title)}*" in _texts(at.caption)
    _submit_mood(at, LAUGH)  # a new search in the same session: it stays out
    assert disliked not in _card_ids(at, "mood")
    _click(at, "mood_clear_feedback")
    assert _card_ids(at, "mood") == before and "Less like" not in _texts(at.caption)


def test_a_like_pulls_films_like_it_up(app, recommender) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, LAUGH)
    before = _card_ids(at, "mood")
    liked = before[4]
    _click(at, f"mood_like_{liked}")
    after = _card_ids(at, "mood")
    assert liked in after and set(after) != set(before)
    assert _closeness(recommender, after, liked) > _closeness(recommender, before, liked) + 0.05
    assert at.button(key=f"mood_like_{liked}").proto.type == "primary"  # the card shows its 👍
    assert "More like *" in _texts(at.caption)


def test_not_what_i_meant_corrects_the_emotion_and_the_list_follows(app) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, "Anxious about tomorrow and can't sleep")
    assert "Main feeling read: **fear**" in _markdown(at)
    before = _card_ids(at, "mood")
    at.selectbox(key="mood_emotion_fear_0").set_value("joy").run()
    assert not at.exception, at.exception
    assert "You chose the feeling: **joy**" in _markdown(at)
    assert len(set(_card_ids(at, "mood")) - set(before)) >= 5
    assert at.query_params.get("emotion") == "joy"
    select = [s for s in at.selectbox if s.key.startswith("mood_wish_")][0]
    select.set_value("scare").run()  # the wish too, keeping the corrected feeling
    assert "You chose: **a scare**" in _markdown(at) and "You chose the feeling: **joy**" in _markdown(at)
    assert at.query_params.get("wish") == "scare"


def test_more_like_this_opens_similar_films_and_goes_on_from_there(app, recommender) -> None:
    at = _open(app, "pages/mood.py")
    _submit_mood(at, LAUGH)
    first = _card_ids(at, "mood")[0]
    _click(at, f"mood_more_{first}")
    title = recommender.catalog.film(recommender.catalog.row_of(first)).title
    assert any(f"Films like {ui_escape(title)}" in s.value for s in at.subheader), [s.value for s in at.subheader]
    assert at.query_params.get("film") == str(first)
    shown = _card_ids(at, "similar")
    assert len(shown) == 10 and first not in shown
    assert shown == [r.movie_id for r in recommender.similar_to_film(first, with_posters=False).recommendations]
    nxt = shown[2]
    at.switch_page("pages/similar.py")  # AppTest would re-request the page it last switched to (mood)
    _click(at, f"similar_more_{nxt}")
    title = recommender.catalog.film(recommender.catalog.row_of(nxt)).title
    assert any(f"Films like {ui_escape(title)}" in s.value for s in at.subheader)
    assert at.query_params.get("film") == str(nxt) and nxt not in _card_ids(at, "similar")
    disliked = _card_ids(at, "similar")[0]
    _click(at, f"similar_dislike_{disliked}")  # feedback works on similar films too
    assert disliked not in _card_ids(at, "similar") and len(_card_ids(at, "similar")) == 10


def _fresh(recommender, page: str, params: dict[str, str]):
    """A new session (another browser) opening `page` with the URL's query parameters."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=RUN_TIMEOUT)
    at.run()
    at.query_params = dict(params)
    return _open(at, page)


def test_a_shared_mood_link_reproduces_the_list_in_a_fresh_session(app, recommender) -> None:
    at = _open(app, "pages/mood.py")
    at.slider(key="mood_years").set_value((1990, 2012))
    at.segmented_control(key="mood_mode").set_value("lift")
    _submit_mood(at, "Feeling nostalgic and a little lonely tonight")
    [s for s in at.selectbox if s.key.startswith("mood_wish_")][0].set_value("calm").run()
    shown, params = _card_ids(at, "mood"), dict(at.query_params)
    assert params == {
        "q": "Feeling nostalgic and a little lonely tonight",
        "mode": "lift",
        "wish": "calm",
        "from": "1990",
        "to": "2012",
    }
    other = _fresh(recommender, "pages/mood.py", params)
    assert _card_ids(other, "mood") == shown and len(shown) == 10
    assert other.text_area(key="mood_text").value == params["q"]
    assert other.slider(key="mood_years").value == (1990, 2012)
    assert other.segmented_control(key="mood_mode").value == "lift"
    assert "You chose: **something calm**" in _markdown(other)


def test_a_shared_similar_link_reproduces_the_list(app, recommender) -> None:
    at = _open(app, "pages/similar.py")
    at.slider(key="similar_top_k").set_value(6)
    at.text_area(key="similar_synopsis").input("Two rival magicians in Victorian London destroy each other.")
    _form_button(at, "Find similar films").click()
    at.run()
    shown, params = _card_ids(at, "similar"), dict(at.query_params)
    assert len(shown) == 6 and params["n"] == "6" and params["synopsis"].startswith("Two rival")
    other = _fresh(recommender, "pages/similar.py", params)
    assert _card_ids(other, "similar") == shown


@pytest.mark.parametrize(
    "params",
    [
        {"q": "<script>alert(1)</script><b>sad</b> and tired", "mode": "evil", "wish": "<b>x</b>", "emotion": "rage"},
        {"q": "feeling happy", "from": "abc", "to": "99999", "rating": "nan", "lang": "zz'", "gems": "maybe"},
        {"q": "feeling happy", "from": "2010", "to": "1990", "rating": "1e309", "wish": "x" * 5000},
        {"q": "x" * 100_000},
        {"q": "12345"},
        {"mode": "lift"},
    ],
    ids=["html-and-unknown", "bad-filters", "reversed-years", "huge-text", "no-words", "no-text"],
)
def test_tampered_mood_links_fall_back_to_defaults(recommender, params) -> None:
    at = _fresh(recommender, "pages/mood.py", params)
    assert not at.error, _texts(at.error)
    shown = _markdown(at)
    assert "<script" not in shown and "<b>" not in shown
    assert at.segmented_control(key="mood_mode").value in ("match", "lift")
    if len(params) > 1 and "q" in params:
        assert "Part of this link could not be used" in _texts(at.info)
        assert _card_ids(at, "mood") or at.warning


@pytest.mark.parametrize(
    "params",
    [
        {"film": "abc"},
        {"film": "-5"},
        {"film": "999999999"},
        {"film": "19995", "n": "1000"},
        {"synopsis": "<img src=x onerror=alert(1)>"},
    ],
    ids=["not-a-number", "negative", "unknown-film", "huge-n", "html-synopsis"],
)
def test_tampered_similar_links_give_the_normal_message(recommender, params) -> None:
    at = _fresh(recommender, "pages/similar.py", params)
    assert not at.error, _texts(at.error)
    assert "onerror" not in _markdown(at).replace("onerror\\=", "")
    assert at.info or at.warning or _card_ids(at, "similar")
    if params == {"film": "999999999"}:
        assert "No film with TMDB id 999999999" in _texts(at.warning)


def ui_escape(text: str) -> str:
    from recommender import ui

    return ui.md_escape(text)


# ---------------------------------------------------------------- ui helpers


def test_placeholder_poster_when_no_url_and_unsafe_urls_refused(recommender) -> None:
    from recommender import ui

    rec = recommender
    film = rec.catalog.film(0)
    base = rec.similar_to_film(movie_id=film.movie_id, top_k=1, with_posters=False).recommendations[0]
    none = replace(base, poster_url=None)
    assert 'src="data:image/svg+xml' in ui.poster_html(none, ui.film_lookup(rec)(none.movie_id))
    evil = replace(base, poster_url='javascript:alert(1)"')
    assert ui.poster_html(evil, None) is None
    assert ui.safe_image_src('https://x/a.png" onerror="x') == "https://x/a.png&quot; onerror=&quot;x"


def test_a_tmdb_poster_has_the_drawn_card_behind_it(recommender) -> None:
    """If the TMDB image fails in the browser, the drawn card shows, never a broken image."""
    from recommender import ui

    rec = recommender
    base = rec.similar_to_film(movie_id=rec.catalog.film(0).movie_id, top_k=1, with_posters=False).recommendations[0]
    film = ui.film_lookup(rec)(base.movie_id)
    tmdb = replace(base, poster_url="https://image.tmdb.org/t/p/w342/x.jpg", title='<script>"x"</script>')
    markup = ui.poster_html(tmdb, film)
    assert 'src="https://image.tmdb.org/t/p/w342/x.jpg"' in markup
    assert "background-image: url(&quot;data:image/svg+xml;base64," in markup
    assert "<script>" not in markup and 'aria-label="Poster: &lt;script&gt;' in markup
    drawn = ui.poster_html(replace(base, poster_url=None), film)
    assert "background-image" not in drawn and 'src="data:image/svg+xml;base64,' in drawn


def test_md_escape_makes_markup_inert() -> None:
    from recommender import ui

    escaped = ui.md_escape("<b>*hi*</b> [x](javascript:alert(1)) :red[no] $x$")
    assert "<b>" not in escaped and "*hi*" not in escaped and "](" not in escaped
    assert ":red[" not in escaped and "$x$" not in escaped


def test_region_from_the_locale_and_reelmood_region_first() -> None:
    from recommender.config import Settings
    from recommender.serving.watch import WatchService
    from recommender.ui.watch import default_region, region_from_locale

    locales = ["en-GB", "en_us", "zh-Hant-TW", "de", "es-419", "", None, 7, "x-12-"]
    assert [region_from_locale(x) for x in locales] == ["GB", "US", "TW", None, None, None, None, None, None]
    assert default_region(WatchService(Settings(region="DE")), "en-GB") == "GB"
    assert default_region(WatchService(Settings(region="DE")), "fr") == "DE"
    assert default_region(WatchService(Settings(region="DE", region_from_env=True)), "en-GB") == "DE"


# ---------------------------------------------------------------- benchmarks: live latency


def _live_charts(at) -> list[set[str]]:
    """The trace names of the live timeline and of the live distribution chart, when shown."""
    import json

    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    live = [s for s in specs if s["layout"]["title"]["text"] in ("Recent requests", "Cached vs uncached, per kind")]
    return [{t["name"] for t in s["data"]} for s in live]


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_benchmarks_live_section_empty_then_showing_what_was_served(app, recommender) -> None:
    import uuid

    recommender.latency.clear()  # as a server that has served nothing yet
    at = _open(app, "pages/benchmarks.py")
    assert "Nothing served yet" in _texts(at.info)
    assert not _live_charts(at)
    assert any(b.label == "Run benchmarks" for b in at.button)  # the on-demand run is still there

    text = f"a grey morning and I feel a little flat {uuid.uuid4().hex[:6]}"
    _submit_mood(_open(at, "pages/mood.py"), text)
    _submit_mood(at, text)  # again: from the cache
    at = _open(at, "pages/benchmarks.py")
    assert "Nothing served yet" not in _texts(at.info)
    assert "**2** requests served" in _markdown(at)
    for label in ("Mood, fresh: p50", "Mood, fresh: p95", "Mood, cached: p50", "Mood, cached: p95"):
        assert re.fullmatch(r"[\d,.]+ ms", _metric(at, label)), label
    timeline, spread = _live_charts(at)
    assert timeline == {"computed fresh", "from the cache"}
    assert spread == {"mood · fresh", "mood · cached"}

    recommender.similar_to_film(movie_id=862, top_k=3)  # served meanwhile, by another visitor
    at.button(key="live_refresh").click().run()
    assert not at.exception, at.exception
    assert "**3** requests served" in _markdown(at)
    assert _live_charts(at)[1] == {"mood · fresh", "mood · cached", "film · fresh"}


def test_benchmarks_scale_curve_from_the_committed_run_or_a_note(app, monkeypatch, tmp_path) -> None:
    import json

    import recommender.serving.scale_bench as scale_bench

    at = _open(app, "pages/benchmarks.py")
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    (curve,) = [s for s in specs if s["layout"]["title"]["text"] == "Request p50 as the catalog grows"]
    films = [p.films for p in scale_bench.load_scale_results()]
    assert all(trace["x"] == films for trace in curve["data"]) and len(films) >= 2

    monkeypatch.setattr(scale_bench, "RESULTS_FILE", tmp_path / "missing.json")
    at = _open(at, "pages/benchmarks.py")
    assert not at.exception, at.exception
    assert "No scale run is recorded here" in _texts(at.info)
