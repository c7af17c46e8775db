"""The production stack for real: gunicorn, a Celery worker and Celery beat, started with
the commands of docker-compose.yml, against the running PostgreSQL and Redis, on a
throwaway database. Proves that beat schedules through Redis, a worker runs the task and
writes to PostgreSQL, and /healthz sees it all; then shuts everything down cleanly."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis
import yaml

from tests.services import require_postgres, require_redis
from tests.stack.conftest import free_port, get, healthz, stop, wait_for

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = [pytest.mark.stack, pytest.mark.slow]


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


def compose_command(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return list(compose["services"][service]["command"])


def test_gunicorn_worker_and_beat_serve_on_postgres_and_redis(
    tmp_path, throwaway_database, isolated_redis
):
    redis_url, queue = isolated_redis
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": throwaway_database,
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": queue,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "ARENA_VAR_DIR": str(tmp_path / "var"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "ARENA_HEARTBEAT_SECONDS": "1",
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }

    def run_once(argv: list[str]) -> None:
        result = subprocess.run(
            argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr

    run_once(compose_command("migrate"))
    run_once([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"])
    run_once([sys.executable, "manage.py", "seed_demo", "--votes-per-month", "20"])

    web = [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in compose_command("web")]
    beat = [part.replace("/app/var/", f"{tmp_path}/") for part in compose_command("beat")]
    logs, processes = [], []
    for name, argv in (("web", web), ("worker", compose_command("worker")), ("beat", beat)):
        log = tmp_path / f"{name}.log"
        logs.append(log)
        processes.append(
            subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
            )
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        report = wait_for(
            lambda: (r := healthz(base_url)) and r["workers"] and r,
            seconds=90,
            what="a worker heartbeat in /healthz",
            logs=logs,
        )
        assert report["http_status"] == 200 and report["status"] == "ok"
        assert report["checks"]["database"]["detail"] == "postgresql"
        assert report["checks"]["broker"]["detail"] == "redis"
        assert report["workers"][0]["hostname"].startswith("worker@")

        # Production redirects plain HTTP, and serves the page behind a TLS proxy.
        status, headers, _ = get(f"{base_url}/")
        assert status == 301 and headers["Location"].startswith("https://")
        status, headers, body = get(f"{base_url}/", {"X-Forwarded-Proto": "https"})
        assert status == 200 and b"Compare AI models" in body
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        status, _, _ = get(f"{base_url}/static/css/app.css", {"X-Forwarded-Proto": "https"})
        assert status == 200, "gunicorn must serve collected static files (whitenoise)"
    finally:
        codes = stop(processes)
    logs_text = {log.stem: log.read_text() for log in logs}
    assert codes == [0, 0, 0], logs_text
    assert "Traceback" not in logs_text["worker"] + logs_text["beat"], logs_text
