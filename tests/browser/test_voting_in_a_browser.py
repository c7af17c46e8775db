"""Voting with JavaScript: keyboard shortcuts, reveal in place, next battle without reload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from arena.models import Battle, Vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_reading_time(settings):
    settings.ARENA_MIN_READ_SECONDS = 0


def test_a_voter_votes_with_the_keyboard_and_gets_the_next_battle_in_place(
    page, live_server, text_arena
):
    page.goto(f"{live_server.url}/arena/text/")
    first_token = page.locator("#battle").get_attribute("data-token")
    page.evaluate("window.__sameDocument = true")
    page.keyboard.press("b")
    page.get_by_text("You voted: B is better").wait_for()
    battle = Battle.objects.select_related("model_a", "model_b").get(token=first_token)
    assert battle.model_a.display_name in page.locator('[data-side="a"] h3').inner_text()
    assert battle.model_b.display_name in page.locator('[data-side="b"] h3').inner_text()
    assert all(button.is_disabled() for button in page.locator("[data-choice]").all())
    assert Vote.objects.get(battle=battle).outcome == "b"
    assert page.locator("[data-votes-cast]").inner_text() == "1"

    page.keyboard.press("n")
    page.wait_for_function(f"document.getElementById('battle').dataset.token !== '{first_token}'")
    assert page.evaluate("window.__sameDocument") is True, (
        "the next battle must not reload the page"
    )
    assert all(button.is_enabled() for button in page.locator("[data-choice]").all())
    assert page.locator('[data-side="a"] [data-model-name]').inner_text() == ""
    page.get_by_role("button", name="Tie").click()
    page.get_by_text("You voted: Tie").wait_for()
    assert Vote.objects.count() == 2


def test_a_refused_vote_shows_its_reason(page, live_server, text_arena):
    page.goto(f"{live_server.url}/arena/text/")
    token = page.locator("#battle").get_attribute("data-token")
    long_ago = timezone.now() - timedelta(days=1)
    Battle.objects.filter(token=token).update(
        served_at=long_ago, expires_at=long_ago + timedelta(hours=1)
    )
    page.keyboard.press("a")
    page.get_by_text("This battle has expired").wait_for()
    assert Vote.objects.count() == 0


def test_on_a_phone_the_outputs_stack(phone, live_server, text_arena):
    phone.goto(f"{live_server.url}/arena/text/")
    box_a = phone.locator('[data-side="a"]').bounding_box()
    box_b = phone.locator('[data-side="b"]').bounding_box()
    assert box_b["y"] >= box_a["y"] + box_a["height"]
    assert box_a["width"] > 300
    phone.get_by_role("button", name="A is better").tap()
    phone.get_by_text("You voted: A is better").wait_for()
