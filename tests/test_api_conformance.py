"""The API against its own OpenAPI schema: schemathesis generates requests for every
operation of ``/api/schema/`` and checks each answer (status documented, body as
documented, no 5xx). Bounded and deterministic: a fixed number of examples per operation,
derandomized, so a run is the same run every time."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
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


pytestmark = pytest.mark.django_db

#: The schema as the running product serves it (generating it reads no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


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
