from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.conf import settings

from tests.support import LocalS3, missing, reachable

_STARTED = pytest.StashKey[float]()
_OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected")


def _database_is_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--summary-file",
        metavar="PATH",
        help="write the run's one-line outcome to PATH (`make test` prints one per pass)",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_STARTED] = time.monotonic()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = session.config.getoption("summary_file")
    if not path:
        return
    stats = session.config.pluginmanager.get_plugin("terminalreporter").stats
    counts = [f"{len(stats[key])} {key}" for key in _OUTCOMES if stats.get(key)]
    seconds = time.monotonic() - session.config.stash.get(_STARTED, time.monotonic())
    line = f"{', '.join(counts) or 'no tests ran'} in {seconds:.0f} s (exit status {exitstatus})"
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(line + "\n")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _database_is_postgres():
        return
    skip = pytest.mark.skip(reason="PostgreSQL only: runs in the PostgreSQL pass of `make test`")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _postgres_pass_server() -> None:
    """The PostgreSQL pass needs its server: every test fails in CI and skips elsewhere."""
    if _database_is_postgres():
        db = settings.DATABASES["default"]
        url = f"postgres://{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}"
        if not reachable(url, 5432):
            missing(f"PostgreSQL at {url} (the PostgreSQL pass)")


@pytest.fixture
def carol(django_user_model):
    """The admin persona."""
    return django_user_model.objects.create_superuser("carol", "carol@example.org", "pw-carol-1")


@pytest.fixture
def admin_client_carol(client, carol):
    client.force_login(carol)
    return client


@pytest.fixture
def alice():
    """A voter in her own browser session, with CSRF checks on as in a real browser."""
    from rest_framework.test import APIClient

    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def bob():
    from rest_framework.test import APIClient

    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def text_arena(db):
    """Three labs' models answering three prompts of one text set."""
    from tests.factories import (
        AIModelFactory,
        LabFactory,
        OutputFactory,
        PromptFactory,
        PromptSetFactory,
    )

    prompt_set = PromptSetFactory(name="General", modality="text")
    labs = [
        LabFactory(name="Openly", country="US"),
        LabFactory(name="Deepseat", country="CN"),
        LabFactory(name="Mistrale", country="FR"),
    ]
    models = [
        AIModelFactory(key=f"secret-model-{n}", display_name=f"Secret Model {n}", lab=lab)
        for n, lab in enumerate(labs)
    ]
    prompts = [
        PromptFactory(
            prompt_set=prompt_set, external_id=f"q{n}", category=category, language=language
        )
        for n, (category, language) in enumerate(
            [("coding", "en"), ("math", "en"), ("coding", "fr")]
        )
    ]
    for prompt in prompts:
        for number, model in enumerate(models):
            OutputFactory(
                prompt=prompt, model=model, text=f"Answer **{number}** to {prompt.external_id}."
            )
    return {"set": prompt_set, "models": models, "prompts": prompts, "labs": labs}


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache, no serving plan and no revealed models in
    memory, as a fresh process would (each test's database is a new one)."""
    from django.core.cache import cache

    from arena.services import revealed_models
    from arena.serving_plan import forget_loaded_plans

    cache.clear()
    forget_loaded_plans()
    revealed_models.clear()


@pytest.fixture(scope="session")
def local_s3():
    """moto's S3 server for the session (tests.support.LocalS3)."""
    server = LocalS3()
    yield server
    server.stop()


@pytest.fixture
def object_storage(settings, local_s3):
    """Files of this test in a bucket of their own on the local S3 server, configured as a
    deployment would be (``ARENA_S3_*``); yields the bucket's name."""
    from config.env import env_object_storage

    bucket = local_s3.new_bucket()
    settings.STORAGES = settings.STORAGES | {
        "default": env_object_storage(environ=local_s3.environment(bucket))
    }
    return bucket
