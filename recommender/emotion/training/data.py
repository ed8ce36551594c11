"""Training and validation data for the emotion model, mapped onto the 8 product labels.

Pure Python: used by training (needs torch) and by evaluation (does not).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from recommender.emotion.labels import LABELS

# GoEmotions' 27 emotions + neutral grouped onto the product labels (shared/data/README.md).
GOEMOTIONS_TO_PRODUCT: dict[str, str] = {
    **dict.fromkeys(["sadness", "disappointment", "embarrassment", "grief", "remorse"], "sadness"),
    **dict.fromkeys(
        [
            "joy",
            "amusement",
            "approval",
            "excitement",
            "gratitude",
            "optimism",
            "relief",
            "pride",
            "admiration",
            "desire",
        ],
        "joy",
    ),
    **dict.fromkeys(["love", "caring"], "love"),
    **dict.fromkeys(["anger", "annoyance", "disapproval"], "anger"),
    **dict.fromkeys(["fear", "nervousness"], "fear"),
    **dict.fromkeys(["surprise", "realization", "confusion", "curiosity"], "surprise"),
    "disgust": "disgust",
    "neutral": "neutral",
}


class DataMissingError(FileNotFoundError):
    """The training data folder (../shared/data by default) is not where it was expected."""


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # index into LABELS
    source: str  # "dair" or "goemotions"


def _require(path: Path) -> Path:
    if not path.is_file():
        raise DataMissingError(
            f"{path} not found. Training and evaluation read the dair-ai emotion and GoEmotions "
            "splits from a data folder (default ../shared/data, see its README); pass --data DIR."
        )
    return path


def load_dair(path: Path, clean: bool = False) -> list[Example]:
    """`text;label` lines. With `clean` (training), texts seen with two labels are dropped and
    duplicates collapsed; validation keeps every row so figures compare with published ones."""
    rows = []
    for line in _require(path).read_text(encoding="utf-8").splitlines():
        text, sep, label = line.rpartition(";")
        if sep and text.strip():
            rows.append((text.strip(), label.strip()))
    if clean:
        labels_by_text: dict[str, set[str]] = {}
        for text, label in rows:
            labels_by_text.setdefault(text, set()).add(label)
        rows = [(t, next(iter(ls))) for t, ls in labels_by_text.items() if len(ls) == 1]
    return [Example(text, LABELS.index(label), "dair") for text, label in rows]


def load_goemotions(path: Path, names_path: Path) -> list[Example]:
    """Rows whose labels all map to one product label; ambiguous rows are left out."""
    names = _require(names_path).read_text(encoding="utf-8").split()
    out: list[Example] = []
    with _require(path).open(encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) < 2 or not row[0].strip():
                continue
            product = {GOEMOTIONS_TO_PRODUCT[names[int(i)]] for i in row[1].split(",")}
            if len(product) == 1:
                out.append(Example(row[0].strip(), LABELS.index(product.pop()), "goemotions"))
    return out


@dataclass(frozen=True)
class Splits:
    train: list[Example]
    dair_val: list[Example]
    goemotions_val: list[Example]


def load_splits(data_dir: Path) -> Splits:
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataMissingError(
            f"data folder {data_dir} not found (expected emotion/ and goemotions/ inside, see "
            "../shared/data/README.md); pass --data DIR."
        )
    names = data_dir / "goemotions" / "emotions.txt"
    return Splits(
        train=load_dair(data_dir / "emotion" / "train.txt", clean=True)
        + load_goemotions(data_dir / "goemotions" / "train.tsv", names),
        dair_val=load_dair(data_dir / "emotion" / "val.txt"),
        goemotions_val=load_goemotions(data_dir / "goemotions" / "dev.tsv", names),
    )
