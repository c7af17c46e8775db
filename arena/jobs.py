"""Background records that always reach a final state: rating snapshots and uploads.

A record (a model with ``status`` PENDING/RUNNING/…, ``queued_at``, ``claimed_by``,
``lease_until`` and ``attempts``) is worked on by whoever claims it with one conditional
UPDATE: PENDING, or RUNNING with an expired lease (its worker died). The worker renews the
lease every third of its length while it works (``LeaseKeeper``, a thread, so a long fit
keeps it). The sweep, run by beat on the housekeeping queue, sends again what a lost
message left PENDING and puts back what a dead worker left RUNNING; each of its decisions
is also one conditional UPDATE, so two sweeps never send the same record twice.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import TracebackType

from django.conf import settings
from django.db import DatabaseError, connection, models
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

PENDING, RUNNING = "pending", "running"


def lease_owner() -> str:
    """This worker process, plus a random part: one claim, one owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def lease_length() -> timedelta:
    return timedelta(seconds=settings.ARENA_LEASE_SECONDS)


def job_send(task, record_id: int) -> bool:
    """Send a task for a record; ``False`` (logged) if the broker is unreachable: the
    record stays PENDING and the sweep sends it again once the broker is back."""
    try:
        task.apply_async(
            (record_id,),
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        )
    except BrokerError as error:
        logger.warning("could not queue %s(%s): %s", task.name, record_id, error)
        return False
    return True


def job_claim(model: type[models.Model], record_id: int, owner: str, **fields: object) -> bool:
    """Take a record: PENDING, or RUNNING with an expired lease and attempts left."""
    now = timezone.now()
    return bool(
        model.objects.filter(pk=record_id)
        .filter(
            Q(status=PENDING)
            | Q(status=RUNNING, lease_until__lt=now, attempts__lt=settings.ARENA_MAX_ATTEMPTS)
        )
        .update(
            status=RUNNING,
            claimed_by=owner,
            lease_until=now + lease_length(),
            attempts=F("attempts") + 1,
            **fields,
        )
    )


def job_renew(model: type[models.Model], record_id: int, owner: str) -> bool:
    """Extend this owner's lease; ``False`` if the record is no longer ours."""
    return bool(
        model.objects.filter(pk=record_id, status=RUNNING, claimed_by=owner).update(
            lease_until=timezone.now() + lease_length()
        )
    )


class LeaseKeeper:
    """Renews a lease in a thread every third of its length while the ``with`` block runs.

    A thread, because the work (a numpy fit, an import) does not return to us in between.
    A failed renewal (the database restarting) is tried again next time; if the lease ran
    out meanwhile, another worker may take the record over: its result is the same.
    """

    def __init__(self, model: type[models.Model], record_id: int, owner: str) -> None:
        self._renew = lambda: job_renew(model, record_id, owner)
        self._every = settings.ARENA_LEASE_SECONDS / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="lease-keeper")

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._every):
                try:
                    self._renew()
                except DatabaseError as error:
                    logger.warning("could not renew a lease: %s", error)
                    connection.close()  # reconnect next time
        finally:
            connection.close()  # this thread's own connection


@dataclass(frozen=True)
class SweepReport:
    resent: list[int]  # PENDING for too long: the message was probably lost
    taken_back: list[int]  # RUNNING with an expired lease: the worker died
    failed: list[int]  # its worker died ARENA_MAX_ATTEMPTS times


def job_sweep(
    model: type[models.Model],
    *,
    send: Callable[[int], object],
    fail: Callable[[list[int]], None],
) -> SweepReport:
    """Send again what waits too long, put back what a dead worker held, fail what killed
    its worker too often. Each record is decided by one conditional UPDATE."""
    now = timezone.now()
    expired = model.objects.filter(status=RUNNING, lease_until__lt=now)
    worn_out = list(
        expired.filter(attempts__gte=settings.ARENA_MAX_ATTEMPTS).values_list("pk", flat=True)
    )
    if worn_out:
        fail(worn_out)
    taken_back = [
        pk
        for pk in expired.filter(attempts__lt=settings.ARENA_MAX_ATTEMPTS).values_list(
            "pk", flat=True
        )
        if model.objects.filter(pk=pk, status=RUNNING, lease_until__lt=now).update(
            status=PENDING, claimed_by="", lease_until=None, queued_at=now
        )
    ]
    stale = now - timedelta(seconds=settings.ARENA_RESEND_AFTER_SECONDS)
    resent = [
        pk
        for pk in model.objects.filter(status=PENDING, queued_at__lt=stale).values_list(
            "pk", flat=True
        )
        if model.objects.filter(pk=pk, status=PENDING, queued_at__lt=stale).update(queued_at=now)
    ]
    for pk in taken_back + resent:
        send(pk)
    if worn_out or taken_back or resent:
        logger.warning(
            "%s sweep: resent %s, taken back %s, failed %s",
            model._meta.label,
            resent,
            taken_back,
            worn_out,
        )
    return SweepReport(resent=resent, taken_back=taken_back, failed=worn_out)
