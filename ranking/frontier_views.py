"""The frontier: page, summary page, JSON API, CSV and figure downloads. All validate the same
parameters (``FrontierQuery``); the groups are read by ``ranking.frontier_groups``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arena.api import QueryParams
from arena.models import Modality
from arena.presenting import modality_tabs
from arena.site_data import attachment, licence_line
from ranking.exports import to_csv
from ranking.figures import FORMATS, FRONTIER_FIGURES, frontier_figure
from ranking.frontier import frontier_monthly, frontier_summaries
from ranking.frontier_groups import (
    COMPARISON_BY_SLUG,
    COMPARISONS,
    SPEC_HELP,
    GroupError,
    check_different,
    comparison_of,
    group_best_phrase,
    parse_group,
    parse_pair,
)
from ranking.frontier_rows import (
    COLUMNS,
    COUNT_COLUMNS,
    FLAG_COLUMNS,
    TEXT_COLUMNS,
    FrontierReport,
    collapse_gaps,
    frontier_json,
)
from ranking.models import RatingSnapshot
from ranking.selectors import snapshots_under_way
from ranking.stats.frontier import Group


class FrontierQuery(QueryParams):
    modality = serializers.ChoiceField(choices=Modality.choices, default="text")
    mode = serializers.ChoiceField(
        choices=[("asof", "as of each month's end"), ("current", "one current fit")],
        default="asof",
    )
    category = serializers.CharField(default="", allow_blank=True, max_length=64)
    language = serializers.CharField(default="", allow_blank=True, max_length=16)
    a = serializers.CharField(default="US", max_length=120, help_text=f"The leader: {SPEC_HELP}.")
    b = serializers.CharField(default="CN", max_length=120, help_text=f"The follower: {SPEC_HELP}.")
    compare = serializers.ChoiceField(
        choices=[(c.slug, c.title) for c in COMPARISONS],
        required=False,
        help_text="A named comparison; it sets a and b.",
    )
    round = serializers.ChoiceField(
        choices=[
            ("nearest", "to 0.1 point"),
            ("floor", "down to a whole point, as published leaderboards truncate"),
        ],
        default="nearest",
        source="rounding",
        help_text="How scores, bounds and gaps are rounded.",
    )

    def _group(self, value: str) -> Group:
        try:
            return parse_group(value)
        except GroupError as error:
            raise serializers.ValidationError(str(error)) from None

    validate_a = _group
    validate_b = _group

    def validate(self, attrs: dict) -> dict:
        comparison = COMPARISON_BY_SLUG.get(attrs.pop("compare", ""))
        if comparison:
            attrs["a"], attrs["b"] = parse_pair(comparison.a, comparison.b)
        try:
            check_different(attrs["a"], attrs["b"])
        except GroupError as error:
            raise serializers.ValidationError({error.side: str(error)}) from None
        return attrs


def _report(params: dict) -> FrontierReport:
    """The report of validated parameters."""
    return frontier_monthly(**params)


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
        "a": serializers.CharField(help_text="Group code: US, US,GB, open, CN:open..."),
        "b": serializers.CharField(),
        "a_label": serializers.CharField(help_text="The group in words."),
        "b_label": serializers.CharField(),
        "level": serializers.FloatField(),
        "min_votes": serializers.FloatField(
            allow_null=True, help_text="Votes a model needs to be a country's best."
        ),
        "rounding": serializers.CharField(),
        "summary": serializers.CharField(),
        "paragraph": serializers.CharField(help_text="The last month in one paragraph."),
        "unknown_weights": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text="Per side (a, b), the models a licence group left out for unknown openness.",
        ),
        "missing_months": serializers.ListField(
            child=serializers.CharField(), help_text="Months with votes but no month-end snapshot."
        ),
        "empty_months": serializers.ListField(
            child=serializers.CharField(), help_text="Months without counted votes: gaps."
        ),
        "hint": serializers.CharField(
            help_text="In plain words, why snapshots are missing and what is coming."
        ),
        "notes": serializers.ListField(child=serializers.CharField()),
        "rows": inline_serializer("FrontierRow", ROW_FIELDS, many=True),
    },
)


class FrontierView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The monthly frontier between two groups (default US vs China)",
        description=(
            "A group is a country (US), countries (US,GB), a licence class (open, "
            "proprietary) or both (CN:open); models of unknown openness are in no licence "
            "group. Per month: each group's best model and score with a 95% bootstrap "
            "interval, the "
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
        return Response(frontier_json(_report(query.validated_data)))


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
        report = _report(query.validated_data)
        response = HttpResponse(to_csv(COLUMNS, report.rows()), content_type="text/csv")
        return attachment(response, file_stem(report), "csv")


def file_stem(report: FrontierReport) -> str:
    """``arena-frontier-text-asof-US-open-vs-CN-open``: groups as codes, safe in a file name."""

    def safe(code: str) -> str:
        return code.replace(":", "-").replace(",", "+")

    return (
        f"arena-frontier-{report.modality or 'history'}-{report.mode}-"
        f"{safe(report.a.code)}-vs-{safe(report.b.code)}"
    )


class FrontierFigure(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A frontier chart as SVG or PNG (tops: best scores with bands; lag: bars)",
        description="Same parameters as the JSON; the figure is drawn from the rows of the CSV.",
        parameters=[
            FrontierQuery,
            OpenApiParameter("chart", str, OpenApiParameter.PATH, enum=sorted(FRONTIER_FIGURES)),
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=sorted(FORMATS)),
        ],
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="bad parameters"),
            404: OpenApiResponse(description="no such chart or format"),
        },
    )
    def get(self, request: Request, chart: str, fmt: str) -> HttpResponse:
        query = FrontierQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        report = _report(query.validated_data)
        figure = frontier_figure(report, chart, fmt, licence=licence_line())
        response = HttpResponse(figure, content_type=FORMATS[fmt])
        return attachment(response, f"{file_stem(report)}-{chart}", fmt)


def _query(params: dict, **changes: str) -> str:
    """The query string of these parameters (groups as codes), with ``changes``."""
    query = {
        "modality": params["modality"],
        "mode": params["mode"],
        "a": params["a"].code,
        "b": params["b"].code,
    }
    query |= {name: params[name] for name in ("category", "language") if params.get(name)}
    if params.get("rounding", "nearest") != "nearest":
        query["round"] = params["rounding"]
    return urlencode(query | changes)


def _frontier_page_url(params: dict) -> str:
    return f"{reverse('ranking:frontier')}?{_query(params)}"


def _frontier_url(params: dict, *, modality: str) -> str:
    """This frontier (mode and groups) for another modality."""
    return f"{reverse('ranking:frontier')}?{_query(params, modality=modality)}"


@require_safe
def frontier_page(request: HttpRequest) -> HttpResponse:
    query = FrontierQuery(data=request.GET)
    if not query.is_valid():
        ctx = {"errors": query.errors}
        return render(request, "ranking/frontier.html", ctx, status=400)
    params, report = _mode_with_data(query.validated_data, chosen="mode" in request.GET)
    rows = report.rows()
    query_string = _query(params)
    ctx = {
        "mode_fallback": params["mode"] != query.validated_data["mode"],
        "refresh": bool(report.hint) and _under_way(params),
        "params": params,
        "modality": Modality(params["modality"]),
        "tabs": modality_tabs(params["modality"], lambda m: _frontier_url(params, modality=m)),
        "report": report,
        "rows": rows,
        "table_rows": collapse_gaps(rows),
        "a_name": report.a_label,
        "b_name": report.b_label,
        "a_phrase": group_best_phrase(params["a"]),
        "b_phrase": group_best_phrase(params["b"]),
        "comparisons": COMPARISONS,
        "comparison": comparison_of(params["a"], params["b"]),
        "unknown_weights": _unknown_weights(report),
        "chart": {"a": report.a_label, "b": report.b_label, "rows": rows},
        "query": query_string,
        "figures": _figure_links(query_string),
        "summary_url": f"{reverse('ranking:frontier-summary')}?{urlencode(_summary_query(params))}",
    }
    return render(request, "ranking/frontier.html", ctx)


def _mode_with_data(params: dict, *, chosen: bool) -> tuple[dict, FrontierReport]:
    """The parameters and report to show: the as-of history by default, the current ratings
    when the history has no month yet (a new installation's first minute) and the visitor
    did not pick a mode."""
    report = _report(params)
    if chosen or report.frontier is not None or params["mode"] != "asof":
        return params, report
    current = _report(params | {"mode": "current"})
    if current.frontier is None:
        return params, report
    return params | {"mode": "current"}, current


def _under_way(params: dict) -> bool:
    """Whether the snapshots this frontier lacks are being computed (the page refreshes)."""
    kinds = {"asof": RatingSnapshot.Kind.MONTH_END, "current": RatingSnapshot.Kind.CURRENT}
    scope = {name: params[name] for name in ("modality", "category", "language")}
    return snapshots_under_way(**scope, kind=kinds[params["mode"]])


def _figure_links(query: str) -> dict[str, dict[str, str]]:
    """{chart: {format: url}} of the figure downloads of this frontier."""
    return {
        chart: {
            fmt: f"{reverse('ranking:api-frontier-figure', args=[chart, fmt])}?{query}"
            for fmt in FORMATS
        }
        for chart in FRONTIER_FIGURES
    }


def _unknown_weights(report: FrontierReport) -> list[dict]:
    """Per side that left models out for unknown openness: its label and the model names."""
    names = report.display_names
    return [
        {"label": label, "models": [names.get(key, key) for key in keys]}
        for label, keys in zip(
            (report.a_label, report.b_label), report.unknown_weights.values(), strict=True
        )
        if keys
    ]


def _without_groups(params: dict) -> dict:
    return {name: value for name, value in params.items() if name not in ("a", "b")}


def _summary_query(params: dict) -> dict:
    query = {"modality": params["modality"], "mode": params["mode"]}
    return query | {name: params[name] for name in ("category", "language") if params.get(name)}


@require_safe
def frontier_summary_page(request: HttpRequest) -> HttpResponse:
    """The latest month of every named comparison, one quotable paragraph each."""
    query = FrontierQuery(data=request.GET)
    if not query.is_valid():
        ctx = {"errors": query.errors}
        return render(request, "ranking/frontier_summary.html", ctx, status=400)
    params, _ = _mode_with_data(query.validated_data, chosen="mode" in request.GET)
    ctx = {
        "mode_fallback": params["mode"] != query.validated_data["mode"],
        "params": params,
        "modality": Modality(params["modality"]),
        "tabs": modality_tabs(
            params["modality"],
            lambda m: (
                f"{reverse('ranking:frontier-summary')}?"
                f"{urlencode(_summary_query(params) | {'modality': m})}"
            ),
        ),
        "comparisons": [
            {
                "title": comparison.title,
                "report": report,
                "url": _frontier_page_url(params | {"a": report.a, "b": report.b}),
            }
            for comparison, report in frontier_summaries(**_without_groups(params))
        ],
        "licence": licence_line(),
    }
    return render(request, "ranking/frontier_summary.html", ctx)
