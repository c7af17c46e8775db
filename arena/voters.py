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
    value = request.META.get(settings.ARENA_CLIENT_IP_HEADER, "") or request.META.get(
        "REMOTE_ADDR", ""
    )
    # X-Forwarded-For style headers list the client first.
    return value.split(",")[0].strip()
