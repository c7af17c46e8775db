"""The browser does the proof of work by itself (static/js/pow.js) and gets its battle."""

from __future__ import annotations

import pytest

from arena.models import Battle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_browser_solves_the_challenge_and_the_battle_appears(
    page, live_server, text_arena, settings
):
    settings.ARENA_SERVING_POW_BITS = 12
    page.goto(f"{live_server.url}/arena/text/")
    page.locator("[data-battle-card]").wait_for()
    assert "pow=" in page.url
    assert Battle.objects.count() == 1
