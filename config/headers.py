"""Hardening headers Django does not set by itself: a Content-Security-Policy on every HTML
response (scripts and styles only from the site's own files: no inline script, no inline
handler, no eval) and a Permissions-Policy. Pages keep their data in
``json_script`` blocks (``type="application/json"``, which the policy does not run) and
their behaviour in ``static/js``; a template that needs a script adds a file there.

The policies are the settings ``ARENA_CONTENT_SECURITY_POLICY`` and
``ARENA_PERMISSIONS_POLICY``; a view that set its own header keeps it."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault(
                "Content-Security-Policy", settings.ARENA_CONTENT_SECURITY_POLICY
            )
        response.headers.setdefault("Permissions-Policy", settings.ARENA_PERMISSIONS_POLICY)
        return response


VOTING_API = ("/api/v1/battles/", "/api/v1/votes/", "/api/v1/me/")


class DataLicenceMiddleware:
    """Every API response and download names the data's licence: ``Link: <url>;
    rel="license"`` and ``X-Data-Licence`` (``ARENA_DATA_LICENCE_URL``,
    ``ARENA_DATA_LICENCE``); while demo data is present, ``X-Arena-Demo-Data`` says so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        download = "attachment" in response.get("Content-Disposition", "")
        if request.path.startswith("/api/") or download:
            from arena.site_data import demo_data_present

            response.headers.setdefault(
                "Link", f'<{settings.ARENA_DATA_LICENCE_URL}>; rel="license"'
            )
            response.headers.setdefault("X-Data-Licence", settings.ARENA_DATA_LICENCE)
            # The data's responses only: not the schema and its docs (made without a
            # database), nor the voting path (it reads no vote: docs/voting.md).
            data = download or (
                request.path.startswith("/api/v1/") and not request.path.startswith(VOTING_API)
            )
            if data and response.status_code < 500 and demo_data_present():
                response.headers["X-Arena-Demo-Data"] = "simulated votes, not real results"
        return response
