import math

import numpy as np
import pytest

from bench.synthetic import synthetic_arena
from ranking.stats import Outcome, PairCounts, fit_bradley_terry, to_elo_scale
from ranking.stats.bradley_terry import HessianSolve

ELO = 400 / math.log(10)
A, B, TIE, BAD = Outcome.A_WINS, Outcome.B_WINS, Outcome.TIE, Outcome.BOTH_BAD


def scores(counts, **options):
    return to_elo_scale(fit_bradley_terry(counts, **options).theta)


def test_two_models_three_wins_to_one_are_ln3_apart():
    counts = PairCounts(2, [0, 0], [1, 1], [A, B], [3.0, 1.0])
    score = scores(counts, prior=1e-10)
    assert score[0] - score[1] == pytest.approx(ELO * math.log(3), abs=1e-4)
    assert score.mean() == pytest.approx(1000.0)


def test_ties_and_both_bad_count_as_half_a_win_each():
    with_ties = PairCounts(2, [0, 0, 0, 0], [1, 1, 1, 1], [A, B, TIE, BAD], [2.0, 0.0, 1.0, 1.0])
    # 2 wins + 2 half wins = 3 of 4: the same as three wins to one.
    score = scores(with_ties, prior=1e-10)
    assert score[0] - score[1] == pytest.approx(ELO * math.log(3), abs=1e-4)


def test_three_models_with_consistent_proportions_are_fitted_exactly():
    # 0 beats 1 two to one, 1 beats 2 two to one, 0 beats 2 four to one: the data are exactly
    # Bradley-Terry with strengths 4 : 2 : 1, so the MLE is ln 2 apart in each step.
    counts = PairCounts(
        3, [0, 1, 1, 2, 0, 2], [1, 0, 2, 1, 2, 0], [A, A, A, A, A, A], [20, 10, 20, 10, 40, 10]
    )
    score = scores(counts, prior=1e-10)
    assert score[0] - score[1] == pytest.approx(ELO * math.log(2), abs=1e-4)
    assert score[1] - score[2] == pytest.approx(ELO * math.log(2), abs=1e-4)


def test_swapping_sides_and_flipping_outcomes_gives_the_same_scores():
    arena = synthetic_arena(8, 3000, seed=5)
    original = scores(arena.counts)
    swapped = scores(arena.counts.swapped())
    assert np.max(np.abs(original - swapped)) < 1e-8


def test_scores_do_not_depend_on_vote_order():
    arena = synthetic_arena(6, 2000, seed=6)
    order = np.random.default_rng(0).permutation(arena.model_a.size)
    shuffled = PairCounts.from_votes(
        arena.model_a[order], arena.model_b[order], arena.outcome[order], n_models=6
    )
    assert np.array_equal(scores(arena.counts), scores(shuffled))


def test_undefeated_model_gets_a_finite_score_and_a_warning():
    counts = PairCounts(3, [0, 0, 1, 2], [1, 2, 2, 1], [A, A, A, A], [5.0, 3.0, 4.0, 2.0])
    fit = fit_bradley_terry(counts)
    score = to_elo_scale(fit.theta)
    assert np.all(np.isfinite(score))
    assert score[0] == score.max()
    assert any(note.kind == "undefeated" and note.models == (0,) for note in fit.warnings)
    assert "never defeated" in fit.warnings[0].render(["alpha", "beta", "gamma"])
    assert fit.warnings[0].render(["alpha", "beta", "gamma"]).endswith(": alpha")


def test_disconnected_models_get_finite_scores_and_a_warning():
    counts = PairCounts(4, [0, 2], [1, 3], [A, B], [3.0, 2.0])
    fit = fit_bradley_terry(counts)
    assert np.all(np.isfinite(fit.theta))
    assert any("disconnected: 2 components" in str(warning) for warning in fit.warnings)


def test_fit_converges_to_a_zero_gradient():
    arena = synthetic_arena(30, 20000, seed=7)
    fit = fit_bradley_terry(arena.counts)
    design = fit.design
    n, y = design.totals(design.cell_count)
    eta = design.x @ fit.beta
    gradient = design.x.T @ (y - n / (1 + np.exp(-eta))) - design.prior * fit.beta
    assert fit.converged
    assert np.max(np.abs(gradient)) < 1e-6


def test_a_fit_stopped_by_its_iteration_cap_says_it_did_not_converge():
    arena = synthetic_arena(30, 20000, seed=7)
    fit = fit_bradley_terry(arena.counts, max_iter=1)
    assert not fit.converged and fit.iterations == 1
    assert any("did not converge" in str(warning) for warning in fit.warnings)


def test_a_converged_fit_carries_no_convergence_warning():
    arena = synthetic_arena(30, 20000, seed=7)
    for ties in ("half", "davidson"):
        fit = fit_bradley_terry(arena.counts, ties=ties)
        assert fit.converged
        assert not any("did not converge" in str(warning) for warning in fit.warnings)


def test_a_davidson_fit_that_did_not_converge_says_so(monkeypatch):
    import ranking.stats.bradley_terry as bradley_terry

    solve = bradley_terry.davidson_solve

    def one_step(*args, **kwargs):
        params, _, _ = solve(*args, **kwargs)
        return params, 1, False

    monkeypatch.setattr(bradley_terry, "davidson_solve", one_step)
    arena = synthetic_arena(10, 5000, seed=8)
    fit = fit_bradley_terry(arena.counts, ties="davidson")
    assert any("did not converge (stopped after 1 iterations)" in str(w) for w in fit.warnings)


def test_dropping_ties_ignores_them():
    counts = PairCounts(2, [0, 0, 0], [1, 1, 1], [A, B, TIE], [3.0, 1.0, 50.0])
    score = scores(counts, ties="drop", prior=1e-10)
    assert score[0] - score[1] == pytest.approx(ELO * math.log(3), abs=1e-4)


def test_davidson_two_model_case_matches_its_closed_form():
    # With two models the Davidson MLE reproduces the observed shares:
    # d = ln(wins_0 / wins_1) and nu = ties / sqrt(wins_0 * wins_1).
    counts = PairCounts(2, [0, 0, 0], [1, 1, 1], [A, B, TIE], [30.0, 10.0, 20.0])
    fit = fit_bradley_terry(counts, ties="davidson", prior=1e-10)
    assert fit.theta[0] - fit.theta[1] == pytest.approx(math.log(3), abs=1e-5)
    assert fit.tie_parameter == pytest.approx(20 / math.sqrt(300), rel=1e-5)


def test_davidson_orders_models_like_half_ties_on_a_synthetic_arena():
    arena = synthetic_arena(10, 20000, seed=8)
    half = scores(arena.counts)
    davidson = scores(arena.counts, ties="davidson")
    assert np.array_equal(np.argsort(half), np.argsort(davidson))


def test_unknown_tie_model_is_refused():
    counts = PairCounts(2, [0], [1], [A], [1.0])
    with pytest.raises(ValueError, match="ties"):
        fit_bradley_terry(counts, ties="coin")


def test_the_hessian_solver_refuses_a_hessian_that_is_not_finite():
    h = np.eye(3)
    h[1, 2] = np.nan
    with pytest.raises(np.linalg.LinAlgError):
        HessianSolve.of(h)


def test_the_hessian_solver_solves():
    h = np.array([[4.0, -1.0], [-1.0, 3.0]])
    b = np.array([1.0, 2.0])
    np.testing.assert_allclose(HessianSolve.of(h).solve(b), np.linalg.solve(h, b))
