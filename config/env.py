"""Typed readers for settings that come from environment variables.

Every reader fails loudly: a value that cannot be parsed raises ``ImproperlyConfigured``
naming the variable and what it accepts, instead of silently falling back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_UNSET = object()


def _raw(name: str, environ: Mapping[str, str] | None) -> str | None:
    value = (os.environ if environ is None else environ).get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(name: str, default: Any = _UNSET, *, environ: Mapping[str, str] | None = None) -> str:
    value = _raw(name, environ)
    if value is not None:
        return value
    if default is _UNSET:
        raise ImproperlyConfigured(f"{name} must be set.")
    return default


def env_bool(name: str, default: bool, *, environ: Mapping[str, str] | None = None) -> bool:
    value = _raw(name, environ)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean; use one of {sorted(_TRUE | _FALSE)}."
    )


def env_int(
    name: str,
    default: int,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    value = _raw(name, environ)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not an integer.") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name}={number} is below the minimum {minimum}.")
    if maximum is not None and number > maximum:
        raise ImproperlyConfigured(f"{name}={number} is above the maximum {maximum}.")
    return number


def env_list(
    name: str, default: list[str], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """A comma-separated list; blanks around items are ignored, empty items refused."""
    value = _raw(name, environ)
    if value is None:
        return list(default)
    items = [item.strip() for item in value.split(",")]
    if any(item == "" for item in items):
        raise ImproperlyConfigured(f"{name}={value!r} has an empty item; separate items by commas.")
    return items


#: The project's PostgreSQL backend: Django's, with a health check that asks the socket
#: before it costs a round trip (config/postgresql/base.py). Every postgres:// URL gets it.
POSTGRESQL_ENGINE = "config.postgresql"


def env_database(
    name: str, default: str, *, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A database URL (``postgres://user:pass@host:5432/name``, ``sqlite:///path``)."""
    url = env_str(name, default, environ=environ)
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ImproperlyConfigured(
            f"{name}={url!r} is not a supported database URL; "
            "use postgres://user:password@host:port/name or sqlite:///path/to/file."
        )
    try:
        config = dj_database_url.parse(
            url, engine=None if scheme == "sqlite" else POSTGRESQL_ENGINE
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}={url!r} cannot be parsed: {error}") from None
    if config["ENGINE"] == POSTGRESQL_ENGINE and not config.get("NAME"):
        raise ImproperlyConfigured(f"{name}={url!r} names no database.")
    return config


def env_url(
    name: str,
    default: str | None,
    *,
    schemes: set[str],
    environ: Mapping[str, str] | None = None,
) -> str | None:
    value = _raw(name, environ)
    if value is None:
        return default
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(
            f"{name}={value!r} must be a URL starting with one of "
            f"{', '.join(sorted(s + '://' for s in schemes))}."
        )
    return value


#: The variables of an S3-compatible object store; ``ARENA_S3_BUCKET`` turns it on.
S3_VARIABLES = (
    "ARENA_S3_BUCKET",
    "ARENA_S3_REGION",
    "ARENA_S3_ENDPOINT_URL",
    "ARENA_S3_ACCESS_KEY_ID",
    "ARENA_S3_SECRET_ACCESS_KEY",
)
#: How long one request to the store may wait for a connection and for an answer, and how
#: many times it is tried (botocore's "standard" retries: throttling and 5xx included).
STORE_CONNECT_SECONDS = 5
STORE_READ_SECONDS = 30
STORE_ATTEMPTS = 3


def env_object_storage(*, environ: Mapping[str, str] | None = None) -> dict[str, Any] | None:
    """The ``STORAGES["default"]`` of an S3-compatible object store (django-storages), or
    ``None`` when no ``ARENA_S3_*`` variable is set (files stay under ``MEDIA_ROOT``).

    A bucket needs a region; the endpoint is for stores other than AWS (MinIO, Ceph...);
    the two keys come together or not at all (then boto3 finds credentials itself: an
    instance role, ``AWS_*`` variables). Anything else is refused, naming what is missing.
    """
    values = {name: _raw(name, environ) for name in S3_VARIABLES}
    given = sorted(name for name, value in values.items() if value is not None)
    if not given:
        return None
    missing = [name for name in ("ARENA_S3_BUCKET", "ARENA_S3_REGION") if values[name] is None]
    keys = ("ARENA_S3_ACCESS_KEY_ID", "ARENA_S3_SECRET_ACCESS_KEY")
    if (values[keys[0]] is None) != (values[keys[1]] is None):
        missing += [name for name in keys if values[name] is None]
    if missing:
        raise ImproperlyConfigured(
            f"Object storage is incomplete: {', '.join(given)} set but {', '.join(missing)} "
            "missing (docs/deployment.md, 'Object storage')."
        )
    endpoint = env_url("ARENA_S3_ENDPOINT_URL", None, schemes={"http", "https"}, environ=environ)
    from botocore.config import Config  # 0.3 s to import: only where a store is configured

    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": values["ARENA_S3_BUCKET"],
            "region_name": values["ARENA_S3_REGION"],
            "endpoint_url": endpoint,
            "access_key": values[keys[0]],
            "secret_key": values[keys[1]],
            # Private objects; voters get the bytes through this site (arena.views_media),
            # never a bucket URL.
            "default_acl": None,
            "querystring_auth": True,
            # As on a file system: a name in use gets a suffix rather than being replaced.
            "file_overwrite": False,
            # A store that is down costs a request seconds, not a minute of retries: it
            # then answers 503 (config.errors), as a database outage does.
            "client_config": Config(
                connect_timeout=STORE_CONNECT_SECONDS,
                read_timeout=STORE_READ_SECONDS,
                retries={"mode": "standard", "max_attempts": STORE_ATTEMPTS},
            ),
        },
    }
