"""The maintenance schedule over the JSON API, as an integration sees it."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fleetmaint.accounts import services as accounts
from fleetmaint.intervals import services
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.notifications.models import Event
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")


def post(client: Client, url: str, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def patch(client: Client, url: str, body):
    return client.patch(url, json.dumps(body), content_type="application/json")


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """An error in the API's envelope: exactly code, message and field."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "field"}
    assert body["code"] == code
    assert body["field"] == field
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van, last read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def oil(van) -> ServiceInterval:
    return services.interval_create(vehicle=van, name="Oil Change", odometer=15_000, notes="5W-30")


@pytest.fixture
def their_vehicle(other_org) -> Vehicle:
    return vehicles.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")


@pytest.fixture
def theirs(their_vehicle) -> ServiceInterval:
    return services.interval_create(vehicle=their_vehicle, name="Theirs", odometer=5_000)


@pytest.fixture
def read_only_api(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return Client(headers={"Authorization": f"Bearer {raw}"})


# --- authentication -----------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_a_request_without_a_valid_key_is_401(van, oil, header):
    client = Client(headers={"Authorization": header} if header else {})
    for response in (
        client.get("/api/v1/intervals"),
        client.get(f"/api/v1/vehicles/{van.pk}/intervals"),
        post(client, f"/api/v1/vehicles/{van.pk}/intervals", {"service_at_mileage": 1}),
        client.delete(f"/api/v1/intervals/{oil.pk}"),
    ):
        assert_error(response, 401, "unauthorized")
    assert ServiceInterval.objects.count() == 1


def test_a_read_only_key_may_read_but_not_change_the_schedule(read_only_api, van, oil):
    assert read_only_api.get(f"/api/v1/intervals/{oil.pk}").status_code == 200
    assert read_only_api.get("/api/v1/intervals").status_code == 200
    assert_error(
        post(read_only_api, f"/api/v1/vehicles/{van.pk}/intervals", {"service_at_mileage": 1}),
        403,
        "forbidden",
    )
    assert_error(read_only_api.delete(f"/api/v1/intervals/{oil.pk}"), 403, "forbidden")
    assert_error(post(read_only_api, "/api/v1/intervals/generate"), 403, "forbidden")
    assert list(ServiceInterval.objects.values_list("id", flat=True)) == [oil.pk]


def test_the_schedule_is_in_the_openapi_document(api):
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/intervals",
        "/api/v1/intervals/generate",
        "/api/v1/intervals/{interval_id}",
        "/api/v1/intervals/{interval_id}/serviced",
        "/api/v1/vehicles/{vehicle_id}/intervals",
        "/api/v1/vehicles/{vehicle_id}/intervals/generate",
    ):
        assert path in paths


# --- creating ------------------------------------------------------------------------


