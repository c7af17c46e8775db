"""POST /api/v1/votes/ and GET /api/v1/battles/next/: the contract clients rely on."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from arena.models import AIModel, Battle, Lab, Vote
from tests.arena.helpers import cast, serve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_reading_time(settings):
    settings.ARENA_MIN_READ_SECONDS = 0


def test_a_served_battle_shows_two_outputs_and_nothing_that_names_a_model(alice, text_arena):
    response = serve(alice)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "modality", "expires_at", "prompt", "a", "b"}
    assert set(body["a"]) == set(body["b"]) == {"kind", "text", "html"}
    assert set(body["prompt"]) == {"text", "category", "language", "input_media_url"}
    raw = response.content.decode()
    for model in AIModel.objects.all():
        assert model.key not in raw and model.display_name not in raw
    for lab in Lab.objects.all():
        assert lab.name not in raw
    battle = Battle.objects.get(token=body["token"])
    assert battle.model_a_id != battle.model_b_id
    assert len(body["token"]) >= 40


def test_the_whole_flow_reveals_the_models_only_after_the_vote(alice, text_arena):
    body = serve(alice).json()
    battle = Battle.objects.select_related("model_a__lab", "model_b__lab").get(token=body["token"])
    response = cast(alice, body["token"], "b")
    assert response.status_code == 201
    assert response.json() == {
        "a": {
            "model": battle.model_a.key,
            "display_name": battle.model_a.display_name,
            "lab": battle.model_a.lab.name,
            "country": battle.model_a.lab.country,
        },
        "b": {
            "model": battle.model_b.key,
            "display_name": battle.model_b.display_name,
            "lab": battle.model_b.lab.name,
            "country": battle.model_b.lab.country,
        },
        "choice": "b",
        "votes_cast": 1,
    }
    vote = Vote.objects.get(battle=battle)
    assert (vote.outcome, vote.model_a, vote.model_b, vote.excluded) == (
        "b",
        battle.model_a,
        battle.model_b,
        False,
    )
    assert vote.category == battle.prompt.category and vote.language == battle.prompt.language
    assert vote.voter_key and vote.ip_hash and vote.ip_hash != "127.0.0.1"
    battle.refresh_from_db()
    assert battle.state == Battle.State.VOTED


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"token": "x", "choice": "c"}, "choice"),
        ({"token": "x"}, "choice"),
        ({"choice": "a"}, "token"),
    ],
)
def test_an_invalid_choice_or_missing_field_is_a_400_with_field_errors(
    alice, text_arena, payload, field
):
    serve(alice)
    response = alice.post(
        "/api/v1/votes/", payload, format="json", HTTP_X_CSRFTOKEN=alice.cookies["csrftoken"].value
    )
    assert response.status_code == 400
    assert field in response.json()
    assert Vote.objects.count() == 0


def test_an_unknown_token_is_a_404(alice, text_arena):
    serve(alice)
    response = cast(alice, "no-such-token", "a")
    assert response.status_code == 404
    assert response.json() == {"detail": "No battle with this token was served to this session."}


def test_a_token_served_to_another_session_is_a_404(alice, bob, text_arena):
    token = serve(alice).json()["token"]
    serve(bob)
    response = cast(bob, token, "a")
    assert response.status_code == 404
    assert Vote.objects.count() == 0


def test_an_expired_battle_is_a_410(alice, text_arena):
    token = serve(alice).json()["token"]
    Battle.objects.filter(token=token).update(
        expires_at=timezone.now() - timedelta(seconds=1),
        served_at=timezone.now() - timedelta(hours=2),
    )
    response = cast(alice, token, "a")
    assert response.status_code == 410
    assert response.json() == {"detail": "This battle has expired; load a new one to vote."}
    assert Vote.objects.count() == 0


def test_a_second_different_vote_is_a_409_and_changes_nothing(alice, text_arena):
    token = serve(alice).json()["token"]
    assert cast(alice, token, "a").status_code == 201
    response = cast(alice, token, "tie")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "This battle already has a vote (A is better); a battle takes one vote."
    }
    assert list(Vote.objects.values_list("outcome", flat=True)) == ["a"]


def test_an_identical_retry_returns_the_same_answer_and_counts_once(alice, text_arena):
    token = serve(alice).json()["token"]
    first = cast(alice, token, "both_bad")
    retry = cast(alice, token, "both_bad")
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert Vote.objects.count() == 1


def test_a_vote_without_the_csrf_token_is_refused_even_for_an_anonymous_voter(alice, text_arena):
    token = serve(alice).json()["token"]
    response = alice.post("/api/v1/votes/", {"token": token, "choice": "a"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Vote.objects.count() == 0


def test_an_unknown_modality_is_a_400_and_an_empty_one_a_404(alice, text_arena):
    response = serve(alice, "audio")
    assert response.status_code == 400 and "modality" in response.json()
    response = serve(alice, "video")
    assert response.status_code == 404
    assert response.json() == {
        "detail": "Nothing to serve for video: no prompt has different outputs "
        "from two different models yet."
    }


def test_filters_serve_only_matching_prompts(alice, text_arena):
    for _ in range(10):
        body = serve(alice, category="coding", language="fr").json()
        assert body["prompt"]["category"] == "coding" and body["prompt"]["language"] == "fr"
    response = serve(alice, category="poetry")
    assert response.status_code == 404 and "category 'poetry'" in response.json()["detail"]


def test_markdown_is_rendered_and_raw_html_is_neutralised(alice, text_arena):
    from arena.models import Output

    Output.objects.update(
        text="# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```py\nprint(1)\n```"
    )
    html = serve(alice).json()["a"]["html"]
    assert "<h4>Title</h4>" in html and "<table>" in html and '<code class="language-py">' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html  # left as plain text, never a link


def test_me_reports_the_count_and_the_board_after_enough_votes(alice, text_arena, settings):
    settings.ARENA_PERSONAL_BOARD_MIN_VOTES = 3
    for choice in ["a", "b", "tie"]:
        cast(alice, serve(alice).json()["token"], choice)
    me = alice.get("/api/v1/me/", {"modality": "text"}).json()
    assert me["votes"] == 3 and me["min_votes"] == 3
    board = me["leaderboard"]
    assert sum(row["votes"] for row in board) == 6
    assert sum(row["wins"] for row in board) == pytest.approx(3.0)
    assert [row["win_rate"] for row in board] == sorted(
        (row["win_rate"] for row in board), reverse=True
    )


def test_the_openapi_schema_documents_the_voting_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert {"/api/v1/battles/next/", "/api/v1/votes/", "/api/v1/me/"} <= set(schema["paths"])
    responses = schema["paths"]["/api/v1/votes/"]["post"]["responses"]
    assert {"201", "400", "404", "409", "410", "429"} <= set(responses)
    assert client.get("/api/docs/").status_code == 200


def test_votes_cast_counts_every_vote_of_the_voter_and_a_retry_repeats_it(alice, text_arena):
    tokens = [serve(alice).json()["token"] for _ in range(3)]
    answers = [cast(alice, token, "a").json()["votes_cast"] for token in tokens]
    assert answers == [1, 2, 3]
    assert cast(alice, tokens[0], "a").json()["votes_cast"] == 3  # a replay writes nothing


def test_a_vote_takes_at_most_five_queries_on_postgresql(
    alice, text_arena, django_assert_max_num_queries
):
    cast(alice, serve(alice).json()["token"], "a")  # this process reads the models once
    token = serve(alice).json()["token"]
    # The session, then the transaction: BEGIN, the locked battle read with the voter's
    # earlier votes, the vote with its battle marked voted (two statements on SQLite),
    # COMMIT.
    with django_assert_max_num_queries(5 if connection.vendor == "postgresql" else 6):
        assert cast(alice, token, "tie").status_code == 201


def revealed_names(response) -> set[str]:
    return {response.json()[side]["display_name"] for side in "ab"}


def test_a_model_renamed_in_this_process_is_revealed_by_its_new_name_at_once(alice, text_arena):
    cast(alice, serve(alice).json()["token"], "a")  # the models are now known to the process
    for model in AIModel.objects.select_related("lab"):
        model.display_name = f"Renamed {model.pk}"
        model.save()
        model.lab.name = f"Lab renamed {model.pk}"
        model.lab.save()
    battle_token = serve(alice).json()["token"]
    battle = Battle.objects.get(token=battle_token)
    answer = cast(alice, battle_token, "b")
    assert revealed_names(answer) == {
        f"Renamed {battle.model_a_id}",
        f"Renamed {battle.model_b_id}",
    }
    assert {answer.json()[side]["lab"] for side in "ab"} <= set(
        Lab.objects.values_list("name", flat=True)
    )


def test_an_edit_made_by_another_process_is_revealed_once_the_cache_is_old(
    alice, text_arena, monkeypatch
):
    from arena import services

    cast(alice, serve(alice).json()["token"], "a")
    AIModel.objects.update(display_name="Edited elsewhere")  # no signal: as another process
    assert revealed_names(cast(alice, serve(alice).json()["token"], "a")) != {"Edited elsewhere"}
    monkeypatch.setattr(services, "REVEAL_CACHE_SECONDS", 0)
    assert revealed_names(cast(alice, serve(alice).json()["token"], "a")) == {"Edited elsewhere"}


def test_votes_cast_agrees_with_the_voters_count_once_an_exclusion_has_settled(
    alice, text_arena, settings
):
    cast(alice, serve(alice).json()["token"], "a")
    settled = Vote.objects.get()
    Vote.objects.filter(pk=settled.pk).update(
        excluded=True,
        exclusion_reason=Vote.ExclusionReason.TOO_FAST,
        created_at=timezone.now() - timedelta(hours=settings.ARENA_VOTE_COUNT_SETTLE_HOURS + 1),
    )
    answer = cast(alice, serve(alice).json()["token"], "a").json()
    assert answer["votes_cast"] == 1  # the settled exclusion has left the count
    assert alice.get("/api/v1/me/").json()["votes"] == answer["votes_cast"]


def test_the_csrf_cookie_is_set_with_the_first_battle_and_kept_after(alice, text_arena):
    first = serve(alice)
    assert first.cookies["csrftoken"].value
    second = serve(alice)
    assert "csrftoken" not in second.cookies  # the browser keeps the one it has
    assert cast(alice, second.json()["token"], "a").status_code == 201
    alice.cookies.pop("csrftoken")
    assert serve(alice).cookies["csrftoken"].value  # lost: a new one comes with the battle
