"""Bradley-Terry maximum likelihood on aggregated comparisons.

Model (Bradley and Terry 1952; Elo scale as in Chatbot Arena, Chiang et al. 2024):
``P(i beats j) = 1 / (1 + base ** ((R_j - R_i) / scale))``, i.e. a logistic model on the
natural-log strengths ``theta`` with ``R = theta * scale / ln(base) + offset``.

Ties:
  * ``"half"`` (default, the Chatbot Arena convention): a tie or a "both bad" vote is half a
    win for each side. The sufficient statistics are then, per unordered pair {i, j}, the number
    of votes ``n_ij`` and the (half-integer) wins of i ``w_ij``.
  * ``"drop"``: ties and "both bad" votes are ignored.
  * ``"davidson"``: Davidson (1970) tie model ``P(tie) ∝ nu * sqrt(pi_i * pi_j)``, nu fitted
    (Rao-Kupper-like; one extra parameter). "Both bad" counts as a tie.

A Gaussian prior ``theta ~ N(0, 1/prior)`` (an L2 penalty) keeps undefeated models and
disconnected components finite, and fixes the level (the fitted theta sums to zero within
each connected component).

The half/drop fits and style control are binomial-logit problems on a sparse design matrix
(one row per distinct comparison, one column per parameter), solved by damped Newton with a
dense Cholesky factor of the Hessian (K ≤ a few thousand). The same design drives the
vectorised bootstrap in :mod:`ranking.stats.bootstrap`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from pairwise.outcomes import CREDIT_A, FLIPPED, Outcome
from ranking.stats.graphs import component_labels
from ranking.stats.incidence import PairRows, distinct_keys
from ranking.stats.separation import CreditCells, LogitRows
from ranking.stats.types import Note, PairCounts, StyleCounts

Ties = Literal["half", "drop", "davidson"]
TIES: tuple[str, ...] = ("half", "drop", "davidson")
DEFAULT_PRIOR = 1e-5
DEFAULT_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class Design:
    """A binomial-logit problem: row r has ``n_r`` trials, ``y_r`` successes, logit ``x_r @ beta``.

    Attributes:
        x: (rows, p) design (:class:`PairRows`); the first K columns are the model strengths
            (+1 for the row's first model, -1 for its second), further columns are covariates.
        cell_row: (c,) int64, row of each resampling cell (a group of identical votes).
        cell_value: (c,) float64, contribution of one vote of the cell to ``y`` (1, 0 or 0.5).
        cell_count: (c,) float64, votes in the cell.
        prior: (p,) float64, precision of the Gaussian prior on each parameter.
        n_models: K.
    """

    x: PairRows
    cell_row: np.ndarray
    cell_value: np.ndarray
    cell_count: np.ndarray
    prior: np.ndarray
    n_models: int

    @property
    def n_rows(self) -> int:
        return self.x.shape[0]

    def totals(self, cell_count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Trials and successes per row, each (rows,), from counts per cell (c,)."""
        n = np.bincount(self.cell_row, cell_count, self.n_rows)
        y = np.bincount(self.cell_row, cell_count * self.cell_value, self.n_rows)
        return n, y


@dataclass(frozen=True, eq=False)
class BTFit:
    """A fitted Bradley-Terry model and the parameters that produced it.

    Attributes:
        theta: (K,) natural-log strengths (the prior centres each connected component on 0).
        ties, prior, tol: the fitting options.
        iterations, converged, log_likelihood: solver report (log-likelihood without prior).
        tie_parameter: Davidson's nu (``ties="davidson"`` only).
        style_coef: (F,) style coefficients in natural-log units per unit of the raw feature.
        style_names: names of the style features.
        components: (K,) int connected-component label of each model in the graph of the
            compared pairs the fit used (a model without votes has a label of its own).
        warnings: :class:`Note` s (disconnected graph, undefeated or unplayed models, a
            solver that stopped before converging).
        design, hessian_factor: what the bootstrap and analytic intervals reuse (the factor
            as :class:`HessianSolve`).
        credit, credit_count: the resampling cells with who gets credit, and their counts
            (:mod:`ranking.stats.separation`).
    """

    n_models: int
    theta: np.ndarray
    ties: str
    prior: float
    tol: float
    iterations: int
    converged: bool
    log_likelihood: float
    components: np.ndarray
    warnings: tuple[Note, ...] = ()
    tie_parameter: float | None = None
    style_coef: np.ndarray | None = None
    style_names: tuple[str, ...] = ()
    feature_scale: np.ndarray | None = field(default=None, repr=False)
    design: Design | None = field(default=None, repr=False)
    beta: np.ndarray | None = field(default=None, repr=False)
    hessian_factor: HessianSolve | None = field(default=None, repr=False)
    credit: CreditCells | None = field(default=None, repr=False)
    credit_count: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True, eq=False)
