"""docker-compose.yml and the image it builds, checked without a Docker engine (none runs here).

The file is validated against the Compose Specification's own JSON schema (the copy that
check-jsonschema ships, pinned by the dev lock) after the interpolation Docker Compose does;
the stack test (tests/stack/test_production_stack.py) runs the very commands and health
checks read from it against real PostgreSQL and Redis.
"""

from __future__ import annotations

import fnmatch
import json
from importlib import resources

import jsonschema
import pytest
import yaml

from config.env import env_object_storage
from tests.compose import (
    COMPOSE_FILE,
    ROOT,
    MissingVariable,
    interpolate,
    load_compose,
    operator_environment,
)

APP_SERVICES = ("migrate", "web", "worker", "housekeeper", "beat")
S3_SERVICES = ("minio", "bucket")


@pytest.fixture(scope="module")
def compose() -> dict:
    return load_compose(operator_environment())


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    schema = json.loads(
        resources.files("check_jsonschema.builtin_schemas.vendor")
        .joinpath("compose-spec.json")
        .read_text()
    )
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def schema_errors(validator: jsonschema.Validator, config: dict) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(config)
    ]


def test_the_compose_file_conforms_to_the_compose_specification(compose, validator):
    assert schema_errors(validator, compose) == []


@pytest.mark.parametrize(
    ("original", "broken"),
    [
        ("interval: 15s", "intervall: 15s"),
        ("restart: unless-stopped", "restart: [sometimes]"),
        ("condition: service_healthy", "condition: {when: healthy}"),
    ],
)
def test_the_schema_check_refuses_a_broken_file(validator, original, broken):
    text = COMPOSE_FILE.read_text()
    assert original in text
    config = yaml.safe_load(interpolate(text.replace(original, broken, 1), operator_environment()))
    assert schema_errors(validator, config)


def test_the_secret_key_is_required_and_never_defaulted():
    environment = operator_environment()
    del environment["SECRET_KEY"]
    with pytest.raises(MissingVariable, match="SECRET_KEY"):
        load_compose(environment)


def test_it_declares_the_production_services(compose):
    assert set(compose["services"]) == {"db", "redis", *APP_SERVICES, *S3_SERVICES}


def test_the_object_store_runs_only_with_the_s3_profile(compose):
    for name, service in compose["services"].items():
        assert service.get("profiles", []) == (["s3"] if name in S3_SERVICES else []), name
    for name in APP_SERVICES:
        bucket = compose["services"][name]["depends_on"]["bucket"]
        assert bucket == {"condition": "service_completed_successfully", "required": False}


def test_without_s3_variables_files_stay_on_the_media_volume(compose):
    for name in APP_SERVICES:
        assert env_object_storage(environ=compose["services"][name]["environment"]) is None


def test_the_s3_lines_of_the_example_point_every_app_service_at_the_profiles_store():
    example = (ROOT / ".env.example").read_text()
    s3_lines = dict(
        line.lstrip("#").split("=", 1)
        for line in example.splitlines()
        if line.startswith("#ARENA_S3_")
    )
    compose = load_compose(operator_environment() | s3_lines)
    bucket_job = compose["services"]["bucket"]["environment"]
    minio = compose["services"]["minio"]["environment"]
    for name in APP_SERVICES:
        options = env_object_storage(environ=compose["services"][name]["environment"])["OPTIONS"]
        assert options["endpoint_url"] == "http://minio:9000"
        assert options["bucket_name"] == bucket_job["BUCKET"] == "arena"
        assert (options["access_key"], options["secret_key"]) == (
            minio["MINIO_ROOT_USER"],
            minio["MINIO_ROOT_PASSWORD"],
        )


def test_app_services_share_one_image_and_the_production_environment(compose):
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["build"] == "." and service["image"] == "arena:latest", name
        env = service["environment"]
        assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
        assert env["DATABASE_URL"] == "postgres://arena:change-me@db:5432/arena"
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["ALLOWED_HOSTS"] == "arena.example.org", "the operator's value wins"
        assert len(env["SECRET_KEY"]) >= 50


def test_each_service_runs_the_right_program(compose):
    services = compose["services"]
    assert services["web"]["command"][:2] == ["gunicorn", "config.wsgi:application"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["housekeeper"]["command"][:5] == [
        "celery",
        "-A",
        "config",
        "worker",
        "--housekeeping",
    ]
    assert "--housekeeping" not in services["worker"]["command"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"


def test_services_wait_for_healthy_dependencies_and_migrations(compose):
    for name in ("web", "worker", "housekeeper", "beat"):
        depends = compose["services"][name]["depends_on"]
        assert depends["db"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_long_running_services_have_health_checks(compose):
    for name in ("db", "redis", "web", "worker", "housekeeper"):
        check = compose["services"][name]["healthcheck"]
        assert check["test"] and check["interval"] and check["retries"], name
    web_check = compose["services"]["web"]["healthcheck"]["test"]
    assert web_check[:4] == ["CMD", "python", "manage.py", "healthcheck"], (
        "the web check must name an allowed host; a bare request to 127.0.0.1 gets 400"
    )


def test_data_lives_in_named_volumes(compose):
    assert {"pgdata", "redisdata", "media", "beat"} <= set(compose["volumes"])
    assert "pgdata:/var/lib/postgresql/data" in compose["services"]["db"]["volumes"]
    assert "redisdata:/data" in compose["services"]["redis"]["volumes"]
    assert "media:/app/media" in compose["services"]["web"]["volumes"]


def dockerignored(path: str) -> bool:
    """Docker's rule: patterns in order, the last one that matches decides; `!` re-includes."""
    ignored = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated, pattern = pattern.startswith("!"), pattern.lstrip("!")
        parts = path.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        if any(fnmatch.fnmatchcase(prefix, pattern.replace("**/", "*")) for prefix in prefixes):
            ignored = not negated
    return ignored


@pytest.mark.parametrize(
    "path", [".env", ".env.production", "var/secret_key", "var/arena.sqlite3", ".venv/bin/python"]
)
def test_secrets_and_local_state_stay_out_of_the_image(path):
    assert dockerignored(path), f"COPY . . would bake {path} into the image"


@pytest.mark.parametrize(
    "path", [".env.example", "arena/models.py", "requirements/runtime.txt", "manage.py"]
)
def test_the_image_gets_the_code_and_the_lock(path):
    assert not dockerignored(path)


def test_the_dockerfile_installs_exactly_the_runtime_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes --no-deps -r requirements/runtime.txt" in dockerfile
    assert "pip install --no-deps --no-build-isolation ." in dockerfile
    assert "collectstatic" in dockerfile
    assert "USER arena" in dockerfile, "the image must not run as root"
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in dockerfile
