"""A real browser (Debian's chromium driven by Playwright) against the live test server."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command

from ranking.services import SnapshotSpec, snapshot_compute, snapshot_request
from tests.browser.screens import CHROMIUM, SCREENS
from tests.ranking.conftest import voted_models  # noqa: F401  (a fixture)
from tests.support import missing


@pytest.fixture(scope="module")
def browser():
    if not shutil.which(CHROMIUM):
        missing(f"chromium at {CHROMIUM}")
    try:
        from playwright import sync_api
    except ImportError:
        missing("Playwright (the `playwright` package of the dev lock)")
    # Playwright's sync API keeps an event loop on this thread while the browser is open;
    # the ORM calls of the tests and their fixtures are still synchronous, so Django's guard
    # against async contexts does not apply. Only for this module: nothing else inherits it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


#: The two screens of the issue's checks: a laptop, and a phone with touch.


def _open(browser, name: str):
    context = browser.new_context(**SCREENS[name])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.screen_name = name
    return context, page


@pytest.fixture(params=sorted(SCREENS))
def screen(request, browser):
    """Each test that takes it runs on both screens (``screen.screen_name`` says which)."""
    context, page = _open(browser, request.param)
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context, page = _open(browser, "desktop")
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context, page = _open(browser, "phone")
    yield page
    context.close()


@pytest.fixture
def demo(settings):
    """The demo data and a text leaderboard, as `make run` shows them."""
    settings.ARENA_MIN_READ_SECONDS = 0
    call_command("seed_demo", "--votes-per-month", "40")
    call_command("fit_ratings", "--modality", "text", "--rounds", "100")


@pytest.fixture
def monthly_snapshots(voted_models):  # noqa: F811
    """voted_models released in Jan-Feb 2024, three month-end snapshots and a current one:
    a leaderboard, a history for each model, and a frontier in both modes."""
    for key, month in (("alpha", 2), ("beta", 1), ("gamma", 1), ("delta", 1)):
        voted_models[key].release_date = date(2024, month, 15)
        voted_models[key].save()
    cutoffs = [("month_end", datetime(2024, m, 1, tzinfo=UTC)) for m in (2, 3, 4)]
    for kind, cutoff in [*cutoffs, ("current", datetime(2024, 6, 1, tzinfo=UTC))]:
        snapshot, _ = snapshot_request(
            spec=SnapshotSpec(modality="text", kind=kind, cutoff=cutoff, rounds=100)
        )
        snapshot_compute(snapshot_id=snapshot.pk)
