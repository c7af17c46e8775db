"""Screenshots of every public page, on a desktop and on a phone, before and after a vote.

    .venv/bin/python -m scripts.gallery [--port 8001] [--out docs] [--board-wait 120]

Starts the whole stack as `make run` does (web, workers, beat) on a throwaway database in a
temporary folder, loads the demo, waits until the workers have made the boards, then drives
Debian's chromium with Playwright at 1366x900 and 390x844 (and the desktop in dark mode) and
writes ``docs/img/*.png`` and ``docs/gallery.md``. The PNGs are quantised to 256 colours so
the repository stays small. Needs the dev install (`make install-dev`) and chromium.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from tests.browser.screens import CHROMIUM
from tests.browser.screens import SCREENS as BROWSER_SCREENS

ROOT = Path(__file__).resolve().parent.parent
MODALITIES = ("text", "image", "video")
#: The tests' screens (the phone at 1x, to keep the pictures small) and the desktop in dark mode.
SCREENS = {
    **BROWSER_SCREENS,
    "phone": BROWSER_SCREENS["phone"] | {"device_scale_factor": 1},
    "desktop-dark": BROWSER_SCREENS["desktop"] | {"color_scheme": "dark"},
}


@dataclass
class Shot:
    name: str
    title: str
    path: str


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def wait_until(what: str, ready, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        time.sleep(1)
    print(f"gallery: {what} not ready after {timeout:.0f} s", file=sys.stderr)
    return False


def boards(base: str, env: dict[str, str], wait: float) -> None:
    """Waits for the workers' first snapshot of each modality; makes any still missing
    after ``wait`` seconds with ``fit_ratings``, so the gallery never shows empty boards."""

    def missing() -> list[str]:
        return [m for m in MODALITIES if get(f"{base}/api/v1/leaderboards/{m}/")[0] != 200]

    wait_until("the boards", lambda: not missing(), wait)
    for modality in missing():
        print(f"gallery: computing the {modality} board with fit_ratings", file=sys.stderr)
        manage(env, "fit_ratings", "--modality", modality, "--rounds", "200")


def page_paths(base: str) -> list[tuple[str, str, str]]:
    """(name, title, path) of every public page of the demo."""
    _, body = get(f"{base}/api/v1/leaderboards/text/")
    board = json.loads(body or b"{}")
    rows = board.get("ratings") or []
    model_key = rows[0]["model"] if rows else "deepseek-r1"
    _, body = get(f"{base}/api/v1/snapshots/")
    listing = json.loads(body or b"{}")
    snapshots = listing.get("results", listing) if isinstance(listing, dict) else listing
    pages = [
        ("home", "Home", "/"),
        ("leaderboard", "Leaderboard (text)", "/leaderboard/"),
        ("leaderboard-image", "Leaderboard (image)", "/leaderboard/image/"),
        ("model", "Model page", f"/leaderboard/text/models/{model_key}/"),
        ("frontier", "Frontier", "/frontier/"),
        ("frontier-summary", "Frontier summary", "/frontier/summary/"),
        ("api-docs", "API docs", "/api/docs/"),
        ("status", "Status", "/healthz"),
        ("not-found", "Page not found", "/leaderboard/text/models/no-such-model/"),
    ]
    if snapshots:
        pages.insert(
            4,
            (
                "how-made",
                "How a board was made",
                f"/leaderboard/snapshots/{snapshots[0]['id']}/how-made/",
            ),
        )
    return pages


def save(page, out: Path, name: str) -> str:
    path = out / f"{name}.png"
    # Not halfway through a transition (a pressed button fading in).
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    page.screenshot(path=str(path))
    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
            path, optimize=True
        )
    return f"img/{name}.png"


def shoot(base: str, out: Path) -> list[Shot]:
    from playwright.sync_api import sync_playwright

    shots: list[Shot] = []
    pages = page_paths(base)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for screen, options in SCREENS.items():
            context = browser.new_context(**options)
            page = context.new_page()
            page.set_default_timeout(30_000)
            for modality in MODALITIES if screen != "desktop-dark" else ("text", "image"):
                page.goto(f"{base}/arena/{modality}/")
                page.wait_for_load_state("networkidle")
                name = f"{screen}-arena-{modality}"
                shots.append(
                    Shot(name, f"{modality.title()} arena, before the vote", save(page, out, name))
                )
                page.locator('[data-choice="a"]').click()
                page.locator("[data-next]").wait_for(state="visible")
                name = f"{screen}-arena-{modality}-voted"
                shots.append(
                    Shot(name, f"{modality.title()} arena, after the vote", save(page, out, name))
                )
                if modality == "image" and screen != "desktop-dark":
                    page.locator('[data-zoom-side="b"]').click()
                    page.wait_for_function(
                        "() => document.querySelector('[data-zoom-image]').style.width !== ''"
                    )
                    name = f"{screen}-zoom"
                    shots.append(Shot(name, "Image zoom", save(page, out, name)))
                    page.keyboard.press("Escape")
            for slug, title, path in pages if screen != "desktop-dark" else pages[:1]:
                page.goto(f"{base}{path}")
                page.wait_for_load_state("networkidle")
                name = f"{screen}-{slug}"
                shots.append(Shot(name, title, save(page, out, name)))
            context.close()
        browser.close()
    return shots


def write_index(shots: list[Shot], out: Path) -> None:
    by_title: dict[str, dict[str, str]] = {}
    for shot in shots:
        screen = next(
            s for s in sorted(SCREENS, key=len, reverse=True) if shot.name.startswith(s + "-")
        )
        by_title.setdefault(shot.title, {})[screen] = shot.path
    lines = [
        "# Gallery",
        "",
        "Every public page on a desktop (1366x900) and a phone (390x844), the arenas before",
        "and after a vote, and the desktop in dark mode: the first screen a visitor sees, with",
        "the demo data. Made by `scripts/gallery.py` (see the README); rerun it after changing",
        "a page.",
        "",
        "| page | desktop | phone | desktop, dark |",
        "|---|---|---|---|",
    ]
    for title, images in by_title.items():
        cells = [
            f"![{title}, {s}]({images[s]})" if s in images else ""
            for s in ("desktop", "phone", "desktop-dark")
        ]
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    (out / "gallery.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument(
        "--board-wait", type=float, default=120, help="seconds to wait for the workers' boards"
    )
    args = parser.parse_args()
    (args.out / "img").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="arena-gallery-") as var:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env |= {"ARENA_VAR_DIR": var, "DJANGO_SETTINGS_MODULE": "config.settings.base"}
        manage(env, "migrate", "--noinput", "--verbosity", "0")
        manage(env, "collectstatic", "--noinput", "--verbosity", "0")
        manage(env, "seed_demo", "--if-empty")
        # The stack's own output would drown the script's: it goes to a file, shown on failure.
        stack_log = open(Path(var) / "stack.log", "wb")  # noqa: SIM115 (closed below)
        stack = subprocess.Popen(
            [sys.executable, "manage.py", "runstack", "--port", str(args.port)],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=stack_log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{args.port}"
        try:
            if not wait_until(
                "the web server", lambda: get(f"{base}/healthz")[0] in {200, 503}, 120
            ):
                raise SystemExit("gallery: the web server did not start")
            boards(base, env, args.board_wait)
            shots = shoot(base, args.out / "img")
        except BaseException:
            stack_log.flush()
            print((Path(var) / "stack.log").read_text()[-4000:], file=sys.stderr)
            raise
        finally:
            os.killpg(stack.pid, signal.SIGTERM)
            stack.wait(timeout=60)
            stack_log.close()
    write_index(shots, args.out)
    print(
        f"gallery: {len(shots)} screenshots in {args.out / 'img'}, index {args.out / 'gallery.md'}"
    )


if __name__ == "__main__":
    main()
