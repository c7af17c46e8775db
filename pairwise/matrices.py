"""Win-rate matrices: who met whom, who won (ties half), and what scores predict."""

from __future__ import annotations

import numpy as np

from pairwise.outcomes import CREDIT_A


def pair_matrices(
    n_models: int, model_a: np.ndarray, model_b: np.ndarray, outcome: np.ndarray, count: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(K, K) votes between i and j (symmetric) and (K, K) wins of i over j, ties counting
    half, from cells (model A index, model B index, outcome code, count)."""
    a = np.asarray(model_a, dtype=np.int64)
    b = np.asarray(model_b, dtype=np.int64)
    count = np.asarray(count, dtype=np.float64)
    credit = CREDIT_A[np.asarray(outcome, dtype=np.int64)]
    games = np.zeros((n_models, n_models))
    np.add.at(games, (a, b), count)
    games += games.T
    wins = np.zeros((n_models, n_models))
    np.add.at(wins, (a, b), credit * count)
    np.add.at(wins, (b, a), (1.0 - credit) * count)
    return games, wins


def observed_win_rates(games: np.ndarray, wins: np.ndarray) -> np.ndarray:
    """(K, K) share of i's votes against j that i won; NaN where they never met."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(games > 0, wins / np.where(games > 0, games, 1.0), np.nan)


def predicted_win_rates(
    score: np.ndarray, *, scale: float = 400.0, base: float = 10.0
) -> np.ndarray:
    """(K, K) Bradley-Terry P(i beats j) from Elo-scale scores (K,); the diagonal is NaN."""
    score = np.asarray(score, dtype=np.float64)
    p = 1.0 / (1.0 + base ** ((score[None, :] - score[:, None]) / scale))
    np.fill_diagonal(p, np.nan)
    return p
