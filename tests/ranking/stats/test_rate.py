import dataclasses
import functools
import os
import threading
import time

import numpy as np
import pytest

from bench.synthetic import synthetic_arena
from ranking.stats import ENGINE_VERSION, rate
from ranking.stats import ratings as ratings_module
from ranking.stats.processes import FORK_AVAILABLE
from ranking.stats.ratings import TALLY_THREAD


@pytest.fixture(scope="module")
def arena():
    return synthetic_arena(10, 20000, seed=31)


def test_ratings_carry_every_parameter_and_are_frozen(arena):
    ratings = rate(arena.counts, rounds=100, seed=3, anchor=(2, 1114.0))
    assert (ratings.rounds, ratings.seed, ratings.tie_model) == (100, 3, "half")
    assert ratings.anchor == (2, 1114.0)
    assert ratings.version == ENGINE_VERSION
    assert ratings.replicates.shape == (100, 10)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ratings.seed = 4


def test_anchor_model_gets_its_score_in_every_replicate(arena):
    ratings = rate(arena.counts, rounds=100, anchor=(2, 1114.0))
    assert ratings.score[2] == pytest.approx(1114.0)
    assert np.allclose(ratings.replicates[:, 2], 1114.0)


def test_without_anchor_the_mean_score_is_1000(arena):
    ratings = rate(arena.counts, rounds=100)
    assert ratings.score.mean() == pytest.approx(1000.0)


def test_point_estimate_lies_within_its_interval_and_ranks_are_consistent(arena):
    ratings = rate(arena.counts, rounds=200)
    assert np.all(ratings.ci_low <= ratings.score) and np.all(ratings.score <= ratings.ci_high)
    assert ratings.rank[ratings.order()[0]] == 1
    assert np.all(ratings.rank_ub <= ratings.rank)
    assert np.allclose(ratings.votes, ratings.wins + ratings.ties + ratings.losses)
    assert ratings.observed_win_rate.shape == ratings.predicted_win_rate.shape == (10, 10)


def test_analytic_intervals_need_no_replicates(arena):
    ratings = rate(arena.counts, interval="analytic")
    assert ratings.replicates.shape == (0, 10)
    assert np.all(ratings.ci_high > ratings.ci_low)


def test_seeded_ratings_are_reproducible(arena):
    first = rate(arena.counts, rounds=100, seed=9)
    second = rate(arena.counts, rounds=100, seed=9)
    assert np.array_equal(first.ci_low, second.ci_low)
    assert np.array_equal(first.replicates, second.replicates)


def test_unknown_anchor_index_is_refused(arena):
    with pytest.raises(ValueError, match="anchor"):
        rate(arena.counts, rounds=100, anchor=(99, 1000.0))


def test_a_fit_that_did_not_converge_is_a_warning_of_the_ratings(arena):
    capped = rate(arena.counts, rounds=100, max_iter=1)
    assert any(note.kind == "not_converged" for note in capped.warnings)
    converged = rate(arena.counts, rounds=100)
    assert not any(note.kind == "not_converged" for note in converged.warnings)


def test_bootstrap_refits_that_did_not_converge_are_a_warning_of_the_ratings(arena, monkeypatch):
    import ranking.stats.bootstrap as bootstrap
    import ranking.stats.ratings as ratings_module

    solve = bootstrap.newton_solve
    # No chord steps (every round falls back to Newton), and Newton capped at one step.
    monkeypatch.setattr(
        bootstrap, "newton_solve", lambda *args, **kwargs: solve(*args, **kwargs | {"max_iter": 1})
    )
    no_chord = functools.partial(bootstrap.bootstrap_intervals, max_iter=0)
    monkeypatch.setattr(ratings_module, "bootstrap_intervals", no_chord)
    ratings = rate(arena.counts, rounds=100)
    assert "100 of 100 bootstrap refits did not converge" in str(ratings.warnings[-1])


@pytest.mark.skipif(not FORK_AVAILABLE, reason="forked workers run on Linux only")
def test_the_vote_tally_thread_has_ended_before_the_bootstrap_forks(arena, monkeypatch):
    """A child forked beside a running thread may inherit a lock it held; the tallies run
    beside the fit, and here take longer than it, so only waiting for them ends them."""
    threads_at_fork: list[list[str]] = []
    fork, tally = os.fork, ratings_module._vote_summary

    def recording_fork() -> int:
        threads_at_fork.append([thread.name for thread in threading.enumerate()])
        return fork()

    def slow_summary(counts):
        time.sleep(0.5)
        return tally(counts)

    monkeypatch.setattr(ratings_module, "_vote_summary", slow_summary)
    monkeypatch.setattr(os, "fork", recording_fork)
    rate(arena.counts, rounds=200, workers=2)
    assert threads_at_fork, "the bootstrap forked no worker"
    assert not any(name.startswith(TALLY_THREAD) for names in threads_at_fork for name in names)
