"""Ranks within connected components of the comparison graph."""

import numpy as np

from ranking.stats import Outcome, PairCounts, rate

A, B, TIE = Outcome.A_WINS, Outcome.B_WINS, Outcome.TIE


def two_worlds() -> PairCounts:
    """Models 0-2 only meet each other, models 3-4 only each other (with more votes)."""
    pairs = [
        (0, 1, A, 30),
        (0, 1, B, 10),
        (1, 2, A, 30),
        (1, 2, B, 10),
        (0, 2, A, 35),
        (0, 2, B, 5),
        (3, 4, A, 60),
        (3, 4, B, 40),
        (3, 4, TIE, 20),
    ]
    a, b, outcome, count = zip(*pairs, strict=True)
    return PairCounts(5, a, b, outcome, np.array(count, dtype=float))


def test_each_model_is_ranked_within_its_own_component():
    ratings = rate(two_worlds(), rounds=200)
    # Numbered by votes; both have 120, so the one holding the lowest index comes first.
    assert ratings.component.tolist() == [0, 0, 0, 1, 1]
    assert ratings.rank.tolist() == [1, 2, 3, 1, 2]
    assert np.all(ratings.rank_ub <= ratings.rank)
    assert ratings.rank_ub[3] == 1 and ratings.rank_ub[2] >= 2


def test_a_component_with_more_votes_is_numbered_first():
    counts = two_worlds()
    more = PairCounts(
        5,
        np.append(counts.model_a, 3),
        np.append(counts.model_b, 4),
        np.append(counts.outcome, A),
        np.append(counts.count, 50.0),
    )
    assert rate(more, rounds=100).component.tolist() == [1, 1, 1, 0, 0]


def test_a_connected_board_is_one_component_with_the_usual_ranks():
    counts = PairCounts(3, [0, 1, 0], [1, 2, 2], [A, A, B], [5.0, 6.0, 2.0])
    ratings = rate(counts, rounds=100)
    assert ratings.component.tolist() == [0, 0, 0]
    assert sorted(ratings.rank.tolist()) == [1, 2, 3]
