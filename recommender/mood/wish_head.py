"""The wish reading's last step, learned: a linear head over the text's vector and the clause evidence.

Why: the clause rules (mood.wish) read one clause at a time against exemplars, and miss what
only the whole text says: a wish phrased as a situation ("grandkids are staying over"), a
negation whose scope is the whole request ("not animated, but ok for a 10 year old"), a
feeling that is not a request. The head is trained (`train-wish --head-only`) on mood texts
written by many hands (`wish_texts.json`) and sees, per text, the wish encoder's vector of the
whole text, each class's best clause score in clauses that ask and in negated ones, and the
rules' own reading, so it starts from the rules and learns where they go wrong.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HEAD_FILE = "head.npz"
TEXTS_FILE = Path(__file__).with_name("wish_texts.json")
HEAD_C = 10.0  # inverse L2 strength; held-out-hand mean 0.930 (3: 0.929, 30: 0.931; wish_training.train_head)


class WishHeadError(ValueError):
    """The head file is missing a field, has the wrong shape, or names other classes."""


@dataclass(frozen=True)
class WishHead:
    classes: tuple[str, ...]  # the wish ids in table order, then "none"
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray  # (classes,)
    version: str  # content hash of the saved head: the mood cache key names it

    @property
    def dim(self) -> int:
        """The text vector's size the head expects."""
        return int(self.coef.shape[1]) - 3 * len(self.classes)

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = np.asarray(features, dtype=np.float32) @ self.coef.T + self.intercept
        e = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return np.asarray(e / e.sum(axis=-1, keepdims=True))

    def decide(self, features: np.ndarray) -> tuple[int, float]:
        """(the most probable class, its probability margin over the runner-up)."""
        p = self.probabilities(features)
        order = np.argsort(-p)
        return int(order[0]), float(p[order[0]] - p[order[1]])


def head_features(whole: np.ndarray, scores: np.ndarray, negated: Sequence[bool], rule: int) -> np.ndarray:
    """[text vector, best score per class over asking clauses, over negated clauses, the rules'
    class one-hot]; a side with no clause contributes zeros."""
    scores = np.asarray(scores, dtype=np.float32)
    neg = np.asarray(negated, dtype=bool)
    k = scores.shape[1]
    pos = scores[~neg].max(axis=0) if (~neg).any() else np.zeros(k, dtype=np.float32)
    rejected = scores[neg].max(axis=0) if neg.any() else np.zeros(k, dtype=np.float32)
    one = np.zeros(k, dtype=np.float32)
    one[rule] = 1.0
    return np.concatenate([np.asarray(whole, dtype=np.float32), pos, rejected, one])


def fit_head(
    features: np.ndarray, labels: Sequence[int] | np.ndarray, classes: Sequence[str], c: float = HEAD_C
) -> WishHead:
    """Multinomial logistic regression (scikit-learn) on the features of written texts."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=5000).fit(np.asarray(features, dtype=np.float64), np.asarray(labels))
    coef = np.zeros((len(classes), features.shape[1]), dtype=np.float32)
    intercept = np.full(len(classes), -1e4, dtype=np.float32)  # a class never seen in training is never read
    for row, j in enumerate(model.classes_):
        coef[j], intercept[j] = model.coef_[row], model.intercept_[row]
    return _with_version(WishHead(tuple(classes), coef, intercept, ""))


def _payload(head: WishHead) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, coef=head.coef, intercept=head.intercept, classes=np.array(json.dumps(list(head.classes))))
    return buf.getvalue()


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]


def _with_version(head: WishHead) -> WishHead:
    return WishHead(head.classes, head.coef, head.intercept, _digest(_payload(head)))


def save_head(head: WishHead, folder: Path) -> Path:
    path = Path(folder) / HEAD_FILE
    path.write_bytes(_payload(head))
    return path


def load_head(folder: Path, classes: Sequence[str], dim: int) -> WishHead:
    """The head in `folder`, checked against the reader's classes and the encoder's size."""
    path = Path(folder) / HEAD_FILE
    try:
        data = path.read_bytes()
        with np.load(io.BytesIO(data), allow_pickle=False) as raw:
            named: Any = json.loads(str(raw["classes"]))
            coef = np.asarray(raw["coef"], dtype=np.float32)
            intercept = np.asarray(raw["intercept"], dtype=np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise WishHeadError(f"cannot read {path}: {exc}") from None
    if list(named) != list(classes):
        raise WishHeadError(
            f"{path} was trained for other wishes ({named}); retrain: python -m recommender train-wish --head-only"
        )
    if coef.shape != (len(classes), dim + 3 * len(classes)) or intercept.shape != (len(classes),):
        raise WishHeadError(f"{path} has shape {coef.shape}, not ({len(classes)}, {dim + 3 * len(classes)})")
    return WishHead(tuple(classes), coef, intercept, _digest(data))
