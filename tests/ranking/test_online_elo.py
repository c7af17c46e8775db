from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from ranking.online_elo import model_elo_online
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.factories import AIModelFactory, VoteFactory

pytestmark = pytest.mark.django_db


def vote(a: str, b: str, outcome: str, day: int, **fields: object) -> None:
    VoteFactory(
        model_a=AIModelFactory(key=a),
        model_b=AIModelFactory(key=b),
        outcome=outcome,
        created_at=datetime(2024, 1, day, 12, tzinfo=UTC),
        **fields,
    )


def publish_snapshot() -> None:
    requested, _ = snapshot_request(spec=SnapshotSpec(modality="text", rounds=100))
    snapshot_compute(snapshot_id=requested.pk)


@pytest.fixture
def three_votes(db) -> None:
    """Three single votes in time order (K = 4, everyone at 1000):

    1. Jan 2, p beats q, equals: p 1002, q 998.
    2. Jan 3, q ties r: q expected 1 / (1 + 10^(2/400)) = 0.497122, so q +0.011513 ->
       998.0115, r 999.9885.
    3. Jan 3, r (A) loses to p: r expected 1 / (1 + 10^(2.0115/400)) = 0.497105, so
       p +1.988421 -> 1003.9884, r 998.0001.

    Around them, votes the replay must skip: an aggregated import row (count 5), an
    excluded vote, and one of another modality.
    """
    vote("p", "q", "a", 2)
    vote("q", "r", "tie", 3)
    vote("r", "p", "b", 3)
    vote("q", "p", "a", 4, count=5)
    vote("q", "p", "a", 4, excluded=True, exclusion_reason="admin")
    vote("q", "p", "a", 4, modality="image")
    publish_snapshot()


def points(key: str) -> list[tuple[date, float, int]]:
    history = model_elo_online(model_id=AIModelFactory(key=key).pk, modality="text")
    return [(point.day, point.rating, point.votes) for point in history.points]


def test_it_replays_single_votes_in_time_order_one_point_a_day(three_votes):
    assert points("p") == [(date(2024, 1, 2), 1002.0, 1), (date(2024, 1, 3), 1003.99, 2)]
    assert points("q") == [(date(2024, 1, 2), 998.0, 1), (date(2024, 1, 3), 998.01, 2)]
    # r played twice on Jan 3 (999.99, then 998.00): the day's point is its last rating.
    assert points("r") == [(date(2024, 1, 3), 998.0, 2)]


def test_aggregated_imports_are_left_out_and_counted(three_votes):
    history = model_elo_online(model_id=AIModelFactory(key="p").pk, modality="text")
    assert (history.votes_replayed, history.left_out_votes) == (3, 5)
    assert (history.k, history.initial) == (4.0, 1000.0)


def test_the_curve_is_pinned_to_the_latest_snapshot(three_votes):
    vote("q", "p", "a", 5)
    assert points("p")[-1] == (date(2024, 1, 3), 1003.99, 2)
    publish_snapshot()
    assert points("p")[-1][0] == date(2024, 1, 5) and points("p")[-1][2] == 3


def test_a_second_reader_gets_the_cached_series_without_reading_votes(
    three_votes, django_assert_num_queries
):
    p, q = AIModelFactory(key="p").pk, AIModelFactory(key="q").pk
    model_elo_online(model_id=p, modality="text")
    with django_assert_num_queries(1):  # the latest snapshot; the series are cached
        history = model_elo_online(model_id=q, modality="text")
    assert history.points[-1].rating == 998.01


def test_a_model_without_votes_or_a_modality_without_snapshot_has_no_points(three_votes):
    assert points("stranger") == []
    history = model_elo_online(model_id=AIModelFactory(key="p").pk, modality="video")
    assert history.snapshot is None and history.points == []


def test_the_api_serves_the_same_points_and_answers_304(client, three_votes):
    response = client.get("/api/v1/models/p/elo/", {"modality": "text"})
    assert response.status_code == 200
    body = response.json()
    assert body["model"] == "p" and body["modality"] == "text"
    assert body["points"] == [
        {"date": "2024-01-02", "rating": 1002.0, "votes": 1},
        {"date": "2024-01-03", "rating": 1003.99, "votes": 2},
    ]
    assert (body["votes_replayed"], body["left_out_votes"], body["k"]) == (3, 5, 4.0)
    assert body["snapshot"]["id"] and body["snapshot"]["max_vote_id"]
    again = client.get("/api/v1/models/p/elo/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_the_api_rejects_unknown_models_modalities_and_missing_snapshots(client, three_votes):
    assert client.get("/api/v1/models/nobody/elo/").status_code == 404
    assert client.get("/api/v1/models/p/elo/", {"modality": "audio"}).status_code == 400
    missing = client.get("/api/v1/models/p/elo/", {"modality": "image"})
    assert missing.status_code == 404 and "No image leaderboard" in missing.json()["detail"]


def test_the_model_page_draws_the_online_elo_with_a_table_fallback(client, three_votes):
    html = client.get("/leaderboard/text/models/p/").content.decode()
    assert 'data-chart="elo"' in html and 'id="elo-data"' in html and "js/elo.js" in html
    data = html.split('id="elo-data" type="application/json">')[1].split("</script>")[0]
    assert json.loads(data)[-1] == {"date": "2024-01-03", "rating": 1003.99, "votes": 2}
    assert "<td>2024-01</td><td>2024-01-03</td><td>1004.0</td><td>2</td>" in html
    assert "5 votes from aggregated imports" in html
    assert 'href="/api/v1/models/p/elo/?modality=text"' in html


def test_the_model_page_runs_a_constant_number_of_queries(
    client, three_votes, django_assert_num_queries
):
    client.get("/leaderboard/text/models/p/")  # fills the cache
    with django_assert_num_queries(3):  # the model, its history, the latest snapshot
        assert client.get("/leaderboard/text/models/q/").status_code == 200


def test_the_openapi_schema_documents_the_elo_route(client):
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    get = schema["paths"]["/api/v1/models/{key}/elo/"]["get"]
    assert {p["name"] for p in get["parameters"]} == {"key", "modality"}
    assert "left_out_votes" in schema["components"]["schemas"]["EloOut"]["properties"]
