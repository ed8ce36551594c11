"""One real Recommender per test session (loading costs seconds), shared by the test modules.

In-process emotion cache and TMDB off, so tests neither touch a stray Redis nor the network;
tests that need Redis build their own cache around the same loaded parts.
"""

from __future__ import annotations

import functools
import logging

log = logging.getLogger(__name__)

WHAT = "built artifacts, the emotion model and the encoder (python -m recommender build)"


@functools.lru_cache(maxsize=1)
def loaded_recommender():  # -> Recommender | None
    from recommender.config import Settings, get_settings
    from recommender.serving.service import Recommender

    base = get_settings()
    settings = Settings(
        artifacts_dir=base.artifacts_dir,
        emotion_model=base.emotion_model,
        redis_url=None,
        use_embedded_redis=False,
        onnx_threads=base.onnx_threads,
    )
    try:
        return Recommender.load(settings)
    except Exception as exc:  # missing artifacts or models: the caller skips (fails in CI)
        log.warning("cannot load the recommender: %s", exc)
        return None
