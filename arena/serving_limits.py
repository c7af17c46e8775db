"""How fast battles are served to one client address and one network: outputs must not be
scraped faster than people vote. Counted in the battle table (its ``ip_hash`` and
``network_hash`` columns, indexed by time), like the vote limits: exact, and working when
Redis is down.

``serving_check`` is called by every view that serves a battle (the API's
``battles/next/``, the battle page and its card) before ``battle_create``; ``serving_client``
gives the hashes that ``battle_create`` stores on the battle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Min
from django.http import HttpRequest
from django.utils import timezone

from arena.models import Battle
from arena.services import Throttled, client_ip_hash
from arena.voters import client_ip, network_prefix


@dataclass(frozen=True)
class ServingClient:
    ip_hash: str
    network_hash: str


def serving_client(request: HttpRequest) -> ServingClient:
    ip = client_ip(request)
    return ServingClient(
        ip_hash=client_ip_hash(ip), network_hash=client_ip_hash(network_prefix(ip))
    )


def _limits() -> list[tuple[str, str, int, timedelta]]:
    """(column, what, limit, window) of each serving limit in force."""
    return [
        ("ip_hash", "address", settings.ARENA_BATTLES_PER_MINUTE_PER_IP, timedelta(minutes=1)),
        ("ip_hash", "address", settings.ARENA_BATTLES_PER_HOUR_PER_IP, timedelta(hours=1)),
        (
            "network_hash",
            "network",
            settings.ARENA_BATTLES_PER_MINUTE_PER_NETWORK,
            timedelta(minutes=1),
        ),
        (
            "network_hash",
            "network",
            settings.ARENA_BATTLES_PER_HOUR_PER_NETWORK,
            timedelta(hours=1),
        ),
    ]


def serving_check(client: ServingClient, *, now: datetime | None = None) -> None:
    """Raise ``Throttled`` (429, with the seconds until a battle may be served again) when
    the client's address or network was served its limit of battles in a window."""
    now = now or timezone.now()
    for column, what, limit, window in _limits():
        value = getattr(client, column)
        if not value:
            continue
        recent = Battle.objects.filter(**{column: value, "served_at__gte": now - window})
        if recent.count() < limit:
            continue
        # The window frees a place when the oldest battle in it leaves it.
        oldest = recent.aggregate(first=Min("served_at"))["first"] or now
        retry = max(1, math.ceil((oldest + window - now).total_seconds()))
        span = "minute" if window == timedelta(minutes=1) else "hour"
        raise Throttled(
            f"Too many battles served to your {what}: at most {limit} per {span}. "
            f"Please wait {retry} seconds.",
            retry_after=retry,
        )
