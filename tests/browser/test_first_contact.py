"""What a newcomer meets in a real browser, on a desktop (1366x900) and a phone (390x844):
the demo banner, the first-visit notice (shown until dismissed, without any script), the
favicon, the styled 404, the human status page and the board's country search. (No page
scrolling sideways: test_voting_ui.py. The board appearing after start-up, with the real
worker: tests/stack/test_first_boards.py, which also opens it in chromium.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_demo_banner_is_on_every_page_while_demo_data_is_present(screen, live_server, demo):
    for path in ("/", "/arena/text/", "/leaderboard/text/", "/frontier/", "/privacy/"):
        screen.goto(live_server.url + path)
        expect(screen.locator("[data-demo-banner]")).to_contain_text("Demo data")


def test_without_demo_data_there_is_no_banner(page, live_server):
    page.goto(live_server.url + "/")
    expect(page.locator("[data-demo-banner]")).to_have_count(0)


def test_the_first_visit_notice_is_shown_until_dismissed(screen, live_server, db):
    screen.goto(live_server.url + "/leaderboard/")
    notice = screen.locator("[data-first-visit-notice]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("terms of use")
    expect(notice).to_contain_text("hash")
    screen.locator("[data-notice-ok]").click()
    screen.wait_for_url("**/leaderboard/")  # back where the visitor was
    expect(screen.locator("[data-first-visit-notice]")).to_have_count(0)
    screen.goto(live_server.url + "/frontier/")
    expect(screen.locator("[data-first-visit-notice]")).to_have_count(0)
    screen.get_by_role("link", name="Privacy and terms").click()
    expect(screen.locator("h1")).to_have_text("Privacy and terms of use")


def test_the_favicon_answers_and_no_request_fails(page, live_server, db):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(live_server.url + "/")
    page.wait_for_load_state("networkidle")
    assert failed == []
    assert page.request.get(live_server.url + "/favicon.ico").status == 200
    icon = page.locator('link[rel="icon"][type="image/svg+xml"]').get_attribute("href")
    assert page.request.get(live_server.url + icon).status == 200


def test_an_unknown_model_gets_the_styled_404(screen, live_server, db):
    response = screen.goto(live_server.url + "/leaderboard/text/models/no-such-model/")
    assert response.status == 404
    expect(screen.locator("h1")).to_have_text("Page not found")
    expect(screen.get_by_role("link", name="See the leaderboards")).to_be_visible()
    expect(screen.locator("nav[aria-label=Main]")).to_be_visible()


def test_status_in_the_menu_is_a_page_for_people(screen, live_server, db):
    screen.goto(live_server.url + "/")
    expect(screen.locator("nav[aria-label=Main]").get_by_role("link", name="Admin")).to_have_count(
        0
    )
    screen.locator("nav[aria-label=Main]").get_by_role("link", name="Status").click()
    expect(screen.locator("h1")).to_have_text("Status")
    expect(screen.locator("[data-status]")).to_contain_text("voting")
    expect(screen.get_by_role("row", name="Database")).to_contain_text("Up")


def test_the_board_finds_models_by_country_code_and_says_when_nothing_matches(
    page, live_server, monthly_snapshots
):
    page.goto(f"{live_server.url}/leaderboard/text/")
    rows = page.locator("#board-0 tbody tr")
    search = page.get_by_label("Search")
    search.fill("CN")
    expect(rows.filter(visible=True)).to_have_count(2)
    for row in rows.filter(visible=True).all():
        expect(row.locator("abbr")).to_have_text("CN")
    search.fill("us")  # the code, whatever the case: not every name holding "us"
    expect(rows.filter(visible=True)).to_have_count(2)
    search.fill("no such model")
    expect(rows.filter(visible=True)).to_have_count(0)
    expect(page.locator("[data-search-empty]")).to_have_text("No model matches “no such model”.")
    search.fill("")
    expect(rows.filter(visible=True)).to_have_count(4)
    expect(page.locator("[data-search-empty]")).to_be_hidden()
