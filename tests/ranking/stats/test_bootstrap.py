import warnings

import numpy as np
import pytest

import ranking.stats.bootstrap as bootstrap_module
from bench.synthetic import synthetic_arena
from ranking.stats import (
    Outcome,
    PairCounts,
    analytic_intervals,
    bootstrap_intervals,
    fit_bradley_terry,
    percentile_intervals,
    rate,
)
from ranking.stats.bootstrap import (
    _SAFE_RESCALING,
    BOOTSTRAP_TOL,
    _cell_matrices,
    _chord_block,
    _ChordSolve,
    _DavidsonRefit,
    _RowTotals,
)
from ranking.stats.bradley_terry import (
    _davidson_cells,
    _davidson_totals,
    _PairTotals,
    davidson_hessian,
    davidson_objective,
    davidson_solve,
    elo_factor,
    newton_solve,
)
from ranking.stats.resample import multinomial_counts, poisson_counts


@pytest.fixture(scope="module")
def arena():
    return synthetic_arena(12, 20000, seed=11)


@pytest.fixture(scope="module")
def fit(arena):
    return fit_bradley_terry(arena.counts)


def test_same_seed_gives_the_same_replicates(arena, fit):
    first = bootstrap_intervals(arena.counts, fit, rounds=50, rng=np.random.default_rng(4))
    second = bootstrap_intervals(arena.counts, fit, rounds=50, rng=np.random.default_rng(4))
    assert np.array_equal(first.replicates, second.replicates)


def test_replicates_do_not_depend_on_the_number_of_threads(arena, fit):
    one = bootstrap_intervals(
        arena.counts, fit, rounds=300, rng=np.random.default_rng(4), workers=1
    )
    two = bootstrap_intervals(
        arena.counts, fit, rounds=300, rng=np.random.default_rng(4), workers=2
    )
    assert np.array_equal(one.replicates, two.replicates)


def test_different_seeds_give_different_replicates(arena, fit):
    first = bootstrap_intervals(arena.counts, fit, rounds=20, rng=np.random.default_rng(1))
    second = bootstrap_intervals(arena.counts, fit, rounds=20, rng=np.random.default_rng(2))
    assert not np.array_equal(first.replicates, second.replicates)


def test_refits_that_did_not_converge_are_counted(arena, fit, monkeypatch):
    import ranking.stats.bootstrap as bootstrap

    rng = np.random.default_rng(5)
    # No chord steps, so every round falls back to Newton: converged, then capped at one step.
    done = bootstrap_intervals(arena.counts, fit, rounds=8, rng=rng, max_iter=0)
    assert (done.fallback_rounds, done.unconverged_rounds) == (8, 0)
    monkeypatch.setattr(
        bootstrap,
        "newton_solve",
        lambda *args, **kwargs: newton_solve(*args, **kwargs | {"max_iter": 1}),
    )
    capped = bootstrap_intervals(arena.counts, fit, rounds=8, rng=rng, max_iter=0)
    assert (capped.fallback_rounds, capped.unconverged_rounds) == (8, 8)


@pytest.mark.parametrize("resample", ["multinomial", "poisson"])
def test_vectorised_refits_agree_with_exact_newton_per_round(arena, fit, resample):
    design = fit.design
    draw = multinomial_counts if resample == "multinomial" else poisson_counts
    cell_draws = draw(design.cell_count, 20, np.random.default_rng(9))
    by_cell = np.ascontiguousarray(cell_draws.T)
    matrices = _cell_matrices(fit)
    totals = _RowTotals.of(matrices[0], by_cell)
    theta, _, _ = _chord_block(fit, totals, matrices, BOOTSTRAP_TOL, 25)
    for r in range(20):
        n, y = design.totals(cell_draws[r])
        exact, _, _ = newton_solve(design, n, y, fit.beta, tol=1e-12)
        difference = (theta[r] - theta[r].mean()) - (exact[:12] - exact[:12].mean())
        assert np.max(np.abs(difference)) * elo_factor() < 0.005


def test_multinomial_draws_keep_the_number_of_votes():
    count = np.array([5.0, 1.0, 300.0, 42.0, 7.0])
    draws = multinomial_counts(count, 200, np.random.default_rng(0))
    assert np.all(draws.sum(axis=1) == count.sum())
    assert np.all(draws >= 0)


