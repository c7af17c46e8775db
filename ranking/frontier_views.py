"""The frontier: page, JSON API and CSV download. All three validate the same parameters."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arena.api import QueryParams
from arena.countries import COUNTRIES, country_name
from arena.models import Modality
from arena.presenting import modality_tabs
from ranking.exports import to_csv
from ranking.frontier import frontier_monthly
from ranking.frontier_rows import (
    COLUMNS,
    COUNT_COLUMNS,
    FLAG_COLUMNS,
    TEXT_COLUMNS,
    collapse_gaps,
    frontier_json,
    sentence_names,
)


class FrontierQuery(QueryParams):
    modality = serializers.ChoiceField(choices=Modality.choices, default="text")
    mode = serializers.ChoiceField(
        choices=[("asof", "as of each month's end"), ("current", "one current fit")],
        default="asof",
    )
    category = serializers.CharField(default="", allow_blank=True, max_length=64)
    language = serializers.CharField(default="", allow_blank=True, max_length=16)
    a = serializers.CharField(default="US", max_length=2, help_text="ISO alpha-2: the leader")
    b = serializers.CharField(default="CN", max_length=2, help_text="ISO alpha-2: the follower")
    round = serializers.ChoiceField(
        choices=[
            ("nearest", "to 0.1 point"),
            ("floor", "down to a whole point, as published leaderboards truncate"),
        ],
        default="nearest",
        source="rounding",
        help_text="How scores, bounds and gaps are rounded.",
    )

    def _country(self, value: str) -> str:
        code = value.strip().upper()
        if code not in COUNTRIES:
            raise serializers.ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 code.")
        return code

    validate_a = _country
    validate_b = _country

    def validate(self, attrs: dict) -> dict:
        if attrs["a"] == attrs["b"]:
            raise serializers.ValidationError({"b": "Compare two different countries."})
        return attrs


def _row_field(name: str) -> serializers.Field:
    if name in TEXT_COLUMNS:
        return serializers.CharField(allow_null=True)
    if name in FLAG_COLUMNS:
        return serializers.BooleanField()
    if name in COUNT_COLUMNS:
        return serializers.IntegerField(allow_null=True)
    return serializers.FloatField(allow_null=True)


ROW_FIELDS = {name: _row_field(name) for name in COLUMNS}

FRONTIER_OUT = inline_serializer(
    "Frontier",
    {
        "modality": serializers.CharField(),
        "mode": serializers.CharField(),
        "category": serializers.CharField(),
        "language": serializers.CharField(),
        "a": serializers.CharField(),
        "b": serializers.CharField(),
        "level": serializers.FloatField(),
        "min_votes": serializers.FloatField(
            allow_null=True, help_text="Votes a model needs to be a country's best."
        ),
        "rounding": serializers.CharField(),
        "summary": serializers.CharField(),
        "missing_months": serializers.ListField(
            child=serializers.CharField(), help_text="Months with votes but no month-end snapshot."
        ),
        "empty_months": serializers.ListField(
            child=serializers.CharField(), help_text="Months without counted votes: gaps."
        ),
        "hint": serializers.CharField(help_text="What to run when snapshots are missing."),
        "notes": serializers.ListField(child=serializers.CharField()),
        "rows": inline_serializer("FrontierRow", ROW_FIELDS, many=True),
    },
)


class FrontierView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The monthly frontier between two countries (default US vs China)",
        description=(
            "Per month: each country's best model and score with a 95% bootstrap interval, the "
            "gap (a − b) with its interval, b's lag in months (censored: a lower bound) and "
            "the leader. mode=asof uses month-end snapshots; mode=current one current fit, "
            "each model counted from its release month (with a lag interval). See "
            "docs/frontier.md."
        ),
        parameters=[FrontierQuery],
        responses={200: FRONTIER_OUT, 400: OpenApiResponse(description="bad parameters")},
    )
    def get(self, request: Request) -> Response:
        query = FrontierQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(frontier_json(frontier_monthly(**query.validated_data)))


class FrontierCSV(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The monthly frontier as CSV (same parameters and columns as the JSON rows)",
        parameters=[FrontierQuery],
        responses={
            (200, "text/csv"): OpenApiResponse(description="CSV"),
            400: OpenApiResponse(description="bad parameters"),
        },
    )
    def get(self, request: Request) -> HttpResponse:
        query = FrontierQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = frontier_monthly(**query.validated_data)
        response = HttpResponse(to_csv(COLUMNS, report.rows()), content_type="text/csv")
        name = f"arena-frontier-{report.modality}-{report.mode}-{report.a}-{report.b}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _frontier_url(params: dict, *, modality: str) -> str:
    """This frontier (mode and countries) for another modality."""
    query = {"modality": modality, "mode": params["mode"], "a": params["a"], "b": params["b"]}
    return f"{reverse('ranking:frontier')}?{urlencode(query)}"


@require_safe
def frontier_page(request: HttpRequest) -> HttpResponse:
    query = FrontierQuery(data=request.GET)
    if not query.is_valid():
        ctx = {"errors": query.errors}
        return render(request, "ranking/frontier.html", ctx, status=400)
    params = query.validated_data
    report = frontier_monthly(**params)
    rows = report.rows()
    ctx = {
        "params": params,
        "modality": Modality(params["modality"]),
        "tabs": modality_tabs(params["modality"], lambda m: _frontier_url(params, modality=m)),
        "report": report,
        "rows": rows,
        "table_rows": collapse_gaps(rows),
        "a_name": country_name(params["a"]) or params["a"],
        "b_name": country_name(params["b"]) or params["b"],
        "a_phrase": sentence_names(params["a"])[params["a"]],
        "b_phrase": sentence_names(params["b"])[params["b"]],
        "chart": {"a": params["a"], "b": params["b"], "rows": rows},
        "query": request.GET.urlencode(),
    }
    return render(request, "ranking/frontier.html", ctx)
