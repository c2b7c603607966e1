"""Voiding a reading on the vehicle page and over the API: who may, what it answers."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fleetmaint.accounts import services as accounts
from fleetmaint.vehicles import readings
from fleetmaint.vehicles.models import Reading, Vehicle

# Time stands still before anyone signs in, so sessions are made in the same time.
pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def wrong(vehicle) -> Reading:
    """The van read at 10,000 km a week ago, then at 150,000 km (a zero too many) now."""
    week_ago = timezone.now() - timedelta(days=7)
    readings.reading_record(vehicle=vehicle, odometer=10_000, recorded_at=week_ago)
    return readings.reading_record(vehicle=vehicle, odometer=150_000, confirm_jump=True)


def void_url(reading: Reading) -> str:
    return reverse("vehicles:reading-void", args=[reading.vehicle_id, reading.pk])


def api_url(reading: Reading) -> str:
    return f"/api/v1/vehicles/{reading.vehicle_id}/readings/{reading.pk}/void"


def odometer(vehicle: Vehicle) -> int | None:
    return Vehicle.objects.get(pk=vehicle.pk).odometer


def test_the_advisor_voids_a_reading_with_a_reason(advisor_client, wrong, vehicle, advisor):
    page = advisor_client.get(void_url(wrong))
    assert page.status_code == 200
    assert "150,000 km" in page.content.decode()

    response = advisor_client.post(void_url(wrong), {"reason": "A zero too many"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("vehicles:detail", args=[vehicle.pk])
    assert "The odometer now reads 10,000 km" in response.content.decode()
    wrong.refresh_from_db()
    assert (wrong.void_reason, wrong.voided_by) == ("A zero too many", advisor)
    assert odometer(vehicle) == 10_000


def test_the_readings_table_marks_a_voided_reading_and_offers_the_others(
    advisor_client, viewer_client, wrong, vehicle
):
    advisor_client.post(void_url(wrong), {"reason": "A zero too many"})
    html = advisor_client.get(reverse("vehicles:detail", args=[vehicle.pk])).content.decode()
    assert "A zero too many" in html
    assert 'class="voided"' in html
    kept = Reading.objects.get(vehicle=vehicle, odometer=10_000)
    assert void_url(kept) in html
    assert void_url(wrong) not in html
    viewer_html = viewer_client.get(reverse("vehicles:detail", args=[vehicle.pk])).content.decode()
    assert void_url(kept) not in viewer_html


def test_a_void_without_a_reason_is_refused_and_changes_nothing(advisor_client, wrong, vehicle):
    for reason in ("", "   "):
        response = advisor_client.post(void_url(wrong), {"reason": reason})
        assert response.status_code == 422
        assert "Say why the reading is void." in response.content.decode()
    wrong.refresh_from_db()
    assert wrong.voided_at is None
    assert odometer(vehicle) == 150_000


def test_a_second_void_of_the_same_reading_shows_it_voided(advisor_client, wrong):
    advisor_client.post(void_url(wrong), {"reason": "First"})
    response = advisor_client.post(void_url(wrong), {"reason": "Second"})
    assert response.status_code == 409
    assert "voided</span> on 2030-06-15" in response.content.decode()
    wrong.refresh_from_db()
    assert wrong.void_reason == "First"


def test_viewers_may_not_void_and_outsiders_do_not_find_it(
    viewer_client, outsider_client, wrong, vehicle
):
    assert viewer_client.get(void_url(wrong)).status_code == 403
    assert viewer_client.post(void_url(wrong), {"reason": "x"}).status_code == 403
    assert outsider_client.post(void_url(wrong), {"reason": "x"}).status_code == 404
    wrong.refresh_from_db()
    assert wrong.voided_at is None


def test_a_reading_of_another_vehicle_is_not_found(advisor_client, wrong, org):
    from fleetmaint.vehicles import services as vehicles

    other = vehicles.vehicle_create(org=org, label="Van 2")
    url = reverse("vehicles:reading-void", args=[other.pk, wrong.pk])
    assert advisor_client.post(url, {"reason": "x"}).status_code == 404


def test_the_api_voids_a_reading(api, wrong, vehicle):
    response = api.post(
        api_url(wrong), {"reason": "A zero too many"}, content_type="application/json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["odometer"], body["void_reason"], body["vehicle_odometer"]) == (
        150_000,
        "A zero too many",
        10_000,
    )
    listed = api.get(f"/api/v1/vehicles/{vehicle.pk}/readings").json()["items"]
    assert [(r["odometer"], r["void_reason"]) for r in listed] == [
        (150_000, "A zero too many"),
        (10_000, ""),
    ]
    assert listed[0]["voided_at"] is not None and listed[1]["voided_at"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 256}, "reason"),
        ({"reason": "nul\u0000"}, "reason"),
        ({"reason": 5}, "reason"),
    ],
)
def test_the_api_refuses_a_void_without_a_usable_reason(api, wrong, body, field):
    response = api.post(api_url(wrong), body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["field"] == field
    wrong.refresh_from_db()
    assert wrong.voided_at is None


def test_the_api_answers_409_for_a_second_void_and_404_for_another_fleet(
    api, other_api, wrong, org
):
    first = api.post(api_url(wrong), {"reason": "x"}, content_type="application/json")
    assert first.status_code == 200
    again = api.post(api_url(wrong), {"reason": "y"}, content_type="application/json")
    assert again.status_code == 409
    assert "already voided" in again.json()["message"]
    outsider = other_api.post(api_url(wrong), {"reason": "z"}, content_type="application/json")
    assert outsider.status_code == 404


def test_a_read_only_key_may_not_void(org, wrong):
    _, raw = accounts.apikey_create(org=org, name="dashboard", read_only=True)
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    response = client.post(api_url(wrong), {"reason": "x"}, content_type="application/json")
    assert response.status_code == 403
    wrong.refresh_from_db()
    assert wrong.voided_at is None


@pytest.fixture
def operator(django_user_model) -> Client:
    user = django_user_model.objects.create_superuser("operator", "op@example.net", "x" * 16)
    client = Client()
    client.force_login(user)
    return client


def test_the_operator_voids_readings_in_the_admin_with_one_reason(operator, wrong, vehicle):
    changelist = "/admin/vehicles/reading/"
    asked = operator.post(changelist, {"action": "void_readings", "_selected_action": [wrong.pk]})
    assert asked.status_code == 200
    assert "Why are these readings wrong?" in asked.content.decode()
    wrong.refresh_from_db()
    assert wrong.voided_at is None

    done = operator.post(
        changelist,
        {"action": "void_readings", "_selected_action": [wrong.pk], "reason": "Wrong van"},
        follow=True,
    )

    assert "Voided 1 reading(s)." in done.content.decode()
    wrong.refresh_from_db()
    assert wrong.void_reason == "Wrong van"
    assert odometer(vehicle) == 10_000
    listed = operator.get(changelist + "?voided_at__isnull=False").content.decode()
    assert "Wrong van" in listed
    assert operator.get(f"/admin/vehicles/vehicle/{vehicle.pk}/change/").status_code == 200
