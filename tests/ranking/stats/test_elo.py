import pytest

from ranking.stats import Outcome, elo_online, elo_online_path


def test_one_win_between_equals_moves_each_by_half_of_k():
    result = elo_online([0], [1], [Outcome.A_WINS], n_models=2)
    assert result.scores.tolist() == [1002.0, 998.0]
    assert result.k == 4.0


def test_updates_follow_time_order_and_ties_count_half():
    result = elo_online([0, 1], [1, 0], [Outcome.A_WINS, Outcome.TIE], n_models=2, k=32)
    after_first = 1016.0
    expected = 1 / (1 + 10 ** ((984.0 - after_first) / 400))
    # In the second vote model 1 is A; a tie gives each side 0.5.
    assert result.scores[0] == pytest.approx(after_first + 32 * (0.5 - expected))
    assert sum(result.scores) == pytest.approx(2000.0)


def test_vote_order_matters_for_online_elo():
    forward = elo_online([0, 0], [1, 1], [Outcome.A_WINS, Outcome.B_WINS], n_models=2, k=32)
    backward = elo_online([0, 0], [1, 1], [Outcome.B_WINS, Outcome.A_WINS], n_models=2, k=32)
    assert forward.scores[0] != backward.scores[0]


def test_the_path_keeps_both_ratings_after_every_vote_and_ends_at_the_final_scores():
    path = elo_online_path([0, 1], [1, 2], [Outcome.A_WINS, Outcome.B_WINS], n_models=3, k=32)
    # Vote 1: equals, A wins: +16/-16. Vote 2: 984 (A) against 1000 (B), B wins.
    expected_b = 1 / (1 + 10 ** ((984.0 - 1000.0) / 400))
    second = 32 * (0.0 - (1 - expected_b))
    assert path.after[0].tolist() == [1016.0, 984.0]
    assert path.after[1].tolist() == pytest.approx([984.0 + second, 1000.0 - second])
    assert path.final.scores.tolist() == pytest.approx([1016.0, *path.after[1]])
