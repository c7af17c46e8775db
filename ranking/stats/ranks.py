"""Ranks and win-rate matrices derived from scores, intervals and counts."""

from __future__ import annotations

import numpy as np

from ranking.stats.types import Outcome, PairCounts


def rank_by_score(score: np.ndarray) -> np.ndarray:
    """(K,) int rank, 1 = best: 1 + the number of models with a strictly higher score.

    Models with a NaN score get rank 0 (no rank).
    """
    score = np.asarray(score, dtype=np.float64)
    valid = ~np.isnan(score)
    ordered = np.sort(score[valid])
    rank = np.zeros(score.shape, dtype=np.int64)
    rank[valid] = 1 + ordered.size - np.searchsorted(ordered, score[valid], side="right")
    return rank


def rank_by_intervals(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rank (UB), Chatbot Arena's: 1 + the number of models whose lower bound is above this
    model's upper bound. lower, upper: (K,); returns (K,) int; NaN bounds count as unknown
    (a NaN lower bound is never above, a model with a NaN upper bound gets rank 0)."""
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    finite_lower = np.sort(lower[~np.isnan(lower)])
    rank = np.zeros(upper.shape, dtype=np.int64)
    valid = ~np.isnan(upper)
    rank[valid] = 1 + finite_lower.size - np.searchsorted(finite_lower, upper[valid], side="right")
    return rank


def pair_matrices(counts: PairCounts) -> tuple[np.ndarray, np.ndarray]:
    """(K, K) votes between i and j (symmetric) and (K, K) wins of i over j, ties counting half."""
    k = counts.n_models
    a, b, outcome, count = counts.model_a, counts.model_b, counts.outcome, counts.count
    games = np.zeros((k, k))
    np.add.at(games, (a, b), count)
    games += games.T
    credit_a = np.where(
        outcome == Outcome.A_WINS, 1.0, np.where(outcome == Outcome.B_WINS, 0.0, 0.5)
    )
    wins = np.zeros((k, k))
    np.add.at(wins, (a, b), credit_a * count)
    np.add.at(wins, (b, a), (1.0 - credit_a) * count)
    return games, wins


def observed_win_rates(counts: PairCounts) -> np.ndarray:
    """(K, K) observed share of i's votes against j that i won (ties half); NaN if never met."""
    games, wins = pair_matrices(counts)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(games > 0, wins / games, np.nan)


def predicted_win_rates(
    score: np.ndarray, *, scale: float = 400.0, base: float = 10.0
) -> np.ndarray:
    """(K, K) Bradley-Terry P(i beats j) from Elo-scale scores (K,); the diagonal is NaN."""
    score = np.asarray(score, dtype=np.float64)
    p = 1.0 / (1.0 + base ** ((score[None, :] - score[:, None]) / scale))
    np.fill_diagonal(p, np.nan)
    return p


def average_win_rate(score: np.ndarray, *, scale: float = 400.0, base: float = 10.0) -> np.ndarray:
    """(K,) predicted win rate against every other model, equally weighted (Chatbot Arena's
    "average win rate"); NaN scores are left out."""
    p = predicted_win_rates(score, scale=scale, base=base)
    with np.errstate(invalid="ignore"):
        return np.nanmean(p, axis=1) if p.shape[0] > 1 else np.full(p.shape[0], np.nan)
