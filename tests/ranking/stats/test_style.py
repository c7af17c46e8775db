import numpy as np
import pytest

from bench.synthetic import synthetic_arena
from ranking.stats import (
    STYLE_FEATURES,
    Outcome,
    StyleCounts,
    fit_bradley_terry,
    rate,
    style_difference,
)

A, B = Outcome.A_WINS, Outcome.B_WINS


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


def planted_length_bias(n_votes: int, seed: int) -> tuple[StyleCounts, np.ndarray]:
    """Six models whose answers get longer as they get weaker, and voters who prefer the
    longer answer by 1 log-odds per unit of normalised length difference, independent of
    strength. Returns the votes with their style features, and the true scores (mean 1000)."""
    rng = np.random.default_rng(seed)
    true = np.array([1150.0, 1100.0, 1050.0, 1000.0, 950.0, 750.0])
    true += 1000.0 - true.mean()
    verbosity = np.array([0, 1, 2, 2, 3, 4])
    lengths = np.array([60, 120, 240, 480, 960])
    a = rng.integers(0, 6, n_votes)
    b = (a + 1 + rng.integers(0, 5, n_votes)) % 6

    def features(model: np.ndarray) -> np.ndarray:
        tokens = lengths[np.clip(verbosity[model] + rng.integers(-1, 2, n_votes), 0, 4)]
        headers = rng.integers(0, 2, n_votes) * (verbosity[model] >= 3)
        return np.column_stack([tokens, headers, np.zeros((n_votes, 2))])

    difference = style_difference(features(a), features(b))
    logit = (true[a] - true[b]) * np.log(10) / 400 + 1.0 * difference[:, 0]
    outcome = np.where(rng.random(n_votes) < 1 / (1 + np.exp(-logit)), A, B)
    counts = StyleCounts(6, a, b, outcome, difference, np.ones(n_votes), STYLE_FEATURES)
    return counts, true


def test_style_control_removes_a_planted_length_bias_and_recovers_the_true_scores():
    counts, true = planted_length_bias(60000, seed=5)
    plain = rate(counts.pair_counts(), rounds=100, seed=1)
    controlled = rate(counts, rounds=100, seed=1)
    # Without control the verbose, weakest model is overrated by the length preference.
    assert plain.score[5] - true[5] > 60
    assert np.max(np.abs(plain.score - true)) > 60
    # With it, every score is back within 15 points, and the preference is measured.
    assert np.max(np.abs(controlled.score - true)) < 15
    assert controlled.style_coef["tokens"] == pytest.approx(1.0, abs=0.1)
    assert abs(controlled.style_coef["headers"]) < 0.15
    inside = (controlled.ci_low <= true) & (true <= controlled.ci_high)
    assert inside.sum() >= 5
