"""Seeded synthetic arenas with known strengths, for tests and benchmarks.

Votes follow the Bradley-Terry model with half ties exactly: for models i, j with
``p = P_BT(i beats j)``, a vote is a tie (or, half of those, "both bad") with probability
``2 * tie_rate * min(p, 1 - p)`` and otherwise a win, so that
``P(i wins) + P(tie) / 2 = p``. The half-tie MLE is therefore consistent for the true scores.

Pairing:
  * ``window=None``: every vote compares two distinct models chosen uniformly.
  * ``window=w``: models are "released" in index order and a vote compares two models whose
    indices are within ``w`` of each other (a sliding window, like an arena where models
    come and go); only about ``K * w`` pairs are ever compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ranking.stats.types import PairCounts


@dataclass(frozen=True, eq=False)
class SyntheticArena:
    """counts: the aggregated votes; true_scores: (K,) Elo scale, mean 1000; votes: (n,) arrays."""

    counts: PairCounts
    true_scores: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    seed: int


def synthetic_arena(
    n_models: int,
    n_votes: int,
    *,
    seed: int,
    spread: float = 150.0,
    tie_rate: float = 0.3,
    window: int | None = None,
    keep_votes: bool = True,
) -> SyntheticArena:
    """A seeded arena of ``n_votes`` votes over ``n_models`` models with N(1000, spread²) scores."""
    rng = np.random.default_rng(seed)
    true_scores = rng.normal(0.0, spread, n_models)
    true_scores += 1000.0 - true_scores.mean()
    width = n_models if window is None else min(window, n_models)
    start = rng.integers(0, n_models - width + 1, n_votes)
    first = rng.integers(0, width, n_votes)
    second = (first + 1 + rng.integers(0, width - 1, n_votes)) % width
    model_a = (start + first).astype(np.int32)
    model_b = (start + second).astype(np.int32)
    p = 1.0 / (1.0 + 10.0 ** ((true_scores[model_b] - true_scores[model_a]) / 400.0))
    p_tie = 2.0 * tie_rate * np.minimum(p, 1.0 - p)
    u = rng.random(n_votes)
    outcome = np.where(
        u < p - p_tie / 2, 0, np.where(u < 1.0 - p_tie, 1, np.where(u < 1.0 - p_tie / 2, 2, 3))
    ).astype(np.int8)
    key = (model_a.astype(np.int64) * n_models + model_b) * 4 + outcome
    unique_key, count = np.unique(key, return_counts=True)
    counts = PairCounts(
        n_models,
        unique_key // 4 // n_models,
        unique_key // 4 % n_models,
        unique_key % 4,
        count.astype(np.float64),
    )
    if not keep_votes:
        model_a = model_b = np.empty(0, np.int32)
        outcome = np.empty(0, np.int8)
    return SyntheticArena(counts, true_scores, model_a, model_b, outcome, seed)
