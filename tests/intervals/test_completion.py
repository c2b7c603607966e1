"""An interval serviced records what happened; one serviced by mistake can be reopened.

Services, the API and the pages: cost, who did it and notes beside the date and
meters (through the reading rules); reopening within its rules; what it costs
in the reports; the vehicle's History tab.
"""

from datetime import timedelta
from decimal import Decimal

import pytest

from fleetmaint.errors import ConfirmationRequired, Conflict, ValidationFailed
from fleetmaint.intervals import services
from fleetmaint.intervals.models import IntervalService, ServiceInterval
from fleetmaint.reports.cost_queries import monthly_costs
from fleetmaint.reports.queries import cost_by_month
from fleetmaint.tasks.completion import CompletionInput
from fleetmaint.vehicles import services as vehicles
from fleetmaint.vehicles.models import Vehicle
from fleetmaint.web import INVALID
from tests.clock import NOW

pytestmark = pytest.mark.usefixtures("clock")

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def van(vehicle, clock) -> Vehicle:
    """The fleet's van, last read at 10,000 km a day ago."""
    clock.shift(-timedelta(days=1))
    vehicles.reading_record(vehicle=vehicle, odometer=10_000)
    clock.move_to(NOW)
    vehicle.refresh_from_db()
    return vehicle


@pytest.fixture
def oil(org, van) -> ServiceInterval:
    services.intervals_generate(org=org, vehicles=[van])
    return ServiceInterval.objects.select_related("vehicle", "preset").get(
        vehicle=van, name="Oil Change"
    )


def serviced(interval: ServiceInterval, **values) -> ServiceInterval | None:
    return services.interval_mark_serviced(interval=interval, completion=CompletionInput(**values))


# --- the service -------------------------------------------------------------------------


def test_servicing_records_cost_servicer_notes_and_the_reading(oil, van, advisor):
    following = services.interval_mark_serviced(
        interval=oil,
        completion=CompletionInput(
            odometer=10_300, cost="149.90", servicer="Depot North", notes="Synthetic oil."
        ),
        actor=advisor,
    )

    [record] = IntervalService.objects.filter(interval=oil)
    assert (record.serviced_at, record.odometer, record.cost) == (
        NOW,
        10_300,
        Decimal("149.90"),
    )
    assert (record.servicer, record.notes, record.recorded_by) == (
        "Depot North",
        "Synthetic oil.",
        advisor,
    )
    assert record.reading.odometer == 10_300
    van.refresh_from_db()
    assert van.odometer == 10_300
    assert following.follows == oil
    assert following.service_at_mileage == 25_300


def test_an_odometer_below_the_current_one_is_refused_naming_it(oil):
    with pytest.raises(ValidationFailed) as refused:
        serviced(oil, odometer=9_000)
    assert refused.value.field == "odometer"
    assert "10,000 km on 2030-06-14" in refused.value.message
    oil.refresh_from_db()
    assert oil.serviced_at is None
    assert not IntervalService.objects.exists()


def test_an_implausible_jump_needs_confirmation(oil):
    with pytest.raises(ConfirmationRequired):
        serviced(oil, odometer=40_000)
    assert serviced(oil, odometer=40_000, confirm_jump=True) is not None


def test_what_a_service_costs_counts_in_the_reports_until_reopened(oil, van):
    serviced(oil, cost="60")
    june = next(m for m in cost_by_month(van.org) if m.month.month == 6)
    assert june.tasks == Decimal("60.00")
    assert sum(c.total for c in monthly_costs(van.org, vehicle=van).values()) == Decimal("60.00")

    services.interval_reopen(interval=oil)

    assert all(m.total == 0 for m in cost_by_month(van.org))
    assert monthly_costs(van.org, vehicle=van) == {}


def test_reopening_removes_the_untouched_next_one_and_keeps_the_service(oil, advisor):
    following = serviced(oil, cost="60", notes="Wrong van")

    reopened = services.interval_reopen(interval=oil, actor=advisor)

    assert (reopened.serviced_at, reopened.serviced_odometer) == (None, None)
    assert not ServiceInterval.objects.filter(pk=following.pk).exists()
    [record] = reopened.services.all()
    assert (record.reopened_at, record.reopened_by, record.next_removed) == (NOW, advisor, True)
    assert record.notes == "Wrong van"