def test_it_creates_an_interval(api, van):
    response = post(
        api,
        f"/api/v1/vehicles/{van.pk}/intervals",
        {
            "name": "Timing belt",
            "service_at_mileage": 120_000,
            "service_at_date": "2031-01-31T08:00:00Z",
            "notes": "Kit ordered.",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    interval = ServiceInterval.objects.get()
    assert body == {
        "id": interval.pk,
        "vehicle_id": van.pk,
        "name": "Timing belt",
        "service_at_mileage": 120_000,
        "service_at_date": "2031-01-31T08:00:00Z",
        "notes": "Kit ordered.",
        "preset": None,
        "predicted_due_at": "2031-01-31T08:00:00Z",
        "maintenance_required": False,
        "due_at": None,
        "created_at": "2030-06-15T10:00:00Z",
        "last_updated": "2030-06-15T10:00:00Z",
        "serviced_at": None,
        "serviced_odometer": None,
        "serviced_by_order_id": None,
    }


def test_a_mileage_only_interval_has_no_date(api, van):
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", {"service_at_mileage": 10_000})
    assert response.status_code == 201
    body = response.json()
    assert body["service_at_date"] is None
    assert body["name"] == "Service"
    # The van is already past it.
    assert body["maintenance_required"] is True
    assert body["due_at"] == "2030-06-15T10:00:00Z"
    assert Event.objects.filter(name="interval.due").count() == 1


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({}, "service_at_mileage", "Give a mileage, a date or both."),
        (
            {"service_at_mileage": None, "service_at_date": None, "notes": "x"},
            "service_at_mileage",
            "Give a mileage, a date or both.",
        ),
        (
            {"service_at_mileage": -1},
            "service_at_mileage",
            "The odometer must be a whole number from 0 to 1,000,000.",
        ),
        (
            {"service_at_mileage": 1_000_001},
            "service_at_mileage",
            "The odometer must be a whole number from 0 to 1,000,000.",
        ),
        (
            {"service_at_date": "2030-06-14T10:00:00Z"},
            "service_at_date",
            "The due date is in the past. If the service is already overdue, "
            "confirm it (already overdue) and it is added as required now.",
        ),
        (
            {"service_at_date": "2040-06-16T10:00:00Z"},
            "service_at_date",
            "The due date must be within ten years from today, by 2040-06-15 at the latest.",
        ),
        (
            {"service_at_mileage": 12_000, "notes": "n" * 65_536},
            "notes",
            "The notes can be at most 65,535 characters.",
        ),
    ],
)
def test_an_invalid_interval_is_refused_naming_the_field(api, van, body, field, message):
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", body)
    error = assert_error(response, 400, "invalid", field)
    assert error["message"] == message
    assert not ServiceInterval.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"service_at_mileage": "lots"}, "service_at_mileage"),
        ({"service_at_mileage": 12.5}, "service_at_mileage"),
        ({"service_at_date": "someday"}, "service_at_date"),
        ({"service_at_mileage": 12_000, "name": "x" * 121}, "name"),
        ({"service_at_mileage": 12_000, "notes": ["a list"]}, "notes"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused_naming_the_field(api, van, body, field):
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", body)
    assert_error(response, 400, "invalid", field)
    assert not ServiceInterval.objects.exists()


@pytest.mark.parametrize("raw", ["[]", "null", "not json", '"text"'])
def test_a_body_that_is_not_an_object_is_refused(api, van, raw):
    response = api.post(
        f"/api/v1/vehicles/{van.pk}/intervals", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "field"}
    assert not ServiceInterval.objects.exists()


def test_notes_with_a_nul_character_are_refused_not_a_crash(api, van):
    body = {"service_at_mileage": 12_000, "notes": "oil\u0000filter"}
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", body)
    assert_error(response, 400, "invalid", "notes")


def test_a_name_with_a_nul_character_is_refused_not_a_crash(api, van):
    body = {"service_at_mileage": 12_000, "name": "oil\u0000"}
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", body)
    assert_error(response, 400, "invalid", "name")


def test_another_fleets_vehicle_does_not_exist(api, their_vehicle):
    response = post(
        api, f"/api/v1/vehicles/{their_vehicle.pk}/intervals", {"service_at_mileage": 20_000}
    )
    assert (
        assert_error(response, 404, "not_found")["message"]
        == "There is no such vehicle in this fleet."
    )
    assert_error(api.get(f"/api/v1/vehicles/{their_vehicle.pk}/intervals"), 404, "not_found")
    assert_error(
        post(api, f"/api/v1/vehicles/{their_vehicle.pk}/intervals/generate"), 404, "not_found"
    )
    assert not ServiceInterval.objects.exists()


@pytest.mark.parametrize("vehicle_id", ["0", "999999", "99999999999999999999999"])
def test_a_vehicle_that_does_not_exist_is_404(api, van, vehicle_id):
    assert_error(api.get(f"/api/v1/vehicles/{vehicle_id}/intervals"), 404, "not_found")


def test_a_vehicle_id_that_is_not_a_number_is_refused(api, van):
    assert_error(api.get("/api/v1/vehicles/van/intervals"), 400, "invalid", "vehicle_id")


# --- reading -----------------------------------------------------------------------------


def test_it_lists_a_vehicles_open_intervals(api, org, van, oil):
    done = services.interval_create(vehicle=van, name="Done", odometer=11_000)
    services.interval_mark_serviced(interval=done)
    other = vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    services.interval_create(vehicle=other, name="Elsewhere", odometer=5_000)

    response = api.get(f"/api/v1/vehicles/{van.pk}/intervals")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [i["name"] for i in body["items"]] == ["Oil Change"]


def test_an_empty_schedule_is_an_empty_list(api, van):
    assert api.get(f"/api/v1/vehicles/{van.pk}/intervals").json() == {"count": 0, "items": []}


def test_it_reads_an_interval(api, oil):
    body = api.get(f"/api/v1/intervals/{oil.pk}").json()
    assert body["id"] == oil.pk
    assert body["name"] == "Oil Change"
    assert body["service_at_mileage"] == 15_000
    assert body["maintenance_required"] is False


@pytest.fixture
def mixed(org, van, their_vehicle):
    """A required, a not-yet-required and another fleet's required interval."""
    required = services.interval_create(vehicle=van, name="Wipers", odometer=10_000)
    later = services.interval_create(vehicle=van, name="Inspection", time=NOW + timedelta(days=9))
    services.interval_create(vehicle=their_vehicle, name="Theirs", odometer=1)
    return required, later


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["Wipers", "Inspection"]),
        ("?maintenance_required=true", ["Wipers"]),
        ("?maintenance_required=false", ["Inspection"]),
        ("?maintenance_required=1", ["Wipers"]),
        ("?maintenance_required=0", ["Inspection"]),
    ],
)
def test_the_fleet_list_filters_by_maintenance_required(api, mixed, query, expected):
    response = api.get(f"/api/v1/intervals{query}")
    assert response.status_code == 200
    body = response.json()
    assert [i["name"] for i in body["items"]] == expected
    assert body["count"] == len(expected)
    assert all(i["maintenance_required"] == (i["name"] == "Wipers") for i in body["items"])


