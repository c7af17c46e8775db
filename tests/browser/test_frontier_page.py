"""The frontier page in a real browser: charts drawn from the vendored ECharts, switches work,
the table and the summary read well on a phone."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.models import AIModel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_draws_both_charts_and_switches_mode(page, live_server, monthly_snapshots):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Frontier").click()
    page.locator("[data-summary]").wait_for()
    assert (
        "China's best, Beta, trailed the US's best" in page.locator("[data-summary]").inner_text()
    )
    # Axes, two lines with bands, and one bar per month with a lag: drawn, not just a frame.
    page.locator('[data-chart="tops"] svg').wait_for()
    assert page.locator('[data-chart="tops"] svg path').count() > 10
    assert page.locator('[data-chart="lag"] svg path').count() > 5
    assert page.locator("#frontier tbody tr").count() == 3

    page.get_by_label("Current ratings, by release").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**mode=current**")
    assert "One current fit" in page.locator(".snapshot-note").inner_text()
    assert "2024-01" in page.locator("#frontier tbody tr").first.inner_text()
    assert errors == []


def test_missing_month_ends_are_explained_without_a_command(page, live_server, voted_models):
    page.goto(f"{live_server.url}/frontier/?modality=text&mode=asof")
    hint = page.locator("[data-hint]").inner_text()
    assert "have not been made yet" in hint and "2024-01" in hint
    assert "manage.py" not in page.content()


def test_on_a_phone_the_page_fits_and_the_table_scrolls(phone, live_server, monthly_snapshots):
    phone.goto(f"{live_server.url}/frontier/?modality=text&mode=current")
    phone.locator('[data-chart="tops"] svg').wait_for()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
    assert phone.locator("[data-summary]").is_visible()


def test_a_named_comparison_is_picked_and_its_figure_downloaded(
    page, live_server, monthly_snapshots
):
    for key, weights in (("alpha", "proprietary"), ("gamma", "open"), ("beta", "open")):
        AIModel.objects.filter(key=key).update(weights=weights)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/frontier/?modality=text&mode=current")
    page.get_by_label("Compare").select_option(label="Best open-weights model: US vs China")
    page.wait_for_url("**compare=open-us-china**")
    assert (
        page.locator("h1")
        .inner_text()
        .startswith("United States, open weights vs China, open weights")
    )
    assert "China's best open-weights model, Beta" in page.locator("[data-summary]").inner_text()
    # delta's openness is unknown: left out, and said so.
    assert "Delta" in page.locator("[data-unknown-weights]").inner_text()
    page.locator('[data-chart="tops"] svg').wait_for()
    with page.expect_download() as download_info:
        page.locator('[data-figure="tops"]').get_by_role("link", name="SVG").click()
    download = download_info.value
    assert download.suggested_filename == (
        "arena-frontier-text-current-US-open-vs-CN-open-tops.svg"
    )
    svg = Path(download.path()).read_text(encoding="utf-8")
    assert "95% bootstrap interval" in svg and "United States, open weights" in svg
    page.get_by_role("link", name="Summary of every comparison").click()
    page.wait_for_url("**/frontier/summary/**")
    assert page.locator("[data-paragraph]").count() == 5
    assert errors == []
