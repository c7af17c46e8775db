from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from ranking.models import RatingSnapshot
from ranking.services import SnapshotSpec, snapshot_request
from tests.ranking.conftest import cast_votes, compute_snapshot

pytestmark = pytest.mark.django_db
WIN_RATES_CSV_HEADER = "model_a,model_b,battles,wins,observed_win_rate,predicted_win_rate"


def snapshot_of(votes: list[tuple[str, str, str, int]]) -> RatingSnapshot:
    """A snapshot of (model A, model B, outcome, count) votes, cast in January 2024."""
    cast_votes(votes)
    return compute_snapshot(rounds=100)


@pytest.fixture
def three_models() -> RatingSnapshot:
    """ant-bee: 6 battles, ant wins 3 + half a tie, bee wins 2 + half a tie (one of its wins
    shown with bee as A). bee-cat: 4 battles, bee wins 2 + two halves of "both bad". ant and
    cat never met."""
    return snapshot_of(
        [
            ("ant", "bee", "a", 3),  # an aggregated row: three votes
            ("ant", "bee", "b", 1),
            ("ant", "bee", "tie", 1),
            ("bee", "ant", "a", 1),
            ("bee", "cat", "a", 1),
            ("bee", "cat", "a", 1),
            ("bee", "cat", "both_bad", 1),
            ("bee", "cat", "both_bad", 1),
        ]
    )