def test_an_interval_becomes_required_when_its_date_comes(api, mixed, clock):
    clock.move_to(NOW + timedelta(days=9))
    body = api.get("/api/v1/intervals?maintenance_required=true").json()
    assert [i["name"] for i in body["items"]] == ["Wipers", "Inspection"]


@pytest.mark.parametrize(
    "query, field",
    [
        ("maintenance_required=maybe", "maintenance_required"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("offset=-1", "offset"),
    ],
)
def test_the_fleet_list_refuses_bad_filters_and_paging(api, mixed, query, field):
    assert_error(api.get(f"/api/v1/intervals?{query}"), 400, "invalid", field)


def test_the_fleet_list_pages(api, van):
    for n in range(5):
        services.interval_create(vehicle=van, name=f"S{n}", odometer=20_000 + n)
    body = api.get("/api/v1/intervals?limit=2&offset=2").json()
    assert body["count"] == 5
    assert [i["name"] for i in body["items"]] == ["S2", "S3"]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_lists_do_not_query_per_interval(api, org, van):
    services.interval_create(vehicle=van, name="Wipers", odometer=12_000)
    api.get("/api/v1/intervals")  # the key's first use is recorded once
    few = count_queries(api, "/api/v1/intervals")
    few_vehicle = count_queries(api, f"/api/v1/vehicles/{van.pk}/intervals")
    services.intervals_generate(org=org)
    for n in range(3):
        car = vehicles.vehicle_create(org=org, label=f"Car {n}", vehicle_key=f"CAR-{n}")
        services.intervals_generate(org=org, vehicles=[car])
    assert count_queries(api, "/api/v1/intervals") == few
    assert count_queries(api, f"/api/v1/vehicles/{van.pk}/intervals") == few_vehicle


def test_another_fleets_interval_is_404_for_every_method(api, theirs):
    url = f"/api/v1/intervals/{theirs.pk}"
    for response in (
        api.get(url),
        patch(api, url, {"notes": "mine now"}),
        api.delete(url),
        post(api, f"{url}/serviced", {}),
    ):
        error = assert_error(response, 404, "not_found")
        assert error["message"] == "There is no open service interval with that id."
    theirs.refresh_from_db()
    assert (theirs.notes, theirs.serviced_at) == ("", None)
    assert "Theirs" not in json.dumps(api.get("/api/v1/intervals").json())


@pytest.mark.parametrize("interval_id", ["0", "424242", "99999999999999999999999"])
def test_an_interval_that_does_not_exist_is_404(api, oil, interval_id):
    assert_error(api.get(f"/api/v1/intervals/{interval_id}"), 404, "not_found")


# --- notes and removing ------------------------------------------------------------------


def test_a_patch_appends_to_the_notes(api, oil, clock):
    clock.shift(timedelta(minutes=3))
    response = patch(api, f"/api/v1/intervals/{oil.pk}", {"notes": "Filter ordered."})
    assert response.status_code == 200
    body = response.json()
    assert body["notes"].startswith("5W-30")
    assert body["notes"].endswith("Filter ordered.")
    assert body["last_updated"] == "2030-06-15T10:03:00Z"
    oil.refresh_from_db()
    assert oil.notes == body["notes"]


def test_a_patch_that_would_overflow_the_notes_replaces_them(api, oil):
    ServiceInterval.objects.filter(pk=oil.pk).update(notes="o" * 65_000)
    response = patch(api, f"/api/v1/intervals/{oil.pk}", {"notes": "n" * 1_000})
    assert response.status_code == 200
    assert response.json()["notes"] == "n" * 1_000


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"notes": "n" * 65_536}, 400, "notes"),
        ({"notes": "bad\u0000"}, 400, "notes"),
        ({}, 400, "notes"),
        ({"notes": 5}, 400, "notes"),
        ({"name": "Renamed"}, 400, "notes"),
    ],
)
def test_an_invalid_patch_changes_nothing(api, oil, body, status, field):
    response = patch(api, f"/api/v1/intervals/{oil.pk}", body)
    assert_error(response, status, "invalid", field)
    oil.refresh_from_db()
    assert (oil.name, oil.notes) == ("Oil Change", "5W-30")


