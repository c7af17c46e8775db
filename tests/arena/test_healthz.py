from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from arena.models import WorkerHeartbeat

ROOT = Path(__file__).resolve().parent.parent.parent

pytestmark = pytest.mark.django_db


def test_it_reports_ok_when_database_and_broker_answer(client, tmp_path, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert response["Cache-Control"].startswith("max-age=0")


def test_it_lists_workers_by_their_last_heartbeat(client):
    WorkerHeartbeat.objects.create(hostname="worker@box", seen_at=timezone.now())
    workers = client.get("/healthz").json()["workers"]
    assert [w["hostname"] for w in workers] == ["worker@box"]
    assert workers[0]["age_seconds"] < 60


def test_the_heartbeat_task_records_the_worker():
    from arena.tasks import worker_heartbeat_task

    worker_heartbeat_task.delay()
    assert WorkerHeartbeat.objects.count() == 1


def _healthz_in_subprocess(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code); print(r.content.decode())"
    )
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    }
    environment |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "ARENA_VAR_DIR": str(tmp_path),
        "ALLOWED_HOSTS": "testserver",
    } | env
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_answers_503_when_the_broker_is_unreachable(tmp_path):
    # Port 9 (discard) is closed on loopback: a real refused connection, not a mock.
    result = _healthz_in_subprocess({"CELERY_BROKER_URL": "redis://127.0.0.1:9/0"}, tmp_path)
    status, body = result.stdout.split("\n", 1)
    assert status == "503", result.stderr
    assert '"broker": {"ok": false' in body and '"database": {"ok": true' in body


def test_it_answers_503_when_the_database_is_unreachable(tmp_path):
    result = _healthz_in_subprocess(
        {"DATABASE_URL": "postgres://nobody@127.0.0.1:9/none"}, tmp_path
    )
    status, body = result.stdout.split("\n", 1)
    assert status == "503", result.stderr
    assert '"database": {"ok": false' in body and '"broker": {"ok": true' in body
    assert '"workers": []' in body


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        (["arena.example.org", "www.example.org"], "arena.example.org"),
        ([".example.org"], "example.org"),  # a subdomain wildcard also accepts the domain
        (["*"], "localhost"),
    ],
)
def test_the_container_probe_asks_as_an_allowed_host(allowed, host):
    from arena.health import probe_host

    assert probe_host(allowed) == host


def test_the_health_check_command_fails_in_one_line_when_nothing_answers():
    from django.core.management import CommandError, call_command

    from tests.stack.conftest import free_port

    with pytest.raises(CommandError, match=r"^http://127\.0\.0\.1:\d+/healthz did not answer"):
        call_command("healthcheck", url=f"http://127.0.0.1:{free_port()}/healthz")
