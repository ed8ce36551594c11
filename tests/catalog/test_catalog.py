"""Catalog parsing: any TMDB-style CSV layout becomes a clean table; bad rows are counted, not fatal."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from recommender.catalog.csv_reader import read_movies_csv
from recommender.catalog.film import FILM_COLUMNS, CatalogError
from recommender.catalog.lookup import Catalog, title_key
from recommender.catalog.parse import (
    ParseReport,
    _Skip,
    detect_columns,
    make_frame,
    parse_id,
    parse_movies,
    parse_names,
    parse_row,
    parse_year,
)
from support.films import film_record

OVERVIEW = "A crew travels far to save the world."


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    """A real CSV file (csv module quoting, so JSON and commas inside cells survive)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def skip_reason(fn, *args: Any) -> str:
    """The reason a value parser gives for rejecting its input."""
    with pytest.raises(_Skip) as info:
        fn(*args)
    return info.value.reason


# ---- layouts ---------------------------------------------------------------------------------


def test_tmdb_layout_parses_every_field(tmp_path: Path) -> None:
    """The TMDB 5000 layout (JSON genres/keywords, release_date) maps to typed Film fields."""
    genres = json.dumps([{"id": 28, "name": "Action"}, {"id": 878, "name": "Science Fiction"}])
    keywords = json.dumps([{"id": 1, "name": "space war"}, {"id": 2, "name": "alien"}])
    path = write_csv(
        tmp_path / "tmdb.csv",
        [
            "budget",
            "genres",
            "id",
            "keywords",
            "original_language",
            "overview",
            "popularity",
            "release_date",
            "runtime",
            "tagline",
            "title",
            "vote_average",
            "vote_count",
        ],
        [
            [
                "237000000",
                genres,
                "19995",
                keywords,
                "EN",
                OVERVIEW,
                "150.43",
                "2009-12-10",
                "162.0",
                "Enter the World of Pandora.",
                "Avatar",
                "7.2",
                "11800",
            ]
        ],
    )
    frame, report = read_movies_csv(path)
    assert list(frame.columns) == FILM_COLUMNS
    (film,) = Catalog(frame).films()
    assert film.movie_id == 19995 and film.title == "Avatar" and film.overview == OVERVIEW
    assert film.year == 2009
    assert film.genres == ("Action", "Science Fiction")
    assert film.keywords == ("space war", "alien")  # keywords keep their case
    assert film.vote_average == pytest.approx(7.2) and film.vote_count == 11800
    assert film.popularity == pytest.approx(150.43) and film.runtime == pytest.approx(162.0)
    assert film.original_language == "en" and film.tagline == "Enter the World of Pandora."
    assert film.poster_path is None
    assert isinstance(report, ParseReport)
    assert (report.rows_read, report.rows_kept, report.skipped) == (1, 1, {})
    assert report.columns["movie_id"] == "id" and report.columns["release_date"] == "release_date"
    assert "budget" not in report.columns.values()


GENRE_ENCODINGS = {
    "tmdb-json": json.dumps([{"id": 28, "name": "Action"}, {"id": 18, "name": "Drama"}]),
    "comma": "Action, Drama",
    "pipe": "Action|Drama",
    "python-list": "['Action', 'Drama']",
    "python-dicts": "[{'id': 28, 'name': 'Action'}, {'id': 18, 'name': 'Drama'}]",
    "json-strings": '["Action", "Drama"]',
}


@pytest.mark.parametrize("encoded", GENRE_ENCODINGS.values(), ids=GENRE_ENCODINGS.keys())
def test_genre_encodings_read_the_same(tmp_path: Path, encoded: str) -> None:
    """Every common genre encoding in a CSV cell gives the same genre tuple."""
    path = write_csv(tmp_path / "m.csv", ["id", "title", "overview", "genres"], [[1, "Heat", OVERVIEW, encoded]])
    frame, _ = read_movies_csv(path)
    assert Catalog(frame).film(0).genres == ("Action", "Drama")


