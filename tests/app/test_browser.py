"""The real app in a real browser: `streamlit run` + Playwright driving Debian's chromium.

Walks every page like a user (mood -> similar by synopsis and by title -> benchmarks), with
posters from the local fake TMDB server. Prints (and saves as timings.json beside the
screenshots) the time from submit to rendered results on each page and the RSS of the
Streamlit server after all pages. Screenshots go to $REELMOOD_SCREENSHOTS or a temp folder.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import ROOT, need
from tests.support.tmdb_fake import FakeTmdb

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT_S = 90
RESULT_TIMEOUT_MS = 120_000
RSS_LIMIT_MB = 1024  # Streamlit Community Cloud gives an app about 1 GB

POSTERS_LOADED = """([n, base]) => {
  const imgs = [...document.querySelectorAll('img.rm-poster')];
  return imgs.length >= n && imgs.every(i => i.complete && i.naturalWidth > 0 && i.src.startsWith(base));
}"""
CHARTS = "n => document.querySelectorAll('.js-plotly-plot').length >= n"
# idle: no run in progress, and no element left over from the previous run (Streamlit marks those
# data-stale while a rerun has not yet redrawn them; one CI run read 13 cards, 10 new + 3 stale)
IDLE = (
    "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
    " && !document.querySelector('[data-stale=\"true\"]')"
)


def _browser_ready() -> bool:
    return Path(CHROMIUM).exists() and importlib.util.find_spec("playwright") is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


def _memory_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak) of a process, in MB, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) / 1024
    return out


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    tmdb: FakeTmdb
    started_at: float
    log: Path


@dataclass
class Report:
    folder: Path
    timings_s: dict[str, float] = field(default_factory=dict)
    memory_mb: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    need("chromium + playwright", _browser_ready())
    need("built artifacts (python -m recommender build)", (ROOT / "artifacts").is_dir())
    port = _free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with FakeTmdb(api_key="testkey") as tmdb:
        env = {
            **os.environ,
            "TMDB_API_KEY": "testkey",
            "TMDB_API_BASE": tmdb.api_base,
            "TMDB_IMAGE_BASE": tmdb.image_base,
            "TMDB_READ_TOKEN": "",
            "REDIS_URL": "",
        }
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ]
        with log.open("w") as out:
            started = time.monotonic()
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(f"http://127.0.0.1:{port}", proc, START_TIMEOUT_S)
            yield Server(f"http://127.0.0.1:{port}", proc, tmdb, started, log)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    folder = Path(os.environ.get("REELMOOD_SCREENSHOTS") or tmp_path_factory.mktemp("screens"))
    folder.mkdir(parents=True, exist_ok=True)
    return Report(folder)


def _screenshot(page, report: Report, name: str) -> None:
    """Whole page: Streamlit scrolls inside its main block, so grow the viewport to fit it."""
    height = page.evaluate(
        "() => Math.max(document.body.scrollHeight, "
        "...[...document.querySelectorAll('[data-testid=\"stMain\"], section.main')]"
        ".map(e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1440, "height": min(max(900, int(height) + 40), 6000)})
    page.wait_for_timeout(400)
    page.screenshot(path=str(report.folder / f"{name}.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})


def _go(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)


def _posters(page) -> list[dict]:
    return page.eval_on_selector_all(
        "img.rm-poster", "els => els.map(e => ({src: e.src, w: e.naturalWidth, h: e.naturalHeight}))"
    )


def _submit_and_time(page, button: str, ready_js: str, arg: object = None) -> float:
    start = time.perf_counter()
    page.get_by_role("button", name=button).click()
    page.wait_for_function(ready_js, arg=arg, timeout=RESULT_TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
    return time.perf_counter() - start


def test_every_page_in_a_real_browser(server: Server, report: Report, capsys) -> None:
    from playwright.sync_api import sync_playwright

    image_base = server.tmdb.image_base
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            # Home: painted before any model loads; the sidebar fills in once they are.
            start = time.perf_counter()
            page.goto(server.url)
            page.get_by_text("Films for how you feel.").wait_for(timeout=RESULT_TIMEOUT_MS)
            report.timings_s["home first paint (cold server)"] = time.perf_counter() - start
            page.get_by_text("hit rate").wait_for(timeout=RESULT_TIMEOUT_MS)
            report.timings_s["models loaded (cold server)"] = time.perf_counter() - start
            page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
            _screenshot(page, report, "1-home")

            # Mood: type, submit, ten cards whose posters came from the fake TMDB.
            _go(page, "Mood")
            page.get_by_role("textbox", name="How are you feeling?").fill("I had an awful day and I just want to laugh")
            report.timings_s["mood: submit -> cards"] = _submit_and_time(
                page, "Find films", POSTERS_LOADED, [10, image_base]
            )
            page.wait_for_function(CHARTS, arg=2, timeout=RESULT_TIMEOUT_MS)
            assert page.locator(".js-plotly-plot").count() == 2
            assert page.get_by_text("TMDB API").count() >= 1
            posters = _posters(page)
            assert len(posters) == 10 and all(p["w"] > 0 and p["src"].startswith(image_base) for p in posters)
            assert page.get_by_text("You asked for:").count() == 1  # the wish that was read
            page.get_by_text("a good laugh").first.wait_for(timeout=RESULT_TIMEOUT_MS)
            tones = page.locator("main [data-testid='stCaptionContainer']", has_text="theater_comedy")
            assert tones.count() >= 1, "tone words on the cards"
            page.get_by_text("data from JustWatch").wait_for(timeout=RESULT_TIMEOUT_MS)  # filled in after the cards
            assert page.locator("main a[href^='https://www.youtube.com/watch?v=']").count() >= 1, "trailer links"
            _screenshot(page, report, "2-mood")

            # Show me others: ten fresh films for the same wish.
            first_titles = set(page.locator("main strong").all_inner_texts())
            page.get_by_role("button", name="Show me others").click()
            page.wait_for_function(  # the grid is redrawn: a title not in the first set appears
                "old => [...document.querySelectorAll('main strong')].some(e => !old.includes(e.innerText))",
                arg=sorted(first_titles),
                timeout=RESULT_TIMEOUT_MS,
            )
            page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
            page.wait_for_function(POSTERS_LOADED, arg=[10, image_base], timeout=RESULT_TIMEOUT_MS)
            fresh_titles = set(page.locator("main strong").all_inner_texts())
            assert fresh_titles - first_titles, "show me others gives other films"
            _screenshot(page, report, "2b-mood-others")

            # Mood, bad input: a friendly warning, and the text never becomes HTML.
            page.get_by_role("textbox", name="How are you feeling?").fill(
                "<script>window.pwned=1</script><img src=x onerror='window.pwned=2'> sad"
            )
            page.get_by_role("button", name="Find films").click()
            page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
            page.get_by_role("textbox", name="How are you feeling?").fill("   12345   ")
            page.get_by_role("button", name="Find films").click()
            page.get_by_text("few words").wait_for(timeout=RESULT_TIMEOUT_MS)
            assert page.evaluate("() => window.pwned === undefined")
            assert page.locator("main img[src=x], main script").count() == 0

            # Similar films by synopsis.
            _go(page, "Similar films")
            page.get_by_role("textbox", name="Synopsis").fill(
                "A young wizard goes to a school of magic and fights a dark lord who killed his parents."
            )
            report.timings_s["similar by synopsis: submit -> cards"] = _submit_and_time(
                page, "Find similar films", POSTERS_LOADED, [10, image_base]
            )
            page.get_by_text("Films like your synopsis").wait_for()
            assert page.get_by_text("similarity 0.").count() >= 5
            _screenshot(page, report, "3-similar-synopsis")

            # Similar films by title, picked from the searchable list.
            page.get_by_role("tab", name="By film title").click()
            page.get_by_test_id("stTabs").get_by_test_id("stSelectbox").click()  # the sidebar has the region's
            page.keyboard.type("Avatar")
            page.get_by_role("option", name="Avatar (2009)").click()
            report.timings_s["similar by title: submit -> cards"] = _submit_and_time(
                page,
                "Find films like this",
                "() => [...document.querySelectorAll('h3')].some(h => h.textContent.includes('Films like Avatar'))"
                " && document.querySelectorAll('img.rm-poster').length >= 10",
            )
            page.wait_for_function(POSTERS_LOADED, arg=[10, image_base], timeout=RESULT_TIMEOUT_MS)
            _screenshot(page, report, "4-similar-title")

            # Benchmarks, run live.
            _go(page, "Benchmarks")
            page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
            live = page.locator(".js-plotly-plot").count()  # the live section's charts, drawn already
            report.timings_s["benchmarks: run -> charts"] = _submit_and_time(page, "Run benchmarks", CHARTS, live + 4)
            assert page.get_by_text("faster").count() >= 1
            _screenshot(page, report, "5-benchmarks")

            # A second visitor on a warm server: first paint of the home page.
            other = browser.new_page(viewport={"width": 1440, "height": 900})
            start = time.perf_counter()
            other.goto(server.url)
            other.get_by_text("Films for how you feel.").wait_for(timeout=RESULT_TIMEOUT_MS)
            report.timings_s["home first paint (warm server)"] = time.perf_counter() - start
            other.close()
            assert not errors, errors
        except Exception:
            page.screenshot(path=str(report.folder / "failure.png"))
            raise
        finally:
            browser.close()

    report.memory_mb = _memory_mb(server.proc.pid)
    (report.folder / "timings.json").write_text(
        json.dumps({"timings_s": report.timings_s, "memory_mb": report.memory_mb}, indent=2)
    )
    with capsys.disabled():
        print(f"\n[browser] screenshots and timings.json in {report.folder}")
        for name, secs in report.timings_s.items():
            print(f"[browser] {name}: {secs:.2f} s")
        print(
            f"[browser] streamlit server after all pages: VmRSS {report.memory_mb['VmRSS']:.0f} MB, "
            f"VmHWM {report.memory_mb['VmHWM']:.0f} MB"
        )
    assert report.memory_mb["VmHWM"] < RSS_LIMIT_MB


# ---------------------------------------------------------------- feedback, corrections, more like this, links

CARD_IDS = """where => [...document.querySelectorAll(`[class*="st-key-${where}_like_"]`)].map(e => Number(
  [...e.classList].find(c => c.startsWith(`st-key-${where}_like_`)).slice(`st-key-${where}_like_`.length)))"""
IDS_CHANGED = (
    f"([where, old]) => {{ const ids = ({CARD_IDS})(where); return ids.length > 0 && ids.join() !== old.join(); }}"
)


def _card_ids(page, where: str) -> list[int]:
    return page.evaluate(CARD_IDS, where)


def _button(page, key: str):
    """The button of the widget `key` (Streamlit also draws a hidden, zero-size copy to measure it)."""
    return page.locator(f".st-key-{key} button:visible")


def _click_and_wait_new_list(page, where: str, locator) -> list[int]:
    """Click `locator`, wait until the cards are another list and the app is idle; the new ids."""
    old = _card_ids(page, where)
    locator.click()
    page.wait_for_function(IDS_CHANGED, arg=[where, old], timeout=RESULT_TIMEOUT_MS)
    page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
    return _card_ids(page, where)


def _film(rec, movie_id: int):
    return rec.catalog.film(rec.catalog.row_of(movie_id))


def _title(rec, movie_id: int) -> str:
    return _film(rec, movie_id).title


def _said(page, text: str) -> None:
    """Wait for a caption saying `text` (what moved the list)."""
    caption = page.locator("main [data-testid='stCaptionContainer']", has_text=text)
    caption.first.wait_for(timeout=RESULT_TIMEOUT_MS)


def _served_count(page) -> int:
    """How many requests the Benchmarks page's live section says this server has served."""
    _go(page, "Benchmarks")
    served = page.locator("main p", has_text="requests served since this server started")
    nothing = page.get_by_text("Nothing served yet")
    served.or_(nothing).first.wait_for(timeout=RESULT_TIMEOUT_MS)
    return int(served.inner_text().split()[0].replace(",", "")) if served.count() else 0


