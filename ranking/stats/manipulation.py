"""Tests of a voter's votes against honest behaviour: pure functions over arrays.

Each returns the p-value of what was seen under the hypothesis that the voter is honest:
chooses which battles to vote on without regard to the (hidden) models, and votes as the
current ratings predict. ``ranking.integrity`` runs them per session and per network and
flags p-values below a threshold. Min et al. (2025, "Improving Your Model Ranking on
Chatbot Arena by Vote Rigging") filter votes by their likelihood under the ratings; the
selective-voting test is ours and is what catches a target-only rigger with perfect
recognition of the target's outputs, who must skip the battles the target is not in.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr
from scipy.stats import hypergeom

from ranking.stats.bradley_terry import elo_factor


def win_probability(score_a: np.ndarray, score_b: np.ndarray) -> np.ndarray:
    """P(A beats B) for scores on the Elo scale: ``1 / (1 + 10^((b - a) / 400))``."""
    return 1.0 / (1.0 + np.exp((np.asarray(score_b) - np.asarray(score_a)) / elo_factor()))


def selective_voting_p(*, served: int, served_with: int, voted: int, voted_with: int) -> float:
    """P(at least ``voted_with`` of the ``voted`` battles show the model), when the voter
    picked which of its ``served`` battles to vote on blind to the models, ``served_with``
    of them showing the model: the hypergeometric upper tail (one-sided Fisher test).

    An honest voter who votes on every battle gets 1; a rigger who votes only when the
    target is on screen gets about ``(served_with / served) ** voted``."""
    if voted_with <= 0:
        return 1.0
    return float(hypergeom.sf(voted_with - 1, served, served_with, voted))


def surprisal_p(p_observed: np.ndarray) -> float:
    """One-sided p-value of the votes' total log-likelihood being this low for honest
    votes. ``p_observed[i]`` is the probability the ratings gave to the outcome vote i
    actually had (decisive votes only: P(A wins) if A won, else P(B wins)).

    The total surprisal ``-sum log p`` is compared with its mean and variance under the
    ratings (each vote a Bernoulli draw) by a normal approximation: z = (observed -
    expected) / sd, p = Phi(-z)."""
    p = np.clip(np.asarray(p_observed, dtype=float), 1e-9, 1 - 1e-9)
    if p.size == 0:
        return 1.0
    entropy = -(p * np.log(p) + (1 - p) * np.log(1 - p))
    variance = p * (1 - p) * np.log(p / (1 - p)) ** 2
    surprisal = -np.log(p).sum()
    sd = np.sqrt(variance.sum())
    if sd == 0:
        return 1.0
    return float(ndtr(-(surprisal - entropy.sum()) / sd))


def favour_p(p_success: np.ndarray, successes: int) -> float:
    """P(at least ``successes`` successes) in independent Bernoulli draws with
    probabilities ``p_success`` (the Poisson-binomial upper tail, computed exactly).

    With the probabilities that a model wins each of a voter's votes it took part in, this
    is the chance an honest voter favours it as much; with the probabilities that it loses,
    the chance an honest voter is as hard on it (a "downvote a rival" attacker)."""
    p = np.asarray(p_success, dtype=float)
    if successes <= 0:
        return 1.0
    if successes > p.size:
        return 0.0
    distribution = np.zeros(p.size + 1)
    distribution[0] = 1.0
    for probability in p:
        distribution[1:] = distribution[1:] * (1 - probability) + distribution[:-1] * probability
        distribution[0] *= 1 - probability
    return float(min(1.0, distribution[successes:].sum()))


def combined_p(p_values: list[float]) -> float:
    """Fisher's combination of independent p-values: ``-2 sum log p`` is chi-squared with
    ``2k`` degrees of freedom under the null hypothesis."""
    from scipy.stats import chi2

    p = np.clip(np.asarray(p_values, dtype=float), 1e-300, 1.0)
    return float(chi2.sf(-2.0 * np.log(p).sum(), 2 * p.size))
