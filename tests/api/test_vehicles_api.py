"""The JSON API for vehicles and readings, as an integration sees it."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleetmaint.accounts import services as accounts
from fleetmaint.vehicles import services
from fleetmaint.vehicles.models import Reading, ReadingSource, Vehicle

NOW = datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


def post(client: Client, url: str, body) -> object:
    return client.post(url, json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body) -> object:
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
def read_only_api(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return Client(headers={"Authorization": f"Bearer {raw}"})


@pytest.fixture
def their_vehicle(other_org) -> Vehicle:
    return services.vehicle_create(org=other_org, label="Their pickup", vehicle_key="PICK-1")


@pytest.fixture
def truck(org) -> Vehicle:
    return services.vehicle_create(
        org=org, label="Loader", vehicle_key="LOAD-1", tracks_engine_hours=True
    )


# --- authentication -----------------------------------------------------------------


def test_a_request_without_a_key_is_401(db):
    body = assert_error(Client().get("/api/v1/vehicles"), 401, "unauthorized")
    assert "Authorization: Bearer" in body["message"]


@pytest.mark.parametrize(
    "header", ["Bearer fm_wrong", "Bearer ", "Basic dXNlcjpwYXNz", "fm_without_scheme"]
)
def test_a_request_with_a_wrong_key_is_401(api_key, header):
    client = Client(headers={"Authorization": header})
    assert_error(client.get("/api/v1/vehicles"), 401, "unauthorized")


def test_a_revoked_key_is_401(org, api, api_key):
    assert api.get("/api/v1/vehicles").status_code == 200
    key = accounts.apikey_authenticate(api_key)
    accounts.apikey_revoke(org=org, key_id=key.pk)
    assert_error(api.get("/api/v1/vehicles"), 401, "unauthorized")


def test_a_signed_in_browser_session_is_not_an_api_key(advisor_client):
    assert_error(advisor_client.get("/api/v1/vehicles"), 401, "unauthorized")


def test_a_request_records_when_its_key_was_used(api, api_key):
    with time_machine.travel(NOW, tick=False):
        api.get("/api/v1/vehicles")
    assert accounts.apikey_authenticate(api_key).last_used_at == NOW


def test_a_read_only_key_may_read(read_only_api, vehicle):
    assert read_only_api.get("/api/v1/vehicles").json()["count"] == 1
    assert read_only_api.get(f"/api/v1/vehicles/{vehicle.pk}").status_code == 200
    assert read_only_api.get(f"/api/v1/vehicles/{vehicle.pk}/readings").status_code == 200


def test_a_read_only_key_cannot_write(read_only_api, vehicle):
    url = f"/api/v1/vehicles/{vehicle.pk}"
    responses = [
        post(read_only_api, "/api/v1/vehicles", {"label": "New"}),
        patch(read_only_api, url, {"label": "Renamed"}),
        read_only_api.delete(url),
        post(read_only_api, f"{url}/readings", {"odometer": 5}),
        post(read_only_api, "/api/v1/readings/bulk", [{"vehicle_id": vehicle.pk, "odometer": 5}]),
    ]
    for response in responses:
        body = assert_error(response, 403, "forbidden")
        assert body["message"] == "This API key is read-only."
    assert list(Vehicle.objects.values_list("label", flat=True)) == ["Van 1"]
    assert not Reading.objects.exists()


def test_the_openapi_document_is_served(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["info"]["title"] == "fleetmaint API"
    for path in (
        "/api/v1/vehicles",
        "/api/v1/vehicles/{vehicle_id}",
        "/api/v1/vehicles/{vehicle_id}/readings",
        "/api/v1/readings/bulk",
    ):
        assert path in document["paths"]
    assert set(document["paths"]["/api/v1/vehicles/{vehicle_id}"]) == {"get", "patch", "delete"}


def test_the_interactive_docs_are_served(db):
    assert Client().get("/api/v1/docs").status_code == 200


# --- list ---------------------------------------------------------------------------


@pytest.fixture
def fleet(org, their_vehicle):
    alpha = services.vehicle_create(org=org, label="Alpha", vehicle_key="A-1", make="Ford")
    services.vehicle_create(org=org, label="Bravo", vehicle_key="B-1", plate="XY-99")
    charlie = services.vehicle_create(org=org, label="Charlie", vehicle_key="C-1")
    services.vehicle_set_archived(vehicle=charlie, archived=True)
    services.reading_record(vehicle=alpha, odometer=4_200)
    return org


def labels(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["label"] for item in response.json()["items"]]


def test_the_list_returns_the_fleets_vehicles_only(api, fleet):
    response = api.get("/api/v1/vehicles")
    body = response.json()
    assert body["count"] == 3
    assert labels(response) == ["Alpha", "Bravo", "Charlie"]
    alpha = body["items"][0]
    assert alpha == {
        "id": alpha["id"],
        "vehicle_key": "A-1",
        "label": "Alpha",
        "vin": "",
        "make": "Ford",
        "model": "",
        "year": None,
        "plate": "",
        "distance_unit": "km",
        "tracks_engine_hours": False,
        "powertrain": "combustion",
        "notes": "",
        "archived": False,
        "device_id": "",
        "odometer": 4200,
        "engine_hours": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?search=brav", ["Bravo"]),
        ("?search=xy-9", ["Bravo"]),
        ("?search=a-1", ["Alpha"]),
        ("?search=nothing", []),
        ("?archived=false", ["Alpha", "Bravo"]),
        ("?archived=true", ["Charlie"]),
        ("?limit=2", ["Alpha", "Bravo"]),
        ("?limit=2&offset=2", ["Charlie"]),
        ("?offset=10", []),
        ("?search=pickup", []),
    ],
)
def test_the_list_searches_filters_and_pages(api, fleet, query, expected):
    assert labels(api.get(f"/api/v1/vehicles{query}")) == expected


def test_a_search_with_a_nul_character_finds_nothing_instead_of_failing(api, fleet):
    assert labels(api.get("/api/v1/vehicles?search=%00")) == ["Alpha", "Bravo", "Charlie"]
    assert labels(api.get("/api/v1/vehicles?search=zz%00")) == []


def test_the_count_is_of_all_matches_not_the_page(api, fleet):
    assert api.get("/api/v1/vehicles?limit=1&archived=false").json()["count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?limit=ten", "limit"),
        ("?offset=-1", "offset"),
        (f"?offset={10**20}", "offset"),
        ("?archived=maybe", "archived"),
    ],
)
def test_the_list_refuses_bad_paging_and_filters(api, fleet, query, field):
    body = assert_error(api.get(f"/api/v1/vehicles{query}"), 400, "invalid", field)
    assert body["message"].startswith(f"{field}: ")


def test_the_list_does_not_query_per_vehicle(api, org):
    def add(first: int, last: int) -> None:
        for number in range(first, last):
            vehicle = services.vehicle_create(
                org=org, label=f"Car {number:02d}", tracks_engine_hours=True
            )
            services.reading_record(vehicle=vehicle, odometer=number + 1, engine_hours=number)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("/api/v1/vehicles?limit=100")
        assert response.status_code == 200
        return len(ctx.captured_queries)

    with time_machine.travel(timezone.now(), tick=False):
        add(0, 3)
        api.get("/api/v1/vehicles")  # the key's first use is recorded once
        few = count()
        add(3, 30)
        assert count() == few
        assert api.get("/api/v1/vehicles?limit=100").json()["count"] == 30


# --- create -------------------------------------------------------------------------


def test_it_creates_a_vehicle(api, org):
    response = post(
        api,
        "/api/v1/vehicles",
        {
            "label": "Sprinter 3",
            "vehicle_key": "SPR-3",
            "vin": "wdb9066331s123456",
            "year": 2021,
            "distance_unit": "mi",
            "tracks_engine_hours": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    vehicle = Vehicle.objects.get(org=org)
    assert body["id"] == vehicle.pk
    assert (body["label"], body["vin"], body["distance_unit"], body["odometer"]) == (
        "Sprinter 3",
        "WDB9066331S123456",
        "mi",
        None,
    )
    assert (vehicle.vehicle_key, vehicle.year, vehicle.tracks_engine_hours) == ("SPR-3", 2021, True)


def test_a_vehicle_is_created_and_changed_with_its_powertrain(api, org):
    body = post(api, "/api/v1/vehicles", {"label": "e-Van", "powertrain": "electric"}).json()
    assert body["powertrain"] == "electric"
    url = f"/api/v1/vehicles/{body['id']}"
    changed = patch(api, url, {"powertrain": "hybrid"})
    assert changed.json()["powertrain"] == "hybrid"
    assert Vehicle.objects.get(org=org).powertrain == "hybrid"


def test_an_unknown_powertrain_is_refused_with_the_known_ones(api, org):
    body = assert_error(
        post(api, "/api/v1/vehicles", {"label": "A", "powertrain": "steam"}),
        400,
        "invalid",
        "powertrain",
    )
    assert "combustion, diesel, electric, hybrid, equipment" in body["message"]


def test_a_created_vehicle_gets_a_key_and_the_fleets_unit(api, org):
    body = post(api, "/api/v1/vehicles", {"label": "Plain"}).json()
    assert body["vehicle_key"].startswith("V")
    assert body["distance_unit"] == "km"


def test_a_taken_key_is_a_conflict(api, vehicle):
    body = assert_error(
        post(api, "/api/v1/vehicles", {"label": "Again", "vehicle_key": "VAN-1"}),
        409,
        "conflict",
        "vehicle_key",
    )
    assert body["message"] == "Another vehicle already uses the key 'VAN-1'."
    assert Vehicle.objects.count() == 1


def test_a_key_used_in_another_fleet_is_free_here(api, org, their_vehicle):
    response = post(api, "/api/v1/vehicles", {"label": "Mine", "vehicle_key": "PICK-1"})
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "label"),
        ({"label": ""}, "label"),
        ({"label": "   "}, "label"),
        ({"label": "L" * 121}, "label"),
        ({"label": 12}, "label"),
        ({"label": "A", "vehicle_key": "K" * 41}, "vehicle_key"),
        ({"label": "A", "year": "nineteen"}, "year"),
        ({"label": "A", "year": 1850}, "year"),
        ({"label": "A", "vin": "SHORT"}, "vin"),
        ({"label": "A", "vin": "1FTFW1ET5DFC1031O"}, "vin"),
        ({"label": "A", "distance_unit": "yd"}, "distance_unit"),
        ({"label": "A", "tracks_engine_hours": "sometimes"}, "tracks_engine_hours"),
        ({"label": "A", "powertrain": "steam"}, "powertrain"),
        ({"label": "A", "powertrain": None}, "powertrain"),
        ({"label": "A", "make": "M" * 61}, "make"),
        ({"label": "Van\x00"}, "label"),
        ({"label": "A", "notes": "line\x00"}, "notes"),
        ({"label": "A", "vehicle_key": "K\x001"}, "vehicle_key"),
    ],
)
def test_an_invalid_vehicle_is_refused_naming_the_field(api, org, body, field):
    assert_error(post(api, "/api/v1/vehicles", body), 400, "invalid", field)
    assert not Vehicle.objects.exists()


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"a string"', ""])
def test_a_body_that_is_not_a_json_object_is_refused(api, org, raw):
    response = api.post("/api/v1/vehicles", raw, content_type="application/json")
    assert_error(response, 400, "invalid", response.json()["field"])
    assert not Vehicle.objects.exists()


def test_a_body_that_is_not_json_at_all_is_an_invalid_request(api, org):
    response = api.post("/api/v1/vehicles", "{label:", content_type="application/json")
    assert_error(response, 400, "invalid")
    assert not Vehicle.objects.exists()


# --- read, update, delete -----------------------------------------------------------


def test_it_reads_a_vehicle(api, vehicle):
    services.reading_record(vehicle=vehicle, odometer=777)
    body = api.get(f"/api/v1/vehicles/{vehicle.pk}").json()
    assert (body["id"], body["label"], body["vehicle_key"], body["odometer"]) == (
        vehicle.pk,
        "Van 1",
        "VAN-1",
        777,
    )


def test_another_fleets_vehicle_is_404_for_every_method(api, their_vehicle):
    url = f"/api/v1/vehicles/{their_vehicle.pk}"
    responses = [
        api.get(url),
        patch(api, url, {"label": "Stolen"}),
        api.delete(url),
        api.get(f"{url}/readings"),
        post(api, f"{url}/readings", {"odometer": 5}),
    ]
    for response in responses:
        body = assert_error(response, 404, "not_found")
        assert body["message"] == "Vehicle not found."
    their_vehicle.refresh_from_db()
    assert their_vehicle.label == "Their pickup"
    assert not Reading.objects.exists()


def test_a_vehicle_that_does_not_exist_is_404(api, vehicle):
    assert_error(api.get(f"/api/v1/vehicles/{vehicle.pk + 1000}"), 404, "not_found")


def test_a_vehicle_id_that_is_not_a_number_is_refused(api, vehicle):
    response = api.get("/api/v1/vehicles/abc")
    assert response.status_code in (400, 404)
    assert set(response.json()) == {"code", "message", "field"}


def test_a_patch_changes_only_the_given_fields(api, vehicle):
    response = patch(api, f"/api/v1/vehicles/{vehicle.pk}", {"plate": "B-FM 1", "archived": True})
    assert response.status_code == 200
    body = response.json()
    assert (body["label"], body["make"], body["plate"], body["archived"]) == (
        "Van 1",
        "Ford",
        "B-FM 1",
        True,
    )
    vehicle.refresh_from_db()
    assert (vehicle.plate, vehicle.archived, vehicle.make) == ("B-FM 1", True, "Ford")


def test_a_patch_may_clear_an_optional_field(api, org):
    vehicle = services.vehicle_create(org=org, label="A", year=2020)
    assert patch(api, f"/api/v1/vehicles/{vehicle.pk}", {"year": None}).json()["year"] is None
    assert Vehicle.objects.get(pk=vehicle.pk).year is None


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"label": None}, 400, "invalid", "label"),
        ({"label": ""}, 400, "invalid", "label"),
        ({"vehicle_key": None}, 400, "invalid", "vehicle_key"),
        ({"vehicle_key": ""}, 400, "invalid", "vehicle_key"),
        ({"archived": None}, 400, "invalid", "archived"),
        ({"archived": "perhaps"}, 400, "invalid", "archived"),
        ({"year": "old"}, 400, "invalid", "year"),
        ({"vin": "I" * 17}, 400, "invalid", "vin"),
        ({"label": "L" * 121}, 400, "invalid", "label"),
        ({"vehicle_key": "OTHER"}, 409, "conflict", "vehicle_key"),
        ({"plate": "B\x00"}, 400, "invalid", "plate"),
    ],
)
def test_an_invalid_patch_changes_nothing(api, org, vehicle, body, status, code, field):
    services.vehicle_create(org=org, label="Other", vehicle_key="OTHER")
    assert_error(patch(api, f"/api/v1/vehicles/{vehicle.pk}", body), status, code, field)
    vehicle.refresh_from_db()
    assert (vehicle.label, vehicle.vehicle_key, vehicle.archived, vehicle.vin) == (
        "Van 1",
        "VAN-1",
        False,
        "",
    )


def test_it_deletes_a_vehicle_with_its_readings(api, vehicle):
    services.reading_record(vehicle=vehicle, odometer=5)
    response = api.delete(f"/api/v1/vehicles/{vehicle.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert not Vehicle.objects.exists()
    assert not Reading.objects.exists()
    assert_error(api.get(f"/api/v1/vehicles/{vehicle.pk}"), 404, "not_found")


def test_an_outsider_key_cannot_delete_a_vehicle(other_api, vehicle):
    assert_error(other_api.delete(f"/api/v1/vehicles/{vehicle.pk}"), 404, "not_found")
    assert Vehicle.objects.filter(pk=vehicle.pk).exists()


# --- readings -----------------------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def iso(moment: datetime) -> str:
    return moment.isoformat()


def test_it_records_a_reading(api, vehicle, clock):
    response = post(
        api,
        f"/api/v1/vehicles/{vehicle.pk}/readings",
        {"odometer": 12_500, "recorded_at": iso(NOW - timedelta(hours=1)), "note": "telematics"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    reading = Reading.objects.get(vehicle=vehicle)
    assert body == {
        "id": reading.pk,
        "odometer": 12_500,
        "engine_hours": None,
        "recorded_at": "2030-06-15T11:00:00Z",
        "source": "api",
        "is_correction": False,
        "voided_at": None,
        "void_reason": "",
    }
    assert (reading.source, reading.note) == (ReadingSource.API, "telematics")
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 12_500


def test_a_reading_without_a_time_is_taken_now(api, vehicle, clock):
    body = post(api, f"/api/v1/vehicles/{vehicle.pk}/readings", {"odometer": 1}).json()
    assert body["recorded_at"] == "2030-06-15T12:00:00Z"


def test_a_reading_time_with_an_offset_is_stored_as_that_moment(api, vehicle, clock):
    post(
        api,
        f"/api/v1/vehicles/{vehicle.pk}/readings",
        {"odometer": 1, "recorded_at": "2030-06-15T09:30:00+02:00"},
    )
    assert Reading.objects.get().recorded_at == datetime(2030, 6, 15, 7, 30, tzinfo=UTC)


def test_the_readings_are_listed_newest_first_and_paged(api, truck, clock):
    for day, (odometer, hours) in enumerate(
        [(100, Decimal("1.0")), (200, None), (300, Decimal("3.5"))]
    ):
        services.reading_record(
            vehicle=truck,
            odometer=odometer,
            engine_hours=hours,
            recorded_at=NOW - timedelta(days=3 - day),
        )
    body = api.get(f"/api/v1/vehicles/{truck.pk}/readings").json()
    assert body["count"] == 3
    assert [(r["odometer"], r["engine_hours"]) for r in body["items"]] == [
        (300, 3.5),
        (200, None),
        (100, 1.0),
    ]
    page = api.get(f"/api/v1/vehicles/{truck.pk}/readings?limit=1&offset=1").json()
    assert [r["odometer"] for r in page["items"]] == [200]
    assert page["count"] == 3
    assert_error(api.get(f"/api/v1/vehicles/{truck.pk}/readings?limit=0"), 400, "invalid", "limit")
    assert_error(
        api.get(f"/api/v1/vehicles/{truck.pk}/readings?offset={10**20}"), 400, "invalid", "offset"
    )


def test_a_reading_below_the_previous_one_is_refused(api, vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=20_000, recorded_at=NOW - timedelta(days=1))
    body = assert_error(
        post(api, f"/api/v1/vehicles/{vehicle.pk}/readings", {"odometer": 19_999}),
        400,
        "invalid",
        "odometer",
    )
    assert body["message"].startswith(
        "The odometer cannot go down: the previous reading was 20,000 km on 2030-06-14."
    )
    assert Reading.objects.count() == 1


def test_a_correction_is_accepted_through_the_api(api, vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=20_000, recorded_at=NOW - timedelta(days=1))
    response = post(
        api, f"/api/v1/vehicles/{vehicle.pk}/readings", {"odometer": 3, "is_correction": True}
    )
    assert response.status_code == 201
    assert response.json()["is_correction"] is True
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 3


def test_an_implausible_jump_needs_confirm_jump(api, vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=NOW - timedelta(days=1))
    url = f"/api/v1/vehicles/{vehicle.pk}/readings"
    body = assert_error(
        post(api, url, {"odometer": 500_000}), 400, "confirmation_required", "odometer"
    )
    assert "confirm" in body["message"]
    assert Reading.objects.count() == 1
    assert post(api, url, {"odometer": 500_000, "confirm_jump": True}).status_code == 201
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 500_000


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "odometer"),
        ({"odometer": -1}, "odometer"),
        ({"odometer": "abc"}, "odometer"),
        ({"odometer": 1.5}, "odometer"),
        ({"odometer": 10_000_001}, "odometer"),
        ({"odometer": 1, "recorded_at": "yesterday"}, "recorded_at"),
        ({"odometer": 1, "recorded_at": "2030-06-16T12:00:00Z"}, "recorded_at"),
        ({"odometer": 1, "recorded_at": "2030-06-15T10:00:00"}, "recorded_at"),
        ({"odometer": 1, "note": "n" * 256}, "note"),
        ({"odometer": 1, "note": "nul\x00"}, "note"),
        ({"odometer": 1, "is_correction": "maybe"}, "is_correction"),
        ({"engine_hours": 5}, "engine_hours"),
    ],
)
def test_an_invalid_reading_is_refused_naming_the_field(api, vehicle, clock, body, field):
    assert_error(post(api, f"/api/v1/vehicles/{vehicle.pk}/readings", body), 400, "invalid", field)
    assert not Reading.objects.exists()
    assert Vehicle.objects.get(pk=vehicle.pk).odometer is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"engine_hours": -0.1}, "engine_hours"),
        ({"engine_hours": "many"}, "engine_hours"),
        ({"engine_hours": 1_000_001}, "engine_hours"),
    ],
)
def test_invalid_engine_hours_are_refused(api, truck, clock, body, field):
    assert_error(post(api, f"/api/v1/vehicles/{truck.pk}/readings", body), 400, "invalid", field)
    assert not Reading.objects.exists()


def test_engine_hours_are_recorded_for_a_vehicle_that_tracks_them(api, truck, clock):
    response = post(api, f"/api/v1/vehicles/{truck.pk}/readings", {"engine_hours": "12.34"})
    assert response.status_code == 201
    assert response.json()["engine_hours"] == 12.3
    assert api.get(f"/api/v1/vehicles/{truck.pk}").json()["engine_hours"] == 12.3


# --- bulk ---------------------------------------------------------------------------


def test_a_bulk_upload_stores_the_valid_readings_and_reports_the_others(
    api, vehicle, truck, their_vehicle, clock
):
    yesterday = iso(NOW - timedelta(days=1))
    response = post(
        api,
        "/api/v1/readings/bulk",
        [
            {"vehicle_id": vehicle.pk, "odometer": 1_000, "recorded_at": yesterday},
            {"vehicle_key": "LOAD-1", "odometer": 50, "engine_hours": 7.5},
            {"vehicle_id": str(vehicle.pk), "odometer": 1_200},
            {"vehicle_id": their_vehicle.pk, "odometer": 5},
            {"vehicle_key": "PICK-1", "odometer": 5},
            {"vehicle_id": vehicle.pk, "odometer": -3},
            {"vehicle_id": vehicle.pk, "odometer": 1, "recorded_at": "last tuesday"},
            {"odometer": 5},
            {"vehicle_id": vehicle.pk, "odometer": "lots"},
            {"vehicle_key": "LOAD-1", "odometer": 40, "recorded_at": iso(NOW + timedelta(days=2))},
            {"vehicle_key": "LOAD-1\x00", "odometer": 60},
            {"vehicle_id": 10**20, "odometer": 60},
        ],
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["created"] == 3
    assert [(e["index"], e["code"], e["field"]) for e in body["errors"]] == [
        (3, "invalid", "vehicle"),
        (4, "invalid", "vehicle"),
        (5, "invalid", "odometer"),
        (6, "invalid", "recorded_at"),
        (7, "invalid", "vehicle"),
        (8, "invalid", "odometer"),
        (9, "invalid", "recorded_at"),
        (10, "invalid", "vehicle"),
        (11, "invalid", "vehicle"),
    ]
    errors = {e["index"]: e["message"] for e in body["errors"]}
    assert errors[3] == "Vehicle does not exist."
    assert errors[4] == "Vehicle does not exist."
    assert errors[5] == "The odometer cannot be negative."
    assert errors[6] == "recorded_at must be an ISO 8601 datetime."
    assert errors[9] == "A reading cannot be in the future."

    assert list(Reading.objects.filter(vehicle=vehicle).values_list("odometer", flat=True)) == [
        1_200,
        1_000,
    ]
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 1_200
    loader = Vehicle.objects.get(pk=truck.pk)
    assert (loader.odometer, float(loader.engine_hours)) == (50, 7.5)
    assert not Reading.objects.filter(vehicle=their_vehicle).exists()
    assert set(Reading.objects.values_list("source", flat=True)) == {ReadingSource.API}


def test_a_bulk_upload_reports_an_unconfirmed_jump_and_keeps_the_rest(api, vehicle, clock):
    services.reading_record(vehicle=vehicle, odometer=1_000, recorded_at=NOW - timedelta(days=2))
    response = post(
        api,
        "/api/v1/readings/bulk",
        [
            {"vehicle_id": vehicle.pk, "odometer": 2_000, "recorded_at": iso(NOW - timedelta(1))},
            {"vehicle_id": vehicle.pk, "odometer": 900_000},
        ],
    )
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 1
    assert [(e["index"], e["code"], e["field"]) for e in body["errors"]] == [
        (1, "confirmation_required", "odometer")
    ]
    assert Vehicle.objects.get(pk=vehicle.pk).odometer == 2_000


def test_a_bulk_upload_of_more_than_ten_thousand_readings_is_refused(api, vehicle):
    rows = [{"vehicle_id": vehicle.pk, "odometer": n} for n in range(10_001)]
    body = assert_error(post(api, "/api/v1/readings/bulk", rows), 400, "invalid", "readings")
    assert body["message"] == "Send at most 10,000 readings at once."
    assert not Reading.objects.exists()


@pytest.mark.parametrize(
    "raw", ['{"vehicle_id": 1, "odometer": 5}', "[{bad json", '[{"is_correction": "maybe"}]']
)
def test_a_bulk_upload_that_is_not_a_list_of_readings_is_refused(api, vehicle, raw):
    response = api.post("/api/v1/readings/bulk", raw, content_type="application/json")
    assert_error(response, 400, "invalid", response.json()["field"])
    assert not Reading.objects.exists()


def test_bulk_items_that_are_not_readings_are_reported_one_by_one(api, vehicle):
    response = api.post(
        "/api/v1/readings/bulk",
        json.dumps([1, {"vehicle_id": vehicle.pk, "odometer": 5}, "x"]),
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["created"] == 1
    assert [e["index"] for e in body["errors"]] == [0, 2]
    assert list(Reading.objects.values_list("odometer", flat=True)) == [5]


def test_an_empty_bulk_upload_creates_nothing(api, vehicle):
    response = post(api, "/api/v1/readings/bulk", [])
    assert response.json() == {"created": 0, "errors": []}


# --- fuzzing ------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=140),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            name: json_scalars
            for name in ("label", "vehicle_key", "vin", "make", "plate", "year", "notes")
        },
    )
)
def test_any_vehicle_body_gets_a_vehicle_or_an_error_in_the_envelope(api, org, body):
    response = post(api, "/api/v1/vehicles", body)
    if response.status_code == 201:
        assert Vehicle.objects.filter(org=org, pk=response.json()["id"]).exists()
    else:
        assert response.status_code in (400, 409), response.content
        assert set(response.json()) == {"code", "message", "field"}


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "odometer": json_scalars,
            "engine_hours": json_scalars,
            "recorded_at": st.one_of(
                json_scalars,
                st.datetimes(timezones=st.just(UTC)).map(datetime.isoformat),
            ),
            "note": json_scalars,
            "is_correction": st.booleans(),
            "confirm_jump": st.booleans(),
        },
    )
)
def test_any_reading_body_gets_a_reading_or_an_error_in_the_envelope(api, truck, body):
    before = Reading.objects.count()
    response = post(api, f"/api/v1/vehicles/{truck.pk}/readings", body)
    if response.status_code == 201:
        assert Reading.objects.count() == before + 1
    else:
        assert response.status_code == 400, response.content
        assert set(response.json()) == {"code", "message", "field"}
        assert Reading.objects.count() == before


def test_the_openapi_document_names_each_key_once(db):
    """The docs page reads the document strictly: one key twice in an object fails it."""

    def unique(pairs):
        keys = [key for key, _ in pairs]
        assert len(keys) == len(set(keys)), keys
        return dict(pairs)

    json.loads(Client().get("/api/v1/openapi.json").content, object_pairs_hook=unique)