def test_resampled_counts_have_the_right_mean_and_variance():
    count = np.array([1.0, 4.0, 30.0, 900.0])
    n = count.sum()
    poisson = poisson_counts(count, 20000, np.random.default_rng(1))
    multinomial = multinomial_counts(count, 20000, np.random.default_rng(2))
    assert np.allclose(poisson.mean(axis=0), count, rtol=0.03)
    assert np.allclose(poisson.var(axis=0), count, rtol=0.06)
    assert np.allclose(multinomial.mean(axis=0), count, rtol=0.03)
    assert np.allclose(multinomial.var(axis=0), count * (1 - count / n), rtol=0.06)


def test_a_model_absent_from_a_replicate_gets_nan_and_others_stay_finite():
    # Model 2 has a single vote: it is missing from about a third of the replicates.
    counts = PairCounts(3, [0, 0, 1], [1, 1, 2], [0, 1, 0], [30.0, 20.0, 1.0])
    fit = fit_bradley_terry(counts)
    result = bootstrap_intervals(counts, fit, rounds=200, rng=np.random.default_rng(0))
    missing = np.isnan(result.replicates[:, 2])
    assert 0 < missing.sum() < 200
    assert np.all(np.isfinite(result.replicates[:, :2]))
    assert np.isfinite(result.lower).all() and np.isfinite(result.upper).all()


def test_percentile_intervals_ignore_nan_and_keep_all_nan_columns_nan():
    replicates = np.array([[1.0, np.nan], [2.0, np.nan], [3.0, np.nan]])
    lower, upper = percentile_intervals(replicates, 0.5)
    assert lower[0] == pytest.approx(1.5) and upper[0] == pytest.approx(2.5)
    assert np.isnan(lower[1]) and np.isnan(upper[1])


def test_analytic_intervals_are_close_to_bootstrap_ones_on_plenty_of_data():
    arena = synthetic_arena(10, 200000, seed=12, keep_votes=False)
    fit = fit_bradley_terry(arena.counts)
    boot = bootstrap_intervals(arena.counts, fit, rounds=1000, rng=np.random.default_rng(3))
    boot_width = boot.upper - boot.lower
    half_width, _ = analytic_intervals(fit)
    assert np.allclose(2 * half_width, boot_width, rtol=0.15)


def test_davidson_bootstrap_runs_and_brackets_the_fit():
    counts = PairCounts(
        3,
        [0, 0, 0, 1, 1, 1],
        [1, 1, 1, 2, 2, 2],
        [0, 1, 2, 0, 1, 2],
        [40.0, 20.0, 15.0, 30.0, 25.0, 20.0],
    )
    fit = fit_bradley_terry(counts, ties="davidson")
    result = bootstrap_intervals(counts, fit, rounds=30, rng=np.random.default_rng(0))
    centred = fit.theta - fit.theta.mean()
    assert np.all(result.lower <= centred) and np.all(centred <= result.upper)


def lbfgs_replicates(refit, by_cell, k, prior, start):
    """Each round of by_cell refitted on its own by L-BFGS, centred over its played models."""
    rounds = by_cell.shape[1]
    wins_first, wins_second, ties = (refit.to_totals @ by_cell).reshape(3, -1, rounds)
    theta = np.full((rounds, k), np.nan)
    for r in range(rounds):
        totals = _PairTotals(
            refit.first, refit.second, wins_first[:, r], wins_second[:, r], ties[:, r]
        )
        params, _, _ = davidson_solve(totals, k, prior, 1e-10, start=start)
        games = wins_first[:, r] + wins_second[:, r] + ties[:, r]
        played = abs(refit.to_models) @ games > 0
        theta[r, played] = params[:k][played] - params[:k][played].mean()
    return theta


@pytest.mark.parametrize("max_iter", [25, 1])
def test_davidson_block_refits_agree_with_lbfgs_per_round(max_iter):
    # max_iter=1: every round falls back to its own L-BFGS fit.
    k = 30
    counts = synthetic_arena(k, 30000, seed=5).counts
    fit = fit_bradley_terry(counts, ties="davidson")
    pair_key, code, count = _davidson_cells(counts)
    refit = _DavidsonRefit.make(fit, pair_key, code, count, k)
    by_cell = np.ascontiguousarray(multinomial_counts(count, 12, np.random.default_rng(2)).T)
    theta, fallback, unconverged = refit.block(by_cell, BOOTSTRAP_TOL, max_iter)
    expected = lbfgs_replicates(refit, by_cell, k, fit.prior, fit.beta)
    assert (fallback, unconverged) == ((0, 0) if max_iter > 1 else (12, 0))
    assert np.nanmax(np.abs(theta - expected)) * elo_factor() < 0.005
    assert np.array_equal(np.isnan(theta), np.isnan(expected))


