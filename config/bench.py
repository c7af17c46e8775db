"""The reference of ``bench/throughput.py``: the cheapest request that writes (one row),
served by the same server as the votes it is compared with. Routed only when the setting
``ARENA_BENCH_VIEWS`` is on (off by default, in every settings module)."""

from __future__ import annotations

import secrets

from django.contrib.sessions.models import Session
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


@csrf_exempt
@require_POST
def insert_one_row(request: HttpRequest) -> HttpResponse:
    Session.objects.create(
        session_key=secrets.token_hex(16), session_data="", expire_date=timezone.now()
    )
    return HttpResponse(status=201)
