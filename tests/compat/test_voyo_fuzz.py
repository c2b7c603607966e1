"""Hostile input on every voyo method (seed 003): a 4xx in the vendor's envelope, nothing changed.

Each method gets a valid request with one field at a time replaced by a
hostile value, form-encoded as vendor clients send it and as a flat JSON
object; then whole bodies that are not such an object at all.
"""

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.test import Client

from fleetmaint.intervals import services
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests import hostile
from tests.conftest import NOW

TEXT_FIELDS = {"vehicle_key", "notes"}


@pytest.fixture(autouse=True)
def _still(clock):
    return clock


@pytest.fixture
def van(vehicle) -> Vehicle:
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def oil(van) -> ServiceInterval:
    return services.interval_create(vehicle=van, name="Oil", odometer=15_000, notes="5W-30")


def valid_requests(oil: ServiceInterval) -> dict[str, dict]:
    when = str(int((NOW + timedelta(days=30)).timestamp()))
    return {
        "CreateServiceInterval": {
            "vehicle_key": "VAN-1",
            "odometer": "20000",
            "time": when,
            "notes": "Brakes",
        },
        "GenerateServiceInterval": {"vehicle_key": "VAN-1"},
        "GetAllServiceIntervals": {"maintenance_required": "1"},
        "GetServiceIntervals": {"vehicle_key": "VAN-1"},
        "RemoveServiceInterval": {"vehicle_key": "VAN-1", "id": str(oil.pk)},
        "UpdateServiceInterval": {"vehicle_key": "VAN-1", "id": str(oil.pk), "notes": "More"},
    }


METHODS = [
    "CreateServiceInterval",
    "GenerateServiceInterval",
    "GetAllServiceIntervals",
    "GetServiceIntervals",
    "RemoveServiceInterval",
    "UpdateServiceInterval",
]


def snapshot() -> list[tuple]:
    rows = ServiceInterval.objects.order_by("id").values_list(
        "id", "notes", "service_at_mileage", "service_at_date", "serviced_at", "last_updated"
    )
    return [*rows, Vehicle.objects.count()]


def form_body(fields: dict) -> bytes:
    # A lone surrogate cannot be UTF-8; a careless client sends its bytes all the same.
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode("ascii")


def send(api: Client, method: str, body: bytes | str, content_type: str):
    return api.generic("POST", f"/voyorequest/{method}", body, content_type=content_type)


def assert_answered(response, before: list, *, must_refuse: bool) -> None:
    """The vendor's envelope; a refusal is a 4xx and leaves the data as it was."""
    assert response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body.get("error"), str)
    if response.status_code == 200:
        assert not must_refuse, body
        assert body["error"] == "Success!"
    else:
        assert 400 <= response.status_code < 500
        assert body["error"] != "Success!"
        assert snapshot() == before


def form_values() -> list[str]:
    """What a form can carry: text only, numbers as digits."""
    return [*hostile.TEXTS, *(str(n) for n in hostile.NUMBERS), "", "abc", "1.5", "[1]"]


@pytest.mark.parametrize("method", METHODS)
def test_a_hostile_form_field_is_refused_in_the_envelope(api, oil, method):
    valid = valid_requests(oil)[method]
    for field in valid:
        for value in form_values():
            before = snapshot()
            body = form_body({**valid, field: value})
            response = send(api, method, body, "application/x-www-form-urlencoded")
            refuse = field in TEXT_FIELDS and value in (hostile.NUL, hostile.ONE_MEGABYTE)
            assert_answered(response, before, must_refuse=refuse)


@pytest.mark.parametrize("method", METHODS)
def test_a_hostile_json_member_is_refused_in_the_envelope(api, oil, method):
    valid = valid_requests(oil)[method]
    for field in valid:
        for value in hostile.EVERYTHING:
            before = snapshot()
            body = hostile.dumps({**valid, field: value})
            response = send(api, method, body, "application/json")
            wrong_shape = isinstance(value, list | dict)
            assert_answered(
                response,
                before,
                must_refuse=wrong_shape or (field in TEXT_FIELDS and value in hostile.TEXTS),
            )


@pytest.mark.parametrize("method", METHODS)
def test_a_body_that_is_not_a_flat_object_is_refused_in_the_envelope(api, oil, method):
    bodies = [
        hostile.deep(),
        hostile.deep_object(),
        hostile.wide_object(),
        hostile.LONG_KEY_OBJECT,
        *(b for b in hostile.BROKEN_BODIES if b),
        json.dumps([valid_requests(oil)[method]]),
        json.dumps({"vehicle_key": {"key": "VAN-1"}}),
    ]
    for body in bodies:
        before = snapshot()
        response = send(api, method, body, "application/json")
        assert_answered(response, before, must_refuse=True)
        assert response.json()["error"] == "Request body is invalid!"


@pytest.mark.parametrize("method", [*METHODS, "NoSuchMethod"])
@pytest.mark.parametrize("verb", ["GET", "PUT", "PATCH", "DELETE"])
def test_a_wrong_method_is_a_405_in_the_envelope(api, oil, method, verb):
    before = snapshot()
    response = api.generic(verb, f"/voyorequest/{method}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json() == {"error": "Requests must be sent with POST!"}
    assert snapshot() == before


def test_a_form_too_large_for_the_server_is_refused_in_the_envelope(api, oil, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    before = snapshot()
    body = form_body({"vehicle_key": "VAN-1", "id": str(oil.pk), "notes": "x" * 2_000})
    response = send(api, "UpdateServiceInterval", body, "application/x-www-form-urlencoded")
    assert_answered(response, before, must_refuse=True)


def test_a_valid_json_object_is_read_like_the_form(api, oil):
    body = json.dumps({"vehicle_key": "VAN-1", "id": oil.pk, "notes": "More"})
    response = send(api, "UpdateServiceInterval", body, "application/json")
    assert response.json() == {"error": "Success!"}
    oil.refresh_from_db()
    assert oil.notes == "5W-30\nMore"