def test_parse_names_normalises_case_duplicates_and_blanks() -> None:
    """ALL-CAPS/lower-case names are title-cased, repeats and blanks dropped, order kept."""
    assert parse_names("action|DRAMA| action ||Sci-Fi") == ("Action", "Drama", "Sci-Fi")
    assert parse_names("") == () and parse_names(float("nan")) == () and parse_names("[]") == ()
    assert parse_names('{"name": "Horror"}') == ("Horror",)
    assert parse_names("['space war', 'ALIEN']", canonical=False) == ("space war", "ALIEN")


@pytest.mark.parametrize("garbage", ["[1, 2]", "[broken", "{[1]: 2}", "[{[1]: 2}]", "{'a', []}", "[lambda: 1]"])
def test_parse_names_rejects_garbage_with_a_reason(garbage: str) -> None:
    """A list-looking cell that is not a list of names skips the row; it never raises anything else."""
    assert skip_reason(parse_names, garbage, "bad_genres") == "bad_genres"


def test_year_column_instead_of_release_date(tmp_path: Path) -> None:
    """A plain `year` column works where there is no release_date."""
    path = write_csv(
        tmp_path / "m.csv",
        ["movie_title", "year", "synopsis", "tmdb_id"],
        [["Heat", "1995", OVERVIEW, "949"], ["Alien", "1979.0", OVERVIEW, "348"], ["Undated", "", OVERVIEW, "7"]],
    )
    frame, report = read_movies_csv(path)
    assert [f.year for f in Catalog(frame).films()] == [1995, 1979, None]
    assert report.columns["year"] == "year" and "release_date" not in report.columns
    assert str(frame["year"].dtype) == "Int64"


@pytest.mark.parametrize("id_column", ["id", "tmdb_id", "movie_id", "Movie ID", " TMDB-Id "])
def test_id_column_aliases(tmp_path: Path, id_column: str) -> None:
    """The id column is found under any of its usual names, whatever the case, spacing or BOM."""
    path = write_csv(tmp_path / "m.csv", [id_column, "Title", "Overview"], [["603", "The Matrix", OVERVIEW]])
    frame, report = read_movies_csv(path)
    assert frame["movie_id"].tolist() == [603]
    assert report.columns["movie_id"] == id_column


def test_bom_file_header_is_found(tmp_path: Path) -> None:
    """A UTF-8 file written with a byte-order mark (Excel) still has an `id` column."""
    path = tmp_path / "bom.csv"
    path.write_bytes("id,title,overview\n5,Amélie,A shy waitress.\n".encode("utf-8-sig"))
    frame, _ = read_movies_csv(path)
    assert frame["movie_id"].tolist() == [5] and frame["title"].tolist() == ["Amélie"]
    assert detect_columns(["\ufeffid", "title", "overview"])["movie_id"] == "\ufeffid"  # BOM kept in a frame header


def test_only_required_columns_gives_empty_optional_fields(tmp_path: Path) -> None:
    """No keywords/genres/date/votes columns: films are kept with empty optional values."""
    path = write_csv(tmp_path / "m.csv", ["id", "title", "overview"], [[1, "Heat", OVERVIEW], [2, "Alien", OVERVIEW]])
    frame, report = read_movies_csv(path)
    film = Catalog(frame).film(1)
    assert (film.genres, film.keywords, film.year, film.tagline, film.original_language) == ((), (), None, "", "")
    assert (film.vote_average, film.vote_count, film.popularity, film.runtime, film.poster_path) == (
        0.0,
        0,
        0.0,
        None,
        None,
    )
    assert set(report.columns) == {"movie_id", "title", "overview"}
    assert report.skipped == {} and report.rows_kept == 2


