"""What the mood ranking knows about every film, and the per-request views it takes of them.

Built once per catalog (FilmSignals: tone terms, quality, the meaning basis, hubness, Gumbel
noise); per request a GenreView of the target's genre weights and the candidate pool.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, is_dataclass
from functools import cached_property
from typing import Any

import numpy as np

from recommender.mood.rank import NO_FILTERS, FilmTable, MoodFilters
from recommender.search.vector_index import unit_rows

MEANING_DIMS = 192
VIEW_MEMO = 256  # per-target genre views and tone fits remembered: a wish's target recurs across requests
MEANING_MEMO_BYTES = 16 << 20  # the meaning cosines of the last texts seen (4,799 films: 870 texts)
EXCLUDE = -0.9  # a genre weighted this low is a clash (Horror for "something for the kids")


@dataclass(frozen=True)
class Shortlist:
    """A large catalog's candidates for one target: made once (one pass over the catalog), then
    every request for that target scores a few thousand films instead of all of them."""

    keep: np.ndarray  # (n,) bool: the pool (quality, filters, genre gate), as `candidates` makes it
    allowed: np.ndarray  # (n,) bool: the same before the genre gate (`allowed`; RankWeights.near)
    rows: np.ndarray  # the pool's SHORTLIST_STATIC best rows by the request-independent terms
    z_rows: np.ndarray  # SHORTLIST_Z_SAMPLE pool rows: the meaning z-score's reference


@dataclass
class FilmSignals:
    """What the ranking knows about every film, as arrays built once per process."""

    table: FilmTable
    tones: np.ndarray  # (n, tones) z-scored tone profiles
    tone_ids: tuple[str, ...]
    vectors: np.ndarray  # (n, d) unit film vectors
    hubness: np.ndarray | None = None  # (n,) mean cosine of each film to its closest mood-like texts
    # (vector, n) -> (row, cosine) of ~the n nearest films (the vector index); large catalogs only
    nearest: Callable[[np.ndarray, int], list[tuple[int, float]]] | None = None

    def __post_init__(self) -> None:
        self._shortlists: OrderedDict[tuple, Shortlist] = OrderedDict()
        self._views: OrderedDict[tuple, Any] = OrderedDict()
        self._meanings: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._memos = {"shortlist": self._shortlists, "view": self._views, "meaning": self._meanings}
        self._lock = threading.Lock()
        # request-independent parts of the score, computed once
        self.tone_terms = (np.clip(self.tones, -3.0, 3.0) / 3.0).astype(np.float32)
        self.tone_present = np.clip(self.tone_terms, 0.0, None)  # how much more of each tone than the average film
        self.quality_term = np.clip((self.table.quality * 10.0 - 6.0) / 2.0, -1.0, 1.0).astype(np.float32)
        self.unfamiliarity = (1.0 - self.table.familiarity).astype(np.float32)
        # one fixed table of Gumbel noise; a request dithers with the window its seed points at
        self.noise = np.random.default_rng(0).gumbel(size=2 * len(self.table)).astype(np.float32)
        sample = self.vectors[:: max(1, len(self.vectors) // 20_000)]  # the basis from <= ~20k films
        _, _, vt = np.linalg.svd(sample, full_matrices=False)
        self._basis = np.ascontiguousarray(vt[:MEANING_DIMS].T, dtype=np.float32)  # (d, k)
        self._projected = np.ascontiguousarray(self.vectors @ self._basis, dtype=np.float32)

    @cached_property
    def unit_tones(self) -> np.ndarray:
        """Tone terms scaled to unit rows (tone cosines for feedback), made on first use."""
        return unit_rows(self.tone_terms)

    def forget_shortlists(self) -> None:
        with self._lock:
            self._shortlists.clear()

    def dither(self, seed: int) -> np.ndarray:
        start = seed % len(self.table) if len(self.table) else 0
        return self.noise[start : start + len(self.table)]

    def remember(self, kind: str, key: tuple, make: Callable[[], Any], limit: int) -> Any:
        """`make()`, remembered under `key` in the `kind` memo ("shortlist", "view"; `limit`
        entries, least recently used out). Its arrays are made read-only: every request shares them."""
        memo = self._memos[kind]
        with self._lock:
            found = memo.get(key)
            if found is not None:
                memo.move_to_end(key)
                return found
        made = make()
        for a in vars(made).values() if is_dataclass(made) else (made,):
            if isinstance(a, np.ndarray):
                a.setflags(write=False)
        with self._lock:
            memo[key] = made
            while len(memo) > limit:
                memo.popitem(last=False)
        return made

    def genre_view(self, weights: Mapping[str, float]) -> GenreView:
        """GenreView.of every film for `weights`, remembered."""
        make = lambda: GenreView.of(self.table, weights)  # noqa: E731
        return self.remember("view", ("genres", *sorted(weights.items())), make, VIEW_MEMO)

    def tone_fit(self, weights: Mapping[str, float], rows: np.ndarray | None = None) -> np.ndarray:
        """(films,) how well each film's tones fit the weights: a wanted tone counts for and against
        (more of it than the average film is better, less is worse), an unwanted one only against:
        a film with less tension than the average film is not thereby calm. Every film's is remembered."""
        if rows is None:
            make = lambda: self._tone_fit(weights, None)  # noqa: E731
            return self.remember("view", ("tones", *sorted(weights.items())), make, VIEW_MEMO)
        return self._tone_fit(weights, rows)

    def _tone_fit(self, weights: Mapping[str, float], rows: np.ndarray | None) -> np.ndarray:
        vec = self.tone_vector(weights)
        terms = self.tone_terms if rows is None else self.tone_terms[rows]
        present = self.tone_present if rows is None else self.tone_present[rows]
        return terms @ np.clip(vec, 0.0, None) + present @ np.clip(vec, None, 0.0)

    def tone_vector(self, weights: Mapping[str, float]) -> np.ndarray:
        vec = np.array([float(weights.get(t, 0.0)) for t in self.tone_ids], dtype=np.float32)
        norm = float(np.linalg.norm(vec))  # unit length: a film strong in the wanted tones scores up to ~1
        return vec / norm if norm > 0 else vec

    def remembered_meaning(self, query: np.ndarray, hub: float) -> np.ndarray:
        """meaning_cosines of every film, remembered per text vector: a text seen again (another
        page, filter or wish for it) skips the one product over the whole catalog, which reads
        every film's vector from memory and is most of a cached request's extra cost."""
        query = np.asarray(query, dtype=np.float32)
        limit = max(1, MEANING_MEMO_BYTES // max(1, 4 * len(self.table)))
        return self.remember("meaning", (query.tobytes(), float(hub)), lambda: self.meaning_cosines(query, hub), limit)

    def meaning_cosines(self, query: np.ndarray, hub: float, rows: np.ndarray | None = None) -> np.ndarray:
        """cos(film, query) − hub × hubness, the cosine taken in the film vectors' top MEANING_DIMS
        principal directions: a 2.5x cheaper product whose cosines correlate 0.98-0.99 with the
        full ones on mood texts (measured on TMDB 5000)."""
        projected = self._projected if rows is None else self._projected[rows]
        cos = projected @ (np.asarray(query, dtype=np.float32) @ self._basis)
        if hub and self.hubness is not None:
            cos -= np.float32(hub) * (self.hubness if rows is None else self.hubness[rows])
        return cos


def hubness(vectors: np.ndarray, mood_texts: np.ndarray, k: int = 10) -> np.ndarray:
    """(n,) each film's mean cosine to its k closest mood-like texts (the wish exemplars).

    Some films sit close to almost any short text ("hubs") and would top unrelated moods;
    their meaning score is discounted by this (cross-domain similarity local scaling)."""
    texts = np.asarray(mood_texts, dtype=np.float32).T
    k = min(k, texts.shape[1])
    out = np.empty(len(vectors), dtype=np.float32)
    for start in range(0, len(vectors), 50_000):  # blocks: a million films never need a (n, texts) matrix
        sims = np.asarray(vectors[start : start + 50_000], dtype=np.float32) @ texts
        out[start : start + len(sims)] = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:].mean(axis=1)
    return out


