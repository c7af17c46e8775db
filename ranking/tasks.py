from __future__ import annotations

from celery import shared_task
from django.conf import settings


@shared_task(
    acks_late=True,
    # A worker that dies mid-fit hands the message back instead of losing it; the claim in
    # the database makes the redelivered task the only one to compute the snapshot.
    reject_on_worker_lost=True,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    ignore_result=True,
)
def snapshot_compute_task(snapshot_id: int) -> None:
    from ranking.services import snapshot_compute

    snapshot_compute(snapshot_id=snapshot_id)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def snapshot_refresh_task() -> None:
    """Scheduled by beat: refresh each modality's snapshots that have new votes."""
    from ranking.scheduling import snapshot_refresh_due

    snapshot_refresh_due()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def boards_catch_up_task() -> None:
    """Sent when a worker starts and after every import (``RANKING_CATCH_UP``): queue the
    current snapshots and the month-end history that are missing, without waiting for beat."""
    from ranking.scheduling import boards_catch_up

    boards_catch_up()


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def snapshot_sweep_task() -> None:
    """Scheduled by beat: snapshots whose message was lost or whose worker died are sent
    again (docs/reliability.md)."""
    from ranking.services import snapshot_sweep

    snapshot_sweep()


@shared_task(ignore_result=True, time_limit=600, soft_time_limit=540)
def vote_integrity_task() -> None:
    """Scheduled by beat: flag sessions and networks whose recent votes look rigged."""
    from ranking.integrity import vote_integrity_check

    vote_integrity_check()


@shared_task(ignore_result=True)
def snapshot_recount_task() -> None:
    """Scheduled by beat (every ``RANKING_RECOUNT_HOURS``): count the latest incremental
    counts of every scope again in full and compare fingerprints."""
    from ranking.aggregation import counts_recount

    counts_recount()


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=280)
def fanout_prune_task() -> None:
    """Scheduled by beat, hourly: fan-out files no coordinator will read (ranking.fanout)."""
    from ranking.fanout import fanout_prune

    fanout_prune()


@shared_task(
    ignore_result=True,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
)
def bootstrap_chunk_task(share: str, index: int) -> None:
    """Chunk ``index`` of a big snapshot's bootstrap (ranking.fanout; ``share``: the
    snapshot's key and its stored plan's digest): computed here if nobody has claimed it
    yet; the snapshot's coordinator takes back a chunk whose worker died."""
    from ranking.fanout import chunk_compute

    chunk_compute(share, index)
