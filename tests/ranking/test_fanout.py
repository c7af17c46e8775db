"""A big snapshot's bootstrap fanned out in chunks: the replicates are bit-identical to the
bootstrap run in one process, whoever computes each chunk. (Here the chunk tasks run eagerly
inside the coordinator; tests/stack/test_fanout_workers.py runs them on real workers.)"""

from __future__ import annotations

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage

from ranking import fanout
from ranking.services import _engine_counts
from ranking.stats import rate
from ranking.storage import snapshot_data
from tests.ranking.conftest import compute_snapshot

pytestmark = pytest.mark.django_db


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
    assert not default_storage.exists(f"snapshots/fanout/{snapshot.key}/plan.pkl")


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
