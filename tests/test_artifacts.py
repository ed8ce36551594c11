"""`python -m recommender build` on any CSV layout, the manifest it writes, and the load-time checks."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, need
from recommender.artifacts import (
    CATALOG_FILE,
    DATA_FILES,
    EMBEDDINGS_FILE,
    FORMAT_VERSION,
    MANIFEST_FILE,
    VOCAB_FILE,
    ArtifactError,
    load_artifacts,
    read_manifest,
    verify_files,
)
from recommender.build import build_main, verify_rebuild
from recommender.catalog.csv_reader import read_movies_csv
from recommender.catalog.lookup import Catalog
from recommender.search.encoder import MODEL_ID, ONNX_SHA256, TOKENIZER_SHA256, load_encoder
from recommender.search.vector_index import annoy_available, choose_engine
from recommender.wheels import sha256_file

REBUILD = "python -m recommender build"
COMMITTED = ROOT / "artifacts"
_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
SLOW = _CI or os.environ.get("REELMOOD_SLOW") == "1"

# A layout unlike TMDB's: other column names, pipe genres, a year column, no keywords/runtime.
HEADER = ["tmdb_id", "movie_title", "synopsis", "genre", "year", "rating", "votes", "lang", "poster"]
FILMS = [
    (
        603,
        "The Matrix",
        "A computer hacker learns that the world he lives in is a simulation built by machines, and joins a rebellion to free humanity.",
        "Action|Science Fiction",
        1999,
    ),
    (
        329,
        "Jurassic Park",
        "Scientists clone dinosaurs for a theme park on a remote island; when the power fails, the dinosaurs escape and hunt the visitors.",
        "Adventure|Science Fiction",
        1993,
    ),
    (
        597,
        "Titanic",
        "A poor artist and a rich young woman fall in love aboard a luxurious ocean liner on its doomed maiden voyage across the Atlantic.",
        "Drama|Romance",
        1997,
    ),
    (
        49047,
        "Gravity",
        "Two astronauts are stranded in orbit after debris destroys their space shuttle, and must find a way back to Earth.",
        "Science Fiction|Thriller",
        2013,
    ),
    (
        694,
        "The Shining",
        "A writer becomes caretaker of an isolated mountain hotel for the winter and slowly descends into madness, threatening his wife and son.",
        "Horror",
        1980,
    ),
    (
        862,
        "Toy Story",
        "A cowboy doll feels threatened when a new space ranger action figure becomes his owner's favourite toy.",
        "Animation|Comedy|Family",
        1995,
    ),
    (
        238,
        "The Godfather",
        "The aging patriarch of a New York mafia family hands control of his criminal empire to his reluctant youngest son.",
        "Crime|Drama",
        1972,
    ),
    (
        13,
        "Forrest Gump",
        "A kind man with a low IQ drifts through decades of American history while longing for his childhood sweetheart.",
        "Comedy|Drama|Romance",
        1994,
    ),
    (
        578,
        "Jaws",
        "A giant great white shark terrorises a seaside resort town, and the police chief, a marine biologist and a fisherman set out to kill it.",
        "Horror|Thriller",
        1975,
    ),
    (
        680,
        "Pulp Fiction",
        "The lives of two hitmen, a boxer, a gangster's wife and a pair of diner robbers intertwine in a series of violent Los Angeles stories.",
        "Crime|Thriller",
        1994,
    ),
    (
        155,
        "The Dark Knight",
        "Batman faces the Joker, a criminal mastermind who plunges Gotham City into chaos and anarchy.",
        "Action|Crime",
        2008,
    ),
    (
        12,
        "Finding Nemo",
        "A timid clownfish crosses the ocean to find his son, who was captured by a diver and placed in a dentist's aquarium.",
        "Animation|Family",
        2003,
    ),
    (
        8587,
        "The Lion King",
        "A young lion prince flees his kingdom after his father's murder and must return to reclaim his place as king.",
        "Animation|Family|Drama",
        1994,
    ),
    (
        157336,
        "Interstellar",
        "A team of explorers travels through a wormhole near Saturn in search of a new home planet for humanity as Earth dies.",
        "Adventure|Drama|Science Fiction",
        2014,
    ),
    (
        11,
        "Star Wars",
        "A farm boy joins a princess, a smuggler and an old knight to rescue the galaxy from an evil empire and its planet-destroying battle station.",
        "Adventure|Action|Science Fiction",
        1977,
    ),
    (
        274,
        "The Silence of the Lambs",
        "A young FBI trainee seeks the help of an imprisoned cannibal psychiatrist to catch a serial killer who skins his victims.",
        "Crime|Thriller|Horror",
        1991,
    ),
    (
        424,
        "Schindler's List",
        "A German industrialist saves more than a thousand Jewish refugees from the Holocaust by employing them in his factories.",
        "Drama|History|War",
        1993,
    ),
    (
        857,
        "Saving Private Ryan",
        "After the Normandy landings, a squad of soldiers goes behind enemy lines to bring home a paratrooper whose brothers were killed in action.",
        "Drama|War",
        1998,
    ),
    (
        194,
        "Amélie",
        "A shy Parisian waitress decides to secretly change the lives of the people around her, while struggling with her own loneliness.",
        "Comedy|Romance",
        2001,
    ),
    (
        120,
        "The Lord of the Rings: The Fellowship of the Ring",
        "A young hobbit and eight companions set out on a quest to destroy a powerful ring forged by a dark lord.",
        "Adventure|Fantasy",
        2001,
    ),
    (
        671,
        "Harry Potter and the Philosopher's Stone",
        "An orphaned boy discovers he is a wizard and enrols at a school of witchcraft and wizardry, where he uncovers a dark secret.",
        "Adventure|Fantasy|Family",
        2001,
    ),
    (
        807,
        "Se7en",
        "Two detectives hunt a serial killer who uses the seven deadly sins as motives for his gruesome murders.",
        "Crime|Thriller",
        1995,
    ),
    (
        550,
        "Fight Club",
        "An insomniac office worker and a soap salesman form an underground fight club that evolves into something much more dangerous.",
        "Drama",
        1999,
    ),
    (
        105,
        "Back to the Future",
        "A teenager is accidentally sent thirty years into the past in a time-travelling car and must make sure his parents fall in love.",
        "Adventure|Comedy|Science Fiction",
        1985,
    ),
    (
        348,
        "Alien",
        "The crew of a commercial spaceship is hunted by a deadly alien creature after answering a distress call on a desolate moon.",
        "Horror|Science Fiction",
        1979,
    ),
    (
        11324,
        "Shutter Island",
        "A U.S. marshal investigates the disappearance of a murderer who escaped from a hospital for the criminally insane on a remote island.",
        "Mystery|Thriller",
        2010,
    ),
    (
        313369,
        "La La Land",
        "A jazz pianist and an aspiring actress fall in love while chasing their dreams in Los Angeles.",
        "Comedy|Drama|Music|Romance",
        2016,
    ),
    (
        2062,
        "Ratatouille",
        "A rat who dreams of becoming a great chef teams up with a young kitchen worker in a famous Paris restaurant.",
        "Animation|Comedy|Family",
        2007,
    ),
    (
        76341,
        "Mad Max: Fury Road",
        "In a post-apocalyptic desert wasteland, a drifter and a rebel warrior flee a tyrant across the sand in an armoured war rig.",
        "Action|Adventure",
        2015,
    ),
    (
        9806,
        "The Incredibles",
        "A family of undercover superheroes, living quiet suburban lives, is forced back into action to save the world.",
        "Animation|Action|Family",
        2004,
    ),
]
BAD_ROWS = [  # one per skip reason
    ["99901", "No Synopsis", "", "Drama", "2000", "5", "10", "en", ""],
    ["not-a-number", "Bad Id", "A film whose id is not a number.", "Drama", "2000", "5", "10", "en", ""],
    ["603", "The Matrix Again", "A duplicate id of an earlier film.", "Action", "2003", "5", "10", "en", ""],
    ["99902", "Bad Year", "A film whose year is not a year.", "Drama", "soon", "5", "10", "en", ""],
]
SKIPPED = {"bad_id": 1, "bad_year": 1, "duplicate_id": 1, "missing_overview": 1}


def write_fixture_csv(path: Path) -> Path:
    rows = [
        [
            str(i),
            title,
            overview,
            genres,
            str(year),
            f"{6 + (n % 30) / 10:.1f}",
            str(1000 + 37 * n),
            "en",
            f"/poster{i}.jpg" if n % 3 == 0 else "",
        ]
        for n, (i, title, overview, genres, year) in enumerate(FILMS)
    ]
    rows[3:3] = BAD_ROWS[:2]
    rows += BAD_ROWS[2:]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def run_build(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """The real command line, in its own process, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "recommender", "build", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


