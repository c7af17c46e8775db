""" "How this board was made": a snapshot's transparency page and its API twin."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ranking.models import RatingSnapshot
from ranking.transparency import snapshot_transparency


def _done(pk: int) -> RatingSnapshot:
    return get_object_or_404(RatingSnapshot, pk=pk, status=RatingSnapshot.Status.DONE)


@require_safe
def transparency_page(request: HttpRequest, pk: int) -> HttpResponse:
    snapshot = _done(pk)
    ctx = {"snapshot": snapshot, "made": snapshot_transparency(snapshot)}
    return render(request, "ranking/transparency.html", ctx)


_Share = inline_serializer(
    "ServedShare",
    {
        "name": serializers.CharField(),
        "battles": serializers.IntegerField(),
        "share": serializers.FloatField(),
    },
    many=True,
)

TransparencyOut = inline_serializer(
    "Transparency",
    {
        "snapshot_id": serializers.IntegerField(),
        "modality": serializers.CharField(),
        "cutoff": serializers.DateTimeField(),
        "votes_counted": serializers.IntegerField(),
        "votes_excluded": serializers.DictField(
            child=serializers.IntegerField(), help_text="Votes left out, per exclusion reason."
        ),
        "battles_served": serializers.IntegerField(help_text="Battles served before the cutoff."),
        "models_served": _Share,
        "labs_served": _Share,
        "flagged": serializers.DictField(
            child=serializers.IntegerField(),
            help_text="Sessions and networks flagged by the manipulation checks (counts only), "
            "and flags lifted by admins.",
        ),
        "sampling_policy": serializers.DictField(help_text="The pair-sampling policy in force."),
        "retired_since_previous": serializers.ListField(
            child=serializers.CharField(),
            help_text="Models served before the previous board of this scope, not since.",
        ),
        "previous_snapshot_id": serializers.IntegerField(allow_null=True),
    },
)


class TransparencyView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="How a board was made: votes counted and excluded, who was served, flags",
        responses={200: TransparencyOut, 404: OpenApiResponse(description="no such snapshot")},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(snapshot_transparency(_done(pk)).as_dict())
