"""Voting with JavaScript: keyboard shortcuts, reveal in place, next battle without reload.

The next battle's card and the voter's panel are fragments the server renders with the same
templates as the pages without JavaScript (tests/arena/test_battle_pages.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from arena.models import AIModel, Battle, Lab, Vote

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_reading_time(settings):
    settings.ARENA_MIN_READ_SECONDS = 0


def identities() -> list[str]:
    models = list(AIModel.objects.all())
    return (
        [m.key for m in models]
        + [m.display_name for m in models]
        + [lab.name for lab in Lab.objects.all()]
    )


def test_a_voter_votes_with_the_keyboard_and_gets_the_next_battle_in_place(
    page, live_server, text_arena, settings
):
    settings.ARENA_PERSONAL_BOARD_MIN_VOTES = 1
    page.goto(f"{live_server.url}/arena/text/")
    first_token = page.locator("[data-battle-card]").get_attribute("data-token")
    page.evaluate("window.__sameDocument = true")
    page.keyboard.press("b")
    page.get_by_text("You voted: B is better").wait_for()
    battle = Battle.objects.select_related("model_a", "model_b").get(token=first_token)
    assert battle.model_a.display_name in page.locator('[data-side="a"] h3').inner_text()
    assert battle.model_b.display_name in page.locator('[data-side="b"] h3').inner_text()
    assert all(button.is_disabled() for button in page.locator("[data-choice]").all())
    assert Vote.objects.get(battle=battle).outcome == "b"
    assert page.locator("[data-votes-cast]").inner_text() == "1"
    expect(page.locator("[data-personal-board] caption")).to_have_text(
        "Your leaderboard (text): win rate in your votes, ties count half"
    )

    page.keyboard.press("n")
    expect(page.locator("[data-battle-card]")).not_to_have_attribute("data-token", first_token)
    assert page.evaluate("window.__sameDocument") is True, (
        "the next battle must not reload the page"
    )
    assert all(button.is_enabled() for button in page.locator("[data-choice]").all())
    assert page.locator('[data-side="a"] [data-model-name]').inner_text() == ""
    html = page.content()
    for secret in identities():
        assert secret not in html, f"{secret!r} stays on the page beside the next blind battle"
    page.get_by_role("button", name="Tie").click()
    page.get_by_text("You voted: Tie").wait_for()
    assert Vote.objects.count() == 2


def test_every_shortcut_votes_and_the_next_battle_comes_by_key_or_link(
    page, live_server, text_arena
):
    page.goto(f"{live_server.url}/arena/text/")
    card = page.locator("[data-battle-card]")
    shortcuts = [
        ("a", "A is better"),
        ("b", "B is better"),
        ("t", "Tie"),
        ("x", "Both are bad"),
        ("T", "Tie"),
        ("X", "Both are bad"),
    ]
    for number, (key, label) in enumerate(shortcuts):
        token = card.get_attribute("data-token")
        page.keyboard.press(key)
        expect(page.locator("[data-reveal]")).to_contain_text(f"You voted: {label}.")
        if number % 2:
            page.get_by_role("link", name="Next battle").click()
        else:
            page.keyboard.press("n")
        expect(card).not_to_have_attribute("data-token", token)
        expect(page.locator("[data-reveal]")).to_have_text("")
    outcomes = list(Vote.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["a", "b", "tie", "both_bad", "tie", "both_bad"]


@pytest.mark.parametrize("modality", ["image", "video"])
def test_a_media_battle_is_replaced_in_place_and_its_controls_still_work(
    page, live_server, modality
):
    call_command("seed_demo", "--votes-per-month", "1")
    page.goto(f"{live_server.url}/arena/{modality}/")
    card = page.locator("[data-battle-card]")
    token = card.get_attribute("data-token")
    page.keyboard.press("x")
    expect(page.locator("[data-reveal]")).to_contain_text("You voted: Both are bad.")
    page.keyboard.press("n")
    expect(card).not_to_have_attribute("data-token", token)
    media = card.locator("img" if modality == "image" else "video")
    expect(media).to_have_count(2)
    new = [element.get_attribute("src") for element in media.all()]
    assert all(src.startswith("/media/o/") for src in new)
    if modality == "image":
        page.get_by_role("link", name="Enlarge image B").click()
        expect(page.locator("[data-zoom-dialog]")).to_be_visible()
        expect(page.locator("[data-zoom-image]")).to_have_attribute("src", new[1])
    else:
        expect(page.get_by_role("button", name="Play both videos")).to_be_visible()


def test_a_refused_vote_shows_its_reason(page, live_server, text_arena):
    page.goto(f"{live_server.url}/arena/text/")
    token = page.locator("[data-battle-card]").get_attribute("data-token")
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
