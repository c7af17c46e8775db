"""When snapshots are made: beat's periodic refresh and the month-end history backfill."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from arena.models import Modality
from pairwise.months import month_ends
from ranking.aggregation import STYLE_MODALITIES, counted_votes
from ranking.models import RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_request, snapshot_schedule

logger = logging.getLogger(__name__)


def big_scopes(modality: str, now: datetime) -> list[tuple[str, str]]:
    """(category, language) of each category and each language with enough counted votes."""
    counted = counted_votes(modality=modality, cutoff=now)
    scopes = []
    for column in ("category", "language"):
        big = (
            counted.exclude(**{column: ""})
            .values_list(column)
            .annotate(n=Sum("count"))
            .filter(n__gte=settings.RANKING_MIN_SCOPE_VOTES)
            .order_by(column)
        )
        scopes += [((value, "") if column == "category" else ("", value)) for value, _ in big]
    return scopes


def style_control_offered(modality: str, *, cutoff: datetime | None) -> bool:
    """Whether style-controlled boards are made for a modality: its outputs are texts, the
    setting is on, and some counted vote was cast on a served battle (imported votes have
    no outputs, so a board of imports only would be empty)."""
    return (
        settings.RANKING_STYLE_CONTROL
        and modality in STYLE_MODALITIES
        and counted_votes(modality=modality, cutoff=cutoff).filter(battle__isnull=False).exists()
    )


def snapshot_refresh_due(*, now: datetime | None = None) -> list[RatingSnapshot]:
    """Beat's entry: the overall snapshot of each modality with votes, and each category and
    language with enough votes; for text also each one with style control. Unchanged votes
    give the same key: nothing is recomputed."""
    now = now or timezone.now()
    scheduled = []
    for modality in Modality.values:
        if not counted_votes(modality=modality, cutoff=now).exists():
            continue
        styles = [False, True] if style_control_offered(modality, cutoff=now) else [False]
        for category, language in [("", ""), *big_scopes(modality, now)]:
            for style_control in styles:
                spec = SnapshotSpec(
                    modality=modality,
                    category=category,
                    language=language,
                    cutoff=now,
                    style_control=style_control,
                )
                scheduled.append(snapshot_schedule(spec=spec))
    return scheduled


def snapshot_backfill_monthly(
    *,
    modality: str,
    category: str = "",
    language: str = "",
    since: datetime | None = None,
    style_control: bool = False,
) -> list[tuple[RatingSnapshot, bool]]:
    """Month-end "as-of" snapshots (only votes cast before each month ended) for every month
    with votes of the scope (blank category and language: the whole modality), each computed
    by its own task (a group) so more workers finish sooner; with ``style_control``, the
    style-controlled ones. Returns each snapshot with whether it was queued (False: already
    done or under way)."""
    scope = dict(modality=modality, category=category, language=language)
    span = counted_votes(**scope, cutoff=None).aggregate(
        first=Min("created_at"), last=Max("created_at")
    )
    if span["first"] is None:
        return []
    first = max(span["first"], since) if since else span["first"]
    requested = []
    for cutoff in month_ends(first, span["last"], now=timezone.now()):
        spec = SnapshotSpec(
            **scope,
            kind=RatingSnapshot.Kind.MONTH_END,
            cutoff=cutoff,
            style_control=style_control,
        )
        requested.append(snapshot_request(spec=spec))
    from celery import group

    from ranking.tasks import snapshot_compute_task

    needed = [snapshot.pk for snapshot, needs in requested if needs]
    if needed:
        transaction.on_commit(
            lambda: _send_group(group(snapshot_compute_task.s(pk) for pk in needed))
        )
    return requested


def boards_catch_up(*, now: datetime | None = None) -> list[RatingSnapshot]:
    """What beat would make, made now: each modality's current snapshots (as
    ``snapshot_refresh_due``), then the month-end history of the whole modality and of each
    category and language with enough votes (what the frontier's as-of mode reads).

    Sent when a worker starts and after every import, so a new installation's boards fill
    within a minute instead of at beat's first tick. The current snapshots are queued first,
    so the leaderboards appear before the history. Idempotent: a snapshot already made or
    under way has the same key and is not queued again."""
    now = now or timezone.now()
    scheduled = snapshot_refresh_due(now=now)
    for modality in Modality.values:
        for category, language in [("", ""), *big_scopes(modality, now)]:
            snapshot_backfill_monthly(modality=modality, category=category, language=language)
    return scheduled


def _send_group(tasks) -> None:
    """With the broker down the snapshots stay PENDING: the sweep sends them later."""
    try:
        tasks.apply_async()
    except BrokerError as error:
        logger.warning("could not queue the month-end snapshots (the sweep will): %s", error)