def test_blank_optional_values_keep_the_row(tmp_path: Path) -> None:
    """Blank optional cells are 'unknown', not errors: the row is kept."""
    path = write_csv(
        tmp_path / "m.csv",
        ["id", "title", "overview", "genres", "keywords", "release_date", "vote_average", "vote_count", "runtime"],
        [[1, "Heat", OVERVIEW, "", "", "", "", "", ""]],
    )
    frame, report = read_movies_csv(path)
    film = Catalog(frame).film(0)
    assert report.skipped == {} and (film.genres, film.year, film.vote_average, film.runtime) == ((), None, 0.0, None)


# ---- bad rows --------------------------------------------------------------------------------


def test_bad_rows_are_skipped_and_counted_by_reason(tmp_path: Path) -> None:
    """Each garbage value drops only its row, under a named reason; the good rows survive."""
    header = ["id", "title", "overview", "release_date", "vote_average", "genres"]
    rows = [
        ["1", "Good One", OVERVIEW, "2001-05-01", "7.5", "Drama"],
        ["abc", "Bad Id", OVERVIEW, "2001", "7", "Drama"],
        ["", "No Id", OVERVIEW, "2001", "7", "Drama"],
        ["3.5", "Fraction Id", OVERVIEW, "2001", "7", "Drama"],
        ["4", "Bad Year", OVERVIEW, "someday", "7", "Drama"],
        ["5", "Ancient", OVERVIEW, "1066-10-14", "7", "Drama"],
        ["6", "No Overview", "", "2001", "7", "Drama"],
        ["7", "", OVERVIEW, "2001", "7", "Drama"],
        ["8", "Garbage Vote", OVERVIEW, "2001", "seven", "Drama"],
        ["9", "Vote Too High", OVERVIEW, "2001", "11", "Drama"],
        ["10", "NaN Vote", OVERVIEW, "2001", "nan", "Drama"],
        ["11", "Bad Genres", OVERVIEW, "2001", "7", "[{[1]: 2}]"],
        ["1", "Duplicate Of One", OVERVIEW, "2002", "6", "Comedy"],
        ["12", "Good Two", OVERVIEW, "", "", ""],
    ]
    frame, report = read_movies_csv(write_csv(tmp_path / "m.csv", header, rows))
    assert frame["title"].tolist() == ["Good One", "Good Two"]
    assert report.skipped == {
        "bad_genres": 1,
        "bad_id": 2,
        "bad_vote_average": 3,
        "bad_year": 2,
        "duplicate_id": 1,
        "missing_id": 1,
        "missing_overview": 1,
        "missing_title": 1,
    }
    assert report.rows_read == len(rows) and report.rows_kept == 2
    assert report.rows_read == report.rows_kept + sum(report.skipped.values())
    assert report.summary().startswith("14 films read, 2 kept; 12 skipped (")
    assert "missing_overview: 1" in report.summary()


def test_duplicate_ids_keep_the_first_row(tmp_path: Path) -> None:
    """Repeated ids collapse to the first valid row; a skipped first row does not block a later one."""
    path = write_csv(
        tmp_path / "m.csv",
        ["id", "title", "overview"],
        [
            [7, "First", OVERVIEW],
            [7, "Second", OVERVIEW],
            [8, "Blank", ""],
            [8, "Valid Eight", OVERVIEW],
            ["7.0", "Third", OVERVIEW],
        ],
    )
    frame, report = read_movies_csv(path)
    assert frame[["movie_id", "title"]].values.tolist() == [[7, "First"], [8, "Valid Eight"]]
    assert report.skipped == {"duplicate_id": 2, "missing_overview": 1}


def test_malformed_csv_line_is_counted_not_fatal(tmp_path: Path) -> None:
    """A line with too many fields is dropped and counted as malformed_line."""
    path = tmp_path / "m.csv"
    path.write_text(f"id,title,overview\n1,Heat,{OVERVIEW}\n2,Alien,space,extra,cells\n3,Up,{OVERVIEW}\n", "utf-8")
    frame, report = read_movies_csv(path)
    assert frame["title"].tolist() == ["Heat", "Up"]
    assert report.skipped == {"malformed_line": 1} and report.rows_read == 3


