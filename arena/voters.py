"""Who is voting: an anonymous voter id kept in the Django session.

Battles are bound to this id rather than to the session key, which Django rotates on login.
"""

from __future__ import annotations

import secrets

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
