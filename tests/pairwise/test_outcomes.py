import numpy as np
import pytest

from pairwise.matrices import observed_win_rates, pair_matrices, predicted_win_rates
from pairwise.outcomes import CREDIT_A, FLIPPED, OUTCOME_NAMES, Outcome, credit_a


def test_ties_and_both_bad_count_half_for_each_side():
    assert [credit_a(name) for name in OUTCOME_NAMES] == [1.0, 0.0, 0.5, 0.5]
    assert [credit_a(code) for code in Outcome] == list(CREDIT_A)


def test_swapping_sides_swaps_wins_and_keeps_ties():
    assert [Outcome(FLIPPED[code]) for code in Outcome] == [
        Outcome.B_WINS,
        Outcome.A_WINS,
        Outcome.TIE,
        Outcome.BOTH_BAD,
    ]
    assert all(credit_a(FLIPPED[code]) == 1 - credit_a(code) for code in Outcome)


def test_names_and_codes_are_one_mapping():
    assert [Outcome.from_name(name) for name in OUTCOME_NAMES] == list(Outcome)
    with pytest.raises(KeyError):
        Outcome.from_name("draw")


def test_matrices_by_hand():
    # 0 beat 1 three times, 1 beat 0 once, one tie; 1 and 2 were both bad twice.
    games, wins = pair_matrices(
        3,
        [0, 1, 0, 1],
        [1, 0, 1, 2],
        [Outcome.A_WINS, Outcome.A_WINS, Outcome.TIE, 3],
        [3, 1, 1, 2],
    )
    assert games.tolist() == [[0, 5, 0], [5, 0, 2], [0, 2, 0]]
    assert wins.tolist() == [[0, 3.5, 0], [1.5, 0, 1], [0, 1, 0]]
    observed = observed_win_rates(games, wins)
    assert observed[0, 1] == 0.7 and observed[1, 0] == 0.3 and np.isnan(observed[0, 2])


def test_predicted_win_rates_follow_the_elo_scale():
    p = predicted_win_rates(np.array([1400.0, 1000.0]))
    assert p[0, 1] == pytest.approx(10 / 11) and p[1, 0] == pytest.approx(1 / 11)
    assert np.isnan(p[0, 0])
