"""The sweep: every snapshot reaches a final state after a lost message or a dead worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from ranking.models import RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_request, snapshot_schedule, snapshot_sweep

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 6, 1, tzinfo=UTC)
SEND = "ranking.tasks.snapshot_compute_task.apply_async"


def requested(**changes: object) -> RatingSnapshot:
    snapshot, _ = snapshot_request(spec=SnapshotSpec(modality="text", rounds=100, cutoff=NOW))
    RatingSnapshot.objects.filter(pk=snapshot.pk).update(**changes)
    return RatingSnapshot.objects.get(pk=snapshot.pk)


def ago(seconds: float) -> datetime:
    return timezone.now() - timedelta(seconds=seconds)


def test_a_snapshot_whose_message_was_lost_is_sent_again_and_computed(voted_models, settings):
    lost = requested(queued_at=ago(settings.ARENA_RESEND_AFTER_SECONDS + 1))
    report = snapshot_sweep()  # eager Celery: the task runs here
    assert report.resent == [lost.pk]
    lost.refresh_from_db()
    assert lost.status == "done" and lost.attempts == 1


def test_a_snapshot_just_queued_is_left_to_its_message(voted_models):
    waiting = requested()
    with mock.patch(SEND) as send:
        assert snapshot_sweep().resent == []
    send.assert_not_called()
    waiting.refresh_from_db()
    assert waiting.status == "pending"


def test_two_sweeps_send_a_lost_snapshot_once(voted_models, settings):
    lost = requested(queued_at=ago(settings.ARENA_RESEND_AFTER_SECONDS + 1))
    with mock.patch(SEND) as send:
        first, second = snapshot_sweep(), snapshot_sweep()
    assert (first.resent, second.resent) == ([lost.pk], [])
    assert send.call_count == 1


def test_a_snapshot_whose_worker_died_is_taken_back_once_its_lease_ran_out(voted_models):
    alive = timezone.now() + timedelta(seconds=30)
    held = requested(status="running", claimed_by="busy", lease_until=alive, attempts=1)
    with mock.patch(SEND) as send:
        assert snapshot_sweep().taken_back == []  # its worker renews the lease: leave it
    send.assert_not_called()
    RatingSnapshot.objects.filter(pk=held.pk).update(lease_until=ago(1))
    report = snapshot_sweep()
    assert report.taken_back == [held.pk]
    held.refresh_from_db()
    assert held.status == "done" and held.attempts == 2


def test_a_fit_that_killed_its_worker_too_often_is_failed_with_the_reason(voted_models, settings):
    doomed = requested(status="running", lease_until=ago(1), attempts=settings.ARENA_MAX_ATTEMPTS)
    with mock.patch(SEND) as send:
        assert snapshot_sweep().failed == [doomed.pk]
    send.assert_not_called()
    doomed.refresh_from_db()
    assert doomed.status == "failed"
    assert doomed.error == "its worker stopped 3 times during the fit (killed, or out of memory)"


def test_with_the_broker_down_a_requested_snapshot_stays_pending_for_the_sweep(
    voted_models, django_capture_on_commit_callbacks
):
    refused = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
    with mock.patch(SEND, side_effect=refused), django_capture_on_commit_callbacks(execute=True):
        snapshot = snapshot_schedule(spec=SnapshotSpec(modality="text", rounds=100, cutoff=NOW))
    snapshot.refresh_from_db()
    assert snapshot.status == "pending"


def test_only_the_worker_holding_a_lease_renews_it(voted_models):
    """(The thread that renews it while a fit runs is tested with real processes in
    tests/stack/test_faults.py.)"""
    from arena.jobs import job_claim, job_renew

    snapshot = requested()
    assert job_claim(RatingSnapshot, snapshot.pk, "me")
    RatingSnapshot.objects.filter(pk=snapshot.pk).update(lease_until=ago(5))
    assert not job_renew(RatingSnapshot, snapshot.pk, "someone else")
    assert RatingSnapshot.objects.get(pk=snapshot.pk).lease_until < timezone.now()
    assert job_renew(RatingSnapshot, snapshot.pk, "me")
    assert RatingSnapshot.objects.get(pk=snapshot.pk).lease_until > timezone.now()
