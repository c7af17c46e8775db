"""The per-round openness check: its fast paths give every round what the full search of that
round (:meth:`ReplicateCheck.one`) gives it."""

import numpy as np
import pytest

from bench.synthetic import synthetic_arena
from ranking.stats import Outcome, PairCounts, separation
from ranking.stats.bradley_terry import fit_bradley_terry
from ranking.stats.resample import multinomial_counts
from ranking.stats.separation import OPEN_ABOVE, OPEN_BELOW, ReplicateCheck, identify

A, B, TIE = Outcome.A_WINS, Outcome.B_WINS, Outcome.TIE
ROUNDS = 60


def two_boards_and_a_newcomer() -> PairCounts:
    """Two components of five models with few votes each, and a newcomer that won its three
    votes (open above in the full data, so the board is not one reference group)."""
    rng = np.random.default_rng(5)
    a, b, outcome, count = [], [], [], []
    for offset in (0, 5):
        for i in range(5):
            for j in range(i + 1, 5):
                for code in (A, B, TIE):
                    a.append(offset + i)
                    b.append(offset + j)
                    outcome.append(code)
                    count.append(float(rng.integers(1, 3)))
    a.append(10)
    b.append(0)
    outcome.append(A)
    count.append(3.0)
    return PairCounts(11, a, b, outcome, count)


def check_and_draws(counts: PairCounts, anchor: int | None) -> tuple[ReplicateCheck, np.ndarray]:
    fit = fit_bradley_terry(counts)
    assert fit.credit is not None and fit.credit_count is not None
    ident = identify(fit.credit, fit.credit_count, anchor=anchor)
    check = ReplicateCheck(fit.credit, ident, fit.credit_count, anchor=anchor)
    draws = multinomial_counts(fit.credit_count, ROUNDS, np.random.default_rng(0))
    return check, draws


def assert_every_round_as_its_full_search(check: ReplicateCheck, draws: np.ndarray) -> None:
    codes, reference = check.openness(draws)
    for r in range(draws.shape[0]):
        expected_codes, expected_reference = check.one(draws[r])
        assert np.array_equal(codes[r], expected_codes), r
        assert np.array_equal(reference[r], expected_reference), r


@pytest.mark.parametrize(
    "counts, anchor",
    [
        (synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts, None),
        (synthetic_arena(40, 600, seed=3, keep_votes=False).counts, None),
        (synthetic_arena(40, 600, seed=3, keep_votes=False).counts, 7),
        (two_boards_and_a_newcomer(), None),
    ],
    ids=["sparse K=200", "tiny K=40", "tiny K=40 anchored", "two boards and a newcomer"],
)
def test_every_round_gets_the_codes_and_reference_of_its_full_search(counts, anchor):
    check, draws = check_and_draws(counts, anchor)
    assert_every_round_as_its_full_search(check, draws)


def test_sparse_rounds_whose_forest_breaks_are_settled_by_two_sweeps():
    """On sparse data the forest's pairs lose credit both ways in many rounds; the sweeps
    settle most of those, and the full search is left for rounds that need it."""
    counts = synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts
    check, draws = check_and_draws(counts, None)
    assert check.whole and check.tree is not None
    credited = check.credited(np.ascontiguousarray(draws.T))
    first, second = credited
    broken = ~np.all(first[check.tree] & second[check.tree], axis=0)
    held, _, _ = check._held(first, second, np.flatnonzero(broken))
    assert broken.sum() >= ROUNDS // 4
    assert np.mean(held) > 0.9


def test_a_round_whose_reference_group_falls_apart_is_left_to_the_full_search():
    """Three models strongly connected by their votes; in the round 2 never wins and 0 never
    loses, so the sweeps decline it, and the full search opens 0 above and 2 below."""
    counts = PairCounts(3, [0, 0, 1, 1, 2], [1, 2, 2, 2, 0], [A, A, A, B, A], [1, 1, 1, 1, 1])
    check, _ = check_and_draws(counts, None)
    assert check.ident.reference.all()
    cells = check.cells
    first, second = cells.first[cells.cell_pair], cells.second[cells.cell_pair]
    winner = np.where(cells.cell_first, first, second)
    loser = np.where(cells.cell_first, second, first)
    kept = {(0, 1), (0, 2), (1, 2)}
    round_counts = np.array([float((w, v) in kept) for w, v in zip(winner, loser, strict=True)])
    credit_first, credit_second = check.credited(round_counts[:, None])
    held, _, _ = check._held(credit_first, credit_second, np.array([0]))
    assert not held[0]
    codes, _ = check.openness(round_counts[None, :])
    assert np.array_equal(codes[0], check.one(round_counts)[0])
    assert codes[0][0] == OPEN_ABOVE and codes[0][2] == OPEN_BELOW


@pytest.mark.parametrize("table_per_edge", [0, 1_000_000], ids=["edge lists", "tables"])
def test_the_sweeps_over_tables_and_over_edge_lists_settle_the_same_rounds(
    table_per_edge, monkeypatch
):
    monkeypatch.setattr(separation, "_TABLE_PER_EDGE", table_per_edge)
    check, draws = check_and_draws(synthetic_arena(40, 600, seed=3, keep_votes=False).counts, None)
    assert (check.edge_key is not None) == (table_per_edge > 0)
    assert_every_round_as_its_full_search(check, draws)


@pytest.mark.parametrize("together", [1, 7, 16])
def test_rounds_swept_together_each_get_the_codes_of_their_full_search(together, monkeypatch):
    """The sweeps of up to ``_SWEPT_TOGETHER`` rounds run at once, one bit of each word per
    round; 150 rounds make several such runs, the last one partly filled."""
    monkeypatch.setattr(separation, "_SWEPT_TOGETHER", together)
    counts = synthetic_arena(200, 100_000, seed=201, keep_votes=False).counts
    check, _ = check_and_draws(counts, None)
    draws = multinomial_counts(
        fit_bradley_terry(counts).credit_count, 150, np.random.default_rng(1)
    )
    assert_every_round_as_its_full_search(check, draws)
