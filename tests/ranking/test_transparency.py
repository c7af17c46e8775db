"""How this board was made: the snapshot's account of its votes, of who was served, of the
flags, the sampling policy and the models that left, on a page and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arena.models import Battle, Vote, VoterFlag
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.factories import (
    AIModelFactory,
    LabFactory,
    OutputFactory,
    PromptFactory,
    PromptSetFactory,
)

pytestmark = pytest.mark.django_db


def serve_and_vote(pairs, *, when, excluded: str = ""):
    for output_a, output_b, outcome in pairs:
        battle = Battle.objects.create(
            session_key="s",
            modality="text",
            prompt=output_a.prompt,
            output_a=output_a,
            output_b=output_b,
            model_a=output_a.model,
            model_b=output_b.model,
            served_at=when,
            expires_at=when + timedelta(hours=1),
        )
        Vote.objects.create(
            battle=battle,
            outcome=outcome,
            voter_key="s",
            modality="text",
            model_a=output_a.model,
            model_b=output_b.model,
            created_at=when,
            excluded=bool(excluded),
            exclusion_reason=excluded,
        )


def snapshot_at(cutoff):
    snapshot, _ = snapshot_request(spec=SnapshotSpec(modality="text", rounds=0, cutoff=cutoff))
    return snapshot_compute(snapshot_id=snapshot.pk) or snapshot


@pytest.fixture
def boards():
    """Two boards: before the second, model "old" stopped being served."""
    us, cn = LabFactory(name="Owl", country="US"), LabFactory(name="Crane", country="CN")
    prompt = PromptFactory(prompt_set=PromptSetFactory(name="T"))
    outputs = {
        key: OutputFactory(prompt=prompt, model=AIModelFactory(key=key, lab=lab))
        for key, lab in (("owl-1", us), ("owl-2", us), ("crane", cn), ("old", cn))
    }
    now = timezone.now()
    first = now - timedelta(days=2)
    serve_and_vote(
        [(outputs["owl-1"], outputs["crane"], "a")] * 3
        + [(outputs["old"], outputs["owl-2"], "b")]
        + [(outputs["owl-1"], outputs["owl-2"], "tie")],
        when=first - timedelta(hours=1),
    )
    serve_and_vote(
        [(outputs["owl-2"], outputs["crane"], "a")],
        when=first - timedelta(hours=1),
        excluded="rate_limit",
    )
    earlier = snapshot_at(first)
    serve_and_vote([(outputs["owl-1"], outputs["crane"], "b")] * 2, when=now - timedelta(hours=1))
    VoterFlag.objects.create(
        subject="session",
        key="x",
        modality="text",
        method="selective",
        created_at=now - timedelta(hours=2),
    )
    VoterFlag.objects.create(
        subject="network",
        key="y",
        modality="text",
        method="favour",
        created_at=now - timedelta(hours=2),
    )
    return earlier, snapshot_at(now)


def test_the_api_accounts_for_votes_serving_flags_policy_and_retired_models(client, boards):
    earlier, latest = boards
    body = client.get(f"/api/v1/snapshots/{latest.pk}/transparency/").json()
    assert body["votes_counted"] == 7
    assert body["votes_excluded"] == {"rate_limit": 1}
    assert body["battles_served"] == 8
    shares = {row["name"]: (row["battles"], row["share"]) for row in body["models_served"]}
    assert shares == {
        "owl-1": (6, 6 / 16),
        "crane": (6, 6 / 16),
        "owl-2": (3, 3 / 16),
        "old": (1, 1 / 16),
    }
    labs = {row["name"]: row["battles"] for row in body["labs_served"]}
    assert labs == {"Owl": 9, "Crane": 7}
    assert body["flagged"] == {"sessions": 1, "networks": 1, "lifted_by_admins": 0}
    assert body["sampling_policy"]["floor"] == 0.3
    assert body["retired_since_previous"] == ["old", "owl-2"]
    assert body["previous_snapshot_id"] == earlier.pk


def test_the_first_board_has_no_previous_and_counts_no_later_flag(client, boards):
    earlier, _ = boards
    body = client.get(f"/api/v1/snapshots/{earlier.pk}/transparency/").json()
    assert body["previous_snapshot_id"] is None and body["retired_since_previous"] == []
    assert body["flagged"]["sessions"] == 0 and body["battles_served"] == 6


def test_the_page_is_linked_from_the_leaderboard_and_shows_the_account(client, boards):
    _, latest = boards
    board = client.get("/leaderboard/text/").content.decode()
    url = f"/leaderboard/snapshots/{latest.pk}/how-made/"
    assert url in board
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    for expected in ("How this board was made", "rate_limit", "owl-1", "Crane", "1 sessions"):
        assert expected in text


def test_an_unknown_or_unfinished_snapshot_is_not_found(client, boards):
    assert client.get("/api/v1/snapshots/999999/transparency/").status_code == 404
    assert client.get("/leaderboard/snapshots/999999/how-made/").status_code == 404


def test_the_transparency_endpoint_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/snapshots/{id}/transparency/" in schema
    assert "retired_since_previous" in schema
