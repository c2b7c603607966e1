"""PATCH of a vehicle's distance unit over the JSON API: refused unconfirmed, converted with
``convert_distances``, as an integration sees it."""

import json

import pytest
from django.test import Client

from fleetmaint.accounts import services as accounts
from fleetmaint.contracts import services as contracts
from fleetmaint.contracts.inputs import ContractInput
from fleetmaint.contracts.models import VehicleContract
from fleetmaint.vehicles import services
from fleetmaint.vehicles.models import Reading, Vehicle


def patch(client: Client, vehicle: Vehicle, body: dict):
    return client.patch(
        f"/api/v1/vehicles/{vehicle.pk}", json.dumps(body), content_type="application/json"
    )


def error(response, status: int, code: str, field: str | None) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert (set(body), body["code"], body["field"]) == ({"code", "message", "field"}, code, field)
    return body["message"]


@pytest.fixture
def driven(vehicle, clock) -> Vehicle:
    """At 2,000 km, with a service plan for 150,000 km from there."""
    services.reading_record(vehicle=vehicle, odometer=2_000)
    vehicle.refresh_from_db()
    contracts.contract_create(
        vehicle=vehicle,
        data=ContractInput(
            contract_type="service_plan",
            number="SP-1",
            start_date="2030-01-01",
            distance_limit=150_000,
        ),
    )
    return vehicle


@pytest.fixture
def read_only_api(org) -> Client:
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    return Client(headers={"Authorization": f"Bearer {raw}"})


def unchanged(vehicle: Vehicle) -> bool:
    stored = Vehicle.objects.get(pk=vehicle.pk)
    contract = VehicleContract.objects.get(vehicle=vehicle)
    return (
        stored.distance_unit,
        stored.odometer,
        Reading.objects.get(vehicle=vehicle).odometer,
        contract.ends_at_odometer,
    ) == ("km", 2_000, 2_000, 152_000)


def test_a_unit_change_on_a_vehicle_with_distances_is_refused_without_the_flag(api, driven):
    response = patch(api, driven, {"distance_unit": "mi", "label": "Renamed"})

    message = error(response, 409, "confirmation_required", "distance_unit")
    assert message == (
        "Changing to miles converts 1 reading and 1 contract of this vehicle: "
        "the odometer 2,000 km becomes 1,243 mi. "
        'Send "convert_distances": true to convert them and change the unit.'
    )
    assert unchanged(driven)
    assert Vehicle.objects.get(pk=driven.pk).label == "Van 1"


def test_false_is_no_confirmation(api, driven):
    response = patch(api, driven, {"distance_unit": "mi", "convert_distances": False})
    error(response, 409, "confirmation_required", "distance_unit")
    assert unchanged(driven)


def test_the_flag_converts_and_changes_the_unit(api, driven):
    response = patch(api, driven, {"distance_unit": "mi", "convert_distances": True})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["distance_unit"], body["odometer"]) == ("mi", 1_243)
    assert Reading.objects.get(vehicle=driven).odometer == 1_243
    contract = api.get(f"/api/v1/vehicles/{driven.pk}/contracts").json()
    items = contract["items"] if isinstance(contract, dict) else contract
    ends = VehicleContract.objects.get(vehicle=driven).ends_at_odometer
    assert ends == 1_243 + 93_206  # 2,000 km + 150,000 km, each converted
    assert [item["distance_limit"] for item in items] == [93_206]


def test_a_vehicle_without_distances_changes_unit_without_the_flag(api, vehicle):
    response = patch(api, vehicle, {"distance_unit": "mi"})
    assert response.status_code == 200, response.content
    assert response.json()["distance_unit"] == "mi"


def test_the_same_unit_with_the_flag_changes_nothing(api, driven):
    response = patch(api, driven, {"distance_unit": "km", "convert_distances": True})
    assert response.status_code == 200
    assert unchanged(driven)


def test_the_flag_must_be_a_boolean(api, driven):
    response = patch(api, driven, {"distance_unit": "mi", "convert_distances": "yes"})
    error(response, 400, "invalid", "convert_distances")
    assert unchanged(driven)


def test_an_outsider_gets_404_and_nothing_changes(other_api, driven):
    response = patch(other_api, driven, {"distance_unit": "mi", "convert_distances": True})
    error(response, 404, "not_found", None)
    assert unchanged(driven)


def test_a_read_only_key_gets_403_and_nothing_changes(read_only_api, driven):
    response = patch(read_only_api, driven, {"distance_unit": "mi", "convert_distances": True})
    assert error(response, 403, "forbidden", None) == "This API key is read-only."
    assert unchanged(driven)


def test_the_document_describes_the_flag(db):
    document = Client().get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/vehicles/{vehicle_id}"]["patch"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    flag = schema["properties"]["convert_distances"]
    assert flag["type"] == "boolean"
    assert "409" in flag["description"]
    answers = document["paths"]["/api/v1/vehicles/{vehicle_id}"]["patch"]["responses"]
    assert "409" in answers