class Built:
    def __init__(self, csv_path: Path, out: Path, proc: subprocess.CompletedProcess[str]) -> None:
        self.csv, self.out, self.proc = csv_path, out, proc

    @property
    def manifest(self) -> dict:
        return json.loads((self.out / MANIFEST_FILE).read_text("utf-8"))


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One build of the 30-film fixture through the CLI, shared by the tests below."""
    base = tmp_path_factory.mktemp("build")
    csv_path = write_fixture_csv(base / "my films.csv")
    out = base / "out"
    proc = run_build("--movies-csv", str(csv_path), "--out", str(out))
    assert proc.returncode == 0, f"build failed:\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    return Built(csv_path, out, proc)


@pytest.fixture
def copy_of(built: Built, tmp_path: Path) -> Path:
    """A private copy of the built artifacts that a test may damage."""
    return Path(shutil.copytree(built.out, tmp_path / "artifacts"))


def rewrite_manifest_sha(path: Path, name: str) -> None:
    """Record the current sha256 of `name`, as if the manifest had been edited to match."""
    manifest = json.loads((path / MANIFEST_FILE).read_text("utf-8"))
    manifest["files"][name]["sha256"] = sha256_file(path / name)
    (path / MANIFEST_FILE).write_text(json.dumps(manifest), "utf-8")


# ---- build -----------------------------------------------------------------------------------


def test_build_cli_on_a_custom_layout_prints_counts_and_writes_all_files(built: Built) -> None:
    """The CLI accepts a non-TMDB layout, reports what it kept and skipped, and leaves no temp folder."""
    out = built.proc.stdout
    assert "34 films read, 30 kept; 4 skipped (bad_id: 1, bad_year: 1, duplicate_id: 1, missing_overview: 1)" in out
    assert f"30 films indexed -> {built.out}" in out
    assert "Traceback" not in built.proc.stderr
    assert sorted(p.name for p in built.out.iterdir()) == sorted(DATA_FILES + (MANIFEST_FILE,))


def test_manifest_records_rows_source_models_packages_and_time(built: Built) -> None:
    """manifest.json says what was built from what, with which model and packages, and when."""
    m = built.manifest
    assert m["format"] == FORMAT_VERSION
    assert m["rows"]["read"] == 34 and m["rows"]["kept"] == 30 and m["rows"]["skipped"] == 4
    assert m["rows"]["skipped_by_reason"] == SKIPPED and m["rows"]["policy"]
    source = m["source"]
    data = built.csv.read_bytes()
    assert source["kind"] == "csv" and source["file"] == str(built.csv)
    assert source["sha256"] == hashlib.sha256(data).hexdigest() and source["bytes"] == len(data)
    assert m["columns"]["movie_id"] == "tmdb_id" and m["columns"]["title"] == "movie_title"
    assert m["columns"]["overview"] == "synopsis" and m["columns"]["genres"] == "genre"
    assert m["columns"]["year"] == "year" and "keywords" not in m["columns"]
    encoder = m["encoder"]
    assert encoder["id"] == MODEL_ID == "all-MiniLM-L6-v2-reelmood-int8-v2"
    assert encoder["model_sha256"] == ONNX_SHA256 and encoder["tokenizer_sha256"] == TOKENIZER_SHA256
    assert m["packages"]["numpy"] == np.__version__ and m["packages"]["python"].count(".") == 2
    assert {"pandas", "onnxruntime", "tokenizers", "scikit-learn", "pyarrow"} <= set(m["packages"])
    built_at = datetime.fromisoformat(m["built_at"])
    assert built_at.tzinfo is not None and abs((datetime.now(built_at.tzinfo) - built_at).days) < 1
    assert m["build_seconds"] > 0
    assert m["embeddings"]["shape"] == [30, 384] and m["embeddings"]["dtype"] == "float16"
    assert m["tfidf"]["terms"] > 100
    assert 0.99 <= m["annoy"]["recall_at_10"] <= 1.0
    for name in DATA_FILES:
        path = built.out / name
        assert m["files"][name] == {"sha256": sha256_file(path), "bytes": path.stat().st_size}


def test_build_loads_back_with_the_same_films(built: Built) -> None:
    """What load_artifacts returns is exactly the parsed CSV: ids, order, every field, empty columns too."""
    loaded = load_artifacts(built.out)
    expected = Catalog(read_movies_csv(built.csv)[0]).films()
    assert loaded.catalog.films() == expected
    assert [f.movie_id for f in expected] == [i for i, *_ in FILMS]
    amelie = loaded.catalog.film(loaded.catalog.row_of(194))
    assert amelie.title == "Amélie" and amelie.genres == ("Comedy", "Romance") and amelie.keywords == ()
    assert amelie.runtime is None and amelie.year == 2001
    assert loaded.catalog.film(0).poster_path == "/poster603.jpg" and loaded.catalog.film(1).poster_path is None
    assert loaded.tfidf.n_rows == len(loaded.index) == 30
    assert loaded.manifest == built.manifest


def test_search_on_the_build_returns_sensible_films(built: Built) -> None:
    """Synopsis, similar-film, TF-IDF and title search all find the obvious film."""
    loaded = load_artifacts(built.out)
    catalog = loaded.catalog
    encoder = load_encoder(threads=1)

    def top(query: str, k: int = 3) -> list[str]:
        return [catalog.film(r).title for r, _ in loaded.index.search(encoder.encode_one(query), k)]

    assert "Gravity" in top("astronauts stranded in space after their shuttle is destroyed")
    assert "Jaws" in top("a killer shark attacks swimmers at a beach town")
    assert "Harry Potter and the Philosopher's Stone" in top("a boy goes to a school for wizards")
    nemo = catalog.row_of(12)
    neighbours = [
        catalog.film(r).title for r, _ in loaded.index.search(loaded.index.vector(nemo), 3, exclude_rows={nemo})
    ]
    assert "Finding Nemo" not in neighbours
    assert {"Toy Story", "Ratatouille", "The Lion King", "The Incredibles"} & set(neighbours), neighbours
    scores = loaded.tfidf.scores("dinosaurs escape from the theme park")
    assert catalog.film(int(np.argmax(scores))).title == "Jurassic Park" and scores.max() > 0.2
    assert catalog.film(catalog.find_title("amelie 2001")[0]).movie_id == 194
    exact = [r for r, _ in loaded.index.exact_search(encoder.encode_one("mafia family"), 5)]
    assert [r for r, _ in loaded.index.search(encoder.encode_one("mafia family"), 5)] == exact


def test_manifest_records_the_engine_chosen_by_measurement(built: Built) -> None:
    """Both timings, the faster engine by choose_engine on those figures, and why; the CLI says it."""
    annoy = built.manifest["annoy"]
    assert annoy["query_ms_exact"] > 0 and (annoy["query_ms_annoy"] > 0) == annoy_available()
    assert annoy["engine"] == choose_engine(annoy["query_ms_exact"], annoy["query_ms_annoy"])
    assert annoy["engine_reason"].startswith(annoy["engine"] + ": ")
    assert f"serving {annoy['engine']}: exact {annoy['query_ms_exact']} ms" in built.proc.stdout
    assert load_artifacts(built.out).index.uses_annoy == (annoy["engine"] == "annoy")


def test_load_artifacts_serves_the_engine_the_manifest_chose(copy_of: Path) -> None:
    """engine "exact" builds an exact index (the true neighbours); "annoy" or no engine (older builds)
    builds Annoy; use_annoy=False forces exact; an unknown engine asks for a rebuild."""

    def load_with(engine: str | None, use_annoy: bool = True):
        manifest = json.loads((copy_of / MANIFEST_FILE).read_text("utf-8"))
        manifest["annoy"].pop("engine", None)
        if engine is not None:
            manifest["annoy"]["engine"] = engine
        (copy_of / MANIFEST_FILE).write_text(json.dumps(manifest), "utf-8")
        return load_artifacts(copy_of, use_annoy=use_annoy).index

    exact = load_with("exact")
    assert not exact.uses_annoy
    for row in range(len(exact)):
        vector = exact.vector(row)
        assert exact.search(vector, 5, {row}) == exact.exact_search(vector, 5, {row})
    assert not load_with("annoy", use_annoy=False).uses_annoy
    if annoy_available():
        assert load_with("annoy").uses_annoy and load_with(None).uses_annoy
    with pytest.raises(ArtifactError, match="unknown index engine 'gpu'.*rebuild with"):
        load_with("gpu")


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def test_build_without_required_columns_exits_nonzero_naming_them(tmp_path: Path) -> None:
    """A CSV without id/overview fails fast with one clear line, no traceback and no artifacts."""
    bad = write_csv(tmp_path / "bad.csv", "name,plot_summary,rating\nHeat,A heist.,8\n")
    out = tmp_path / "out"
    proc = run_build("--movies-csv", str(bad), "--out", str(out), timeout=300)
    assert proc.returncode == 2
    assert "build failed" in proc.stderr and "lacks required column" in proc.stderr
    assert "movie_id" in proc.stderr and "overview" in proc.stderr and "title (" not in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / MANIFEST_FILE).exists()


@pytest.mark.parametrize(
    "content, expected",
    [
        (None, "cannot read movies CSV"),
        (b"", "empty"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00junk", "binary"),
        (b"id,title,overview\nx,,\n", "no usable films"),
    ],
)
def test_build_main_rejects_unusable_files_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, expected: str
) -> None:
    """Missing, empty, binary or all-bad input: exit status 2 and the reason on stderr."""
    path = tmp_path / "movies.csv"
    if content is not None:
        path.write_bytes(content)
    assert build_main(path, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert err.startswith("build failed:") and expected in err
    assert not (tmp_path / "out" / MANIFEST_FILE).exists()


# ---- load-time checks ------------------------------------------------------------------------


def assert_rebuild_error(path: Path, *fragments: str) -> str:
    with pytest.raises(ArtifactError) as info:
        load_artifacts(path, use_annoy=False)
    message = str(info.value)
    assert REBUILD in message
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.mark.parametrize("name", DATA_FILES)
def test_corrupt_artifact_is_refused_with_rebuild_hint(copy_of: Path, name: str) -> None:
    """A flipped byte anywhere in a data file is caught by its sha256 before it is used."""
    path = copy_of / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert_rebuild_error(copy_of, name, "corrupt")


@pytest.mark.parametrize("name", DATA_FILES)
def test_deleted_artifact_is_refused_with_rebuild_hint(copy_of: Path, name: str) -> None:
    """A missing data file is named as missing."""
    (copy_of / name).unlink()
    assert_rebuild_error(copy_of, name, "missing")


def test_truncated_embeddings_are_refused(copy_of: Path) -> None:
    """A half-written embeddings file (e.g. an interrupted copy) is caught."""
    path = copy_of / EMBEDDINGS_FILE
    path.write_bytes(path.read_bytes()[:1000])
    assert_rebuild_error(copy_of, EMBEDDINGS_FILE)


def test_missing_manifest_is_refused(copy_of: Path, tmp_path: Path) -> None:
    """No manifest means nothing is trusted, even if the data files are fine; an empty folder too."""
    (copy_of / MANIFEST_FILE).unlink()
    assert_rebuild_error(copy_of, "manifest.json missing")
    assert_rebuild_error(tmp_path / "never-built", "manifest.json missing")


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "unknown format"),
        ('{"format": 999}', "unknown format"),
        ('{"files": {}}', "unknown format"),
    ],
)
def test_garbage_or_wrong_version_manifest_is_refused(copy_of: Path, text: str, fragment: str) -> None:
    """An unreadable manifest or one of another format version is an ArtifactError, not a crash."""
    (copy_of / MANIFEST_FILE).write_text(text, "utf-8")
    assert_rebuild_error(copy_of, fragment)


def test_manifest_in_binary_is_refused(copy_of: Path) -> None:
    """Non-UTF-8 bytes in the manifest are an ArtifactError too."""
    (copy_of / MANIFEST_FILE).write_bytes(b"\xff\xfe\x00garbage")
    assert_rebuild_error(copy_of, "not valid JSON")


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (lambda m: m.update(files=["catalog.parquet"]), "malformed"),
        (lambda m: m["files"].update({EMBEDDINGS_FILE: "0" * 64}), "malformed"),
        (lambda m: m["files"].pop(CATALOG_FILE), "corrupt"),
        (lambda m: m["files"][VOCAB_FILE].pop("sha256"), "corrupt"),
        (lambda m: m.update(rows=[30]), "malformed"),
        (lambda m: m["rows"].update(kept=31), "disagree on the number of films"),
        (lambda m: m["annoy"].update(n_trees="many"), "Annoy settings"),
    ],
    ids=["files-list", "files-entry-str", "file-unlisted", "sha-absent", "rows-list", "kept-wrong", "annoy-garbage"],
)
def test_structurally_wrong_manifest_is_refused(copy_of: Path, edit, fragment: str) -> None:
    """A valid-JSON manifest with the right version but wrong contents still gives ArtifactError."""
    manifest = json.loads((copy_of / MANIFEST_FILE).read_text("utf-8"))
    edit(manifest)
    (copy_of / MANIFEST_FILE).write_text(json.dumps(manifest), "utf-8")
    assert_rebuild_error(copy_of, fragment)


def test_row_count_mismatch_is_refused_even_with_matching_sha(copy_of: Path) -> None:
    """Swapping in embeddings for a different catalog (and fixing the sha) is caught by the row counts."""
    vectors = np.load(copy_of / EMBEDDINGS_FILE)
    np.save(copy_of / EMBEDDINGS_FILE, vectors[:-1], allow_pickle=False)
    rewrite_manifest_sha(copy_of, EMBEDDINGS_FILE)
    assert_rebuild_error(copy_of, "disagree on the number of films", "'embeddings': 29")


@pytest.mark.parametrize(
    "content",
    [
        b"this is not JSON\n",
        b'{"movie_id": 1, "title": "A film with no other fields"}\n',
        b"\xff\xfe binary \x00\n",
    ],
    ids=["not-json", "missing-fields", "binary"],
)
def test_unreadable_catalog_with_matching_sha_is_refused(copy_of: Path, content: bytes) -> None:
    """A catalog that matches the manifest but cannot be parsed gives ArtifactError, not a traceback."""
    (copy_of / CATALOG_FILE).write_bytes(content)
    rewrite_manifest_sha(copy_of, CATALOG_FILE)
    assert_rebuild_error(copy_of, "cannot be read")


def test_read_manifest_and_verify_files_accept_a_good_build(built: Built) -> None:
    """The checks pass on an untouched build (so the failures above come from the damage)."""
    manifest = read_manifest(built.out)
    verify_files(built.out, manifest)
    assert manifest["rows"]["kept"] == 30


# ---- rebuild check ---------------------------------------------------------------------------


def test_verify_rebuild_accepts_an_identical_copy_and_flags_changed_embeddings(built: Built, copy_of: Path) -> None:
    """verify_rebuild is empty for identical builds and names the film whose embedding moved."""
    assert verify_rebuild(built.out, copy_of) == []
    vectors = np.load(copy_of / EMBEDDINGS_FILE)
    vectors[5] = vectors[6]
    np.save(copy_of / EMBEDDINGS_FILE, vectors, allow_pickle=False)
    rewrite_manifest_sha(copy_of, EMBEDDINGS_FILE)
    problems = verify_rebuild(built.out, copy_of)
    assert len(problems) == 1 and "1 film embeddings have cosine" in problems[0] and "Toy Story" in problems[0]


def test_verify_rebuild_reports_a_different_catalog_and_a_broken_build(built: Built, tmp_path: Path) -> None:
    """Different source/films, or a rebuild that does not load, are reported as problems, not raised."""
    need("built artifacts (python -m recommender build)", (COMMITTED / MANIFEST_FILE).is_file())
    problems = verify_rebuild(COMMITTED, built.out)
    assert "source CSV differs (sha256)" in problems
    assert any(p.startswith("film ids differ") for p in problems)
    missing = verify_rebuild(built.out, tmp_path / "nothing")
    assert len(missing) == 1 and missing[0].startswith("rebuilt:") and REBUILD in missing[0]


def test_committed_artifacts_match_their_manifest() -> None:
    """The artifacts in the repository load and agree with themselves (cheap; the rebuild below is slow)."""
    need("built artifacts (python -m recommender build)", (COMMITTED / MANIFEST_FILE).is_file())
    assert verify_rebuild(COMMITTED, COMMITTED) == []


@pytest.mark.skipif(not SLOW, reason="rebuilds the full TMDB 5000 catalog (~2-4 min); set CI=true or REELMOOD_SLOW=1")
def test_rebuild_matches_committed_artifacts(tmp_path: Path) -> None:
    """A fresh default build reproduces the committed artifacts: same films, TF-IDF, embeddings within tolerance."""
    need("built artifacts (python -m recommender build)", (COMMITTED / MANIFEST_FILE).is_file())
    out = tmp_path / "rebuilt"
    proc = run_build("--out", str(out), timeout=1800)
    assert proc.returncode == 0, f"build failed:\n{proc.stdout}\n{proc.stderr[-3000:]}"
    committed = json.loads((COMMITTED / MANIFEST_FILE).read_text("utf-8"))
    assert f"{committed['rows']['kept']:,} films indexed" in proc.stdout
    assert verify_rebuild(COMMITTED, out) == []
