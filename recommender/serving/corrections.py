"""Anonymous counts of "not what I meant": which readings people correct, per model version.

Why: the counts show where the emotion model or the wish table reads people wrong, for the next
training round. Only counters named `corrections:<kind>:<version>:<read>-><chosen>` are kept (no
text, no film, no time, nothing about the person), and only on a configured Redis (REDIS_URL):
without one nothing is stored anywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recommender.serving.cache import TTLCache

NAMESPACE = "corrections"


def correction_key(kind: str, version: str, read: str, chosen: str) -> str:
    """'emotion:<model id>:sadness->joy' (the cache adds its 'reelmood:corrections:' prefix)."""
    return f"{kind}:{version}:{read}->{chosen}"


class CorrectionCounter:
    """Counts corrections in `cache` (a TTLCache in the NAMESPACE over REDIS_URL), or nowhere."""

    def __init__(self, cache: TTLCache | None) -> None:
        self.cache = cache

    def record(self, kind: str, version: str, read: str, chosen: str) -> bool:
        """True when the correction was counted (a configured Redis answered)."""
        if self.cache is None:
            return False
        return self.cache.increment(correction_key(kind, version, read, chosen)) is not None
