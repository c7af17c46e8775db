"""The API against its own OpenAPI schema: schemathesis generates requests for every
operation of ``/api/schema/`` and checks each answer (status documented, body as
documented, no 5xx). Bounded and deterministic: a fixed number of examples per operation,
derandomized, so a run is the same run every time."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import positive_data_acceptance

from tests.ranking.conftest import (
    compute_snapshot,
    voted_models,  # noqa: F401  (a fixture)
)

EXAMPLES_PER_OPERATION = 25

#: Operations whose parameters have rules OpenAPI cannot state, so a schema-valid request
#: may rightly be refused (400, documented): the frontier's two groups must be known
#: countries and licence classes, and name different models. Every other check still runs.
CROSS_FIELD_RULES = {"/api/v1/frontier/", "/api/v1/frontier.csv", "/api/v1/frontier/{chart}.{fmt}"}


#: Runs in both passes of `make test`: the answers depend on the database engine.
pytestmark = [pytest.mark.django_db, pytest.mark.both]

#: The schema as the running product serves it (generating it reads no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """As Django's test client does: the requests go straight to the WSGI application, whose
    request signals would otherwise close the test's connection, inside the test's
    transaction (on PostgreSQL every later request then finds it closed)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def snapshot_and_arena(voted_models, text_arena):  # noqa: F811
    """Something to find: a finished snapshot of four models, and a text arena to serve."""
    return compute_snapshot()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(case):
    excluded = [positive_data_acceptance] if case.operation.path in CROSS_FIELD_RULES else []
    case.call_and_validate(headers={"Host": "localhost"}, excluded_checks=excluded)