def get_json(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def get_csv(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def predicted(snapshot: RatingSnapshot, a: str, b: str) -> float:
    score = {row.model.key: row.score for row in snapshot.ratings.select_related("model")}
    return 1 / (1 + 10 ** ((score[b] - score[a]) / 400))


def test_the_long_form_has_every_ordered_pair_with_its_counts_and_win_rates(client, three_models):
    body = get_json(client, f"/api/v1/snapshots/{three_models.pk}/win_rates.json")
    assert body["snapshot"]["id"] == three_models.pk
    rows = {(row["model_a"], row["model_b"]): row for row in body["win_rates"]}
    assert len(body["win_rates"]) == 6  # 3 x 2 ordered pairs, none of a model with itself
    expected = {
        ("ant", "bee"): (6, 3.5, 0.583333),
        ("bee", "ant"): (6, 2.5, 0.416667),
        ("bee", "cat"): (4, 3, 0.75),
        ("cat", "bee"): (4, 1, 0.25),
        ("ant", "cat"): (0, 0, None),
        ("cat", "ant"): (0, 0, None),
    }
    for pair, (battles, wins, observed) in expected.items():
        row = rows[pair]
        assert (row["battles"], row["wins"], row["observed_win_rate"]) == (
            battles,
            wins,
            observed,
        )
        assert row["predicted_win_rate"] == pytest.approx(predicted(three_models, *pair), abs=1e-6)
    assert rows[("ant", "cat")]["predicted_win_rate"] > rows[("ant", "bee")]["predicted_win_rate"]


def test_counts_are_written_as_integers_and_half_wins_as_halves(client, three_models):
    rows = get_csv(client, f"/api/v1/snapshots/{three_models.pk}/win_rates.csv")
    assert ",".join(rows[0]) == WIN_RATES_CSV_HEADER
    by_pair = {(row[0], row[1]): row for row in rows[1:]}
    assert by_pair[("bee", "cat")][2:5] == ["4", "3", "0.75"]
    assert by_pair[("ant", "bee")][2:5] == ["6", "3.5", "0.583333"]
    assert by_pair[("ant", "cat")][2:5] == ["0", "0", ""]  # never met: no observed rate


def test_csv_and_json_carry_the_same_numbers(client, three_models):
    base = f"/api/v1/snapshots/{three_models.pk}/"
    as_json = get_json(client, base + "win_rates.json")["win_rates"]
    as_csv = get_csv(client, base + "win_rates.csv")
    assert [dict(zip(as_csv[0], row, strict=True)) for row in as_csv[1:]] == [
        {column: "" if value is None else str(value) for column, value in row.items()}
        for row in as_json
    ]
    for quantity in ("battles", "wins", "observed", "predicted"):
        matrix = get_json(client, f"{base}matrices/{quantity}.json")
        table = get_csv(client, f"{base}matrices/{quantity}.csv")
        assert table[0] == ["model_a / model_b", *matrix["models"]]
        assert [row[0] for row in table[1:]] == matrix["models"]
        assert [row[1:] for row in table[1:]] == [
            ["" if value is None else str(value) for value in row] for row in matrix["matrix"]
        ]


def test_the_wide_matrices_hold_the_long_form_numbers(client, three_models):
    base = f"/api/v1/snapshots/{three_models.pk}/"
    long = {
        (row["model_a"], row["model_b"]): row
        for row in get_json(client, base + "win_rates.json")["win_rates"]
    }
    columns = {
        "battles": "battles",
        "wins": "wins",
        "observed": "observed_win_rate",
        "predicted": "predicted_win_rate",
    }
    for quantity, column in columns.items():
        wide = get_json(client, f"{base}matrices/{quantity}.json")
        assert wide["quantity"] == quantity and sorted(wide["models"]) == ["ant", "bee", "cat"]
        for i, a in enumerate(wide["models"]):
            for j, b in enumerate(wide["models"]):
                if i != j:
                    assert wide["matrix"][i][j] == long[(a, b)][column]
    # The diagonal: no battles with itself, and no win rate.
    assert get_json(client, base + "matrices/battles.json")["matrix"][0][0] == 0
    assert get_json(client, base + "matrices/observed.json")["matrix"][0][0] is None


def test_matrix_downloads_answer_304_until_a_new_snapshot(client, three_models):
    url = f"/api/v1/snapshots/{three_models.pk}/matrices/observed.csv"
    first = client.get(url)
    assert first["ETag"] and first["Last-Modified"]
    assert 'filename="arena-text-' in first["Content-Disposition"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    other = client.get(f"/api/v1/snapshots/{three_models.pk}/win_rates.csv")
    assert other["ETag"] != first["ETag"]


def test_model_keys_in_matrix_headers_cannot_run_as_formulas(client):
    snapshot = snapshot_of([("=cmd|calc", "bee", "a", 1), ("bee", "-2+3", "tie", 1)])
    table = get_csv(client, f"/api/v1/snapshots/{snapshot.pk}/matrices/battles.csv")
    assert set(table[0][1:]) == {"'=cmd|calc", "bee", "'-2+3"}
    assert {row[0] for row in table[1:]} == {"'=cmd|calc", "bee", "'-2+3"}
    long = get_csv(client, f"/api/v1/snapshots/{snapshot.pk}/win_rates.csv")
    assert "'=cmd|calc" in {row[0] for row in long[1:]}


def test_unknown_unfinished_snapshots_and_quantities_are_404(client, three_models):
    pending, _ = snapshot_request(
        spec=SnapshotSpec(modality="image", rounds=100, cutoff=datetime(2024, 6, 1, tzinfo=UTC))
    )
    assert pending.status != RatingSnapshot.Status.DONE
    assert client.get(f"/api/v1/snapshots/{pending.pk}/win_rates.json").status_code == 404
    assert client.get("/api/v1/snapshots/999999/matrices/wins.csv").status_code == 404
    assert client.get(f"/api/v1/snapshots/{three_models.pk}/matrices/elo.csv").status_code == 404
    assert client.get(f"/api/v1/snapshots/{three_models.pk}/win_rates.xml").status_code == 404


def test_the_openapi_schema_documents_the_matrix_routes(client):
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    long = schema["paths"]["/api/v1/snapshots/{id}/win_rates.{fmt}"]["get"]
    wide = schema["paths"]["/api/v1/snapshots/{id}/matrices/{quantity}.{fmt}"]["get"]
    assert {"application/json", "text/csv"} <= set(long["responses"]["200"]["content"])
    quantity = next(p for p in wide["parameters"] if p["name"] == "quantity")
    assert set(quantity["schema"]["enum"]) == {"battles", "wins", "observed", "predicted"}
    row = schema["components"]["schemas"]["WinRateRowOut"]["properties"]
    assert set(row) == set(WIN_RATES_CSV_HEADER.split(","))
