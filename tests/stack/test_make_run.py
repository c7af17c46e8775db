"""`make run` from a clean copy of the repository, as a newcomer would run it: it makes its
own virtualenv, migrates SQLite, loads the demo and starts web + worker + beat; Ctrl-C (SIGINT
to the foreground process group) stops everything."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from tests.stack.conftest import free_port, get, healthz, wait_for
from tests.stack.make_run import clean_copy, newcomer_environment, press_ctrl_c, start_make_run

pytestmark = [pytest.mark.stack, pytest.mark.slow]


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
    log = tmp_path / "make-run.log"
    process = start_make_run(checkout, port, log, newcomer_environment(ARENA_HEARTBEAT_SECONDS="1"))
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
        press_ctrl_c(process)
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
