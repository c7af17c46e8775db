"""Test support: where the real PostgreSQL and Redis are, and what to do when one is missing.

Outside CI a missing server skips the tests that need it, saying why. With ``CI`` set it
fails them: CI must never pass by skipping the integration tests.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection(
            (parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def missing(what: str) -> None:
    """Fail in CI, skip elsewhere."""
    message = f"{what} is not reachable"
    if IN_CI:
        pytest.fail(f"{message}, and CI must run every integration test", pytrace=False)
    pytest.skip(f"{message} (start it to run this test; in CI this fails)")


def require_postgres() -> str:
    if not reachable(POSTGRES_ADMIN_URL, 5432):
        missing(f"PostgreSQL at {POSTGRES_ADMIN_URL}")
    return POSTGRES_ADMIN_URL


def require_redis() -> str:
    if not reachable(REDIS_TEST_URL, 6379):
        missing(f"Redis at {REDIS_TEST_URL}")
    return REDIS_TEST_URL


SHARED_DATA = Path(
    os.environ.get("ARENA_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


def shared_data(relative: str) -> Path:
    """A file of ../shared/data (or of ARENA_SHARED_DATA), or skip (fail in CI) when absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        missing(f"the shared data file {path}")
    return path


def migrate_to(targets: list[tuple[str, str]]) -> StateApps:
    """Migrate the test database to ``targets`` and return the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    """Back to the newest migration of every app, as the other tests expect."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


class LocalS3:
    """An S3-compatible server on a free local port: moto's server mode (``moto[server]``,
    a dev dependency), in a thread of the test process, so processes the test starts reach
    it over HTTP as they would reach MinIO or AWS. Any key pair is accepted."""

    REGION = "us-east-1"

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=self.REGION,
            aws_access_key_id="arena-test",
            aws_secret_access_key="arena-test-secret",
        )

    def new_bucket(self) -> str:
        bucket = f"arena-test-{secrets.token_hex(6)}"
        self.client().create_bucket(Bucket=bucket)
        return bucket

    def environment(self, bucket: str) -> dict[str, str]:
        """The ``ARENA_S3_*`` variables of a deployment using ``bucket`` here."""
        return {
            "ARENA_S3_BUCKET": bucket,
            "ARENA_S3_REGION": self.REGION,
            "ARENA_S3_ENDPOINT_URL": self.endpoint,
            "ARENA_S3_ACCESS_KEY_ID": "arena-test",
            "ARENA_S3_SECRET_ACCESS_KEY": "arena-test-secret",
        }

    def keys(self, bucket: str, prefix: str = "") -> set[str]:
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        )
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def stop(self) -> None:
        self._server.stop()
