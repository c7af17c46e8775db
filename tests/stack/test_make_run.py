"""`make run` from a clean copy of the repository, as a newcomer would run it: it makes its
own virtualenv, migrates SQLite, loads the demo and starts web + worker + beat; Ctrl-C (SIGINT
to the foreground process group) stops everything."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.stack.conftest import free_port, get, healthz, wait_for

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.stack, pytest.mark.slow]


def clean_copy(target: Path) -> set[str]:
    """The files git would check out (tracked, plus new files not ignored): no .venv, no var/."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    copied = set()
    for name in filter(None, listed.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
            copied.add(name)
    return copied


def processes_running_in(directory: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")).is_relative_to(directory):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_make_run_starts_the_product_and_ctrl_c_stops_it(tmp_path):
    if shutil.which("make") is None:
        pytest.fail("make is not installed")
    checkout = tmp_path / "arena"
    copied = clean_copy(checkout)
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DJANGO_SETTINGS_MODULE",
            "VIRTUAL_ENV",
            "ARENA_VAR_DIR",
            "MEDIA_ROOT",
            "STATIC_ROOT",
        }
    }
    env |= {"ARENA_HEARTBEAT_SECONDS": "1"}
    log = tmp_path / "make-run.log"
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=checkout,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: "Arena is running at" in log.read_text(),
            seconds=600,
            what="make run to announce its URL",
            logs=[log],
        )
        report = wait_for(
            lambda: (r := healthz(base_url)) and r["workers"] and r,
            seconds=60,
            what="a worker heartbeat",
            logs=[log],
        )
        assert report["http_status"] == 200
        assert report["checks"]["broker"]["detail"] == "filesystem"
        status, _, body = get(f"{base_url}/")
        assert status == 200 and b"Compare AI models" in body and b"demo" in body
        assert f"http://localhost:{port}/" in log.read_text()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does in a terminal
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    output = log.read_text()
    assert "Stopped web, workers and beat." in output, output[-3000:]
    time.sleep(0.5)
    assert processes_running_in(checkout) == [], "a process outlived Ctrl-C"
    assert (checkout / ".venv" / "bin" / "python").exists()
    assert (checkout / "var" / "arena.sqlite3").exists()
    # Everything the product wrote lives in .venv/ and var/ (both ignored by git).
    written = {
        str(path.relative_to(checkout))
        for path in checkout.rglob("*")
        if path.is_file()
        and path.relative_to(checkout).parts[0] not in {".venv", "var"}
        and "__pycache__" not in path.parts
        and not any(part.endswith(".egg-info") for part in path.parts)
    }
    assert written == copied, f"stray files: {sorted(written - copied)}"