def test_davidson_hessian_is_the_objectives_second_derivative():
    counts = synthetic_arena(6, 3000, seed=3).counts
    pair_key, code, count = _davidson_cells(counts)
    totals = _davidson_totals(pair_key, code, count, 6, np.unique(pair_key))
    params = np.random.default_rng(0).normal(0.0, 0.3, 7)
    step = 1e-6
    numeric = np.array(
        [
            davidson_objective(params + step * unit, totals, 0.01)[1]
            - davidson_objective(params - step * unit, totals, 0.01)[1]
            for unit in np.eye(7)
        ]
    ) / (2 * step)
    assert np.allclose(davidson_hessian(params, totals, 0.01), numeric, atol=1e-5)


def test_unknown_resampling_scheme_is_refused(arena, fit):
    with pytest.raises(ValueError, match="resample"):
        bootstrap_intervals(arena.counts, fit, rng=np.random.default_rng(0), resample="jackknife")
    assert Outcome.TIE == 2


def test_row_totals_tell_who_got_credit_as_the_check_counts_it():
    # Few votes per pair, so that many pairs give credit to one side only in a round: the
    # shortcut (from the row totals) must agree with the check's own products everywhere.
    plans = []

    def capture(plan):
        plans.append(plan)
        return plan.run_blocks(range(plan.n_blocks), 1)

    counts = synthetic_arena(12, 400, seed=3).counts
    rate(counts, rounds=100, seed=5, runner=capture)
    (plan,) = plans
    assert plan.check is not None and plan.rows_are_pairs
    draws = multinomial_counts(plan.cell_count, 16, np.random.default_rng(9), plan.table)
    assert draws.dtype == np.float32
    by_cell = np.ascontiguousarray(draws.T)
    first, second = _RowTotals.of(plan.matrices[0], by_cell).credited()
    expected_first, expected_second = plan.check.credited(by_cell)
    assert not expected_first.all() and not expected_second.all()
    np.testing.assert_array_equal(first, expected_first)
    np.testing.assert_array_equal(second, expected_second)


def test_percentile_intervals_are_numpys_nan_quantiles_whatever_the_columns_miss():
    rng = np.random.default_rng(9)
    replicates = rng.normal(size=(300, 6))
    replicates[rng.random((300, 6)) < 0.05] = np.nan
    replicates[:, 0] = rng.normal(size=300)  # a column without NaN
    replicates[:, 1] = np.nan  # a model in no round
    lower, upper = percentile_intervals(replicates, 0.9)
    expected = np.nanquantile(replicates[:, [0, *range(2, 6)]], [0.05, 0.95], axis=0)
    np.testing.assert_allclose(lower[[0, 2, 3, 4, 5]], expected[0], rtol=0, atol=1e-14)
    np.testing.assert_allclose(upper[[0, 2, 3, 4, 5]], expected[1], rtol=0, atol=1e-14)
    assert np.isnan(lower[1]) and np.isnan(upper[1])


def test_anderson_acceleration_solves_a_linear_fixed_point_exactly():
    # The fixed point of x -> M x + c in two dimensions, three independent columns: with
    # depth 2 the third accelerated iterate is exact (Anderson on a linear map is GMRES).
    m = np.array([[0.5, 0.3], [-0.2, 0.4]])
    c = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]])
    solution = np.linalg.solve(np.eye(2) - m, c)
    anderson = bootstrap_module._Anderson()
    x = np.zeros((2, 3))
    for _ in range(3):
        x = anderson.next(x, m @ x + c - x)
    assert np.allclose(x, solution, atol=1e-10)
    plain = np.zeros((2, 3))
    for _ in range(3):
        plain = m @ plain + c
    assert not np.allclose(plain, solution, atol=1e-3)


def chord_steps_and_replicates(counts, monkeypatch, depth, rescaled=True):
    """Steps per round of the ties-as-half refits and their replicates, with the chord
    iteration Anderson-accelerated at ``depth`` (0: the plain iteration), and its steps
    rescaled by each round's curvatures where that is safe (``rescaled``) or never."""
    monkeypatch.setattr(bootstrap_module, "_ANDERSON_DEPTH", depth)
    monkeypatch.setattr(bootstrap_module, "_SAFE_RESCALING", _SAFE_RESCALING if rescaled else 0.0)
    steps = []
    still_going = bootstrap_module._still_going

    def counting(size, previous, tol):
        steps.append(size.size)
        return still_going(size, previous, tol)

    monkeypatch.setattr(bootstrap_module, "_still_going", counting)
    fit = fit_bradley_terry(counts)
    rounds = 60
    result = bootstrap_intervals(counts, fit, rounds=rounds, rng=np.random.default_rng(3))
    assert result.fallback_rounds == 0
    return sum(steps) / rounds, result.replicates


