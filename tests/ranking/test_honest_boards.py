"""Boards that rank honestly: per connected component, with open intervals stored and shown
where the votes do not bound a score."""

from __future__ import annotations

import csv
import io
import math

import pytest
from django.core.management import call_command

from ranking.models import ModelRating, RatingSnapshot
from tests.ranking.conftest import cast_votes, compute_snapshot
from tests.support import shared_data

pytestmark = pytest.mark.django_db


def rows(snapshot: RatingSnapshot) -> dict[str, ModelRating]:
    return {row.model.key: row for row in snapshot.ratings.select_related("model")}


TWO_WORLDS = [
    # Three models that only meet each other ...
    ("g1", "g2", "a", 60),
    ("g1", "g2", "b", 20),
    ("g2", "g3", "a", 60),
    ("g2", "g3", "b", 20),
    ("g1", "g3", "a", 70),
    ("g1", "g3", "b", 10),
    # ... and two that only meet each other, both far above the first three's scale.
    ("e1", "e2", "a", 30),
    ("e1", "e2", "b", 25),
]


def test_a_board_of_two_components_ranks_each_model_within_its_own(client):
    cast_votes(TWO_WORLDS)
    snapshot = compute_snapshot()
    board = rows(snapshot)
    assert {key: row.component for key, row in board.items()} == {
        "g1": 0,
        "g2": 0,
        "g3": 0,
        "e1": 1,
        "e2": 1,
    }
    assert [board[key].rank for key in ("g1", "g2", "g3", "e1", "e2")] == [1, 2, 3, 1, 2]
    # e2 is never compared with g1: its Rank (UB) counts only e1.
    assert board["e2"].rank_ub == 1 and board["g3"].rank_ub == 3
    html = client.get("/leaderboard/text/").content.decode()
    assert "Component 1 of 2: 3 models" in html and "Component 2 of 2: 2 models" in html
    assert 'id="board-0"' in html and 'id="board-1"' in html
    api = client.get("/api/v1/leaderboards/text/").json()["ratings"]
    assert [(row["model"], row["component"], row["rank"]) for row in api] == [
        ("g1", 0, 1),
        ("g2", 0, 2),
        ("g3", 0, 3),
        ("e1", 1, 1),
        ("e2", 1, 2),
    ]
    text = client.get(f"/api/v1/snapshots/{snapshot.pk}/ratings.csv").content.decode()
    assert [row["component"] for row in csv.DictReader(io.StringIO(text))] == list("00011")


def open_board(client) -> None:
    """A perfect record is stored, served and shown with its open side."""
    cast_votes([("a", "b", "a", 40), ("a", "b", "b", 30), ("c", "a", "a", 5), ("c", "b", "a", 5)])
    snapshot = compute_snapshot()
    board = rows(snapshot)
    assert board["c"].ci_high == math.inf and board["c"].open_above
    assert board["c"].ci_low < board["c"].score and not board["c"].open_below
    assert math.isfinite(board["a"].ci_low) and math.isfinite(board["a"].ci_high)
    assert any("interval open above: c" in warning for warning in snapshot.warnings)
    api = {row["model"]: row for row in client.get("/api/v1/leaderboards/text/").json()["ratings"]}
    assert api["c"]["ci_high"] is None and api["c"]["ci_low"] < api["c"]["score"]
    downloaded = client.get(f"/api/v1/snapshots/{snapshot.pk}/ratings.json").json()["ratings"]
    assert {row["model"]: row["ci_high"] for row in downloaded}["c"] is None
    text = client.get(f"/api/v1/snapshots/{snapshot.pk}/ratings.csv").content.decode()
    assert {row["model"]: row for row in csv.DictReader(io.StringIO(text))}["c"]["ci_high"] == "inf"
    html = client.get("/leaderboard/text/").content.decode()
    assert "+∞/−" in html and '"high": null' in html and "Infinity" not in html


def test_a_perfect_record_is_stored_served_and_shown_open(client):
    open_board(client)


@pytest.mark.postgres
def test_a_perfect_record_is_stored_open_in_postgresql_too(client):
    open_board(client)


def test_the_real_genai_arena_board_ranks_generation_models_among_themselves(client, capsys):
    call_command(
        "import_votes",
        str(shared_data("genai_arena_2024_02/clean_battle_20240220.json")),
        "--format",
        "clean_battle",
        "--modality",
        "image",
        "--source",
        "genai-arena-2024-02-20",
        "--create-models",
        "--include-named",  # as the engine tests read it: all 2,061 votes
    )
    call_command("fit_ratings", "--modality", "image", "--rounds", "1000", "--seed", "0")
    out = capsys.readouterr().out
    # Generation models have the most votes: they are the first component.
    assert "Component 1 (6 models)" in out and "Component 2 (7 models)" in out
    board = rows(RatingSnapshot.objects.get())
    generation = {key: row for key, row in board.items() if key.endswith("_generation")}
    assert {row.component for row in generation.values()} == {0}
    assert sorted(row.rank for row in generation.values()) == [1, 2, 3, 4, 5, 6]
    journey = generation["imagenhub_OpenJourney_generation"]
    assert (journey.rank, journey.rank_ub) == (5, 5)  # was 10 and 9 across both components


def test_a_model_page_shows_an_open_interval_without_breaking_its_chart(client):
    cast_votes([("a", "b", "a", 40), ("a", "b", "b", 30), ("c", "a", "a", 5), ("c", "b", "a", 5)])
    compute_snapshot()
    html = client.get("/leaderboard/text/models/c/").content.decode()
    assert "–+∞" in html and '"high": null' in html and "Infinity" not in html
