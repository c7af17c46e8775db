"""Beat's hourly pruning: what requests and crashed imports leave behind."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.sessions.models import Session
from django.utils import timezone

from arena.media_staging import staging_cleanup
from arena.models import Battle

logger = logging.getLogger(__name__)

# An expired battle is kept this long, so a late vote still gets "expired" (410), not 404.
EXPIRED_BATTLE_KEPT = timedelta(days=1)


@dataclass(frozen=True)
class PruneReport:
    battles: int
    sessions: int
    staged_moved: int
    staged_deleted: int


def battles_prune(*, now: datetime) -> int:
    """Delete battles served but never voted on that expired a day ago (a voted battle is
    kept with its vote)."""
    deleted, _ = Battle.objects.filter(
        state=Battle.State.OPEN, expires_at__lt=now - EXPIRED_BATTLE_KEPT
    ).delete()
    return deleted


def sessions_prune(*, now: datetime) -> int:
    """Delete expired sessions (anonymous voters who did not come back): Django's
    ``clearsessions``, on a schedule."""
    deleted, _ = Session.objects.filter(expire_date__lt=now).delete()
    return deleted


def housekeeping_prune(*, now: datetime | None = None) -> PruneReport:
    now = now or timezone.now()
    moved, staged_deleted = staging_cleanup(now=now)
    report = PruneReport(
        battles=battles_prune(now=now),
        sessions=sessions_prune(now=now),
        staged_moved=moved,
        staged_deleted=staged_deleted,
    )
    logger.info("housekeeping: %s", report)
    return report
