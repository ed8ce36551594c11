"""TF-IDF index over the film documents (overview, genres, keywords, tagline).

Fitted once at build time with scikit-learn (Snowball-stemmed tokens from text.tokenize,
sublinear tf, L2 rows) and stored as plain JSON + a sparse .npz: no pickles, so loading
never depends on the scikit-learn version. A query is vectorised here with the same formula.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from recommender.text import stem, tokenize, words

PARAMS = {
    "analyzer": "text.tokenize (snowball english, sklearn stop words)",
    "sublinear_tf": True,
    "smooth_idf": True,
    "norm": "l2",
    "min_df": 1,
}


class TfidfIndex:
    """Cosine similarity of a free text to every film, plus the words that explain a match."""

    def __init__(self, terms: list[str], idf: np.ndarray, display: list[str], matrix: sp.spmatrix) -> None:
        if matrix.shape[1] != len(terms) or len(idf) != len(terms) or len(display) != len(terms):
            raise ValueError("TF-IDF vocabulary, idf and matrix disagree in size")
        self.terms = list(terms)
        self.idf = np.asarray(idf, dtype=np.float64)
        self.display = list(display)
        self.matrix = sp.csr_matrix(matrix, dtype=np.float32)
        self._columns = self.matrix.tocsc()
        self._index = {t: i for i, t in enumerate(self.terms)}

    @property
    def n_rows(self) -> int:
        return int(self.matrix.shape[0])

    def query_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(term columns, weights) of the L2-normalised tf-idf vector of `text`."""
        counts = Counter(t for t in tokenize(text if isinstance(text, str) else "") if t in self._index)
        if not counts:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        cols = np.fromiter((self._index[t] for t in counts), dtype=np.int64, count=len(counts))
        tf = np.fromiter((1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts))
        weights = tf * self.idf[cols]
        weights /= np.linalg.norm(weights)
        return cols, weights.astype(np.float32)

    def scores(self, text: str) -> np.ndarray:
        """Cosine of `text` to every film row, shape (n,), float32; zeros when no known word."""
        cols, weights = self.query_vector(text)
        if cols.size == 0:
            return np.zeros(self.n_rows, dtype=np.float32)
        return np.asarray(self._columns[:, cols] @ weights, dtype=np.float32).ravel()

    def shared_terms(self, text: str, row: int, n: int = 3) -> list[str]:
        """Up to n readable words the text and film `row` share, the most telling first."""
        if not 0 <= row < self.n_rows or n <= 0:
            return []
        cols, weights = self.query_vector(text)
        if cols.size == 0:
            return []
        start, end = self.matrix.indptr[row], self.matrix.indptr[row + 1]
        film = dict(zip(self.matrix.indices[start:end].tolist(), self.matrix.data[start:end].tolist()))
        shared = [(w * film[c], c) for c, w in zip(cols.tolist(), weights.tolist()) if c in film]
        shared.sort(key=lambda pair: (-pair[0], pair[1]))
        return [self.display[c] for _, c in shared[:n]]

    # ---- persistence -----------------------------------------------------------------------

    def save(self, vocab_path: Path, matrix_path: Path) -> None:
        payload = {"params": PARAMS, "terms": self.terms, "idf": self.idf.tolist(), "display": self.display}
        Path(vocab_path).write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), "utf-8")
        sp.save_npz(matrix_path, self.matrix, compressed=True)

    @classmethod
    def load(cls, vocab_path: Path, matrix_path: Path) -> TfidfIndex:
        payload = json.loads(Path(vocab_path).read_text("utf-8"))
        matrix = sp.load_npz(matrix_path)
        return cls(payload["terms"], np.asarray(payload["idf"]), payload["display"], matrix)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _display_words(word_lists: list[list[str]]) -> dict[str, str]:
    """Most frequent surface word for each stem: 'famili' -> 'family'."""
    seen: Counter[tuple[str, str]] = Counter()
    for doc_words in word_lists:
        seen.update((stem(w), w) for w in doc_words)
    best: dict[str, tuple[int, str]] = {}
    for (st, word), count in seen.items():
        if st not in best or (count, -len(word)) > (best[st][0], -len(best[st][1])):
            best[st] = (count, word)
    return {st: word for st, (_, word) in best.items()}


def fit_tfidf(documents: list[str]) -> TfidfIndex:
    """Fit the index on film documents (text.film_document), one row per document."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # build time only: ~75 MB

    word_lists = [words(d) if isinstance(d, str) else [] for d in documents]
    tokens = [[stem(w) for w in ws] for ws in word_lists]  # == text.tokenize(d), computed once
    vectorizer = TfidfVectorizer(
        analyzer=_identity, sublinear_tf=True, smooth_idf=True, norm="l2", min_df=1, dtype=np.float32
    )
    try:
        matrix = vectorizer.fit_transform(tokens)
    except ValueError:  # no document has a single usable word
        return TfidfIndex([], np.zeros(0), [], sp.csr_matrix((len(tokens), 0), dtype=np.float32))
    terms = vectorizer.get_feature_names_out().tolist()
    display = _display_words(word_lists)
    return TfidfIndex(terms, vectorizer.idf_, [display.get(t, t) for t in terms], matrix)
