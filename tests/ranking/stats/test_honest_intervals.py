"""Intervals never falsely certain: perfect records, tiny samples, models without votes, too
few rounds, and scores that must not move on normal data."""

import math
import warnings

import numpy as np
import pytest
from scipy.special import expit

from bench.synthetic import synthetic_arena
from ranking.stats import Outcome, PairCounts, elo_factor, rate
from ranking.stats.bootstrap import min_bootstrap_rounds

A, B, TIE = Outcome.A_WINS, Outcome.B_WINS, Outcome.TIE
POINTS = elo_factor()


def perfect_pair() -> PairCounts:
    return PairCounts(2, [0], [1], [A], [10.0])


@pytest.mark.parametrize("interval", ["bootstrap", "analytic"])
def test_a_ten_nil_record_gets_an_interval_open_on_its_unbounded_side(interval):
    ratings = rate(perfect_pair(), rounds=200, interval=interval)
    assert ratings.ci_high[0] == math.inf and ratings.ci_low[1] == -math.inf
    assert ratings.ci_low[0] < ratings.score[0] and ratings.score[1] < ratings.ci_high[1]
    assert ratings.open_above.tolist() == [True, False]
    assert ratings.open_below.tolist() == [False, True]
    assert [note.kind for note in ratings.warnings] == ["open_above", "open_below"]


def test_the_finite_side_of_a_perfect_record_is_its_exact_one_sided_bound():
    ratings = rate(perfect_pair(), rounds=200)
    # Mean level: the winner sits half the gap above 1000. At the lower bound, ten wins out
    # of ten have probability 2.5%.
    gap = 2 * (ratings.ci_low[0] - 1000.0) / POINTS
    assert expit(gap) ** 10 == pytest.approx(0.025, rel=1e-6)
    assert ratings.ci_high[1] - 1000.0 == pytest.approx(1000.0 - ratings.ci_low[0])
    # It is a real bound, not the prior's: far below the prior-held estimate.
    assert ratings.score[0] - ratings.ci_low[0] > 500


def test_with_an_anchor_the_perfect_winner_is_bounded_against_the_anchor_alone():
    ratings = rate(perfect_pair(), rounds=200, anchor=(1, 1000.0))
    assert (ratings.ci_low[1], ratings.ci_high[1]) == (1000.0, 1000.0)  # the anchor
    assert expit((ratings.ci_low[0] - 1000.0) / POINTS) ** 10 == pytest.approx(0.025, rel=1e-6)
    assert ratings.ci_high[0] == math.inf


def test_a_newcomer_that_won_its_three_votes_is_bounded_by_its_opponents_and_moves_no_one():
    arena = synthetic_arena(8, 5000, seed=3)
    counts = arena.counts
    newcomer = PairCounts(
        9,
        np.concatenate([counts.model_a, [8, 8, 8]]),
        np.concatenate([counts.model_b, [0, 3, 5]]),
        np.concatenate([counts.outcome, [A, A, A]]),
        np.concatenate([counts.count, [1.0, 1.0, 1.0]]),
    )
    before = rate(counts, rounds=200)
    after = rate(newcomer, rounds=200)
    assert after.open_above.tolist() == [False] * 8 + [True]
    assert np.max(np.abs(after.score[:8] - before.score)) < 0.01
    assert after.ci_high[8] == math.inf
    beaten = after.score[[0, 3, 5]]
    at_bound = expit((after.ci_low[8] - beaten) / POINTS)
    assert np.prod(at_bound) == pytest.approx(0.025, rel=1e-6)
    assert np.all(np.isfinite(after.ci_low[:8]) & np.isfinite(after.ci_high[:8]))


def test_a_chain_of_single_wins_leaves_the_middle_model_unbounded_on_both_sides():
    chain = PairCounts(3, [0, 1], [1, 2], [A, A], [1.0, 1.0])
    ratings = rate(chain, rounds=100, ties="davidson")
    assert np.isfinite(ratings.ci_low[0]) and ratings.ci_high[0] == math.inf
    assert (ratings.ci_low[1], ratings.ci_high[1]) == (-math.inf, math.inf)
    assert ratings.ci_low[2] == -math.inf and np.isfinite(ratings.ci_high[2])
    # The top model's bound is that of the group it beat, not its own prior-held gap.
    assert ratings.ci_low[0] < ratings.score[1]


