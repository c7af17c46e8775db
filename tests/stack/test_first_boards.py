"""Boards on first sight, with the real worker and without beat: on the embedded defaults
of ``make run`` (SQLite, the filesystem broker), a freshly seeded installation gets its
leaderboards and its month-end history from the workers as they start, and an import later
gets its new board the same way. Beat is not started at all, so none of this can come from
its schedule. Every wait is for a condition, with a generous deadline."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.stack.conftest import Stack, free_port, get, run_once, wait_for
from tests.support import missing

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def embedded_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """``make run``'s settings (SQLite and the filesystem broker in a var/ of our own)."""
    foreign = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in foreign and not k.startswith("CELERY")}
    return (
        env
        | {
            "ARENA_VAR_DIR": str(tmp_path / "var"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
            "RANKING_BOOTSTRAP_ROUNDS": "100",
            "ARENA_HEARTBEAT_SECONDS": "1",
        }
        | extra
    )


def json_at(url: str) -> dict:
    status, _, body = get(url)
    return json.loads(body) if status == 200 else {}


def board(base_url: str, modality: str) -> dict:
    return json_at(f"{base_url}/api/v1/leaderboards/{modality}/")


def history_months(base_url: str) -> int:
    """Months of the text frontier read from a month-end snapshot (a scale: a fit)."""
    rows = json_at(f"{base_url}/api/v1/frontier/?modality=text&mode=asof").get("rows", [])
    return sum(row["scale"] is not None for row in rows)


def seen_in_chromium(base_url: str) -> tuple[int, str, str]:
    """(rows of the text board, the frontier's chosen mode, the frontier's text) as a
    visitor's browser shows them."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright (the `playwright` package of the dev lock)")
    if not Path(CHROMIUM).exists():
        missing(f"chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 900})
            page.goto(f"{base_url}/leaderboard/text/")
            rows = page.locator("table.board tbody tr").count()
            page.goto(f"{base_url}/frontier/")
            mode = page.locator("input[name=mode]:checked").get_attribute("value")
            return rows, mode, page.locator("main").inner_text()
        finally:
            browser.close()


def test_a_new_installation_gets_its_boards_from_the_workers_without_beat(tmp_path):
    # Seeding sends nothing here: the boards must come from the workers' start alone.
    env = embedded_env(tmp_path, RANKING_CATCH_UP="false")
    run_once([sys.executable, "manage.py", "migrate", "--noinput"], env)
    run_once([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], env)
    run_once([sys.executable, "manage.py", "seed_demo", "--votes-per-month", "40"], env)
    stack = Stack(tmp_path, embedded_env(tmp_path))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    try:
        stack.start(
            "web", [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
        )
        stack.worker(concurrency=2)
        stack.housekeeper()
        for modality in ("text", "image", "video"):
            wait_for(
                lambda m=modality: board(base_url, m).get("ratings"),
                seconds=900,
                what=f"the first {modality} board",
                logs=stack.logs,
            )
        wait_for(
            lambda: history_months(base_url) > 0,
            seconds=900,
            what="the text month-end history on the frontier",
            logs=stack.logs,
        )
        rows, mode, frontier = seen_in_chromium(base_url)
        assert rows == len(board(base_url, "text")["ratings"]) > 0
        assert mode == "asof" and "manage.py" not in frontier
        before = board(base_url, "text")["n_votes"]

        # An import later: its board comes from the catch-up it sends, still without beat.
        votes = tmp_path / "votes.csv"
        votes.write_text("model_a,model_b,winner\n" + "gpt-4-0613,claude-2.1,model_a\n" * 30)
        run_once(
            [
                sys.executable, "manage.py", "import_votes", str(votes), "--format", "csv",
                "--modality", "text", "--source", "later",
            ],
            stack.env,
        )  # fmt: skip
        wait_for(
            lambda: board(base_url, "text")["n_votes"] == before + 30,
            seconds=900,
            what="the board of the imported votes",
            logs=stack.logs,
        )
        assert "beat" not in stack.processes
    finally:
        stack.stop()
