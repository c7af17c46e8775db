"""The frontier from snapshots: service, API, CSV, page and command on the same votes."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, date, datetime

import numpy as np
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from arena.site_data import demo_data_present
from ranking.frontier import frontier_monthly
from ranking.services import SnapshotSpec, snapshot_request
from tests.ranking.conftest import NOW, compute, month_ends, text_vote

pytestmark = pytest.mark.django_db


def test_as_of_each_month_reads_its_month_end_snapshot(frontier_data):
    report = frontier_monthly(modality="text", mode="asof", now=NOW)
    rows = report.rows()
    assert [r["month"] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    assert all(r["a_model"] == "alpha" and r["b_model"] == "beta" for r in rows)
    assert all(r["leader"] == "US" and r["gap"] > 0 for r in rows)
    assert all(
        r["a_ci_low"] <= r["a_ci_high"] and r["gap_ci_low"] <= r["gap_ci_high"] for r in rows
    )
    assert report.missing_months == [] and report.hint == ""
    assert rows[0]["lag_censored"] and rows[0]["lag_ci_low"] is None  # no lag interval as-of
    assert len(set(r["snapshot_id"] for r in rows)) == 3


def test_current_mode_counts_each_model_from_its_release_month(frontier_data):
    rows = frontier_monthly(modality="text", mode="current").rows()
    # From the first release to the last vote (March), not to the cutoff.
    assert [r["month"] for r in rows] == ["2024-01", "2024-02", "2024-03"]
    # In January alpha is not out yet: gamma is the US's best, and beta leads it.
    assert (
        rows[0]["a_model"] == "gamma" and rows[0]["leader"] == "CN" and rows[0]["lag_months"] == 0
    )
    assert rows[1]["a_model"] == "alpha" and rows[1]["leader"] == "US"
    # beta's level was first reached by the US in February, when alpha came out.
    assert rows[1]["lag_months"] == 0 and not rows[1]["lag_censored"]
    assert all(r["lag_ci_low"] is not None and r["lag_ci_low"] <= r["lag_ci_high"] for r in rows)
    assert len(set(r["snapshot_id"] for r in rows)) == 1


def test_missing_month_end_snapshots_are_named_in_plain_words_without_a_command(voted_models):
    month_ends(2)
    report = frontier_monthly(modality="text", mode="asof", now=NOW)
    assert report.missing_months == ["2024-01", "2024-03"]
    assert "have not been made yet (2 months)" in report.hint
    assert "manage.py" not in report.hint and "`" not in report.hint
    empty = frontier_monthly(modality="image", mode="current")
    assert empty.frontier is None and "the workers make one" in empty.hint
    assert "manage.py" not in empty.hint


def test_a_history_under_way_is_announced_as_coming(voted_models):
    snapshot_request(
        spec=SnapshotSpec(
            modality="text", rounds=100, kind="month_end", cutoff=datetime(2024, 2, 1, tzinfo=UTC)
        )
    )
    report = frontier_monthly(modality="text", mode="asof", now=NOW)
    assert "are being computed" in report.hint


def test_the_api_returns_rows_and_refuses_bad_parameters(client, frontier_data):
    body = client.get("/api/v1/frontier/?modality=text&mode=current").json()
    assert body["mode"] == "current" and len(body["rows"]) == 3 and body["summary"]
    bad = client.get("/api/v1/frontier/?modality=audio&mode=later&a=USA&b=us")
    assert bad.status_code == 400
    assert set(bad.json()) >= {"modality", "mode", "a"}
    same = client.get("/api/v1/frontier/?a=US&b=us")
    assert same.status_code == 400 and "b" in same.json()


def test_other_countries_and_empty_scopes_answer_without_error(client, frontier_data):
    body = client.get("/api/v1/frontier/?modality=text&a=FR&b=US").json()
    assert all(r["a_model"] is None and r["leader"] == "US" for r in body["rows"])
    body = client.get("/api/v1/frontier/?modality=text&category=coding").json()
    assert body["rows"] == []
    assert "at least 500 counted votes" in body["hint"] and "manage.py" not in body["hint"]


def test_the_csv_is_the_json_rows_with_safe_cells(client, frontier_data):
    response = client.get("/api/v1/frontier.csv?modality=text&mode=asof")
    assert response["Content-Type"] == "text/csv"
    table = list(csv.DictReader(io.StringIO(response.content.decode())))
    rows = client.get("/api/v1/frontier/?modality=text&mode=asof").json()["rows"]
    assert [r["month"] for r in table] == [r["month"] for r in rows]
    assert float(table[0]["gap"]) == rows[0]["gap"]


@pytest.mark.parametrize("mode", ["asof", "current"])
def test_the_command_and_the_api_agree(client, frontier_data, mode):
    out = io.StringIO()
    call_command("frontier", "--modality", "text", "--mode", mode, "--format", "json", stdout=out)
    from_command = json.loads(out.getvalue())
    from_api = client.get(f"/api/v1/frontier/?modality=text&mode={mode}").json()
    assert from_command["rows"] == from_api["rows"]
    assert from_command["summary"] == from_api["summary"]


def test_the_command_prints_a_table_and_the_summary(frontier_data):
    out = io.StringIO()
    call_command("frontier", "--modality", "text", "--mode", "current", stdout=out)
    # Display names in the table and in the sentence alike.
    assert "2024-03" in out.getvalue() and "China's best, Beta" in out.getvalue()
    assert " Alpha " in out.getvalue() and " alpha " not in out.getvalue()


def test_the_command_reads_a_published_history(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "month,model,country,score\n2024-01,gpt,US,1200\n2024-01,qwen,CN,1100\n"
        "2024-02,gpt,US,1200\n2024-02,qwen2,CN,1190\n"
    )
    out = io.StringIO()
    call_command("frontier", "--from-csv", str(path), "--format", "csv", stdout=out)
    table = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert table[1]["lag_months"] == "1" and table[1]["lag_censored"] == "True"


def test_a_bad_history_fails_with_line_numbers(tmp_path):
    path = tmp_path / "history.csv"
    path.write_text("month,model,country,score\n2024-1,gpt,US,1200\n2024-01,qwen,CN,x\n")
    with pytest.raises(CommandError) as raised:
        call_command("frontier", "--from-csv", str(path))
    assert "line 2: month '2024-1'" in str(raised.value)
    assert "line 3: score 'x'" in str(raised.value)
    with pytest.raises(CommandError, match="cannot open"):
        call_command("frontier", "--from-csv", str(tmp_path / "missing.csv"))


@pytest.mark.parametrize(("mode", "queries"), [("asof", 3), ("current", 3)])
def test_the_page_and_api_run_a_constant_number_of_queries(
    client, frontier_data, mode, queries, django_assert_num_queries
):
    demo_data_present()  # the banner's flag is cached: a minute's first request looks it up
    with django_assert_num_queries(queries):
        response = client.get(f"/frontier/?modality=text&mode={mode}")
    assert response.status_code == 200
    with django_assert_num_queries(queries):
        assert client.get(f"/api/v1/frontier/?modality=text&mode={mode}").status_code == 200


def test_the_page_shows_the_summary_table_charts_and_a_nav_link(client, frontier_data):
    html = client.get("/frontier/?modality=text&mode=current").content.decode()
    assert "China&#x27;s best, Beta" in html or "China's best, Beta" in html
    assert 'id="frontier-data"' in html and "echarts.min.js" in html
    assert 'href="/frontier/"' in html and "2024-03" in html
    assert client.get("/frontier/?mode=sometimes").status_code == 400


def test_a_model_without_a_release_date_counts_from_its_first_vote(voted_models):
    voted_models["alpha"].release_date = date(2024, 3, 1)
    voted_models["alpha"].save()
    compute(cutoff=NOW)
    report = frontier_monthly(modality="text", mode="current")
    rows = report.rows()
    assert rows[0]["month"] == "2024-01" and rows[0]["a_model"] == "gamma"
    assert rows[2]["a_model"] == "alpha"
    assert "3 model(s) have no release date" in report.notes[0]


def test_the_openapi_schema_documents_the_frontier(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    schema = json.loads(response.content)
    get = schema["paths"]["/api/v1/frontier/"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"modality", "mode", "a", "b", "category"}
    assert "400" in get["responses"]
    assert "/api/v1/frontier.csv" in schema["paths"]
    assert "lag_months" in schema["components"]["schemas"]["FrontierRow"]["properties"]


def test_as_of_and_current_agree_on_the_month_whose_snapshot_counts_the_same_votes(
    frontier_data,
):
    # Every vote was cast by March, so the March month-end fit and the current fit count the
    # same votes with the same seed: the same tops, intervals and gap. Earlier months differ.
    asof = {r["month"]: r for r in frontier_monthly(modality="text", mode="asof", now=NOW).rows()}
    current = {r["month"]: r for r in frontier_monthly(modality="text", mode="current").rows()}
    keys = ["a_model", "a_score", "a_ci_low", "b_model", "b_score", "gap", "gap_ci_high"]
    assert {k: asof["2024-03"][k] for k in keys} == {k: current["2024-03"][k] for k in keys}
    assert asof["2024-01"]["a_model"] == "alpha" and current["2024-01"]["a_model"] == "gamma"


def test_a_lost_replicates_file_costs_the_intervals_not_the_page(client, frontier_data):
    from ranking.models import RatingSnapshot

    for snapshot in RatingSnapshot.objects.all():
        snapshot.data_file.delete(save=False)
    for mode in ("asof", "current"):
        response = client.get(f"/api/v1/frontier/?modality=text&mode={mode}")
        assert response.status_code == 200
        body = response.json()
        assert body["rows"] and body["rows"][-1]["gap_ci_low"] is None
        assert "cannot be read" in body["notes"][0]


def test_a_month_fitted_without_its_anchor_is_linked_onto_the_last_months_scale(voted_models):
    from tests.factories import AIModelFactory

    AIModelFactory(key="unvoted")
    compute(kind="month_end", cutoff=datetime(2024, 2, 1, tzinfo=UTC), anchor=("unvoted", 1114.0))
    compute(kind="month_end", cutoff=datetime(2024, 3, 1, tzinfo=UTC), anchor=("gamma", 1000.0))
    report = frontier_monthly(modality="text", mode="asof", now=NOW, min_votes=0)
    january, february = report.rows()
    assert (january["scale"], february["scale"]) == ("mean 1000", "gamma = 1000")
    # January was centred on the mean (1000), February puts gamma, the weakest but one, at
    # 1000: about +100 points apart. Linked, alpha and beta read alike in both months.
    assert february["shift"] == 0 and january["shift"] > 50
    assert (january["link_models"], february["link_models"]) == (0, 4)
    assert abs(january["a_score"] - february["a_score"]) < 30
    assert abs(january["b_score"] - february["b_score"]) < 30
    assert february["link_rms"] < 30
    assert "linked onto 2024-02's scale (gamma = 1000)" in report.notes[-1]


def add_votes(models: dict, when: datetime, n: int, *, seed: int = 5) -> None:
    """n more votes among the four models, all cast at ``when`` (alpha strongest)."""
    from arena.models import Vote

    rng = np.random.default_rng(seed)
    keys = ["alpha", "beta", "gamma", "delta"]
    votes = []
    for _ in range(n):
        a, b = rng.choice(4, size=2, replace=False)
        outcome = "a" if (a < b) == (rng.random() < 0.7) else "b"
        votes.append(
            text_vote(models[keys[a]], models[keys[b]], outcome, category="coding", created_at=when)
        )
    Vote.objects.bulk_create(votes)


def test_a_month_without_votes_is_a_gap_and_the_series_ends_at_the_last_vote(voted_models):
    add_votes(voted_models, datetime(2024, 5, 10, tzinfo=UTC), 1000)
    month_ends(1, 2, 3, 4, 5, 6, 7, 8)  # April and June-August have the boards of before
    compute(cutoff=datetime(2024, 9, 1, tzinfo=UTC))
    later = datetime(2026, 12, 1, tzinfo=UTC)  # the calendar moved on, the votes did not
    for mode in ("asof", "current"):
        report = frontier_monthly(modality="text", mode=mode, now=later)
        rows = {row["month"]: row for row in report.rows()}
        assert list(rows) == ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05"], mode
        april = rows["2024-04"]
        assert april["month_votes"] == 0 and april["a_model"] is None and april["scale"] is None
        assert report.empty_months == ["2024-04"]
        # Alpha has led beta since January; May is the fourth month with data, not the fifth.
        assert rows["2024-05"]["lag_months"] == 3 and rows["2024-05"]["lag_censored"], mode
        assert rows["2024-05"]["month_votes"] == 1000
        assert report.summary.startswith("In 2024-05 ") and "at least 3 months" in report.summary


def test_a_model_with_nine_votes_is_shown_apart_never_as_the_top(voted_models):
    from arena.models import Vote
    from tests.factories import AIModelFactory

    upstart = AIModelFactory(key="upstart", display_name="Upstart 1", lab=voted_models["beta"].lab)
    Vote.objects.bulk_create(
        Vote(
            source="test",
            outcome="a",
            modality="text",
            model_a=upstart,
            model_b=voted_models["alpha"],
            created_at=datetime(2024, 3, 12, tzinfo=UTC),
        )
        for _ in range(9)
    )
    compute(cutoff=NOW)
    march = frontier_monthly(modality="text", mode="current").rows()[-1]
    assert (march["b_model"], march["b_name"], march["leader"]) == ("beta", "Beta", "US")
    assert (march["b_provisional_model"], march["b_provisional_name"]) == ("upstart", "Upstart 1")
    assert march["b_provisional_score"] > march["a_score"]
    assert march["gap_ci_low"] > 0  # beta's interval, not one reaching into the thousands
    counted = frontier_monthly(modality="text", mode="current", min_votes=0).rows()[-1]
    assert counted["b_model"] == "upstart" and counted["leader"] == "CN"


def test_floor_rounding_in_the_api_the_csv_and_the_command(client, frontier_data):
    report = frontier_monthly(modality="text", mode="current")
    exact = report.frontier.months[-1]
    body = client.get("/api/v1/frontier/?modality=text&mode=current&round=floor").json()
    last = body["rows"][-1]
    assert body["rounding"] == "floor"
    assert (last["a_score"], last["b_score"]) == (
        math.floor(exact.a_score),
        math.floor(exact.b_score),
    )
    assert last["gap_ci_low"] == math.floor(exact.gap_low)
    nearest = client.get("/api/v1/frontier/?modality=text&mode=current").json()["rows"][-1]
    assert nearest["a_score"] == round(exact.a_score, 1)
    table = client.get("/api/v1/frontier.csv?modality=text&mode=current&round=floor")
    csv_last = list(csv.DictReader(io.StringIO(table.content.decode())))[-1]
    assert csv_last["a_score"] == str(math.floor(exact.a_score))
    out = io.StringIO()
    call_command(
        "frontier", "--modality", "text", "--mode", "current", "--round", "floor",
        "--format", "json", stdout=out,
    )  # fmt: skip
    assert json.loads(out.getvalue())["rows"] == body["rows"]
    assert client.get("/api/v1/frontier/?round=up").status_code == 400


def test_as_of_has_rows_for_a_category_once_its_month_ends_are_made(
    voted_models, settings, django_capture_on_commit_callbacks
):
    settings.RANKING_BOOTSTRAP_ROUNDS = 100
    hint = frontier_monthly(modality="text", category="coding", now=NOW).hint
    assert "have not been made yet" in hint
    with django_capture_on_commit_callbacks(execute=True):  # the workers' part, eagerly
        call_command(
            "backfill_snapshots", "--modality", "text", "--category", "coding", "--monthly"
        )
    # Half the votes are coding: about 250 per model in January, so count them all here.
    report = frontier_monthly(modality="text", mode="asof", category="coding", now=NOW, min_votes=0)
    assert [row["month"] for row in report.rows()] == ["2024-01", "2024-02", "2024-03"]
    assert report.missing_months == [] and report.hint == ""
    assert all(row["a_model"] == "alpha" for row in report.rows())
    # Every scope with enough votes at once: the whole modality, both categories.
    settings.RANKING_MIN_SCOPE_VOTES = 1000
    with django_capture_on_commit_callbacks(execute=True):
        call_command("backfill_snapshots", "--modality", "text", "--all-scopes", "--monthly")
    from ranking.models import RatingSnapshot

    made = RatingSnapshot.objects.filter(kind="month_end", status="done")
    assert sorted({(s.category, s.language) for s in made}) == [
        ("", ""),
        ("coding", ""),
        ("math", ""),
    ]
    assert made.count() == 9


def test_current_mode_uses_only_real_release_dates(voted_models):
    # alpha: first listed in March (an upper bound), first voted in January: January.
    # gamma: released in March (written in its key): March.
    for key, source in (("alpha", "first_listed"), ("gamma", "key")):
        voted_models[key].release_date = date(2024, 3, 5)
        voted_models[key].release_date_source = source
        voted_models[key].save()
    compute(cutoff=NOW)
    report = frontier_monthly(modality="text", mode="current")
    january = report.rows()[0]
    assert january["month"] == "2024-01" and january["a_model"] == "alpha"
    entered = {row.month: row.a_model for row in report.frontier.months}
    assert entered == {"2024-01": "alpha", "2024-02": "alpha", "2024-03": "alpha"}
    assert any("1 model(s) have only an upper bound" in note for note in report.notes)
    assert any("2 model(s) have no release date" in note for note in report.notes)


def test_the_page_opens_on_current_ratings_while_the_history_is_not_made(client, voted_models):
    compute(cutoff=NOW)
    html = client.get("/frontier/?modality=text").content.decode()
    assert "data-mode-fallback" in html and 'value="current" checked' in html
    assert "manage.py" not in html
    chosen = client.get("/frontier/?modality=text&mode=asof").content.decode()
    assert "data-mode-fallback" not in chosen and 'value="asof" checked' in chosen


def test_the_page_opens_on_the_history_once_it_is_made(client, frontier_data):
    html = client.get("/frontier/?modality=text").content.decode()
    assert "data-mode-fallback" not in html and 'value="asof" checked' in html


def test_the_summary_opens_on_current_ratings_while_the_history_is_not_made(client, voted_models):
    compute(cutoff=NOW)
    html = client.get("/frontier/summary/?modality=text").content.decode()
    assert "data-mode-fallback" in html and "from the current ratings" in html
    chosen = client.get("/frontier/summary/?modality=text&mode=asof").content.decode()
    assert "data-mode-fallback" not in chosen and "month-end snapshots" in chosen


def test_the_summary_opens_on_the_history_once_it_is_made(client, frontier_data):
    html = client.get("/frontier/summary/?modality=text").content.decode()
    assert "data-mode-fallback" not in html and "month-end snapshots" in html
