"""The settings modules, each loaded in a fresh interpreter with a controlled environment."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": STRONG_KEY,
    "DATABASE_URL": "postgres://arena@127.0.0.1:5432/arena",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "arena.example.org",
}
_CLEARED = (
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "ARENA_S3_BUCKET",
    "ARENA_S3_REGION",
    "ARENA_S3_ENDPOINT_URL",
    "ARENA_S3_ACCESS_KEY_ID",
    "ARENA_S3_SECRET_ACCESS_KEY",
)


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment |= {"ARENA_VAR_DIR": str(tmp_path / "var")} | env
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def show(setting: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    code = f"from django.conf import settings; print(repr(settings.{setting}))"
    return run(["-c", f"import django; django.setup(); {code}"], env, tmp_path)


def test_check_deploy_reports_no_issue_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_needs_no_variable_and_keeps_its_key(tmp_path):
    first = show("SECRET_KEY", {"DJANGO_SETTINGS_MODULE": "config.settings.base"}, tmp_path)
    again = show("SECRET_KEY", {"DJANGO_SETTINGS_MODULE": "config.settings.base"}, tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout == again.stdout and len(first.stdout.strip()) > 50
    assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0


def test_the_embedded_default_uses_sqlite_and_a_filesystem_broker(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base"}
    assert "sqlite3" in show("DATABASES['default']['ENGINE']", env, tmp_path).stdout
    assert show("CELERY_BROKER_URL", env, tmp_path).stdout.strip() == "'filesystem://'"


def test_redis_url_switches_the_broker_and_the_cache_to_redis(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "REDIS_URL": "redis://r:6379/2"}
    assert show("CELERY_BROKER_URL", env, tmp_path).stdout.strip() == "'redis://r:6379/2'"
    assert "RedisCache" in show("CACHES['default']['BACKEND']", env, tmp_path).stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY is too weak"),
        ({"DATABASE_URL": ""}, "DATABASE_URL must be set"),
        ({"DATABASE_URL": "sqlite:///x.db"}, "DATABASE_URL must point to PostgreSQL"),
        ({"REDIS_URL": ""}, "REDIS_URL must be set in production"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"CONN_MAX_AGE": "forever"}, "CONN_MAX_AGE='forever' is not an integer"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL='LOUD' is not a level"),
    ],
)
def test_production_refuses_a_bad_environment_with_a_precise_message(tmp_path, change, message):
    result = show("DEBUG", PRODUCTION_ENV | change, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_upload_limits_come_from_the_environment_and_refuse_nonsense(tmp_path):
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "ARENA_MAX_VIDEO_BYTES": "1000"}
    assert show("ARENA_MEDIA_LIMITS", env, tmp_path).stdout.strip() == "{'max_video_bytes': 1000}"
    bad = show("ARENA_MEDIA_LIMITS", env | {"ARENA_MAX_VIDEO_BYTES": "0"}, tmp_path)
    assert "ARENA_MAX_VIDEO_BYTES=0 is below the minimum 1" in bad.stderr


def test_server_side_cursors_can_be_turned_off_for_pgbouncers_transaction_mode(tmp_path):
    setting = "DATABASES['default']['DISABLE_SERVER_SIDE_CURSORS']"
    assert show(setting, PRODUCTION_ENV, tmp_path).stdout.strip() == "False"
    env = PRODUCTION_ENV | {"DATABASE_DISABLE_SERVER_SIDE_CURSORS": "true"}
    assert show(setting, env, tmp_path).stdout.strip() == "True"


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_carry_them(tmp_path):
    setting = "DATABASES['default']['OPTIONS']"
    options = show(setting, PRODUCTION_ENV, tmp_path).stdout.strip()
    assert options == "{'server_side_binding': True, 'prepare_threshold': 5}"
    env = PRODUCTION_ENV | {"DATABASE_PREPARED_STATEMENTS": "false"}
    options = show(setting, env, tmp_path).stdout.strip()
    assert options == "{'server_side_binding': True, 'prepare_threshold': None}"


def test_postgresql_is_served_by_the_backend_whose_health_check_asks_the_socket(tmp_path):
    engine = show("DATABASES['default']['ENGINE']", PRODUCTION_ENV, tmp_path).stdout.strip()
    assert engine == "'config.postgresql'"
