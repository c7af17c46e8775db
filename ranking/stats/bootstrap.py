"""Bootstrap and analytic uncertainty for Bradley-Terry fits.

Bootstrap (Efron 1979) over votes: every round draws new counts for the distinct vote cells
(:mod:`ranking.stats.resample`) and refits. The refits are vectorised over rounds: all rounds of
a block start from the full-data solution and iterate the chord (simplified Newton) method

    beta <- beta + H^{-1} grad_r(beta)

with ``H`` the full-data Hessian, its inverse shared by every round (:class:`_ChordSolve`,
float32 apart from each component's all-ones direction). Each iteration costs
two sparse products over the non-empty comparison rows (no K^3 work), and since a replicate's
Hessian differs from ``H`` by O(1/sqrt(votes)), the error contracts by that factor per
iteration. A round stops once twice the estimated remaining error (from the ratio of its
last two steps) or its last step is below ``tol``: 3 to 4 iterations. From the second step on,
``H`` is rescaled on each side by the square roots of the round's curvatures against the full
data's (:meth:`_ChordSolve.scale`, estimated from its votes per model and how far its first
step moved the strengths, no pass over the rows): on sparse data a replicate's Hessian differs
from ``H`` mostly on the diagonal, where a strength the round moved changes every curvature of
its rows one way, and the error then contracts by 0.05 a step instead of 0.12 (4.0 steps on
sparse K = 200 data instead of 5.0). Blocks that still contract slowly are Anderson-accelerated
(:class:`_Anderson`). Both keep the fixed point and stopping rule. Rounds that do not
converge (sparse data, a model nearly lost in the replicate) fall back to a full damped Newton
solve.

A model absent from a replicate (no resampled votes) has no defined strength there: its value
is NaN and percentiles ignore it. A model whose score the replicate's votes do not bound on one
side (:mod:`ranking.stats.separation`: it never lost, or never won, against the rest in that
replicate) keeps its refitted value in the replicates, where only the prior stopped it, and
counts as +inf (or -inf) in the percentiles: when more than ``(1 - level) / 2`` of the rounds
are like that, the interval is open on that side.
"""

from __future__ import annotations

import copy
import functools
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Self

import numpy as np
from threadpoolctl import threadpool_limits

from ranking.stats.bradley_terry import (
    BTFit,
    _davidson_cells,
    _davidson_totals,
    _PairTotals,
    cell_codes,
    davidson_hessian,
    davidson_solve,
    expit,
    hessian,
    newton_solve,
)
from ranking.stats.incidence import PairRows, RowPlacement, TransposedRows
from ranking.stats.processes import FORK_AVAILABLE, forked_map
from ranking.stats.resample import (
    RESAMPLE,
    PoissonTable,
    Resample,
    is_integral,
    multinomial_counts,
    poisson_counts,
)
from ranking.stats.separation import OPEN_ABOVE, OPEN_BELOW, UNKNOWN, ReplicateCheck
from ranking.stats.types import PairCounts, StyleCounts

if TYPE_CHECKING:
    import scipy.sparse as sp

BOOTSTRAP_TOL = 1e-5
#: Previous iterates the chord refits' Anderson acceleration mixes (:class:`_Anderson`, 0
#: for the plain chord iteration, at most 2): without the rescaling, 2 took sparse K = 200
#: rounds from 5.6 to 5.0 steps, 1 to 5.3; depths 3 and 5 (a general solve) went no further
#: than 2. With it, it still takes K = 300 boards compared along a chain (window 40, where the
#: rescaling is left out) from 7.1 to 5.3 steps, and K = 40, N = 4,000 from 5.8 to 5.1.
_ANDERSON_DEPTH = 2
#: The chord refits mix (accelerate) a step only in blocks where some round contracted by
#: more than this (its step against the one before): slow blocks, about 0.13, not those of
#: dense data, 0.03-0.05 (or rescaled sparse K = 200 data, 0.05), which stop after 3 (4)
#: steps either way and whose refits the mix cost 12%.
_SLOW = 0.1
#: A round's chord steps are rescaled by its estimated curvatures (:meth:`_ChordSolve.scale`)
#: only while the condition of ``H`` times the largest relative change of a model's scale
#: stays below this (sparse K = 200 rounds: 2.6 x 0.06-0.11, dense ones 3.4 x 0.02-0.03,
#: LMSYS's K = 129 board 155 x 0.01-0.04), and its first step moved no strength by more than
#: ``_FAR_MOVED`` (natural-log units), where the estimate, first-order in that move, holds.
#: Without either, rounds of tiny boards (K = 6-80, 5-100 votes a model) ran away to beyond
#: float32's exponentials; with both, none of 60 such boards did. Nor is a round rescaled
#: where a model's scale is off 1 by more than ``_LARGEST_RESCALING`` (its curvature more than
#: halved or doubled: no first-order change, and a zero estimate would divide by zero).
_SAFE_RESCALING = 5.0
_FAR_MOVED = 0.5
_LARGEST_RESCALING = 0.5
#: A mixed iterate moving a round more than this many times its plain step is not used.
_WILD = 4.0
_BLOCK_ELEMENTS = 1 << 20
#: Rounds per block of the ties-as-half bootstrap: this many (cell or row) x round elements,
#: 2 MB of float32, so that a block's row totals, residuals and steps (rows x rounds each)
#: stay near the core's 1 MB L2 cache. Twice as many, blocks of 25 rounds at K = 200, N =
#: 100 k, made the bootstrap 1.6x slower (docs/performance.md, fifth session).
_REFIT_ELEMENTS = 1 << 19
#: Stand-in for an open side in the percentile computation: finite, so that interpolating
#: between two open rounds gives no NaN; any bound beyond ``_OPEN_LIMIT`` is reported infinite.
_OPEN = 1e300
_OPEN_LIMIT = 1e200


