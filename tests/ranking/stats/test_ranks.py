import numpy as np
import pytest

from ranking.stats import (
    PairCounts,
    average_win_rate,
    observed_win_rates,
    predicted_win_rates,
    rank_by_intervals,
    rank_by_score,
)


def test_rank_ub_counts_models_whose_lower_bound_is_above_the_upper_bound():
    lower = np.array([1290.0, 1280.0, 1200.0, 1100.0])
    upper = np.array([1310.0, 1295.0, 1285.0, 1150.0])
    # Model 2's upper bound 1285 is below model 0's lower bound 1290 only.
    assert rank_by_intervals(lower, upper).tolist() == [1, 1, 2, 4]


def test_rank_ub_treats_nan_bounds_as_unknown():
    lower = np.array([1300.0, np.nan, 1000.0])
    upper = np.array([1310.0, np.nan, 1100.0])
    assert rank_by_intervals(lower, upper).tolist() == [1, 0, 2]


def test_rank_by_score_gives_equal_scores_the_same_rank():
    assert rank_by_score(np.array([1000.0, 1200.0, 1000.0, 900.0])).tolist() == [2, 1, 2, 4]


def test_observed_win_rates_count_ties_half_and_leave_unmet_pairs_nan():
    counts = PairCounts(3, [0, 0, 1], [1, 1, 0], [0, 2, 0], [2.0, 1.0, 1.0])
    rates = observed_win_rates(counts)
    assert rates[0, 1] == pytest.approx(2.5 / 4)
    assert rates[1, 0] == pytest.approx(1.5 / 4)
    assert np.isnan(rates[0, 2])


def test_predicted_win_rates_follow_the_elo_formula():
    rates = predicted_win_rates(np.array([1400.0, 1000.0]))
    assert rates[0, 1] == pytest.approx(10 / 11)
    assert rates[0, 1] + rates[1, 0] == pytest.approx(1.0)
    assert np.isnan(rates[0, 0])


def test_average_win_rate_is_the_mean_against_every_other_model():
    score = np.array([1000.0, 1000.0, 1000.0])
    assert average_win_rate(score).tolist() == [0.5, 0.5, 0.5]


def test_ranks_count_only_models_of_the_same_group():
    score = np.array([1200.0, 1100.0, 1150.0, 1000.0, np.nan])
    groups = np.array([0, 0, 1, 1, -1])
    assert rank_by_score(score, groups=groups).tolist() == [1, 2, 1, 2, 0]
    lower = np.array([1190.0, 1090.0, 1140.0, 990.0, np.nan])
    upper = np.array([1210.0, 1110.0, 1160.0, 1010.0, np.nan])
    # Model 3 is below model 0 and model 2 everywhere, but only model 2 is in its group.
    assert rank_by_intervals(lower, upper).tolist() == [1, 3, 2, 4, 0]
    assert rank_by_intervals(lower, upper, groups=groups).tolist() == [1, 2, 1, 2, 0]
