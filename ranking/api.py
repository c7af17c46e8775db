"""Read-only ratings API: leaderboards, snapshots, and their downloads.

Snapshots never change once done, so their ETag is their key; clients poll the leaderboard
cheaply with If-None-Match (304 when nothing new was published).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.http import http_date, quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from arena.api import Errors, QueryParams
from arena.cache import cache_get_or_none, cache_set_quietly
from arena.models import AIModel, Modality
from arena.site_data import attachment
from ranking.exports import (
    MATRIX_COLUMNS,
    PAIR_COLUMNS,
    RATING_COLUMNS,
    WIN_RATE_COLUMNS,
    json_safe,
    matrix_csv,
    pair_rows,
    rating_rows,
    replicate_rows,
    to_csv,
    win_rate_matrix,
    win_rate_rows,
)
from ranking.models import ModelRating, RatingSnapshot
from ranking.online_elo import model_elo_online
from ranking.selectors import (
    SNAPSHOT_CACHE_SECONDS,
    leaderboard_latest,
    snapshot_board,
    snapshot_win_rates,
    snapshots_done,
)
from ranking.storage import snapshot_data


class BoundField(serializers.FloatField):
    """An interval bound: ``null`` where the votes do not bound the score (JSON has no
    infinity; the product stores it as -inf or +inf)."""

    def to_representation(self, value: float) -> float | None:
        return None if math.isinf(value) else super().to_representation(value)


class RatingOut(serializers.ModelSerializer):
    ci_low = BoundField(read_only=True)
    ci_high = BoundField(read_only=True)
    model = serializers.CharField(source="model.key", read_only=True)
    display_name = serializers.CharField(source="model.display_name", read_only=True)
    lab = serializers.CharField(source="model.lab.name", read_only=True)
    country = serializers.CharField(source="model.lab.country", read_only=True)
    provisional = serializers.SerializerMethodField()

    class Meta:
        model = ModelRating
        # The download's stable columns, less the snapshot id the enclosing object carries.
        fields = [column for column in RATING_COLUMNS if column != "snapshot_id"]
        read_only_fields = fields

    def get_provisional(self, row: ModelRating) -> bool:
        return row.votes < settings.RANKING_PROVISIONAL_VOTES


class SnapshotOut(serializers.ModelSerializer):
    class Meta:
        model = RatingSnapshot
        fields = [
            "id",
            "key",
            "kind",
            "modality",
            "category",
            "language",
            "cutoff",
            "max_vote_id",
            "method",
            "params",
            "style_control",
            "style_coef",
            "votes_without_style",
            "seed",
            "vote_filter",
            "excluded_votes",
            "n_votes",
            "n_models",
            "fingerprint",
            "code_version",
            "status",
            "warnings",
            "created_at",
            "started_at",
            "finished_at",
            "aggregate_seconds",
            "fit_seconds",
        ]
        read_only_fields = fields


class SnapshotWithRatingsOut(SnapshotOut):
    ratings = serializers.SerializerMethodField()
    downloads = serializers.SerializerMethodField()

    class Meta(SnapshotOut.Meta):
        fields = [*SnapshotOut.Meta.fields, "downloads", "ratings"]
        read_only_fields = fields

    def get_ratings(self, snapshot: RatingSnapshot) -> list[dict]:
        return RatingOut(snapshot_board(snapshot), many=True).data

    def get_downloads(self, snapshot: RatingSnapshot) -> dict[str, str]:
        base = f"/api/v1/snapshots/{snapshot.pk}/"
        return {
            name: base + name
            for name in ("ratings.csv", "ratings.json", "pairs.csv", "replicates.csv", "data.npz")
        }


def _conditional(request: Request, etag: str) -> HttpResponse | None:
    quoted = quote_etag(etag)
    if quoted in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponse(status=304)
        response["ETag"] = quoted
        return response
    return None


def _stamp(response: HttpResponse, etag: str, last_modified: datetime | None) -> None:
    response["ETag"] = quote_etag(etag)
    if last_modified:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    response["Cache-Control"] = "public, max-age=60"


class LeaderboardView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The latest leaderboard of a modality (optionally of a category or language)",
        parameters=[
            OpenApiParameter("category", str),
            OpenApiParameter("language", str),
            OpenApiParameter(
                "style",
                str,
                enum=["control"],
                description="control: the style-controlled board (text only)",
            ),
        ],
        responses={
            200: SnapshotWithRatingsOut,
            304: None,
            400: Errors,
            404: OpenApiResponse(description="unknown modality, or none yet"),
        },
    )
    def get(self, request: Request, modality: str) -> Response:
        if modality not in Modality.values:
            return Response(
                {"detail": f"Unknown modality {modality!r}; use one of {Modality.values}."},
                status=404,
            )
        style = request.query_params.get("style", "")
        if style not in ("", "control"):
            return Response({"style": [f"{style!r} is not 'control' (or absent)."]}, status=400)
        snapshot = leaderboard_latest(
            modality=modality,
            category=request.query_params.get("category", ""),
            language=request.query_params.get("language", ""),
            style_control=style == "control",
        )
        if snapshot is None:
            kind = "style-controlled " if style else ""
            return Response(
                {"detail": f"No {kind}{modality} leaderboard has been computed yet."}, status=404
            )
        unchanged = _conditional(request, snapshot.key)
        if unchanged:
            return unchanged
        response = Response(_snapshot_body(snapshot))
        _stamp(response, snapshot.key, snapshot.finished_at)
        return response


def _snapshot_body(snapshot: RatingSnapshot) -> dict:
    """A finished snapshot with its ratings, as the API shows it; cached under its key (it
    never changes), as plain JSON data."""
    key = f"ranking:snapshot-body:{snapshot.key}"
    body = cache_get_or_none(key)
    if body is None:
        body = json.loads(json.dumps(SnapshotWithRatingsOut(snapshot).data, cls=JSONEncoder))
        cache_set_quietly(key, body, timeout=SNAPSHOT_CACHE_SECONDS)
    return body


class SnapshotFilter(QueryParams):
    modality = serializers.ChoiceField(choices=Modality.choices, required=False)
    category = serializers.CharField(required=False)
    language = serializers.CharField(required=False)
    kind = serializers.ChoiceField(choices=RatingSnapshot.Kind.choices, required=False)
    status = serializers.ChoiceField(choices=RatingSnapshot.Status.choices, required=False)


class SnapshotList(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = SnapshotOut

    def get_queryset(self) -> QuerySet:
        query = SnapshotFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        snapshots = RatingSnapshot.objects.order_by("-cutoff", "-id")
        return snapshots.filter(**query.validated_data)

    @extend_schema(
        summary="Rating snapshots, newest first",
        parameters=[SnapshotFilter],
        responses={
            200: SnapshotOut(many=True),
            304: None,
            400: Errors,
            404: OpenApiResponse(description="no such page"),
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        snapshots = self.get_queryset()
        state = snapshots.aggregate(n=Count("id"), last=Max("id"), done=Max("finished_at"))
        etag = hashlib.sha256(f"{request.get_full_path()}|{state}".encode()).hexdigest()[:32]
        unchanged = _conditional(request, etag)
        if unchanged:
            return unchanged
        response = super().get(request, *args, **kwargs)
        _stamp(response, etag, state["done"])
        return response


class SnapshotDetail(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = SnapshotWithRatingsOut
    queryset = RatingSnapshot.objects.all()

    @extend_schema(
        summary="One snapshot with its ratings and download links",
        responses={
            200: SnapshotWithRatingsOut,
            304: None,
            404: OpenApiResponse(description="no such snapshot"),
        },
    )
    def get(self, request: Request, *args: object, **kwargs: object) -> Response:
        snapshot = self.get_object()
        unchanged = _conditional(request, snapshot.key)
        if unchanged and snapshot.status == RatingSnapshot.Status.DONE:
            return unchanged
        response = Response(self.get_serializer(snapshot).data)
        if snapshot.status == RatingSnapshot.Status.DONE:
            _stamp(response, snapshot.key, snapshot.finished_at)
        return response


def _download(request: Request, snapshot_id: int, name: str) -> HttpResponse:
    """ratings.csv, ratings.json, pairs.csv, replicates.csv, data.npz of a done snapshot."""
    snapshot = get_object_or_404(snapshots_done(), pk=snapshot_id)
    unchanged = _conditional(request, f"{snapshot.key}-{name}")
    if unchanged:
        return unchanged
    stem = f"arena-{snapshot.modality}-{snapshot.pk}-{name.split('.')[0]}"
    if name in {"ratings.csv", "ratings.json"}:
        rows = rating_rows(
            snapshot, snapshot_board(snapshot), provisional_votes=settings.RANKING_PROVISIONAL_VOTES
        )
        if name == "ratings.json":
            response = JsonResponse(
                {"snapshot": SnapshotOut(snapshot).data, "ratings": json_safe(rows)}
            )
        else:
            response = HttpResponse(to_csv(RATING_COLUMNS, rows), content_type="text/csv")
            attachment(response, stem, "csv")
    else:
        data = snapshot_data(snapshot)
        keys = [row.model.key for row in sorted(snapshot_board(snapshot), key=lambda r: r.column)]
        if name == "pairs.csv":
            body = to_csv(PAIR_COLUMNS, pair_rows(keys, data["cells"]))
            response = HttpResponse(body, content_type="text/csv")
        elif name == "replicates.csv":
            columns, rows = replicate_rows(keys, data["replicates"])
            response = HttpResponse(to_csv(columns, rows), content_type="text/csv")
        else:
            with snapshot.data_file.open("rb") as handle:
                response = HttpResponse(handle.read(), content_type="application/octet-stream")
        attachment(response, stem, name.split(".")[1])
    _stamp(response, f"{snapshot.key}-{name}", snapshot.finished_at)
    return response


class SnapshotDownload(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_snapshots_download",
        summary="Download a snapshot: ratings.csv|ratings.json|pairs.csv|replicates.csv|data.npz",
        responses={
            200: OpenApiResponse(description="file"),
            304: None,
            404: OpenApiResponse(description="no such finished snapshot or file"),
        },
    )
    def get(self, request: Request, pk: int, name: str) -> HttpResponse:
        return _download(request, pk, name)


# --- win-rate matrices: every ordered pair of a snapshot's models, long and wide ------------


class WinRateRowOut(serializers.Serializer):
    model_a = serializers.CharField(read_only=True)
    model_b = serializers.CharField(read_only=True)
    battles = serializers.IntegerField(read_only=True, help_text="Votes between A and B.")
    wins = serializers.FloatField(read_only=True, help_text="A's wins over B, ties half.")
    observed_win_rate = serializers.FloatField(
        read_only=True, allow_null=True, help_text="wins / battles; null if they never met."
    )
    predicted_win_rate = serializers.FloatField(
        read_only=True, help_text="Bradley-Terry P(A beats B) from the snapshot's scores."
    )


class WinRatesOut(serializers.Serializer):
    snapshot = SnapshotOut(read_only=True)
    win_rates = WinRateRowOut(many=True, read_only=True)


class WinRateMatrixOut(serializers.Serializer):
    snapshot = SnapshotOut(read_only=True)
    quantity = serializers.ChoiceField(choices=list(MATRIX_COLUMNS), read_only=True)
    models = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Row and column order."
    )
    matrix = serializers.ListField(
        child=serializers.ListField(child=serializers.FloatField(allow_null=True)),
        read_only=True,
        help_text="matrix[i][j]: models[i] (as A) against models[j]; null where undefined.",
    )


_FORMAT = OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=["csv", "json"])
_MATRIX_RESPONSES = {
    304: None,
    404: OpenApiResponse(description="no such finished snapshot"),
}


def _csv_attachment(body: str, snapshot: RatingSnapshot, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/csv")
    return attachment(response, f"arena-{snapshot.modality}-{snapshot.pk}-{name}", "csv")


class SnapshotWinRates(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_snapshots_win_rates",
        summary="Battles, observed and predicted win rates of every ordered pair (long form)",
        parameters=[_FORMAT],
        responses={(200, "application/json"): WinRatesOut, (200, "text/csv"): OpenApiTypes.STR}
        | _MATRIX_RESPONSES,
    )
    def get(self, request: Request, pk: int, fmt: str) -> HttpResponse:
        snapshot = get_object_or_404(snapshots_done(), pk=pk)
        etag = f"{snapshot.key}-win_rates.{fmt}"
        unchanged = _conditional(request, etag)
        if unchanged:
            return unchanged
        rows = win_rate_rows(snapshot_win_rates(snapshot))
        if fmt == "json":
            response = JsonResponse({"snapshot": SnapshotOut(snapshot).data, "win_rates": rows})
        else:
            response = _csv_attachment(to_csv(WIN_RATE_COLUMNS, rows), snapshot, "win_rates")
        _stamp(response, etag, snapshot.finished_at)
        return response


class SnapshotWinRateMatrix(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_snapshots_matrix",
        summary="One K x K matrix of a snapshot: battles, wins, observed or predicted win rates",
        parameters=[
            OpenApiParameter("quantity", str, OpenApiParameter.PATH, enum=list(MATRIX_COLUMNS)),
            _FORMAT,
        ],
        responses={
            (200, "application/json"): WinRateMatrixOut,
            (200, "text/csv"): OpenApiTypes.STR,
        }
        | _MATRIX_RESPONSES,
    )
    def get(self, request: Request, pk: int, quantity: str, fmt: str) -> HttpResponse:
        snapshot = get_object_or_404(snapshots_done(), pk=pk)
        etag = f"{snapshot.key}-matrices-{quantity}.{fmt}"
        unchanged = _conditional(request, etag)
        if unchanged:
            return unchanged
        rates = snapshot_win_rates(snapshot)
        matrix = win_rate_matrix(rates, quantity)
        if fmt == "json":
            body = {"snapshot": SnapshotOut(snapshot).data, "quantity": quantity}
            response = JsonResponse(body | {"models": rates.keys, "matrix": matrix})
        else:
            body = matrix_csv(rates.keys, matrix)
            response = _csv_attachment(body, snapshot, f"matrix-{quantity}")
        _stamp(response, etag, snapshot.finished_at)
        return response


# --- online Elo of one model over time -------------------------------------------------------


class EloQuery(QueryParams):
    modality = serializers.ChoiceField(choices=Modality.choices, default=Modality.TEXT)


class EloPointOut(serializers.Serializer):
    date = serializers.DateField(source="day", read_only=True, help_text="UTC day")
    rating = serializers.FloatField(read_only=True, help_text="online Elo after that day")
    votes = serializers.IntegerField(read_only=True, help_text="the model's votes so far")


class EloSnapshotOut(serializers.ModelSerializer):
    class Meta:
        model = RatingSnapshot
        fields = ["id", "key", "cutoff", "max_vote_id"]
        read_only_fields = fields


class EloOut(serializers.Serializer):
    model = serializers.CharField(read_only=True)
    modality = serializers.CharField(read_only=True)
    snapshot = EloSnapshotOut(read_only=True, help_text="The votes replayed are this one's.")
    k = serializers.FloatField(read_only=True)
    initial = serializers.FloatField(read_only=True)
    votes_replayed = serializers.IntegerField(read_only=True)
    left_out_votes = serializers.IntegerField(
        read_only=True, help_text="Votes in aggregated imports (count > 1): no time order."
    )
    points = EloPointOut(many=True, read_only=True)


class ModelEloView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="v1_models_elo",
        summary="A model's online Elo by day, over the votes of the latest snapshot",
        parameters=[EloQuery],
        responses={
            200: EloOut,
            304: None,
            400: Errors,
            404: OpenApiResponse(description="unknown model, or no snapshot of the modality"),
        },
    )
    def get(self, request: Request, key: str) -> Response:
        query = EloQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        modality = query.validated_data["modality"]
        model = get_object_or_404(AIModel, key=key)
        history = model_elo_online(model_id=model.pk, modality=modality)
        if history.snapshot is None:
            return Response(
                {"detail": f"No {modality} leaderboard has been computed yet."}, status=404
            )
        etag = f"{history.snapshot.key}-elo-{history.k:g}-{model.pk}"
        unchanged = _conditional(request, etag)
        if unchanged:
            return unchanged
        body = {
            "model": model.key,
            "modality": modality,
            "snapshot": history.snapshot,
            "k": history.k,
            "initial": history.initial,
            "votes_replayed": history.votes_replayed,
            "left_out_votes": history.left_out_votes,
            "points": history.points,
        }
        response = Response(EloOut(body).data)
        _stamp(response, etag, history.snapshot.finished_at)
        return response
