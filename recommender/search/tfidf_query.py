"""One text scored against the TF-IDF index, tokenised once: scores for every film and the
shared words for the few films shown.

Why not TfidfIndex.scores/shared_terms directly: each call re-tokenises the text, and scipy's
fancy column slicing costs ~0.1 ms; a request needs one score vector plus ten explanations,
so the query vector is computed once and the few query columns are summed straight from the
CSC arrays (same numbers, a fraction of the time).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp


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

    def scores(self) -> np.ndarray:
        """Cosine to every film row, shape (n,), float32 (rows are L2-normalised).

        All query columns are gathered in one pass and summed per row with bincount: ~4x faster
        than a loop over the ~30 columns of a synopsis (0.04 vs 0.17 ms)."""
        ix = self.index
        starts = ix._col_ptr[self.cols]
        lengths = ix._col_ptr[self.cols + 1] - starts
        # positions in the CSC arrays of every entry of every query column, column after column
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
        contributions = ix._col_data[offsets] * np.repeat(self.weights.astype(np.float32), lengths)
        return np.bincount(ix._col_rows[offsets], weights=contributions, minlength=ix.n_rows).astype(np.float32)

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
