from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True, soft_time_limit=20, time_limit=30)
def worker_heartbeat_task() -> None:
    """Scheduled by beat: records that the housekeeping worker is alive (see ``/healthz``)."""
    from celery import current_task

    from arena.services import worker_heartbeat_record

    worker_heartbeat_record(hostname=current_task.request.hostname or "unknown")


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=150)
def serving_plans_refresh_task() -> None:
    """Scheduled by beat: the serving plans take in the votes since the last tick."""
    from arena.serving_plan import serving_plans_refresh

    serving_plans_refresh()


@shared_task(acks_late=True, ignore_result=True)
def upload_process_task(upload_id: int) -> None:
    """An admin's prompt/output set upload. Time limits are the global ones (settings):
    a big video set may take minutes. A crash fails the upload with a report
    (``upload_process``); a killed worker's upload is taken over by the sweep."""
    from arena.upload_jobs import upload_process

    upload_process(upload_id=upload_id)


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def upload_sweep_task() -> None:
    """Scheduled by beat: uploads whose message was lost or whose worker died are sent
    again, or failed with a report (docs/reliability.md)."""
    from arena.upload_jobs import upload_sweep

    upload_sweep()


@shared_task(ignore_result=True, time_limit=900, soft_time_limit=840)
def housekeeping_prune_task() -> None:
    """Scheduled by beat, hourly: expired unvoted battles, expired sessions, and media a
    killed import left in the staging area."""
    from arena.housekeeping import housekeeping_prune

    housekeeping_prune()
