from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from arena.models import AIModel, Modality
from arena.presenting import modality_tabs
from ranking.online_elo import model_elo_online
from ranking.selectors import (
    leaderboard_charts,
    leaderboard_latest,
    model_history,
    snapshot_board,
    snapshot_scopes,
    snapshots_done,
)

HEATMAP_MODELS = 25


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
    history = list(snapshots_done(modality=modality, category=category, language=language)[:100])
    chosen = request.GET.get("snapshot")
    if chosen:
        snapshot = next((s for s in history if str(s.pk) == chosen), None)
        if snapshot is None:
            raise Http404("No such finished snapshot for this leaderboard.")
    else:
        snapshot = leaderboard_latest(modality=modality, category=category, language=language)
    ctx = {
        "modality": Modality(modality),
        "tabs": modality_tabs(
            modality, lambda m: reverse("ranking:leaderboard-modality", args=[m])
        ),
        "snapshot": snapshot,
        "history": history,
        "scopes": snapshot_scopes(modality=modality),
        "filters": {"category": category, "language": language, "min_votes": min_votes},
        "provisional_votes": settings.RANKING_PROVISIONAL_VOTES,
    }
    if snapshot is not None:
        board = [row for row in snapshot_board(snapshot) if row.votes >= min_votes]
        ctx |= {
            "board": board,
            "charts": leaderboard_charts(snapshot, board, top=HEATMAP_MODELS),
            "heatmap_models": HEATMAP_MODELS,
        }
    return render(request, "ranking/leaderboard.html", ctx)


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
            "low": round(row.ci_low, 1),
            "high": round(row.ci_high, 1),
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
