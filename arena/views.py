from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from arena.health import health_report
from arena.models import Battle, Modality, Vote
from arena.presenting import modality_tabs, output_payload, prompt_payload
from arena.proof_of_work import ProofOfWorkRequired, pow_check
from arena.selectors import (
    arena_overview,
    battle_for_voter,
    personal_leaderboard,
    voter_vote_count,
)
from arena.services import Refused, Throttled, battle_create, vote_cast
from arena.serving_limits import serving_check, serving_client
from arena.serving_plan import filter_options
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


def _filters(data: QueryDict) -> dict[str, str]:
    return {name: data.get(name, "")[:64] for name in ("category", "language")}


def _voter_context(voter: str, modality: str, *, with_board: bool) -> dict:
    """The voter's count and, after enough votes and only where no battle is blind, their
    own board (it names models, so the page of an open battle never carries it)."""
    votes = voter_vote_count(voter_key=voter) if voter else 0
    board = None
    if with_board and votes >= settings.ARENA_PERSONAL_BOARD_MIN_VOTES:
        board = personal_leaderboard(voter_key=voter, modality=modality)
    return {
        "modality": modality,
        "votes_cast": votes,
        "personal_board": board,
        "board_min_votes": settings.ARENA_PERSONAL_BOARD_MIN_VOTES,
    }


def _with_filters(url: str, filters: dict[str, str]) -> str:
    query = urlencode({k: v for k, v in filters.items() if v})
    return url + (f"?{query}" if query else "")


def _next_url(modality: str, filters: dict[str, str]) -> str:
    return _with_filters(reverse("arena:battle", args=[modality]), filters)


def _tabs(modality: Modality) -> list[dict]:
    return modality_tabs(modality, lambda m: reverse("arena:battle", args=[m]))


def _card(served: Battle) -> dict:
    """What ``arena/_battle_card.html`` shows of a served battle before its vote: the prompt
    and both outputs, nothing that names a model."""
    return {
        "token": served.token,
        "prompt": prompt_payload(served.prompt),
        "a": output_payload(served.output_a),
        "b": output_payload(served.output_b),
    }


def _refused(response: HttpResponse, error: Refused) -> HttpResponse:
    if isinstance(error, Throttled):
        response["Retry-After"] = str(error.retry_after)
    return response


def _serve(request: HttpRequest, voter: str, modality: str, filters: dict[str, str]) -> Battle:
    """A new battle for this voter, after its proof of work (when asked for) and within the
    serving limits of its address and network."""
    solution = request.headers.get("X-Arena-Pow", "") or request.GET.get("pow", "")[:200]
    pow_check(solution, voter_key=voter)
    client = serving_client(request, voter_key=voter)
    serving_check(client)
    return battle_create(
        voter_key=voter,
        modality=modality,
        ip_hash=client.ip_hash,
        network_hash=client.network_hash,
        **filters,
    )


@require_safe
@never_cache
@ensure_csrf_cookie
def battle(request: HttpRequest, modality: str) -> HttpResponse:
    modality = _modality(modality)
    filters = _filters(request.GET)
    voter = voter_key(request, create=True)
    ctx = {
        "modality": modality,
        "tabs": _tabs(modality),
        "filters": filters,
        "options": filter_options(modality),
        "shortcuts": SHORTCUTS,
        "card_url": _with_filters(reverse("arena:battle-card", args=[modality]), filters),
        **_voter_context(voter, modality, with_board=False),
    }
    try:
        served = _serve(request, voter, modality, filters)
    except ProofOfWorkRequired as error:
        pow_ctx = {"challenge": error.challenge, "bits": error.bits}
        return render(request, "arena/pow.html", pow_ctx, status=error.status)
    except Refused as error:
        ctx["error"] = error.message
        return _refused(render(request, "arena/battle.html", ctx, status=error.status), error)
    return render(request, "arena/battle.html", ctx | {"card": _card(served)})


@require_safe
@never_cache
def battle_card(request: HttpRequest, modality: str) -> HttpResponse:
    """The next battle's card alone, for static/js/battle.js to put in place of the voted
    one: the same template renders it with and without JavaScript."""
    modality = _modality(modality)
    try:
        served = _serve(request, voter_key(request, create=True), modality, _filters(request.GET))
    except Refused as error:
        response = HttpResponse(error.message, status=error.status, content_type="text/plain")
        return _refused(response, error)
    return render(request, "arena/_battle_card.html", _card(served))


@require_safe
@never_cache
def voter_panel(request: HttpRequest, modality: str) -> HttpResponse:
    """The voter's panel with their own board, for static/js/battle.js after a vote."""
    modality = _modality(modality)
    voter = voter_key(request, create=False)
    return render(request, "arena/_voter.html", _voter_context(voter, modality, with_board=True))


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
            "tabs": _tabs(modality),
            "error": error.message,
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
    ctx = {
        "tabs": _tabs(modality),
        "battle": served,
        "vote": voted,
        "card": _card(served),
        "next_url": _next_url(modality, _filters(request.GET)),
        **_voter_context(voter, modality, with_board=True),
    }
    return render(request, "arena/result.html", ctx)


#: The keys of each choice, as ``KeyboardEvent.key`` lower-cased: the page shows them and
#: static/js/battle.js reads them from it. The choices and their labels are ``Vote.Outcome``.
#: Letters only: arrow keys scroll the page (a voter reading a long answer presses ↓), so
#: they must never cast a vote. N is "next battle", so "both are bad" is X.
SHORTCUT_KEYS = {
    Vote.Outcome.A: ("a",),
    Vote.Outcome.B: ("b",),
    Vote.Outcome.TIE: ("t",),
    Vote.Outcome.BOTH_BAD: ("x",),
}

SHORTCUTS = [
    {
        "choice": value,
        "label": label,
        "keys": " or ".join(key.upper() for key in SHORTCUT_KEYS[value]),
        "key_names": " ".join(SHORTCUT_KEYS[value]),
    }
    for value, label in Vote.Outcome.choices
]
