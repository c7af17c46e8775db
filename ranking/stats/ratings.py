"""The one call the product makes: counts in, a leaderboard's worth of numbers out."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np
from threadpoolctl import threadpool_limits

from ranking.stats.bootstrap import (
    BootstrapPlan,
    BootstrapResult,
    analytic_intervals,
    bootstrap_intervals,
    min_bootstrap_rounds,
    percentile_intervals,
)
from ranking.stats.bradley_terry import (
    DEFAULT_PRIOR,
    DEFAULT_TOL,
    BTFit,
    Ties,
    elo_factor,
    fit_bradley_terry,
    logit_rows,
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
from ranking.stats.separation import (
    Identification,
    ReplicateCheck,
    align_rounds,
    identify,
    open_side_bounds,
)
from ranking.stats.types import ENGINE_VERSION, Note, PairCounts, StyleCounts

Interval = Literal["bootstrap", "analytic"]

#: The most votes (summed counts) one fit accepts. Far above any arena (Chatbot Arena had
#: under 3 million in 2024); beyond it the float64 curvature of the fit loses the prior's
#: 1e-5 next to the counts and the resampling tables grow with the square root of a count.
MAX_VOTES = 1e9
#: The name of the thread that tallies the votes during the fit (ended before any fork).
TALLY_THREAD = "vote-tally"


@dataclass(frozen=True, eq=False)
class Ratings:
    """Scores with intervals and ranks for K models, and every parameter that produced them.

    Per model, each (K,): ``score`` (Elo scale), ``ci_low``, ``ci_high`` (``-inf`` / ``+inf``
    where the votes do not bound the score on that side), ``rank`` (1 = best, by score, within
    the model's connected component), ``rank_ub`` (Chatbot Arena's Rank (UB), within the
    component), ``component`` (connected component of the comparison graph, 0 = the one with
    the most votes), ``rated`` (False for a model without votes in the fit: its score,
    interval and ``avg_win_rate`` are NaN, its ranks 0 and its component -1), ``open_above``
    and ``open_below`` (the full data leave the score unbounded on that side), ``votes``,
    ``wins``, ``ties`` (tie and both bad), ``losses``, ``avg_win_rate`` (predicted, against
    all others equally weighted).

    ``replicates``: (R, K) float32 Elo-scale bootstrap scores (anchored like ``score`` in every
    round; NaN where a model got no votes in the round), so derived figures (the best of one
    group minus the best of another) can get intervals per replicate; empty (0, K) for
    analytic intervals. ``openness``: (R, K) int8, per round, 0 where the round's votes bound
    the score, else the code of :mod:`ranking.stats.separation` (the replicate value there is
    where the prior stopped the refit). ``observed_win_rate`` and ``predicted_win_rate`` are
    (K, K). ``warnings`` are :class:`Note` s; :meth:`warning_texts` names their models.
    """

    n_models: int
    score: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    rank: np.ndarray
    rank_ub: np.ndarray
    component: np.ndarray
    rated: np.ndarray
    open_above: np.ndarray
    open_below: np.ndarray
    votes: np.ndarray
    wins: np.ndarray
    ties: np.ndarray
    losses: np.ndarray
    avg_win_rate: np.ndarray
    replicates: np.ndarray
    openness: np.ndarray
    observed_win_rate: np.ndarray
    predicted_win_rate: np.ndarray
    warnings: tuple[Note, ...]
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
        """(K,) model indices from the highest score to the lowest (stable on ties; models
        without a score last)."""
        return np.argsort(-self.score, kind="stable")

    def warning_texts(self, labels: Sequence[str]) -> list[str]:
        """The warnings as sentences naming their models by ``labels[i]``."""
        return [note.render(labels) for note in self.warnings]


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
    runner: Callable[[BootstrapPlan], list[tuple]] | None = None,
) -> Ratings:
    """Fit, bootstrap (or analytic intervals) and rank: the full leaderboard computation.

    Args:
        counts: aggregated votes over K models (:class:`StyleCounts` for style control).
        ties: tie treatment, see :func:`fit_bradley_terry`.
        rounds, seed, resample, level: bootstrap settings; ``seed`` seeds
            ``np.random.default_rng``; ``rounds`` at least :func:`min_bootstrap_rounds`.
        anchor: ``(model index, finite score)`` fixing the level; default: the mean score of
            the reference models (every rated model when the votes bound every score) is
            ``mean``.
        interval: ``"bootstrap"`` (percentile) or ``"analytic"`` (sandwich, normal).
        prior, tol, max_iter: fit settings (a fit that stops at ``max_iter`` before
            converging says so in ``warnings``). scale, base: the Elo scale (400, 10).
        workers: cores the bootstrap uses, forked processes on Linux, threads elsewhere
            (default: CPU count; results do not depend on it).
        runner: who runs the bootstrap's blocks (:func:`bootstrap_intervals`, whatever
            ``ties``); results do not depend on it either.

    Raises:
        ValueError: input it cannot rate (too few rounds, too many votes, a bad anchor, fewer
            than two models with votes in the fit), with a one-line reason.
    """
    anchor = _checked_anchor(anchor, counts.n_models)
    _check_request(counts, rounds=rounds, interval=interval, level=level, ties=ties)
    pair_counts = counts.pair_counts() if isinstance(counts, StyleCounts) else counts
    # The votes' own summaries feed only the result: a second thread computes them while the
    # fit, which the bootstrap's workers wait for, keeps the first core. The thread has
    # ended before the bootstrap forks them (leaving the executor waits for it, 0.2-0.4 ms
    # after the fit at K = 200 and 1,000: the tallies take 0.4 of the fit's time): a child
    # forked beside a running thread may inherit a lock that thread held, never to be
    # released (Python 3.12 warns of it).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=TALLY_THREAD) as tallies:
        vote_summary = tallies.submit(_vote_summary, pair_counts)
        # BLAS on one thread: the fit's dense solves are small (K x K), and OpenBLAS's
        # threads only spin when other threads or processes hold the cores (a K = 200
        # Cholesky factor took 50-150 ms that way on a loaded machine, 0.5 ms on one thread).
        with threadpool_limits(limits=1, user_api="blas"):
            fit = fit_bradley_terry(counts, ties=ties, prior=prior, tol=tol, max_iter=max_iter)
    assert fit.credit is not None and fit.credit_count is not None
    ident = identify(fit.credit, fit.credit_count, anchor=None if anchor is None else anchor[0])
    _check_rated(ident, anchor, ties)
    elo = functools.partial(
        to_elo_scale, scale=scale, base=base, anchor=anchor, mean=mean, reference=ident.reference
    )
    score = elo(fit.theta)
    score[~ident.rated] = np.nan
    notes = _fit_notes(fit.warnings, ident)
    if interval == "bootstrap":
        boot = bootstrap_intervals(
            counts,
            fit,
            rounds=rounds,
            rng=np.random.default_rng(seed),
            resample=resample,
            level=level,
            workers=workers,
            runner=runner,
            check=ReplicateCheck(
                fit.credit,
                ident,
                fit.credit_count,
                anchor=None if anchor is None else anchor[0],
            ),
        )
        points = elo(boot.replicates)
        if anchor is None and boot.round_reference is not None:
            points = align_rounds(points, boot.round_reference, ident, score)
        replicates = points.astype(np.float32)
        openness = boot.openness
        ci_low, ci_high = percentile_intervals(replicates.astype(np.float64), level, openness)
        notes += _bootstrap_warnings(boot)
    else:
        half_width, _ = analytic_intervals(
            fit,
            level=level,
            anchor=None if anchor is None else anchor[0],
            reference=ident.reference,
        )
        half_width = half_width * elo_factor(scale, base)
        ci_low, ci_high = score - half_width, score + half_width
        replicates = np.empty((0, counts.n_models), dtype=np.float32)
        openness = np.empty((0, counts.n_models), dtype=np.int8)
        rounds = 0
    if ident.separated:
        ci_low, ci_high = _open_sides(
            fit,
            ident,
            score,
            ci_low,
            ci_high,
            level=level,
            anchored=anchor is not None,
            points=elo_factor(scale, base),
        )
    notes += _open_interval_notes(ident, ci_low, ci_high)
    # A percentile interval can miss its own estimate when the replicates are skewed (few
    # votes); it is widened to hold it, so "+x / -y" is never negative.
    ci_low, ci_high = np.fmin(ci_low, score), np.fmax(ci_high, score)
    style_coef = {}
    if fit.style_coef is not None:
        style_coef = dict(zip(fit.style_names, fit.style_coef.tolist(), strict=True))
    return Ratings(
        n_models=counts.n_models,
        score=score,
        ci_low=ci_low,
        ci_high=ci_high,
        rank=rank_by_score(score, groups=ident.component),
        rank_ub=rank_by_intervals(ci_low, ci_high, groups=ident.component),
        component=ident.component,
        rated=ident.rated,
        open_above=ident.open_above,
        open_below=ident.open_below,
        **vote_summary.result(),
        avg_win_rate=average_win_rate(score, scale=scale, base=base),
        replicates=replicates,
        openness=openness if openness is not None else np.zeros(replicates.shape, np.int8),
        predicted_win_rate=predicted_win_rates(score, scale=scale, base=base),
        warnings=notes,
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


def _vote_summary(counts: PairCounts) -> dict[str, np.ndarray]:
    """The :class:`Ratings` fields read straight off the votes: each model's votes, wins, ties
    and losses, and the observed win rate of each pair."""
    return {**counts.per_model_totals(), "observed_win_rate": observed_win_rates(counts)}


def _checked_anchor(anchor: tuple[int, float] | None, n_models: int) -> tuple[int, float] | None:
    if anchor is None:
        return None
    index, value = anchor
    if not 0 <= int(index) < n_models:
        raise ValueError(f"anchor index {index} is not a model index")
    if not math.isfinite(float(value)):
        raise ValueError(f"the anchor score must be a finite number, got {value}")
    return int(index), float(value)


def _check_request(
    counts: PairCounts | StyleCounts, *, rounds: int, interval: str, level: float, ties: str
) -> None:
    """Refuse what cannot give honest numbers, before any work."""
    if interval not in ("bootstrap", "analytic"):
        raise ValueError("interval must be 'bootstrap' or 'analytic'")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    if interval == "bootstrap" and rounds < min_bootstrap_rounds(level):
        raise ValueError(
            f"bootstrap rounds must be at least {min_bootstrap_rounds(level)} for "
            f"{level:.0%} intervals (or use analytic intervals), got {rounds}"
        )
    if interval == "analytic" and ties == "davidson":
        raise ValueError("analytic intervals are available for ties='half' or 'drop'")
    n_votes = float(counts.count.sum())
    if n_votes > MAX_VOTES:
        raise ValueError(
            f"the counts add up to {n_votes:.3g} votes, more than the {MAX_VOTES:.0e} "
            "one fit accepts"
        )


def _check_rated(ident: Identification, anchor: tuple[int, float] | None, ties: str) -> None:
    if int(ident.rated.sum()) < 2:
        dropped = " (ties='drop' leaves out ties and 'both bad' votes)" if ties == "drop" else ""
        raise ValueError(f"fewer than two models have votes to fit{dropped}")
    if anchor is not None and not ident.rated[anchor[0]]:
        raise ValueError("the anchor model has no votes in the fit")


def _open_sides(
    fit: BTFit,
    ident: Identification,
    score: np.ndarray,
    ci_low: np.ndarray,
    ci_high: np.ndarray,
    *,
    level: float,
    anchored: bool,
    points: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Intervals of models the full data leave open: infinite on the open side, and the
    exact one-sided bound of their perfect record on the other (:func:`open_side_bounds`);
    no resampling can find either, since every replicate repeats the perfect record."""
    assert fit.credit is not None and fit.credit_count is not None
    lower, upper = open_side_bounds(
        ident,
        fit.credit,
        fit.credit_count,
        logit_rows(fit),
        score,
        level=level,
        anchored=anchored,
        points=points,
    )
    above, below = ident.open_above, ident.open_below
    low = np.where(above & ~below, lower, ci_low)
    high = np.where(below & ~above, upper, ci_high)
    return np.where(below, -np.inf, low), np.where(above, np.inf, high)


