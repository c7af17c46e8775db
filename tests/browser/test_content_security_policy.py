"""Every page works under its Content-Security-Policy: the browser reports no violation
while the pages load, draw their charts, vote and fetch the next battle in place."""

from __future__ import annotations

import pytest

from tests.browser.test_accessibility import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MORE_PAGES = ["/api/docs/", "/admin/login/", "/leaderboard/image/", "/no-such-page/"]


@pytest.fixture
def violations(page):
    """What the browser refused under the policy: its console messages and the
    ``securitypolicyviolation`` events (recorded by a script the policy does not govern)."""
    seen: list[str] = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and seen.append(message.text),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "(window.__cspViolations = window.__cspViolations || [])"
        ".push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`))"
    )

    def collected() -> list[str]:
        return seen + (page.evaluate("window.__cspViolations || []") or [])

    return collected


@pytest.mark.parametrize("path", PAGES + MORE_PAGES)
def test_the_page_loads_without_a_policy_violation(page, live_server, demo, violations, path):
    response = page.goto(f"{live_server.url}{path}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")
    if path == "/api/docs/":  # Swagger UI started from its script file and drew the API
        page.locator("#swagger-ui .opblock").first.wait_for()
    for chart in page.locator("[data-chart]").all()[:3]:  # hover draws the tooltips
        chart.scroll_into_view_if_needed()
        chart.hover()
    assert violations() == []


def test_voting_and_the_next_battle_run_under_the_policy(page, live_server, demo, violations):
    page.goto(f"{live_server.url}/arena/text/")
    first = page.locator("[data-battle-card]").get_attribute("data-token")
    page.keyboard.press("a")
    page.get_by_text("You voted: A is better").wait_for()
    page.keyboard.press("n")
    page.wait_for_function(
        "token => document.querySelector('[data-battle-card]').dataset.token !== token", arg=first
    )
    assert violations() == []
