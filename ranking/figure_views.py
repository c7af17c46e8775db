"""A snapshot's leaderboard charts as SVG or PNG, drawn from the rows of its CSV downloads
(``ratings.csv``; the win-rate matrices' CSV), for the leaderboard page's download links."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.views import APIView

from arena.site_data import attachment, licence_line
from ranking.exports import rating_rows, win_rate_matrix
from ranking.figures import (
    FORMATS,
    cached_figure,
    leaderboard_text,
    matrix_figure,
    render_figure,
    scores_figure,
)
from ranking.models import RatingSnapshot
from ranking.selectors import snapshot_board, snapshot_win_rates, snapshots_done


class FigureQuery(serializers.Serializer):
    min_votes = serializers.IntegerField(
        default=0, min_value=0, help_text="Draw only models with at least this many votes."
    )
    top = serializers.IntegerField(
        default=25, min_value=2, max_value=100, help_text="Models in a matrix (best first)."
    )


def snapshot_words(snapshot: RatingSnapshot) -> str:
    """Which snapshot a figure shows, in one caption line."""
    scope = "".join(
        f"; {name} {value}"
        for name, value in (("category", snapshot.category), ("language", snapshot.language))
        if value
    )
    return (
        f"Snapshot {snapshot.pk}: votes cast before {snapshot.cutoff:%Y-%m-%d %H:%M} UTC, "
        f"{snapshot.n_votes} counted{scope}; Bradley-Terry, ties as "
        f"{snapshot.params.get('ties', 'half')}, {snapshot.params.get('rounds', '?')} bootstrap "
        "rounds."
    )


def leaderboard_figure(snapshot: RatingSnapshot, chart: str, fmt: str, **query: int) -> bytes:
    """The chart of the snapshot: ``scores`` from the ratings CSV's rows (models with at
    least ``min_votes`` votes, as the page filters them), a matrix from the matrices CSV
    restricted to the ``top`` of those models."""
    board = [row for row in snapshot_board(snapshot) if row.votes >= query["min_votes"]]
    kept = f"models with at least {query['min_votes']} votes" if query["min_votes"] else "all"
    common = dict(
        modality=snapshot.modality,
        snapshot_words=snapshot_words(snapshot),
        licence=licence_line(),
    )
    if chart == "scores":
        rows = rating_rows(snapshot, board, provisional_votes=settings.RANKING_PROVISIONAL_VOTES)
        text = leaderboard_text(chart, shown=f"{len(rows)} models ({kept})", **common)
        return render_figure(scores_figure(rows, text), fmt, text)
    rates = snapshot_win_rates(snapshot)
    top = board[: query["top"]]
    index = [rates.keys.index(row.model.key) for row in top]
    matrix = win_rate_matrix(rates, chart)
    shown = [[matrix[i][j] for j in index] for i in index]
    text = leaderboard_text(chart, shown=f"The top {len(top)} models ({kept})", **common)
    names = [row.model.display_name for row in top]  # as the table names them
    figure = matrix_figure(names, shown, text, rates=chart != "battles")
    return render_figure(figure, fmt, text)


class SnapshotFigure(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_snapshots_figure",
        summary="A leaderboard chart of a snapshot as SVG or PNG: scores, observed, predicted, "
        "battles",
        parameters=[FigureQuery],
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="bad parameters"),
            404: OpenApiResponse(description="no such finished snapshot"),
        },
    )
    def get(self, request: Request, pk: int, chart: str, fmt: str) -> HttpResponse:
        query = FigureQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        snapshot = get_object_or_404(snapshots_done(), pk=pk)
        source = (snapshot.key, chart, fmt, query.validated_data, licence_line())
        body = cached_figure(
            source, lambda: leaderboard_figure(snapshot, chart, fmt, **query.validated_data)
        )
        response = HttpResponse(body, content_type=FORMATS[fmt])
        return attachment(response, f"arena-{snapshot.modality}-{snapshot.pk}-{chart}", fmt)
