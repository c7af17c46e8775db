"""How fast battles are served to one session, client address and network: outputs must not be
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
from django.db import connection
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
    session_key: str = ""  # the voter key battles are bound to (``Battle.session_key``)


def serving_client(request: HttpRequest, *, voter_key: str = "") -> ServingClient:
    ip = client_ip(request)
    return ServingClient(
        ip_hash=client_ip_hash(ip),
        network_hash=client_ip_hash(network_prefix(ip)),
        session_key=voter_key,
    )


@dataclass(frozen=True)
class _Limit:
    column: str
    what: str
    limit: int
    window: timedelta


MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)


def _limits() -> list[_Limit]:
    """Each serving limit in force: per session, address and network."""
    return [
        _Limit("session_key", "session", settings.ARENA_BATTLES_PER_MINUTE_PER_SESSION, MINUTE),
        _Limit("ip_hash", "address", settings.ARENA_BATTLES_PER_MINUTE_PER_IP, MINUTE),
        _Limit("ip_hash", "address", settings.ARENA_BATTLES_PER_HOUR_PER_IP, HOUR),
        _Limit("network_hash", "network", settings.ARENA_BATTLES_PER_MINUTE_PER_NETWORK, MINUTE),
        _Limit("network_hash", "network", settings.ARENA_BATTLES_PER_HOUR_PER_NETWORK, HOUR),
    ]


def serving_check(client: ServingClient, *, now: datetime | None = None) -> None:
    """Raise ``Throttled`` (429, with the seconds until a battle may be served again) when
    the client's session, address or network was served its limit of battles in a window.
    Every limit is counted in one query (serving a battle stays within four)."""
    now = now or timezone.now()
    limits = [(limit, getattr(client, limit.column)) for limit in _limits()]
    limits = [(limit, value) for limit, value in limits if value]
    if not limits:
        return
    counts = _served_counts(limits, now)
    for (limit, value), count in zip(limits, counts, strict=True):
        if count < limit.limit:
            continue
        # The window frees a place when the oldest battle in it leaves it.
        recent = Battle.objects.filter(
            **{limit.column: value, "served_at__gte": now - limit.window}
        )
        oldest = recent.aggregate(first=Min("served_at"))["first"] or now
        retry = max(1, math.ceil((oldest + limit.window - now).total_seconds()))
        span = "minute" if limit.window == MINUTE else "hour"
        raise Throttled(
            f"Too many battles served to your {limit.what}: at most {limit.limit} per {span}. "
            f"Please wait {retry} seconds.",
            retry_after=retry,
        )


def _served_counts(limits: list[tuple[_Limit, str]], now: datetime) -> list[int]:
    """The battles served in each limit's window, in one statement. Written as SQL: it runs
    on every battle served, and building it with the ORM (five filtered counts) cost more
    processor time than the rest of serving together (docs/performance.md)."""
    adapt = connection.ops.adapt_datetimefield_value
    counts, params = [], []
    for limit, value in limits:
        counts.append(f"COUNT(CASE WHEN {limit.column} = %s AND served_at >= %s THEN 1 END)")
        params += [value, adapt(now - limit.window)]
    mine = " OR ".join(f"{limit.column} = %s" for limit, _ in limits)
    params += [value for _, value in limits]
    params.append(adapt(now - max(limit.window for limit, _ in limits)))
    sql = (
        f"SELECT {', '.join(counts)} FROM {Battle._meta.db_table} "
        f"WHERE ({mine}) AND served_at >= %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchone())
