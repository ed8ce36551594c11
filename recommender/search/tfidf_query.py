"""One text scored against the TF-IDF index, tokenised once: scores for every film and the
shared words for the few films shown.

Why not TfidfIndex.scores/shared_terms directly: each call re-tokenises the text, and scipy's
fancy column slicing costs ~0.1 ms; a request needs one score vector plus ten explanations,
so the query vector is computed once and the few query columns are summed straight from the
CSC arrays (same numbers, a fraction of the time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from recommender.search.topk import top_rows

DENSE_SHARE = 16  # postings >= 1/16 of the rows: summed over a catalog-long array instead of sorted
# (bench --scale, 1M films: a synopsis' top 20 took 24 ms with its postings sorted, 9 ms densely)


class FastTfidf:
    """Read-only CSC/CSR views of a TfidfIndex's matrix; thread-safe."""

    def __init__(self, tfidf) -> None:  # TfidfIndex
        self.tfidf = tfidf
        matrix = sp.csr_matrix(tfidf.matrix, dtype=np.float32)
        self.n_rows = int(matrix.shape[0])
        self._csr = matrix
        csc = matrix.tocsc()
        self._col_ptr, self._col_rows, self._col_data = csc.indptr, csc.indices, csc.data
        self._display = tfidf.display

    def query(self, text: str) -> TfidfQuery:
        cols, weights = self.tfidf.query_vector(text)
        return TfidfQuery(self, cols, weights)

    def row_query(self, row: int) -> TfidfQuery:
        """A stored film row as the query (more-like-this): no re-tokenising of its document."""
        start, end = self._csr.indptr[row], self._csr.indptr[row + 1]
        return TfidfQuery(self, self._csr.indices[start:end].astype(np.int64), self._csr.data[start:end])


@dataclass(frozen=True)
class TfidfQuery:
    index: FastTfidf
    cols: np.ndarray  # query term columns
    weights: np.ndarray  # their L2-normalised tf-idf weights

    @property
    def empty(self) -> bool:
        return self.cols.size == 0

    def _postings(self) -> tuple[np.ndarray, np.ndarray]:
        """(row, weight × value) of every entry of every query column, column after column:
        all columns gathered in one pass (~4x faster than a loop over a synopsis' ~30 columns)."""
        ix = self.index
        starts = ix._col_ptr[self.cols]
        lengths = ix._col_ptr[self.cols + 1] - starts
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        return ix._col_rows[offsets], ix._col_data[offsets] * np.repeat(self.weights.astype(np.float32), lengths)

    def scores(self) -> np.ndarray:
        """Cosine to every film row, shape (n,), float32 (rows are L2-normalised)."""
        rows, contributions = self._postings()
        return np.bincount(rows, weights=contributions, minlength=self.index.n_rows).astype(np.float32)

    def sparse_scores(self) -> SparseScores:
        """The same cosines for the films that share a word only: the cost follows the query's
        postings, not the catalog (a million films cost what their matching rows cost)."""
        rows, contributions = self._postings()
        n = self.index.n_rows
        if rows.size == 0:
            return SparseScores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), n)
        if rows.size * DENSE_SHARE >= n:  # many postings (a synopsis' common words): one pass beats sorting them
            full = np.bincount(rows, weights=contributions, minlength=n).astype(np.float32)
            return SparseScores(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), n, full)
        unique, inverse = np.unique(rows, return_inverse=True)
        values = np.bincount(inverse, weights=contributions, minlength=unique.size).astype(np.float32)
        return SparseScores(unique.astype(np.int64), values, self.index.n_rows)

    @cached_property
    def _weight_of(self) -> dict[int, float]:
        return dict(zip(self.cols.tolist(), self.weights.tolist()))

    def shared_terms(self, row: int, n: int = 3) -> list[str]:
        """Up to n readable words the query and film `row` share, the most telling first."""
        if self.empty or n <= 0:
            return []
        csr = self.index._csr
        start, end = csr.indptr[row], csr.indptr[row + 1]
        weight_of = self._weight_of
        shared = [
            (-weight_of[c] * d, c)
            for c, d in zip(csr.indices[start:end].tolist(), csr.data[start:end].tolist())
            if c in weight_of
        ]
        shared.sort()
        return [self.index._display[c] for _, c in shared[:n]]


@dataclass(frozen=True)
class SparseScores:
    """Scores of the rows that have one (sorted rows, their values); every other row scores 0.
    When most rows may score, `full` holds every row's score instead (rows and values unused)."""

    rows: np.ndarray  # sorted, unique
    values: np.ndarray
    n_rows: int
    full: np.ndarray | None = None  # (n_rows,) float32

    def at(self, rows: np.ndarray) -> np.ndarray:
        """The scores of `rows` (0 where a row has none)."""
        rows = np.asarray(rows, dtype=np.int64)
        if self.full is not None:
            return self.full[rows]
        if self.rows.size == 0:
            return np.zeros(rows.size, dtype=np.float32)
        pos = np.minimum(np.searchsorted(self.rows, rows), self.rows.size - 1)
        return np.where(self.rows[pos] == rows, self.values[pos], np.float32(0.0)).astype(np.float32)

    def top(self, k: int, exclude: Iterable[int] = ()) -> np.ndarray:
        """Rows of the k highest positive scores, best first (ties: lower row), skipping `exclude`."""
        if self.full is not None:
            best = top_rows(self.full, k, exclude)
            return best[self.full[best] > 0]
        excluded = np.fromiter((int(r) for r in exclude), dtype=np.int64)
        keep = (self.values > 0) & ~np.isin(self.rows, excluded)
        rows = self.rows[keep]  # sorted: the lower index is the lower row, as top_rows breaks ties
        return rows[top_rows(self.values[keep], k)]

    def dense(self) -> np.ndarray:
        """The (n_rows,) array."""
        if self.full is not None:
            return self.full
        out = np.zeros(self.n_rows, dtype=np.float32)
        out[self.rows] = self.values
        return out
