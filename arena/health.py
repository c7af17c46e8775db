"""Reachability of what the product depends on, for ``/healthz``.

The database and the broker decide the status (a vote needs the database; scheduled
ratings need the broker). Workers are reported but do not decide it: voting goes on without
them, and ratings catch up when they return.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from django.db import DatabaseError, connection
from django.utils import timezone

from arena.models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    ok: bool
    ms: float
    detail: str = ""


def _timed(probe) -> Check:  # a zero-argument callable returning detail
    started = time.perf_counter()
    try:
        detail = probe()
        ok = True
    except Exception as error:  # any failure means "unreachable"
        detail = f"{type(error).__name__}: {error}"[:300]
        ok = False
    return Check(ok=ok, ms=round((time.perf_counter() - started) * 1000, 1), detail=detail)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker() -> str:
    from config.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    # The scheme only: the URL may carry a password.
    return str(app.conf.broker_url).split("://", 1)[0]


def _workers() -> list[dict[str, Any]]:
    now = timezone.now()
    return [
        {
            "hostname": hostname,
            "seen_at": seen_at.isoformat(),
            "age_seconds": round((now - seen_at).total_seconds(), 1),
        }
        for hostname, seen_at in WorkerHeartbeat.objects.order_by("-seen_at").values_list(
            "hostname", "seen_at"
        )[:20]
    ]


def health_report() -> dict[str, Any]:
    database = _timed(_database)
    broker = _timed(_broker)
    try:
        workers = _workers() if database.ok else []
    except DatabaseError:  # reachable but not migrated: the checks above already say enough
        workers = []
    return {
        "status": "ok" if database.ok and broker.ok else "error",
        "checks": {"database": asdict(database), "broker": asdict(broker)},
        "workers": workers,
    }


def probe_host(allowed_hosts: list[str]) -> str:
    """A host name that ALLOWED_HOSTS accepts, for a probe from inside the deployment:
    the first entry, with a subdomain wildcard ``.example.org`` taken as ``example.org``."""
    first = allowed_hosts[0] if allowed_hosts else "*"
    return "localhost" if first == "*" else first.removeprefix(".")
