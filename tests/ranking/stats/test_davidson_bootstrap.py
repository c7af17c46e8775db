"""The Davidson bootstrap in blocks of rounds (DavidsonPlan): like the ties-as-half one, its
replicates, intervals and refit counts are the same whoever runs the blocks, on however many
threads, in whatever order, from pickled copies of the plan (as ranking.fanout's workers do)."""

import pickle

import numpy as np
import pytest

import ranking.stats.bootstrap as bootstrap
from bench.synthetic import synthetic_arena
from ranking.stats import bootstrap_intervals, fit_bradley_terry, rate
from ranking.stats.bootstrap import DavidsonPlan
from ranking.stats.bradley_terry import davidson_solve

ROUNDS = 150  # three blocks of rounds (64, 64, 22) at this size


@pytest.fixture(scope="module")
def counts():
    return synthetic_arena(20, 20000, seed=7).counts


@pytest.fixture(scope="module")
def fit(counts):
    return fit_bradley_terry(counts, ties="davidson")


def elsewhere(chunk_blocks: int):
    """A runner like ranking.fanout's: each chunk of ``chunk_blocks`` blocks computed from its
    own unpickled copy of the plan, the last chunk first, the results put back in order."""

    def runner(plan: DavidsonPlan) -> list[tuple]:
        assert isinstance(plan, DavidsonPlan)
        data = pickle.dumps(plan, pickle.HIGHEST_PROTOCOL)
        starts = range(0, plan.n_blocks, chunk_blocks)
        chunks = [range(start, min(start + chunk_blocks, plan.n_blocks)) for start in starts]
        done = {chunk.start: pickle.loads(data).run_blocks(chunk, 1) for chunk in chunks[::-1]}
        return [result for chunk in chunks for result in done[chunk.start]]

    return runner


@pytest.mark.parametrize("resample", ["multinomial", "poisson"])
def test_davidson_ratings_do_not_depend_on_threads_or_who_runs_the_blocks(counts, resample):
    def ratings(**how):
        return rate(counts, ties="davidson", rounds=ROUNDS, seed=3, resample=resample, **how)

    one = ratings(workers=1)
    assert one.replicates.shape == (ROUNDS, counts.n_models)
    for other in (ratings(workers=2), ratings(runner=elsewhere(1)), ratings(runner=elsewhere(2))):
        assert np.array_equal(other.replicates, one.replicates, equal_nan=True)
        assert np.array_equal(other.openness, one.openness)
        assert np.array_equal(other.ci_low, one.ci_low, equal_nan=True)
        assert np.array_equal(other.ci_high, one.ci_high, equal_nan=True)


def test_davidson_blocks_have_their_own_draws(counts, fit):
    # Each block draws from its own child generator: no two blocks repeat each other.
    result = bootstrap_intervals(counts, fit, rounds=128, rng=np.random.default_rng(1))
    assert not np.array_equal(result.replicates[:64], result.replicates[64:], equal_nan=True)


def test_davidson_fallbacks_and_unconverged_rounds_add_up_over_chunks(counts, fit, monkeypatch):
    def bootstrapped(**how):
        rng = np.random.default_rng(5)
        return bootstrap_intervals(
            counts, fit, rounds=ROUNDS, rng=rng, resample="poisson", max_iter=1, **how
        )

    # One chord step: every round falls back to its own L-BFGS fit, which converges.
    for result in (bootstrapped(workers=1), bootstrapped(runner=elsewhere(2))):
        assert (result.fallback_rounds, result.unconverged_rounds) == (ROUNDS, 0)

    # Now a fallback fit converges only when its round drew an even number of votes.
    def solve(totals, *args, **kwargs):
        params, value, _ = davidson_solve(totals, *args, **kwargs)
        votes = totals.wins_first.sum() + totals.wins_second.sum() + totals.ties.sum()
        return params, value, round(votes) % 2 == 0

    monkeypatch.setattr(bootstrap, "davidson_solve", solve)
    here = bootstrapped(workers=1)
    assert here.fallback_rounds == ROUNDS and 0 < here.unconverged_rounds < ROUNDS
    for result in (bootstrapped(workers=2), bootstrapped(runner=elsewhere(1))):
        assert (result.fallback_rounds, result.unconverged_rounds) == (
            ROUNDS,
            here.unconverged_rounds,
        )
