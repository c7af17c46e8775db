"""One beat at a time: a second beat stands by until the first stops renewing its lease."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arena.beat import beat_lease_hold, beat_lease_release
from arena.models import SchedulerLease

pytestmark = pytest.mark.django_db


def test_the_first_beat_holds_the_lease_and_a_second_stands_by():
    assert beat_lease_hold("beat-1")
    assert not beat_lease_hold("beat-2")
    assert beat_lease_hold("beat-1")  # renewed
    assert SchedulerLease.objects.get().owner == "beat-1"


def test_a_second_beat_takes_over_when_the_lease_runs_out():
    assert beat_lease_hold("beat-1")
    SchedulerLease.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert beat_lease_hold("beat-2")
    assert not beat_lease_hold("beat-1")


def test_a_beat_that_stops_hands_the_lease_over_at_once():
    assert beat_lease_hold("beat-1")
    beat_lease_release("beat-1")
    assert beat_lease_hold("beat-2")
