"""Seconds from ``make run`` to the first boards, as a newcomer meets them.

    python -m bench.first_board [--port 8000] [--checkout DIR] [--limit 1200]

Runs ``make run`` in a clean copy of this repository (or in ``--checkout``, for example an
older commit's files, to compare), with the embedded defaults (SQLite, filesystem broker),
and polls the API once a second. It prints the seconds from the start of ``make run`` to:
the stack announcing its URL; a non-empty ``/api/v1/leaderboards/<modality>/`` for each
modality; and the text frontier in as-of mode with months read from month-end snapshots.
The reference in the same run is the time to the announcement: what is left after it is
the wait the product adds. Stops the stack with Ctrl-C (SIGINT) at the end or at ``--limit``
seconds. The load average is printed beside the figures: they depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.stack.make_run import clean_copy, newcomer_environment, press_ctrl_c, start_make_run

MODALITIES = ("text", "image", "video")


def get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None


def board_ready(base: str, modality: str) -> bool:
    body = get_json(f"{base}/api/v1/leaderboards/{modality}/")
    return bool(body and body.get("ratings"))


def history_ready(base: str) -> bool:
    body = get_json(f"{base}/api/v1/frontier/?modality=text&mode=asof")
    return bool(body and any(row.get("scale") is not None for row in body.get("rows", [])))


def measure(checkout: Path, port: int, limit: float) -> dict[str, float | None]:
    env = newcomer_environment()
    # Installing the virtualenv is not what is measured: do it first.
    subprocess.run(["make", "install"], cwd=checkout, env=env, check=True, capture_output=True)
    log = checkout / "make-run.log"
    started = time.monotonic()
    process = start_make_run(checkout, port, log, env)
    base = f"http://127.0.0.1:{port}"
    checks = {"stack announced": lambda: "Arena is running at" in log.read_text()}
    checks |= {f"{m} board": (lambda m=m: board_ready(base, m)) for m in MODALITIES}
    checks |= {"text month-end history": lambda: history_ready(base)}
    seen: dict[str, float | None] = dict.fromkeys(checks)
    try:
        while None in seen.values() and time.monotonic() - started < limit:
            if process.poll() is not None:
                raise SystemExit(f"make run exited {process.returncode}; see {log}")
            for name, check in checks.items():
                if seen[name] is None and check():
                    seen[name] = time.monotonic() - started
                    print(f"  {name:<24} {seen[name]:7.1f} s", flush=True)
            time.sleep(1)
    finally:
        press_ctrl_c(process, timeout=120)
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--checkout", type=Path, help="Run make run here instead of a copy.")
    parser.add_argument("--limit", type=float, default=1200, help="Give up after this (s).")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arena-first-board-") as scratch:
        checkout = options.checkout
        if checkout is None:
            checkout = Path(scratch) / "arena"
            clean_copy(checkout)
        print(f"make run in {checkout}, load average {os.getloadavg()[0]:.1f}", flush=True)
        seen = measure(checkout, options.port, options.limit)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    announced = seen["stack announced"]
    for name, seconds in seen.items():
        after = "" if seconds is None or announced is None else f"  ({seconds - announced:+.1f} s)"
        shown = "not within the limit" if seconds is None else f"{seconds:.1f} s"
        print(f"{name:<24} {shown}{after}")


if __name__ == "__main__":
    main()
