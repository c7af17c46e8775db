"""The one call the product makes: counts in, a leaderboard's worth of numbers out."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ranking.stats.bootstrap import (
    BootstrapResult,
    analytic_intervals,
    bootstrap_intervals,
    percentile_intervals,
)
from ranking.stats.bradley_terry import (
    DEFAULT_PRIOR,
    DEFAULT_TOL,
    Ties,
    elo_factor,
    fit_bradley_terry,
    to_elo_scale,
)
from ranking.stats.ranks import (
    average_win_rate,
    observed_win_rates,
    predicted_win_rates,
    rank_by_intervals,
    rank_by_score,
)
from ranking.stats.resample import Resample
from ranking.stats.types import ENGINE_VERSION, PairCounts, StyleCounts

Interval = Literal["bootstrap", "analytic"]


@dataclass(frozen=True, eq=False)
class Ratings:
    """Scores with intervals and ranks for K models, and every parameter that produced them.

    Per model, each (K,): ``score`` (Elo scale), ``ci_low``, ``ci_high``, ``rank`` (1 = best,
    by score), ``rank_ub`` (Chatbot Arena's Rank (UB)), ``votes``, ``wins``, ``ties`` (tie and
    both bad), ``losses``, ``avg_win_rate`` (predicted, against all others equally weighted).

    ``replicates``: (R, K) float32 Elo-scale bootstrap scores (anchored like ``score`` in every
    round; NaN where a model got no votes in the round), so derived figures (the best of one
    group minus the best of another) can get intervals per replicate; empty (0, K) for
    analytic intervals. ``observed_win_rate`` and ``predicted_win_rate`` are (K, K).
    """

    n_models: int
    score: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    rank: np.ndarray
    rank_ub: np.ndarray
    votes: np.ndarray
    wins: np.ndarray
    ties: np.ndarray
    losses: np.ndarray
    avg_win_rate: np.ndarray
    replicates: np.ndarray
    observed_win_rate: np.ndarray
    predicted_win_rate: np.ndarray
    warnings: tuple[str, ...]
    tie_model: str
    prior: float
    rounds: int
    seed: int
    resample: str
    interval: str
    level: float
    anchor: tuple[int, float] | None
    mean: float
    scale: float
    base: float
    tol: float
    n_votes: float
    tie_parameter: float | None
    style_coef: dict[str, float]
    version: str = ENGINE_VERSION

    def order(self) -> np.ndarray:
        """(K,) model indices from the highest score to the lowest (stable on ties)."""
        return np.argsort(-self.score, kind="stable")


def rate(
    counts: PairCounts | StyleCounts,
    *,
    ties: Ties = "half",
    rounds: int = 1000,
    seed: int = 0,
    anchor: tuple[int, float] | None = None,
    resample: Resample = "multinomial",
    interval: Interval = "bootstrap",
    level: float = 0.95,
    prior: float = DEFAULT_PRIOR,
    tol: float = DEFAULT_TOL,
    max_iter: int = 100,
    scale: float = 400.0,
    base: float = 10.0,
    mean: float = 1000.0,
    workers: int | None = None,
) -> Ratings:
    """Fit, bootstrap (or analytic intervals) and rank: the full leaderboard computation.

    Args:
        counts: aggregated votes over K models (:class:`StyleCounts` for style control).
        ties: tie treatment, see :func:`fit_bradley_terry`.
        rounds, seed, resample, level: bootstrap settings; ``seed`` seeds
            ``np.random.default_rng``.
        anchor: ``(model index, score)`` fixing the level; default: mean score ``mean``.
        interval: ``"bootstrap"`` (percentile) or ``"analytic"`` (sandwich, normal).
        prior, tol, max_iter: fit settings (a fit that stops at ``max_iter`` before
            converging says so in ``warnings``). scale, base: the Elo scale (400, 10).
        workers: bootstrap threads (default: CPU count; results do not depend on it).
    """
    anchor = _checked_anchor(anchor, counts.n_models)
    fit = fit_bradley_terry(counts, ties=ties, prior=prior, tol=tol, max_iter=max_iter)
    elo = functools.partial(to_elo_scale, scale=scale, base=base, anchor=anchor, mean=mean)
    score = elo(fit.theta)
    if interval == "bootstrap":
        boot = bootstrap_intervals(
            counts,
            fit,
            rounds=rounds,
            rng=np.random.default_rng(seed),
            resample=resample,
            level=level,
            workers=workers,
        )
        replicates = elo(boot.replicates).astype(np.float32)
        ci_low, ci_high = percentile_intervals(replicates.astype(np.float64), level)
        warnings = fit.warnings + _bootstrap_warnings(boot)
    elif interval == "analytic":
        if ties == "davidson":
            raise ValueError("analytic intervals are available for ties='half' or 'drop'")
        half_width, _ = analytic_intervals(
            fit, level=level, anchor=None if anchor is None else anchor[0]
        )
        half_width = half_width * elo_factor(scale, base)
        ci_low, ci_high = score - half_width, score + half_width
        replicates = np.empty((0, counts.n_models), dtype=np.float32)
        rounds, warnings = 0, fit.warnings
    else:
        raise ValueError("interval must be 'bootstrap' or 'analytic'")
    pair_counts = counts.pair_counts() if isinstance(counts, StyleCounts) else counts
    style_coef = {}
    if fit.style_coef is not None:
        style_coef = dict(zip(fit.style_names, fit.style_coef.tolist(), strict=True))
    return Ratings(
        n_models=counts.n_models,
        score=score,
        ci_low=ci_low,
        ci_high=ci_high,
        rank=rank_by_score(score),
        rank_ub=rank_by_intervals(ci_low, ci_high),
        **pair_counts.per_model_totals(),
        avg_win_rate=average_win_rate(score, scale=scale, base=base),
        replicates=replicates,
        observed_win_rate=observed_win_rates(pair_counts),
        predicted_win_rate=predicted_win_rates(score, scale=scale, base=base),
        warnings=warnings,
        tie_model=ties,
        prior=prior,
        rounds=rounds,
        seed=seed,
        resample=resample,
        interval=interval,
        level=level,
        anchor=anchor,
        mean=mean,
        scale=scale,
        base=base,
        tol=tol,
        n_votes=pair_counts.n_votes,
        tie_parameter=fit.tie_parameter,
        style_coef=style_coef,
    )


def _checked_anchor(anchor: tuple[int, float] | None, n_models: int) -> tuple[int, float] | None:
    if anchor is None:
        return None
    index, value = anchor
    if not 0 <= int(index) < n_models:
        raise ValueError(f"anchor index {index} is not a model index")
    return int(index), float(value)


def _bootstrap_warnings(boot: BootstrapResult) -> tuple[str, ...]:
    """Refits that did not converge leave their last iterate in the replicates: say so."""
    if not boot.unconverged_rounds:
        return ()
    return (
        f"{boot.unconverged_rounds} of {boot.rounds} bootstrap refits did not converge: "
        "the intervals include their last iterates",
    )
