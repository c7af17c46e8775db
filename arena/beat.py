"""One beat at a time: the Celery beat scheduler of this project (``CELERY_BEAT_SCHEDULER``).

Every beat process competes for one lease row (``SchedulerLease``) before each tick, with
one conditional UPDATE: the holder renews it and sends what is due; any other beat stands
by, sending nothing, and takes over once the holder stops renewing (killed, or its
machine gone) for ``ARENA_LEASE_SECONDS``. A beat that stops cleanly hands the lease back
at once. So a second beat (a mistaken replica, an overlap during a deploy) doubles no work.
"""

from __future__ import annotations

import contextlib
import logging

from celery.beat import PersistentScheduler
from django.db import DatabaseError, IntegrityError, connection
from django.db.models import Q
from django.utils import timezone

from arena.jobs import lease_length, lease_owner

logger = logging.getLogger(__name__)

LEASE_NAME = "beat"


def beat_lease_hold(owner: str) -> bool:
    """Take or renew the beat lease for ``owner``: True if it is ours until now + lease."""
    from arena.models import SchedulerLease

    now = timezone.now()
    held = (
        SchedulerLease.objects.filter(name=LEASE_NAME)
        .filter(Q(owner=owner) | Q(expires_at__lt=now) | Q(owner=""))
        .update(owner=owner, expires_at=now + lease_length())
    )
    if held:
        return True
    if SchedulerLease.objects.filter(name=LEASE_NAME).exists():
        return False
    try:
        SchedulerLease.objects.create(name=LEASE_NAME, owner=owner, expires_at=now + lease_length())
    except IntegrityError:  # another beat created it first
        return False
    return True


def beat_lease_release(owner: str) -> None:
    from arena.models import SchedulerLease

    SchedulerLease.objects.filter(name=LEASE_NAME, owner=owner).update(
        owner="", expires_at=timezone.now()
    )


class SingleBeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, sending only while this beat holds the lease."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        # Django is set up by Celery's Django fix-up before beat creates its scheduler.
        self.owner = lease_owner()
        self.leading: bool | None = None  # unknown until the first tick
        super().__init__(*args, **kwargs)

    def tick(self, *args: object, **kwargs: object) -> float:
        try:
            leading = beat_lease_hold(self.owner)
        except DatabaseError as error:  # the database is restarting: send nothing meanwhile
            logger.warning("beat: cannot reach the database for the lease: %s", error)
            connection.close()
            leading = False
        if leading != self.leading:
            self.leading = leading
            logger.warning(
                "beat %s: %s",
                self.owner,
                "holds the lease, sending"
                if leading
                else "another beat holds the lease, standing by",
            )
        if not leading:
            return float(self.max_interval)
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        with contextlib.suppress(DatabaseError):  # else the lease runs out by itself
            beat_lease_release(self.owner)
        super().close()
