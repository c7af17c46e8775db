"""Our PostgreSQL backend (config/postgresql/base.py): a dropped connection is still
replaced before a request uses it, without a round trip for a healthy one; statements a
connection runs again and again are prepared on the server."""

from __future__ import annotations

import psycopg
import pytest
from django.db import close_old_connections, connection

from tests.support import POSTGRES_ADMIN_URL

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _terminate(pid: int) -> None:
    """As a server restart or an administrator does; returns once the backend is gone."""
    admin = POSTGRES_ADMIN_URL.replace("postgres://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s, 10000)", [pid]).fetchone()[0]


def test_a_connection_the_server_dropped_is_replaced_before_the_next_request_uses_it():
    dropped = _backend_pid()
    _terminate(dropped)
    close_old_connections()  # what every request and every task starts with
    assert _backend_pid() != dropped  # and no error


def test_a_healthy_connection_is_reused_without_asking_the_server(monkeypatch):
    before = _backend_pid()
    asked = []
    monkeypatch.setattr(connection, "is_usable", lambda: asked.append(1) or True)
    close_old_connections()
    assert _backend_pid() == before
    assert asked == []


def test_a_statement_run_again_and_again_is_prepared_on_the_server():
    for _ in range(6):
        _backend_pid()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert "SELECT pg_backend_pid()" in prepared
