"""When the missing boards are made without waiting for beat: as each Celery worker starts,
and after every import (``RANKING_CATCH_UP``; off in the test settings, where Celery is
eager). The work itself is ``ranking.scheduling.boards_catch_up``."""

from __future__ import annotations

import logging

from celery.signals import worker_ready
from django.conf import settings
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)


def catch_up_send() -> None:
    """Queue the catch-up; with the broker down, beat's refresh does the boards later."""
    from ranking.tasks import boards_catch_up_task

    if not settings.RANKING_CATCH_UP:
        return
    try:
        boards_catch_up_task.apply_async(
            retry=True,
            retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5},
        )
    except BrokerError as error:
        logger.warning("could not queue the boards' catch-up (beat's refresh will): %s", error)


def catch_up_after_import(sender: object, **kwargs: object) -> None:
    """Receiver of ``arena.signals.data_imported``: once the import has committed."""
    transaction.on_commit(catch_up_send)


@worker_ready.connect(dispatch_uid="ranking-catch-up-on-start")
def catch_up_on_start(sender: object, **kwargs: object) -> None:
    """A worker that starts (``make run``, a deploy) catches up on what beat would make."""
    catch_up_send()