def test_unclosed_quote_loses_one_line_not_the_rest_of_the_file(tmp_path: Path, caplog) -> None:
    """A quote opened and never closed used to swallow every row after it without a word.

    (Two stray quotes pair up with each other, and the rows between them become one field;
    that case is indistinguishable from a real multi-line field and is not handled.)
    """
    path = tmp_path / "m.csv"
    path.write_text(
        "id,title,overview\n"
        f'1,Up,"{OVERVIEW}\nsecond line of a properly quoted overview"\n'
        '2,Alien,"A quote that never closes, in space\n'
        f"3,Heat,{OVERVIEW}\n"
        f"4,Jaws,{OVERVIEW}\n",
        "utf-8",
    )
    with caplog.at_level("WARNING", logger="recommender.catalog.film.film"):
        frame, report = read_movies_csv(path)
    assert frame["title"].tolist() == ["Up", "Heat", "Jaws"]
    assert frame["overview"].iloc[0].endswith("second line of a properly quoted overview")
    assert report.skipped == {"malformed_line": 1} and report.rows_read == 4
    assert "never closes" in caplog.text and "line 4" in caplog.text


def test_html_and_control_characters_are_cleaned(tmp_path: Path) -> None:
    """Overviews with HTML tags, entities and control characters become plain text."""
    path = write_csv(
        tmp_path / "m.csv",
        ["id", "title", "overview"],
        [[1, "Tom &amp; Jerry", "<b>Cat</b>\x07 and\tmouse &amp; more"]],
    )
    film = Catalog(read_movies_csv(path)[0]).film(0)
    assert film.title == "Tom & Jerry" and film.overview == "Cat and mouse & more"


@pytest.mark.parametrize("value, expected", [("12", 12), ("12.0", 12), ("1e3", 1000), ("1,234", 1234), (" 42 ", 42)])
def test_parse_id_accepts_integer_spellings(value: str, expected: int) -> None:
    """Ids written as floats, exponents or with thousands separators are still whole numbers."""
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("", "missing_id"),
        ("abc", "bad_id"),
        ("12.5", "bad_id"),
        ("-1", "bad_id"),
        ("0", "bad_id"),
        ("inf", "bad_id"),
        ("nan", "bad_id"),
        ("1e40", "bad_id"),
    ],
)
def test_parse_id_rejects_non_ids(value: str, reason: str) -> None:
    """Anything that is not a positive whole number is a skipped row with a reason."""
    assert skip_reason(parse_id, value) == reason


@pytest.mark.parametrize(
    "release_date, year, expected",
    [
        ("1999-03-31", "", 1999),
        ("31/03/1999", "", 1999),
        ("", "2001", 2001),
        ("", "2001.0", 2001),
        ("1999-03-31", "2005", 2005),
        ("", "", None),
        ("  ", float("nan"), None),
    ],
)
def test_parse_year_accepts(release_date: Any, year: Any, expected: int | None) -> None:
    """A year column wins over a date; any date format with a 4-digit year works; blank is None."""
    assert parse_year(release_date, year) == expected


@pytest.mark.parametrize(
    "release_date, year", [("", "200x"), ("", "1999.5"), ("soon", ""), ("12345", ""), ("", "1500"), ("2150-01-01", "")]
)
def test_parse_year_rejects(release_date: str, year: str) -> None:
    """Unreadable or implausible years skip the row as bad_year."""
    assert skip_reason(parse_year, release_date, year) == "bad_year"


