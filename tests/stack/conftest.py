"""Helpers for tests that start real processes."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
import redis

from tests.support import require_postgres, require_redis

ROOT = Path(__file__).resolve().parent.parent.parent


def production_env(
    tmp_path: Path, database_url: str, redis_url: str, queue: str, **extra: str
) -> dict[str, str]:
    """The environment of the production settings, on throwaway resources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CELERY_QUEUE": queue,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "ARENA_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        }
        | extra
    )


def run_once(argv: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET without following redirects: (status, headers, body), also for 3xx-5xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(
    condition: Callable[[], object], *, seconds: float, what: str, logs: list[Path] = ()
) -> object:
    deadline = time.monotonic() + seconds
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = condition()
            if result:
                return result
        except OSError as error:
            last_error = error
        time.sleep(0.5)
    tails = "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in logs if log.exists())
    raise AssertionError(f"timed out waiting for {what} (last error: {last_error})\n{tails}")


def healthz(base_url: str, headers: dict[str, str] | None = None) -> dict | None:
    status, _, body = get(f"{base_url}/healthz", headers)
    return json.loads(body) | {"http_status": status}


def stop(processes: list[subprocess.Popen], *, seconds: float = 30) -> list[int]:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    codes = []
    for process in processes:
        try:
            codes.append(process.wait(timeout=seconds))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(process.wait())
    return codes


@pytest.fixture
def throwaway_database():
    admin_url = require_postgres()
    name = f"arena_stack_{secrets.token_hex(4)}"
    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(
        admin_url.replace("postgres://", "postgresql://"), autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def isolated_redis():
    """A Redis database number and a queue name of our own; our keys go afterwards."""
    base = require_redis()
    number = secrets.randbelow(15) + 1
    queue = f"arena-stack-{secrets.token_hex(4)}"
    yield f"{base}/{number}", queue
    client = redis.Redis.from_url(f"{base}/{number}")
    for key in client.scan_iter(f"*{queue}*"):
        client.delete(key)
