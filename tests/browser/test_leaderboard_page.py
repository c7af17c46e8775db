"""The leaderboard and a model's page in a real browser: figures drawn by the shared chart
helper (static/js/charts.js) with the vendored ECharts, the table sorts and filters."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_leaderboard_draws_its_figures_and_sorts_and_filters(
    page, live_server, monthly_snapshots
):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/leaderboard/text/")
    for name in ("scores", "observed", "predicted", "battles"):
        expect(page.locator(f'[data-chart="{name}"] svg')).to_have_count(1)
    rows = page.locator("#board-0 tbody tr")  # one table per connected component
    expect(rows.first).to_contain_text("Alpha")
    page.get_by_role("button", name="Score").click()
    expect(rows.first).to_contain_text("Delta")
    page.get_by_label("Search").fill("Gamma")
    expect(rows.filter(visible=True)).to_have_count(1)
    page.get_by_label("Search").fill("")
    page.get_by_role("link", name="Alpha").click()
    expect(page.locator('[data-chart="history"] svg path').first).to_be_attached()
    assert errors == []


def test_a_board_of_two_components_with_an_open_interval_sorts_and_draws(page, live_server):
    from tests.ranking.conftest import cast_votes, compute_snapshot
    from tests.ranking.test_honest_boards import TWO_WORLDS

    # Two components; "c" won all its votes, so its interval is open above.
    cast_votes([*TWO_WORLDS, ("c", "e1", "a", 3), ("c", "e2", "a", 3)])
    compute_snapshot()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/leaderboard/text/")
    expect(page.locator("table.board.sortable")).to_have_count(2)
    expect(page.locator('[data-chart="scores"] svg')).to_have_count(1)
    second = page.locator("#board-1 tbody tr")
    expect(second).to_have_count(3)
    expect(second.first).to_contain_text("+∞/−")
    page.locator("#board-1").get_by_role("button", name="Score").click()
    expect(second.first).to_contain_text("E2")
    page.get_by_label("Search").fill("G2")
    expect(page.locator("table.board tbody tr").filter(visible=True)).to_have_count(1)
    assert errors == []