def test_parse_row_and_parse_movies_on_a_dataframe() -> None:
    """parse_movies works on an in-memory frame too (NaN cells are blanks), duplicate ids collapsed."""
    raw = pd.DataFrame(
        {"id": ["1", "2", "1"], "title": ["A", "B", "C"], "overview": [OVERVIEW, float("nan"), OVERVIEW]}
    )
    frame, report = parse_movies(raw)
    assert frame["title"].tolist() == ["A"] and report.skipped == {"duplicate_id": 1, "missing_overview": 1}
    cols = detect_columns(list(raw.columns))
    assert parse_row({"id": "9", "title": "Z", "overview": "o"}, cols)["movie_id"] == 9
    assert skip_reason(parse_row, {"id": "9", "title": "Z", "overview": " "}, cols) == "missing_overview"


# ---- unusable files --------------------------------------------------------------------------


def test_missing_required_columns_is_one_clear_error(tmp_path: Path) -> None:
    """A CSV without id, title and overview fails once, naming all three and the columns it has."""
    path = write_csv(tmp_path / "m.csv", ["film", "blurb", "score"], [["Heat", OVERVIEW, "8"]])
    with pytest.raises(CatalogError) as info:
        read_movies_csv(path)
    message = str(info.value)
    assert message.count("lacks required column") == 1
    for name in ("movie_id", "title", "overview", "tmdb_id", "film, blurb, score"):
        assert name in message


def test_one_missing_required_column_is_named_alone(tmp_path: Path) -> None:
    """Only the column that is actually missing is reported."""
    path = write_csv(tmp_path / "m.csv", ["id", "title", "genres"], [[1, "Heat", "Crime"]])
    with pytest.raises(CatalogError, match="overview") as info:
        read_movies_csv(path)
    assert "movie_id (" not in str(info.value) and "title (" not in str(info.value)


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"


UNUSABLE = {
    "empty": (b"", "empty"),
    "blank-lines": (b"\n\n  \n", "empty"),
    "header-only": (b"id,title,overview\n", "no usable films"),
    "all-rows-bad": (b"id,title,overview\nx,Heat,\n", "no usable films"),
    "gzip": (gzip.compress(b"id,title,overview\n1,Heat,Crime\n"), "binary"),
    "png": (_png() * 50, "binary"),
    "utf16": ("id,title,overview\n1,Heat,Crime\n".encode("utf-16"), "binary"),
    "random-bytes": (bytes(range(256)) * 40, "binary"),
    "semicolons": (b"id;title;overview\n1;Heat;Crime\n", "lacks required column"),
}


