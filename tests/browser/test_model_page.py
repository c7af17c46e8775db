"""A model's page in a real browser: its online Elo drawn by the shared chart helper."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_model_page_draws_its_online_elo_over_time(page, live_server, monthly_snapshots):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/leaderboard/text/models/alpha/")
    expect(page.locator('[data-chart="elo"] svg path').first).to_be_attached()
    expect(page.get_by_role("table", name="Online Elo at the end of each month")).to_be_visible()
    assert errors == []
