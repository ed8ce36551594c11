"""The API fuzzed from its own OpenAPI schema (schemathesis), on the real loaded Recommender.

Every built-in check is on: no server error; status codes, content types, headers and bodies as
the schema documents them; schema-invalid requests rejected, schema-valid ones accepted (a 404
for an id or title not in the catalog is an accepted answer); unsupported methods answer 405 with
`Allow`. So the schema has to state what the server enforces, no looser and no stricter.

Bounded: a fixed seed and a few dozen generated cases per operation and phase (examples,
coverage, fuzzing), a few hundred requests in all, about a minute on two cores.
"""

from __future__ import annotations

import re
import sys
import unicodedata

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from recommender.serving.api import create_app
from recommender.serving.inputs import InputError, clean_user_text, text_pattern

MAX_EXAMPLES = 40  # per operation, fuzzing phase; examples and coverage add their own cases
SEED = 20_250_613  # the same cases in every run: a failure here is reproducible, never flaky

APP = create_app(None)  # the schema needs no models; the fixture below hands the recommender in
CONFIG = SchemathesisConfig.from_dict(
    {"seed": SEED, "generation": {"max-examples": MAX_EXAMPLES}, "checks": {"enabled": True}}
)
schema = schemathesis.openapi.from_dict(APP.openapi(), config=CONFIG)
schema.app = APP


def _years_in_order(case) -> None:
    """JSON Schema cannot compare two fields, so a schema-valid case may ask for films from after
    year_max to before year_min, which the server rejects (422, the one rule the schema can only
    state in words). Such a positive case is sent with its two years swapped."""
    body = case.body
    filters = body.get("filters") if isinstance(body, dict) else None
    if not isinstance(filters, dict) or case.meta is None or not case.meta.generation.mode.is_positive:
        return
    lo, hi = filters.get("year_min"), filters.get("year_max")
    if all(isinstance(y, (int, float)) and not isinstance(y, bool) for y in (lo, hi)) and lo > hi:
        filters["year_min"], filters["year_max"] = hi, lo


@pytest.fixture(scope="module")
def served(rec):
    APP.state.recommender = rec
    yield rec
    APP.state.recommender = None


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, served) -> None:
    _years_in_order(case)
    case.call_and_validate()


# ---- the schema states what the server enforces ---------------------------------------------


def test_text_pattern_is_the_servers_own_rule_on_every_assigned_code_point() -> None:
    """One character alone: the server takes it iff the schema's pattern matches it, as Python's
    regex engine and the schema validator (Rust) both read the pattern."""
    pattern = text_pattern()
    python, validator = re.compile(pattern), jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    disagree = []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if unicodedata.category(ch) in ("Cn", "Cs"):  # unassigned, surrogates: not text
            continue
        try:
            server = bool(clean_user_text(f"1 {ch} 2", 2000, "mood"))
        except InputError:
            server = False
        if not server == bool(python.search(ch)) == validator.is_valid(ch):
            disagree.append(f"U+{cp:04X}")
    assert not disagree, disagree[:20]
    assert python.search("😭") and python.search("½") and python.search("Ω")
    assert not python.search("?!?! 123") and not python.search("\ufffd")


def _validator(name: str) -> jsonschema_rs.Validator:
    spec = APP.openapi()
    return jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{name}", "components": spec["components"]})


@pytest.mark.parametrize(
    ("path", "model", "body"),
    [
        ("/api/v1/recommend", "RecommendRequest", {}),
        ("/api/v1/recommend", "RecommendRequest", {"synopsis": "a retired spy hunts the men", "tmdb_id": 862}),
        ("/api/v1/recommend", "RecommendRequest", {"tmdb_id": 862, "title": None}),
        ("/api/v1/recommend", "RecommendRequest", {"title": "toy story", "top_k": 3.0}),
        ("/api/v1/recommend", "RecommendRequest", {"synopsis": "1234567890 !!!"}),
        ("/api/v1/recommend", "RecommendRequest", {"tmdb_id": "862"}),
        ("/api/v1/mood", "MoodRequest", {"text": "0"}),
        ("/api/v1/mood", "MoodRequest", {"text": "a"}),
        ("/api/v1/mood", "MoodRequest", {"text": "😭"}),
        ("/api/v1/mood", "MoodRequest", {"text": "   "}),
        ("/api/v1/mood", "MoodRequest", {"text": "happy", "wish": "sleepy"}),
        ("/api/v1/mood", "MoodRequest", {"text": "happy", "wish": "laugh", "offset": 10}),
        ("/api/v1/mood", "MoodRequest", {"text": "happy", "top_k": "5"}),
        ("/api/v1/mood", "MoodRequest", {"text": "happy", "filters": {"hidden_gems": "yes"}}),
        ("/api/v1/mood", "MoodRequest", {"text": "happy", "filters": {"min_rating": 7, "year_min": 1990}}),
        ("/api/v1/mood", "MoodRequest", {"text": "happy", "exclude": [862, True]}),
    ],
)
def test_schema_and_server_agree(served, path, model, body) -> None:
    """What the issue found loose ({} and a one-character mood were valid by the schema) and its
    neighbours: valid by the schema exactly when the server answers (200, or 404 for no such film)."""
    from fastapi.testclient import TestClient

    with TestClient(APP) as client:
        status = client.post(path, json=body).status_code
    assert status in (200, 422), status
    assert _validator(model).is_valid(body) == (status == 200), (body, status)
