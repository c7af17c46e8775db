"""Ranks and win-rate matrices derived from scores, intervals and counts."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from pairwise.matrices import observed_win_rates as observed_from_matrices
from pairwise.matrices import pair_matrices, predicted_win_rates
from ranking.stats.types import PairCounts


def _within(
    rank: Callable[..., np.ndarray], groups: np.ndarray | None, *arrays: np.ndarray
) -> np.ndarray:
    """``rank(*arrays)`` computed separately within each group label >= 0 (rank 0 elsewhere)."""
    arrays = tuple(np.asarray(array, dtype=np.float64) for array in arrays)
    if groups is None:
        return rank(*arrays)
    groups = np.asarray(groups)
    result = np.zeros(groups.shape, dtype=np.int64)
    for label in np.unique(groups[groups >= 0]):
        members = groups == label
        result[members] = rank(*(array[members] for array in arrays))
    return result


def rank_by_score(score: np.ndarray, *, groups: np.ndarray | None = None) -> np.ndarray:
    """(K,) int rank, 1 = best: 1 + the number of models with a strictly higher score.

    Models with a NaN score get rank 0 (no rank). With ``groups`` (K,) (connected components,
    -1 for none), models are ranked only against models of their own group.
    """
    return _within(_rank_by_score, groups, score)


def _rank_by_score(score: np.ndarray) -> np.ndarray:
    valid = ~np.isnan(score)
    ordered = np.sort(score[valid])
    rank = np.zeros(score.shape, dtype=np.int64)
    rank[valid] = 1 + ordered.size - np.searchsorted(ordered, score[valid], side="right")
    return rank


def rank_by_intervals(
    lower: np.ndarray, upper: np.ndarray, *, groups: np.ndarray | None = None
) -> np.ndarray:
    """Rank (UB), Chatbot Arena's: 1 + the number of models whose lower bound is above this
    model's upper bound. lower, upper: (K,); returns (K,) int; NaN bounds count as unknown
    (a NaN lower bound is never above, a model with a NaN upper bound gets rank 0). With
    ``groups`` (K,), only models of the same group count (a model is never ranked below a
    model it was never compared with, even indirectly)."""
    return _within(_rank_by_intervals, groups, lower, upper)


def _rank_by_intervals(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    finite_lower = np.sort(lower[~np.isnan(lower)])
    rank = np.zeros(upper.shape, dtype=np.int64)
    valid = ~np.isnan(upper)
    rank[valid] = 1 + finite_lower.size - np.searchsorted(finite_lower, upper[valid], side="right")
    return rank


def observed_win_rates(counts: PairCounts) -> np.ndarray:
    """(K, K) observed share of i's votes against j that i won (ties half); NaN if never met."""
    games, wins = pair_matrices(
        counts.n_models, counts.model_a, counts.model_b, counts.outcome, counts.count
    )
    return observed_from_matrices(games, wins)


def average_win_rate(score: np.ndarray, *, scale: float = 400.0, base: float = 10.0) -> np.ndarray:
    """(K,) predicted win rate against every other model, equally weighted (Chatbot Arena's
    "average win rate"); NaN scores are left out."""
    p = predicted_win_rates(score, scale=scale, base=base)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a model without a score: NaN
        return np.nanmean(p, axis=1) if p.shape[0] > 1 else np.full(p.shape[0], np.nan)
