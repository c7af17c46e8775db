"""The Bradley-Terry design matrix and the bootstrap's cell maps, as index arrays.

Rows of the design are compared pairs of models: +1 in the first model's column, -1 in the
second's, followed by dense covariate columns (style control). The products the fits and
the bootstrap take with it are gathers and sums per model over numpy index arrays. They were
scipy sparse matrices: importing scipy costs the command line a third of a second before
any work (its array-API layer alone imports ``numpy.testing`` and ``numpy.f2py``), and these
products are the only use the default path made of it (docs/decisions.md, "The command
line without scipy").

Both classes take ``@`` (and the design ``.T @``) like the matrices they replace, so the
code that multiplies reads as the algebra it does.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True, eq=False)
class PairRows:
    """A (rows, K + F) matrix: per row ``+1`` at column ``first``, ``-1`` at ``second``,
    then the (rows, F) dense ``features``.

    Attributes:
        first, second: (rows,) int64 model indices, ``first != second``.
        n_models: K.
        features: (rows, F) covariates (F may be 0); their dtype is the products' dtype.
    """

    first: np.ndarray
    second: np.ndarray
    n_models: int
    features: np.ndarray

    @classmethod
    def of_pairs(cls, first: np.ndarray, second: np.ndarray, n_models: int) -> PairRows:
        return cls(first, second, n_models, np.zeros((first.size, 0)))

    @property
    def shape(self) -> tuple[int, int]:
        return self.first.size, self.n_models + self.features.shape[1]

    @property
    def dtype(self) -> np.dtype:
        return self.features.dtype

    def astype(self, dtype: type) -> PairRows:
        return replace(self, features=self.features.astype(dtype))

    def __matmul__(self, beta: np.ndarray) -> np.ndarray:
        """``X @ beta`` for beta (K + F,) or (K + F, r): (rows,) or (rows, r)."""
        strengths = beta[: self.n_models]
        out = np.take(strengths, self.first, axis=0)
        out -= np.take(strengths, self.second, axis=0)
        if self.features.shape[1]:
            out += self.features @ beta[self.n_models :]
        return out

    def odds_against(self, beta: np.ndarray) -> np.ndarray:
        """``exp(-X @ beta)`` for beta (K + F,) or (K + F, r), in the features' dtype: each
        row's ``exp(-beta_first) * exp(beta_second)``, gathered from the (K,) or (K, r)
        exponentials of the strengths (a product per row where ``exp(-X @ beta)`` takes an
        exponential per row, several times the cost). In float32 a strength beyond ±88
        overflows its exponential: the row gets inf or NaN (the chord refits then fall back
        to a float64 Newton solve)."""
        strengths = np.asarray(beta[: self.n_models], dtype=np.float64)
        with np.errstate(over="ignore"):
            down = np.exp(-strengths).astype(self.dtype)
            up = np.exp(strengths).astype(self.dtype)
            out = np.take(down, self.first, axis=0)
            out *= np.take(up, self.second, axis=0)
            if self.features.shape[1]:
                out *= np.exp(-(self.features @ beta[self.n_models :].astype(self.dtype)))
        return out

    @property
    def T(self) -> TransposedRows:  # the matrix transpose, as numpy and scipy name it
        return TransposedRows(self)

    def gram(self, weight: np.ndarray) -> np.ndarray:
        """(K + F, K + F) dense ``X^T diag(weight) X`` for (rows,) weights."""
        k = self.n_models
        size = self.shape[1]
        out = np.zeros((size, size))
        pair = self.pair_sums(weight)
        strengths = out[:k, :k]
        strengths -= pair + pair.T
        strengths[np.diag_indices(k)] += self.model_totals(weight)
        if self.features.shape[1]:
            # The feature columns of X^T diag(weight) X, and by symmetry its feature rows.
            columns = self.T @ (self.features * weight[:, None])
            out[:, k:] = columns
            out[k:, :k] = columns[:k].T
        return out

    @functools.cached_property
    def _first_groups(self) -> _Groups:
        return _Groups.of(self.first)

    @functools.cached_property
    def _second_groups(self) -> _Groups:
        return _Groups.of(self.second)

    def model_sums(self, values: np.ndarray) -> np.ndarray:
        """(K,) or (K, r): per model, the sum over its rows of ``values`` (rows,) or (rows,
        r), negated on the rows where it is second."""
        k = self.n_models
        if values.ndim == 1:
            return np.bincount(self.first, values, k) - np.bincount(self.second, values, k)
        out = self._first_groups.sums(values, k)
        out -= self._second_groups.sums(values, k)
        return out

    def pair_sums(self, weight: np.ndarray) -> np.ndarray:
        """(K, K) float64: per ordered pair (first, second), the sum of its rows' (rows,)
        ``weight`` (style control has several rows a pair)."""
        k = self.n_models
        return np.bincount(self.first * k + self.second, weight, k * k).reshape(k, k)

    def model_totals(self, values: np.ndarray) -> np.ndarray:
        """(K,) or (K, r): per model, the sum over its rows, first or second, of ``values``
        (rows,) or (rows, r) (``|X|^T values`` on the strengths: with the rows' binomial
        weights, the diagonal of ``X^T diag(weights) X``)."""
        k = self.n_models
        if values.ndim == 1:
            return np.bincount(self.first, values, k) + np.bincount(self.second, values, k)
        out = self._first_groups.sums(values, k)
        out += self._second_groups.sums(values, k)
        return out


@dataclass(frozen=True, eq=False)
class TransposedRows:
    rows: PairRows

    def __matmul__(self, values: np.ndarray) -> np.ndarray:
        """``X^T @ values`` for values (rows,) or (rows, r)."""
        strengths = self.rows.model_sums(values)
        if not self.rows.features.shape[1]:
            return strengths
        return np.concatenate([strengths, self.rows.features.T @ values])


@dataclass(frozen=True, eq=False)
class _Groups:
    """Rows grouped by a model index: the order that sorts them, and the groups' starts."""

    order: np.ndarray | None
    starts: np.ndarray
    models: np.ndarray

    @classmethod
    def of(cls, model: np.ndarray) -> _Groups:
        order = np.argsort(model, kind="stable")
        ordered = model[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if model.size else order
        # Design rows come sorted by their first model: no gather needed for those sums.
        keep_order = None if np.array_equal(order, np.arange(model.size)) else order
        return cls(keep_order, starts, ordered[starts])

    def sums(self, values: np.ndarray, k: int) -> np.ndarray:
        """(k, r) sums of the (rows, r) values per group, zero for models without rows."""
        out = np.zeros((k, values.shape[1]), values.dtype)
        if not self.starts.size:
            return out
        grouped = values if self.order is None else np.take(values, self.order, axis=0)
        out[self.models] = np.add.reduceat(grouped, self.starts, axis=0)
        return out


@dataclass(frozen=True, eq=False)
class RowPlacement:
    """The (n_out, c) 0/1 matrix that puts each of c cells on its own output row (no two
    cells on one row), the other rows zero: ``@`` gathers instead of multiplying."""

    source: np.ndarray
    missing: np.ndarray

    @classmethod
    def of(cls, destination: np.ndarray, n_out: int) -> RowPlacement:
        """``destination`` (c,): the distinct output row of each cell."""
        # A count per output row (np.unique's hashing took seconds on a million sorted keys).
        if destination.size and np.bincount(destination, minlength=n_out).max() > 1:
            raise ValueError("two cells on one output row")
        source = np.full(n_out, -1, dtype=np.int64)
        source[destination] = np.arange(destination.size)
        return cls(np.maximum(source, 0), np.flatnonzero(source < 0))

    def __matmul__(self, by_cell: np.ndarray) -> np.ndarray:
        out = np.take(by_cell, self.source, axis=0)
        # The empty rows zeroed as whole rows of bytes: numpy assigns a 2-d array's rows
        # element by element (2.0 against 0.7 ms for 200 k rows of four rounds).
        rows = out.reshape(out.shape[0], -1)
        as_bytes = rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize)))[:, 0]
        as_bytes[self.missing] = np.zeros((), as_bytes.dtype)
        return out


#: Keys are numbered through a table of every possible key when the table is at most this
#: many times as long as the keys (and otherwise sorted by ``np.unique``).
_MARK_RATIO = 16


def distinct_keys(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for int64 keys in ``[0, size)``: the distinct
    keys in increasing order and each key's index among them, two arrays.

    When ``size`` is not much more than the number of keys, by marking the keys in a table
    of ``size`` flags and numbering the marks with a cumulative sum: a few linear passes
    instead of a sort (the fit's set-up and the sampler's tables).
    """
    if size > _MARK_RATIO * key.size + (1 << 16):
        distinct, inverse = np.unique(key, return_inverse=True)
        return distinct, inverse.ravel()
    marked = np.zeros(size, dtype=bool)
    marked[key] = True
    number = np.cumsum(marked, dtype=np.int64)
    number -= 1
    return np.flatnonzero(marked), number[key]