def test_a_model_that_lost_to_two_models_that_never_met_is_bounded_by_them_not_by_itself():
    # Every model is open below and the loser's group (everyone) holds the whole mean level:
    # raising the group moves nothing, however far it could go.
    counts = PairCounts(3, [0, 1], [2, 2], [A, A], [3.0, 3.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ratings = rate(counts, rounds=200)
    assert ratings.open_below.all() and ratings.open_above.tolist() == [True, True, False]
    assert ratings.ci_low[2] == -math.inf
    # Its upper bound is the highest of the group's scores, not its own prior-held estimate.
    assert ratings.ci_high[2] == pytest.approx(ratings.score[:2].max())
    assert ratings.ci_high[2] - ratings.score[2] > 1000


def test_a_tiny_sample_gets_an_interval_open_where_resampling_makes_a_perfect_record():
    # 3 wins to 2: one round in thirteen (0.6 ** 5) repeats the winner's perfect record.
    counts = PairCounts(2, [0, 0], [1, 1], [A, B], [3.0, 2.0])
    ratings = rate(counts, rounds=1000)
    assert not ratings.open_above.any() and not ratings.open_below.any()
    assert ratings.ci_high[0] == math.inf and ratings.ci_low[1] == -math.inf
    assert np.mean(ratings.openness[:, 0] == 1) > 0.025
    assert any(note.kind == "open_interval" for note in ratings.warnings)


def test_a_model_present_only_with_zero_counts_is_left_out_with_a_warning():
    counts = PairCounts(3, [0, 0, 1, 2], [1, 1, 0, 0], [A, TIE, A, B], [5.0, 2.0, 4.0, 0.0])
    ratings = rate(counts, rounds=100)
    assert np.isnan(ratings.score[2]) and np.isnan(ratings.ci_low[2])
    assert (ratings.rank[2], ratings.rank_ub[2], ratings.component[2]) == (0, 0, -1)
    assert not ratings.rated[2]
    note = next(note for note in ratings.warnings if note.kind == "unrated")
    assert note.render(["x", "y", "z"]).endswith("left out (no score): z")
    two = rate(PairCounts(2, [0, 0, 1], [1, 1, 0], [A, TIE, A], [5.0, 2.0, 4.0]), rounds=100)
    assert np.array_equal(ratings.score[:2], two.score)


def test_models_left_with_no_decisive_vote_by_dropped_ties_are_left_out():
    counts = PairCounts(3, [0, 0, 1], [1, 1, 2], [A, B, TIE], [5.0, 4.0, 3.0])
    ratings = rate(counts, rounds=100, ties="drop")
    assert ratings.rated.tolist() == [True, True, False]


@pytest.mark.parametrize("rounds", [0, 1, 50, min_bootstrap_rounds() - 1])
def test_too_few_bootstrap_rounds_are_refused(rounds):
    with pytest.raises(ValueError, match="at least 100"):
        rate(perfect_pair(), rounds=rounds)


def test_the_minimum_number_of_rounds_grows_with_the_level():
    assert min_bootstrap_rounds(0.95) == 100
    assert min_bootstrap_rounds(0.99) == 500
    assert rate(perfect_pair(), interval="analytic", rounds=0).rounds == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_an_anchor_score_that_is_not_finite_is_refused(value):
    with pytest.raises(ValueError, match="finite"):
        rate(perfect_pair(), rounds=100, anchor=(0, value))


def test_an_anchor_without_votes_in_the_fit_is_refused():
    counts = PairCounts(3, [0], [1], [A], [4.0])
    with pytest.raises(ValueError, match="anchor model has no votes"):
        rate(counts, rounds=100, anchor=(2, 1000.0))


def test_astronomical_counts_are_refused_and_a_billion_votes_are_fine():
    with pytest.raises(ValueError, match="more than the 1e"):
        rate(PairCounts(2, [0, 0], [1, 1], [A, B], [1e300, 2.0]), rounds=100)
    big = rate(PairCounts(2, [0, 0], [1, 1], [A, B], [6e8, 4e8]), rounds=100)
    assert big.score[0] - big.score[1] == pytest.approx(POINTS * math.log(1.5), abs=1e-6)


def test_only_ties_with_ties_dropped_is_refused():
    with pytest.raises(ValueError, match="fewer than two models have votes to fit"):
        rate(PairCounts(2, [0], [1], [TIE], [3.0]), rounds=100, ties="drop")


def test_every_interval_holds_its_own_estimate_even_on_tiny_skewed_samples():
    rng = np.random.default_rng(5)
    for seed in range(20):
        arena = synthetic_arena(6, 40, seed=seed)
        ratings = rate(arena.counts, rounds=100, seed=int(rng.integers(1000)))
        rated = ratings.rated
        assert np.all(ratings.ci_low[rated] <= ratings.score[rated])
        assert np.all(ratings.score[rated] <= ratings.ci_high[rated])


def test_scores_on_normal_data_do_not_depend_on_the_new_checks():
    arena = synthetic_arena(12, 20000, seed=11)
    ratings = rate(arena.counts, rounds=200, seed=1)
    assert not ratings.open_above.any() and not ratings.open_below.any()
    assert not ratings.openness.any()
    assert ratings.score.mean() == pytest.approx(1000.0, abs=1e-9)
    assert np.all(np.isfinite(ratings.ci_low) & np.isfinite(ratings.ci_high))
