"""Schemathesis over the API's own OpenAPI document: every operation, every check.

The document is read from the running app (in-process WSGI), so what is tested
is what clients download. Each operation gets a bounded number of generated
requests, with the kind of key it takes (an organization's or a servicer's).
"""

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from fleetmaint.accounts import services as accounts
from fleetmaint.api.auth import ApiKeyAuth
from fleetmaint.api.main import api as ninja_api
from fleetmaint.attempts.models import FailedAttempts
from tests.orders.api_support import make_servicer, servicer_key

OPENAPI_PATH = "/api/v1/openapi.json"
MAX_EXAMPLES = 10


def _servicer_only_operations() -> set[tuple[str, str]]:
    """(METHOD, path) of the operations that take only a servicer's key."""
    found = set()
    for prefix, router in ninja_api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                kinds = [a for a in operation.auth_callbacks if isinstance(a, ApiKeyAuth)]
                if kinds and not any(a.fleet for a in kinds):
                    for method in operation.methods:
                        found.add((method, "/api/v1" + prefix + path))
    return found


SERVICER_ONLY = _servicer_only_operations()


# The document as the app serves it, read once when the module is collected.
schema = schemathesis.openapi.from_wsgi(OPENAPI_PATH, get_wsgi_application())


@pytest.fixture
def in_test_transaction(db):
    """Requests run inside the test's transaction.

    Django closes the database connection when a request ends, which would end the
    test's transaction too: Django's own test client holds the connection the same way.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


# Rules that JSON Schema cannot state, and so a schema-valid request may break: a
# phone number must exist in its country's numbering plan. Only a 400 naming one of
# these fields is taken for a schema-valid request; every other check still holds.
# docs/api.md lists them for clients.
RULES_BEYOND_SCHEMA = {
    "POST /api/v1/tasks": {"notifications.sms_phones"},
    "PUT /api/v1/tasks/{task_id}": {"notifications.sms_phones"},
    "POST /api/v1/tasks/batch": {"notifications.sms_phones", "task.notifications.sms_phones"},
}


def _refused_by_a_stated_rule(case, response) -> bool:
    fields = RULES_BEYOND_SCHEMA.get(f"{case.method} {case.path}", set())
    if response.status_code != 400 or not fields:
        return False
    return response.json().get("field") in fields


# The keys of the test under way, for the auth provider below.
KEYS: dict[str, str] = {}


@schema.auth()
class BearerKey:
    """Each request carries the kind of key its operation takes; schemathesis knows the
    header is supplied, and its own auth checks send none or a wrong one."""

    def get(self, case, context) -> str:
        kind = "servicer" if (case.method, case.path) in SERVICER_ONLY else "fleet"
        return KEYS.get(kind, "not-yet")

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture
def keys(org, vehicle) -> dict[str, str]:
    """An organization's key and a servicer's key, the servicer a partner of the fleet."""
    _, fleet_key = accounts.apikey_create(org=org, name="fuzz")
    garage = make_servicer("Fuzz Garage", ["repair_depot"], [], fleets=(org,))
    KEYS.update(fleet=fleet_key, servicer=servicer_key(garage))
    yield KEYS
    KEYS.clear()


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,
)
def test_every_operation_answers_as_its_schema_says(case, keys, in_test_transaction):
    # Wrong keys sent by the auth checks must not lock the address for the next cases.
    FailedAttempts.objects.all().delete()
    response = case.call()
    excluded = []
    if _refused_by_a_stated_rule(case, response):
        excluded.append(schemathesis.checks.positive_data_acceptance)
    case.validate_response(response, excluded_checks=excluded)


def test_the_document_is_valid_openapi_without_duplicate_keys(client):
    response = client.get(OPENAPI_PATH)
    assert response.status_code == 200

    def refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), f"duplicate keys: {keys}"
        return dict(pairs)

    document = json.loads(response.content, object_pairs_hook=refuse_duplicates)
    schemathesis.openapi.from_dict(document).validate()
