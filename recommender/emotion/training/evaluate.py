"""`python -m recommender evaluate-emotion`: the shipped ONNX model on the two validation splits."""

from __future__ import annotations

import json
from pathlib import Path

from recommender.emotion.classifier import OnnxEmotionClassifier
from recommender.emotion.labels import LABELS
from recommender.emotion.training.data import Example, load_dair, load_goemotions
from recommender.emotion.training.metrics import Scores, score


def validation_sets(data_dir: Path) -> dict[str, list[Example]]:
    data_dir = Path(data_dir)
    return {
        "dair_val": load_dair(data_dir / "emotion" / "val.txt"),
        "goemotions_val": load_goemotions(
            data_dir / "goemotions" / "dev.tsv", data_dir / "goemotions" / "emotions.txt"
        ),
    }


def evaluate_model(model: OnnxEmotionClassifier, data_dir: Path) -> dict[str, Scores]:
    return {
        name: score([e.label for e in exs], model.predict_proba([e.text for e in exs]))
        for name, exs in validation_sets(data_dir).items()
    }


def format_report(results: dict[str, Scores]) -> str:
    lines = []
    for name, s in results.items():
        lines.append(f"{name}: n={s.n}  accuracy={s.accuracy:.4f}  macro-F1={s.macro_f1:.4f}")
        lines.append("  per-label F1: " + ", ".join(f"{k} {v:.3f}" for k, v in s.per_label_f1.items()))
        lines.append("  confusion (rows true, columns predicted):")
        lines.append("  " + " " * 9 + "".join(f"{label[:7]:>8}" for label in LABELS))
        for label, row in zip(LABELS, s.confusion):
            if sum(row):
                lines.append(f"  {label:>9}" + "".join(f"{v:>8}" for v in row))
    return "\n".join(lines)


def to_json(results: dict[str, Scores]) -> dict:
    return {
        name: {
            "accuracy": s.accuracy,
            "macro_f1": s.macro_f1,
            "n": s.n,
            "per_label_f1": s.per_label_f1,
            "labels": list(LABELS),
            "confusion": s.confusion,
        }
        for name, s in results.items()
    }


def main(data_dir: Path, model_dir: Path, json_path: Path | None) -> int:
    model = OnnxEmotionClassifier(model_dir)
    results = evaluate_model(model, data_dir)
    print(f"model: {model.name} [{model.model_id}]")
    print(format_report(results))
    if json_path:
        Path(json_path).write_text(json.dumps(to_json(results), indent=2) + "\n")
        print(f"wrote {json_path}")
    return 0
