"""Input types of the rating engine: integer-indexed, aggregated comparisons.

Labels (model names) never enter this package: the caller maps its model ids to the
contiguous indices ``0 .. n_models - 1`` and maps the results back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pairwise.outcomes import FLIPPED, Outcome

# 1.1: ranks within connected components, intervals open where the votes do not bound a
# score, models without votes left out (docs/decisions.md).
# 1.2: the same seed draws other replicates (Davidson blocks seeded per block for fan-out,
# smaller ties-as-half blocks), and an open side whose group holds every reference model is
# bounded by the group's highest score instead of the model's own.
# 1.3: multinomial rounds are drawn a little short of N and topped up (other, equally exact
# draws for a seed), and the chord refits solve with a float32 inverse (about 1e-7 nat).
# 1.4: the chord refits' steps from the second on are rescaled by each round's curvatures
# (replicates move within the tolerance, at most 0.0034 points).
ENGINE_VERSION = "ranking.stats/1.4"


@dataclass(frozen=True)
class Note:
    """A warning about a fit. ``text`` names no model; ``models`` are the indices it concerns,
    which only the caller can name (labels stay outside the engine): :meth:`render`.

    ``kind`` says what it is about (``"unrated"``, ``"disconnected"``, ``"undefeated"``,
    ``"winless"``, ``"open_above"``, ``"open_below"``, ``"not_converged"``,
    ``"bootstrap_not_converged"``), for code that must tell notes apart without reading text.
    """

    kind: str
    text: str
    models: tuple[int, ...] = ()

    def render(self, labels: Sequence[str] | None = None) -> str:
        """The sentence, with the models named by ``labels[i]`` (by index without labels)."""
        if not self.models:
            return self.text
        names = [str(i) if labels is None else str(labels[i]) for i in self.models]
        return f"{self.text}: {', '.join(names)}"

    def __str__(self) -> str:
        return self.render()


def _as_index_array(values: object, name: str, n_models: int) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer) and np.any(np.mod(array, 1)):
        raise ValueError(f"{name} must hold integer model indices")
    array = array.astype(np.int64, copy=False)
    if array.size and (array.min() < 0 or array.max() >= n_models):
        raise ValueError(f"{name} holds an index outside 0..{n_models - 1}")
    return array


#: The most cells (4 K^2) ``PairCounts.from_votes`` counts with one bincount whatever the
#: number of votes (32 MB of counts, K up to 1,024).
_BINCOUNT_CELLS = 1 << 22


@dataclass(frozen=True, eq=False)
class PairCounts:
    """Votes aggregated into counts per (model A, model B, outcome) cell.

    Attributes:
        n_models: K, the number of models; indices run over ``0 .. K-1``.
        model_a: (m,) int64, index of the model shown as A.
        model_b: (m,) int64, index of the model shown as B (never equal to ``model_a``).
        outcome: (m,) int8, an :class:`Outcome` value.
        count: (m,) float64, number of votes in the cell (or their summed weights).

    The constructor validates the arrays and aggregates duplicate cells, so two
    ``PairCounts`` built from the same votes in any order hold identical arrays
    (sorted by ``model_a, model_b, outcome``; cells with a zero count are dropped).
    """

    n_models: int
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    count: np.ndarray

    def __post_init__(self) -> None:
        n_models = int(self.n_models)
        if n_models < 1:
            raise ValueError("n_models must be at least 1")
        model_a = _as_index_array(self.model_a, "model_a", n_models)
        model_b = _as_index_array(self.model_b, "model_b", n_models)
        outcome = np.asarray(self.outcome)
        count = np.asarray(self.count, dtype=np.float64)
        m = model_a.shape[0]
        if model_b.shape != (m,) or outcome.shape != (m,) or count.shape != (m,):
            raise ValueError("model_a, model_b, outcome and count must have the same length")
        if m and (outcome.min() < 0 or outcome.max() > 3 or np.any(np.mod(outcome, 1) != 0)):
            raise ValueError("outcome must be 0 (A wins), 1 (B wins), 2 (tie) or 3 (both bad)")
        if np.any(model_a == model_b):
            raise ValueError("a model cannot be compared with itself (model_a == model_b)")
        if not np.all(np.isfinite(count)) or np.any(count < 0):
            raise ValueError("count must be finite and non-negative")
        outcome = outcome.astype(np.int8)
        key = (model_a * n_models + model_b) * 4 + outcome
        unique_key, inverse = np.unique(key, return_inverse=True)
        summed = np.bincount(inverse, weights=count, minlength=unique_key.size)
        keep = summed > 0
        unique_key, summed = unique_key[keep], summed[keep]
        object.__setattr__(self, "n_models", n_models)
        object.__setattr__(self, "model_a", unique_key // 4 // n_models)
        object.__setattr__(self, "model_b", unique_key // 4 % n_models)
        object.__setattr__(self, "outcome", (unique_key % 4).astype(np.int8))
        object.__setattr__(self, "count", summed)
        for array in (self.model_a, self.model_b, self.outcome, self.count):
            array.flags.writeable = False

    @classmethod
    def from_votes(
        cls,
        model_a: np.ndarray,
        model_b: np.ndarray,
        outcome: np.ndarray,
        *,
        n_models: int,
        weight: np.ndarray | None = None,
    ) -> PairCounts:
        """Aggregate individual votes, each (model_a[v], model_b[v], outcome[v]), shapes (n,).

        Counted by one ``bincount`` over the cell index ``(a K + b) 4 + outcome`` when the
        K x K x 4 cells fit in memory (tens of milliseconds for millions of votes; a sort
        otherwise)."""
        k = int(n_models)
        a = _as_index_array(model_a, "model_a", max(k, 1))
        b = _as_index_array(model_b, "model_b", max(k, 1))
        o = np.asarray(outcome)
        cells = 4 * k * k
        if (
            weight is not None
            or k < 1
            or a.shape != b.shape
            or o.shape != a.shape
            or cells > max(_BINCOUNT_CELLS, 4 * a.size)
            or not np.issubdtype(o.dtype, np.integer)
            or (o.size and (o.min() < 0 or o.max() > 3))
        ):
            # Unusual input: the constructor validates (with its messages) and aggregates.
            count = np.ones(len(a)) if weight is None else np.asarray(weight, dtype=float)
            return cls(n_models, model_a, model_b, outcome, count)
        key = (a * k + b) * 4 + o.astype(np.int64)
        summed = np.bincount(key, minlength=cells)
        present = np.flatnonzero(summed)
        return cls(
            k,
            present // 4 // k,
            present // 4 % k,
            (present % 4).astype(np.int8),
            summed[present].astype(np.float64),
        )

    @property
    def n_votes(self) -> float:
        return float(self.count.sum())

    def swapped(self) -> PairCounts:
        """The same votes with A and B exchanged and the outcomes flipped accordingly."""
        return PairCounts(
            self.n_models, self.model_b, self.model_a, FLIPPED[self.outcome], self.count
        )

    def per_model_totals(self) -> dict[str, np.ndarray]:
        """Votes, wins, ties (tie + both bad) and losses per model, each (K,) float64."""
        k = self.n_models
        c = self.count
        both = np.bincount(self.model_a, c, k) + np.bincount(self.model_b, c, k)
        win_a = self.outcome == Outcome.A_WINS
        win_b = self.outcome == Outcome.B_WINS
        wins = np.bincount(self.model_a[win_a], c[win_a], k) + np.bincount(
            self.model_b[win_b], c[win_b], k
        )
        losses = np.bincount(self.model_b[win_a], c[win_a], k) + np.bincount(
            self.model_a[win_b], c[win_b], k
        )
        return {"votes": both, "wins": wins, "ties": both - wins - losses, "losses": losses}


@dataclass(frozen=True, eq=False)
class StyleCounts:
    """Votes with style covariates, aggregated per distinct (A, B, outcome, feature diff) row.

    Attributes:
        n_models: K.
        model_a, model_b: (m,) int64 model indices.
        outcome: (m,) int8 :class:`Outcome` values.
        features: (m, F) float64, the style difference of A minus B for the row, typically
            from :func:`ranking.stats.style.style_difference` (one column per feature).
        count: (m,) float64 number of votes (or summed weights) with exactly these values.
        feature_names: F names, for reporting only.
    """

    n_models: int
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    features: np.ndarray
    count: np.ndarray
    feature_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        base = PairCounts(
            self.n_models, self.model_a, self.model_b, self.outcome, np.ones(len(self.model_a))
        )
        del base  # only validates indices and outcomes
        features = np.asarray(self.features, dtype=np.float64)
        m = len(self.model_a)
        if features.ndim != 2 or features.shape[0] != m:
            raise ValueError(f"features must have shape (m, F) with m={m}")
        if not np.all(np.isfinite(features)):
            raise ValueError("features must be finite")
        names = tuple(self.feature_names) or tuple(f"f{i}" for i in range(features.shape[1]))
        if len(names) != features.shape[1]:
            raise ValueError("feature_names must name every feature column")
        rows = np.column_stack([self.model_a, self.model_b, self.outcome, features]).astype(
            np.float64
        )
        unique_rows, inverse = np.unique(rows, axis=0, return_inverse=True)
        count = np.bincount(
            inverse.ravel(), weights=np.asarray(self.count, float), minlength=len(unique_rows)
        )
        keep = count > 0
        unique_rows = unique_rows[keep]
        object.__setattr__(self, "n_models", int(self.n_models))
        object.__setattr__(self, "model_a", unique_rows[:, 0].astype(np.int64))
        object.__setattr__(self, "model_b", unique_rows[:, 1].astype(np.int64))
        object.__setattr__(self, "outcome", unique_rows[:, 2].astype(np.int8))
        object.__setattr__(self, "features", unique_rows[:, 3:])
        object.__setattr__(self, "count", count[keep])
        object.__setattr__(self, "feature_names", names)

    def pair_counts(self) -> PairCounts:
        """The same votes without their style features."""
        return PairCounts(self.n_models, self.model_a, self.model_b, self.outcome, self.count)
