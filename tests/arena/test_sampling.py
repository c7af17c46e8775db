"""The pair-sampling policy, on hand-made counts (no database)."""

from __future__ import annotations

import numpy as np
import pytest

from arena.sampling import SamplingCounts, order_uncertainty, pair_weights


def counts(games: list[list[float]], wins: list[list[float]]) -> SamplingCounts:
    games_array, wins_array = np.array(games, float), np.array(wins, float)
    return SamplingCounts(votes=games_array.sum(axis=1), games=games_array, wins=wins_array)


def test_a_pair_never_played_is_fully_uncertain():
    uncertainty = order_uncertainty(counts([[0, 0], [0, 0]], [[0, 0], [0, 0]]))
    assert uncertainty[0, 1] == pytest.approx(1.0) and uncertainty[0, 0] == 0.0


def test_a_lopsided_pair_is_settled_and_an_even_one_is_not():
    games = [[0, 400, 400], [400, 0, 0], [400, 0, 0]]
    wins = [[0, 380, 200], [20, 0, 0], [200, 0, 0]]
    uncertainty = order_uncertainty(counts(games, wins))
    assert uncertainty[0, 1] < 1e-6  # 95% wins over 400 games
    assert uncertainty[0, 2] > 0.9  # 50% over 400 games
    assert uncertainty[1, 2] == pytest.approx(1.0)  # never played


def test_new_models_get_up_to_one_plus_twice_the_boost():
    data = SamplingCounts(
        votes=np.array([0.0, 1000.0, 1000.0]), games=np.zeros((3, 3)), wins=np.zeros((3, 3))
    )
    weights = pair_weights(data, new_model_votes=300, new_model_boost=4, under_voted_boost=0)
    # pairs with the new model (0) carry 1 + 4 = 5 times the weight of the old pair
    assert weights[0, 1] / weights[1, 2] == pytest.approx(5.0)
    assert weights[0, 0] == 0 and np.allclose(weights, weights.T)


def test_the_boost_fades_as_a_model_collects_votes():
    data = SamplingCounts(
        votes=np.array([150.0, 1000.0, 1000.0]), games=np.zeros((3, 3)), wins=np.zeros((3, 3))
    )
    weights = pair_weights(data, new_model_votes=300, new_model_boost=4, under_voted_boost=0)
    assert weights[0, 1] / weights[1, 2] == pytest.approx(3.0)


def test_a_model_far_below_the_median_of_votes_is_weighted_up():
    data = SamplingCounts(
        votes=np.array([100.0, 1000.0, 1000.0]), games=np.zeros((3, 3)), wins=np.zeros((3, 3))
    )
    weights = pair_weights(data, new_model_votes=0, new_model_boost=0, under_voted_boost=4)
    # 100 of a median 1000: boost 4 * 0.9 = 3.6 on its pairs
    assert weights[0, 1] / weights[1, 2] == pytest.approx(4.6)
