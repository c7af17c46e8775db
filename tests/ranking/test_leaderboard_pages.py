from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from arena.models import Vote
from arena.site_data import demo_data_present
from ranking import views
from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.factories import AIModelFactory, LabFactory

pytestmark = pytest.mark.django_db


def arena_of(size: int) -> None:
    """``size`` models with a vote between every neighbouring pair, and a snapshot."""
    lab = LabFactory(name="A lab", country="FR")
    models = [AIModelFactory(key=f"m{size}-{i}", lab=lab) for i in range(size)]
    rng = np.random.default_rng(size)
    Vote.objects.bulk_create(
        [
            Vote(
                source="test",
                outcome="a" if rng.random() < 0.6 else "b",
                modality="text",
                model_a=models[i],
                model_b=models[(i + 1) % size],
                created_at=datetime(2024, 1, 2, tzinfo=UTC),
            )
            for i in range(size)
            for _ in range(20)
        ]
    )
    requested, _ = snapshot_request(
        spec=SnapshotSpec(modality="text", rounds=100, cutoff=datetime(2024, 6, 1, tzinfo=UTC))
    )
    snapshot_compute(snapshot_id=requested.pk)


@pytest.mark.parametrize("size", [4, 30])
def test_the_leaderboard_page_runs_a_constant_number_of_queries(
    client, size, django_assert_num_queries
):
    arena_of(size)
    demo_data_present()  # the banner's flag is cached: a minute's first request looks it up
    with django_assert_num_queries(3):  # history (the latest is in it), scopes, board rows
        response = client.get("/leaderboard/text/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/leaderboard/text/models/') == size


def test_the_page_shows_intervals_provisional_marks_and_the_method(client, voted_models, settings):
    settings.RANKING_PROVISIONAL_VOTES = 1600
    requested, _ = snapshot_request(
        spec=SnapshotSpec(modality="text", rounds=100, cutoff=datetime(2024, 6, 1, tzinfo=UTC))
    )
    snapshot_compute(snapshot_id=requested.pk)
    html = client.get("/leaderboard/").content.decode()
    assert "3000 votes counted" in html and "100 bootstrap rounds" in html
    assert html.count("provisional</span>") == sum(
        1 for r in requested.ratings.all() if r.votes < 1600
    )
    assert "+" in html and "/−" in html
    assert 'id="chart-data"' in html and "echarts.min.js" in html
    for download in ("ratings.csv", "pairs.csv", "win_rates.csv", "matrices/observed.csv"):
        url = f"/api/v1/snapshots/{requested.pk}/{download}"
        assert f'href="{url}"' in html and client.get(url).status_code == 200, download


def test_minimum_votes_hides_thin_models_and_history_picks_a_snapshot(client, voted_models):
    first, _ = snapshot_request(
        spec=SnapshotSpec(
            modality="text", rounds=100, kind="month_end", cutoff=datetime(2024, 2, 1, tzinfo=UTC)
        )
    )
    snapshot_compute(snapshot_id=first.pk)
    html = client.get(f"/leaderboard/text/?snapshot={first.pk}&min_votes=100000").content.decode()
    assert "/leaderboard/text/models/" not in html
    assert f'value="{first.pk}" selected' in html
    assert client.get("/leaderboard/text/?snapshot=999999").status_code == 404


def computed(kind: str, month: int):
    requested, _ = snapshot_request(
        spec=SnapshotSpec(
            modality="text", rounds=100, kind=kind, cutoff=datetime(2024, month, 1, tzinfo=UTC)
        )
    )
    snapshot_compute(snapshot_id=requested.pk)
    return requested


def test_the_latest_board_is_shown_when_newer_month_ends_fill_the_history(
    client, voted_models, monkeypatch
):
    monkeypatch.setattr(views, "HISTORY_LENGTH", 2)
    older = computed("current", 2)
    latest = computed("current", 3)
    for month in (4, 5):
        computed("month_end", month)
    html = client.get("/leaderboard/text/").content.decode()
    assert f"Snapshot {latest.pk} ·" in html and f"Snapshot {older.pk} ·" not in html
    monkeypatch.setattr(views, "HISTORY_LENGTH", 4)  # the history holds it: same answer
    assert f"Snapshot {latest.pk} ·" in client.get("/leaderboard/text/").content.decode()


def test_a_model_page_draws_its_score_over_time(client, voted_models):
    for month in (2, 3, 4):
        requested, _ = snapshot_request(
            spec=SnapshotSpec(
                modality="text",
                rounds=100,
                kind="month_end",
                cutoff=datetime(2024, month, 1, tzinfo=UTC),
            )
        )
        snapshot_compute(snapshot_id=requested.pk)
    html = client.get("/leaderboard/text/models/alpha/").content.decode()
    assert html.count('"kind": "month_end"') == 3 and 'id="history-data"' in html
    assert client.get("/leaderboard/text/models/nobody/").status_code == 404


def test_an_empty_leaderboard_says_what_will_happen_in_plain_words(client, db):
    html = client.get("/leaderboard/video/").content.decode()
    assert "No board for this selection yet" in html and "manage.py" not in html
    assert 'http-equiv="refresh"' not in html  # nothing under way: nothing to wait for


def test_a_leaderboard_being_computed_says_so_and_refreshes_itself(client, voted_models):
    snapshot_request(spec=SnapshotSpec(modality="text", rounds=100))
    html = client.get("/leaderboard/text/").content.decode()
    assert "The first text board is being computed" in html
    assert '<meta http-equiv="refresh"' in html


def test_the_board_of_a_finished_snapshot_is_rendered_once_and_cached(
    client, django_assert_num_queries
):
    arena_of(4)
    first = client.get("/leaderboard/text/")
    with django_assert_num_queries(2):  # history and scopes: the board's rows are not read again
        second = client.get("/leaderboard/text/")
    assert second.content == first.content
    assert second.content.decode().count('href="/leaderboard/text/models/') == 4
