"""A big snapshot's bootstrap fanned out in chunks: the replicates are bit-identical to the
bootstrap run in one process, whoever computes each chunk. (Here the chunk tasks run eagerly
inside the coordinator; tests/stack/test_fanout_workers.py runs them on real workers.)"""

from __future__ import annotations

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from bench.synthetic import synthetic_arena
from ranking import fanout
from ranking.services import _engine_counts
from ranking.stats import rate
from ranking.storage import snapshot_data
from tests.ranking.conftest import compute_snapshot

pytestmark = pytest.mark.django_db


def stored_files(folder: str) -> list[str]:
    """Every file under ``folder`` of the default storage."""
    if not default_storage.exists(folder):
        return []
    folders, files = default_storage.listdir(folder)
    return [f"{folder}/{name}" for name in files] + [
        path for sub in folders for path in stored_files(f"{folder}/{sub}")
    ]


def in_one_process(snapshot) -> np.ndarray:
    """The same snapshot's replicates computed by the engine here, without fan-out."""
    data = snapshot_data(snapshot)
    from ranking.aggregation import count_all

    counts = count_all(snapshot)
    assert counts.model_ids == data["model_ids"].tolist()
    ratings = rate(
        _engine_counts(counts),
        ties=snapshot.params["ties"],
        rounds=snapshot.params["rounds"],
        seed=snapshot.seed,
    )
    return ratings.replicates


@pytest.mark.parametrize("ties", ["half", "davidson"])
@pytest.mark.parametrize("chunk_blocks", [1, 3])
def test_fanned_out_replicates_are_those_of_one_process(
    voted_models, settings, chunk_blocks, ties, monkeypatch
):
    settings.RANKING_FANOUT_MIN_WORK = 1
    settings.RANKING_FANOUT_CHUNK_BLOCKS = chunk_blocks
    computed = []
    original = fanout.chunk_compute

    def counting(key, index):
        computed.append(original(key, index))

    monkeypatch.setattr(fanout, "chunk_compute", counting)
    cache.clear()
    snapshot = compute_snapshot(rounds=300, anchor=None, ties=ties)
    assert snapshot.params["ties"] == ties
    replicates = snapshot_data(snapshot)["replicates"]
    assert replicates.shape[0] == 300
    assert np.array_equal(replicates, in_one_process(snapshot), equal_nan=True)
    assert computed and all(computed)  # the (eager) chunk tasks did the work
    assert stored_files(f"snapshots/fanout/{snapshot.key}") == []


@pytest.mark.parametrize("ties", ["half", "davidson"])
def test_a_chunk_whose_worker_vanished_is_computed_by_the_coordinator(
    voted_models, settings, ties, monkeypatch
):
    settings.RANKING_FANOUT_MIN_WORK = 1
    settings.RANKING_FANOUT_CHUNK_BLOCKS = 2
    # Every chunk task claims its chunk and dies before storing anything; a claim lapses
    # (as its lease would) after two more tries.
    tries: dict[tuple[str, int], int] = {}

    def claim(key: str, index: int) -> bool:
        tries[key, index] = tries.get((key, index), 0) + 1
        return tries[key, index] in (1, 4)

    monkeypatch.setattr(fanout, "_claim", claim)
    monkeypatch.setattr(fanout, "chunk_compute", lambda key, index: fanout._claim(key, index))
    snapshot = compute_snapshot(rounds=200, anchor=None, ties=ties)
    assert np.array_equal(
        snapshot_data(snapshot)["replicates"], in_one_process(snapshot), equal_nan=True
    )


def test_workers_compute_the_coordinators_chunks_whatever_their_own_setting(
    voted_models, settings, monkeypatch
):
    settings.RANKING_FANOUT_MIN_WORK = 1
    settings.RANKING_FANOUT_CHUNK_BLOCKS = 3
    original = fanout.chunk_compute

    def elsewhere(share, index):
        # A worker machine configured with another chunk size.
        coordinators = settings.RANKING_FANOUT_CHUNK_BLOCKS
        settings.RANKING_FANOUT_CHUNK_BLOCKS = 1
        try:
            assert original(share, index)
        finally:
            settings.RANKING_FANOUT_CHUNK_BLOCKS = coordinators

    monkeypatch.setattr(fanout, "chunk_compute", elsewhere)
    cache.clear()
    snapshot = compute_snapshot(rounds=300, anchor=None, ties="davidson")
    assert np.array_equal(
        snapshot_data(snapshot)["replicates"], in_one_process(snapshot), equal_nan=True
    )


def test_files_a_dead_attempt_left_are_not_taken_for_another_plans(settings, monkeypatch):
    counts = synthetic_arena(6, 3000, seed=2).counts
    settings.RANKING_FANOUT_CHUNK_BLOCKS = 1
    cache.clear()
    # The first attempt dies before it removes its files (the chunk claims lapse too).
    with monkeypatch.context() as dying:
        dying.setattr(fanout, "_remove", lambda folder, n_chunks: None)
        rate(counts, rounds=300, seed=4, runner=fanout.FanoutRunner("same-key"))
    assert stored_files("snapshots/fanout/same-key")
    cache.clear()
    # The next attempt at the same snapshot cuts its blocks into other chunks; no worker
    # is free, so the coordinator finds the old files before anyone could overwrite them.
    settings.RANKING_FANOUT_CHUNK_BLOCKS = 3
    monkeypatch.setattr(fanout, "chunk_compute", lambda share, index: False)
    again = rate(counts, rounds=300, seed=4, runner=fanout.FanoutRunner("same-key"))
    assert np.array_equal(again.replicates, rate(counts, rounds=300, seed=4).replicates)
