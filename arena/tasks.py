from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, soft_time_limit=20, time_limit=30)
def worker_heartbeat_task() -> None:
    """Scheduled by beat: records that this worker is alive (see ``/healthz``)."""
    from celery import current_task

    from arena.services import worker_heartbeat_record

    worker_heartbeat_record(hostname=current_task.request.hostname or "unknown")
