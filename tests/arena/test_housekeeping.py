"""Beat's hourly pruning, and the queue housekeeping runs on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from arena.housekeeping import housekeeping_prune
from arena.models import Battle
from tests.factories import BattleFactory, VoteFactory

pytestmark = pytest.mark.django_db


def test_expired_unvoted_battles_are_pruned_a_day_after_they_expired():
    now = timezone.now()
    old = BattleFactory(served_at=now - timedelta(days=3), expires_at=now - timedelta(days=2))
    recent = BattleFactory(served_at=now - timedelta(hours=3), expires_at=now - timedelta(hours=2))
    voted = BattleFactory(
        served_at=now - timedelta(days=3), expires_at=now - timedelta(days=2), state="voted"
    )
    VoteFactory(battle=voted, model_a=voted.model_a, model_b=voted.model_b, source="arena")
    open_now = BattleFactory()
    assert housekeeping_prune(now=now).battles == 1
    assert set(Battle.objects.values_list("pk", flat=True)) == {recent.pk, voted.pk, open_now.pk}
    assert not Battle.objects.filter(pk=old.pk).exists()


def test_expired_sessions_are_pruned():
    for age in (-1, 1):  # one expired, one still valid
        store = SessionStore()
        store["voter"] = f"v{age}"
        store.set_expiry(timezone.now() + timedelta(days=age))
        store.save()
    assert housekeeping_prune().sessions == 1
    assert Session.objects.count() == 1


def test_housekeeping_runs_on_its_own_queue_on_a_schedule():
    queue = settings.CELERY_HOUSEKEEPING_QUEUE
    assert queue == f"{settings.CELERY_TASK_DEFAULT_QUEUE}.housekeeping"
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    # The vote-integrity check and the daily full recount read every recent (or every) vote:
    # fit-sized jobs, on the work queue; everything else beat sends is housekeeping.
    assert scheduled - set(settings.HOUSEKEEPING_TASKS) == {
        "ranking.tasks.vote_integrity_task",
        "ranking.tasks.snapshot_recount_task",
    }
    for task in settings.HOUSEKEEPING_TASKS:
        assert task in scheduled
        assert settings.CELERY_TASK_ROUTES[task] == {"queue": queue}
    assert "ranking.tasks.snapshot_compute_task" not in settings.CELERY_TASK_ROUTES
    assert "arena.tasks.upload_process_task" not in settings.CELERY_TASK_ROUTES