_SUPERSEDED = {"undefeated", "winless", "unrated"}


def _fit_notes(notes: tuple[Note, ...], ident: Identification) -> tuple[Note, ...]:
    """The fit's notes, with those about models without votes, never defeated or never
    winning replaced by what the ratings do about them."""
    kept = tuple(note for note in notes if note.kind not in _SUPERSEDED)
    added = []
    for kind, mask, text in (
        ("unrated", ~ident.rated, "models without votes in the fit are left out (no score)"),
        (
            "open_above",
            ident.open_above,
            "scores the votes do not bound from above (the model, or models it beat, never "
            "lost to the rest of its component): interval open above",
        ),
        (
            "open_below",
            ident.open_below,
            "scores the votes do not bound from below (the model, or models that beat it, "
            "never won against the rest of its component): interval open below",
        ),
    ):
        if mask.any():
            added.append(Note(kind, text, tuple(np.flatnonzero(mask).tolist())))
    return tuple(added) + kept


def _open_interval_notes(
    ident: Identification, ci_low: np.ndarray, ci_high: np.ndarray
) -> tuple[Note, ...]:
    """Intervals open only because too many bootstrap rounds left the score unbounded."""
    resampled = ident.rated & ~ident.open_above & ~ident.open_below
    opened = np.flatnonzero(resampled & (np.isinf(ci_low) | np.isinf(ci_high)))
    if not opened.size:
        return ()
    return (
        Note(
            "open_interval",
            "intervals open on a side: too few votes against the rest to bound the score in "
            "enough bootstrap rounds",
            tuple(opened.tolist()),
        ),
    )


def _bootstrap_warnings(boot: BootstrapResult) -> tuple[Note, ...]:
    """Refits that did not converge leave their last iterate in the replicates: say so."""
    if not boot.unconverged_rounds:
        return ()
    return (
        Note(
            "bootstrap_not_converged",
            f"{boot.unconverged_rounds} of {boot.rounds} bootstrap refits did not converge: "
            "the intervals include their last iterates",
        ),
    )
