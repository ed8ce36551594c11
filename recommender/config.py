"""Settings from environment variables, then Streamlit secrets; secrets never appear in repr/logs."""

from __future__ import annotations

import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_REGION = "US"
_REGION = re.compile(r"^[A-Za-z]{2}$")


def parse_region(value: object) -> str | None:
    """An ISO 3166-1 alpha-2 country code, uppercased ("gb" -> "GB"); None when it isn't one."""
    if not isinstance(value, str) or not _REGION.match(value.strip()):
        return None
    return value.strip().upper()


def _secret(name: str) -> str | None:
    """Env var first; st.secrets only when running inside Streamlit with a secrets file.

    Streamlit is consulted only when this process already imported it (the app does): the
    API must not pay streamlit's ~100 MB of imports to learn that there is no secrets file.
    """
    value = os.environ.get(name)
    if value:
        return value
    if "streamlit" not in sys.modules:
        return None
    try:
        import streamlit as st
        from streamlit.runtime import exists

        if exists():
            return st.secrets.get(name)
    except Exception:  # no streamlit, no secrets file, or a malformed one: treat as unset
        return None
    return None


@dataclass(frozen=True)
class Settings:
    artifacts_dir: Path = PROJECT_ROOT / "artifacts"
    emotion_model: str = str(PROJECT_ROOT / "models" / "emotion")
    redis_url: str | None = field(default=None, repr=False)
    use_embedded_redis: bool = True
    cache_ttl_s: int = 24 * 3600
    tmdb_api_key: str | None = field(default=None, repr=False)
    tmdb_read_token: str | None = field(default=None, repr=False)
    tmdb_api_base: str = "https://api.themoviedb.org/3"
    tmdb_image_base: str = "https://image.tmdb.org/t/p/w342"
    tmdb_timeout_s: float = 3.0
    onnx_threads: int = 2
    region: str = DEFAULT_REGION  # REELMOOD_REGION: the country whose watch providers are shown
    region_from_env: bool = False  # REELMOOD_REGION set it (then it wins over the browser's locale)

    @property
    def posters_enabled(self) -> bool:
        return bool(self.tmdb_api_key or self.tmdb_read_token)


def get_settings() -> Settings:
    env = os.environ.get
    region = parse_region(env("REELMOOD_REGION", ""))
    if env("REELMOOD_REGION") and region is None:
        logging.getLogger(__name__).warning(
            "REELMOOD_REGION is not a two-letter country code; using %s", DEFAULT_REGION
        )
    return Settings(
        artifacts_dir=Path(env("REELMOOD_ARTIFACTS", str(Settings.artifacts_dir))),
        emotion_model=env("EMOTION_MODEL", Settings.emotion_model),
        redis_url=_secret("REDIS_URL"),
        use_embedded_redis=env("REELMOOD_EMBEDDED_REDIS", "1") not in ("0", "false", "no"),
        cache_ttl_s=int(env("CACHE_TTL_SECONDS", str(Settings.cache_ttl_s))),
        tmdb_api_key=_secret("TMDB_API_KEY"),
        tmdb_read_token=_secret("TMDB_READ_TOKEN"),
        tmdb_api_base=env("TMDB_API_BASE", Settings.tmdb_api_base).rstrip("/"),
        tmdb_image_base=env("TMDB_IMAGE_BASE", Settings.tmdb_image_base).rstrip("/"),
        tmdb_timeout_s=float(env("TMDB_TIMEOUT", str(Settings.tmdb_timeout_s))),
        onnx_threads=int(env("REELMOOD_THREADS", str(Settings.onnx_threads))),
        region=region or DEFAULT_REGION,
        region_from_env=region is not None,
    )
