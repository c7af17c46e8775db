import numpy as np
import pytest

from bench.synthetic import synthetic_arena
from ranking.stats import (
    Outcome,
    StyleCounts,
    fit_bradley_terry,
    rate,
    style_difference,
)


def test_style_difference_is_normalised_and_zero_when_both_are_empty():
    diff = style_difference(np.array([[30.0, 0.0]]), np.array([[10.0, 0.0]]))
    assert diff.tolist() == [[0.5, 0.0]]


def test_style_counts_aggregate_identical_rows():
    counts = StyleCounts(2, [0, 0], [1, 1], [0, 0], [[0.5], [0.5]], [1.0, 2.0], ("tokens",))
    assert counts.count.tolist() == [3.0]


def test_style_control_recovers_a_known_length_effect_and_the_true_scores():
    rng = np.random.default_rng(0)
    arena = synthetic_arena(6, 30000, seed=21, tie_rate=0.0)
    n = arena.model_a.size
    length = rng.choice([-0.5, 0.0, 0.5], size=n)
    true = (arena.true_scores[arena.model_a] - arena.true_scores[arena.model_b]) * np.log(10) / 400
    p = 1 / (1 + np.exp(-(true + 0.8 * length)))
    outcome = np.where(rng.random(n) < p, Outcome.A_WINS, Outcome.B_WINS)
    counts = StyleCounts(
        6, arena.model_a, arena.model_b, outcome, length[:, None], np.ones(n), ("tokens",)
    )
    fit = fit_bradley_terry(counts)
    assert fit.style_coef[0] == pytest.approx(0.8, abs=0.08)
    strengths = fit.theta - fit.theta.mean()
    truth = (arena.true_scores - arena.true_scores.mean()) * np.log(10) / 400
    assert np.max(np.abs(strengths - truth)) < 0.1


def test_style_controlled_ratings_get_bootstrap_intervals_and_report_coefficients():
    arena = synthetic_arena(5, 5000, seed=22)
    rng = np.random.default_rng(1)
    features = rng.choice([-0.5, 0.0, 0.5], size=(arena.model_a.size, 2))
    counts = StyleCounts(
        5,
        arena.model_a,
        arena.model_b,
        arena.outcome,
        features,
        np.ones(arena.model_a.size),
        ("tokens", "bold"),
    )
    ratings = rate(counts, rounds=100, seed=0)
    assert set(ratings.style_coef) == {"tokens", "bold"}
    assert np.all(ratings.ci_low <= ratings.score) and np.all(ratings.score <= ratings.ci_high)
    assert ratings.votes.sum() == 2 * arena.model_a.size
