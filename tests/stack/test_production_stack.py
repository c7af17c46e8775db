"""The production stack for real: gunicorn, a Celery worker, the housekeeper and Celery beat,
the commands of docker-compose.yml, against the running PostgreSQL and Redis, on a
throwaway database. Proves that beat schedules through Redis, a worker runs the task and
writes to PostgreSQL, and /healthz sees it all; then shuts everything down cleanly."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.compose import load_compose, operator_environment
from tests.stack.conftest import (
    ROOT,
    free_port,
    get,
    healthz,
    production_env,
    stop,
    wait_for,
)

pytestmark = [pytest.mark.stack, pytest.mark.slow]

# The file as an operator who followed the README gets it, ALLOWED_HOSTS included.
COMPOSE = load_compose(operator_environment())
ALLOWED_HOSTS = COMPOSE["services"]["web"]["environment"]["ALLOWED_HOSTS"]
HOST = ALLOWED_HOSTS.split(",")[0]


def compose_command(service: str) -> list[str]:
    return list(COMPOSE["services"][service]["command"])


def health_check(service: str) -> list[str]:
    """The container health check as argv: `CMD` runs it directly, `CMD-SHELL` via sh."""
    kind, *argv = COMPOSE["services"][service]["healthcheck"]["test"]
    return argv if kind == "CMD" else ["sh", "-c", *argv]


def test_gunicorn_worker_and_beat_serve_on_postgres_and_redis(
    tmp_path, throwaway_database, isolated_redis
):
    redis_url, queue = isolated_redis
    port = free_port()
    env = production_env(
        tmp_path,
        throwaway_database,
        redis_url,
        queue,
        ARENA_HEARTBEAT_SECONDS="1",
        ALLOWED_HOSTS=ALLOWED_HOSTS,
        HOSTNAME=socket.gethostname(),  # what a container's shell has; the worker check uses it
    )

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
    for name, argv in (
        ("web", web),
        ("worker", compose_command("worker")),
        ("housekeeper", compose_command("housekeeper")),
        ("beat", beat),
    ):
        log = tmp_path / f"{name}.log"
        logs.append(log)
        processes.append(
            subprocess.Popen(
                argv, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
            )
        )
    base_url = f"http://127.0.0.1:{port}"
    as_operator = {"Host": HOST}
    try:
        report = wait_for(
            lambda: (r := healthz(base_url, as_operator)) and r["workers"] and r,
            seconds=90,
            what="a worker heartbeat in /healthz",
            logs=logs,
        )
        assert report["http_status"] == 200 and report["status"] == "ok"
        assert report["checks"]["database"]["detail"] == "postgresql"
        assert report["checks"]["broker"]["detail"] == "redis"
        assert report["workers"][0]["hostname"].startswith("housekeeper@")

        # The compose file's own health checks pass against these processes.
        web_check = [part.replace(":8000/", f":{port}/") for part in health_check("web")]
        for argv in (web_check, health_check("worker"), health_check("housekeeper")):
            result = subprocess.run(
                argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
            )
            assert result.returncode == 0, result.stdout + result.stderr

        # Hosts that are not allowed get 400, whatever the path.
        assert get(f"{base_url}/healthz", {"Host": "intruder.example"})[0] == 400

        # Production redirects plain HTTP, and serves the page behind a TLS proxy.
        status, headers, _ = get(f"{base_url}/", as_operator)
        assert status == 301 and headers["Location"].startswith(f"https://{HOST}/")
        behind_tls = as_operator | {"X-Forwarded-Proto": "https"}
        status, headers, body = get(f"{base_url}/", behind_tls)
        assert status == 200 and b"Compare AI models" in body
        assert "max-age=31536000" in headers["Strict-Transport-Security"]
        status, _, _ = get(f"{base_url}/static/css/app.css", behind_tls)
        assert status == 200, "gunicorn must serve collected static files (whitenoise)"
    finally:
        codes = stop(processes)
    logs_text = {log.stem: log.read_text() for log in logs}
    assert codes == [0, 0, 0, 0], logs_text
    assert "Traceback" not in logs_text["worker"] + logs_text["housekeeper"] + logs_text["beat"]