def _closeness(rec, ids: list[int], to: int) -> float:
    vectors = rec.signals.vectors
    target = vectors[rec.catalog.row_of(to)]
    return sum(float(vectors[rec.catalog.row_of(m)] @ target) for m in ids if m != to) / len(ids)


POSTER_STATES = (
    "() => [...document.querySelectorAll('img.rm-poster')].map(i => [i.src.slice(0, 80), i.complete, i.naturalWidth])"
)


def _same_list_in_a_fresh_page(browser, url: str, where: str, expected: list[int], image_base: str, report: Report):
    """The copied URL in a new page (a new Streamlit session): the same cards, in the same order.
    When its posters never all load, the page and each poster's state are kept for the diagnosis."""
    other = browser.new_page(viewport={"width": 1440, "height": 900})
    other.goto(url)
    try:
        other.wait_for_function(POSTERS_LOADED, arg=[len(expected), image_base], timeout=RESULT_TIMEOUT_MS)
    except Exception:
        other.screenshot(path=str(report.folder / f"failure-{where}-shared-link.png"), full_page=True)
        print(f"[browser] {url}: posters {other.evaluate(POSTER_STATES)}")
        raise
    other.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
    assert _card_ids(other, where) == expected, url
    return other


def test_feedback_corrections_more_like_this_and_shared_links_in_a_real_browser(server: Server, report: Report) -> None:
    """A visit that explores: 👎 and 👍 move the list, hidden gems keeps to less known films,
    "Not what I meant" changes the wish (the filter stays), a card opens more like itself, each
    page's URL reproduces its list in a fresh page, and the Benchmarks page's live chart shows
    those requests."""
    from playwright.sync_api import sync_playwright

    from tests.support.loaded import WHAT, loaded_recommender

    rec = loaded_recommender()  # the same catalog and vectors as the server's, to measure the lists
    need(WHAT, rec is not None)
    image_base = server.tmdb.image_base
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(server.url)
            page.get_by_text("hit rate").wait_for(timeout=RESULT_TIMEOUT_MS)
            served_before = _served_count(page)
            _go(page, "Mood")
            page.get_by_role("textbox", name="How are you feeling?").fill("I had an awful day and I just want to laugh")
            _submit_and_time(page, "Find films", POSTERS_LOADED, [10, image_base])
            first = _card_ids(page, "mood")
            assert len(first) == 10

            # 👎: the film is gone and the next list moves away from it; the page says so.
            disliked = first[0]
            after_dislike = _click_and_wait_new_list(page, "mood", _button(page, f"mood_dislike_{disliked}"))
            assert disliked not in after_dislike and len(after_dislike) == 10
            assert _closeness(rec, after_dislike, disliked) < _closeness(rec, first, disliked)
            _said(page, f"Less like {_title(rec, disliked)}")
            _screenshot(page, report, "6-mood-dislike")

            # 👍: films like the liked one come up.
            liked = after_dislike[4]
            after_like = _click_and_wait_new_list(page, "mood", _button(page, f"mood_like_{liked}"))
            assert liked in after_like and disliked not in after_like
            assert _closeness(rec, after_like, liked) > _closeness(rec, after_dislike, liked)
            _said(page, f"More like {_title(rec, liked)}; less like {_title(rec, disliked)}")
            assert page.locator(f".st-key-mood_like_{liked} [data-testid='stBaseButton-primary']:visible").count() == 1
            _screenshot(page, report, "7-mood-like")

            # Hidden gems: the same request, less known films only (the link keeps the filter,
            # and the lists after it keep it too).
            page.locator("[data-testid='stExpander'] summary", has_text="Filters").first.click()
            page.get_by_text("Hidden gems: less known, still well rated").click()
            switch = page.get_by_role("switch", name="Hidden gems: less known, still well rated")
            page.wait_for_function("(s) => s.checked", arg=switch.element_handle(), timeout=RESULT_TIMEOUT_MS)
            gems = _click_and_wait_new_list(page, "mood", page.get_by_role("button", name="Find films"))
            rated = sorted(f.vote_count for f in rec.catalog.films() if f.vote_count > 0)
            median = rated[len(rated) // 2]  # the README's rule: rated 7.0+, by fewer people than the median rated film
            films = [_film(rec, g) for g in gems]
            assert len(gems) == 10 and all(f.vote_count < median and f.vote_average >= 7.0 for f in films), [
                (f.title, f.vote_count, f.vote_average) for f in films
            ]
            assert "gems=" in page.url
            _screenshot(page, report, "8-mood-hidden-gems")

            # "Not what I meant": another wish, and the list follows at once.
            page.get_by_role("button", name="Not what I meant").click()
            popover = page.get_by_test_id("stPopoverBody")
            popover.get_by_test_id("stSelectbox").first.click()
            corrected = _click_and_wait_new_list(page, "mood", page.get_by_role("option", name="A good cry"))
            page.get_by_text("a good cry").first.wait_for(timeout=RESULT_TIMEOUT_MS)
            assert page.get_by_text("You chose:").count() == 1
            assert disliked not in corrected and "wish=cry" in page.url and "gems=" in page.url
            assert all(_film(rec, g).vote_count < median for g in corrected)
            page.keyboard.press("Escape")
            _screenshot(page, report, "8b-mood-not-what-i-meant")

            # The URL holds the request: with the feedback cleared, a fresh page shows the same list.
            shared = _click_and_wait_new_list(page, "mood", page.get_by_role("button", name="Clear feedback"))
            page.wait_for_function(POSTERS_LOADED, arg=[10, image_base], timeout=RESULT_TIMEOUT_MS)
            other = _same_list_in_a_fresh_page(browser, page.url, "mood", shared, image_base, report)
            other.wait_for_function(  # the link's text fills the box too
                "() => [...document.querySelectorAll('textarea')].some(t => t.value.endsWith('want to laugh'))",
                timeout=RESULT_TIMEOUT_MS,
            )
            _screenshot(other, report, "9-mood-shared-link")
            other.close()

            # More like this: a mood card opens Similar films for that film, which goes on from its own cards.
            film = shared[1]
            title = _title(rec, film)
            _button(page, f"mood_more_{film}").click()
            page.get_by_role("heading", name=f"Films like {title}").wait_for(timeout=RESULT_TIMEOUT_MS)
            page.wait_for_function(POSTERS_LOADED, arg=[10, image_base], timeout=RESULT_TIMEOUT_MS)
            page.wait_for_function(IDLE, timeout=RESULT_TIMEOUT_MS)
            assert f"film={film}" in page.url
            similar = _card_ids(page, "similar")
            assert len(similar) == 10 and film not in similar
            nxt = similar[0]
            onward = _click_and_wait_new_list(page, "similar", _button(page, f"similar_more_{nxt}"))
            next_title = _title(rec, nxt)
            page.get_by_role("heading", name=f"Films like {next_title}").wait_for(timeout=RESULT_TIMEOUT_MS)
            assert nxt not in onward and f"film={nxt}" in page.url
            page.wait_for_function(POSTERS_LOADED, arg=[10, image_base], timeout=RESULT_TIMEOUT_MS)
            _screenshot(page, report, "10-similar-more-like-this")
            _same_list_in_a_fresh_page(browser, page.url, "similar", onward, image_base, report).close()

            # The Benchmarks page's live section shows the requests this visit made (9 lists at least).
            assert _served_count(page) >= served_before + 9
            page.wait_for_function(CHARTS, arg=2, timeout=RESULT_TIMEOUT_MS)
            assert page.locator(".js-plotly-plot .scatterlayer path.point").count() >= 9
            _screenshot(page, report, "11-benchmarks-live")
            assert not errors, errors
        except Exception:
            page.screenshot(path=str(report.folder / "failure-explore.png"))
            raise
        finally:
            browser.close()
