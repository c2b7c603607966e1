"""A new interval's mileage and date follow the same rules on the page, in the API and in
the vendor endpoint, which keeps its own one-year rule (seed 003)."""

import json
import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.test import Client

from fleetmaint.errors import ValidationFailed
from fleetmaint.intervals import services
from fleetmaint.intervals.models import ServiceInterval
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from tests.clock import NOW

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
HTMX = {"HTTP_HX_REQUEST": "true"}
INVALID = 422
pytestmark = pytest.mark.usefixtures("clock")  # 2030-06-15 12:00 in Berlin

BELOW = (
    "The mileage cannot be below the vehicle's current odometer: Van 1 is at 10,000 km "
    "(read on 2030-06-14). Give 10,000 or more."
)
PAST = (
    "The due date is in the past. If the service is already overdue, "
    "confirm it (already overdue) and it is added as required now."
)
TOO_FAR = "The due date must be within ten years from today, by 2040-06-15 at the latest."


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """Van 1, last read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


def on(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=BERLIN)


# --- the service ------------------------------------------------------------------------


def test_a_mileage_below_the_current_odometer_is_refused_naming_it(van):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, odometer=9_999)
    assert error.value.message == BELOW
    assert error.value.field == "odometer"
    # At the odometer itself the service is due at once; that is meant.
    assert services.is_required(services.interval_create(vehicle=van, odometer=10_000), NOW)


def test_a_date_before_today_needs_already_overdue(van):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, time=on(date(2030, 6, 14)))
    assert error.value.message == PAST
    assert error.value.field == "time"
    interval = services.interval_create(
        vehicle=van, time=on(date(2030, 6, 14)), already_overdue=True
    )
    assert services.is_required(interval, NOW)


def test_earlier_today_is_today_not_the_past(van):
    interval = services.interval_create(vehicle=van, time=on(date(2030, 6, 15)))
    assert interval.service_at_date == on(date(2030, 6, 15))


def test_dates_up_to_ten_years_ahead_are_taken(van):
    services.interval_create(vehicle=van, time=on(date(2032, 6, 15)), name="Biennial")
    services.interval_create(vehicle=van, time=on(date(2040, 6, 15)), name="Ten years")
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, time=on(date(2040, 6, 16)))
    assert error.value.message == TOO_FAR


def test_an_overdue_date_is_still_within_ten_years_back(van):
    with pytest.raises(ValidationFailed) as error:
        services.interval_create(vehicle=van, time=on(date(2020, 6, 14)), already_overdue=True)
    assert "not before 2020-06-15" in error.value.message


# --- the JSON API -----------------------------------------------------------------------


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    "body, field, message",
    [
        ({"service_at_mileage": 9_000}, "service_at_mileage", BELOW),
        ({"service_at_date": "2030-06-14T12:00:00+02:00"}, "service_at_date", PAST),
        ({"service_at_date": "2040-06-16T12:00:00+02:00"}, "service_at_date", TOO_FAR),
    ],
)
def test_the_api_refuses_what_cannot_be_meant(api, van, body, field, message):
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", body)
    assert response.status_code == 400, response.content
    assert response.json() == {"code": "invalid", "message": message, "field": field}
    assert not ServiceInterval.objects.exists()


def test_the_api_takes_an_overdue_date_when_told(api, van):
    body = {"service_at_date": "2030-06-14T12:00:00+02:00", "already_overdue": True}
    response = post(api, f"/api/v1/vehicles/{van.pk}/intervals", body)
    assert response.status_code == 201, response.content
    assert response.json()["maintenance_required"] is True


def test_the_api_takes_a_biennial_date(api, van):
    body = {"service_at_date": "2032-06-15T08:00:00+02:00", "name": "Brake fluid"}
    assert post(api, f"/api/v1/vehicles/{van.pk}/intervals", body).status_code == 201


def test_the_api_document_declares_already_overdue(api):
    schema = api.get("/api/v1/openapi.json").json()["components"]["schemas"]["IntervalIn"]
    assert schema["properties"]["already_overdue"]["type"] == "boolean"


# --- the page ---------------------------------------------------------------------------


def field_html(response, input_id: str) -> str:
    html = response.content.decode()
    for block in html.split('<div class="field')[1:]:
        block = block.split("</div>", 1)[0]
        if f'id="{input_id}"' in block:
            return block
    raise AssertionError(f"no field {input_id!r} in the page")


def create_page(client, van, **data):
    return client.post(f"/vehicles/{van.pk}/schedule/new/", {"name": "Check", **data}, **HTMX)


def test_the_page_shows_the_odometer_next_to_the_mileage(advisor_client, van):
    response = create_page(advisor_client, van, odometer="9000")
    assert response.status_code == INVALID
    assert "Van 1 is at 10,000 km" in field_html(response, "id_odometer")


def test_the_page_asks_to_confirm_a_past_date(advisor_client, van):
    response = create_page(advisor_client, van, date="2030-06-01")
    assert response.status_code == INVALID
    assert "already overdue" in field_html(response, "id_date")
    assert 'id="id_already_overdue"' in response.content.decode()
    assert not ServiceInterval.objects.exists()
    response = create_page(advisor_client, van, date="2030-06-01", already_overdue="on")
    assert response.status_code == 200
    assert services.is_required(ServiceInterval.objects.get(), NOW)


def test_the_page_takes_dates_years_ahead_and_says_how_far(advisor_client, van):
    response = create_page(advisor_client, van, date="2040-06-16")
    assert "within ten years from today" in field_html(response, "id_date")
    assert create_page(advisor_client, van, date="2034-06-01").status_code == 200


# --- the vendor endpoint (seed 003) keeps its one-year rule and its texts ---------------


def call(client: Client, method: str, **fields):
    return client.post(f"/voyorequest/{method}", fields, HTTP_ACCEPT="application/json")


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"time": "2031-06-16 12:00:00"}, "time is outside of valid range!"),
        ({"time": "2030-06-14 12:00:00"}, "time is outside of valid range!"),
        ({"odometer": "9000"}, "odometer is outside of valid range!"),
    ],
)
def test_the_vendor_endpoint_keeps_its_own_rule_and_words(api, van, fields, message):
    response = call(api, "CreateServiceInterval", vehicle_key="VAN-1", **fields)
    assert response.status_code == 400
    assert response.json() == {"error": message}


def test_the_vendor_endpoint_takes_a_time_within_the_year(api, van):
    response = call(api, "CreateServiceInterval", vehicle_key="VAN-1", time="2031-06-14 12:00:00")
    assert response.json()["error"] == "Success!"
