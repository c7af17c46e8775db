from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from arena.health import health_report
from arena.selectors import arena_overview


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "arena/home.html", {"overview": arena_overview()})
