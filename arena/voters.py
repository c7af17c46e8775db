"""Who is voting: an anonymous voter id kept in the Django session.

Battles are bound to this id rather than to the session key, which Django rotates on login.
"""

from __future__ import annotations

import ipaddress
import secrets
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

SESSION_KEY = "arena_voter"


def voter_key(request: HttpRequest, *, create: bool) -> str:
    """This browser's voter id ("" if it has none and ``create`` is false)."""
    key = request.session.get(SESSION_KEY, "")
    if not key and create:
        key = secrets.token_urlsafe(24)
        request.session[SESSION_KEY] = key
    return key


def client_ip(request: HttpRequest) -> str:
    """The client's address: ``REMOTE_ADDR``, or behind proxies the address the outermost
    trusted proxy saw. ``ARENA_CLIENT_IP_HEADER`` names the header the proxies set. In an
    X-Forwarded-For list each proxy appends the address it received from, so the entries on
    the left are whatever the client sent: the entry that counts is the one
    ``ARENA_TRUSTED_PROXY_COUNT`` places from the right. A header shorter than that was not
    written by the proxies, and ``REMOTE_ADDR`` is used instead."""
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.ARENA_CLIENT_IP_HEADER
    if header == "REMOTE_ADDR":
        return remote
    entries = [entry.strip() for entry in request.META.get(header, "").split(",")]
    entries = [entry for entry in entries if entry]
    trusted = settings.ARENA_TRUSTED_PROXY_COUNT
    return entries[-trusted] if len(entries) >= trusted else remote


@lru_cache(maxsize=4096)
def network_prefix(ip: str) -> str:
    """The network an address belongs to, as rate limits and manipulation checks group
    addresses: its IPv4 /24 or its IPv6 /48 (one home, office or small provider block).
    "" for no address or one that does not parse. Kept per process for the addresses seen
    last: parsing took about 1% of a battle and vote's processor time."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    length = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


def voter_flag_lift(*, flag_id: int, user: object | None = None) -> int:
    """Lift a manipulation flag (an admin's decision): its votes count again, unless another
    active flag still covers them, and the checks no longer flag its subject. Returns the
    number of votes reinstated; lifting a lifted flag does nothing."""
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone

    from arena.models import Vote, VoterFlag

    with transaction.atomic():
        lifted = VoterFlag.objects.filter(pk=flag_id, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=user
        )
        if not lifted:
            return 0
        still_flagged = Q(flags__lifted_at__isnull=True)
        votes = (
            Vote.objects.filter(flags__pk=flag_id, exclusion_reason="flagged_voter")
            .exclude(still_flagged)
            .values_list("pk", flat=True)
        )
        return Vote.objects.filter(pk__in=list(votes)).update(excluded=False, exclusion_reason="")
