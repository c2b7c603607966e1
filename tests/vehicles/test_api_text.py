"""Text the database cannot store is refused by the vehicles API in plain words, not a 500."""

import pytest

from fleetmaint.vehicles.models import Vehicle
from tests import hostile


def post(client, url: str, body: dict):
    return client.post(url, hostile.dumps(body), content_type="application/json")


@pytest.mark.parametrize("text", [hostile.NUL, hostile.LONE_SURROGATE])
@pytest.mark.parametrize("field", ["label", "make", "model", "plate", "notes", "vin"])
def test_a_new_vehicle_with_unstorable_text_is_refused(api, org, field, text):
    body = {"label": "Van", field: text}
    response = post(api, "/api/v1/vehicles", body)
    assert 400 <= response.status_code < 500
    error = response.json()
    assert set(error) == {"code", "message", "field"}
    assert not Vehicle.objects.exists()


@pytest.mark.parametrize("text", [hostile.NUL, hostile.LONE_SURROGATE])
def test_a_reading_note_with_unstorable_text_is_refused(api, vehicle, text):
    response = post(api, f"/api/v1/vehicles/{vehicle.pk}/readings", {"odometer": 5, "note": text})
    assert 400 <= response.status_code < 500
    assert set(response.json()) == {"code", "message", "field"}
    vehicle.refresh_from_db()
    assert vehicle.odometer is None
