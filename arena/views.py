from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from arena.health import health_report
from arena.models import Modality, Vote
from arena.presenting import output_payload, prompt_payload
from arena.selectors import (
    arena_overview,
    battle_filter_options,
    battle_for_voter,
    personal_leaderboard,
    voter_vote_count,
)
from arena.services import Refused, Throttled, battle_create, vote_cast
from arena.voters import client_ip, voter_key


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if report["status"] == "ok" else 503)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "arena/home.html", {"overview": arena_overview()})


def _modality(value: str) -> Modality:
    if value not in Modality.values:
        raise Http404(f"No arena for {value!r}.")
    return Modality(value)


def _filters(data) -> dict[str, str]:  # noqa: ANN001 - a QueryDict
    return {name: data.get(name, "")[:64] for name in ("category", "language")}


def _voter_context(voter: str, modality: str, *, with_board: bool) -> dict:
    """The voter's count and, after enough votes and only where no battle is blind, their
    own board (it names models, so the page of an open battle never carries it)."""
    votes = voter_vote_count(voter_key=voter) if voter else 0
    board = None
    if with_board and votes >= settings.ARENA_PERSONAL_BOARD_MIN_VOTES:
        board = personal_leaderboard(voter_key=voter, modality=modality)
    return {
        "votes_cast": votes,
        "personal_board": board,
        "board_min_votes": settings.ARENA_PERSONAL_BOARD_MIN_VOTES,
    }


def _with_filters(url: str, filters: dict[str, str]) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    return url + (f"?{query}" if query else "")


def _next_url(modality: str, filters: dict[str, str]) -> str:
    return _with_filters(reverse("arena:battle", args=[modality]), filters)


@require_safe
@never_cache
@ensure_csrf_cookie
def battle(request: HttpRequest, modality: str) -> HttpResponse:
    modality = _modality(modality)
    filters = _filters(request.GET)
    voter = voter_key(request, create=True)
    ctx = {
        "modality": modality,
        "modalities": Modality,
        "filters": filters,
        "options": battle_filter_options(modality=modality),
        "shortcuts": SHORTCUTS,
        **_voter_context(voter, modality, with_board=False),
    }
    status = 200
    try:
        served = battle_create(voter_key=voter, modality=modality, **filters)
    except Refused as error:
        ctx["error"], status = error.message, error.status
    else:
        ctx |= {
            "battle": served,
            "prompt": prompt_payload(served.prompt),
            "a": output_payload(served.output_a),
            "b": output_payload(served.output_b),
        }
    response = render(request, "arena/battle.html", ctx, status=status)
    if status == 429:
        response["Retry-After"] = "60"
    return response


@require_POST
def vote(request: HttpRequest, modality: str) -> HttpResponse:
    """The form fallback without JavaScript: vote, then redirect to the result (PRG)."""
    modality = _modality(modality)
    token = request.POST.get("token", "")
    filters = _filters(request.POST)
    try:
        vote_cast(
            token=token,
            choice=request.POST.get("choice", ""),
            voter_key=voter_key(request, create=False),
            ip=client_ip(request),
        )
    except Throttled as error:
        messages.warning(request, error.message)
    except Refused as error:
        ctx = {
            "modality": modality,
            "modalities": Modality,
            "error": error.message,
            "filters": filters,
            "next_url": _next_url(modality, filters),
        }
        return render(request, "arena/refused.html", ctx, status=error.status)
    return redirect(_with_filters(reverse("arena:result", args=[modality, token]), filters))


@require_safe
@never_cache
def result(request: HttpRequest, modality: str, token: str) -> HttpResponse:
    modality = _modality(modality)
    voter = voter_key(request, create=False)
    served = battle_for_voter(token=token, voter_key=voter) if voter else None
    voted = getattr(served, "vote", None) if served else None
    if served is None or voted is None or served.modality != modality:
        raise Http404("No vote of yours on this battle.")
    filters = _filters(request.GET)
    ctx = {
        "modality": modality,
        "modalities": Modality,
        "battle": served,
        "vote": voted,
        "prompt": prompt_payload(served.prompt),
        "a": output_payload(served.output_a),
        "b": output_payload(served.output_b),
        "filters": filters,
        "next_url": _next_url(modality, filters),
        "choices": Vote.Outcome,
        **_voter_context(voter, modality, with_board=True),
    }
    return render(request, "arena/result.html", ctx)


# Keyboard shortcuts, shown on the page and used by static/js/battle.js.
SHORTCUTS = [
    {"choice": "a", "label": "A is better", "keys": "A or ←"},
    {"choice": "b", "label": "B is better", "keys": "B or →"},
    {"choice": "tie", "label": "Tie", "keys": "T or ↑"},
    {"choice": "both_bad", "label": "Both are bad", "keys": "X or ↓"},
]
