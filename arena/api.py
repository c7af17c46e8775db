"""The voting API: `/api/v1/battles/next/`, `/api/v1/votes/`, `/api/v1/me/`.

Session authentication with CSRF, also for anonymous voters (their session is what a battle
is bound to): ``arena.authentication.SessionCsrfAuthentication``, the project default.
Refusals are ``{"detail": "..."}`` with the status of the refusal; bad parameters are field
errors ``{"field": ["message"]}`` with 400 (``Errors`` in the schema).
"""

from __future__ import annotations

import re
from dataclasses import asdict

from django.conf import settings
from django.core.validators import RegexValidator
from django.middleware.csrf import get_token
from drf_spectacular.plumbing import build_array_type, build_basic_type, build_object_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from arena.models import Modality, Vote
from arena.presenting import output_payload, prompt_payload
from arena.proof_of_work import ProofOfWorkRequired, pow_check
from arena.selectors import personal_leaderboard, voter_vote_count
from arena.services import Refused, Throttled, VoteResult, battle_create, vote_cast
from arena.serving_limits import serving_check, serving_client
from arena.voters import client_ip, voter_key


def refusal(error: Refused) -> Response:
    body = {"detail": error.message}
    if isinstance(error, ProofOfWorkRequired):
        body["pow"] = {"challenge": error.challenge, "bits": error.bits}
    response = Response(body, status=error.status)
    if isinstance(error, Throttled):
        response["Retry-After"] = str(error.retry_after)
    return response


Detail = inline_serializer("Detail", {"detail": serializers.CharField()})

#: A 400's body: ``{"detail": "..."}`` or field errors ``{"field": ["message", ...]}``.
Errors = OpenApiResponse(
    response=build_object_type(
        additionalProperties={
            "anyOf": [
                build_basic_type(OpenApiTypes.STR),
                build_array_type(build_basic_type(OpenApiTypes.STR)),
            ]
        }
    ),
    description='Bad parameters: {"field": ["message"]} (or {"detail": "..."}).',
)


#: DRF refuses a NUL character in any text field; the schema says so (a ``pattern``). The
#: pattern does not match "" (DRF never validates a blank value): drf-spectacular documents
#: a field that allows blank as ``oneOf`` the pattern or ``maxLength: 0``, and "" must match
#: exactly one of them.
NO_NUL = RegexValidator(r"^[^\x00]+$", "Null characters are not allowed.")


class QueryParams(serializers.Serializer):
    """Query parameters, refusing an empty value (``?mode=``) for a field that does not
    allow blank: DRF would take it for an absent parameter and quietly use the default.
    Text fields document that a NUL character is refused."""

    def get_fields(self) -> dict:
        fields = super().get_fields()
        for field in fields.values():
            if type(field) is serializers.CharField:
                field.validators.append(NO_NUL)
        return fields

    def to_internal_value(self, data: object) -> dict:
        blank = {
            name: ["This field may not be blank."]
            for name, field in self.fields.items()
            if hasattr(data, "get")
            and data.get(name) == ""
            and not getattr(field, "allow_blank", False)
        }
        if blank:
            raise serializers.ValidationError(blank)
        return super().to_internal_value(data)


class BattleQuery(QueryParams):
    modality = serializers.ChoiceField(choices=Modality.choices)
    category = serializers.CharField(required=False, default="", allow_blank=True, max_length=64)
    language = serializers.CharField(required=False, default="", allow_blank=True, max_length=16)


class MeQuery(QueryParams):
    modality = serializers.ChoiceField(choices=Modality.choices, default=Modality.TEXT)


class BattleOut(serializers.Serializer):
    token = serializers.CharField(read_only=True)
    modality = serializers.CharField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    prompt = serializers.SerializerMethodField()
    a = serializers.SerializerMethodField()
    b = serializers.SerializerMethodField()

    def get_prompt(self, battle) -> dict:
        return prompt_payload(battle.prompt)

    def get_a(self, battle) -> dict:
        return output_payload(battle.output_a)

    def get_b(self, battle) -> dict:
        return output_payload(battle.output_b)


_EXPIRES_AT = BattleOut._declared_fields["expires_at"]  # stateless: formats a date only


def battle_body(battle) -> dict:
    """``BattleOut(battle).data``, built without instantiating the serializer (whose fields
    DRF deep-copies per instance) on the path every vote takes."""
    return {
        "token": battle.token,
        "modality": battle.modality,
        "expires_at": _EXPIRES_AT.to_representation(battle.expires_at),
        "prompt": prompt_payload(battle.prompt),
        "a": output_payload(battle.output_a),
        "b": output_payload(battle.output_b),
    }


class VoteIn(serializers.Serializer):
    token = serializers.CharField(max_length=64)
    choice = serializers.ChoiceField(choices=Vote.Outcome.choices)


# The two requests of every vote read their input directly when it is plainly valid: DRF
# builds a serializer's fields afresh for every instance (a deep copy of each), which cost
# about 5% of a vote's web processor time. Anything not plainly valid goes through the
# serializer, which gives the same result or the documented errors; tests/arena/
# test_api_input.py holds both ways to the same answers.
_PLAIN_TOKEN = re.compile(  # what new_battle_token makes, within VoteIn's length
    rf"[A-Za-z0-9_-]{{1,{VoteIn._declared_fields['token'].max_length}}}"
)
_PLAIN_FILTER = re.compile(r"[A-Za-z0-9_.-]*")


