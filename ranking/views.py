from __future__ import annotations

from functools import cached_property

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from arena.cache import cache_get_or_none, cache_set_quietly
from arena.models import AIModel, Modality
from arena.presenting import modality_tabs
from ranking.aggregation import STYLE_MODALITIES
from ranking.models import RatingSnapshot
from ranking.online_elo import model_elo_online
from ranking.selectors import (
    SNAPSHOT_CACHE_SECONDS,
    board_components,
    leaderboard_charts,
    leaderboard_latest,
    model_history,
    snapshot_board,
    snapshot_scopes,
    snapshots_done,
    snapshots_under_way,
)
from ranking.stats import elo_factor

HEATMAP_MODELS = 25
#: Finished snapshots offered in the page's history menu.
HISTORY_LENGTH = 100


def _int(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value not in (None, "") else default
    except ValueError:
        return default


@require_safe
def leaderboard(request: HttpRequest, modality: str = "text") -> HttpResponse:
    if modality not in Modality.values:
        raise Http404(f"No leaderboard for {modality!r}.")
    category = request.GET.get("category", "")
    language = request.GET.get("language", "")
    min_votes = _int(request.GET.get("min_votes"), 0)
    style_offered = modality in STYLE_MODALITIES
    style_control = style_offered and request.GET.get("style") == "control"
    scope = {"modality": modality, "category": category, "language": language}
    history = list(snapshots_done(**scope, style_control=style_control)[:HISTORY_LENGTH])
    chosen = request.GET.get("snapshot")
    if chosen:
        snapshot = next((s for s in history if str(s.pk) == chosen), None)
        if snapshot is None:
            raise Http404("No such finished snapshot for this leaderboard.")
    else:
        snapshot = _latest(history, scope, style_control)
    ctx = {
        "modality": Modality(modality),
        "tabs": modality_tabs(
            modality, lambda m: reverse("ranking:leaderboard-modality", args=[m])
        ),
        "snapshot": snapshot,
        "history": history,
        "scopes": snapshot_scopes(modality=modality),
        "filters": {
            "category": category,
            "language": language,
            "min_votes": min_votes,
            "style": "control" if style_control else "",
        },
        "style_offered": style_offered,
        "provisional_votes": settings.RANKING_PROVISIONAL_VOTES,
        "min_scope_votes": settings.RANKING_MIN_SCOPE_VOTES,
        "refresh": snapshot is None
        and snapshots_under_way(
            **scope, kind=RatingSnapshot.Kind.CURRENT, style_control=style_control
        ),
    }
    if snapshot is not None:
        ctx["board_html"] = _board_html(snapshot, min_votes)
    return render(request, "ranking/leaderboard.html", ctx)


def _latest(
    history: list[RatingSnapshot], scope: dict, style_control: bool
) -> RatingSnapshot | None:
    """``leaderboard_latest`` of the scope, found in ``history`` (the scope's newest finished
    snapshots in the same order) without a query of its own; queried only when the history
    is full and holds month-end snapshots only."""
    current = next((s for s in history if s.kind == RatingSnapshot.Kind.CURRENT), None)
    if current is None and len(history) == HISTORY_LENGTH:
        current = leaderboard_latest(**scope, style_control=style_control)
    return current


class SnapshotBoard:
    """A finished snapshot's board and figures, for ``ranking/_board.html``."""

    def __init__(self, snapshot: RatingSnapshot, min_votes: int) -> None:
        self.snapshot = snapshot
        self.min_votes = min_votes
        self.heatmap_models = HEATMAP_MODELS

    @cached_property
    def rows(self) -> list:
        return [row for row in snapshot_board(self.snapshot) if row.votes >= self.min_votes]

    @cached_property
    def components(self) -> list:
        return board_components(self.rows)

    @cached_property
    def charts(self) -> dict:
        return leaderboard_charts(self.snapshot, self.rows, top=HEATMAP_MODELS)


def _board_html(snapshot: RatingSnapshot, min_votes: int) -> str:
    """The page's method note, tables and figures' data, rendered once per snapshot and
    threshold and cached under the snapshot's key: rendering 100 rows cost more than the rest
    of the page, and the note's ten links much of what remained. A cache outage only costs
    the rendering."""
    # "note": the fragment holds the method note since 2026-12-03; a new name keeps servers
    # of the code before it (in a rolling deploy) from reading it, and the reverse.
    key = f"ranking:leaderboard-board-note:{snapshot.key}:{min_votes}"
    html = cache_get_or_none(key)
    if html is None:
        html = render_to_string(
            "ranking/_board.html",
            {
                "snapshot": snapshot,
                "style_coefficients": _style_coefficients(snapshot),
                "board": SnapshotBoard(snapshot, min_votes),
                "modality": Modality(snapshot.modality),
                "provisional_votes": settings.RANKING_PROVISIONAL_VOTES,
            },
        )
        cache_set_quietly(key, html, timeout=SNAPSHOT_CACHE_SECONDS)
    return mark_safe(html)


#: How the page names the style features of ``ranking.stats.STYLE_FEATURES``.
STYLE_LABELS = {
    "tokens": "Length (tokens)",
    "headers": "Markdown headers",
    "list_items": "Markdown list items",
    "bold": "Bold spans",
}


def _style_coefficients(snapshot: RatingSnapshot) -> list[dict]:
    """Each style coefficient in log-odds and in rating points, per unit of the normalised
    difference ``(a - b) / (a + b)``: 1 when all of the feature is on one side."""
    return [
        {
            "feature": STYLE_LABELS.get(name, name),
            "coef": coef,
            "points": coef * elo_factor(),
        }
        for name, coef in snapshot.style_coef.items()
    ]


@require_safe
def model_page(request: HttpRequest, modality: str, key: str) -> HttpResponse:
    if modality not in Modality.values:
        raise Http404(f"No leaderboard for {modality!r}.")
    model = get_object_or_404(AIModel.objects.select_related("lab"), key=key)
    history = model_history(model_id=model.pk, modality=modality)
    series = [
        {
            "cutoff": row.snapshot.cutoff.isoformat(),
            "kind": row.snapshot.kind,
            "score": round(row.score, 1),
            # An open side (the votes do not bound it) is null: JSON has no infinity.
            "low": None if row.open_below else round(row.ci_low, 1),
            "high": None if row.open_above else round(row.ci_high, 1),
            "rank": row.rank,
            "votes": row.votes,
            "snapshot": row.snapshot_id,
        }
        for row in history
    ]
    elo = model_elo_online(model_id=model.pk, modality=modality)
    ctx = {
        "modality": Modality(modality),
        "model": model,
        "history": history,
        "series": series,
        "elo": elo,
        "elo_series": [
            {"date": point.day.isoformat(), "rating": point.rating, "votes": point.votes}
            for point in elo.points
        ],
    }
    return render(request, "ranking/model.html", ctx)
