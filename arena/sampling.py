"""Which pair of models to serve next: a policy that serves the leaderboard, not chance.

Pure numpy over integer-indexed arrays; the serving plan (``arena.serving_plan``) gathers
the counts off the request path and draws from these weights.

Each candidate pair (i, j) gets the weight

    w_ij = (u_ij + floor) * (1 + boost_i + boost_j)

- ``u_ij`` in (0, 1] is how uncertain the order of i and j still is: ``2 * Phi(-z)`` with
  ``z = |d_ij| / se(d_ij)``, ``d`` being the pair's own win share minus one half, with a
  Laplace prior (``(wins + 1) / (n + 2)``). A pair never played has ``u = 1``.
- ``boost_i = new_model_boost * max(0, 1 - votes_i / new_model_votes)
  + under_voted_boost * max(0, 1 - votes_i / median(votes))``: a new model is served more
  until it has ``new_model_votes`` votes (Chatbot Arena weights new models up the same way),
  and a model with fewer votes than the median is served more until it catches up, so a
  model far above or below the field, whose pairs all look settled, is not starved.
- ``floor`` keeps settled pairs in rotation (they still check for drift and give voters
  variety).

``bench/sampling.py`` measures the effect against uniform sampling (docs/voting.md). A
variant driven by rating snapshots (score differences over their standard errors) measured
no better and was removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

FLOOR = 0.3


@dataclass(frozen=True)
class SamplingCounts:
    """Counted votes between the candidate models (indices 0..K-1).

    votes: (K,) votes each model took part in.
    games: (K, K) symmetric, votes between i and j.
    wins: (K, K) wins of i over j, ties counted half (so wins + wins.T == games).
    """

    votes: np.ndarray
    games: np.ndarray
    wins: np.ndarray


def order_uncertainty(counts: SamplingCounts) -> np.ndarray:
    """(K, K) chance-like uncertainty of each pair's order, 1 off the diagonal when nothing
    is known; the diagonal is 0."""
    share = (counts.wins + 1.0) / (counts.games + 2.0)
    se = np.sqrt(share * (1.0 - share) / (counts.games + 2.0))
    z = np.abs(share - 0.5) / se
    uncertainty = 2.0 * ndtr(-z)
    np.fill_diagonal(uncertainty, 0.0)
    return uncertainty


def pair_weights(
    counts: SamplingCounts,
    *,
    new_model_votes: int,
    new_model_boost: float,
    under_voted_boost: float,
) -> np.ndarray:
    """(K, K) symmetric sampling weights with a zero diagonal (see the module docstring)."""
    boost = np.zeros_like(counts.votes, dtype=float)
    if new_model_votes > 0:
        boost += new_model_boost * np.clip(1.0 - counts.votes / new_model_votes, 0.0, 1.0)
    median = float(np.median(counts.votes)) if counts.votes.size else 0.0
    if median > 0:
        boost += under_voted_boost * np.clip(1.0 - counts.votes / median, 0.0, 1.0)
    weights = (order_uncertainty(counts) + FLOOR) * (1.0 + boost[:, None] + boost[None, :])
    np.fill_diagonal(weights, 0.0)
    return weights