@dataclass(frozen=True)
class GenreView:
    """The target's genre weights seen per film, gathered once per request."""

    best: np.ndarray  # (n,) the film's highest genre weight (0 if none is wanted)
    worst: np.ndarray  # (n,) its lowest (0 if none is rejected)
    fit: np.ndarray  # (n,) 0.7 × best wanted + 0.3 × mean wanted + the worst rejected weight
    top: float  # the target's top wanted weight

    @classmethod
    def of(cls, table: FilmTable, weights: Mapping[str, float], rows: np.ndarray | None = None) -> GenreView:
        """Every film's view, or only `rows`' (the work per genre set is the same either way)."""
        w = np.append(table.weight_vector(weights), np.float32(0.0))
        per = w[table.combo_idx]  # (width, genre sets), padded with the 0 slot
        best, worst = per.max(axis=0), per.min(axis=0)
        pos_mean = np.clip(per, 0.0, None).sum(axis=0) * table.combo_inv_count
        fit = 0.7 * np.clip(best, 0.0, None) + 0.3 * pos_mean + np.clip(worst, None, 0.0)
        of = table.combo_of if rows is None else table.combo_of[rows]  # genre set of each film
        return cls(best[of], worst[of], fit[of], max((v for v in weights.values() if v > 0), default=0.0))

    def take(self, rows: np.ndarray) -> GenreView:
        """The same view for `rows` only."""
        return GenreView(self.best[rows], self.worst[rows], self.fit[rows], self.top)

    def clashing(self, below: float = EXCLUDE) -> np.ndarray:
        """Films with a genre weighted at or below `below`."""
        return self.worst <= below

    def fitting(self, share: float) -> np.ndarray:
        """Films with a genre weighing at least `share` of the top wanted weight."""
        return self.best >= share * self.top if self.top > 0 else np.ones(len(self.best), dtype=bool)