@pytest.mark.parametrize("votes, fewer_steps", [(4000, True), (200000, False)])
def test_accelerated_refits_agree_with_the_plain_chord_iteration(votes, fewer_steps, monkeypatch):
    # Sparse data (4,000 votes for 40 models) contract slowly: 8.7 plain steps a round, 6.4
    # accelerated. Dense data stop after 3 steps either way, unmixed (the same replicates).
    counts = synthetic_arena(40, votes, seed=21, keep_votes=False).counts
    plain_steps, plain = chord_steps_and_replicates(counts, monkeypatch, 0)
    steps, accelerated = chord_steps_and_replicates(counts, monkeypatch, 2)
    # Both stop within the tolerance of the same fixed point.
    assert np.array_equal(np.isnan(plain), np.isnan(accelerated))
    assert np.nanmax(np.abs(plain - accelerated)) < 2 * BOOTSTRAP_TOL
    if fewer_steps:
        assert steps < plain_steps
    else:
        assert steps == plain_steps and np.array_equal(plain, accelerated, equal_nan=True)


def test_accelerated_refits_do_not_extrapolate_tiny_separated_samples_into_overflow():
    # 6 models, 40 votes: some rounds leave a model unbeaten, where an unchecked mix once
    # overshot past exp's float32 range (inf * 0 in the odds) before the Newton fallback.
    rng = np.random.default_rng(5)
    for seed in range(20):
        counts = synthetic_arena(6, 40, seed=seed).counts
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            rate(counts, rounds=100, seed=int(rng.integers(1000)))


def test_rescaled_chord_steps_reach_the_same_fixed_point_in_fewer_steps(monkeypatch):
    # Sparse K = 200 data: 5.0 steps a round with H as it is, 4.0 with H rescaled by each
    # round's curvatures; both stop within the tolerance of the same fixed point.
    counts = synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts
    plain_steps, plain = chord_steps_and_replicates(counts, monkeypatch, 2, rescaled=False)
    steps, rescaled = chord_steps_and_replicates(counts, monkeypatch, 2)
    assert np.array_equal(np.isnan(plain), np.isnan(rescaled))
    assert np.nanmax(np.abs(plain - rescaled)) < 2 * BOOTSTRAP_TOL
    assert steps < plain_steps - 0.5


def curvature_scales(counts, moved_by):
    """:meth:`_ChordSolve.scale` of eight multinomial rounds of ``counts``' fit, their
    strengths moved from the fit by ``moved_by`` times a standard normal draw."""
    fit = fit_bradley_terry(counts)
    matrices = _cell_matrices(fit)
    draws = multinomial_counts(fit.design.cell_count, 8, np.random.default_rng(4))
    totals = _RowTotals.of(matrices[0], np.ascontiguousarray(draws.T))
    votes = matrices[1].model_totals(totals.n)
    moved = moved_by * np.random.default_rng(5).normal(size=votes.shape)
    return _ChordSolve.of(fit).scale(votes, moved), votes


def test_every_sparse_round_is_rescaled_by_its_curvatures():
    scale, votes = curvature_scales(
        synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts, 0.03
    )
    assert np.all(np.any(scale != 1.0, axis=0))
    assert np.all(scale[votes == 0] == 1.0)
    assert np.all(np.abs(scale - 1.0) < 0.25)


def test_no_round_is_rescaled_where_the_rescaling_could_mislead():
    # 6 models, 40 votes: H is ill-conditioned (condition in the thousands), and a rescaled
    # chord iteration ran away there to beyond float32's exponentials; H stays as it is.
    scale, _ = curvature_scales(synthetic_arena(6, 40, seed=3).counts, 0.03)
    assert np.all(scale == 1.0)
    # Nor where the first step moved a strength beyond the estimate's first order.
    sparse = synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts
    scale, _ = curvature_scales(sparse, 0.3)
    assert np.all(scale == 1.0)


def test_no_round_is_rescaled_where_a_curvature_left_the_first_order():
    # Round 1 leaves model 0 a hundredth of its votes: its curvature would fall to about a
    # hundredth (a scale of 0.1), beyond what the estimate is trusted for; round 0 keeps all.
    fit = fit_bradley_terry(synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts)
    solver = _ChordSolve.of(fit)
    votes = np.repeat(solver.votes[:, None], 2, axis=1)
    votes[0, 1] *= 0.01
    scale = solver.scale(votes, np.zeros(votes.shape))
    np.testing.assert_allclose(scale[:, 0], 1.0, rtol=0, atol=1e-6)
    assert np.all(scale[:, 1] == 1.0)