def min_bootstrap_rounds(level: float = 0.95) -> int:
    """The fewest rounds a percentile interval at ``level`` is computed from: enough that each
    tail beyond a bound holds 2.5 rounds on average, ``5 / (1 - level)`` (100 at 95%). With
    fewer, a bound rests on one or two replicates (at one round, the interval is that single
    replicate and can exclude its own estimate)."""
    return math.ceil(round(5.0 / (1.0 - level), 6))


@dataclass(frozen=True, eq=False)
class BootstrapResult:
    """Bootstrap replicates of a fit and their percentile intervals.

    Attributes:
        replicates: (R, K) float64 natural-log strengths per round, on the scale of
            ``BTFit.theta`` (each replicate centred on zero over the models it contains);
            NaN where a model got no votes in the round.
        lower, upper: (K,) percentile bounds of ``replicates`` at ``level``.
        rounds, resample, level, tol: the parameters used.
        fallback_rounds: rounds that needed the full Newton fallback.
        unconverged_rounds: rounds whose refit stopped before converging (kept as they are).
        openness: (R, K) int8 codes of :mod:`ranking.stats.separation` per round and model
            (0: the round's votes bound the score), or ``None`` when not checked.
        round_reference: (R, K) bool, the reference group of each round (``None`` when not
            checked), see :func:`ranking.stats.separation.align_rounds`.
    """

    replicates: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    rounds: int
    resample: str
    level: float
    tol: float
    fallback_rounds: int
    unconverged_rounds: int = 0
    openness: np.ndarray | None = None
    round_reference: np.ndarray | None = None


