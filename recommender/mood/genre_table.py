"""Emotion distribution -> genre weights, as data (mood_genres.json), in two modes.

`match` picks mood-congruent genres, `lift` mood-repairing ones. The whole distribution is
blended (60% fear + 30% sadness gives a mix), so a model's second opinion is not thrown away.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

MODES: tuple[str, ...] = ("match", "lift")
DATA_FILE = Path(__file__).with_name("mood_genres.json")


class MoodTableError(ValueError):
    """mood_genres.json is malformed; the message names the field."""


@dataclass(frozen=True)
class ScoreWeights:
    """How the mood score mixes genre fit, text similarity and the quality prior."""

    genre: float = 0.5
    text: float = 0.3
    quality: float = 0.2


@dataclass(frozen=True)
class MoodTable:
    weights: Mapping[str, Mapping[str, Mapping[str, float]]]  # mode -> emotion -> genre -> w
    min_emotion: float = 0.05  # emotions below this probability are ignored (noise)
    min_genre_share: float = 0.2  # genres below this share of the top genre are dropped
    score_weights: ScoreWeights = ScoreWeights()
    # mode -> emotion -> wish -> weight: what a feeling asks for when no wish is said
    implied: Mapping[str, Mapping[str, Mapping[str, float]]] = field(default_factory=dict)

    def emotions(self, mode: str) -> tuple[str, ...]:
        return tuple(self._mode(mode))

    def genres(self, mode: str | None = None) -> set[str]:
        """Every genre some emotion can reach (in `mode`, or in any mode)."""
        modes = [mode] if mode else list(self.weights)
        return {g for m in modes for row in self._mode(m).values() for g in row}

    def _mode(self, mode: str) -> Mapping[str, Mapping[str, float]]:
        try:
            return self.weights[mode]
        except KeyError:
            raise ValueError(f"mode must be one of {', '.join(self.weights)}, not {mode!r}") from None

    def genre_weights(self, emotions: Mapping[str, float], mode: str = "match") -> dict[str, float]:
        """Blend per-emotion genre rows by probability; scaled so the top genre is 1, best first."""
        table = self._mode(mode)
        total = sum(max(0.0, float(p)) for e, p in emotions.items() if e in table)
        blended: dict[str, float] = {}
        for emotion, prob in emotions.items():
            row = table.get(emotion)
            p = max(0.0, float(prob)) / total if total > 0 else 0.0
            if row is None or p < self.min_emotion:
                continue
            for genre, weight in row.items():
                blended[genre] = blended.get(genre, 0.0) + p * weight
        if not blended:
            return {}
        top = max(blended.values())
        kept = {g: w / top for g, w in blended.items() if w / top >= self.min_genre_share}
        return dict(sorted(kept.items(), key=lambda kv: (-kv[1], kv[0])))


def _parse(raw: dict, source: str) -> MoodTable:
    modes = raw.get("modes")
    if not isinstance(modes, dict) or set(modes) != set(MODES):
        raise MoodTableError(f"{source}: 'modes' must have exactly {MODES}")
    weights: dict[str, dict[str, dict[str, float]]] = {}
    for mode, rows in modes.items():
        if not isinstance(rows, dict) or not rows:
            raise MoodTableError(f"{source}: modes.{mode} must map emotions to genre weights")
        weights[mode] = {}
        for emotion, row in rows.items():
            if not isinstance(row, dict) or not row:
                raise MoodTableError(f"{source}: modes.{mode}.{emotion} must be a non-empty object")
            clean: dict[str, float] = {}
            for genre, w in row.items():
                if not isinstance(w, (int, float)) or not 0 < float(w) <= 1:
                    raise MoodTableError(f"{source}: modes.{mode}.{emotion}.{genre} must be in (0, 1]")
                clean[str(genre)] = float(w)
            weights[mode][str(emotion)] = clean
    sw = raw.get("score_weights", {})
    try:
        score = ScoreWeights(**{k: float(v) for k, v in sw.items()})
    except TypeError as exc:
        raise MoodTableError(f"{source}: score_weights: {exc}") from None
    implied = raw.get("implied_wishes", {})
    if not isinstance(implied, dict) or not all(
        isinstance(rows, dict) and all(isinstance(r, dict) for r in rows.values()) for rows in implied.values()
    ):
        raise MoodTableError(f"{source}: implied_wishes must map mode -> emotion -> wish -> weight")
    return MoodTable(
        implied={m: {e: {w: float(v) for w, v in r.items()} for e, r in rows.items()} for m, rows in implied.items()},
        weights=weights,
        min_emotion=float(raw.get("min_emotion", 0.05)),
        min_genre_share=float(raw.get("min_genre_share", 0.2)),
        score_weights=score,
    )


def load_mood_table(path: Path | None = None) -> MoodTable:
    """Read and validate the table (default: the package's mood_genres.json)."""
    path = Path(path) if path else DATA_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise MoodTableError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise MoodTableError(f"{path}: top level must be an object")
    return _parse(raw, str(path))


@lru_cache(maxsize=1)
def default_table() -> MoodTable:
    return load_mood_table()


def genre_weights(emotions: Mapping[str, float], mode: str = "match") -> dict[str, float]:
    """Shortcut on the package's table."""
    return default_table().genre_weights(emotions, mode)


def top_emotions(emotions: Mapping[str, float], n: int = 2, floor: float = 0.15) -> list[str]:
    """The labels worth naming in a reason: the top one always, others above `floor`."""
    ranked = sorted(emotions.items(), key=lambda kv: -kv[1])
    return [e for i, (e, p) in enumerate(ranked[:n]) if i == 0 or p >= floor]
