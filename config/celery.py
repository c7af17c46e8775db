"""The Celery application. Tasks live in each app's ``tasks.py`` and are autodiscovered."""

from __future__ import annotations

import os
from pathlib import Path

import click
from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

app = Celery("arena")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.user_options["worker"].add(
    click.Option(
        ["--housekeeping"],
        is_flag=True,
        default=False,
        help="Serve only the housekeeping queue (heartbeat, sweeps, refresh, pruning), so "
        "these never wait behind fits. Without it a worker serves fits and imports.",
    )
)


class _HousekeepingQueue(bootsteps.Step):
    """``worker --housekeeping`` consumes the housekeeping queue instead of the default."""

    def __init__(self, parent: object, housekeeping: bool = False, **options: object) -> None:
        if housekeeping:
            from django.conf import settings

            app.amqp.queues.select([settings.CELERY_HOUSEKEEPING_QUEUE])
        super().__init__(parent, **options)


app.steps["worker"].add(_HousekeepingQueue)


def ensure_broker_folders() -> None:
    """The filesystem transport expects its folders to exist; create them on first use."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.on_after_configure.connect
def _create_broker_folders(sender: Celery, **kwargs: object) -> None:
    ensure_broker_folders()


@signals.worker_init.connect
@signals.worker_process_init.connect
def _keep_freed_memory(**kwargs: object) -> None:
    """Freed bootstrap temporaries stay in the worker for the next block instead of being
    returned to the kernel and faulted in again (``ranking.stats.memory``)."""
    from ranking.stats.memory import keep_freed_memory

    keep_freed_memory()