class HessianSolve:
    """Solves with a fit's (p, p) Hessian, which every chord step of the bootstrap does: by
    its inverse, one matrix product (numpy has no triangular solve, and the product costs
    what scipy's two triangular solves with the Cholesky factor cost)."""

    inverse: np.ndarray

    @classmethod
    def of(cls, h: np.ndarray) -> HessianSolve:
        """The solver of a Hessian ``X^T diag(w) X + diag(prior)`` (:func:`hessian`), positive
        definite by construction (``w >= 0``, ``prior > 0``): one factorisation, the
        inverse's, where a Cholesky check before it cost 30% more (27 ms at K = 1,000).
        Raises ``LinAlgError`` for a singular or non-finite ``h``."""
        inverse = np.linalg.inv(h)
        if not np.all(np.isfinite(inverse)):
            raise np.linalg.LinAlgError("the Hessian is not finite")
        return cls(inverse)

    def solve(self, b: np.ndarray) -> np.ndarray:
        """``H^{-1} b`` for b (p,) or (p, r)."""
        return self.inverse @ b


def expit(x: np.ndarray) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))`` (scipy's ``expit``, its formula)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


def elo_factor(scale: float = 400.0, base: float = 10.0) -> float:
    """Elo points per natural-log unit of strength: ``scale / ln(base)`` (173.7 by default)."""
    return scale / math.log(base)


def to_elo_scale(
    theta: np.ndarray,
    *,
    scale: float = 400.0,
    base: float = 10.0,
    anchor: tuple[int, float] | None = None,
    mean: float = 1000.0,
    reference: np.ndarray | None = None,
) -> np.ndarray:
    """Natural strengths (K,) or replicates (R, K) to Elo-scale scores of the same shape.

    With ``anchor=(index, score)`` the anchor model gets ``score`` (in every replicate);
    otherwise the mean over the models present (non-NaN) is ``mean``, or, with a (K,) bool
    ``reference``, the mean over the reference models present. NaN stays NaN.
    """
    points = np.asarray(theta, dtype=np.float64) * elo_factor(scale, base)
    if anchor is not None:
        index, score = anchor
        level = points[..., index : index + 1]
        return points - level + score
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a round without any model: NaN
        if reference is None or reference.all():
            level = np.nanmean(points, axis=-1, keepdims=True)
        else:
            level = np.nanmean(points[..., reference], axis=-1, keepdims=True)
    return points - level + mean


def _oriented(
    a: np.ndarray, b: np.ndarray, outcome: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each vote on its unordered pair, seen from the lower index. a, b, outcome: (m,).

    Returns ``first = min(a, b)``, ``second = max(a, b)``, ``swapped`` (A was the higher
    index) and the outcome code with ``first`` as A (:data:`FLIPPED` where swapped) and "both
    bad" merged into a tie: 0 ``first`` won, 1 ``second`` won, 2 tie. Each (m,).
    """
    swapped = a > b
    code = np.where(swapped, FLIPPED[outcome], outcome).astype(np.int64)
    return np.where(swapped, b, a), np.where(swapped, a, b), swapped, np.minimum(code, Outcome.TIE)


def _resampling_cells(
    row_of_vote: np.ndarray, code: np.ndarray, count: np.ndarray, n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Votes grouped by (design row, oriented outcome code): the cells the bootstrap draws.

    Returns each cell's row, the successes one of its votes adds to the row (its credit,
    :data:`CREDIT_A` of the code: 1, 0 or 0.5) and its count, each (c,).
    """
    cell_key, inverse = distinct_keys(row_of_vote * 3 + code, 3 * n_rows)
    return cell_key // 3, CREDIT_A[cell_key % 3], np.bincount(inverse, count, cell_key.size)


def _pair_design(counts: PairCounts, ties: str, prior: float) -> Design:
    """One row per unordered pair i < j; cells are (pair, value) with value 1, 0 or 0.5."""
    k = counts.n_models
    a, b, outcome, count = counts.model_a, counts.model_b, counts.outcome, counts.count
    if ties == "drop":
        keep = outcome <= Outcome.B_WINS
        a, b, outcome, count = a[keep], b[keep], outcome[keep], count[keep]
    first, second, _, code = _oriented(a, b, outcome)
    row_key, row_of_vote = distinct_keys(first * k + second, k * k)
    cell_row, cell_value, cell_count = _resampling_cells(row_of_vote, code, count, row_key.size)
    x = _strength_columns(row_key // k, row_key % k, k)
    return Design(x, cell_row, cell_value, cell_count, np.full(k, prior), k)


def _strength_columns(first: np.ndarray, second: np.ndarray, k: int) -> PairRows:
    return PairRows.of_pairs(first, second, k)


def _style_design(counts: StyleCounts, ties: str, prior: float) -> tuple[Design, np.ndarray]:
    """Rows are distinct (i < j, oriented feature diff); features scaled to unit RMS."""
    k = counts.n_models
    a, b, outcome, count = counts.model_a, counts.model_b, counts.outcome, counts.count
    features = counts.features
    if ties == "drop":
        keep = outcome <= Outcome.B_WINS
        a, b, outcome = a[keep], b[keep], outcome[keep]
        count, features = count[keep], features[keep]
    first, second, swapped, code = _oriented(a, b, outcome)
    oriented = np.where(swapped[:, None], -features, features)
    total = count.sum()
    rms = np.sqrt((count[:, None] * oriented**2).sum(axis=0) / max(total, 1e-300))
    rms[rms == 0] = 1.0
    row_table = np.column_stack([first, second, oriented]).astype(np.float64)
    unique_rows, row_of_vote = np.unique(row_table, axis=0, return_inverse=True)
    cell_row, cell_value, cell_count = _resampling_cells(
        row_of_vote.ravel(), code, count, unique_rows.shape[0]
    )
    x = PairRows(
        unique_rows[:, 0].astype(np.int64),
        unique_rows[:, 1].astype(np.int64),
        k,
        np.ascontiguousarray(unique_rows[:, 2:] / rms),
    )
    n_features = features.shape[1]
    prior_precision = np.full(k + n_features, prior)
    return Design(x, cell_row, cell_value, cell_count, prior_precision, k), rms


def penalised_nll(design: Design, beta: np.ndarray, n: np.ndarray, y: np.ndarray) -> float:
    """``sum_r n_r softplus(eta_r) - y_r eta_r + prior/2 |beta|^2``, with ``eta = X beta``."""
    eta = design.x @ beta
    return float(
        np.sum(n * np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(design.prior * beta**2)
    )


def hessian(design: Design, beta: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(p, p) dense Hessian ``X^T diag(n s (1 - s)) X + diag(prior)`` at ``beta``."""
    s = expit(design.x @ beta)
    h = design.x.gram(n * s * (1.0 - s))
    h[np.diag_indices_from(h)] += design.prior
    return h


def newton_solve(
    design: Design,
    n: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    *,
    tol: float,
    max_iter: int = 100,
) -> tuple[np.ndarray, int, bool]:
    """Damped Newton (Armijo backtracking) until the largest step is below ``tol``."""
    objective = penalised_nll(design, beta, n, y)
    for iteration in range(1, max_iter + 1):
        s = expit(design.x @ beta)
        gradient = design.x.T @ (n * s - y) + design.prior * beta
        step = -np.linalg.solve(hessian(design, beta, n), gradient)
        t = 1.0
        while True:
            candidate = beta + t * step
            value = penalised_nll(design, candidate, n, y)
            if value <= objective + 1e-4 * t * float(gradient @ step) or t < 1e-10:
                break
            t *= 0.5
        beta, objective = candidate, value
        if np.max(np.abs(t * step)) < tol:
            return beta, iteration, True
    return beta, max_iter, False


def _row_models(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """The two models of each design row, (rows,) each: +1 and -1 in the strength columns."""
    return design.x.first, design.x.second


def cell_codes(design: Design) -> np.ndarray:
    """(c,) outcome code of each resampling cell, from its credit to the row's first model:
    0 first won (1), 1 second won (0), 2 tie (0.5)."""
    value = design.cell_value
    return np.where(value == 1.0, 0, np.where(value == 0.0, 1, 2))


def _design_credit(design: Design) -> CreditCells:
    """The design's resampling cells as :class:`CreditCells` (same order)."""
    first, second = _row_models(design)
    return CreditCells.from_oriented(
        design.n_models, first[design.cell_row], second[design.cell_row], cell_codes(design)
    )


def _graph_notes(credit: CreditCells, count: np.ndarray) -> tuple[np.ndarray, tuple[Note, ...]]:
    """Component labels of the compared pairs, and the notes about the graph: models without
    votes in the fit, a disconnected graph, models never defeated or never winning."""
    k = credit.n_models
    per_pair = np.bincount(credit.cell_pair, count, credit.n_pairs)
    met = per_pair > 0
    labels = component_labels(k, credit.first[met], credit.second[met])
    votes = credit.model_votes(count)
    played = votes > 0
    first_credit, second_credit = credit.pair_credit(count)
    credit_got = np.bincount(credit.first, first_credit, k) + np.bincount(
        credit.second, second_credit, k
    )
    credit_given = np.bincount(credit.first, second_credit, k) + np.bincount(
        credit.second, first_credit, k
    )
    notes: list[Note] = []
    unplayed = np.flatnonzero(~played)
    if unplayed.size:
        notes.append(Note("unrated", "models without votes in the fit", tuple(unplayed.tolist())))
    played_components = np.unique(labels[played])
    if played_components.size > 1:
        sizes = np.bincount(labels)[played_components]
        notes.append(
            Note(
                "disconnected",
                f"the comparison graph is disconnected: {played_components.size} components of "
                f"sizes {sorted(sizes.tolist(), reverse=True)}; scores are comparable only "
                "within a component (each is centred by the prior)",
            )
        )
    undefeated = np.flatnonzero(played & (credit_given == 0))
    winless = np.flatnonzero(played & (credit_got == 0))
    if undefeated.size:
        notes.append(
            Note(
                "undefeated",
                "models never defeated (score held finite by the prior)",
                tuple(undefeated.tolist()),
            )
        )
    if winless.size:
        notes.append(
            Note(
                "winless",
                "models that never won (score held finite by the prior)",
                tuple(winless.tolist()),
            )
        )
    return labels, tuple(notes)


def convergence_warnings(converged: bool, iterations: int) -> tuple[Note, ...]:
    """The note a fit carries when its solver stopped before converging: its scores are the
    last iterate, not the maximum-likelihood estimate, and must not pass silently."""
    if converged:
        return ()
    return (
        Note(
            "not_converged",
            f"the fit did not converge (stopped after {iterations} iterations): the scores are "
            "not the maximum-likelihood estimate",
        ),
    )


def log_likelihood(design: Design, beta: np.ndarray, n: np.ndarray, y: np.ndarray) -> float:
    eta = design.x @ beta
    return float(np.sum(y * eta - n * np.logaddexp(0.0, eta)))


def fit_bradley_terry(
    counts: PairCounts | StyleCounts,
    *,
    ties: Ties = "half",
    prior: float = DEFAULT_PRIOR,
    tol: float = DEFAULT_TOL,
    max_iter: int = 100,
) -> BTFit:
    """Fit Bradley-Terry strengths by penalised maximum likelihood.

    Args:
        counts: aggregated votes over K models; a :class:`StyleCounts` adds style covariates
            (Chatbot Arena's "style control": the strengths are then controlled for style).
        ties: ``"half"``, ``"drop"`` or ``"davidson"`` (see the module docstring).
        prior: precision of the N(0, 1/prior) prior on each natural-log strength.
        tol: convergence tolerance on the largest Newton step, natural-log units
            (1e-9 nat is 2e-7 Elo points).
        max_iter: Newton iteration cap.

    Returns:
        A :class:`BTFit`; ``theta`` has shape (K,).
    """
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    if prior <= 0:
        raise ValueError("prior must be positive (it keeps undefeated models finite)")
    pair_counts = counts.pair_counts() if isinstance(counts, StyleCounts) else counts
    k = counts.n_models
    if ties == "davidson":
        if isinstance(counts, StyleCounts):
            raise ValueError("style control is available with ties='half' or 'drop'")
        return _fit_davidson(pair_counts, prior=prior, tol=tol)
    feature_scale = None
    if isinstance(counts, StyleCounts):
        design, feature_scale = _style_design(counts, ties, prior)
    else:
        design = _pair_design(counts, ties, prior)
    credit = _design_credit(design)
    components, notes = _graph_notes(credit, design.cell_count)
    n, y = design.totals(design.cell_count)
    beta0 = np.zeros(design.x.shape[1])
    beta, iterations, converged = newton_solve(design, n, y, beta0, tol=tol, max_iter=max_iter)
    factor = HessianSolve.of(hessian(design, beta, n))
    style_coef = None
    if feature_scale is not None:
        style_coef = beta[k:] / feature_scale
    return BTFit(
        n_models=k,
        theta=beta[:k].copy(),
        ties=ties,
        prior=prior,
        tol=tol,
        iterations=iterations,
        converged=converged,
        log_likelihood=log_likelihood(design, beta, n, y),
        components=components,
        warnings=notes + convergence_warnings(converged, iterations),
        style_coef=style_coef,
        style_names=counts.feature_names if isinstance(counts, StyleCounts) else (),
        feature_scale=feature_scale,
        design=design,
        beta=beta,
        hessian_factor=factor,
        credit=credit,
        credit_count=design.cell_count,
    )


def logit_rows(fit: BTFit) -> LogitRows:
    """The fitted log-odds of each comparison row of ``fit``, for the bounds of open scores."""
    if fit.design is not None and fit.beta is not None:
        first, second = _row_models(fit.design)
        n, _ = fit.design.totals(fit.design.cell_count)
        return LogitRows(first, second, fit.design.x @ fit.beta, n)
    credit, count = fit.credit, fit.credit_count
    assert credit is not None and count is not None and fit.tie_parameter is not None
    votes = np.bincount(credit.cell_pair, count, credit.n_pairs)
    logit = fit.theta[credit.first] - fit.theta[credit.second]
    return LogitRows(credit.first, credit.second, logit, votes, fit.tie_parameter)


# --- Davidson ties -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _PairTotals:
    first: np.ndarray
    second: np.ndarray
    wins_first: np.ndarray
    wins_second: np.ndarray
    ties: np.ndarray


def _davidson_cells(counts: PairCounts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells for resampling: (pair key, oriented outcome code as in :func:`_oriented`, count)."""
    k = counts.n_models
    first, second, _, code = _oriented(counts.model_a, counts.model_b, counts.outcome)
    return first * k + second, code, counts.count


def _davidson_totals(
    pair_key: np.ndarray, code: np.ndarray, count: np.ndarray, k: int, rows: np.ndarray
) -> _PairTotals:
    index = np.searchsorted(rows, pair_key)
    sums = np.zeros((rows.size, 3))
    np.add.at(sums, (index, code), count)
    return _PairTotals(rows // k, rows % k, sums[:, 0], sums[:, 1], sums[:, 2])


def davidson_objective(
    params: np.ndarray, totals: _PairTotals, prior: float
) -> tuple[float, np.ndarray]:
    """Penalised negative log-likelihood of Davidson's model and its gradient.

    ``params = (theta_0..theta_{K-1}, log nu)``; with ``d = theta_i - theta_j``,
    ``P(i wins) = e^{d/2} / Z``, ``P(j wins) = e^{-d/2} / Z``, ``P(tie) = nu / Z``,
    ``Z = e^{d/2} + e^{-d/2} + nu`` (Davidson 1970).
    """
    k = params.size - 1
    theta, log_nu = params[:k], params[k]
    d = theta[totals.first] - theta[totals.second]
    log_z = np.logaddexp(np.logaddexp(0.5 * d, -0.5 * d), log_nu)
    n = totals.wins_first + totals.wins_second + totals.ties
    value = -np.sum(
        0.5 * d * (totals.wins_first - totals.wins_second) + totals.ties * log_nu - n * log_z
    ) + 0.5 * prior * np.sum(theta**2)
    p_first = np.exp(0.5 * d - log_z)
    p_second = np.exp(-0.5 * d - log_z)
    p_tie = np.exp(log_nu - log_z)
    d_grad = -0.5 * (totals.wins_first - totals.wins_second) + 0.5 * n * (p_first - p_second)
    grad_theta = np.bincount(totals.first, d_grad, k) - np.bincount(totals.second, d_grad, k)
    grad_theta += prior * theta
    grad_nu = -np.sum(totals.ties) + np.sum(n * p_tie)
    return float(value), np.append(grad_theta, grad_nu)


def davidson_hessian(params: np.ndarray, totals: _PairTotals, prior: float) -> np.ndarray:
    """(K+1, K+1) Hessian of :func:`davidson_objective` at ``params``.

    Per pair, with ``n`` games and the probabilities ``p1, p2, pt`` of
    :func:`davidson_objective`: ``d2/dd2 = n ((p1 + p2) - (p1 - p2)**2) / 4``,
    ``d2/dd dlog nu = -n pt (p1 - p2) / 2``, ``d2/dlog nu2 = n pt (1 - pt)``; ``d`` enters
    with ``+1`` for the first model and ``-1`` for the second.
    """
    k = params.size - 1
    theta, log_nu = params[:k], params[k]
    d = theta[totals.first] - theta[totals.second]
    log_z = np.logaddexp(np.logaddexp(0.5 * d, -0.5 * d), log_nu)
    p_first, p_second = np.exp(0.5 * d - log_z), np.exp(-0.5 * d - log_z)
    p_tie = np.exp(log_nu - log_z)
    n = totals.wins_first + totals.wins_second + totals.ties
    curvature = 0.25 * n * ((p_first + p_second) - (p_first - p_second) ** 2)
    cross = -0.5 * n * p_tie * (p_first - p_second)
    h = np.zeros((k + 1, k + 1))
    np.add.at(h, (totals.first, totals.first), curvature)
    np.add.at(h, (totals.second, totals.second), curvature)
    np.add.at(h, (totals.first, totals.second), -curvature)
    np.add.at(h, (totals.second, totals.first), -curvature)
    h[:k, k] = np.bincount(totals.first, cross, k) - np.bincount(totals.second, cross, k)
    h[k, :k] = h[:k, k]
    h[k, k] = np.sum(n * p_tie * (1.0 - p_tie))
    h[np.arange(k), np.arange(k)] += prior
    return h


#: The gradient, relative to the objective, below which a stalled L-BFGS-B has converged.
_GRADIENT_ROUNDING = 1e-9


def davidson_solve(
    totals: _PairTotals, k: int, prior: float, tol: float, start: np.ndarray | None = None
) -> tuple[np.ndarray, int, bool]:
    start = np.append(np.zeros(k), math.log(0.5)) if start is None else start
    # Imported here: scipy.optimize costs a second of start-up that most fits never use.
    import scipy.optimize

    result = scipy.optimize.minimize(
        davidson_objective,
        start,
        args=(totals, prior),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 20000, "maxcor": 30, "ftol": 0.0, "gtol": tol},
    )
    # L-BFGS-B stops "abnormally" when its line search can no longer lower the objective in
    # float64; that is convergence when the gradient is within what rounding leaves of a sum
    # of this size (an absolute 1e-6 held on one machine and not on another: 1.8e-6 at
    # 27,000).
    rounding = _GRADIENT_ROUNDING * max(1.0, abs(float(result.fun)))
    return result.x, int(result.nit), bool(result.success or np.max(np.abs(result.jac)) < rounding)


def _fit_davidson(counts: PairCounts, *, prior: float, tol: float) -> BTFit:
    k = counts.n_models
    pair_key, code, count = _davidson_cells(counts)
    credit = CreditCells.from_oriented(k, pair_key // k, pair_key % k, code)
    components, notes = _graph_notes(credit, count)
    rows = np.unique(pair_key)
    totals = _davidson_totals(pair_key, code, count, k, rows)
    params, iterations, converged = davidson_solve(totals, k, prior, max(tol, 1e-10))
    value, _ = davidson_objective(params, totals, prior)
    return BTFit(
        n_models=k,
        theta=params[:k].copy(),
        ties="davidson",
        prior=prior,
        tol=tol,
        iterations=iterations,
        converged=converged,
        log_likelihood=-(value - 0.5 * prior * float(np.sum(params[:k] ** 2))),
        components=components,
        warnings=notes + convergence_warnings(converged, iterations),
        tie_parameter=float(math.exp(params[k])),
        beta=params,
        credit=credit,
        credit_count=count,
    )
