"""Shared test policy: a missing real component skips locally but fails in CI (CI=true)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(what: str, available: bool) -> None:
    """Call at the top of a test that needs a real component (Redis, a browser, torch...)."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is missing", pytrace=False)
    pytest.skip(f"needs {what}")


@pytest.fixture(scope="session")
def rec():
    """The one real Recommender of the test run (real artifacts, models; in-process cache)."""
    from support.loaded import WHAT, loaded_recommender

    loaded = loaded_recommender()
    need(WHAT, loaded is not None)
    return loaded
