"""Online Elo in time order: a secondary, order-dependent view (Elo 1978).

Unlike the Bradley-Terry fit, the result depends on vote order and on K; Chatbot Arena shows
it with K=4 as a historical curiosity. Ties and "both bad" count as half a win.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pairwise.outcomes import CREDIT_A


@dataclass(frozen=True, eq=False)
class OnlineElo:
    """scores: (K,) ratings after the last vote; the parameters that produced them."""

    scores: np.ndarray
    k: float
    scale: float
    base: float
    initial: float
    n_votes: int


@dataclass(frozen=True, eq=False)
class OnlineEloPath:
    """after: (n, 2) ratings of side A and side B right after each vote, in vote order;
    final: the ratings after the last vote."""

    after: np.ndarray
    final: OnlineElo


def elo_online_path(
    model_a: np.ndarray,
    model_b: np.ndarray,
    outcome: np.ndarray,
    *,
    n_models: int,
    k: float = 4.0,
    scale: float = 400.0,
    base: float = 10.0,
    initial: float = 1000.0,
) -> OnlineEloPath:
    """Sequential Elo updates over votes in time order, keeping every step so a model's
    rating can be followed over time; model_a, model_b, outcome: (n,)."""
    model_a = np.asarray(model_a, dtype=np.int64)
    model_b = np.asarray(model_b, dtype=np.int64)
    outcome = np.asarray(outcome, dtype=np.int64)
    credit = CREDIT_A[outcome]
    rating = [float(initial)] * n_models
    after = np.empty((model_a.size, 2))
    steps = zip(model_a.tolist(), model_b.tolist(), credit.tolist(), strict=True)
    for step, (a, b, s) in enumerate(steps):
        expected = 1.0 / (1.0 + base ** ((rating[b] - rating[a]) / scale))
        delta = k * (s - expected)
        rating[a] += delta
        rating[b] -= delta
        after[step] = rating[a], rating[b]
    final = OnlineElo(np.array(rating), k, scale, base, initial, int(model_a.size))
    return OnlineEloPath(after, final)


def elo_online(*args: object, **kwargs: object) -> OnlineElo:
    """The ratings after sequential Elo updates over votes in time order: the arguments of
    :func:`elo_online_path`, only the end of the path."""
    return elo_online_path(*args, **kwargs).final
