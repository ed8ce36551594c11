"""The two use cases, composed from the parts: mood -> films and synopsis/film -> similar films.

One `Recommender` per process (Streamlit cache_resource, the API app, the benchmarks); every
method is thread-safe and turns bad input into `InputError` with a message fit for users.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.config import Settings, get_settings, parse_region
from recommender.emotion.labels import LABELS
from recommender.mood.content_words import content_words
from recommender.mood.feedback import FeedbackWeights, feedback_scores
from recommender.mood.genre_table import MODES, MoodTable, default_table, top_emotions
from recommender.mood.rank import FilmTable, MoodFilters, RankedFilm, rank_mood
from recommender.mood.ranking import rank_for_mood
from recommender.mood.scoring import RankWeights
from recommender.mood.signals import FilmSignals, hubness
from recommender.mood.target import MoodTarget, mood_target
from recommender.mood.tone import tone_words
from recommender.mood.wish import (
    NONE,
    SEARCH_ENCODER_SETTINGS,
    WISH_ENCODER_DIR,
    WishReader,
    WishReading,
    WishSettings,
    WishTable,
    default_wish_table,
)
from recommender.mood.wish_head import WishHead, WishHeadError, load_head
from recommender.search.hybrid import FusionParams
from recommender.search.tfidf_query import FastTfidf, TfidfQuery
from recommender.serving.mood_reading import MoodReader, cache_namespace
from recommender.serving.reasons import baseline_reason, mood_reason
from recommender.text import normalize_text

if TYPE_CHECKING:
    from recommender.artifacts import Artifacts
    from recommender.catalog.film import Film
    from recommender.catalog.lookup import Catalog
    from recommender.emotion.classifier import EmotionClassifier
    from recommender.serving.cache import TTLCache
    from recommender.serving.posters import PosterService
    from recommender.serving.watch import WatchInfo, WatchService
from recommender.serving.corrections import NAMESPACE as CORRECTIONS
from recommender.serving.corrections import CorrectionCounter
from recommender.serving.inputs import (
    MAX_MOOD_CHARS,
    MAX_SYNOPSIS_CHARS,
    MAX_TOP_K,
    FilmNotFoundError,
    InputError,
    _check_top_k,
    check_filters,
    check_offset,
    clean_user_text,
    language_note,
)
from recommender.serving.latency_log import LatencyLog
from recommender.serving.results import MoodResult, Recommendation, ServiceStatus, SimilarResult, recommendation
from recommender.serving.similar import Feedback, SimilarFilms
from recommender.serving.timing import elapsed_ms

log = logging.getLogger(__name__)

__all__ = [
    "FilmNotFoundError",
    "InputError",
    "MoodFilters",
    "MoodResult",
    "Recommendation",
    "Recommender",
    "ServiceStatus",
    "SimilarResult",
    "MAX_MOOD_CHARS",
    "MAX_SYNOPSIS_CHARS",
    "MAX_TOP_K",
]

RANKINGS = ("default", "baseline")
MAX_EXCLUDE = 500
TARGET_MEMO = 4096
COMMON_SHARE = 0.03


# ---- the service --------------------------------------------------------------------------


class Recommender:
    """Mood and similarity recommendations over one catalog; load once, share everywhere."""

    def __init__(
        self,
        artifacts: Artifacts,
        emotion: EmotionClassifier,
        encoder: Any,
        emotion_cache: TTLCache,
        posters: PosterService,
        mood_table: MoodTable | None = None,
        fusion: FusionParams = FusionParams(),
        wishes: WishTable | None = None,
        rank_weights: RankWeights = RankWeights(),
        feedback_weights: FeedbackWeights = FeedbackWeights(),
        corrections: TTLCache | None = None,
        watch: WatchService | None = None,
        wish_encoder: Any = None,
        wish_head: WishHead | None = None,
    ) -> None:
        """`wish_encoder`: the wish reader's own encoder (models/wish); None reads wishes with
        `encoder` and the settings that go with it. `wish_head`: the learned last step of the
        reading, trained on `wish_encoder`'s vectors (mood.wish_head); None: the rules decide."""
        self.artifacts = artifacts
        self.catalog: Catalog = artifacts.catalog
        self.tfidf = artifacts.tfidf
        self.lexical = FastTfidf(self.tfidf)
        self.index = artifacts.index
        self.emotion = emotion
        self.encoder = encoder
        self.emotion_cache = emotion_cache
        self.posters = posters
        self.watch = watch  # trailers and where to watch (TMDB); None: off
        self.mood_table = mood_table or default_table()
        self.fusion = fusion
        self.films = FilmTable(self.catalog)
        self.wishes = wishes or default_wish_table()
        self.rank_weights = rank_weights
        self.feedback_weights = feedback_weights
        self.corrections = CorrectionCounter(corrections)  # "not what I meant", counted on a configured Redis only
        self.latency = LatencyLog()  # the requests this process served (Benchmarks page, /metrics)
        self._targets: dict[tuple, MoodTarget] = {}
        self.wish_encoder = wish_encoder
        own = wish_encoder is not None and wish_encoder is not encoder
        reader = mood_texts = None
        if encoder is not None:
            wish_settings = WishSettings() if own else SEARCH_ENCODER_SETTINGS
            head = wish_head if own else None
            reader = WishReader(self.wishes, (wish_encoder if own else encoder).encode, wish_settings, head)
            # hubness and topicality compare films and texts with the exemplars in the search encoder's space
            mood_texts = (
                np.asarray(encoder.encode(list(reader.texts)), dtype=np.float32) if own else reader.exemplar_vectors
            )
        self.reader = MoodReader(emotion, encoder, reader, emotion_cache, mood_texts, own_encoder=own)
        stored = getattr(self.index, "vectors", None)  # (n, d) unit rows; stack them if not exposed
        self._vectors = (
            stored
            if stored is not None
            else np.stack([self.index.vector(r) for r in range(len(self.catalog))]).astype(np.float32)
        )
        vectors = np.asarray(self._vectors, dtype=np.float32)
        hub = hubness(vectors, mood_texts) if mood_texts is not None else None
        self.similar = SimilarFilms(
            self.catalog, encoder, self.lexical, self.index, self._vectors, fusion, self._posters
        )
        self.signals = FilmSignals(self.films, *self._tones(), vectors, hub, nearest=self.index.search)
        idf = np.asarray(self.tfidf.idf, dtype=np.float64)
        # a word in more than COMMON_SHARE of the films is too common to match literally
        common_idf = np.log((1 + len(self.catalog)) / (1 + COMMON_SHARE * len(self.catalog))) + 1
        self._common = {t for t, v in zip(self.tfidf.terms, idf) if v < common_idf}

    def _tones(self) -> tuple[np.ndarray, tuple[str, ...]]:
        """The artifacts' tone profiles in the wish table's tone order; zeros (tone off) if they disagree."""
        ids = self.wishes.tone_ids
        stored = getattr(self.artifacts, "tones", None)
        if stored is not None and set(self.artifacts.tone_ids) == set(ids):
            order = [self.artifacts.tone_ids.index(t) for t in ids]
            return np.asarray(stored, dtype=np.float32)[:, order], ids
        log.warning("film tones missing or built for other tones; ranking without tone (rebuild the artifacts)")
        return np.zeros((len(self.catalog), len(ids)), dtype=np.float32), ids

    @classmethod
    def load(cls, settings: Settings | None = None) -> Recommender:
        """Artifacts, emotion model, encoder, cache and posters as the settings say (seconds)."""
        from recommender.artifacts import load_artifacts
        from recommender.emotion.classifier import load_emotion_model
        from recommender.search.encoder import load_encoder
        from recommender.serving.cache import TTLCache, make_cache
        from recommender.serving.posters import PosterService
        from recommender.serving.watch import WatchService

        settings = settings or get_settings()
        start = time.perf_counter()
        artifacts = load_artifacts(settings.artifacts_dir)
        emotion = load_emotion_model(settings.emotion_model)
        encoder = load_encoder(threads=settings.onnx_threads)
        wish_encoder = load_wish_encoder(settings.onnx_threads)
        wish_head = load_wish_head(wish_encoder)
        wish_id = wish_encoder.model_id if wish_encoder is not None else ""
        wish_id += f"+{wish_head.version}" if wish_head is not None else ""
        cache = make_cache(
            settings, cache_namespace(emotion.model_id, encoder.model_id, default_wish_table().version, wish_id)
        )
        posters = PosterService(settings)
        corrections = TTLCache(CORRECTIONS, redis_url=settings.redis_url) if settings.redis_url else None
        rec = cls(
            artifacts,
            emotion,
            encoder,
            cache,
            posters,
            watch=WatchService(settings),
            corrections=corrections,
            wish_encoder=wish_encoder,
            wish_head=wish_head,
        )
        log.info(
            "recommender loaded in %.1f s (%d films, emotion model %s, cache %s)",
            time.perf_counter() - start,
            len(rec.catalog),
            emotion.model_id,
            cache.backend,
        )
        return rec

    # ---- mood -> films --------------------------------------------------------------------

    def recommend_for_mood(
        self,
        text: str,
        top_k: int = 10,
        mode: str = "match",
        filters: MoodFilters = MoodFilters(),
        with_posters: bool = True,
        *,
        wish: str | None = None,
        exclude: Sequence[int] = (),
        offset: int = 0,
        ranking: str = "default",
        use_cache: bool = True,
        tfidf: Any = None,
        liked: Sequence[int] = (),
        disliked: Sequence[int] = (),
        emotion_override: str | None = None,
    ) -> MoodResult:
        """Films for a mood.

        `wish`: None reads it from the text, "none" lets the mode decide, a wish id is the
        person's choice. `exclude`: TMDB ids already shown ("Show me others"); `offset`: skip
        that many of the best films. `ranking="baseline"`: the ranking before wishes and tones.
        `liked` / `disliked`: TMDB ids of the session's 👍 / 👎 (mood.feedback: the list moves
        toward / away from them; disliked films are never shown). `emotion_override`: one of the
        emotion labels, the person's correction of the reading (all probability on it). The
        baseline ranking takes neither feedback nor exclusions.
        `use_cache` / `tfidf` are for the benchmarks (skip the cache; another TF-IDF index).
        """
        start = time.perf_counter()
        if mode not in MODES:
            raise InputError(f"mode must be one of: {', '.join(MODES)}.")
        if ranking not in RANKINGS:
            raise InputError(f"ranking must be one of: {', '.join(RANKINGS)}.")
        k = _check_top_k(top_k)
        check_filters(filters)
        rows = self._rows_of(exclude)
        feedback = self._feedback(liked, disliked)
        _check_emotion(emotion_override)
        off = check_offset(offset)
        cleaned = clean_user_text(text, MAX_MOOD_CHARS, "mood")
        reading, cached = self.reader.read(cleaned, use_cache)
        emotions = _override(reading.emotions, emotion_override)
        named = top_emotions(emotions)
        lexical = FastTfidf(tfidf) if tfidf is not None else self.lexical
        if ranking == "baseline":
            weights = self.mood_table.genre_weights(emotions, mode)
            query = lexical.query(cleaned)
            ranked = rank_mood(self.films, weights, query.scores(), filters, k, self.mood_table.score_weights)
            reasons = [baseline_reason(self.films, query, r, named, weights, mode) for r in ranked]
            tones: list[tuple[str, ...]] = [() for _ in ranked]
            return self._mood_result(
                cleaned,
                mode,
                emotions,
                weights,
                ranked,
                reasons,
                tones,
                cached,
                start,
                with_posters,
                WishReading(None, None),
                None,
                ranking,
                _emotion_source(emotion_override),
            )
        read, source = self._wish_choice(reading.wish, wish)
        target = self._target(emotions, mode, read)
        words = self.concrete_words(cleaned, lexical)
        ranked = rank_for_mood(
            self.signals,
            target,
            reading.vector,
            words.sparse_scores() if words else None,
            filters,
            k,
            self.rank_weights,
            rows | feedback.exclude if feedback else rows,
            off,
            seed=_seed(cleaned, mode),
            topic=reading.topic,
            adjust=feedback.adjust if feedback else None,
            remember=use_cache,
        )
        tones = tone_words(self.signals.tones[[r.row for r in ranked]], self.wishes) if ranked else []
        reasons = [
            mood_reason(self.films, words, r, t, read.label, named, target.genres, mode) for r, t in zip(ranked, tones)
        ]
        top = max((w for w in target.genres.values() if w > 0), default=1.0)
        shown = {g: w / top for g, w in sorted(target.genres.items(), key=lambda kv: -kv[1]) if w > 0}
        return self._mood_result(
            cleaned,
            mode,
            emotions,
            shown,
            ranked,
            reasons,
            tones,
            cached,
            start,
            with_posters,
            read,
            source,
            ranking,
            _emotion_source(emotion_override),
        )

    def concrete_words(self, text: str, lexical: FastTfidf | None = None) -> TfidfQuery | None:
        """The TF-IDF query of the text's concrete words only (never feeling or wanting words, nor
        words too common in the catalog); None when it has none."""
        terms = content_words(text, self._common.__contains__)
        return (lexical or self.lexical).query(" ".join(terms)) if terms else None

    def forget_targets(self) -> None:
        """Drop the remembered mood targets and their shortlists: the next request pays as the
        first one for its target does (the scale benchmark's "nothing cached")."""
        self._targets.clear()
        self.signals.forget_shortlists()

    def _target(self, emotions: dict[str, float], mode: str, read: WishReading) -> MoodTarget:
        """mood_target, remembered: a repeated reading (the cached path) needs no recomputing."""
        key = (mode, read.wish, read.avoid, read.genres_in, read.genres_out, tuple(emotions.items()))
        target = self._targets.get(key)
        if target is None:
            if len(self._targets) >= TARGET_MEMO:
                self._targets.clear()
            target = self._targets[key] = mood_target(emotions, mode, read, self.mood_table, self.wishes)
        return target

    def wish_labels(self) -> list[tuple[str, str]]:
        """(wish id, label) of every wish a person can choose, in the table's order."""
        return [(w.id, w.label) for w in self.wishes.wishes.values()]

    def _wish_choice(self, read: WishReading, choice: str | None) -> tuple[WishReading, str | None]:
        """The wish as read, or as the person chose it ("none": no wish, the mode decides)."""
        if choice is None:
            return read, "read" if read.wish else None
        if choice == "none":
            return replace(read, wish=None, label=None, chosen=True), "chosen"
        if choice not in self.wishes.wishes:
            raise InputError(f"wish must be one of: none, {', '.join(self.wishes.wishes)}.")
        avoid = tuple(a for a in read.avoid if a != choice)
        return replace(read, wish=choice, label=self.wishes.label(choice), avoid=avoid, chosen=True), "chosen"

    def _rows_of(self, movie_ids: Sequence[int], what: str = "exclude") -> frozenset[int]:
        if len(movie_ids) > MAX_EXCLUDE:
            raise InputError(f"{what} may name at most {MAX_EXCLUDE} films.")
        found = (self.catalog.row_of(m) for m in movie_ids)
        return frozenset(r for r in found if r is not None)

    def _feedback(self, liked: Sequence[int], disliked: Sequence[int]) -> Feedback | None:
        """The session's 👍 / 👎 (TMDB ids) as rows kept out and a score term; None without any.
        A film both liked and disliked counts as disliked (the later, safer reading)."""
        down = self._rows_of(disliked, "disliked")
        up = self._rows_of(liked, "liked") - down
        if not up and not down:
            return None
        adjust = feedback_scores(self.signals, sorted(up), sorted(down), self.feedback_weights)
        return Feedback(down, adjust, self.feedback_weights.similar)

    def record_correction(self, kind: str, read: str, chosen: str) -> bool:
        """Count one "not what I meant" (`kind` "emotion" or "wish": what was read -> what the
        person chose) on a configured Redis; True when counted. Anything else stores nothing."""
        if kind == "emotion" and read in LABELS and chosen in LABELS:
            version = self.emotion.model_id
        elif kind == "wish" and {read, chosen} <= {"none", *self.wishes.wishes}:
            version = self.wishes.version
        else:
            return False
        return read != chosen and self.corrections.record(kind, version, read, chosen)

    def _mood_result(
        self,
        text: str,
        mode: str,
        emotions: dict[str, float],
        genres: dict[str, float],
        ranked: list[RankedFilm],
        reasons: list[str],
        tones: list[tuple[str, ...]],
        cached: bool,
        start: float,
        with_posters: bool,
        read: WishReading,
        source: str | None,
        ranking: str,
        emotion_source: str = "read",
    ) -> MoodResult:
        films = [self.catalog.film(r.row) for r in ranked]
        posters = self._posters(films, with_posters)
        recs = [
            recommendation(film, posters.get(film.movie_id), r.score, None, reason, tone)
            for film, r, reason, tone in zip(films, ranked, reasons, tones)
        ]
        result = MoodResult(
            text,
            mode,
            emotions,
            genres,
            recs,
            cached,
            elapsed_ms(start),
            language_note(text),
            wish=read.wish,
            wish_label=read.label,
            wish_source=source,
            avoid=read.avoid,
            ranking=ranking,
            emotion_source=emotion_source,
        )
        self.latency.record("mood", cached, result.elapsed_ms)
        return result

    # ---- synopsis / film -> similar films (serving.similar) -----------------------------

    def similar_to_synopsis(
        self,
        text: str,
        top_k: int = 10,
        with_posters: bool = True,
        *,
        liked: Sequence[int] = (),
        disliked: Sequence[int] = (),
    ) -> SimilarResult:
        """`liked` / `disliked`: the session's 👍 / 👎 (TMDB ids), as in recommend_for_mood."""
        feedback = self._feedback(liked, disliked)
        return self._served("synopsis", self.similar.to_synopsis(text, top_k, with_posters, feedback))

    def similar_to_film(
        self,
        movie_id: int | None = None,
        title: str | None = None,
        top_k: int = 10,
        with_posters: bool = True,
        *,
        liked: Sequence[int] = (),
        disliked: Sequence[int] = (),
    ) -> SimilarResult:
        feedback = self._feedback(liked, disliked)
        return self._served("film", self.similar.to_film(movie_id, title, top_k, with_posters, feedback))

    def _served(self, kind: str, result: SimilarResult) -> SimilarResult:
        self.latency.record(kind, False, result.elapsed_ms)  # similar films have no cache
        return result

    # ---- shared --------------------------------------------------------------------------

    def _posters(self, films: list[Film], enabled: bool) -> dict[int, str | None]:
        if not enabled or not films:  # disabled TMDB still yields catalog poster paths
            return {}
        try:
            return self.posters.poster_urls(films)
        except Exception as exc:  # posters are decoration: never fail a recommendation
            log.warning("posters unavailable: %s", type(exc).__name__)
            return {}

    def watch_info(self, movie_ids: Sequence[int], region: str | None = None) -> dict[int, WatchInfo]:
        """movie_id -> trailer and providers in `region` (default REELMOOD_REGION) for the films
        TMDB knows something about; {} when TMDB is off or failing (decoration: never fails a page)."""
        if region is not None and parse_region(region) is None:
            raise InputError("region must be a two-letter country code, e.g. 'GB'.")
        if len(movie_ids) > MAX_TOP_K + 1:
            raise InputError(f"watch info is given for at most {MAX_TOP_K + 1} films at once.")
        if self.watch is None or not movie_ids:
            return {}
        try:
            return self.watch.watch_infos(movie_ids, region)
        except Exception as exc:
            log.warning("watch info unavailable: %s", type(exc).__name__)
            return {}

    def status(self) -> ServiceStatus:
        manifest = getattr(self.artifacts, "manifest", {}) or {}
        return ServiceStatus(
            catalog_size=len(self.catalog),
            emotion_model=getattr(self.emotion, "name", type(self.emotion).__name__),
            emotion_model_id=self.emotion.model_id,
            cache=self.emotion_cache.stats(),
            posters_enabled=bool(self.posters.enabled),
            encoder_loaded=self.encoder is not None,
            index=_index_info(self.index, manifest),
            wish_encoder=self.wish_encoder.model_id if self.reader.own_encoder else None,
        )