def test_it_deletes_an_interval(api, van, oil):
    response = api.delete(f"/api/v1/intervals/{oil.pk}")
    assert response.status_code == 204
    assert not ServiceInterval.objects.exists()
    assert_error(api.get(f"/api/v1/intervals/{oil.pk}"), 404, "not_found")
    assert_error(api.delete(f"/api/v1/intervals/{oil.pk}"), 404, "not_found")
    assert api.get(f"/api/v1/vehicles/{van.pk}/intervals").json()["count"] == 0


# --- generating and servicing ----------------------------------------------------------


def test_it_generates_the_presets_for_a_vehicle(api, van):
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals/generate")
    assert response.status_code == 200
    assert response.json() == {"created": 8, "intervals": 8, "tasks": 0, "waiting": 0}
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    assert oil.service_at_mileage == 25_000
    assert oil.service_at_date == datetime(2031, 6, 15, 10, 0, tzinfo=UTC)
    again = post(api, f"/api/v1/vehicles/{van.pk}/intervals/generate")
    assert again.json()["created"] == 0
    listed = api.get(f"/api/v1/vehicles/{van.pk}/intervals").json()["items"]
    assert {i["preset"] for i in listed} == {i["name"] for i in listed}


def test_it_generates_the_presets_for_the_fleet(api, org, van, their_vehicle):
    vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    response = post(api, "/api/v1/intervals/generate")
    assert response.json()["created"] == 16
    assert not ServiceInterval.objects.filter(vehicle=their_vehicle).exists()


def test_generating_for_equipment_makes_engine_hour_tasks(api, org):
    excavator = vehicles.vehicle_create(
        org=org,
        label="Excavator",
        vehicle_key="EXC-1",
        powertrain="equipment",
        tracks_engine_hours=True,
    )
    waiting = post(api, f"/api/v1/vehicles/{excavator.pk}/intervals/generate").json()
    assert waiting == {"created": 1, "intervals": 1, "tasks": 0, "waiting": 4}
    vehicles.reading_record(vehicle=excavator, engine_hours=Decimal("820"))
    made = post(api, f"/api/v1/vehicles/{excavator.pk}/intervals/generate").json()
    assert made == {"created": 4, "intervals": 0, "tasks": 4, "waiting": 0}


def test_marking_a_preset_interval_serviced_returns_the_next(api, org, van):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")

    response = post(
        api,
        f"/api/v1/intervals/{oil.pk}/serviced",
        {"odometer": 10_300, "serviced_at": "2030-06-14T12:00:00Z"},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["serviced"]["id"] == oil.pk
    following = body["next"]
    assert following["name"] == "Oil Change"
    assert following["preset"] == "Oil Change"
    assert following["service_at_mileage"] == 25_300
    assert following["service_at_date"] == "2031-06-14T12:00:00Z"
    assert following["maintenance_required"] is False
    oil.refresh_from_db()
    assert oil.serviced_odometer == 10_300


def test_marking_a_custom_interval_serviced_has_no_next(api, oil):
    response = post(api, f"/api/v1/intervals/{oil.pk}/serviced", {})
    assert response.status_code == 200
    assert response.json()["next"] is None
    assert response.json()["serviced"]["serviced_at"] == "2030-06-15T10:00:00Z"
    # Serviced, not gone: it reads with its service, and the open list leaves it out.
    assert api.get(f"/api/v1/intervals/{oil.pk}").json()["serviced_at"] == "2030-06-15T10:00:00Z"
    assert api.get("/api/v1/intervals").json()["count"] == 0


def test_marking_serviced_twice_is_refused_the_second_time(api, org, van):
    services.intervals_generate(org=org, vehicles=[van])
    oil = ServiceInterval.objects.get(vehicle=van, name="Oil Change")
    url = f"/api/v1/intervals/{oil.pk}/serviced"

    assert post(api, url, {"odometer": 10_100}).status_code == 200
    assert_error(post(api, url, {"odometer": 10_100}), 404, "not_found")

    assert ServiceInterval.objects.filter(vehicle=van, name="Oil Change").count() == 2


@pytest.mark.parametrize(
    "body, field",
    [
        ({"odometer": -1}, "odometer"),
        ({"odometer": "lots"}, "odometer"),
        ({"odometer": 1_000_001}, "odometer"),
        ({"serviced_at": "2030-06-16T10:00:00Z"}, "serviced_at"),
        ({"serviced_at": "yesterday"}, "serviced_at"),
    ],
)
def test_an_invalid_service_is_refused(api, oil, body, field):
    response = post(api, f"/api/v1/intervals/{oil.pk}/serviced", body)
    assert_error(response, 400, "invalid", field)
    oil.refresh_from_db()
    assert oil.serviced_at is None


def test_a_number_too_long_to_read_is_refused(api, van):
    raw = '{"service_at_mileage": ' + "9" * 5_000 + "}"
    response = api.post(
        f"/api/v1/vehicles/{van.pk}/intervals", raw, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "field"}
    assert not ServiceInterval.objects.exists()
