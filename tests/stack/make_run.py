"""``make run`` in a clean copy of the repository, as a newcomer starts it: the copy makes
its own virtualenv and ``var/``, with the embedded defaults (SQLite, filesystem broker).
Shared by tests/stack/test_make_run.py and bench/first_board.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
#: This process's variables that would point the copy at this machine's servers, at another
#: virtualenv or at another ``var/``.
FOREIGN = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
FOREIGN |= {"VIRTUAL_ENV", "ARENA_VAR_DIR", "MEDIA_ROOT", "STATIC_ROOT"}


def clean_copy(target: Path) -> set[str]:
    """Copy the files git would check out (tracked, plus new files not ignored: no .venv,
    no var/) to ``target``; returns their names."""
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


def newcomer_environment(**extra: str) -> dict[str, str]:
    """This process's environment without ``FOREIGN``, plus ``extra``."""
    return {k: v for k, v in os.environ.items() if k not in FOREIGN} | extra


def start_make_run(checkout: Path, port: int, log: Path, env: dict[str, str]) -> subprocess.Popen:
    """``make run PORT=port`` in ``checkout``, its output in ``log``, in a process group of
    its own (what a terminal's foreground job is)."""
    return subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=checkout,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def press_ctrl_c(process: subprocess.Popen, timeout: float = 60) -> None:
    """SIGINT to the whole group, as Ctrl-C in the terminal; SIGKILL and
    ``subprocess.TimeoutExpired`` if it has not stopped within ``timeout`` seconds."""
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
