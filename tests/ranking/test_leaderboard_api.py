from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from arena.site_data import demo_data_present
from ranking.models import RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.factories import AIModelFactory, VoteFactory

pytestmark = pytest.mark.django_db
# The ratings download's columns: stable, clients read them by name.
RATINGS_CSV_HEADER = (
    "snapshot_id,rank,rank_ub,component,model,display_name,lab,country,score,ci_low,ci_high,"
    "votes,wins,ties,losses,avg_win_rate,provisional"
)


@pytest.fixture
def snapshot(voted_models) -> RatingSnapshot:
    requested, _ = snapshot_request(
        spec=SnapshotSpec(modality="text", rounds=100, cutoff=datetime(2024, 6, 1, tzinfo=UTC))
    )
    return snapshot_compute(snapshot_id=requested.pk)


def test_the_latest_leaderboard_lists_every_model_best_first(client, snapshot):
    response = client.get("/api/v1/leaderboards/text/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == snapshot.pk and body["n_votes"] == 3000 and body["fingerprint"]
    assert [row["model"] for row in body["ratings"]] == ["alpha", "beta", "gamma", "delta"]
    # The download's stable columns, less the snapshot id the enclosing object carries.
    assert set(body["ratings"][0]) == set(RATINGS_CSV_HEADER.split(",")) - {"snapshot_id"}
    assert body["downloads"]["ratings.csv"] == f"/api/v1/snapshots/{snapshot.pk}/ratings.csv"


def test_an_unchanged_leaderboard_answers_304_to_a_poll(client, snapshot):
    first = client.get("/api/v1/leaderboards/text/")
    assert first["ETag"] and first["Last-Modified"]
    again = client.get("/api/v1/leaderboards/text/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304


def test_leaderboards_without_a_snapshot_or_of_an_unknown_modality_are_404(client, db):
    assert client.get("/api/v1/leaderboards/image/").json() == {
        "detail": "No image leaderboard has been computed yet."
    }
    assert client.get("/api/v1/leaderboards/audio/").status_code == 404


def test_the_snapshot_list_is_paginated_and_filterable(client, snapshot):
    body = client.get("/api/v1/snapshots/", {"modality": "text"}).json()
    assert body["count"] == 1 and body["results"][0]["id"] == snapshot.pk
    assert "ratings" not in body["results"][0]
    assert client.get("/api/v1/snapshots/", {"modality": "video"}).json()["count"] == 0
    bad = client.get("/api/v1/snapshots/", {"kind": "weekly"})
    assert bad.status_code == 400 and "kind" in bad.json()


def test_csv_and_json_downloads_carry_the_same_numbers(client, snapshot):
    text = client.get(f"/api/v1/snapshots/{snapshot.pk}/ratings.csv").content.decode()
    assert text.splitlines()[0] == RATINGS_CSV_HEADER
    as_csv = list(csv.DictReader(io.StringIO(text)))
    as_json = client.get(f"/api/v1/snapshots/{snapshot.pk}/ratings.json").json()["ratings"]
    assert len(as_csv) == len(as_json) == 4
    for text_row, json_row in zip(as_csv, as_json, strict=True):
        assert text_row["model"] == json_row["model"]
        for column in ("score", "ci_low", "ci_high", "votes", "avg_win_rate"):
            assert float(text_row[column]) == pytest.approx(json_row[column], abs=1e-9)


def test_csv_cells_cannot_run_as_spreadsheet_formulas(client, voted_models):
    evil = AIModelFactory(key="=cmd|calc", display_name="+SUM(A1)")
    VoteFactory(
        model_a=evil, model_b=voted_models["alpha"], created_at=datetime(2024, 1, 2, tzinfo=UTC)
    )
    requested, _ = snapshot_request(
        spec=SnapshotSpec(modality="text", rounds=100, cutoff=datetime(2024, 6, 1, tzinfo=UTC))
    )
    snapshot_compute(snapshot_id=requested.pk)
    text = client.get(f"/api/v1/snapshots/{requested.pk}/ratings.csv").content.decode()
    assert "'=cmd|calc" in text and "'+SUM(A1)" in text
    assert ",-" not in text.replace(",-1", "")  # numbers stay numbers (none negative here)


def test_pair_counts_and_replicates_download(client, snapshot):
    pairs = list(
        csv.DictReader(
            io.StringIO(client.get(f"/api/v1/snapshots/{snapshot.pk}/pairs.csv").content.decode())
        )
    )
    assert sum(int(row["battles"]) for row in pairs) == 3000
    assert all(
        int(row["battles"])
        == int(row["a_wins"]) + int(row["b_wins"]) + int(row["ties"]) + int(row["both_bad"])
        for row in pairs
    )
    replicates = list(
        csv.reader(
            io.StringIO(
                client.get(f"/api/v1/snapshots/{snapshot.pk}/replicates.csv").content.decode()
            )
        )
    )
    assert replicates[0][0] == "round" and sorted(replicates[0][1:]) == [
        "alpha",
        "beta",
        "delta",
        "gamma",
    ]
    assert len(replicates) == 101
    npz = client.get(f"/api/v1/snapshots/{snapshot.pk}/data.npz")
    assert npz.status_code == 200 and npz.content[:2] == b"PK"


def test_the_list_runs_a_constant_number_of_queries(
    client, voted_models, django_assert_max_num_queries
):
    for day in range(1, 6):
        requested, _ = snapshot_request(
            spec=SnapshotSpec(
                modality="text",
                rounds=100,
                kind="month_end",
                cutoff=datetime(2024, 4, day, tzinfo=UTC),
            )
        )
        snapshot_compute(snapshot_id=requested.pk)
    demo_data_present()  # the licence headers' demo flag is cached: looked up once a minute
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/snapshots/").json()["count"] == 5
