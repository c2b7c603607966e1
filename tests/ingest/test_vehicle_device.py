"""A vehicle names its telematics device (API and form): set, changed, cleared, one per fleet."""

import json

from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.inputs import VehicleChanges


def _post(api, path: str, body: dict):
    return api.post(path, json.dumps(body), content_type="application/json")


def _patch(api, path: str, body: dict):
    return api.patch(path, json.dumps(body), content_type="application/json")


def test_a_vehicle_is_created_with_its_device_and_shows_it(api, org):
    response = _post(api, "/api/v1/vehicles", {"label": "Van 7", "device_id": "356307042441013"})
    assert response.status_code == 201
    vehicle_id = response.json()["id"]
    assert api.get(f"/api/v1/vehicles/{vehicle_id}").json()["device_id"] == "356307042441013"
    listed = api.get("/api/v1/vehicles").json()["items"]
    assert [v["device_id"] for v in listed] == ["356307042441013"]


def test_a_device_names_one_vehicle_of_the_fleet(api, org, other_api):
    assert _post(api, "/api/v1/vehicles", {"label": "A", "device_id": "dev-1"}).status_code == 201
    taken = _post(api, "/api/v1/vehicles", {"label": "B", "device_id": "dev-1"})
    assert taken.status_code == 409
    assert taken.json()["field"] == "device_id"
    # Another fleet may use the same tracker identifier.
    assert (
        _post(other_api, "/api/v1/vehicles", {"label": "C", "device_id": "dev-1"}).status_code
        == 201
    )


def test_the_device_is_changed_and_cleared_and_left_alone_when_not_sent(api, vehicle):
    path = f"/api/v1/vehicles/{vehicle.pk}"
    assert _patch(api, path, {"device_id": "dev-9"}).json()["device_id"] == "dev-9"
    assert _patch(api, path, {"label": "Van one"}).json()["device_id"] == "dev-9"
    assert _patch(api, path, {"device_id": "dev-9"}).status_code == 200
    assert _patch(api, path, {"device_id": ""}).json()["device_id"] == ""


def _form(**values) -> dict:
    return {
        "label": "Van 1",
        "vehicle_key": "VAN-1",
        "distance_unit": "km",
        "powertrain": "combustion",
        **values,
    }


def test_an_advisor_sets_the_device_on_the_vehicle_form(advisor_client, vehicle):
    page = advisor_client.get(f"/vehicles/{vehicle.pk}/edit/")
    assert b'name="device_id"' in page.content
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/edit/", _form(device_id="dev-4"))
    assert response.status_code == 302
    vehicle.refresh_from_db()
    assert vehicle.device_id == "dev-4"
    assert b'value="dev-4"' in advisor_client.get(f"/vehicles/{vehicle.pk}/edit/").content


def test_a_device_of_another_vehicle_is_refused_beside_the_field(advisor_client, org, vehicle):
    other = vehicles.vehicle_create(org=org, label="Van 2", vehicle_key="VAN-2")
    vehicles.vehicle_update(vehicle=other, changes=VehicleChanges(device_id="dev-4"))
    response = advisor_client.post(f"/vehicles/{vehicle.pk}/edit/", _form(device_id="dev-4"))
    assert response.status_code == 422
    assert b"already uses the telematics device" in response.content
    vehicle.refresh_from_db()
    assert vehicle.device_id == ""
