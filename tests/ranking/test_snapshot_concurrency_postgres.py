"""Concurrent schedulers and workers on the real PostgreSQL: one snapshot, computed once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connections

from ranking.models import ModelRating, RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
SPEC = SnapshotSpec(modality="text", rounds=100, cutoff=datetime(2024, 6, 1, tzinfo=UTC))


def in_parallel(function, n: int = 4) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(function())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_requests_for_one_snapshot_create_one_row(voted_models):
    results = in_parallel(lambda: snapshot_request(spec=SPEC))
    assert len({snapshot.pk for snapshot, _ in results}) == 1
    assert sum(needed for _, needed in results) == 1
    assert RatingSnapshot.objects.count() == 1


def test_concurrent_workers_compute_a_snapshot_exactly_once(voted_models):
    snapshot, _ = snapshot_request(spec=SPEC)
    results = in_parallel(lambda: snapshot_compute(snapshot_id=snapshot.pk))
    assert sum(result is not None for result in results) == 1
    assert ModelRating.objects.filter(snapshot=snapshot).count() == 4
    snapshot.refresh_from_db()
    assert snapshot.status == "done" and snapshot.attempts == 1
