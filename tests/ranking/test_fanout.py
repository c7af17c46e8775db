"""A big snapshot's bootstrap fanned out in chunks: the replicates are bit-identical to the
bootstrap run in one process, whoever computes each chunk. (Here the chunk tasks run eagerly
inside the coordinator; tests/stack/test_fanout_workers.py runs them on real workers.)"""

from __future__ import annotations

import os
from datetime import timedelta

import numpy as np
import pytest
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.utils import timezone

from arena import media_staging
from bench.synthetic import synthetic_arena
from ranking import fanout
from ranking.services import _engine_counts
from ranking.stats import rate
from ranking.storage import snapshot_data
from tests.ranking.conftest import compute_snapshot

pytestmark = pytest.mark.django_db


def stored_files(folder: str) -> list[str]:
    """Every file under ``folder`` of the default storage (a file system or an object store)."""
    try:
        return media_staging.stored_files(default_storage, folder)
    except FileNotFoundError:  # a file system without that folder
        return []


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
    # The coordinator removed its files and, on a file system, its folders.
    assert not os.path.exists(default_storage.path(f"snapshots/fanout/{snapshot.key}"))


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
        dying.setattr(fanout, "_remove", lambda folder: None)
        rate(counts, rounds=300, seed=4, runner=fanout.FanoutRunner("same-key"))
    assert stored_files("snapshots/fanout/same-key")
    cache.clear()
    # The next attempt at the same snapshot cuts its blocks into other chunks; no worker
    # is free, so the coordinator finds the old files before anyone could overwrite them.
    settings.RANKING_FANOUT_CHUNK_BLOCKS = 3
    monkeypatch.setattr(fanout, "chunk_compute", lambda share, index: False)
    again = rate(counts, rounds=300, seed=4, runner=fanout.FanoutRunner("same-key"))
    assert np.array_equal(again.replicates, rate(counts, rounds=300, seed=4).replicates)


@pytest.fixture
def media(settings, tmp_path):
    """A media folder of this test's own: the prune sees only its files."""
    settings.MEDIA_ROOT = str(tmp_path)


def dead_attempt(key: str) -> list[str]:
    """The files a coordinator of snapshot ``key`` left when it died (its claims lapsed)."""
    counts = synthetic_arena(6, 3000, seed=2).counts
    cache.clear()
    with pytest.MonkeyPatch.context() as dying:
        dying.setattr(fanout, "_remove", lambda folder: None)
        rate(counts, rounds=200, seed=4, runner=fanout.FanoutRunner(key))
    cache.clear()
    return stored_files(f"snapshots/fanout/{key}")


def hours_later(hours: float):
    return timezone.now() + timedelta(hours=hours)


def test_the_prune_removes_a_dead_attempts_folder_once_all_its_files_are_old(media, settings):
    settings.RANKING_FANOUT_KEEP_HOURS = 6
    assert dead_attempt("gone")
    assert fanout.fanout_prune(now=hours_later(5)) == 0  # a worker may still be storing
    assert stored_files("snapshots/fanout/gone")
    assert fanout.fanout_prune(now=hours_later(7)) == 1
    assert stored_files("snapshots/fanout") == []
    assert not os.path.exists(default_storage.path("snapshots/fanout/gone"))
    assert fanout.fanout_prune(now=hours_later(7)) == 0


def test_the_prune_keeps_a_folder_in_which_a_slow_worker_stored_a_chunk_lately(media, settings):
    settings.RANKING_FANOUT_KEEP_HOURS = 6
    files = dead_attempt("slow")
    ten_hours_ago = hours_later(-10).timestamp()
    for name in files:
        os.utime(default_storage.path(name), (ten_hours_ago, ten_hours_ago))
    os.utime(default_storage.path(files[-1]))  # stored now
    assert fanout.fanout_prune() == 0
    assert stored_files("snapshots/fanout/slow") == files
    assert fanout.fanout_prune(now=hours_later(7)) == 1


def test_the_prune_never_touches_the_folder_of_a_snapshot_being_computed(media, voted_models):
    snapshot = compute_snapshot(rounds=200, anchor=None)
    left = dead_attempt(snapshot.key)
    snapshot.status = snapshot.Status.RUNNING  # computed again, e.g. by fit_ratings
    snapshot.save(update_fields=["status"])
    assert fanout.fanout_prune(now=hours_later(48)) == 0
    assert stored_files(f"snapshots/fanout/{snapshot.key}") == left
    snapshot.status = snapshot.Status.DONE
    snapshot.save(update_fields=["status"])
    assert fanout.fanout_prune(now=hours_later(48)) == 1


def test_a_chunk_whose_results_the_prune_removed_after_its_marker_was_seen_is_not_stored():
    # The coordinator sees an old attempt's marker; the prune removes the results file
    # before it reads it: the chunk counts as not stored (it is computed again).
    fanout._save("snapshots/fanout/pruned/0123/chunk-0.done", b"")
    assert fanout._load_result("pruned/0123", 0) is None


def test_fanout_in_an_object_store_leaves_nothing_and_the_prune_empties_it(
    voted_models, settings, object_storage, local_s3
):
    settings.RANKING_FANOUT_MIN_WORK = 1
    settings.RANKING_FANOUT_CHUNK_BLOCKS = 2
    cache.clear()
    snapshot = compute_snapshot(rounds=200, anchor=None)
    assert local_s3.keys(object_storage, "snapshots/fanout/") == set()
    assert snapshot_data(snapshot)["replicates"].shape[0] == 200
    assert set(dead_attempt("gone")) == local_s3.keys(object_storage, "snapshots/fanout/")
    assert fanout.fanout_prune(now=hours_later(1)) == 0
    assert fanout.fanout_prune(now=hours_later(settings.RANKING_FANOUT_KEEP_HOURS + 1)) == 1
    assert local_s3.keys(object_storage, "snapshots/fanout/") == set()
