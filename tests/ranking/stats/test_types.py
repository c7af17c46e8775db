import numpy as np
import pytest

from ranking.stats import Outcome, PairCounts


def test_duplicate_cells_are_aggregated_and_sorted():
    counts = PairCounts(3, [1, 0, 1], [2, 1, 2], [0, 2, 0], [2.0, 1.0, 3.0])
    assert counts.model_a.tolist() == [0, 1]
    assert counts.model_b.tolist() == [1, 2]
    assert counts.outcome.tolist() == [Outcome.TIE, Outcome.A_WINS]
    assert counts.count.tolist() == [1.0, 5.0]


def test_votes_in_any_order_give_identical_counts():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 200)
    b = (a + 1 + rng.integers(0, 3, 200)) % 4
    outcome = rng.integers(0, 4, 200)
    order = rng.permutation(200)
    first = PairCounts.from_votes(a, b, outcome, n_models=4)
    second = PairCounts.from_votes(a[order], b[order], outcome[order], n_models=4)
    for name in ("model_a", "model_b", "outcome", "count"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


@pytest.mark.parametrize(
    ("model_a", "model_b", "outcome", "count", "message"),
    [
        ([0], [0], [0], [1.0], "itself"),
        ([0], [5], [0], [1.0], "outside"),
        ([0], [1], [4], [1.0], "outcome"),
        ([0], [1], [0], [-1.0], "non-negative"),
        ([0, 1], [1], [0], [1.0], "same length"),
    ],
)
def test_invalid_counts_are_refused(model_a, model_b, outcome, count, message):
    with pytest.raises(ValueError, match=message):
        PairCounts(2, model_a, model_b, outcome, count)


def test_swapping_sides_flips_wins_and_keeps_ties():
    counts = PairCounts(2, [0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 2, 3], [5.0, 2.0, 1.0, 1.0])
    swapped = counts.swapped()
    assert swapped.model_a.tolist() == [1] * 4
    assert dict(zip(swapped.outcome.tolist(), swapped.count.tolist(), strict=True)) == {
        0: 2.0,
        1: 5.0,
        2: 1.0,
        3: 1.0,
    }


def test_per_model_totals_count_wins_ties_and_losses():
    counts = PairCounts(3, [0, 0, 2], [1, 1, 0], [0, 3, 1], [4.0, 1.0, 2.0])
    totals = counts.per_model_totals()
    assert totals["votes"].tolist() == [7.0, 5.0, 2.0]
    assert totals["wins"].tolist() == [6.0, 0.0, 0.0]
    assert totals["ties"].tolist() == [1.0, 1.0, 0.0]
    assert totals["losses"].tolist() == [0.0, 4.0, 2.0]


@pytest.mark.parametrize("n_models", [5, 1500])  # one bincount; too many cells: a sort
def test_votes_counted_by_bincount_equal_the_cells_built_directly(n_models):
    rng = np.random.default_rng(n_models)
    a = rng.integers(0, n_models, 3000)
    b = (a + 1 + rng.integers(0, n_models - 1, 3000)) % n_models
    outcome = rng.integers(0, 4, 3000).astype(np.int8)
    counted = PairCounts.from_votes(a, b, outcome, n_models=n_models)
    direct = PairCounts(n_models, a, b, outcome, np.ones(3000))
    for name in ("model_a", "model_b", "outcome", "count"):
        assert np.array_equal(getattr(counted, name), getattr(direct, name))
        assert getattr(counted, name).dtype == getattr(direct, name).dtype


@pytest.mark.parametrize(
    ("model_a", "model_b", "outcome", "message"),
    [([0], [0], [0], "itself"), ([0], [5], [0], "outside"), ([0], [1], [4], "outcome")],
)
def test_votes_are_checked_like_counts(model_a, model_b, outcome, message):
    with pytest.raises(ValueError, match=message):
        PairCounts.from_votes(model_a, model_b, outcome, n_models=2)