def plain_vote_input(data: object) -> dict | None:
    """``VoteIn``'s validated data, or None when the body needs the serializer."""
    if not isinstance(data, dict):
        return None
    token, choice = data.get("token"), data.get("choice")
    if (
        isinstance(token, str)
        and _PLAIN_TOKEN.fullmatch(token)
        and isinstance(choice, str)
        and choice in Vote.Outcome.values
    ):
        return {"token": token, "choice": choice}
    return None


def plain_battle_query(params: dict) -> dict | None:
    """``BattleQuery``'s validated data, or None when the query needs the serializer."""
    modality = params.get("modality")
    if modality not in Modality.values:
        return None
    query = {"modality": modality}
    for name in ("category", "language"):
        value = params.get(name, "")
        longest = BattleQuery._declared_fields[name].max_length
        if not (
            isinstance(value, str) and len(value) <= longest and _PLAIN_FILTER.fullmatch(value)
        ):
            return None
        query[name] = value
    return query


def validated(serializer: type[serializers.Serializer], data: object, plain: object) -> dict:
    """``plain`` if the input was plainly valid, else the serializer's validated data (or its
    400)."""
    if plain is not None:
        return plain
    checked = serializer(data=data)
    checked.is_valid(raise_exception=True)
    return checked.validated_data


def vote_body(result: VoteResult) -> dict:
    side_a, side_b = (asdict(side) for side in result.revealed)
    return {
        "a": side_a,
        "b": side_b,
        "choice": result.vote.outcome,
        "votes_cast": result.votes_cast,
    }


class JsonOnly(DefaultContentNegotiation):
    """The voting views answer JSON whatever the client accepts, without weighing its
    ``Accept`` header against the browsable API's HTML: that negotiation took about 5% of a
    battle's or a vote's processor time in the application (docs/performance.md)."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        return renderers[0], renderers[0].media_type


class VotingView(APIView):
    """A view of the voting path: JSON only, anyone may call it (the session and CSRF are
    still checked by the project's authentication)."""

    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = JsonOnly


class BattleNextView(VotingView):
    @extend_schema(
        summary="Serve the next blind battle",
        parameters=[
            BattleQuery,
            OpenApiParameter(
                "X-Arena-Pow",
                str,
                OpenApiParameter.HEADER,
                description="With ARENA_SERVING_POW_BITS set: '<challenge>:<answer>' solving "
                "the challenge of a 428 answer (see arena/proof_of_work.py).",
            ),
        ],
        responses={
            200: BattleOut,
            400: Errors,
            404: Detail,
            428: inline_serializer(
                "ProofOfWorkRequired",
                {
                    "detail": serializers.CharField(),
                    "pow": inline_serializer(
                        "ProofOfWorkChallenge",
                        {"challenge": serializers.CharField(), "bits": serializers.IntegerField()},
                    ),
                },
            ),
            429: Detail,
        },
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        query = validated(BattleQuery, params, plain_battle_query(params))
        if "CSRF_COOKIE" not in request.META:  # no valid CSRF cookie came with the request
            get_token(request._request)  # the one the vote will need
        voter = voter_key(request, create=True)
        client = serving_client(request, voter_key=voter)
        try:
            pow_check(request.headers.get("X-Arena-Pow", ""), voter_key=voter)
            serving_check(client)
            battle = battle_create(
                voter_key=voter,
                ip_hash=client.ip_hash,
                network_hash=client.network_hash,
                **query,
            )
        except Refused as error:
            return refusal(error)
        return Response(battle_body(battle))


class VoteView(VotingView):
    @extend_schema(
        summary="Vote on a served battle; the models are revealed in the answer",
        request=VoteIn,
        responses={
            201: OpenApiResponse(description="The vote and the revealed models."),
            400: Errors,
            403: Detail,
            404: Detail,
            409: Detail,
            410: Detail,
            429: Detail,
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(VoteIn, request.data, plain_vote_input(request.data))
        voter = voter_key(request, create=False)
        try:
            result = vote_cast(voter_key=voter, ip=client_ip(request), **data)
        except Refused as error:
            return refusal(error)
        body = vote_body(result)
        return Response(body, status=status.HTTP_201_CREATED)


class MeView(VotingView):
    @extend_schema(
        summary="This voter's vote count and, after enough votes, their own leaderboard",
        parameters=[MeQuery],
        responses={
            200: OpenApiResponse(description="votes, min_votes, leaderboard"),
            400: Errors,
        },
    )
    def get(self, request: Request) -> Response:
        query = MeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        modality = query.validated_data["modality"]
        voter = voter_key(request, create=False)
        votes = voter_vote_count(voter_key=voter) if voter else 0
        board = None
        if votes >= settings.ARENA_PERSONAL_BOARD_MIN_VOTES:
            board = [
                row.__dict__ for row in personal_leaderboard(voter_key=voter, modality=modality)
            ]
        return Response(
            {
                "votes": votes,
                "min_votes": settings.ARENA_PERSONAL_BOARD_MIN_VOTES,
                "leaderboard": board,
            }
        )