def test_reopening_is_refused_when_the_next_one_got_a_note(oil):
    following = serviced(oil)
    services.interval_update_notes(interval=following, notes="Booked at the depot.")
    with pytest.raises(Conflict) as refused:
        services.interval_reopen(interval=oil)
    assert "is kept because a note was added to it" in refused.value.message
    oil.refresh_from_db()
    assert oil.serviced_at is not None


def test_reopening_is_refused_when_the_next_one_was_serviced(oil):
    following = serviced(oil)
    serviced(ServiceInterval.objects.get(pk=following.pk))
    with pytest.raises(Conflict, match="it was serviced since"):
        services.interval_reopen(interval=oil)


def test_an_open_interval_cannot_be_reopened(oil):
    with pytest.raises(Conflict, match="is open"):
        services.interval_reopen(interval=oil)


# --- the API -----------------------------------------------------------------------------


def post(client, url: str, body: dict | None = None):
    return client.post(url, body or {}, content_type="application/json")


def test_the_api_records_what_happened_and_reopens(api, oil):
    response = post(
        api,
        f"/api/v1/intervals/{oil.pk}/serviced",
        {"odometer": 10_200, "cost": 75.5, "servicer": "Mobile Mike", "notes": "Roadside"},
    )
    assert response.status_code == 200, response.content
    following = response.json()["next"]

    [record] = api.get(f"/api/v1/intervals/{oil.pk}/services").json()
    assert (record["cost"], record["servicer"], record["notes"], record["odometer"]) == (
        75.5,
        "Mobile Mike",
        "Roadside",
        10_200,
    )

    reopened = post(api, f"/api/v1/intervals/{oil.pk}/reopen")
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["id"] == oil.pk
    assert api.get(f"/api/v1/intervals/{following['id']}").status_code == 404
    again = post(api, f"/api/v1/intervals/{oil.pk}/reopen")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_the_api_refuses_a_lower_odometer(api, oil):
    response = post(api, f"/api/v1/intervals/{oil.pk}/serviced", {"odometer": 9_000})
    assert response.status_code == 400
    assert response.json()["field"] == "odometer"


def test_another_fleet_cannot_reopen(other_api, oil):
    serviced(oil)
    assert post(other_api, f"/api/v1/intervals/{oil.pk}/reopen").status_code == 404


# --- the pages ---------------------------------------------------------------------------


def test_the_schedule_records_a_service_with_its_cost_and_shows_it(advisor_client, oil, van):
    response = advisor_client.post(
        f"/vehicles/{van.pk}/schedule/{oil.pk}/serviced/",
        {"odometer": "10100", "date": "", "cost": "55", "servicer": "Depot North", "notes": ""},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Oil Change marked serviced." in html
    assert 'id="interval-services"' in html
    assert "55.00 EUR" in html and "by Depot North" in html
    history = advisor_client.get(f"/vehicles/{van.pk}/history/").content.decode()
    assert "Oil Change" in history and "Depot North" in history


def test_a_jump_is_confirmed_on_the_serviced_form(advisor_client, oil, van):
    url = f"/vehicles/{van.pk}/schedule/{oil.pk}/serviced/"
    asked = advisor_client.post(url, {"odometer": "50000"}, **HTMX)
    assert asked.status_code == INVALID
    html = asked.content.decode()
    assert 'id="schedule"' in html and 'name="confirm_jump"' in html
    done = advisor_client.post(url, {"odometer": "50000", "confirm_jump": "on"}, **HTMX)
    assert done.status_code == 200
    oil.refresh_from_db()
    assert oil.serviced_odometer == 50_000


def test_an_advisor_reopens_from_the_schedule_a_viewer_may_not(
    advisor_client, viewer_client, oil, van
):
    serviced(oil)
    service = IntervalService.objects.get(interval=oil)
    url = f"/vehicles/{van.pk}/schedule/services/{service.pk}/reopen/"
    assert f'action="{url}"' in advisor_client.get(f"/vehicles/{van.pk}/schedule/").content.decode()
    assert viewer_client.post(url).status_code == 403

    response = advisor_client.post(url, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Oil Change is open again." in html
    assert "reopened 2030-06-15" in html
    oil.refresh_from_db()
    assert oil.serviced_at is None
