"""The site's own pages: the first-visit notice's dismissal, the privacy and terms page,
the human status page (the data of ``/healthz``) and the favicon. (The 404 and 500 pages
are templates/404.html and 500.html, rendered by config/errors.py.)"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from arena.health import health_report
from arena.site_data import NOTICE_COOKIE

#: A year: the notice comes back only with new terms (``ARENA_NOTICE_VERSION``).
NOTICE_COOKIE_SECONDS = 365 * 24 * 3600


@require_safe
def notice_dismiss(request: HttpRequest) -> HttpResponse:
    """The notice's "OK": a plain link (no script needed), back to the page it was on."""
    back = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = "/"
    response = HttpResponseRedirect(back)
    response.set_cookie(
        NOTICE_COOKIE,
        settings.ARENA_NOTICE_VERSION,
        max_age=NOTICE_COOKIE_SECONDS,
        samesite="Lax",
        secure=request.is_secure(),
        httponly=True,
    )
    return response


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "site/privacy.html")


@require_safe
@never_cache
def status_page(request: HttpRequest) -> HttpResponse:
    """``/healthz`` in words: what answers, and when each worker last reported in."""
    report = health_report()
    stale_after = 3 * settings.ARENA_HEARTBEAT_SECONDS
    workers = [
        worker | {"fresh": worker["age_seconds"] <= stale_after} for worker in report["workers"]
    ]
    ctx = {
        "ok": report["status"] == "ok",
        "checks": [
            {"name": "Database", "what": "votes and pages", **report["checks"]["database"]},
            {"name": "Task queue", "what": "rating updates", **report["checks"]["broker"]},
        ],
        "workers": workers,
        "stale_after": stale_after,
    }
    return render(request, "site/status.html", ctx, status=200 if ctx["ok"] else 503)


@cache
def _favicon() -> bytes:
    return Path(finders.find("img/favicon.ico")).read_bytes()


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page links: answer it, a day cached."""
    response = HttpResponse(_favicon(), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
