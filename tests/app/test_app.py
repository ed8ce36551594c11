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
    """The session's real Recommender, with posters from the fake TMDB, as the pages' one.

    Recommender.load is pointed at it so ui's cache_resource (what the pages call) holds it.
    """
    from recommender.config import Settings
    from recommender.serving.posters import PosterService
    from recommender.serving.service import Recommender
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
    rec = Recommender(base.artifacts, base.emotion, base.encoder, base.emotion_cache, PosterService(settings))
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
