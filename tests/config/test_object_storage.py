"""Object storage chosen by the environment (``ARENA_S3_*``), refused when incomplete."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_object_storage
from tests.config.test_settings import PRODUCTION_ENV, show

COMPLETE = {
    "ARENA_S3_BUCKET": "arena-media",
    "ARENA_S3_REGION": "eu-west-1",
    "ARENA_S3_ENDPOINT_URL": "http://minio:9000",
    "ARENA_S3_ACCESS_KEY_ID": "key-id",
    "ARENA_S3_SECRET_ACCESS_KEY": "secret",
}


def test_without_any_variable_files_stay_on_the_file_system():
    assert env_object_storage(environ={}) is None


def test_a_complete_configuration_names_the_s3_backend_and_its_options():
    storage = env_object_storage(environ=COMPLETE)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "arena-media" and options["region_name"] == "eu-west-1"
    assert options["endpoint_url"] == "http://minio:9000"
    assert (options["access_key"], options["secret_key"]) == ("key-id", "secret")
    assert options["default_acl"] is None  # private objects
    # A store that is down answers within seconds (then 503), not after a minute of retries.
    client = options["client_config"]
    assert (client.connect_timeout, client.read_timeout) == (5, 30)
    assert client.retries == {"mode": "standard", "max_attempts": 3}


def test_credentials_may_come_from_boto3s_own_chain():
    environ = {"ARENA_S3_BUCKET": "arena-media", "ARENA_S3_REGION": "eu-west-1"}
    options = env_object_storage(environ=environ)["OPTIONS"]
    assert options["access_key"] is None and options["endpoint_url"] is None


@pytest.mark.parametrize(
    ("removed", "missing"),
    [
        ("ARENA_S3_BUCKET", "ARENA_S3_BUCKET missing"),
        ("ARENA_S3_REGION", "ARENA_S3_REGION missing"),
        ("ARENA_S3_ACCESS_KEY_ID", "ARENA_S3_ACCESS_KEY_ID missing"),
        ("ARENA_S3_SECRET_ACCESS_KEY", "ARENA_S3_SECRET_ACCESS_KEY missing"),
    ],
)
def test_an_incomplete_configuration_is_refused_naming_what_is_missing(removed, missing):
    environ = {name: value for name, value in COMPLETE.items() if name != removed}
    with pytest.raises(ImproperlyConfigured) as refused:
        env_object_storage(environ=environ)
    assert missing in str(refused.value) and "\n" not in str(refused.value)


def test_an_endpoint_that_is_not_a_url_is_refused():
    with pytest.raises(ImproperlyConfigured, match="ARENA_S3_ENDPOINT_URL='minio:9000'"):
        env_object_storage(environ=COMPLETE | {"ARENA_S3_ENDPOINT_URL": "minio:9000"})


def test_production_settings_refuse_an_incomplete_store_in_one_line(tmp_path):
    result = show("STORAGES", PRODUCTION_ENV | {"ARENA_S3_BUCKET": "arena-media"}, tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert "ARENA_S3_BUCKET set but ARENA_S3_REGION missing" in last


def test_production_settings_use_the_store_when_complete(tmp_path):
    result = show("STORAGES['default']['BACKEND']", PRODUCTION_ENV | COMPLETE, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'storages.backends.s3.S3Storage'"


def test_a_sendfile_hand_off_is_refused_with_an_object_store(tmp_path):
    env = PRODUCTION_ENV | COMPLETE | {"ARENA_MEDIA_SENDFILE": "x-accel-redirect"}
    result = show("STORAGES", env, tmp_path)
    assert result.returncode != 0
    assert "leave it empty with ARENA_S3_BUCKET" in result.stderr