def percentile_intervals(
    replicates: np.ndarray, level: float = 0.95, openness: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """NaN-safe percentile interval of each column of (R, K) replicates; two (K,) arrays.

    ``openness`` (R, K), if given, marks rounds where a model's score is open above (counted
    as +inf), open below (-inf) or unknown (left out, like NaN); a bound among open rounds is
    infinite.
    """
    marked = openness is not None and bool(np.any(openness != 0))
    if marked:
        replicates = np.where(openness == OPEN_ABOVE, _OPEN, replicates)
        replicates = np.where(openness == OPEN_BELOW, -_OPEN, replicates)
        replicates = np.where(openness == UNKNOWN, np.nan, replicates)
    alpha = (1.0 - level) / 2.0
    lower = np.full(replicates.shape[1], np.nan)
    upper = np.full(replicates.shape[1], np.nan)
    missing = np.isnan(replicates)
    # np.nanquantile sorts column by column in Python; np.quantile, the same values where a
    # column has no NaN, does all columns in one call (4x faster).
    for columns, quantile in (
        (~missing.any(axis=0), np.quantile),
        (missing.any(axis=0) & ~missing.all(axis=0), np.nanquantile),
    ):
        if columns.any():
            bounds = quantile(replicates[:, columns], [alpha, 1.0 - alpha], axis=0)
            lower[columns], upper[columns] = bounds
    if marked:
        lower[lower > _OPEN_LIMIT], upper[upper > _OPEN_LIMIT] = np.inf, np.inf
        lower[lower < -_OPEN_LIMIT], upper[upper < -_OPEN_LIMIT] = -np.inf, -np.inf
    return lower, upper


def _cell_matrices(
    fit: BTFit,
) -> tuple[RowPlacement, PairRows, TransposedRows, np.ndarray, _ChordSolve]:
    """Maps shared by every block: cells to each row's outcome totals (first won, second
    won, tie: three stacked (rows,) blocks; each cell is one of them), the float32 design
    and its transpose, the (rows,) float32 probability that the row's first model wins at
    the full-data fit, where every refit starts, and the chord steps' solver."""
    design = fit.design
    assert design is not None and fit.beta is not None
    to_outcomes = RowPlacement.of(
        cell_codes(design) * design.n_rows + design.cell_row, 3 * design.n_rows
    )
    # float32 like the draws (resample.multinomial_dtype): their sums are exact either way.
    x32 = design.x.astype(np.float32)
    start = 1.0 / (1.0 + x32.odds_against(fit.beta))
    return to_outcomes, x32, x32.T, start, _ChordSolve.of(fit)


@dataclass(frozen=True, eq=False)
class _ChordSolve:
    """The chord steps' solves with the full-data Hessian ``H``, its inverse in two parts.

    Each connected component's all-ones vector (zero on the style features) is an
    eigenvector of ``H`` with eigenvalue ``prior``: every design row's two models are in one
    component, so ``X`` maps it to zero. Along it ``H^{-1}`` is ``1 / prior``, 10^5 times
    the rest of its spectrum, and float32 would lose the rest beside it; without it the
    inverse is well conditioned and is stored and multiplied in float32 (half the bytes
    every step reads: 0.3 against 1.3 ms a step of four rounds at K = 1,000), the
    all-ones part added in float64.

    Attributes:
        rest: (p, p) float32 ``H^{-1}`` less its components' all-ones part.
        components: (components, K) float64 one-hot: which models each component holds.
        sizes: (components,) float64, the number of models in each.
        prior: the prior's precision, the same for every model.
        curvature: (K,) float64, the diagonal of ``H``'s likelihood part on the strengths
            (each model's rows' binomial curvatures at the fit, summed).
        votes: (K,) float64, each model's votes.
        skew: (K, K) float32 antisymmetric, per pair the derivative of its rows' summed
            curvature by the first model's strength less the second's.
        condition: ``max(curvature)`` times the largest eigenvalue of ``rest``: about
            ``H``'s condition number apart from the all-ones directions.
    """

    rest: np.ndarray
    components: np.ndarray
    sizes: np.ndarray
    prior: float
    curvature: np.ndarray
    votes: np.ndarray
    skew: np.ndarray
    condition: float

    @classmethod
    def of(cls, fit: BTFit) -> _ChordSolve:
        assert fit.hessian_factor is not None and fit.design is not None
        assert fit.beta is not None
        labels = fit.components
        components = (labels == np.arange(int(labels.max()) + 1)[:, None]).astype(np.float64)
        sizes = components.sum(axis=1)
        k = labels.size
        rest = fit.hessian_factor.inverse.copy()
        rest[:k, :k] -= components.T @ (components / (fit.prior * sizes[:, None]))
        x = fit.design.x
        n, _ = fit.design.totals(fit.design.cell_count)
        p = expit(x @ fit.beta)
        weight = n * p * (1.0 - p)
        # d weight / d (beta_first - beta_second), summed per pair in a (K, K) antisymmetric
        # table.
        pairs = x.pair_sums(weight * (1.0 - 2.0 * p)).astype(np.float32)
        skew = pairs - pairs.T
        curvature = x.model_totals(weight)
        rest32 = rest.astype(np.float32)
        condition = _largest_eigenvalue(rest32[:k, :k]) * float(np.max(curvature, initial=0.0))
        return cls(
            rest32, components, sizes, fit.prior, curvature, x.model_totals(n), skew, condition
        )

    def scale(self, votes: np.ndarray, moved: np.ndarray) -> np.ndarray:
        """(K, r) float64 ``sqrt(d_r / d)``: an estimate of each round's diagonal of the
        likelihood's Hessian on the strengths, ``d_r``, against the full data's at its fit,
        ``d``, from the round's votes per model (K, r) and how far its strengths have
        ``moved`` from the fit (K, r): ``d`` in proportion to the model's votes, plus the
        first-order change of its rows' curvatures, ``sum_j skew_ij (moved_i - moved_j)``.
        1 for a model without votes; all 1 in a round where the rescaling could mislead:
        rescaling ``H`` by ``1 + e`` moves ``H^{-1} H_r`` by up to about ``condition`` times
        ``max |e|`` (a bound rarely reached: ``_SAFE_RESCALING``), and a first step that
        moved a strength far, or a curvature that changed much, leaves the first-order
        estimate behind (``_FAR_MOVED``, ``_LARGEST_RESCALING``)."""
        full = self.curvature[:, None]
        moved32 = moved.astype(np.float32)
        change = self.skew.sum(axis=1)[:, None] * moved32 - self.skew @ moved32
        estimate = full * votes / np.maximum(self.votes[:, None], 1e-300) + change
        ratio = np.where((full > 0) & (votes > 0), estimate / np.maximum(full, 1e-300), 1.0)
        scale = np.sqrt(np.maximum(ratio, 0.0))
        off = np.max(np.abs(scale - 1.0), axis=0)
        misleading = (self.condition * off > _SAFE_RESCALING) | (off > _LARGEST_RESCALING)
        misleading |= np.max(np.abs(moved), axis=0) > _FAR_MOVED
        scale[:, misleading] = 1.0
        return scale

    def solve(self, gradient: np.ndarray, scale: np.ndarray | None = None) -> np.ndarray:
        """``H^{-1} gradient`` for a (p, r) float64 gradient -> (p, r) float64; with a (K,
        r) ``scale``, ``(S H S)^{-1} gradient`` (``S = diag(scale)`` on the strengths) less
        the all-ones part that the rescaling adds to ``H^{-1}``'s rest, plus the exact
        all-ones part: the rounds' Hessians differ from ``H`` most on the diagonal, where
        the strengths the round moved change every curvature of their rows one way."""
        k = self.components.shape[1]
        scaled = gradient
        if scale is not None:
            scaled = gradient.copy()
            scaled[:k] /= scale
        step = (self.rest @ scaled.astype(np.float32)).astype(np.float64)
        if scale is not None:
            step[:k] /= scale
            step[:k] -= self.components.T @ ((self.components @ step[:k]) / self.sizes[:, None])
        along = self.components @ gradient[:k] / (self.prior * self.sizes[:, None])
        step[:k] += self.components.T @ along
        return step


def _largest_eigenvalue(matrix: np.ndarray, steps: int = 30) -> float:
    """The largest eigenvalue of a symmetric positive semi-definite matrix, by power
    iteration from a fixed start (from below: enough for a bound on how far to trust)."""
    vector = np.cos(np.arange(matrix.shape[0], dtype=np.float32))
    for _ in range(steps):
        image = matrix @ vector
        norm = float(np.linalg.norm(image))
        if norm == 0.0:
            return 0.0
        vector = image / norm
    return float(vector @ (matrix @ vector))


@dataclass(frozen=True)
class _RowTotals:
    """A block's votes per design row and round, each (rows, r) float32: trials ``n`` and
    successes ``y`` (a tie half of one)."""

    n: np.ndarray
    y: np.ndarray

    @classmethod
    def of(cls, to_outcomes: RowPlacement, by_cell: np.ndarray) -> _RowTotals:
        """From (c, r) cell counts: one product gives every row's three outcome totals (one
        per cell, where a product per total and per credit side cost four), summed in the
        draws' precision, then rounded to float32 (exact below 2**23 votes)."""
        first_won, second_won, tied = np.asarray(to_outcomes @ by_cell).reshape(
            3, -1, by_cell.shape[1]
        )
        n = first_won + second_won
        n += tied
        y = 0.5 * tied
        y += first_won
        return cls(n.astype(np.float32, copy=False), y.astype(np.float32, copy=False))

    def credited(self) -> tuple[np.ndarray, np.ndarray]:
        """Whether the row's first model got credit (a win or a tie: ``y > 0``) and whether
        its second did (``n > y``), two (rows, r) bool arrays; exact for float32 draws
        (:func:`ranking.stats.resample.multinomial_dtype`), whose totals are not rounded."""
        return self.y > 0, self.n > self.y


def _still_going(size: np.ndarray, previous: np.ndarray, tol: float) -> np.ndarray:
    """Which rounds of a chord iteration go on, from the largest component of their last
    step (``size``) and of the one before (``previous``, 0 before the second step).

    The chord iteration converges linearly: with ratio q = |step_i| / |step_i-1| < 1 the
    error left after this step is about |step_i| q / (1 - q). A round stops once twice that
    estimate, or the step itself, is below tol (rather than waiting for a further step below
    tol, whose error would be q times smaller again). q is capped at 0.5, where the rule
    becomes the plain |step_i| < tol. A step that is not finite goes on (to the fallback).
    """
    ratio = np.where(size < 0.5 * previous, size / np.maximum(previous, 1e-300), 0.5)
    return ~((size < tol) | (2.0 * size * ratio / (1.0 - ratio) < tol))


def _residuals(x32: PairRows, beta: np.ndarray, n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(rows, r) float32 ``y - n expit(X beta)`` for each round's strengths beta (p, r) and
    row totals n, y (rows, r), as ``y - n / (1 + exp(-X beta))`` in place, the
    exponentials of the differences as products of the strengths' ones
    (:meth:`PairRows.odds_against`)."""
    residual = x32.odds_against(beta)
    residual += 1.0
    np.divide(n, residual, out=residual)
    np.subtract(y, residual, out=residual)
    return residual


def _start_residuals(probability: np.ndarray, n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`_residuals` where every round is at the same strengths, the full-data fit all
    rounds start from, whose (rows,) probabilities are computed once for all rounds."""
    residual = n * probability[:, None]
    np.subtract(y, residual, out=residual)
    return residual


class _Anderson:
    """Anderson acceleration (type II, depth ``_ANDERSON_DEPTH``) of the rounds' chord
    iterations, each round (column) on its own: the next iterate is ``b + step`` less the
    mix of the last differences of iterates and steps that best cancels this step (least
    squares per column, :func:`_least_squares`; depth 1 or 2). The iteration keeps its
    fixed point, the full Newton solution, and slow rounds (contraction about 0.13) take
    about 5.0 steps instead of 5.6 to reach the tolerance."""

    def __init__(self) -> None:
        self.iterates: list[np.ndarray] = []
        self.steps: list[np.ndarray] = []

    def next(self, b: np.ndarray, step: np.ndarray, mix: bool = True) -> np.ndarray:
        """The next iterate (p, r) from the iterates ``b`` and their chord steps (p, r),
        ``b + step`` unless ``mix`` (the history is kept either way)."""
        following = b + step
        if self.steps and mix:
            d_steps = [step - s for s in self.steps]
            gamma = _least_squares(d_steps, step)
            mixed = following.copy()
            for weight, d_step, iterate in zip(gamma, d_steps, self.iterates, strict=True):
                mixed -= weight * (d_step + (b - iterate))
            # A mix that moves a round much further than its step is an extrapolation off
            # the iteration's linear regime (tiny, separated samples): that round steps.
            wild = np.max(np.abs(mixed - b), axis=0) > _WILD * np.max(np.abs(step), axis=0)
            following = np.where(wild, following, mixed)
        self.iterates = [b, *self.iterates][:_ANDERSON_DEPTH]
        self.steps = [step, *self.steps][:_ANDERSON_DEPTH]
        return following

    def keep(self, going: np.ndarray) -> None:
        """Drop the rounds that stopped (``going`` False) from the history."""
        self.iterates = [i[:, going] for i in self.iterates]
        self.steps = [s[:, going] for s in self.steps]


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Column-wise dot products of two (p, r) arrays -> (r,)."""
    return np.einsum("ij,ij->j", a, b)


def _least_squares(columns: list[np.ndarray], target: np.ndarray) -> list[np.ndarray]:
    """Per round (column), the weights of one or two (p, r) arrays whose mix is nearest
    ``target`` (p, r), by the normal equations solved in closed form; 0 where they are
    (nearly) degenerate."""
    first = columns[0]
    a, u = _dot(first, first), _dot(first, target)
    if len(columns) == 1:
        return [u / np.where(a > 0, a, 1.0)]
    second = columns[1]
    c, e, v = _dot(first, second), _dot(second, second), _dot(second, target)
    determinant = a * e - c * c
    ok = determinant > 1e-12 * a * e
    determinant = np.where(ok, determinant, 1.0)
    return [
        np.where(ok, (e * u - c * v) / determinant, 0.0),
        np.where(ok, (a * v - c * u) / determinant, 0.0),
    ]


def _chord_block(
    fit: BTFit,
    totals: _RowTotals,
    matrices: tuple,
    tol: float,
    max_iter: int,
) -> tuple[np.ndarray, int, int]:
    """Refit every round of a block from its row totals -> strengths (r, K), the number of
    rounds that fell back to full Newton, and of those the number that did not converge."""
    design = fit.design
    assert design is not None and fit.beta is not None
    _, x32, xt32, start, solver = matrices
    k = design.n_models
    n, y = totals.n, totals.y
    votes = x32.model_totals(n)
    absent = votes == 0
    rounds = n.shape[1]
    beta = np.repeat(fit.beta[:, None], rounds, axis=1)
    prior = design.prior[:, None]
    components = solver.components
    component_present = np.maximum(components @ (~absent).astype(np.float64), 1.0)
    # The working arrays hold only the rounds still iterating; they are compacted when some
    # converge, rather than fancy-indexed (copied) on every iteration.
    active = np.arange(rounds)
    n_active, y_active, absent_active, votes_active = n, y, absent, votes
    present_active = component_present
    previous = np.zeros(rounds)  # no ratio before the second step
    b = beta.copy()
    anderson = _Anderson()
    scale = None
    for iteration in range(max_iter):
        if iteration == 0:
            residual = _start_residuals(start, n_active, y_active)
        else:
            if iteration == 1:
                scale = solver.scale(votes_active, b[:k] - fit.beta[:k, None])
            residual = _residuals(x32, b, n_active, y_active)
        gradient = (xt32 @ residual).astype(np.float64)
        # Within each connected component the likelihood gradient of the strengths sums to
        # zero exactly; float32 rounding breaks that, and the prior (the only curvature along
        # a component's all-ones direction) would amplify the error by 1/prior. Restore the
        # identity before adding the prior.
        strengths = gradient[:k]
        strengths[absent_active] = 0.0
        strengths -= components.T @ ((components @ strengths) / present_active)
        gradient -= prior * b
        strengths[absent_active] = 0.0
        step = solver.solve(gradient, scale)
        size = np.max(np.abs(step), axis=0)
        # The first step is not in the history: accelerating the second one gains no step.
        if iteration:
            b = anderson.next(b, step, mix=bool(np.any(size > _SLOW * previous)))
        else:
            b = b + step
        going = _still_going(size, previous, tol)
        previous = size
        if not going.all():
            beta[:, active] = b
            active = active[going]
            if active.size == 0:
                break
            b = b[:, going]
            anderson.keep(going)
            previous = previous[going]
            n_active, y_active = n_active[:, going], y_active[:, going]
            absent_active = absent_active[:, going]
            votes_active = votes_active[:, going]
            present_active = present_active[:, going]
            if scale is not None:
                scale = scale[:, going]
    else:
        beta[:, active] = b
    unconverged = 0
    for r in active:
        beta[:, r], _, converged = newton_solve(
            design,
            n[:, r].astype(np.float64),
            y[:, r].astype(np.float64),
            fit.beta,
            tol=tol,
            max_iter=200,
        )
        unconverged += not converged
    theta = beta[:k].T.copy()
    theta[absent.T] = np.nan
    return theta, int(active.size), unconverged


@dataclass
class _Blocks(ABC):
    """What both plans share: the cells' counts and how a block draws its rounds from them
    (``block`` rounds a block, the last one shorter, each block with its own child generator
    spawned from the seeded one), the refits' settings, and how a plan is made (``make``,
    one signature for both). A plan adds what its rounds are refitted with
    (``_refitted_with``) and ``run(i)``."""

    cell_count: np.ndarray
    table: PoissonTable | None
    block: int
    starts: list[int]
    children: list[np.random.Generator]
    resample: str
    rounds: int
    tol: float
    max_iter: int
    check: ReplicateCheck | None

    @classmethod
    def make(
        cls,
        counts: PairCounts | StyleCounts,
        fit: BTFit,
        rounds: int,
        rng: np.random.Generator,
        resample: str,
        tol: float,
        max_iter: int,
        check: ReplicateCheck | None,
    ) -> Self:
        """The plan of ``rounds`` rounds of ``fit``'s bootstrap over ``counts``: the shared
        fields, and what the plan's rounds are refitted with (:meth:`_refitted_with`)."""
        cell_count, block, own = cls._refitted_with(counts, fit)
        starts = list(range(0, rounds, block))
        return cls(
            cell_count=cell_count,
            table=PoissonTable.for_counts(cell_count) if is_integral(cell_count) else None,
            block=block,
            starts=starts,
            children=rng.spawn(len(starts)),
            resample=resample,
            rounds=rounds,
            tol=tol,
            max_iter=max_iter,
            check=check,
            **own,
        )

    @classmethod
    @abstractmethod
    def _refitted_with(
        cls, counts: PairCounts | StyleCounts, fit: BTFit
    ) -> tuple[np.ndarray, int, dict]:
        """The (c,) cell counts the rounds draw, the rounds of a block, and the plan's own
        fields (what its rounds are refitted with)."""

    @property
    def n_blocks(self) -> int:
        return len(self.starts)

    def draws(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Block ``index``'s resampled counts, (rounds, cells) and C-contiguous (cells,
        rounds) for the refits' products (each would gather from a transposed view): one
        array for integer counts, whose sampler writes that layout, else a copy."""
        size = min(self.block, self.rounds - self.starts[index])
        draw = multinomial_counts if self.resample == "multinomial" else poisson_counts
        # A copy of the child generator: running a block twice gives the same draws.
        rng = copy.deepcopy(self.children[index])
        drawn = draw(self.cell_count, size, rng, self.table)
        return drawn, np.ascontiguousarray(drawn.T)

    @abstractmethod
    def run(self, index: int) -> tuple:
        """Block ``index``'s replicates, refit counts and openness (see the plans)."""

    def run_blocks(self, indices: range, workers: int) -> list[tuple]:
        """Several blocks here, on ``workers`` cores (:func:`_run_blocks`), BLAS on one
        thread."""
        return _run_blocks(lambda i: self.run(indices[i]), len(indices), workers)


@dataclass
class DavidsonPlan(_Blocks):
    """A Davidson bootstrap cut into fixed blocks of rounds like :class:`BlockPlan` (the same
    ``run``, ``run_blocks`` and results), each block with its own child generator spawned
    from the seeded one, so that it too can run on threads, processes or machines and give
    the same replicates. Its rounds are refitted like the ties-as-half ones: the rounds of a
    block iterate together the chord method with the full-data Hessian of the Davidson
    likelihood (tie parameter included, :func:`davidson_hessian`); a round that does not
    converge falls back to its own L-BFGS fit. The refit's maps and Hessian factor are made
    once, where the plan is made, and travel with it (pickled), so every process solves with
    the very same factor."""

    refit: _DavidsonRefit

    @classmethod
    def _refitted_with(
        cls, counts: PairCounts | StyleCounts, fit: BTFit
    ) -> tuple[np.ndarray, int, dict]:
        pair_counts = counts.pair_counts() if isinstance(counts, StyleCounts) else counts
        pair_key, code, count = _davidson_cells(pair_counts)
        # BLAS on one thread, as for the blocks: the factor is then the same whoever runs them.
        with threadpool_limits(limits=1, user_api="blas"):
            refit = _DavidsonRefit.make(fit, pair_key, code, count, pair_counts.n_models)
        block = int(np.clip(_BLOCK_ELEMENTS // max(count.size, 1), 4, 64))
        return count, block, {"refit": refit}

    def run(self, index: int) -> tuple:
        """Block ``index``: (replicates (r, K), rounds that fell back to L-BFGS, of those the
        unconverged, openness (r, K) or None, reference (r, K) or None)."""
        drawn, by_cell = self.draws(index)
        theta, fallback, unconverged = self.refit.block(by_cell, self.tol, self.max_iter)
        if self.check is None:
            return theta, fallback, unconverged, None, None
        return (
            theta,
            fallback,
            unconverged,
            *self.check.openness(drawn, self.check.credited(by_cell)),
        )


@dataclass(frozen=True, eq=False)
class _DavidsonRefit:
    """What every Davidson refit shares: the map from cells to per-pair outcome totals, the
    pairs' models, and the full-data fit with its Hessian's Cholesky factor."""

    fit: BTFit
    k: int
    rows: np.ndarray
    first: np.ndarray
    second: np.ndarray
    to_totals: sp.csr_matrix
    to_models: sp.csr_matrix
    factor: tuple[np.ndarray, bool]

    @classmethod
    def make(
        cls, fit: BTFit, pair_key: np.ndarray, code: np.ndarray, count: np.ndarray, k: int
    ) -> _DavidsonRefit:
        # Imported here: the Davidson fit has imported scipy (its L-BFGS) already, and the
        # default path must not (docs/decisions.md, "The command line without scipy").
        import scipy.linalg
        import scipy.sparse as sp

        assert fit.beta is not None
        rows = np.unique(pair_key)
        row = np.searchsorted(rows, pair_key)
        cells = np.arange(pair_key.size)
        to_totals = sp.csr_matrix(
            (np.ones(cells.size), (code * rows.size + row, cells)),
            shape=(3 * rows.size, cells.size),
        )
        first, second = rows // k, rows % k
        pairs = np.arange(rows.size)
        to_models = sp.csr_matrix(
            (
                np.concatenate([np.ones(rows.size), -np.ones(rows.size)]),
                (np.concatenate([first, second]), np.concatenate([pairs, pairs])),
            ),
            shape=(k, rows.size),
        )
        totals = _davidson_totals(pair_key, code, count, k, rows)
        factor = scipy.linalg.cho_factor(davidson_hessian(fit.beta, totals, fit.prior))
        return cls(fit, k, rows, first, second, to_totals, to_models, factor)

    def block(self, by_cell: np.ndarray, tol: float, max_iter: int) -> tuple[np.ndarray, int, int]:
        """Refit the rounds of by_cell (c, r) -> strengths (r, K) centred over the models
        each round has votes for (NaN for the others), the rounds that fell back to L-BFGS
        and of those the unconverged."""
        k, fit = self.k, self.fit
        assert fit.beta is not None
        rounds = by_cell.shape[1]
        wins_first, wins_second, ties = (self.to_totals @ by_cell).reshape(3, -1, rounds)
        games = wins_first + wins_second + ties
        params = np.repeat(fit.beta[:, None], rounds, axis=1)
        active = np.arange(rounds)
        previous = np.zeros(rounds)
        import scipy.linalg

        for _ in range(max_iter):
            step = -scipy.linalg.cho_solve(
                self.factor,
                self._gradient(
                    params[:, active],
                    games[:, active],
                    wins_first[:, active] - wins_second[:, active],
                    ties[:, active],
                ),
                check_finite=False,
            )
            params[:, active] += step
            size = np.max(np.abs(step), axis=0)
            going = _still_going(size, previous[active], tol)
            previous[active] = size
            active = active[going]
            if active.size == 0:
                break
        unconverged = 0
        for r in active:
            totals = _PairTotals(
                self.first, self.second, wins_first[:, r], wins_second[:, r], ties[:, r]
            )
            params[:, r], _, converged = davidson_solve(totals, k, fit.prior, 1e-9, start=fit.beta)
            unconverged += not converged
        theta = params[:k].T.copy()
        played = (abs(self.to_models) @ games).T > 0
        theta[~played] = np.nan
        theta -= np.nanmean(theta, axis=1, keepdims=True)
        return theta, int(active.size), unconverged

    def _gradient(
        self, params: np.ndarray, games: np.ndarray, balance: np.ndarray, ties: np.ndarray
    ) -> np.ndarray:
        """:func:`davidson_objective`'s gradient for each column of params (K+1, r)."""
        k = self.k
        theta = params[:k]
        half = 0.5 * (theta[self.first] - theta[self.second])
        with np.errstate(over="ignore", invalid="ignore"):
            above, below = np.exp(half), np.exp(-half)
            tie = np.exp(params[k])
            z = above + below + tie
            d_grad = 0.5 * (games * (above - below) / z - balance)
            gradient = np.empty_like(params)
            gradient[:k] = self.to_models @ d_grad + self.fit.prior * theta
            gradient[k] = np.sum(games * tie / z, axis=0) - np.sum(ties, axis=0)
        return gradient


def bootstrap_intervals(
    counts: PairCounts | StyleCounts,
    fit: BTFit,
    *,
    rounds: int = 1000,
    rng: np.random.Generator,
    resample: Resample = "multinomial",
    level: float = 0.95,
    tol: float = BOOTSTRAP_TOL,
    max_iter: int = 25,
    workers: int | None = None,
    check: ReplicateCheck | None = None,
    runner: Callable[[BootstrapPlan], list[tuple]] | None = None,
) -> BootstrapResult:
    """Bootstrap replicates of ``fit`` over the votes in ``counts``.

    Args:
        counts: the votes ``fit`` was fitted on.
        fit: the full-data fit (point estimate and warm start).
        rounds: R, number of bootstrap rounds.
        rng: the source of randomness; the same seed gives the same replicates regardless of
            ``workers`` (each fixed block of rounds gets its own spawned child generator).
        resample: ``"multinomial"`` (N votes with replacement) or ``"poisson"`` (independent
            Poisson(count) per cell).
        level: coverage of the percentile intervals.
        tol: convergence tolerance of each refit, natural-log units (bound on twice the
            estimated remaining error, or on the last step).
        workers: cores (forked processes on Linux, threads elsewhere: :func:`_run_blocks`);
            default: CPU count.
        check: which models each round's votes leave open (built on ``fit.credit``); without
            it no round is checked.
        runner: runs the blocks of a :class:`BlockPlan` (a :class:`DavidsonPlan` for
            ``fit.ties == "davidson"``) and returns their results in order (default:
            ``workers`` cores here); the product's fans them out over Celery workers
            (``ranking.fanout``). Either way the same seed gives the same replicates.

    Returns:
        A :class:`BootstrapResult` with (R, K) replicates.
    """
    if resample not in RESAMPLE:
        raise ValueError(f"resample must be one of {RESAMPLE}, got {resample!r}")
    if rounds < 1:
        # rate() refuses fewer than min_bootstrap_rounds(level) for published intervals; the
        # replicates themselves can be drawn in any number.
        raise ValueError("rounds must be at least 1")
    plan_of = DavidsonPlan if fit.ties == "davidson" else BlockPlan
    plan = plan_of.make(counts, fit, rounds, rng, resample, tol, max_iter, check)
    if runner is None:
        results = _run_blocks(plan.run, plan.n_blocks, workers or os.cpu_count() or 1)
    else:
        results = runner(plan)
    replicates = np.concatenate([result[0] for result in results])
    fallback = sum(result[1] for result in results)
    unconverged = sum(result[2] for result in results)
    checked = None
    if check is not None:
        checked = (
            np.concatenate([result[3] for result in results]),
            np.concatenate([result[4] for result in results]),
        )
    return _result(replicates, rounds, resample, level, tol, fallback, unconverged, checked)


@dataclass
class BlockPlan(_Blocks):
    """The bootstrap of one fit cut into fixed blocks of rounds, each with its own child
    generator spawned from the seeded one: block ``i``'s result depends only on the plan and
    ``i``, whoever computes it, in whatever order. Picklable (the sparse maps are rebuilt
    where a block runs), so other processes or machines can run blocks.

    ``run(i)`` returns (replicates (r, K), rounds that fell back to Newton, of those the
    unconverged, openness (r, K) or None, reference (r, K) or None)."""

    fit: BTFit

    @classmethod
    def _refitted_with(
        cls, counts: PairCounts | StyleCounts, fit: BTFit
    ) -> tuple[np.ndarray, int, dict]:
        design = fit.design
        assert design is not None
        width = max(design.cell_row.size, design.n_rows, 1)
        block = int(np.clip(_REFIT_ELEMENTS // width, 4, 64))
        return design.cell_count, block, {"fit": fit}

    @functools.cached_property
    def matrices(self) -> tuple:
        return _cell_matrices(self.fit)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("matrices", None)
        return state

    def run(self, index: int) -> tuple:
        cell_draws, by_cell = self.draws(index)
        totals = _RowTotals.of(self.matrices[0], by_cell)
        theta, fallback, unconverged = _chord_block(
            self.fit, totals, self.matrices, self.tol, self.max_iter
        )
        if self.check is None:
            return theta, fallback, unconverged, None, None
        if self.rows_are_pairs and by_cell.dtype == np.float32:
            credited = totals.credited()
        else:
            credited = self.check.credited(by_cell)
        return theta, fallback, unconverged, *self.check.openness(cell_draws, credited)

    @functools.cached_property
    def rows_are_pairs(self) -> bool:
        """Whether the design's rows are the check's pairs, in the same order (always without
        style features), so that the row totals tell who got credit in each pair."""
        assert self.fit.design is not None and self.fit.credit is not None
        return np.array_equal(self.fit.credit.cell_pair, self.fit.design.cell_row)


#: What :func:`bootstrap_intervals` hands its ``runner``: blocks of rounds that run anywhere.
BootstrapPlan = BlockPlan | DavidsonPlan


def _result(
    replicates: np.ndarray,
    rounds: int,
    resample: str,
    level: float,
    tol: float,
    fallback: int,
    unconverged: int,
    checked: tuple[np.ndarray, np.ndarray] | None,
) -> BootstrapResult:
    """The intervals of the replicates; ``checked``: (openness, reference) of every round."""
    openness, reference = checked if checked is not None else (None, None)
    lower, upper = percentile_intervals(replicates, level, openness)
    return BootstrapResult(
        replicates,
        lower,
        upper,
        rounds,
        resample,
        level,
        tol,
        fallback,
        unconverged,
        openness,
        reference,
    )


def _run_blocks(run: Callable[[int], tuple], n_blocks: int, workers: int) -> list[tuple]:
    """``run`` of every block, in order, on ``workers`` cores: forked processes on Linux
    (:mod:`ranking.stats.processes`; threads held each other up on the interpreter lock),
    threads elsewhere. BLAS runs on one thread: the blocks' small dense solves would
    otherwise start OpenBLAS threads on top of ours, which oversubscribe the cores and spin
    (slower than no threads on 2 cores). threadpoolctl's limit is process-wide (and forked
    children inherit it), so it is set once around all blocks."""
    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1 or n_blocks == 1:
            return [run(i) for i in range(n_blocks)]
        if FORK_AVAILABLE:
            return forked_map(run, n_blocks, workers)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(run, range(n_blocks)))


def analytic_covariance(fit: BTFit, *, kind: str = "sandwich") -> np.ndarray:
    """(K, K) covariance of the natural-log strengths from the curvature of the likelihood.

    ``kind="fisher"``: inverse observed information ``H^{-1}``. ``kind="sandwich"``
    (Huber 1967; White 1980): ``H^{-1} M H^{-1}`` with ``M`` the sum over votes of the outer
    products of their score vectors (computable per cell because identical votes share one
    score), robust to a misspecified tie model. Either is the large-sample limit of the
    bootstrap covariance; neither sees the skew of small samples.
    """
    design = fit.design
    if design is None or fit.beta is None:
        raise ValueError("analytic intervals need a 'half' or 'drop' fit")
    n, _ = design.totals(design.cell_count)
    h = hessian(design, fit.beta, n)
    h_inv = np.linalg.inv(h)
    if kind == "fisher":
        cov = h_inv
    elif kind == "sandwich":
        s = expit(design.x @ fit.beta)
        residual2 = (design.cell_value - s[design.cell_row]) ** 2
        weight = np.bincount(design.cell_row, design.cell_count * residual2, design.n_rows)
        meat = design.x.gram(weight)
        cov = h_inv @ meat @ h_inv
    else:
        raise ValueError("kind must be 'sandwich' or 'fisher'")
    k = design.n_models
    return cov[:k, :k]


def analytic_intervals(
    fit: BTFit,
    *,
    level: float = 0.95,
    anchor: int | None = None,
    kind: str = "sandwich",
    reference: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Normal-approximation half-widths and standard errors, natural-log units, two (K,) arrays.

    The level of the scores is a choice (an anchor model, or the mean), and the uncertainty
    is that of the contrast: ``theta_i - theta_anchor`` or ``theta_i - mean(theta)`` (the
    mean over the (K,) bool ``reference`` models if given).
    Returns ``(half_width, standard_error)``; the interval is ``score ± half_width`` (scaled).
    """
    cov = analytic_covariance(fit, kind=kind)
    k = cov.shape[0]
    contrast = np.eye(k)
    if anchor is not None:
        contrast[:, anchor] -= 1.0
    elif reference is None or reference.all():
        contrast -= 1.0 / k
    else:
        contrast[:, reference] -= 1.0 / reference.sum()
    variance = np.einsum("ij,jk,ik->i", contrast, cov, contrast)
    se = np.sqrt(np.maximum(variance, 0.0))
    return NormalDist().inv_cdf(0.5 + level / 2.0) * se, se
