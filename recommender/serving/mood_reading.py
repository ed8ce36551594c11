"""Reading a mood text once: emotions, the wish, and the text's sentence vector, cached together.

Why together: they are the expensive part of a mood request (the emotion model, then one
encoder run over the text and its clauses), they depend only on the text and the models, and a
repeated text should cost a cache lookup. The key names the emotion model, the encoder and the
wish table, so a new model never reads an old entry.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.mood.wish import WishReader, WishReading
from recommender.text import normalize_text

if TYPE_CHECKING:
    from recommender.emotion.classifier import EmotionClassifier
    from recommender.serving.cache import TTLCache

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MoodReading:
    emotions: dict[str, float]
    wish: WishReading
    vector: np.ndarray | None  # unit sentence vector of the whole text (None: no encoder)
    topic: float = 1.0  # 1 − the text's closest cosine to a wish or feeling exemplar: how much it says beyond them


def _pack(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype=np.float16).tobytes()).decode("ascii")


def _unpack(text: str, dim: int) -> np.ndarray:
    vec = np.frombuffer(base64.b64decode(text), dtype=np.float16).astype(np.float32)
    if vec.shape != (dim,):
        raise ValueError("vector of the wrong size")
    return vec / max(float(np.linalg.norm(vec)), 1e-12)


def cache_namespace(emotion_id: str, encoder_id: str, wishes_version: str, wish_encoder_id: str = "") -> str:
    wishes = f"{wishes_version}:{wish_encoder_id}" if wish_encoder_id else wishes_version
    return f"mood:{emotion_id}:{encoder_id}:{wishes}"


class MoodReader:
    """Emotions + wish + vector for cleaned text, through the cache; thread-safe."""

    def __init__(
        self,
        emotion: EmotionClassifier,
        encoder: Any,
        wishes: WishReader | None,
        cache: TTLCache,
        mood_texts: np.ndarray | None = None,
        own_encoder: bool = False,
    ) -> None:
        """`mood_texts`: the wish exemplars in `encoder`'s space (default: the reader's own vectors);
        `own_encoder`: the reader encodes clauses with its own model (models/wish), not `encoder`."""
        self.emotion = emotion
        self.encoder = encoder
        self.wishes = wishes
        self.cache = cache
        self.dim = int(getattr(encoder, "dim", 384)) if encoder is not None else 0
        self.own_encoder = own_encoder
        self.mood_texts = mood_texts if mood_texts is not None or wishes is None else wishes.exemplar_vectors

    def read(self, text: str, use_cache: bool = True) -> tuple[MoodReading, bool]:
        """(reading, came from the cache). Through the cache, a fresh reading is returned as it will
        be read back (its vector rounded as stored), so the same request gives the same list
        whether it is the first or a later one (a shared link opened elsewhere)."""
        key = normalize_text(text)
        if use_cache:
            hit = self._from_cache(self.cache.get_json(key))
            if hit is not None:
                return hit, True
        reading = self.compute(text)
        if use_cache:
            self.store(text, reading)
            if reading.vector is not None:
                reading = replace(reading, vector=_unpack(_pack(reading.vector), reading.vector.shape[-1]))
        return reading, False

    def store(self, text: str, reading: MoodReading) -> None:
        """Cache `reading` as the reading of `text` (under its normal form)."""
        entry: dict[str, Any] = {"emotions": reading.emotions, "wish": reading.wish.to_json(), "topic": reading.topic}
        if reading.vector is not None:
            entry["vector"] = _pack(reading.vector)
        self.cache.set_json(normalize_text(text), entry)

    def compute(self, text: str) -> MoodReading:
        emotions = {k: float(v) for k, v in self.emotion.predict(text).items()}
        if self.encoder is None or self.wishes is None:
            return MoodReading(emotions, WishReading(None, None), None)
        seen = self.wishes.vectors(text)  # the clauses, then the whole text
        vector = np.asarray(self.encoder.encode([text]), dtype=np.float32)[0] if self.own_encoder else seen.whole
        wish = self.wishes.read_vectors(seen)
        topic = 1.0 - float(np.max(self.mood_texts @ vector))  # how much the text says beyond a bare wish or feeling
        return MoodReading(emotions, wish, vector, min(1.0, max(0.0, topic)))

    def _from_cache(self, hit: Any) -> MoodReading | None:
        if not isinstance(hit, dict) or not isinstance(hit.get("emotions"), dict):
            return None
        try:
            emotions = {str(k): float(v) for k, v in hit["emotions"].items()}
            table = self.wishes.table if self.wishes is not None else None
            wish = WishReading.from_json(hit.get("wish") or {}, table) if table else WishReading(None, None)
            vector = _unpack(hit["vector"], self.dim) if hit.get("vector") and self.dim else None
        except (TypeError, ValueError, KeyError) as exc:  # a corrupt entry: recompute and overwrite
            log.warning("ignoring a corrupt mood cache entry (%s)", type(exc).__name__)
            return None
        return MoodReading(emotions, wish, vector, float(hit.get("topic", 1.0)))
