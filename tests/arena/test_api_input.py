"""The vote path reads plainly valid input without DRF's serializers (arena/api.py): what it
accepts must be exactly what the serializers make of it, and everything else must go to them."""

from __future__ import annotations

import jsonschema
import pytest
from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from arena.api import (
    BattleOut,
    BattleQuery,
    VoteIn,
    battle_body,
    plain_battle_query,
    plain_vote_input,
    validated,
)
from arena.models import Battle, new_battle_token
from tests.arena.helpers import serve

VOTE_BODIES = [
    {"token": new_battle_token(), "choice": "a"},
    {"token": new_battle_token(), "choice": "both_bad", "extra": 1},
    {"token": "x" * 64, "choice": "tie"},
    {"token": "x" * 65, "choice": "tie"},
    {"token": " padded ", "choice": "b"},
    {"token": "", "choice": "b"},
    {"token": "nul\x00", "choice": "b"},
    {"token": "t", "choice": "A"},
    {"token": "t", "choice": ""},
    {"token": 12345, "choice": "a"},
    {"token": True, "choice": "a"},
    {"token": "t", "choice": ["a"]},
    {"choice": "a"},
    {"token": "t"},
    {},
    ["token", "a"],
    "token=a",
]

QUERIES = [
    "modality=text",
    "modality=image&category=coding&language=en",
    "modality=video&category=&language=",
    "modality=text&category=" + "c" * 64,
    "modality=text&category=" + "c" * 65,
    "modality=text&language=" + "l" * 17,
    "modality=text&category=with%20space",
    "modality=text&category=%00",
    "modality=text&language=%C3%A9",
    "modality=",
    "modality=TEXT",
    "modality=audio",
    "modality=text&modality=image",
    "category=coding",
    "",
]


def serializer_answer(serializer, data):
    checked = serializer(data=data)
    return checked.validated_data if checked.is_valid() else checked.errors


@pytest.mark.parametrize("body", VOTE_BODIES, ids=repr)
def test_a_vote_body_read_plainly_is_read_as_the_serializer_reads_it(body):
    plain = plain_vote_input(body)
    if plain is not None:
        assert plain == serializer_answer(VoteIn, body)


@pytest.mark.parametrize("query", QUERIES)
def test_a_battle_query_read_plainly_is_read_as_the_serializer_reads_it(query):
    params = QueryDict(query)
    plain = plain_battle_query(params)
    if plain is not None:
        assert plain == serializer_answer(BattleQuery, params)


def test_what_a_client_sends_is_read_plainly_and_the_rest_by_the_serializer():
    assert plain_vote_input({"token": new_battle_token(), "choice": "a"}) is not None
    assert plain_battle_query(QueryDict("modality=text&category=coding")) is not None
    refused = [
        body for body in VOTE_BODIES if not isinstance(serializer_answer(VoteIn, body), dict)
    ]
    assert all(plain_vote_input(body) is None for body in refused)
    with pytest.raises(ValidationError) as error:
        validated(VoteIn, {"token": "t", "choice": "A"}, plain_vote_input({"choice": "A"}))
    assert error.value.detail == {"choice": ['"A" is not a valid choice.']}


@pytest.mark.django_db
def test_a_battle_body_is_the_serializers(alice, text_arena):
    battle = Battle.objects.select_related("prompt", "output_a", "output_b").get(
        token=serve(alice).json()["token"]
    )
    assert battle_body(battle) == BattleOut(battle).data


def test_a_blank_filter_matches_exactly_one_of_its_documented_forms(client):
    """``?language=`` (no filter) is valid: drf-spectacular documents a text parameter that
    allows blank as ``oneOf`` its pattern or an empty string, and "" must match exactly one,
    or clients (and schemathesis, tests/test_api_conformance.py) take it for invalid."""
    document = client.get("/api/schema/?format=json").json()
    blank_allowed = {
        (path, parameter["name"]): parameter["schema"]
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if {"type": "string", "maxLength": 0} in parameter["schema"].get("oneOf", [])
    }
    assert {"category", "language"} <= {name for path, name in blank_allowed}
    for (path, name), schema in blank_allowed.items():
        validator = jsonschema.Draft4Validator(schema)
        assert validator.is_valid(""), f"{path} {name}: blank is invalid by its schema"
        assert validator.is_valid("en")
        assert not validator.is_valid("nul\x00"), f"{path} {name}: the schema allows NUL"