def load_wish_encoder(threads: int | None = None) -> Any:
    """The wish reader's encoder (models/wish), or None: wishes are then read with the search
    encoder, less accurately (mood.wish.WishSettings), and a warning says so."""
    from recommender.search.encoder import EncoderError, load_folder_encoder

    try:
        encoder = load_folder_encoder(WISH_ENCODER_DIR, threads=threads)
    except (EncoderError, OSError) as exc:
        log.warning("wish encoder unavailable (%s); reading wishes with the search encoder", exc)
        return None
    if trained_on(WISH_ENCODER_DIR) != default_wish_table().version:
        log.warning("the wish encoder was trained on another wishes.json; retrain it: python -m recommender train-wish")
    return encoder


def load_wish_head(wish_encoder: Any) -> WishHead | None:
    """The head trained on `wish_encoder`'s vectors (models/wish/head.npz), or None: the clause
    rules then make the call alone, less accurately, and a warning says so."""
    if wish_encoder is None:
        return None
    try:
        return load_head(WISH_ENCODER_DIR, [*default_wish_table().wishes, NONE], int(wish_encoder.dim))
    except WishHeadError as exc:
        log.warning("wish head unavailable (%s); the clause rules read wishes alone", exc)
        return None


def trained_on(folder: Path) -> str | None:
    """The wishes.json version a wish encoder was trained on (its training.json), if known."""
    try:
        return str(json.loads((folder / "training.json").read_text())["wishes_version"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _check_emotion(label: str | None) -> None:
    if label is not None and label not in LABELS:
        raise InputError(f"emotion must be one of: {', '.join(LABELS)}.")


def _override(emotions: dict[str, float], label: str | None) -> dict[str, float]:
    """The reading, or all probability on the person's correction `label`."""
    if label is None:
        return emotions
    return {e: 1.0 if e == label else 0.0 for e in dict.fromkeys([*emotions, label])}


def _emotion_source(label: str | None) -> str:
    return "read" if label is None else "chosen"


def _seed(text: str, mode: str) -> int:
    """The same seed for the same request, in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.blake2b(f"{mode}:{normalize_text(text)}".encode(), digest_size=8).digest())


def _index_info(index: Any, manifest: dict) -> dict[str, Any]:
    """What /health and the status page say about the vector index and the build."""
    annoy = manifest.get("annoy") or {}
    uses_annoy = bool(getattr(index, "uses_annoy", False))
    return {
        "built_at": manifest.get("built_at"),
        "ann": "annoy" if uses_annoy else "exact",
        "engine": "annoy" if uses_annoy else "exact",  # what serves: the build's choice, or exact without annoy
        "query_ms_exact": annoy.get("query_ms_exact"),  # measured at build, interleaved over the same queries
        "query_ms_annoy": annoy.get("query_ms_annoy"),
        "search_k": getattr(index, "search_k", None) if uses_annoy else None,
        "recall_at_10": annoy.get("recall_at_10"),
    }