@pytest.mark.parametrize("data, expected", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_unusable_files_raise_catalog_error(tmp_path: Path, data: bytes, expected: str) -> None:
    """Empty, binary or wrong-format input gives a CatalogError with a readable reason, not a pandas traceback."""
    path = tmp_path / "movies.csv"
    path.write_bytes(data)
    for source in (path, data):
        with pytest.raises(CatalogError, match=expected) as info:
            read_movies_csv(source)
        assert len(str(info.value)) < 2000


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    """A path that does not exist is named in the error."""
    with pytest.raises(CatalogError, match="nope.csv"):
        read_movies_csv(tmp_path / "nope.csv")


def test_catalog_rejects_a_frame_without_film_columns() -> None:
    """Catalog() names the columns a hand-made frame lacks."""
    with pytest.raises(CatalogError, match="overview"):
        Catalog(pd.DataFrame({"movie_id": [1], "title": ["A"]}))


# ---- title search ----------------------------------------------------------------------------


def titled(movie_id: int, title: str, year: int | None, votes: int = 100) -> dict[str, Any]:
    return film_record(movie_id=movie_id, title=title, overview=OVERVIEW, year=year, vote_count=votes)


@pytest.fixture(scope="module")
def small_catalog() -> Catalog:
    return Catalog(
        make_frame(
            [
                titled(1, "Heat", 1995, 5000),
                titled(2, "Heat", 1986, 10),
                titled(3, "Amélie", 2001),
                titled(4, "The Dark Knight", 2008, 9000),
                titled(5, "The Dark Knight Rises", 2012, 8000),
                titled(6, "Titanic", 1997, 8000),
                titled(7, "Titanic", 1953, 5),
                titled(8, "Fantasia", 1940, 900),
                titled(9, "Fantasia 2000", 1999, 300),
                titled(10, "2012", 2009, 500),
                titled(11, "Léon: The Professional", 1994, 4000),
            ]
        )
    )


def titles(catalog: Catalog, query: str) -> list[str]:
    return [f"{catalog.film(r).title} ({catalog.film(r).year})" for r in catalog.find_title(query)]


@pytest.mark.parametrize(
    "query, first",
    [
        ("heat", "Heat (1995)"),
        ("HEAT", "Heat (1995)"),
        ("  Heat  ", "Heat (1995)"),
        ("Heat 1986", "Heat (1986)"),
        ("heat (1986)", "Heat (1986)"),
        ("Heat [1986]", "Heat (1986)"),
        ("amelie", "Amélie (2001)"),
        ("AMÉLIE", "Amélie (2001)"),
        ("amelie 2001", "Amélie (2001)"),
        ("dark knight", "The Dark Knight (2008)"),
        ("the dark knight!", "The Dark Knight (2008)"),
        ("titanic 1953", "Titanic (1953)"),
        ("Titanc", "Titanic (1997)"),
        ("leon the professional", "Léon: The Professional (1994)"),
        ("2012", "2012 (2009)"),
        ("Fantasia 2000", "Fantasia 2000 (1999)"),
        ("fantasia", "Fantasia (1940)"),
    ],
)
def test_find_title_is_forgiving(small_catalog: Catalog, query: str, first: str) -> None:
    """Case, accents, punctuation, a leading article, small typos and a trailing year are all handled."""
    found = titles(small_catalog, query)
    assert found and found[0] == first, found


def test_find_title_orders_and_limits(small_catalog: Catalog) -> None:
    """Exact matches come before prefix matches; limit is honoured; junk queries give nothing."""
    assert titles(small_catalog, "the dark knight") == ["The Dark Knight (2008)", "The Dark Knight Rises (2012)"]
    assert titles(small_catalog, "heat") == ["Heat (1995)", "Heat (1986)"]  # better-known first
    assert len(small_catalog.find_title("titanic", limit=1)) == 1
    for junk in ("", "   ", "!!!", None, 42):
        assert small_catalog.find_title(junk) == []  # type: ignore[arg-type]
    assert small_catalog.find_title("heat", limit=0) == []
    assert small_catalog.find_title("zzzz qqqq") == []


def test_title_key_folds_and_strips_article() -> None:
    """title_key ignores case, accents, punctuation and one leading article, but never empties a title."""
    assert title_key("The Dark Knight!") == "dark knight"
    assert title_key("Amélie") == title_key("AMELIE") == "amelie"
    assert title_key("Les Misérables") == "miserables"
    assert title_key("The") == "the"


def test_catalog_lookup_helpers(small_catalog: Catalog) -> None:
    """row_of/titles/genres agree with the rows the catalog was built from."""
    assert small_catalog.row_of(3) == 2 and small_catalog.row_of(999) is None and small_catalog.row_of("x") is None  # type: ignore[arg-type]
    assert small_catalog.titles()[0] == (1, "Heat", 1995)
    assert small_catalog.genres == ["Drama"] and len(small_catalog) == 11


def test_a_windows_1252_csv_keeps_its_accents(tmp_path: Path) -> None:
    """Excel exports are often cp1252; titles must not turn into replacement characters."""
    path = tmp_path / "latin.csv"
    path.write_bytes("id,title,overview\n1,Amélie,Une jeune serveuse à Montmartre.\n".encode("cp1252"))
    frame, report = read_movies_csv(path)
    assert report.rows_kept == 1
    assert frame.iloc[0]["title"] == "Amélie"
