"""The vehicle edit page asks before a change of unit converts the vehicle's distances."""

import pytest
from django.test import Client

from fleetmaint.vehicles import services
from fleetmaint.vehicles.forms import VehicleForm
from fleetmaint.vehicles.models import Reading, Vehicle

HTMX = {"HTTP_HX_REQUEST": "true"}
QUESTION = (
    "Changing to miles converts 1 reading of this vehicle: the odometer 2,000 km becomes 1,243 mi."
)


def edit_data(vehicle: Vehicle, **changes) -> dict:
    """The edit form as the page fills it from the vehicle, with ``changes`` made."""
    data = {}
    for name in VehicleForm.base_fields:
        value = getattr(vehicle, name)
        if value is False or value is None:
            continue  # an unticked box or an empty field sends nothing
        data[name] = value
    data.update(changes)
    return data


@pytest.fixture
def driven(vehicle) -> Vehicle:
    services.reading_record(vehicle=vehicle, odometer=2_000)
    vehicle.refresh_from_db()
    return vehicle


def edit(client, vehicle: Vehicle, **changes):
    return client.post(f"/vehicles/{vehicle.pk}/edit/", edit_data(vehicle, **changes))


def test_it_asks_before_converting_and_saves_nothing(advisor_client, driven):
    response = edit(advisor_client, driven, distance_unit="mi", label="Van One")

    assert response.status_code == 422
    page = response.content.decode()
    assert QUESTION in page
    assert 'name="convert_distances" value="yes"' in page
    assert "Convert and save" in page
    assert f'href="/vehicles/{driven.pk}/"' in page  # Cancel: back, as it was
    stored = Vehicle.objects.get(pk=driven.pk)
    assert (stored.label, stored.distance_unit, stored.odometer) == ("Van 1", "km", 2_000)
    assert Reading.objects.get(vehicle=driven).odometer == 2_000


def test_the_question_keeps_what_was_typed(advisor_client, driven):
    response = edit(advisor_client, driven, distance_unit="mi", label="Van One")
    page = response.content.decode()
    assert 'value="Van One"' in page
    assert '<option value="mi" selected>' in page


def test_it_converts_and_saves_once_confirmed(advisor_client, driven):
    response = edit(
        advisor_client, driven, distance_unit="mi", label="Van One", convert_distances="yes"
    )

    assert response.status_code == 302
    assert response["Location"] == f"/vehicles/{driven.pk}/"
    stored = Vehicle.objects.get(pk=driven.pk)
    assert (stored.label, stored.distance_unit, stored.odometer) == ("Van One", "mi", 1_243)
    assert Reading.objects.get(vehicle=driven).odometer == 1_243
    page = advisor_client.get(f"/vehicles/{driven.pk}/").content.decode()
    assert "1,243 mi" in page


def test_a_vehicle_without_distances_changes_unit_without_a_question(advisor_client, vehicle):
    response = edit(advisor_client, vehicle, distance_unit="mi")
    assert response.status_code == 302
    assert Vehicle.objects.get(pk=vehicle.pk).distance_unit == "mi"


def test_other_changes_need_no_question(advisor_client, driven):
    response = edit(advisor_client, driven, label="Van One")
    assert response.status_code == 302
    stored = Vehicle.objects.get(pk=driven.pk)
    assert (stored.label, stored.distance_unit, stored.odometer) == ("Van One", "km", 2_000)


def test_the_htmx_question_is_the_form_alone(advisor_client, driven):
    response = advisor_client.post(
        f"/vehicles/{driven.pk}/edit/", edit_data(driven, distance_unit="mi"), **HTMX
    )
    assert response.status_code == 422
    assert b"<html" not in response.content
    assert QUESTION in response.content.decode()
    assert Vehicle.objects.get(pk=driven.pk).distance_unit == "km"


def test_the_htmx_confirmation_redirects_the_whole_page(advisor_client, driven):
    response = advisor_client.post(
        f"/vehicles/{driven.pk}/edit/",
        edit_data(driven, distance_unit="mi", convert_distances="yes"),
        **HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == f"/vehicles/{driven.pk}/"
    assert Vehicle.objects.get(pk=driven.pk).odometer == 1_243


def test_a_viewer_cannot_convert(viewer_client, driven):
    response = edit(viewer_client, driven, distance_unit="mi", convert_distances="yes")
    assert response.status_code == 403
    assert Vehicle.objects.get(pk=driven.pk).odometer == 2_000


def test_an_outsider_cannot_convert(outsider_client, driven):
    response = edit(outsider_client, driven, distance_unit="mi", convert_distances="yes")
    assert response.status_code == 404
    assert Vehicle.objects.get(pk=driven.pk).distance_unit == "km"


def test_the_admin_shows_a_saved_vehicles_unit_without_changing_it(django_user_model, driven):
    operator = django_user_model.objects.create_superuser("operator", "op@example.net", "x" * 16)
    client = Client()
    client.force_login(operator)
    page = client.get(f"/admin/vehicles/vehicle/{driven.pk}/change/").content.decode()
    assert 'name="distance_unit"' not in page  # read-only: the edit page converts
    assert 'name="distance_unit"' in client.get("/admin/vehicles/vehicle/add/").content.decode()
