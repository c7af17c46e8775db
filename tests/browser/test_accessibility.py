"""Every public page passes axe-core's automated accessibility rules (labels, contrast,
landmarks, names of controls...), in the real browser, after its scripts have run."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Run through the DevTools protocol (evaluate), not as an inline <script>: the pages'
# Content-Security-Policy refuses inline scripts, as it should.
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text() + "\n;undefined"
PAGES = [
    "/",
    "/arena/text/",
    "/arena/image/",
    "/arena/video/",
    "/leaderboard/",
    "/leaderboard/text/models/deepseek-r1/",
    "/frontier/",
    "/frontier/?mode=current&compare=open-us-china",
    "/frontier/summary/?mode=current",
    "/privacy/",
    "/status/",
]


@pytest.mark.parametrize("path", PAGES)
def test_the_page_has_no_accessibility_violations(page, phone, live_server, demo, path):
    for viewer in (page, phone):
        viewer.goto(f"{live_server.url}{path}")
        viewer.wait_for_load_state("networkidle")
        viewer.evaluate(AXE)
        violations = viewer.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => `${v.impact} ${v.id}: ${v.nodes.map(n => n.target).join(' | ')}`)"
        )
        assert violations == [], violations


def test_a_voter_can_vote_with_the_keyboard_alone_after_tabbing(page, live_server, demo):
    page.goto(f"{live_server.url}/arena/text/")
    # Tab order reaches the four choices; Enter on the focused one votes.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.choice === 'tie'"):
            break
    else:
        pytest.fail("Tab never reached the Tie button")
    page.keyboard.press("Enter")
    page.get_by_text("You voted: Tie").wait_for()
    assert page.evaluate("document.activeElement.dataset.next !== undefined")


def test_answers_with_long_code_and_tables_stay_accessible(page, live_server, demo):
    from arena.models import Output

    long_line = "print(" + "'x' * 400 + " * 20 + "'')"
    for output in Output.objects.filter(modality="text"):
        output.text = (
            f"# Answer {output.pk}\n\n```python\n{long_line}\n```\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
        output.save(update_fields=["text"])
    page.goto(f"{live_server.url}/arena/text/")
    page.evaluate(AXE)
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => `${v.impact} ${v.id}`)"
    )
    assert violations == []