def zscore(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(x - mean) / std over the rows in `mask`, clipped to ±3 and scaled to ±1."""
    n = int(np.count_nonzero(mask))
    if n < 2:
        return np.zeros_like(x)
    mean = float(np.dot(x, mask) / n)
    std = max(float(np.sqrt(max(float(np.dot(x * x, mask)) / n - mean * mean, 0.0))), 1e-6)
    return np.clip((x - mean) * np.float32(1.0 / std), -3.0, 3.0) * np.float32(1.0 / 3.0)


def allowed(signals: FilmSignals, filters: MoodFilters, exclude_rows: frozenset[int] = frozenset()) -> np.ndarray:
    """Rows that may be shown at all: the quality pool (or the hidden gems), the filters, not excluded."""
    t = signals.table
    keep = t.gems.copy() if filters.hidden_gems else t.good.copy()
    if filters != NO_FILTERS:
        keep &= t.mask(filters)
    if exclude_rows:
        keep[list(exclude_rows)] = False
    return keep


def candidates(
    signals: FilmSignals,
    genres: GenreView,
    filters: MoodFilters,
    need: int,
    exclude_rows: frozenset[int] = frozenset(),
    gate: float = 0.0,
    base: np.ndarray | None = None,
) -> np.ndarray:
    """The `allowed` rows (or `base`, if given: those already taken) narrowed, while at least
    `need` films remain: no clashing genre, a genre weighing >= `gate` × the top one, and none
    weighing <= -`gate` (the narrower the better, never fewer than `need`)."""
    keep = allowed(signals, filters, exclude_rows) if base is None else base.copy()
    narrowing = [~genres.clashing()]
    if gate > 0:
        narrowing += [genres.fitting(gate), ~genres.clashing(-gate)]
    for narrower in narrowing:
        tighter = keep & narrower
        if np.count_nonzero(tighter) < need:
            break
        keep = tighter
    return keep
