"""What the person asks the films to do (the wish), read apart from how they feel.

People phrase a wish in endless ways ("make me laugh", "gimme something funny", "i need a
comedy"), so the text is compared, through the sentence encoder the product already ships,
with written exemplars of each wish and of plain feelings that ask for nothing
(`wishes.json`). It is read clause by clause: "angry, but I want a good laugh" finds the laugh
in its second clause, and a negated clause ("nothing scary please") names a wish to *avoid*.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from recommender.config import PROJECT_ROOT
from recommender.mood.wish_head import WishHead, head_features

DATA_FILE = Path(__file__).with_name("wishes.json")
# the wish reader's own encoder (python -m recommender train-wish); without it, the search encoder
WISH_ENCODER_DIR = PROJECT_ROOT / "models" / "wish"
GENRE_WORDS_FILE = Path(__file__).with_name("genre_words.json")
NONE = "none"
PARAPHRASE = 0.5  # a clause this close to an exemplar says what the exemplar says

# A clause break: sentence punctuation, or a conjunction that starts a new thought. "anything but"
# and "nothing but" are kept whole: they are a negation ("anything but horror") and an emphasis.
_CLAUSE = re.compile(
    r"[.!?;,:\n]+|\s+-\s+|\b(?<!anything )(?<!nothing )(?<!all )but\b|\band\b|\bor\b|\bthough\b|\balthough\b"
    r"|\bbecause\b|\bcause\b|\bwhile\b|\bplus\b|\byet\b",
    re.IGNORECASE,
)
# Cues that a clause rejects what it names ("don't want anything sad", "no horror", "anything but war").
_NEGATION = re.compile(
    r"\b(not|no|nothing|never|without|avoid|except|none|nor|anything but|rather not|skip|spare me|enough of"
    r"|sick of|tired of|hate|hates|can't stand|cant stand|dont|don't|do not|doesn't|doesnt|isn't|isnt|won't|wont)\b",
    re.IGNORECASE,
)
_NOT_NEGATION = re.compile(r"\b(can'?t wait|not only|no matter|nothing but|never mind)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Wish:
    id: str
    label: str  # "a good laugh": shown as "You asked for: a good laugh"
    exemplars: tuple[str, ...]
    genres: Mapping[str, float]  # TMDB genre -> weight in [-1, 1]
    tones: Mapping[str, float]  # film tone -> weight in [-1, 1]


@dataclass(frozen=True)
class Tone:
    id: str
    adjective: str  # shown on film cards ("tender, sad")
    descriptors: tuple[str, ...]  # film-overview-like sentences of films with this tone


@dataclass(frozen=True)
class WishTable:
    wishes: Mapping[str, Wish]
    none_exemplars: tuple[str, ...]
    tones: Mapping[str, Tone]
    version: str  # content hash: cache keys and the build manifest name it

    @property
    def tone_ids(self) -> tuple[str, ...]:
        return tuple(self.tones)

    def label(self, wish: str | None) -> str | None:
        return self.wishes[wish].label if wish is not None and wish in self.wishes else None


@dataclass(frozen=True)
class WishReading:
    """What was read: the wish (or None: the mode decides), wishes to avoid, and the evidence."""

    wish: str | None
    label: str | None
    avoid: tuple[str, ...] = ()
    genres_in: tuple[str, ...] = ()  # genres named in a plain clause ("a french romance")
    genres_out: tuple[str, ...] = ()  # genres named in a negated clause ("no horror", "not animated")
    confidence: float = 0.0  # margin of the wish over plain feelings and the runner-up
    scores: dict[str, float] = field(default_factory=dict)  # best clause similarity per class
    chosen: bool = False  # the person picked the wish (not read from the text)

    def to_json(self) -> dict[str, Any]:
        return {
            "wish": self.wish,
            "avoid": list(self.avoid),
            "genres_in": list(self.genres_in),
            "genres_out": list(self.genres_out),
            "confidence": round(self.confidence, 4),
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], table: WishTable) -> WishReading:
        wish = raw.get("wish")
        if wish is not None and wish not in table.wishes:
            raise ValueError(f"unknown wish {wish!r}")
        avoid = tuple(a for a in raw.get("avoid", ()) if a in table.wishes)
        return cls(
            wish,
            table.label(wish),
            avoid,
            tuple(str(g) for g in raw.get("genres_in", ())),
            tuple(str(g) for g in raw.get("genres_out", ())),
            float(raw.get("confidence", 0.0)),
            {str(k): float(v) for k, v in (raw.get("scores") or {}).items()},
        )


class WishTableError(ValueError):
    """wishes.json is malformed; the message names the field."""


def load_wish_table(path: Path | None = None) -> WishTable:
    import hashlib

    path = Path(path) if path else DATA_FILE
    try:
        data = path.read_bytes()
        raw = json.loads(data)
        wishes = {
            wid: Wish(wid, str(w["label"]), tuple(w["exemplars"]), dict(w["genres"]), dict(w["tones"]))
            for wid, w in raw["wishes"].items()
        }
        tones = {tid: Tone(tid, str(t["adjective"]), tuple(t["descriptors"])) for tid, t in raw["tones"].items()}
        none = tuple(raw["none"]["exemplars"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise WishTableError(f"cannot read {path}: {exc}") from None
    for w in wishes.values():
        unknown = set(w.tones) - set(tones)
        if unknown or not w.exemplars:
            raise WishTableError(f"{path}: wish {w.id} has no exemplars or unknown tones {sorted(unknown)}")
    return WishTable(wishes, none, tones, hashlib.sha256(data).hexdigest()[:12])


@lru_cache(maxsize=1)
def default_wish_table() -> WishTable:
    return load_wish_table()


@lru_cache(maxsize=1)
def genre_words() -> dict[str, re.Pattern[str]]:
    """TMDB genre -> a pattern of the words people use for it (genre_words.json)."""
    raw = json.loads(GENRE_WORDS_FILE.read_text(encoding="utf-8"))
    return {
        genre: re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(ws, key=len, reverse=True)) + r")\b", re.I)
        for genre, ws in raw.items()
        if not genre.startswith("_")
    }


def named_genres(clause: str) -> tuple[str, ...]:
    return tuple(g for g, pattern in genre_words().items() if pattern.search(clause))


def clauses(text: str) -> list[str]:
    """The text cut into clauses; a negation inside a clause starts a new one ("a love story |
    without a tragic ending"), so it reaches only what follows it. The whole text when it has one."""
    parts = []
    for p in _CLAUSE.split(_plain_quotes(text)):
        if not p or not p.strip():
            continue
        cue = _NEGATION.search(_NOT_NEGATION.sub(lambda m: "_" * len(m.group(0)), p))
        if cue and cue.start() > 0 and re.search(r"[^\W\d_]{3,}", p[: cue.start()]):
            parts += [p[: cue.start()].strip(), p[cue.start() :].strip()]
        else:
            parts.append(p.strip())
    parts = [p for p in parts if re.search(r"[^\W\d_]{2,}", p)]
    return parts or [text.strip()]


def _plain_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'")


def is_negated(clause: str) -> bool:
    return bool(_NEGATION.search(_NOT_NEGATION.sub(" ", _plain_quotes(clause))))


def rejected_content(clause: str) -> str:
    """What a negated clause names, its negation cues taken out ("please no tearjerkers" ->
    "please tearjerkers"): the wish it rejects is read from this, so the reading does not hang on
    how the encoder places negations (an encoder trained on whole texts pulls "no tearjerkers"
    toward the light films it asks for)."""
    plain = _plain_quotes(clause)
    keep = [m.span() for m in _NOT_NEGATION.finditer(plain)]
    out, last = [], 0
    for m in _NEGATION.finditer(plain):
        if any(a <= m.start() < b for a, b in keep):
            continue
        out.append(plain[last : m.start()])
        last = m.end()
    content = " ".join("".join(out + [plain[last:]]).split())
    return content if re.search(r"[^\W\d_]{2,}", content) else clause


# Words of asking: a clause with one asks for something; without, it more likely tells a feeling.
_ASKING = re.compile(
    r"\b(want|wanna|need|needs|give|gimme|show|make|makes|find|something|anything|looking|prefer|rather|recommend"
    r"|suggest|craving|crave|in the mood|mood for|feel like|i'?d like|would like|let'?s|lets|pick|put on|watch"
    r"|movie|movies|film|films|flick|please|pls|plz|any)\b",
    re.IGNORECASE,
)
_REQUEST = re.compile(r"\b(want|wanna|need|give|gimme|show|make|find|something|looking|prefer|rather)\b", re.I)


def negations(parts: list[str], requests: np.ndarray) -> list[bool]:
    """Which clauses reject what they name. A short clause right after a negated one, with no
    request of its own, shares its negation ("no sci-fi | and horror"); a clause that paraphrases a
    negation-phrased exemplar is a request ("nothing heavy please" asks for something light)."""
    out: list[bool] = []
    for i, part in enumerate(parts):
        neg = is_negated(part) or (i > 0 and out[i - 1] and len(part.split()) <= 3 and not _REQUEST.search(part))
        out.append(neg and not bool(requests[i]))
    return out


@dataclass(frozen=True)
class TextVectors:
    """A text as the reader scores it: its clauses, which of them reject what they name, each
    clause's vector (a rejecting clause's is that of what it names, `rejected_content`) and class
    scores (`WishReader.class_scores` of those vectors), and the whole text's vector."""

    parts: tuple[str, ...]
    negated: tuple[bool, ...]
    vectors: np.ndarray  # (clauses, d)
    whole: np.ndarray  # (d,)
    scores: np.ndarray  # (clauses, classes)


@dataclass(frozen=True)
class WishSettings:
    """How sure the reading must be. A wish must beat the plain-feeling exemplars by `margin`
    (cosine) in a clause that asks for something ("i need...", "give me...", "a movie..."), and by
    `plain_margin` in one that does not ("can't stop crying" is a feeling, not a request), and
    reach `floor`; `top`: the mean of a class's best `top` exemplar cosines is its score.

    These defaults go with the wish encoder (models/wish), chosen on both tuning sets, mean wish
    accuracy 0.939 (eval/mood_tune.json 0.948, eval/mood_tune2.json 0.929), a plateau over
    plain_margin 0.05-0.12 (eval/mood_tune3.json, written later by a third hand: 0.871, and
    0.865-0.876 over the same grid); its cosines run higher than the search encoder's, hence the floor.
    With the search encoder (no wish model) SEARCH_ENCODER_SETTINGS: 0.918 / 0.894 there. Top 5
    used to read "my heart is broken but I don't want anything sad" as asking for a cry with the
    search encoder; with the wish encoder it reads a cry to avoid, as top 3 does."""

    margin: float = 0.05
    plain_margin: float = 0.08
    floor: float = 0.45
    top: int = 5


SEARCH_ENCODER_SETTINGS = WishSettings(floor=0.35, top=3)


def exemplar_classes(table: WishTable) -> tuple[list[str], list[int]]:
    """Every exemplar text and its class: the wishes in table order (0, 1, ...), then the plain
    feelings (the last class, NONE)."""
    texts = [e for w in table.wishes.values() for e in w.exemplars] + list(table.none_exemplars)
    labels = [i for i, w in enumerate(table.wishes.values()) for _ in w.exemplars]
    return texts, labels + [len(table.wishes)] * len(table.none_exemplars)


class WishReader:
    """Reads wishes with any `encode(texts) -> (k, d) unit vectors` (the product's sentence encoder)."""

    def __init__(
        self,
        table: WishTable,
        encode: Callable[[list[str]], np.ndarray],
        settings: WishSettings = WishSettings(),
        head: WishHead | None = None,
    ) -> None:
        """`head`: the learned last step (mood.wish_head), trained on `encode`'s vectors; None: the rules decide."""
        self.table = table
        self.settings = settings
        self.head = head
        self._encode = encode
        self._classes = [*table.wishes, NONE]
        texts, owners = exemplar_classes(table)
        self.texts = tuple(texts)
        self._exemplars = np.asarray(encode(texts), dtype=np.float32)  # (m, d)
        self._owners = np.asarray(owners)
        self._owner_rows = [np.flatnonzero(self._owners == j) for j in range(len(self._classes))]
        self._negation_phrased = np.array([is_negated(t) and c != len(table.wishes) for t, c in zip(texts, owners)])

    @property
    def exemplar_vectors(self) -> np.ndarray:
        return self._exemplars

    def encode(self, texts: list[str]) -> np.ndarray:
        """The reader's own encoder (clause vectors for `read_scores`)."""
        return np.asarray(self._encode(texts), dtype=np.float32)

    def class_scores(self, vectors: np.ndarray) -> np.ndarray:
        """(clauses, classes): mean of the `top` best exemplar cosines per class."""
        return self._pooled(np.asarray(vectors, dtype=np.float32) @ self._exemplars.T)

    def _pooled(self, sims: np.ndarray) -> np.ndarray:
        """class_scores from the clauses' cosines to every exemplar, (k, m)."""
        top = self.settings.top
        out = np.empty((sims.shape[0], len(self._classes)), dtype=np.float32)
        for j, rows in enumerate(self._owner_rows):
            part = sims[:, rows]
            t = min(top, part.shape[1])
            out[:, j] = np.sort(part, axis=1)[:, -t:].mean(axis=1)
        return out

    def phrased_as_negation(self, sims: np.ndarray, scores: np.ndarray) -> np.ndarray:
        """(clauses,) from their exemplar cosines and class scores: True where the clause
        paraphrases a wish's own negation-phrased exemplar ("nothing heavy please" asks for
        something light) and reads as that wish (beats plain feelings by `margin`): such a clause
        is a request, not a rejection. "no horror films please" may sit near "no scary stuff,
        something light" and still reject horror."""
        nearest = np.argmax(sims, axis=1)
        close = sims[np.arange(len(nearest)), nearest] >= PARAPHRASE
        owner = self._owners[nearest]
        reads_as = scores[np.arange(len(owner)), owner] - scores[:, -1] >= self.settings.margin
        return np.asarray(self._negation_phrased[nearest] & close & reads_as)

    def vectors(self, text: str) -> TextVectors:
        """The text as the reader scores it. Two batches where the text has more than its one
        clause or a negated one: int8 activations are quantised per batch, and the settings were
        chosen on clause vectors encoded together. The clauses are scored once, and again only
        where a negated clause's vector was replaced by that of what it names."""
        parts = clauses(text)
        vecs = self.encode(parts).copy()
        sims = vecs @ self._exemplars.T
        scores = self._pooled(sims)
        negated = negations(parts, self.phrased_as_negation(sims, scores))
        named = [rejected_content(p) for p, neg in zip(parts, negated) if neg]
        rest = ([] if parts == [text] else [text]) + named
        more = self.encode(rest) if rest else vecs[:0]
        whole = vecs[0].copy() if parts == [text] else more[0]
        if named:
            vecs[np.flatnonzero(negated)] = more[len(rest) - len(named) :]
            scores = self.class_scores(vecs)
        return TextVectors(tuple(parts), tuple(negated), vecs, whole, scores)

    def features(self, text: str) -> np.ndarray:
        """What the head sees of `text` (mood.wish_head.head_features), with the rules' reading."""
        return self._evidence(self.vectors(text))[1]

    def _evidence(self, seen: TextVectors) -> tuple[WishReading, np.ndarray]:
        reading = self.read_scores(list(seen.parts), seen.scores, list(seen.negated))
        rule = self._classes.index(reading.wish) if reading.wish else len(self._classes) - 1
        return reading, head_features(seen.whole, seen.scores, seen.negated, rule)

    def read(self, text: str) -> WishReading:
        """The wish in `text`."""
        return self.read_vectors(self.vectors(text))

    def read_vectors(self, seen: TextVectors) -> WishReading:
        """The reading from `vectors(text)`: the rules', then (with a head) the head's call on the
        wish; what the rules read as rejected stays avoided unless the head reads it as the wish."""
        reading, features = self._evidence(seen)
        if self.head is None:
            return reading
        n = len(self._classes) - 1
        j, margin = self.head.decide(features)
        wish = self._classes[j] if j < n else None
        return replace(
            reading,
            wish=wish,
            label=self.table.label(wish),
            avoid=tuple(w for w in reading.avoid if w != wish),
            confidence=margin if wish else 0.0,
        )

    def _margin(self, part: str) -> float:
        return self.settings.margin if _ASKING.search(part) else self.settings.plain_margin

    def read_scores(self, parts: list[str], scores: np.ndarray, negated: list[bool]) -> WishReading:
        """The rules. A clause names its best wish when that beats plain feelings by `margin` (and
        `floor`). Negated clauses (scored by what they name) name wishes to avoid; an avoided wish
        is wanted only where a clause asks for it (words of asking) more strongly than the negated
        one rejects it."""
        n = len(self._classes) - 1
        margins = [self._margin(p) for p in parts]
        rejected: dict[str, float] = {}
        for part_scores, neg, margin in zip(scores, negated, margins):
            wid, score = self._clear(part_scores, n, frozenset(), margin)
            if neg and wid is not None:
                rejected[wid] = max(score, rejected.get(wid, 0.0))
        wanted: dict[str, tuple[float, float]] = {}
        for part, part_scores, neg, margin in zip(parts, scores, negated, margins):
            if neg:
                continue
            # a rejected wish comes back only where a clause asks for it, more strongly than it was rejected
            asking = bool(_ASKING.search(part))
            blocked = frozenset(
                w for w, sc in rejected.items() if not asking or sc >= float(part_scores[self._classes.index(w)])
            )
            wid, score = self._clear(part_scores, n, blocked, margin)
            if wid is not None and score > wanted.get(wid, (-1.0, 0.0))[0]:
                runner_up = max(
                    float(np.max(np.delete(part_scores[:n], self._classes.index(wid)))), float(part_scores[n])
                )
                wanted[wid] = (score, score - runner_up)
        wish = max(wanted, key=lambda w: wanted[w][0]) if wanted else None
        genres_in = tuple(dict.fromkeys(g for p, neg in zip(parts, negated) if not neg for g in named_genres(p)))
        genres_out = tuple(dict.fromkeys(g for p, neg in zip(parts, negated) if neg for g in named_genres(p)))
        return WishReading(
            wish,
            self.table.label(wish),
            tuple(w for w in rejected if w != wish),
            tuple(g for g in genres_in if g not in genres_out),
            genres_out,
            wanted[wish][1] if wish else 0.0,
            {c: float(scores[:, j].max()) for j, c in enumerate(self._classes)},
        )

    def _clear(self, row: np.ndarray, n: int, blocked: frozenset[str], margin: float) -> tuple[str | None, float]:
        """The clause's best wish outside `blocked`, if it clears the floor and the margin."""
        order = [j for j in np.argsort(-row[:n]) if self._classes[j] not in blocked]
        if not order:
            return None, 0.0
        j = int(order[0])
        score = float(row[j])
        clear = score >= self.settings.floor and score - float(row[n]) >= margin
        return (self._classes[j], score) if clear else (None, 0.0)
