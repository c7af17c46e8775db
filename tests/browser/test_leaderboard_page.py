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
    rows = page.locator("#board tbody tr")
    expect(rows.first).to_contain_text("Alpha")
    page.get_by_role("button", name="Score").click()
    expect(rows.first).to_contain_text("Delta")
    page.get_by_label("Search").fill("Gamma")
    expect(rows.filter(visible=True)).to_have_count(1)
    page.get_by_label("Search").fill("")
    page.get_by_role("link", name="Alpha").click()
    expect(page.locator('[data-chart="history"] svg path').first).to_be_attached()
    assert errors == []
