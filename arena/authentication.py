"""API authentication: Django sessions, with CSRF checked for every unsafe request."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


class SessionCsrfAuthentication(SessionAuthentication):
    """DRF checks CSRF only for logged-in users; an anonymous voter's session needs it too,
    or another site could cast votes in a visitor's name."""

    def authenticate(self, request: Request):
        self.enforce_csrf(request)
        return super().authenticate(request)


class SessionCsrfScheme(SessionScheme):
    """OpenAPI: the same session cookie as DRF's SessionAuthentication."""

    target_class = "arena.authentication.SessionCsrfAuthentication"
